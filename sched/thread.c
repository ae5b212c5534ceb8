/* thread.c - named, placed, RCU-registered thread creation. Called by the creating thread. */
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sched/thread.h"
#include "util/rcu.h"

struct spawn_ctx {
	struct thread *t;
	const struct thread_placement *pl;
	bool kick;
	void *(*fn)(void *);
	void *arg;
	sem_t ready;
	int result;
};

static void process_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGPIPE);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

void thread_block_process_signals(void)
{
	sigset_t set;

	process_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void thread_install_kick_handler(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(THREAD_KICK_SIGNAL, &sa, NULL);
}

int thread_apply_placement(const struct thread_placement *pl)
{
	if (!pl)
		return 0;
	if (pl->has_cpus && sched_setaffinity(0, sizeof(pl->cpus), &pl->cpus) < 0)
		return -errno;
	if (pl->policy != SCHED_OTHER) {
		struct sched_param sp = { .sched_priority = pl->priority };
		int ret = pthread_setschedparam(pthread_self(), pl->policy, &sp);

		if (ret)
			return -ret;
	}
	if (pl->has_nice && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), pl->nice) < 0)
		return -errno;
	return 0;
}

static void *spawn_trampoline(void *opaque)
{
	struct spawn_ctx *ctx = opaque;
	void *(*fn)(void *) = ctx->fn;
	void *arg = ctx->arg;
	sigset_t set;

	ctx->t->tid = (pid_t)syscall(SYS_gettid);
	pthread_setname_np(pthread_self(), ctx->t->name);
	process_signal_set(&set);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	if (ctx->kick) {
		sigemptyset(&set);
		sigaddset(&set, THREAD_KICK_SIGNAL);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	ctx->result = thread_apply_placement(ctx->pl);
	if (ctx->result) {
		sem_post(&ctx->ready);
		return NULL;
	}
	rcu_thread_online();
	/* Kickable from now on (before fn can block): thread_kick needs only tid and started. */
	__atomic_store_n(&ctx->t->started, true, __ATOMIC_RELEASE);
	sem_post(&ctx->ready); /* ctx is gone after this */
	{
		void *ret = fn(arg);

		rcu_thread_offline();
		return ret;
	}
}

int thread_spawn(struct thread *t, const char *name, const struct thread_placement *pl, bool kick,
		 void *(*fn)(void *), void *arg)
{
	struct spawn_ctx ctx = { .t = t, .pl = pl, .kick = kick, .fn = fn, .arg = arg };
	int ret;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	sem_init(&ctx.ready, 0, 0);
	ret = pthread_create(&t->handle, NULL, spawn_trampoline, &ctx);
	if (ret) {
		sem_destroy(&ctx.ready);
		return -ret;
	}
	while (sem_wait(&ctx.ready) < 0 && errno == EINTR)
		;
	sem_destroy(&ctx.ready);
	if (ctx.result) {
		pthread_join(t->handle, NULL);
		return ctx.result;
	}
	t->joinable = true;
	return 0;
}

int thread_join(struct thread *t, void **retval)
{
	int ret;

	if (!t->joinable)
		return 0;
	ret = pthread_join(t->handle, retval);
	t->joinable = false;
	return -ret;
}

int thread_join_kicking(struct thread *t, unsigned interval_ms)
{
	if (!t->joinable)
		return 0;
	for (;;) {
		struct timespec ts;
		int ret;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(interval_ms % 1000) * 1000000L;
		ts.tv_sec += interval_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		ret = pthread_timedjoin_np(t->handle, NULL, &ts);
		if (ret != ETIMEDOUT) {
			t->joinable = false;
			return -ret;
		}
		thread_kick(t);
	}
}

void thread_kick(struct thread *t)
{
	/*
	 * tgkill by kernel tid rather than pthread_kill: a kick racing with the thread's exit
	 * (and join) then fails with ESRCH instead of touching a freed pthread. A stray kick is
	 * harmless: the handler only asks a vCPU to leave KVM_RUN.
	 */
	if (__atomic_load_n(&t->started, __ATOMIC_ACQUIRE))
		syscall(SYS_tgkill, getpid(), t->tid, THREAD_KICK_SIGNAL);
}
