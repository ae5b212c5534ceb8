/* compare.c - A/B comparison of two benchmark documents. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench/compare.h"
#include "bench/table.h"
#include "util/cliopt.h"
#include "util/log.h"

struct row {
	const struct series *a, *b;
	struct bstats_change c;
	bool compared;
	const char *why; /* when not compared */
};

static bool same_metric(const struct series *x, const struct series *y)
{
	return !strcmp(x->suite, y->suite) && !strcmp(x->metric, y->metric);
}

static void print_value(char *buf, size_t len, double v, const char *unit)
{
	double div;
	const char *label;

	table_unit_scale(unit, v, &div, &label);
	snprintf(buf, len, "%.4g %s", v / div, label);
}

int compare_docs(const struct doc *a, const struct doc *b, const struct bstats_params *p, FILE *f,
		 bool md, struct compare_counts *counts, json_object **json)
{
	size_t n = 0, w = 10;
	struct row *rows;
	json_object *results = NULL;

	memset(counts, 0, sizeof(*counts));
	for (size_t i = 0; i < b->nsuites; i++)
		n += b->suites[i].nseries;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < b->nsuites; i++)
		for (size_t k = 0; k < b->suites[i].nseries; k++) {
			struct row *r = &rows[n++];

			r->b = b->suites[i].series[k];
			r->a = doc_find_series(a, r->b->id);
			if (strlen(r->b->id) > w)
				w = strlen(r->b->id);
			if (!r->a)
				r->why = "not in OLD";
			else if (r->a->status != SERIES_OK || !r->a->samples.n)
				r->why = r->a->status == SERIES_UNAVAILABLE ? "unavailable in OLD" :
									      "no samples in OLD";
			else if (r->b->status != SERIES_OK || !r->b->samples.n)
				r->why = r->b->status == SERIES_UNAVAILABLE ? "unavailable in NEW" :
									      "no samples in NEW";
			else if (bstats_compare(r->a->samples.v, r->a->samples.n, r->b->samples.v,
						r->b->samples.n, r->b->higher_better, p, &r->c))
				r->why = "cannot compare";
			else
				r->compared = true;
		}
	/* The noise filter, once per metric over all its parameterisations. */
	for (size_t i = 0; i < n; i++) {
		struct bstats_change **group;
		size_t ng = 0;
		bool done = false;

		if (!rows[i].compared)
			continue;
		for (size_t k = 0; k < i; k++)
			if (rows[k].compared && same_metric(rows[k].b, rows[i].b))
				done = true;
		if (done)
			continue;
		group = calloc(n, sizeof(*group));
		if (!group) {
			free(rows);
			return -ENOMEM;
		}
		for (size_t k = i; k < n; k++)
			if (rows[k].compared && same_metric(rows[k].b, rows[i].b))
				group[ng++] = &rows[k].c;
		bstats_noise_filter(group, ng, p);
		free(group);
	}
	if (f) {
		if (md) {
			fprintf(f, "| series | old | new | change | 95%% CI | p | verdict |\n");
			fprintf(f, "|---|---:|---:|---:|---:|---:|---|\n");
		} else
			fprintf(f, "%-*s %12s %12s %8s %17s %8s  %s\n", (int)w, "series", "old",
				"new", "change", "95% CI", "p", "verdict");
	}
	if (json)
		results = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char old[32] = "-", new[32] = "-", ci[48] = "", verdict[160];
		json_object *o;

		if (!r->compared) {
			counts->incomparable++;
			snprintf(verdict, sizeof(verdict), "not compared: %s", r->why);
		} else {
			switch (r->c.verdict) {
			case BSTATS_FASTER:
				counts->faster++;
				break;
			case BSTATS_SLOWER:
				counts->slower++;
				break;
			case BSTATS_SAME:
				counts->same++;
				break;
			case BSTATS_UNDECIDED:
				counts->undecided++;
				break;
			}
			print_value(old, sizeof(old), r->c.med_a, r->b->unit);
			print_value(new, sizeof(new), r->c.med_b, r->b->unit);
			snprintf(ci, sizeof(ci), "[%+.1f, %+.1f]%%", r->c.rel_lo * 100,
				 r->c.rel_hi * 100);
			snprintf(verdict, sizeof(verdict), "%s%s (%s)",
				 bstats_verdict_name(r->c.verdict),
				 r->c.verdict == BSTATS_SLOWER ? " REGRESSION" : "", r->c.reason);
		}
		if (f && md && r->compared)
			fprintf(f, "| %s | %s | %s | %+.1f%% | %s | %.2g | %s |\n", r->b->id, old,
				new, r->c.rel * 100, ci, r->c.test.p, verdict);
		else if (f && md)
			fprintf(f, "| %s | - | - | - | - | - | %s |\n", r->b->id, verdict);
		if (f && !md) {
			if (r->compared)
				fprintf(f, "%-*s %12s %12s %+7.1f%% %17s %8.2g  %s\n", (int)w,
					r->b->id, old, new, r->c.rel * 100, ci, r->c.test.p,
					verdict);
			else
				fprintf(f, "%-*s %12s %12s %8s %17s %8s  %s\n", (int)w, r->b->id,
					old, new, "-", "", "-", verdict);
		}
		if (!results)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(r->b->id));
		json_object_object_add(o, "metric", json_object_new_string(r->b->metric));
		json_object_object_add(o, "unit", json_object_new_string(r->b->unit));
		json_object_object_add(
			o, "better",
			json_object_new_string(r->b->higher_better ? "higher" : "lower"));
		if (r->compared) {
			json_object *ci_arr = json_object_new_array();

			json_object_object_add(o, "old_median", json_object_new_double(r->c.med_a));
			json_object_object_add(o, "new_median", json_object_new_double(r->c.med_b));
			json_object_object_add(o, "old_n",
					       json_object_new_int((int)r->a->samples.n));
			json_object_object_add(o, "new_n",
					       json_object_new_int((int)r->b->samples.n));
			json_object_object_add(o, "change", json_object_new_double(r->c.rel));
			json_object_array_add(ci_arr, json_object_new_double(r->c.rel_lo));
			json_object_array_add(ci_arr, json_object_new_double(r->c.rel_hi));
			json_object_object_add(o, "change_ci95", ci_arr);
			json_object_object_add(o, "p_value", json_object_new_double(r->c.test.p));
			json_object_object_add(o, "test", json_object_new_string(r->c.test.method));
			json_object_object_add(
				o, "verdict",
				json_object_new_string(bstats_verdict_name(r->c.verdict)));
			json_object_object_add(o, "noise_filtered",
					       json_object_new_boolean(r->c.filtered));
			json_object_object_add(o, "reason", json_object_new_string(r->c.reason));
		} else {
			json_object_object_add(o, "verdict",
					       json_object_new_string("not compared"));
			json_object_object_add(o, "reason", json_object_new_string(r->why));
		}
		json_object_array_add(results, o);
	}
	if (f)
		fprintf(f,
			"\n%zu faster, %zu slower, %zu same, %zu undecided, %zu not compared "
			"(alpha %g, minimum effect %g%%, noise threshold %g%%, %s)\n",
			counts->faster, counts->slower, counts->same, counts->undecided,
			counts->incomparable, p->alpha, p->min_effect * 100, p->noise * 100,
			p->permutation ? "permutation test on medians" : "Mann-Whitney U");
	if (json) {
		json_object *o = json_object_new_object(), *s = json_object_new_object();
		json_object *params = json_object_new_object();

		json_object_object_add(o, "schema",
				       json_object_new_string("strand-bench-compare/1"));
		json_object_object_add(params, "alpha", json_object_new_double(p->alpha));
		json_object_object_add(params, "min_effect", json_object_new_double(p->min_effect));
		json_object_object_add(params, "noise", json_object_new_double(p->noise));
		json_object_object_add(params, "test",
				       json_object_new_string(p->permutation ?
								      "permutation-median" :
								      "mann-whitney-u"));
		json_object_object_add(o, "params", params);
		json_object_object_add(s, "faster", json_object_new_int((int)counts->faster));
		json_object_object_add(s, "slower", json_object_new_int((int)counts->slower));
		json_object_object_add(s, "same", json_object_new_int((int)counts->same));
		json_object_object_add(s, "undecided", json_object_new_int((int)counts->undecided));
		json_object_object_add(s, "not_compared",
				       json_object_new_int((int)counts->incomparable));
		json_object_object_add(o, "summary", s);
		json_object_object_add(o, "results", results);
		*json = o;
	}
	free(rows);
	return 0;
}

