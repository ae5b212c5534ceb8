/*
 * mguest_args.c - a micro-guest's argument table: read from its ELF image, checked against the
 * user's --guest NAME:ARGS, printed by `strand guests NAME`. Main thread, before any VM exists.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mguest_args.h"

#define SECTION ".sg_args"

static bool in_buf(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int check_desc(const struct sg_arg_desc *d, const char **why)
{
	if (!terminated(d->name, sizeof(d->name)) || !d->name[0] ||
	    !terminated(d->dflt_str, sizeof(d->dflt_str)) ||
	    !terminated(d->choices, sizeof(d->choices)) || !terminated(d->help, sizeof(d->help))) {
		*why = "argument table: a name or text is not terminated";
		return -EINVAL;
	}
	switch (d->type) {
	case SG_ARG_TYPE_U64:
		if (d->min > d->max) {
			*why = "argument table: a range with min above max";
			return -EINVAL;
		}
		return 0;
	case SG_ARG_TYPE_BOOL:
	case SG_ARG_TYPE_STR:
		return 0;
	case SG_ARG_TYPE_ENUM:
		if (!d->choices[0]) {
			*why = "argument table: a choice argument without choices";
			return -EINVAL;
		}
		return 0;
	default:
		*why = "argument table: an unknown argument type";
		return -EINVAL;
	}
}

int mguest_args_read(const uint8_t *img, size_t len, struct mguest_args *t, const char **why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	Elf64_Shdr sh, strsh;
	uint64_t shoff;

	memset(t, 0, sizeof(*t));
	*why = "not an ELF64 image";
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	if (eh->e_shnum == 0)
		return -ENOENT;
	shoff = eh->e_shoff;
	*why = "section headers out of the image";
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
	    !in_buf(len, shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return -EINVAL;
	memcpy(&strsh, img + shoff + (uint64_t)eh->e_shstrndx * sizeof(Elf64_Shdr), sizeof(strsh));
	if (!in_buf(len, strsh.sh_offset, strsh.sh_size))
		return -EINVAL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const char *name;

		memcpy(&sh, img + shoff + (uint64_t)i * sizeof(Elf64_Shdr), sizeof(sh));
		if (sh.sh_name >= strsh.sh_size || strsh.sh_size - sh.sh_name < sizeof(SECTION))
			continue;
		name = (const char *)img + strsh.sh_offset + sh.sh_name;
		if (memcmp(name, SECTION, sizeof(SECTION)))
			continue;
		*why = "argument table out of the image or of a wrong size";
		if (sh.sh_type != SHT_PROGBITS || !in_buf(len, sh.sh_offset, sh.sh_size) ||
		    sh.sh_size % sizeof(struct sg_arg_desc) || sh.sh_size > 1024 * 1024)
			return -EINVAL;
		t->n = (unsigned)(sh.sh_size / sizeof(struct sg_arg_desc));
		if (!t->n)
			return 0;
		t->desc = malloc(sh.sh_size);
		if (!t->desc)
			return -ENOMEM;
		memcpy(t->desc, img + sh.sh_offset, sh.sh_size);
		for (unsigned k = 0; k < t->n; k++) {
			int ret = check_desc(&t->desc[k], why);

			if (ret) {
				mguest_args_free(t);
				return ret;
			}
		}
		return 0;
	}
	return -ENOENT;
}

void mguest_args_free(struct mguest_args *t)
{
	free(t->desc);
	t->desc = NULL;
	t->n = 0;
}

const struct sg_arg_desc *mguest_args_find(const struct mguest_args *t, const char *key)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (strcmp(t->desc[i].name, key) == 0)
			return &t->desc[i];
	}
	return NULL;
}

void mguest_args_describe(const struct sg_arg_desc *d, char *buf, size_t size)
{
	switch (d->type) {
	case SG_ARG_TYPE_U64:
		snprintf(buf, size, "an integer in %" PRIu64 "..%" PRIu64, d->min, d->max);
		break;
	case SG_ARG_TYPE_BOOL:
		snprintf(buf, size, "0 or 1");
		break;
	case SG_ARG_TYPE_ENUM:
		snprintf(buf, size, "one of %s", d->choices);
		break;
	default:
		snprintf(buf, size, "text of at most %" PRIu64 " characters", d->max);
		break;
	}
}

/* The guest runtime's number syntax (core/guest/lib.c): decimal with k/m, or 0x hex. */
static int parse_number(const char *v, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t r = 0, mult = 1;

	if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
		len -= 2;
	} else if (len > 1 && strchr("kKmM", v[len - 1])) {
		mult = (v[len - 1] == 'k' || v[len - 1] == 'K') ? 1000 : 1000000;
		len--;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (r > (UINT64_MAX - d) / base)
			return -ERANGE;
		r = r * base + d;
	}
	if (r > UINT64_MAX / mult)
		return -ERANGE;
	*out = r * mult;
	return 0;
}

