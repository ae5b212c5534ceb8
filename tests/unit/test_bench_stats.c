/*
 * test_bench_stats.c - bench/stats.c against known cases and independent references:
 *  - the Mann-Whitney example of SciPy's documentation (Conover's males/females data):
 *    U = 17, exact two-sided p = 14/126 = 0.1111 (also re-derived here by enumeration);
 *  - exact p-values recomputed here by brute force: every assignment of the pooled sample,
 *    U counted pair by pair (not from ranks), for samples with and without ties;
 *  - the distribution of U from the classic recurrence f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u)
 *    (Mann and Whitney 1947), against the product formula stats.c uses;
 *  - the normal approximation with ties against a Monte Carlo permutation estimate;
 *  - binomial coverage of the order-statistic interval for the median (n = 10: ranks 2 and 9,
 *    1 - 2 * 11/1024 = 0.978515625; n = 5: min..max, 0.9375);
 *  - verdicts: identical samples are "same", shifted ones are detected, tiny samples are
 *    "undecided", and Firecracker's noise filter drops changes that cancel out.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/stats.h"

/* U of a against b counted pair by pair: a > b counts 1, a tie 1/2. */
static double pairwise_u(const double *a, size_t na, const double *b, size_t nb)
{
	double u = 0;

	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
	return u;
}

/* Two-sided exact p by trying every split of the pooled sample into na and nb values. */
static double brute_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb;
	double pool[24], x[24], y[24], mean = (double)na * (double)nb / 2.0;
	double obs = fabs(pairwise_u(a, na, b, nb) - mean), count = 0, total = 0;

	cr_assert(n <= 20);
	memcpy(pool, a, na * sizeof(double));
	memcpy(pool + na, b, nb * sizeof(double));
	for (unsigned mask = 0; mask < (1u << n); mask++) {
		size_t nx = 0, ny = 0;

		if ((size_t)__builtin_popcount(mask) != na)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (mask & (1u << i))
				x[nx++] = pool[i];
			else
				y[ny++] = pool[i];
		}
		total++;
		if (fabs(pairwise_u(x, nx, y, ny) - mean) >= obs - 1e-9)
			count++;
	}
	return count / total;
}

Test(bench_stats, exp_and_erfc_match_libm)
{
	for (double x = -40; x <= 40; x += 0.37)
		cr_expect(fabs(bstats_exp(x) - exp(x)) <= 1e-14 * exp(x), "exp(%g)", x);
	cr_expect_eq(bstats_exp(-800), 0);
	for (double x = -5; x <= 8; x += 0.05)
		cr_expect(fabs(bstats_erfc(x) - erfc(x)) <= 2e-7 * erfc(x), "erfc(%g): %g vs %g", x,
			  bstats_erfc(x), erfc(x));
	cr_expect(fabs(bstats_normal_sf(1.959963985) - 0.025) < 1e-8);
}

Test(bench_stats, mann_whitney_textbook_example)
{
	const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
	struct bstats_test t;

	cr_assert_eq(bstats_mann_whitney(males, 5, females, 4, &t), 0);
	cr_expect_eq(t.u, 17);
	cr_expect(fabs(t.p - 14.0 / 126.0) < 1e-12, "p = %.17g", t.p);
	cr_expect_str_eq(t.method, "exact");
	cr_expect(fabs(brute_p(males, 5, females, 4) - 14.0 / 126.0) < 1e-12);
}

Test(bench_stats, mann_whitney_exact_matches_brute_force)
{
	struct bstats_rng rng = { 42 };

	for (unsigned trial = 0; trial < 60; trial++) {
		size_t na = 2 + bstats_rng_below(&rng, 7), nb = 2 + bstats_rng_below(&rng, 7);
		double a[10], b[10], ref;
		bool ties = trial % 2;
		struct bstats_test t;

		for (size_t i = 0; i < na; i++)
			a[i] = ties ? (double)bstats_rng_below(&rng, 5) :
				      (double)bstats_rng_below(&rng, 1000000) / 7.0;
		for (size_t i = 0; i < nb; i++)
			b[i] = ties ? (double)bstats_rng_below(&rng, 5) + (trial % 3 == 0) :
				      (double)bstats_rng_below(&rng, 1000000) / 7.0 +
					       30000.0 * (trial % 3);
		cr_assert_eq(bstats_mann_whitney(a, na, b, nb, &t), 0);
		ref = brute_p(a, na, b, nb);
		cr_expect(fabs(t.p - ref) < 1e-9,
			  "trial %u (%zu+%zu, ties %d): p %.12g, brute %.12g", trial, na, nb, ties,
			  t.p, ref);
		cr_expect(fabs(t.u - pairwise_u(a, na, b, nb)) < 1e-9);
	}
}

