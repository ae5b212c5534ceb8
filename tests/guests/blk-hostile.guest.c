/*
 * blk-hostile - a table of malformed virtio-blk queues, one case at a time: after each, the VMM
 * must still answer a host call, the device must report DEVICE_NEEDS_RESET (or, for the cases
 * that are not queue corruption, keep working), and after a reset a normal read must succeed.
 * Argument: only=NAME runs one case. Prints "case NAME: ok" per case; any failure asserts.
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_STR("only", "", 39, "run only the case of this name (default: every case)"));

#define BLK_T_IN  0
#define BLK_T_OUT 1
#define NUM	  8
#define BAD_GPA	  0xffff800000000000ULL

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct sg_vdev dev;
static struct sg_vq vq;
static struct blk_hdr *hdr;
static uint8_t *data, *status;
static struct vq_desc *itab;

enum setup_flags {
	NO_INDIRECT = 1,  /* do not negotiate VIRTIO_RING_F_INDIRECT_DESC */
	NO_DRIVER_OK = 2, /* stop before DRIVER_OK */
	RAW_QUEUE = 4,	  /* the case programs the queue registers itself */
};

static void setup(unsigned flags)
{
	uint64_t want = flags & NO_INDIRECT ? 0 : 1ULL << VIRTIO_F_INDIRECT_DESC;

	GUEST_ASSERT(sg_virtio_init(&dev, want) == 0);
	if (!(flags & RAW_QUEUE))
		GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, NUM) == 0);
	if (!(flags & NO_DRIVER_OK))
		sg_virtio_driver_ok(&dev);
	hdr->type = BLK_T_IN;
	hdr->reserved = 0;
	hdr->sector = 0;
	*status = 0xff;
}

/* A host call that must come back: the VMM is alive and serving. */
static void check_alive(void)
{
	struct sg_call c = { .op = SG_CALL_PRINT, .ret = 1, .a = { (uintptr_t) "", 0 } };

	outl(SG_PORT_HOSTCALL, (uint32_t)(uintptr_t)&c);
	GUEST_ASSERT_MSG(c.ret == 0, "the VMM did not answer a host call");
}

/* Wait up to ms for the status to show NEEDS_RESET; returns whether it did. */
static bool wait_needs_reset(uint64_t ms)
{
	uint64_t end = rdtsc() + sg_ns_to_tsc(ms * 1000000);

	do {
		if (sg_virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET)
			return true;
		cpu_relax();
	} while (rdtsc() < end);
	return false;
}

/* After a reset, a plain 4 KiB read of sector 0 works. */
static void check_works(void)
{
	struct sg_buf b[3] = {
		{ hdr, sizeof(*hdr), false },
		{ data, 4096, true },
		{ status, 1, true },
	};
	uint64_t token, end = rdtsc() + sg_ns_to_tsc(2000000000ULL);
	uint32_t len;

	sg_virtio_reset(&dev);
	setup(0);
	GUEST_ASSERT(sg_vq_add(&vq, b, 3, 7, false) >= 0);
	sg_vq_kick(&vq);
	while (!sg_vq_get_used(&vq, &token, &len)) {
		GUEST_ASSERT_MSG(rdtsc() < end, "no completion after the reset");
		cpu_relax();
	}
	GUEST_ASSERT(token == 7);
	GUEST_ASSERT_MSG(*status == 0, "read after reset failed");
	GUEST_ASSERT(len == 4097);
}

/* Put one chain head on the avail ring and kick. */
static void submit_head(uint16_t head)
{
	sg_vq_raw_avail(&vq, head);
	sg_vq_kick(&vq);
}

static void c_buffer_outside_ram(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, BAD_GPA, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
}

static void c_buffer_overflow(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, 0xfffffffffffff000ULL, 0x2000, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 2);
	sg_vq_raw_desc(&vq, 2, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
}

static void c_loop(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)data, 512, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 0);
	submit_head(0);
}

