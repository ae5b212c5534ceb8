/*
 * test_ioloop.c - the epoll event loop (iothreads/ioloop.h): fd handlers on pipes, calls from
 * other threads, one-shot and periodic timers, stopping (from another thread, and before the
 * loop runs), and handlers deleted during a dispatch batch (themselves, or another handler
 * whose event is already in the batch). No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iothreads/ioloop.h"
#include "sched/thread.h"
#include "util/clock.h"

TestSuite(ioloop, .timeout = 30);

static void pipe_or_die(int p[2])
{
	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

static void put(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct reader {
	struct ioloop *loop;
	struct ioloop_fd *h;
	int fd;
	char got[64];
	size_t n;
	unsigned calls;
	bool stop_after;
};

static void on_readable(void *opaque, uint32_t events)
{
	struct reader *r = opaque;
	ssize_t k;

	cr_expect(events & EPOLLIN);
	r->calls++;
	k = read(r->fd, r->got + r->n, sizeof(r->got) - 1 - r->n);
	if (k > 0)
		r->n += (size_t)k;
	if (r->stop_after)
		ioloop_stop(r->loop);
}

Test(ioloop, fd_handler)
{
	struct ioloop *l;
	struct reader r = { 0 };
	struct ioloop_stats st;
	int p[2];

	pipe_or_die(p);
	cr_assert_eq(ioloop_create(&l, "test"), 0);
	cr_expect_str_eq(ioloop_name(l), "test");
	r.loop = l;
	r.fd = p[0];
	r.stop_after = true;
	cr_assert_eq(ioloop_add_fd(l, p[0], EPOLLIN, on_readable, &r, &r.h), 0);
	cr_expect_eq(ioloop_add_fd(l, -1, EPOLLIN, on_readable, &r, NULL), -EBADF);
	/* Nothing ready: run_once returns without calling anything. */
	cr_expect_eq(ioloop_run_once(l, 0), 0);
	cr_expect_eq(r.calls, 0);
	put(p[1], "abc");
	cr_expect_eq(ioloop_run(l), 0);
	cr_expect_eq(r.calls, 1);
	cr_expect_str_eq(r.got, "abc");
	/* The stop's wake-up is still pending: take it, so counts below are the pipe's. */
	r.stop_after = false;
	cr_expect_leq(ioloop_run_once(l, 0), 1);
	cr_expect_eq(r.calls, 1);
	/* Level-triggered: another write is another event. */
	put(p[1], "de");
	cr_expect_eq(ioloop_run_once(l, 1000), 1);
	cr_expect_str_eq(r.got, "abcde");
	/* Switched to EPOLLOUT only, the pipe's read end never fires. */
	cr_expect_eq(ioloop_mod_fd(l, r.h, EPOLLOUT), 0);
	put(p[1], "f");
	cr_expect_eq(ioloop_run_once(l, 20), 0);
	cr_expect_eq(r.calls, 2);
	cr_expect_eq(ioloop_mod_fd(l, r.h, EPOLLIN), 0);
	cr_expect_eq(ioloop_run_once(l, 1000), 1);
	cr_expect_str_eq(r.got, "abcdef");
	ioloop_get_stats(l, &st);
	cr_expect_geq(st.events, 3);
	cr_expect_geq(st.wakeups, 3);
	ioloop_del_fd(l, r.h);
	put(p[1], "g");
	cr_expect_eq(ioloop_run_once(l, 20), 0, "deleted handler still called");
	ioloop_destroy(l);
	close(p[0]);
	close(p[1]);
}

/* ---- calls and stop from other threads ---- */

struct caller {
	struct ioloop *loop;
	pthread_t loop_thread;
	unsigned n;	/* calls to make */
	unsigned done;	/* run on the loop thread */
	unsigned wrong; /* run on another thread */
	bool stop_last; /* the caller stops the loop after its calls */
};

static void count_call(void *opaque)
{
	struct caller *c = opaque;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong++;
	c->done++;
	if (c->done == c->n && !c->stop_last)
		ioloop_stop(c->loop);
}

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	for (unsigned i = 0; i < c->n; i++) {
		if (ioloop_call(c->loop, count_call, c))
			abort();
		if (i % 64 == 0)
			sched_yield();
	}
	if (c->stop_last) {
		sleep_ms(20);
		ioloop_stop(c->loop);
	}
	return NULL;
}

Test(ioloop, calls_from_another_thread)
{
	struct caller c = { .n = 5000 };
	struct thread t;
	struct ioloop_stats st;

	cr_assert_eq(ioloop_create(&c.loop, "calls"), 0);
	c.loop_thread = pthread_self();
	cr_assert_eq(thread_spawn(&t, "caller", NULL, false, caller_main, &c), 0);
	cr_expect_eq(ioloop_run(c.loop), 0);
	thread_join(&t, NULL);
	cr_expect_eq(c.done, c.n);
	cr_expect_eq(c.wrong, 0, "a call ran off the loop thread");
	ioloop_get_stats(c.loop, &st);
	cr_expect_eq(st.calls, c.n);
	ioloop_destroy(c.loop);
}

