/* bench.c - the `strand bench` command. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/ab.h"
#include "bench/bench.h"
#include "bench/compare.h"
#include "bench/host.h"
#include "bench/plot.h"
#include "bench/spawn.h"
#include "bench/table.h"
#include "strand-config.h"
#include "util/cliopt.h"
#include "util/log.h"

#define MAX_SUITES  BENCH_MAX_SUITES
#define MAX_METRICS BENCH_MAX_METRICS

static const char *const all_suites[] = { "startup", "exits",	"threading", "sched",
					  "blk",     "monitor", "net",	     NULL };

void bench_opts_default(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = (uint64_t)time(NULL);
	o->timeout_s = 60;
	o->raw_max = 1000;
	o->progress = isatty(STDERR_FILENO);
	bstats_params_default(&o->stats);
}

/* An executable on PATH, or NULL. */
static bool find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[4096], *save = NULL, *dir;

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

int bench_resolve_programs(struct bench_opts *o, char *self, size_t selflen, char *floorbuf,
			   size_t floorlen, char *qemubuf, size_t qemulen, struct errbuf *err)
{
	ssize_t n = readlink("/proc/self/exe", self, selflen - 1);
	char dir[4096];

	if (n < 0)
		return errbuf_set(err, -errno, "cannot read /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	if (!o->strand)
		o->strand = self;
	if (access(o->strand, X_OK))
		return errbuf_set(err, -ENOENT, "--strand %s: not an executable", o->strand);
	if (!o->floor) {
		char bindir[4096], path[4200];

		/* Beside strand in a build tree (machine/strand, bench/strand-kvm-floor) or
		 * installed in the same bin directory, else on PATH. */
		snprintf(dir, sizeof(dir), "%s", self);
		snprintf(bindir, sizeof(bindir), "%s", dirname(dir));
		snprintf(path, sizeof(path), "%s/../../bench/strand-kvm-floor", bindir);
		if (access(path, X_OK))
			snprintf(path, sizeof(path), "%s/strand-kvm-floor", bindir);
		if (access(path, X_OK) && !find_in_path("strand-kvm-floor", path, sizeof(path)))
			snprintf(path, sizeof(path), "strand-kvm-floor (not found)");
		snprintf(floorbuf, floorlen, "%s", path);
		o->floor = floorbuf;
	}
	if (!o->qemu) {
		if (!find_in_path("qemu-system-x86_64", qemubuf, qemulen)) {
			if (o->peer_qemu)
				return errbuf_set(err, -ENOENT,
						  "--peer qemu: qemu-system-x86_64 is not on PATH "
						  "(Debian: apt-get install qemu-system-x86)");
			snprintf(qemubuf, qemulen, "qemu-system-x86_64");
		}
		o->qemu = qemubuf;
	}
	return 0;
}

/* `STRAND version` -> {"path", "version", "git_revision"}. */
json_object *bench_strand_info(const char *strand)
{
	const char *argv[] = { strand, "version", NULL };
	struct spawn_opts so = { .argv = argv, .timeout_s = 10, .out_max = 256 };
	struct spawn_result r;
	json_object *o = json_object_new_object();
	char ver[64] = "unknown", rev[64] = "unknown";

	json_object_object_add(o, "path", json_object_new_string(strand));
	if (spawn_run(&so, &r) == 0 && r.status == 0 && r.out)
		sscanf(r.out, "strand %63s (%63[^)])", ver, rev);
	spawn_result_free(&r);
	json_object_object_add(o, "version", json_object_new_string(ver));
	json_object_object_add(o, "git_revision", json_object_new_string(rev));
	return o;
}

void bench_fill_meta(struct doc *d, int argc, char **argv, const struct bench_opts *o,
		     const char *strand, const char *scenario)
{
	json_object *tool = json_object_new_object(), *set = json_object_new_object();
	json_object *peers = json_object_new_array(), *progs = json_object_new_object();
	char cmd[4096] = "strand", when[64];
	size_t len = strlen(cmd);
	time_t now = time(NULL);
	struct tm tm;

	for (int i = 0; i < argc && len < sizeof(cmd); i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s", argv[i]);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(d->meta, "created", json_object_new_string(when));
	json_object_object_add(d->meta, "command", json_object_new_string(cmd));
	json_object_object_add(tool, "name", json_object_new_string("strand bench"));
	json_object_object_add(tool, "version", json_object_new_string(STRAND_VERSION));
	json_object_object_add(tool, "git_revision", json_object_new_string(STRAND_GIT_REV));
	json_object_object_add(d->meta, "tool", tool);
	json_object_object_add(d->meta, "strand", bench_strand_info(strand));
	json_object_object_add(d->meta, "host", host_json());
	json_object_object_add(set, "reps", o->reps ? json_object_new_int((int)o->reps) : NULL);
	json_object_object_add(set, "warmup",
			       o->warmup_given ? json_object_new_int((int)o->warmup) : NULL);
	json_object_object_add(set, "order",
			       json_object_new_string(o->alternate ? "alternate" : "random"));
	json_object_object_add(set, "seed", json_object_new_int64((int64_t)o->seed));
	json_object_object_add(set, "timeout_s", json_object_new_double(o->timeout_s));
	json_object_object_add(set, "raw_max", json_object_new_int64((int64_t)o->raw_max));
	json_object_object_add(set, "short", json_object_new_boolean(o->short_runs));
	json_object_object_add(set, "alpha", json_object_new_double(o->stats.alpha));
	json_object_object_add(set, "min_effect", json_object_new_double(o->stats.min_effect));
	json_object_object_add(set, "noise", json_object_new_double(o->stats.noise));
	json_object_object_add(set, "test",
			       json_object_new_string(o->stats.permutation ? "permutation-median" :
									     "mann-whitney-u"));
	if (o->peer_qemu)
		json_object_array_add(peers, json_object_new_string("qemu"));
	json_object_object_add(set, "peers", peers);
	json_object_object_add(set, "matrix", o->matrix ? json_object_new_string(o->matrix) : NULL);
	json_object_object_add(set, "scenario", scenario ? json_object_new_string(scenario) : NULL);
	json_object_object_add(progs, "strand", json_object_new_string(strand));
	json_object_object_add(progs, "qemu", json_object_new_string(o->qemu ? o->qemu : ""));
	json_object_object_add(progs, "kvm_floor",
			       json_object_new_string(o->floor ? o->floor : ""));
	json_object_object_add(set, "programs", progs);
	json_object_object_add(d->meta, "settings", set);
}

void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: strand bench [options] [SUITE...]      run suites (default: quick)\n"
		"       strand bench compare OLD.json NEW.json  A/B verdicts; exit 1 on a regression\n"
		"       strand bench ab --a STRAND_A --b STRAND_B [options] [SUITE...]\n"
		"       strand bench report DOC.json --plot DIR  tables, plots and report from a run\n"
		"       strand bench list                        suites, groups and variants\n"
		"\n"
		"Suites: quick (each knob where it is known to matter, with readings, ~2 minutes),\n"
		"startup, exits, threading, sched, blk, monitor, net, all (every suite but quick).\n"
		"\n"
		"Running:\n"
		"  -n, --reps N         repetitions per variant (default: per suite)\n"
		"  --warmup N           warm-up runs per variant, not kept (default: per suite)\n"
		"  --order random|alternate  visit order in each round (default random)\n"
		"  --seed N             seed for the random order and resampling\n"
		"  --timeout SECONDS    per run (default 60)\n"
		"  --short              shorter monitor runs (smoke tests; not for figures)\n"
		"  --peer qemu          also run Debian's qemu-system-x86_64 on the same guests\n"
		"  --matrix KNOB=V1,V2  cross every strand variant with these values of a `strand\n"
		"                       run` option (repeatable; on/off for a flag), e.g.\n"
		"                       --matrix map-lock=rcu,mutex --matrix vcpus=1,2\n"
		"  --scenario FILE      suites from a JSON scenario file (docs/bench.md)\n"
		"  --args 'ARGS' --metric NAME=SOURCE[:UNIT[:higher|lower]]  a custom suite\n"
		"  --strand PATH        the strand binary to measure (default: this one)\n"
		"  --qemu PATH, --floor PATH   the peer programs\n"
		"\n"
		"Output:\n"
		"  --json FILE          the whole run as one JSON document (schema: docs/bench.md)\n"
		"  --plot DIR           PNG and SVG per suite (gnuplot), DIR/report.md and the\n"
		"                       page DIR/index.html\n"
		"  --markdown           print the tables as Markdown\n"
		"  --raw-max N          raw samples kept per run and metric (default 1000)\n"
		"  --alpha P, --min-effect F   verdicts in the tables (default 0.01, 0.05)\n"
		"  --no-progress, -q/--quiet   no progress line / no tables\n"
		"  -h, --help           this text (strand bench ab --help: the A/B gate's options)\n"
		"\n"
		"Exit status: 0 done; 1 a variant failed (crash, timeout, missing result); 2 bad\n"
		"usage; 130 interrupted. Variants whose options this build rejects are reported as\n"
		"\"not available in this build\" and do not fail the run.\n");
}

