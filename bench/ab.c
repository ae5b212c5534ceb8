/* ab.c - interleaved A/B runs of two strand builds. Main thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/ab.h"
#include "bench/bench.h"
#include "bench/compare.h"
#include "bench/spawn.h"
#include "util/cliopt.h"
#include "util/log.h"

void ab_usage(FILE *f)
{
	fprintf(f,
		"usage: strand bench ab --a STRAND_A --b STRAND_B [options] [SUITE...]\n"
		"\n"
		"Runs the suites (default quick) on two strand binaries, interleaved with the order\n"
		"alternating, and compares B (new) against A (old, the baseline). Series that stay\n"
		"undecided get more rounds, keeping the earlier samples, up to --max-reps.\n"
		"\n"
		"  --a PATH, --b PATH   the two strand binaries (e.g. main's and the pull request's)\n"
		"  -n, --reps N         first repetitions per variant and side (default: per suite)\n"
		"  --max-reps N         at most this many per variant and side (default 3x reps)\n"
		"  --json FILE          {\"a\": document, \"b\": document, \"comparison\": ...}\n"
		"  --alpha, --min-effect, --warmup, --seed, --timeout, --matrix, --scenario,\n"
		"  --args, --metric, --raw-max, --no-progress, -q/--quiet: as for strand bench\n"
		"  -h, --help           this text\n"
		"\n"
		"Only variants that run strand take part (not the KVM floor nor QEMU).\n"
		"Exit status: 0 no regression, 1 a regression or a failed run, 2 bad usage.\n");
}

/* Any series of variant i, A against B, still undecided? */
static bool undecided(const struct suite_run *ra, const struct suite_run *rb, size_t i,
		      const struct bstats_params *p)
{
	const struct variant *va = &ra->v[i], *vb = &rb->v[i];

	if (va->status != SERIES_OK || vb->status != SERIES_OK)
		return false;
	for (unsigned m = 0; m < va->nsrc; m++) {
		const struct series *a = va->series[m], *b = vb->series[m];
		struct bstats_change c;

		if (bstats_compare(a->samples.v, a->samples.n, b->samples.v, b->samples.n,
				   b->higher_better, p, &c) == 0 &&
		    c.verdict == BSTATS_UNDECIDED)
			return true;
	}
	return false;
}

static void run_pair(struct runner *r, struct suite_run *ra, struct suite_run *rb, size_t i,
		     unsigned round, bool measured)
{
	struct suite_run *first = round & 1 ? rb : ra, *second = round & 1 ? ra : rb;
	char what[300];

	snprintf(what, sizeof(what), "%s%s %s/%s", measured ? "" : "warm-up ", ra->def->name,
		 ra->v[i].group, ra->v[i].name);
	runner_progress(r, what);
	runner_run_once(r, first, i, measured);
	r->done++;
	runner_run_once(r, second, i, measured);
	r->done++;
}

static void run_suite_ab(struct runner *r, struct suite_run *ra, struct suite_run *rb,
			 unsigned max_reps, const struct bstats_params *p)
{
	unsigned *order = calloc(ra->nv ? ra->nv : 1, sizeof(unsigned));
	unsigned rounds = 0, extra = 0;

	if (!order)
		return;
	r->label = ra->def->name;
	/* A group of long runs may have fewer rounds (and retries in proportion). */
	for (size_t i = 0; i < ra->nv; i++) {
		const struct variant *v = &ra->v[i];

		if (v->warmup + v->reps > rounds)
			rounds = v->warmup + v->reps;
		r->planned += 2ULL * (v->warmup + v->reps);
	}
	for (unsigned round = 0; round < rounds && !spawn_interrupted; round++) {
		runner_round_order(r, round, order, ra->nv);
		for (size_t k = 0; k < ra->nv && !spawn_interrupted; k++) {
			size_t i = order[k];
			const struct variant *v = &ra->v[i];

			if (round >= v->warmup + v->reps)
				continue;
			if (v->status != SERIES_OK || rb->v[i].status != SERIES_OK) {
				r->planned -= 2;
				continue;
			}
			run_pair(r, ra, rb, i, round, round >= v->warmup);
		}
	}
	/* Retries: more rounds of the undecided variants, earlier samples kept. */
	for (unsigned reps = ra->reps; reps < max_reps && !spawn_interrupted; reps++) {
		size_t pending = 0;

		for (size_t i = 0; i < ra->nv; i++) {
			unsigned done = ra->v[i].reps + (reps - ra->reps);

			if (done < max_reps * ra->v[i].reps / ra->reps && undecided(ra, rb, i, p))
				order[pending++] = (unsigned)i;
		}
		if (!pending)
			break;
		extra++;
		r->planned += 2 * pending;
		for (size_t k = 0; k < pending && !spawn_interrupted; k++)
			run_pair(r, ra, rb, order[k], rounds + extra, true);
	}
	runner_progress_done(r);
	if (extra && !r->o->quiet)
		fprintf(stderr, "strand bench ab: %s: %u more round(s) for undecided series\n",
			ra->def->name, extra);
	free(order);
}

