/* plot.c - gnuplot pictures and the Markdown report. Main thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/host.h"
#include "bench/plot.h"
#include "bench/spawn.h"
#include "bench/table.h"

#define CDF_POINTS 400

struct panel_list {
	FILE *body; /* the multiplot body, written to a memory stream */
	char *buf;
	size_t len;
	unsigned n;
};

/* A title safe inside gnuplot double quotes; a long one breaks after its first colon. */
static void quote(char *dst, size_t len, const char *src)
{
	bool wrap = strlen(src) > 64;
	size_t o = 0;

	for (; *src && o + 3 < len; src++) {
		if (*src == '"' || *src == '\\') {
			dst[o++] = '\'';
		} else if (wrap && src[0] == ':' && src[1] == ' ') {
			dst[o++] = '\\';
			dst[o++] = 'n';
			src++;
			wrap = false;
		} else {
			dst[o++] = *src;
		}
	}
	dst[o] = '\0';
}

/* File-name-safe form of an id. */
static void safe(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < len; src++)
		dst[o++] = (*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
					   (*src >= '0' && *src <= '9') || *src == '-' ?
				   *src :
				   '_';
	dst[o] = '\0';
}

static size_t collect(const struct suite_result *s, const char *group, const char *metric,
		      const struct series **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nseries; i++)
		if (!strcmp(s->series[i]->group, group) && !strcmp(s->series[i]->metric, metric) &&
		    s->series[i]->status == SERIES_OK && s->series[i]->samples.n)
			out[n++] = s->series[i];
	return n;
}

static bool first_of(const struct suite_result *s, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(s->series[k]->group, s->series[i]->group) &&
		    !strcmp(s->series[k]->metric, s->series[i]->metric))
			return false;
	return true;
}

static const char *series_source(const struct series *s)
{
	json_object *x;

	if (!s->knobs || !json_object_object_get_ex(s->knobs, "source", &x))
		return "";
	return json_object_get_string(x);
}

/*
 * Whether an earlier metric of the group drew the CDF of the same raw samples (lat_p50 and
 * lat_p99 are two statistics of one set: latency.p50, latency.p99).
 */
static bool cdf_drawn(const struct suite_result *s, size_t i)
{
	const struct series *x = s->series[i];
	const char *src = series_source(x), *dot = strrchr(src, '.');

	if (!dot || src[0] == '$')
		return false;
	for (size_t k = 0; k < i; k++) {
		const struct series *y = s->series[k];
		const char *ys = series_source(y), *ydot = strrchr(ys, '.');

		if (!strcmp(y->group, x->group) && strcmp(y->metric, x->metric) &&
		    !strcmp(y->unit, "ns") && ydot && ydot - ys == dot - src &&
		    !strncmp(ys, src, (size_t)(dot - src)))
			return true;
	}
	return false;
}

