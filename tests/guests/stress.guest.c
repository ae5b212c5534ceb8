/*
 * stress - every part of the threading models at once, for a bounded time, with data checked:
 * vCPU 0 hammers its storm device (writes that cost handler time, and clock reads that must
 * never go backwards); vCPU 1 writes and reads back patterns on the first virtio-blk disk;
 * vCPU 2 hot-adds RAM, fills and checks it, and removes it again; vCPU 3 moves the device
 * window and checks what reads of it return; other vCPUs read the storm clock. Run it with
 * --map-churn and under every --threading preset. Arguments: duration_ms (2000).
 * Needs --vcpus 4 and --disk for the full set (fewer vCPUs run fewer roles).
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_U64("duration_ms", 2000, 1, 86400000, "how long to run (ms)"));

static uint32_t stop;
static uint64_t stats[8];

static int64_t hostcall2(uint32_t op, uint64_t a0, uint64_t a1)
{
	struct sg_call c = { .op = op, .ret = 1, .a = { a0, a1 } };

	outl(SG_PORT_HOSTCALL, (uint32_t)(uintptr_t)&c);
	return *(volatile int32_t *)&c.ret;
}

static void storm(unsigned cpu)
{
	uint64_t base = SG_STORM_BASE + 4096ULL * cpu, last = 0, n = 0;

	if (cpu == 0)
		mmio_write64(base + SG_STORM_WORK_NS, 2000);
	while (!atomic_load(&stop)) {
		uint64_t t = mmio_read64(base + SG_STORM_CLOCK);

		GUEST_ASSERT_MSG(t >= last, "the storm clock went backwards");
		last = t;
		if (cpu == 0)
			mmio_write64(base + SG_STORM_DATA, n);
		n++;
	}
	if (cpu == 0)
		GUEST_ASSERT_MSG(mmio_read64(base + SG_STORM_DATA) == n - 1, "storm data lost");
	stats[cpu] = n;
}

static void blk(void)
{
	static struct sg_vdev dev;
	static struct sg_vq vq;
	uint8_t *buf = sg_alloc(8 * 4096, 4096), *status = sg_alloc(64, 64);
	uint32_t *hdr = sg_alloc(8 * 16, 16);
	uint64_t rounds = 0, token;
	uint32_t len;

	if (!sg_virtio_find(VIRTIO_ID_BLOCK, 0, &dev))
		return;
	GUEST_ASSERT(sg_virtio_init(&dev, 1ULL << VIRTIO_F_INDIRECT_DESC) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, 64) == 0);
	sg_vq_set_interrupts(&vq, false);
	sg_virtio_driver_ok(&dev);
	while (!atomic_load(&stop)) {
		for (int dir = 1; dir >= 0; dir--) {
			for (unsigned i = 0; i < 8; i++) {
				struct sg_buf b[3] = { { hdr + 4 * i, 16, false },
						       { buf + 4096 * i, 4096, dir == 0 },
						       { status + i, 1, true } };

				hdr[4 * i] = (uint32_t)dir;
				hdr[4 * i + 1] = 0;
				*(uint64_t *)(hdr + 4 * i + 2) = (rounds % 64) * 64 + i * 8;
				if (dir)
					memset(buf + 4096 * i, (int)(rounds + i), 4096);
				else
					memset(buf + 4096 * i, 0, 4096);
				status[i] = 0xff;
				GUEST_ASSERT(sg_vq_add(&vq, b, 3, i, true) >= 0);
			}
			sg_vq_kick(&vq);
			for (unsigned got = 0; got < 8;) {
				if (!sg_vq_get_used(&vq, &token, &len)) {
					cpu_relax();
					continue;
				}
				GUEST_ASSERT_MSG(status[token] == 0, "virtio-blk I/O failed");
				if (!dir)
					GUEST_ASSERT_MSG(buf[4096 * token + 4095] ==
								 (uint8_t)(rounds + token),
							 "virtio-blk read back other data");
				got++;
			}
		}
		rounds++;
	}
	stats[1] = rounds;
}

static void memplug(void)
{
	uint64_t gpa = sg_boot->hotplug_base, size = 4ULL << 20, rounds = 0;

	while (!atomic_load(&stop)) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)gpa;

		GUEST_ASSERT_MSG(hostcall2(SG_CALL_MEM_ADD, gpa, size) == 0, "MEM_ADD failed");
		for (uint64_t off = 0; off < size / 8; off += 4096)
			p[off] = off + rounds;
		for (uint64_t off = 0; off < size / 8; off += 4096)
			GUEST_ASSERT_MSG(p[off] == off + rounds, "hot-added RAM lost data");
		GUEST_ASSERT_MSG(hostcall2(SG_CALL_MEM_REMOVE, gpa, 0) == 0, "MEM_REMOVE failed");
		GUEST_ASSERT_MSG(p[0] == ~0ULL, "removed RAM still reads as RAM");
		rounds++;
	}
	stats[2] = rounds;
}

static void window(void)
{
	uint64_t moves = 0;

	while (!atomic_load(&stop)) {
		uint64_t to = SG_WINDOW_AREA + ((moves + 1) % 128) * 4096;
		uint32_t sig;

		mmio_write64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVE, to);
		GUEST_ASSERT(mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_BASE) == to);
		sig = mmio_read32(to + SG_WINDOW_SIG);
		GUEST_ASSERT_MSG(sig == SG_WINDOW_SIGNATURE, "the window is not where it moved");
		moves++;
	}
	stats[3] = moves;
}

int guest_main(unsigned cpu)
{
	uint64_t end;

	sg_rendezvous();
	end = rdtsc() + sg_ns_to_tsc(sg_arg_u64("duration_ms") * 1000000);
	if (cpu == 0) {
		/* The timekeeper: runs the storm and says when to stop. */
		uint64_t base = SG_STORM_BASE, n = 0, last = 0;

		mmio_write64(base + SG_STORM_WORK_NS, 2000);
		while (rdtsc() < end) {
			uint64_t t = mmio_read64(base + SG_STORM_CLOCK);

			GUEST_ASSERT_MSG(t >= last, "the storm clock went backwards");
			last = t;
			mmio_write64(base + SG_STORM_DATA, ++n);
		}
		GUEST_ASSERT_MSG(mmio_read64(base + SG_STORM_DATA) == n, "storm data lost");
		stats[0] = n;
		atomic_store(&stop, 1);
	} else if (cpu == 1) {
		blk();
	} else if (cpu == 2) {
		memplug();
	} else if (cpu == 3) {
		window();
	} else {
		storm(cpu);
	}
	sg_rendezvous();
	if (cpu == 0)
		sg_printf(
			"stress: storm %u exits, blk %u rounds, memplug %u rounds, window %u moves\n",
			(unsigned)stats[0], (unsigned)stats[1], (unsigned)stats[2],
			(unsigned)stats[3]);
	return 0;
}