/* Counts of U by the recurrence of Mann and Whitney, independent of stats.c's product. */
static double recurrence(unsigned m, unsigned n, int u, double *memo, unsigned maxn, int maxu)
{
	double *slot, v;

	if (u < 0)
		return 0;
	if (m == 0 || n == 0)
		return u == 0 ? 1 : 0;
	slot = &memo[((size_t)m * (maxn + 1) + n) * (size_t)(maxu + 1) + (size_t)u];
	if (*slot >= 0)
		return *slot;
	v = recurrence(m - 1, n, u - (int)n, memo, maxn, maxu) +
	    recurrence(m, n - 1, u, memo, maxn, maxu);
	*slot = v;
	return v;
}

Test(bench_stats, u_distribution_matches_recurrence)
{
	const unsigned m = 12, n = 13;
	const int maxu = (int)(m * n);
	size_t cells = (size_t)(m + 1) * (n + 1) * (size_t)(maxu + 1);
	double *memo = malloc(cells * sizeof(double)), total = 0, below = 0;

	cr_assert(memo);
	for (size_t i = 0; i < cells; i++)
		memo[i] = -1;
	for (int u = 0; u <= maxu; u++)
		total += recurrence(m, n, u, memo, n, maxu);
	for (int u = 0; u <= maxu; u++) {
		below += recurrence(m, n, u, memo, n, maxu);
		cr_expect(fabs(bstats_mwu_cdf_exact(m, n, u) - below / total) < 1e-12, "u = %d", u);
	}
	free(memo);
	/* 12 + 13 values have C(25, 12) = 5200300 assignments: the product-formula path. */
	{
		double a[12], b[13];
		struct bstats_test t;

		for (unsigned i = 0; i < 12; i++)
			a[i] = i * 2.0;
		for (unsigned i = 0; i < 13; i++)
			b[i] = i * 2.0 + 9.5;
		cr_assert_eq(bstats_mann_whitney(a, 12, b, 13, &t), 0);
		cr_expect_str_eq(t.method, "exact");
		cr_expect(fabs(t.p - 2 * bstats_mwu_cdf_exact(12, 13, t.u)) < 1e-12);
	}
}

Test(bench_stats, normal_approximation_with_ties)
{
	struct bstats_rng rng = { 7 };
	double a[40], b[40], pool[80];
	struct bstats_test t;
	double obs, count = 0;
	const unsigned trials = 20000;

	for (unsigned i = 0; i < 40; i++) {
		a[i] = (double)bstats_rng_below(&rng, 8);
		b[i] = (double)bstats_rng_below(&rng, 8) + 0.6 * (i % 2);
	}
	cr_assert_eq(bstats_mann_whitney(a, 40, b, 40, &t), 0);
	cr_expect_str_eq(t.method, "normal");
	/* Monte Carlo permutation estimate of the same p-value. */
	obs = fabs(pairwise_u(a, 40, b, 40) - 800);
	memcpy(pool, a, sizeof(a));
	memcpy(pool + 40, b, sizeof(b));
	for (unsigned k = 0; k < trials; k++) {
		for (size_t i = 79; i > 0; i--) {
			size_t j = bstats_rng_below(&rng, i + 1);
			double x = pool[i];

			pool[i] = pool[j];
			pool[j] = x;
		}
		if (fabs(pairwise_u(pool, 40, pool + 40, 40) - 800) >= obs - 1e-9)
			count++;
	}
	cr_expect(fabs(t.p - count / trials) < 0.02, "normal %.4f, permutation %.4f", t.p,
		  count / trials);
}

