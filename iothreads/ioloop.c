/* ioloop.c - epoll event loop. See ioloop.h for the thread rules. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "iothreads/ioloop.h"
#include "util/clock.h"

struct ioloop_fd {
	int fd;
	bool is_timer; /* fd is ours (timerfd): closed on delete */
	bool deleted;  /* no more events; freed at the end of the batch */
	ioloop_fd_fn fn;
	ioloop_call_fn timer_fn;
	void *opaque;
	struct ioloop_fd *prev, *next; /* every live handler, for ioloop_destroy */
	struct ioloop_fd *next_dead;
};

struct ioloop_call_item {
	ioloop_call_fn fn;
	void *opaque;
	struct ioloop_call_item *next;
};

/*
 * Owner: the thread in ioloop_run. `lock` protects the call queue (head/tail) only;
 * `stop` is atomic; stats are written by the owner and read relaxed by anyone.
 */
struct ioloop {
	char name[16];
	int epfd;
	int wakefd;
	struct ioloop_fd *wake_handler;
	pthread_mutex_t lock;
	struct ioloop_call_item *call_head, *call_tail;
	bool stop;
	bool in_dispatch;
	struct ioloop_fd *handlers; /* live handlers (owner thread) */
	struct ioloop_fd *dead;	    /* handlers deleted during a dispatch batch */
	uint64_t max_poll_ns;	    /* 0: no polling */
	uint64_t poll_window_ns;
	unsigned poll_grow, poll_shrink; /* window factors on a hit / a miss (0: 2) */
	struct ioloop_stats stats;
};

static void ioloop_wake_read(void *opaque, uint32_t events);

int ioloop_create(struct ioloop **out, const char *name)
{
	struct ioloop *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	strncpy(l->name, name, sizeof(l->name) - 1);
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		ret = -errno;
		goto err_free;
	}
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wakefd < 0) {
		ret = -errno;
		goto err_epoll;
	}
	ret = ioloop_add_fd(l, l->wakefd, EPOLLIN, ioloop_wake_read, l, &l->wake_handler);
	if (ret)
		goto err_wake;
	*out = l;
	return 0;
err_wake:
	close(l->wakefd);
err_epoll:
	close(l->epfd);
err_free:
	pthread_mutex_destroy(&l->lock);
	free(l);
	return ret;
}

static void free_dead(struct ioloop *l)
{
	while (l->dead) {
		struct ioloop_fd *h = l->dead;

		l->dead = h->next_dead;
		free(h);
	}
}

void ioloop_destroy(struct ioloop *l)
{
	struct ioloop_call_item *c;

	if (!l)
		return;
	/* Handlers added with out == NULL are owned by the loop: they go with it. */
	while (l->handlers)
		ioloop_del_fd(l, l->handlers);
	free_dead(l);
	close(l->wakefd);
	close(l->epfd);
	for (c = l->call_head; c;) {
		struct ioloop_call_item *next = c->next;

		free(c);
		c = next;
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

const char *ioloop_name(const struct ioloop *l)
{
	return l->name;
}

static int add_handler(struct ioloop *l, struct ioloop_fd *h, uint32_t events,
		       struct ioloop_fd **out)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0) {
		int ret = -errno;

		free(h);
		return ret;
	}
	h->next = l->handlers;
	if (l->handlers)
		l->handlers->prev = h;
	l->handlers = h;
	if (out)
		*out = h;
	return 0;
}

int ioloop_add_fd(struct ioloop *l, int fd, uint32_t events, ioloop_fd_fn fn, void *opaque,
		  struct ioloop_fd **out)
{
	struct ioloop_fd *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->fn = fn;
	h->opaque = opaque;
	return add_handler(l, h, events, out);
}

int ioloop_mod_fd(struct ioloop *l, struct ioloop_fd *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return -errno;
	return 0;
}

void ioloop_del_fd(struct ioloop *l, struct ioloop_fd *h)
{
	if (!h || h->deleted)
		return;
	/* Fails only if fd was closed already, which removed it from the set anyway. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	if (h->is_timer)
		close(h->fd);
	h->deleted = true;
	if (h->prev)
		h->prev->next = h->next;
	else
		l->handlers = h->next;
	if (h->next)
		h->next->prev = h->prev;
	if (l->in_dispatch) {
		h->next_dead = l->dead;
		l->dead = h;
	} else {
		free(h);
	}
}

static void ioloop_wake_read(void *opaque, uint32_t events)
{
	struct ioloop *l = opaque;
	uint64_t v;

	(void)events;
	/* Drain the counter; EAGAIN just means another read got it first. */
	if (read(l->wakefd, &v, sizeof(v)) < 0)
		return;
}

static void ioloop_wake(struct ioloop *l)
{
	uint64_t one = 1;

	/* EAGAIN (counter saturated) still leaves the fd readable, which is all we need. */
	if (write(l->wakefd, &one, sizeof(one)) < 0)
		return;
}

int ioloop_call(struct ioloop *l, ioloop_call_fn fn, void *opaque)
{
	struct ioloop_call_item *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->opaque = opaque;
	c->next = NULL;
	pthread_mutex_lock(&l->lock);
	if (l->call_tail)
		l->call_tail->next = c;
	else
		l->call_head = c;
	l->call_tail = c;
	pthread_mutex_unlock(&l->lock);
	ioloop_wake(l);
	return 0;
}

