/*
 * test_hostcheck.c - `strand host-check`: exit status 0 or 1, and one verdict line per check
 * (PASS, WARN, FAIL or INFO), status 1 exactly when a check failed. Runs without KVM too
 * (then the KVM checks fail and say why).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support.h"

TestSuite(hostcheck, .timeout = 60);

static void check_report(const struct run_result *r, const char *what)
{
	char *copy = strdup(r->out), *line, *save = NULL;
	unsigned lines = 0, fails = 0, passes = 0;

	cr_assert_not_null(copy);
	cr_expect(r->status == 0 || r->status == 1, "%s: status %d: %s", what, r->status, r->err);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool known = strncmp(line, "PASS ", 5) == 0 || strncmp(line, "WARN ", 5) == 0 ||
			     strncmp(line, "FAIL ", 5) == 0 || strncmp(line, "INFO ", 5) == 0;

		cr_expect(known, "%s: line without a verdict: '%s'", what, line);
		cr_expect_gt(strlen(line), 7, "%s: verdict without a check: '%s'", what, line);
		fails += strncmp(line, "FAIL ", 5) == 0;
		passes += strncmp(line, "PASS ", 5) == 0;
		lines++;
	}
	cr_expect_geq(lines, 3, "%s: only %u lines", what, lines);
	cr_expect_eq(r->status, fails ? 1 : 0, "%s: %u FAIL lines but status %d", what, fails,
		     r->status);
	free(copy);
	(void)passes;
}

Test(hostcheck, verdict_lines)
{
	struct run_result r;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "host-check", NULL), 0);
	check_report(&r, "host-check");
	if (!test_kvm_unavailable())
		cr_expect(strstr(r.out, "PASS  KVM device"), "%s", r.out);
	test_run_free(&r);
}

Test(hostcheck, missing_kvm_device_fails)
{
	struct run_result r;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "host-check", "--kvm", "/nonexistent", NULL), 0);
	check_report(&r, "host-check --kvm /nonexistent");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.out, "FAIL") && strstr(r.out, "/nonexistent"), "%s", r.out);
	test_run_free(&r);
}
