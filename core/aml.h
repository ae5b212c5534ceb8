/*
 * aml.h - a minimal ACPI Machine Language (AML) encoder for the tables strand generates: scopes,
 * devices, named objects, integers, strings, EISA ids, packages, buffers, resource templates
 * (I/O port, 32-bit fixed memory, extended interrupt descriptors), operation regions and their
 * fields, and control methods with the few statements strand's methods need (Store, If, And,
 * LEqual, Notify, locals and arguments). ACPI 6.x, section 20.
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

/*
 * Control methods. AML is prefix notation: each operator call below emits its opcode and the
 * caller then emits its operands, in the order given, as data objects, references or nested
 * operators. Example, `If ((Local0 & One) == One) { Notify (\_SB.PWRB, 0x80) }`:
 *   aml_if_begin(a); aml_lequal(a); aml_and(a); aml_local(a, 0); aml_integer(a, 1);
 *   aml_null_target(a); aml_integer(a, 1); aml_notify(a); aml_path(a, "\\_SB.PWRB");
 *   aml_integer(a, 0x80); aml_end(a);
 */
/* Method (NAME, nargs, Serialized or NotSerialized) { ... }: nargs 0..7; close with aml_end. */
void aml_method_begin(struct aml *a, const char *name, unsigned nargs, bool serialized);
/* If (<predicate>) { <body> }: emit the predicate, then the body, then aml_end. */
void aml_if_begin(struct aml *a);
void aml_store(struct aml *a);			/* Store (<source>, <target>) */
void aml_and(struct aml *a);			/* And (<operand>, <operand>, <target>) */
void aml_lequal(struct aml *a);			/* LEqual (<operand>, <operand>) */
void aml_notify(struct aml *a);			/* Notify (<object>, <value>) */
void aml_path(struct aml *a, const char *name); /* a reference to the named object */
void aml_local(struct aml *a, unsigned n);	/* Local0..Local7 */
void aml_arg(struct aml *a, unsigned n);	/* Arg0..Arg6 */
void aml_null_target(struct aml *a);		/* an operator's result goes nowhere */

/* OperationRegion (NAME, space, offset, len) */
#define AML_SPACE_SYSTEM_MEMORY 0
#define AML_SPACE_SYSTEM_IO	1
void aml_opregion(struct aml *a, const char *name, uint8_t space, uint64_t offset, uint64_t len);

/*
 * Field (REGION, access, NoLock, update) { units }: then aml_field_unit / aml_field_skip for
 * each part of the region in order, then aml_end. Unit names are single NameSegs.
 */
#define AML_FIELD_ANY_ACC	 0x0
#define AML_FIELD_BYTE_ACC	 0x1
#define AML_FIELD_WORD_ACC	 0x2
#define AML_FIELD_DWORD_ACC	 0x3
#define AML_FIELD_QWORD_ACC	 0x4
#define AML_FIELD_PRESERVE	 (0x0 << 5)
#define AML_FIELD_WRITE_AS_ONES	 (0x1 << 5)
#define AML_FIELD_WRITE_AS_ZEROS (0x2 << 5)
void aml_field_begin(struct aml *a, const char *region, unsigned access, unsigned update);
void aml_field_unit(struct aml *a, const char *name, uint32_t bits); /* bits 1..2^28-1 */
void aml_field_skip(struct aml *a, uint32_t bits);		     /* Offset (): unnamed bits */

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
