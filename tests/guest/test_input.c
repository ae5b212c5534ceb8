/*
 * test_input.c - bad user input through the strand binary: each case exits 2 with exactly one
 * line on stderr that names the problem, before any VM exists. Files that are missing, a
 * directory, not an ELF, too large; limits of this KVM and this host. Needs KVM for all but
 * the parser's errors (the other checks run where strand opens the KVM device).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flat.h"
#include "tests/support.h"

TestSuite(input, .timeout = 60);

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void expect_usage_error(const char *needle, char *const argv[])
{
	struct run_result r;
	char all[512] = "";

	for (unsigned i = 0; argv[i]; i++) {
		strncat(all, argv[i], sizeof(all) - strlen(all) - 2);
		strcat(all, " ");
	}
	cr_assert_eq(test_run_strandv(&r, NULL, 30, argv), 0);
	cr_expect_eq(r.status, 2, "strand %s: status %d, stderr: %s", all, r.status, r.err);
	cr_expect_eq(count_lines(r.err), 1, "strand %s: stderr is not one line: %s", all, r.err);
	cr_expect(strstr(r.err, needle), "strand %s: stderr does not name '%s': %s", all, needle,
		  r.err);
	cr_expect_eq(strlen(r.out), 0, "strand %s: stdout: %s", all, r.out);
	test_run_free(&r);
}

#define EXPECT_USAGE_ERROR(needle, ...)                       \
	do {                                                  \
		char *argv_[] = { "run", __VA_ARGS__, NULL }; \
		expect_usage_error(needle, argv_);            \
	} while (0)

Test(input, missing_and_wrong_files)
{
	char dir[] = "/tmp/strand-test-dirXXXXXX";
	char notelf[4096], empty[4096], big[4096], flatdir[4200];
	static uint8_t junk[FLAT_MAX_BYTES + 1];

	SKIP_WITHOUT_KVM();
	cr_assert_not_null(mkdtemp(dir));
	memset(junk, 0x90, sizeof(junk));
	cr_assert_eq(test_tmpfile(notelf, sizeof(notelf), "#!/bin/sh\necho hi\n", 18), 0);
	cr_assert_eq(test_tmpfile(empty, sizeof(empty), NULL, 0), 0);
	cr_assert_eq(test_tmpfile(big, sizeof(big), junk, sizeof(junk)), 0);
	snprintf(flatdir, sizeof(flatdir), "%s", dir);

	EXPECT_USAGE_ERROR("/nonexistent/guest.elf", "--guest-file", "/nonexistent/guest.elf");
	EXPECT_USAGE_ERROR("/nonexistent/boot.bin", "--flat", "/nonexistent/boot.bin");
	EXPECT_USAGE_ERROR("not a regular file", "--guest-file", dir);
	EXPECT_USAGE_ERROR("not a regular file", "--flat", flatdir);
	EXPECT_USAGE_ERROR("not an ELF", "--guest-file", notelf);
	EXPECT_USAGE_ERROR(empty, "--guest-file", empty);
	EXPECT_USAGE_ERROR(empty, "--flat", empty);
	EXPECT_USAGE_ERROR("589824", "--flat", big); /* 576 KiB: the space below 640 KiB */
	EXPECT_USAGE_ERROR("no micro-guest called 'nosuchguest'", "--guest", "nosuchguest");
	unlink(notelf);
	unlink(empty);
	unlink(big);
	rmdir(dir);
}

Test(input, flat_image_of_exactly_the_maximum_runs)
{
	static uint8_t img[FLAT_MAX_BYTES];
	struct run_result r;
	char path[4096];

	SKIP_WITHOUT_KVM();
	/* mov al,0xfe; out 0x64,al (reset), then zeros up to the limit. */
	memcpy(img, "\xb0\xfe\xe6\x64\xfa\xf4", 6);
	cr_assert_eq(test_tmpfile(path, sizeof(path), img, sizeof(img)), 0);
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--timeout", "10s", NULL),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	unlink(path);
}

Test(input, limits_of_kvm_and_host)
{
	char mem[32];
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	unsigned long long host_gib = (unsigned long long)pages * (unsigned long long)psize >> 30;

	SKIP_WITHOUT_KVM();
	EXPECT_USAGE_ERROR("--vcpus", "--vcpus", "5000");
	EXPECT_USAGE_ERROR("/nonexistent", "--kvm", "/nonexistent");
	EXPECT_USAGE_ERROR("/dev/null", "--kvm", "/dev/null");
	/* More than the host has, but within what the CLI accepts (1 TiB). */
	if (host_gib + 2 <= 1024) {
		snprintf(mem, sizeof(mem), "%lluG", host_gib + 2);
		EXPECT_USAGE_ERROR("more than this host has", "--memory", mem);
	} else {
		cr_log_info("host has %llu GiB: cannot ask for more within 1 TiB", host_gib);
	}
	EXPECT_USAGE_ERROR("--memory", "--memory", "3M");
	EXPECT_USAGE_ERROR("--console", "--console", "file:/nonexistent-dir/console.txt");
}

Test(input, usage_errors_from_the_parser)
{
	EXPECT_USAGE_ERROR("--guest-cpl", "--guest-cpl", "2");
	EXPECT_USAGE_ERROR("--bogus", "--bogus");
	EXPECT_USAGE_ERROR("needs a value", "--vcpus");
	EXPECT_USAGE_ERROR("choose one guest", "--guest", "hello", "--flat", "/tmp/x");
}
