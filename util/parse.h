/*
 * parse.h - parsing of user input: numbers, sizes, booleans and "key=value,..." option strings.
 *
 * Pure functions, any thread. Every parser returns 0 or -EINVAL (malformed) / -ERANGE (does not
 * fit) and never prints: the caller names the option in its message.
 */
#ifndef STRAND_UTIL_PARSE_H
#define STRAND_UTIL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

/* Unsigned decimal or 0x-hex integer, the whole string, no sign. */
int __must_check parse_u64(const char *s, uint64_t *out);
int __must_check parse_u32(const char *s, uint32_t *out);

/*
 * A size: a number with an optional binary suffix K, M, G, T (also KiB, MiB, GiB, TiB, and
 * lowercase). A bare number is multiplied by default_unit (1 for bytes, MiB for --memory as in
 * QEMU). Overflow gives -ERANGE.
 */
int __must_check parse_size(const char *s, uint64_t default_unit, uint64_t *out);

/* Duration with suffix ns, us, ms, s; a bare number is in default_unit_ns. */
int __must_check parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out);

/* on/off, yes/no, true/false, 1/0. */
int __must_check parse_bool(const char *s, bool *out);

/* Format a byte count with a binary unit ("512 MiB", "1.5 GiB") into buf. */
const char *fmt_size(uint64_t bytes, char *buf, unsigned len);

/*
 * An option string "v0,key=val,key2=val2". The first element may lack '=' when an implicit key
 * is given ("512M,policy=bind" with implicit key "size"). ",," stands for a literal comma in a
 * value. Keys may repeat; opts_get returns the last. opts_unused names the first key nobody
 * asked for, so typos are reported instead of ignored.
 */
#define OPTS_MAX 32

struct opts {
	char *buf;
	unsigned n;
	struct {
		const char *key;
		const char *val;
		bool used;
	} item[OPTS_MAX];
};

int __must_check opts_parse(struct opts *o, const char *s, const char *implicit_key);
void opts_free(struct opts *o);
/* Value of key (marking it used), or NULL if absent. */
const char *opts_get(struct opts *o, const char *key);
/* First key that no opts_get asked for, or NULL. */
const char *opts_unused(const struct opts *o);

#endif
