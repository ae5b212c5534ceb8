/* test_parse.c - user-input parsers: sizes, durations, numbers, option strings. */
#include <criterion/criterion.h>
#include <errno.h>

#include "util/parse.h"

Test(parse, sizes)
{
	uint64_t v;

	cr_assert_eq(parse_size("512M", 1, &v), 0);
	cr_assert_eq(v, 512ULL << 20);
	cr_assert_eq(parse_size("2G", 1, &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(parse_size("4KiB", 1, &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(parse_size("256", 1ULL << 20, &v), 0);
	cr_assert_eq(v, 256ULL << 20);
	cr_assert_eq(parse_size("1.5G", 1, &v), 0);
	cr_assert_eq(v, 3ULL << 29);
	cr_assert_eq(parse_size("", 1, &v), -EINVAL);
	cr_assert_eq(parse_size("-1M", 1, &v), -EINVAL);
	cr_assert_eq(parse_size("12X", 1, &v), -EINVAL);
	cr_assert_eq(parse_size("99999999999999999999", 1, &v), -ERANGE);
	cr_assert_eq(parse_size("20000000T", 1, &v), -ERANGE);
}

Test(parse, durations)
{
	uint64_t v;

	cr_assert_eq(parse_duration_ns("10s", 1, &v), 0);
	cr_assert_eq(v, 10000000000ULL);
	cr_assert_eq(parse_duration_ns("250ms", 1, &v), 0);
	cr_assert_eq(v, 250000000ULL);
	cr_assert_eq(parse_duration_ns("3", 1000000000ULL, &v), 0);
	cr_assert_eq(v, 3000000000ULL);
	cr_assert_eq(parse_duration_ns("1h", 1, &v), -EINVAL);
}

Test(parse, options)
{
	struct opts o;

	cr_assert_eq(opts_parse(&o, "512M,policy=bind,host-nodes=0,,1,readonly", "size"), 0);
	cr_assert_str_eq(opts_get(&o, "size"), "512M");
	cr_assert_str_eq(opts_get(&o, "policy"), "bind");
	cr_assert_str_eq(opts_get(&o, "host-nodes"), "0,1");
	cr_assert_str_eq(opts_unused(&o), "readonly");
	cr_assert_str_eq(opts_get(&o, "readonly"), "on");
	cr_assert_null(opts_unused(&o));
	opts_free(&o);
	cr_assert_eq(opts_parse(&o, "a=1,,", NULL), 0);
	cr_assert_str_eq(opts_get(&o, "a"), "1,");
	opts_free(&o);
	cr_assert_eq(opts_parse(&o, "=x", NULL), -EINVAL);
	cr_assert_eq(opts_parse(&o, "a,,b", NULL), 0);
	opts_free(&o);
	cr_assert_eq(opts_parse(&o, ",a", NULL), -EINVAL);
}
