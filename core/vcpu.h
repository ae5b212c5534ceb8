/*
 * vcpu.h - one vCPU: its KVM fd and run page, its thread (named vcpuN), and register helpers.
 *
 * Owner: the vCPU thread runs KVM_RUN and owns `run` and the register state while it runs.
 * Other threads touch a vCPU only through vm.h (park bits, stop) and read its stats (relaxed
 * atomics). Register helpers are called by the loader before vm_start, or on the vCPU thread.
 */
#ifndef STRAND_CORE_VCPU_H
#define STRAND_CORE_VCPU_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/exit.h"
#include "core/kvmstats.h"
#include "sched/thread.h"
#include "util/compiler.h"

struct vm;

struct vcpu_stats {
	/* Written by the vCPU thread (relaxed atomics), read by anyone. */
	uint64_t exits[EXIT_KIND_COUNT];
	uint64_t io_unassigned, mmio_unassigned;
	uint64_t assists; /* instructions completed for KVM (PVM hosts) */
	/* The thread's own accounting, recorded by it when it leaves its run loop. */
	uint64_t run_ns, delay_ns, timeslices; /* /proc/thread-self/schedstat */
	uint64_t voluntary_cs, involuntary_cs; /* context switches */
};

struct vcpu {
	struct vm *vm;	     /* immutable */
	unsigned index;	     /* immutable: 0..n-1 */
	uint32_t apic_id;    /* immutable */
	int fd;		     /* immutable */
	struct kvm_run *run; /* vCPU thread */
	size_t run_size;
	struct thread thread;

	uint32_t park_mask; /* [vm->park_lock] */
	bool parked;	    /* [vm->park_lock] */
	bool finished;	    /* [vm->park_lock] left the run loop */
	int finish_status;  /* [vm->park_lock] */
	/*
	 * A gate word another process parks this vCPU through (util/gateword.h; in the shared
	 * file of monitor/vcpu_gate.h), NULL without one. Set by the builder before vm_start;
	 * read by the vCPU thread; vm_request_stop sets its STOP bit.
	 */
	uint32_t *ext_gate;

	struct vcpu_stats stats;
	uint64_t tsc_khz; /* immutable after create (0 if unknown) */
	/* vCPU thread only: work a handler left for after its dispatch (see vcpu_defer). */
	void (*deferred_fn)(void *arg);
	void *deferred_arg;
	void *guest;		 /* loader's per-vCPU data; owned by the loader */
	struct kvm_stats kstats; /* KVM's binary stats for this vCPU (fd -1 if none) */
};

int __must_check vcpu_create(struct vm *vm, unsigned index, uint32_t apic_id, struct vcpu **out);
void vcpu_destroy(struct vcpu *vcpu);

int __must_check vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
int __must_check vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);
int __must_check vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int __must_check vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs);
int __must_check vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
int __must_check vcpu_set_mp_state(struct vcpu *vcpu, uint32_t state);
int __must_check vcpu_get_lapic(struct vcpu *vcpu, struct kvm_lapic_state *lapic);
int __must_check vcpu_set_lapic(struct vcpu *vcpu, const struct kvm_lapic_state *lapic);

/*
 * Set MSRs, tolerating ones this KVM refuses (KVM_SET_MSRS stops at the first failure: the
 * refused index is logged at debug level and skipped). Returns the number refused, or -errno.
 */
int vcpu_set_msrs_tolerant(struct vcpu *vcpu, const struct kvm_msr_entry *e, unsigned n);

/* Guest-virtual to guest-physical with KVM_TRANSLATE; -EFAULT if unmapped. vCPU thread. */
int __must_check vcpu_translate(struct vcpu *vcpu, uint64_t gva, uint64_t *gpa);
/* MXCSR (through KVM_GET/SET_XSAVE, else KVM_GET/SET_FPU). 0 or -errno. */
#define VCPU_MXCSR_RESET 0x1f80u
int __must_check vcpu_get_mxcsr(struct vcpu *vcpu, uint32_t *mxcsr);
int __must_check vcpu_set_mxcsr(struct vcpu *vcpu, uint32_t mxcsr);

/* Registers, segments, control registers and code bytes at RIP, for crash reports. */
void vcpu_dump(struct vcpu *vcpu, FILE *f);

/* The vCPU thread's main function (started by vm_start). */
void *vcpu_thread_main(void *arg);

/*
 * From an exit handler: run fn(arg) on this vCPU thread once the dispatch has returned, i.e.
 * outside every address-space read section and device lock, before the guest resumes. This
 * is how a guest-requested map change (moving a device window, adding or removing RAM) is
 * made: a writer must never run inside a read section of the map it changes. One per exit;
 * returns -EBUSY if one is already pending.
 */
int vcpu_defer(struct vcpu *vcpu, void (*fn)(void *arg), void *arg);

/* The vCPU the calling thread runs, or NULL. */
struct vcpu *vcpu_current(void);

/* Internal to core/: vm_start installs the kick handler; the loop reports its exit to vm.c. */
void vcpu_install_kick_handler(void);
void vm_vcpu_loop_exit(struct vm *vm, struct vcpu *vcpu);

#endif
