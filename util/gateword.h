/*
 * gateword.h - a gate word two processes share (a futex in a MAP_SHARED file): one side parks
 * a thread by setting GATEWORD_PARK, the parked thread sleeps on the word, the other side
 * releases it by clearing the bit and waking the word. GATEWORD_STOP is set by the parked
 * thread's own process when it stops: a word with STOP never reads PARK alone again, so no
 * thread sleeps on it any more whatever the other side writes. Used by the shared vCPU gate
 * (monitor/vcpu_gate.h: the file) and the vCPU run loop (core/vcpu.c: the sleeper).
 *
 * Threads: any; every access is atomic; the bits are changed only with atomic or/and, never
 * stored whole, so the two sides' bits never overwrite each other.
 */
#ifndef STRAND_UTIL_GATEWORD_H
#define STRAND_UTIL_GATEWORD_H

#include <limits.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GATEWORD_PARK 1u
#define GATEWORD_STOP 2u

/* Shared futex operations (not FUTEX_PRIVATE_FLAG: the word is in another process too). */
static inline void gateword_futex(uint32_t *w, int op, uint32_t val)
{
	syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Whether the word parks its thread now: PARK set and STOP not. */
static inline bool gateword_parked(const uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_ACQUIRE) == GATEWORD_PARK;
}

/*
 * The parked thread: sleep while the word parks it. Returns at once if it changed since the
 * caller read it, on a wake, or on a signal: the caller reads the word again either way.
 */
static inline void gateword_wait(uint32_t *w)
{
	gateword_futex(w, FUTEX_WAIT, GATEWORD_PARK);
}

/* The other side: park (set; the caller then kicks the thread) or release (clear, wake). */
static inline void gateword_set(uint32_t *w, bool park)
{
	if (park) {
		__atomic_fetch_or(w, GATEWORD_PARK, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_and(w, ~GATEWORD_PARK, __ATOMIC_RELEASE);
	gateword_futex(w, FUTEX_WAKE, INT_MAX);
}

/* The parked thread's process stops: the word never parks again; wake a sleeper. */
static inline void gateword_stop(uint32_t *w)
{
	__atomic_fetch_or(w, GATEWORD_STOP, __ATOMIC_RELEASE);
	gateword_futex(w, FUTEX_WAKE, INT_MAX);
}

#endif
