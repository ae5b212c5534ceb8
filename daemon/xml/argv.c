/* argv.c - domain_def -> `strand run` argv and monitor tunings (argv.h). Pure; any thread. */
#include "daemon/xml/argv.h"
#include "daemon/xml/domain_priv.h"
#include "daemon/xml/sbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `strand run --name` keeps 15 characters (a label in its reports and thread names). */
#define STRAND_NAME_MAX 15

struct abuild {
	char **argv;
	unsigned argc, cap;
	bool oom;
};

static void push(struct abuild *a, const char *s)
{
	char *copy;

	if (a->oom)
		return;
	if (a->argc + 2 > a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 32;
		char **p = realloc(a->argv, cap * sizeof(*p));

		if (!p) {
			a->oom = true;
			return;
		}
		a->argv = p;
		a->cap = cap;
	}
	copy = strdup(s);
	if (!copy) {
		a->oom = true;
		return;
	}
	a->argv[a->argc++] = copy;
	a->argv[a->argc] = NULL;
}

/* Push option opt with the buffer's text as its value (the buffer is emptied). */
static void push_opt(struct abuild *a, const char *opt, struct sbuf *b)
{
	char *v = sbuf_take(b);

	if (!v) {
		a->oom = true;
		return;
	}
	push(a, opt);
	push(a, v);
	free(v);
}

static void push_opt_str(struct abuild *a, const char *opt, const char *v)
{
	push(a, opt);
	push(a, v);
}

/* A value inside a strand "key=value,..." option: a comma is written ",,". */
static void opt_value(struct sbuf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == ',')
			sbuf_add(b, ",,", 2);
		else
			sbuf_add(b, p, 1);
	}
}

/* strand's CPU lists inside options use '+' between elements ("0-3+6"). */
static void opt_cpus(struct sbuf *b, const struct domain_cpuset *set)
{
	char buf[DOMAIN_CPUSET_TEXT_MAX];

	sbuf_puts(b, domain_cpuset_format(set, '+', buf, sizeof(buf)));
}

static void add_guest(struct abuild *a, const struct domain_def *d)
{
	const struct domain_strand *s = &d->strand;
	struct sbuf b = { 0 };
	char n[8];

	switch (d->guest_kind) {
	case DOMAIN_GUEST_KERNEL:
		push_opt_str(a, "--kernel", d->kernel);
		if (d->initrd)
			push_opt_str(a, "--initrd", d->initrd);
		if (d->cmdline)
			push_opt_str(a, "--cmdline", d->cmdline);
		break;
	case DOMAIN_GUEST_MICRO:
	case DOMAIN_GUEST_FILE:
		sbuf_puts(&b, s->guest);
		if (s->guest_args)
			sbuf_printf(&b, ":%s", s->guest_args);
		push_opt(a, d->guest_kind == DOMAIN_GUEST_MICRO ? "--guest" : "--guest-file", &b);
		break;
	case DOMAIN_GUEST_NONE:
	default:
		break;
	}
	if (s->cpl != DOMAIN_CPL_DEFAULT) {
		snprintf(n, sizeof(n), "%u", s->cpl);
		push_opt_str(a, "--guest-cpl", n);
	}
}

