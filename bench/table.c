/* table.c - readable result tables (text and Markdown). Main thread. */
#include <stdlib.h>
#include <string.h>

#include "bench/suites.h"
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

static void fmt_num(char *buf, size_t len, double v)
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

/* Text for HTML: & < > " escaped. */
static void put_html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void table_host_from_json(json_object *host, struct table_host *h)
{
	json_object *kvm, *v;

	memset(h, 0, sizeof(*h));
	h->load = -1;
	if (!host)
		return;
	if (json_object_object_get_ex(host, "load_average", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v))
		h->load = json_object_get_double(json_object_array_get_idx(v, 0));
	if (json_object_object_get_ex(host, "kvm", &kvm) &&
	    json_object_object_get_ex(kvm, "kind", &v))
		h->pvm = !strcmp(json_object_get_string(v), "pvm");
	if (json_object_object_get_ex(host, "cpus_online", &v))
		h->cpus = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(host, "packages", &v) && json_object_get_int(v) == 1 &&
	    json_object_object_get_ex(host, "threads_per_core", &v) && json_object_get_int(v) == 1)
		h->flat = true;
}

/* Other work on the host when the run started: a reason runs could not be told apart. */
static void busy_clause(char *buf, size_t len, const struct table_host *h)
{
	size_t o = strlen(buf);

	if (h->cpus && h->load > h->cpus && o < len)
		snprintf(buf + o, len - o,
			 "; the host was busy when the run started (load average %.1f on %u CPUs): "
			 "other work took CPU time the vCPUs needed",
			 h->load, h->cpus);
}

/* The variants of a table that did not run, named after its reading. */
static void not_run(char *buf, size_t len, const struct series **row, size_t n)
{
	size_t o = strlen(buf);
	bool first = true;

	for (size_t i = 0; i < n && o < len; i++) {
		if (row[i]->status == SERIES_OK && row[i]->samples.n)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s (%s)",
				      first ? " (not in the "
					      "comparison: " :
					      ", ",
				      row[i]->variant, series_status_name(row[i]->status));
		first = false;
	}
	if (!first && o < len)
		snprintf(buf + o, len - o, ")");
}

/* How much better the best median is than another: a factor >= 1 in the metric's sense. */
static double factor(const struct bstats_change *c, bool higher_better)
{
	if (higher_better)
		return c->med_b > 0 ? c->med_a / c->med_b : 0;
	return c->med_a > 0 ? c->med_b / c->med_a : 0;
}

static const char *why_of(const struct reading_def *rd, const char *name)
{
	for (unsigned i = 0; rd && rd->wins && rd->wins[i].variant; i++)
		if (!strcmp(rd->wins[i].variant, name))
			return rd->wins[i].why;
	return NULL;
}

/* Why there is no difference, for this host. */
static const char *same_reason(const struct reading_def *rd, const struct table_host *h)
{
	if (h->flat && rd->same_flat)
		return rd->same_flat;
	if (h->pvm && rd->same_pvm)
		return rd->same_pvm;
	return rd->same;
}

/* The targets of a share group sit on its share_dev series (runner.c). */
static const struct series *targets_of(const struct suite_result *s, const struct series *x)
{
	for (size_t i = 0; i < s->nseries; i++)
		if (!strcmp(s->series[i]->group, x->group) &&
		    !strcmp(s->series[i]->variant, x->variant) && s->series[i]->targets.n)
			return s->series[i];
	return NULL;
}