int ab_main(int argc, char **argv)
{
	static char self[4096], floorbuf[4096], qemubuf[4096];
	const struct suite_def *defs[BENCH_MAX_SUITES + 1];
	struct bench_cli c;
	struct errbuf err = { "" };
	struct runner r;
	struct doc *da = NULL, *db = NULL;
	struct compare_counts counts;
	json_object *cmp = NULL;
	size_t n;
	int ret, status = 0;
	bool failed = false;

	ret = bench_parse(argc, argv, "bench ab", bench_ab_options, &c, &err);
	if (ret == 1) {
		ab_usage(stdout);
		return 0;
	}
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	if (!c.a || !c.b) {
		log_error(
			"bench ab: --a STRAND_A and --b STRAND_B are required (see strand bench ab "
			"--help)");
		bench_cli_free(&c);
		return 2;
	}
	if (c.json && cliopt_check_output("--json", c.json, false, &err)) {
		log_error("bench ab: %s", err.msg);
		bench_cli_free(&c);
		return 2;
	}
	c.o.strand = c.a;
	if (bench_select(&c, defs, &n, &err) ||
	    bench_resolve_programs(&c.o, self, sizeof(self), floorbuf, sizeof(floorbuf), qemubuf,
				   sizeof(qemubuf), &err)) {
		log_error("%s", err.msg);
		bench_cli_free(&c);
		return 2;
	}
	if (access(c.b, X_OK)) {
		log_error("--b %s: not an executable", c.b);
		bench_cli_free(&c);
		return 2;
	}
	c.o.peer_qemu = false;
	if (runner_init(&r, &c.o, &err)) {
		log_error("%s", err.msg);
		bench_cli_free(&c);
		return 4;
	}
	spawn_install_interrupt();
	da = doc_new();
	db = doc_new();
	bench_fill_meta(da, argc, argv, &c.o, c.a, c.scenario);
	bench_fill_meta(db, argc, argv, &c.o, c.b, c.scenario);
	for (size_t i = 0; i < n && !spawn_interrupted; i++) {
		struct suite_run ra, rb;
		unsigned max_reps;

		if (runner_prepare(&r, defs[i], da, c.a, true, &ra, &err) ||
		    runner_prepare(&r, defs[i], db, c.b, true, &rb, &err)) {
			log_error("suite %s: %s", defs[i]->name, err.msg);
			status = 2;
			break;
		}
		max_reps = c.max_reps ? c.max_reps : 3 * ra.reps;
		if (max_reps < ra.reps)
			max_reps = ra.reps;
		run_suite_ab(&r, &ra, &rb, max_reps, &c.o.stats);
		runner_finish(&ra);
		runner_finish(&rb);
		ra.res->reps = rb.res->reps = max_reps;
		for (size_t k = 0; k < ra.nv; k++)
			if (ra.v[k].status == SERIES_FAILED || rb.v[k].status == SERIES_FAILED)
				failed = true;
		suite_run_free(&ra);
		suite_run_free(&rb);
	}
	doc_finish(da);
	doc_finish(db);
	if (!c.o.quiet)
		printf("A (old): %s\nB (new): %s\n\n", c.a, c.b);
	if (compare_docs(da, db, &c.o.stats, c.o.quiet ? NULL : stdout, c.markdown, &counts,
			 c.json ? &cmp : NULL)) {
		log_error("bench ab: out of memory");
		status = 4;
	}
	if (c.json && cmp) {
		json_object *root = json_object_new_object();

		json_object_object_add(root, "schema", json_object_new_string("strand-bench-ab/1"));
		json_object_object_add(root, "a", doc_to_json(da));
		json_object_object_add(root, "b", doc_to_json(db));
		json_object_object_add(root, "comparison", cmp);
		json_c_set_serialization_double_format("%.7g", JSON_C_OPTION_GLOBAL);
		if (json_object_to_file_ext(c.json, root, JSON_C_TO_STRING_SPACED)) {
			log_error("--json %s: %s", c.json, json_util_get_last_err());
			status = status ? status : 2;
		}
		json_object_put(root);
	}
	if (!status)
		status = counts.slower || failed ? 1 : 0;
	if (!c.o.quiet)
		printf("%s\n", counts.slower ? "REGRESSION" :
			       failed	     ? "a run failed" :
					       "no regression");
	if (spawn_interrupted)
		status = 130;
	doc_free(da);
	doc_free(db);
	runner_fini(&r);
	bench_cli_free(&c);
	return status;
}
