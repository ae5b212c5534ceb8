/* mmio.c - virtio-mmio transport (version 2). See mmio.h for threads and locks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/memmap.h"
#include "core/vm.h"
#include "devices/virtio/mmio.h"
#include "iothreads/ioloop.h"
#include "util/log.h"

#define REG_MAGIC	     0x000
#define REG_VERSION	     0x004
#define REG_DEVICE_ID	     0x008
#define REG_VENDOR_ID	     0x00c
#define REG_DEVICE_FEATURES  0x010
#define REG_DEVICE_FEAT_SEL  0x014
#define REG_DRIVER_FEATURES  0x020
#define REG_DRIVER_FEAT_SEL  0x024
#define REG_QUEUE_SEL	     0x030
#define REG_QUEUE_NUM_MAX    0x034
#define REG_QUEUE_NUM	     0x038
#define REG_QUEUE_READY	     0x044
#define REG_QUEUE_NOTIFY     0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK    0x064
#define REG_STATUS	     0x070
#define REG_QUEUE_DESC_LOW   0x080
#define REG_QUEUE_DESC_HIGH  0x084
#define REG_QUEUE_AVAIL_LOW  0x090
#define REG_QUEUE_AVAIL_HIGH 0x094
#define REG_QUEUE_USED_LOW   0x0a0
#define REG_QUEUE_USED_HIGH  0x0a4
#define REG_CONFIG_GEN	     0x0fc
#define REG_CONFIG	     0x100

#define VIRTIO_MMIO_MAGIC    0x74726976 /* "virt" */
#define VIRTIO_VENDOR_ID     0x4e525453 /* "STRN" */

static void lock(pthread_mutex_t *m)
{
	if (m)
		pthread_mutex_lock(m);
}

static void unlock(pthread_mutex_t *m)
{
	if (m)
		pthread_mutex_unlock(m);
}

bool virtio_dev_running(const struct virtio_dev *d)
{
	uint32_t s = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

	return (s & VIRTIO_STATUS_DRIVER_OK) && !(s & VIRTIO_STATUS_NEEDS_RESET);
}

bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return __atomic_load_n(&d->guest_features, __ATOMIC_RELAXED) & (1ULL << bit);
}

