/* table.c - readable result tables (text and Markdown). Main thread. */
#include <stdlib.h>
#include <string.h>

#include "bench/table.h"

void table_unit_scale(const char *unit, double ref, double *div, const char **label)
{
	double a = ref < 0 ? -ref : ref;

	*div = 1;
	*label = unit;
	if (!strcmp(unit, "ns")) {
		if (a >= 1e7) {
			*div = 1e6;
			*label = "ms";
		} else if (a >= 1e4) {
			*div = 1e3;
			*label = "us";
		}
	} else if (!strcmp(unit, "1/s")) {
		if (a >= 1e7) {
			*div = 1e6;
			*label = "M/s";
		} else if (a >= 1e4) {
			*div = 1e3;
			*label = "k/s";
		} else
			*label = "/s";
	} else if (!strcmp(unit, "KiB") && a >= 10240) {
		*div = 1024;
		*label = "MiB";
	} else if (!strcmp(unit, "share")) {
		*div = 0.01;
		*label = "pp"; /* percentage points */
	}
}

static void fmt(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;

	if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
}

/* Series of one group and metric, in document order. */
static size_t collect(const struct suite_result *s, const char *group, const char *metric,
		      const struct series **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nseries; i++)
		if (!strcmp(s->series[i]->group, group) && !strcmp(s->series[i]->metric, metric))
			out[n++] = s->series[i];
	return n;
}

static bool seen_before(const struct suite_result *s, size_t upto, const char *group,
			const char *metric)
{
	for (size_t i = 0; i < upto; i++)
		if (!strcmp(s->series[i]->group, group) &&
		    (!metric || !strcmp(s->series[i]->metric, metric)))
			return true;
	return false;
}

static void table_metric(FILE *f, const struct suite_result *s, const struct series *first,
			 const struct bstats_params *p, bool md)
{
	const struct series **row = calloc(s->nseries, sizeof(*row));
	struct bstats_change *ch = calloc(s->nseries, sizeof(*ch));
	size_t n = collect(s, first->group, first->metric, row), best = (size_t)-1, nok = 0;
	double div, bestmed = 0;
	const char *ul;
	unsigned wname = 8;
	size_t tie[64], ntie = 0, runner_up = (size_t)-1, nundecided = 0;

	if (!row || !ch)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double m;

		if (strlen(row[i]->variant) > wname)
			wname = (unsigned)strlen(row[i]->variant);
		if (row[i]->status != SERIES_OK || !row[i]->samples.n)
			continue;
		nok++;
		m = stats_median(row[i]->samples.v, row[i]->samples.n);
		if (best == (size_t)-1 || (first->higher_better ? m > bestmed : m < bestmed)) {
			best = i;
			bestmed = m;
		}
	}
	table_unit_scale(first->unit, bestmed, &div, &ul);
	if (md) {
		fprintf(f, "\n**%s** (%s, %s, %s is better)\n\n", first->metric_title,
			first->metric, ul, first->higher_better ? "higher" : "lower");
		fprintf(f, "| variant | median | 95%% CI | p10 - p90 | n | vs best | verdict |\n");
		fprintf(f, "|---|---:|---:|---:|---:|---:|---|\n");
	} else {
		fprintf(f, "\n  %s [%s], %s is better\n", first->metric_title, ul,
			first->higher_better ? "higher" : "lower");
		fprintf(f, "    %-*s %10s  %-19s %-19s %3s %8s  %s\n", wname, "variant", "median",
			"95% CI", "p10 - p90", "n", "vs best", "verdict");
	}
	for (size_t i = 0; i < n; i++) {
		const struct series *x = row[i];
		struct bstats_summary sm;
		char med[32], lo[32], hi[32], p10[32], p90[32], ci[80], spread[80], rel[32];
		char verdict[200];

		if (x->status != SERIES_OK || !x->samples.n) {
			const char *why = x->status == SERIES_OK ? "no samples" : x->note;

			if (md)
				fprintf(f, "| %s | - | - | - | 0 | - | %s: %s |\n", x->variant,
					series_status_name(x->status), why);
			else
				fprintf(f, "    %-*s %10s  %s: %.90s\n", wname, x->variant, "-",
					series_status_name(x->status), why);
			continue;
		}
		bstats_summarize(x->samples.v, x->samples.n, &sm);
		fmt(med, sizeof(med), sm.s.p50 / div);
		fmt(lo, sizeof(lo), sm.ci_lo / div);
		fmt(hi, sizeof(hi), sm.ci_hi / div);
		fmt(p10, sizeof(p10), sm.p10 / div);
		fmt(p90, sizeof(p90), sm.s.p90 / div);
		snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
		snprintf(spread, sizeof(spread), "%s - %s", p10, p90);
		if (i == best) {
			snprintf(rel, sizeof(rel), "-");
			snprintf(verdict, sizeof(verdict), "best");
		} else {
			bstats_compare(row[best]->samples.v, row[best]->samples.n, x->samples.v,
				       x->samples.n, x->higher_better, p, &ch[i]);
			if (ch[i].rel >= 9.995)
				snprintf(rel, sizeof(rel), "x%.0f", ch[i].rel + 1);
			else
				snprintf(rel, sizeof(rel), "%+.1f%%", ch[i].rel * 100);
			switch (ch[i].verdict) {
			case BSTATS_SLOWER:
				snprintf(verdict, sizeof(verdict), "worse (p=%.2g)", ch[i].test.p);
				break;
			case BSTATS_SAME:
				snprintf(verdict, sizeof(verdict), "same as best (p=%.2g)",
					 ch[i].test.p);
				if (ntie < 64)
					tie[ntie++] = i;
				break;
			case BSTATS_UNDECIDED:
				snprintf(verdict, sizeof(verdict), "undecided: %s", ch[i].reason);
				nundecided++;
				break;
			default: /* cannot beat the best median */
				snprintf(verdict, sizeof(verdict), "same as best (p=%.2g)",
					 ch[i].test.p);
				if (ntie < 64)
					tie[ntie++] = i;
				break;
			}
			if (runner_up == (size_t)-1 ||
			    (x->higher_better ? ch[i].med_b > ch[runner_up].med_b :
						ch[i].med_b < ch[runner_up].med_b))
				runner_up = i;
		}
		if (md)
			fprintf(f, "| %s | %s | %s | %s | %zu | %s | %s |\n", x->variant, med, ci,
				spread, x->samples.n, rel, verdict);
		else
			fprintf(f, "    %-*s %10s  %-19s %-19s %3zu %8s  %s\n", wname, x->variant,
				med, ci, spread, x->samples.n, rel, verdict);
	}
	if (nok == 0)
		fprintf(f, md ? "\nNothing ran in this group.\n" : "  => nothing ran\n");
	else if (nok == 1)
		fprintf(f, md ? "\nOnly **%s** ran.\n" : "  => only %s ran\n", row[best]->variant);
	else if (nundecided) {
		fprintf(f,
			md ? "\nUndecided: **%s** has the best median, but %zu variant(s) cannot be "
			     "told apart from it yet (more runs: --reps).\n" :
			     "  => undecided: %s has the best median, but %zu variant(s) cannot be told "
			     "apart from it yet (more runs: --reps)\n",
			row[best]->variant, nundecided);
	} else if (!ntie) {
		fprintf(f,
			md ? "\nWinner: **%s**; the runner-up, %s, is %+.1f%% (p=%.2g).\n" :
			     "  => winner: %s; the runner-up, %s, is %+.1f%% (p=%.2g)\n",
			row[best]->variant, row[runner_up]->variant, ch[runner_up].rel * 100,
			ch[runner_up].test.p);
	} else {
		fprintf(f, md ? "\nNo clear winner: **%s**" : "  => no clear winner: %s",
			row[best]->variant);
		for (size_t k = 0; k < ntie; k++)
			fprintf(f, "%s%s", k + 1 == ntie ? " and " : ", ", row[tie[k]]->variant);
		fprintf(f,
			md ? " are within noise of each other (alpha %g, minimum effect %g%%).\n" :
			     " are within noise (alpha %g, min effect %g%%)\n",
			p->alpha, p->min_effect * 100);
	}
