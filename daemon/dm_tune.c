/*
 * dm_tune.c - strandd's domain manager: vCPUs, threads and pins, scheduler and NUMA
 * parameters, statistics (dm.h). Main loop thread only.
 *
 * Where the numbers come from: the thread ids are the VM's (query-cpus-fast, query-iothreads,
 * cached at start); run time, run delay and the last CPU are read from /proc/TID (as libvirt
 * reads them for QEMU), affinities with sched_getaffinity; pins are made through the VM's
 * monitor (x-strand-vcpu-pin and friends) so that strand's own record of the pin, which a
 * strategy switch returns to, stays right; block statistics come from query-blockstats.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/dm_priv.h"
#include "util/file.h"

static int terr(struct dm_err *e, int code, const char *fmt, ...) __printf(3, 4);

static int terr(struct dm_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->code = code;
		e->domain = DM_FROM_DOMAIN;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return code == DM_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
}

static int not_active(struct dm_err *e, const struct dm_dom *d)
{
	return terr(e, DM_ERR_OPERATION_INVALID,
		    "Requested operation is not valid: domain '%s' is not running", d->name);
}

static int no_config(struct dm_err *e, const struct dm_dom *d)
{
	return terr(e, DM_ERR_OPERATION_INVALID,
		    "Requested operation is not valid: transient domain '%s' has no persistent "
		    "configuration",
		    d->name);
}

/*
 * A tuning's flags as libvirt reads them: neither --live nor --config means the current
 * state (live if running, else config); each one asked for must exist.
 */
static int resolve_affect(struct dm_dom *d, unsigned *flags, struct dm_err *e)
{
	if (!(*flags & (DM_AFFECT_LIVE | DM_AFFECT_CONFIG)))
		*flags |= d->live ? DM_AFFECT_LIVE : DM_AFFECT_CONFIG;
	if ((*flags & DM_AFFECT_LIVE) && !d->live)
		return not_active(e, d);
	if ((*flags & DM_AFFECT_CONFIG) && !d->def)
		return no_config(e, d);
	return 0;
}

/* Which definition a flags word means: live (running), config, or the current one. */
static int pick_def(struct dm_dom *d, unsigned flags, struct domain_def **out, struct dm_err *e)
{
	if ((flags & DM_AFFECT_LIVE) && (flags & DM_AFFECT_CONFIG))
		return terr(e, DM_ERR_INVALID_ARG,
			    "invalid argument: --live and --config together are not supported "
			    "here: give one");
	if (flags & DM_AFFECT_LIVE) {
		if (!d->live)
			return not_active(e, d);
		*out = d->live;
	} else if (flags & DM_AFFECT_CONFIG) {
		if (!d->def)
			return no_config(e, d);
		*out = d->def;
	} else {
		*out = d->live ? d->live : d->def;
	}
	return 0;
}

/* ---- /proc ---- */

/* run time and run delay (ns) of a thread, from /proc/PID/task/TID/schedstat. */
static int thread_schedstat(pid_t pid, pid_t tid, uint64_t *run, uint64_t *wait)
{
	char path[64], buf[128];
	unsigned long long r = 0, w = 0;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%llu %llu", &r, &w) == 2;
	fclose(f);
	if (!ok)
		return -EIO;
	*run = r;
	*wait = w;
	return 0;
}

/* Field `want` (1-based, as proc(5) counts) of /proc/PID/task/TID/stat, after the comm. */
static int thread_stat_field(pid_t pid, pid_t tid, unsigned want, unsigned long long *out)
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;
	unsigned field = 3;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2; /* field 3, the state */
	while (field < want && *p) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
		field++;
	}
	return sscanf(p, "%llu", out) == 1 ? 0 : -EIO;
}

static void affinity_of(pid_t tid, struct domain_cpuset *out)
{
	cpu_set_t set;

	memset(out, 0, sizeof(*out));
	if (sched_getaffinity(tid, sizeof(set), &set))
		return;
	for (unsigned c = 0; c < CPU_SETSIZE && c < DOMAIN_MAX_HOST_CPUS; c++)
		if (CPU_ISSET(c, &set))
			domain_cpuset_set(out, c);
}

