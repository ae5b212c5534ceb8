/* runner.c - running benchmark variants as child processes. Main thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/flatimg.h"
#include "bench/host.h"
#include "bench/qmpbench.h"
#include "bench/runner.h"
#include "bench/spawn.h"
#include "util/compiler.h"

#define FLAT_MEMORY "512M"

int runner_init(struct runner *r, const struct bench_opts *o, struct errbuf *err)
{
	const char *base = getenv("TMPDIR");

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->rng.state = o->seed;
	snprintf(r->tmp, sizeof(r->tmp), "%s/strand-bench.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(r->tmp))
		return errbuf_set(err, -errno, "cannot create a directory in %s: %s",
				  base && *base ? base : "/tmp", strerror(errno));
	snprintf(r->disk, sizeof(r->disk), "%s/disk.raw", r->tmp);
	return 0;
}

void runner_fini(struct runner *r)
{
	static const char *const names[] = { "results.json", "stats.json", "disk.raw", "qmp.sock",
					     "strand.log" };
	char path[400];

	if (r->echo_pid > 0) {
		kill(r->echo_pid, SIGKILL);
		waitpid(r->echo_pid, NULL, 0);
		r->echo_pid = 0;
	}
	if (!r->tmp[0])
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->tmp, names[i]);
		unlink(path);
	}
	for (unsigned bios = 0; bios < 2; bios++)
		for (unsigned loops = 0; loops < 2; loops++) {
			snprintf(path, sizeof(path), "%s/flat-%s-%u.bin", r->tmp,
				 bios ? "bios" : "guest", loops);
			unlink(path);
		}
	rmdir(r->tmp);
	r->tmp[0] = '\0';
}

static int make_disk(struct runner *r)
{
	int fd, ret = 0;

	if (r->disk_made)
		return 0;
	fd = open(r->disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* Written, not sparse: reads then come from the page cache, not from holes. */
	{
		static char block[1 << 16];

		memset(block, 0x5a, sizeof(block));
		for (unsigned i = 0; i < 1024 && !ret; i++)
			if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
				ret = -EIO;
	}
	close(fd);
	r->disk_made = !ret;
	return ret;
}

/*
 * The network the net suite's tap variants use, away from the host's: this process moves to
 * a network namespace of its own (the strand runs it spawns inherit it), with a multi_queue
 * tap BENCH_TAP at 10.0.0.1/24 and a UDP echo child on port 7777 (net-rr's responder).
 */
static int make_tap(struct runner *r, struct errbuf *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7777) };
	int s;

	if (r->tap_made)
		return 0;
	if (unshare(CLONE_NEWNET))
		return errbuf_set(err, -errno,
				  "the net suite's tap runs need a network namespace of their own "
				  "(unshare: %s; run as root)",
				  strerror(errno));
	if (system("ip link set lo up && ip tuntap add dev " BENCH_TAP " mode tap multi_queue && "
		   "ip addr add 10.0.0.1/24 dev " BENCH_TAP " && ip link set " BENCH_TAP " up"))
		return errbuf_set(err, -EIO, "cannot set up the tap " BENCH_TAP " (ip(8))");
	inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)))
		return errbuf_set(err, -errno, "UDP echo on 10.0.0.1:7777: %s", strerror(errno));
	r->echo_pid = fork();
	if (r->echo_pid < 0)
		return errbuf_set(err, -errno, "fork: %s", strerror(errno));
	if (r->echo_pid == 0) {
		static char buf[65536];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

			if (n > 0)
				sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(s);
	r->tap_made = true;
	return 0;
}

/* The variant as a JSON object: kind, vmm, arguments, command line. */
static json_object *variant_knobs(const struct variant *v, const char *strand)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "kind", json_object_new_string(run_kind_name(v->kind)));
	json_object_object_add(o, "vmm",
			       json_object_new_string(v->vmm == VMM_QEMU ? "qemu" : "strand"));
	if (v->kind == KIND_FLOOR)
		json_object_object_add(o, "program", json_object_new_string("strand-kvm-floor"));
	else if (v->vmm == VMM_STRAND)
		json_object_object_add(o, "program", json_object_new_string(strand));
	for (unsigned i = 0; i < v->nargs; i++)
		json_object_array_add(a, json_object_new_string(v->args[i]));
	json_object_object_add(o, "args", a);
	if (v->kind == KIND_FLAT_RT)
		json_object_object_add(o, "loops", json_object_new_int((int)v->loops));
	if (v->kind == KIND_QMP_RTT)
		json_object_object_add(o, "samples_per_command",
				       json_object_new_int((int)v->loops));
	if (v->kind == KIND_QMP_POLL)
		json_object_object_add(o, "poll_hz", json_object_new_int((int)v->loops));
	if (v->kind == KIND_FLAT_START || v->kind == KIND_FLAT_RT)
		json_object_object_add(o, "memory", json_object_new_string(FLAT_MEMORY));
	return o;
}

/* The sources whose value is a distance to the targets: their series carry the targets. */
static bool is_share_dev(const char *src)
{
	return !strcmp(src, "$share_dev") || !strcmp(src, "$vm_share_dev");
}

static bool needs_stats(const struct variant *v)
{
	for (unsigned m = 0; m < v->nsrc; m++)
		if (!strncmp(v->src[m].src, "$vm_share", 9) || !strcmp(v->src[m].src, "$steal_pct"))
			return true;
	return false;
}

