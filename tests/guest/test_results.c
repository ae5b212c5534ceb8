/*
 * test_results.c - --results-json: after a micro-guest run the file is valid JSON describing
 * the run (guest, vCPUs, exit status, stop reason), the guest's results and raw samples (with
 * a summary that agrees with them) and per-vCPU exit counts; a failing guest still gets its
 * file; an unwritable path is an error. Needs KVM.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

TestSuite(results, .timeout = 120);

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no '%s' in %s", key,
		  json_object_to_json_string(o));
	cr_assert(json_object_is_type(v, type), "'%s' has the wrong type", key);
	return v;
}

Test(results, exitlat_json)
{
	struct run_result r;
	char path[4096];
	json_object *root, *results, *vcpus;
	unsigned samples_seen = 0, values_seen = 0;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(path, sizeof(path), NULL, 0), 0);
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "exitlat:iters=50,warmup=5",
				     "--vcpus", "2", "--results-json", path, NULL),
		     0);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "pio_exit"), "summary missing: %s", r.out);
	test_run_free(&r);

	root = json_object_from_file(path);
	cr_assert_not_null(root, "not valid JSON: %s", json_util_get_last_err());
	cr_expect_str_eq(json_object_get_string(get(root, "guest", json_type_string)), "exitlat");
	cr_expect_eq(json_object_get_int(get(root, "vcpus", json_type_int)), 2);
	cr_expect_eq(json_object_get_int(get(root, "guest_cpl", json_type_int)), 3);
	cr_expect_eq(json_object_get_int(get(root, "exit_status", json_type_int)), 0);
	cr_expect_str_eq(json_object_get_string(get(root, "stop_reason", json_type_string)),
			 "guest done");
	cr_expect_gt(json_object_get_int64(get(root, "wall_ns", json_type_int)), 0);
	get(root, "strand_version", json_type_string);
	get(root, "git_revision", json_type_string);

	results = get(root, "results", json_type_array);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *o = json_object_array_get_idx(results, i), *s;
		int vcpu = json_object_get_int(get(o, "vcpu", json_type_int));
		const char *name = json_object_get_string(get(o, "name", json_type_string));

		cr_expect(vcpu == 0 || vcpu == 1);
		get(o, "unit", json_type_string);
		if (json_object_object_get_ex(o, "samples", &s)) {
			json_object *sum = get(o, "summary", json_type_object);
			double min = 1e300, max = -1;
			size_t n = json_object_array_length(s);

			cr_expect_eq(n, 50, "%s: %zu samples", name, n);
			for (size_t k = 0; k < n; k++) {
				double v = json_object_get_double(json_object_array_get_idx(s, k));

				cr_expect_gt(v, 0, "%s: sample %zu is %g", name, k, v);
				min = v < min ? v : min;
				max = v > max ? v : max;
			}
			cr_expect_eq(json_object_get_int(get(sum, "n", json_type_int)), (int)n);
			cr_expect_eq(json_object_get_double(get(sum, "min", json_type_double)),
				     min);
			cr_expect_eq(json_object_get_double(get(sum, "max", json_type_double)),
				     max);
			cr_expect_geq(json_object_get_double(get(sum, "p50", json_type_double)),
				      min);
			cr_expect_leq(json_object_get_double(get(sum, "p99", json_type_double)),
				      max);
			cr_expect_str_eq(json_object_get_string(get(o, "unit", json_type_string)),
					 "ns");
			samples_seen++;
		} else {
			get(o, "value", json_type_double);
			values_seen++;
		}
	}
	/* pio and mmio on each of the 2 vCPUs: samples and a median each. */
	cr_expect_eq(samples_seen, 4);
	cr_expect_eq(values_seen, 4);

	vcpus = get(root, "vcpu_stats", json_type_array);
	cr_assert_eq(json_object_array_length(vcpus), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *v = json_object_array_get_idx(vcpus, i);
		json_object *exits = get(v, "exits", json_type_object);

		cr_expect_eq(json_object_get_int(get(v, "index", json_type_int)), (int)i);
		/* 55 PIO and 55 MMIO sink accesses at least. */
		cr_expect_geq(json_object_get_int64(get(exits, "io", json_type_int)), 55);
		cr_expect_geq(json_object_get_int64(get(exits, "mmio", json_type_int)), 55);
	}
	json_object_put(root);
	unlink(path);
}

Test(results, failing_guest_still_writes_json)
{
	struct run_result r;
	char path[4096];
	json_object *root;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(path, sizeof(path), NULL, 0), 0);
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "fault:kind=ud",
				     "--results-json", path, NULL),
		     0);
	cr_expect_eq(r.status, 3);
	test_run_free(&r);
	root = json_object_from_file(path);
	cr_assert_not_null(root, "not valid JSON: %s", json_util_get_last_err());
	cr_expect_eq(json_object_get_int(get(root, "exit_status", json_type_int)), 3);
	cr_expect_str_eq(json_object_get_string(get(root, "stop_reason", json_type_string)),
			 "guest crashed");
	cr_expect_eq(json_object_array_length(get(root, "results", json_type_array)), 0);
	json_object_put(root);
	unlink(path);
}

Test(results, unwritable_path)
{
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "hello", "--results-json",
				     "/nonexistent-dir/r.json", NULL),
		     0);
	cr_expect_neq(r.status, 0, "a lost result file must not look like success");
	cr_expect(strstr(r.err, "/nonexistent-dir/r.json"), "%s", r.err);
	test_run_free(&r);
}
