/*
 * blk-io - virtio-blk I/O at a chosen queue depth and size: IOPS and per-request latency.
 * Arguments: mode=randread|randwrite|read|write|verify|verify-zero|flushlog (randread),
 * qd (1), bs (4096, multiple of 512), ops (2000 per vCPU), warmup (100), span (bytes of the
 * disk used, default all), disk (nth virtio-blk, 0), irq=1 (wait for the interrupt on vCPU 0
 * instead of polling the used ring), indirect=1 (indirect descriptors), seed (1).
 * With several vCPUs and queues=N on the disk, vCPU i drives queue i (vCPUs beyond N idle).
 * verify writes a pattern and reads it back; verify-zero expects zeros (the null backend);
 * flushlog writes block k, flushes, and prints "flushed k" once the flush completed.
 * Reports iops, bytes_per_s and the raw latencies (tsc -> ns).
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_ENUM("mode", "randread", "randread|randwrite|read|write|verify|verify-zero|flushlog",
		    "the I/O pattern"),
	SG_ARG_U64("qd", 1, 1, 128, "requests in flight per vCPU (queue depth)"),
	SG_ARG_U64("bs", 4096, 512, 1048576, "request size in bytes (a multiple of 512)"),
	SG_ARG_U64("ops", 2000, 1, 100000000, "timed requests per vCPU"),
	SG_ARG_U64("warmup", 100, 0, 100000000, "untimed requests first"),
	SG_ARG_U64("span", 0, 0, ~0ULL, "bytes of the disk used (0: all of it)"),
	SG_ARG_U64("disk", 0, 0, 7, "which virtio-blk disk (nth --disk)"),
	SG_ARG_BOOL("irq", 0, "vCPU 0 waits for the interrupt instead of polling"),
	SG_ARG_BOOL("indirect", 0, "indirect descriptors"),
	SG_ARG_U64("seed", 1, 0, ~0ULL, "seed of the random offsets"));

#define BLK_T_IN    0
#define BLK_T_OUT   1
#define BLK_T_FLUSH 4
#define BLK_S_OK    0
#define MAX_QD	    128

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct slot {
	struct blk_hdr *hdr;
	uint8_t *data;
	uint8_t *status;
	uint64_t t0;
	uint64_t block;
	bool busy;
};

static struct sg_vdev dev;
static struct sg_vq queues[16];
static uint32_t nqueues;
static uint64_t capacity_sectors;
static uint32_t setup_done;

static void pattern(uint8_t *p, uint64_t bs, uint64_t block, uint64_t seed)
{
	uint64_t *w = (uint64_t *)p;

	for (uint64_t i = 0; i < bs / 8; i++)
		w[i] = (block * 0x9e3779b97f4a7c15ULL) ^ (seed << 32) ^ i;
}

static bool check_pattern(const uint8_t *p, uint64_t bs, uint64_t block, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)p;

	for (uint64_t i = 0; i < bs / 8; i++) {
		if (w[i] != ((block * 0x9e3779b97f4a7c15ULL) ^ (seed << 32) ^ i))
			return false;
	}
	return true;
}

static void submit(struct sg_vq *vq, struct slot *s, unsigned idx, uint32_t type, uint64_t block,
		   uint64_t bs, bool indirect)
{
	struct sg_buf b[3];
	unsigned n = 0;

	s->hdr->type = type;
	s->hdr->reserved = 0;
	s->hdr->sector = block * (bs / 512);
	*s->status = 0xff;
	s->block = block;
	b[n++] = (struct sg_buf){ s->hdr, sizeof(*s->hdr), false };
	if (type == BLK_T_IN)
		b[n++] = (struct sg_buf){ s->data, (uint32_t)bs, true };
	else if (type == BLK_T_OUT)
		b[n++] = (struct sg_buf){ s->data, (uint32_t)bs, false };
	b[n++] = (struct sg_buf){ s->status, 1, true };
	s->busy = true;
	s->t0 = rdtsc();
	GUEST_ASSERT(sg_vq_add(vq, b, n, idx, indirect) >= 0);
}

/* Wait for one completion; returns its slot index. */
static unsigned reap(struct sg_vq *vq, bool irq, uint64_t *irq_seen)
{
	uint64_t token;
	uint32_t len;

	while (!sg_vq_get_used(vq, &token, &len)) {
		if (irq)
			sg_virtio_wait_irq(vq->dev, irq_seen);
		else
			cpu_relax();
	}
	return (unsigned)token;
}

