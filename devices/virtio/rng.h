/*
 * rng.h - virtio-rng (entropy from getrandom(2)). One request queue; each request's
 * device-writable buffers are filled, at most 64 KiB per request.
 * Threads: as any virtio device (devices/virtio/mmio.h); no state beyond the transport's.
 */
#ifndef STRAND_DEVICES_VIRTIO_RNG_H
#define STRAND_DEVICES_VIRTIO_RNG_H

#include "devices/virtio/mmio.h"

struct vrng {
	struct virtio_dev dev;
	uint64_t bytes; /* relaxed atomic */
};

int __must_check vrng_init(struct vrng *r, struct vm *vm, uint64_t base, uint32_t gsi,
			   pthread_mutex_t *big_lock, struct ioloop *loop);
void vrng_destroy(struct vrng *r);

#endif
