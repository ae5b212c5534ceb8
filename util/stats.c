/* stats.c - descriptive statistics. Pure; any thread. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
}

double stats_percentile_sorted(const double *sorted, size_t n, double q)
{
	double pos, frac;
	size_t lo;

	if (n == 0)
		return 0;
	if (q <= 0)
		return sorted[0];
	if (q >= 100)
		return sorted[n - 1];
	pos = q / 100.0 * (double)(n - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

int stats_summarize(const double *v, size_t n, struct stats_summary *out)
{
	double *s, sum = 0, sq = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	s = malloc(n * sizeof(double));
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n * sizeof(double));
	stats_sort(s, n);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (s[i] - out->mean) * (s[i] - out->mean);
	out->stdev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	out->min = s[0];
	out->max = s[n - 1];
	out->p50 = stats_percentile_sorted(s, n, 50);
	out->p90 = stats_percentile_sorted(s, n, 90);
	out->p99 = stats_percentile_sorted(s, n, 99);
	free(s);
	return 0;
}

double stats_median(const double *v, size_t n)
{
	struct stats_summary s;

	if (stats_summarize(v, n, &s))
		return 0;
	return s.p50;
}