static void add_machine(struct abuild *a, const struct domain_def *d)
{
	static const char *const policies[] = { "", "bind", "preferred", "interleave" };
	struct sbuf b = { 0 };

	if (d->cpu_host_passthrough)
		push_opt_str(a, "--cpu-model", "host");
	sbuf_printf(&b, "%u", d->vcpus);
	if (d->topo_given)
		sbuf_printf(&b, ",sockets=%u,cores=%u,threads=%u", d->sockets, d->cores,
			    d->threads);
	push_opt(a, "--vcpus", &b);

	sbuf_printf(&b, "%" PRIu64 "K", d->memory_bytes >> 10);
	if (d->mem_mode != DOMAIN_MEM_NONE && !d->mem_placement_auto) {
		struct domain_cpuset nodes = { { d->mem_nodeset } };

		sbuf_printf(&b, ",policy=%s,host-nodes=", policies[d->mem_mode]);
		opt_cpus(&b, &nodes);
	}
	if (d->hugepages)
		sbuf_puts(&b, ",hugepages=on");
	if (d->alloc == DOMAIN_ON)
		sbuf_puts(&b, ",prealloc=on");
	push_opt(a, "--memory", &b);

	for (unsigned c = 0; c < d->ncells; c++) {
		sbuf_printf(&b, "node=%u,cpus=", c);
		opt_cpus(&b, &d->cell[c].vcpus);
		sbuf_printf(&b, ",memory=%" PRIu64 "K", d->cell[c].mem_bytes >> 10);
		if (d->cell[c].memnode)
			sbuf_printf(&b, ",host-node=%u", d->cell[c].host_node);
		push_opt(a, "--numa", &b);
	}
	for (unsigned i = 0; i < d->ncells; i++) {
		for (unsigned j = i + 1; j < d->ncells; j++) {
			unsigned dist = d->cell[i].distance[j] ? d->cell[i].distance[j] :
								 d->cell[j].distance[i];

			if (!dist)
				continue;
			sbuf_printf(&b, "src=%u,dst=%u,distance=%u", i, j, dist);
			push_opt(a, "--numa", &b);
		}
	}
	if (d->placement_auto)
		push_opt_str(a, "--placement", "numa");
	else if (d->strand.placement[0])
		push_opt_str(a, "--placement", d->strand.placement);
}

static void add_devices(struct abuild *a, const struct domain_def *d)
{
	static const char *const aio[] = { "", "io_uring", "io_uring", "sync" };
	static const char *const cache[] = { "", "none", "writeback" };
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < d->niothreads; i++) {
		const struct domain_iothread *t = &d->iothread[i];
		const struct domain_cpuset *pin = t->pinned	? &t->cpus :
						  d->has_cpuset ? &d->cpuset :
								  NULL;

		sbuf_printf(&b, "id=" DOMAIN_IOTHREAD_PREFIX "%u", t->id);
		if (pin) {
			sbuf_puts(&b, ",cpus=");
			opt_cpus(&b, pin);
		}
		push_opt(a, "--iothread", &b);
	}
	for (unsigned i = 0; i < d->ndisks; i++) {
		const struct domain_disk *k = &d->disk[i];

		sbuf_puts(&b, "path=");
		opt_value(&b, k->path);
		if (k->readonly)
			sbuf_puts(&b, ",readonly=on");
		if (k->cache)
			sbuf_printf(&b, ",cache=%s", cache[k->cache]);
		if (k->serial[0]) {
			sbuf_puts(&b, ",serial=");
			opt_value(&b, k->serial);
		}
		if (k->queues)
			sbuf_printf(&b, ",queues=%u", k->queues);
		if (k->io)
			sbuf_printf(&b, ",aio=%s", aio[k->io]);
		if (k->iothread)
			sbuf_printf(&b, ",iothread=" DOMAIN_IOTHREAD_PREFIX "%u", k->iothread);
		push_opt(a, "--disk", &b);
	}
	if (d->rng)
		push(a, "--rng");
	switch (d->serial) {
	case DOMAIN_CHR_PTY:
		/* strand makes the pty (QEMU's -chardev pty); strandd reads it from query-chardev. */
		push_opt_str(a, "--console", "pty");
		break;
	case DOMAIN_CHR_FILE:
		sbuf_printf(&b, "file:%s", d->serial_path);
		push_opt(a, "--console", &b);
		break;
	default:
		push_opt_str(a, "--console", "none");
		break;
	}
	if (d->vconsole) {
		sbuf_puts(&b, d->vconsole == DOMAIN_CHR_UNIX ? "socket=" : "file=");
		opt_value(&b, d->vconsole_path);
		if (d->vconsole == DOMAIN_CHR_UNIX)
			sbuf_puts(&b, ",wait=off");
		push_opt(a, "--virtio-console", &b);
	}
}

