/* doc.c - the benchmark document in memory and as JSON (json-c). Main thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/doc.h"
#include "bench/stats.h"
#include "util/compiler.h"

int dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		double *v = realloc(d->v, cap * sizeof(double));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return 0;
}

void dvec_free(struct dvec *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

const char *series_status_name(enum series_status s)
{
	static const char *const names[] = { "ok", "unavailable", "failed", "skipped" };

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort(); /* out of memory while building a report: nothing sensible to do */
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		abort();
	return p;
}

struct doc *doc_new(void)
{
	struct doc *d = xcalloc(1, sizeof(*d));

	d->meta = json_object_new_object();
	json_object_object_add(d->meta, "schema", json_object_new_string(DOC_SCHEMA));
	return d;
}

static void series_free(struct series *s)
{
	free(s->id);
	free(s->suite);
	free(s->group);
	free(s->group_title);
	free(s->variant);
	free(s->metric);
	free(s->metric_title);
	free(s->unit);
	free(s->note);
	json_object_put(s->knobs);
	json_object_put(s->trace);
	dvec_free(&s->samples);
	dvec_free(&s->targets);
	dvec_free(&s->run_order);
	for (size_t i = 0; i < s->nraw; i++)
		dvec_free(&s->raw[i]);
	free(s->raw);
	free(s);
}

/* The variant name with word replaced by label (malloc'd), or NULL when word is not in it. */
static char *replace_word(const char *variant, const char *word, const char *label)
{
	size_t wl = strlen(word), vl = strlen(variant);
	char *out;

	for (const char *p = variant; (p = strstr(p, word)); p++) {
		if ((p != variant && p[-1] != ' ') || (p[wl] && p[wl] != ' '))
			continue;
		out = malloc(vl - wl + strlen(label) + 1);
		if (!out)
			return NULL;
		sprintf(out, "%.*s%s%s", (int)(p - variant), variant, label, p + wl);
		return out;
	}
	return NULL;
}

int doc_keep_variant(struct doc *d, const char *word, const char *label)
{
	for (size_t i = 0; i < d->nsuites; i++) {
		struct suite_result *s = &d->suites[i];
		size_t o = 0;

		for (size_t k = 0; k < s->nseries; k++) {
			struct series *x = s->series[k];
			char *v = replace_word(x->variant, word, label), *id;

			if (!v) {
				series_free(x);
				continue;
			}
			id = malloc(strlen(x->suite) + strlen(x->group) + strlen(v) +
				    strlen(x->metric) + 4);
			if (!id) {
				free(v);
				return -ENOMEM;
			}
			sprintf(id, "%s/%s/%s/%s", x->suite, x->group, v, x->metric);
			free(x->variant);
			free(x->id);
			x->variant = v;
			x->id = id;
			s->series[o++] = x;
		}
		s->nseries = o;
	}
	return 0;
}

void doc_free(struct doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nsuites; i++) {
		struct suite_result *s = &d->suites[i];

		for (size_t k = 0; k < s->nseries; k++)
			series_free(s->series[k]);
		for (size_t k = 0; k < s->nratios; k++) {
			free(s->ratios[k].name);
			free(s->ratios[k].num);
			free(s->ratios[k].den);
		}
		free(s->series);
		free(s->ratios);
		free(s->name);
		free(s->description);
	}
	free(d->suites);
	json_object_put(d->meta);
	free(d);
}

struct suite_result *doc_add_suite(struct doc *d, const char *name, const char *description)
{
	struct suite_result *s;