Test(ioloop, stop_from_another_thread)
{
	struct caller c = { .n = 3, .stop_last = true };
	struct thread t;
	uint64_t t0 = now_ns();

	cr_assert_eq(ioloop_create(&c.loop, "stop"), 0);
	c.loop_thread = pthread_self();
	ioloop_set_poll_ns(c.loop, 50000); /* the polling path must stop too */
	cr_assert_eq(thread_spawn(&t, "stopper", NULL, false, caller_main, &c), 0);
	cr_expect_eq(ioloop_run(c.loop), 0);
	thread_join(&t, NULL);
	cr_expect_eq(c.done, 3);
	cr_expect_lt(now_ns() - t0, 5 * NSEC_PER_SEC);
	ioloop_destroy(c.loop);
}

static void stop_cb(void *opaque)
{
	ioloop_stop(opaque);
}

Test(ioloop, stop_before_run)
{
	struct ioloop *l;
	struct ioloop_fd *t;
	uint64_t t0;

	cr_assert_eq(ioloop_create(&l, "early"), 0);
	ioloop_stop(l);
	ioloop_stop(l);
	cr_expect_eq(ioloop_run(l), 0, "a stop before run must not be lost");
	/* The stop was consumed: the next run waits for the next stop. */
	t0 = now_ns();
	cr_assert_eq(ioloop_timer_add(l, 30 * NSEC_PER_MSEC, 0, stop_cb, l, &t), 0);
	cr_expect_eq(ioloop_run(l), 0);
	cr_expect_geq(now_ns() - t0, 25 * NSEC_PER_MSEC, "second run returned early");
	ioloop_timer_del(l, t);
	ioloop_destroy(l);
}

/* ---- timers ---- */

struct ticks {
	struct ioloop *loop;
	struct ioloop_fd *timer;
	unsigned n, stop_at;
	uint64_t at[16];
};

static void tick(void *opaque)
{
	struct ticks *k = opaque;

	if (k->n < 16)
		k->at[k->n] = now_ns();
	k->n++;
	if (k->n == k->stop_at) {
		ioloop_timer_del(k->loop, k->timer); /* deleting itself from its callback */
		k->timer = NULL;
		ioloop_stop(k->loop);
	}
}

Test(ioloop, timers)
{
	struct ioloop *l;
	struct ticks once = { 0 }, periodic = { 0 };
	struct ioloop_fd *stopper;
	uint64_t t0;

	cr_assert_eq(ioloop_create(&l, "timers"), 0);
	once.loop = periodic.loop = l;
	once.stop_at = 100; /* never reached: it must fire exactly once */
	periodic.stop_at = 5;
	t0 = now_ns();
	cr_assert_eq(ioloop_timer_add(l, 10 * NSEC_PER_MSEC, 0, tick, &once, &once.timer), 0);
	cr_assert_eq(ioloop_timer_add(l, 20 * NSEC_PER_MSEC, 10 * NSEC_PER_MSEC, tick, &periodic,
				      &periodic.timer),
		     0);
	cr_expect_eq(ioloop_run(l), 0);
	cr_expect_eq(periodic.n, 5);
	cr_expect_null(periodic.timer);
	cr_expect_geq(periodic.at[0] - t0, 19 * NSEC_PER_MSEC);
	cr_expect_geq(periodic.at[4] - t0, 59 * NSEC_PER_MSEC, "periods too short");
	for (unsigned i = 1; i < 5; i++)
		cr_expect_geq(periodic.at[i], periodic.at[i - 1]);
	cr_expect_eq(once.n, 1);
	cr_expect_geq(once.at[0] - t0, 9 * NSEC_PER_MSEC);
	/* A deleted timer never fires; a zero delay fires at once. */
	cr_assert_eq(ioloop_timer_add(l, 5 * NSEC_PER_MSEC, 5 * NSEC_PER_MSEC, tick, &periodic,
				      &periodic.timer),
		     0);
	ioloop_timer_del(l, periodic.timer);
	cr_assert_eq(ioloop_timer_add(l, 0, 0, stop_cb, l, &stopper), 0);
	cr_expect_eq(ioloop_run(l), 0);
	sleep_ms(20);
	cr_expect_geq(ioloop_run_once(l, 0), 0);
	cr_expect_eq(periodic.n, 5, "a deleted timer fired");
	cr_expect_eq(once.n, 1, "a one-shot timer fired twice");
	ioloop_destroy(l);
}

/* ---- deletion during dispatch ---- */

struct pair {
	struct ioloop *loop;
	struct ioloop_fd *h[2];
	int fd[2];
	unsigned calls[2];
	int mode; /* 0: delete the other, 1: delete self, 2: delete both */
};