int runner_prepare(struct runner *r, const struct suite_def *def, struct doc *doc,
		   const char *strand, bool strand_only, struct suite_run *sr, struct errbuf *err)
{
	struct expand_ctx ctx = {
		.cpus = 0,
		.matrix = r->o->matrix,
		.disk = r->disk,
		.tmp = r->tmp,
		.peer_qemu = r->o->peer_qemu,
		.strand_only = strand_only,
	};
	int ret;

	memset(sr, 0, sizeof(*sr));
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		ctx.cpus = n > 0 ? (unsigned)n : 1;
		ctx.cores = host_cores();
	}
	ret = suite_expand(def, &ctx, &sr->v, &sr->nv, err);
	if (ret)
		return ret;
	if (ctx.need_disk && (ret = make_disk(r)))
		return errbuf_set(err, ret, "cannot write %s: %s", r->disk, strerror(-ret));
	if (ctx.need_tap && (ret = make_tap(r, err)))
		return ret;
	sr->def = def;
	sr->strand = strand;
	sr->reps = r->o->reps ? r->o->reps : def->reps ? def->reps : 10;
	sr->warmup = r->o->warmup_given ? r->o->warmup : def->warmup;
	sr->res = doc_add_suite(doc, def->name, def->description);
	sr->res->reps = sr->reps;
	sr->res->warmup = sr->warmup;
	for (size_t i = 0; i < sr->nv; i++) {
		struct variant *v = &sr->v[i];

		/* A group of long runs may ask for fewer; the command line overrides both. */
		v->reps = r->o->reps ? r->o->reps : v->g->reps ? v->g->reps : sr->reps;
		v->warmup = r->o->warmup_given || !v->g->no_warmup ? sr->warmup : 0;
		for (unsigned m = 0; m < v->nsrc; m++) {
			const struct metric_def *md = v->src[m].m;
			struct series *s =
				suite_add_series(sr->res, v->group, v->title, v->name, md->name,
						 md->title, md->unit, md->higher_better);
			json_object *k = variant_knobs(v, strand);

			json_object_object_add(k, "source", json_object_new_string(v->src[m].src));
			json_object_put(s->knobs);
			s->knobs = k;
			v->series[m] = s;
			if (is_share_dev(v->src[m].src))
				for (unsigned t = 0; t < v->ntargets; t++)
					dvec_push(&s->targets, v->targets[t]);
		}
	}
	for (unsigned i = 0; def->ratios && def->ratios[i].name; i++) {
		char num[300], den[300];

		snprintf(num, sizeof(num), "%s/%s", def->name, def->ratios[i].num);
		snprintf(den, sizeof(den), "%s/%s", def->name, def->ratios[i].den);
		suite_add_ratio(sr->res, def->ratios[i].name, num, den);
	}
	return 0;
}

void suite_run_free(struct suite_run *sr)
{
	variants_free(sr->v, sr->nv);
	memset(sr, 0, sizeof(*sr));
}

static void set_state(struct variant *v, enum series_status st, const char *msg)
{
	if (v->status != SERIES_OK)
		return;
	v->status = st;
	snprintf(v->note, sizeof(v->note), "%.*s", (int)sizeof(v->note) - 1, msg);
}

/* The last non-empty line of a child's stderr. */
static const char *last_line(char *s)
{
	size_t n = strlen(s);
	char *p;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	p = strrchr(s, '\n');
	return p ? p + 1 : s;
}

/* ---- metrics from strand's --results-json ---- */

static const char *const stat_names[] = {
	"p50", "median", "p90", "p99", "mean", "min", "max", "sum",
};

static bool is_stat(const char *s)
{
	for (unsigned i = 0; i < ARRAY_SIZE(stat_names); i++)
		if (!strcmp(s, stat_names[i]))
			return true;
	return false;
}

static int stat_of(const char *stat, struct dvec *pool, double *out)
{
	struct stats_summary s;

	if (!pool->n || stats_summarize(pool->v, pool->n, &s))
		return -ENOENT;
	if (!strcmp(stat, "sum")) {
		*out = 0;
		for (size_t i = 0; i < pool->n; i++)
			*out += pool->v[i];
	} else if (!strcmp(stat, "p50") || !strcmp(stat, "median"))
		*out = s.p50;
	else if (!strcmp(stat, "p90"))
		*out = s.p90;
	else if (!strcmp(stat, "p99"))
		*out = s.p99;
	else if (!strcmp(stat, "mean"))
		*out = s.mean;
	else if (!strcmp(stat, "min"))
		*out = s.min;
	else if (!strcmp(stat, "max"))
		*out = s.max;
	else
		return -EINVAL;
	return 0;
}

/* Keep up to raw_max samples of one run: all of them, or every k-th. */
static void keep_raw(struct series *s, size_t rep, const struct dvec *pool, size_t raw_max)
{
	struct dvec *raw = series_raw(s, rep);
	size_t step = raw_max && pool->n > raw_max ? (pool->n + raw_max - 1) / raw_max : 1;

	for (size_t i = 0; i < pool->n; i += step)
		dvec_push(raw, pool->v[i]);
}

/*
 * A result of the run named name: "NAME" from a single VM, "vmK.NAME" from VM vmK of several;
 * a name without a VM matches every VM's.
 */
static bool result_named(json_object *o, const char *name)
{
	json_object *x, *vm;
	const char *rn, *vn;
	size_t vl;

	if (!json_object_object_get_ex(o, "name", &x))
		return false;
	rn = json_object_get_string(x);
	if (!strcmp(rn, name))
		return true;
	if (!json_object_object_get_ex(o, "vm", &vm))
		return false;
	vn = json_object_get_string(vm);
	vl = strlen(vn);
	return !strncmp(rn, vn, vl) && rn[vl] == '.' && !strcmp(rn + vl + 1, name);
}

/*
 * Source "NAME[.STAT]" (NAME may hold dots: vm0.acquisitions): without STAT the mean of its
 * values; with STAT the statistic of its samples pooled, or of its values when it has none.
 */
static int micro_metric(json_object *results, const char *src, double *value, struct dvec *pool,
			char *why, size_t whylen)
{
	char name[64];
	const char *dot = strrchr(src, '.'), *stat = NULL;
	size_t nres = json_object_array_length(results);
	struct dvec values = { 0 };
	int ret = 0;

	if (dot && is_stat(dot + 1))
		stat = dot + 1;
	snprintf(name, sizeof(name), "%.*s", stat ? (int)(dot - src) : (int)strlen(src), src);
	for (size_t i = 0; i < nres; i++) {
		json_object *o = json_object_array_get_idx(results, i), *x;

		if (!result_named(o, name))
			continue;
		if (stat && json_object_object_get_ex(o, "samples", &x)) {
			for (size_t k = 0; k < json_object_array_length(x); k++)
				dvec_push(pool,
					  json_object_get_double(json_object_array_get_idx(x, k)));
		} else if (json_object_object_get_ex(o, "value", &x)) {
			dvec_push(&values, json_object_get_double(x));
		}
	}
	if (stat) {
		if (!pool->n)
			for (size_t i = 0; i < values.n; i++)
				dvec_push(pool, values.v[i]);
		ret = stat_of(stat, pool, value);
		if (ret)
			snprintf(why, whylen, "the guest reported no samples or values '%s'", src);
	} else if (!values.n) {
		snprintf(why, whylen, "the guest reported no result '%s'", src);
		ret = -ENOENT;
	} else {
		*value = 0;
		for (size_t i = 0; i < values.n; i++)
			*value += values.v[i] / (double)values.n;
	}
	dvec_free(&values);
	return ret;
}

