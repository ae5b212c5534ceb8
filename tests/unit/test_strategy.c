/*
 * test_strategy.c - the scheduling strategies' decisions (gang, gang-relaxed, credit) as pure
 * functions, and the controller thread driven by a fake accounting source: credit shares
 * follow the weights, and a VM whose vCPU threads have exited never takes CPU slots or holds
 * the other VM parked.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "sched/strategy.h"
#include "util/clock.h"
#include "util/compiler.h"

static void vm_params(struct sched_vmparam *vms, unsigned n, unsigned vcpus)
{
	memset(vms, 0, n * sizeof(*vms));
	for (unsigned i = 0; i < n; i++) {
		vms[i].nvcpus = vcpus;
		vms[i].nlive = vcpus;
		vms[i].weight = 256;
	}
}

Test(strategy, gang_round_robin)
{
	struct sched_vmparam vms[3];
	bool run[3];
	unsigned turn = 0;

	vm_params(vms, 3, 2);
	sched_gang_pick(vms, 3, 2, &turn, run);
	cr_expect(run[0] && !run[1] && !run[2]);
	sched_gang_pick(vms, 3, 2, &turn, run);
	cr_expect(!run[0] && run[1] && !run[2]);
	sched_gang_pick(vms, 3, 4, &turn, run);
	cr_expect(run[2] && run[0] && !run[1], "two VMs of 2 fit on 4 CPUs");
	/* A VM bigger than the host still runs alone. */
	vms[1].nlive = vms[1].nvcpus = 8;
	turn = 1;
	sched_gang_pick(vms, 3, 4, &turn, run);
	cr_expect(run[1] && !run[0] && !run[2]);
}

Test(strategy, gang_skips_finished_vms)
{
	struct sched_vmparam vms[2];
	bool run[2];
	unsigned turn = 0;

	vm_params(vms, 2, 2);
	vms[0].nlive = 0; /* its vCPU threads exited */
	for (unsigned i = 0; i < 4; i++) {
		sched_gang_pick(vms, 2, 2, &turn, run);
		cr_expect(!run[0] && run[1], "slice %u: the live VM runs every slice", i);
	}
	vms[1].nlive = 1; /* one of its two vCPUs left: it takes one CPU */
	vms[0].nlive = 1;
	sched_gang_pick(vms, 2, 2, &turn, run);
	cr_expect(run[0] && run[1], "two VMs of one live vCPU share 2 CPUs");
}

Test(strategy, relaxed_costops_the_leader)
{
	struct sched_vcpu v[3] = {
		{ .vm = 0, .progress_ns = 100 * NSEC_PER_MSEC },
		{ .vm = 0, .progress_ns = 80 * NSEC_PER_MSEC },
		{ .vm = 1, .progress_ns = 500 * NSEC_PER_MSEC },
	};
	bool park[3];

	sched_relaxed_decide(v, 3, 10 * NSEC_PER_MSEC, park);
	cr_expect(park[0], "20 ms ahead of its sibling with a 10 ms skew");
	cr_expect(!park[1] && !park[2], "the slowest, and a VM alone, run");
	/* Hysteresis: between skew/2 and skew the decision stays. */
	v[0].parked = true;
	v[0].progress_ns = 87 * NSEC_PER_MSEC;
	sched_relaxed_decide(v, 3, 10 * NSEC_PER_MSEC, park);
	cr_expect(park[0]);
	v[0].progress_ns = 84 * NSEC_PER_MSEC;
	sched_relaxed_decide(v, 3, 10 * NSEC_PER_MSEC, park);
	cr_expect(!park[0], "within skew/2: released");
}

Test(strategy, relaxed_ignores_gone_siblings)
{
	struct sched_vcpu v[2] = {
		{ .vm = 0, .progress_ns = 900 * NSEC_PER_MSEC },
		{ .vm = 0, .progress_ns = 10 * NSEC_PER_MSEC, .gone = true },
	};
	bool park[2] = { true, true };

	sched_relaxed_decide(v, 2, 10 * NSEC_PER_MSEC, park);
	cr_expect(!park[0], "an exited sibling must not co-stop the survivor forever");
	cr_expect(!park[1], "a gone vCPU is never parked");
}

/* Two VMs, one vCPU each, both always runnable, on one CPU: run n periods of the credit model. */
static void credit_shares(unsigned w0, unsigned w1, unsigned cap1, double *share0, double *share1)
{
	struct sched_vmparam vms[2];
	struct sched_vcpu v[2] = { { .vm = 0, .state = 'R' }, { .vm = 1, .state = 'R' } };
	const uint64_t period = 10 * NSEC_PER_MSEC;
	uint64_t got[2] = { 0, 0 };
	bool park[2];

	vm_params(vms, 2, 1);
	vms[0].weight = w0;
	vms[1].weight = w1;
	vms[1].cap_pct = cap1;
	for (unsigned t = 0; t < 3000; t++) {
		unsigned running = 0;

		sched_credit_decide(vms, 2, v, 2, 1, period, 30 * NSEC_PER_MSEC, park);
		for (unsigned i = 0; i < 2; i++) {
			v[i].parked = park[i];
			running += !park[i];
		}
		/* The host splits the CPU among the unparked vCPUs. */
		for (unsigned i = 0; i < 2; i++) {
			uint64_t use = park[i] ? 0 : period / MAX(running, 1u);

			vms[i].used_period_ns = use;
			got[i] += use;
		}
	}
	*share0 = (double)got[0] / (3000.0 * (double)period);
	*share1 = (double)got[1] / (3000.0 * (double)period);
}