	d->suites = xrealloc(d->suites, (d->nsuites + 1) * sizeof(*d->suites));
	s = &d->suites[d->nsuites++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->description = xstrdup(description);
	return s;
}

struct series *suite_add_series(struct suite_result *s, const char *group, const char *group_title,
				const char *variant, const char *metric, const char *metric_title,
				const char *unit, bool higher_better)
{
	struct series *x = xcalloc(1, sizeof(*x));
	size_t len = strlen(s->name) + strlen(group) + strlen(variant) + strlen(metric) + 4;

	x->id = xcalloc(1, len);
	snprintf(x->id, len, "%s/%s/%s/%s", s->name, group, variant, metric);
	x->suite = xstrdup(s->name);
	x->group = xstrdup(group);
	x->group_title = xstrdup(group_title);
	x->variant = xstrdup(variant);
	x->metric = xstrdup(metric);
	x->metric_title = xstrdup(metric_title);
	x->unit = xstrdup(unit);
	x->note = xstrdup("");
	x->higher_better = higher_better;
	x->knobs = json_object_new_object();
	s->series = xrealloc(s->series, (s->nseries + 1) * sizeof(*s->series));
	s->series[s->nseries++] = x;
	return x;
}

struct ratio *suite_add_ratio(struct suite_result *s, const char *name, const char *num,
			      const char *den)
{
	struct ratio *r;

	s->ratios = xrealloc(s->ratios, (s->nratios + 1) * sizeof(*s->ratios));
	r = &s->ratios[s->nratios++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	r->num = xstrdup(num);
	r->den = xstrdup(den);
	return r;
}

struct series *doc_find_series(const struct doc *d, const char *id)
{
	for (size_t i = 0; i < d->nsuites; i++)
		for (size_t k = 0; k < d->suites[i].nseries; k++)
			if (strcmp(d->suites[i].series[k]->id, id) == 0)
				return d->suites[i].series[k];
	return NULL;
}

struct dvec *series_raw(struct series *s, size_t r)
{
	if (r >= s->nraw) {
		s->raw = xrealloc(s->raw, (r + 1) * sizeof(*s->raw));
		memset(s->raw + s->nraw, 0, (r + 1 - s->nraw) * sizeof(*s->raw));
		s->nraw = r + 1;
	}
	return &s->raw[r];
}

void doc_finish(struct doc *d)
{
	for (size_t i = 0; i < d->nsuites; i++) {
		struct suite_result *s = &d->suites[i];

		for (size_t k = 0; k < s->nratios; k++) {
			struct ratio *r = &s->ratios[k];
			const struct series *num = doc_find_series(d, r->num);
			const struct series *den = doc_find_series(d, r->den);
			double mn, md;

			r->value = r->lo = r->hi = 0;
			if (!num || !den || !num->samples.n || !den->samples.n)
				continue;
			mn = stats_median(num->samples.v, num->samples.n);
			md = stats_median(den->samples.v, den->samples.n);
			if (md == 0)
				continue;
			r->value = mn / md;
			/* median(num)/median(den) - 1 from the bootstrap, shifted back to a ratio */
			if (bstats_bootstrap_rel(den->samples.v, den->samples.n, num->samples.v,
						 num->samples.n, 2000, 7, 0.95, &r->lo,
						 &r->hi) == 0) {
				r->lo += 1;
				r->hi += 1;
			}
		}
	}
}

/* ---- to JSON ---- */

static json_object *darray(const double *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

static void add_d(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static json_object *summary_json(const struct dvec *v)
{
	json_object *o = json_object_new_object(), *ci = json_object_new_object();
	struct bstats_summary s;

	bstats_summarize(v->v, v->n, &s);
	json_object_object_add(o, "n", json_object_new_int64((int64_t)s.s.n));
	add_d(o, "mean", s.s.mean);
	add_d(o, "stdev", s.s.stdev);
	add_d(o, "min", s.s.min);
	add_d(o, "p10", s.p10);
	add_d(o, "p25", s.p25);
	add_d(o, "p50", s.s.p50);
	add_d(o, "p75", s.p75);
	add_d(o, "p90", s.s.p90);
	add_d(o, "p99", s.s.p99);
	add_d(o, "max", s.s.max);
	json_object_object_add(ci, "method", json_object_new_string("order-statistic"));
	add_d(ci, "level", 0.95);
	add_d(ci, "achieved", s.ci_level);
	add_d(ci, "low", s.ci_lo);
	add_d(ci, "high", s.ci_hi);
	json_object_object_add(o, "median_ci", ci);
	return o;
}

static json_object *series_json(const struct series *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "suite", json_object_new_string(s->suite));
	json_object_object_add(o, "group", json_object_new_string(s->group));
	json_object_object_add(o, "group_title", json_object_new_string(s->group_title));
	json_object_object_add(o, "variant", json_object_new_string(s->variant));
	json_object_object_add(o, "metric", json_object_new_string(s->metric));
	json_object_object_add(o, "metric_title", json_object_new_string(s->metric_title));
	json_object_object_add(o, "unit", json_object_new_string(s->unit));
	json_object_object_add(o, "better",
			       json_object_new_string(s->higher_better ? "higher" : "lower"));
	json_object_object_add(o, "status", json_object_new_string(series_status_name(s->status)));
	json_object_object_add(o, "note", json_object_new_string(s->note));
	json_object_object_add(o, "knobs", json_object_get(s->knobs));
	json_object_object_add(o, "samples", darray(s->samples.v, s->samples.n));
	json_object_object_add(o, "run_order", darray(s->run_order.v, s->run_order.n));
	if (s->nraw) {
		json_object *raw = json_object_new_array_ext((int)s->nraw);

		for (size_t i = 0; i < s->nraw; i++)
			json_object_array_add(raw, darray(s->raw[i].v, s->raw[i].n));
		json_object_object_add(o, "raw", raw);
	}
	if (s->targets.n)
		json_object_object_add(o, "targets", darray(s->targets.v, s->targets.n));
	if (s->trace)
		json_object_object_add(o, "trace", json_object_get(s->trace));
	json_object_object_add(o, "summary", summary_json(&s->samples));
	return o;
}

json_object *doc_to_json(const struct doc *d)
{
	json_object *root = json_object_new_object(), *suites = json_object_new_array();

	json_object_object_foreach(d->meta, key, val)
		json_object_object_add(root, key, json_object_get(val));
	for (size_t i = 0; i < d->nsuites; i++) {
		const struct suite_result *s = &d->suites[i];
		json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object *ratios = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "description", json_object_new_string(s->description));
		json_object_object_add(o, "reps", json_object_new_int((int)s->reps));
		json_object_object_add(o, "warmup", json_object_new_int((int)s->warmup));
		add_d(o, "wall_s", s->wall_s);
		for (size_t k = 0; k < s->nseries; k++)
			json_object_array_add(arr, series_json(s->series[k]));
		json_object_object_add(o, "series", arr);
		for (size_t k = 0; k < s->nratios; k++) {
			const struct ratio *r = &s->ratios[k];
			json_object *x = json_object_new_object(), *ci = json_object_new_array();

			json_object_object_add(x, "name", json_object_new_string(r->name));
			json_object_object_add(x, "numerator", json_object_new_string(r->num));
			json_object_object_add(x, "denominator", json_object_new_string(r->den));
			add_d(x, "value", r->value);
			json_object_array_add(ci, json_object_new_double(r->lo));
			json_object_array_add(ci, json_object_new_double(r->hi));
			json_object_object_add(x, "ci95", ci);
			json_object_array_add(ratios, x);
		}
		json_object_object_add(o, "ratios", ratios);
		json_object_array_add(suites, o);
	}
	json_object_object_add(root, "suites", suites);
	return root;
}

int doc_write(const struct doc *d, const char *path, struct errbuf *err)
{
	json_object *root = doc_to_json(d);
	int ret = 0;

	json_c_set_serialization_double_format("%.7g", JSON_C_OPTION_GLOBAL);
	/* Compact: raw samples make pretty-printed documents several times larger. */
	if (json_object_to_file_ext(path, root,
				    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE))
		ret = errbuf_set(err, -EIO, "%s: %s", path, json_util_get_last_err());
	json_object_put(root);
	return ret;
}

/* ---- from JSON, with the schema checks ---- */

static const char *get_str(json_object *o, const char *key, const char *where, struct errbuf *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		errbuf_set(err, -EINVAL, "%s: \"%s\" must be a string", where, key);
		return NULL;
	}
	return json_object_get_string(v);
}

static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

static int read_numbers(json_object *a, struct dvec *out, const char *what, const char *where,
			struct errbuf *err)
{
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (!is_number(v))
			return errbuf_set(err, -EINVAL, "%s: %s[%zu] is not a number", where, what,
					  i);
		if (dvec_push(out, json_object_get_double(v)))
			return -ENOMEM;
	}
	return 0;
}