static int list_suites(const struct suite_def *const *extra, size_t nextra)
{
	struct expand_ctx ctx = {
		.cpus = host_cpus(), .cores = host_cores(), .peer_qemu = true, .disk = "{disk}"
	};

	for (size_t k = 0;; k++) {
		const struct suite_def *s = k < nextra ? extra[k] : builtin_suites[k - nextra];
		struct variant *v;
		size_t n;
		struct errbuf err;

		if (!s)
			break;
		printf("%s: %s (%u repetitions)\n", s->name, s->description, s->reps);
		if (suite_expand(s, &ctx, &v, &n, &err)) {
			printf("  (cannot expand: %s)\n", err.msg);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (i == 0 || strcmp(v[i].group, v[i - 1].group)) {
				printf("  %s: %s", v[i].group, v[i].title);
				if (v[i].g->reps)
					printf(" (%u repetitions)", v[i].g->reps);
				if (v[i].g->no_warmup)
					printf(" (no warm-up)");
				printf("\n");
			}
			printf("    %-30s %-10s", v[i].name, run_kind_name(v[i].kind));
			for (unsigned a = 0; a < v[i].nargs; a++)
				printf(" %s", v[i].args[a]);
			printf("\n");
		}
		variants_free(v, n);
	}
	return 0;
}