/* CPU shares of the vCPU threads and the largest distance to the targets. */
static int share_dev(const struct variant *v, const struct spawn_result *sp, double *dev,
		     struct dvec *shares)
{
	double total = 0;

	*dev = 0;
	for (unsigned i = 0; i < sp->nvcpus; i++)
		total += sp->vcpu_ns[i];
	if (!sp->nvcpus || total <= 0)
		return -ENOENT;
	for (unsigned i = 0; i < sp->nvcpus; i++) {
		double share = sp->vcpu_ns[i] / total;
		double target = v->equal_targets ? 1.0 / sp->nvcpus :
				i < v->ntargets	 ? v->targets[i] :
						   0;
		double d = share > target ? share - target : target - share;

		dvec_push(shares, share);
		if (d > *dev)
			*dev = d;
	}
	return 0;
}

static double cpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (double)n : 1;
}

/*
 * From strand's --stats-json: each VM's CPU time over the host's (wall time x host CPUs) into
 * shares, in VM order. $vm_share.K is one of them, $vm_share_dev the largest distance to the
 * targets (VMs past the last target have none).
 */
static int vm_share(const struct variant *v, json_object *st, const char *src, double *value,
		    struct dvec *shares, char *why, size_t whylen)
{
	json_object *vms, *x;
	double wall;
	size_t n;

	if (!st || !json_object_object_get_ex(st, "wall_ns", &x) ||
	    (wall = json_object_get_double(x)) <= 0 ||
	    !json_object_object_get_ex(st, "vms", &vms) || !(n = json_object_array_length(vms))) {
		snprintf(why, whylen, "no VM CPU times in strand's --stats-json");
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(vms, i);

		if (!json_object_object_get_ex(o, "cpu_ns", &x)) {
			snprintf(why, whylen, "no cpu_ns for VM %zu in strand's --stats-json", i);
			return -ENOENT;
		}
		dvec_push(shares, json_object_get_double(x) / (wall * cpus_online()));
	}
	if (!strcmp(src, "$vm_share_dev")) {
		*value = 0;
		for (size_t i = 0; i < n; i++) {
			double t = v->equal_targets ? 1.0 / (double)n :
				   i < v->ntargets  ? v->targets[i] :
						      -1;
			double d = shares->v[i] > t ? shares->v[i] - t : t - shares->v[i];

			if (t >= 0 && d > *value)
				*value = d;
		}
		return 0;
	}
	{
		char *end;
		unsigned long k = strtoul(src + strlen("$vm_share."), &end, 10);

		if (strncmp(src, "$vm_share.", 10) || *end || k >= n) {
			snprintf(why, whylen, "%s: no such VM (%zu in the run)", src, n);
			return -EINVAL;
		}
		*value = shares->v[k];
		shares->n = 0;
		dvec_push(shares, *value);
	}
	return 0;
}

/* Steal time each vCPU's guest read (KVM's steal-time area), % of wall time; the mean. */
static int steal_pct(json_object *st, double *value, struct dvec *pct, char *why, size_t whylen)
{
	json_object *vcpus, *x;
	double wall, sum = 0;

	if (!st || !json_object_object_get_ex(st, "wall_ns", &x) ||
	    (wall = json_object_get_double(x)) <= 0 ||
	    !json_object_object_get_ex(st, "vcpus", &vcpus)) {
		snprintf(why, whylen, "no vCPU statistics in strand's --stats-json");
		return -ENOENT;
	}
	for (size_t i = 0; i < json_object_array_length(vcpus); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(vcpus, i), "guest_steal_ns",
					      &x)) {
			dvec_push(pct, 100 * json_object_get_double(x) / wall);
			sum += pct->v[pct->n - 1];
		}
	if (!pct->n) {
		snprintf(why, whylen, "the guest has no steal time (PV steal time off?)");
		return -ENOENT;
	}
	*value = sum / (double)pct->n;
	return 0;
}

static void record(struct runner *r, struct variant *v, unsigned m, double value,
		   const struct dvec *raw, uint64_t run_index)
{
	struct series *s = v->series[m];
	size_t rep = s->samples.n;

	dvec_push(&s->samples, value);
	dvec_push(&s->run_order, (double)run_index);
	if (raw && raw->n)
		keep_raw(s, rep, raw, r->o->raw_max);
	if (v->equal_targets && !s->targets.n && raw && !strcmp(v->src[m].src, "$share_dev"))
		for (size_t i = 0; i < raw->n; i++)
			dvec_push(&s->targets, 1.0 / (double)raw->n);
}

/*
 * Options of `strand run` for the whole process (and whether they take a value): with several
 * VMs they must come before the first --vm.
 */
static const struct {
	const char *name;
	bool value;
} host_options[] = {
	{ "--sched", true },	  { "--stats", false },
	{ "--stats-json", true }, { "--timeout", true },
	{ "--topology", true },	  { "--housekeeping", true },
	{ "--log-level", true },  { "--allow-smt-sharing", false },
	{ "--kvm", true },
};

/* Whether args[i] is a host option; *len: how many arguments it takes up (1 or 2). */
static bool host_option(char *const *args, unsigned i, unsigned nargs, unsigned *len)
{
	for (unsigned k = 0; k < ARRAY_SIZE(host_options); k++) {
		size_t l = strlen(host_options[k].name);

		if (strncmp(args[i], host_options[k].name, l))
			continue;
		if (args[i][l] == '=') {
			*len = 1;
			return true;
		}
		if (args[i][l] == '\0') {
			*len = host_options[k].value && i + 1 < nargs ? 2 : 1;
			return true;
		}
	}
	return false;
}

