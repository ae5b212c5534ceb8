/*
 * test_pubptr.c - published tables (util/pubptr.h) under each protection with reader threads
 * racing a writer (no torn or stale table, old tables freed only when no reader can hold
 * them: ASan and TSan check), the RCU layer's deferred frees (util/rcu.h), and descriptive
 * statistics (util/stats.h) against hand-computed values. No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/thread.h"
#include "util/clock.h"
#include "util/pubptr.h"
#include "util/rcu.h"
#include "util/stats.h"

static void setup(void)
{
	rcu_thread_online();
}

static void teardown(void)
{
	rcu_thread_offline();
}

TestSuite(pubptr, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(stats, .timeout = 60);

#define SLOTS 32

struct tbl {
	uint64_t gen;
	uint64_t v[SLOTS]; /* all equal to gen while the table is live */
};

static uint64_t freed; /* atomic: also counted on liburcu's call_rcu thread */
#define FREED() __atomic_load_n(&freed, __ATOMIC_RELAXED)

static void tbl_free(void *p)
{
	struct tbl *t = p;

	/* Poison first: a reader still holding the table would see it. */
	for (unsigned i = 0; i < SLOTS; i++)
		t->v[i] = ~0ULL;
	free(t);
	__atomic_fetch_add(&freed, 1, __ATOMIC_RELAXED);
}

static struct tbl *tbl_new(uint64_t gen)
{
	struct tbl *t = malloc(sizeof(*t));

	cr_assert_not_null(t);
	t->gen = gen;
	for (unsigned i = 0; i < SLOTS; i++)
		t->v[i] = gen;
	return t;
}

Test(pubptr, modes)
{
	enum pubptr_mode m;

	for (int i = 0; i < 3; i++) {
		const char *n = pubptr_mode_name((enum pubptr_mode)i);

		cr_expect_eq(pubptr_mode_parse(n, &m), 0);
		cr_expect_eq(m, (enum pubptr_mode)i);
	}
	cr_expect_str_eq(pubptr_mode_name(PUBPTR_RWLOCK), "rwlock");
	cr_expect_str_eq(pubptr_mode_name((enum pubptr_mode)7), "?");
	cr_expect_eq(pubptr_mode_parse("spin", &m), -EINVAL);
	cr_expect_eq(pubptr_mode_parse("", &m), -EINVAL);
}

/* Before go_live replaced tables go at once; after it, RCU defers them to a grace period. */
Test(pubptr, update_abort_and_frees)
{
	for (int mode = 0; mode < 3; mode++) {
		struct pubptr p;
		struct tbl *cur;
		uint64_t before;

		__atomic_store_n(&freed, 0, __ATOMIC_RELAXED);
		pubptr_init(&p, (enum pubptr_mode)mode, tbl_new(0), tbl_free);
		cr_expect_eq(pubptr_generation(&p), 0);
		cur = pubptr_update_begin(&p);
		cr_expect_eq(cur->gen, 0);
		pubptr_update_commit(&p, tbl_new(1));
		cr_expect_eq(FREED(), 1, "%s: not freed at once before go_live",
			     pubptr_mode_name((enum pubptr_mode)mode));
		cr_expect_eq(pubptr_generation(&p), 1);
		/* An aborted update changes nothing and releases the writer lock. */
		cur = pubptr_update_begin(&p);
		pubptr_update_abort(&p);
		cur = pubptr_update_begin(&p);
		cr_expect_eq(cur->gen, 1);
		pubptr_update_abort(&p);
		cr_expect_eq(pubptr_generation(&p), 1);

		pubptr_go_live(&p);
		before = FREED();
		pubptr_update_begin(&p);
		pubptr_update_commit(&p, tbl_new(2));
		if (mode == PUBPTR_RCU) {
			rcu_drain_deferred();
			cr_expect_eq(FREED(), before + 1, "deferred free never ran");
		} else {
			cr_expect_eq(FREED(), before + 1, "%s frees under its lock",
				     pubptr_mode_name((enum pubptr_mode)mode));
		}
		cur = pubptr_read_begin(&p);
		cr_expect_eq(cur->gen, 2);
		pubptr_read_end(&p);
		pubptr_destroy(&p);
		cr_expect_eq(FREED(), before + 2, "destroy did not free the last table");
	}
}

