/*
 * qmpbench.h - the monitor benchmarks' client side (docs/bench.md, suite `monitor`): a strand
 * process started in the background with a QMP socket, command round trips timed one by one,
 * a thread that polls a command at a fixed rate while the guest runs (interference), and a
 * schedule of live strategy switches with the guests' published progress sampled between
 * them (a throughput time series). Everything speaks QMP through monitor/qmp_client.h.
 *
 * Threads: the harness's main thread, and one poller thread per qmpb_poller (its own
 * connection; nothing shared with the main thread but the stop flag and its counters, read
 * after the join).
 */
#ifndef STRAND_BENCH_QMPBENCH_H
#define STRAND_BENCH_QMPBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench/doc.h"
#include "monitor/qmp_client.h"
#include "util/compiler.h"
#include "util/errbuf.h"

/* A strand process in the background, its stdout and stderr in a log file. */
struct qmpb_proc {
	pid_t pid;
	char log[400];
	uint64_t start_ns;
};

int __must_check qmpb_spawn(struct qmpb_proc *p, const char *const *argv, const char *log,
			    struct errbuf *err);
/*
 * Wait up to timeout_s (0: not at all) for it to exit, then kill it (SIGKILL). status: exit
 * status or 128+signal; *killed when the harness had to kill it; err: the log's last line.
 */
void qmpb_reap(struct qmpb_proc *p, double timeout_s, int *status, bool *killed, uint64_t *wall_ns,
	       char *err, size_t errlen);

/* One command of a round-trip measurement; ns receives one sample per command answered. */
struct qmpb_cmd {
	const char *name;
	const char *args; /* JSON object text, or NULL */
	struct dvec *ns;
};

/*
 * Each command warmup times (discarded), then n times, the commands interleaved (A B A B ...)
 * so a drift of the host lands on all of them. A sample is the wall time from just before the
 * request is written to the parsed reply. 0, or -errno with err set.
 */
int __must_check qmpb_rtt(struct qmp_client *c, const struct qmpb_cmd *cmds, unsigned ncmds,
			  unsigned warmup, unsigned n, struct errbuf *err);

/* A thread polling one command at hz on its own connection. */
struct qmpb_poller;

/* Connected and negotiated, with the first poll answered, when it returns 0. */
int __must_check qmpb_poller_start(struct qmpb_poller **out, const char *sock, const char *cmd,
				   const char *args, unsigned hz, struct errbuf *err);
/*
 * Stop, join, free. polls: commands answered; rate_hz: polls per second of polling;
 * late: periods started more than one period late (the poller could not keep up).
 */
void qmpb_poller_stop(struct qmpb_poller *p, uint64_t *polls, double *rate_hz, uint64_t *late);

/*
 * Live switches: phase k (0..nphases-1) runs strategy strategies[k % nstrategies] for
 * phase_s; the first phase's strategy is the one the process started with (no switch), each
 * later one is set with x-strand-set-sched. x-strand-query-progress is sampled every
 * sample_s: the rate of the summed progress of every vCPU of every VM between two samples,
 * over strand's own clock (time-ns). A rate whose interval holds a switch belongs to no
 * phase; the others go to phase_rate[strategy index].
 */
#define QMPB_MAX_STRATEGIES 4
struct qmpb_switch_plan {
	const char *const *strategies;
	unsigned nstrategies;
	unsigned nphases;
	double phase_s, sample_s;
};

struct qmpb_switch_result {
	struct dvec t_s, rate;	    /* the time series: interval end (s from the first sample) */
	struct dvec mark_t_s;	    /* where each switch was asked for */
	unsigned mark_strategy[64]; /* the strategy index each switch set */
	struct dvec phase_rate[QMPB_MAX_STRATEGIES];
	struct dvec switch_ns; /* how long each switch took (X-STRAND-TUNING switch-ns) */
};

int __must_check qmpb_switch(struct qmp_client *c, const struct qmpb_switch_plan *plan,
			     struct qmpb_switch_result *res, struct errbuf *err);
void qmpb_switch_result_free(struct qmpb_switch_result *res);

uint64_t qmpb_now_ns(void);

#endif
