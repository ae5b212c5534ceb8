/* rng.c - virtio-rng. Requests are processed where the queue is kicked (see mmio.h). */
#include <string.h>
#include <sys/random.h>

#include "core/memmap.h"
#include "core/vm.h"
#include "devices/virtio/rng.h"

#define VRNG_MAX_PER_REQUEST (64 * 1024)

static void vrng_notify(struct virtio_dev *d, unsigned qi)
{
	struct vrng *r = d->priv;
	struct virtio_queue *q = &d->queues[qi];
	const struct memmap_table *t = memmap_read_begin(&d->vm->mem);
	struct vq_iov iov[64];
	struct vq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	bool pushed = false;
	int ret;

	while ((ret = vq_pop(&q->vq, t, &c)) > 0) {
		uint32_t written = 0;

		for (unsigned i = c.n_readable; i < c.n_readable + c.n_writable; i++) {
			uint32_t want = MIN(iov[i].len, VRNG_MAX_PER_REQUEST - written);
			ssize_t n = want ? getrandom(iov[i].hva, want, 0) : 0;

			if (n <= 0)
				break;
			written += (uint32_t)n;
			if ((uint32_t)n < want)
				break;
		}
		stat_add(&r->bytes, written);
		if (vq_push(&q->vq, t, c.head, written))
			break;
		pushed = true;
	}
	if (ret < 0 || q->vq.broken)
		virtio_dev_needs_reset(d, q);
	if (pushed)
		virtio_queue_notify_guest(q, t);
	memmap_read_end(&d->vm->mem);
}

static const struct virtio_dev_ops vrng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.queue_notify = vrng_notify,
};

int vrng_init(struct vrng *r, struct vm *vm, uint64_t base, uint32_t gsi, pthread_mutex_t *big_lock,
	      struct ioloop *loop)
{
	struct ioloop *loops[1] = { loop };
	struct virtio_dev_config c = {
		.name = "virtio-rng",
		.base = base,
		.gsi = gsi,
		.nqueues = 1,
		.queue_size = 64,
		.big_lock = big_lock,
		.queue_loops = loop ? loops : NULL,
	};

	memset(r, 0, sizeof(*r));
	return virtio_dev_init(&r->dev, vm, &vrng_ops, &c, r);
}

void vrng_destroy(struct vrng *r)
{
	virtio_dev_destroy(&r->dev);
}