Test(strategy, credit_weights_and_cap)
{
	double a, b;

	credit_shares(256, 512, 0, &a, &b);
	cr_expect(a > 0.30 && a < 0.37 && b > 0.63 && b < 0.70, "1:2 gave %.3f/%.3f", a, b);
	credit_shares(256, 1024, 0, &a, &b);
	cr_expect(a > 0.17 && a < 0.23 && b > 0.77 && b < 0.83, "1:4 gave %.3f/%.3f", a, b);
	credit_shares(256, 256, 25, &a, &b);
	cr_expect(b > 0.22 && b < 0.28, "a 25%% cap gave %.3f", b);
	cr_expect(a > 0.70, "the uncapped VM takes the rest: %.3f", a);
}

Test(strategy, credit_leaves_idle_and_gone_vcpus_alone)
{
	struct sched_vmparam vms[2];
	struct sched_vcpu v[2] = { { .vm = 0, .state = 'R', .gone = true },
				   { .vm = 1, .state = 'R' } };
	bool park[2];

	vm_params(vms, 2, 1);
	vms[1].used_period_ns = 10 * NSEC_PER_MSEC; /* it ran: fewest credits */
	for (unsigned t = 0; t < 10; t++) {
		sched_credit_decide(vms, 2, v, 2, 1, 10 * NSEC_PER_MSEC, 30 * NSEC_PER_MSEC, park);
		cr_expect(!park[1], "period %u: the only live vCPU must run", t);
		cr_expect(!park[0]);
	}
	v[0].gone = false;
	v[0].state = 'S'; /* idle: not demanding, stays released so it can wake */
	sched_credit_decide(vms, 2, v, 2, 1, 10 * NSEC_PER_MSEC, 30 * NSEC_PER_MSEC, park);
	cr_expect(!park[0] && !park[1]);
}

/* ---- the controller with a fake accounting source ---- */

static unsigned fake_exited; /* tids 1..fake_exited have exited */
static uint64_t fake_cpu[8];

static int fake_sample(pid_t tid, uint64_t *cpu_ns, uint64_t *delay_ns, char *state)
{
	if (tid <= (pid_t)__atomic_load_n(&fake_exited, __ATOMIC_RELAXED))
		return -1; /* as /proc after the thread exited */
	*cpu_ns = __atomic_add_fetch(&fake_cpu[tid], NSEC_PER_MSEC, __ATOMIC_RELAXED);
	*delay_ns = 0;
	*state = 'R';
	return 0;
}

struct gate_log {
	bool parked;
	uint64_t park_events;
};

static void fake_gate(void *opaque, bool park)
{
	struct gate_log *g = opaque;

	__atomic_store_n(&g->parked, park, __ATOMIC_RELAXED);
	__atomic_add_fetch(&g->park_events, park, __ATOMIC_RELAXED);
}

static void run_controller(enum sched_kind kind)
{
	struct sched_vmparam vms[2];
	struct sched_vcpu v[4];
	struct gate_log log[4];
	struct sched_ctl s;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	memset(&s, 0, sizeof(s));
	memset(v, 0, sizeof(v));
	memset(log, 0, sizeof(log));
	vm_params(vms, 2, 2);
	sched_default(&s.cfg);
	s.cfg.kind = kind;
	s.cfg.tick_ns = NSEC_PER_MSEC;
	s.cfg.slice_ns = 5 * NSEC_PER_MSEC;
	s.cfg.skew_ns = 2 * NSEC_PER_MSEC;
	s.ncpus = 2;
	s.nvms = 2;
	s.vms = vms;
	s.nvcpus = 4;
	s.vcpus = v;
	s.sample = fake_sample;
	for (unsigned i = 0; i < 4; i++) {
		v[i].vm = i / 2;
		v[i].tid = (pid_t)(i + 1);
		v[i].gate = fake_gate;
		v[i].opaque = &log[i];
	}
	/* VM 0's two vCPU threads (tids 1 and 2) have exited: VM 1 must never be held parked. */
	__atomic_store_n(&fake_exited, 2, __ATOMIC_RELAXED);
	cr_assert_eq(sched_ctl_start(&s, NULL), 0);
	nanosleep(&ts, NULL);
	cr_expect_not(__atomic_load_n(&log[2].parked, __ATOMIC_RELAXED),
		      "%s: VM 1's vCPU 0 is parked behind a finished VM", sched_kind_name(kind));
	cr_expect_not(__atomic_load_n(&log[3].parked, __ATOMIC_RELAXED),
		      "%s: VM 1's vCPU 1 is parked behind a finished VM", sched_kind_name(kind));
	sched_ctl_stop(&s);
	cr_expect(v[0].gone && v[1].gone && !v[2].gone && !v[3].gone);
	cr_expect_eq(vms[0].nlive, 0);
	cr_expect_eq(vms[1].nlive, 2);
	for (unsigned i = 0; i < 4; i++)
		cr_expect_not(log[i].parked, "%s: vCPU %u left parked after stop",
			      sched_kind_name(kind), i);
}

Test(strategy, controller_with_a_finished_vm)
{
	run_controller(SCHED_KIND_GANG);
	run_controller(SCHED_KIND_GANG_RELAXED);
	run_controller(SCHED_KIND_CREDIT);
}