static int parse_series(json_object *o, struct suite_result *s, struct errbuf *err)
{
	const char *f[8], *keys[] = { "id",	"group",	"group_title", "variant",
				      "metric", "metric_title", "unit",	       "better" };
	const char *status, *note;
	json_object *v, *sum;
	struct series *x;
	char where[300];
	int ret;

	snprintf(where, sizeof(where), "suite %s, series %zu", s->name, s->nseries);
	for (unsigned i = 0; i < 8; i++)
		if (!(f[i] = get_str(o, keys[i], where, err)))
			return -EINVAL;
	snprintf(where, sizeof(where), "series %s", f[0]);
	if (strcmp(f[7], "lower") && strcmp(f[7], "higher"))
		return errbuf_set(err, -EINVAL, "%s: \"better\" must be lower or higher", where);
	if (!(status = get_str(o, "status", where, err)) ||
	    !(note = get_str(o, "note", where, err)))
		return -EINVAL;
	x = suite_add_series(s, f[1], f[2], f[3], f[4], f[5], f[6], !strcmp(f[7], "higher"));
	if (strcmp(x->id, f[0]))
		return errbuf_set(err, -EINVAL, "%s: id is not suite/group/variant/metric (%s)",
				  where, x->id);
	x->status = SERIES_FAILED;
	for (unsigned k = 0; k <= SERIES_SKIPPED; k++)
		if (!strcmp(status, series_status_name((enum series_status)k)))
			x->status = (enum series_status)k;
	if (strcmp(status, series_status_name(x->status)))
		return errbuf_set(err, -EINVAL, "%s: unknown status '%s'", where, status);
	free(x->note);
	x->note = xstrdup(note);
	if (!json_object_object_get_ex(o, "knobs", &v) || !json_object_is_type(v, json_type_object))
		return errbuf_set(err, -EINVAL, "%s: \"knobs\" must be an object", where);
	json_object_put(x->knobs);
	x->knobs = json_object_get(v);
	if (!json_object_object_get_ex(o, "samples", &v) ||
	    !json_object_is_type(v, json_type_array))
		return errbuf_set(err, -EINVAL, "%s: \"samples\" must be an array", where);
	if ((ret = read_numbers(v, &x->samples, "samples", where, err)))
		return ret;
	if (json_object_object_get_ex(o, "run_order", &v) &&
	    (ret = json_object_is_type(v, json_type_array) ?
			   read_numbers(v, &x->run_order, "run_order", where, err) :
			   errbuf_set(err, -EINVAL, "%s: \"run_order\" must be an array", where)))
		return ret;
	if (json_object_object_get_ex(o, "targets", &v) &&
	    (ret = json_object_is_type(v, json_type_array) ?
			   read_numbers(v, &x->targets, "targets", where, err) :
			   errbuf_set(err, -EINVAL, "%s: \"targets\" must be an array", where)))
		return ret;
	if (json_object_object_get_ex(o, "trace", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return errbuf_set(err, -EINVAL, "%s: \"trace\" must be an array", where);
		json_object_put(x->trace);
		x->trace = json_object_get(v);
	}
	if (json_object_object_get_ex(o, "raw", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return errbuf_set(err, -EINVAL, "%s: \"raw\" must be an array", where);
		for (size_t r = 0; r < json_object_array_length(v); r++) {
			json_object *a = json_object_array_get_idx(v, r);

			if (!json_object_is_type(a, json_type_array))
				return errbuf_set(err, -EINVAL, "%s: raw[%zu] must be an array",
						  where, r);
			if ((ret = read_numbers(a, series_raw(x, r), "raw", where, err)))
				return ret;
		}
	}
	if (!json_object_object_get_ex(o, "summary", &sum) ||
	    !json_object_is_type(sum, json_type_object))
		return errbuf_set(err, -EINVAL, "%s: \"summary\" must be an object", where);
	{
		const char *nums[] = { "n",   "mean", "stdev", "min", "p10", "p25",
				       "p50", "p75",  "p90",   "p99", "max" };

		for (unsigned i = 0; i < ARRAY_SIZE(nums); i++)
			if (!json_object_object_get_ex(sum, nums[i], &v) || !is_number(v))
				return errbuf_set(err, -EINVAL, "%s: summary.%s must be a number",
						  where, nums[i]);
		json_object_object_get_ex(sum, "n", &v);
		if ((size_t)json_object_get_int64(v) != x->samples.n)
			return errbuf_set(err, -EINVAL,
					  "%s: summary.n (%lld) differs from the samples (%zu)",
					  where, (long long)json_object_get_int64(v), x->samples.n);
		if (!json_object_object_get_ex(sum, "median_ci", &v) ||
		    !json_object_is_type(v, json_type_object))
			return errbuf_set(err, -EINVAL, "%s: summary.median_ci is missing", where);
	}
	return 0;
}

int doc_from_json(json_object *root, struct doc **out, struct errbuf *err)
{
	const char *objs[] = { "tool", "strand", "host", "settings" };
	json_object *v, *suites;
	struct doc *d;
	const char *schema;
	int ret = -EINVAL;

	*out = NULL;
	if (!json_object_is_type(root, json_type_object))
		return errbuf_set(err, -EINVAL, "not a JSON object");
	schema = get_str(root, "schema", "document", err);
	if (!schema)
		return -EINVAL;
	if (strcmp(schema, DOC_SCHEMA))
		return errbuf_set(err, -EINVAL, "schema '%s' is not %s", schema, DOC_SCHEMA);
	for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
		if (!json_object_object_get_ex(root, objs[i], &v) ||
		    !json_object_is_type(v, json_type_object))
			return errbuf_set(err, -EINVAL, "document: \"%s\" must be an object",
					  objs[i]);
	if (!json_object_object_get_ex(root, "suites", &suites) ||
	    !json_object_is_type(suites, json_type_array))
		return errbuf_set(err, -EINVAL, "document: \"suites\" must be an array");
	d = doc_new();
	json_object_object_foreach(root, key, val) if (strcmp(key, "suites"))
		json_object_object_add(d->meta, key, json_object_get(val));
	for (size_t i = 0; i < json_object_array_length(suites); i++) {
		json_object *so = json_object_array_get_idx(suites, i), *arr;
		const char *name, *desc;
		struct suite_result *s;

		if (!(name = get_str(so, "name", "suite", err)) ||
		    !(desc = get_str(so, "description", name, err)))
			goto fail;
		s = doc_add_suite(d, name, desc);
		if (json_object_object_get_ex(so, "reps", &v))
			s->reps = (unsigned)json_object_get_int(v);
		if (json_object_object_get_ex(so, "warmup", &v))
			s->warmup = (unsigned)json_object_get_int(v);
		if (json_object_object_get_ex(so, "wall_s", &v))
			s->wall_s = json_object_get_double(v);
		if (!json_object_object_get_ex(so, "series", &arr) ||
		    !json_object_is_type(arr, json_type_array)) {
			errbuf_set(err, -EINVAL, "suite %s: \"series\" must be an array", name);
			goto fail;
		}
		for (size_t k = 0; k < json_object_array_length(arr); k++)
			if ((ret = parse_series(json_object_array_get_idx(arr, k), s, err)))
				goto fail;
		ret = -EINVAL;
		if (json_object_object_get_ex(so, "ratios", &arr) &&
		    json_object_is_type(arr, json_type_array)) {
			for (size_t k = 0; k < json_object_array_length(arr); k++) {
				json_object *r = json_object_array_get_idx(arr, k);
				const char *rn = get_str(r, "name", name, err);
				const char *num = get_str(r, "numerator", name, err);
				const char *den = get_str(r, "denominator", name, err);

				if (!rn || !num || !den)
					goto fail;
				suite_add_ratio(s, rn, num, den);
			}
		}
	}
	doc_finish(d);
	*out = d;
	return 0;
fail:
	doc_free(d);
	return ret;
}

int doc_load(const char *path, struct doc **out, struct errbuf *err)
{
	json_object *root = json_object_from_file(path);
	int ret;

	*out = NULL;
	if (!root)
		return errbuf_set(err, -EINVAL, "%s: %s", path, json_util_get_last_err());
	ret = doc_from_json(root, out, err);
	if (ret) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		errbuf_set(err, ret, "%s: %s", path, msg);
	}
	json_object_put(root);
	return ret;
}