/* Run time of every thread of the process, and its user and system time (ns). */
static void process_times(pid_t pid, uint64_t *run, uint64_t *user, uint64_t *sys)
{
	char path[64];
	DIR *dd;
	struct dirent *de;
	long hz = sysconf(_SC_CLK_TCK);

	*run = *user = *sys = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dd = opendir(path);
	if (!dd)
		return;
	while ((de = readdir(dd))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		uint64_t r, w;
		unsigned long long ut, st;

		if (tid <= 0)
			continue;
		if (thread_schedstat(pid, tid, &r, &w) == 0)
			*run += r;
		if (hz > 0 && thread_stat_field(pid, tid, 14, &ut) == 0 &&
		    thread_stat_field(pid, tid, 15, &st) == 0) {
			*user += ut * (1000000000ULL / (uint64_t)hz);
			*sys += st * (1000000000ULL / (uint64_t)hz);
		}
	}
	closedir(dd);
}

/* ---- vCPUs and pins ---- */

int dm_vcpus(struct dm *m, struct dm_dom *d, struct dm_vcpu **out, unsigned *n, struct dm_err *err)
{
	const struct domain_def *def = d->live ? d->live : d->def;
	struct dm_vcpu *v;

	(void)m;
	if (!d->live)
		return not_active(err, d);
	v = calloc(def->vcpus ? def->vcpus : 1, sizeof(*v));
	if (!v)
		return terr(err, DM_ERR_NO_MEMORY, "out of memory");
	for (unsigned i = 0; i < def->vcpus; i++) {
		unsigned long long cpu;

		v[i].number = i;
		v[i].state = 1; /* VIR_VCPU_RUNNING */
		v[i].cpu = -1;
		v[i].tid = i < d->nvcpu_tids ? d->vcpu_tids[i] : 0;
		if (v[i].tid <= 0)
			continue;
		if (thread_schedstat(d->pid, v[i].tid, &v[i].cpu_ns, &v[i].wait_ns))
			v[i].state = 0; /* the thread is gone: offline */
		if (thread_stat_field(d->pid, v[i].tid, 39, &cpu) == 0)
			v[i].cpu = (int)cpu;
		affinity_of(v[i].tid, &v[i].affinity);
	}
	*out = v;
	*n = def->vcpus;
	return 0;
}

int dm_vcpu_pins(struct dm *m, struct dm_dom *d, unsigned flags, struct domain_cpuset *pins,
		 unsigned n, struct dm_err *err)
{
	struct domain_def *def;
	struct domain_cpuset all;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int ret = pick_def(d, flags, &def, err);

	(void)m;
	if (ret)
		return ret;
	memset(&all, 0, sizeof(all));
	for (long c = 0; c < ncpu && c < DOMAIN_MAX_HOST_CPUS; c++)
		domain_cpuset_set(&all, (unsigned)c);
	for (unsigned i = 0; i < n && i < def->vcpus; i++) {
		const struct domain_cpuset *p = domain_vcpu_pin(def, i);

		if (def == d->live && i < d->nvcpu_tids && d->vcpu_tids[i] > 0)
			affinity_of(d->vcpu_tids[i], &pins[i]); /* what the thread has now */
		else
			pins[i] = p ? *p : all;
	}
	return 0;
}

static int check_cpus(const struct domain_cpuset *cpus, struct dm_err *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (domain_cpuset_empty(cpus))
		return terr(err, DM_ERR_INVALID_ARG, "invalid argument: the CPU set is empty");
	for (unsigned c = (unsigned)(ncpu > 0 ? ncpu : 1); c < DOMAIN_MAX_HOST_CPUS; c++)
		if (domain_cpuset_test(cpus, c))
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: host CPU %u does not exist (this host has "
				    "%ld)",
				    c, ncpu);
	return 0;
}

