/* pubptr.c - immutable tables under RCU, rwlock or mutex protection. Any registered thread. */
#include <errno.h>
#include <string.h>

#include "util/pubptr.h"
#include "util/rcu.h"

static const char *const mode_names[] = {
	[PUBPTR_RCU] = "rcu",
	[PUBPTR_RWLOCK] = "rwlock",
	[PUBPTR_MUTEX] = "mutex",
};

const char *pubptr_mode_name(enum pubptr_mode mode)
{
	return (unsigned)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

int pubptr_mode_parse(const char *s, enum pubptr_mode *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum pubptr_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

void pubptr_init(struct pubptr *p, enum pubptr_mode mode, void *initial, void (*free_fn)(void *))
{
	pthread_rwlockattr_t ra;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->cur = initial;
	p->free_fn = free_fn;
	pthread_mutex_init(&p->update_lock, NULL);
	pthread_mutex_init(&p->mutex, NULL);
	/*
	 * glibc's default rwlock prefers readers: vCPUs whose read sections overlap would starve
	 * an update forever. Read sections of one pubptr never nest (the mutex mode could not
	 * allow it either), so the non-recursive writer preference is safe.
	 */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&p->rwlock, &ra);
	pthread_rwlockattr_destroy(&ra);
}

void pubptr_destroy(struct pubptr *p)
{
	if (p->cur && p->free_fn)
		p->free_fn(p->cur);
	p->cur = NULL;
	pthread_mutex_destroy(&p->update_lock);
	pthread_mutex_destroy(&p->mutex);
	pthread_rwlock_destroy(&p->rwlock);
}

void pubptr_go_live(struct pubptr *p)
{
	pthread_mutex_lock(&p->update_lock);
	p->live = true;
	pthread_mutex_unlock(&p->update_lock);
}

void *pubptr_read_begin(struct pubptr *p)
{
	switch (p->mode) {
	case PUBPTR_RCU:
		rcu_read_begin();
		return rcu_deref(&p->cur);
	case PUBPTR_RWLOCK:
		pthread_rwlock_rdlock(&p->rwlock);
		return p->cur;
	case PUBPTR_MUTEX:
	default:
		pthread_mutex_lock(&p->mutex);
		return p->cur;
	}
}

void pubptr_read_end(struct pubptr *p)
{
	switch (p->mode) {
	case PUBPTR_RCU:
		rcu_read_end();
		break;
	case PUBPTR_RWLOCK:
		pthread_rwlock_unlock(&p->rwlock);
		break;
	case PUBPTR_MUTEX:
	default:
		pthread_mutex_unlock(&p->mutex);
		break;
	}
}

void *pubptr_update_begin(struct pubptr *p)
{
	pthread_mutex_lock(&p->update_lock);
	/* update_lock excludes other writers, so cur is stable for us to copy. */
	return __atomic_load_n(&p->cur, __ATOMIC_RELAXED);
}

void pubptr_update_abort(struct pubptr *p)
{
	pthread_mutex_unlock(&p->update_lock);
}

void pubptr_update_commit(struct pubptr *p, void *next)
{
	void *old = p->cur;
	bool live;

	switch (p->mode) {
	case PUBPTR_RCU:
		rcu_publish(&p->cur, next);
		break;
	case PUBPTR_RWLOCK:
		pthread_rwlock_wrlock(&p->rwlock);
		p->cur = next;
		pthread_rwlock_unlock(&p->rwlock);
		break;
	case PUBPTR_MUTEX:
	default:
		pthread_mutex_lock(&p->mutex);
		p->cur = next;
		pthread_mutex_unlock(&p->mutex);
		break;
	}
	__atomic_store_n(&p->generation, p->generation + 1, __ATOMIC_RELEASE);
	live = p->live;
	pthread_mutex_unlock(&p->update_lock);
	if (!old || !p->free_fn)
		return;
	if (p->mode == PUBPTR_RCU && live)
		rcu_free_deferred(old, p->free_fn);
	else
		p->free_fn(old); /* the lock excluded every reader of old */
}
