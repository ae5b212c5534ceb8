/* strategy.c - CPU-sharing strategies: parsing, decisions, controller. See strategy.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched/strategy.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

static const char *const kind_names[] = {
	[SCHED_KIND_HOST] = "host",
	[SCHED_KIND_PINNED] = "pinned",
	[SCHED_KIND_FIFO] = "fifo",
	[SCHED_KIND_GANG] = "gang",
	[SCHED_KIND_GANG_RELAXED] = "gang-relaxed",
	[SCHED_KIND_CREDIT] = "credit",
};

const char *sched_kind_name(enum sched_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

void sched_default(struct sched_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = SCHED_KIND_HOST;
	c->fifo_prio = 10;
	c->slice_ns = 10 * NSEC_PER_MSEC;
	c->skew_ns = 3 * NSEC_PER_MSEC;
	c->tick_ns = NSEC_PER_MSEC;
}

int sched_parse(const char *spec, struct sched_config *c, struct errbuf *err)
{
	char name[32];
	const char *arg = strchr(spec, ':');
	size_t len = arg ? (size_t)(arg - spec) : strlen(spec);
	uint64_t v = 0;
	unsigned k;

	sched_default(c);
	if (len >= sizeof(name))
		return errbuf_set(err, -EINVAL, "--sched: unknown strategy '%s'", spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	for (k = 0; k < ARRAY_SIZE(kind_names); k++) {
		if (strcmp(name, kind_names[k]) == 0)
			break;
	}
	if (k == ARRAY_SIZE(kind_names))
		return errbuf_set(err, -EINVAL,
				  "--sched: unknown strategy '%s' (host, pinned, fifo, gang, "
				  "gang-relaxed, credit)",
				  name);
	c->kind = (enum sched_kind)k;
	if (!arg)
		return 0;
	arg++;
	switch (c->kind) {
	case SCHED_KIND_PINNED:
		if (strcmp(arg, "force"))
			return errbuf_set(err, -EINVAL, "--sched pinned:%s: only pinned:force",
					  arg);
		c->force = true;
		return 0;
	case SCHED_KIND_FIFO:
		if (parse_u64(arg, &v) || v < 1 || v > 98)
			return errbuf_set(err, -EINVAL, "--sched fifo:%s: priority must be 1..98",
					  arg);
		c->fifo_prio = (int)v;
		return 0;
	case SCHED_KIND_GANG:
	case SCHED_KIND_GANG_RELAXED:
	case SCHED_KIND_CREDIT:
		if (parse_duration_ns(arg, NSEC_PER_MSEC, &v) || v < 100 * NSEC_PER_USEC ||
		    v > 10 * NSEC_PER_SEC)
			return errbuf_set(
				err, -EINVAL,
				"--sched %s:%s: expected a time in ms between 0.1 and 10000", name,
				arg);
		if (c->kind == SCHED_KIND_GANG_RELAXED)
			c->skew_ns = v;
		else
			c->slice_ns = v;
		return 0;
	case SCHED_KIND_HOST:
	default:
		return errbuf_set(err, -EINVAL, "--sched host takes no argument");
	}
}

int sched_sample_proc(pid_t tid, uint64_t *cpu_ns, uint64_t *delay_ns, char *state)
{
	char path[64], buf[512];
	unsigned long long cpu, delay;
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &cpu, &delay) != 2)
		return -EIO;
	*cpu_ns = cpu;
	*delay_ns = delay;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may contain anything but ends at the last ')' */
	*state = p && p[1] == ' ' ? p[2] : '?';
	return 0;
}

/* ---- decisions ---- */

void sched_gang_pick(const struct sched_vmparam *vms, unsigned nvms, unsigned ncpus, unsigned *turn,
		     bool *out)
{
	unsigned used = 0;

	for (unsigned i = 0; i < nvms; i++)
		out[i] = false;
	if (!nvms)
		return;
	/* The VM whose turn it is always runs; others join while their live vCPUs fit. */
	for (unsigned k = 0, first = 1; k < nvms; k++) {
		unsigned vm = (*turn + k) % nvms;

		if (!vms[vm].nlive)
			continue; /* finished: it needs no CPU and must not take a turn */
		if (first || used + vms[vm].nlive <= ncpus) {
			out[vm] = true;
			used += vms[vm].nlive;
			first = 0;
		}
	}
	*turn = (*turn + 1) % nvms;
}