/* Share metrics: what the runs got against the targets. */
static void read_targets(char *buf, size_t len, const struct suite_result *s,
			 const struct series **row, size_t n, const struct reading_def *rd,
			 const struct table_host *h)
{
	size_t o = 0;
	double worst = -1;

	for (size_t i = 0; i < n && o < len; i++) {
		const struct series *x = row[i], *t = targets_of(s, x);
		unsigned k;
		double m;

		if (x->status != SERIES_OK || !x->samples.n)
			continue;
		m = stats_median(x->samples.v, x->samples.n);
		if (t == x) {
			if (m > worst)
				worst = m;
			continue;
		}
		if (sscanf(x->metric, "vm%u_share", &k) == 1 && t && k < t->targets.n)
			o += (size_t)snprintf(buf + o, len - o,
					      "%s%s: VM %u got %.1f%% of the host, target %.1f%%",
					      o ? "; " : "", x->variant, k, m * 100,
					      t->targets.v[k] * 100);
		else if (sscanf(x->metric, "vm%u_share", &k) == 1)
			o += (size_t)snprintf(buf + o, len - o,
					      "%s%s: VM %u got %.1f%% of the host (no target: as "
					      "much as it could)",
					      o ? "; " : "", x->variant, k, m * 100);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%s: %.1f%% of the host",
					      o ? "; " : "", x->variant, m * 100);
	}
	if (worst < 0)
		return;
	o = (size_t)snprintf(buf, len,
			     "the largest gap between a VM's share and its target is %.1f pp "
			     "(median of the runs): %s the 5 pp asked",
			     worst * 100, worst <= 0.05 ? "within" : "outside");
	if (o < len && worst <= 0.05 && rd->targets)
		snprintf(buf + o, len - o, "; %s", rd->targets);
	else if (o < len)
		snprintf(buf + o, len - o,
			 " (the shares are of the whole host: other work on it takes CPU time from "
			 "both VMs)");
	if (worst > 0.05)
		busy_clause(buf, len, h);
}

/*
 * The reading of one table in words: the winner, by how much against each variant that is
 * significantly worse, and why (the group's reading); or why there is no difference here.
 * Verdicts are the tables' (bstats_compare against the best median, as `bench compare`).
 */
static void read_ranked(char *buf, size_t len, const struct series **row, size_t n, size_t best,
			const struct bstats_change *ch, const struct reading_def *rd,
			const struct table_host *h, const struct bstats_params *p)
{
	size_t o = 0, nworse = 0, nundecided = 0;
	double pmax = 0;
	const char *why;

	for (size_t i = 0; i < n; i++) {
		if (i == best || row[i]->status != SERIES_OK || !row[i]->samples.n)
			continue;
		if (ch[i].verdict == BSTATS_SLOWER)
			nworse++;
		else if (ch[i].verdict == BSTATS_UNDECIDED)
			nundecided++;
	}
	if (!nworse && !nundecided) {
		snprintf(buf, len,
			 "no difference here: %s (every variant within noise: alpha %g, "
			 "minimum effect %g%%)",
			 same_reason(rd, h), p->alpha, p->min_effect * 100);
		busy_clause(buf, len, h);
		not_run(buf, len, row, n);
		return;
	}
	if (!nworse) {
		snprintf(
			buf, len,
			"undecided: %s has the best median, but %zu variant(s) cannot be told apart "
			"from it yet (more runs: --reps)",
			row[best]->variant, nundecided);
		busy_clause(buf, len, h);
		not_run(buf, len, row, n);
		return;
	}
	o += (size_t)snprintf(buf + o, len - o, "%s", row[best]->variant);
	for (size_t i = 0; i < n && o < len; i++)
		if (i != best && row[i]->status == SERIES_OK && row[i]->samples.n &&
		    ch[i].verdict != BSTATS_SLOWER && ch[i].verdict != BSTATS_UNDECIDED)
			o += (size_t)snprintf(buf + o, len - o, " and %s (a tie)", row[i]->variant);
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, " wins by");
	for (size_t i = 0, k = 0; i < n && o < len; i++) {
		if (i == best || ch[i].verdict != BSTATS_SLOWER || !row[i]->samples.n)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s %.1fx over %s", k++ ? "," : "",
				      factor(&ch[i], row[best]->higher_better), row[i]->variant);
		if (ch[i].test.p > pmax)
			pmax = ch[i].test.p;
	}
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, " (p <= %.2g)", pmax);
	if (nundecided && o < len)
		o += (size_t)snprintf(buf + o, len - o, ", %zu undecided", nundecided);
	if (h->flat && rd->same_flat) {
		/* The variants are the same configuration here: a gap is between runs. */
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o,
					      ", but not because of the knob: %s, so the gap is "
					      "between runs, not variants",
					      rd->same_flat);
		busy_clause(buf, len, h);
		not_run(buf, len, row, n);
		return;
	}
	why = why_of(rd, row[best]->variant);
	if (o < len)
		snprintf(buf + o, len - o, "; %s",
			 why ? why :
			       "not the direction expected (docs/bench.md, \"The main job\"): "
			       "look at this host's load and the raw samples");
	not_run(buf, len, row, n);
}

