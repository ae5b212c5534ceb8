/* virtio.c - micro-guest virtio-mmio driver. One vCPU per queue; see virtio.h. */
#include "core/guest/virtio.h"

bool sg_virtio_find(uint32_t id, unsigned nth, struct sg_vdev *d)
{
	for (uint32_t i = 0; i < sg_boot->nr_devices && i < SG_MAX_DEVICES; i++) {
		const struct sg_device *s = &sg_boot->devices[i];

		if (s->virtio_id != id || nth--)
			continue;
		d->base = s->base;
		d->id = s->virtio_id;
		d->gsi = s->gsi;
		d->vector = s->vector;
		d->features = 0;
		return true;
	}
	return false;
}

uint32_t sg_virtio_status(const struct sg_vdev *d)
{
	return vdev_read(d, VMMIO_STATUS);
}

void sg_virtio_reset(struct sg_vdev *d)
{
	vdev_write(d, VMMIO_STATUS, 0);
	while (vdev_read(d, VMMIO_STATUS) != 0)
		cpu_relax();
}

int sg_virtio_init(struct sg_vdev *d, uint64_t wanted)
{
	uint64_t offered;

	if (vdev_read(d, VMMIO_MAGIC) != 0x74726976 || vdev_read(d, VMMIO_VERSION) != 2)
		return -1;
	sg_virtio_reset(d);
	vdev_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vdev_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdev_write(d, VMMIO_DEVICE_FEAT_SEL, 0);
	offered = vdev_read(d, VMMIO_DEVICE_FEATURES);
	vdev_write(d, VMMIO_DEVICE_FEAT_SEL, 1);
	offered |= (uint64_t)vdev_read(d, VMMIO_DEVICE_FEATURES) << 32;
	d->features = offered & (wanted | (1ULL << VIRTIO_F_VERSION_1));
	vdev_write(d, VMMIO_DRIVER_FEAT_SEL, 0);
	vdev_write(d, VMMIO_DRIVER_FEATURES, (uint32_t)d->features);
	vdev_write(d, VMMIO_DRIVER_FEAT_SEL, 1);
	vdev_write(d, VMMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	vdev_write(d, VMMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(vdev_read(d, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	return 0;
}

static void write64(struct sg_vdev *d, uint32_t off, uint64_t v)
{
	vdev_write(d, off, (uint32_t)v);
	vdev_write(d, off + 4, (uint32_t)(v >> 32));
}

int sg_vq_setup(struct sg_vdev *d, struct sg_vq *vq, uint16_t qi, uint16_t num)
{
	uint32_t max;

	vdev_write(d, VMMIO_QUEUE_SEL, qi);
	max = vdev_read(d, VMMIO_QUEUE_NUM_MAX);
	if (num == 0 || num > 256 || num > max || (num & (num - 1)))
		return -1;
	memset(vq, 0, sizeof(*vq));
	vq->dev = d;
	vq->index = qi;
	vq->num = num;
	vq->desc = sg_alloc(16ULL * num, 4096);
	vq->avail = sg_alloc(6 + 2ULL * num, 4096);
	vq->used = sg_alloc(6 + 8ULL * num, 4096);
	memset(vq->desc, 0, 16ULL * num);
	memset(vq->avail, 0, 6 + 2ULL * num);
	memset((void *)vq->used, 0, 6 + 8ULL * num);
	if (d->features & (1ULL << VIRTIO_F_INDIRECT_DESC)) {
		vq->indirect = sg_alloc(sizeof(struct vq_desc) * 16 * num, 64);
	}
	for (uint16_t i = 0; i < num; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	vq->num_free = num;
	vdev_write(d, VMMIO_QUEUE_NUM, num);
	write64(d, VMMIO_QUEUE_DESC, (uintptr_t)vq->desc);
	write64(d, VMMIO_QUEUE_AVAIL, (uintptr_t)vq->avail);
	write64(d, VMMIO_QUEUE_USED, (uintptr_t)vq->used);
	vdev_write(d, VMMIO_QUEUE_READY, 1);
	return 0;
}

void sg_virtio_driver_ok(struct sg_vdev *d)
{
	vdev_write(d, VMMIO_STATUS, vdev_read(d, VMMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

int sg_vq_add(struct sg_vq *vq, const struct sg_buf *bufs, unsigned n, uint64_t token,
	      bool indirect)
{
	bool use_ind = indirect && vq->indirect && n > 1 && n <= 16;
	uint16_t need = use_ind ? 1 : (uint16_t)n;
	uint16_t head, i, prev = 0;

	if (n == 0 || vq->num_free < need)
		return -1;
	head = vq->free_head;
	if (use_ind) {
		struct vq_desc *t = vq->indirect + 16 * head;

		for (unsigned k = 0; k < n; k++) {
			t[k].addr = (uintptr_t)bufs[k].addr;
			t[k].len = bufs[k].len;
			t[k].flags = (uint16_t)((bufs[k].device_writes ? VQ_DESC_F_WRITE : 0) |
						(k + 1 < n ? VQ_DESC_F_NEXT : 0));
			t[k].next = (uint16_t)(k + 1);
		}
		vq->free_head = vq->desc[head].next;
		vq->desc[head].addr = (uintptr_t)t;
		vq->desc[head].len = (uint32_t)(n * sizeof(*t));
		vq->desc[head].flags = VQ_DESC_F_INDIRECT;
	} else {
		i = head;
		for (unsigned k = 0; k < n; k++) {
			vq->desc[i].addr = (uintptr_t)bufs[k].addr;
			vq->desc[i].len = bufs[k].len;
			vq->desc[i].flags =
				(uint16_t)((bufs[k].device_writes ? VQ_DESC_F_WRITE : 0) |
					   (k + 1 < n ? VQ_DESC_F_NEXT : 0));
			prev = i;
			i = vq->desc[i].next;
		}
		vq->free_head = i;
		(void)prev;
	}
	vq->num_free = (uint16_t)(vq->num_free - need);
	vq->tokens[head] = token;
	vq->chain_len[head] = need;
	vq->avail[2 + vq->avail_idx % vq->num] = head;
	vq->avail_idx++;
	return head;
}

void sg_vq_publish(struct sg_vq *vq)
{
	__atomic_store_n(&vq->avail[1], vq->avail_idx, __ATOMIC_RELEASE);
}

void sg_vq_set_interrupts(struct sg_vq *vq, bool on)
{
	__atomic_store_n(&vq->avail[0], on ? 0 : 1 /* VRING_AVAIL_F_NO_INTERRUPT */,
			 __ATOMIC_RELEASE);
}

void sg_vq_kick(struct sg_vq *vq)
{
	sg_vq_publish(vq);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* VRING_USED_F_NO_NOTIFY: the device is processing the ring and will see our entries. */
	if (__atomic_load_n(&vq->used[0], __ATOMIC_ACQUIRE) & 1)
		return;
	vdev_write(vq->dev, VMMIO_QUEUE_NOTIFY, vq->index);
}

bool sg_vq_get_used(struct sg_vq *vq, uint64_t *token, uint32_t *len)
{
	uint16_t used_idx = __atomic_load_n(&vq->used[1], __ATOMIC_ACQUIRE);
	const volatile uint32_t *elem;
	uint16_t head, n, last;

	if (used_idx == vq->last_used)
		return false;
	elem = (const volatile uint32_t *)(vq->used + 2) + 2 * (vq->last_used % vq->num);
	head = (uint16_t)elem[0];
	*len = elem[1];
	vq->last_used++;
	if (head >= vq->num)
		sg_assert_fail(__FILE__, __LINE__, "used id", "device returned a bad head");
	*token = vq->tokens[head];
	/* Give the chain's descriptors back to the free list. */
	n = vq->chain_len[head];
	last = head;
	for (uint16_t k = 1; k < n; k++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + n);
	return true;
}

void sg_virtio_wait_irq(struct sg_vdev *d, uint64_t *seen)
{
	struct sg_percpu *pc = sg_this_cpu();

	while (__atomic_load_n(&pc->irq_count[d->vector & 0xff], __ATOMIC_ACQUIRE) == *seen)
		sg_halt();
	*seen = __atomic_load_n(&pc->irq_count[d->vector & 0xff], __ATOMIC_ACQUIRE);
	vdev_write(d, VMMIO_INTERRUPT_ACK, vdev_read(d, VMMIO_INTERRUPT_STATUS));
}

void sg_vq_raw_desc(struct sg_vq *vq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	vq->desc[i % vq->num] = (struct vq_desc){ addr, len, flags, next };
}

void sg_vq_raw_avail(struct sg_vq *vq, uint16_t head)
{
	vq->avail[2 + vq->avail_idx % vq->num] = head;
	vq->avail_idx++;
}

void sg_vq_raw_set_avail_idx(struct sg_vq *vq, uint16_t idx)
{
	vq->avail_idx = idx;
	__atomic_store_n(&vq->avail[1], idx, __ATOMIC_RELEASE);
}

uint64_t sg_blk_background_reads(unsigned nth, unsigned depth, const uint32_t *stop)
{
	static struct sg_vdev dev;
	static struct sg_vq vq;
	static struct sg_buf b[64][3];
	uint64_t token, ios = 0;
	uint32_t len;

	GUEST_ASSERT_MSG(depth >= 1 && depth <= 64, "background reads: depth 1..64");
	GUEST_ASSERT_MSG(sg_virtio_find(VIRTIO_ID_BLOCK, nth, &dev),
			 "background reads need a --disk");
	GUEST_ASSERT(sg_virtio_init(&dev, 0) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, 256) == 0); /* depth x 3 descriptors */
	sg_vq_set_interrupts(&vq, false);
	sg_virtio_driver_ok(&dev);
	for (unsigned i = 0; i < depth; i++) {
		uint32_t *hdr = sg_alloc(16, 16);

		hdr[0] = 0; /* VIRTIO_BLK_T_IN */
		hdr[1] = 0;
		*(uint64_t *)(hdr + 2) = i * 8;
		b[i][0] = (struct sg_buf){ hdr, 16, false };
		b[i][1] = (struct sg_buf){ sg_alloc(4096, 4096), 4096, true };
		b[i][2] = (struct sg_buf){ sg_alloc(1, 16), 1, true };
		GUEST_ASSERT(sg_vq_add(&vq, b[i], 3, i, false) >= 0);
	}
	sg_vq_kick(&vq);
	while (!atomic_load(stop)) {
		if (!sg_vq_get_used(&vq, &token, &len)) {
			cpu_relax();
			continue;
		}
		ios++;
		GUEST_ASSERT(token < depth && sg_vq_add(&vq, b[token], 3, token, false) >= 0);
		sg_vq_kick(&vq);
	}
	return ios;
}