int dm_pin_vcpu(struct dm *m, struct dm_dom *d, unsigned vcpu, const struct domain_cpuset *cpus,
		unsigned flags, struct dm_err *err)
{
	const struct domain_def *cur = d->live ? d->live : d->def;
	char text[DOMAIN_CPUSET_TEXT_MAX];
	int ret;

	(void)m;
	if (vcpu >= cur->vcpus)
		return terr(err, DM_ERR_INVALID_ARG,
			    "invalid argument: vCPU %u is out of range: domain '%s' has %u", vcpu,
			    d->name, cur->vcpus);
	ret = check_cpus(cpus, err);
	if (ret)
		return ret;
	ret = resolve_affect(d, &flags, err);
	if (ret)
		return ret;
	if (flags & DM_AFFECT_LIVE) {
		json_object *a = json_object_new_object();

		domain_cpuset_format(cpus, ',', text, sizeof(text));
		json_object_object_add(a, "cpu-index", json_object_new_int((int)vcpu));
		json_object_object_add(a, "cpus", json_object_new_string(text));
		ret = dm_qmp(d, "x-strand-vcpu-pin", a, NULL, err);
		if (ret)
			return ret;
		if (domain_vcpupin_set(d->live, vcpu, cpus))
			return terr(err, DM_ERR_NO_MEMORY, "out of memory");
	}
	if (flags & DM_AFFECT_CONFIG) {
		if (vcpu >= d->def->vcpus)
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: vCPU %u is out of range: the configuration "
				    "of '%s' has %u",
				    vcpu, d->name, d->def->vcpus);
		if (domain_vcpupin_set(d->def, vcpu, cpus))
			return terr(err, DM_ERR_NO_MEMORY, "out of memory");
		ret = dm_save_def(m, d, err);
	}
	return ret;
}

int dm_emulator_pin(struct dm *m, struct dm_dom *d, unsigned flags, struct domain_cpuset *out,
		    struct dm_err *err)
{
	struct domain_def *def;
	int ret = pick_def(d, flags, &def, err);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	(void)m;
	if (ret)
		return ret;
	if (def == d->live && d->pid > 0) {
		affinity_of(d->pid, out); /* the main thread */
		return 0;
	}
	if (def->has_emulatorpin) {
		*out = def->emulatorpin;
	} else if (def->has_cpuset) {
		*out = def->cpuset;
	} else {
		memset(out, 0, sizeof(*out));
		for (long c = 0; c < ncpu && c < DOMAIN_MAX_HOST_CPUS; c++)
			domain_cpuset_set(out, (unsigned)c);
	}
	return 0;
}

int dm_pin_emulator(struct dm *m, struct dm_dom *d, const struct domain_cpuset *cpus,
		    unsigned flags, struct dm_err *err)
{
	char text[DOMAIN_CPUSET_TEXT_MAX];
	int ret = check_cpus(cpus, err);

	if (ret)
		return ret;
	ret = resolve_affect(d, &flags, err);
	if (ret)
		return ret;
	if (flags & DM_AFFECT_LIVE) {
		json_object *a = json_object_new_object();

		domain_cpuset_format(cpus, ',', text, sizeof(text));
		json_object_object_add(a, "cpus", json_object_new_string(text));
		ret = dm_qmp(d, "x-strand-emulator-pin", a, NULL, err);
		if (ret)
			return ret;
		d->live->has_emulatorpin = true;
		d->live->emulatorpin = *cpus;
	}
	if (flags & DM_AFFECT_CONFIG) {
		d->def->has_emulatorpin = true;
		d->def->emulatorpin = *cpus;
		ret = dm_save_def(m, d, err);
	}
	return ret;
}

/* ---- iothreads ---- */