void sched_relaxed_decide(struct sched_vcpu *v, unsigned n, uint64_t skew_ns, bool *park)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t slowest = UINT64_MAX;

		if (v[i].gone) {
			park[i] = false;
			continue;
		}
		/* Only live siblings count: a vCPU that exited would hold the others back forever. */
		for (unsigned j = 0; j < n; j++) {
			if (v[j].vm == v[i].vm && !v[j].gone && v[j].progress_ns < slowest)
				slowest = v[j].progress_ns;
		}
		if (v[i].progress_ns - slowest > skew_ns)
			park[i] = true;
		else if (v[i].progress_ns - slowest < skew_ns / 2)
			park[i] = false;
		else
			park[i] = v[i].parked; /* between: keep the current state (hysteresis) */
	}
}

static int cmp_credit(const void *a, const void *b, void *arg)
{
	const struct sched_vmparam *vms = arg;
	const unsigned *x = a, *y = b;

	if (vms[*x].over != vms[*y].over)
		return vms[*x].over ? 1 : -1;
	return (vms[*x].credit_ns < vms[*y].credit_ns) - (vms[*x].credit_ns > vms[*y].credit_ns);
}

void sched_credit_decide(struct sched_vmparam *vms, unsigned nvms, struct sched_vcpu *v, unsigned n,
			 unsigned ncpus, uint64_t period_ns, uint64_t tslice_ns, bool *park)
{
	unsigned order[64], slots = ncpus;
	uint64_t total_weight = 0;

	for (unsigned i = 0; i < nvms; i++)
		total_weight += vms[i].weight ? vms[i].weight : 1;
	for (unsigned i = 0; i < nvms && i < ARRAY_SIZE(order); i++) {
		struct sched_vmparam *m = &vms[i];
		int64_t earn = (int64_t)(period_ns * ncpus * (m->weight ? m->weight : 1) /
					 (total_weight ? total_weight : 1));
		int64_t limit = (int64_t)tslice_ns * (int64_t)MAX(m->nvcpus, 1u);

		if (m->cap_pct)
			earn = MIN(earn, (int64_t)(period_ns * m->cap_pct / 100));
		m->credit_ns += earn - (int64_t)m->used_period_ns;
		/* Credits do not pile up: an idle VM cannot later monopolise the host (Xen). */
		if (m->credit_ns > limit)
			m->credit_ns = limit;
		if (m->credit_ns < -limit)
			m->credit_ns = -limit;
		m->over = m->credit_ns < 0;
		m->used_period_ns = 0;
		order[i] = i;
	}
	qsort_r(order, MIN(nvms, (unsigned)ARRAY_SIZE(order)), sizeof(order[0]), cmp_credit, vms);

	/* Idle vCPUs stay released (so they can wake); demanding ones share ncpus slots. */
	for (unsigned i = 0; i < n; i++)
		park[i] = false;
	for (unsigned k = 0; k < MIN(nvms, (unsigned)ARRAY_SIZE(order)); k++) {
		unsigned vm = order[k];
		bool capped = vms[vm].cap_pct && vms[vm].over;

		for (unsigned i = 0; i < n; i++) {
			bool demanding = !v[i].gone && (v[i].state == 'R' || v[i].parked);

			if (v[i].vm != vm || !demanding)
				continue;
			if (v[i].boost && !capped) {
				v[i].boost =
					false; /* BOOST: a vCPU that just woke runs this tick */
				if (slots)
					slots--;
				continue;
			}
			/* VMs come in credit order (UNDER first): OVER VMs get what is left. */
			if (slots && !capped) {
				slots--;
				continue;
			}
			park[i] = true;
		}
	}
}

/* ---- controller ---- */

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / NSEC_PER_SEC), (long)(t % NSEC_PER_SEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * Parks first, then releases: a VM being switched in never runs beside the one being switched
 * out (with a gate that takes effect late, as one through another process's monitor does, the
 * other order would put both VMs on the CPUs for the length of the switch).
 */
static void apply(struct sched_ctl *s, const bool *park, uint64_t now)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < s->nvcpus; i++) {
			struct sched_vcpu *v = &s->vcpus[i];

			if (park[i] == v->parked || park[i] != (pass == 0))
				continue;
			if (park[i]) {
				v->parked_since_ns = now;
			} else {
				stat_add(&v->parked_total_ns, now - v->parked_since_ns);
			}
			v->parked = park[i];
			v->gate(v->opaque, park[i]);
			stat_inc(&s->gates);
		}
	}
}