static void c_longer_than_queue(void)
{
	/* An indirect table of NUM + 1 valid buffers: longer than the queue allows. */
	setup(0);
	itab[0] = (struct vq_desc){ (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1 };
	for (uint16_t i = 1; i < NUM; i++)
		itab[i] = (struct vq_desc){ (uintptr_t)data + 512 * i, 512,
					    VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, (uint16_t)(i + 1) };
	itab[NUM] = (struct vq_desc){ (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0 };
	sg_vq_raw_desc(&vq, 0, (uintptr_t)itab, 16 * (NUM + 1), VQ_DESC_F_INDIRECT, 0);
	submit_head(0);
}

static void c_next_out_of_range(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 100);
	submit_head(0);
}

static void c_head_out_of_range(void)
{
	setup(0);
	submit_head(NUM + 3);
}

static void c_avail_jump(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	sg_vq_raw_set_avail_idx(&vq, NUM + 5);
	sg_vq_kick(&vq);
}

static void c_nested_indirect(void)
{
	setup(0);
	itab[0] = (struct vq_desc){ (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1 };
	itab[1] = (struct vq_desc){ (uintptr_t)(itab + 4), 32, VQ_DESC_F_INDIRECT, 0 };
	itab[4] = (struct vq_desc){ (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0 };
	sg_vq_raw_desc(&vq, 0, (uintptr_t)itab, 32, VQ_DESC_F_INDIRECT, 0);
	submit_head(0);
}

static void c_indirect_outside_ram(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, BAD_GPA, 32, VQ_DESC_F_INDIRECT, 0);
	submit_head(0);
}

static void c_indirect_bad_length(void)
{
	setup(0);
	itab[0] = (struct vq_desc){ (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1 };
	itab[1] = (struct vq_desc){ (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0 };
	sg_vq_raw_desc(&vq, 0, (uintptr_t)itab, 24, VQ_DESC_F_INDIRECT, 0);
	submit_head(0);
}

static void c_indirect_with_next(void)
{
	setup(0);
	itab[0] = (struct vq_desc){ (uintptr_t)hdr, sizeof(*hdr), 0, 0 };
	sg_vq_raw_desc(&vq, 0, (uintptr_t)itab, 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
}

static void c_indirect_not_negotiated(void)
{
	setup(NO_INDIRECT);
	itab[0] = (struct vq_desc){ (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1 };
	itab[1] = (struct vq_desc){ (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0 };
	sg_vq_raw_desc(&vq, 0, (uintptr_t)itab, 32, VQ_DESC_F_INDIRECT, 0);
	submit_head(0);
}

static void c_zero_length(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)data, 0, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 2);
	sg_vq_raw_desc(&vq, 2, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
}

static void c_readable_after_writable(void)
{
	setup(0);
	hdr->type = BLK_T_OUT;
	sg_vq_raw_desc(&vq, 0, (uintptr_t)status, 1, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 2);
	sg_vq_raw_desc(&vq, 2, (uintptr_t)data, 512, 0, 0);
	submit_head(0);
}

static void c_no_status_byte(void)
{
	setup(0);
	hdr->type = BLK_T_OUT;
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)data, 512, 0, 0);
	submit_head(0);
}

static void c_header_device_writable(void)
{
	setup(0);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
}

static void raw_queue(uint32_t num, uint64_t used_gpa)
{
	uint8_t *rings = sg_alloc(3 * 4096, 4096);

	vdev_write(&dev, VMMIO_QUEUE_SEL, 0);
	vdev_write(&dev, VMMIO_QUEUE_NUM, num);
	vdev_write(&dev, VMMIO_QUEUE_DESC, (uint32_t)(uintptr_t)rings);
	vdev_write(&dev, VMMIO_QUEUE_DESC + 4, 0);
	vdev_write(&dev, VMMIO_QUEUE_AVAIL, (uint32_t)(uintptr_t)(rings + 4096));
	vdev_write(&dev, VMMIO_QUEUE_AVAIL + 4, 0);
	vdev_write(&dev, VMMIO_QUEUE_USED, (uint32_t)used_gpa);
	vdev_write(&dev, VMMIO_QUEUE_USED + 4, (uint32_t)(used_gpa >> 32));
	vdev_write(&dev, VMMIO_QUEUE_READY, 1);
}

static void c_used_ring_outside_ram(void)
{
	setup(RAW_QUEUE | NO_DRIVER_OK);
	raw_queue(NUM, BAD_GPA);
	sg_virtio_driver_ok(&dev);
}

static void c_queue_size_not_power_of_two(void)
{
	uint8_t *used = sg_alloc(4096, 4096);

	setup(RAW_QUEUE | NO_DRIVER_OK);
	raw_queue(6, (uintptr_t)used);
	sg_virtio_driver_ok(&dev);
}

static void c_notify_before_driver_ok(void)
{
	setup(NO_DRIVER_OK);
	sg_vq_raw_desc(&vq, 0, (uintptr_t)hdr, sizeof(*hdr), VQ_DESC_F_NEXT, 1);
	sg_vq_raw_desc(&vq, 1, (uintptr_t)status, 1, VQ_DESC_F_WRITE, 0);
	submit_head(0);
	/* Ignored (counted): nothing was completed. */
	GUEST_ASSERT_MSG(*status == 0xff, "a request was served before DRIVER_OK");
}

static void c_config_write_out_of_range(void)
{
	uint32_t cap_lo;

	setup(0);
	cap_lo = vdev_read(&dev, VMMIO_CONFIG);
	for (uint32_t off = 0x100; off < 0x200; off += 4)
		vdev_write(&dev, VMMIO_CONFIG + off - 0x100 + 0x80, 0xdeadbeef);
	vdev_write(&dev, 0x1fc, 0xdeadbeef);
	mmio_write8(dev.base + VMMIO_STATUS + 1, 0xff); /* a sub-word control register write */
	GUEST_ASSERT_MSG(vdev_read(&dev, VMMIO_CONFIG) == cap_lo, "config space changed");
}

static void c_features_not_offered(void)
{
	/* Ask for a feature the device does not offer: FEATURES_OK must not stick. */
	sg_virtio_reset(&dev);
	vdev_write(&dev, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdev_write(&dev, VMMIO_DRIVER_FEAT_SEL, 0);
	vdev_write(&dev, VMMIO_DRIVER_FEATURES, 1u << 31);
	vdev_write(&dev, VMMIO_DRIVER_FEAT_SEL, 1);
	vdev_write(&dev, VMMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	vdev_write(&dev, VMMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	GUEST_ASSERT_MSG(!(sg_virtio_status(&dev) & VIRTIO_STATUS_FEATURES_OK),
			 "FEATURES_OK accepted with a feature the device does not offer");
}

static const struct {
	const char *name;
	void (*run)(void);
	bool needs_reset;
} cases[] = {
	{ "buffer-outside-ram", c_buffer_outside_ram, true },
	{ "buffer-address-overflow", c_buffer_overflow, true },
	{ "descriptor-loop", c_loop, true },
	{ "chain-longer-than-queue", c_longer_than_queue, true },
	{ "next-out-of-range", c_next_out_of_range, true },
	{ "head-out-of-range", c_head_out_of_range, true },
	{ "avail-index-jump", c_avail_jump, true },
	{ "nested-indirect", c_nested_indirect, true },
	{ "indirect-outside-ram", c_indirect_outside_ram, true },
	{ "indirect-bad-length", c_indirect_bad_length, true },
	{ "indirect-with-next", c_indirect_with_next, true },
	{ "indirect-not-negotiated", c_indirect_not_negotiated, true },
	{ "zero-length-buffer", c_zero_length, true },
	{ "readable-after-writable", c_readable_after_writable, true },
	{ "no-status-byte", c_no_status_byte, true },
	{ "header-device-writable", c_header_device_writable, true },
	{ "used-ring-outside-ram", c_used_ring_outside_ram, true },
	{ "queue-size-not-power-of-two", c_queue_size_not_power_of_two, true },
	{ "notify-before-driver-ok", c_notify_before_driver_ok, false },
	{ "config-write-out-of-range", c_config_write_out_of_range, false },
	{ "features-not-offered", c_features_not_offered, false },
};

int guest_main(unsigned cpu)
{
	char only[40] = "";
	unsigned ran = 0;

	if (cpu != 0)
		return 0;
	GUEST_ASSERT_MSG(sg_virtio_find(VIRTIO_ID_BLOCK, 0, &dev), "needs --disk");
	hdr = sg_alloc(sizeof(*hdr), 64);
	data = sg_alloc(8192, 4096);
	status = sg_alloc(64, 64);
	itab = sg_alloc(16 * 64, 64);
	sg_arg_str("only", only, sizeof(only));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool reset;

		if (only[0] && strcmp(only, cases[i].name))
			continue;
		cases[i].run();
		check_alive();
		/* Asynchronous devices (iothreads) may take a moment to look at the queue. */
		reset = wait_needs_reset(cases[i].needs_reset ? 2000 : 20);
		if (reset != cases[i].needs_reset) {
			sg_printf("case %s: DEVICE_NEEDS_RESET is %s, expected %s\n", cases[i].name,
				  reset ? "set" : "clear", cases[i].needs_reset ? "set" : "clear");
			sg_exit(1);
		}
		check_works();
		sg_printf("case %s: ok\n", cases[i].name);
		ran++;
	}
	GUEST_ASSERT_MSG(ran > 0, "no case matched only=");
	sg_printf("blk-hostile: %u cases passed\n", ran);
	return 0;
}
