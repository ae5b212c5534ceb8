/*
 * vrng - reads entropy from virtio-rng: two 256-byte reads must both be filled and differ
 * (and not be all zeros). Needs --rng.
 */
#include "core/guest/virtio.h"

/* No arguments: the host refuses any. */
SG_ARGS();

static uint64_t fill(struct sg_vq *vq, uint8_t *buf, uint32_t len)
{
	struct sg_buf b = { buf, len, true };
	uint64_t token;
	uint32_t got;

	GUEST_ASSERT(sg_vq_add(vq, &b, 1, 1, false) >= 0);
	sg_vq_kick(vq);
	while (!sg_vq_get_used(vq, &token, &got))
		cpu_relax();
	return got;
}

int guest_main(unsigned cpu)
{
	static struct sg_vdev dev;
	static struct sg_vq vq;
	uint8_t *a = sg_alloc(256, 64), *b = sg_alloc(256, 64);
	unsigned nonzero = 0;

	if (cpu)
		return 0;
	GUEST_ASSERT_MSG(sg_virtio_find(VIRTIO_ID_RNG, 0, &dev), "needs --rng");
	GUEST_ASSERT(sg_virtio_init(&dev, 0) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, 16) == 0);
	sg_vq_set_interrupts(&vq, false);
	sg_virtio_driver_ok(&dev);
	GUEST_ASSERT(fill(&vq, a, 256) == 256);
	GUEST_ASSERT(fill(&vq, b, 256) == 256);
	for (unsigned i = 0; i < 256; i++)
		nonzero += a[i] != 0;
	GUEST_ASSERT_MSG(nonzero > 200, "entropy is mostly zeros");
	GUEST_ASSERT_MSG(memcmp(a, b, 256) != 0, "two reads returned the same bytes");
	sg_printf("vrng: 512 random bytes\n");
	return 0;
}
