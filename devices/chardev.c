/* chardev.c - console backends. See chardev.h for the thread rules. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "devices/chardev.h"
#include "iothreads/ioloop.h"
#include "util/log.h"

#define CTRL_A 0x01

/* The one terminal strand may have changed, for restoring from any exit path. */
static struct termios saved_tty;
static int saved_tty_fd = -1; /* atomic */

void chardev_restore_tty(void)
{
	int fd = __atomic_exchange_n(&saved_tty_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &saved_tty);
}

static void fatal_signal_restore(int sig)
{
	chardev_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_at_exit(void)
{
	chardev_restore_tty();
}

static int make_raw(int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct termios t;
	static bool hooked;

	if (tcgetattr(fd, &saved_tty) < 0)
		return -errno;
	t = saved_tty;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR; /* keep "\n" -> "\r\n" on output */
	if (!hooked) {
		atexit(restore_at_exit);
		for (unsigned i = 0; i < ARRAY_SIZE(fatal); i++)
			signal(fatal[i], fatal_signal_restore);
		hooked = true;
	}
	__atomic_store_n(&saved_tty_fd, fd, __ATOMIC_RELEASE);
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		__atomic_store_n(&saved_tty_fd, -1, __ATOMIC_RELEASE);
		return -errno;
	}
	return 0;
}

/*
 * The master of a new pty, raw and non-blocking. The slave is opened once and closed: its
 * termios is set raw (it stays with the pty), and the close puts the master in the hung-up
 * state (POLLHUP) that says "nobody reads", which a pty that was never opened lacks: output
 * written then would wait in the pty for the first reader, stale.
 */
static int open_pty(struct chardev *c)
{
	struct termios t;
	int m, s, ret;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) || unlockpt(m) || ptsname_r(m, c->pty_path, sizeof(c->pty_path)))
		goto fail_errno;
	s = open(c->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail_errno;
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(s, TCSANOW, &t) < 0)
			log_warn("console pty %s: cannot make it raw: %s", c->pty_path,
				 strerror(errno));
	}
	close(s);
	c->out_fd = m;
	c->in_fd = m;
	return 0;
fail_errno:
	ret = -errno;
	close(m);
	return ret;
}

int chardev_open(struct chardev *c, const char *spec, const char **why)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	c->in_fd = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	if (strcmp(spec, "none") == 0) {
		c->kind = CHARDEV_NONE;
		return 0;
	}
	if (strcmp(spec, "stdio") == 0) {
		c->kind = CHARDEV_STDIO;
		c->out_fd = STDOUT_FILENO;
		c->in_fd = STDIN_FILENO;
		return 0;
	}
	if (strcmp(spec, "pty") == 0) {
		c->kind = CHARDEV_PTY;
		ret = open_pty(c);
		if (ret)
			*why = "cannot make a pty";
		return ret;
	}
	if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
		c->kind = CHARDEV_FILE;
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			*why = "cannot open the console file";
			return -errno;
		}
		return 0;
	}
	*why = "expected stdio, file:PATH, pty or none";
	return -EINVAL;
}

/*
 * The VM ends: the master's close hangs the slave up, and Linux discards what its reader has
 * not read yet (the guest's last lines, e.g. strandd's console stream of a VM that prints and
 * powers off). So while a reader is there, wait until the slave's input queue is empty (read
 * through a slave fd of our own: FIONREAD counts the tty's queue, whoever reads it), twice in
 * a row 10 ms apart (a write may still be in the flip buffer), at most PTY_DRAIN_MS: a reader
 * that holds the pty but never reads delays the exit by that much, no more.
 */
#define PTY_DRAIN_MS 2000

static bool pty_has_reader(int fd);

