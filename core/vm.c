/*
 * vm.c - VM creation, vCPU start/stop/pause, rendezvous and stop requests.
 * See vm.h for the park monitor and which thread calls what.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/vcpu.h"
#include "core/vm.h"
#include "sched/thread.h"
#include "util/gateword.h"
#include "util/log.h"

/* Identity-map and TSS pages for VMX real-mode emulation, below the 4 GiB BIOS area. */
#define VM_TSS_ADDR	     0xfffbd000u
#define VM_IDENTITY_MAP_ADDR 0xfffbc000u

static const char *const stop_names[] = {
	[VM_STOP_NONE] = "running",
	[VM_STOP_GUEST_DONE] = "guest done",
	[VM_STOP_GUEST_EXIT] = "guest exit",
	[VM_STOP_GUEST_FAIL] = "guest assertion failed",
	[VM_STOP_POWEROFF] = "guest powered off",
	[VM_STOP_RESET] = "guest reset",
	[VM_STOP_CRASH] = "guest crashed",
	[VM_STOP_HOST_ERROR] = "host error",
	[VM_STOP_SIGNAL] = "interrupted",
	[VM_STOP_REQUESTED] = "stopped",
	[VM_STOP_TIMEOUT] = "timed out",
};

const char *vm_stop_reason_name(enum vm_stop_reason r)
{
	return (unsigned)r < ARRAY_SIZE(stop_names) ? stop_names[r] : "?";
}

int vm_create(struct kvm_sys *kvm, const struct vm_opts *opts, struct vm **out)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	unsigned slots;
	int ret;

	if (!vm)
		return -ENOMEM;
	vm->kvm = kvm;
	vm->create_pit = opts->create_pit;
	vm->fd = ioctl(kvm->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	/* Needed by VMX for real mode; other KVMs accept or ignore it. */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
		log_debug("KVM_SET_TSS_ADDR: %s (ignored)", strerror(errno));
	if (kvm->kind == KVM_KIND_VMX) {
		uint64_t idmap = VM_IDENTITY_MAP_ADDR;

		if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s (ignored)", strerror(errno));
	}
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		ret = -errno;
		goto err_close;
	}
	slots = opts->max_memslots ?
			opts->max_memslots :
			(unsigned)MIN(kvm->nr_memslots > 0 ? kvm->nr_memslots : 32, 512);
	ret = memmap_init(&vm->mem, vm->fd, slots, opts->map_mode);
	if (ret)
		goto err_stopfd;
	ret = as_init(&vm->pio, "pio", 0x10000, opts->map_mode);
	if (ret)
		goto err_mem;
	ret = as_init(&vm->mmio, "mmio", 0, opts->map_mode);
	if (ret)
		goto err_pio;
	pthread_mutex_init(&vm->big_lock, NULL);
	pthread_mutex_init(&vm->park_lock, NULL);
	pthread_cond_init(&vm->park_cond, NULL);
	*out = vm;
	return 0;
err_pio:
	as_destroy(&vm->pio);
err_mem:
	memmap_destroy(&vm->mem);
err_stopfd:
	close(vm->stop_fd);
err_close:
	close(vm->fd);
err_free:
	free(vm);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->started)
		vm_join(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	as_destroy(&vm->mmio);
	as_destroy(&vm->pio);
	memmap_destroy(&vm->mem);
	pthread_cond_destroy(&vm->park_cond);
	pthread_mutex_destroy(&vm->park_lock);
	pthread_mutex_destroy(&vm->big_lock);
	close(vm->stop_fd);
	close(vm->fd);
	free(vm);
}

/*
 * The in-kernel irqchip is created here, after the builder added guest RAM: on KVM (measured
 * on PVM) the first memslot added after KVM_CREATE_IRQCHIP waits 7-11 ms for an expedited SRCU
 * grace period, against 0.3-0.5 ms before it.
 */
static int vm_create_irqchip(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
	if (vm->create_pit && vm->kvm->has_pit2) {
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
			return -errno;
	}
	return 0;
}

int vm_create_vcpus(struct vm *vm, unsigned n, const struct cpu_topology *t,
		    const struct cpuid_opts *copts)
{
	struct kvm_cpuid2 *cpuid;
	unsigned cap = vm->kvm->cpuid->nent + 16;
	int ret = 0;

	if (n == 0 || (int)n > vm->kvm->max_vcpus || vm->nr_vcpus)
		return -EINVAL;
	ret = vm_create_irqchip(vm);
	if (ret)
		return ret;
	if (t) {
		if (cpu_topology_count(t) != n)
			return -EINVAL;
		vm->topo = *t;
	} else {
		cpu_topology_default(&vm->topo, n);
	}
	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	cpuid = calloc(1, sizeof(*cpuid) + cap * sizeof(cpuid->entries[0]));
	if (!vm->vcpus || !cpuid) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t apic_id = cpu_topology_apic_id(&vm->topo, i);

		ret = vcpu_create(vm, i, apic_id, &vm->vcpus[i]);
		if (ret)
			goto out;
		vm->nr_vcpus = i + 1;
		cpuid->nent = cap;
		ret = cpuid_build(vm->kvm->cpuid, &vm->topo, i, copts, cpuid);
		if (ret)
			goto out;
		ret = vcpu_set_cpuid(vm->vcpus[i], cpuid);
		if (ret)
			goto out;
	}
