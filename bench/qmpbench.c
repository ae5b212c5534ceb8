/* qmpbench.c - the monitor benchmarks' client side. Main thread; pollers on their own thread. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/qmpbench.h"
#include "bench/spawn.h"
#include "sched/thread.h"

extern char **environ;

#define QMPB_TIMEOUT_MS 10000

uint64_t qmpb_now_ns(void)
{
	return spawn_now_ns();
}

int qmpb_spawn(struct qmpb_proc *p, const char *const *argv, const char *log, struct errbuf *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	snprintf(p->log, sizeof(p->log), "%s", log);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
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
	p->start_ns = qmpb_now_ns();
	ret = posix_spawn(&p->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (ret) {
		p->pid = -1;
		return errbuf_set(err, -ret, "cannot run %s: %s", argv[0], strerror(ret));
	}
	return 0;
}

/* The last non-empty line of the log. */
static void log_tail(const char *path, char *out, size_t len)
{
	char buf[2048];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	char *p;

	out[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0) {
		off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;

		n = pread(fd, buf, sizeof(buf) - 1, from);
	}
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	snprintf(out, len, "%s", p ? p + 1 : buf);
}

void qmpb_reap(struct qmpb_proc *p, double timeout_s, int *status, bool *killed, uint64_t *wall_ns,
	       char *err, size_t errlen)
{
	uint64_t deadline = qmpb_now_ns() + (uint64_t)(timeout_s * 1e9);
	int st = 0;
	pid_t got = 0;

	*killed = false;
	*status = -1;
	if (p->pid <= 0)
		return;
	for (;;) {
		struct timespec ts = { 0, 2000000 };

		got = waitpid(p->pid, &st, WNOHANG);
		if (got == p->pid || (got < 0 && errno != EINTR))
			break;
		if (qmpb_now_ns() >= deadline || spawn_interrupted) {
			kill(p->pid, SIGKILL);
			*killed = true;
			while ((got = waitpid(p->pid, &st, 0)) < 0 && errno == EINTR)
				;
			break;
		}
		nanosleep(&ts, NULL);
	}
	*wall_ns = qmpb_now_ns() - p->start_ns;
	if (got == p->pid)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	p->pid = -1;
	if (err)
		log_tail(p->log, err, errlen);
}

static json_object *args_of(const char *text)
{
	return text ? json_tokener_parse(text) : NULL;
}

static int execute(struct qmp_client *c, const char *cmd, const char *args, json_object **ret,
		   struct errbuf *err)
{
	struct qmp_error e = { 0 };
	int rc = qmp_client_execute(c, cmd, args_of(args), ret, &e, QMPB_TIMEOUT_MS);

	if (rc == -EREMOTEIO)
		return errbuf_set(err, rc, "%s: %s: %s", cmd, e.cls ? e.cls : "error", e.desc);
	if (rc)
		return errbuf_set(err, rc, "%s: %s", cmd, strerror(-rc));
	return 0;
}

int qmpb_rtt(struct qmp_client *c, const struct qmpb_cmd *cmds, unsigned ncmds, unsigned warmup,
	     unsigned n, struct errbuf *err)
{
	for (unsigned i = 0; i < warmup + n && !spawn_interrupted; i++)
		for (unsigned k = 0; k < ncmds; k++) {
			/* Arguments are built before the clock starts: the client's part of the
			 * trip is writing, reading and parsing. */
			json_object *args = args_of(cmds[k].args), *ret = NULL;
			struct qmp_error e = { 0 };
			uint64_t t0 = qmpb_now_ns();
			int rc = qmp_client_execute(c, cmds[k].name, args, &ret, &e,
						    QMPB_TIMEOUT_MS);
			uint64_t t1 = qmpb_now_ns();

			json_object_put(ret);
			if (rc == -EREMOTEIO)
				return errbuf_set(err, rc, "%s: %s: %s", cmds[k].name,
						  e.cls ? e.cls : "error", e.desc);
			if (rc)
				return errbuf_set(err, rc, "%s: %s", cmds[k].name, strerror(-rc));
			if (i >= warmup)
				dvec_push(cmds[k].ns, (double)(t1 - t0));
			/* Events are not expected here; never let them pile up. */
			json_object_put(qmp_client_take_event(c));
		}
	return 0;
}