/* One variant, two metrics of it compared (a live switch: gang phases against host phases). */
static void read_pair(char *buf, size_t len, const struct suite_result *s, const struct series *x,
		      const struct reading_def *rd, const struct table_host *h,
		      const struct bstats_params *p)
{
	const struct series *y = NULL;
	struct bstats_change c;
	const char *why;

	for (size_t i = 0; i < s->nseries; i++)
		if (!strcmp(s->series[i]->group, x->group) &&
		    !strcmp(s->series[i]->variant, x->variant) &&
		    !strcmp(s->series[i]->metric, rd->pair_of))
			y = s->series[i];
	if (!y || y->status != SERIES_OK || !y->samples.n || !x->samples.n) {
		snprintf(buf, len, "no %s phases to compare with", rd->pair_of);
		return;
	}
	bstats_compare(y->samples.v, y->samples.n, x->samples.v, x->samples.n, x->higher_better, p,
		       &c);
	switch (c.verdict) {
	case BSTATS_FASTER:
	case BSTATS_SLOWER: {
		bool better = c.verdict == BSTATS_FASTER;
		const char *w = better ? x->metric : y->metric;

		why = why_of(rd, w);
		snprintf(buf, len,
			 "%s wins: the %s phases gave %.1fx the %s phases of the same runs "
			 "(p = %.2g)%s%s",
			 w, x->metric, c.med_a > 0 ? c.med_b / c.med_a : 0, y->metric, c.test.p,
			 why ? "; " : "", why ? why : "");
		break;
	}
	case BSTATS_UNDECIDED:
		snprintf(buf, len, "undecided: the %s phases gave %.1fx the %s phases (%s)",
			 x->metric, c.med_a > 0 ? c.med_b / c.med_a : 0, y->metric, c.reason);
		busy_clause(buf, len, h);
		break;
	default:
		snprintf(buf, len, "no difference here between the %s and %s phases: %s (p = %.2g)",
			 x->metric, y->metric, same_reason(rd, h), c.test.p);
	}
}

static void put_reading(FILE *f, enum table_format fmt, const char *text)
{
	switch (fmt) {
	case TABLE_TEXT:
		fprintf(f, "  => %s\n", text);
		break;
	case TABLE_MD:
		fprintf(f, "\n=> %s.\n", text);
		break;
	case TABLE_HTML:
		fputs("<p class=\"reading\">&rArr; ", f);
		put_html(f, text);
		fputs(".</p>\n", f);
		break;
	}
}

