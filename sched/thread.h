/*
 * thread.h - the one way strand creates a thread.
 *
 * thread_spawn() names the thread (vcpu3, io-blk0, main loop is "strand"), and in the new thread,
 * before the thread function runs (so before it touches guest memory): applies its placement
 * (CPU affinity, scheduling policy and priority, nice), sets its signal mask (process signals
 * blocked: they are handled by the main loop through signalfd; the vCPU kick signal unblocked),
 * and registers it with RCU. The creator waits for that setup and gets its result, so a bad
 * placement fails the spawn with a negative errno instead of running unplaced.
 *
 * Called from the main thread or a control thread; the struct thread is owned by the creator.
 */
#ifndef STRAND_SCHED_THREAD_H
#define STRAND_SCHED_THREAD_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/compiler.h"

/* Signal used to kick a thread out of a blocking call (KVM_RUN, epoll_wait). */
#define THREAD_KICK_SIGNAL (SIGRTMIN + 1)

struct thread_placement {
	bool has_cpus; /* apply `cpus` with sched_setaffinity */
	cpu_set_t cpus;
	int policy;   /* SCHED_OTHER (default), SCHED_FIFO, SCHED_RR */
	int priority; /* for SCHED_FIFO/RR */
	bool has_nice;
	int nice;
};

struct thread {
	pthread_t handle;
	pid_t tid; /* kernel thread id, written by the thread before `started` */
	char name[16];
	bool started;  /* atomic: set by the new thread before its function runs */
	bool joinable; /* creator only: spawn succeeded, not joined yet */
};

/*
 * Start fn(arg) on a new thread named `name` (truncated to 15 characters) with placement `pl`
 * (NULL: float). kick: leave THREAD_KICK_SIGNAL unblocked (vCPU and event-loop threads).
 */
int __must_check thread_spawn(struct thread *t, const char *name, const struct thread_placement *pl,
			      bool kick, void *(*fn)(void *), void *arg);
int thread_join(struct thread *t, void **retval);
/* Join, kicking the thread again every interval_ms until it exits (for threads that block). */
int thread_join_kicking(struct thread *t, unsigned interval_ms);
/* Send the kick signal to t (no-op if not started). */
void thread_kick(struct thread *t);

/* Apply a placement to the calling thread; 0 or negative errno. */
int __must_check thread_apply_placement(const struct thread_placement *pl);

/* Block the process signals in the calling thread (main does this before spawning anything). */
void thread_block_process_signals(void);
/* Install the no-op kick handler (once per process, before any spawn). */
void thread_install_kick_handler(void (*handler)(int));

#endif