int dm_iothreads(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_iothread **out,
		 unsigned *n, struct dm_err *err)
{
	struct domain_def *def;
	struct dm_iothread *t;
	json_object *r = NULL;
	int ret = pick_def(d, flags, &def, err);

	(void)m;
	if (ret)
		return ret;
	t = calloc(def->niothreads ? def->niothreads : 1, sizeof(*t));
	if (!t)
		return terr(err, DM_ERR_NO_MEMORY, "out of memory");
	if (def == d->live && def->niothreads) {
		ret = dm_qmp(d, "query-iothreads", NULL, &r, err);
		if (ret) {
			free(t);
			return ret;
		}
	}
	for (unsigned i = 0; i < def->niothreads; i++) {
		const struct domain_iothread *it = &def->iothread[i];
		char want[32];

		t[i].id = it->id;
		if (it->pinned) {
			t[i].affinity = it->cpus;
		} else if (def->has_cpuset) {
			t[i].affinity = def->cpuset;
		} else {
			long ncpu = sysconf(_SC_NPROCESSORS_CONF);

			for (long c = 0; c < ncpu && c < DOMAIN_MAX_HOST_CPUS; c++)
				domain_cpuset_set(&t[i].affinity, (unsigned)c);
		}
		snprintf(want, sizeof(want), DOMAIN_IOTHREAD_PREFIX "%u", it->id);
		for (size_t k = 0; r && k < json_object_array_length(r); k++) {
			json_object *o = json_object_array_get_idx(r, k), *id, *tid;

			if (json_object_object_get_ex(o, "id", &id) &&
			    strcmp(json_object_get_string(id), want) == 0 &&
			    json_object_object_get_ex(o, "thread-id", &tid)) {
				t[i].tid = (pid_t)json_object_get_int(tid);
				affinity_of(t[i].tid, &t[i].affinity);
			}
		}
	}
	json_object_put(r);
	*out = t;
	*n = def->niothreads;
	return 0;
}

int dm_pin_iothread(struct dm *m, struct dm_dom *d, unsigned id, const struct domain_cpuset *cpus,
		    unsigned flags, struct dm_err *err)
{
	char text[DOMAIN_CPUSET_TEXT_MAX], name[32];
	int ret = check_cpus(cpus, err);
	const struct domain_def *cur = d->live ? d->live : d->def;

	if (ret)
		return ret;
	if (!domain_iothread_find(cur, id))
		return terr(err, DM_ERR_INVALID_ARG,
			    "invalid argument: domain '%s' has no iothread %u", d->name, id);
	ret = resolve_affect(d, &flags, err);
	if (ret)
		return ret;
	if (flags & DM_AFFECT_LIVE) {
		json_object *a = json_object_new_object();
		struct domain_iothread *it =
			(struct domain_iothread *)domain_iothread_find(d->live, id);

		domain_cpuset_format(cpus, ',', text, sizeof(text));
		snprintf(name, sizeof(name), DOMAIN_IOTHREAD_PREFIX "%u", id);
		json_object_object_add(a, "id", json_object_new_string(name));
		json_object_object_add(a, "cpus", json_object_new_string(text));
		ret = dm_qmp(d, "x-strand-iothread-pin", a, NULL, err);
		if (ret)
			return ret;
		if (it) {
			it->pinned = true;
			it->cpus = *cpus;
		}
	}
	if (flags & DM_AFFECT_CONFIG) {
		struct domain_iothread *it =
			(struct domain_iothread *)domain_iothread_find(d->def, id);

		if (!it)
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: the configuration of '%s' has no iothread "
				    "%u",
				    d->name, id);
		it->pinned = true;
		it->cpus = *cpus;
		ret = dm_save_def(m, d, err);
	}
	return ret;
}

/* ---- typed parameters ---- */

void dm_params_free(struct dm_params *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		free(ps->p[i].s);
	free(ps->p);
	ps->p = NULL;
	ps->n = ps->cap = 0;
}

