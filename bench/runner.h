/*
 * runner.h - runs a suite's variants: warm-up, repetitions in randomised or alternating
 * rounds, one child process per run (so every sample is isolated and any strand build can be
 * measured the same way), the metrics of each run into the document's series. A progress line
 * with an ETA on a terminal. Main thread.
 */
#ifndef STRAND_BENCH_RUNNER_H
#define STRAND_BENCH_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/doc.h"
#include "bench/stats.h"
#include "bench/suites.h"

struct bench_opts {
	unsigned reps, warmup; /* 0: the suite's default (warmup: -1 would be none) */
	bool warmup_given;
	bool alternate; /* alternate order (forward, backward) instead of random */
	uint64_t seed;
	double timeout_s; /* per run */
	bool progress;
	bool quiet;
	size_t raw_max;	 /* raw samples kept per run and metric */
	bool short_runs; /* --short: the monitor suite's runs shrunk for smoke tests */
	bool peer_qemu;
	const char *matrix;
	const char *strand, *qemu, *floor; /* programs */
	struct bstats_params stats;
};

struct runner {
	const struct bench_opts *o;
	char tmp[256]; /* private directory for images and results */
	char disk[300];
	bool disk_made;
	bool tap_made; /* in a network namespace of our own, with an echo on 10.0.0.1 */
	int echo_pid;
	struct bstats_rng rng;
	uint64_t run_index;	/* runs started, for run_order */
	uint64_t planned, done; /* for the progress line */
	double mean_run_s;	/* over every run so far */
	uint64_t nruns_timed;
	const char *label; /* progress label */
};

/* One suite being run against one strand binary. */
struct suite_run {
	const struct suite_def *def;
	struct suite_result *res;
	struct variant *v;
	size_t nv;
	const char *strand;
	unsigned reps, warmup;
};

int runner_init(struct runner *r, const struct bench_opts *o, struct errbuf *err);
void runner_fini(struct runner *r);

/* Expand the suite, add its series to doc. */
int runner_prepare(struct runner *r, const struct suite_def *def, struct doc *doc,
		   const char *strand, bool strand_only, struct suite_run *sr, struct errbuf *err);
/* Run variant i once (measured: keep the samples). */
void runner_run_once(struct runner *r, struct suite_run *sr, size_t i, bool measured);
/* Warm-up and repetitions of every variant, interleaved. */
void runner_run_suite(struct runner *r, struct suite_run *sr);
/* Copy each variant's status into its series. */
void runner_finish(struct suite_run *sr);
void suite_run_free(struct suite_run *sr);

/* Visit order for one round of n variants. */
void runner_round_order(struct runner *r, unsigned round, unsigned *order, size_t n);
void runner_progress(struct runner *r, const char *what);
void runner_progress_done(struct runner *r);

#endif