out:
	free(row);
	free(ch);
}

/*
 * True when no series of the group of s->series[i] has samples and they all share one note
 * ("not available in this build: ..."): printed once (f) instead of a table per metric.
 */
static bool group_not_run(const struct suite_result *s, size_t i, FILE *f, bool md)
{
	const struct series *x = s->series[i];
	const char *note = NULL;

	for (size_t k = 0; k < s->nseries; k++) {
		const struct series *y = s->series[k];

		if (strcmp(y->group, x->group))
			continue;
		if (y->status == SERIES_OK || y->samples.n)
			return false;
		if (note && strcmp(note, y->note))
			return false;
		note = y->note;
	}
	if (f)
		fprintf(f, md ? "\n%s: %s.\n" : "  => %s: %s\n", series_status_name(x->status),
			note && *note ? note : "not run");
	return true;
}

void table_suite(FILE *f, const struct suite_result *s, const struct bstats_params *p, bool md)
{
	if (md)
		fprintf(f, "\n## %s\n\n%s. %u repetitions after %u warm-up, %.0f s.\n", s->name,
			s->description, s->reps, s->warmup, s->wall_s);
	else
		fprintf(f, "\n== %s: %s (%u runs per variant after %u warm-up, %.0f s)\n", s->name,
			s->description, s->reps, s->warmup, s->wall_s);
	for (size_t i = 0; i < s->nseries; i++) {
		const struct series *x = s->series[i];

		if (!seen_before(s, i, x->group, NULL)) {
			fprintf(f, md ? "\n### %s\n" : "\n-- %s\n", x->group_title);
			if (group_not_run(s, i, f, md))
				continue;
		} else if (group_not_run(s, i, NULL, md))
			continue;
		if (!seen_before(s, i, x->group, x->metric))
			table_metric(f, s, x, p, md);
	}
	if (s->nratios) {
		int w = 32; /* the names' column */

		for (size_t i = 0; i < s->nratios; i++)
			if ((int)strlen(s->ratios[i].name) > w)
				w = (int)strlen(s->ratios[i].name);
		fprintf(f, md ? "\n### Ratios (median / median, bootstrap 95%% interval)\n\n" :
				"\n-- Ratios (median / median, bootstrap 95%% interval)\n");
		for (size_t i = 0; i < s->nratios; i++) {
			const struct ratio *r = &s->ratios[i];

			if (md && r->value == 0)
				fprintf(f, "- %s: not measured\n", r->name);
			else if (md)
				fprintf(f, "- %s: **%.2f** [%.2f, %.2f]\n", r->name, r->value,
					r->lo, r->hi);
			else if (r->value == 0)
				fprintf(f, "    %-*s not measured\n", w, r->name);
			else
				fprintf(f, "    %-*s %6.2f  [%.2f, %.2f]\n", w, r->name, r->value,
					r->lo, r->hi);
		}
	}
}
