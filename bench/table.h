/*
 * table.h - the tables a person reads: per group and metric, each variant's median with its
 * interval and spread, the change against the best, a verdict, and which variant wins.
 * Plain text for the terminal, Markdown for the report. Main thread.
 */
#ifndef STRAND_BENCH_TABLE_H
#define STRAND_BENCH_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "bench/doc.h"
#include "bench/stats.h"

/* Scale a value of `unit` for display, chosen from a reference magnitude. */
void table_unit_scale(const char *unit, double ref, double *div, const char **label);
void table_suite(FILE *f, const struct suite_result *s, const struct bstats_params *p,
		 bool markdown);

#endif
