/*
 * embedded.h - the micro-guest images built into the strand binary (generated table).
 * Read-only data; any thread.
 */
#ifndef STRAND_GUEST_EMBEDDED_H
#define STRAND_GUEST_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

struct embedded_guest {
	const char *name;
	const char *description;
	const uint8_t *start;
	const uint8_t *end;
};

extern const struct embedded_guest embedded_guests[];
extern const unsigned embedded_guest_count;

/* The guest called name, or NULL. */
const struct embedded_guest *embedded_guest_find(const char *name);

#endif
