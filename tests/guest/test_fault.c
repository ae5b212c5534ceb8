/*
 * test_fault.c - a guest that crashes or fails must end strand with the right status and one
 * clear report: exceptions (fault guest: #PF, #UD, #DE, #GP, #PF on write) exit 3 naming the
 * exception and the RIP; assertion failures (assert guest) exit 1 naming file:line and the
 * expression. At CPL 3 and 0, with one vCPU and with several (the others halt). Needs KVM.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

TestSuite(fault, .timeout = 120);

static const struct {
	const char *kind;
	const char *name;  /* in the report */
	const char *extra; /* also in the report, or NULL */
} faults[] = {
	{ "pf", "#PF page fault (vector 14)", "cr2 0x0" },
	{ "ud", "#UD invalid opcode (vector 6)", NULL },
	{ "de", "#DE divide error (vector 0)", NULL },
	{ "gp", "#GP general protection (vector 13)", NULL },
	{ "pf-write", "#PF page fault (vector 14)", "cr2 0x100000" },
};

Test(fault, exceptions_exit_3_naming_the_exception)
{
	const char *vcpus[] = { "1", "4" };
	const char *cpls[] = { "3", "0" };

	SKIP_WITHOUT_KVM();
	for (unsigned f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
		for (unsigned c = 0; c < 2; c++) {
			for (unsigned v = 0; v < 2; v++) {
				struct run_result r;
				char guest[64], cs[32];
				const char *rip;

				snprintf(guest, sizeof(guest), "fault:kind=%s", faults[f].kind);
				cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", guest,
							     "--guest-cpl", cpls[c], "--vcpus",
							     vcpus[v], NULL),
					     0);
				cr_expect_eq(r.status, 3, "%s cpl %s vcpus %s: status %d: %s",
					     guest, cpls[c], vcpus[v], r.status, r.err);
				cr_expect(strstr(r.out, "about to raise"), "%s: %s", guest, r.out);
				cr_expect_null(strstr(r.out, "still running"), "%s: %s", guest,
					       r.out);
				cr_expect(strstr(r.err, faults[f].name), "%s: no '%s' in: %s",
					  guest, faults[f].name, r.err);
				cr_expect(strstr(r.err, "vcpu0: guest exception"), "%s: %s", guest,
					  r.err);
				rip = strstr(r.err, "rip 0x");
				cr_expect(rip && strtoull(rip + 6, NULL, 16) >= 0x200000,
					  "%s: no guest RIP in: %s", guest, r.err);
				snprintf(cs, sizeof(cs), "(CPL %s)", cpls[c]);
				cr_expect(strstr(r.err, cs), "%s: no '%s' in: %s", guest, cs,
					  r.err);
				if (faults[f].extra)
					cr_expect(strstr(r.err, faults[f].extra),
						  "%s: no '%s' in: %s", guest, faults[f].extra,
						  r.err);
				/* Only vCPU 0 faults: the others halted quietly until the stop. */
				cr_expect_null(strstr(r.err, "vcpu1: guest exception"), "%s: %s",
					       guest, r.err);
				test_run_free(&r);
			}
		}
	}
}

/* The line of the ASSERT-LINE marker for kind in assert.guest.c. */
static unsigned marker_line(const char *kind)
{
	char path[4096], line[512], marker[64];
	const char *src = getenv("STRAND_SRC");
	unsigned n = 0;
	FILE *f;

	cr_assert_not_null(src);
	snprintf(path, sizeof(path), "%s/tests/guests/assert.guest.c", src);
	snprintf(marker, sizeof(marker), "ASSERT-LINE %s", kind);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	cr_assert_fail("no '%s' in %s", marker, path);
	return 0;
}

Test(fault, assertion_exits_1_with_file_and_line)
{
	const char *kinds[] = { "plain", "msg" };
	const char *vcpus[] = { "1", "3" };
	const char *cpls[] = { "3", "0" };

	SKIP_WITHOUT_KVM();
	for (unsigned k = 0; k < 2; k++) {
		char where[64], guest[64];

		snprintf(where, sizeof(where), "assert.guest.c:%u: answer == 42",
			 marker_line(kinds[k]));
		snprintf(guest, sizeof(guest), "assert:kind=%s", kinds[k]);
		for (unsigned v = 0; v < 2; v++) {
			for (unsigned c = 0; c < 2; c++) {
				struct run_result r;

				cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", guest,
							     "--vcpus", vcpus[v], "--guest-cpl",
							     cpls[c], NULL),
					     0);
				cr_expect_eq(r.status, 1, "%s: status %d: %s", guest, r.status,
					     r.err);
				cr_expect(strstr(r.err, "guest assertion failed on vcpu0"),
					  "%s: %s", guest, r.err);
				cr_expect(strstr(r.err, where), "%s: no '%s' in: %s", guest, where,
					  r.err);
				if (k == 1)
					cr_expect(strstr(r.err, "(the message)"), "%s", r.err);
				cr_expect_null(strstr(r.out, "still running"), "%s", r.out);
				cr_expect_null(strstr(r.err, "exception"), "%s: %s", guest, r.err);
				test_run_free(&r);
			}
		}
	}
}
