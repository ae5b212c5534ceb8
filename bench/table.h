/*
 * table.h - the tables a person reads: per group and metric, each variant's median with its
 * interval and spread, the change against the best, a verdict, and which variant wins.
 * Plain text for the terminal, Markdown for the report. Main thread.
 */
#ifndef STRAND_BENCH_TABLE_H
#define STRAND_BENCH_TABLE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "bench/doc.h"
#include "bench/stats.h"

/* Scale a value of `unit` for display, chosen from a reference magnitude. */
void table_unit_scale(const char *unit, double ref, double *div, const char **label);
enum table_format {
	TABLE_TEXT,
	TABLE_MD,
	TABLE_HTML, /* fragments for DIR/index.html (plot.c) */
};

/* What the readings need to know of the host (the document's "host" object). */
struct table_host {
	bool pvm;  /* KVM kind pvm: exits cost 5-30 us */
	bool flat; /* one package, one thread per core: compact = scatter */
	unsigned cpus;
	double load; /* 1-minute load average when the run started (-1: unknown) */
};

void table_host_from_json(json_object *host, struct table_host *h);

/*
 * The tables of a suite; each ends with one line that reads it in words (the group's
 * reading_def in suites.c, or which variant won). host: the document's host object (NULL:
 * unknown), for the reasons given when nothing differs.
 */
void table_suite(FILE *f, const struct suite_result *s, const struct bstats_params *p,
		 enum table_format fmt, json_object *host);
/* s with & < > " escaped for HTML. */
void table_html_escape(FILE *f, const char *s);

#endif
