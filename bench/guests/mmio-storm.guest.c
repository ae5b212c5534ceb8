/*
 * mmio-storm - every vCPU hammers MMIO: its own storm device (or one shared device) with DATA
 * writes that cost work_ns inside the handler, or reads of the read-mostly CLOCK register.
 * Arguments: work_ns (0), shared (0), reg=data|clock (data), duration_ms (300), io=1 (vCPUs
 * other than 0 run virtio-blk reads at qd 32 instead, and only vCPU 0 measures: exit latency
 * under I/O load). Reports exits_per_s (aggregate), per-vCPU exits, and the raw latencies of
 * each vCPU's accesses.
 */
#include "core/guest/virtio.h"

SG_ARGS(SG_ARG_U64("work_ns", 0, 0, 100000000, "handler time of each DATA write (ns)"),
	SG_ARG_U64("duration_ms", 300, 1, 86400000, "how long to run (ms)"),
	SG_ARG_BOOL("shared", 0, "every vCPU uses one shared storm device"),
	SG_ARG_BOOL("io", 0, "vCPUs other than 0 run virtio-blk reads; vCPU 0 measures"),
	SG_ARG_ENUM("reg", "data", "data|clock", "DATA writes or reads of the CLOCK register"));

#define MAX_SAMPLES 50000

static struct spin_barrier start;
static uint32_t ready;
static uint64_t total_ops;
static uint32_t stop_io;

/* Background virtio-blk load: 32 reads in flight until vCPU 0 is done. */
static void io_load(unsigned cpu)
{
	if (cpu != 1)
		return;
	sg_result("io_ops", sg_blk_background_reads(0, 32, &stop_io), 1, "ops");
}

int guest_main(unsigned cpu)
{
	uint64_t work_ns = sg_arg_u64("work_ns");
	uint64_t duration = sg_ns_to_tsc(sg_arg_u64("duration_ms") * 1000000);
	bool shared = sg_arg_u64("shared"), io = sg_arg_u64("io");
	bool clock = sg_arg_is("reg", "clock");
	unsigned devi = shared ? 0 : cpu;
	uint64_t base = SG_STORM_BASE + 4096ULL * devi;
	uint64_t *lat = sg_alloc(MAX_SAMPLES * sizeof(uint64_t), 64);
	uint64_t n = 0, ops = 0, t_start, t_end, now;
	char name[32];

	if (cpu == 0) {
		spin_barrier_init(&start, sg_nr_cpus());
		for (unsigned i = 0; i < (shared ? 1 : sg_nr_cpus()); i++)
			mmio_write64(SG_STORM_BASE + 4096ULL * i + SG_STORM_WORK_NS, work_ns);
		atomic_store(&ready, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&ready));
	spin_barrier_wait(&start);
	if (io && cpu != 0) {
		io_load(cpu);
		return 0;
	}
	t_start = rdtsc();
	t_end = t_start + duration;
	do {
		uint64_t t0 = rdtsc_ordered(), t1;

		if (clock)
			(void)mmio_read64(base + SG_STORM_CLOCK);
		else
			mmio_write64(base + SG_STORM_DATA, ops);
		t1 = rdtsc_ordered();
		if (n < MAX_SAMPLES)
			lat[n++] = t1 - t0;
		ops++;
		now = t1;
	} while (now < t_end);
	atomic_add(&total_ops, ops);
	if (io && cpu == 0)
		atomic_store(&stop_io, 1);
	sg_snprintf(name, sizeof(name), "exit_latency");
	sg_samples(name, lat, n, "tsc");
	sg_result("exits", ops, 1, "exits");
	sg_rendezvous();
	if (cpu == 0)
		sg_result("exits_per_s", atomic_load(&total_ops) * 1000000000ULL,
			  sg_tsc_to_ns(now - t_start), "1/s");
	return 0;
}