/*
 * strand run, the variant's arguments and the harness's own (hopts). Without --vm the
 * harness's come last; with several VMs they and every host option the variant has (a
 * --sched knob, --matrix sched=...) go before the first --vm, the VMs' options stay behind.
 */
static void micro_argv(const char *strand, const struct variant *v, const char *const *hopts,
		       const char **argv)
{
	unsigned n = 0, first = 0, len;
	bool moved[VARIANT_MAX_ARGS] = { false };

	argv[n++] = strand;
	argv[n++] = "run";
	while (first < v->nargs && strcmp(v->args[first], "--vm"))
		argv[n++] = v->args[first++];
	for (unsigned i = first; i < v->nargs; i++)
		if (host_option(v->args, i, v->nargs, &len)) {
			for (unsigned k = 0; k < len; k++) {
				moved[i + k] = true;
				argv[n++] = v->args[i + k];
			}
			i += len - 1;
		}
	while (*hopts)
		argv[n++] = *hopts++;
	for (unsigned i = first; i < v->nargs; i++)
		if (!moved[i])
			argv[n++] = v->args[i];
	argv[n] = NULL;
}

/* What strand says about itself and the machine it built (--results-json), once per variant. */
static void report_once(struct variant *v, json_object *root)
{
	json_object *rep;

	if (v->reported)
		return;
	rep = json_object_new_object();
	json_object_object_foreach(root, key,
				   val) if (strcmp(key, "results") && strcmp(key, "vcpu_stats") &&
					    strcmp(key, "wall_ns") && strcmp(key, "exit_status"))
		json_object_object_add(rep, key, json_object_get(val));
	for (unsigned m = 0; m < v->nsrc; m++)
		json_object_object_add(v->series[m]->knobs, "reported",
				       m ? json_object_get(rep) : rep);
	if (!v->nsrc)
		json_object_put(rep);
	v->reported = true;
}

static void run_micro(struct runner *r, struct suite_run *sr, struct variant *v, bool measured,
		      uint64_t idx)
{
	char results[400], stats[400], timeout[32];
	const char *argv[VARIANT_MAX_ARGS + 16];
	const char *hopts[12] = { "--results-json", results,	 "--quiet", "--console",
				  "none",	    "--timeout", timeout,   NULL };
	struct spawn_opts so = { 0 };
	struct spawn_result sp;
	json_object *root = NULL, *res = NULL, *st = NULL, *x;
	bool want_shares = false;

	snprintf(results, sizeof(results), "%s/results.json", r->tmp);
	snprintf(stats, sizeof(stats), "%s/stats.json", r->tmp);
	snprintf(timeout, sizeof(timeout), "%.0fs", r->o->timeout_s);
	unlink(results);
	unlink(stats);
	if (needs_stats(v)) {
		hopts[7] = "--stats-json";
		hopts[8] = stats;
		hopts[9] = NULL;
	}
	micro_argv(sr->strand, v, hopts, argv);
	for (unsigned m = 0; m < v->nsrc; m++)
		if (!strcmp(v->src[m].src, "$share_dev"))
			want_shares = true;
	so.argv = argv;
	so.timeout_s = r->o->timeout_s + 10;
	so.vcpu_times = want_shares;
	if (spawn_run(&so, &sp)) {
		set_state(v, SERIES_FAILED, sp.err);
		return;
	}
	v->run_s += (double)sp.wall_ns / 1e9;
	if (sp.status == 2 && !v->reported) {
		char msg[300];

		snprintf(msg, sizeof(msg), "not available in this build: %.200s",
			 last_line(sp.err));
		set_state(v, SERIES_UNAVAILABLE, msg);
		goto out;
	}
	if (sp.status != 0) {
		char msg[300];

		snprintf(msg, sizeof(msg), "exit status %d%s: %.200s", sp.status,
			 sp.timed_out ? " (timeout)" : "", last_line(sp.err));
		set_state(v, SERIES_FAILED, msg);
		goto out;
	}
	root = json_object_from_file(results);
	if (!root || !json_object_object_get_ex(root, "results", &res) ||
	    !json_object_is_type(res, json_type_array)) {
		set_state(v, SERIES_FAILED, "no results from strand");
		goto out;
	}
	report_once(v, root);
	if (!measured)
		goto out;
	if (needs_stats(v))
		st = json_object_from_file(stats);
	for (unsigned m = 0; m < v->nsrc; m++) {
		const char *src = v->src[m].src;
		struct dvec pool = { 0 };
		double value = 0;
		char why[160] = "";
		int ret = 0;

		if (!strcmp(src, "$wall_ms"))
			value = (double)sp.wall_ns / 1e6;
		else if (!strcmp(src, "$cpu_ms"))
			value = (double)sp.cpu_ns / 1e6;
		else if (!strncmp(src, "$vm_share", 9))
			ret = vm_share(v, st, src, &value, &pool, why, sizeof(why));
		else if (!strcmp(src, "$steal_pct"))
			ret = steal_pct(st, &value, &pool, why, sizeof(why));
		else if (!strcmp(src, "$vm_wall_ms") &&
			 json_object_object_get_ex(root, "wall_ns", &x))
			value = json_object_get_double(x) / 1e6;
		else if (!strcmp(src, "$share_dev")) {
			ret = share_dev(v, &sp, &value, &pool);
			if (ret)
				snprintf(why, sizeof(why), "no vCPU thread run times");
		} else if (src[0] == '$') {
			ret = -EINVAL;
			snprintf(why, sizeof(why), "source %s does not apply to micro-guests", src);
		} else
			ret = micro_metric(res, src, &value, &pool, why, sizeof(why));
		if (ret)
			set_state(v, SERIES_FAILED, why);
		else
			record(r, v, m, value, &pool, idx);
		dvec_free(&pool);
	}
out:
	json_object_put(st);
	json_object_put(root);
	spawn_result_free(&sp);
}

