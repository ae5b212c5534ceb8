/*
 * dm_sched.c - the strategy strandd runs across the processes of its domains (dm_priv.h):
 * gang, gang-relaxed and credit (sched/strategy.h, the same decisions and controller loop
 * `strand run --vm ... --vm ...` runs in one process), steering each domain's vCPU threads from
 * outside: the controller samples the threads in /proc/TID (strandd is on the same host) and
 * parks or releases a vCPU through the domain's shared vCPU gate (monitor/vcpu_gate.h: an
 * atomic word, a kick signal and a futex wake, the VM's main loop never woken), or, for a VM
 * started without one, through its monitor (`x-strand-vcpu-gate`, one command per gate).
 *
 * Threads and ownership: the controller runs on its own thread. It maps each domain's gate
 * itself, or uses a monitor connection per domain of its own (struct dm_sched_dom.qmp), never
 * the main thread's, so the two never share a socket. The main thread owns everything else and changes the set of domains only with
 * the controller stopped (dm_sched_add/remove stop it, rebuild the tables, start it again);
 * weights and caps change live through sched_vmparam's atomic weight_req/cap_req.
 * Stopping the controller releases every vCPU it parked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/dm_priv.h"
#include "monitor/qmp_client.h"
#include "monitor/vcpu_gate.h"
#include "util/clock.h"
#include "util/log.h"

#define GATE_TIMEOUT_MS	  1000
#define GATE_MAX_INFLIGHT 256

/* One domain under the controller. */
struct dm_sched_dom {
	struct dm_dom *d;
	pid_t pid;		/* the VM process (a copy: the controller never reads d's) */
	struct vcpu_gate gate;	/* mapped (gate.hdr set), or else: */
	struct qmp_client *qmp; /* the controller thread's own connection */
	unsigned inflight;	/* gate commands sent, not yet answered (controller thread) */
};

/* One vCPU's gate: its domain, its index there and its thread. */
struct gate {
	struct dm_sched_dom *sd;
	unsigned index;
	pid_t tid;
};

struct dm_sched {
	struct sched_ctl ctl;
	bool running;
	struct dm_sched_dom *doms;
	unsigned ndoms;
	struct gate *gates;
	uint64_t gate_errors; /* written by the controller thread, read relaxed */
};

static bool cross_domain(enum sched_kind k)
{
	return k == SCHED_KIND_GANG || k == SCHED_KIND_GANG_RELAXED || k == SCHED_KIND_CREDIT;
}

/* Controller thread: what came back on a domain's connection (gate replies, events). */
static void drain(struct dm_sched *s, struct dm_sched_dom *sd)
{
	json_object *m;

	if (!sd->qmp || qmp_client_pump(sd->qmp) < 0) {
		if (sd->qmp && sd->inflight)
			__atomic_fetch_add(&s->gate_errors, sd->inflight, __ATOMIC_RELAXED);
		sd->inflight = 0;
		return;
	}
	while (qmp_client_read(sd->qmp, &m, 0) == 0) {
		if (json_object_object_get_ex(m, "error", NULL))
			__atomic_fetch_add(&s->gate_errors, 1, __ATOMIC_RELAXED);
		if (!json_object_object_get_ex(m, "event", NULL) && sd->inflight)
			sd->inflight--;
		json_object_put(m);
	}
}

/*
 * Controller thread: park or release one vCPU of another process. The command is sent and
 * not waited for (the VM's monitor answers in order; the replies are drained on the next
 * gate): a gang switch costs the controller a few send() calls, as close as a socket gets
 * to the in-process gate, instead of one monitor round trip per vCPU. A VM whose replies
 * pile up past GATE_MAX_INFLIGHT is waited for, bounded by GATE_TIMEOUT_MS.
 */
