/*
 * suites.h - what `strand bench` measures, as data. A suite is a list of groups; a group is
 * a set of variants compared with each other (threading presets, scheduling strategies, vCPU
 * counts, VMMs), run the same way on the same guest, and the metrics read from each run.
 * Adding a preset or a strategy to a comparison is one line in suites.c; a JSON scenario file
 * (docs/bench.md) defines more suites in the same shape; --matrix crosses any suite with knob
 * values from the command line.
 *
 * Variant kinds:
 *   micro       strand run ARGS (an embedded micro-guest); metrics from its --results-json
 *   flat-start  the flat guest (bench/flatimg.h) with no loop, under strand or QEMU: time from
 *               spawn to its first byte on stdout, then VmRSS and Pss while it sits halted
 *   flat-rt     the same guest with `loops` port writes, minus the one without, per write
 *   floor       strand-kvm-floor ARGS --json: the bare KVM_RUN loop
 *   qmp-rtt     strand run ARGS --monitor: `loops` round trips of each command its sources
 *               name (COMMAND.STAT), timed one by one by the harness's client, then quit
 *   qmp-idle    strand run ARGS --paused --monitor: a client connects, `cont`, the guest
 *               runs to its end; metrics from --results-json as for micro
 *   qmp-poll    the same with a second client polling query-stats at `loops` Hz (default
 *               1000) from a thread of the harness; $polls_per_s: the rate it achieved
 *   qmp-switch  strand run ARGS --monitor: the strategies the sources name ($phase.NAME, the
 *               first one the run starts with) switched live in turn, the guests' progress
 *               sampled in between: $phase.NAME (mean rate under NAME), $switch_ns.STAT,
 *               and the time series in the first metric's trace
 *
 * Metric sources ("metric=source;..." per group, overridable per variant):
 *   NAME             a value result of the micro-guest (mean over vCPUs, and over VMs)
 *   NAME.STAT        its samples pooled over vCPUs (and VMs): p50 p90 p99 mean min max sum;
 *                    of its values when the guest reported values, not samples
 *                    (iops.sum: every queue's IOPS added up)
 *   vmK.NAME[.STAT]  the same for one VM of a run with several (--vm)
 *   $wall_ms         spawn to exit of the strand process (micro)
 *   $cpu_ms          user + system CPU time of the strand process, all threads (micro)
 *   $startup_ms $rss_kib $pss_kib   flat-start
 *   $exit_ns         flat-rt and floor
 *   $share_dev       largest |share - target| of vCPU thread run time (with targets)
 *   $vm_share.K      VM K's CPU time over wall time x host CPUs (strand's --stats-json)
 *   $vm_share_dev    largest |VM share - target| over the VMs that have a target
 *   $steal_pct       steal time the guest was told of, % of wall time, mean over vCPUs
 *
 * Several VMs in one run (--vm ...): the harness moves the options of the whole process
 * (--sched, --stats-json, --timeout, ...) before the first --vm, wherever the group, a knob or
 * --matrix put them, and puts its own there too.
 *
 * Main thread.
 */
#ifndef STRAND_BENCH_SUITES_H
#define STRAND_BENCH_SUITES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "bench/doc.h"
#include "util/errbuf.h"

enum run_kind {
	KIND_MICRO = 0,
	KIND_FLAT_START,
	KIND_FLAT_RT,
	KIND_FLOOR,
	KIND_QMP_RTT,	 /* monitor: command round trips (qmpbench.h) */
	KIND_QMP_IDLE,	 /* monitor: a client connected, not polling (the control of qmp-poll) */
	KIND_QMP_POLL,	 /* monitor: a client polling at `loops` Hz while the guest runs */
	KIND_QMP_SWITCH, /* monitor: live strategy switches, progress sampled in between */
	KIND_LAST = KIND_QMP_SWITCH,
};

enum vmm_kind {
	VMM_STRAND = 0,
	VMM_QEMU,
};

struct metric_def {
	const char *name;
	const char *title; /* "PIO exit round trip" */
	const char *unit;  /* display unit of the value */
	bool higher_better;
};

struct variant_def {
	const char *name;
	const char *args;    /* appended to the group's args (space separated) */
	const char *kind;    /* NULL: the group's */
	const char *vmm;     /* NULL: the group's */
	const char *sources; /* NULL: the group's */
};

/*
 * How a group's tables are read in words (table.c): which variant won and why, or why there
 * is no difference on this host. Texts are full clauses without a final full stop.
 */
struct reading_why {
	const char *variant; /* a variant name (or, with pair, a metric name) */
	const char *why;     /* the mechanism that makes it win */
};