const struct option bench_report_options[] = {
	{ "plot", required_argument, NULL, 'p' },
	{ "markdown", no_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void bench_report_usage(FILE *f)
{
	fprintf(f,
		"usage: strand bench report DOC.json [--plot DIR] [--markdown]\n"
		"\n"
		"Prints the tables of a document written by strand bench --json.\n"
		"  --plot DIR   PNG and SVG per suite (gnuplot), DIR/report.md and DIR/index.html\n"
		"  --markdown   print the tables as Markdown\n"
		"  -h, --help   this text\n");
}

/* report DOC.json --plot DIR [--markdown] */
static int cmd_report(int argc, char **argv)
{
	const char *dir = NULL, *path = NULL;
	struct bstats_params p;
	struct errbuf err = { "" };
	struct cliopt o;
	struct doc *d;
	bool md = false;
	int status = 0, c;

	bstats_params_default(&p);
	cliopt_init(&o, "bench report", argc, argv, "h", bench_report_options);
	while ((c = cliopt_next(&o, &err)) != -1) {
		switch (c) {
		case 'p':
			dir = o.arg;
			break;
		case 'm':
			md = true;
			break;
		case 'h':
			bench_report_usage(stdout);
			return 0;
		default:
			log_error("%s (see strand bench report --help)", err.msg);
			return 2;
		}
	}
	if (argc - o.ind != 1) {
		log_error("bench report: expected one document, DOC.json (see strand bench report "
			  "--help)");
		return 2;
	}
	path = argv[o.ind];
	if (dir && cliopt_check_output("--plot", dir, true, &err)) {
		log_error("bench report: %s", err.msg);
		return 2;
	}
	if (doc_load(path, &d, &err)) {
		log_error("bench report: %s", err.msg);
		return 2;
	}
	for (size_t i = 0; i < d->nsuites; i++)
		table_suite(stdout, &d->suites[i], &p, md ? TABLE_MD : TABLE_TEXT,
			    json_object_object_get(d->meta, "host"));
	if (dir && plot_doc(d, dir, &p, &err)) {
		log_error("bench report: %s", err.msg);
		status = 1;
	}
	doc_free(d);
	return status;
}

enum {
	O_REPS = 256,
	O_WARMUP,
	O_ORDER,
	O_SEED,
	O_TIMEOUT,
	O_PEER,
	O_MATRIX,
	O_SCENARIO,
	O_ARGS,
	O_METRIC,
	O_STRAND,
	O_QEMU,
	O_FLOOR,
	O_JSON,
	O_PLOT,
	O_MARKDOWN,
	O_RAW_MAX,
	O_ALPHA,
	O_MIN_EFFECT,
	O_NO_PROGRESS,
	O_QUIET,
	O_HELP,
	O_A,
	O_B,
	O_MAX_REPS,
	O_SHORT,
};

const struct option bench_options[] = {
	{ "reps", required_argument, NULL, O_REPS },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "order", required_argument, NULL, O_ORDER },
	{ "seed", required_argument, NULL, O_SEED },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "peer", required_argument, NULL, O_PEER },
	{ "matrix", required_argument, NULL, O_MATRIX },
	{ "scenario", required_argument, NULL, O_SCENARIO },
	{ "args", required_argument, NULL, O_ARGS },
	{ "metric", required_argument, NULL, O_METRIC },
	{ "strand", required_argument, NULL, O_STRAND },
	{ "qemu", required_argument, NULL, O_QEMU },
	{ "floor", required_argument, NULL, O_FLOOR },
	{ "json", required_argument, NULL, O_JSON },
	{ "plot", required_argument, NULL, O_PLOT },
	{ "markdown", no_argument, NULL, O_MARKDOWN },
	{ "raw-max", required_argument, NULL, O_RAW_MAX },
	{ "alpha", required_argument, NULL, O_ALPHA },
	{ "min-effect", required_argument, NULL, O_MIN_EFFECT },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "short", no_argument, NULL, O_SHORT },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* bench ab: only strand variants run (no peers), each side's binary is --a or --b. */
