/* aml.c - a minimal AML encoder (ACPI 6.x, section 20.2). Pure code, see aml.h. */
#include <errno.h>
#include <string.h>

#include "core/aml.h"

#define AML_ZERO	  0x00
#define AML_ONE		  0x01
#define AML_ONES	  0xff
#define AML_NULL_NAME	  0x00
#define AML_NAME_OP	  0x08
#define AML_BYTE_PREFIX	  0x0a
#define AML_WORD_PREFIX	  0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP	  0x10
#define AML_BUFFER_OP	  0x11
#define AML_PACKAGE_OP	  0x12
#define AML_METHOD_OP	  0x14
#define AML_LOCAL0_OP	  0x60
#define AML_ARG0_OP	  0x68
#define AML_STORE_OP	  0x70
#define AML_AND_OP	  0x7b
#define AML_NOTIFY_OP	  0x86
#define AML_LEQUAL_OP	  0x93
#define AML_IF_OP	  0xa0
#define AML_EXT_OP_PREFIX 0x5b
#define AML_OPREGION_OP	  0x80 /* after the ExtOpPrefix */
#define AML_FIELD_OP	  0x81 /* after the ExtOpPrefix */
#define AML_DEVICE_OP	  0x82 /* after the ExtOpPrefix */
#define AML_ROOT_CHAR	  '\\'
#define AML_PARENT_PREFIX '^'
#define AML_DUAL_NAME	  0x2e
#define AML_MULTI_NAME	  0x2f

#define PKGLEN_MAX	  ((1u << 28) - 1)
#define RES_END_TAG	  0x79

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

int aml_finish(const struct aml *a, size_t *len)
{
	if (a->err)
		return a->err;
	if (a->depth)
		return -EINVAL;
	*len = a->len;
	return 0;
}

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_raw(struct aml *a, const void *data, size_t len)
{
	if (a->err)
		return;
	if (len > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, data, len);
	a->len += len;
}

static void put8(struct aml *a, uint8_t v)
{
	aml_raw(a, &v, 1);
}

static void put_le(struct aml *a, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_raw(a, b, bytes);
}

static bool lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

/* One NameSeg from s (up to '.' or the end), padded with '_'. Returns its length or -1. */
static int name_seg(const char *s, uint8_t seg[4])
{
	int n = 0;

	while (s[n] && s[n] != '.') {
		if (n == 4 || !(n == 0 ? lead_char(s[n]) : name_char(s[n])))
			return -1;
		seg[n] = (uint8_t)s[n];
		n++;
	}
	if (n == 0)
		return -1;
	for (int i = n; i < 4; i++)
		seg[i] = '_';
	return n;
}

static void name_string(struct aml *a, const char *name)
{
	uint8_t segs[255][4];
	unsigned nseg = 0;
	const char *p = name;

	if (*p == AML_ROOT_CHAR) {
		put8(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == AML_PARENT_PREFIX) {
			put8(a, AML_PARENT_PREFIX);
			p++;
		}
	}
	for (;;) {
		int n;

		if (nseg == ARRAY_SIZE(segs)) {
			fail(a, -EINVAL);
			return;
		}
		n = name_seg(p, segs[nseg]);
		if (n < 0) {
			fail(a, -EINVAL);
			return;
		}
		nseg++;
		p += n;
		if (*p == 0)
			break;
		p++; /* '.' */
	}
	if (nseg == 2) {
		put8(a, AML_DUAL_NAME);
	} else if (nseg > 2) {
		put8(a, AML_MULTI_NAME);
		put8(a, (uint8_t)nseg);
	}
	aml_raw(a, segs, 4 * nseg);
}

/* Reserve 4 bytes for a PkgLength; aml_end() writes it and closes the gap. */
static void open_pkg(struct aml *a)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		fail(a, -EINVAL);
		return;
	}
	a->open[a->depth++] = a->len;
	put_le(a, 0, 4);
}

/* Bytes a PkgLength encoding of v takes: 1 up to 63, else 2..4 bytes of 4 + 8k bits; 0: too big. */
static unsigned pkglen_size(uint32_t v)
{
	if (v <= 0x3f)
		return 1;
	if (v <= 0xfff)
		return 2;
	if (v <= 0xfffff)
		return 3;
	if (v <= PKGLEN_MAX)
		return 4;
	return 0;
}

