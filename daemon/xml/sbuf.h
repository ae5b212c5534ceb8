/*
 * sbuf.h - a growing string buffer with XML escaping, for the domain formatter and the argv
 * builder (daemon/xml only). Owned by one thread. An allocation failure sets `oom` and turns
 * every later call into a no-op, so callers check once at the end.
 */
#ifndef STRAND_DAEMON_XML_SBUF_H
#define STRAND_DAEMON_XML_SBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/compiler.h"

struct sbuf {
	char *p; /* NUL-terminated when len > 0 or after sbuf_take */
	size_t len, cap;
	bool oom;
};

void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void __printf(2, 3) sbuf_printf(struct sbuf *b, const char *fmt, ...);
/* s escaped for XML text (&, <, >, CR) or for a single-quoted attribute (also ', ", TAB, LF). */
void sbuf_xml(struct sbuf *b, const char *s, bool attr);
/* The string (caller frees), or NULL after an allocation failure; the buffer is left empty. */
char *sbuf_take(struct sbuf *b);
void sbuf_free(struct sbuf *b);

#endif