int dm_params_add(struct dm_params *ps, const char *field, enum dm_ptype type, int64_t i,
		  uint64_t u, const char *s)
{
	struct dm_param *p;

	if (ps->n == ps->cap) {
		unsigned cap = ps->cap ? ps->cap * 2 : 16;
		struct dm_param *np = realloc(ps->p, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		ps->p = np;
		ps->cap = cap;
	}
	p = &ps->p[ps->n];
	memset(p, 0, sizeof(*p));
	snprintf(p->field, sizeof(p->field), "%s", field);
	p->type = type;
	switch (type) {
	case DM_P_INT:
	case DM_P_LLONG:
	case DM_P_BOOLEAN:
		p->i = i;
		break;
	case DM_P_UINT:
	case DM_P_ULLONG:
		p->u = u;
		break;
	case DM_P_DOUBLE:
		p->d = (double)i;
		break;
	case DM_P_STRING:
		p->s = strdup(s ? s : "");
		if (!p->s)
			return -ENOMEM;
		break;
	}
	ps->n++;
	return 0;
}

/* ---- scheduler parameters ---- */

const char *dm_sched_type(struct dm *m, unsigned *nparams)
{
	if (nparams)
		*nparams = 5;
	return m->opts.sched.kind == SCHED_KIND_CREDIT ? "credit" : "posix";
}

int dm_sched_get(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_params *out,
		 struct dm_err *err)
{
	struct domain_def *def = NULL;
	int ret = pick_def(d, flags, &def, err);
	uint64_t period, gperiod;

	(void)m;
	if (ret)
		return ret;
	period = def->period_us ? def->period_us : DOMAIN_DEFAULT_PERIOD;
	gperiod = def->global_period_us ? def->global_period_us : DOMAIN_DEFAULT_PERIOD;
	ret = dm_params_add(out, "cpu_shares", DM_P_ULLONG, 0, def->shares_set ? def->shares : 1024,
			    NULL);
	ret = ret ?: dm_params_add(out, "vcpu_period", DM_P_ULLONG, 0, period, NULL);
	ret = ret   ?:
		      dm_params_add(out, "vcpu_quota", DM_P_LLONG,
				    def->quota_us ? def->quota_us : -1, 0, NULL);
	ret = ret ?: dm_params_add(out, "global_period", DM_P_ULLONG, 0, gperiod, NULL);
	ret = ret   ?:
		      dm_params_add(out, "global_quota", DM_P_LLONG,
				    def->global_quota_us ? def->global_quota_us : -1, 0, NULL);
	if (ret)
		return terr(err, DM_ERR_NO_MEMORY, "out of memory");
	return 0;
}

static int apply_sched_param(struct domain_def *def, const struct dm_param *p, struct dm_err *err)
{
	uint64_t u = p->type == DM_P_LLONG || p->type == DM_P_INT ? (uint64_t)p->i : p->u;
	int64_t s = p->type == DM_P_ULLONG || p->type == DM_P_UINT ? (int64_t)p->u : p->i;

	if (strcmp(p->field, "cpu_shares") == 0) {
		if (u < 2 || u > 262144)
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: cpu_shares %llu is out of range (2..262144)",
				    (unsigned long long)u);
		def->shares_set = true;
		def->shares = (unsigned)u;
	} else if (strcmp(p->field, "vcpu_period") == 0 || strcmp(p->field, "global_period") == 0) {
		if (u < 1000 || u > 1000000)
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: %s %llu is out of range (1000..1000000 us)",
				    p->field, (unsigned long long)u);
		if (p->field[0] == 'v')
			def->period_us = u;
		else
			def->global_period_us = u;
	} else if (strcmp(p->field, "vcpu_quota") == 0 || strcmp(p->field, "global_quota") == 0) {
		if (s != -1 && (s < 1000 || s > 17592186044415LL))
			return terr(err, DM_ERR_INVALID_ARG,
				    "invalid argument: %s %lld is out of range (-1, or 1000.. us)",
				    p->field, (long long)s);
		if (p->field[0] == 'v')
			def->quota_us = s;
		else
			def->global_quota_us = s;
	} else {
		return terr(err, DM_ERR_INVALID_ARG,
			    "invalid argument: unsupported scheduler parameter '%s' (strand has "
			    "cpu_shares, vcpu_period, vcpu_quota, global_period, global_quota)",
			    p->field);
	}
	return 0;
}