void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: strand bench compare [options] OLD.json NEW.json\n"
		"       strand bench compare [options] --pair A/B DOC.json [NEW.json]\n"
		"\n"
		"Compares every series of NEW with the same series of OLD (documents written by\n"
		"strand bench --json): change of the median, its bootstrap 95%% interval, a\n"
		"two-sided p-value and a verdict: faster, slower, same or undecided.\n"
		"\n"
		"  --pair A/B         an A/B pair of variants inside the documents: each series of a\n"
		"                     variant with the word A (OLD) against the same series with B\n"
		"                     in its place (NEW; one document: both sides from it), e.g.\n"
		"                     --pair poll=off/poll=1kHz monitor.json\n"
		"  --alpha P          significance level (default 0.01)\n"
		"  --min-effect F     smallest relative change that counts (default 0.05 = 5%%)\n"
		"  --noise F          Firecracker's noise threshold: a metric's mean change over all\n"
		"                     its parameterisations must exceed it (default 0.05)\n"
		"  --test mwu|perm    Mann-Whitney U (default) or a permutation test on medians\n"
		"  --json FILE        write the comparison as JSON\n"
		"  --markdown         print a Markdown table\n"
		"  --fail-on-undecided  exit 1 when a series stays undecided\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 no regression, 1 a regression, 2 bad usage or input.\n");
}

