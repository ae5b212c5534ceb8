/*
 * spin - every vCPU runs until duration_ms (default 10000) has passed, writing its iteration
 * count to the test sink port every period_us (default 200), so the host can watch progress
 * (pause, resume and stop tests count the sink's writes). Returns 0; reports iterations.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("duration_ms", 10000, 1, 86400000, "how long every vCPU runs (ms)"),
	SG_ARG_U64("period_us", 200, 1, 10000000, "time between progress writes (us)"));

int guest_main(unsigned cpu)
{
	uint64_t duration_ns = sg_arg_u64("duration_ms") * 1000000;
	uint64_t period_ns = sg_arg_u64("period_us") * 1000;
	uint64_t start = rdtsc(), end = start + sg_ns_to_tsc(duration_ns);
	uint64_t iters = 0;
	char name[32];

	while (rdtsc() < end) {
		outl(SG_PORT_SINK, (uint32_t)iters);
		iters++;
		sg_delay_ns(period_ns);
	}
	sg_snprintf(name, sizeof(name), "spin_iters_cpu%u", cpu);
	sg_result(name, iters, 1, "iters");
	return 0;
}
