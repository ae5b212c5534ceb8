/*
 * vcpu.c - vCPU creation, register helpers, crash dumps and the run loop.
 * The run loop runs on the vCPU's own thread; helpers are called by the loader before start.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vcpu.h"
#include "core/vm.h"
#include "util/gateword.h"
#include "util/log.h"

static __thread struct vcpu *tls_vcpu;

struct vcpu *vcpu_current(void)
{
	return tls_vcpu;
}

int vcpu_create(struct vm *vm, unsigned index, uint32_t apic_id, struct vcpu **out)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int ret;

	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->apic_id = apic_id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)apic_id);
	if (vcpu->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	vcpu->run_size = (size_t)vm->kvm->vcpu_mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	ret = vcpu_set_mxcsr(vcpu, VCPU_MXCSR_RESET);
	if (ret)
		log_debug("vcpu%u: cannot set MXCSR: %s", index, strerror(-ret));
	if (!vm->kvm->has_binary_stats || kvm_stats_open(&vcpu->kstats, vcpu->fd))
		vcpu->kstats.fd = -1;
	if (vm->kvm->has_tsc_khz) {
		int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

		vcpu->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	}
	*out = vcpu;
	return 0;
err_close:
	close(vcpu->fd);
err_free:
	free(vcpu);
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->kstats.fd >= 0)
		kvm_stats_close(&vcpu->kstats);
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

#define VCPU_IOCTL(vcpu, req, arg) (ioctl((vcpu)->fd, (req), (arg)) < 0 ? -errno : 0)

int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	return VCPU_IOCTL(vcpu, KVM_GET_REGS, regs);
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	return VCPU_IOCTL(vcpu, KVM_SET_REGS, regs);
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	return VCPU_IOCTL(vcpu, KVM_GET_SREGS, sregs);
}

int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return VCPU_IOCTL(vcpu, KVM_SET_SREGS, sregs);
}

int vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	return VCPU_IOCTL(vcpu, KVM_SET_CPUID2, cpuid);
}

int vcpu_set_mp_state(struct vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return VCPU_IOCTL(vcpu, KVM_SET_MP_STATE, &mp);
}

int vcpu_get_lapic(struct vcpu *vcpu, struct kvm_lapic_state *lapic)
{
	return VCPU_IOCTL(vcpu, KVM_GET_LAPIC, lapic);
}

int vcpu_set_lapic(struct vcpu *vcpu, const struct kvm_lapic_state *lapic)
{
	return VCPU_IOCTL(vcpu, KVM_SET_LAPIC, lapic);
}

int vcpu_set_msrs_tolerant(struct vcpu *vcpu, const struct kvm_msr_entry *e, unsigned n)
{
	/* struct kvm_msrs ends in a flexible array: room for 32 entries after it. */
	uint64_t raw[(sizeof(struct kvm_msrs) + 32 * sizeof(struct kvm_msr_entry)) / 8];
	struct kvm_msrs *msrs = (struct kvm_msrs *)raw;
	unsigned done = 0;
	int refused = 0;

	while (done < n) {
		unsigned chunk = MIN(n - done, 32u);
		int r;

		memset(msrs, 0, sizeof(*msrs));
		msrs->nmsrs = chunk;
		memcpy(msrs->entries, e + done, chunk * sizeof(*e));
		r = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
		if (r < 0)
			return -errno;
		done += (unsigned)r;
		if ((unsigned)r < chunk) {
			/* KVM stops at the first MSR it refuses (seen on PVM: 0x10a). Skip it. */
			log_debug("vcpu%u: KVM refused MSR 0x%x; continuing without it",
				  vcpu->index, e[done].index);
			refused++;
			done++;
		}
	}
	return refused;
}

/*
 * MXCSR lives at byte 24 of the FXSAVE/XSAVE legacy area. KVM_GET/SET_XSAVE are used when KVM
 * has them: on PVM hosts KVM_GET_FPU reports MXCSR as 0 whatever it is.
 */
#define XSAVE_MXCSR_WORD     6
#define XSAVE_XSTATE_BV_WORD 128 /* the XSAVE header at byte 512 */
#define XSAVE_BV_SSE	     (1u << 1)

int vcpu_get_mxcsr(struct vcpu *vcpu, uint32_t *mxcsr)
{
	struct kvm_xsave *x = malloc(sizeof(*x));
	struct kvm_fpu fpu;
	int ret = 0;

	if (x && ioctl(vcpu->fd, KVM_GET_XSAVE, x) == 0)
		*mxcsr = x->region[XSAVE_MXCSR_WORD];
	else if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) == 0)
		*mxcsr = fpu.mxcsr;
	else
		ret = -errno;
	free(x);
	return ret;
}

