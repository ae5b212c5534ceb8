/*
 * test_flat.c - flat real-mode guests (core/flat.h) through the strand binary: bytes written
 * here run at 1000:0000 and reach the UART, the i8042 reset line and --timeout; the serial
 * console goes to stdout or to a file. Needs KVM.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"
#include "util/clock.h"

TestSuite(flat, .timeout = 60);

/* mov dx,0x3f8; mov al,'D'; out dx,al; cli; hlt */
static const uint8_t print_d_and_halt[] = { 0xba, 0xf8, 0x03, 0xb0, 0x44, 0xee, 0xfa, 0xf4 };
/* mov al,0xfe; out 0x64,al (pulse the reset line); cli; hlt */
static const uint8_t kbd_reset[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xfa, 0xf4 };
/*
 * Print "OK\n" polling LSR.THRE first, then reset through the output port:
 * mov dx,0x3fd; in al,dx; test al,0x20; jz -5; mov dx,0x3f8; mov al,'O'; out dx,al;
 * mov al,'K'; out dx,al; mov al,10; out dx,al; mov al,0xd1; out 0x64,al; mov al,0xfe;
 * out 0x60,al; cli; hlt
 */
static const uint8_t poll_print_reset[] = { 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x20, 0x74, 0xfb,
					    0xba, 0xf8, 0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b,
					    0xee, 0xb0, 0x0a, 0xee, 0xb0, 0xd1, 0xe6, 0x64,
					    0xb0, 0xfe, 0xe6, 0x60, 0xfa, 0xf4 };

static void image(char *path, size_t size, const uint8_t *code, size_t len)
{
	cr_assert_eq(test_tmpfile(path, size, code, len), 0);
}

Test(flat, prints_then_times_out)
{
	struct run_result r;
	char path[4096];
	uint64_t t0 = now_ns(), dt;

	SKIP_WITHOUT_KVM();
	image(path, sizeof(path), print_d_and_halt, sizeof(print_d_and_halt));
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--timeout", "1s", NULL),
		     0);
	dt = now_ns() - t0;
	cr_expect_eq(r.status, 124, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "D");
	cr_expect(strstr(r.err, "--timeout"), "%s", r.err);
	cr_expect_geq(dt, 900 * NSEC_PER_MSEC, "stopped before the timeout");
	cr_expect_lt(dt, 10 * NSEC_PER_SEC);
	test_run_free(&r);
	/* Other vCPUs wait for INIT/SIPI; the timeout still stops all of them. */
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--timeout", "300ms",
				     "--vcpus", "4", NULL),
		     0);
	cr_expect_eq(r.status, 124, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "D");
	test_run_free(&r);
	unlink(path);
}

Test(flat, i8042_reset_exits_0)
{
	struct run_result r;
	char path[4096];

	SKIP_WITHOUT_KVM();
	image(path, sizeof(path), kbd_reset, sizeof(kbd_reset));
	for (unsigned v = 1; v <= 4; v *= 2) {
		char n[4];

		snprintf(n, sizeof(n), "%u", v);
		cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--vcpus", n,
					     "--timeout", "20s", NULL),
			     0);
		cr_expect_eq(r.status, 0, "%u vCPUs: status %d: %s", v, r.status, r.err);
		test_run_free(&r);
	}
	unlink(path);
	image(path, sizeof(path), poll_print_reset, sizeof(poll_print_reset));
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--timeout", "20s", NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "OK\n");
	test_run_free(&r);
	unlink(path);
}

Test(flat, console_to_a_file)
{
	struct run_result r;
	char path[4096], out[4096], spec[4200], got[16] = "";
	FILE *f;

	SKIP_WITHOUT_KVM();
	image(path, sizeof(path), poll_print_reset, sizeof(poll_print_reset));
	cr_assert_eq(test_tmpfile(out, sizeof(out), "old contents", 12), 0);
	snprintf(spec, sizeof(spec), "file:%s", out);
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--console", spec,
				     "--timeout", "20s", NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "", "console output went to stdout");
	test_run_free(&r);
	f = fopen(out, "r");
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(got, sizeof(got), f));
	fclose(f);
	cr_expect_str_eq(got, "OK\n", "the console file holds '%s'", got);
	/* --console none: nothing anywhere, same status. */
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--flat", path, "--console", "none",
				     "--timeout", "20s", NULL),
		     0);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.out, "");
	test_run_free(&r);
	unlink(out);
	unlink(path);
}
