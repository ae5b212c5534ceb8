/*
 * stats.h - descriptive statistics over samples: mean, standard deviation, percentiles
 * (linear interpolation between order statistics, as numpy's default), min and max.
 * Pure; any thread.
 */
#ifndef STRAND_UTIL_STATS_H
#define STRAND_UTIL_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double mean, stdev, min, max;
	double p50, p90, p99;
};

/* Summarise v[0..n) (not modified). n == 0 gives all zeros. Returns -ENOMEM on failure. */
int stats_summarize(const double *v, size_t n, struct stats_summary *out);
/* Percentile q in [0, 100] of sorted[0..n). */
double stats_percentile_sorted(const double *sorted, size_t n, double q);
void stats_sort(double *v, size_t n);
double stats_median(const double *v, size_t n);

#endif