static int bars_panel(struct panel_list *pl, const char *dir, const struct series **row, size_t n)
{
	char path[600], id[200], title[400], metric[200];
	double div, ref = 0, lo = 0, top = 0;
	const char *ul;
	bool logy;
	FILE *f;

	for (size_t i = 0; i < n; i++) {
		struct bstats_summary sm;

		bstats_summarize(row[i]->samples.v, row[i]->samples.n, &sm);
		if (sm.s.p50 > ref)
			ref = sm.s.p50;
		if (sm.ci_hi > top)
			top = sm.ci_hi;
		if (sm.s.p50 > 0 && (lo == 0 || sm.s.p50 < lo))
			lo = sm.s.p50;
	}
	/* One bar or interval 100x another would hide the rest on a linear axis. */
	logy = lo > 0 && top / lo > 100;
	table_unit_scale(row[0]->unit, ref, &div, &ul);
	safe(id, sizeof(id), row[0]->id);
	snprintf(path, sizeof(path), "%s/data/%s.bars.dat", dir, id);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# index variant median ci_low ci_high (%s; 95%% order-statistic interval)\n",
		ul);
	for (size_t i = 0; i < n; i++) {
		struct bstats_summary sm;
		char name[160];

		bstats_summarize(row[i]->samples.v, row[i]->samples.n, &sm);
		quote(name, sizeof(name), row[i]->variant);
		fprintf(f, "%zu \"%s\" %g %g %g\n", i, name, sm.s.p50 / div, sm.ci_lo / div,
			sm.ci_hi / div);
	}
	fclose(f);
	quote(title, sizeof(title), row[0]->group_title);
	quote(metric, sizeof(metric), row[0]->metric_title);
	fprintf(pl->body,
		"set title \"%s\\n%s (%s, %s is better)\" noenhanced\n"
		"set ylabel \"%s%s\" noenhanced\nunset logscale x\nset xlabel \"\"\n%s"
		"set format x \"%%g\"\nset format y \"%%g\"\n"
		"set xtics rotate by -25 noenhanced\nset yrange [%s:*]\nset xrange [-0.6:%zu.6]\n"
		"set style fill solid 0.5 border -1\nset boxwidth 0.6\nunset key\n"
		"plot \"data/%s.bars.dat\" using 1:3:xtic(2) with boxes lc rgb \"#4477aa\", "
		"\"\" using 1:3:4:5 with yerrorbars lc rgb \"black\" pt 0\n",
		title, metric, ul, row[0]->higher_better ? "higher" : "lower", ul,
		logy ? " (log scale)" : "", logy ? "set logscale y\n" : "unset logscale y\n",
		logy ? "*" : "0", n - 1, id);
	pl->n++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* CDF of the raw samples pooled over repetitions, one line per variant. */
static int cdf_panel(struct panel_list *pl, const char *dir, const struct series **row, size_t n)
{
	char path[600], id[200], title[400], plot[8192];
	size_t plen = 0, lines = 0;
	double div = 1, ref = 0;
	const char *ul;

	for (size_t i = 0; i < n && !ref; i++)
		if (row[i]->nraw && row[i]->raw[0].n)
			ref = stats_median(row[i]->raw[0].v, row[i]->raw[0].n);
	table_unit_scale(row[0]->unit, ref, &div, &ul);
	for (size_t i = 0; i < n; i++) {
		const struct series *x = row[i];
		size_t total = 0, k = 0;
		double *all;
		FILE *f;
		char name[160];

		for (size_t r = 0; r < x->nraw; r++)
			total += x->raw[r].n;
		if (total < 10)
			continue;
		all = malloc(total * sizeof(double));
		if (!all)
			return -ENOMEM;
		for (size_t r = 0; r < x->nraw; r++)
			for (size_t j = 0; j < x->raw[r].n; j++)
				all[k++] = x->raw[r].v[j];
		qsort(all, total, sizeof(double), cmp_double);
		safe(id, sizeof(id), x->id);
		snprintf(path, sizeof(path), "%s/data/%s.cdf.dat", dir, id);
		f = fopen(path, "we");
		if (!f) {
			free(all);
			return -errno;
		}
		fprintf(f, "# value (%s) cumulative fraction, %zu raw samples\n", ul, total);
		for (size_t j = 0; j < CDF_POINTS; j++) {
			size_t idx = (size_t)((double)j / (CDF_POINTS - 1) * (double)(total - 1));

			fprintf(f, "%g %g\n", all[idx] / div, (double)(idx + 1) / (double)total);
		}
		fclose(f);
		free(all);
		quote(name, sizeof(name), x->variant);
		plen += (size_t)snprintf(
			plot + plen, plen < sizeof(plot) ? sizeof(plot) - plen : 0,
			"%s\"data/%s.cdf.dat\" using 1:2 with lines lw 2 title \"%s\"",
			lines ? ", " : "", id, name);
		lines++;
	}
	if (!lines || plen >= sizeof(plot))
		return 0;
	quote(title, sizeof(title), row[0]->group_title);
	fprintf(pl->body,
		"set title \"%s\\nCDF of every raw sample (%s)\" noenhanced\n"
		"set ylabel \"fraction\"\nset xlabel \"%s (log scale)\"\nset logscale x\n"
		"set format x \"%%g\"\nunset logscale y\n"
		"set xtics norotate\nset yrange [0:1]\nset xrange [*:*]\n"
		"set key bottom right noenhanced\nplot %s\n",
		title, row[0]->metric, ul, plot);
	pl->n++;
	return 0;
}

