/* parse.c - user input parsers. Pure, any thread. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int ret = parse_u64(s, &v);

	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* Split "123abc" into the number and a suffix pointer; number may be decimal with a fraction. */
static int split_number(const char *s, double *num, uint64_t *inum, bool *is_int, const char **suf)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*inum = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*is_int = true;
	if (*end == '.') {
		*num = strtod(s, &end);
		*is_int = false;
	} else {
		*num = (double)*inum;
	}
	*suf = end;
	return 0;
}

static int scale(uint64_t inum, double num, bool is_int, uint64_t mult, uint64_t *out)
{
	if (is_int) {
		if (mult && inum > UINT64_MAX / mult)
			return -ERANGE;
		*out = inum * mult;
		return 0;
	}
	if (num * (double)mult >= 18446744073709551615.0)
		return -ERANGE;
	*out = (uint64_t)(num * (double)mult);
	return 0;
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 0 },
		{ "b", 1 },
		{ "B", 1 },
		{ "k", KiB },
		{ "K", KiB },
		{ "KiB", KiB },
		{ "KB", KiB },
		{ "m", MiB },
		{ "M", MiB },
		{ "MiB", MiB },
		{ "MB", MiB },
		{ "g", GiB },
		{ "G", GiB },
		{ "GiB", GiB },
		{ "GB", GiB },
		{ "t", 1024 * GiB },
		{ "T", 1024 * GiB },
		{ "TiB", 1024 * GiB },
		{ "TB", 1024 * GiB },
	};
	const char *suf;
	uint64_t inum;
	double num;
	bool is_int;
	int ret = split_number(s, &num, &inum, &is_int, &suf);

	if (ret)
		return ret;
	for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(suf, units[i].suffix) == 0) {
			uint64_t mult = units[i].mult ? units[i].mult : default_unit;

			if (!is_int && mult == 1)
				return -EINVAL;
			return scale(inum, num, is_int, mult, out);
		}
	}
	return -EINVAL;
}

int parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 0 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	const char *suf;
	uint64_t inum;
	double num;
	bool is_int;
	int ret = split_number(s, &num, &inum, &is_int, &suf);

	if (ret)
		return ret;
	for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(suf, units[i].suffix) == 0)
			return scale(inum, num, is_int,
				     units[i].mult ? units[i].mult : default_unit_ns, out);
	}
	return -EINVAL;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (unsigned i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fmt_size(uint64_t bytes, char *buf, unsigned len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	double v = (double)bytes;

	while (v >= 1024.0 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024.0;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

int opts_parse(struct opts *o, const char *s, const char *implicit_key)
{
	size_t len = strlen(s);
	char *w, *item_start;

	memset(o, 0, sizeof(*o));
	o->buf = malloc(len + 1);
	if (!o->buf)
		return -ENOMEM;
	/* Copy, turning ",," into "," and single commas into item separators (NUL). */
	w = o->buf;
	item_start = w;
	for (size_t i = 0; i <= len; i++) {
		if (s[i] == ',' && s[i + 1] == ',') {
			*w++ = ',';
			i++;
			continue;
		}
		if (s[i] == ',' || s[i] == '\0') {
			char *eq;

			*w++ = '\0';
			if (*item_start == '\0') {
				if (s[i] == '\0' && o->n > 0)
					break;
				goto invalid;
			}
			if (o->n == OPTS_MAX)
				goto invalid;
			eq = strchr(item_start, '=');
			if (eq) {
				*eq = '\0';
				if (eq == item_start)
					goto invalid;
				o->item[o->n].key = item_start;
				o->item[o->n].val = eq + 1;
			} else if (o->n == 0 && implicit_key) {
				o->item[o->n].key = implicit_key;
				o->item[o->n].val = item_start;
			} else {
				/* A bare word is a flag: "readonly" means readonly=on. */
				o->item[o->n].key = item_start;
				o->item[o->n].val = "on";
			}
			o->n++;
			item_start = w;
			continue;
		}
		*w++ = s[i];
	}
	return 0;
invalid:
	opts_free(o);
	return -EINVAL;
}

void opts_free(struct opts *o)
{
	free(o->buf);
	o->buf = NULL;
	o->n = 0;
}

const char *opts_get(struct opts *o, const char *key)
{
	const char *val = NULL;

	for (unsigned i = 0; i < o->n; i++) {
		if (strcmp(o->item[i].key, key) == 0) {
			o->item[i].used = true;
			val = o->item[i].val;
		}
	}
	return val;
}

const char *opts_unused(const struct opts *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		if (!o->item[i].used)
			return o->item[i].key;
	}
	return NULL;
}
