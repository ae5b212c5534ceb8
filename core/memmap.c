/* memmap.c - guest RAM regions and the checked gpa -> hva accessor. See memmap.h for threads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "core/memmap.h"
#include "util/log.h"
#include "util/rcu.h"
#include "util/clock.h"

static void table_free(void *p)
{
	free(p);
}

static struct memmap_table *table_alloc(unsigned n)
{
	return calloc(1, sizeof(struct memmap_table) + n * sizeof(struct mem_region *));
}

int memmap_init(struct memmap *m, int vm_fd, unsigned max_slots, enum pubptr_mode mode)
{
	struct memmap_table *t = table_alloc(0);

	memset(m, 0, sizeof(*m));
	if (!t)
		return -ENOMEM;
	m->vm_fd = vm_fd;
	m->max_slots = max_slots ? max_slots : 32;
	m->slot_used = calloc((m->max_slots + 63) / 64, sizeof(uint64_t));
	if (!m->slot_used) {
		free(t);
		return -ENOMEM;
	}
	pubptr_init(&m->pub, mode, t, table_free);
	return 0;
}

static void region_free(void *p)
{
	struct mem_region *r = p;

	if (r->flags & MEMMAP_F_OWNED)
		munmap(r->hva, r->size);
	free(r);
}

void memmap_destroy(struct memmap *m)
{
	struct memmap_table *t = m->pub.cur;

	if (!m->slot_used)
		return;
	for (unsigned i = 0; t && i < t->n; i++)
		region_free(t->r[i]);
	pubptr_destroy(&m->pub);
	free(m->slot_used);
	m->slot_used = NULL;
}

static int kvm_set_slot(struct memmap *m, const struct mem_region *r, bool remove)
{
	struct kvm_userspace_memory_region kr = {
		.slot = r->slot,
		.flags = (r->flags & MEMMAP_F_READONLY) ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = r->gpa,
		.memory_size = remove ? 0 : r->size,
		.userspace_addr = (uint64_t)(uintptr_t)r->hva,
	};

	if (m->vm_fd < 0)
		return 0;
	if (ioctl(m->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
		return -errno;
	return 0;
}

static int slot_alloc(struct memmap *m)
{
	for (unsigned i = 0; i < m->max_slots; i++) {
		if (!(m->slot_used[i / 64] & (1ULL << (i % 64)))) {
			m->slot_used[i / 64] |= 1ULL << (i % 64);
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void slot_release(struct memmap *m, uint32_t slot)
{
	m->slot_used[slot / 64] &= ~(1ULL << (slot % 64));
}

int memmap_add(struct memmap *m, gpa_t gpa, uint64_t size, void *hva, const char *name,
	       unsigned flags, struct mem_region **out)
{
	const struct memmap_table *cur;
	struct memmap_table *next;
	struct mem_region *r;
	unsigned pos = 0;
	int slot, ret;

	if (size == 0 || !IS_ALIGNED(gpa, 4096) || !IS_ALIGNED(size, 4096) || gpa + size < gpa ||
	    !IS_ALIGNED((uintptr_t)hva, 4096))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	r->flags = flags;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "ram");

	cur = pubptr_update_begin(&m->pub);
	for (pos = 0; pos < cur->n; pos++) {
		const struct mem_region *o = cur->r[pos];

		if (gpa < o->gpa + o->size && o->gpa < gpa + size) {
			ret = -EEXIST;
			goto err_abort;
		}
		if (o->gpa > gpa)
			break;
	}
	slot = slot_alloc(m);
	if (slot < 0) {
		ret = slot;
		goto err_abort;
	}
	r->slot = (uint32_t)slot;
	next = table_alloc(cur->n + 1);
	if (!next) {
		ret = -ENOMEM;
		goto err_slot;
	}
	ret = kvm_set_slot(m, r, false);
	if (ret)
		goto err_table;
	memcpy(next->r, cur->r, pos * sizeof(next->r[0]));
	next->r[pos] = r;
	memcpy(next->r + pos + 1, cur->r + pos, (cur->n - pos) * sizeof(next->r[0]));
	next->n = cur->n + 1;
	__atomic_store_n(&m->ram_bytes, m->ram_bytes + size, __ATOMIC_RELAXED);
	pubptr_update_commit(&m->pub, next);
	if (out)
		*out = r;
	return 0;
err_table:
	free(next);
err_slot:
	slot_release(m, r->slot);
err_abort:
	pubptr_update_abort(&m->pub);
	free(r);
	return ret;
}

int memmap_add_ram(struct memmap *m, gpa_t gpa, uint64_t size, const char *name, unsigned flags,
		   struct mem_region **out)
{
	void *hva;
	int ret;

	if (size == 0 || !IS_ALIGNED(size, 4096))
		return -EINVAL;
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (hva == MAP_FAILED)
		return -errno;
	ret = memmap_add(m, gpa, size, hva, name, flags | MEMMAP_F_OWNED, out);
	if (ret)
		munmap(hva, size);
	return ret;
}

/* Deferred: unmap once in-flight DMA into the region has drained. Runs after a grace period. */
static void region_retire(void *p)
{
	struct mem_region *r = p;
	uint64_t waited_ns = 0;

	while (__atomic_load_n(&r->dma_inflight, __ATOMIC_ACQUIRE) != 0) {
		struct timespec ts = { 0, 100000 };

		nanosleep(&ts, NULL);
		waited_ns += 100000;
		if (waited_ns == 10 * NSEC_PER_SEC)
			log_warn("RAM region %s: still %llu DMA requests in flight after 10 s",
				 r->name,
				 (unsigned long long)__atomic_load_n(&r->dma_inflight,
								     __ATOMIC_RELAXED));
	}
	region_free(r);
}