static void table_metric(FILE *f, const struct suite_result *s, const struct series *first,
			 const struct bstats_params *p, enum table_format fmt,
			 const struct table_host *h)
{
	const struct series **row = calloc(s->nseries, sizeof(*row));
	struct bstats_change *ch = calloc(s->nseries, sizeof(*ch));
	size_t n = collect(s, first->group, first->metric, row), best = (size_t)-1, nok = 0;
	const struct reading_def *rd = reading_find(s->name, first->group);
	double div, bestmed = 0;
	const char *ul;
	unsigned wname = 8;
	size_t tie[64], ntie = 0, runner_up = (size_t)-1, nundecided = 0;
	char reading[1400] = "";
	bool md = fmt == TABLE_MD;

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
	if (fmt == TABLE_HTML) {
		fputs("<table>\n<caption>", f);
		put_html(f, first->metric_title);
		fprintf(f, " (%s, %s, %s is better)</caption>\n", first->metric, ul,
			first->higher_better ? "higher" : "lower");
		fputs("<tr><th>variant</th><th>median</th><th>95% CI</th><th>p10 - p90</th>"
		      "<th>n</th><th>vs best</th><th>verdict</th></tr>\n",
		      f);
	} else if (md) {
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

			if (fmt == TABLE_HTML) {
				fputs("<tr><td>", f);
				put_html(f, x->variant);
				fprintf(f, "</td><td colspan=\"6\">%s: ",
					series_status_name(x->status));
				put_html(f, why);
				fputs("</td></tr>\n", f);
			} else if (md)
				fprintf(f, "| %s | - | - | - | 0 | - | %s: %s |\n", x->variant,
					series_status_name(x->status), why);
			else
				fprintf(f, "    %-*s %10s  %s: %.90s\n", wname, x->variant, "-",
					series_status_name(x->status), why);
			continue;
		}
		bstats_summarize(x->samples.v, x->samples.n, &sm);
		fmt_num(med, sizeof(med), sm.s.p50 / div);
		fmt_num(lo, sizeof(lo), sm.ci_lo / div);
		fmt_num(hi, sizeof(hi), sm.ci_hi / div);
		fmt_num(p10, sizeof(p10), sm.p10 / div);
		fmt_num(p90, sizeof(p90), sm.s.p90 / div);
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
			case BSTATS_UNDECIDED:
				snprintf(verdict, sizeof(verdict), "undecided: %s", ch[i].reason);
				nundecided++;
				break;
			default: /* same, or cannot beat the best median */
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
		if (fmt == TABLE_HTML) {
			fprintf(f, "<tr%s><td>", i == best ? " class=\"best\"" : "");
			put_html(f, x->variant);
			fprintf(f,
				"</td><td>%s</td><td>%s</td><td>%s</td><td>%zu</td><td>%s</td>"
				"<td>",
				med, ci, spread, x->samples.n, rel);
			put_html(f, verdict);
			fputs("</td></tr>\n", f);
		} else if (md)
			fprintf(f, "| %s | %s | %s | %s | %zu | %s | %s |\n", x->variant, med, ci,
				spread, x->samples.n, rel, verdict);
		else
			fprintf(f, "    %-*s %10s  %-19s %-19s %3zu %8s  %s\n", wname, x->variant,
				med, ci, spread, x->samples.n, rel, verdict);
	}
	if (fmt == TABLE_HTML)
		fputs("</table>\n", f);
	if (nok == 0)
		snprintf(reading, sizeof(reading), "nothing ran");
	else if (rd && rd->targets && !strcmp(first->unit, "share"))
		read_targets(reading, sizeof(reading), s, row, n, rd, h);
	else if (rd && rd->pair && nok == 1 && !strcmp(first->metric, rd->pair))
		read_pair(reading, sizeof(reading), s, row[best], rd, h, p);
	else if (rd && rd->pair && nok == 1 && !strcmp(first->metric, rd->pair_of))
		snprintf(reading, sizeof(reading),
			 "the %s phases of these runs, the baseline of the %s phases (next table)",
			 rd->pair_of, rd->pair);
	else if (nok == 1)
		snprintf(reading, sizeof(reading), "only %s ran", row[best]->variant);
	else if (rd)
		read_ranked(reading, sizeof(reading), row, n, best, ch, rd, h, p);
	else if (nundecided)
		snprintf(reading, sizeof(reading),
			 "undecided: %s has the best median, but %zu variant(s) cannot be told "
			 "apart from it yet (more runs: --reps)",
			 row[best]->variant, nundecided);
	else if (!ntie)
		snprintf(reading, sizeof(reading),
			 "winner: %s; the runner-up, %s, is %+.1f%% (p=%.2g)", row[best]->variant,
			 row[runner_up]->variant, ch[runner_up].rel * 100, ch[runner_up].test.p);
	else {
		size_t o = (size_t)snprintf(reading, sizeof(reading), "no clear winner: %s",
					    row[best]->variant);

		for (size_t k = 0; k < ntie && o < sizeof(reading); k++)
			o += (size_t)snprintf(reading + o, sizeof(reading) - o, "%s%s",
					      k + 1 == ntie ? " and " : ", ", row[tie[k]]->variant);
		if (o < sizeof(reading))
			snprintf(reading + o, sizeof(reading) - o,
				 " are within noise (alpha %g, min effect %g%%)", p->alpha,
				 p->min_effect * 100);
	}
	put_reading(f, fmt, reading);