struct reading_def {
	const struct reading_why *wins; /* ends with a NULL variant */
	const char *same;		/* no difference, any host */
	const char *same_pvm;		/* no difference, on a PVM host */
	const char *same_flat;		/* no difference, one package without SMT */
	const char *targets;		/* share metrics: why the shares meet their targets */
	const char *pair;		/* one variant: compare this metric with pair_of */
	const char *pair_of;
};

struct group_def {
	const char *id;
	const char *title;
	const char *kind; /* micro (default), flat-start, flat-rt, floor */
	const char *vmm;  /* strand (default) or qemu */
	const char *args;
	const char *sources;
	const struct metric_def *metrics;   /* ends with a NULL name */
	const struct variant_def *variants; /* ends with a NULL name; may be NULL */
	const char *knob;		    /* with values: one variant per value */
	const char *const *values;	    /* ends with NULL */
	const char *matrix;		    /* "knob=v1,v2;knob=..." crossed with the variants */
	const char *targets;		    /* vCPU shares: "equal" or "0.5,0.25,0.25" */
	unsigned loops;			    /* flat-rt: port writes per run (default 20000);
					       qmp-rtt: samples per command (2000); qmp-poll: Hz */
	unsigned reps;			    /* measured runs (0: the suite's; --reps wins) */
	bool no_warmup;			    /* long runs: no warm-up (--warmup wins) */
	unsigned phases, phase_ms;	    /* qmp-switch: phases and their length (0: 8, 3000) */
	unsigned min_cores;		    /* skipped on hosts with fewer cores */
	const struct reading_def *reading;  /* NULL: the generic reading */
};

struct ratio_def {
	const char *name;
	const char *num, *den; /* "group/variant/metric" */
};

struct suite_def {
	const char *name;
	const char *description;
	unsigned reps, warmup;
	const struct group_def *groups; /* ends with a NULL id */
	const struct ratio_def *ratios; /* ends with a NULL name; may be NULL */
};

#define VARIANT_MAX_ARGS    64
#define VARIANT_MAX_METRICS 8
#define VARIANT_MAX_TARGETS 64

struct msource {
	const struct metric_def *m;
	char src[64];
};

/* One expanded variant of a suite, with its run state. */
struct variant {
	const struct group_def *g;
	char group[64], name[128];
	char title[256]; /* the group's title with {cpus} etc. substituted */
	enum run_kind kind;
	enum vmm_kind vmm;
	bool is_strand; /* runs the strand under test: crossed by --matrix, A/B-able */
	char *args[VARIANT_MAX_ARGS];
	unsigned nargs;
	struct msource src[VARIANT_MAX_METRICS];
	unsigned nsrc;
	unsigned loops;
	unsigned reps, warmup; /* resolved by the runner */
	double targets[VARIANT_MAX_TARGETS];
	unsigned ntargets;
	bool equal_targets;

	struct series *series[VARIANT_MAX_METRICS]; /* in the document, per metric */
	enum series_status status;
	char note[256];
	unsigned runs;
	double run_s; /* total wall time of its runs (for the ETA) */
	bool reported;
};

/* The tap {tap} stands for: in a network namespace of the bench's own, at 10.0.0.1/24. */
#define BENCH_TAP "sbench0"

struct expand_ctx {
	unsigned cpus;
	unsigned cores;	    /* host cores (0: unknown, no group is skipped) */
	const char *matrix; /* from --matrix, joined with ';' (NULL: none) */
	const char *disk;   /* path substituted for {disk} */
	const char *tmp;    /* {tmp} */
	bool peer_qemu;	    /* include QEMU variants */
	bool strand_only;   /* only variants that run the strand under test (ab) */
	bool need_disk;	    /* out: a variant uses {disk} */
	bool need_tap;	    /* out: a variant uses {tap} (a namespace with a tap and an echo) */
};

extern const struct suite_def *const builtin_suites[];

const struct suite_def *suite_find(const char *name, const struct suite_def *const *extra,
				   size_t nextra);
/* Expand a suite into variants (*out malloc'd). */
int suite_expand(const struct suite_def *s, struct expand_ctx *ctx, struct variant **out, size_t *n,
		 struct errbuf *err);
void variants_free(struct variant *v, size_t n);

/*
 * Parse a scenario file: {"suites": [suite, ...]} in the shape of suite_def (docs/bench.md).
 * The definitions point into *keep, which the caller releases after use.
 */
int scenario_load(const char *path, struct suite_def **out, size_t *n, json_object **keep,
		  struct errbuf *err);
void scenario_free(struct suite_def *s, size_t n);

/* A suite from the command line: --args, --metric, --matrix. */
int suite_custom(const char *args, const char *const *metrics, size_t nmetrics,
		 struct suite_def **out, struct errbuf *err);

const char *run_kind_name(enum run_kind k);

/* The reading of a built-in suite's group (NULL: none). */
const struct reading_def *reading_find(const char *suite, const char *group);

#endif
