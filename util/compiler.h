/* compiler.h - attributes and small macros used everywhere. No thread context. */
#ifndef STRAND_UTIL_COMPILER_H
#define STRAND_UTIL_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#define __must_check   __attribute__((warn_unused_result))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn     __attribute__((noreturn))
#define __unused       __attribute__((unused))
#define __packed       __attribute__((packed))
#define __aligned(x)   __attribute__((aligned(x)))

#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)

/* Ours, also where a system header (libtirpc's rpc/types.h) defined its own. */
#undef MIN
#undef MAX
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB	  (1024ULL)
#define MiB	  (1024ULL * KiB)
#define GiB	  (1024ULL * MiB)

/* Guest-physical, host-virtual and guest-virtual addresses never travel as a bare integer. */
typedef uint64_t gpa_t;
typedef uint64_t gva_t;

/*
 * Full memory barrier against another party that is not a host thread (the guest, through
 * shared rings). A locked instruction, as Linux's smp_mb() on x86-64: ThreadSanitizer rejects
 * __atomic_thread_fence, and the guest is not instrumented anyway.
 */
#define smp_mb() __asm__ volatile("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")

/* Relaxed atomics for statistics counters (torn reads are fine, lost updates are not). */
#define stat_inc(p)    __atomic_fetch_add((p), 1, __ATOMIC_RELAXED)
#define stat_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define stat_read(p)   __atomic_load_n((p), __ATOMIC_RELAXED)

#endif
