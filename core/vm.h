/*
 * vm.h - one virtual machine: the KVM VM, guest RAM, PIO/MMIO address spaces, the big lock,
 * its vCPUs and their run state (running, parked, stopped).
 *
 * Lifecycle (main thread): vm_create -> memory and devices -> vm_create_vcpus -> guest loader
 * sets vCPU state -> vm_start -> (run the main loop until vm->stop_fd fires) -> vm_join ->
 * vm_destroy.
 *
 * Run state is a small monitor: park_lock protects every field marked [P]. A vCPU parks at the
 * top of its run loop whenever its park_mask is non-zero (VM paused, waiting at a rendezvous,
 * gated by a scheduling strategy) and leaves when the mask clears or the VM stops. vm_pause
 * waits until every live vCPU is parked; a vCPU blocked at a rendezvous counts as parked, so
 * pause never deadlocks with a rendezvous.
 * Lock order: park_lock is a leaf (never held while taking another lock or calling KVM).
 */
#ifndef STRAND_CORE_VM_H
#define STRAND_CORE_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/addrspace.h"
#include "core/cpuid.h"
#include "core/kvm.h"
#include "core/memmap.h"
#include "util/compiler.h"
#include "util/pubptr.h"

struct vcpu;
struct exit_info;

/* Why the VM stopped. The first request wins. */
enum vm_stop_reason {
	VM_STOP_NONE = 0,
	VM_STOP_GUEST_DONE, /* micro-guest: every vCPU reported done */
	VM_STOP_GUEST_EXIT, /* micro-guest asked to end the VM with a status */
	VM_STOP_GUEST_FAIL, /* micro-guest assertion failed */
	VM_STOP_POWEROFF,   /* ACPI poweroff / system event */
	VM_STOP_RESET,	    /* i8042 reset, triple fault is CRASH */
	VM_STOP_CRASH,	    /* guest exception (micro-guest), triple fault, emulation failure */
	VM_STOP_HOST_ERROR, /* a KVM call failed */
	VM_STOP_SIGNAL,	    /* the user interrupted strand */
	VM_STOP_REQUESTED,  /* stopped through the API (tests, control) */
	VM_STOP_TIMEOUT,    /* --timeout expired */
};

const char *vm_stop_reason_name(enum vm_stop_reason r);

/* vCPU park reasons (bits of vcpu->park_mask). */
#define VCPU_PARK_PAUSE	     (1u << 0)
#define VCPU_PARK_RENDEZVOUS (1u << 1)
#define VCPU_PARK_SCHED	     (1u << 2)
#define VCPU_PARK_START	     (1u << 3) /* vm_start: until every vCPU thread exists */
#define VCPU_PARK_EXTERNAL   (1u << 4) /* a strategy in another process (strandd, by QMP) */

struct vm_opts {
	enum pubptr_mode map_mode; /* RAM map and dispatch tables */
	bool create_pit;	   /* in-kernel i8254 */
	unsigned max_memslots;	   /* 0: what KVM reports */
};

/* Hooks a guest loader or device may install (main thread, before vm_start). */
struct vm_hooks {
	/*
	 * KVM could not emulate an instruction (KVM_EXIT_INTERNAL_ERROR). Return true if the
	 * hook completed it (the vCPU resumes); false stops the VM with a dump. vCPU thread.
	 */
	bool (*internal_error)(void *opaque, struct vcpu *vcpu, const struct exit_info *exit);
	void *opaque;
};

struct vm {
	/* Immutable after vm_create / vm_create_vcpus. */
	struct kvm_sys *kvm;
	int fd;
	unsigned nr_vcpus;
	struct vcpu **vcpus;
	struct cpu_topology topo;
	struct vm_hooks hooks;
	bool create_pit;
	char thread_prefix
		[8]; /* "" or e.g. "vm1." before thread names (several VMs, one process) */
	int stop_fd; /* eventfd, readable once a stop was requested (main loop watches it) */