/* ---- the poller thread ---- */

struct qmpb_poller {
	struct thread t;
	struct qmp_client *c;
	const char *cmd, *args;
	uint64_t period_ns;
	bool stop;	/* atomic: set by the main thread */
	uint64_t polls; /* written by the poller, read after the join */
	uint64_t late;
	uint64_t t0_ns, t1_ns;
};

static void *poller_main(void *opaque)
{
	struct qmpb_poller *p = opaque;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	p->t0_ns = qmpb_now_ns();
	while (!__atomic_load_n(&p->stop, __ATOMIC_RELAXED)) {
		json_object *ret = NULL;
		struct qmp_error e = { 0 };
		uint64_t now;

		if (qmp_client_execute(p->c, p->cmd, args_of(p->args), &ret, &e, QMPB_TIMEOUT_MS))
			break; /* the VM is gone (or the monitor broke): the measurement is over */
		json_object_put(ret);
		json_object_put(qmp_client_take_event(p->c));
		p->polls++;
		/* Absolute deadlines: the rate does not drift with the command's own time. */
		next.tv_nsec += (long)p->period_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		now = qmpb_now_ns();
		if (now >
		    (uint64_t)next.tv_sec * 1000000000ULL + (uint64_t)next.tv_nsec + p->period_ns) {
			/* More than a period late: count it and start again from now. */
			p->late++;
			clock_gettime(CLOCK_MONOTONIC, &next);
			continue;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	p->t1_ns = qmpb_now_ns();
	return NULL;
}

int qmpb_poller_start(struct qmpb_poller **out, const char *sock, const char *cmd, const char *args,
		      unsigned hz, struct errbuf *err)
{
	struct qmpb_poller *p = calloc(1, sizeof(*p));
	json_object *ret = NULL;
	int rc;

	*out = NULL;
	if (!p)
		return errbuf_set(err, -ENOMEM, "out of memory");
	p->cmd = cmd;
	p->args = args;
	p->period_ns = 1000000000ULL / (hz ? hz : 1);
	rc = qmp_client_connect(&p->c, sock, QMPB_TIMEOUT_MS, err);
	if (rc)
		goto free;
	/* One answered poll first: the measurement starts with the poller already working. */
	rc = execute(p->c, cmd, args, &ret, err);
	json_object_put(ret);
	if (rc)
		goto close;
	rc = thread_spawn(&p->t, "qmp-poll", NULL, false, poller_main, p);
	if (rc) {
		errbuf_set(err, rc, "cannot start the poller thread: %s", strerror(-rc));
		goto close;
	}
	*out = p;
	return 0;
close:
	qmp_client_close(p->c);
free:
	free(p);
	return rc;
}

void qmpb_poller_stop(struct qmpb_poller *p, uint64_t *polls, double *rate_hz, uint64_t *late)
{
	*polls = 0;
	*rate_hz = 0;
	*late = 0;
	if (!p)
		return;
	__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
	thread_join(&p->t, NULL);
	*polls = p->polls;
	*late = p->late;
	if (p->t1_ns > p->t0_ns)
		*rate_hz = (double)p->polls / ((double)(p->t1_ns - p->t0_ns) / 1e9);
	qmp_client_close(p->c);
	free(p);
}

/* ---- live switches ---- */

/* Summed progress of every vCPU, and strand's clock (ns since it started). */
static int progress(struct qmp_client *c, double *sum, double *t_ns, struct errbuf *err)
{
	json_object *ret = NULL, *vcpus, *x;
	int rc = execute(c, "x-strand-query-progress", NULL, &ret, err);

	if (rc)
		return rc;
	if (!json_object_object_get_ex(ret, "time-ns", &x) ||
	    !json_object_object_get_ex(ret, "vcpus", &vcpus) ||
	    !json_object_is_type(vcpus, json_type_array)) {
		json_object_put(ret);
		return errbuf_set(err, -EPROTO, "x-strand-query-progress: no time-ns or vcpus");
	}
	*t_ns = json_object_get_double(x);
	*sum = 0;
	for (size_t i = 0; i < json_object_array_length(vcpus); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(vcpus, i), "progress", &x))
			*sum += json_object_get_double(x);
	json_object_put(ret);
	return 0;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1000000000ULL), (long)(t_ns % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !spawn_interrupted)
		;
}