static int parse_fraction(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v < 0 || v > 1)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { O_ALPHA = 256, O_MIN, O_NOISE, O_TEST, O_JSON, O_MD, O_FAIL, O_HELP, O_PAIR };
const struct option compare_options[] = {
	{ "alpha", required_argument, NULL, O_ALPHA },
	{ "min-effect", required_argument, NULL, O_MIN },
	{ "noise", required_argument, NULL, O_NOISE },
	{ "test", required_argument, NULL, O_TEST },
	{ "json", required_argument, NULL, O_JSON },
	{ "markdown", no_argument, NULL, O_MD },
	{ "fail-on-undecided", no_argument, NULL, O_FAIL },
	{ "pair", required_argument, NULL, O_PAIR },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

int compare_main(int argc, char **argv)
{
	struct cliopt o;
	struct bstats_params p;
	const char *json_path = NULL, *pair = NULL, *old_path, *new_path;
	char old_word[128], new_word[128], label[300];
	bool md = false, fail_undecided = false;
	struct doc *a = NULL, *b = NULL;
	struct compare_counts counts;
	struct errbuf err = { "" };
	json_object *out = NULL;
	int c, status = 2;

	bstats_params_default(&p);
	cliopt_init(&o, "bench compare", argc, argv, "+h", compare_options);
	while ((c = cliopt_next(&o, &err)) != -1) {
		switch (c) {
		case O_ALPHA:
			if (parse_fraction(o.arg, &p.alpha) || p.alpha == 0) {
				log_error("--alpha: expected a probability in (0, 1], got '%s'",
					  o.arg);
				return 2;
			}
			break;
		case O_MIN:
			if (parse_fraction(o.arg, &p.min_effect)) {
				log_error("--min-effect: expected a fraction in [0, 1], got '%s'",
					  o.arg);
				return 2;
			}
			break;
		case O_NOISE:
			if (parse_fraction(o.arg, &p.noise)) {
				log_error("--noise: expected a fraction in [0, 1], got '%s'",
					  o.arg);
				return 2;
			}
			break;
		case O_TEST:
			if (strcmp(o.arg, "mwu") && strcmp(o.arg, "perm")) {
				log_error("--test: expected mwu or perm, got '%s'", o.arg);
				return 2;
			}
			p.permutation = !strcmp(o.arg, "perm");
			break;
		case O_JSON:
			json_path = o.arg;
			break;
		case O_MD:
			md = true;
			break;
		case O_FAIL:
			fail_undecided = true;
			break;
		case O_PAIR: {
			const char *slash = strchr(o.arg, '/');

			if (!slash || slash == o.arg || !slash[1] || strchr(slash + 1, '/') ||
			    (size_t)(slash - o.arg) >= sizeof(old_word) ||
			    strlen(slash + 1) >= sizeof(new_word)) {
				log_error("--pair: expected OLD_VARIANT/NEW_VARIANT, got '%s'",
					  o.arg);
				return 2;
			}
			pair = o.arg;
			snprintf(old_word, sizeof(old_word), "%.*s", (int)(slash - o.arg), o.arg);
			snprintf(new_word, sizeof(new_word), "%s", slash + 1);
			snprintf(label, sizeof(label), "%s->%s", old_word, new_word);
			break;
		}
		case 'h':
		case O_HELP:
			compare_usage(stdout);
			return 0;
		default:
			log_error("%s (see strand bench compare --help)", err.msg);
			return 2;
		}
	}
	if (argc - o.ind != 2 && !(pair && argc - o.ind == 1)) {
		log_error("bench compare: expected two documents, OLD.json NEW.json, or one with "
			  "--pair (see strand bench compare --help)");
		return 2;
	}
	if (json_path && cliopt_check_output("--json", json_path, false, &err)) {
		log_error("bench compare: %s", err.msg);
		return 2;
	}
	old_path = argv[o.ind];
	new_path = argc - o.ind == 2 ? argv[o.ind + 1] : old_path;
	if (doc_load(old_path, &a, &err) || doc_load(new_path, &b, &err)) {
		log_error("bench compare: %s", err.msg);
		goto out;
	}
	if (pair) {
		if (doc_keep_variant(a, old_word, label) || doc_keep_variant(b, new_word, label)) {
			log_error("bench compare: out of memory");
			goto out;
		}
		printf("A/B pair: %s (old) against %s (new)\n", old_word, new_word);
	}
	if (compare_docs(a, b, &p, stdout, md, &counts, json_path ? &out : NULL)) {
		log_error("bench compare: out of memory");
		goto out;
	}
	if (out) {
		json_object_object_add(out, "old", json_object_new_string(old_path));
		json_object_object_add(out, "new", json_object_new_string(new_path));
		if (pair)
			json_object_object_add(out, "pair", json_object_new_string(pair));
		if (json_object_to_file_ext(json_path, out, JSON_C_TO_STRING_PRETTY)) {
			log_error("bench compare: %s: %s", json_path, json_util_get_last_err());
			goto out;
		}
	}
	status = counts.slower || (fail_undecided && counts.undecided) ? 1 : 0;
	printf("%s\n", counts.slower			  ? "REGRESSION" :
		       fail_undecided && counts.undecided ? "UNDECIDED (treated as failure)" :
							    "no regression");
out:
	json_object_put(out);
	doc_free(a);
	doc_free(b);
	return status;
}
