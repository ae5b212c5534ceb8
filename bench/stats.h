/*
 * stats.h - inferential statistics for benchmarks: the two-sample Mann-Whitney U test (exact
 * for small samples, normal approximation with tie correction otherwise), a permutation test on
 * the difference of medians, distribution-free confidence intervals for a median, a bootstrap
 * interval for a relative change, and the A/B verdict with Firecracker's noise filter.
 * util/stats.h has the descriptive side (percentiles, mean, stdev).
 *
 * Pure; any thread. No libm: strand stays free of it (start-up time and RSS are benchmarks).
 */
#ifndef STRAND_BENCH_STATS_H
#define STRAND_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/stats.h"

/* splitmix64: small, seedable, good enough for resampling. */
struct bstats_rng {
	uint64_t state;
};

uint64_t bstats_rng_next(struct bstats_rng *r);
/* Uniform integer in [0, n). */
size_t bstats_rng_below(struct bstats_rng *r, size_t n);
void bstats_shuffle(struct bstats_rng *r, unsigned *v, size_t n);

/* exp(x) and erfc(x) without libm (relative error below 1e-15 and 1.2e-7). */
double bstats_exp(double x);
double bstats_erfc(double x);
/* Upper tail of the standard normal distribution, P(Z > z). */
double bstats_normal_sf(double z);

struct bstats_test {
	double u;	    /* Mann-Whitney U of the first sample: pairs a > b, ties count 1/2 */
	double p;	    /* two-sided p-value */
	double p_min;	    /* the smallest p-value these sample sizes can give (no ties) */
	const char *method; /* "exact", "exact-ties", "normal", "permutation" */
};

/*
 * Two-sided Mann-Whitney U test of a[0..na) against b[0..nb). Exact by enumerating every
 * assignment when there are at most 200000 of them (ties handled with mid-ranks), exact from
 * the distribution of U when there are no ties and na*nb <= 10000, otherwise the normal
 * approximation with tie and continuity corrections. Returns 0, -EINVAL (an empty sample) or
 * -ENOMEM.
 */
int bstats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct bstats_test *out);
/* 2 / C(na + nb, na): no two-sided rank test on these sizes can go below it. */
double bstats_mwu_min_p(size_t na, size_t nb);
/* Number of U values <= u, as a fraction of all C(na+nb, na) (exact, no ties). */
double bstats_mwu_cdf_exact(size_t na, size_t nb, double u);

/*
 * Two-sided permutation test of median(b) - median(a): exact enumeration up to 200000
 * assignments, else `resamples` random ones (p = (k + 1) / (resamples + 1)).
 */
int bstats_perm_median(const double *a, size_t na, const double *b, size_t nb, unsigned resamples,
		       uint64_t seed, struct bstats_test *out);

/*
 * Distribution-free confidence interval for the median of sorted[0..n): the order statistics
 * whose binomial coverage is at least `level` (or the widest one, min..max, when n is too
 * small: *achieved says what it covers).
 */
void bstats_median_ci(const double *sorted, size_t n, double level, double *lo, double *hi,
		      double *achieved);

/* Percentile bootstrap interval for median(b) / median(a) - 1. */
int bstats_bootstrap_rel(const double *a, size_t na, const double *b, size_t nb, unsigned resamples,
			 uint64_t seed, double level, double *lo, double *hi);

/* Descriptive summary with the spread and the median's interval used by the reports. */
struct bstats_summary {
	struct stats_summary s; /* n, mean, stdev, min, max, p50, p90, p99 */
	double p10, p25, p75;
	double ci_lo, ci_hi, ci_level; /* order-statistic interval for the median */
};

int bstats_summarize(const double *v, size_t n, struct bstats_summary *out);

enum bstats_verdict {
	BSTATS_SAME = 0,
	BSTATS_FASTER, /* better: lower for latencies, higher for throughputs */
	BSTATS_SLOWER, /* worse */
	BSTATS_UNDECIDED,
};

const char *bstats_verdict_name(enum bstats_verdict v);

struct bstats_params {
	double alpha;	   /* significance level (0.01) */
	double min_effect; /* minimum relative change of the median that matters (0.05) */
	double noise;	   /* Firecracker's noise threshold across parameterisations (0.05) */
	bool permutation;  /* test: permutation on medians instead of Mann-Whitney U */
	unsigned resamples;
	uint64_t seed;
};

void bstats_params_default(struct bstats_params *p);

/* One series, old (a) against new (b). */
struct bstats_change {
	double med_a, med_b;
	double rel; /* med_b / med_a - 1 */
	double rel_lo, rel_hi;
	struct bstats_test test;
	bool significant; /* p < alpha */
	bool large;	  /* |rel| >= min_effect */
	bool filtered;	  /* a candidate change dropped by the noise filter */
	enum bstats_verdict verdict;
	char reason[192];
};

/*
 * Compare two samples of a metric (higher_better: throughputs). The verdict before the noise
 * filter: undecided when the sizes cannot reach alpha, or when the change looks large but is
 * not significant yet; faster/slower when significant and large; otherwise same.
 */
int bstats_compare(const double *a, size_t na, const double *b, size_t nb, bool higher_better,
		   const struct bstats_params *p, struct bstats_change *out);

/*
 * Firecracker's noise filter over every parameterisation of one metric (c[0..n)): a faster or
 * slower verdict stands only if the mean relative change over all parameterisations, and over
 * the significant ones, exceeds p->noise and has the same sign; otherwise it becomes "same"
 * (filtered). Parameterisations that did not compare (n = 0) must not be passed.
 */
void bstats_noise_filter(struct bstats_change *const *c, size_t n, const struct bstats_params *p);

#endif
