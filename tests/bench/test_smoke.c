/*
 * test_smoke.c - `strand bench quick` and `strand bench monitor --short` end to end with tiny
 * repetition counts: it runs, writes a JSON document that loads and passes the schema checks,
 * and renders the plots and the report. No timing assertions. Needs /dev/kvm (skips without it); the plots need gnuplot.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/doc.h"
#include "tests/support.h"

static bool exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && st.st_size > 0;
}

Test(bench, quick_smoke)
{
	char dir[] = "/tmp/strand-bench-smoke-XXXXXX", json[128], plots[128];
	struct run_result r;
	struct errbuf err = { "" };
	struct doc *d;
	size_t ok = 0;
	bool gnuplot = access("/usr/bin/gnuplot", X_OK) == 0;

	SKIP_WITHOUT_KVM();
	cr_assert(mkdtemp(dir));
	snprintf(json, sizeof(json), "%s/quick.json", dir);
	snprintf(plots, sizeof(plots), "%s/plots", dir);
	cr_assert_eq(test_run_strand(&r, NULL, 280, "bench", "quick", "--reps", "2", "--warmup",
				     "0", "--seed", "1", "--no-progress", "--json", json,
				     gnuplot ? "--plot" : NULL, plots, NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "== quick"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(doc_load(json, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(d->nsuites, 1);
	cr_expect_str_eq(d->suites[0].name, "quick");
	for (size_t i = 0; i < d->suites[0].nseries; i++) {
		const struct series *s = d->suites[0].series[i];

		cr_expect(s->status != SERIES_FAILED, "%s failed: %s", s->id, s->note);
		if (s->status == SERIES_OK) {
			cr_expect_eq(s->samples.n, 2, "%s", s->id);
			ok++;
		}
	}
	cr_expect(ok > 0, "no series ran");
	cr_expect(json_object_object_get(d->meta, "host"));
	doc_free(d);
	if (gnuplot) {
		cr_expect(exists(plots, "quick.png"));
		cr_expect(exists(plots, "quick.svg"));
		cr_expect(exists(plots, "report.md"));
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		cr_expect_eq(system(cmd), 0);
	}
}

/*
 * `strand bench monitor --short`: every monitor kind once (round trips, the interference
 * pair, live switches with their time series), the document, `compare --pair` on it and the
 * plots with the time series picture. No timing assertions.
 */
Test(bench, monitor_smoke)
{
	char dir[] = "/tmp/strand-bench-monitor-XXXXXX", json[128], plots[128];
	struct run_result r;
	struct errbuf err = { "" };
	struct doc *d;
	const struct series *trace = NULL;
	bool gnuplot = access("/usr/bin/gnuplot", X_OK) == 0;

	SKIP_WITHOUT_KVM();
	cr_assert(mkdtemp(dir));
	snprintf(json, sizeof(json), "%s/monitor.json", dir);
	snprintf(plots, sizeof(plots), "%s/plots", dir);
	cr_assert_eq(test_run_strand(&r, NULL, 120, "bench", "monitor", "--short", "--reps", "1",
				     "--warmup", "0", "--seed", "1", "--no-progress", "--json",
				     json, gnuplot ? "--plot" : NULL, plots, NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "== monitor"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(doc_load(json, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(d->nsuites, 1);
	for (size_t i = 0; i < d->suites[0].nseries; i++) {
		const struct series *s = d->suites[0].series[i];

		cr_expect_eq(s->status, SERIES_OK, "%s: %s", s->id, s->note);
		cr_expect_eq(s->samples.n, 1, "%s", s->id);
		if (s->trace)
			trace = s;
		if (!strcmp(s->group, "rtt"))
			cr_expect(s->nraw == 1 && s->raw[0].n > 0, "%s: no raw round trips", s->id);
	}
	cr_assert(trace, "no time series in the live-switch group");
	{
		json_object *t0 = json_object_array_get_idx(trace->trace, 0), *marks, *t;

		cr_expect(json_object_object_get_ex(t0, "marks", &marks) &&
			  json_object_array_length(marks) == 3);
		cr_expect(json_object_object_get_ex(t0, "t_s", &t) &&
			  json_object_array_length(t) >= 10);
	}
	doc_free(d);
	cr_assert_eq(test_run_strand(&r, NULL, 30, "bench", "compare", "--pair",
				     "poll=off/poll=1kHz", json, NULL),
		     0);
	cr_expect(r.status == 0 || r.status == 1, "status %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "interference-v1/poll=off->poll=1kHz/pio_p99"), "%s", r.out);
	test_run_free(&r);
	if (gnuplot) {
		cr_expect(exists(plots, "monitor.png"));
		cr_expect(exists(plots, "monitor_live-switch_2x-overcommit_host.png"));
		cr_expect(exists(plots, "monitor_live-switch_2x-overcommit_host.svg"));
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		cr_expect_eq(system(cmd), 0);
	}
}