/* Series of shares against targets: one bar per vCPU thread ($share_dev) or per VM. */
static bool is_shares(const struct series *s)
{
	return s->targets.n || !strcmp(series_source(s), "$share_dev") ||
	       !strcmp(series_source(s), "$vm_share_dev");
}

/* Median CPU share per vCPU thread (or VM) against its target, per variant. */
static int shares_panel(struct panel_list *pl, const char *dir, const struct series **row, size_t n)
{
	char path[600], id[200], title[400];
	bool vms = !strcmp(series_source(row[0]), "$vm_share_dev");
	size_t x = 0;
	FILE *f;

	safe(id, sizeof(id), row[0]->id);
	snprintf(path, sizeof(path), "%s/data/%s.shares.dat", dir, id);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# x label share target\n");
	for (size_t i = 0; i < n; i++) {
		const struct series *s = row[i];
		size_t nv = 0;

		for (size_t r = 0; r < s->nraw; r++)
			if (s->raw[r].n > nv)
				nv = s->raw[r].n;
		for (size_t v = 0; v < nv; v++) {
			struct dvec shares = { 0 };
			char name[200];

			for (size_t r = 0; r < s->nraw; r++)
				if (v < s->raw[r].n)
					dvec_push(&shares, s->raw[r].v[v]);
			quote(name, sizeof(name), s->variant);
			/* A VM without a target (beside a capped one) gets no target point. */
			if (vms && v >= s->targets.n)
				fprintf(f, "%zu \"%s vm%zu\" %g NaN\n", x++, name, v,
					stats_median(shares.v, shares.n));
			else
				fprintf(f, "%zu \"%s %s%zu\" %g %g\n", x++, name,
					vms ? "vm" : "vcpu", v, stats_median(shares.v, shares.n),
					v < s->targets.n ? s->targets.v[v] : 1.0 / (double)nv);
			dvec_free(&shares);
		}
		x++; /* a gap between variants */
	}
	fclose(f);
	if (!x)
		return 0;
	quote(title, sizeof(title), row[0]->group_title);
	fprintf(pl->body,
		"set title \"%s\\nCPU share of each %s (median) and its target\" "
		"noenhanced\nset ylabel \"share of the %s CPU time\"\nunset logscale x\n"
		"unset logscale y\nset xlabel \"\"\nset xtics rotate by -45 noenhanced font \",7\"\n"
		"set yrange [0:*]\nset xrange [-0.6:%zu.6]\nset style fill solid 0.5 border -1\n"
		"set boxwidth 0.8\nset key top right\n"
		"plot \"data/%s.shares.dat\" using 1:3:xtic(2) with boxes lc rgb \"#228833\" "
		"title \"measured\", \"\" using 1:4 with points pt 7 ps 1 lc rgb \"#cc3311\" "
		"title \"target\"\nset xtics font \",9\"\n",
		title, vms ? "VM" : "vCPU thread", vms ? "host's" : "VM's", x - 1, id);
	pl->n++;
	return 0;
}

static int run_gnuplot(const char *dir, const char *script, struct errbuf *err)
{
	char gp[400], cwd[4096];
	const char *argv[] = { "gnuplot", script, NULL };
	struct spawn_opts so = { .argv = argv, .timeout_s = 120 };
	struct spawn_result r;
	int ret;

	if (access("/usr/bin/gnuplot", X_OK) == 0)
		snprintf(gp, sizeof(gp), "/usr/bin/gnuplot");
	else if (access("/usr/local/bin/gnuplot", X_OK) == 0)
		snprintf(gp, sizeof(gp), "/usr/local/bin/gnuplot");
	else
		return errbuf_set(err, -ENOENT,
				  "gnuplot not found (Debian: apt-get install gnuplot-nox)");
	argv[0] = gp;
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir))
		return errbuf_set(err, -errno, "cannot enter %s: %s", dir, strerror(errno));
	ret = spawn_run(&so, &r);
	if (chdir(cwd))
		ret = ret ? ret : -errno;
	if (ret || r.status)
		ret = errbuf_set(err, -EIO, "gnuplot %s/%s failed (status %d): %s", dir, script,
				 r.status, r.err);
	spawn_result_free(&r);
	return ret;
}