static void pv_item(struct sbuf *b, const char *name, enum domain_tristate t)
{
	if (t)
		sbuf_printf(b, "%s%s=%s", b->len ? "," : "", name, t == DOMAIN_ON ? "on" : "off");
}

static bool cross_domain(const char *strategy)
{
	return strcmp(strategy, "gang") == 0 || strcmp(strategy, "gang-relaxed") == 0 ||
	       strcmp(strategy, "credit") == 0;
}

static void add_knobs(struct abuild *a, const struct domain_def *d, unsigned flags)
{
	const struct domain_strand *s = &d->strand;
	struct sbuf b = { 0 };
	char buf[32];
	unsigned cap;
	bool own_credit;

	if (s->threading) {
		if (s->preset[0])
			sbuf_puts(&b, s->preset);
		if (s->lock[0])
			sbuf_printf(&b, "%slock=%s", b.len ? "," : "", s->lock);
		if (s->io[0])
			sbuf_printf(&b, "%sio=%s", b.len ? "," : "", s->io);
		if (s->map[0])
			sbuf_printf(&b, "%smap=%s", b.len ? "," : "", s->map);
		if (s->iomap[0])
			sbuf_printf(&b, "%siomap=%s", b.len ? "," : "", s->iomap);
		if (s->threading_iothreads)
			sbuf_printf(&b, "%siothreads=%u", b.len ? "," : "", s->threading_iothreads);
		if (s->poll_ns_set)
			sbuf_printf(&b, "%spoll_ns=%" PRIu64, b.len ? "," : "", s->poll_ns);
		if (b.len)
			push_opt(a, "--threading", &b);
	}
	if (d->fifo) {
		sbuf_printf(&b, "fifo:%u", d->fifo_priority);
		push_opt(a, "--sched", &b);
	} else if (s->strategy[0] &&
		   !((flags & DOMAIN_ARGV_HOST_SCHED) && cross_domain(s->strategy))) {
		sbuf_puts(&b, s->strategy);
		if (s->force)
			sbuf_puts(&b, ":force");
		else if (s->slice_ns)
			sbuf_printf(&b, ":%s",
				    domain_duration_format(s->slice_ns, buf, sizeof(buf)));
		else if (s->skew_ns)
			sbuf_printf(&b, ":%s",
				    domain_duration_format(s->skew_ns, buf, sizeof(buf)));
		push_opt(a, "--sched", &b);
	}
	/*
	 * <shares> and the quotas are the credit strategy's weight and cap: they act where
	 * credit runs (the domain's own <strand:sched strategy='credit'>, or strandd's across
	 * domains). Elsewhere they stay in the XML, as libvirt keeps them, and strand is not
	 * handed options it would refuse.
	 */
	own_credit = strncmp(s->strategy, "credit", 6) == 0 && !(flags & DOMAIN_ARGV_HOST_SCHED);
	if (d->shares_set && own_credit) {
		sbuf_printf(&b, "%u", d->shares);
		push_opt(a, "--weight", &b);
	}
	if (own_credit && (cap = domain_cap_pct(d))) {
		sbuf_printf(&b, "%u", cap);
		push_opt(a, "--cap", &b);
	}
	if (s->halt_poll_set) {
		sbuf_printf(&b, "%" PRIu64, s->halt_poll_ns);
		push_opt(a, "--halt-poll", &b);
	}
	if (s->disable_exits) {
		for (unsigned i = 0; domain_exits[i]; i++)
			if (s->disable_exits & (1u << i))
				sbuf_printf(&b, "%s%s", b.len ? "," : "", domain_exits[i]);
		push_opt(a, "--disable-exits", &b);
	}
	pv_item(&b, "unhalt", d->pvspinlock);
	pv_item(&b, "realtime", d->hint_dedicated);
	pv_item(&b, "poll-control", d->poll_control);
	pv_item(&b, "send-ipi", d->pv_ipi);
	pv_item(&b, "clocksource", s->pv_clocksource);
	pv_item(&b, "steal-time", s->pv_steal_time);
	pv_item(&b, "eoi", s->pv_eoi);
	pv_item(&b, "tlb-flush", s->pv_tlb_flush);
	pv_item(&b, "sched-yield", s->pv_sched_yield);
	if (b.len)
		push_opt(a, "--pv", &b);
	if (s->map_churn) {
		sbuf_printf(&b, "%" PRIu64 "%s", s->map_churn_hz,
			    s->map_churn_ram ? ",target=ram" : "");
		push_opt(a, "--map-churn", &b);
	}
	sbuf_free(&b);
}

