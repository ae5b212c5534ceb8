/*
 * barrier-sync - compute phases separated by barriers across all vCPUs: each phase every vCPU
 * computes for work_us, then waits (spinning) for the others. A phase lasts as long as its
 * slowest vCPU, so a strategy that does not co-schedule a VM's vCPUs stretches every phase.
 * Arguments: phases (200), work_us (500). vCPU 0 reports the phase times (raw samples, ns)
 * and phases_per_s.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("phases", 200, 1, 10000000, "barrier-separated compute phases"),
	SG_ARG_U64("work_us", 500, 0, 10000000, "compute time of each phase, per vCPU (us)"));

static struct spin_barrier bar;
static uint32_t ready;

int guest_main(unsigned cpu)
{
	uint64_t phases = sg_arg_u64("phases"), work = sg_arg_u64("work_us") * 1000;
	uint64_t *t = cpu == 0 ? sg_alloc(phases * sizeof(uint64_t), 64) : 0;
	uint64_t start, prev;

	if (cpu == 0) {
		spin_barrier_init(&bar, sg_nr_cpus());
		atomic_store(&ready, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&ready));
	spin_barrier_wait(&bar);
	start = prev = rdtsc();
	for (uint64_t p = 0; p < phases; p++) {
		sg_delay_ns(work);
		spin_barrier_wait(&bar);
		if (cpu == 0) {
			uint64_t now = rdtsc();

			t[p] = now - prev;
			prev = now;
		}
	}
	if (cpu == 0) {
		sg_samples("phase", t, phases, "tsc");
		sg_result("phases_per_s", phases * 1000000000ULL, sg_tsc_to_ns(prev - start),
			  "1/s");
	}
	return 0;
}
