/*
 * memplug - RAM hot-add and hot-remove while I/O runs. vCPU 0 adds a region in the hot-plug
 * window (SG_CALL_MEM_ADD), checks it is usable RAM, lets vCPU 1 move its virtio-blk buffers
 * there for a batch of verified writes and reads, then removes it (SG_CALL_MEM_REMOVE) and
 * checks that it is gone (reads all-ones). With hostile=1, vCPU 0 removes the region while
 * vCPU 1's requests into it may still be in flight: strand must neither crash nor free the
 * memory under the device (the requests fail or complete; the guest resets the device).
 * Arguments: rounds (20), size_mb (8), ios (requests per batch, at most 21), hostile (0).
 * Needs --disk for I/O (without one, only vCPU 0's add/remove runs), backed by a file: the
 * writes are read back and compared, and a null disk discards writes, so it fails there.
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_U64("rounds", 20, 1, 1000000, "add/use/remove rounds"),
	SG_ARG_U64("size_mb", 8, 2, 65536, "size of the hot-added region (MiB, a multiple of 2)"),
	SG_ARG_U64("ios", 32, 1, 1000000, "verified requests per batch (at most 21 are used)"),
	SG_ARG_BOOL("hostile", 0, "remove the region while requests into it may be in flight"));

static uint32_t epoch;	   /* odd: a region is present and usable */
static uint32_t acked;	   /* vCPU 1 finished with epoch N */
static uint32_t submitted; /* vCPU 1 has requests into the region in flight for epoch N */
static uint32_t finished;
static uint64_t region;

static int64_t hostcall2(uint32_t op, uint64_t a0, uint64_t a1)
{
	struct sg_call c = { .op = op, .ret = 1, .a = { a0, a1 } };

	outl(SG_PORT_HOSTCALL, (uint32_t)(uintptr_t)&c);
	return *(volatile int32_t *)&c.ret;
}

static void io_user(bool hostile)
{
	static struct sg_vdev dev;
	static struct sg_vq vq;
	uint32_t seen = 0;
	uint64_t rounds_done = 0, failed = 0;

	if (!sg_virtio_find(VIRTIO_ID_BLOCK, 0, &dev))
		return;
	GUEST_ASSERT(sg_virtio_init(&dev, 0) == 0);
	GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, 64) == 0);
	sg_vq_set_interrupts(&vq, false);
	sg_virtio_driver_ok(&dev);
	while (!atomic_load(&finished)) {
		uint32_t e = atomic_load(&epoch);
		uint8_t *buf;
		uint32_t *hdr;
		uint8_t *status;
		uint64_t ios = sg_arg_u64("ios"), token;

		uint32_t len;
		bool ok = true;

		if (!(e & 1) || e == seen) {
			cpu_relax();
			continue;
		}
		seen = e;
		buf = (uint8_t *)(uintptr_t)atomic_load(&region);
		hdr = (uint32_t *)(buf + 4096 * 64);
		status = buf + 4096 * 64 + 4096;
		/* A batch of writes from the region, all in flight at once, then a batch of reads. */
		for (int dir = 1; dir >= 0 && ok; dir--) {
			uint64_t n = ios < 21 ? ios : 21,
				 got = 0; /* 3 descriptors each, 64 slots */
			uint64_t deadline = rdtsc() + sg_ns_to_tsc(5000000000ULL);

			for (uint64_t i = 0; i < n; i++) {
				uint32_t *h = hdr + 4 * i;
				struct sg_buf b[3] = { { h, 16, false },
						       { buf + i * 4096, 4096, dir == 0 },
						       { status + i, 1, true } };

				h[0] = (uint32_t)dir; /* 1: write, then 0: read back */
				h[1] = 0;
				*(uint64_t *)(h + 2) = i * 8;
				if (dir == 1)
					memset(b[1].addr, (int)(e + i), 4096);
				else
					memset(b[1].addr, 0, 4096);
				status[i] = 0xff;
				GUEST_ASSERT(sg_vq_add(&vq, b, 3, i, false) >= 0);
			}
			sg_vq_kick(&vq);
			atomic_store(&submitted, e);
			while (got < n) {
				if (!sg_vq_get_used(&vq, &token, &len)) {
					if (rdtsc() > deadline ||
					    (sg_virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET)) {
						ok = false;
						break;
					}
					cpu_relax();
					continue;
				}
				got++;
				if (status[token] != 0)
					ok = false;
				else if (dir == 0 &&
					 buf[token * 4096 + 4095] != (uint8_t)(e + token))
					ok = false;
			}
		}
		if (!ok) {
			/* Only a hostile removal may break I/O: then start the device over. */
			GUEST_ASSERT_MSG(hostile, "I/O into hot-added RAM failed");
			failed++;
			GUEST_ASSERT(sg_virtio_init(&dev, 0) == 0);
			GUEST_ASSERT(sg_vq_setup(&dev, &vq, 0, 64) == 0);
			sg_vq_set_interrupts(&vq, false);
			sg_virtio_driver_ok(&dev);
		}
		rounds_done++;
		atomic_store(&acked, e);
	}
	sg_result("io_rounds", rounds_done, 1, "rounds");
	sg_result("io_rounds_failed", failed, 1, "rounds");
}

