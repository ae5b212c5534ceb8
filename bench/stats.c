/* stats.c - two-sample tests, intervals and A/B verdicts. Pure; any thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/stats.h"
#include "util/compiler.h"

#define ENUM_MAX 200000.0 /* enumerate every assignment up to this many */

uint64_t bstats_rng_next(struct bstats_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t bstats_rng_below(struct bstats_rng *r, size_t n)
{
	return n ? (size_t)(bstats_rng_next(r) % n) : 0;
}

void bstats_shuffle(struct bstats_rng *r, unsigned *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = bstats_rng_below(r, i);
		unsigned t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

double bstats_exp(double x)
{
	static const double ln2_hi = 6.93147180369123816490e-01;
	static const double ln2_lo = 1.90821492927058770002e-10;
	union {
		double d;
		uint64_t u;
	} scale;
	double r, sum = 1, term = 1;
	int k;

	if (x != x)
		return x;
	if (x > 709.0)
		return __builtin_inf();
	if (x < -745.0)
		return 0;
	k = (int)(x * 1.44269504088896340736 + (x >= 0 ? 0.5 : -0.5));
	r = x - k * ln2_hi - k * ln2_lo; /* |r| <= ln2 / 2 */
	for (int i = 1; i <= 16; i++) {
		term *= r / i;
		sum += term;
	}
	/* 2^k in two steps so that subnormal results stay right. */
	if (k < -1000) {
		scale.u = (uint64_t)(k + 1000 + 1023) << 52;
		return sum * scale.d * 9.33263618503218878990e-302; /* 2^-1000 */
	}
	scale.u = (uint64_t)(k + 1023) << 52;
	return sum * scale.d;
}

/* Chebyshev fit (Numerical Recipes' erfcc): fractional error below 1.2e-7 everywhere. */
double bstats_erfc(double x)
{
	double z = x < 0 ? -x : x;
	double t = 1.0 / (1.0 + 0.5 * z);
	double ans = t * bstats_exp(-z * z - 1.26551223 +
				    t * (1.00002368 +
					 t * (0.37409196 +
					      t * (0.09678418 +
						   t * (-0.18628806 +
							t * (0.27886807 +
							     t * (-1.13520398 +
								  t * (1.48851587 +
								       t * (-0.82215223 +
									    t * 0.17087277)))))))));

	return x >= 0 ? ans : 2.0 - ans;
}

double bstats_normal_sf(double z)
{
	return 0.5 * bstats_erfc(z * 0.70710678118654752440);
}

/* C(n, k) as a double, or a value above `cap` as soon as it exceeds it. */
static double binom_capped(size_t n, size_t k, double cap)
{
	double c = 1;

	if (k > n - k)
		k = n - k;
	for (size_t i = 1; i <= k; i++) {
		c = c * (double)(n - k + i) / (double)i;
		if (c > cap)
			return c;
	}
	return c;
}

double bstats_mwu_min_p(size_t na, size_t nb)
{
	double c;

	if (!na || !nb)
		return 1;
	c = binom_capped(na + nb, na, 1e300);
	return c <= 2 ? 1 : 2.0 / c;
}

struct ranked {
	double v;
	unsigned from_a;
};

static int cmp_ranked(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	return (a->v > b->v) - (a->v < b->v);
}

/*
 * Mid-ranks (1-based) of the pooled sample in pooled order; returns the tie term
 * sum(t^3 - t) and whether there were ties.
 */
static double midranks(struct ranked *p, size_t n, double *rank, bool *ties)
{
	double tie = 0;

	qsort(p, n, sizeof(*p), cmp_ranked);
	*ties = false;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && p[j].v == p[i].v)
			j++;
		for (size_t k = i; k < j; k++)
			rank[k] = (double)(i + j + 1) / 2.0;
		if (j - i > 1) {
			double t = (double)(j - i);

			tie += t * t * t - t;
			*ties = true;
		}
		i = j;
	}
	return tie;
}

