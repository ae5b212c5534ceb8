/*
 * test_assist.c - ldmxcsr/stmxcsr from guest code (tests/guests/mxcsr.guest.c) at CPL 3 and
 * CPL 0: on PVM hosts CPL-0 code runs in KVM's emulator, which gives up on them, and strand
 * completes them (core/assist.c); elsewhere the CPU runs them. Either way MXCSR must round-trip
 * through every addressing form and a reserved bit must raise #GP. Needs /dev/kvm.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static bool pvm_host(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

Test(assist, mxcsr_round_trips_at_both_privilege_levels)
{
	static const char *const cpl[] = { "3", "0" };

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < 2; i++) {
		struct run_result r;

		cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--guest", "mxcsr", "--vcpus",
					     "2", "--guest-cpl", cpl[i], "--log-level", "info",
					     NULL),
			     0);
		cr_expect_eq(r.status, 0, "CPL %s: status %d\n%s\n%s", cpl[i], r.status, r.out,
			     r.err);
		cr_expect(strstr(r.out, "5 addressing forms round-trip"), "%s", r.out);
		if (pvm_host() && cpl[i][0] == '0')
			cr_expect(strstr(r.err, "ldmxcsr") && strstr(r.err, "stmxcsr"),
				  "PVM: the assists are counted\n%s", r.err);
		test_run_free(&r);
	}
}

Test(assist, fwait_completes_and_int3_reaches_the_guest)
{
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--guest", "assists:mode=fwait",
				     "--guest-cpl", "0", "--log-level", "info", NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "100 fwait done"), "%s", r.out);
	if (pvm_host())
		cr_expect(strstr(r.err, "fwait 100"), "PVM: 100 fwait assists counted\n%s", r.err);
	test_run_free(&r);

	cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--guest", "assists:mode=int3",
				     "--guest-cpl", "0", "--log-level", "info", NULL),
		     0);
	cr_expect_eq(r.status, 3, "a guest exception: status %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "#BP breakpoint"), "%s", r.err);
	cr_expect_null(strstr(r.err, "without reaching"), "%s", r.err);
	if (pvm_host())
		cr_expect(strstr(r.err, "int3 1"), "PVM: the int3 assist counted\n%s", r.err);
	test_run_free(&r);
}

Test(assist, reserved_mxcsr_bit_raises_gp)
{
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--guest", "mxcsr:bad=1", "--guest-cpl",
				     "0", NULL),
		     0);
	cr_expect_eq(r.status, 3, "a guest exception: status %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "#GP general protection"), "%s", r.err);
	cr_expect_null(strstr(r.err, "did not fault"), "%s", r.err);
	test_run_free(&r);
}
