/*
 * errbuf.h - a message buffer for user-facing errors, filled where the context is and printed
 * once by the caller (STYLE.md: report once). Owned by one thread.
 */
#ifndef STRAND_UTIL_ERRBUF_H
#define STRAND_UTIL_ERRBUF_H

#include <stdarg.h>
#include <stdio.h>

#include "util/compiler.h"

struct errbuf {
	char msg[512];
};

static inline int __printf(3, 4) errbuf_set(struct errbuf *e, int ret, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}

#endif
