/* rcu.c - deferred reclamation helpers over liburcu's call_rcu. Any registered thread. */
#include <stdlib.h>

#include "util/compiler.h"
#include "util/log.h"
#include "util/rcu.h"

#ifdef STRAND_TSAN
char rcu_tsan_token;
#endif

struct rcu_deferred {
	struct rcu_head head;
	void *ptr;
	void (*free_fn)(void *);
};

static void rcu_deferred_cb(struct rcu_head *head)
{
	struct rcu_deferred *d = container_of(head, struct rcu_deferred, head);

	rcu_tsan_acquire();
	d->free_fn(d->ptr);
	free(d);
}

void rcu_free_deferred(void *ptr, void (*free_fn)(void *))
{
	struct rcu_deferred *d = malloc(sizeof(*d));

	if (!d) {
		/* Cannot defer without memory: wait for the grace period here instead. */
		rcu_wait_grace();
		free_fn(ptr);
		return;
	}
	d->ptr = ptr;
	d->free_fn = free_fn;
	/*
	 * call_rcu's queue hands d (and everything written before retiring ptr) to the call_rcu
	 * thread, whose callback acquires: liburcu's own ordering is invisible to TSan.
	 */
	rcu_tsan_release();
	urcu_memb_call_rcu(&d->head, rcu_deferred_cb);
}

void rcu_drain_deferred(void)
{
	urcu_memb_barrier();
}
