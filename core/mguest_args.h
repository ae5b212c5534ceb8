/*
 * mguest_args.h - the argument table of a micro-guest image (SG_ARGS in its source, the
 * ".sg_args" section of its ELF; struct sg_arg_desc in core/guest/abi.h): read it from the
 * image, check the user's "key=value,..." against it, print it. The image may be a user's
 * file: every offset and string is checked. Pure over buffers; main thread, before any VM.
 */
#ifndef STRAND_CORE_MGUEST_ARGS_H
#define STRAND_CORE_MGUEST_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/guest/abi.h"
#include "util/compiler.h"
#include "util/errbuf.h"

struct mguest_args {
	struct sg_arg_desc *desc; /* a checked copy of the image's table (malloc'd) */
	unsigned n;
};

/*
 * Find the table in an ELF image. Returns 0 (t filled; n may be 0: a guest without
 * arguments), -ENOENT (no ".sg_args" section: an image built without the table), -EINVAL (a
 * malformed table or ELF; *why names it) or -ENOMEM.
 */
int __must_check mguest_args_read(const uint8_t *img, size_t len, struct mguest_args *t,
				  const char **why);
void mguest_args_free(struct mguest_args *t);

/* The declaration of key, or NULL. */
const struct sg_arg_desc *mguest_args_find(const struct mguest_args *t, const char *key);

/*
 * Check args ("key=value,key=value", may be NULL or empty) against the table: unknown keys,
 * keys given twice, missing values, values of the wrong type or out of range. Returns 0 or
 * -EINVAL with a one-line message in err naming the guest, the argument and what it takes.
 */
int __must_check mguest_args_check(const struct mguest_args *t, const char *guest, const char *args,
				   struct errbuf *err);

/*
 * Read the table of an image and check args against it (label names the guest in messages,
 * e.g. "--guest exitlat"). An image without a table (built before SG_ARGS) passes unchecked.
 * Returns 0, -EINVAL with err filled, or -ENOMEM.
 */
int __must_check mguest_args_check_image(const uint8_t *img, size_t len, const char *label,
					 const char *args, struct errbuf *err);

/* What the argument takes, e.g. "an integer in 1..100000000", "one of pio|mmio|both". */
void mguest_args_describe(const struct sg_arg_desc *d, char *buf, size_t size);

/* The table as `strand guests NAME` prints it: name, type, range, default, help. */
void mguest_args_print(const struct mguest_args *t, FILE *f);

#endif
