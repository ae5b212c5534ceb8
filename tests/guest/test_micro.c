/* test_micro.c - the embedded micro-guests through the strand binary. Needs /dev/kvm. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/support.h"

Test(micro, hello_reports_every_vcpu)
{
	const char *counts[] = { "1", "2", "4", "8" };

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < 4; i++) {
		struct run_result r;
		char expect[64];

		cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "hello", "--vcpus",
					     counts[i], NULL),
			     0);
		snprintf(expect, sizeof(expect), "all %s vCPUs reported in", counts[i]);
		cr_expect_eq(r.status, 0, "vcpus=%s: status %d, stderr: %s", counts[i], r.status,
			     r.err);
		cr_expect(strstr(r.out, expect), "vcpus=%s: missing '%s' in: %s", counts[i], expect,
			  r.out);
		test_run_free(&r);
	}
}