/* Take the X-STRAND-TUNING event of a switch (queued while the command ran). */
static void switch_time(struct qmp_client *c, struct dvec *out)
{
	json_object *ev = NULL, *name, *data, *ns;

	while ((ev = qmp_client_take_event(c))) {
		if (json_object_object_get_ex(ev, "event", &name) &&
		    !strcmp(json_object_get_string(name), "X-STRAND-TUNING") &&
		    json_object_object_get_ex(ev, "data", &data) &&
		    json_object_object_get_ex(data, "switch-ns", &ns))
			dvec_push(out, json_object_get_double(ns));
		json_object_put(ev);
	}
}

int qmpb_switch(struct qmp_client *c, const struct qmpb_switch_plan *plan,
		struct qmpb_switch_result *res, struct errbuf *err)
{
	uint64_t t0 = qmpb_now_ns(), period = (uint64_t)(plan->sample_s * 1e9);
	uint64_t phase = (uint64_t)(plan->phase_s * 1e9), end = t0 + phase * plan->nphases;
	double last_sum, last_t, first_t;
	unsigned next_phase = 1, nmarks = 0, cur = 0;
	bool switched = false;
	int rc;

	memset(res, 0, sizeof(*res));
	if (plan->nstrategies == 0 || plan->nstrategies > QMPB_MAX_STRATEGIES || !period)
		return errbuf_set(err, -EINVAL, "bad switch plan");
	rc = progress(c, &last_sum, &last_t, err);
	if (rc)
		return rc;
	first_t = last_t;
	for (uint64_t k = 1; t0 + k * period <= end && !spawn_interrupted; k++) {
		uint64_t due = t0 + k * period;
		double sum, t;

		sleep_until(due);
		if ((rc = progress(c, &sum, &t, err)))
			return rc;
		if (t > last_t) {
			double rate = (sum - last_sum) / ((t - last_t) / 1e9);

			dvec_push(&res->t_s, (t - first_t) / 1e9);
			dvec_push(&res->rate, rate);
			/* The interval that holds a switch belongs to neither strategy. */
			if (!switched)
				dvec_push(&res->phase_rate[cur], rate);
		}
		switched = false;
		last_sum = sum;
		last_t = t;
		/* A switch right after the first sample at or past its time. */
		if (next_phase < plan->nphases && t0 + next_phase * phase <= due) {
			char args[96];

			cur = next_phase % plan->nstrategies;
			snprintf(args, sizeof(args), "{\"strategy\": \"%s\"}",
				 plan->strategies[cur]);
			if ((rc = execute(c, "x-strand-set-sched", args, NULL, err)))
				return rc;
			if (nmarks < ARRAY_SIZE(res->mark_strategy)) {
				dvec_push(&res->mark_t_s, (t - first_t) / 1e9);
				res->mark_strategy[nmarks++] = cur;
			}
			switch_time(c, &res->switch_ns);
			switched = true;
			next_phase++;
		}
	}
	return spawn_interrupted ? errbuf_set(err, -EINTR, "interrupted") : 0;
}

void qmpb_switch_result_free(struct qmpb_switch_result *res)
{
	dvec_free(&res->t_s);
	dvec_free(&res->rate);
	dvec_free(&res->mark_t_s);
	for (unsigned i = 0; i < QMPB_MAX_STRATEGIES; i++)
		dvec_free(&res->phase_rate[i]);
	dvec_free(&res->switch_ns);
}
