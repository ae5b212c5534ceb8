/*
 * smp-spin - a contended ticket spinlock across all vCPUs, without exits. Each vCPU takes the
 * lock, increments a shared counter, holds it for hold_ns, releases it and waits think_ns, for
 * duration_ms. Reports acquisitions per second (aggregate), the maximum wait for the lock and
 * the raw wait samples of vCPU 0 (ns). The counter proves mutual exclusion.
 * Arguments: duration_ms (500), hold_ns (200), think_ns (200). Each vCPU publishes its
 * acquisitions as its progress (sg_progress), so the monitor can sample throughput live.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("duration_ms", 500, 1, 86400000, "how long to run (ms)"),
	SG_ARG_U64("hold_ns", 200, 0, 1000000000, "time the lock is held (ns)"),
	SG_ARG_U64("think_ns", 200, 0, 1000000000, "time between acquisitions (ns)"));

#define MAX_SAMPLES 20000

static struct ticket_lock lock;
static uint64_t counter;
static uint64_t total_acq;
static uint64_t max_wait;
static struct spin_barrier start_barrier;
static uint32_t barrier_ready;

int guest_main(unsigned cpu)
{
	uint64_t duration_ns = sg_arg_u64("duration_ms") * 1000000;
	uint64_t hold = sg_ns_to_tsc(sg_arg_u64("hold_ns"));
	uint64_t think = sg_ns_to_tsc(sg_arg_u64("think_ns"));
	uint64_t *samples = 0, nsamples = 0, acq = 0, my_max = 0, start, end, now;

	if (cpu == 0) {
		spin_barrier_init(&start_barrier, sg_nr_cpus());
		atomic_store(&barrier_ready, 1);
		samples = sg_alloc(MAX_SAMPLES * sizeof(uint64_t), 64);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&barrier_ready));
	spin_barrier_wait(&start_barrier);
	start = rdtsc();
	end = start + sg_ns_to_tsc(duration_ns);
	do {
		uint64_t t0 = rdtsc(), t1, w;

		ticket_lock(&lock);
		t1 = rdtsc();
		counter++;
		while (rdtsc() - t1 < hold)
			cpu_relax();
		ticket_unlock(&lock);
		w = t1 - t0;
		if (w > my_max)
			my_max = w;
		if (samples && nsamples < MAX_SAMPLES)
			samples[nsamples++] = w;
		sg_progress(++acq);
		now = rdtsc();
		while (rdtsc() - now < think)
			cpu_relax();
		now = rdtsc();
	} while (now < end);
	atomic_add(&total_acq, acq);
	for (uint64_t m = atomic_load(&max_wait); m < my_max;)
		if (atomic_cmpxchg(&max_wait, &m, my_max))
			break;
	sg_rendezvous();
	if (cpu == 0) {
		uint64_t elapsed = sg_tsc_to_ns(now - start);

		GUEST_ASSERT_MSG(atomic_load(&counter) == atomic_load(&total_acq),
				 "lost update: the spinlock did not exclude");
		sg_result("acquisitions", atomic_load(&total_acq) * 1000000000ULL, elapsed, "1/s");
		sg_result("max_wait", sg_tsc_to_ns(atomic_load(&max_wait)), 1, "ns");
		sg_samples("wait", samples, nsamples, "tsc");
	}
	return 0;
}
