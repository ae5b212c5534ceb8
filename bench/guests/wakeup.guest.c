/*
 * wakeup - IPI wake-up latency: vCPU 1 halts (in KVM, as hlt would), vCPU 0 waits a moment,
 * stamps the time and sends it an IPI; vCPU 1 measures from the stamp to the moment it runs
 * again. Halt polling (--halt-poll) and the scheduling strategy decide most of it. Arguments:
 * iters (500), gap_us (200: vCPU 0's pause before each IPI). Reports the raw latencies (ns).
 * Needs --vcpus 2 or more; vCPUs beyond 1 idle.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("iters", 500, 1, 10000000, "timed wake-ups"),
	SG_ARG_U64("gap_us", 200, 0, 10000000, "vCPU 0's pause before each IPI (us)"));

#define WAKE_VECTOR 0x40

static uint64_t sent_tsc; /* written by vCPU 0 before each IPI */
static uint32_t seq_done; /* vCPU 1 finished round N */
static uint32_t halting;  /* vCPU 1 is about to halt for round N */

int guest_main(unsigned cpu)
{
	uint64_t iters = sg_arg_u64("iters"), gap = sg_arg_u64("gap_us") * 1000;

	GUEST_ASSERT_MSG(sg_nr_cpus() >= 2, "wakeup needs --vcpus 2");
	sg_rendezvous();
	if (cpu == 1) {
		uint64_t *lat = sg_alloc(iters * sizeof(uint64_t), 64);
		struct sg_percpu *pc = sg_this_cpu();

		for (uint32_t i = 1; i <= iters; i++) {
			uint64_t seen = atomic_load(&pc->irq_count[WAKE_VECTOR]);

			atomic_store(&halting, i);
			while (atomic_load(&pc->irq_count[WAKE_VECTOR]) == seen)
				sg_halt_if(&pc->irq_count[WAKE_VECTOR], seen);
			lat[i - 1] = rdtsc() - atomic_load(&sent_tsc);
			atomic_store(&seq_done, i);
		}
		sg_samples("wakeup", lat, iters, "tsc");
	} else if (cpu == 0) {
		uint32_t target = sg_boot->apic_ids[1];

		for (uint32_t i = 1; i <= iters; i++) {
			while (atomic_load(&halting) != i)
				cpu_relax();
			sg_delay_ns(gap); /* let it actually go to sleep */
			atomic_store(&sent_tsc, rdtsc());
			sg_lapic_send_ipi(target, WAKE_VECTOR);
			while (atomic_load(&seq_done) != i)
				cpu_relax();
		}
	}
	return 0;
}