static void pty_drain(struct chardev *c)
{
	int s, empty = 0;

	if (!pty_has_reader(c->out_fd))
		return;
	s = open(c->pty_path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s < 0)
		return;
	for (int waited = 0; waited < PTY_DRAIN_MS && empty < 2; waited += 10) {
		int n = 0;

		if (ioctl(s, FIONREAD, &n) < 0)
			break;
		empty = n == 0 ? empty + 1 : 0;
		if (empty < 2)
			nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	close(s);
}

void chardev_close(struct chardev *c)
{
	if (c->kind == CHARDEV_PTY && c->out_fd >= 0)
		pty_drain(c);
	chardev_detach_input(c);
	if (c->raw_tty) {
		chardev_restore_tty();
		c->raw_tty = false;
	}
	if ((c->kind == CHARDEV_FILE || c->kind == CHARDEV_PTY) && c->out_fd >= 0)
		close(c->out_fd);
	c->in_fd = -1;
	c->out_fd = -1;
	pthread_mutex_destroy(&c->out_lock);
}

/*
 * A pty master takes writes even with no slave open, and keeps them for the next reader: stale
 * output. Hung up (POLLHUP) means nobody has the slave open: drop.
 */
static bool pty_has_reader(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLERR));
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	if (c->kind == CHARDEV_PTY && !pty_has_reader(c->out_fd)) {
		c->out_dropped += len;
		len = 0;
	}
	while (len) {
		ssize_t n = write(c->out_fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * A pty whose reader is behind (EAGAIN), reader gone (EPIPE, EIO) or disk
			 * full: output is dropped, the guest runs on.
			 */
			c->out_dropped += len;
			break;
		}
		p += n;
		len -= (size_t)n;
		c->out_bytes += (uint64_t)n;
	}
	pthread_mutex_unlock(&c->out_lock);
}

void chardev_filename(const struct chardev *c, char *buf, size_t len)
{
	switch (c->kind) {
	case CHARDEV_STDIO:
		snprintf(buf, len, "stdio");
		break;
	case CHARDEV_FILE:
		snprintf(buf, len, "file");
		break;
	case CHARDEV_PTY:
		snprintf(buf, len, "pty:%s", c->pty_path);
		break;
	default:
		snprintf(buf, len, "null");
		break;
	}
}

void chardev_counters(struct chardev *c, uint64_t *written, uint64_t *dropped)
{
	pthread_mutex_lock(&c->out_lock);
	*written = c->out_bytes;
	*dropped = c->out_dropped;
	pthread_mutex_unlock(&c->out_lock);
}

static void set_paused(struct chardev *c, bool paused)
{
	if (!c->in_handler || c->paused == paused)
		return;
	if (ioloop_mod_fd(c->loop, c->in_handler, paused ? 0 : EPOLLIN) == 0)
		c->paused = paused;
}

/* Offer pending bytes to the consumer; handle the Ctrl-A escape on raw terminals. */
static void deliver(struct chardev *c)
{
	while (c->pending_len) {
		size_t room = c->ops->can_accept(c->opaque);
		size_t n = 0;

		if (room == 0)
			break;
		while (n < c->pending_len && n < room) {
			uint8_t ch = c->pending[c->pending_off + n];

			if (c->raw_tty && c->escape) {
				c->escape = false;
				if (ch == 'x' || ch == 'X') {
					if (c->ops->quit)
						c->ops->quit(c->opaque);
					c->pending_len = 0;
					return;
				}
				if (ch != CTRL_A) {
					/* Not an escape after all: deliver the Ctrl-A first. */
					uint8_t a = CTRL_A;

					c->ops->receive(c->opaque, &a, 1);
				}
			} else if (c->raw_tty && ch == CTRL_A) {
				if (n)
					break;
				c->escape = true;
				c->pending_off++;
				c->pending_len--;
				continue;
			}
			n++;
		}
		if (n) {
			c->ops->receive(c->opaque, c->pending + c->pending_off, n);
			c->pending_off += n;
			c->pending_len -= n;
		}
	}
}

static void on_input(void *opaque, uint32_t events);
static void pump(struct chardev *c);

/* CHARDEV_PTY, hung up: a new reader has the slave open when the hang-up is gone. */
static void hup_check(void *opaque)
{
	struct chardev *c = opaque;

	if (!pty_has_reader(c->in_fd))
		return;
	ioloop_timer_del(c->loop, c->hup_timer);
	c->hup_timer = NULL;
	if (ioloop_add_fd(c->loop, c->in_fd, EPOLLIN, on_input, c, &c->in_handler)) {
		log_warn("console pty %s: cannot watch it: input stops", c->pty_path);
		c->in_handler = NULL;
		return;
	}
	c->paused = false;
	pump(c);
}

