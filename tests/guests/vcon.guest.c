/*
 * vcon - virtio-console: sends a greeting on the transmit queue; with echo=1 it then waits for
 * a line on the receive queue and sends it back prefixed with "echo: ". Needs
 * --virtio-console.
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_BOOL("echo", 0, "wait for a line and send it back"));

int guest_main(unsigned cpu)
{
	static struct sg_vdev dev;
	static struct sg_vq rx, tx;
	static const char hello[] = "hello from virtio-console\n";
	uint8_t *out = sg_alloc(256, 64), *in = sg_alloc(256, 64);
	uint64_t token;
	uint32_t len;

	if (cpu)
		return 0;
	GUEST_ASSERT_MSG(sg_virtio_find(VIRTIO_ID_CONSOLE, 0, &dev), "needs --virtio-console");
	GUEST_ASSERT(sg_virtio_init(&dev, 0) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &rx, 0, 16) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &tx, 1, 16) == 0);
	sg_vq_set_interrupts(&rx, false);
	sg_vq_set_interrupts(&tx, false);
	sg_virtio_driver_ok(&dev);
	{
		struct sg_buf b = { in, 256, true };

		GUEST_ASSERT(sg_vq_add(&rx, &b, 1, 1, false) >= 0);
		sg_vq_kick(&rx);
	}
	memcpy(out, hello, sizeof(hello) - 1);
	{
		struct sg_buf b = { out, sizeof(hello) - 1, false };

		GUEST_ASSERT(sg_vq_add(&tx, &b, 1, 2, false) >= 0);
		sg_vq_kick(&tx);
		while (!sg_vq_get_used(&tx, &token, &len))
			cpu_relax();
	}
	if (!sg_arg_u64("echo"))
		return 0;
	while (!sg_vq_get_used(&rx, &token, &len))
		cpu_relax();
	memcpy(out, "echo: ", 6);
	memcpy(out + 6, in, len);
	{
		struct sg_buf b = { out, 6 + len, false };

		GUEST_ASSERT(sg_vq_add(&tx, &b, 1, 3, false) >= 0);
		sg_vq_kick(&tx);
		while (!sg_vq_get_used(&tx, &token, &len))
			cpu_relax();
	}
	return 0;
}