/* Visit every k-subset of {0..n-1} (idx ascending); fn returns the statistic. */
static double enumerate_subsets(size_t n, size_t k, unsigned *idx,
				double (*fn)(const unsigned *idx, size_t k, void *opaque),
				void *opaque, double observed, double *total)
{
	double count = 0, tol = 1e-9 * (observed < 0 ? -observed : observed) + 1e-12;

	*total = 0;
	for (size_t i = 0; i < k; i++)
		idx[i] = (unsigned)i;
	for (;;) {
		double s = fn(idx, k, opaque);

		if ((s < 0 ? -s : s) >= (observed < 0 ? -observed : observed) - tol)
			count++;
		(*total)++;
		/* next combination */
		size_t i = k;
		while (i > 0 && idx[i - 1] == n - k + i - 1)
			i--;
		if (i == 0)
			break;
		idx[i - 1]++;
		for (size_t j = i; j < k; j++)
			idx[j] = idx[j - 1] + 1;
	}
	return count;
}

struct ranksum_ctx {
	const double *rank;
	double expect;
};

static double ranksum_dev(const unsigned *idx, size_t k, void *opaque)
{
	const struct ranksum_ctx *c = opaque;
	double s = 0;

	for (size_t i = 0; i < k; i++)
		s += c->rank[idx[i]];
	return s - c->expect;
}

/* Counts of U = 0..na*nb over all C(na+nb, na) assignments (no ties): the Gaussian binomial. */
static double *mwu_counts(size_t na, size_t nb)
{
	size_t max = na * nb, deg = 0;
	double *c = calloc(max + 1, sizeof(double));

	if (!c)
		return NULL;
	c[0] = 1;
	for (size_t i = 1; i <= na; i++) {
		size_t up = nb + i;

		/* times (1 - q^(nb+i)) */
		for (size_t k = deg + up; k >= up; k--) {
			if (k <= max)
				c[k] -= c[k - up];
			if (k == up)
				break;
		}
		/* divided by (1 - q^i), over the whole product so its top terms cancel */
		for (size_t k = i; k <= deg + up && k <= max; k++)
			c[k] += c[k - i];
		deg += nb;
	}
	return c;
}

double bstats_mwu_cdf_exact(size_t na, size_t nb, double u)
{
	double *c = mwu_counts(na, nb), below = 0, total = 0;

	if (!c)
		return -1;
	for (size_t k = 0; k <= na * nb; k++) {
		total += c[k];
		if ((double)k <= u + 1e-9)
			below += c[k];
	}
	free(c);
	return below / total;
}

int bstats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct bstats_test *out)
{
	size_t n = na + nb;
	struct ranked *p;
	double *rank, tie, ra = 0, mean, var, combos;
	bool ties;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->p = 1;
	out->p_min = 1;
	out->method = "none";
	if (!na || !nb)
		return -EINVAL;
	p = malloc(n * sizeof(*p));
	rank = malloc(n * sizeof(double));
	if (!p || !rank) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < na; i++)
		p[i] = (struct ranked){ a[i], 1 };
	for (size_t i = 0; i < nb; i++)
		p[na + i] = (struct ranked){ b[i], 0 };
	tie = midranks(p, n, rank, &ties);
	for (size_t i = 0; i < n; i++)
		if (p[i].from_a)
			ra += rank[i];
	out->u = ra - (double)na * (double)(na + 1) / 2.0;
	out->p_min = bstats_mwu_min_p(na, nb);
	mean = (double)na * (double)nb / 2.0;
	combos = binom_capped(n, na, ENUM_MAX);
	if (combos <= ENUM_MAX) {
		struct ranksum_ctx c = { rank, (double)na * (double)(n + 1) / 2.0 };
		unsigned *idx = malloc(na * sizeof(unsigned));
		double total, count;

		if (!idx) {
			ret = -ENOMEM;
			goto out;
		}
		count = enumerate_subsets(n, na, idx, ranksum_dev, &c, ra - c.expect, &total);
		free(idx);
		out->p = count / total;
		out->method = ties ? "exact-ties" : "exact";
	} else if (!ties && na * nb <= 10000) {
		double lo = out->u < mean ? out->u : (double)(na * nb) - out->u;
		double cdf = bstats_mwu_cdf_exact(na, nb, lo);

		if (cdf < 0) {
			ret = -ENOMEM;
			goto out;
		}
		out->p = 2 * cdf;
		out->method = "exact";
	} else {
		double dev = out->u - mean;

		var = (double)na * (double)nb / 12.0 *
		      ((double)(n + 1) - tie / ((double)n * (double)(n - 1)));
		dev = (dev < 0 ? -dev : dev) - 0.5;
		if (var <= 0 || dev <= 0)
			out->p = 1;
		else
			out->p = 2 * bstats_normal_sf(dev / __builtin_sqrt(var));
		out->method = "normal";
	}
	if (out->p > 1)
		out->p = 1;