static void raise_irq(struct virtio_dev *d, uint32_t why)
{
	uint64_t one = 1;

	__atomic_fetch_or(&d->interrupt_status, why, __ATOMIC_ACQ_REL);
	stat_inc(&d->interrupts);
	if (d->irq_fd >= 0) {
		/* A full counter (EAGAIN) still has the interrupt pending. */
		if (write(d->irq_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_debug("%s: irqfd write: %s", d->name, strerror(errno));
	} else if (d->vm) {
		/* Edge without irqfd: pulse the line. */
		if (vm_irq_line(d->vm, d->gsi, 1) || vm_irq_line(d->vm, d->gsi, 0))
			log_debug("%s: cannot raise GSI %u", d->name, d->gsi);
	}
}

void virtio_dev_raise_used(struct virtio_dev *d)
{
	raise_irq(d, VIRTIO_INT_USED);
}

void virtio_queue_notify_guest(struct virtio_queue *q, const struct memmap_table *t)
{
	if (vq_should_notify(&q->vq, t))
		raise_irq(q->dev, VIRTIO_INT_USED);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	__atomic_fetch_add(&d->config_generation, 1, __ATOMIC_ACQ_REL);
	if (virtio_dev_running(d))
		raise_irq(d, VIRTIO_INT_CONFIG);
}

void virtio_dev_needs_reset(struct virtio_dev *d, struct virtio_queue *q)
{
	uint32_t old = __atomic_fetch_or(&d->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return;
	stat_inc(&d->needs_reset);
	log_guest("%s: malformed queue %d (%s): device needs reset", d->name,
		  q ? (int)q->index : -1, q ? vq_error_name(q->vq.last_error) : "-");
	if (old & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(d, VIRTIO_INT_CONFIG);
}

void virtio_queue_lock(struct virtio_queue *q)
{
	lock(q->lock);
}

void virtio_queue_unlock(struct virtio_queue *q)
{
	unlock(q->lock);
}

void virtio_queue_enter(struct virtio_queue *q)
{
	lock(q->dev->big_lock ? q->dev->big_lock : q->lock);
}

void virtio_queue_leave(struct virtio_queue *q)
{
	unlock(q->dev->big_lock ? q->dev->big_lock : q->lock);
}

/* Process a kick on queue q. Queue lock (or big lock) held. */
static void queue_kick_locked(struct virtio_queue *q)
{
	struct virtio_dev *d = q->dev;

	stat_inc(&q->kicks);
	if (!virtio_dev_running(d) || !q->vq.ready) {
		stat_inc(&d->early_notify);
		return;
	}
	if (q->vq.broken)
		return;
	d->ops->queue_notify(d, q->index);
}

static void on_kick_fd(void *opaque, uint32_t events)
{
	struct virtio_queue *q = opaque;
	uint64_t v;

	(void)events;
	if (read(q->kick_fd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: another wake-up consumed it */
	virtio_queue_enter(q);
	queue_kick_locked(q);
	virtio_queue_leave(q);
}

static void dev_reset_locked(struct virtio_dev *d)
{
	for (unsigned i = 0; i < d->nqueues; i++) {
		struct virtio_queue *q = &d->queues[i];

		lock(q->lock);
		vq_reset(&q->vq);
		unlock(q->lock);
	}
	if (d->ops->reset)
		d->ops->reset(d);
	d->guest_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	__atomic_store_n(&d->interrupt_status, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&d->status, 0, __ATOMIC_RELEASE);
	stat_inc(&d->resets);
}

static void write_status_locked(struct virtio_dev *d, uint32_t v)
{
	uint32_t old = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE), cur;

	if (v == 0) {
		dev_reset_locked(d);
		return;
	}
	/* The driver only adds bits; NEEDS_RESET is the device's. */
	v = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		bool ok = (d->guest_features & ~d->host_features) == 0 &&
			  (d->guest_features & (1ULL << VIRTIO_F_VERSION_1)) &&
			  (!d->ops->features_ok || d->ops->features_ok(d, d->guest_features));

		if (!ok) {
			/* Refused: the driver reads FEATURES_OK back as clear (virtio 3.1.1). */
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
			stat_inc(&d->bad_features);
			log_guest("%s: driver features %#llx refused (offered %#llx)", d->name,
				  (unsigned long long)d->guest_features,
				  (unsigned long long)d->host_features);
		} else {
			for (unsigned i = 0; i < d->nqueues; i++) {
				struct virtio_queue *q = &d->queues[i];

				lock(q->lock);
				q->vq.event_idx =
					d->guest_features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
				q->vq.indirect =
					d->guest_features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
				unlock(q->lock);
			}
		}
	}
	/* A queue thread may set NEEDS_RESET meanwhile (virtio_dev_needs_reset): keep it. */
	cur = old;
	while (!__atomic_compare_exchange_n(&d->status, &cur, v | (cur & VIRTIO_STATUS_NEEDS_RESET),
					    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) && d->ops->activate)
		d->ops->activate(d);
}

static struct virtio_queue *sel_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->nqueues ? &d->queues[d->queue_sel] : NULL;
}

/* Queue configuration is only accepted between FEATURES_OK and DRIVER_OK, on a queue not ready. */
static bool queue_config_allowed(struct virtio_dev *d, struct virtio_queue *q)
{
	uint32_t s = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

	return q && !q->vq.ready && (s & VIRTIO_STATUS_FEATURES_OK) &&
	       !(s & VIRTIO_STATUS_DRIVER_OK);
}

static void set_addr_half(uint64_t *a, uint32_t v, bool high)
{
	*a = high ? ((*a & 0xffffffffULL) | ((uint64_t)v << 32)) : ((*a & ~0xffffffffULL) | v);
}

static void queue_ready_locked(struct virtio_dev *d, struct virtio_queue *q, uint32_t v)
{
	const struct memmap_table *t;
	bool ok = true;

	if (v == 0) {
		q->vq.ready = false;
		return;
	}
	t = memmap_read_begin(&d->vm->mem);
	if (!vq_check_rings(&q->vq, t))
		ok = false;
	memmap_read_end(&d->vm->mem);
	q->vq.ready = true;
	if (!ok)
		virtio_dev_needs_reset(d, q);
}

static void queue_write_locked(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtio_queue *q = sel_queue(d);

	if (!queue_config_allowed(d, q)) {
		stat_inc(&d->bad_register_access);
		return;
	}
	lock(q->lock);
	switch (off) {
	case REG_QUEUE_NUM:
		if (v == 0 || v > q->vq.num_max || (v & (v - 1)))
			stat_inc(&d->bad_register_access); /* caught again at QueueReady */
		q->vq.num = (uint16_t)MIN(v, 0xffffu);
		if (v > 0xffff)
			q->vq.num = 0;
		break;
	case REG_QUEUE_READY:
		queue_ready_locked(d, q, v);
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		set_addr_half(&q->vq.desc_gpa, v, off == REG_QUEUE_DESC_HIGH);
		break;
	case REG_QUEUE_AVAIL_LOW:
	case REG_QUEUE_AVAIL_HIGH:
		set_addr_half(&q->vq.avail_gpa, v, off == REG_QUEUE_AVAIL_HIGH);
		break;
	case REG_QUEUE_USED_LOW:
	case REG_QUEUE_USED_HIGH:
		set_addr_half(&q->vq.used_gpa, v, off == REG_QUEUE_USED_HIGH);
		break;
	default:
		break;
	}
	unlock(q->lock);
}

uint64_t virtio_mmio_read(void *opaque, struct vcpu *vcpu, uint64_t off, unsigned size)
{
	struct virtio_dev *d = opaque;
	struct virtio_queue *q;
	uint32_t v = 0;

	(void)vcpu;
	if (off >= REG_CONFIG) {
		uint8_t buf[8] = { 0 };
		uint64_t r = 0;

		lock(d->lock);
		if (off - REG_CONFIG + size <= d->config_size && d->ops->config_read)
			d->ops->config_read(d, (uint32_t)(off - REG_CONFIG), buf, size);
		else
			stat_inc(&d->bad_register_access);
		unlock(d->lock);
		memcpy(&r, buf, size);
		return r;
	}
	if (size != 4 || off % 4) {
		stat_inc(&d->bad_register_access);
		return 0;
	}
	lock(d->lock);
	switch (off) {
	case REG_MAGIC:
		v = VIRTIO_MMIO_MAGIC;
		break;
	case REG_VERSION:
		v = 2;
		break;
	case REG_DEVICE_ID:
		v = d->ops->device_id;
		break;
	case REG_VENDOR_ID:
		v = VIRTIO_VENDOR_ID;
		break;
	case REG_DEVICE_FEATURES:
		v = d->dev_feat_sel < 2 ? (uint32_t)(d->host_features >> (32 * d->dev_feat_sel)) :
					  0;
		break;
	case REG_QUEUE_NUM_MAX:
		q = sel_queue(d);
		v = q ? q->vq.num_max : 0;
		break;
	case REG_QUEUE_READY:
		q = sel_queue(d);
		if (q) {
			lock(q->lock);
			v = q->vq.ready;
			unlock(q->lock);
		}
		break;
	case REG_INTERRUPT_STATUS:
		v = __atomic_load_n(&d->interrupt_status, __ATOMIC_ACQUIRE);
		break;
	case REG_STATUS:
		v = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
		break;
	case REG_CONFIG_GEN:
		v = __atomic_load_n(&d->config_generation, __ATOMIC_ACQUIRE);
		break;
	default:
		stat_inc(&d->bad_register_access); /* write-only or reserved: reads 0 */
		break;
	}
	unlock(d->lock);
	return v;
}

void virtio_mmio_write(void *opaque, struct vcpu *vcpu, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_dev *d = opaque;
	uint32_t v = (uint32_t)val;

	(void)vcpu;
	if (off >= REG_CONFIG) {
		uint8_t buf[8];

		memcpy(buf, &val, size);
		lock(d->lock);
		if (off - REG_CONFIG + size <= d->config_size && d->ops->config_write)
			d->ops->config_write(d, (uint32_t)(off - REG_CONFIG), buf, size);
		else
			stat_inc(&d->bad_register_access);
		unlock(d->lock);
		return;
	}
	if (size != 4 || off % 4) {
		stat_inc(&d->bad_register_access);
		return;
	}
	if (off == REG_QUEUE_NOTIFY) {
		/* Without an ioeventfd for this queue, the kick is processed right here. */
		if (v < d->nqueues) {
			struct virtio_queue *q = &d->queues[v];

			if (q->loop) {
				uint64_t one = 1;

				/* ioeventfd not in place (yet): hand the kick to the queue's loop. */
				if (write(q->kick_fd, &one, sizeof(one)) < 0)
					log_debug("%s: kick: %s", d->name, strerror(errno));
				return;
			}
			lock(q->lock);
			queue_kick_locked(q);
			unlock(q->lock);
		} else {
			stat_inc(&d->early_notify);
		}
		return;
	}
	lock(d->lock);
	switch (off) {
	case REG_DEVICE_FEAT_SEL:
		d->dev_feat_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		if (d->drv_feat_sel < 2 &&
		    !(__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned shift = 32 * d->drv_feat_sel;

			d->guest_features &= ~(0xffffffffULL << shift);
			d->guest_features |= (uint64_t)v << shift;
		} else {
			stat_inc(&d->bad_register_access);
		}
		break;
	case REG_DRIVER_FEAT_SEL:
		d->drv_feat_sel = v;
		break;
	case REG_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case REG_QUEUE_NUM:
	case REG_QUEUE_READY:
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_AVAIL_LOW:
	case REG_QUEUE_AVAIL_HIGH:
	case REG_QUEUE_USED_LOW:
	case REG_QUEUE_USED_HIGH:
		queue_write_locked(d, off, v);
		break;
	case REG_INTERRUPT_ACK:
		__atomic_fetch_and(&d->interrupt_status, ~v, __ATOMIC_ACQ_REL);
		break;
	case REG_STATUS:
		write_status_locked(d, v);
		break;
	default:
		stat_inc(&d->bad_register_access); /* read-only or reserved: ignored */
		break;
	}
	unlock(d->lock);
}

static const struct as_ops virtio_mmio_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
	.min_access = 1,
	.max_access = 4,
};

int virtio_dev_init(struct virtio_dev *d, struct vm *vm, const struct virtio_dev_ops *ops,
		    const struct virtio_dev_config *c, void *priv)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->ops = ops;
	d->priv = priv;
	snprintf(d->name, sizeof(d->name), "%s", c->name);
	d->base = c->base;
	d->gsi = c->gsi;
	d->big_lock = c->big_lock;
	pthread_mutex_init(&d->own_lock, NULL);
	d->lock = c->big_lock ? NULL : &d->own_lock;
	d->irq_fd = -1;
	d->host_features = c->features | (1ULL << VIRTIO_F_VERSION_1) |
			   (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
			   (1ULL << VIRTIO_RING_F_EVENT_IDX);
	d->config_size = c->config_size;
	d->nqueues = c->nqueues;
	d->queues = calloc(c->nqueues, sizeof(*d->queues));
	if (!d->queues)
		return -ENOMEM;
	for (unsigned i = 0; i < c->nqueues; i++) {
		struct virtio_queue *q = &d->queues[i];

		q->dev = d;
		q->index = i;
		q->vq.num_max = c->queue_size;
		vq_reset(&q->vq);
		pthread_mutex_init(&q->own_lock, NULL);
		q->lock = c->big_lock ? NULL : &q->own_lock;
		q->kick_fd = -1;
		q->loop = c->queue_loops ? c->queue_loops[i] : NULL;
	}
	if (!vm)
		return 0; /* unit tests drive the registers directly */
	d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irq_fd < 0 || vm_irqfd(vm, d->irq_fd, d->gsi, true)) {
		log_debug("%s: no irqfd, using KVM_IRQ_LINE", d->name);
		if (d->irq_fd >= 0)
			close(d->irq_fd);
		d->irq_fd = -1;
	}
	for (unsigned i = 0; i < c->nqueues; i++) {
		struct virtio_queue *q = &d->queues[i];

		if (!q->loop)
			continue;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0)
			return -errno;
		ret = ioloop_add_fd(q->loop, q->kick_fd, EPOLLIN, on_kick_fd, q, &q->kick_handler);
		if (ret)
			return ret;
		ret = vm_ioeventfd(vm, q->kick_fd, d->base + REG_QUEUE_NOTIFY, 4, true, true, i,
				   true);
		if (ret)
			log_warn("%s: queue %u: no ioeventfd (%s); kicks go through an exit",
				 d->name, i, strerror(-ret));
	}
	return as_register(&vm->mmio, d->base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, d, c->big_lock,
			   d->name);
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	if (d->vm && d->queues) {
		if (as_unregister(&d->vm->mmio, d->base))
			log_debug("%s: not registered", d->name);
	}
	for (unsigned i = 0; d->queues && i < d->nqueues; i++) {
		struct virtio_queue *q = &d->queues[i];

		if (q->kick_fd >= 0) {
			if (d->vm && vm_ioeventfd(d->vm, q->kick_fd, d->base + REG_QUEUE_NOTIFY, 4,
						  true, true, i, false))
				log_debug("%s: ioeventfd %u not assigned", d->name, i);
			if (q->kick_handler)
				ioloop_del_fd(q->loop, q->kick_handler);
			close(q->kick_fd);
		}
		pthread_mutex_destroy(&q->own_lock);
	}
	if (d->irq_fd >= 0) {
		if (d->vm && vm_irqfd(d->vm, d->irq_fd, d->gsi, false))
			log_debug("%s: irqfd not assigned", d->name);
		close(d->irq_fd);
	}
	free(d->queues);
	d->queues = NULL;
	pthread_mutex_destroy(&d->own_lock);
}
