/*
 * chardev.h - a character backend for consoles: output to stdout, a file, a pty or nowhere;
 * input from stdin (a terminal is put in raw mode and restored on every exit path, fatal
 * signals included; a pipe is read as is, so scripts can drive the guest) or from the pty.
 *
 * pty (QEMU's -chardev pty): strand holds the master, raw and non-blocking; whoever opens the
 * slave (/dev/pts/N: pty_path) is the console. The guest never waits for it: output
 * while nobody has the slave open, or while the reader is behind (the pty's buffer is full), is
 * dropped and counted (out_dropped). A reader that closes the slave hangs the master up; the
 * main loop then watches for the next reader every CHARDEV_PTY_POLL_MS.
 *
 * Threads: chardev_write from any thread (out_lock serialises writes; stdio and files may
 * block when the reader is slow, so callers must not hold a device lock; a pty never blocks).
 * Input is read by the main loop's thread and offered to the consumer; when the consumer is
 * full, reading pauses until the consumer calls chardev_input_ready() (any thread).
 */
#ifndef STRAND_DEVICES_CHARDEV_H
#define STRAND_DEVICES_CHARDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "util/compiler.h"

struct ioloop;
struct ioloop_fd;

struct chardev_input_ops {
	/* Bytes the consumer can take now. Main loop thread. */
	size_t (*can_accept)(void *opaque);
	void (*receive)(void *opaque, const uint8_t *buf, size_t n);
	/* Ctrl-A x on a raw terminal: the user asked to quit. */
	void (*quit)(void *opaque);
};

enum chardev_kind {
	CHARDEV_NONE = 0,
	CHARDEV_STDIO,
	CHARDEV_FILE,
	CHARDEV_PTY,
};

/* How often a hung-up pty (no reader) is checked for a new one, for input. */
#define CHARDEV_PTY_POLL_MS 100

/*
 * Owner: the machine (main thread opens and closes it). Writers: any thread, under out_lock.
 * Input fields: main loop thread only.
 */
struct chardev {
	enum chardev_kind kind;
	int out_fd;	   /* -1: discard; CHARDEV_PTY: the master (also in_fd) */
	int in_fd;	   /* -1: no input */
	bool raw_tty;	   /* we changed in_fd's termios */
	char pty_path[64]; /* CHARDEV_PTY: the slave; set at open, then read-only */
	pthread_mutex_t out_lock;
	uint64_t out_bytes;   /* [out_lock] written */
	uint64_t out_dropped; /* [out_lock] dropped: no reader, or the reader is behind */

	/* Input state: main loop thread only. */
	struct ioloop *loop;
	struct ioloop_fd *in_handler;
	struct ioloop_fd *hup_timer; /* CHARDEV_PTY with no reader: looking for the next one */
	const struct chardev_input_ops *ops;
	void *opaque;
	uint8_t pending[256];
	size_t pending_off, pending_len;
	bool paused;
	bool escape; /* saw Ctrl-A */
	bool eof;
};

/* "stdio", "file:PATH", "pty", "none". Errors: -EINVAL (spec), or the open(2) errno. */
int __must_check chardev_open(struct chardev *c, const char *spec, const char **why);
void chardev_close(struct chardev *c);

void chardev_write(struct chardev *c, const void *buf, size_t len);

/*
 * QEMU's query-chardev "filename": "stdio", "file", "pty:/dev/pts/N" or "null". Any
 * thread (the fields it reads do not change after chardev_open).
 */
void chardev_filename(const struct chardev *c, char *buf, size_t len);
/* Bytes written and dropped so far. Any thread. */
void chardev_counters(struct chardev *c, uint64_t *written, uint64_t *dropped);

/* Start reading input on loop (main thread, before the loop runs). */
int __must_check chardev_attach_input(struct chardev *c, struct ioloop *loop,
				      const struct chardev_input_ops *ops, void *opaque);
void chardev_detach_input(struct chardev *c);
/* The consumer has room again. Any thread. */
void chardev_input_ready(struct chardev *c);

/* Restore the terminal now (idempotent; async-signal-safe). */
void chardev_restore_tty(void);

#endif