int dm_sched_set(struct dm *m, struct dm_dom *d, const struct dm_param *p, unsigned n,
		 unsigned flags, struct dm_err *err)
{
	struct domain_def tmp;
	int ret;

	ret = resolve_affect(d, &flags, err);
	if (ret)
		return ret;
	if ((flags & DM_AFFECT_LIVE) && m->opts.sched.kind != SCHED_KIND_CREDIT)
		return terr(err, DM_ERR_OPERATION_UNSUPPORTED,
			    "Operation not supported: strandd shares CPUs between domains with "
			    "--sched %s; cpu_shares and quotas act live only under strandd --sched "
			    "credit (change the configuration with --config)",
			    sched_kind_name(m->opts.sched.kind));
	/* Every parameter is checked before any is applied: all or nothing. */
	memcpy(&tmp, (flags & DM_AFFECT_LIVE) ? d->live : d->def, sizeof(tmp));
	for (unsigned i = 0; i < n; i++) {
		ret = apply_sched_param(&tmp, &p[i], err);
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		if (flags & DM_AFFECT_LIVE)
			(void)apply_sched_param(d->live, &p[i], err);
		if (flags & DM_AFFECT_CONFIG)
			(void)apply_sched_param(d->def, &p[i], err);
	}
	if (flags & DM_AFFECT_LIVE)
		dm_sched_update(m, d);
	return (flags & DM_AFFECT_CONFIG) ? dm_save_def(m, d, err) : 0;
}

int dm_numa_get(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_params *out,
		struct dm_err *err)
{
	struct domain_def *def;
	char nodes[256] = "";
	int ret = pick_def(d, flags, &def, err), mode;
	size_t len = 0;

	(void)m;
	if (ret)
		return ret;
	/* virDomainNumatuneMemMode: strict 0, preferred 1, interleave 2. */
	mode = def->mem_mode == DOMAIN_MEM_PREFERRED  ? 1 :
	       def->mem_mode == DOMAIN_MEM_INTERLEAVE ? 2 :
							0;
	for (unsigned nd = 0; nd < 64; nd++) {
		if (!(def->mem_nodeset & (1ULL << nd)))
			continue;
		len += (size_t)snprintf(nodes + len, sizeof(nodes) - len, "%s%u", len ? "," : "",
					nd);
		if (len >= sizeof(nodes))
			break;
	}
	ret = dm_params_add(out, "numa_mode", DM_P_INT, mode, 0, NULL);
	ret = ret ?: dm_params_add(out, "numa_nodeset", DM_P_STRING, 0, 0, nodes);
	return ret ? terr(err, DM_ERR_NO_MEMORY, "out of memory") : 0;
}

/* ---- statistics ---- */

void dm_info(struct dm *m, struct dm_dom *d, uint64_t *max_kib, uint64_t *mem_kib, unsigned *vcpus,
	     uint64_t *cpu_ns)
{
	const struct domain_def *def = d->live ? d->live : d->def;
	uint64_t run = 0, user, sys;

	(void)m;
	*max_kib = def->memory_bytes / 1024;
	*mem_kib = d->live ? def->memory_bytes / 1024 : 0;
	*vcpus = def->vcpus;
	if (d->live && d->pid > 0)
		process_times(d->pid, &run, &user, &sys);
	*cpu_ns = run;
}

int dm_cpu_stats(struct dm *m, struct dm_dom *d, struct dm_params *out, struct dm_err *err)
{
	uint64_t run, user, sys;
	int ret;

	(void)m;
	if (!d->live || d->pid <= 0)
		return not_active(err, d);
	process_times(d->pid, &run, &user, &sys);
	ret = dm_params_add(out, "cpu_time", DM_P_ULLONG, 0, run, NULL);
	ret = ret ?: dm_params_add(out, "user_time", DM_P_ULLONG, 0, user, NULL);
	ret = ret ?: dm_params_add(out, "system_time", DM_P_ULLONG, 0, sys, NULL);
	return ret ? terr(err, DM_ERR_NO_MEMORY, "out of memory") : 0;
}

static int add_u(struct dm_params *ps, uint64_t v, const char *fmt, ...) __printf(3, 4);