const struct option bench_ab_options[] = {
	{ "a", required_argument, NULL, O_A },
	{ "b", required_argument, NULL, O_B },
	{ "reps", required_argument, NULL, O_REPS },
	{ "max-reps", required_argument, NULL, O_MAX_REPS },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "seed", required_argument, NULL, O_SEED },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "matrix", required_argument, NULL, O_MATRIX },
	{ "scenario", required_argument, NULL, O_SCENARIO },
	{ "args", required_argument, NULL, O_ARGS },
	{ "metric", required_argument, NULL, O_METRIC },
	{ "json", required_argument, NULL, O_JSON },
	{ "raw-max", required_argument, NULL, O_RAW_MAX },
	{ "alpha", required_argument, NULL, O_ALPHA },
	{ "min-effect", required_argument, NULL, O_MIN_EFFECT },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

int bench_parse(int argc, char **argv, const char *cmd, const struct option *opts,
		struct bench_cli *c, struct errbuf *err)
{
	static char matrix[2048];
	struct cliopt p;
	int opt;

	memset(c, 0, sizeof(*c));
	bench_opts_default(&c->o);
	matrix[0] = '\0';
	cliopt_init(&p, cmd, argc, argv, "n:qh", opts);
	while ((opt = cliopt_next(&p, err)) != -1) {
		const char *arg = p.arg;
		unsigned long v;
		char *end;

		switch (opt) {
		case 'n':
		case O_REPS:
			if (parse_uint(arg, 100000, &v) || v == 0)
				return errbuf_set(err, -EINVAL, "--reps: expected a count >= 1");
			c->o.reps = (unsigned)v;
			break;
		case O_WARMUP:
			if (parse_uint(arg, 1000, &v))
				return errbuf_set(err, -EINVAL, "--warmup: expected a count");
			c->o.warmup = (unsigned)v;
			c->o.warmup_given = true;
			break;
		case O_MAX_REPS:
			if (parse_uint(arg, 100000, &v) || v == 0)
				return errbuf_set(err, -EINVAL,
						  "--max-reps: expected a count >= 1");
			c->max_reps = (unsigned)v;
			break;
		case O_SHORT:
			c->o.short_runs = true;
			break;
		case O_ORDER:
			if (strcmp(arg, "random") && strcmp(arg, "alternate"))
				return errbuf_set(err, -EINVAL,
						  "--order: expected random or alternate");
			c->o.alternate = !strcmp(arg, "alternate");
			break;
		case O_SEED:
			if (parse_uint(arg, ~0UL, &v))
				return errbuf_set(err, -EINVAL, "--seed: expected a number");
			c->o.seed = v;
			break;
		case O_TIMEOUT:
			c->o.timeout_s = strtod(arg, &end);
			if (*end || c->o.timeout_s <= 0)
				return errbuf_set(err, -EINVAL, "--timeout: expected seconds > 0");
			break;
		case O_PEER:
			if (strcmp(arg, "qemu"))
				return errbuf_set(err, -EINVAL, "--peer: only qemu is known");
			c->o.peer_qemu = true;
			break;
		case O_MATRIX:
			if (!strchr(arg, '=') || strlen(matrix) + strlen(arg) + 2 >= sizeof(matrix))
				return errbuf_set(err, -EINVAL,
						  "--matrix: expected KNOB=V1,V2,..., got '%s'",
						  arg);
			if (matrix[0])
				strcat(matrix, ";");
			strcat(matrix, arg);
			c->o.matrix = matrix;
			break;
		case O_SCENARIO:
			c->scenario = arg;
			break;
		case O_ARGS:
			c->custom_args = arg;
			break;
		case O_METRIC:
			if (c->nmetrics >= MAX_METRICS)
				return errbuf_set(err, -EINVAL, "--metric: at most %d",
						  MAX_METRICS);
			c->metrics[c->nmetrics++] = arg;
			break;
		case O_STRAND:
			c->o.strand = arg;
			break;
		case O_QEMU:
			c->o.qemu = arg;
			break;
		case O_FLOOR:
			c->o.floor = arg;
			break;
		case O_JSON:
			c->json = arg;
			break;
		case O_PLOT:
			c->plot = arg;
			break;
		case O_MARKDOWN:
			c->markdown = true;
			break;
		case O_RAW_MAX:
			if (parse_uint(arg, 100000000, &v))
				return errbuf_set(err, -EINVAL, "--raw-max: expected a count");
			c->o.raw_max = v;
			break;
		case O_ALPHA:
			c->o.stats.alpha = strtod(arg, &end);
			if (*end || c->o.stats.alpha <= 0 || c->o.stats.alpha >= 1)
				return errbuf_set(err, -EINVAL, "--alpha: expected (0, 1)");
			break;
		case O_MIN_EFFECT:
			c->o.stats.min_effect = strtod(arg, &end);
			if (*end || c->o.stats.min_effect < 0)
				return errbuf_set(err, -EINVAL, "--min-effect: expected >= 0");
			break;
		case O_NO_PROGRESS:
			c->o.progress = false;
			break;
		case 'q':
		case O_QUIET:
			c->o.quiet = true;
			c->o.progress = false;
			break;
		case O_A:
			c->a = arg;
			break;
		case O_B:
			c->b = arg;
			break;
		case 'h':
		case O_HELP:
			return 1;
		default:
			return -EINVAL; /* CLIOPT_ERROR: err says why */
		}
	}
	if (c->nmetrics && !c->custom_args)
		return errbuf_set(err, -EINVAL, "--metric needs --args");
	if (c->custom_args && !c->nmetrics)
		return errbuf_set(err, -EINVAL, "--args needs at least one --metric");
	for (int i = p.ind; i < argc; i++) {
		if (!strcmp(argv[i], "all")) {
			for (unsigned k = 0; all_suites[k]; k++)
				if (c->nsuites < MAX_SUITES)
					c->suites[c->nsuites++] = all_suites[k];
			continue;
		}
		if (c->nsuites >= MAX_SUITES)
			return errbuf_set(err, -EINVAL, "too many suites");
		c->suites[c->nsuites++] = argv[i];
	}
	return 0;
}

