/*
 * ioloop.h - an epoll event loop: fd handlers, cross-thread calls, timers.
 *
 * A loop is run by exactly one thread (its owner: the main thread or an iothread) in
 * ioloop_run(). Handlers run on that thread. Ownership rules:
 *   - ioloop_add_fd / ioloop_mod_fd / ioloop_del_fd / timers: owner thread, or any thread
 *     before ioloop_run() starts. Other threads use ioloop_call() to reach the owner.
 *   - ioloop_call() and ioloop_stop(): any thread (lock-protected queue + eventfd wake-up).
 * A handler may delete any fd handler, itself included; deleted handlers get no further events,
 * even ones already returned by the same epoll_wait.
 * The loop is passed explicitly everywhere (no "current loop" global).
 */
#ifndef STRAND_IOTHREADS_IOLOOP_H
#define STRAND_IOTHREADS_IOLOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "util/compiler.h"

struct ioloop;
struct ioloop_fd;

typedef void (*ioloop_fd_fn)(void *opaque, uint32_t events);
typedef void (*ioloop_call_fn)(void *opaque);

int __must_check ioloop_create(struct ioloop **out, const char *name);
/* No handler may be running; pending calls are dropped. */
void ioloop_destroy(struct ioloop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...). *out may be NULL if never deleted (the loop
 * frees its handlers in ioloop_destroy). */
int __must_check ioloop_add_fd(struct ioloop *l, int fd, uint32_t events, ioloop_fd_fn fn,
			       void *opaque, struct ioloop_fd **out);
int __must_check ioloop_mod_fd(struct ioloop *l, struct ioloop_fd *h, uint32_t events);
void ioloop_del_fd(struct ioloop *l, struct ioloop_fd *h);

/* Run fn(opaque) on the loop's thread, soon. Any thread. Returns -ENOMEM on allocation failure. */
int __must_check ioloop_call(struct ioloop *l, ioloop_call_fn fn, void *opaque);

/*
 * Timers: one-shot after `delay_ns`, then every `period_ns` if non-zero. A timer is an fd
 * handler on a timerfd; cancel with ioloop_timer_del.
 */
int __must_check ioloop_timer_add(struct ioloop *l, uint64_t delay_ns, uint64_t period_ns,
				  ioloop_call_fn fn, void *opaque, struct ioloop_fd **out);
void ioloop_timer_del(struct ioloop *l, struct ioloop_fd *timer);

/*
 * Run until ioloop_stop(). poll_ns > 0: after handling events, poll (non-blocking epoll_wait)
 * for up to poll_ns before sleeping, adapting the window like KVM's halt polling.
 */
int ioloop_run(struct ioloop *l);
void ioloop_set_poll_ns(struct ioloop *l, uint64_t max_poll_ns);
/* The same with the window's growth and shrink factors (0: 2). Owner thread (ioloop_call). */
void ioloop_set_poll_params(struct ioloop *l, uint64_t max_poll_ns, unsigned grow, unsigned shrink);
/* Ask the loop to return from ioloop_run. Any thread, also before run starts. */
void ioloop_stop(struct ioloop *l);
/* Handle whatever is ready now (timeout_ms -1 blocks); returns events handled or -errno. */
int ioloop_run_once(struct ioloop *l, int timeout_ms);

const char *ioloop_name(const struct ioloop *l);

struct ioloop_stats {
	uint64_t wakeups;   /* epoll_wait returns with events */
	uint64_t events;    /* fd events dispatched */
	uint64_t calls;	    /* ioloop_call callbacks run */
	uint64_t poll_hits; /* events found while polling */
	uint64_t poll_ns;   /* time spent polling */
};
void ioloop_get_stats(const struct ioloop *l, struct ioloop_stats *out);

#endif
