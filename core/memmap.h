/*
 * memmap.h - guest RAM: regions (gpa -> hva) registered with KVM and published as an immutable
 * table through a pubptr (RCU, rwlock or mutex: the --threading map knob).
 *
 * Every access the VMM makes to guest memory goes through memmap_hva_rcu(), the one checked
 * accessor: a range is valid only if it lies wholly inside one RAM region, computed without
 * overflow. Anything else (MMIO, holes, wrap-around, read-only for a write) yields NULL.
 *
 * Threads: readers (vCPU threads, iothreads, the main loop) call memmap_read_begin/end around
 * the lookup and every use of the pointer. Writers (main or control thread, or a vCPU thread
 * outside any read section) add and remove regions; writers are serialised inside the pubptr.
 * A removed region is unmapped only after a grace period and after its DMA count drains.
 */
#ifndef STRAND_CORE_MEMMAP_H
#define STRAND_CORE_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/pubptr.h"

#define MEMMAP_F_READONLY (1u << 0) /* guest and VMM writes refused */
#define MEMMAP_F_OWNED	  (1u << 1) /* memmap munmaps hva when the region goes */

struct mem_region {
	gpa_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
	uint32_t flags;
	char name[16];
	uint64_t dma_inflight; /* atomic: device requests holding hva beyond a read section */
};

struct memmap_table {
	unsigned n;
	struct mem_region *r[]; /* sorted by gpa, non-overlapping */
};

struct memmap {
	int vm_fd; /* -1: no KVM (unit tests) */
	unsigned max_slots;
	struct pubptr pub;   /* -> struct memmap_table */
	uint64_t *slot_used; /* bitmap, under pub.update_lock */
	uint64_t ram_bytes;  /* sum of region sizes, under pub.update_lock; read relaxed */
};

enum memmap_access {
	MEMMAP_READ = 0,
	MEMMAP_WRITE = 1,
};

int __must_check memmap_init(struct memmap *m, int vm_fd, unsigned max_slots,
			     enum pubptr_mode mode);
/* Readers may exist from now on (vm_start calls it). */
static inline void memmap_go_live(struct memmap *m)
{
	pubptr_go_live(&m->pub);
}

/* Unmaps owned regions. No reader or writer may be active. */
void memmap_destroy(struct memmap *m);

/*
 * Allocate (MAP_NORESERVE anonymous memory) and add a RAM region of `size` bytes at `gpa`.
 * Returns -EINVAL (unaligned, zero, overflow), -EEXIST (overlap), -ENOSPC (no slot), -ENOMEM.
 */
int __must_check memmap_add_ram(struct memmap *m, gpa_t gpa, uint64_t size, const char *name,
				unsigned flags, struct mem_region **out);
/* Add caller-provided memory (not owned unless MEMMAP_F_OWNED). */
int __must_check memmap_add(struct memmap *m, gpa_t gpa, uint64_t size, void *hva, const char *name,
			    unsigned flags, struct mem_region **out);
/*
 * Remove the region starting at gpa: KVM forgets it, readers stop finding it, and the memory is
 * unmapped after a grace period and once no DMA holds it. Must not be called in a read section.
 */
int __must_check memmap_remove(struct memmap *m, gpa_t gpa);

static inline const struct memmap_table *memmap_read_begin(struct memmap *m)
{
	return pubptr_read_begin(&m->pub);
}

static inline void memmap_read_end(struct memmap *m)
{
	pubptr_read_end(&m->pub);
}

/* The region containing gpa, or NULL. In a read section. */
const struct mem_region *memmap_find_rcu(const struct memmap_table *t, gpa_t gpa);
/* Host pointer for [gpa, gpa+len) if wholly inside one region (and writable for WRITE). */
void *memmap_hva_rcu(const struct memmap_table *t, gpa_t gpa, uint64_t len,
		     enum memmap_access access);

/* Copy helpers with their own read section; -EFAULT if the range is not guest RAM. */
int __must_check memmap_read(struct memmap *m, gpa_t gpa, void *buf, uint64_t len);
int __must_check memmap_write(struct memmap *m, gpa_t gpa, const void *buf, uint64_t len);
/*
 * One naturally aligned guest word that the guest and several host threads share while the
 * guest runs (flags, counters): an atomic load (acquire) or store (release) on the host side.
 * -EINVAL if gpa is not 8-byte aligned, -EFAULT if it is not guest RAM.
 */
int __must_check memmap_load_u64(struct memmap *m, gpa_t gpa, uint64_t *out);
int __must_check memmap_store_u64(struct memmap *m, gpa_t gpa, uint64_t v);
/* Read a NUL-terminated string of at most max-1 bytes into buf; -EFAULT, -ENAMETOOLONG. */
int __must_check memmap_read_str(struct memmap *m, gpa_t gpa, char *buf, uint64_t max);

/* Highest gpa+size of any region (0 if none). */
gpa_t memmap_top(struct memmap *m);

#endif