out:
	free(row);
	free(ch);
}

/*
 * True when no series of the group of s->series[i] has samples and they all share one note
 * ("not available in this build: ..."): printed once (f) instead of a table per metric.
 */
static bool group_not_run(const struct suite_result *s, size_t i, FILE *f, enum table_format fmt)
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
	if (f) {
		char buf[400];

		snprintf(buf, sizeof(buf), "%s: %s", series_status_name(x->status),
			 note && *note ? note : "not run");
		put_reading(f, fmt, buf);
	}
	return true;
}

void table_suite(FILE *f, const struct suite_result *s, const struct bstats_params *p,
		 enum table_format fmt, json_object *host)
{
	struct table_host h;
	bool md = fmt == TABLE_MD, html = fmt == TABLE_HTML;

	table_host_from_json(host, &h);
	if (html) {
		fprintf(f, "<h2 id=\"suite-%s\">%s</h2>\n<p>", s->name, s->name);
		put_html(f, s->description);
		fprintf(f, ". %u repetitions after %u warm-up, %.0f s.</p>\n", s->reps, s->warmup,
			s->wall_s);
	} else if (md)
		fprintf(f, "\n## %s\n\n%s. %u repetitions after %u warm-up, %.0f s.\n", s->name,
			s->description, s->reps, s->warmup, s->wall_s);
	else
		fprintf(f, "\n== %s: %s (%u runs per variant after %u warm-up, %.0f s)\n", s->name,
			s->description, s->reps, s->warmup, s->wall_s);
	for (size_t i = 0; i < s->nseries; i++) {
		const struct series *x = s->series[i];

		if (!seen_before(s, i, x->group, NULL)) {
			if (html) {
				fprintf(f, "<h3 id=\"group-%s-%s\">", s->name, x->group);
				put_html(f, x->group_title);
				fputs("</h3>\n", f);
			} else
				fprintf(f, md ? "\n### %s\n" : "\n-- %s\n", x->group_title);
			if (group_not_run(s, i, f, fmt))
				continue;
		} else if (group_not_run(s, i, NULL, fmt))
			continue;
		if (!seen_before(s, i, x->group, x->metric))
			table_metric(f, s, x, p, fmt, &h);
	}
	if (s->nratios) {
		int w = 32; /* the names' column */

		for (size_t i = 0; i < s->nratios; i++)
			if ((int)strlen(s->ratios[i].name) > w)
				w = (int)strlen(s->ratios[i].name);
		if (html)
			fputs("<h3>Ratios (median / median, bootstrap 95% interval)</h3>\n<ul>\n",
			      f);
		else
			fprintf(f,
				md ? "\n### Ratios (median / median, bootstrap 95%% interval)\n\n" :
				     "\n-- Ratios (median / median, bootstrap 95%% interval)\n");
		for (size_t i = 0; i < s->nratios; i++) {
			const struct ratio *r = &s->ratios[i];

			if (html) {
				fputs("<li>", f);
				put_html(f, r->name);
				if (r->value == 0)
					fputs(": not measured</li>\n", f);
				else
					fprintf(f, ": <b>%.2f</b> [%.2f, %.2f]</li>\n", r->value,
						r->lo, r->hi);
			} else if (md && r->value == 0)
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
		if (html)
			fputs("</ul>\n", f);
	}
}

void table_html_escape(FILE *f, const char *s)
{
	put_html(f, s);
}
