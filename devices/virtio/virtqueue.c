/* virtqueue.c - split virtqueue walker with strict validation. See virtqueue.h for threads. */
#include <errno.h>
#include <string.h>

#include "core/memmap.h"
#include "devices/virtio/virtqueue.h"
#include "util/log.h"

static const char *const error_names[VQ_ERR_COUNT] = {
	[VQ_ERR_NONE] = "none",
	[VQ_ERR_RING_ADDR] = "ring-address",
	[VQ_ERR_AVAIL_IDX] = "avail-index-jump",
	[VQ_ERR_HEAD] = "head-out-of-range",
	[VQ_ERR_NEXT] = "next-out-of-range",
	[VQ_ERR_LOOP] = "chain-loop",
	[VQ_ERR_TOO_MANY_SEGS] = "too-many-segments",
	[VQ_ERR_BUF_ADDR] = "buffer-address",
	[VQ_ERR_ZERO_LEN] = "zero-length-buffer",
	[VQ_ERR_ORDER] = "readable-after-writable",
	[VQ_ERR_INDIRECT_FEATURE] = "indirect-not-negotiated",
	[VQ_ERR_INDIRECT_NESTED] = "nested-indirect",
	[VQ_ERR_INDIRECT_LEN] = "indirect-length",
	[VQ_ERR_INDIRECT_NEXT] = "indirect-with-next",
	[VQ_ERR_USED_ID] = "bad-used-id",
};

const char *vq_error_name(enum vq_error e)
{
	return (unsigned)e < VQ_ERR_COUNT ? error_names[e] : "?";
}

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring layouts (virtio 1.x split ring): sizes for num entries. */
static uint64_t desc_size(uint16_t num)
{
	return 16ULL * num;
}

static uint64_t avail_size(uint16_t num)
{
	return 6 + 2ULL * num; /* flags, idx, ring[num], used_event */
}

static uint64_t used_size(uint16_t num)
{
	return 6 + 8ULL * num; /* flags, idx, ring[num]{id,len}, avail_event */
}

static int fail(struct vq *vq, enum vq_error e)
{
	stat_inc(&vq->errors[e]);
	vq->last_error = e;
	vq->broken = true;
	return -EINVAL;
}

void vq_reset(struct vq *vq)
{
	vq->num = vq->num_max;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->ready = false;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->broken = false;
	vq->last_error = VQ_ERR_NONE;
	vq->in_flight = 0;
}

struct rings {
	struct vring_desc *desc;
	uint16_t *avail; /* [0] flags, [1] idx, [2..] ring, [2+num] used_event */
	uint16_t *used;	 /* [0] flags, [1] idx, then {u32 id, u32 len}[num], then avail_event */
};

static bool map_rings(struct vq *vq, const struct memmap_table *t, struct rings *r)
{
	r->desc = memmap_hva_rcu(t, vq->desc_gpa, desc_size(vq->num), MEMMAP_READ);
	r->avail = memmap_hva_rcu(t, vq->avail_gpa, avail_size(vq->num), MEMMAP_READ);
	r->used = memmap_hva_rcu(t, vq->used_gpa, used_size(vq->num), MEMMAP_WRITE);
	return r->desc && r->avail && r->used;
}

bool vq_check_rings(struct vq *vq, const struct memmap_table *t)
{
	struct rings r;

	if (vq->num == 0 || vq->num > vq->num_max || (vq->num & (vq->num - 1)) ||
	    !IS_ALIGNED(vq->desc_gpa, 16) || !IS_ALIGNED(vq->avail_gpa, 2) ||
	    !IS_ALIGNED(vq->used_gpa, 4) || !map_rings(vq, t, &r)) {
		fail(vq, VQ_ERR_RING_ADDR);
		return false;
	}
	return true;
}

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Map one buffer into the chain. */
static int add_buf(struct vq *vq, const struct memmap_table *t, struct vq_chain *c,
		   const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct vq_iov *iov;

	if (d->len == 0)
		return fail(vq, VQ_ERR_ZERO_LEN);
	if (!writable && c->n_writable)
		return fail(vq, VQ_ERR_ORDER);
	if (c->n_readable + c->n_writable >= c->cap)
		return fail(vq, VQ_ERR_TOO_MANY_SEGS);
	iov = &c->iov[c->n_readable + c->n_writable];
	iov->hva = memmap_hva_rcu(t, d->addr, d->len, writable ? MEMMAP_WRITE : MEMMAP_READ);
	if (!iov->hva)
		return fail(vq, VQ_ERR_BUF_ADDR);
	iov->len = d->len;
	iov->region = memmap_find_rcu(t, d->addr);
	if (writable) {
		c->n_writable++;
		c->writable_bytes += d->len;
	} else {
		c->n_readable++;
		c->readable_bytes += d->len;
	}
	return 0;
}

/* Walk an indirect table: no nesting, same checks, counted against the chain bound. */
static int walk_indirect(struct vq *vq, const struct memmap_table *t, struct vq_chain *c,
			 const struct vring_desc *d, unsigned *budget)
{
	const uint8_t *table;
	uint32_t n, i = 0, steps = 0;

	if (!vq->indirect)
		return fail(vq, VQ_ERR_INDIRECT_FEATURE);
	if (d->flags & VRING_DESC_F_NEXT)
		return fail(vq, VQ_ERR_INDIRECT_NEXT);
	if (d->len == 0 || d->len % 16 || d->len / 16 > VQ_MAX_SIZE)
		return fail(vq, VQ_ERR_INDIRECT_LEN);
	n = d->len / 16;
	table = memmap_hva_rcu(t, d->addr, d->len, MEMMAP_READ);
	if (!table)
		return fail(vq, VQ_ERR_BUF_ADDR);
	for (;;) {
		struct vring_desc id;
		int ret;

		/* The table is guest memory the guest may change under us: copy each entry once. */
		memcpy(&id, table + 16ULL * i, sizeof(id));
		if (id.flags & VRING_DESC_F_INDIRECT)
			return fail(vq, VQ_ERR_INDIRECT_NESTED);
		if (++steps > n || *budget == 0)
			return fail(vq, VQ_ERR_LOOP);
		(*budget)--;
		ret = add_buf(vq, t, c, &id);
		if (ret)
			return ret;
		if (!(id.flags & VRING_DESC_F_NEXT))
			return 0;
		if (id.next >= n)
			return fail(vq, VQ_ERR_NEXT);
		i = id.next;
	}
}

