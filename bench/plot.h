/*
 * plot.h - pictures and a report for a benchmark document: per suite one PNG and one SVG
 * (gnuplot, Debian's gnuplot-nox) with bars and 95% intervals per variant, latency CDFs from
 * the raw samples, and CPU shares against their targets; DIR/report.md ties the pictures and
 * the tables together. The gnuplot scripts and data stay in DIR (re-runnable). Main thread.
 */
#ifndef STRAND_BENCH_PLOT_H
#define STRAND_BENCH_PLOT_H

#include "bench/doc.h"
#include "bench/stats.h"
#include "util/errbuf.h"

int plot_doc(const struct doc *d, const char *dir, const struct bstats_params *p,
	     struct errbuf *err);

#endif
