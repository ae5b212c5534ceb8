/*
 * bench.h - `strand bench`: run benchmark suites (quick, startup, exits, threading, sched, blk,
 * monitor, all, or a scenario file), compare documents, A/B two builds, render plots and
 * reports. See docs/bench.md. Main thread; the harness measures child processes, and is
 * single-threaded but for the monitor suite's poller thread (bench/qmpbench.h).
 */
#ifndef STRAND_BENCH_BENCH_H
#define STRAND_BENCH_BENCH_H

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "bench/runner.h"

#define BENCH_MAX_SUITES  16
#define BENCH_MAX_METRICS 8

/* The parsed command line of run and ab. */
struct bench_cli {
	struct bench_opts o;
	const char *suites[BENCH_MAX_SUITES];
	size_t nsuites;
	const char *scenario;
	struct suite_def *scen; /* from the scenario file */
	size_t nscen;
	json_object *scen_json;
	const struct suite_def *scen_ptr[BENCH_MAX_SUITES];
	const char *custom_args; /* --args with --metric */
	const char *metrics[BENCH_MAX_METRICS];
	size_t nmetrics;
	struct suite_def *custom;
	const char *json, *plot;
	bool markdown;
	const char *a, *b; /* ab */
	unsigned max_reps;
};

/*
 * Parse the options of cmd ("bench", "bench ab", ...) from opts (bench_options or
 * bench_ab_options). Returns 0, 1 for --help, or -EINVAL (err says why).
 */
int bench_parse(int argc, char **argv, const char *cmd, const struct option *opts,
		struct bench_cli *c, struct errbuf *err);
/* The options of `strand bench` (run, list) and of `strand bench ab`; NULL-terminated. */
extern const struct option bench_options[];
extern const struct option bench_ab_options[];
/* The help texts; each names every option of its table (unit-tested). */
void bench_usage(FILE *f);
void ab_usage(FILE *f);
extern const struct option bench_report_options[];
void bench_report_usage(FILE *f);
/* The suites asked for (default quick); out has room for BENCH_MAX_SUITES + 1. */
int bench_select(struct bench_cli *c, const struct suite_def **out, size_t *n, struct errbuf *err);
void bench_cli_free(struct bench_cli *c);

/* argv[0] is "bench". Exit status: 0 done, 1 a run failed (or compare/ab: a regression),
 * 2 bad usage, 130 interrupted. */
int bench_main(int argc, char **argv);

/* Shared by run and ab: program paths and defaults, the document's meta data. */
void bench_opts_default(struct bench_opts *o);
int bench_resolve_programs(struct bench_opts *o, char *self, size_t selflen, char *floorbuf,
			   size_t floorlen, char *qemubuf, size_t qemulen, struct errbuf *err);
json_object *bench_strand_info(const char *strand);
void bench_fill_meta(struct doc *d, int argc, char **argv, const struct bench_opts *o,
		     const char *strand, const char *scenario);

#endif