/* Suite definitions for the names asked for (scenario suites first). */
int bench_select(struct bench_cli *c, const struct suite_def **out, size_t *n, struct errbuf *err)
{
	*n = 0;
	if (c->scenario && scenario_load(c->scenario, &c->scen, &c->nscen, &c->scen_json, err))
		return -EINVAL;
	for (size_t i = 0; i < c->nscen; i++)
		c->scen_ptr[i < MAX_SUITES ? i : MAX_SUITES - 1] = &c->scen[i];
	if (c->custom_args) {
		if (suite_custom(c->custom_args, c->metrics, c->nmetrics, &c->custom, err))
			return -EINVAL;
		out[(*n)++] = c->custom;
	}
	for (size_t i = 0; i < c->nsuites; i++) {
		const struct suite_def *s =
			suite_find(c->suites[i], c->scen_ptr, c->nscen < MAX_SUITES ? c->nscen : 0);

		if (!s)
			return errbuf_set(err, -EINVAL,
					  "unknown suite '%s' (quick, startup, exits, threading, "
					  "sched, blk, monitor, all, or one from --scenario)",
					  c->suites[i]);
		out[(*n)++] = s;
	}
	if (*n == 0 && c->nscen)
		for (size_t i = 0; i < c->nscen && *n < MAX_SUITES; i++)
			out[(*n)++] = &c->scen[i];
	if (*n == 0)
		out[(*n)++] = suite_find("quick", NULL, 0);
	return 0;
}