int vcpu_set_mxcsr(struct vcpu *vcpu, uint32_t mxcsr)
{
	struct kvm_xsave *x = malloc(sizeof(*x));
	struct kvm_fpu fpu;
	int ret = 0;

	if (x && ioctl(vcpu->fd, KVM_GET_XSAVE, x) == 0) {
		/*
		 * KVM takes MXCSR from the buffer only when the header's XSTATE_BV has FP, SSE
		 * or AVX; SSE it is (the XMM registers in the buffer are the current ones, or
		 * their init state, zeros, when the bit was clear).
		 */
		x->region[XSAVE_MXCSR_WORD] = mxcsr;
		x->region[XSAVE_XSTATE_BV_WORD] |= XSAVE_BV_SSE;
		if (ioctl(vcpu->fd, KVM_SET_XSAVE, x) < 0)
			ret = -errno;
	} else if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) == 0) {
		fpu.mxcsr = mxcsr;
		if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
			ret = -errno;
	} else {
		ret = -errno;
	}
	free(x);
	return ret;
}

int vcpu_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation tr = { .linear_address = gva };

	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0)
		return -errno;
	if (!tr.valid)
		return -EFAULT;
	*gpa = tr.physical_address;
	return 0;
}

static void dump_seg(FILE *f, const char *name, const struct kvm_segment *s)
{
	fprintf(f, "  %-3s sel %04x base %016llx limit %08x type %x dpl %u %s%s%s%s\n", name,
		s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl,
		s->present ? "P " : "", s->l ? "L " : "", s->db ? "DB " : "",
		s->unusable ? "unusable" : "");
}

void vcpu_dump(struct vcpu *vcpu, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t gpa = 0;
	uint8_t code[16];

	fprintf(f, "vcpu%u (APIC id %u) state:\n", vcpu->index, vcpu->apic_id);
	if (vcpu_get_regs(vcpu, &r) == 0) {
		fprintf(f,
			"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
			"  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
			"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
			"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
			"  rip %016llx rflags %08llx\n",
			r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10,
			r.r11, r.r12, r.r13, r.r14, r.r15, r.rip, r.rflags);
	} else {
		fprintf(f, "  (registers unavailable)\n");
		return;
	}
	if (vcpu_get_sregs(vcpu, &s) == 0) {
		dump_seg(f, "cs", &s.cs);
		dump_seg(f, "ss", &s.ss);
		dump_seg(f, "ds", &s.ds);
		dump_seg(f, "tr", &s.tr);
		fprintf(f,
			"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n"
			"  efer %016llx apic_base %016llx gdt %016llx/%x idt %016llx/%x\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.apic_base, s.gdt.base, s.gdt.limit,
			s.idt.base, s.idt.limit);
	}
	if (vcpu_translate(vcpu, r.rip, &gpa) == 0 &&
	    memmap_read(&vcpu->vm->mem, gpa, code, sizeof(code)) == 0) {
		fprintf(f, "  code at rip (gpa %llx):", (unsigned long long)gpa);
		for (unsigned i = 0; i < sizeof(code); i++)
			fprintf(f, " %02x", code[i]);
		fprintf(f, "\n");
	} else {
		fprintf(f, "  code at rip: not in guest RAM\n");
	}
}

int vcpu_defer(struct vcpu *vcpu, void (*fn)(void *arg), void *arg)
{
	if (vcpu->deferred_fn)
		return -EBUSY;
	vcpu->deferred_fn = fn;
	vcpu->deferred_arg = arg;
	return 0;
}

static void vcpu_run_deferred(struct vcpu *vcpu)
{
	void (*fn)(void *) = vcpu->deferred_fn;

	if (!fn)
		return;
	vcpu->deferred_fn = NULL;
	fn(vcpu->deferred_arg);
}

static void vcpu_kick_handler(int sig)
{
	struct vcpu *v = tls_vcpu;

	(void)sig;
	if (v)
		v->run->immediate_exit = 1;
}

void vcpu_install_kick_handler(void)
{
	thread_install_kick_handler(vcpu_kick_handler);
}

static void handle_io(struct vcpu *vcpu, const struct exit_info *x)
{
	struct vm *vm = vcpu->vm;

	for (uint32_t i = 0; i < x->io.count; i++) {
		uint8_t *data = x->io.data + (size_t)i * x->io.size;

		if (!as_dispatch(&vm->pio, vcpu, x->io.port, data, x->io.size, x->io.write))
			stat_inc(&vcpu->stats.io_unassigned);
	}
}

static void crash(struct vcpu *vcpu, const char *what)
{
	log_error("vcpu%u: %s; stopping the VM", vcpu->index, what);
	vcpu_dump(vcpu, stderr);
	vm_request_stop(vcpu->vm, VM_STOP_CRASH, 3);
}

static void handle_internal_error(struct vcpu *vcpu, const struct exit_info *x)
{
	struct vm *vm = vcpu->vm;
	char what[160];
	int n;

	if (vm->hooks.internal_error && vm->hooks.internal_error(vm->hooks.opaque, vcpu, x))
		return;
	n = snprintf(what, sizeof(what), "KVM internal error, suberror %u%s", x->internal.suberror,
		     x->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" :
									    "");
	for (uint32_t i = 0; i < x->internal.ndata && i < 4 && n < (int)sizeof(what) - 20; i++)
		n += snprintf(what + n, sizeof(what) - (size_t)n, " %llx",
			      (unsigned long long)x->internal.data[i]);
	crash(vcpu, what);
}