static char *cpulist(const struct domain_cpuset *set)
{
	char buf[DOMAIN_CPUSET_TEXT_MAX];

	return strdup(domain_cpuset_format(set, ',', buf, sizeof(buf)));
}

static int add_tunings(struct domain_argv *out, const struct domain_def *d)
{
	unsigned n = 0, max = d->vcpus + 1;
	const struct domain_cpuset *emu = d->has_emulatorpin ? &d->emulatorpin :
					  d->has_cpuset	     ? &d->cpuset :
							       NULL;

	out->tunings = calloc(max, sizeof(*out->tunings));
	if (!out->tunings)
		return -ENOMEM;
	for (unsigned v = 0; v < d->vcpus; v++) {
		const struct domain_cpuset *pin = domain_vcpu_pin(d, v);
		struct domain_tuning *t = &out->tunings[n];

		if (!pin)
			continue;
		t->kind = DOMAIN_TUNE_VCPU_PIN;
		t->vcpu = v;
		t->cpus = *pin;
		t->cpulist = cpulist(pin);
		out->ntunings = ++n;
		if (!t->cpulist)
			return -ENOMEM;
	}
	if (emu) {
		struct domain_tuning *t = &out->tunings[n++];

		t->kind = DOMAIN_TUNE_EMULATOR_PIN;
		t->cpus = *emu;
		t->cpulist = cpulist(emu);
		out->ntunings = n;
		if (!t->cpulist)
			return -ENOMEM;
	}
	return 0;
}

int domain_argv_build_flags(const struct domain_def *d, const char *strand_bin, unsigned flags,
			    struct domain_argv *out, struct domain_error *err)
{
	struct abuild a = { 0 };
	char name[STRAND_NAME_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (d->guest_kind == DOMAIN_GUEST_NONE)
		return domain_err(err, DOMAIN_ERR_INVALID_ARG, "the domain has nothing to run");
	push(&a, strand_bin);
	push(&a, "run");
	memcpy(name, d->name, sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	push_opt_str(&a, "--name", name);
	add_guest(&a, d);
	add_machine(&a, d);
	add_devices(&a, d);
	add_knobs(&a, d, flags);
	out->argv = a.argv;
	out->argc = a.argc;
	if (a.oom || add_tunings(out, d)) {
		domain_argv_free(out);
		return domain_err_nomem(err);
	}
	return 0;
}

int domain_argv_build(const struct domain_def *d, const char *strand_bin, struct domain_argv *out,
		      struct domain_error *err)
{
	return domain_argv_build_flags(d, strand_bin, 0, out, err);
}

void domain_argv_free(struct domain_argv *a)
{
	for (unsigned i = 0; a->argv && i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	for (unsigned i = 0; a->tunings && i < a->ntunings; i++)
		free(a->tunings[i].cpulist);
	free(a->tunings);
	memset(a, 0, sizeof(*a));
}

char *domain_argv_join(const struct domain_argv *a)
{
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < a->argc; i++) {
		const char *s = a->argv[i];
		bool plain = *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_=.,:/+%@") == strlen(s);

		if (i)
			sbuf_puts(&b, " ");
		if (plain) {
			sbuf_puts(&b, s);
			continue;
		}
		sbuf_puts(&b, "'");
		for (; *s; s++) {
			if (*s == '\'')
				sbuf_puts(&b, "'\\''");
			else
				sbuf_add(&b, s, 1);
		}
		sbuf_puts(&b, "'");
	}
	sbuf_puts(&b, "");
	return sbuf_take(&b);
}