static void pkglen_encode(uint8_t *p, uint32_t v, unsigned nbytes)
{
	if (nbytes == 1) {
		p[0] = (uint8_t)v;
		return;
	}
	p[0] = (uint8_t)(((nbytes - 1) << 6) | (v & 0xf));
	for (unsigned i = 1; i < nbytes; i++)
		p[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
}

void aml_end(struct aml *a)
{
	size_t at, body;
	unsigned nbytes;

	if (a->err)
		return;
	if (a->depth == 0) {
		fail(a, -EINVAL);
		return;
	}
	at = a->open[--a->depth];
	body = a->len - (at + 4);
	/* The PkgLength of an object counts itself: the smallest encoding that holds the total. */
	for (nbytes = 1; nbytes <= 4; nbytes++) {
		unsigned need = body <= PKGLEN_MAX - 4 ? pkglen_size((uint32_t)(body + nbytes)) : 0;

		if (need && need <= nbytes)
			break;
	}
	if (nbytes > 4) {
		fail(a, -EINVAL);
		return;
	}
	pkglen_encode(a->buf + at, (uint32_t)(body + nbytes), nbytes);
	memmove(a->buf + at + nbytes, a->buf + at + 4, body);
	a->len -= 4 - nbytes;
}

void aml_name(struct aml *a, const char *name)
{
	put8(a, AML_NAME_OP);
	name_string(a, name);
}

void aml_scope_begin(struct aml *a, const char *name)
{
	put8(a, AML_SCOPE_OP);
	open_pkg(a);
	name_string(a, name);
}

void aml_device_begin(struct aml *a, const char *name)
{
	put8(a, AML_EXT_OP_PREFIX);
	put8(a, AML_DEVICE_OP);
	open_pkg(a);
	name_string(a, name);
}

void aml_package_begin(struct aml *a, unsigned nelems)
{
	if (nelems > 255) {
		fail(a, -EINVAL);
		return;
	}
	put8(a, AML_PACKAGE_OP);
	open_pkg(a);
	put8(a, (uint8_t)nelems);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		put8(a, AML_ZERO);
	} else if (v == 1) {
		put8(a, AML_ONE);
	} else if (v == UINT64_MAX) {
		put8(a, AML_ONES);
	} else if (v <= UINT8_MAX) {
		put8(a, AML_BYTE_PREFIX);
		put_le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		put8(a, AML_WORD_PREFIX);
		put_le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		put8(a, AML_DWORD_PREFIX);
		put_le(a, v, 4);
	} else {
		put8(a, AML_QWORD_PREFIX);
		put_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			fail(a, -EINVAL);
			return;
		}
	}
	put8(a, AML_STRING_PREFIX);
	aml_raw(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	/* Three letters of 5 bits each (A = 1), then four hex digits; stored big-endian. */
	if (strlen(id) != 7) {
		fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, -EINVAL);
			return;
		}
		v = (v << 5) | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);

		if (d < 0) {
			fail(a, -EINVAL);
			return;
		}
		v = (v << 4) | (uint32_t)d;
	}
	put8(a, AML_DWORD_PREFIX);
	put_le(a, __builtin_bswap32(v), 4);
}

void aml_buffer(struct aml *a, const uint8_t *data, size_t len)
{
	put8(a, AML_BUFFER_OP);
	open_pkg(a);
	aml_integer(a, len);
	aml_raw(a, data, len);
	aml_end(a);
}

void aml_res_init(struct aml_res *r)
{
	memset(r, 0, sizeof(*r));
}

static void res_put(struct aml_res *r, const uint8_t *b, size_t n)
{
	if (r->overflow || n > sizeof(r->b) - 2 - r->len) { /* keep room for the end tag */
		r->overflow = true;
		return;
	}
	memcpy(r->b + r->len, b, n);
	r->len += n;
}

void aml_res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	/* Small item 0x08 (I/O port), length 7: decode16, min, max, alignment, length. */
	uint8_t d[8] = {
		0x47,  0x01, (uint8_t)min, (uint8_t)(min >> 8), (uint8_t)max, (uint8_t)(max >> 8),
		align, len,
	};

	res_put(r, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml_res *r, bool writable, uint32_t base, uint32_t len)
{
	/* Large item 0x06 (32-bit fixed memory range), length 9. */
	uint8_t d[12] = { 0x86, 9, 0, writable ? 1 : 0 };

	for (int i = 0; i < 4; i++) {
		d[4 + i] = (uint8_t)(base >> (8 * i));
		d[8 + i] = (uint8_t)(len >> (8 * i));
	}
	res_put(r, d, sizeof(d));
}

