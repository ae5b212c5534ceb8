/* log.c - leveled and rate-limited logging. Any thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/clock.h"

static int log_level = LOG_WARN; /* atomic: read relaxed on every log call */

void log_set_level(enum log_level level)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return (enum log_level)__atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int log_parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	char buf[1024];
	va_list ap;
	int n;

	if ((int)level > __atomic_load_n(&log_level, __ATOMIC_RELAXED))
		return;
	n = snprintf(buf, sizeof(buf), "strand: %s", prefix[level]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write so concurrent lines stay whole; a failed write to stderr has nowhere to go. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

bool ratelimit_allow(struct ratelimit *rl, uint64_t *suppressed)
{
	uint64_t now = now_ns();
	uint64_t start = __atomic_load_n(&rl->window_start_ns, __ATOMIC_RELAXED);

	if (now - start >= rl->interval_ns &&
	    __atomic_compare_exchange_n(&rl->window_start_ns, &start, now, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		__atomic_store_n(&rl->printed, 0, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&rl->printed, 1, __ATOMIC_RELAXED) >= rl->burst) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	*suppressed = __atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);
	return true;
}