Test(bench_stats, identical_samples_are_the_same)
{
	double a[10], b[10];
	struct bstats_params p;
	struct bstats_change c;

	bstats_params_default(&p);
	for (unsigned i = 0; i < 10; i++)
		a[i] = b[i] = 1000 + i;
	cr_assert_eq(bstats_compare(a, 10, b, 10, false, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_SAME);
	cr_expect(c.test.p > 0.99);
	cr_expect_eq(c.rel, 0);
	/* All values tied: no variance at all. */
	for (unsigned i = 0; i < 10; i++)
		a[i] = b[i] = 5;
	cr_assert_eq(bstats_compare(a, 10, b, 10, false, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_SAME);
	cr_expect_eq(c.test.p, 1);
}

Test(bench_stats, shifted_distributions_are_detected)
{
	struct bstats_rng rng = { 3 };
	double a[12], b[12];
	struct bstats_params p;
	struct bstats_change c;

	bstats_params_default(&p);
	for (unsigned i = 0; i < 12; i++) {
		a[i] = 20000 + (double)bstats_rng_below(&rng, 1000);
		b[i] = 24000 + (double)bstats_rng_below(&rng, 1000);
	}
	/* Latency up 20%: slower. */
	cr_assert_eq(bstats_compare(a, 12, b, 12, false, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_SLOWER, "%s", c.reason);
	cr_expect(c.test.p < 1e-4);
	cr_expect(c.rel > 0.15 && c.rel < 0.25);
	cr_expect(c.rel_lo > 0.1 && c.rel_hi < 0.3, "[%g, %g]", c.rel_lo, c.rel_hi);
	/* The same numbers as a throughput: higher is better, so faster. */
	cr_assert_eq(bstats_compare(a, 12, b, 12, true, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_FASTER);
	/* With the permutation test on medians too. */
	p.permutation = true;
	cr_assert_eq(bstats_compare(a, 12, b, 12, false, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_SLOWER, "%s", c.reason);
	cr_expect(c.test.p < 0.001);
}

Test(bench_stats, small_or_noisy_samples_are_undecided)
{
	double a[4] = { 10, 11, 12, 13 }, b[4] = { 20, 21, 22, 23 };
	double na[10] = { 10, 30, 11, 29, 12, 31, 10, 28, 13, 30 };
	double nb[10] = { 12, 33, 11, 34, 14, 30, 12, 35, 13, 31 };
	struct bstats_params p;
	struct bstats_change c;

	bstats_params_default(&p);
	/* 4 + 4 values: the smallest two-sided p is 2/70 > 0.01. */
	cr_expect(fabs(bstats_mwu_min_p(4, 4) - 2.0 / 70.0) < 1e-15);
	cr_expect(fabs(bstats_mwu_min_p(5, 5) - 2.0 / 252.0) < 1e-15);
	cr_assert_eq(bstats_compare(a, 4, b, 4, false, &p, &c), 0);
	cr_expect_eq(c.verdict, BSTATS_UNDECIDED);
	cr_expect(strstr(c.reason, "too few"), "%s", c.reason);
	/* A large apparent change that is not significant: more samples needed. */
	cr_assert_eq(bstats_compare(na, 10, nb, 10, false, &p, &c), 0);
	cr_expect(c.test.p >= 0.01);
	cr_expect_eq(c.verdict, c.large ? BSTATS_UNDECIDED : BSTATS_SAME, "%s", c.reason);
}

Test(bench_stats, permutation_median_exact_matches_brute_force)
{
	const double a[] = { 5, 7, 9, 11, 30 }, b[] = { 8, 12, 13, 15, 16, 40 };
	double pool[11], x[11], y[11], obs, count = 0, total = 0;
	struct bstats_test t;

	cr_assert_eq(bstats_perm_median(a, 5, b, 6, 0, 1, &t), 0);
	cr_expect_str_eq(t.method, "permutation-exact");
	memcpy(pool, a, sizeof(a));
	memcpy(pool + 5, b, sizeof(b));
	obs = fabs(stats_median(b, 6) - stats_median(a, 5)); /* 14 - 9 */
	for (unsigned mask = 0; mask < (1u << 11); mask++) {
		size_t nx = 0, ny = 0;

		if (__builtin_popcount(mask) != 5)
			continue;
		for (unsigned i = 0; i < 11; i++) {
			if (mask & (1u << i))
				x[nx++] = pool[i];
			else
				y[ny++] = pool[i];
		}
		total++;
		if (fabs(stats_median(y, ny) - stats_median(x, nx)) >= obs - 1e-9)
			count++;
	}
	cr_expect(fabs(t.p - count / total) < 1e-12, "p %g, brute %g", t.p, count / total);
	cr_expect_eq(total, 462);
}

Test(bench_stats, median_interval_coverage)
{
	double v[10], lo, hi, cover;

	for (unsigned i = 0; i < 10; i++)
		v[i] = i + 1;
	bstats_median_ci(v, 10, 0.95, &lo, &hi, &cover);
	cr_expect_eq(lo, 2);
	cr_expect_eq(hi, 9);
	cr_expect(fabs(cover - (1 - 2 * 11.0 / 1024)) < 1e-12, "coverage %.12g", cover);
	bstats_median_ci(v, 5, 0.95, &lo, &hi, &cover);
	cr_expect_eq(lo, 1);
	cr_expect_eq(hi, 5);
	cr_expect(fabs(cover - 0.9375) < 1e-12);
}

Test(bench_stats, noise_filter_drops_changes_that_cancel)
{
	struct bstats_params p;
	struct bstats_change x = { 0 }, y = { 0 }, z = { 0 };
	struct bstats_change *two[2] = { &x, &y }, *pair[2] = { &x, &z };

	bstats_params_default(&p);
	/* +20% significant in one parameterisation, -18% in another: mean +1%, noise. */
	x.rel = 0.20;
	x.verdict = BSTATS_SLOWER;
	y.rel = -0.18;
	y.verdict = BSTATS_FASTER;
	bstats_noise_filter(two, 2, &p);
	cr_expect_eq(x.verdict, BSTATS_SAME);
	cr_expect(x.filtered);
	cr_expect_eq(y.verdict, BSTATS_SAME);
	/* +20% and +12% (the latter not significant): consistent, the regression stands. */
	x.rel = 0.20;
	x.verdict = BSTATS_SLOWER;
	x.filtered = false;
	z.rel = 0.12;
	z.verdict = BSTATS_UNDECIDED;
	bstats_noise_filter(pair, 2, &p);
	cr_expect_eq(x.verdict, BSTATS_SLOWER);
	cr_expect(!x.filtered);
	cr_expect_eq(z.verdict, BSTATS_UNDECIDED);
}