static int flat_image(struct runner *r, bool bios, uint32_t loops, char *path, size_t size)
{
	/* Two images of each kind: no loop, and the variant's loop count (rewritten if it
	 * differs from the last one written). */
	static uint32_t written[2] = { UINT32_MAX, UINT32_MAX };
	unsigned slot = loops ? 1 : 0;

	snprintf(path, size, "%s/flat-%s-%u.bin", r->tmp, bios ? "bios" : "guest", slot);
	if (slot && written[bios] == loops && access(path, R_OK) == 0)
		return 0;
	if (!slot && access(path, R_OK) == 0)
		return 0;
	if (slot)
		written[bios] = loops;
	return flatimg_write(path, loops, bios);
}

/* Spawn the flat guest once under strand or QEMU; time to 'D' and memory. */
static int flat_once(struct runner *r, struct suite_run *sr, struct variant *v, uint32_t loops,
		     struct spawn_result *sp, bool memory)
{
	char img[400];
	const char *argv[VARIANT_MAX_ARGS + 24];
	struct spawn_opts so = { 0 };
	unsigned n = 0;
	int ret;

	ret = flat_image(r, v->vmm == VMM_QEMU, loops, img, sizeof(img));
	if (ret) {
		memset(sp, 0, sizeof(*sp));
		snprintf(sp->err, sizeof(sp->err), "cannot write %s: %s", img, strerror(-ret));
		return ret;
	}
	if (v->vmm == VMM_QEMU) {
		static const char *const qemu_args[] = {
			"-accel",  "kvm",     "-cpu",	     "host,-arch-capabilities",
			"-M",	   "microvm", "-nodefaults", "-nographic",
			"-serial", "stdio",   "-m",	     FLAT_MEMORY,
			"-bios",
		};

		argv[n++] = r->o->qemu;
		for (unsigned i = 0; i < ARRAY_SIZE(qemu_args); i++)
			argv[n++] = qemu_args[i];
		argv[n++] = img;
	} else {
		argv[n++] = sr->strand;
		argv[n++] = "run";
		argv[n++] = "--flat";
		argv[n++] = img;
		argv[n++] = "--memory";
		argv[n++] = FLAT_MEMORY;
	}
	for (unsigned i = 0; i < v->nargs; i++)
		argv[n++] = v->args[i];
	argv[n] = NULL;
	so.argv = argv;
	so.timeout_s = r->o->timeout_s;
	so.first_byte = true;
	so.settle_s = memory ? 0.05 : 0;
	return spawn_run(&so, sp);
}

static bool flat_ok(struct variant *v, struct spawn_result *sp)
{
	char msg[300];

	if (sp->got_byte)
		return true;
	if (sp->status == 2 && v->vmm == VMM_STRAND && !v->reported) {
		snprintf(msg, sizeof(msg), "not available in this build: %.200s",
			 last_line(sp->err));
		set_state(v, SERIES_UNAVAILABLE, msg);
	} else {
		snprintf(msg, sizeof(msg), "no output (exit status %d%s): %.200s", sp->status,
			 sp->timed_out ? ", timeout" : "", last_line(sp->err));
		set_state(v, SERIES_FAILED, msg);
	}
	return false;
}

static void run_flat(struct runner *r, struct suite_run *sr, struct variant *v, bool measured,
		     uint64_t idx)
{
	struct spawn_result a, b;

	if (v->kind == KIND_FLAT_START) {
		if (flat_once(r, sr, v, 0, &a, true) == 0 && flat_ok(v, &a)) {
			v->reported = true;
			v->run_s += (double)a.wall_ns / 1e9;
			for (unsigned m = 0; measured && m < v->nsrc; m++) {
				const char *src = v->src[m].src;
				double value =
					!strcmp(src, "$rss_kib") ? (double)a.rss_kib :
					!strcmp(src, "$pss_kib") ? (double)a.pss_kib :
								   (double)a.first_byte_ns / 1e6;

				if (value < 0)
					set_state(v, SERIES_FAILED,
						  "cannot read the memory of the process");
				else
					record(r, v, m, value, NULL, idx);
			}
		} else if (v->status == SERIES_OK)
			set_state(v, SERIES_FAILED, a.err);
		spawn_result_free(&a);
		return;
	}
	/* Round trip: the two runs in a random order. */
	{
		bool loop_first = bstats_rng_next(&r->rng) & 1;
		struct spawn_result *first = loop_first ? &b : &a, *second = loop_first ? &a : &b;
		uint32_t l1 = loop_first ? v->loops : 0, l2 = loop_first ? 0 : v->loops;
		double per;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (flat_once(r, sr, v, l1, first, false) || !flat_ok(v, first) ||
		    flat_once(r, sr, v, l2, second, false) || !flat_ok(v, second)) {
			if (v->status == SERIES_OK)
				set_state(v, SERIES_FAILED,
					  first->err[0] ? first->err : second->err);
			goto out;
		}
		v->reported = true;
		v->run_s += (double)(a.wall_ns + b.wall_ns) / 1e9;
		per = ((double)b.first_byte_ns - (double)a.first_byte_ns) / (double)v->loops;
		for (unsigned m = 0; measured && m < v->nsrc; m++)
			record(r, v, m, per, NULL, idx);
	out:
		spawn_result_free(&a);
		spawn_result_free(&b);
	}
}

static void run_floor(struct runner *r, struct variant *v, bool measured, uint64_t idx)
{
	const char *argv[VARIANT_MAX_ARGS + 4];
	struct spawn_opts so = { 0 };
	struct spawn_result sp;
	json_object *root = NULL, *arr;
	struct dvec raw = { 0 };
	unsigned n = 0;

	argv[n++] = r->o->floor;
	for (unsigned i = 0; i < v->nargs; i++)
		argv[n++] = v->args[i];
	argv[n++] = "--json";
	argv[n] = NULL;
	so.argv = argv;
	so.timeout_s = r->o->timeout_s;
	so.out_max = 1 << 16;
	if (spawn_run(&so, &sp) || sp.status != 0) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%.60s: exit status %d: %.200s", r->o->floor, sp.status,
			 last_line(sp.err));
		set_state(v, SERIES_FAILED, msg);
		goto out;
	}
	v->run_s += (double)sp.wall_ns / 1e9;
	root = json_tokener_parse(sp.out);
	if (!root || !json_object_object_get_ex(root, "ns_per_exit", &arr) ||
	    !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr)) {
		set_state(v, SERIES_FAILED, "strand-kvm-floor printed no ns_per_exit");
		goto out;
	}
	v->reported = true;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		dvec_push(&raw, json_object_get_double(json_object_array_get_idx(arr, i)));
	for (unsigned m = 0; measured && m < v->nsrc; m++)
		record(r, v, m, stats_median(raw.v, raw.n), &raw, idx);
