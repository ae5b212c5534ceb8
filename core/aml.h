/*
 * aml.h - a minimal ACPI Machine Language (AML) encoder for the tables strand generates: scopes,
 * devices, named objects, integers, strings, EISA ids, packages, buffers and resource templates
 * (I/O port, 32-bit fixed memory, extended interrupt descriptors). ACPI 6.x, section 20.
 *
 * Output goes into a caller-provided buffer. Errors are sticky: the first failure (buffer full,
 * bad name, nesting too deep, unbalanced end) is kept in aml->err and later calls do nothing, so
 * a whole table is written and checked once with aml_finish(). Pure code, any thread (one
 * builder per thread).
 */
#ifndef STRAND_CORE_AML_H
#define STRAND_CORE_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err; /* 0, -ENOSPC (buffer full), -EINVAL (bad name, value or nesting) */
	unsigned depth;
	size_t open[AML_MAX_DEPTH]; /* offset of each open PkgLength placeholder */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
/* Bytes written, or a negative errno if anything failed or a scope is still open. */
int __must_check aml_finish(const struct aml *a, size_t *len);

/*
 * Names: one NameSeg of 1..4 characters ([A-Z_][A-Z0-9_]*, padded with '_'), optionally after
 * a root '\' or parent '^' prefixes, or a dotted path of NameSegs ("\_SB.COM1").
 */
void aml_name(struct aml *a, const char *name); /* Name (NAME, <the next object>) */
void aml_scope_begin(struct aml *a, const char *name);
void aml_device_begin(struct aml *a, const char *name);
/* Package (nelems) { ... }: the caller emits exactly nelems data objects, 0..255. */
void aml_package_begin(struct aml *a, unsigned nelems);
void aml_end(struct aml *a); /* closes the innermost open object */

/* Data objects. */
void aml_integer(struct aml *a, uint64_t v);	/* Zero, One, Ones or the shortest prefix */
void aml_string(struct aml *a, const char *s);	/* printable ASCII */
void aml_eisaid(struct aml *a, const char *id); /* "PNP0501" -> compressed 32-bit EISA id */
void aml_buffer(struct aml *a, const uint8_t *data, size_t len);
void aml_raw(struct aml *a, const void *data, size_t len);

/* Resource template (the contents of a _CRS buffer): descriptors, then aml_resources(). */
struct aml_res {
	uint8_t b[512];
	size_t len;
	bool overflow;
};

#define AML_IRQ_EDGE	   (1u << 1) /* else level */
#define AML_IRQ_ACTIVE_LOW (1u << 2) /* else active high */
#define AML_IRQ_SHARED	   (1u << 3) /* else exclusive */
#define AML_IRQ_WAKE	   (1u << 4)

void aml_res_init(struct aml_res *r);
/* IO (Decode16, min, max, align, len) */
void aml_res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
/* Memory32Fixed (ReadWrite or ReadOnly, base, len) */
void aml_res_mem32_fixed(struct aml_res *r, bool writable, uint32_t base, uint32_t len);
/* Interrupt (ResourceConsumer, flags, ...) {gsi} */
void aml_res_interrupt(struct aml_res *r, unsigned flags, uint32_t gsi);
/* Emit a Buffer holding the descriptors and an end tag. */
void aml_resources(struct aml *a, const struct aml_res *r);

#endif
