/*
 * rcu.h - strand's thin layer over liburcu (memb flavor).
 *
 * Why a layer: publication uses C11 release/acquire atomics (the same instructions as
 * rcu_assign_pointer/rcu_dereference on x86) so ThreadSanitizer sees the ordering, and in TSan
 * builds the end of every read section "releases" and every reclamation "acquires" one token,
 * which is exactly the happens-before a grace period provides. Without it TSan reports every
 * deferred free as a race.
 *
 * Every thread that reads RCU-protected data must be registered (thread_spawn in sched/ does it;
 * main() calls rcu_thread_online() itself).
 */
#ifndef STRAND_UTIL_RCU_H
#define STRAND_UTIL_RCU_H

#include <urcu/urcu-memb.h>

#if defined(__SANITIZE_THREAD__)
#define STRAND_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRAND_TSAN 1
#endif
#endif

#ifdef STRAND_TSAN
#include <sanitizer/tsan_interface.h>
extern char rcu_tsan_token;
#define rcu_tsan_release() __tsan_release(&rcu_tsan_token)
#define rcu_tsan_acquire() __tsan_acquire(&rcu_tsan_token)
#else
#define rcu_tsan_release() ((void)0)
#define rcu_tsan_acquire() ((void)0)
#endif

static inline void rcu_read_begin(void)
{
	urcu_memb_read_lock();
}

static inline void rcu_read_end(void)
{
	rcu_tsan_release();
	urcu_memb_read_unlock();
}

/* Publish p (fully initialised) at *slot. */
#define rcu_publish(slot, p) __atomic_store_n((slot), (p), __ATOMIC_RELEASE)
/* Read the pointer at *slot inside a read section. */
#define rcu_deref(slot) __atomic_load_n((slot), __ATOMIC_ACQUIRE)

static inline void rcu_wait_grace(void)
{
	urcu_memb_synchronize_rcu();
	rcu_tsan_acquire();
}

/* Register the calling thread as an RCU reader (idempotent per thread is NOT guaranteed). */
static inline void rcu_thread_online(void)
{
	urcu_memb_register_thread();
}

static inline void rcu_thread_offline(void)
{
	urcu_memb_unregister_thread();
}

/* Free `ptr` with free_fn after a grace period, without blocking the caller. */
void rcu_free_deferred(void *ptr, void (*free_fn)(void *));
/* Wait until every deferred free queued so far has run (tests, shutdown). */
void rcu_drain_deferred(void);

#endif
