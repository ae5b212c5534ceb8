/*
 * test_linux_input.c - bad input on the Linux path is refused before any VM state is built,
 * with exit status 2 and a message naming the problem: a file that is not a kernel, a
 * missing file, an initrd too large for guest RAM, a command line longer than the kernel
 * accepts, --initrd without a kernel; and several --initrd archives are concatenated,
 * aligned. Needs /dev/kvm (strand opens it before loading).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static void expect_refused(const char *why, char *const argv[])
{
	struct run_result r;

	cr_assert_eq(test_run_strandv(&r, NULL, 60, argv), 0);
	cr_expect_eq(r.status, 2, "%s: status %d\n%s", why, r.status, r.err);
	cr_expect(strstr(r.err, why), "expected '%s' in:\n%s", why, r.err);
	test_run_free(&r);
}

/* Archives are concatenated, each starting 4-byte aligned: 5 bytes, 3 of padding, then 8. */
Test(linux_input, initrds_are_concatenated_aligned)
{
	static const struct test_pvh_note note = {
		.name = "Xen", .namesz = 4, .type = 18, .descsz = 8, .entry = TEST_PVH_ENTRY
	};
	char kernel[64], a[64], b[64];
	size_t len;
	uint8_t *elf = test_pvh_elf(&note, &len);
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(kernel, sizeof(kernel), elf, len), 0);
	cr_assert_eq(test_tmpfile(a, sizeof(a), "01234", 5), 0);
	cr_assert_eq(test_tmpfile(b, sizeof(b), "abcdefgh", 8), 0);
	test_run_strand(&r, NULL, 60, "run", "--kernel", kernel, "--initrd", a, "--initrd", b,
			"--log-level", "info", "--timeout", "200ms", NULL);
	cr_expect(strstr(r.err, "(16 bytes)"), "expected a 16-byte initrd in:\n%s", r.err);
	test_run_free(&r);
	unlink(kernel);
	unlink(a);
	unlink(b);
	free(elf);
}

Test(linux_input, bad_kernels_initrds_and_command_lines)
{
	static const struct test_pvh_note note = {
		.name = "Xen", .namesz = 4, .type = 18, .descsz = 8, .entry = TEST_PVH_ENTRY
	};
	char notkernel[64], kernel[64], initrd[64];
	char *longline = malloc(6000);
	size_t len;
	uint8_t *elf = test_pvh_elf(&note, &len);
	int fd;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(notkernel, sizeof(notkernel), "hello, world\n", 13), 0);
	cr_assert_eq(test_tmpfile(kernel, sizeof(kernel), elf, len), 0);
	cr_assert_eq(test_tmpfile(initrd, sizeof(initrd), "", 0), 0);
	fd = open(initrd, O_WRONLY);
	cr_assert(fd >= 0 && ftruncate(fd, 100 << 20) == 0); /* sparse: 100 MiB */
	close(fd);
	memset(longline, 'x', 5999);
	longline[5999] = 0;

	expect_refused("not a bzImage", (char *[]){ "run", "--kernel", notkernel, NULL });
	expect_refused("No such file",
		       (char *[]){ "run", "--kernel", "/nonexistent/vmlinuz", NULL });
	expect_refused("do not fit", (char *[]){ "run", "--kernel", kernel, "--initrd", initrd,
						 "--memory", "64M", NULL });
	expect_refused("longer than this kernel accepts",
		       (char *[]){ "run", "--kernel", kernel, "--cmdline", longline, NULL });
	expect_refused("--initrd and --cmdline need --kernel or --linux",
		       (char *[]){ "run", "--initrd", initrd, NULL });
	/* Two archives add up: 2 x 100 MiB + a kernel do not fit in 256 MiB. */
	expect_refused("do not fit", (char *[]){ "run", "--kernel", kernel, "--initrd", initrd,
						 "--initrd", initrd, "--memory", "256M", NULL });
	expect_refused("No such file", (char *[]){ "run", "--kernel", kernel, "--initrd", initrd,
						   "--initrd", "/nonexistent/more.img", NULL });
	unlink(notkernel);
	unlink(kernel);
	unlink(initrd);
	free(elf);
	free(longline);
}
