/* spawn.c - child processes for benchmarks. Main thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/spawn.h"

extern char **environ;

volatile sig_atomic_t spawn_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	spawn_interrupted = 1;
}

void spawn_install_interrupt(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* strand's main blocks the process signals for its own loop; the harness takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

uint64_t spawn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long read_kib(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	size_t klen = strlen(key);
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Run time (schedstat's first field) of every thread named vcpuN. */
static void poll_vcpu_times(pid_t pid, struct spawn_result *r)
{
	char path[96];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[320], comm[32] = "";
		unsigned long long run = 0;
		unsigned idx;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (sscanf(comm, "vcpu%u", &idx) != 1 || idx >= SPAWN_MAX_VCPUS)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1 && (double)run > r->vcpu_ns[idx])
			r->vcpu_ns[idx] = (double)run;
		fclose(f);
		if (idx + 1 > r->nvcpus)
			r->nvcpus = idx + 1;
	}
	closedir(d);
}

static void keep_err(struct spawn_result *r, const char *buf, size_t n)
{
	size_t have = strlen(r->err), room = sizeof(r->err) - 1;

	if (n >= room) {
		memcpy(r->err, buf + n - room, room);
		r->err[room] = '\0';
		return;
	}
	if (have + n > room) {
		memmove(r->err, r->err + (have + n - room), room - n);
		have = room - n;
	}
	memcpy(r->err + have, buf, n);
	r->err[have + n] = '\0';
}

int spawn_run(const struct spawn_opts *o, struct spawn_result *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, status = 0, ret;
	size_t out_len = 0;
	uint64_t t0, deadline;
	sigset_t none, dfl;
	bool killed = false;
	struct rusage ru = { 0 };
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->rss_kib = r->pss_kib = -1;
	if (o->out_max) {
		r->out = calloc(1, o->out_max + 1);
		if (!r->out)
			return -ENOMEM;
	}
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		ret = -errno;
		goto close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	t0 = spawn_now_ns();
	ret = posix_spawn(&pid, o->argv[0], &fa, &attr, (char *const *)o->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (ret) {
		snprintf(r->err, sizeof(r->err), "cannot run %s: %s", o->argv[0], strerror(ret));
		ret = -ret;
		goto close;
	}
	deadline = t0 + (uint64_t)(o->timeout_s * 1e9);
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		uint64_t now = spawn_now_ns();
		int wait_ms = now < deadline ? (int)((deadline - now) / 1000000) + 1 : 10;
		char buf[4096];
		ssize_t k;

		if (o->vcpu_times && wait_ms > 20)
			wait_ms = 20;
		if (!killed && (now >= deadline || spawn_interrupted)) {
			kill(pid, SIGKILL);
			killed = true;
			r->timed_out = now >= deadline;
		}
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			break;
		if (o->vcpu_times && !killed)
			poll_vcpu_times(pid, r);
		if (p[0].revents) {
			k = read(out[0], buf, sizeof(buf));
			if (k > 0 && !r->got_byte) {
				r->first_byte_ns = spawn_now_ns() - t0;
				r->got_byte = true;
				if (o->first_byte && !killed) {
					char path[64];
					struct timespec ts = { 0, (long)(o->settle_s * 1e9) };

					nanosleep(&ts, NULL);
					snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
					r->rss_kib = read_kib(path, "VmRSS:");
					snprintf(path, sizeof(path), "/proc/%d/smaps_rollup",
						 (int)pid);
					r->pss_kib = read_kib(path, "Pss:");
					kill(pid, SIGKILL);
					killed = true;
				}
			}
			if (k > 0 && r->out && out_len < o->out_max) {
				size_t take = (size_t)k < o->out_max - out_len ?
						      (size_t)k :
						      o->out_max - out_len;

				memcpy(r->out + out_len, buf, take);
				out_len += take;
			}
			if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (p[1].revents) {
			k = read(err[0], buf, sizeof(buf));
			if (k > 0)
				keep_err(r, buf, (size_t)k);
			else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(err[0]);
				err[0] = -1;
			}
		}
	}
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	r->wall_ns = spawn_now_ns() - t0;
	r->cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ULL +
		    ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ULL;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	ret = 0;
close:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return ret;
}

void spawn_result_free(struct spawn_result *r)
{
	free(r->out);
	r->out = NULL;
}
