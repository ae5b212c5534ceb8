/*
 * doc.h - the benchmark document: what `strand bench --json FILE` writes and what `compare`,
 * `ab` and the plots read. One self-describing JSON document per run (schema in docs/bench.md):
 * the strand binary measured, the host, the settings, and per suite the series, each with its
 * knobs, raw samples and summary. Built with json-c. Main thread.
 */
#ifndef STRAND_BENCH_DOC_H
#define STRAND_BENCH_DOC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/errbuf.h"

#define DOC_SCHEMA "strand-bench/1"

struct dvec {
	double *v;
	size_t n, cap;
};

int dvec_push(struct dvec *d, double x);
void dvec_free(struct dvec *d);

enum series_status {
	SERIES_OK = 0,
	SERIES_UNAVAILABLE, /* the build rejects the variant's options (exit status 2) */
	SERIES_FAILED,	    /* a run failed: crash, timeout, missing result */
	SERIES_SKIPPED,	    /* not run (e.g. a peer not asked for) */
};

const char *series_status_name(enum series_status s);

/*
 * One metric under one variant (parameterisation). samples: one value per repetition, in the
 * order they were taken; raw[r]: what repetition r measured inside (per-exit latencies, ...).
 */
struct series {
	char *id; /* suite/group/variant/metric: the key compare matches on */
	char *suite, *group, *group_title, *variant, *metric, *metric_title, *unit;
	bool higher_better;
	enum series_status status;
	char *note;
	json_object *knobs; /* the variant: kind, vmm, argv, knob values, strand's own report */
	struct dvec samples;
	struct dvec *raw; /* [nraw] */
	size_t nraw;
	struct dvec targets;   /* expected shares, for share metrics */
	struct dvec run_order; /* global index of the run that gave each sample */
	/*
	 * Time series, one per repetition (NULL: none): [{"t_s": [...], "value": [...],
	 * "marks": [{"t_s", "label"}...]}...], e.g. a throughput sampled while a knob changes.
	 */
	json_object *trace;
};

struct ratio {
	char *name;
	char *num, *den; /* series ids */
	double value;	 /* median(num) / median(den) */
	double lo, hi;	 /* bootstrap 95% interval */
};

struct suite_result {
	char *name, *description;
	unsigned reps, warmup;
	double wall_s;
	struct series **series;
	size_t nseries;
	struct ratio *ratios;
	size_t nratios;
};

struct doc {
	json_object *meta; /* schema, created, command, tool, strand, host, settings */
	struct suite_result *suites;
	size_t nsuites;
};

struct doc *doc_new(void);
void doc_free(struct doc *d);
struct suite_result *doc_add_suite(struct doc *d, const char *name, const char *description);
struct series *suite_add_series(struct suite_result *s, const char *group, const char *group_title,
				const char *variant, const char *metric, const char *metric_title,
				const char *unit, bool higher_better);
struct ratio *suite_add_ratio(struct suite_result *s, const char *name, const char *num,
			      const char *den);
struct series *doc_find_series(const struct doc *d, const char *id);
/* Raw samples of a new repetition r (grows raw[] to r+1). */
struct dvec *series_raw(struct series *s, size_t r);

/*
 * An A/B pair inside documents (compare --pair): keep only the series whose variant has the
 * space-separated word `word`, with that word replaced by `label` in the variant and the id
 * (so the two sides of a pair get the same ids). 0 or -ENOMEM.
 */
int doc_keep_variant(struct doc *d, const char *word, const char *label);

/* Summaries, ratios' values: call before writing. */
void doc_finish(struct doc *d);

json_object *doc_to_json(const struct doc *d);
int doc_write(const struct doc *d, const char *path, struct errbuf *err);
/* Parse and check a document (schema, required fields, types). */
int doc_from_json(json_object *root, struct doc **out, struct errbuf *err);
int doc_load(const char *path, struct doc **out, struct errbuf *err);

#endif
