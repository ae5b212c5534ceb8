/*
 * test_bench_doc.c - the benchmark JSON document (bench/doc.c): a round trip through a file
 * keeps every field, the schema checks reject malformed documents, and `strand bench
 * compare` exits 0 without a regression, 1 with one and 2 on bad input (in-process and
 * through the strand binary), and the tables end with a reading in words.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/compare.h"
#include "bench/doc.h"
#include "bench/suites.h"
#include "bench/table.h"
#include "tests/support.h"

/* A document with one suite, two variants of one metric, raw samples and a ratio. */
static struct doc *make_doc(double shift_b, double base)
{
	struct doc *d = doc_new();
	struct suite_result *s = doc_add_suite(d, "exits", "exit round trips");
	json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_string("0.1.0"));
	json_object_object_add(d->meta, "tool", json_object_get(o));
	json_object_object_add(d->meta, "strand", o);
	json_object_object_add(d->meta, "host", json_object_new_object());
	json_object_object_add(d->meta, "settings", json_object_new_object());
	s->reps = 10;
	s->warmup = 1;
	for (unsigned v = 0; v < 2; v++) {
		struct series *x = suite_add_series(s, "pio", "PIO exits", v ? "cpl0" : "cpl3",
						    "exit", "exit round trip", "ns", false);

		json_object_object_add(x->knobs, "kind", json_object_new_string("micro"));
		for (unsigned i = 0; i < 10; i++) {
			struct dvec *raw = series_raw(x, i);

			dvec_push(&x->samples,
				  base + (v ? shift_b : 0) + (double)((i * 7) % 10) * 10);
			dvec_push(&x->run_order, i * 2 + v);
			dvec_push(raw, 1.5 * i);
			dvec_push(raw, 2.5 * i);
		}
		if (v) {
			dvec_push(&x->targets, 0.5);
			dvec_push(&x->targets, 0.5);
		}
	}
	suite_add_ratio(s, "cpl0/cpl3", "exits/pio/cpl0/exit", "exits/pio/cpl3/exit");
	doc_finish(d);
	return d;
}

static void tmp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/strand-test-bench-%d-%s.json", (int)getpid(), tag);
}