static void run_calls(struct ioloop *l)
{
	struct ioloop_call_item *c;

	pthread_mutex_lock(&l->lock);
	c = l->call_head;
	l->call_head = l->call_tail = NULL;
	pthread_mutex_unlock(&l->lock);
	while (c) {
		struct ioloop_call_item *next = c->next;

		c->fn(c->opaque);
		free(c);
		stat_inc(&l->stats.calls);
		c = next;
	}
}

static void ioloop_timer_fire(struct ioloop_fd *h)
{
	uint64_t expirations;

	/* EAGAIN: a timer_del/re-arm raced the event; nothing expired. */
	if (read(h->fd, &expirations, sizeof(expirations)) < 0)
		return;
	h->timer_fn(h->opaque);
}

int ioloop_timer_add(struct ioloop *l, uint64_t delay_ns, uint64_t period_ns, ioloop_call_fn fn,
		     void *opaque, struct ioloop_fd **out)
{
	struct itimerspec its = { 0 };
	struct ioloop_fd *h;
	int fd, ret;

	if (delay_ns == 0)
		delay_ns = 1; /* zero would disarm */
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)(delay_ns / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(delay_ns % NSEC_PER_SEC);
	its.it_interval.tv_sec = (time_t)(period_ns / NSEC_PER_SEC);
	its.it_interval.tv_nsec = (long)(period_ns % NSEC_PER_SEC);
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	h->is_timer = true;
	h->timer_fn = fn;
	h->opaque = opaque;
	ret = add_handler(l, h, EPOLLIN, out);
	if (ret)
		close(fd);
	return ret;
}

void ioloop_timer_del(struct ioloop *l, struct ioloop_fd *timer)
{
	ioloop_del_fd(l, timer);
}

void ioloop_set_poll_ns(struct ioloop *l, uint64_t max_poll_ns)
{
	l->max_poll_ns = max_poll_ns;
	l->poll_window_ns = max_poll_ns / 4;
}

void ioloop_set_poll_params(struct ioloop *l, uint64_t max_poll_ns, unsigned grow, unsigned shrink)
{
	ioloop_set_poll_ns(l, max_poll_ns);
	l->poll_grow = grow;
	l->poll_shrink = shrink;
}

void ioloop_stop(struct ioloop *l)
{
	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	ioloop_wake(l);
}

static int dispatch(struct ioloop *l, struct epoll_event *evs, int n)
{
	l->in_dispatch = true;
	for (int i = 0; i < n; i++) {
		struct ioloop_fd *h = evs[i].data.ptr;

		if (h->deleted)
			continue;
		if (h->is_timer)
			ioloop_timer_fire(h);
		else
			h->fn(h->opaque, evs[i].events);
		stat_inc(&l->stats.events);
	}
	l->in_dispatch = false;
	free_dead(l);
	run_calls(l);
	return n;
}

int ioloop_run_once(struct ioloop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n;

	n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n > 0)
		stat_inc(&l->stats.wakeups);
	return dispatch(l, evs, n);
}

/*
 * Adaptive polling: after a batch, spin with non-blocking epoll_wait for up to poll_window_ns.
 * A hit grows the window (x poll_grow, default 2, up to max), a miss shrinks it (/ poll_shrink,
 * default 2), as KVM's halt polling and QEMU's poll-grow/poll-shrink do.
 */
static int poll_for_events(struct ioloop *l, struct epoll_event *evs, int max)
{
	uint64_t start = now_ns(), now = start;
	int n = 0;

	while (now - start < l->poll_window_ns && !__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(l->epfd, evs, max, 0);
		if (n != 0)
			break;
		now = now_ns();
	}
	stat_add(&l->stats.poll_ns, now_ns() - start);
	if (n > 0) {
		stat_inc(&l->stats.poll_hits);
		l->poll_window_ns =
			MIN(l->max_poll_ns,
			    MAX(l->poll_window_ns * (l->poll_grow ? l->poll_grow : 2), 1000));
	} else {
		l->poll_window_ns /= l->poll_shrink ? l->poll_shrink : 2;
	}
	return n;
}

int ioloop_run(struct ioloop *l)
{
	struct epoll_event evs[32];

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		int n = 0;

		if (l->max_poll_ns)
			n = poll_for_events(l, evs, ARRAY_SIZE(evs));
		if (n == 0)
			n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 0)
			stat_inc(&l->stats.wakeups);
		dispatch(l, evs, n);
	}
	__atomic_store_n(&l->stop, false, __ATOMIC_RELAXED);
	return 0;
}

void ioloop_get_stats(const struct ioloop *l, struct ioloop_stats *out)
{
	out->wakeups = __atomic_load_n(&l->stats.wakeups, __ATOMIC_RELAXED);
	out->events = __atomic_load_n(&l->stats.events, __ATOMIC_RELAXED);
	out->calls = __atomic_load_n(&l->stats.calls, __ATOMIC_RELAXED);
	out->poll_hits = __atomic_load_n(&l->stats.poll_hits, __ATOMIC_RELAXED);
	out->poll_ns = __atomic_load_n(&l->stats.poll_ns, __ATOMIC_RELAXED);
}
