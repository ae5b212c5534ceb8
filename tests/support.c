/* support.c - test helpers: process runner with timeout and captured output, KVM probe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"

extern char **environ;

const char *test_kvm_unavailable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return strerror(errno);
	close(fd);
	return NULL;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *d, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
}

int test_run_strandv(struct run_result *r, const char *stdin_data, double timeout_s,
		     char *const argv[])
{
	const char *bin = getenv("STRAND_BIN");
	int out[2], err[2], in[2];
	posix_spawn_file_actions_t fa;
	struct buf bo = { 0 }, be = { 0 };
	size_t in_off = 0, in_len = stdin_data ? strlen(stdin_data) : 0;
	double deadline = mono_s() + timeout_s;
	bool killed = false;
	char **args;
	int n = 0, status, ret;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (!bin)
		return -ENOENT;
	while (argv[n])
		n++;
	args = calloc((size_t)n + 2, sizeof(char *));
	args[0] = (char *)bin;
	memcpy(args + 1, argv, (size_t)n * sizeof(char *));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(in, O_CLOEXEC)) {
		free(args);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	ret = posix_spawn(&pid, bin, &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (ret) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		return -ret;
	}
	if (!stdin_data) {
		close(in[1]);
		in[1] = -1;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 },
				       { err[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		double left = deadline - mono_s();
		char tmp[4096];
		ssize_t k;

		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (p[0].fd < 0 && p[1].fd < 0)
			break;
		if (poll(p, 3, left > 0 ? (int)(left * 1000) + 1 : 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			k = read(out[0], tmp, sizeof(tmp));
			if (k > 0)
				buf_add(&bo, tmp, (size_t)k);
			else if (k == 0 || errno != EAGAIN) {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (p[1].revents) {
			k = read(err[0], tmp, sizeof(tmp));
			if (k > 0)
				buf_add(&be, tmp, (size_t)k);
			else if (k == 0 || errno != EAGAIN) {
				close(err[0]);
				err[0] = -1;
			}
		}
		if (in[1] >= 0 && p[2].revents) {
			k = p[2].revents & POLLOUT ?
				    write(in[1], stdin_data + in_off, in_len - in_off) :
				    -1;
			if (k > 0)
				in_off += (size_t)k;
			if (k <= 0 || in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!bo.p)
		buf_add(&bo, "", 0);
	if (!be.p)
		buf_add(&be, "", 0);
	r->out = bo.p;
	r->err = be.p;
	return 0;
}

int test_run_strand(struct run_result *r, const char *stdin_data, double timeout_s, ...)
{
	char *argv[64];
	int n = 0;
	va_list ap;

	va_start(ap, timeout_s);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return test_run_strandv(r, stdin_data, timeout_s, argv);
}

void test_run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int test_tmpfile(char *buf, size_t size, const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(buf, size, "%s/strand-test-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(buf);
	if (fd < 0)
		return -errno;
	if (len && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}