Test(bench_doc, round_trip_keeps_everything)
{
	struct doc *d = make_doc(500, 20000), *e;
	struct errbuf err = { "" };
	char path[128];

	tmp_path(path, sizeof(path), "rt");
	cr_assert_eq(doc_write(d, path, &err), 0, "%s", err.msg);
	cr_assert_eq(doc_load(path, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e->nsuites, 1);
	cr_expect_str_eq(e->suites[0].name, "exits");
	cr_expect_eq(e->suites[0].reps, 10);
	cr_assert_eq(e->suites[0].nseries, 2);
	for (unsigned v = 0; v < 2; v++) {
		const struct series *a = d->suites[0].series[v], *b = e->suites[0].series[v];

		cr_expect_str_eq(a->id, b->id);
		cr_expect_str_eq(b->unit, "ns");
		cr_expect_eq(b->higher_better, false);
		cr_expect_eq(b->status, SERIES_OK);
		cr_assert_eq(a->samples.n, b->samples.n);
		for (size_t i = 0; i < a->samples.n; i++)
			cr_expect_eq(a->samples.v[i], b->samples.v[i]);
		cr_assert_eq(a->nraw, b->nraw);
		for (size_t r = 0; r < a->nraw; r++) {
			cr_assert_eq(a->raw[r].n, b->raw[r].n);
			for (size_t i = 0; i < a->raw[r].n; i++)
				cr_expect_eq(a->raw[r].v[i], b->raw[r].v[i]);
		}
		cr_expect_eq(a->targets.n, b->targets.n);
		cr_expect_eq(a->run_order.n, b->run_order.n);
		cr_expect_str_eq(json_object_get_string(json_object_object_get(b->knobs, "kind")),
				 "micro");
	}
	cr_assert_eq(e->suites[0].nratios, 1);
	cr_expect(e->suites[0].ratios[0].value > 1.02 && e->suites[0].ratios[0].value < 1.03);
	doc_free(d);
	doc_free(e);
	unlink(path);
}

static int load_text(const char *text, struct errbuf *err)
{
	json_object *o = json_tokener_parse(text);
	struct doc *d = NULL;
	int ret;

	cr_assert(o, "bad test JSON");
	ret = doc_from_json(o, &d, err);
	json_object_put(o);
	doc_free(d);
	return ret;
}

Test(bench_doc, schema_checks_reject_bad_documents)
{
	struct errbuf err = { "" };
	const char *meta = "\"tool\":{},\"strand\":{},\"host\":{},\"settings\":{}";
	const char *series_ok =
		"{\"id\":\"s/g/v/m\",\"suite\":\"s\",\"group\":\"g\",\"group_title\":\"G\","
		"\"variant\":\"v\",\"metric\":\"m\",\"metric_title\":\"M\",\"unit\":\"ns\","
		"\"better\":\"lower\",\"status\":\"ok\",\"note\":\"\",\"knobs\":{},"
		"\"samples\":[1,2],\"summary\":{\"n\":2,\"mean\":1.5,\"stdev\":0.7,\"min\":1,"
		"\"p10\":1,\"p25\":1,\"p50\":1.5,\"p75\":2,\"p90\":2,\"p99\":2,\"max\":2,"
		"\"median_ci\":{}}}";
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{\"schema\":\"strand-bench/1\",%s,\"suites\":[{\"name\":\"s\",\"description\":"
		 "\"\",\"series\":[%s]}]}",
		 meta, series_ok);
	cr_expect_eq(load_text(buf, &err), 0, "%s", err.msg);
	cr_expect_neq(load_text("{\"schema\":\"other/1\",\"suites\":[]}", &err), 0);
	cr_expect(strstr(err.msg, "schema"));
	snprintf(buf, sizeof(buf), "{\"schema\":\"strand-bench/1\",\"suites\":[]}");
	cr_expect_neq(load_text(buf, &err), 0);
	/* summary.n disagrees with the samples */
	snprintf(buf, sizeof(buf),
		 "{\"schema\":\"strand-bench/1\",%s,\"suites\":[{\"name\":\"s\",\"description\":"
		 "\"\",\"series\":[%s]}]}",
		 meta, series_ok);
	memcpy(strstr(buf, "\"n\":2"), "\"n\":3", 5);
	cr_expect_neq(load_text(buf, &err), 0);
	/* better must be lower or higher; an id must match its parts */
	snprintf(buf, sizeof(buf),
		 "{\"schema\":\"strand-bench/1\",%s,\"suites\":[{\"name\":\"s\",\"description\":"
		 "\"\",\"series\":[%s]}]}",
		 meta, series_ok);
	memcpy(strstr(buf, "\"lower\""), "\"LOWER\"", 7);
	cr_expect_neq(load_text(buf, &err), 0);
	snprintf(buf, sizeof(buf),
		 "{\"schema\":\"strand-bench/1\",%s,\"suites\":[{\"name\":\"s\",\"description\":"
		 "\"\",\"series\":[%s]}]}",
		 meta, series_ok);
	memcpy(strstr(buf, "s/g/v/m"), "s/g/x/m", 7);
	cr_expect_neq(load_text(buf, &err), 0);
	cr_expect(strstr(err.msg, "id"), "%s", err.msg);
}

static int compare_files(const char *a, const char *b)
{
	char cmd[] = "compare", *argv[] = { cmd, (char *)a, (char *)b, NULL };
	FILE *saved = stdout;
	int ret;

	stdout = fopen("/dev/null", "w");
	ret = compare_main(3, argv);
	fclose(stdout);
	stdout = saved;
	return ret;
}

Test(bench_doc, compare_exit_status)
{
	struct doc *old = make_doc(0, 20000), *same = make_doc(0, 20000);
	struct doc *slow = make_doc(0, 26000), *fast = make_doc(0, 15000);
	struct errbuf err = { "" };
	char po[128], ps[128], pl[128], pf[128];
	struct run_result r;

	tmp_path(po, sizeof(po), "old");
	tmp_path(ps, sizeof(ps), "same");
	tmp_path(pl, sizeof(pl), "slow");
	tmp_path(pf, sizeof(pf), "fast");
	cr_assert_eq(doc_write(old, po, &err), 0);
	cr_assert_eq(doc_write(same, ps, &err), 0);
	cr_assert_eq(doc_write(slow, pl, &err), 0);
	cr_assert_eq(doc_write(fast, pf, &err), 0);
	cr_expect_eq(compare_files(po, ps), 0);
	cr_expect_eq(compare_files(po, pl), 1);
	cr_expect_eq(compare_files(po, pf), 0);
	cr_expect_eq(compare_files(po, "/nonexistent.json"), 2);
	/* The same through the strand binary, as CI runs it. */
	cr_assert_eq(test_run_strand(&r, NULL, 60, "bench", "compare", po, pl, NULL), 0);
	cr_expect_eq(r.status, 1, "stdout: %s stderr: %s", r.out, r.err);
	cr_expect(strstr(r.out, "REGRESSION"), "%s", r.out);
	cr_expect(strstr(r.out, "slower"), "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(test_run_strand(&r, NULL, 60, "bench", "compare", po, ps, NULL), 0);
	cr_expect_eq(r.status, 0, "%s", r.out);
	test_run_free(&r);
	cr_assert_eq(test_run_strand(&r, NULL, 60, "bench", "compare", po, NULL), 0);
	cr_expect_eq(r.status, 2);
	test_run_free(&r);
	doc_free(old);
	doc_free(same);
	doc_free(slow);
	doc_free(fast);
	unlink(po);
	unlink(ps);
	unlink(pl);
	unlink(pf);
}

/* A time series (trace) survives the file; --pair keeps one variant and renames it. */
Test(bench_doc, trace_round_trip_and_pair_view)
{
	struct doc *d = make_doc(0, 100), *back = NULL;
	struct series *x = d->suites[0].series[0];
	struct errbuf err = { "" };
	json_object *tr;
	char path[128];

	x->trace =
		json_tokener_parse("[{\"t_s\": [0.2, 0.4], \"value\": [10, 20], \"start\": "
				   "\"host\", \"marks\": [{\"t_s\": 0.3, \"label\": \"gang\"}]}]");
	cr_assert(x->trace);
	tmp_path(path, sizeof(path), "trace");
	cr_assert_eq(doc_write(d, path, &err), 0, "%s", err.msg);
	cr_assert_eq(doc_load(path, &back, &err), 0, "%s", err.msg);
	unlink(path);
	tr = back->suites[0].series[0]->trace;
	cr_assert(tr && json_object_array_length(tr) == 1);
	cr_expect_str_eq(json_object_to_json_string_ext(tr, JSON_C_TO_STRING_PLAIN),
			 json_object_to_json_string_ext(x->trace, JSON_C_TO_STRING_PLAIN));
	cr_assert_eq(doc_keep_variant(back, "cpl0", "cpl3->cpl0"), 0);
	cr_assert_eq(back->suites[0].nseries, 1);
	cr_expect_str_eq(back->suites[0].series[0]->variant, "cpl3->cpl0");
	cr_expect_str_eq(back->suites[0].series[0]->id, "exits/pio/cpl3->cpl0/exit");
	/* a word, not a substring */
	cr_assert_eq(doc_keep_variant(back, "cpl", "x"), 0);
	cr_expect_eq(back->suites[0].nseries, 0);
	doc_free(back);
	doc_free(d);
}

/* A quick-suite table of two strategies with these per-run values. */
static char *quick_table(const double *a, const double *b, const char *kvm_kind)
{
	struct doc *d = doc_new();
	struct suite_result *s = doc_add_suite(d, "quick", "the main job");
	json_object *host = json_object_new_object(), *kvm = json_object_new_object();
	struct bstats_params p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	json_object_object_add(kvm, "kind", json_object_new_string(kvm_kind));
	json_object_object_add(host, "kvm", kvm);
	json_object_object_add(d->meta, "host", host);
	for (unsigned v = 0; v < 2; v++) {
		struct series *x = suite_add_series(s, "spin", "Strategies", v ? "gang" : "host",
						    "acquisitions", "acquisitions", "1/s", true);

		for (unsigned i = 0; i < 8; i++)
			dvec_push(&x->samples, v ? b[i] : a[i]);
	}
	doc_finish(d);
	bstats_params_default(&p);
	f = open_memstream(&buf, &len);
	cr_assert(f);
	table_suite(f, &d->suites[0], &p, TABLE_TEXT, host);
	fclose(f);
	doc_free(d);
	return buf;
}

/* The line under a table reads it: the winner, by how much and why; or why nothing differs. */
Test(bench_doc, table_readings)
{
	static const double host[8] = { 100, 110, 105, 95, 102, 98, 101, 99 };
	static const double gang[8] = { 240, 250, 245, 235, 242, 238, 241, 239 };
	static const double same[8] = { 101, 109, 104, 96, 103, 97, 100, 98 };
	char *t = quick_table(host, gang, "vmx");

	cr_expect(strstr(t, "=> gang wins by 2.4x over host (p <= "), "%s", t);
	cr_expect(strstr(t, "a preempted lock holder never makes its sibling spin"), "%s", t);
	free(t);
	t = quick_table(host, same, "vmx");
	cr_expect(strstr(t, "=> no difference here: the host had CPUs to spare"), "%s", t);
	free(t);
	/* The reason is the host's: the big-lock group has its own for PVM hosts. */
	cr_assert(reading_find("quick", "big-lock"));
	cr_expect(strstr(reading_find("quick", "big-lock")->same_pvm, "PVM"));
	cr_expect(reading_find("quick", "no-such-group") == NULL);
	cr_expect(reading_find("threading", "churn") == NULL);
}
