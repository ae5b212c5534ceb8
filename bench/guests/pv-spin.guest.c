/*
 * pv-spin - a paravirtual spinlock: a waiter spins for spin_ns, then halts until the holder
 * kicks it with an IPI on release (what Linux's PV qspinlock does with PV unhalt). Under
 * overcommit this stops waiters from burning the CPU their lock holder needs. Arguments:
 * duration_ms (500), hold_ns (200), think_ns (200), spin_ns (20000). Reports acquisitions/s,
 * max_wait, halts and kicks; the counter proves mutual exclusion.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("duration_ms", 500, 1, 86400000, "how long to run (ms)"),
	SG_ARG_U64("hold_ns", 200, 0, 1000000000, "time the lock is held (ns)"),
	SG_ARG_U64("think_ns", 200, 0, 1000000000, "time between acquisitions (ns)"),
	SG_ARG_U64("spin_ns", 20000, 0, 1000000000, "spin before halting for the kick (ns)"));

#define KICK_VECTOR 0x41

static struct ticket_lock lock;
static uint64_t counter, total_acq, max_wait, total_halts, total_kicks;
static uint32_t sleeping[SG_MAX_VCPUS]; /* ticket a halted waiter waits for, +1; 0: awake */
static struct spin_barrier start_barrier;
static uint32_t ready;

static void pv_lock(unsigned cpu, uint64_t spin, uint64_t *halts)
{
	uint32_t me = __atomic_fetch_add(&lock.next, 1, __ATOMIC_RELAXED);
	struct sg_percpu *pc = sg_this_cpu();

	for (;;) {
		uint64_t until = rdtsc() + spin;

		while (rdtsc() < until) {
			if (atomic_load(&lock.owner) == me)
				return;
			cpu_relax();
		}
		/* Publish that we sleep, re-check (the holder may have released meanwhile), halt. */
		uint64_t seen = atomic_load(&pc->irq_count[KICK_VECTOR]);

		atomic_store(&sleeping[cpu], me + 1);
		/* Store-load order (Dekker with pv_unlock): x86 may otherwise read owner first. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (atomic_load(&lock.owner) == me) {
			atomic_store(&sleeping[cpu], 0);
			return;
		}
		(*halts)++;
		while (atomic_load(&pc->irq_count[KICK_VECTOR]) == seen &&
		       atomic_load(&lock.owner) != me)
			sg_halt_if(&pc->irq_count[KICK_VECTOR], seen);
		atomic_store(&sleeping[cpu], 0);
		if (atomic_load(&lock.owner) == me)
			return;
	}
}

static void pv_unlock(uint64_t *kicks)
{
	uint32_t next = lock.owner + 1;

	atomic_store(&lock.owner, next);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* see pv_lock */
	for (unsigned c = 0; c < sg_nr_cpus(); c++) {
		if (atomic_load(&sleeping[c]) == next + 1) {
			sg_lapic_send_ipi(sg_boot->apic_ids[c], KICK_VECTOR);
			(*kicks)++;
		}
	}
}

int guest_main(unsigned cpu)
{
	uint64_t duration = sg_ns_to_tsc(sg_arg_u64("duration_ms") * 1000000);
	uint64_t hold = sg_ns_to_tsc(sg_arg_u64("hold_ns"));
	uint64_t think = sg_ns_to_tsc(sg_arg_u64("think_ns"));
	uint64_t spin = sg_ns_to_tsc(sg_arg_u64("spin_ns"));
	uint64_t acq = 0, my_max = 0, halts = 0, kicks = 0, start, end, now;

	if (cpu == 0) {
		spin_barrier_init(&start_barrier, sg_nr_cpus());
		atomic_store(&ready, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&ready));
	spin_barrier_wait(&start_barrier);
	start = rdtsc();
	end = start + duration;
	do {
		uint64_t t0 = rdtsc(), t1;

		pv_lock(cpu, spin, &halts);
		t1 = rdtsc();
		counter++;
		while (rdtsc() - t1 < hold)
			cpu_relax();
		pv_unlock(&kicks);
		if (t1 - t0 > my_max)
			my_max = t1 - t0;
		acq++;
		now = rdtsc();
		while (rdtsc() - now < think)
			cpu_relax();
		now = rdtsc();
	} while (now < end);
	atomic_add(&total_acq, acq);
	atomic_add(&total_halts, halts);
	atomic_add(&total_kicks, kicks);
	for (uint64_t m = atomic_load(&max_wait); m < my_max;)
		if (atomic_cmpxchg(&max_wait, &m, my_max))
			break;
	sg_rendezvous();
	if (cpu == 0) {
		GUEST_ASSERT_MSG(atomic_load(&counter) == atomic_load(&total_acq),
				 "lost update: the lock did not exclude");
		sg_result("acquisitions", atomic_load(&total_acq) * 1000000000ULL,
			  sg_tsc_to_ns(now - start), "1/s");
		sg_result("max_wait", sg_tsc_to_ns(atomic_load(&max_wait)), 1, "ns");
		sg_result("halts", atomic_load(&total_halts), 1, "halts");
		sg_result("kicks", atomic_load(&total_kicks), 1, "kicks");
	}
	return 0;
}