out:
	dvec_free(&raw);
	json_object_put(root);
	spawn_result_free(&sp);
}

/* ---- the monitor kinds: strand in the background, the harness as its QMP client ---- */

/* Sizes of the monitor runs; --short shrinks them for the smoke test. */
struct qmp_sizes {
	unsigned rtt_warmup;
	double phase_s, sample_s;
	unsigned phases;
};

static void qmp_sizes(const struct runner *r, const struct variant *v, struct qmp_sizes *z)
{
	z->rtt_warmup = 200;
	z->phase_s = 3;
	z->sample_s = 0.2;
	z->phases = 8;
	if (v->g->phases)
		z->phases = v->g->phases;
	if (v->g->phase_ms)
		z->phase_s = v->g->phase_ms / 1000.0;
	if (r->o->short_runs) {
		z->rtt_warmup = 20;
		z->phase_s = 0.5;
		z->sample_s = 0.1;
		z->phases = 4;
	}
}

/* The probes of qmp-rtt: a source COMMAND.STAT names one of them. */
static const struct {
	const char *name, *cmd, *args;
} qmp_probes[] = {
	{ "query-status", "query-status", NULL },
	{ "query-stats", "query-stats", "{\"target\": \"vcpu\"}" },
	{ "query-stats-vm", "query-stats", "{\"target\": \"vm\"}" },
	{ "query-progress", "x-strand-query-progress", NULL },
};

/* "NAME.STAT" into NAME (out) and STAT (returned, NULL: none). */
static const char *split_stat(const char *src, char *out, size_t len)
{
	const char *dot = strrchr(src, '.');

	if (dot && is_stat(dot + 1)) {
		snprintf(out, len, "%.*s", (int)(dot - src), src);
		return dot + 1;
	}
	snprintf(out, len, "%s", src);
	return NULL;
}

/* The strategies a qmp-switch variant alternates: its $phase.NAME sources in order. */
static unsigned switch_strategies(const struct variant *v, const char **names, unsigned max)
{
	unsigned n = 0;

	for (unsigned m = 0; m < v->nsrc && n < max; m++)
		if (!strncmp(v->src[m].src, "$phase.", 7))
			names[n++] = v->src[m].src + 7;
	return n;
}

