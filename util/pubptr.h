/*
 * pubptr.h - a pointer to an immutable table, replaced by copy + publish, read under one of
 * three protections chosen at creation (the --threading map knob):
 *
 *   PUBPTR_RCU     readers: an RCU read section, no lock; writer: publish, free after grace.
 *   PUBPTR_RWLOCK  readers: shared lock for the read section; writer: exclusive lock to swap
 *                  (writer-preferring: a waiting writer holds off new readers).
 *   PUBPTR_MUTEX   readers and writer: one mutex.
 *
 * The guest-RAM map and the PIO/MMIO dispatch tables are pubptrs, so the cost of each
 * protection is measured on the same code.
 *
 * Threads: any registered thread reads; writers are serialised by update_lock. A writer must
 * never run inside a read section of the same pubptr (the locking modes would deadlock): a
 * device handler that changes a map defers the change until its dispatch returns.
 * Read sections of one pubptr must not nest (a mutex is not recursive; a nested rwlock read
 * can deadlock behind a waiting writer). Lock order: update_lock, then rwlock/mutex.
 */
#ifndef STRAND_UTIL_PUBPTR_H
#define STRAND_UTIL_PUBPTR_H

#include <pthread.h>
#include <stdbool.h>

#include "util/compiler.h"

enum pubptr_mode {
	PUBPTR_RCU = 0,
	PUBPTR_RWLOCK,
	PUBPTR_MUTEX,
};

const char *pubptr_mode_name(enum pubptr_mode mode);
int __must_check pubptr_mode_parse(const char *s, enum pubptr_mode *out);

struct pubptr {
	enum pubptr_mode mode; /* fixed after init */
	void *cur;	       /* the published table: atomic (RCU) or under the lock */
	void (*free_fn)(void *);
	pthread_mutex_t update_lock; /* serialises writers */
	pthread_mutex_t mutex;	     /* PUBPTR_MUTEX */
	pthread_rwlock_t rwlock;     /* PUBPTR_RWLOCK */
	uint64_t generation;	     /* bumped per publish; under update_lock, read atomically */
	bool live;		     /* readers may exist: set by pubptr_go_live, never cleared */
};

void pubptr_init(struct pubptr *p, enum pubptr_mode mode, void *initial, void (*free_fn)(void *));
/* Frees the current table. No reader or writer may be active. */
void pubptr_destroy(struct pubptr *p);

/*
 * Until pubptr_go_live() the owner promises that no other thread reads the table (the VM is
 * being built), so a replaced table is freed at once instead of after a grace period: the
 * builder makes dozens of updates and none of them should wait or start liburcu's call_rcu
 * thread. Called by the owner before any reader thread starts.
 */
void pubptr_go_live(struct pubptr *p);

/* Enter a read section and return the current table (valid until pubptr_read_end). */
void *pubptr_read_begin(struct pubptr *p);
void pubptr_read_end(struct pubptr *p);

/* Writers: begin returns the current table to copy from, holding update_lock. */
void *pubptr_update_begin(struct pubptr *p);
/* Publish `next` and retire the old table (freed once no reader can hold it). */
void pubptr_update_commit(struct pubptr *p, void *next);
void pubptr_update_abort(struct pubptr *p);

static inline uint64_t pubptr_generation(const struct pubptr *p)
{
	return __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);
}

#endif