static void vcpu_handle_exit(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct exit_info x;
	char what[96];

	exit_decode(vcpu->run, vcpu->run_size, &x);
	stat_inc(&vcpu->stats.exits[x.kind]);
	switch (x.kind) {
	case EXIT_IO:
		handle_io(vcpu, &x);
		break;
	case EXIT_MMIO:
		if (!as_dispatch(&vm->mmio, vcpu, x.mmio.addr, x.mmio.data, x.mmio.len,
				 x.mmio.write))
			stat_inc(&vcpu->stats.mmio_unassigned);
		break;
	case EXIT_INTR:
	case EXIT_IRQ_WINDOW:
		break;
	case EXIT_SHUTDOWN:
		crash(vcpu, "guest triple fault (KVM_EXIT_SHUTDOWN)");
		break;
	case EXIT_SYSTEM_EVENT:
		if (x.system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_stop(vm, VM_STOP_RESET, 0);
		else if (x.system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_request_stop(vm, VM_STOP_POWEROFF, 0);
		else
			crash(vcpu, "guest crash system event");
		break;
	case EXIT_INTERNAL_ERROR:
		handle_internal_error(vcpu, &x);
		break;
	case EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed, hardware reason 0x%llx",
			 (unsigned long long)x.fail_entry.hw_reason);
		crash(vcpu, what);
		break;
	case EXIT_MALFORMED:
		log_error("vcpu%u: malformed exit (reason %u) from KVM", vcpu->index, x.reason);
		vm_request_stop(vm, VM_STOP_HOST_ERROR, 4);
		break;
	case EXIT_HLT:
	case EXIT_DEBUG:
	case EXIT_UNKNOWN:
	default:
		snprintf(what, sizeof(what), "unexpected exit %s (reason %u)",
			 exit_kind_name(x.kind), x.reason);
		crash(vcpu, what);
		break;
	}
}

static bool ext_parked(const struct vcpu *vcpu)
{
	return vcpu->ext_gate && gateword_parked(vcpu->ext_gate);
}

/*
 * Park while the park mask is set or another process's gate word parks this vCPU; false when
 * the loop must end (stop or finish). Parked either way, the vCPU counts in vm->parked (so a
 * pause completes); on the mask it waits on park_cond, on the gate word on the word's futex
 * (the other process cannot signal our condvar), with park_lock dropped.
 */
static bool vcpu_wait_runnable(struct vm *vm, struct vcpu *vcpu)
{
	bool run;

	if (likely(!__atomic_load_n(&vcpu->park_mask, __ATOMIC_ACQUIRE) &&
		   !__atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE) && !vcpu->finished &&
		   !ext_parked(vcpu)))
		return true;
	pthread_mutex_lock(&vm->park_lock);
	while (!vm->stop_requested && !vcpu->finished && (vcpu->park_mask || ext_parked(vcpu))) {
		if (!vcpu->parked) {
			vcpu->parked = true;
			vm->parked++;
			pthread_cond_broadcast(&vm->park_cond);
		}
		if (vcpu->park_mask) {
			pthread_cond_wait(&vm->park_cond, &vm->park_lock);
			continue;
		}
		/* A stop after the check above sets the word's STOP bit first: no lost wake. */
		pthread_mutex_unlock(&vm->park_lock);
		gateword_wait(vcpu->ext_gate);
		pthread_mutex_lock(&vm->park_lock);
	}
	if (vcpu->parked) {
		vcpu->parked = false;
		vm->parked--;
	}
	run = !vm->stop_requested && !vcpu->finished;
	pthread_mutex_unlock(&vm->park_lock);
	return run;
}

/* Before the thread goes (its /proc entry with it): what the host scheduler gave it. */
static void record_accounting(struct vcpu *vcpu)
{
	char buf[4096];
	unsigned long long a, b, c;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");

	if (f) {
		if (fscanf(f, "%llu %llu %llu", &a, &b, &c) == 3) {
			vcpu->stats.run_ns = a;
			vcpu->stats.delay_ns = b;
			vcpu->stats.timeslices = c;
		}
		fclose(f);
	}
	f = fopen("/proc/thread-self/status", "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "voluntary_ctxt_switches: %llu", &a) == 1)
			vcpu->stats.voluntary_cs = a;
		else if (sscanf(buf, "nonvoluntary_ctxt_switches: %llu", &a) == 1)
			vcpu->stats.involuntary_cs = a;
	}
	fclose(f);
}

void *vcpu_thread_main(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;

	tls_vcpu = vcpu;
	while (vcpu_wait_runnable(vm, vcpu)) {
		int r = ioctl(vcpu->fd, KVM_RUN, 0);

		vcpu->run->immediate_exit = 0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				stat_inc(&vcpu->stats.exits[EXIT_INTR]);
				continue;
			}
			log_error("vcpu%u: KVM_RUN failed: %s", vcpu->index, strerror(errno));
			vm_request_stop(vm, VM_STOP_HOST_ERROR, 4);
			break;
		}
		vcpu_handle_exit(vcpu);
		vcpu_run_deferred(vcpu);
	}
	record_accounting(vcpu);
	vm_vcpu_loop_exit(vm, vcpu);
	tls_vcpu = NULL;
	return NULL;
}