static void gate(void *opaque, bool park)
{
	struct gate *g = opaque;
	struct dm_sched_dom *sd = g->sd;
	struct dm_sched *s = sd->d->m->sched;
	char cmd[96];
	int n;

	if (sd->gate.hdr) {
		if (vcpu_gate_set(&sd->gate, g->index, park, sd->pid, g->tid))
			__atomic_fetch_add(&s->gate_errors, 1, __ATOMIC_RELAXED); /* going away */
		return;
	}
	if (!sd->qmp) {
		__atomic_fetch_add(&s->gate_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	drain(s, sd);
	if (sd->inflight >= GATE_MAX_INFLIGHT) {
		uint64_t end = now_ns() + (uint64_t)GATE_TIMEOUT_MS * 1000000ULL;

		while (sd->inflight >= GATE_MAX_INFLIGHT / 2 && now_ns() < end) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
			drain(s, sd);
		}
	}
	n = snprintf(cmd, sizeof(cmd),
		     "{\"execute\":\"x-strand-vcpu-gate\",\"arguments\":{\"cpu-index\":%u,"
		     "\"park\":%s}}\n",
		     g->index, park ? "true" : "false");
	if (qmp_client_send_raw(sd->qmp, cmd, (size_t)n))
		__atomic_fetch_add(&s->gate_errors, 1, __ATOMIC_RELAXED); /* a VM going away */
	else
		sd->inflight++;
}

static void stop(struct dm *m)
{
	struct dm_sched *s = m->sched;

	if (s->running)
		sched_ctl_stop(&s->ctl);
	s->running = false;
}

static void free_tables(struct dm_sched *s)
{
	for (unsigned i = 0; i < s->ndoms; i++) {
		qmp_client_close(s->doms[i].qmp);
		vcpu_gate_close(&s->doms[i].gate, false);
	}
	free(s->doms);
	free(s->gates);
	free(s->ctl.vms);
	free(s->ctl.vcpus);
	s->doms = NULL;
	s->gates = NULL;
	s->ctl.vms = NULL;
	s->ctl.vcpus = NULL;
	s->ndoms = 0;
}

static unsigned weight_of(const struct dm_dom *d)
{
	const struct domain_def *def = d->live ? d->live : d->def;

	/* cpu_shares, libvirt's default 1024: only the ratios between domains matter. */
	return def && def->shares_set ? def->shares : 1024;
}

static unsigned cap_of(const struct dm_dom *d)
{
	const struct domain_def *def = d->live ? d->live : d->def;

	return def ? domain_cap_pct(def) : 0;
}

/* Main thread, controller stopped: the tables of every running domain, then start. */
static void rebuild(struct dm *m, const struct dm_dom *skip)
{
	struct dm_sched *s = m->sched;
	unsigned nd = 0, nv = 0, k = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	free_tables(s);
	for (struct dm_dom *d = m->doms; d; d = d->next)
		if (d != skip && d->live && d->nvcpu_tids) {
			nd++;
			nv += d->nvcpu_tids;
		}
	if (!nd)
		return;
	s->doms = calloc(nd, sizeof(*s->doms));
	s->gates = calloc(nv, sizeof(*s->gates));
	s->ctl.vms = calloc(nd, sizeof(*s->ctl.vms));
	s->ctl.vcpus = calloc(nv, sizeof(*s->ctl.vcpus));
	if (!s->doms || !s->gates || !s->ctl.vms || !s->ctl.vcpus) {
		log_warn("strategy %s: out of memory: domains run unsteered",
			 sched_kind_name(m->opts.sched.kind));
		free_tables(s);
		return;
	}
	for (struct dm_dom *d = m->doms; d; d = d->next) {
		struct dm_sched_dom *sd;
		struct sched_vmparam *vp;
		struct errbuf eb = { "" };
		char path[4200];

		if (d == skip || !d->live || !d->nvcpu_tids)
			continue;
		sd = &s->doms[s->ndoms];
		sd->d = d;
		sd->pid = d->pid;
		dm_path_of(m, d, "gate", path, sizeof(path));
		/*
		 * No wait (main thread): strand publishes the gate before its monitor answers,
		 * and strandd knows the vCPU threads only from the monitor.
		 */
		if (vcpu_gate_open(&sd->gate, path, 0, &eb) == 0 &&
		    sd->gate.nslots != d->nvcpu_tids) {
			log_warn("%s: its vCPU gate has %u slots for %u vCPUs: steered through its "
				 "monitor",
				 d->name, sd->gate.nslots, d->nvcpu_tids);
			vcpu_gate_close(&sd->gate, false);
		} else if (!sd->gate.hdr) {
			log_info("%s: %s: steered through its monitor", d->name, eb.msg);
			eb.msg[0] = 0;
		}
		if (!sd->gate.hdr && qmp_client_connect(&sd->qmp, d->qmp_path, 2000, &eb))
			log_warn("%s: the strategy cannot reach its monitor: %s", d->name, eb.msg);
		vp = &s->ctl.vms[s->ndoms];
		vp->weight = vp->weight_req = weight_of(d);
		vp->cap_pct = vp->cap_req = cap_of(d);
		vp->nvcpus = d->nvcpu_tids;
		for (unsigned j = 0; j < d->nvcpu_tids; j++, k++) {
			s->gates[k] = (struct gate){ sd, j, d->vcpu_tids[j] };
			s->ctl.vcpus[k].vm = s->ndoms;
			s->ctl.vcpus[k].tid = d->vcpu_tids[j];
			s->ctl.vcpus[k].gate = gate;
			s->ctl.vcpus[k].opaque = &s->gates[k];
		}
		s->ndoms++;
	}
	s->ctl.cfg = m->opts.sched;
	s->ctl.ncpus = (unsigned)(ncpu > 1 ? ncpu : 1);
	if (m->opts.housekeeping && m->opts.housekeeping < s->ctl.ncpus)
		s->ctl.ncpus -= m->opts.housekeeping;
	s->ctl.nvms = s->ndoms;
	s->ctl.nvcpus = k;
	s->ctl.sample = sched_sample_proc;
	s->ctl.stop = false;
	s->ctl.ticks = s->ctl.gates = 0;
	if (sched_ctl_start(&s->ctl, NULL)) {
		log_warn("strategy %s: cannot start its thread: domains run unsteered",
			 sched_kind_name(m->opts.sched.kind));
		free_tables(s);
		return;
	}
	s->running = true;
}

int dm_sched_init(struct dm *m, struct dm_err *err)
{
	enum sched_kind k = m->opts.sched.kind;

	if (k == SCHED_KIND_HOST)
		return 0;
	if (!cross_domain(k)) {
		if (err) {
			err->code = DM_ERR_CONFIG_UNSUPPORTED;
			err->domain = DM_FROM_DOMAIN;
			snprintf(err->message, sizeof(err->message),
				 "unsupported configuration: strandd --sched %s: across domains "
				 "strandd runs host, gang, gang-relaxed or credit (pinned and fifo "
				 "are per domain: <strand:sched>, <vcpusched>)",
				 sched_kind_name(k));
		}
		return -ENOTSUP;
	}
	m->sched = calloc(1, sizeof(*m->sched));
	if (!m->sched) {
		if (err) {
			err->code = DM_ERR_NO_MEMORY;
			err->domain = DM_FROM_DOMAIN;
			snprintf(err->message, sizeof(err->message), "out of memory");
		}
		return -ENOMEM;
	}
	return 0;
}

void dm_sched_fini(struct dm *m)
{
	if (!m->sched)
		return;
	stop(m);
	free_tables(m->sched);
	free(m->sched);
	m->sched = NULL;
}

void dm_sched_add(struct dm *m, struct dm_dom *d)
{
	(void)d;
	if (!m->sched)
		return;
	stop(m);
	rebuild(m, NULL);
}

void dm_sched_remove(struct dm *m, struct dm_dom *d)
{
	if (!m->sched)
		return;
	stop(m);
	rebuild(m, d);
}

void dm_sched_update(struct dm *m, struct dm_dom *d)
{
	struct dm_sched *s = m->sched;

	for (unsigned i = 0; s && i < s->ndoms; i++) {
		if (s->doms[i].d != d)
			continue;
		__atomic_store_n(&s->ctl.vms[i].weight_req, weight_of(d), __ATOMIC_RELAXED);
		__atomic_store_n(&s->ctl.vms[i].cap_req, cap_of(d), __ATOMIC_RELAXED);
	}
}

int64_t dm_sched_cpu_ns(struct dm *m, struct dm_dom *d)
{
	struct dm_sched *s = m->sched;

	for (unsigned i = 0; s && i < s->ndoms; i++)
		if (s->doms[i].d == d)
			return (int64_t)__atomic_load_n(&s->ctl.vms[i].cpu_total_ns,
							__ATOMIC_RELAXED);
	return -1;
}

void dm_sched_counters(struct dm *m, struct dm_counters *out)
{
	struct dm_sched *s = m->sched;

	out->sched_ticks = s ? __atomic_load_n(&s->ctl.ticks, __ATOMIC_RELAXED) : 0;
	out->sched_gates = s ? __atomic_load_n(&s->ctl.gates, __ATOMIC_RELAXED) : 0;
	out->sched_gate_errors = s ? __atomic_load_n(&s->gate_errors, __ATOMIC_RELAXED) : 0;
	out->sched_shared_gates = out->sched_monitor_gates = 0;
	/* Main thread: the tables change only on it. */
	for (unsigned i = 0; s && i < s->ndoms; i++) {
		if (s->doms[i].gate.hdr)
			out->sched_shared_gates++;
		else
			out->sched_monitor_gates++;
	}
}