out:
	free(p);
	free(rank);
	return ret;
}

struct median_ctx {
	const double *sorted; /* pooled, sorted */
	size_t n;
	unsigned char *in_a;
};

/* Median of the positions in / not in the subset, walking the sorted pool once. */
static double subset_median_diff(const unsigned *idx, size_t k, void *opaque)
{
	struct median_ctx *c = opaque;
	size_t na = k, nb = c->n - k, ia = 0, ib = 0;
	double ma = 0, mb = 0;

	memset(c->in_a, 0, c->n);
	for (size_t i = 0; i < k; i++)
		c->in_a[idx[i]] = 1;
	for (size_t i = 0; i < c->n; i++) {
		double v = c->sorted[i];

		if (c->in_a[i]) {
			if (ia == (na - 1) / 2)
				ma += na % 2 ? v : v / 2;
			if (na % 2 == 0 && ia == na / 2)
				ma += v / 2;
			ia++;
		} else {
			if (ib == (nb - 1) / 2)
				mb += nb % 2 ? v : v / 2;
			if (nb % 2 == 0 && ib == nb / 2)
				mb += v / 2;
			ib++;
		}
	}
	return mb - ma;
}

int bstats_perm_median(const double *a, size_t na, const double *b, size_t nb, unsigned resamples,
		       uint64_t seed, struct bstats_test *out)
{
	size_t n = na + nb;
	struct median_ctx c = { 0 };
	double *pool = NULL, observed, combos;
	unsigned *idx = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->p = 1;
	out->p_min = 1;
	out->method = "none";
	if (!na || !nb)
		return -EINVAL;
	pool = malloc(n * sizeof(double));
	c.in_a = malloc(n);
	idx = malloc(n * sizeof(unsigned));
	if (!pool || !c.in_a || !idx) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(pool, a, na * sizeof(double));
	memcpy(pool + na, b, nb * sizeof(double));
	observed = stats_median(b, nb) - stats_median(a, na);
	stats_sort(pool, n);
	c.sorted = pool;
	c.n = n;
	out->u = observed;
	out->p_min = bstats_mwu_min_p(na, nb);
	combos = binom_capped(n, na, ENUM_MAX);
	if (combos <= ENUM_MAX) {
		double total, count = enumerate_subsets(n, na, idx, subset_median_diff, &c,
							observed, &total);

		out->p = count / total;
		out->method = "permutation-exact";
	} else {
		struct bstats_rng rng = { seed };
		double aobs = observed < 0 ? -observed : observed;
		double tol = 1e-9 * aobs + 1e-12, k = 0;

		if (!resamples)
			resamples = 10000;
		for (size_t i = 0; i < n; i++)
			idx[i] = (unsigned)i;
		for (unsigned r = 0; r < resamples; r++) {
			double d;

			/* A partial Fisher-Yates: the first na positions form sample a. */
			for (size_t i = 0; i < na; i++) {
				size_t j = i + bstats_rng_below(&rng, n - i);
				unsigned t = idx[i];

				idx[i] = idx[j];
				idx[j] = t;
			}
			d = subset_median_diff(idx, na, &c);
			if ((d < 0 ? -d : d) >= aobs - tol)
				k++;
		}
		out->p = (k + 1) / ((double)resamples + 1);
		out->method = "permutation";
	}
out:
	free(pool);
	free(c.in_a);
	free(idx);
	return ret;
}

