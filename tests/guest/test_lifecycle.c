/*
 * test_lifecycle.c - a running machine controlled from another thread, in-process: built with
 * the builder (machine/builder.h) and run by machine_run on its own thread, while the test
 * thread pauses it (every vCPU parks, the guest makes no progress), resumes it (progress
 * again), and stops it, while running and while paused. Progress is the spin guest's writes
 * to the test sink. Needs KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "machine/builder.h"
#include "machine/cli.h"
#include "core/vm.h"
#include "sched/thread.h"
#include "tests/support.h"
#include "util/clock.h"
#include "util/rcu.h"

static void setup(void)
{
	rcu_thread_online();
}

static void teardown(void)
{
	rcu_thread_offline();
}

TestSuite(lifecycle, .init = setup, .fini = teardown, .timeout = 120);

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct running {
	struct machine *m;
	struct thread t;
	int status; /* written by the machine thread, read after join */
};

static void *machine_main(void *arg)
{
	struct running *r = arg;

	r->status = machine_run(r->m);
	return NULL;
}

static uint64_t progress(struct running *r)
{
	return __atomic_load_n(&r->m->testsink.writes, __ATOMIC_RELAXED);
}

/* Wait until the guest's progress passes `above`; false after timeout_ms. */
static bool wait_progress(struct running *r, uint64_t above, unsigned timeout_ms)
{
	uint64_t deadline = now_ns() + timeout_ms * NSEC_PER_MSEC;

	while (now_ns() < deadline) {
		if (progress(r) > above)
			return true;
		sleep_ms(2);
	}
	return false;
}

static void start(struct running *r, unsigned vcpus, const char *map_lock)
{
	struct machine_config cfg;
	struct errbuf err = { "" };
	char v[8];
	char *argv[] = { "run",
			 "--guest",
			 "spin:duration_ms=60000,period_us=100",
			 "--vcpus",
			 v,
			 "--console",
			 "none",
			 "--quiet",
			 "--map-lock",
			 (char *)map_lock,
			 NULL };
	char guest[64];

	/* cli_parse_run writes into the guest argument: give it a private copy. */
	snprintf(guest, sizeof(guest), "%s", argv[2]);
	argv[2] = guest;
	snprintf(v, sizeof(v), "%u", vcpus);
	memset(r, 0, sizeof(*r));
	cr_assert_eq(cli_parse_run(10, argv, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(machine_build(&cfg, &r->m, &err), 0, "%s", err.msg);
	cr_assert_eq(thread_spawn(&r->t, "machine", NULL, false, machine_main, r), 0);
	cr_assert(wait_progress(r, 0, 10000), "the guest never ran");
}

/* Stop (with reason) and join; returns machine_run's status. */
static int stop(struct running *r, enum vm_stop_reason why, int status)
{
	vm_request_stop(r->m->vm, why, status);
	cr_assert_eq(thread_join(&r->t, NULL), 0);
	return r->status;
}

static void expect_all_parked(struct vm *vm)
{
	unsigned parked, live;

	pthread_mutex_lock(&vm->park_lock);
	parked = vm->parked;
	live = vm->live;
	pthread_mutex_unlock(&vm->park_lock);
	cr_expect_eq(parked, live, "%u of %u vCPUs parked", parked, live);
	cr_expect_eq(live, vm->nr_vcpus);
}

static void pause_resume_stop(unsigned vcpus, const char *map_lock)
{
	struct running r;
	uint64_t before, after;

	start(&r, vcpus, map_lock);
	for (unsigned round = 0; round < 3; round++) {
		cr_assert_eq(vm_pause(r.m->vm), 0);
		expect_all_parked(r.m->vm);
		before = progress(&r);
		sleep_ms(100);
		after = progress(&r);
		cr_expect_eq(after, before, "%s, %u vCPUs: %llu sink writes while paused", map_lock,
			     vcpus, (unsigned long long)(after - before));
		vm_resume(r.m->vm);
		cr_expect(wait_progress(&r, after, 10000), "no progress after resume");
	}
	cr_expect_eq(stop(&r, VM_STOP_REQUESTED, 0), 0);
	cr_expect_eq(r.m->vm->stop_reason, VM_STOP_REQUESTED);
	machine_destroy(r.m);
}

Test(lifecycle, pause_resume_stop_rcu)
{
	SKIP_WITHOUT_KVM();
	pause_resume_stop(1, "rcu");
	pause_resume_stop(4, "rcu");
}

Test(lifecycle, pause_resume_stop_rwlock_mutex)
{
	SKIP_WITHOUT_KVM();
	pause_resume_stop(2, "rwlock");
	pause_resume_stop(3, "mutex");
}

Test(lifecycle, stop_while_running)
{
	struct running r;

	SKIP_WITHOUT_KVM();
	start(&r, 4, "rcu");
	cr_expect_eq(stop(&r, VM_STOP_REQUESTED, 0), 0);
	cr_expect_eq(r.m->vm->stop_reason, VM_STOP_REQUESTED);
	/* Every vCPU thread left its loop. */
	cr_expect_eq(r.m->vm->live, 0);
	machine_destroy(r.m);
}

Test(lifecycle, stop_while_paused)
{
	struct running r;

	SKIP_WITHOUT_KVM();
	start(&r, 4, "rcu");
	cr_assert_eq(vm_pause(r.m->vm), 0);
	expect_all_parked(r.m->vm);
	/* The first reason wins; its status is strand's exit status. */
	cr_expect_eq(stop(&r, VM_STOP_TIMEOUT, 124), 124);
	vm_request_stop(r.m->vm, VM_STOP_REQUESTED, 0);
	cr_expect_eq(vm_exit_status(r.m->vm), 124);
	cr_expect_eq(vm_pause(r.m->vm), -ESHUTDOWN, "pausing a stopped VM");
	vm_resume(r.m->vm);
	machine_destroy(r.m);
}

Test(lifecycle, stop_at_once_and_quick_pauses)
{
	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < 5; i++) {
		struct running r;

		start(&r, 2 + i % 3, "rcu");
		for (unsigned k = 0; k < 10; k++) {
			cr_assert_eq(vm_pause(r.m->vm), 0);
			vm_resume(r.m->vm);
		}
		cr_expect_eq(stop(&r, VM_STOP_REQUESTED, 0), 0);
		machine_destroy(r.m);
	}
}