/*
 * A series with a time series per repetition (trace): one line per run, the switch points
 * as dashed lines labelled with what they switched to, the phases after a switch to `shade`
 * (the first label) shaded. Written to body (a multiplot panel or a picture of its own).
 */
static int trace_body(FILE *body, const char *dir, const struct series *s)
{
	char path[600], id[200], title[400], plot[4096];
	size_t plen = 0, runs = json_object_array_length(s->trace);
	json_object *first = runs ? json_object_array_get_idx(s->trace, 0) : NULL, *marks, *x;
	double div = 1, ref = 0, tmax = 0;
	const char *ul, *shade = NULL;

	if (!first)
		return 0;
	safe(id, sizeof(id), s->id);
	for (size_t r = 0; r < runs; r++) {
		json_object *o = json_object_array_get_idx(s->trace, r), *t, *v;

		if (json_object_object_get_ex(o, "value", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (json_object_get_double(json_object_array_get_idx(v, i)) > ref)
					ref = json_object_get_double(
						json_object_array_get_idx(v, i));
		if (json_object_object_get_ex(o, "t_s", &t) && json_object_array_length(t)) {
			double last = json_object_get_double(
				json_object_array_get_idx(t, json_object_array_length(t) - 1));

			if (last > tmax)
				tmax = last;
		}
	}
	table_unit_scale(s->unit, ref, &div, &ul);
	for (size_t r = 0; r < runs; r++) {
		json_object *o = json_object_array_get_idx(s->trace, r), *t, *v;
		FILE *f;

		if (!json_object_object_get_ex(o, "t_s", &t) ||
		    !json_object_object_get_ex(o, "value", &v))
			continue;
		snprintf(path, sizeof(path), "%s/data/%s.trace%zu.dat", dir, id, r);
		f = fopen(path, "we");
		if (!f)
			return -errno;
		fprintf(f, "# run %zu: t (s) value (%s)\n", r, ul);
		for (size_t i = 0;
		     i < json_object_array_length(t) && i < json_object_array_length(v); i++)
			fprintf(f, "%g %g\n",
				json_object_get_double(json_object_array_get_idx(t, i)),
				json_object_get_double(json_object_array_get_idx(v, i)) / div);
		fclose(f);
		plen += (size_t)snprintf(plot + plen, plen < sizeof(plot) ? sizeof(plot) - plen : 0,
					 "%s\"data/%s.trace%zu.dat\" using 1:2 with linespoints "
					 "lw 1.5 pt 7 ps 0.4 title \"run %zu\"",
					 plen ? ", " : "", id, r, r + 1);
	}
	if (!plen || plen >= sizeof(plot))
		return 0;
	if (json_object_object_get_ex(first, "start", &x)) {
		char ql[64];

		quote(ql, sizeof(ql), json_object_get_string(x));
		fprintf(body,
			"set label \"%s\" at 0, graph 0.97 left offset 0.3,0 noenhanced "
			"font \",8\"\n",
			ql);
	}
	/* The switch points of the first run (the schedule is the same in every run). */
	if (json_object_object_get_ex(first, "marks", &marks)) {
		size_t n = json_object_array_length(marks);

		if (n) {
			json_object *m0 = json_object_array_get_idx(marks, 0);

			if (json_object_object_get_ex(m0, "label", &x))
				shade = json_object_get_string(x);
		}
		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(marks, i), *lt;
			double at = json_object_object_get_ex(m, "t_s", &x) ?
					    json_object_get_double(x) :
					    0,
			       next = tmax;
			const char *label = json_object_object_get_ex(m, "label", &lt) ?
						    json_object_get_string(lt) :
						    "";
			char ql[64];

			if (i + 1 < n &&
			    json_object_object_get_ex(json_object_array_get_idx(marks, i + 1),
						      "t_s", &x))
				next = json_object_get_double(x);
			quote(ql, sizeof(ql), label);
			fprintf(body,
				"set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lc rgb "
				"\"#666666\"\nset label \"%s\" at %g, graph 0.97 left offset 0.3,0 "
				"noenhanced font \",8\"\n",
				at, at, ql, at);
			if (shade && !strcmp(label, shade))
				fprintf(body,
					"set object rect from %g, graph 0 to %g, graph 1 behind "
					"fc rgb \"#e8eef8\" fs solid 1.0 noborder\n",
					at, next);
		}
	}
	quote(title, sizeof(title), s->group_title);
	fprintf(body,
		"set title \"%s\\ntime series per run, switch points dashed%s%s%s\" noenhanced\n"
		"set ylabel \"rate (%s)\" noenhanced\nset xlabel \"time since the first sample (s)\"\n"
		"unset logscale x\nunset logscale y\nset format x \"%%g\"\nset format y \"%%g\"\n"
		"set xtics norotate\nset yrange [0:*]\nset xrange [0:%g]\n"
		"set offsets 0, 0, graph 0.1, 0\nset key below horizontal noenhanced\nplot %s\n"
		"unset arrow\nunset label\nunset object\nset offsets 0, 0, 0, 0\n"
		"set key default\n",
		title, shade ? ", " : "", shade ? shade : "", shade ? " phases shaded" : "",
		ul[0] ? ul : s->unit, tmax, plot);
	return 0;
}

/* The time series as a panel of the suite's picture and as a picture of its own. */
static int trace_panel(struct panel_list *pl, const char *dir, const struct series *s,
		       struct errbuf *err)
{
	char path[600], name[260], gp[300];
	FILE *f;
	int ret = trace_body(pl->body, dir, s);

	if (ret)
		return ret;
	pl->n++;
	safe(name, sizeof(name), s->id);
	snprintf(gp, sizeof(gp), "%s.trace.gp", name);
	snprintf(path, sizeof(path), "%s/%s", dir, gp);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# strand bench: %s over time (gnuplot %s, run in this directory)\n", s->id, gp);
	for (int svg = 0; svg < 2; svg++) {
		fprintf(f,
			"set terminal %s size 960,480 %s\nset output \"%s.%s\"\nset grid ytics\n",
			svg ? "svg" : "pngcairo",
			svg ? "dynamic font \"sans,10\"" : "font \"sans,10\"", name,
			svg ? "svg" : "png");
		if ((ret = trace_body(f, dir, s))) {
			fclose(f);
			return ret;
		}
		fprintf(f, "unset output\n");
	}
	fclose(f);
	return run_gnuplot(dir, gp, err) ? -EIO : 0;
}

static int plot_suite(const struct suite_result *s, const char *dir, struct errbuf *err)
{
	struct panel_list pl = { 0 };
	const struct series **row = calloc(s->nseries + 1, sizeof(*row));
	char path[600], script[300];
	unsigned cols, rows;
	FILE *f;
	int ret = 0;

	if (!row)
		return -ENOMEM;
	pl.body = open_memstream(&pl.buf, &pl.len);
	if (!pl.body) {
		free(row);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nseries && !ret; i++) {
		size_t n;

		if (!first_of(s, i))
			continue;
		n = collect(s, s->series[i]->group, s->series[i]->metric, row);
		if (!n)
			continue;
		for (size_t k = 0; k < n && !ret; k++)
			if (row[k]->trace && json_object_array_length(row[k]->trace))
				ret = trace_panel(&pl, dir, row[k], err);
		if (ret == -EIO) {
			fclose(pl.body);
			free(pl.buf);
			free(row);
			return ret;
		}
		if (is_shares(row[0])) {
			ret = shares_panel(&pl, dir, row, n);
			continue;
		}
		ret = bars_panel(&pl, dir, row, n);
		if (!ret && !strcmp(row[0]->unit, "ns") && !cdf_drawn(s, i)) {
			bool raw = false;

			for (size_t k = 0; k < n; k++)
				for (size_t r = 0; r < row[k]->nraw; r++)
					if (row[k]->raw[r].n > 8)
						raw = true;
			if (raw)
				ret = cdf_panel(&pl, dir, row, n);
		}
	}
	fclose(pl.body);
	free(row);
	if (ret) {
		free(pl.buf);
		return errbuf_set(err, ret, "cannot write plot data in %s: %s", dir,
				  strerror(-ret));
	}
	if (!pl.n) {
		free(pl.buf);
		return 0;
	}
	cols = pl.n > 1 ? 2 : 1;
	rows = (pl.n + cols - 1) / cols;
	snprintf(script, sizeof(script), "%s.gp", s->name);
	snprintf(path, sizeof(path), "%s/%s", dir, script);
	f = fopen(path, "we");
	if (!f) {
		free(pl.buf);
		return errbuf_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	fprintf(f, "# strand bench: suite %s (gnuplot %s.gp, run in this directory)\n", s->name,
		s->name);
	for (int svg = 0; svg < 2; svg++) {
		fprintf(f,
			"set terminal %s size %u,%u %s\nset output \"%s.%s\"\n"
			"set multiplot layout %u,%u title \"strand bench: %s\" noenhanced\n"
			"set grid ytics\nset bmargin 6\n%s\nunset multiplot\nunset output\n",
			svg ? "svg" : "pngcairo", 640 * cols, 420 * rows,
			svg ? "dynamic font \"sans,9\"" : "font \"sans,9\"", s->name,
			svg ? "svg" : "png", rows, cols, s->name, pl.buf);
	}
	fclose(f);
	free(pl.buf);
	return run_gnuplot(dir, script, err);
}

/* A picture in the page when gnuplot made it: a PNG linking to its SVG. */
static void html_figure(FILE *f, const char *dir, const char *name, const char *caption)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	if (access(path, R_OK))
		return;
	fprintf(f, "<figure><a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", name, name);
	table_html_escape(f, caption);
	fputs("\"></a><figcaption>", f);
	table_html_escape(f, caption);
	fprintf(f, " (<a href=\"%s.svg\">SVG</a>)</figcaption></figure>\n", name);
}

static void html_meta(FILE *f, const char *label, json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_get_string(v))
		return;
	fprintf(f, "<tr><th>%s</th><td>", label);
	table_html_escape(f, json_object_get_string(v));
	fputs("</td></tr>\n", f);
}

