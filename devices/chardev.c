/* chardev.c - console backends. See chardev.h for the thread rules. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

int chardev_open(struct chardev *c, const char *spec, const char **why)
{
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
	if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
		c->kind = CHARDEV_FILE;
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			*why = "cannot open the console file";
			return -errno;
		}
		return 0;
	}
	*why = "expected stdio, file:PATH or none";
	return -EINVAL;
}

void chardev_close(struct chardev *c)
{
	chardev_detach_input(c);
	if (c->raw_tty) {
		chardev_restore_tty();
		c->raw_tty = false;
	}
	if (c->kind == CHARDEV_FILE && c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	pthread_mutex_destroy(&c->out_lock);
}

void chardev_write(struct chardev *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	while (len) {
		ssize_t n = write(c->out_fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Reader gone (EPIPE) or disk full: output is dropped, the guest runs on. */
			break;
		}
		p += n;
		len -= (size_t)n;
		c->out_bytes += (uint64_t)n;
	}
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

/*
 * Read and deliver input. A pollable fd reads once per readiness event; a regular file (which
 * epoll refuses) is read until the consumer is full. Either way, input pauses while bytes are
 * pending and resumes from chardev_input_ready. Main loop thread.
 */
static void pump(struct chardev *c)
{
	for (;;) {
		if (!c->pending_len && !c->eof) {
			ssize_t n = read(c->in_fd, c->pending, sizeof(c->pending));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				return;
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
		if (c->pending_len || c->in_handler || c->eof)
			return;
	}
}

static void on_input(void *opaque, uint32_t events)
{
	(void)events;
	pump(opaque);
}

static void input_ready_cb(void *opaque)
{
	struct chardev *c = opaque;

	if (c->ops && (c->pending_len || (!c->eof && !c->in_handler)))
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
	if (isatty(c->in_fd)) {
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
}

void chardev_input_ready(struct chardev *c)
{
	if (c->loop && ioloop_call(c->loop, input_ready_cb, c))
		log_debug("console: cannot queue input wake-up");
}
