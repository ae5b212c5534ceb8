/* thread.c - named, placed, RCU-registered thread creation. Called by the creating thread. */
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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
	__atomic_store_n(&t->started, true, __ATOMIC_RELEASE);
	return 0;
}

int thread_join(struct thread *t, void **retval)
{
	int ret;

	if (!__atomic_load_n(&t->started, __ATOMIC_ACQUIRE))
		return 0;
	ret = pthread_join(t->handle, retval);
	__atomic_store_n(&t->started, false, __ATOMIC_RELEASE);
	return -ret;
}

void thread_kick(struct thread *t)
{
	if (__atomic_load_n(&t->started, __ATOMIC_ACQUIRE))
		pthread_kill(t->handle, THREAD_KICK_SIGNAL);
}
