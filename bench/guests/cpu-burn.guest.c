/*
 * cpu-burn - pure computation on every vCPU, with progress sampled each period: how much CPU a
 * vCPU really gets under a sharing strategy (credit shares, caps, pinning). Arguments:
 * duration_ms (1000), period_ms (10). Reports per vCPU the work units done in total and per
 * period (raw samples, units per ms), and work_per_s.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("duration_ms", 1000, 1, 86400000, "how long every vCPU computes (ms)"),
	SG_ARG_U64("period_ms", 10, 1, 60000, "progress sampling period (ms)"));

#define MAX_PERIODS 100000

static volatile uint64_t sink;

/* One unit of work: a fixed amount of integer arithmetic (about a microsecond natively). */
static void unit(uint64_t *x)
{
	for (int i = 0; i < 256; i++)
		*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
}

int guest_main(unsigned cpu)
{
	uint64_t duration = sg_ns_to_tsc(sg_arg_u64("duration_ms") * 1000000);
	uint64_t period = sg_ns_to_tsc(sg_arg_u64("period_ms") * 1000000);
	uint64_t *per = sg_alloc(MAX_PERIODS * sizeof(uint64_t), 64);
	uint64_t x = cpu + 1, total = 0, n = 0, start, end, pstart, units = 0, now;

	sg_rendezvous();
	start = rdtsc();
	end = start + duration;
	pstart = start;
	do {
		unit(&x);
		units++;
		now = rdtsc();
		if (now - pstart >= period) {
			if (n < MAX_PERIODS)
				per[n++] = units * 1000000 / (sg_tsc_to_ns(now - pstart) ?: 1);
			total += units;
			units = 0;
			pstart = now;
		}
	} while (now < end);
	total += units;
	sink = x;
	sg_result("work_units", total, 1, "units");
	sg_result("work_per_s", total * 1000000000ULL, sg_tsc_to_ns(now - start), "1/s");
	sg_samples("work_per_ms", per, n, "units/ms");
	return 0;
}
