/* addrspace.c - PIO/MMIO range tables and dispatch. See addrspace.h for the thread rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addrspace.h"
#include "util/log.h"
#include "util/rcu.h"

static void table_free(void *p)
{
	free(p);
}

static struct as_table *table_alloc(unsigned n)
{
	return calloc(1, sizeof(struct as_table) + n * sizeof(struct as_region));
}

int as_init(struct addr_space *as, const char *name, uint64_t limit, enum pubptr_mode mode)
{
	struct as_table *t = table_alloc(0);

	memset(as, 0, sizeof(*as));
	if (!t)
		return -ENOMEM;
	snprintf(as->name, sizeof(as->name), "%s", name);
	as->limit = limit;
	pubptr_init(&as->pub, mode, t, table_free);
	return 0;
}

void as_destroy(struct addr_space *as)
{
	pubptr_destroy(&as->pub);
}

static bool valid_size(unsigned s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

int as_register(struct addr_space *as, uint64_t base, uint64_t size, const struct as_ops *ops,
		void *opaque, pthread_mutex_t *lock, const char *name)
{
	const struct as_table *cur;
	struct as_table *next;
	unsigned pos;

	if (size == 0 || base + size < base || (as->limit && base + size > as->limit) || !ops)
		return -EINVAL;
	if ((ops->min_access || ops->max_access) &&
	    (!valid_size(ops->min_access) || !valid_size(ops->max_access) ||
	     ops->min_access > ops->max_access))
		return -EINVAL;
	cur = pubptr_update_begin(&as->pub);
	for (pos = 0; pos < cur->n; pos++) {
		const struct as_region *o = &cur->r[pos];

		if (base < o->base + o->size && o->base < base + size) {
			pubptr_update_abort(&as->pub);
			return -EEXIST;
		}
		if (o->base > base)
			break;
	}
	next = table_alloc(cur->n + 1);
	if (!next) {
		pubptr_update_abort(&as->pub);
		return -ENOMEM;
	}
	memcpy(next->r, cur->r, pos * sizeof(next->r[0]));
	next->r[pos] = (struct as_region){
		.base = base,
		.size = size,
		.ops = ops,
		.opaque = opaque,
		.lock = lock,
	};
	snprintf(next->r[pos].name, sizeof(next->r[pos].name), "%s", name ? name : "?");
	memcpy(next->r + pos + 1, cur->r + pos, (cur->n - pos) * sizeof(next->r[0]));
	next->n = cur->n + 1;
	pubptr_update_commit(&as->pub, next);
	return 0;
}

/* Readers in RCU mode may still run an old handler until a grace period passes. */
static void wait_readers(struct addr_space *as)
{
	if (as->pub.mode == PUBPTR_RCU && as->pub.live)
		rcu_wait_grace();
}

static int unregister(struct addr_space *as, uint64_t base, bool wait)
{
	const struct as_table *cur = pubptr_update_begin(&as->pub);
	struct as_table *next;
	unsigned pos;

	for (pos = 0; pos < cur->n; pos++) {
		if (cur->r[pos].base == base)
			break;
	}
	if (pos == cur->n) {
		pubptr_update_abort(&as->pub);
		return -ENOENT;
	}
	next = table_alloc(cur->n - 1);
	if (!next) {
		pubptr_update_abort(&as->pub);
		return -ENOMEM;
	}
	memcpy(next->r, cur->r, pos * sizeof(next->r[0]));
	memcpy(next->r + pos, cur->r + pos + 1, (cur->n - pos - 1) * sizeof(next->r[0]));
	next->n = cur->n - 1;
	pubptr_update_commit(&as->pub, next);
	if (wait)
		wait_readers(as);
	return 0;
}

int as_unregister(struct addr_space *as, uint64_t base)
{
	return unregister(as, base, true);
}

int as_unregister_nowait(struct addr_space *as, uint64_t base)
{
	return unregister(as, base, false);
}

int as_move(struct addr_space *as, uint64_t old_base, uint64_t new_base)
{
	const struct as_table *cur = pubptr_update_begin(&as->pub);
	struct as_table *next;
	struct as_region moved;
	unsigned i, j, from = cur->n;

	for (i = 0; i < cur->n; i++) {
		if (cur->r[i].base == old_base)
			from = i;
	}
	if (from == cur->n) {
		pubptr_update_abort(&as->pub);
		return -ENOENT;
	}
	moved = cur->r[from];
	if (new_base + moved.size < new_base || (as->limit && new_base + moved.size > as->limit)) {
		pubptr_update_abort(&as->pub);
		return -EINVAL;
	}
	for (i = 0; i < cur->n; i++) {
		const struct as_region *o = &cur->r[i];

		if (i != from && new_base < o->base + o->size && o->base < new_base + moved.size) {
			pubptr_update_abort(&as->pub);
			return -EEXIST;
		}
	}
	next = table_alloc(cur->n);
	if (!next) {
		pubptr_update_abort(&as->pub);
		return -ENOMEM;
	}
	moved.base = new_base;
	/* Every region but the moved one, in order, then the moved one inserted at its place. */
	for (i = 0, j = 0; i < cur->n; i++) {
		if (i != from)
			next->r[j++] = cur->r[i];
	}
	for (i = 0; i < j && next->r[i].base < new_base; i++)
		;
	memmove(next->r + i + 1, next->r + i, (j - i) * sizeof(next->r[0]));
	next->r[i] = moved;
	next->n = cur->n;
	pubptr_update_commit(&as->pub, next);
	return 0;
}

const struct as_region *as_find_rcu(const struct as_table *t, uint64_t addr)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct as_region *r = &t->r[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static bool access_ok(const struct as_region *r, uint64_t addr, unsigned len)
{
	uint64_t off = addr - r->base;

	if (len > r->size - off)
		return false;
	if (!r->ops->min_access && !r->ops->max_access)
		return true;
	return len >= r->ops->min_access && len <= r->ops->max_access;
}

bool as_dispatch(struct addr_space *as, struct vcpu *vcpu, uint64_t addr, void *data, unsigned len,
		 bool is_write)
{
	const struct as_table *t;
	const struct as_region *r;
	uint64_t v = 0;
	bool ok = false;

	if (unlikely(!valid_size(len))) {
		stat_inc(&as->bad_access);
		if (!is_write && len <= 8)
			memset(data, 0xff, len);
		return false;
	}
	t = pubptr_read_begin(&as->pub);
	r = as_find_rcu(t, addr);
	if (likely(r && access_ok(r, addr, len))) {
		if (r->lock)
			pthread_mutex_lock(r->lock);
		if (is_write) {
			memcpy(&v, data, len);
			if (r->ops->write)
				r->ops->write(r->opaque, vcpu, addr - r->base, v, len);
		} else {
			v = r->ops->read ? r->ops->read(r->opaque, vcpu, addr - r->base, len) :
					   ~0ULL;
			memcpy(data, &v, len);
		}
		if (r->lock)
			pthread_mutex_unlock(r->lock);
		ok = true;
	} else if (r) {
		stat_inc(&as->bad_access);
		log_debug("%s: bad %u-byte %s at 0x%llx in %s", as->name, len,
			  is_write ? "write" : "read", (unsigned long long)addr, r->name);
	} else if (is_write) {
		stat_inc(&as->unassigned_writes);
	} else {
		stat_inc(&as->unassigned_reads);
	}
	pubptr_read_end(&as->pub);
	if (!ok && !is_write)
		memset(data, 0xff, len);
	return ok;
}