static void pair_handler(struct pair *p, unsigned me, uint32_t events)
{
	char buf[16];

	(void)events;
	p->calls[me]++;
	if (read(p->fd[me], buf, sizeof(buf)) < 0)
		abort();
	switch (p->mode) {
	case 0:
		ioloop_del_fd(p->loop, p->h[!me]);
		p->h[!me] = NULL;
		break;
	case 1:
		ioloop_del_fd(p->loop, p->h[me]);
		ioloop_del_fd(p->loop, p->h[me]); /* twice in one batch is harmless */
		p->h[me] = NULL;
		break;
	default:
		ioloop_del_fd(p->loop, p->h[me]);
		ioloop_del_fd(p->loop, p->h[!me]);
		p->h[0] = p->h[1] = NULL;
		break;
	}
}

static void pair0(void *opaque, uint32_t events)
{
	pair_handler(opaque, 0, events);
}

static void pair1(void *opaque, uint32_t events)
{
	pair_handler(opaque, 1, events);
}

Test(ioloop, delete_during_dispatch)
{
	for (int mode = 0; mode < 3; mode++) {
		struct pair p = { .mode = mode };
		int a[2], b[2];

		pipe_or_die(a);
		pipe_or_die(b);
		cr_assert_eq(ioloop_create(&p.loop, "del"), 0);
		p.fd[0] = a[0];
		p.fd[1] = b[0];
		cr_assert_eq(ioloop_add_fd(p.loop, a[0], EPOLLIN, pair0, &p, &p.h[0]), 0);
		cr_assert_eq(ioloop_add_fd(p.loop, b[0], EPOLLIN, pair1, &p, &p.h[1]), 0);
		/* Both ready before the loop looks: one epoll_wait returns both events. */
		put(a[1], "x");
		put(b[1], "y");
		cr_expect_eq(ioloop_run_once(p.loop, 1000), 2);
		if (mode == 1) {
			cr_expect_eq(p.calls[0] + p.calls[1], 2, "mode %d", mode);
		} else {
			cr_expect_eq(p.calls[0] + p.calls[1], 1,
				     "mode %d: a handler deleted in the batch was still called",
				     mode);
		}
		/* Nothing of the deleted handlers remains in the loop. */
		put(a[1], "x");
		put(b[1], "y");
		cr_expect_eq(ioloop_run_once(p.loop, 20), mode == 0 ? 1 : 0, "mode %d", mode);
		cr_expect_eq(p.calls[0] + p.calls[1], mode == 2 ? 1 : 2, "mode %d", mode);
		ioloop_destroy(p.loop); /* frees the surviving handler too (ASan checks) */
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
	}
}

static void del_timer_from_fd(void *opaque, uint32_t events)
{
	struct ticks *k = opaque;
	char buf[8];

	(void)events;
	if (read(k->stop_at, buf, sizeof(buf)) < 0)
		abort();
	ioloop_timer_del(k->loop, k->timer);
	k->timer = NULL;
}

Test(ioloop, delete_ready_timer)
{
	struct ticks k = { 0 };
	struct ioloop_fd *h;
	int p[2];
	int n;

	pipe_or_die(p);
	cr_assert_eq(ioloop_create(&k.loop, "deltimer"), 0);
	k.stop_at = (unsigned)p[0]; /* the fd, for the handler */
	cr_assert_eq(ioloop_timer_add(k.loop, 1, 0, tick, &k, &k.timer), 0);
	cr_assert_eq(ioloop_add_fd(k.loop, p[0], EPOLLIN, del_timer_from_fd, &k, &h), 0);
	put(p[1], "z");
	sleep_ms(10); /* the timer has expired: both are ready */
	n = ioloop_run_once(k.loop, 1000);
	cr_expect_eq(n, 2);
	/* Either the timer ran first (and was then deleted), or it was deleted unrun. */
	cr_expect_leq(k.n, 1);
	cr_expect_null(k.timer);
	ioloop_destroy(k.loop);
	close(p[0]);
	close(p[1]);
}

/* Handlers added without keeping a pointer belong to the loop (ASan checks the frees). */
Test(ioloop, destroy_frees_everything)
{
	struct ioloop *l;
	struct reader r = { 0 };
	int p[2];

	pipe_or_die(p);
	cr_assert_eq(ioloop_create(&l, "owned"), 0);
	r.fd = p[0];
	cr_assert_eq(ioloop_add_fd(l, p[0], EPOLLIN, on_readable, &r, NULL), 0);
	cr_assert_eq(ioloop_timer_add(l, NSEC_PER_SEC, NSEC_PER_SEC, stop_cb, l, NULL), 0);
	cr_assert_eq(ioloop_call(l, stop_cb, l), 0); /* pending calls are dropped */
	ioloop_destroy(l);
	close(p[0]);
	close(p[1]);
}