out:
	free(cpuid);
	return ret;
}

int vm_start(struct vm *vm, const struct thread_placement *const *placement)
{
	int ret;

	vcpu_install_kick_handler();
	memmap_go_live(&vm->mem);
	pubptr_go_live(&vm->pio.pub);
	pubptr_go_live(&vm->mmio.pub);
	/*
	 * Hold every vCPU at the start until all threads exist: thread_kick skips a thread whose
	 * spawn has not returned, so a stop requested meanwhile (a guest that faults at once)
	 * would never reach a vCPU already halted in KVM_RUN, and vm_join would wait forever.
	 */
	pthread_mutex_lock(&vm->park_lock);
	vm->live = vm->nr_vcpus;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_or_fetch(&vm->vcpus[i]->park_mask, VCPU_PARK_START, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->park_lock);
	vm->started = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		char name[32]; /* the kernel keeps 15 characters */

		snprintf(name, sizeof(name), "%svcpu%u", vm->thread_prefix, i);
		ret = thread_spawn(&vm->vcpus[i]->thread, name, placement ? placement[i] : NULL,
				   true, vcpu_thread_main, vm->vcpus[i]);
		if (ret) {
			/* Threads already started are told to stop; the rest never ran. */
			pthread_mutex_lock(&vm->park_lock);
			vm->live -= vm->nr_vcpus - i;
			pthread_mutex_unlock(&vm->park_lock);
			vm_request_stop(vm, VM_STOP_HOST_ERROR, 4);
			return ret;
		}
	}
	pthread_mutex_lock(&vm->park_lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_and_fetch(&vm->vcpus[i]->park_mask, ~VCPU_PARK_START, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	return 0;
}

static void kick_all_but(struct vm *vm, struct vcpu *self)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i] != self)
			thread_kick(&vm->vcpus[i]->thread);
	}
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
	uint64_t one = 1;
	bool first = false;

	pthread_mutex_lock(&vm->park_lock);
	if (!vm->stop_requested) {
		__atomic_store_n(&vm->stop_requested, true, __ATOMIC_RELEASE);
		vm->stop_reason = reason;
		vm->stop_status = status;
		first = true;
	}
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	if (!first)
		return;
	/* After stop_requested: a vCPU on its gate word wakes and sees the stop. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->ext_gate)
			gateword_stop(vm->vcpus[i]->ext_gate);
	kick_all_but(vm, vcpu_current());
	/* The counter cannot overflow with one write per VM; EAGAIN is impossible. */
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		log_debug("stop eventfd: %s", strerror(errno));
}

bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE);
}

