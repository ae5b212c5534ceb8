/* embedded.c - lookup in the generated table of embedded micro-guests. Any thread. */
#include <string.h>

#include "core/guest/embedded.h"

const struct embedded_guest *embedded_guest_find(const char *name)
{
	for (unsigned i = 0; i < embedded_guest_count; i++) {
		if (strcmp(embedded_guests[i].name, name) == 0)
			return &embedded_guests[i];
	}
	return NULL;
}