static void qmp_fail(struct variant *v, const char *what, const char *msg, int status, bool killed,
		     const char *tail)
{
	char buf[300];

	if (status == 2 && !v->reported) {
		snprintf(buf, sizeof(buf), "not available in this build: %.200s", tail);
		set_state(v, SERIES_UNAVAILABLE, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s: %.120s (exit status %d%s): %.120s", what, msg, status,
		 killed ? ", killed" : "", tail);
	set_state(v, SERIES_FAILED, buf);
}

/* qmp-switch: one time series as {"t_s", "value", "marks"} into the trace of series s. */
static void add_trace(struct series *s, const struct qmpb_switch_result *res,
		      const char *const *names)
{
	json_object *o = json_object_new_object(), *t = json_object_new_array(),
		    *val = json_object_new_array(), *marks = json_object_new_array();

	for (size_t i = 0; i < res->t_s.n; i++) {
		json_object_array_add(t, json_object_new_double(res->t_s.v[i]));
		json_object_array_add(val, json_object_new_double(res->rate.v[i]));
	}
	for (size_t i = 0; i < res->mark_t_s.n; i++) {
		json_object *mk = json_object_new_object();

		json_object_object_add(mk, "t_s", json_object_new_double(res->mark_t_s.v[i]));
		json_object_object_add(mk, "label",
				       json_object_new_string(names[res->mark_strategy[i]]));
		json_object_array_add(marks, mk);
	}
	json_object_object_add(o, "t_s", t);
	json_object_object_add(o, "value", val);
	json_object_object_add(o, "start", json_object_new_string(names[0]));
	json_object_object_add(o, "marks", marks);
	if (!s->trace)
		s->trace = json_object_new_array();
	json_object_array_add(s->trace, o);
}

static void run_qmp(struct runner *r, struct suite_run *sr, struct variant *v, bool measured,
		    uint64_t idx)
{
	char sock[400], mon[420], log[400], results[400], timeout[32], tail[300] = "";
	const char *argv[VARIANT_MAX_ARGS + 20];
	const char *hopts[12] = { "--monitor", mon,    "--results-json", results, "--quiet",
				  "--console", "none", "--timeout",	 timeout, NULL };
	const char *names[QMPB_MAX_STRATEGIES];
	struct qmp_sizes z;
	struct qmpb_proc p;
	struct qmp_client *c = NULL;
	struct qmpb_poller *poller = NULL;
	struct qmpb_switch_result sw;
	struct dvec pools[VARIANT_MAX_METRICS];
	struct errbuf err = { "" };
	json_object *root = NULL, *res = NULL;
	double poll_hz = 0;
	uint64_t polls = 0, late = 0, wall_ns = 0;
	unsigned nnames = 0;
	bool killed = false;
	int status = -1, rc;

	memset(pools, 0, sizeof(pools));
	memset(&sw, 0, sizeof(sw));
	qmp_sizes(r, v, &z);
	snprintf(sock, sizeof(sock), "%s/qmp.sock", r->tmp);
	snprintf(mon, sizeof(mon), "unix:%s", sock);
	snprintf(log, sizeof(log), "%s/strand.log", r->tmp);
	snprintf(results, sizeof(results), "%s/results.json", r->tmp);
	snprintf(timeout, sizeof(timeout), "%.0fs", r->o->timeout_s);
	unlink(results);
	if (v->kind == KIND_QMP_IDLE || v->kind == KIND_QMP_POLL) {
		hopts[9] = "--paused";
		hopts[10] = NULL;
	}
	if (v->kind == KIND_QMP_SWITCH) {
		nnames = switch_strategies(v, names, QMPB_MAX_STRATEGIES);
		if (!nnames) {
			set_state(v, SERIES_FAILED, "qmp-switch: no $phase.STRATEGY source");
			return;
		}
		hopts[9] = "--sched";
		hopts[10] = names[0];
		hopts[11] = NULL;
	}
	micro_argv(sr->strand, v, hopts, argv);
	if (qmpb_spawn(&p, argv, log, &err)) {
		set_state(v, SERIES_FAILED, err.msg);
		return;
	}
	rc = qmp_client_connect(&c, sock, 20000, &err);
	if (rc) {
		qmpb_reap(&p, 5, &status, &killed, &wall_ns, tail, sizeof(tail));
		qmp_fail(v, "cannot connect to the monitor", err.msg, status, killed, tail);
		return;
	}
	switch (v->kind) {
	case KIND_QMP_RTT: {
		struct qmpb_cmd cmds[VARIANT_MAX_METRICS];
		unsigned ncmds = 0;

		/* One probe per command named; p50 and p99 of one command share its samples. */
		for (unsigned m = 0; m < v->nsrc && !rc; m++) {
			char name[64];
			unsigned k, pi;

			split_stat(v->src[m].src, name, sizeof(name));
			for (k = 0; k < ncmds && strcmp(cmds[k].name, name); k++)
				;
			if (k < ncmds)
				continue;
			for (pi = 0;
			     pi < ARRAY_SIZE(qmp_probes) && strcmp(qmp_probes[pi].name, name); pi++)
				;
			if (pi == ARRAY_SIZE(qmp_probes)) {
				rc = errbuf_set(&err, -EINVAL, "qmp-rtt: unknown probe '%s'", name);
				break;
			}
			cmds[ncmds].name = qmp_probes[pi].name;
			cmds[ncmds].args = qmp_probes[pi].args;
			cmds[ncmds].ns = &pools[m];
			ncmds++;
		}
		/* qmpb_rtt needs the command, not the probe's name: run it on a copy. */
		if (!rc) {
			struct qmpb_cmd run[VARIANT_MAX_METRICS];

			for (unsigned k = 0; k < ncmds; k++) {
				run[k] = cmds[k];
				for (unsigned pi = 0; pi < ARRAY_SIZE(qmp_probes); pi++)
					if (!strcmp(qmp_probes[pi].name, cmds[k].name))
						run[k].name = qmp_probes[pi].cmd;
			}
			rc = qmpb_rtt(c, run, ncmds, z.rtt_warmup, v->loops, &err);
		}
		break;
	}
	case KIND_QMP_IDLE:
	case KIND_QMP_POLL:
		if (v->kind == KIND_QMP_POLL)
			rc = qmpb_poller_start(&poller, sock, "query-stats",
					       "{\"target\": \"vcpu\"}", v->loops, &err);
		if (!rc) {
			json_object *ret = NULL;
			struct qmp_error e = { 0 };

			rc = qmp_client_execute(c, "cont", NULL, &ret, &e, 10000);
			json_object_put(ret);
			if (rc)
				errbuf_set(&err, rc, "cont: %s",
					   rc == -EREMOTEIO ? e.desc : strerror(-rc));
		}
		break;
	case KIND_QMP_SWITCH: {
		struct qmpb_switch_plan plan = {
			.strategies = names,
			.nstrategies = nnames,
			.nphases = z.phases,
			.phase_s = z.phase_s,
			.sample_s = z.sample_s,
		};

		rc = qmpb_switch(c, &plan, &sw, &err);
		break;
	}
	default:
		break;
	}
	if (v->kind == KIND_QMP_RTT || v->kind == KIND_QMP_SWITCH) {
		/* The guest would run on: the measurement is over, end the process. */
		json_object *ret = NULL;
		struct qmp_error e = { 0 };

		if (qmp_client_execute(c, "quit", NULL, &ret, &e, 10000) && !rc)
			rc = errbuf_set(&err, -EPIPE, "quit was not answered");
		json_object_put(ret);
	}
	/* qmp-idle and qmp-poll: the guest runs to its end; strand exits by itself. */
	qmpb_reap(&p, rc ? 5 : r->o->timeout_s + 10, &status, &killed, &wall_ns, tail,
		  sizeof(tail));
	qmpb_poller_stop(poller, &polls, &poll_hz, &late);
	qmp_client_close(c);
	v->run_s += (double)wall_ns / 1e9;
	if (rc || status != 0) {
		qmp_fail(v, rc ? "monitor" : "strand", rc ? err.msg : "the run failed", status,
			 killed, tail);
		goto out;
	}
	root = json_object_from_file(results);
	if (!root || !json_object_object_get_ex(root, "results", &res) ||
	    !json_object_is_type(res, json_type_array)) {
		/* After quit the guest has reported nothing: only the guest-run kinds need it. */
		if (v->kind == KIND_QMP_IDLE || v->kind == KIND_QMP_POLL) {
			set_state(v, SERIES_FAILED, "no results from strand");
			goto out;
		}
		res = NULL;
	} else {
		report_once(v, root);
	}
	if (v->kind == KIND_QMP_POLL && late)
		for (unsigned m = 0; m < v->nsrc; m++)
			json_object_object_add(v->series[m]->knobs, "poll_periods_late",
					       json_object_new_int64((int64_t)late));
	if (!measured)
		goto out;
	for (unsigned m = 0; m < v->nsrc; m++) {
		const char *src = v->src[m].src;
		char name[64], why[160] = "";
		const char *stat = split_stat(src, name, sizeof(name));
		struct dvec pool = { 0 };
		double value = 0;
		int ret = 0;

		if (v->kind == KIND_QMP_RTT) {
			/* The samples of this command sit in the pool of its first metric. */
			unsigned first = 0;
			char other[64];

			for (first = 0; first < m; first++) {
				split_stat(v->src[first].src, other, sizeof(other));
				if (!strcmp(other, name))
					break;
			}
			for (size_t i = 0; i < pools[first].n; i++)
				dvec_push(&pool, pools[first].v[i]);
			ret = stat_of(stat ? stat : "p50", &pool, &value);
			if (ret)
				snprintf(why, sizeof(why), "no round trips of %s", name);
		} else if (!strcmp(src, "$polls_per_s")) {
			value = poll_hz;
		} else if (!strncmp(src, "$phase.", 7)) {
			unsigned k;

			for (k = 0; k < nnames && strcmp(names[k], src + 7); k++)
				;
			for (size_t i = 0; k < nnames && i < sw.phase_rate[k].n; i++)
				dvec_push(&pool, sw.phase_rate[k].v[i]);
			ret = stat_of("mean", &pool, &value);
			if (ret)
				snprintf(why, sizeof(why), "no samples under %s", src + 7);
		} else if (!strcmp(name, "$switch_ns")) {
			for (size_t i = 0; i < sw.switch_ns.n; i++)
				dvec_push(&pool, sw.switch_ns.v[i]);
			ret = stat_of(stat ? stat : "p50", &pool, &value);
			if (ret)
				snprintf(why, sizeof(why), "no X-STRAND-TUNING switch-ns seen");
		} else if (src[0] == '$') {
			ret = -EINVAL;
			snprintf(why, sizeof(why), "source %s does not apply to %s", src,
				 run_kind_name(v->kind));
		} else if (res) {
			ret = micro_metric(res, src, &value, &pool, why, sizeof(why));
		} else {
			ret = -ENOENT;
			snprintf(why, sizeof(why), "no results from strand for %s", src);
		}
		if (ret)
			set_state(v, SERIES_FAILED, why);
		else
			record(r, v, m, value, &pool, idx);
		dvec_free(&pool);
	}
	if (v->kind == KIND_QMP_SWITCH && v->nsrc && v->status == SERIES_OK)
		add_trace(v->series[0], &sw, names);
out:
	for (unsigned m = 0; m < VARIANT_MAX_METRICS; m++)
		dvec_free(&pools[m]);
	qmpb_switch_result_free(&sw);
	json_object_put(root);
	unlink(sock);
}

void runner_run_once(struct runner *r, struct suite_run *sr, size_t i, bool measured)
{
	struct variant *v = &sr->v[i];
	uint64_t idx = r->run_index++;
	uint64_t t0 = spawn_now_ns();
	double dt;

	if (v->status != SERIES_OK)
		return;
	switch (v->kind) {
	case KIND_MICRO:
		run_micro(r, sr, v, measured, idx);
		break;
	case KIND_FLAT_START:
	case KIND_FLAT_RT:
		run_flat(r, sr, v, measured, idx);
		break;
	case KIND_FLOOR:
		run_floor(r, v, measured, idx);
		break;
	case KIND_QMP_RTT:
	case KIND_QMP_IDLE:
	case KIND_QMP_POLL:
	case KIND_QMP_SWITCH:
		run_qmp(r, sr, v, measured, idx);
		break;
	}
	v->runs++;
	dt = (double)(spawn_now_ns() - t0) / 1e9;
	r->mean_run_s =
		(r->mean_run_s * (double)r->nruns_timed + dt) / (double)(r->nruns_timed + 1);
	r->nruns_timed++;
}

void runner_round_order(struct runner *r, unsigned round, unsigned *order, size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (unsigned)(r->o->alternate && (round & 1) ? n - 1 - i : i);
	if (!r->o->alternate)
		bstats_shuffle(&r->rng, order, n);
}

void runner_progress(struct runner *r, const char *what)
{
	unsigned eta;

	if (!r->o->progress)
		return;
	eta = (unsigned)(r->mean_run_s * (double)(r->planned > r->done ? r->planned - r->done : 0));
	fprintf(stderr, "\r\033[K[%s] %llu/%llu runs  ETA %u:%02u  %s", r->label ? r->label : "",
		(unsigned long long)r->done, (unsigned long long)r->planned, eta / 60, eta % 60,
		what);
	fflush(stderr);
}

void runner_progress_done(struct runner *r)
{
	if (r->o->progress) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

void runner_run_suite(struct runner *r, struct suite_run *sr)
{
	unsigned *order = calloc(sr->nv ? sr->nv : 1, sizeof(unsigned));
	unsigned rounds = 0;
	uint64_t t0 = spawn_now_ns();

	if (!order)
		return;
	r->label = sr->def->name;
	/* Each variant takes part in its own warm-up + reps rounds (a group may have fewer). */
	for (size_t i = 0; i < sr->nv; i++) {
		struct variant *v = &sr->v[i];

		if (v->warmup + v->reps > rounds)
			rounds = v->warmup + v->reps;
		r->planned += v->warmup + v->reps;
	}
	for (unsigned round = 0; round < rounds && !spawn_interrupted; round++) {
		runner_round_order(r, round, order, sr->nv);
		for (size_t k = 0; k < sr->nv && !spawn_interrupted; k++) {
			struct variant *v = &sr->v[order[k]];
			char what[300];

			if (round >= v->warmup + v->reps)
				continue;
			snprintf(what, sizeof(what), "%s%s %s/%s",
				 round < v->warmup ? "warm-up " : "", sr->def->name, v->group,
				 v->name);
			runner_progress(r, what);
			if (v->status == SERIES_OK) {
				runner_run_once(r, sr, order[k], round >= v->warmup);
				r->done++;
			} else {
				r->planned--; /* skipped: no time to wait for */
			}
		}
	}
	runner_progress_done(r);
	sr->res->wall_s = (double)(spawn_now_ns() - t0) / 1e9;
	free(order);
}

void runner_finish(struct suite_run *sr)
{
	for (size_t i = 0; i < sr->nv; i++) {
		struct variant *v = &sr->v[i];

		for (unsigned m = 0; m < v->nsrc; m++) {
			struct series *s = v->series[m];

			s->status = v->status;
			free(s->note);
			s->note = strdup(v->note);
		}
	}
}
