/*
 * iothread.h - named I/O threads, each running its own event loop (iothreads/ioloop.h), for
 * the per-device and per-queue threading models (--iothread id=NAME[,poll_ns=N][,cpus=LIST]).
 *
 * Owner: the builder creates, starts and stops them from the main thread. The loop is handed
 * to devices before start; afterwards only the iothread runs it (other threads reach it with
 * ioloop_call). The thread is placed by thread_spawn before it runs its loop.
 */
#ifndef STRAND_IOTHREADS_IOTHREAD_H
#define STRAND_IOTHREADS_IOTHREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/thread.h"
#include "util/compiler.h"
#include "util/errbuf.h"

struct ioloop;

struct iothread_opts {
	char name[16];			 /* thread name io-NAME (truncated to 15 characters) */
	uint64_t poll_ns;		 /* adaptive polling ceiling, 0 = off */
	unsigned poll_grow, poll_shrink; /* window factors (0: 2); the monitor changes them live */
	bool has_cpus;
	cpu_set_t cpus; /* explicit placement (sched/ may also place it) */
};

struct iothread {
	struct iothread_opts opts;
	struct ioloop *loop;
	struct thread thread;
	bool running;
	int result; /* ioloop_run's return value, after stop */
};

/* "id=NAME[,poll_ns=N][,cpus=LIST]" (LIST: 0-3+6, '+' between items inside options). */
int iothread_parse_opts(const char *spec, struct iothread_opts *o, struct errbuf *err);

int __must_check iothread_create(struct iothread *t, const struct iothread_opts *o);
int __must_check iothread_start(struct iothread *t, const struct thread_placement *pl);
/* Stop the loop and join the thread (idempotent). */
void iothread_stop(struct iothread *t);
void iothread_destroy(struct iothread *t);

#endif