static void free_counted(void *p)
{
	free(p);
	__atomic_fetch_add(&freed, 1, __ATOMIC_RELAXED);
}

Test(pubptr, rcu_deferred_free)
{
	__atomic_store_n(&freed, 0, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < 100; i++)
		rcu_free_deferred(malloc(64), free_counted);
	rcu_drain_deferred();
	cr_expect_eq(FREED(), 100);
	rcu_wait_grace();
}

struct race {
	struct pubptr p;
	bool stop;	    /* atomic */
	uint64_t committed; /* atomic: the newest generation whose commit returned */
	uint64_t reads, torn, stale, backwards, poisoned; /* atomic */
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t last = 0, n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t floor = __atomic_load_n(&r->committed, __ATOMIC_ACQUIRE);
		const struct tbl *t = pubptr_read_begin(&r->p);
		uint64_t gen = t->gen;
		bool torn = false, poisoned = false;

		for (unsigned i = 0; i < SLOTS; i++) {
			torn = torn || t->v[i] != gen;
			poisoned = poisoned || t->v[i] == ~0ULL;
		}
		pubptr_read_end(&r->p);
		if (torn)
			__atomic_fetch_add(&r->torn, 1, __ATOMIC_RELAXED);
		if (poisoned)
			__atomic_fetch_add(&r->poisoned, 1, __ATOMIC_RELAXED);
		if (gen < floor)
			__atomic_fetch_add(&r->stale, 1, __ATOMIC_RELAXED);
		if (gen < last)
			__atomic_fetch_add(&r->backwards, 1, __ATOMIC_RELAXED);
		last = gen;
		n++;
	}
	__atomic_fetch_add(&r->reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void race_run(enum pubptr_mode mode)
{
	struct race *r = calloc(1, sizeof(*r));
	struct thread th[3];
	uint64_t deadline = now_ns() + NSEC_PER_SEC, gen;

	cr_assert_not_null(r);
	__atomic_store_n(&freed, 0, __ATOMIC_RELAXED);
	pubptr_init(&r->p, mode, tbl_new(0), tbl_free);
	pubptr_go_live(&r->p);
	for (unsigned i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "reader%u", i);
		cr_assert_eq(thread_spawn(&th[i], name, NULL, false, race_reader, r), 0);
	}
	for (gen = 1; gen <= 20000 && now_ns() < deadline; gen++) {
		struct tbl *cur = pubptr_update_begin(&r->p);

		cr_assert_eq(cur->gen, gen - 1);
		pubptr_update_commit(&r->p, tbl_new(gen));
		__atomic_store_n(&r->committed, gen, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 3; i++)
		thread_join(&th[i], NULL);
	rcu_drain_deferred();
	cr_log_info("%s: %llu updates, %llu reads", pubptr_mode_name(mode),
		    (unsigned long long)(gen - 1), (unsigned long long)r->reads);
	cr_expect_gt(gen, 10, "the writer was starved");
	cr_expect_gt(r->reads, 0);
	cr_expect_eq(r->torn, 0, "a reader saw a table being changed");
	cr_expect_eq(r->poisoned, 0, "a reader saw a freed table");
	cr_expect_eq(r->stale, 0, "a reader saw a table older than a returned commit");
	cr_expect_eq(r->backwards, 0, "a reader saw generations go backwards");
	cr_expect_eq(FREED(), gen - 1, "every replaced table is freed exactly once");
	cr_expect_eq(pubptr_generation(&r->p), gen - 1);
	pubptr_destroy(&r->p);
	free(r);
}

Test(pubptr, readers_race_writer_rcu)
{
	race_run(PUBPTR_RCU);
}

Test(pubptr, readers_race_writer_rwlock)
{
	race_run(PUBPTR_RWLOCK);
}

Test(pubptr, readers_race_writer_mutex)
{
	race_run(PUBPTR_MUTEX);
}

/* ---- stats ---- */

#define EXPECT_NEAR(a, b) \
	cr_expect(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (a), (b))

Test(stats, one_to_ten)
{
	const double v[] = { 7, 3, 10, 1, 5, 9, 2, 8, 4, 6 }; /* 1..10, shuffled */
	double copy[10];
	struct stats_summary s;

	memcpy(copy, v, sizeof(v));
	cr_assert_eq(stats_summarize(v, 10, &s), 0);
	cr_expect_eq(memcmp(copy, v, sizeof(v)), 0, "input modified");
	cr_expect_eq(s.n, 10);
	EXPECT_NEAR(s.mean, 5.5);
	EXPECT_NEAR(s.min, 1);
	EXPECT_NEAR(s.max, 10);
	/* Sample standard deviation: sqrt(82.5 / 9). */
	EXPECT_NEAR(s.stdev, 3.0276503540974917);
	/* numpy.percentile (linear): rank q/100 * (n-1) between order statistics. */
	EXPECT_NEAR(s.p50, 5.5);  /* rank 4.5 */
	EXPECT_NEAR(s.p90, 9.1);  /* rank 8.1 */
	EXPECT_NEAR(s.p99, 9.91); /* rank 8.91 */
	EXPECT_NEAR(stats_median(v, 10), 5.5);
}

Test(stats, percentiles_sorted)
{
	const double v[] = { 10, 20, 30, 40 };
	const double one[] = { 42 };

	EXPECT_NEAR(stats_percentile_sorted(v, 4, 0), 10);
	EXPECT_NEAR(stats_percentile_sorted(v, 4, -5), 10);
	EXPECT_NEAR(stats_percentile_sorted(v, 4, 25), 17.5); /* rank 0.75 */
	EXPECT_NEAR(stats_percentile_sorted(v, 4, 50), 25);
	EXPECT_NEAR(stats_percentile_sorted(v, 4, 75), 32.5); /* rank 2.25 */
	EXPECT_NEAR(stats_percentile_sorted(v, 4, 100), 40);
	EXPECT_NEAR(stats_percentile_sorted(v, 4, 250), 40);
	EXPECT_NEAR(stats_percentile_sorted(one, 1, 50), 42);
	EXPECT_NEAR(stats_percentile_sorted(one, 1, 99), 42);
	EXPECT_NEAR(stats_percentile_sorted(v, 0, 50), 0);
}

Test(stats, small_and_odd_sets)
{
	const double v[] = { 3, 1, 2 };
	const double same[] = { 5, 5, 5, 5 };
	const double one[] = { -2.5 };
	struct stats_summary s;
	double sorted[] = { 9, -1, 4.5, 0 };

	cr_assert_eq(stats_summarize(v, 3, &s), 0);
	EXPECT_NEAR(s.p50, 2);
	EXPECT_NEAR(s.p90, 2.8); /* rank 1.8 */
	EXPECT_NEAR(s.p99, 2.98);
	EXPECT_NEAR(s.stdev, 1);
	cr_assert_eq(stats_summarize(same, 4, &s), 0);
	EXPECT_NEAR(s.stdev, 0);
	EXPECT_NEAR(s.p99, 5);
	cr_assert_eq(stats_summarize(one, 1, &s), 0);
	cr_expect_eq(s.n, 1);
	EXPECT_NEAR(s.stdev, 0);
	EXPECT_NEAR(s.p50, -2.5);
	EXPECT_NEAR(s.min, -2.5);
	cr_assert_eq(stats_summarize(one, 0, &s), 0);
	cr_expect_eq(s.n, 0);
	EXPECT_NEAR(s.mean, 0);
	EXPECT_NEAR(s.max, 0);
	EXPECT_NEAR(stats_median(one, 0), 0);
	stats_sort(sorted, 4);
	EXPECT_NEAR(sorted[0], -1);
	EXPECT_NEAR(sorted[1], 0);
	EXPECT_NEAR(sorted[2], 4.5);
	EXPECT_NEAR(sorted[3], 9);
}

Test(stats, hundred_values)
{
	double v[100];
	struct stats_summary s;

	for (unsigned i = 0; i < 100; i++)
		v[i] = (double)((i * 37) % 100); /* a permutation of 0..99 */
	cr_assert_eq(stats_summarize(v, 100, &s), 0);
	EXPECT_NEAR(s.mean, 49.5);
	EXPECT_NEAR(s.p50, 49.5); /* rank 49.5 */
	EXPECT_NEAR(s.p90, 89.1); /* rank 89.1 */
	EXPECT_NEAR(s.p99, 98.01);
	/* sqrt(sum (i - 49.5)^2 / 99) = sqrt(83325 / 99) */
	EXPECT_NEAR(s.stdev, sqrt(83325.0 / 99.0));
}