static bool is_choice(const char *choices, const char *v, size_t len)
{
	const char *p = choices;

	while (*p) {
		const char *end = strchr(p, '|');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && memcmp(p, v, len) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static int check_value(const struct sg_arg_desc *d, const char *v, size_t len)
{
	uint64_t x;
	int ret;

	switch (d->type) {
	case SG_ARG_TYPE_U64:
		ret = parse_number(v, len, &x);
		if (ret)
			return ret;
		return x < d->min || x > d->max ? -ERANGE : 0;
	case SG_ARG_TYPE_BOOL:
		return len == 1 && (v[0] == '0' || v[0] == '1') ? 0 : -EINVAL;
	case SG_ARG_TYPE_ENUM:
		return is_choice(d->choices, v, len) ? 0 : -EINVAL;
	default:
		return len <= d->max ? 0 : -ERANGE;
	}
}

static void key_list(const struct mguest_args *t, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < t->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 t->desc[i].name);
}

int mguest_args_check(const struct mguest_args *t, const char *guest, const char *args,
		      struct errbuf *err)
{
	const char *p = args ? args : "";

	while (*p) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p), klen;
		const struct sg_arg_desc *d = NULL;
		char key[SG_ARG_NAME_MAX + 1], what[160];
		int ret;

		eq = memchr(p, '=', n);
		klen = eq ? (size_t)(eq - p) : n;
		if (klen == 0)
			return errbuf_set(err, -EINVAL, "%s: an argument without a name in '%s'",
					  guest, args);
		if (klen < sizeof(key)) {
			memcpy(key, p, klen);
			key[klen] = '\0';
			d = mguest_args_find(t, key);
		}
		if (!d) {
			char keys[256];

			key_list(t, keys, sizeof(keys));
			if (!t->n)
				return errbuf_set(
					err, -EINVAL,
					"%s: unknown argument '%.*s' (it takes no arguments)",
					guest, (int)klen, p);
			return errbuf_set(err, -EINVAL, "%s: unknown argument '%.*s' (known: %s)",
					  guest, (int)klen, p, keys);
		}
		mguest_args_describe(d, what, sizeof(what));
		for (const char *q = args; q < p;) {
			const char *qe = strchr(q, ',');
			size_t qn = qe ? (size_t)(qe - q) : strlen(q);

			if (qn >= klen && memcmp(q, key, klen) == 0 &&
			    (qn == klen || q[klen] == '='))
				return errbuf_set(err, -EINVAL, "%s: argument '%s' given twice",
						  guest, key);
			q += qn + 1;
		}
		if (!eq || (eq + 1 == p + n && d->type != SG_ARG_TYPE_STR))
			return errbuf_set(err, -EINVAL, "%s: argument '%s' needs a value (%s)",
					  guest, key, what);
		ret = check_value(d, eq + 1, (size_t)(p + n - (eq + 1)));
		if (ret)
			return errbuf_set(err, -EINVAL, "%s: %.*s is %s: %s takes %s", guest,
					  (int)n, p, ret == -ERANGE ? "out of range" : "not valid",
					  key, what);
		p = end ? end + 1 : p + n;
	}
	return 0;
}

int mguest_args_check_image(const uint8_t *img, size_t len, const char *label, const char *args,
			    struct errbuf *err)
{
	struct mguest_args t;
	const char *why = "";
	int ret = mguest_args_read(img, len, &t, &why);

	if (ret == -ENOENT)
		return 0;
	if (ret == -ENOMEM)
		return errbuf_set(err, ret, "%s: out of memory", label);
	if (ret)
		return errbuf_set(err, ret, "%s: %s", label, why);
	ret = mguest_args_check(&t, label, args, err);
	mguest_args_free(&t);
	return ret;
}

void mguest_args_print(const struct mguest_args *t, FILE *f)
{
	if (!t->n) {
		fprintf(f, "no arguments\n");
		return;
	}
	fprintf(f, "%-14s %-6s %-24s %-10s %s\n", "ARGUMENT", "TYPE", "RANGE", "DEFAULT", "HELP");
	for (unsigned i = 0; i < t->n; i++) {
		const struct sg_arg_desc *d = &t->desc[i];
		char range[96], dflt[40];
		const char *type;

		switch (d->type) {
		case SG_ARG_TYPE_U64:
			type = "u64";
			snprintf(range, sizeof(range), "%" PRIu64 "..%" PRIu64, d->min, d->max);
			if (d->dflt == UINT64_MAX)
				snprintf(dflt, sizeof(dflt), "(none)");
			else
				snprintf(dflt, sizeof(dflt), "%" PRIu64, d->dflt);
			break;
		case SG_ARG_TYPE_BOOL:
			type = "bool";
			snprintf(range, sizeof(range), "0|1");
			snprintf(dflt, sizeof(dflt), "%" PRIu64, d->dflt);
			break;
		case SG_ARG_TYPE_ENUM:
			type = "enum";
			snprintf(range, sizeof(range), "%s", d->choices);
			snprintf(dflt, sizeof(dflt), "%s", d->dflt_str);
			break;
		default:
			type = "string";
			snprintf(range, sizeof(range), "<= %" PRIu64 " chars", d->max);
			snprintf(dflt, sizeof(dflt), "%s", d->dflt_str[0] ? d->dflt_str : "(none)");
			break;
		}
		fprintf(f, "%-14s %-6s %-24s %-10s %s\n", d->name, type, range, dflt, d->help);
	}
}