/*
 * DIR/index.html: one page that needs nothing but DIR: the host and revisions, every table
 * with its reading, and the pictures. An inline script counts the images that loaded into
 * <body data-images-ok data-images-broken> (the page test reads them from headless Chromium).
 */
static int write_html(const struct doc *d, const char *dir, const struct bstats_params *p,
		      struct errbuf *err)
{
	char path[600], host[512];
	json_object *h = NULL, *strand = NULL, *tool = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/index.html", dir);
	f = fopen(path, "we");
	if (!f)
		return errbuf_set(err, -errno, "%s: %s", path, strerror(errno));
	json_object_object_get_ex(d->meta, "host", &h);
	json_object_object_get_ex(d->meta, "strand", &strand);
	json_object_object_get_ex(d->meta, "tool", &tool);
	host_summary(h, host, sizeof(host));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>strand bench</title>\n<style>\n"
	      "body{font-family:sans-serif;max-width:1300px;margin:1em auto;padding:0 1em;"
	      "color:#222}\n"
	      "table{border-collapse:collapse;margin:.6em 0}\n"
	      "th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}\n"
	      "th:first-child,td:first-child{text-align:left}\n"
	      "td:last-child,th:last-child{text-align:left}\ncaption{text-align:left;font-weight:bold;"
	      "padding:4px 0}\n"
	      "tr.best td{background:#eef6ee}\n"
	      "p.reading{background:#f3f6fb;border-left:4px solid #4a78c2;padding:4px 8px}\n"
	      "table.meta td,table.meta th{text-align:left;border:none}\n"
	      "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}\n"
	      "h3{margin-top:1.6em}\n</style>\n</head>\n<body>\n<h1>strand bench</h1>\n"
	      "<table class=\"meta\">\n",
	      f);
	fputs("<tr><th>host</th><td>", f);
	table_html_escape(f, host);
	fputs("</td></tr>\n", f);
	html_meta(f, "strand", strand, "version");
	html_meta(f, "strand revision", strand, "git_revision");
	html_meta(f, "harness revision", tool, "git_revision");
	html_meta(f, "run", d->meta, "created");
	html_meta(f, "command", d->meta, "command");
	fputs("</table>\n", f);
	fprintf(f,
		"<p>Each table compares the variants of one group: the median over runs with its "
		"95%% confidence interval and the p10 - p90 spread of the runs; each variant "
		"against the best median with a two-sided Mann-Whitney U test (alpha %g, minimum "
		"effect %g%%), as <code>strand bench compare</code> does. The line under a table "
		"reads it in words. How to read them: docs/bench.md.</p>\n",
		p->alpha, p->min_effect * 100);
	for (size_t i = 0; i < d->nsuites; i++) {
		const struct suite_result *s = &d->suites[i];

		table_suite(f, s, p, TABLE_HTML, h);
		html_figure(f, dir, s->name, s->name);
		for (size_t k = 0; k < s->nseries; k++) {
			char name[260];

			if (!s->series[k]->trace || !json_object_array_length(s->series[k]->trace))
				continue;
			safe(name, sizeof(name), s->series[k]->id);
			html_figure(f, dir, name, s->series[k]->group_title);
		}
	}
	fputs("<script>\nwindow.addEventListener('load', function () {\n"
	      "  var ok = 0, broken = 0;\n"
	      "  for (var i = 0; i < document.images.length; i++) {\n"
	      "    var im = document.images[i];\n"
	      "    if (im.complete && im.naturalWidth > 0) ok++; else broken++;\n"
	      "  }\n"
	      "  document.body.setAttribute('data-images-ok', ok);\n"
	      "  document.body.setAttribute('data-images-broken', broken);\n"
	      "});\n</script>\n</body>\n</html>\n",
	      f);
	if (fclose(f))
		return errbuf_set(err, -EIO, "%s: write error", path);
	return 0;
}

