/*
 * addrspace.h - a PIO or MMIO address space: non-overlapping ranges dispatched to handlers.
 *
 * The range table is immutable and published through a pubptr (RCU, rwlock or mutex, the
 * --threading map knob); the read section covers the lookup and the handler call, so a handler
 * never runs after as_unregister() returns. Each region names the lock taken around its
 * handler: the VM's big lock, the device's own lock, or NULL for handlers that synchronise
 * themselves (lock-free read-mostly registers, the host-call port).
 *
 * Handlers see the offset from the region base and an access size the region declared valid.
 * Unassigned addresses read all-ones and drop writes; accesses of an invalid size or crossing
 * the region end are treated the same way. Both are counted (guest mistakes, never fatal).
 *
 * Threads: as_dispatch from any registered thread (vCPU threads, iothreads). Register,
 * unregister and move from any thread outside a read section of the same address space.
 * Lock order: address-space read section -> region lock -> memmap read section.
 */
#ifndef STRAND_CORE_ADDRSPACE_H
#define STRAND_CORE_ADDRSPACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/pubptr.h"

struct vcpu;

struct as_ops {
	/* vcpu is the exiting vCPU, or NULL when dispatched from another thread. */
	uint64_t (*read)(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size);
	void (*write)(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value,
		      unsigned size);
	/* Valid access sizes, each a power of two in 1..8; both 0 means any of 1, 2, 4, 8. */
	uint8_t min_access, max_access;
};

struct as_region {
	uint64_t base;
	uint64_t size;
	const struct as_ops *ops;
	void *opaque;
	pthread_mutex_t *lock;
	char name[24];
};

struct as_table {
	unsigned n;
	struct as_region r[]; /* sorted by base */
};

struct addr_space {
	char name[8];	   /* "pio" or "mmio" */
	uint64_t limit;	   /* highest valid address + 1 (0x10000 for PIO) */
	struct pubptr pub; /* -> struct as_table */
	/* Counters, atomic (relaxed). */
	uint64_t unassigned_reads, unassigned_writes, bad_access;
};

int __must_check as_init(struct addr_space *as, const char *name, uint64_t limit,
			 enum pubptr_mode mode);
void as_destroy(struct addr_space *as);

/* -EINVAL (empty, overflow, beyond limit), -EEXIST (overlap), -ENOMEM. */
int __must_check as_register(struct addr_space *as, uint64_t base, uint64_t size,
			     const struct as_ops *ops, void *opaque, pthread_mutex_t *lock,
			     const char *name);
/* After return no handler of the region runs or will run. -ENOENT if no region at base. */
int __must_check as_unregister(struct addr_space *as, uint64_t base);
/*
 * The same without waiting for readers: lookups stop finding the region at once, but in RCU
 * mode a handler already looked up may still run for a while, so ops and opaque must stay valid
 * until as_destroy (a device that lives as long as the VM). The old table is freed after a
 * grace period by liburcu's call_rcu thread, so a burst of updates shares grace periods instead
 * of stopping every vCPU (membarrier) once per update.
 */
int __must_check as_unregister_nowait(struct addr_space *as, uint64_t base);
/* Move the region at old_base to new_base atomically for readers. -ENOENT, -EEXIST, -EINVAL. */
int __must_check as_move(struct addr_space *as, uint64_t old_base, uint64_t new_base);

/* Lookup in a table (for tests and for callers already in a read section). */
const struct as_region *as_find_rcu(const struct as_table *t, uint64_t addr);

/*
 * Dispatch an access of len bytes (1, 2, 4 or 8) at addr. data holds the value to write, or
 * receives the value read (little endian). Returns true if a handler took it, false if the
 * access was unassigned or invalid (data then reads all-ones).
 */
bool as_dispatch(struct addr_space *as, struct vcpu *vcpu, uint64_t addr, void *data, unsigned len,
		 bool is_write);

#endif