int guest_main(unsigned cpu)
{
	uint64_t rounds = sg_arg_u64("rounds");
	uint64_t size = sg_arg_u64("size_mb") * 1024 * 1024;
	bool hostile = sg_arg_u64("hostile");

	GUEST_ASSERT_MSG(size >= 2 * 1024 * 1024 && size % (2 * 1024 * 1024) == 0,
			 "size_mb must be a multiple of 2");
	GUEST_ASSERT(sg_boot->hotplug_size >= size);
	sg_rendezvous();
	if (cpu == 1) {
		io_user(hostile);
		return 0;
	}
	if (cpu != 0)
		return 0;
	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t gpa = sg_boot->hotplug_base + (r % 4) * size;
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)gpa;
		uint64_t deadline;

		GUEST_ASSERT_MSG(hostcall2(SG_CALL_MEM_ADD, gpa, size) == 0, "MEM_ADD failed");
		for (uint64_t off = 0; off < size / 8; off += 512)
			p[off] = off ^ r;
		for (uint64_t off = 0; off < size / 8; off += 512)
			GUEST_ASSERT_MSG(p[off] == (off ^ r), "hot-added RAM does not hold data");
		atomic_store(&region, gpa);
		atomic_store(&epoch, (uint32_t)(2 * r + 1));
		/* Let vCPU 1 use it; a hostile run pulls it out from under the I/O in flight. */
		deadline = rdtsc() + sg_ns_to_tsc(5000000000ULL);
		while (sg_nr_cpus() > 1 && rdtsc() < deadline &&
		       atomic_load(hostile ? &submitted : &acked) != 2 * r + 1)
			cpu_relax();
		atomic_store(&epoch, (uint32_t)(2 * r + 2));
		GUEST_ASSERT_MSG(hostcall2(SG_CALL_MEM_REMOVE, gpa, 0) == 0, "MEM_REMOVE failed");
		/* Gone: the address now reaches no RAM, and reads come back all-ones. */
		GUEST_ASSERT_MSG(p[0] == ~0ULL, "removed RAM still reads as RAM");
		if (hostile)
			while (sg_nr_cpus() > 1 && atomic_load(&acked) != 2 * r + 1 &&
			       rdtsc() < deadline + sg_ns_to_tsc(5000000000ULL))
				cpu_relax();
	}
	atomic_store(&finished, 1);
	sg_printf("memplug: %u rounds of add/use/remove\n", (unsigned)rounds);
	sg_result("rounds", rounds, 1, "rounds");
	return 0;
}
