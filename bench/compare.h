/*
 * compare.h - `strand bench compare OLD.json NEW.json`: per series the relative change of the
 * median, a two-sided p-value, and a verdict (faster, slower, same, undecided) with a
 * significance level, a minimum effect and Firecracker's noise filter across the
 * parameterisations of each metric. Exit status 1 on a regression, so CI can gate on it.
 * Main thread.
 */
#ifndef STRAND_BENCH_COMPARE_H
#define STRAND_BENCH_COMPARE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>

#include "bench/doc.h"
#include "bench/stats.h"

struct compare_counts {
	size_t faster, slower, same, undecided, incomparable;
};

/*
 * Compare every series of `b` with the same id in `a`. Prints a table to f (NULL: nothing)
 * and, when json is not NULL, returns the results as a JSON object. Returns 0 or -ENOMEM.
 */
int compare_docs(const struct doc *a, const struct doc *b, const struct bstats_params *p, FILE *f,
		 bool markdown, struct compare_counts *counts, json_object **json);

/* Exit status: 0 no regression, 1 a regression (or undecided with --fail-on-undecided),
 * 2 bad usage or an unreadable document. */
int compare_main(int argc, char **argv);
/* The help of `strand bench compare`, naming every option of compare_options (unit-tested). */
void compare_usage(FILE *f);
extern const struct option compare_options[];

#endif