	struct memmap mem;     /* own protection, see memmap.h */
	struct addr_space pio; /* own protection, see addrspace.h */
	struct addr_space mmio;
	pthread_mutex_t big_lock; /* the BQL, for devices under the big-lock model */

	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;	 /* [P] any park-state change; broadcast */
	bool paused;			 /* [P] */
	unsigned parked;		 /* [P] vCPUs parked now */
	unsigned live;			 /* [P] vCPU threads still in their run loop */
	unsigned rdv_waiting;		 /* [P] vCPUs at the current rendezvous */
	uint64_t rdv_generation;	 /* [P] */
	bool stop_requested;		 /* [P]; also read relaxed by vCPU loops */
	enum vm_stop_reason stop_reason; /* [P] */
	int stop_status;		 /* [P] exit status for strand */
	bool started;
};

int __must_check vm_create(struct kvm_sys *kvm, const struct vm_opts *opts, struct vm **out);
void vm_destroy(struct vm *vm);

/*
 * Create the in-kernel irqchip (and PIT), then n vCPUs with topology t (NULL: default) and
 * CPUID options. Add the guest's RAM before this call: it is much cheaper (see vm.c).
 */
int __must_check vm_create_vcpus(struct vm *vm, unsigned n, const struct cpu_topology *t,
				 const struct cpuid_opts *copts);

/* Start every vCPU thread; placement[i] may be NULL. */
struct thread_placement;
int __must_check vm_start(struct vm *vm, const struct thread_placement *const *placement);

/* Ask the VM to stop; first reason wins. Any thread (not a signal handler). */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);
bool vm_stopping(struct vm *vm);
/* Stop every vCPU thread (requests a stop if none was) and join them. Main thread. */
void vm_join(struct vm *vm);

/* Park all vCPUs and wait until they are parked; resume releases them. Main/control thread. */
int __must_check vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* Mark the VM paused without waiting (before vm_start: its vCPUs park on their first loop). */
void vm_pause_nowait(struct vm *vm);
/* Whether the VM is paused (vm_pause or vm_pause_nowait, not yet resumed). Any thread. */
bool vm_is_paused(struct vm *vm);

/* Park bits on one vCPU (strategies, rendezvous). set kicks it out of KVM_RUN. */
void vm_vcpu_park_set(struct vm *vm, struct vcpu *vcpu, uint32_t bits);
void vm_vcpu_park_clear(struct vm *vm, struct vcpu *vcpu, uint32_t bits);

/*
 * Rendezvous of all live vCPUs, called on a vCPU thread from an exit handler: parks the caller
 * (at the top of its loop) until every live vCPU has arrived. The last one releases all.
 */
void vm_rendezvous(struct vm *vm, struct vcpu *vcpu);

/*
 * A vCPU finished (micro-guest "done"): its thread leaves the run loop. When the last live
 * vCPU finishes, the VM stops with VM_STOP_GUEST_DONE and the worst status seen.
 */
void vm_vcpu_finish(struct vm *vm, struct vcpu *vcpu, int status);

/* Exit status strand should return for the stop. */
int vm_exit_status(struct vm *vm);

/* Raise (level 1) or lower (0) interrupt line gsi on the in-kernel irqchip. Any thread. */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);

/*
 * KVM ioeventfd: a guest write of `len` bytes (with value `datamatch` if match) at addr
 * (MMIO or PIO) signals fd without an exit to userspace. assign=false removes it.
 */
int __must_check vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool mmio,
			      bool match, uint64_t datamatch, bool assign);
/*
 * Program the in-kernel IOAPIC: gsi delivers `vector` (fixed, physical, edge, active high) to
 * the APIC `dest_apic_id`. For guests without their own IOAPIC driver (micro-guests).
 */
int __must_check vm_ioapic_route(struct vm *vm, uint32_t gsi, uint8_t vector, uint8_t dest_apic_id);

/* KVM_ENABLE_CAP on the VM with one argument (halt polling, exit disabling). */
int __must_check vm_enable_cap(struct vm *vm, uint32_t cap, uint64_t arg0);

/* Deliver `vector` (fixed, physical destination) to the local APIC apic_id with KVM_SIGNAL_MSI. */
int __must_check vm_signal_msi(struct vm *vm, uint32_t apic_id, uint8_t vector);

/* KVM irqfd: writing fd raises gsi (edge). assign=false removes it. */
int __must_check vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign);

#endif
