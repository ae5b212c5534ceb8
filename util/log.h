/*
 * log.h - leveled logging to stderr, and rate-limited logging for guest-caused events.
 *
 * Any thread may log. Each message is written with one write(2), so lines from different
 * threads do not interleave. Hot paths log at debug level only (STYLE.md): debug output is
 * compiled in but filtered by a single relaxed load of the level.
 */
#ifndef STRAND_UTIL_LOG_H
#define STRAND_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Set by the CLI (--log-level) or STRAND_LOG; default LOG_WARN. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug"; returns -EINVAL on anything else. */
int __must_check log_parse_level(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                      \
	do {                                                \
		if (unlikely(log_get_level() >= LOG_DEBUG)) \
			log_msg(LOG_DEBUG, __VA_ARGS__);    \
	} while (0)

/*
 * Rate limit state: at most `burst` messages per `interval_ns`; the count of suppressed
 * messages is reported with the next one that passes. Lock-free; shared by any threads.
 */
struct ratelimit {
	uint64_t interval_ns;
	uint32_t burst;
	uint64_t window_start_ns; /* atomic */
	uint32_t printed;	  /* atomic, in the current window */
	uint64_t suppressed;	  /* atomic, since the last printed message */
};

#define RATELIMIT_INIT(interval_ms, burst_)                                          \
	{                                                                            \
		.interval_ns = (uint64_t)(interval_ms)*1000000ULL, .burst = (burst_) \
	}

/* Returns true if the caller may log now; *suppressed gets the count skipped before it. */
bool ratelimit_allow(struct ratelimit *rl, uint64_t *suppressed);

/* Log a guest-caused event at warn level, at most 10 per 5 s per call site. */
#define log_guest(...)                                                         \
	do {                                                                   \
		static struct ratelimit rl_ = RATELIMIT_INIT(5000, 10);        \
		uint64_t sup_;                                                 \
		if (ratelimit_allow(&rl_, &sup_)) {                            \
			if (sup_)                                              \
				log_warn("(%llu similar messages suppressed)", \
					 (unsigned long long)sup_);            \
			log_warn(__VA_ARGS__);                                 \
		}                                                              \
	} while (0)

#endif
