/*
 * mguest.h - the host side of micro-guests: loads an embedded (or file) ELF image, builds the
 * long-mode environment (page tables, GDT, TSSs, IDT, boot info, per-vCPU areas), starts every
 * vCPU at the entry at CPL 3 (or 0), and serves host calls and exception reports.
 *
 * Threads: mguest_setup on the main thread after vm_create_vcpus; the host-call and exception
 * handlers run on vCPU threads (region lock NULL: `lock` below protects results and output);
 * results are read by the main thread after vm_join.
 */
#ifndef STRAND_CORE_MGUEST_H
#define STRAND_CORE_MGUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest/abi.h"
#include "util/compiler.h"

struct vm;

struct mguest;
struct vcpu;

/* A MEM_ADD/MEM_REMOVE host call, finished after the dispatch (vcpu_defer). */
struct mguest_hotplug {
	struct mguest *g;
	struct vcpu *vcpu;
	uint32_t op;
	uint64_t gpa, size;
	uint64_t call_gpa; /* where to write the result */
};

struct mguest_result {
	unsigned vcpu;
	char name[SG_NAME_MAX];
	char unit[SG_UNIT_MAX];
	double value;	 /* for a result */
	double *samples; /* for samples (ns when the guest sent "tsc") */
	uint64_t nsamples;
	bool is_samples;
};

struct mguest_opts {
	const char *name;     /* for messages */
	const uint8_t *image; /* ELF, 8-byte aligned */
	size_t image_size;
	const char *args; /* "key=value,..." or NULL */
	unsigned cpl;	  /* 0 or 3 */
	bool steal_time;  /* register each vCPU's KVM steal-time record (PV steal time on) */
	const struct sg_numa_info *numa; /* guest NUMA topology for SG_CALL_NUMA (NULL: none) */
	/* Devices to describe in the boot info (their IOAPIC pins are routed to vCPU 0). */
	unsigned ndevices;
	const struct sg_device *devices;
	/* Where guest prints go (NULL: stdout). Called on vCPU threads, serialised by `lock`. */
	void (*print)(void *opaque, const char *s, size_t len);
	void *print_opaque;
};

struct mguest {
	struct vm *vm;
	char name[32];
	unsigned cpl;
	uint64_t tsc_khz;
	void (*print)(void *opaque, const char *s, size_t len);
	void *print_opaque;

	pthread_mutex_t lock;		     /* results, print ordering */
	struct mguest_result *results;	     /* [lock] */
	unsigned nresults, cap_results;	     /* [lock] */
	uint64_t total_samples;		     /* [lock] bounded: the guest controls counts */
	uint64_t hotplug_base, hotplug_size; /* immutable */
	uint64_t percpu_base, percpu_stride; /* immutable: vCPU i's area */
	struct mguest_hotplug *hotplug;	     /* per vCPU: a pending MEM_ADD/REMOVE (vCPU thread) */
	uint64_t hotplugged[64];	     /* [lock] gpa of regions added (0: free slot) */
	uint64_t mem_adds, mem_removes;	     /* [lock] */
	uint64_t hostcalls, bad_hostcalls;   /* atomic */
	struct sg_numa_info *numa;	     /* immutable, NULL: no guest NUMA topology */
};

/* Layout and vCPU state for the image; registers the host-call and exception ports. */
int __must_check mguest_setup(struct vm *vm, const struct mguest_opts *o, struct mguest **out,
			      const char **why);
void mguest_free(struct mguest *g);

/* Look up a result by name (first match, any vCPU); NULL if absent. Main thread after join. */
const struct mguest_result *mguest_find_result(const struct mguest *g, const char *name);

/*
 * The monitor's view of a running micro-guest (main thread; guest memory through the checked
 * accessor, no lock a vCPU needs):
 * mguest_powerdown sets the boot info's power-down request and interrupts every vCPU with
 * SG_VECTOR_POWERDOWN; mguest_progress reads vCPU i's published work count.
 */
int __must_check mguest_powerdown(struct mguest *g);
int __must_check mguest_progress(struct mguest *g, unsigned vcpu, uint64_t *out);

#endif