/*
 * The reader closed the slave: epoll reports the hang-up until a new reader comes, whatever
 * events are asked for, so the master leaves the loop and a timer looks for the next reader.
 * What is pending stays for the consumer.
 */
static void pty_hangup(struct chardev *c)
{
	if (c->in_handler) {
		ioloop_del_fd(c->loop, c->in_handler);
		c->in_handler = NULL;
	}
	if (!c->hup_timer &&
	    ioloop_timer_add(c->loop, CHARDEV_PTY_POLL_MS * 1000000ULL,
			     CHARDEV_PTY_POLL_MS * 1000000ULL, hup_check, c, &c->hup_timer)) {
		log_warn("console pty %s: cannot watch for a reader: input stops", c->pty_path);
		c->hup_timer = NULL;
	}
}

/*
 * Read and deliver input. A pollable fd reads once per readiness event; a regular file (which
 * epoll refuses) is read until the consumer is full. Either way, input pauses while bytes are
 * pending and resumes from chardev_input_ready. A pty with no reader is not read (EIO) until
 * one comes. Main loop thread.
 */
static void pump(struct chardev *c)
{
	for (;;) {
		if (!c->pending_len && !c->eof && !c->hup_timer) {
			ssize_t n = read(c->in_fd, c->pending, sizeof(c->pending));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				return;
			if (n <= 0 && c->kind == CHARDEV_PTY) {
				pty_hangup(c);
				return;
			}
			if (n <= 0) {
				/* EOF or error: no more input; the guest keeps running. */
				c->eof = true;
				chardev_detach_input(c);
				return;
			}
			c->pending_off = 0;
			c->pending_len = (size_t)n;
		}
		deliver(c);
		set_paused(c, c->pending_len != 0);
		if (c->pending_len || c->in_handler || c->eof || c->hup_timer)
			return;
	}
}

static void on_input(void *opaque, uint32_t events)
{
	struct chardev *c = opaque;

	/* Paused (nothing asked for) or nothing left to read: only the hang-up is news. */
	if (c->kind == CHARDEV_PTY && (events & (EPOLLHUP | EPOLLERR)) &&
	    (c->paused || !(events & EPOLLIN))) {
		pty_hangup(c);
		return;
	}
	pump(c);
}

static void input_ready_cb(void *opaque)
{
	struct chardev *c = opaque;

	if (c->ops && (c->pending_len || (!c->eof && !c->in_handler && !c->hup_timer)))
		pump(c);
}

int chardev_attach_input(struct chardev *c, struct ioloop *loop,
			 const struct chardev_input_ops *ops, void *opaque)
{
	int ret;

	if (c->in_fd < 0)
		return 0;
	c->loop = loop;
	c->ops = ops;
	c->opaque = opaque;
	if (c->kind == CHARDEV_PTY) {
		/* Raw since chardev_open; no Ctrl-A escape: the console is not strand's terminal. */
		if (!pty_has_reader(c->in_fd)) {
			pty_hangup(c);
			return c->hup_timer ? 0 : -ENOMEM;
		}
	} else if (isatty(c->in_fd)) {
		ret = make_raw(c->in_fd);
		if (ret == 0)
			c->raw_tty = true;
		else
			log_warn("cannot put the terminal in raw mode: %s", strerror(-ret));
	}
	ret = ioloop_add_fd(loop, c->in_fd, EPOLLIN, on_input, c, &c->in_handler);
	if (ret == -EPERM) {
		/* A regular file cannot be polled: it is always readable, pump it directly. */
		c->in_handler = NULL;
		return ioloop_call(loop, input_ready_cb, c);
	}
	return ret;
}

void chardev_detach_input(struct chardev *c)
{
	if (c->in_handler) {
		ioloop_del_fd(c->loop, c->in_handler);
		c->in_handler = NULL;
	}
	if (c->hup_timer) {
		ioloop_timer_del(c->loop, c->hup_timer);
		c->hup_timer = NULL;
	}
}

void chardev_input_ready(struct chardev *c)
{
	if (c->loop && ioloop_call(c->loop, input_ready_cb, c))
		log_debug("console: cannot queue input wake-up");
}