void aml_res_interrupt(struct aml_res *r, unsigned flags, uint32_t gsi)
{
	/* Large item 0x09 (extended interrupt), length 6: flags (bit 0: consumer), one GSI. */
	uint8_t d[9] = {
		0x89,
		6,
		0,
		(uint8_t)(0x01 | (flags & (AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED |
					   AML_IRQ_WAKE))),
		1,
		(uint8_t)gsi,
		(uint8_t)(gsi >> 8),
		(uint8_t)(gsi >> 16),
		(uint8_t)(gsi >> 24),
	};

	res_put(r, d, sizeof(d));
}

void aml_resources(struct aml *a, const struct aml_res *r)
{
	uint8_t b[sizeof(r->b)];

	if (r->overflow) {
		fail(a, -ENOSPC);
		return;
	}
	memcpy(b, r->b, r->len);
	b[r->len] = RES_END_TAG;
	b[r->len + 1] = 0; /* checksum 0: "the template is correct" */
	aml_buffer(a, b, r->len + 2);
}

void aml_method_begin(struct aml *a, const char *name, unsigned nargs, bool serialized)
{
	if (nargs > 7) {
		fail(a, -EINVAL);
		return;
	}
	put8(a, AML_METHOD_OP);
	open_pkg(a);
	name_string(a, name);
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag in bit 3, SyncLevel 0. */
	put8(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void aml_if_begin(struct aml *a)
{
	put8(a, AML_IF_OP);
	open_pkg(a);
}

void aml_store(struct aml *a)
{
	put8(a, AML_STORE_OP);
}

void aml_and(struct aml *a)
{
	put8(a, AML_AND_OP);
}

void aml_lequal(struct aml *a)
{
	put8(a, AML_LEQUAL_OP);
}

void aml_notify(struct aml *a)
{
	put8(a, AML_NOTIFY_OP);
}

void aml_path(struct aml *a, const char *name)
{
	name_string(a, name);
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7) {
		fail(a, -EINVAL);
		return;
	}
	put8(a, (uint8_t)(AML_LOCAL0_OP + n));
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6) {
		fail(a, -EINVAL);
		return;
	}
	put8(a, (uint8_t)(AML_ARG0_OP + n));
}

void aml_null_target(struct aml *a)
{
	put8(a, AML_NULL_NAME);
}

void aml_opregion(struct aml *a, const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
	put8(a, AML_EXT_OP_PREFIX);
	put8(a, AML_OPREGION_OP);
	name_string(a, name);
	put8(a, space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

void aml_field_begin(struct aml *a, const char *region, unsigned access, unsigned update)
{
	if (access > AML_FIELD_QWORD_ACC || (update & ~0x60u) || update == 0x60) {
		fail(a, -EINVAL);
		return;
	}
	put8(a, AML_EXT_OP_PREFIX);
	put8(a, AML_FIELD_OP);
	open_pkg(a);
	name_string(a, region);
	put8(a, (uint8_t)(access | update)); /* LockRule (bit 4) NoLock */
}

/* A field unit's PkgLength is its width in bits; unlike an object's, it does not count itself. */
static void field_bits(struct aml *a, uint32_t bits)
{
	uint8_t b[4];
	unsigned n = pkglen_size(bits);

	if (bits == 0 || n == 0) {
		fail(a, -EINVAL);
		return;
	}
	pkglen_encode(b, bits, n);
	aml_raw(a, b, n);
}

void aml_field_unit(struct aml *a, const char *name, uint32_t bits)
{
	uint8_t seg[4];

	if (name_seg(name, seg) < 0 || strchr(name, '.')) {
		fail(a, -EINVAL);
		return;
	}
	aml_raw(a, seg, 4);
	field_bits(a, bits);
}

void aml_field_skip(struct aml *a, uint32_t bits)
{
	put8(a, AML_NULL_NAME); /* ReservedField */
	field_bits(a, bits);
}