static void setup(unsigned cpu)
{
	uint64_t wanted =
		(1ULL << VIRTIO_F_INDIRECT_DESC) | (1ULL << 12) /* MQ */ | (1ULL << 9) /* FLUSH */;

	GUEST_ASSERT_MSG(sg_virtio_find(VIRTIO_ID_BLOCK, (unsigned)sg_arg_u64("disk"), &dev),
			 "no virtio-blk disk (strand run --disk ...)");
	GUEST_ASSERT(sg_virtio_init(&dev, wanted) == 0);
	capacity_sectors =
		vdev_read(&dev, VMMIO_CONFIG) | ((uint64_t)vdev_read(&dev, VMMIO_CONFIG + 4) << 32);
	nqueues = (dev.features & (1ULL << 12)) ? (vdev_read(&dev, VMMIO_CONFIG + 34) & 0xffff) : 1;
	if (nqueues > 16)
		nqueues = 16;
	if (nqueues == 0)
		nqueues = 1;
	for (uint32_t q = 0; q < nqueues; q++)
		GUEST_ASSERT(sg_vq_setup(&dev, &queues[q], (uint16_t)q, 256) == 0);
	sg_virtio_driver_ok(&dev);
	(void)cpu;
}

int guest_main(unsigned cpu)
{
	char mode[16] = "randread";
	uint64_t qd = sg_arg_u64("qd"), bs = sg_arg_u64("bs");
	uint64_t ops = sg_arg_u64("ops"), warmup = sg_arg_u64("warmup");
	uint64_t seed = sg_arg_u64("seed"), rng = 0x1234567 + cpu * 7919 + seed;
	bool irq = sg_arg_u64("irq") && cpu == 0, indirect = sg_arg_u64("indirect");
	uint64_t span, blocks, done = 0, issued = 0, errors = 0, irq_seen = 0, t_start = 0;
	uint64_t *lat;
	struct slot slots[MAX_QD];
	struct sg_vq *vq;

	sg_arg_str("mode", mode, sizeof(mode));
	GUEST_ASSERT_MSG(qd >= 1 && qd <= MAX_QD, "qd must be 1..128");
	GUEST_ASSERT_MSG(bs >= 512 && bs % 512 == 0 && bs <= 1024 * 1024, "bad bs");
	if (cpu == 0) {
		setup(cpu);
		atomic_store(&setup_done, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&setup_done));
	if (cpu >= nqueues)
		return 0;
	vq = &queues[cpu];
	sg_vq_set_interrupts(vq, irq);
	span = sg_arg_u64("span");
	if (span == 0 || span > capacity_sectors * 512)
		span = capacity_sectors * 512;
	blocks = span / bs;
	GUEST_ASSERT_MSG(blocks > 0, "disk smaller than one block");
	lat = sg_alloc(ops * sizeof(uint64_t), 64);
	for (unsigned i = 0; i < qd; i++) {
		slots[i].hdr = sg_alloc(sizeof(struct blk_hdr), 16);
		slots[i].data = sg_alloc(bs, 4096);
		slots[i].status = sg_alloc(1, 16);
		slots[i].busy = false;
	}

	if (strcmp(mode, "flushlog") == 0) {
		for (uint64_t k = 0; k < ops && k < blocks; k++) {
			unsigned s;

			pattern(slots[0].data, bs, k, seed);
			submit(vq, &slots[0], 0, BLK_T_OUT, k, bs, indirect);
			sg_vq_kick(vq);
			s = reap(vq, irq, &irq_seen);
			GUEST_ASSERT(*slots[s].status == BLK_S_OK);
			submit(vq, &slots[0], 0, BLK_T_FLUSH, 0, bs, indirect);
			sg_vq_kick(vq);
			s = reap(vq, irq, &irq_seen);
			GUEST_ASSERT_MSG(*slots[s].status == BLK_S_OK, "flush failed");
			sg_printf("flushed %u\n", (unsigned)k);
		}
		return 0;
	}
	if (strcmp(mode, "verify") == 0 || strcmp(mode, "verify-zero") == 0) {
		bool zero = mode[6] == '-';
		uint64_t n = ops < blocks ? ops : blocks;
		uint64_t first = cpu * n; /* queues verify disjoint ranges */

		if (first + n > blocks)
			first = 0;
		for (int phase = zero ? 1 : 0; phase < 2; phase++) {
			uint64_t next = 0, completed = 0;

			while (completed < n) {
				while (next < n && next - completed < qd) {
					unsigned s = 0;

					/* Completions may come back out of order: take a free slot. */
					while (slots[s].busy)
						s++;

					if (phase == 0)
						pattern(slots[s].data, bs, first + next, seed);
					else
						memset(slots[s].data, 0xa5, bs);
					submit(vq, &slots[s], s, phase ? BLK_T_IN : BLK_T_OUT,
					       first + next, bs, indirect);
					next++;
				}
				sg_vq_kick(vq);
				unsigned s = reap(vq, irq, &irq_seen);

				GUEST_ASSERT_MSG(*slots[s].status == BLK_S_OK, "I/O error");
				if (phase == 1) {
					bool ok;

					if (zero) {
						ok = true;
						for (uint64_t i = 0; i < bs; i++)
							ok &= slots[s].data[i] == 0;
					} else {
						ok = check_pattern(slots[s].data, bs,
								   slots[s].block, seed);
					}
					GUEST_ASSERT_MSG(
						ok, "data read back differs from what was written");
				}
				slots[s].busy = false;
				completed++;
			}
		}
		if (cpu == 0)
			sg_printf("blk-io: verified %u blocks of %u bytes per queue\n", (unsigned)n,
				  (unsigned)bs);
		sg_result("verified_blocks", n, 1, "blocks");
		return 0;
	}

	/* Throughput and latency: keep qd requests in flight. */
	{
		bool write = strcmp(mode, "randwrite") == 0 || strcmp(mode, "write") == 0;
		bool seq = strcmp(mode, "read") == 0 || strcmp(mode, "write") == 0;
		uint64_t total = warmup + ops, nlat = 0;

		GUEST_ASSERT_MSG(write || seq || strcmp(mode, "randread") == 0, "unknown mode");
		for (unsigned i = 0; i < qd; i++)
			pattern(slots[i].data, bs, i, seed);
		while (done < total) {
			bool added = false;

			while (issued < total && issued - done < qd) {
				unsigned s;
				uint64_t block = seq ? issued % blocks : sg_rand(&rng) % blocks;

				for (s = 0; slots[s].busy; s++)
					;
				submit(vq, &slots[s], s, write ? BLK_T_OUT : BLK_T_IN, block, bs,
				       indirect);
				issued++;
				added = true;
			}
			if (added)
				sg_vq_kick(vq);
			unsigned s = reap(vq, irq, &irq_seen);
			uint64_t now = rdtsc();

			if (*slots[s].status != BLK_S_OK)
				errors++;
			slots[s].busy = false;
			done++;
			if (done == warmup)
				t_start = now;
			else if (done > warmup)
				lat[nlat++] = now - slots[s].t0;
		}
		{
			uint64_t elapsed = sg_tsc_to_ns(rdtsc() - t_start);

			GUEST_ASSERT_MSG(errors == 0, "I/O errors");
			sg_result("iops", ops * 1000000000ULL, elapsed ? elapsed : 1, "1/s");
			sg_result("bytes_per_s", ops * bs * 1000000000ULL / (elapsed ? elapsed : 1),
				  1, "B/s");
			sg_samples("latency", lat, nlat, "tsc");
		}
	}
	return 0;
}