void vm_join(struct vm *vm)
{
	if (!vm->started)
		return;
	vm_request_stop(vm, VM_STOP_REQUESTED, 0);
	/* A vCPU that missed its kick (halted in KVM) is kicked again until it leaves. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		thread_join_kicking(&vm->vcpus[i]->thread, 100);
	vm->started = false;
}

int vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->park_lock);
	vm->paused = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_or_fetch(&vm->vcpus[i]->park_mask, VCPU_PARK_PAUSE, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->park_lock);
	kick_all_but(vm, NULL);
	pthread_mutex_lock(&vm->park_lock);
	while (vm->parked < vm->live && !vm->stop_requested)
		pthread_cond_wait(&vm->park_cond, &vm->park_lock);
	pthread_mutex_unlock(&vm->park_lock);
	return vm_stopping(vm) ? -ESHUTDOWN : 0;
}

void vm_pause_nowait(struct vm *vm)
{
	pthread_mutex_lock(&vm->park_lock);
	vm->paused = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_or_fetch(&vm->vcpus[i]->park_mask, VCPU_PARK_PAUSE, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->park_lock);
	kick_all_but(vm, NULL);
}

bool vm_is_paused(struct vm *vm)
{
	bool p;

	pthread_mutex_lock(&vm->park_lock);
	p = vm->paused;
	pthread_mutex_unlock(&vm->park_lock);
	return p;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->park_lock);
	vm->paused = false;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_and_fetch(&vm->vcpus[i]->park_mask, ~VCPU_PARK_PAUSE, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
}

void vm_vcpu_park_set(struct vm *vm, struct vcpu *vcpu, uint32_t bits)
{
	pthread_mutex_lock(&vm->park_lock);
	__atomic_or_fetch(&vcpu->park_mask, bits, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->park_lock);
	if (vcpu != vcpu_current())
		thread_kick(&vcpu->thread);
}

void vm_vcpu_park_clear(struct vm *vm, struct vcpu *vcpu, uint32_t bits)
{
	pthread_mutex_lock(&vm->park_lock);
	__atomic_and_fetch(&vcpu->park_mask, ~bits, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
}

/* Release everyone at the rendezvous. park_lock held. */
static void rendezvous_release_locked(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_and_fetch(&vm->vcpus[i]->park_mask, ~VCPU_PARK_RENDEZVOUS,
				   __ATOMIC_RELEASE);
	vm->rdv_waiting = 0;
	vm->rdv_generation++;
	pthread_cond_broadcast(&vm->park_cond);
}

void vm_rendezvous(struct vm *vm, struct vcpu *vcpu)
{
	pthread_mutex_lock(&vm->park_lock);
	vm->rdv_waiting++;
	if (vm->rdv_waiting >= vm->live)
		rendezvous_release_locked(vm);
	else
		__atomic_or_fetch(&vcpu->park_mask, VCPU_PARK_RENDEZVOUS, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vm->park_lock);
}

void vm_vcpu_finish(struct vm *vm, struct vcpu *vcpu, int status)
{
	pthread_mutex_lock(&vm->park_lock);
	vcpu->finished = true;
	vcpu->finish_status = status;
	pthread_mutex_unlock(&vm->park_lock);
}

void vm_vcpu_loop_exit(struct vm *vm, struct vcpu *vcpu)
{
	bool all_done = false;
	int status = 0;

	pthread_mutex_lock(&vm->park_lock);
	vm->live--;
	/* Those waiting at a rendezvous no longer wait for this vCPU. */
	if (vm->rdv_waiting && vm->rdv_waiting >= vm->live)
		rendezvous_release_locked(vm);
	if (vm->live == 0 && !vm->stop_requested) {
		all_done = true;
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			if (vm->vcpus[i]->finish_status && !status)
				status = vm->vcpus[i]->finish_status;
		}
	}
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	(void)vcpu;
	if (all_done)
		vm_request_stop(vm, VM_STOP_GUEST_DONE, status);
}

int vm_exit_status(struct vm *vm)
{
	int status;
	enum vm_stop_reason reason;

	pthread_mutex_lock(&vm->park_lock);
	reason = vm->stop_reason;
	status = vm->stop_status;
	pthread_mutex_unlock(&vm->park_lock);
	switch (reason) {
	case VM_STOP_GUEST_DONE:
	case VM_STOP_GUEST_EXIT:
		return status & 0xff;
	case VM_STOP_GUEST_FAIL:
		return 1;
	case VM_STOP_CRASH:
		return 3;
	case VM_STOP_HOST_ERROR:
		return 4;
	case VM_STOP_SIGNAL:
		return status;
	case VM_STOP_TIMEOUT:
		return 124; /* as timeout(1) */
	case VM_STOP_NONE:
	case VM_STOP_POWEROFF:
	case VM_STOP_RESET:
	case VM_STOP_REQUESTED:
	default:
		return 0;
	}
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

int vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool mmio, bool match,
		 uint64_t datamatch, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 (mmio ? 0 : KVM_IOEVENTFD_FLAG_PIO) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (ioctl(vm->fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	return 0;
}

int vm_signal_msi(struct vm *vm, uint32_t apic_id, uint8_t vector)
{
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | ((apic_id & 0xff) << 12),
		.address_hi = 0,
		.data = vector, /* fixed delivery, edge */
	};

	if (apic_id > 0xff)
		return -EINVAL; /* xAPIC physical destinations only */
	if (ioctl(vm->fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}

int vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd irq = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->fd, KVM_IRQFD, &irq) < 0)
		return -errno;
	return 0;
}

int vm_ioapic_route(struct vm *vm, uint32_t gsi, uint8_t vector, uint8_t dest_apic_id)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (gsi >= KVM_IOAPIC_NUM_PINS)
		return -EINVAL;
	if (ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -errno;
	chip.chip.ioapic.redirtbl[gsi].bits = 0;
	chip.chip.ioapic.redirtbl[gsi].fields.vector = vector;
	chip.chip.ioapic.redirtbl[gsi].fields.dest_id = dest_apic_id;
	if (ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) < 0)
		return -errno;
	return 0;
}

int vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg0 } };

	if (ioctl(vm->fd, KVM_ENABLE_CAP, &c) < 0)
		return -errno;
	return 0;
}
