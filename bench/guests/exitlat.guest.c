/*
 * exitlat - exit round-trip latency: PIO and MMIO accesses to a sink device that does nothing,
 * timed one by one with rdtsc. Arguments: iters (per mode, default 2000), warmup (200),
 * mode=pio|mmio|both (both). Every vCPU measures; results are per vCPU.
 * Reports <mode>_exit (median ns) and the raw samples.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("iters", 2000, 1, 100000000, "timed accesses per mode"),
	SG_ARG_U64("warmup", 200, 0, 100000000, "untimed accesses first"),
	SG_ARG_ENUM("mode", "both", "pio|mmio|both", "which exits to time"));

static void measure(unsigned cpu, const char *mode, uint64_t iters, uint64_t warmup)
{
	bool pio = mode[0] == 'p';
	uint64_t *s = sg_alloc(iters * sizeof(uint64_t), 64);
	uint64_t total = 0;
	char name[32];

	for (uint64_t i = 0; i < warmup + iters; i++) {
		uint64_t t0 = rdtsc_ordered();

		if (pio)
			outl(SG_PORT_SINK, (uint32_t)i);
		else
			mmio_write32(SG_MMIO_SINK, (uint32_t)i);
		uint64_t t1 = rdtsc_ordered();
		if (i >= warmup) {
			s[i - warmup] = t1 - t0;
			total += t1 - t0;
		}
	}
	sg_snprintf(name, sizeof(name), "%s_exit", mode);
	sg_samples(name, s, iters, "tsc");
	sg_result(name, sg_tsc_to_ns(total), iters, "ns");
	(void)cpu;
}

int guest_main(unsigned cpu)
{
	uint64_t iters = sg_arg_u64("iters");
	uint64_t warmup = sg_arg_u64("warmup");
	bool both = !sg_arg_is("mode", "pio") && !sg_arg_is("mode", "mmio");

	GUEST_ASSERT(iters > 0);
	sg_rendezvous();
	if (both || sg_arg_is("mode", "pio"))
		measure(cpu, "pio", iters, warmup);
	sg_rendezvous();
	if (both || sg_arg_is("mode", "mmio"))
		measure(cpu, "mmio", iters, warmup);
	return 0;
}