void bench_cli_free(struct bench_cli *c)
{
	scenario_free(c->scen, c->nscen);
	json_object_put(c->scen_json);
	if (c->custom) {
		for (unsigned i = 0; c->custom->groups[0].metrics[i].name; i++)
			free((void *)c->custom->groups[0].metrics[i].name);
		free((void *)c->custom->groups[0].sources);
		free((void *)c->custom->groups[0].metrics);
		free((void *)c->custom->groups);
		free(c->custom);
	}
}

static int cmd_run(int argc, char **argv)
{
	static char self[4096], floorbuf[4096], qemubuf[4096];
	const struct suite_def *defs[MAX_SUITES + 1];
	struct bench_cli c;
	struct errbuf err = { "" };
	struct runner r;
	struct doc *d = NULL;
	size_t n;
	int ret, status = 0;
	bool failed = false;

	ret = bench_parse(argc, argv, "bench", bench_options, &c, &err);
	if (ret == 1) {
		bench_usage(stdout);
		return 0;
	}
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	if (c.a || c.b || c.max_reps) {
		log_error("--a, --b and --max-reps belong to `strand bench ab`");
		bench_cli_free(&c);
		return 2;
	}
	if (bench_select(&c, defs, &n, &err) ||
	    bench_resolve_programs(&c.o, self, sizeof(self), floorbuf, sizeof(floorbuf), qemubuf,
				   sizeof(qemubuf), &err) ||
	    (c.json && cliopt_check_output("--json", c.json, false, &err)) ||
	    (c.plot && cliopt_check_output("--plot", c.plot, true, &err))) {
		log_error("%s", err.msg);
		bench_cli_free(&c);
		return 2;
	}
	if (runner_init(&r, &c.o, &err)) {
		log_error("%s", err.msg);
		bench_cli_free(&c);
		return 4;
	}
	spawn_install_interrupt();
	d = doc_new();
	bench_fill_meta(d, argc, argv, &c.o, c.o.strand, c.scenario);
	for (size_t i = 0; i < n && !spawn_interrupted; i++) {
		struct suite_run sr;

		if (runner_prepare(&r, defs[i], d, c.o.strand, false, &sr, &err)) {
			log_error("suite %s: %s", defs[i]->name, err.msg);
			status = 2;
			break;
		}
		runner_run_suite(&r, &sr);
		runner_finish(&sr);
		for (size_t k = 0; k < sr.nv; k++)
			if (sr.v[k].status == SERIES_FAILED)
				failed = true;
		suite_run_free(&sr);
	}
	doc_finish(d);
	if (!c.o.quiet) {
		char host[512];
		json_object *h = NULL;

		json_object_object_get_ex(d->meta, "host", &h);
		host_summary(h, host, sizeof(host));
		printf(c.markdown ? "# strand bench\n\nHost: %s\n" : "strand bench on %s\n", host);
		for (size_t i = 0; i < d->nsuites; i++)
			table_suite(stdout, &d->suites[i], &c.o.stats,
				    c.markdown ? TABLE_MD : TABLE_TEXT, h);
		fflush(stdout);
	}
	if (c.json && doc_write(d, c.json, &err)) {
		log_error("--json: %s", err.msg);
		status = status ? status : 1;
	}
	if (c.plot && plot_doc(d, c.plot, &c.o.stats, &err)) {
		log_error("--plot: %s", err.msg);
		status = status ? status : 1;
	} else if (c.plot && !c.o.quiet) {
		printf("\nPictures, tables and readings in one page: %s/index.html\n", c.plot);
	}
	if (!status && failed)
		status = 1;
	if (spawn_interrupted)
		status = 130;
	doc_free(d);
	runner_fini(&r);
	bench_cli_free(&c);
	return status;
}

int bench_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "ab"))
		return ab_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		struct bench_cli c;
		const struct suite_def *defs[MAX_SUITES + 1];
		size_t n;
		struct errbuf err = { "" };
		int ret = bench_parse(argc - 1, argv + 1, "bench list", bench_options, &c, &err);

		if (ret == 0 && c.scenario)
			ret = bench_select(&c, defs, &n, &err);
		if (ret) {
			log_error("%s", err.msg);
			bench_cli_free(&c);
			return 2;
		}
		ret = list_suites(c.scen_ptr, c.nscen < MAX_SUITES ? c.nscen : 0);
		bench_cli_free(&c);
		return ret;
	}
	return cmd_run(argc, argv);
}