static int add_u(struct dm_params *ps, uint64_t v, const char *fmt, ...)
{
	char field[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(field, sizeof(field), fmt, ap);
	va_end(ap);
	return dm_params_add(ps, field, DM_P_ULLONG, 0, v, NULL);
}

static int block_stats(struct dm_dom *d, struct dm_params *out)
{
	const struct domain_def *def = d->live ? d->live : d->def;
	json_object *r = NULL;
	struct dm_err e2;
	int ret;

	ret = dm_params_add(out, "block.count", DM_P_UINT, 0, def->ndisks, NULL);
	if (!d->live || ret)
		return ret;
	if (def->ndisks && dm_qmp(d, "query-blockstats", NULL, &r, &e2))
		r = NULL; /* names only: the monitor did not answer */
	for (unsigned i = 0; i < def->ndisks && !ret; i++) {
		json_object *o = r ? json_object_array_get_idx(r, i) : NULL, *s = NULL;
		char f[64];

		snprintf(f, sizeof(f), "block.%u.name", i);
		ret = dm_params_add(out, f, DM_P_STRING, 0, 0, def->disk[i].target);
		snprintf(f, sizeof(f), "block.%u.path", i);
		ret = ret ?: dm_params_add(out, f, DM_P_STRING, 0, 0, def->disk[i].path);
		if (!o || !json_object_object_get_ex(o, "stats", &s))
			continue;
#define QS(k)                                                                                   \
	({                                                                                      \
		json_object *x_;                                                                \
		json_object_object_get_ex(s, k, &x_) ? (uint64_t)json_object_get_int64(x_) : 0; \
	})
		ret = ret ?: add_u(out, QS("rd_operations"), "block.%u.rd.reqs", i);
		ret = ret ?: add_u(out, QS("rd_bytes"), "block.%u.rd.bytes", i);
		ret = ret ?: add_u(out, QS("wr_operations"), "block.%u.wr.reqs", i);
		ret = ret ?: add_u(out, QS("wr_bytes"), "block.%u.wr.bytes", i);
		ret = ret ?: add_u(out, QS("flush_operations"), "block.%u.fl.reqs", i);
#undef QS
	}
	json_object_put(r);
	return ret;
}

int dm_stats(struct dm *m, struct dm_dom *d, unsigned stats, struct dm_params *out,
	     struct dm_err *err)
{
	int ret = 0;

	if (stats & 1) { /* VIR_DOMAIN_STATS_STATE */
		ret = dm_params_add(out, "state.state", DM_P_INT, d->state, 0, NULL);
		ret = ret ?: dm_params_add(out, "state.reason", DM_P_INT, d->reason, 0, NULL);
	}
	if (!ret && (stats & 2) && d->live && d->pid > 0) { /* CPU_TOTAL */
		uint64_t run, user, sys;

		process_times(d->pid, &run, &user, &sys);
		ret = dm_params_add(out, "cpu.time", DM_P_ULLONG, 0, run, NULL);
		ret = ret ?: dm_params_add(out, "cpu.user", DM_P_ULLONG, 0, user, NULL);
		ret = ret ?: dm_params_add(out, "cpu.system", DM_P_ULLONG, 0, sys, NULL);
	}
	if (!ret && (stats & 8)) { /* VCPU */
		const struct domain_def *def = d->live ? d->live : d->def;
		struct dm_vcpu *v = NULL;
		unsigned n = 0;

		ret = dm_params_add(out, "vcpu.current", DM_P_UINT, 0, d->live ? def->vcpus : 0,
				    NULL);
		ret = ret ?: dm_params_add(out, "vcpu.maximum", DM_P_UINT, 0, def->vcpus, NULL);
		if (!ret && d->live && dm_vcpus(m, d, &v, &n, err) == 0) {
			for (unsigned i = 0; i < n && !ret; i++) {
				char f[64];

				snprintf(f, sizeof(f), "vcpu.%u.state", i);
				ret = dm_params_add(out, f, DM_P_INT, v[i].state, 0, NULL);
				ret = ret ?: add_u(out, v[i].cpu_ns, "vcpu.%u.time", i);
				ret = ret ?: add_u(out, v[i].wait_ns, "vcpu.%u.wait", i);
			}
			free(v);
		}
	}
	if (!ret && (stats & 32)) /* BLOCK */
		ret = block_stats(d, out);
	return ret ? terr(err, DM_ERR_NO_MEMORY, "out of memory") : 0;
}