int memmap_remove(struct memmap *m, gpa_t gpa)
{
	const struct memmap_table *cur = pubptr_update_begin(&m->pub);
	struct memmap_table *next;
	struct mem_region *r = NULL;
	unsigned pos;
	int ret;

	for (pos = 0; pos < cur->n; pos++) {
		if (cur->r[pos]->gpa == gpa) {
			r = cur->r[pos];
			break;
		}
	}
	if (!r) {
		pubptr_update_abort(&m->pub);
		return -ENOENT;
	}
	next = table_alloc(cur->n - 1);
	if (!next) {
		pubptr_update_abort(&m->pub);
		return -ENOMEM;
	}
	ret = kvm_set_slot(m, r, true);
	if (ret) {
		free(next);
		pubptr_update_abort(&m->pub);
		return ret;
	}
	memcpy(next->r, cur->r, pos * sizeof(next->r[0]));
	memcpy(next->r + pos, cur->r + pos + 1, (cur->n - pos - 1) * sizeof(next->r[0]));
	next->n = cur->n - 1;
	slot_release(m, r->slot);
	__atomic_store_n(&m->ram_bytes, m->ram_bytes - r->size, __ATOMIC_RELAXED);
	pubptr_update_commit(&m->pub, next);
	if (m->pub.mode == PUBPTR_RCU && m->pub.live) {
		/* The region is freed in its own callback, queued after the table's. */
		rcu_free_deferred(r, region_retire);
	} else {
		region_retire(r);
	}
	return 0;
}

const struct mem_region *memmap_find_rcu(const struct memmap_table *t, gpa_t gpa)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct mem_region *r = t->r[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

void *memmap_hva_rcu(const struct memmap_table *t, gpa_t gpa, uint64_t len,
		     enum memmap_access access)
{
	const struct mem_region *r = memmap_find_rcu(t, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	off = gpa - r->gpa;
	/* off < size here, so size - off cannot underflow; no gpa + len overflow either. */
	if (len > r->size - off)
		return NULL;
	if (access == MEMMAP_WRITE && (r->flags & MEMMAP_F_READONLY))
		return NULL;
	return r->hva + off;
}

int memmap_read(struct memmap *m, gpa_t gpa, void *buf, uint64_t len)
{
	const struct memmap_table *t = memmap_read_begin(m);
	void *p = memmap_hva_rcu(t, gpa, len, MEMMAP_READ);

	if (p)
		memcpy(buf, p, len);
	memmap_read_end(m);
	return p ? 0 : -EFAULT;
}

int memmap_load_u64(struct memmap *m, gpa_t gpa, uint64_t *out)
{
	const struct memmap_table *t;
	uint64_t *p;

	if (gpa % 8)
		return -EINVAL;
	t = memmap_read_begin(m);
	p = memmap_hva_rcu(t, gpa, 8, MEMMAP_READ);
	if (p)
		*out = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	memmap_read_end(m);
	return p ? 0 : -EFAULT;
}

int memmap_store_u64(struct memmap *m, gpa_t gpa, uint64_t v)
{
	const struct memmap_table *t;
	uint64_t *p;

	if (gpa % 8)
		return -EINVAL;
	t = memmap_read_begin(m);
	p = memmap_hva_rcu(t, gpa, 8, MEMMAP_WRITE);
	if (p)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
	memmap_read_end(m);
	return p ? 0 : -EFAULT;
}

int memmap_write(struct memmap *m, gpa_t gpa, const void *buf, uint64_t len)
{
	const struct memmap_table *t = memmap_read_begin(m);
	void *p = memmap_hva_rcu(t, gpa, len, MEMMAP_WRITE);

	if (p)
		memcpy(p, buf, len);
	memmap_read_end(m);
	return p ? 0 : -EFAULT;
}

int memmap_read_str(struct memmap *m, gpa_t gpa, char *buf, uint64_t max)
{
	const struct memmap_table *t = memmap_read_begin(m);
	const struct mem_region *r = memmap_find_rcu(t, gpa);
	int ret = -EFAULT;

	if (r && max > 0) {
		uint64_t avail = r->size - (gpa - r->gpa);
		const char *src = (const char *)r->hva + (gpa - r->gpa);
		uint64_t n = MIN(avail, max);
		const char *nul = memchr(src, '\0', n);

		if (nul) {
			memcpy(buf, src, (size_t)(nul - src) + 1);
			ret = 0;
		} else {
			ret = n == max ? -ENAMETOOLONG : -EFAULT;
		}
	}
	memmap_read_end(m);
	return ret;
}

gpa_t memmap_top(struct memmap *m)
{
	const struct memmap_table *t = memmap_read_begin(m);
	gpa_t top = t->n ? t->r[t->n - 1]->gpa + t->r[t->n - 1]->size : 0;

	memmap_read_end(m);
	return top;
}
