/* sbuf.c - growing string buffer with XML escaping (sbuf.h). Any thread, one buffer each. */
#include "daemon/xml/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct sbuf *b, size_t more)
{
	size_t want;
	char *p;

	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	want = b->cap ? b->cap : 256;
	while (want < b->len + more + 1) {
		if (want > ((size_t)1 << 40)) {
			b->oom = true;
			return false;
		}
		want *= 2;
	}
	p = realloc(b->p, want);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = want;
	return true;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sbuf_xml(struct sbuf *b, const char *s, bool attr)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\r':
			/* A raw CR would be read back as LF: keep it as a character reference. */
			rep = "&#13;";
			break;
		case '\'':
			rep = attr ? "&apos;" : NULL;
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\t':
			/* Attribute values are normalised (TAB and LF read back as spaces). */
			rep = attr ? "&#9;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		default:
			break;
		}
		if (!rep)
			continue;
		sbuf_add(b, run, (size_t)(s - run));
		sbuf_puts(b, rep);
		run = s + 1;
	}
	sbuf_add(b, run, (size_t)(s - run));
}

char *sbuf_take(struct sbuf *b)
{
	char *p;

	if (b->oom) {
		sbuf_free(b);
		return NULL;
	}
	if (!reserve(b, 0)) {
		sbuf_free(b);
		return NULL;
	}
	p = b->p;
	p[b->len] = '\0';
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}