/* Two-sided normal quantile for `level` (bisection on the tail; level in (0, 1)). */
static double normal_quantile_two_sided(double level)
{
	double lo = 0, hi = 40, tail = (1 - level) / 2;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (bstats_normal_sf(mid) > tail)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void bstats_median_ci(const double *sorted, size_t n, double level, double *lo, double *hi,
		      double *achieved)
{
	size_t j = 0; /* 0-based rank of the lower bound */
	double cover = 1;

	if (n == 0) {
		*lo = *hi = 0;
		*achieved = 0;
		return;
	}
	if (n <= 1000) {
		double pmf = 1, cdf;

		for (size_t i = 0; i < n; i++)
			pmf /= 2; /* P(X = 0) for X ~ Bin(n, 1/2) */
		cdf = pmf;
		cover = 1 - 2 * cdf; /* [x_(j), x_(n-1-j)] covers 1 - 2 P(X <= j) */
		while (j + 1 <= (n - 1) / 2) {
			double next_pmf = pmf * (double)(n - j) / (double)(j + 1);
			double next_cdf = cdf + next_pmf;

			if (1 - 2 * next_cdf < level)
				break;
			j++;
			pmf = next_pmf;
			cdf = next_cdf;
			cover = 1 - 2 * cdf;
		}
	} else {
		double z = normal_quantile_two_sided(level);
		double d = (double)n / 2.0 - z * __builtin_sqrt((double)n) / 2.0;

		j = d > 1 ? (size_t)d - 1 : 0;
		cover = level;
	}
	*lo = sorted[j];
	*hi = sorted[n - 1 - j];
	*achieved = cover;
}

int bstats_bootstrap_rel(const double *a, size_t na, const double *b, size_t nb, unsigned resamples,
			 uint64_t seed, double level, double *lo, double *hi)
{
	struct bstats_rng rng = { seed };
	double *ra, *rb, *rel;
	size_t k = 0;
	int ret = 0;

	*lo = *hi = 0;
	if (!na || !nb || !resamples)
		return -EINVAL;
	ra = malloc(na * sizeof(double));
	rb = malloc(nb * sizeof(double));
	rel = malloc(resamples * sizeof(double));
	if (!ra || !rb || !rel) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned r = 0; r < resamples; r++) {
		double ma, mb;

		for (size_t i = 0; i < na; i++)
			ra[i] = a[bstats_rng_below(&rng, na)];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[bstats_rng_below(&rng, nb)];
		ma = stats_median(ra, na);
		mb = stats_median(rb, nb);
		if (ma != 0)
			rel[k++] = mb / ma - 1;
	}
	if (k) {
		stats_sort(rel, k);
		*lo = stats_percentile_sorted(rel, k, 50 * (1 - level));
		*hi = stats_percentile_sorted(rel, k, 100 - 50 * (1 - level));
	}
out:
	free(ra);
	free(rb);
	free(rel);
	return ret;
}

int bstats_summarize(const double *v, size_t n, struct bstats_summary *out)
{
	double *s;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = stats_summarize(v, n, &out->s);
	if (ret || n == 0)
		return ret;
	s = malloc(n * sizeof(double));
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n * sizeof(double));
	stats_sort(s, n);
	out->p10 = stats_percentile_sorted(s, n, 10);
	out->p25 = stats_percentile_sorted(s, n, 25);
	out->p75 = stats_percentile_sorted(s, n, 75);
	bstats_median_ci(s, n, 0.95, &out->ci_lo, &out->ci_hi, &out->ci_level);
	free(s);
	return 0;
}