static void account(struct sched_ctl *s, uint64_t now)
{
	for (unsigned i = 0; i < s->nvms; i++)
		s->vms[i].nlive = 0;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct sched_vcpu *v = &s->vcpus[i];
		uint64_t cpu, delay, dwall = now - v->last_wall_ns;
		char state = '?';

		if (v->gone)
			continue;
		/* A thread that is gone (or a zombie) leaves every decision for good. */
		if (s->sample(v->tid, &cpu, &delay, &state) || state == 'Z' || state == 'X') {
			v->gone = true;
			v->state = 'X';
			continue;
		}
		s->vms[v->vm].nlive++;
		if (cpu >= v->cpu_ns) {
			s->vms[v->vm].used_period_ns += cpu - v->cpu_ns;
			stat_add(&s->vms[v->vm].cpu_total_ns, cpu - v->cpu_ns);
		}
		/* Progress: time not spent waiting for a CPU nor parked by us. */
		if (!v->parked && delay >= v->delay_ns && dwall >= delay - v->delay_ns)
			v->progress_ns += dwall - (delay - v->delay_ns);
		if (v->state == 'S' && state == 'R')
			v->boost = true;
		v->cpu_ns = cpu;
		v->delay_ns = delay;
		v->state = state;
		v->last_wall_ns = now;
	}
}

static void *sched_main(void *arg)
{
	struct sched_ctl *s = arg;
	bool *park = calloc(s->nvcpus, sizeof(bool));
	bool *run = calloc(s->nvms, sizeof(bool));
	uint64_t next = now_ns(), slice_end = 0;

	if (!park || !run) {
		log_error("sched: out of memory; strategy disabled");
		goto out;
	}
	for (unsigned i = 0; i < s->nvcpus; i++)
		s->vcpus[i].last_wall_ns = next;
	account(s, next);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now;

		next += s->cfg.tick_ns;
		sleep_until(next);
		now = now_ns();
		account(s, now);
		stat_inc(&s->ticks);
		for (unsigned i = 0; i < s->nvms; i++) {
			s->vms[i].weight = __atomic_load_n(&s->vms[i].weight_req, __ATOMIC_RELAXED);
			s->vms[i].cap_pct = __atomic_load_n(&s->vms[i].cap_req, __ATOMIC_RELAXED);
		}
		switch (s->cfg.kind) {
		case SCHED_KIND_GANG:
			if (now < slice_end)
				continue;
			slice_end = now + s->cfg.slice_ns;
			sched_gang_pick(s->vms, s->nvms, s->ncpus, &s->gang_turn, run);
			for (unsigned i = 0; i < s->nvcpus; i++)
				park[i] = !run[s->vcpus[i].vm];
			break;
		case SCHED_KIND_GANG_RELAXED:
			sched_relaxed_decide(s->vcpus, s->nvcpus, s->cfg.skew_ns, park);
			break;
		case SCHED_KIND_CREDIT:
			sched_credit_decide(s->vms, s->nvms, s->vcpus, s->nvcpus, s->ncpus,
					    s->cfg.tick_ns, s->cfg.slice_ns, park);
			break;
		default:
			continue;
		}
		apply(s, park, now);
		if (now > next + 100 * s->cfg.tick_ns)
			next = now; /* we fell far behind (host overloaded): do not catch up */
	}
	/* Leave nothing parked behind us. */
	for (unsigned i = 0; park && i < s->nvcpus; i++)
		park[i] = false;
	if (park)
		apply(s, park, now_ns());
out:
	free(park);
	free(run);
	return NULL;
}

int sched_ctl_start(struct sched_ctl *s, const struct thread_placement *pl)
{
	for (unsigned i = 0; i < s->nvms; i++) {
		if (!s->vms[i].weight_req)
			s->vms[i].weight_req = s->vms[i].weight;
		if (!s->vms[i].cap_req)
			s->vms[i].cap_req = s->vms[i].cap_pct;
	}
	if (!s->sample)
		s->sample = sched_sample_proc;
	switch (s->cfg.kind) {
	case SCHED_KIND_GANG:
	case SCHED_KIND_GANG_RELAXED:
	case SCHED_KIND_CREDIT:
		if (s->cfg.kind == SCHED_KIND_CREDIT)
			s->cfg.tick_ns = MAX(s->cfg.tick_ns, 10 * NSEC_PER_MSEC); /* Xen's 10 ms */
		return thread_spawn(&s->thread, "sched", pl, false, sched_main, s);
	default:
		return 0;
	}
}

void sched_ctl_stop(struct sched_ctl *s)
{
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	thread_join(&s->thread, NULL);
}
