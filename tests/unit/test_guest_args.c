/*
 * test_guest_args.c - micro-guest argument tables (core/mguest_args.h): every embedded guest has
 * one, every key its source reads is declared in it, and the checker refuses unknown keys, bad
 * types and values out of range with one line naming the argument and its range. No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest/embedded.h"
#include "core/mguest_args.h"

TestSuite(guest_args, .timeout = 30);

static void table_of(const char *name, struct mguest_args *t)
{
	const struct embedded_guest *g = embedded_guest_find(name);
	const char *why = "";

	cr_assert_not_null(g, "no embedded guest %s", name);
	cr_assert_eq(mguest_args_read(g->start, (size_t)(g->end - g->start), t, &why), 0, "%s: %s",
		     name, why);
}

static char *read_source(const char *name)
{
	static const char *const dirs[] = { "bench/guests", "tests/guests" };
	const char *src = getenv("STRAND_SRC");
	char path[4096];

	cr_assert_not_null(src, "STRAND_SRC is not set");
	for (unsigned i = 0; i < 2; i++) {
		FILE *f;
		char *buf;
		long n;

		snprintf(path, sizeof(path), "%s/%s/%s.guest.c", src, dirs[i], name);
		f = fopen(path, "r");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = calloc(1, (size_t)n + 1);
		cr_assert_not_null(buf);
		cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		return buf;
	}
	cr_assert_fail("no source for guest %s", name);
	return NULL;
}

/* Every sg_arg_*("key" in a guest's source names an argument its embedded table declares. */
Test(guest_args, every_key_read_is_declared)
{
	static const char *const readers[] = { "sg_arg_u64(\"", "sg_arg_bool(\"", "sg_arg_str(\"",
					       "sg_arg_is(\"" };
	unsigned keys = 0;

	cr_assert_gt(embedded_guest_count, 0);
	for (unsigned i = 0; i < embedded_guest_count; i++) {
		const char *name = embedded_guests[i].name;
		struct mguest_args t;
		char *src = read_source(name);

		table_of(name, &t);
		for (unsigned r = 0; r < sizeof(readers) / sizeof(readers[0]); r++) {
			for (const char *p = strstr(src, readers[r]); p;
			     p = strstr(p + 1, readers[r])) {
				const char *k = p + strlen(readers[r]), *e = strchr(k, '"');
				char key[64];

				cr_assert_not_null(e);
				snprintf(key, sizeof(key), "%.*s", (int)(e - k), k);
				cr_expect_not_null(
					mguest_args_find(&t, key),
					"%s reads '%s', which its SG_ARGS does not declare", name,
					key);
				keys++;
			}
		}
		/* Every declared argument has its line of help. */
		for (unsigned k = 0; k < t.n; k++)
			cr_expect(t.desc[k].help[0], "%s: %s has no help", name, t.desc[k].name);
		mguest_args_free(&t);
		free(src);
	}
	cr_expect_gt(keys, 40, "only %u argument reads found", keys);
}

#define CHECK_OK(guest, args)                                                        \
	do {                                                                         \
		table_of(guest, &t);                                                 \
		cr_expect_eq(mguest_args_check(&t, "--guest " guest, args, &err), 0, \
			     "%s:%s refused: %s", guest, args, err.msg);             \
		mguest_args_free(&t);                                                \
	} while (0)
#define CHECK_BAD(guest, args, needle)                                                            \
	do {                                                                                      \
		err.msg[0] = 0;                                                                   \
		table_of(guest, &t);                                                              \
		cr_expect_eq(mguest_args_check(&t, "--guest " guest, args, &err), -EINVAL,        \
			     "%s:%s accepted", guest, args);                                      \
		cr_expect(strstr(err.msg, needle), "%s:%s: '%s' does not name '%s'", guest, args, \
			  err.msg, needle);                                                       \
		cr_expect_null(strchr(err.msg, '\n'));                                            \
		mguest_args_free(&t);                                                             \
	} while (0)

Test(guest_args, values_checked_against_the_table)
{
	struct mguest_args t;
	struct errbuf err;

	CHECK_OK("hello", NULL);
	CHECK_OK("hello", "");
	CHECK_OK("exitlat", "iters=1,warmup=0,mode=pio");
	CHECK_OK("exitlat", "iters=100000000");
	CHECK_OK("exitlat", "iters=0x10,warmup=2k");
	CHECK_OK("exitlat", "iters=100m");
	CHECK_OK("idle", "spin=1");
	CHECK_OK("numa", "nodes=0");
	CHECK_OK("blk-hostile", "only=descriptor-loop");
	CHECK_OK("blk-io", "span=18446744073709551615,mode=verify-zero");
	CHECK_BAD("hello", "nosuchkey=1", "unknown argument 'nosuchkey' (it takes no arguments)");
	CHECK_BAD("exitlat", "bogus=1", "unknown argument 'bogus' (known: iters, warmup, mode)");
	CHECK_BAD("exitlat", "iters=-5", "iters takes an integer in 1..100000000");
	CHECK_BAD("exitlat", "iters=99999999999999999999", "is out of range");
	CHECK_BAD("exitlat", "iters=99999999999999999999", "1..100000000");
	CHECK_BAD("exitlat", "iters=0", "iters=0 is out of range");
	CHECK_BAD("exitlat", "iters=100000001", "out of range");
	CHECK_BAD("exitlat", "iters=101m", "out of range");
	CHECK_BAD("exitlat", "iters=20000000000000000k", "out of range");
	CHECK_BAD("exitlat", "iters=12x", "not valid");
	CHECK_BAD("exitlat", "iters=0x", "not valid");
	CHECK_BAD("exitlat", "iters", "needs a value");
	CHECK_BAD("exitlat", "iters=", "needs a value");
	CHECK_BAD("exitlat", "mode=both,mode=pio", "given twice");
	CHECK_BAD("exitlat", "mode=io", "one of pio|mmio|both");
	CHECK_BAD("exitlat", "=5", "without a name");
	CHECK_BAD("exitlat", "iters=5,,mode=pio", "without a name");
	CHECK_OK("exitlat", "iters=5,");
	CHECK_BAD("idle", "spin=2", "spin takes 0 or 1");
	CHECK_BAD("idle", "spin=on", "0 or 1");
	CHECK_BAD("numa", "nodes=9", "0..8");
	CHECK_BAD("blk-hostile", "only=0123456789012345678901234567890123456789", "at most 39");
}

/* A malformed image or table is refused without reading outside the buffer. */
Test(guest_args, hostile_images)
{
	const struct embedded_guest *g = embedded_guest_find("exitlat");
	size_t len = (size_t)(g->end - g->start);
	uint8_t *img = malloc(len);
	struct mguest_args t;
	const char *why = "";

	cr_assert_eq(mguest_args_read((const uint8_t *)"junk", 4, &t, &why), -EINVAL);
	for (size_t cut = 0; cut < len; cut += len / 64 + 1) {
		int ret = mguest_args_read(g->start, cut, &t, &why);

		cr_expect(ret == -EINVAL || ret == -ENOENT || ret == 0, "cut %zu: %d", cut, ret);
		mguest_args_free(&t);
	}
	memcpy(img, g->start, len);
	cr_assert_eq(mguest_args_read(img, len, &t, &why), 0);
	mguest_args_free(&t);
	/* Section headers pointing past the end. */
	((uint64_t *)img)[5] = (uint64_t)len; /* e_shoff */
	cr_expect_eq(mguest_args_read(img, len, &t, &why), -EINVAL);
	free(img);
}
