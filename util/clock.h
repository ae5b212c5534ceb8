/* clock.h - monotonic clock helpers. Any thread. */
#ifndef STRAND_UTIL_CLOCK_H
#define STRAND_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

static inline uint64_t time_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	return time_ns(CLOCK_MONOTONIC);
}

/* CPU time consumed by the calling thread, in nanoseconds. */
static inline uint64_t thread_cpu_ns(void)
{
	return time_ns(CLOCK_THREAD_CPUTIME_ID);
}

#endif