int plot_doc(const struct doc *d, const char *dir, const struct bstats_params *p,
	     struct errbuf *err)
{
	char path[600], host[512];
	json_object *h = NULL, *strand = NULL, *v;
	FILE *md;
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return errbuf_set(err, -errno, "mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/data", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return errbuf_set(err, -errno, "mkdir %s: %s", path, strerror(errno));
	for (size_t i = 0; i < d->nsuites; i++)
		if ((ret = plot_suite(&d->suites[i], dir, err)))
			return ret;
	snprintf(path, sizeof(path), "%s/report.md", dir);
	md = fopen(path, "we");
	if (!md)
		return errbuf_set(err, -errno, "%s: %s", path, strerror(errno));
	json_object_object_get_ex(d->meta, "host", &h);
	json_object_object_get_ex(d->meta, "strand", &strand);
	host_summary(h, host, sizeof(host));
	fprintf(md, "# strand bench report\n\n");
	fprintf(md, "- host: %s\n", host);
	if (strand && json_object_object_get_ex(strand, "version", &v))
		fprintf(md, "- strand: %s", json_object_get_string(v));
	if (strand && json_object_object_get_ex(strand, "git_revision", &v))
		fprintf(md, " (%s)", json_object_get_string(v));
	fprintf(md, "\n");
	if (json_object_object_get_ex(d->meta, "created", &v))
		fprintf(md, "- run: %s", json_object_get_string(v));
	if (json_object_object_get_ex(d->meta, "command", &v))
		fprintf(md, ", `%s`", json_object_get_string(v));
	fprintf(md,
		"\n\nEach bar is the median over repetitions with its 95%% confidence interval "
		"(order statistics); verdicts compare each variant with the best one "
		"(Mann-Whitney U, alpha %g, minimum effect %g%%). How to read them: "
		"docs/bench.md.\n",
		p->alpha, p->min_effect * 100);
	for (size_t i = 0; i < d->nsuites; i++) {
		const struct suite_result *s = &d->suites[i];

		table_suite(md, s, p, TABLE_MD, h);
		snprintf(path, sizeof(path), "%s/%s.png", dir, s->name);
		if (access(path, R_OK) == 0)
			fprintf(md, "\n![%s](%s.png)\n\n([SVG](%s.svg))\n", s->name, s->name,
				s->name);
	}
	fclose(md);
	return write_html(d, dir, p, err);
}