int vq_pop(struct vq *vq, const struct memmap_table *t, struct vq_chain *c)
{
	struct rings r;
	uint16_t avail_idx, head, i;
	unsigned steps = 0, budget;

	if (vq->broken || !vq->ready)
		return vq->broken ? -EINVAL : 0;
	if (!map_rings(vq, t, &r))
		return fail(vq, VQ_ERR_RING_ADDR);
	avail_idx = load16(&r.avail[1]);
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
		return fail(vq, VQ_ERR_AVAIL_IDX);
	if (avail_idx == vq->last_avail)
		return 0;
	head = __atomic_load_n(&r.avail[2 + vq->last_avail % vq->num], __ATOMIC_RELAXED);
	if (head >= vq->num)
		return fail(vq, VQ_ERR_HEAD);
	c->head = head;
	c->n_readable = c->n_writable = 0;
	c->readable_bytes = c->writable_bytes = 0;
	/* A chain, indirect tables included, has at most num descriptors (virtio 2.7.5.3). */
	budget = vq->num;
	i = head;
	for (;;) {
		struct vring_desc d;
		int ret;

		memcpy(&d, &r.desc[i], sizeof(d));
		if (++steps > vq->num)
			return fail(vq, VQ_ERR_LOOP);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			ret = walk_indirect(vq, t, c, &d, &budget);
			if (ret)
				return ret;
			break; /* INDIRECT excludes NEXT (checked in walk_indirect) */
		}
		if (budget == 0)
			return fail(vq, VQ_ERR_LOOP);
		budget--;
		ret = add_buf(vq, t, c, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->num)
			return fail(vq, VQ_ERR_NEXT);
		i = d.next;
	}
	vq->last_avail++;
	vq->popped++;
	vq->in_flight++;
	if (vq->event_idx) /* tell the driver how far we got (avail_event) */
		__atomic_store_n(&r.used[2 + 4 * vq->num], vq->last_avail, __ATOMIC_RELAXED);
	return 1;
}

void vq_unpop(struct vq *vq, const struct memmap_table *t, unsigned n)
{
	struct rings r;

	if (n > vq->in_flight)
		n = (unsigned)vq->in_flight;
	vq->last_avail = (uint16_t)(vq->last_avail - n);
	vq->popped -= n;
	vq->in_flight -= n;
	if (vq->event_idx && map_rings(vq, t, &r))
		__atomic_store_n(&r.used[2 + 4 * vq->num], vq->last_avail, __ATOMIC_RELAXED);
}

int vq_push(struct vq *vq, const struct memmap_table *t, uint16_t head, uint32_t written)
{
	struct rings r;
	uint32_t elem[2] = { head, written };

	if (!map_rings(vq, t, &r))
		return fail(vq, VQ_ERR_RING_ADDR);
	if (vq->in_flight == 0 || head >= vq->num)
		return fail(vq, VQ_ERR_USED_ID);
	memcpy(&r.used[2 + 4 * (vq->used_idx % vq->num)], elem, sizeof(elem));
	vq->used_idx++;
	/* The element is visible before the index that publishes it. */
	__atomic_store_n(&r.used[1], vq->used_idx, __ATOMIC_RELEASE);
	vq->in_flight--;
	vq->pushed++;
	return 0;
}

bool vq_should_notify(struct vq *vq, const struct memmap_table *t)
{
	struct rings r;
	uint16_t old, new_idx, event;
	bool valid;

	if (!map_rings(vq, t, &r))
		return false;
	smp_mb(); /* our used idx store before reading the driver's flags/event */
	if (!vq->event_idx)
		return !(load16(&r.avail[0]) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	new_idx = vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	event = load16(&r.avail[2 + vq->num]);
	/* vring_need_event: did we cross used_event since the last notification? */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void vq_set_notification(struct vq *vq, const struct memmap_table *t, bool enable)
{
	struct rings r;

	if (!map_rings(vq, t, &r))
		return;
	if (vq->event_idx) {
		if (enable)
			__atomic_store_n(&r.used[2 + 4 * vq->num], vq->last_avail,
					 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&r.used[0], enable ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	smp_mb(); /* the flag is visible before we look at the ring again */
}

bool vq_has_work(struct vq *vq, const struct memmap_table *t)
{
	struct rings r;

	if (!vq->ready || vq->broken || !map_rings(vq, t, &r))
		return false;
	return load16(&r.avail[1]) != vq->last_avail;
}

void vq_chain_dma_get(const struct vq_chain *c)
{
	for (unsigned i = 0; i < c->n_readable + c->n_writable; i++) {
		struct mem_region *r = (struct mem_region *)c->iov[i].region;

		__atomic_fetch_add(&r->dma_inflight, 1, __ATOMIC_ACQ_REL);
	}
}

void vq_chain_dma_put(const struct vq_chain *c)
{
	for (unsigned i = 0; i < c->n_readable + c->n_writable; i++) {
		struct mem_region *r = (struct mem_region *)c->iov[i].region;

		__atomic_fetch_sub(&r->dma_inflight, 1, __ATOMIC_ACQ_REL);
	}
}