const char *bstats_verdict_name(enum bstats_verdict v)
{
	static const char *const names[] = { "same", "faster", "slower", "undecided" };

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

void bstats_params_default(struct bstats_params *p)
{
	memset(p, 0, sizeof(*p));
	p->alpha = 0.01;
	p->min_effect = 0.05;
	p->noise = 0.05;
	p->resamples = 10000;
	p->seed = 1;
}

int bstats_compare(const double *a, size_t na, const double *b, size_t nb, bool higher_better,
		   const struct bstats_params *p, struct bstats_change *out)
{
	double arel;
	bool better;
	int ret;

	memset(out, 0, sizeof(*out));
	out->verdict = BSTATS_UNDECIDED;
	if (!na || !nb) {
		snprintf(out->reason, sizeof(out->reason), "no samples on one side");
		return -EINVAL;
	}
	out->med_a = stats_median(a, na);
	out->med_b = stats_median(b, nb);
	if (out->med_a != 0)
		out->rel = out->med_b / out->med_a - 1;
	else
		out->rel = out->med_b == 0 ? 0 : (out->med_b > 0 ? 1 : -1);
	ret = p->permutation ? bstats_perm_median(a, na, b, nb, p->resamples, p->seed, &out->test) :
			       bstats_mann_whitney(a, na, b, nb, &out->test);
	if (ret)
		return ret;
	bstats_bootstrap_rel(a, na, b, nb, 2000, p->seed, 0.95, &out->rel_lo, &out->rel_hi);
	arel = out->rel < 0 ? -out->rel : out->rel;
	out->significant = out->test.p < p->alpha;
	out->large = arel >= p->min_effect;
	better = higher_better ? out->rel > 0 : out->rel < 0;
	if (out->test.p_min >= p->alpha) {
		out->verdict = BSTATS_UNDECIDED;
		snprintf(out->reason, sizeof(out->reason),
			 "too few samples: %zu and %zu cannot reach p < %g", na, nb, p->alpha);
	} else if (out->significant && out->large) {
		out->verdict = better ? BSTATS_FASTER : BSTATS_SLOWER;
		snprintf(out->reason, sizeof(out->reason), "p = %.2g < %g, |change| >= %g%%",
			 out->test.p, p->alpha, p->min_effect * 100);
	} else if (out->large) {
		out->verdict = BSTATS_UNDECIDED;
		snprintf(out->reason, sizeof(out->reason),
			 "change of %+.1f%% but p = %.2g >= %g: more samples needed",
			 out->rel * 100, out->test.p, p->alpha);
	} else {
		out->verdict = BSTATS_SAME;
		snprintf(out->reason, sizeof(out->reason),
			 out->significant ? "p = %.2g but |change| < %g%%" :
					    "p = %.2g, |change| < %g%%",
			 out->test.p, p->min_effect * 100);
	}
	return 0;
}

void bstats_noise_filter(struct bstats_change *const *c, size_t n, const struct bstats_params *p)
{
	double all = 0, sig = 0;
	size_t nsig = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		all += c[i]->rel;
		if (c[i]->verdict == BSTATS_FASTER || c[i]->verdict == BSTATS_SLOWER) {
			sig += c[i]->rel;
			nsig++;
		}
	}
	all /= (double)n;
	if (nsig)
		sig /= (double)nsig;
	for (size_t i = 0; i < n; i++) {
		struct bstats_change *x = c[i];
		bool keep;

		if (x->verdict != BSTATS_FASTER && x->verdict != BSTATS_SLOWER)
			continue;
		keep = (all < 0 ? -all : all) > p->noise && (sig < 0 ? -sig : sig) > p->noise &&
		       (x->rel < 0) == (all < 0);
		if (keep)
			continue;
		x->verdict = BSTATS_SAME;
		x->filtered = true;
		snprintf(x->reason, sizeof(x->reason),
			 "noise filter: the metric moved %+.1f%% on average over %zu "
			 "parameterisations (threshold %g%%)",
			 all * 100, n, p->noise * 100);
	}
}
