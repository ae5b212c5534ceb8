/*
 * domain_format.c - struct domain_def -> libvirt domain XML (domain.h). Any thread.
 *
 * One canonical form: libvirt's element order, two-space indentation, single-quoted attributes,
 * every default that libvirt writes (vcpu placement, currentMemory, lifecycle actions, disk
 * driver) written out, so that parse(format(def)) formats to the same text.
 */
#include "daemon/xml/domain.h"
#include "daemon/xml/domain_priv.h"
#include "daemon/xml/sbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const lifecycle_names[] = { "destroy", "restart" };
static const char *const mem_mode_names[] = { "", "strict", "preferred", "interleave" };
static const char *const io_names[] = { "", "native", "io_uring", "threads" };
static const char *const cache_names[] = { "", "none", "writeback" };
static const char *const chr_names[] = { "", "pty", "file", "null", "unix" };

static void ind(struct sbuf *b, unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		sbuf_puts(b, "  ");
}

/* name='value' with the value escaped. */
static void attr(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, " %s='", name);
	sbuf_xml(b, value, true);
	sbuf_puts(b, "'");
}

static void attr_u(struct sbuf *b, const char *name, unsigned long long v)
{
	sbuf_printf(b, " %s='%llu'", name, v);
}

/* <name>text</name> on its own line. */
static void text_elem(struct sbuf *b, unsigned level, const char *name, const char *text)
{
	ind(b, level);
	sbuf_printf(b, "<%s>", name);
	sbuf_xml(b, text, false);
	sbuf_printf(b, "</%s>\n", name);
}

static void cpuset_attr(struct sbuf *b, const char *name, const struct domain_cpuset *set)
{
	char buf[DOMAIN_CPUSET_TEXT_MAX];

	attr(b, name, domain_cpuset_format(set, ',', buf, sizeof(buf)));
}

static const char *onoff(enum domain_tristate t)
{
	return t == DOMAIN_ON ? "on" : "off";
}

static void fmt_strand(struct sbuf *b, const struct domain_def *d)
{
	const struct domain_strand *s = &d->strand;
	char buf[32];

	if (s->guest) {
		ind(b, 3);
		sbuf_puts(b, "<strand:guest");
		attr(b, d->guest_kind == DOMAIN_GUEST_FILE ? "file" : "program", s->guest);
		if (s->guest_args)
			attr(b, "args", s->guest_args);
		if (s->cpl != DOMAIN_CPL_DEFAULT)
			attr_u(b, "cpl", s->cpl);
		sbuf_puts(b, "/>\n");
	}
	if (s->threading) {
		ind(b, 3);
		sbuf_puts(b, "<strand:threading");
		if (s->preset[0])
			attr(b, "preset", s->preset);
		if (s->lock[0])
			attr(b, "lock", s->lock);
		if (s->io[0])
			attr(b, "io", s->io);
		if (s->map[0])
			attr(b, "map", s->map);
		if (s->iomap[0])
			attr(b, "iomap", s->iomap);
		if (s->threading_iothreads)
			attr_u(b, "iothreads", s->threading_iothreads);
		if (s->poll_ns_set)
			attr_u(b, "poll_ns", s->poll_ns);
		sbuf_puts(b, "/>\n");
	}
	if (s->strategy[0]) {
		ind(b, 3);
		sbuf_puts(b, "<strand:sched");
		attr(b, "strategy", s->strategy);
		if (s->slice_ns)
			attr(b, "slice", domain_duration_format(s->slice_ns, buf, sizeof(buf)));
		if (s->skew_ns)
			attr(b, "skew", domain_duration_format(s->skew_ns, buf, sizeof(buf)));
		if (s->force)
			attr(b, "force", "yes");
		sbuf_puts(b, "/>\n");
	}
	if (s->placement[0]) {
		ind(b, 3);
		sbuf_puts(b, "<strand:placement");
		attr(b, "policy", s->placement);
		sbuf_puts(b, "/>\n");
	}
	if (s->halt_poll_set) {
		ind(b, 3);
		sbuf_printf(b, "<strand:halt-poll ns='%" PRIu64 "'/>\n", s->halt_poll_ns);
	}
	if (s->disable_exits) {
		ind(b, 3);
		sbuf_puts(b, "<strand:disable-exits exits='");
		if (s->disable_exits == DOMAIN_EXIT_ALL) {
			sbuf_puts(b, "all");
		} else {
			bool first = true;

			for (unsigned i = 0; domain_exits[i]; i++) {
				if (!(s->disable_exits & (1u << i)))
					continue;
				sbuf_printf(b, "%s%s", first ? "" : ",", domain_exits[i]);
				first = false;
			}
		}
		sbuf_puts(b, "'/>\n");
	}
	if (s->pv_clocksource || s->pv_steal_time || s->pv_eoi || s->pv_tlb_flush ||
	    s->pv_sched_yield) {
		ind(b, 3);
		sbuf_puts(b, "<strand:pv");
		if (s->pv_clocksource)
			attr(b, "clocksource", onoff(s->pv_clocksource));
		if (s->pv_steal_time)
			attr(b, "steal-time", onoff(s->pv_steal_time));
		if (s->pv_eoi)
			attr(b, "eoi", onoff(s->pv_eoi));
		if (s->pv_tlb_flush)
			attr(b, "tlb-flush", onoff(s->pv_tlb_flush));
		if (s->pv_sched_yield)
			attr(b, "sched-yield", onoff(s->pv_sched_yield));
		sbuf_puts(b, "/>\n");
	}
	if (s->map_churn) {
		ind(b, 3);
		sbuf_printf(b, "<strand:map-churn hz='%" PRIu64 "' target='%s'/>\n",
			    s->map_churn_hz, s->map_churn_ram ? "ram" : "mmio");
	}
}

static bool strand_any(const struct domain_def *d)
{
	const struct domain_strand *s = &d->strand;

	return s->guest || s->threading || s->strategy[0] || s->placement[0] || s->halt_poll_set ||
	       s->disable_exits || s->pv_clocksource || s->pv_steal_time || s->pv_eoi ||
	       s->pv_tlb_flush || s->pv_sched_yield || s->map_churn;
}

static void fmt_metadata(struct sbuf *b, const struct domain_def *d)
{
	bool strand = strand_any(d);

	if (!strand && !d->foreign_metadata)
		return;
	sbuf_puts(b, "  <metadata>\n");
	if (strand) {
		sbuf_puts(b, "    <strand:config xmlns:strand='" DOMAIN_STRAND_NS "'>\n");
		fmt_strand(b, d);
		sbuf_puts(b, "    </strand:config>\n");
	}
	if (d->foreign_metadata)
		sbuf_puts(b, d->foreign_metadata);
	sbuf_puts(b, "  </metadata>\n");
}

static void fmt_cputune(struct sbuf *b, const struct domain_def *d)
{
	bool iopins = false;

	for (unsigned i = 0; i < d->niothreads; i++)
		iopins |= d->iothread[i].pinned;
	if (!d->shares_set && !d->period_us && !d->quota_us && !d->global_period_us &&
	    !d->global_quota_us && !d->nvcpupin && !d->has_emulatorpin && !iopins && !d->fifo)
		return;
	sbuf_puts(b, "  <cputune>\n");
	if (d->shares_set)
		sbuf_printf(b, "    <shares>%u</shares>\n", d->shares);
	if (d->period_us)
		sbuf_printf(b, "    <period>%" PRIu64 "</period>\n", d->period_us);
	if (d->quota_us)
		sbuf_printf(b, "    <quota>%" PRId64 "</quota>\n", d->quota_us);
	if (d->global_period_us)
		sbuf_printf(b, "    <global_period>%" PRIu64 "</global_period>\n",
			    d->global_period_us);
	if (d->global_quota_us)
		sbuf_printf(b, "    <global_quota>%" PRId64 "</global_quota>\n",
			    d->global_quota_us);
	for (unsigned i = 0; i < d->nvcpupin; i++) {
		sbuf_printf(b, "    <vcpupin vcpu='%u'", d->vcpupin[i].vcpu);
		cpuset_attr(b, "cpuset", &d->vcpupin[i].cpus);
		sbuf_puts(b, "/>\n");
	}
	if (d->has_emulatorpin) {
		sbuf_puts(b, "    <emulatorpin");
		cpuset_attr(b, "cpuset", &d->emulatorpin);
		sbuf_puts(b, "/>\n");
	}
	for (unsigned i = 0; i < d->niothreads; i++) {
		if (!d->iothread[i].pinned)
			continue;
		sbuf_printf(b, "    <iothreadpin iothread='%u'", d->iothread[i].id);
		cpuset_attr(b, "cpuset", &d->iothread[i].cpus);
		sbuf_puts(b, "/>\n");
	}
	if (d->fifo) {
		if (d->vcpus > 1)
			sbuf_printf(b, "    <vcpusched vcpus='0-%u'", d->vcpus - 1);
		else
			sbuf_puts(b, "    <vcpusched vcpus='0'");
		sbuf_printf(b, " scheduler='fifo' priority='%u'/>\n", d->fifo_priority);
	}
	sbuf_puts(b, "  </cputune>\n");
}

static void nodeset_attr(struct sbuf *b, uint64_t mask)
{
	struct domain_cpuset set = { { mask } };

	cpuset_attr(b, "nodeset", &set);
}

static void fmt_numatune(struct sbuf *b, const struct domain_def *d)
{
	bool memnodes = false;

	for (unsigned c = 0; c < d->ncells; c++)
		memnodes |= d->cell[c].memnode;
	if (d->mem_mode == DOMAIN_MEM_NONE && !memnodes)
		return;
	sbuf_puts(b, "  <numatune>\n");
	if (d->mem_mode != DOMAIN_MEM_NONE) {
		sbuf_printf(b, "    <memory mode='%s'", mem_mode_names[d->mem_mode]);
		if (d->mem_placement_auto)
			sbuf_puts(b, " placement='auto'");
		else
			nodeset_attr(b, d->mem_nodeset);
		sbuf_puts(b, "/>\n");
	}
	for (unsigned c = 0; c < d->ncells; c++) {
		if (!d->cell[c].memnode)
			continue;
		sbuf_printf(b, "    <memnode cellid='%u' mode='strict' nodeset='%u'/>\n", c,
			    d->cell[c].host_node);
	}
	sbuf_puts(b, "  </numatune>\n");
}

static void fmt_os(struct sbuf *b, const struct domain_def *d)
{
	sbuf_puts(b, "  <os>\n    <type arch='x86_64' machine='strand'>hvm</type>\n");
	if (d->kernel)
		text_elem(b, 2, "kernel", d->kernel);
	if (d->initrd)
		text_elem(b, 2, "initrd", d->initrd);
	if (d->cmdline)
		text_elem(b, 2, "cmdline", d->cmdline);
	sbuf_puts(b, "  </os>\n");
}

static void fmt_features(struct sbuf *b, const struct domain_def *d)
{
	bool kvm = d->hint_dedicated || d->poll_control || d->pv_ipi;

	if (!d->acpi && !d->apic && !d->pvspinlock && !kvm)
		return;
	sbuf_puts(b, "  <features>\n");
	if (d->acpi)
		sbuf_puts(b, "    <acpi/>\n");
	if (d->apic)
		sbuf_puts(b, "    <apic/>\n");
	if (kvm) {
		sbuf_puts(b, "    <kvm>\n");
		if (d->hint_dedicated)
			sbuf_printf(b, "      <hint-dedicated state='%s'/>\n",
				    onoff(d->hint_dedicated));
		if (d->poll_control)
			sbuf_printf(b, "      <poll-control state='%s'/>\n",
				    onoff(d->poll_control));
		if (d->pv_ipi)
			sbuf_printf(b, "      <pv-ipi state='%s'/>\n", onoff(d->pv_ipi));
		sbuf_puts(b, "    </kvm>\n");
	}
	if (d->pvspinlock)
		sbuf_printf(b, "    <pvspinlock state='%s'/>\n", onoff(d->pvspinlock));
	sbuf_puts(b, "  </features>\n");
}

static void fmt_cpu(struct sbuf *b, const struct domain_def *d)
{
	if (!d->cpu_host_passthrough && !d->topo_given && !d->ncells)
		return;
	sbuf_puts(b, "  <cpu");
	if (d->cpu_host_passthrough)
		sbuf_puts(b, " mode='host-passthrough'");
	if (!d->topo_given && !d->ncells) {
		sbuf_puts(b, "/>\n");
		return;
	}
	sbuf_puts(b, ">\n");
	if (d->topo_given)
		sbuf_printf(b, "    <topology sockets='%u' dies='1' cores='%u' threads='%u'/>\n",
			    d->sockets, d->cores, d->threads);
	if (d->ncells) {
		sbuf_puts(b, "    <numa>\n");
		for (unsigned c = 0; c < d->ncells; c++) {
			const struct domain_cell *cl = &d->cell[c];
			bool dist = false;

			for (unsigned o = 0; o < d->ncells; o++)
				dist |= cl->distance[o] != 0;
			sbuf_printf(b, "      <cell id='%u'", c);
			cpuset_attr(b, "cpus", &cl->vcpus);
			sbuf_printf(b, " memory='%" PRIu64 "' unit='KiB'", cl->mem_bytes >> 10);
			if (!dist) {
				sbuf_puts(b, "/>\n");
				continue;
			}
			sbuf_puts(b, ">\n        <distances>\n");
			for (unsigned o = 0; o < d->ncells; o++)
				if (cl->distance[o])
					sbuf_printf(b, "          <sibling id='%u' value='%u'/>\n",
						    o, cl->distance[o]);
			sbuf_puts(b, "        </distances>\n      </cell>\n");
		}
		sbuf_puts(b, "    </numa>\n");
	}
	sbuf_puts(b, "  </cpu>\n");
}

static void fmt_disk(struct sbuf *b, const struct domain_disk *k)
{
	sbuf_puts(b, "    <disk type='file' device='disk'>\n");
	sbuf_printf(b, "      <driver name='%s' type='raw'", k->driver_strand ? "strand" : "qemu");
	if (k->cache)
		sbuf_printf(b, " cache='%s'", cache_names[k->cache]);
	if (k->io)
		sbuf_printf(b, " io='%s'", io_names[k->io]);
	if (k->iothread)
		sbuf_printf(b, " iothread='%u'", k->iothread);
	if (k->queues)
		sbuf_printf(b, " queues='%u'", k->queues);
	sbuf_puts(b, "/>\n      <source");
	attr(b, "file", k->path);
	sbuf_printf(b, "/>\n      <target dev='%s' bus='virtio'/>\n", k->target);
	if (k->readonly)
		sbuf_puts(b, "      <readonly/>\n");
	if (k->serial[0])
		text_elem(b, 3, "serial", k->serial);
	sbuf_puts(b, "    </disk>\n");
}

/* The <source> of the serial (and of the console that mirrors it). */
static void serial_source(struct sbuf *b, const struct domain_def *d, bool live)
{
	const char *path = d->serial == DOMAIN_CHR_FILE	       ? d->serial_path :
			   d->serial == DOMAIN_CHR_PTY && live ? d->serial_pty :
								 NULL;

	if (!path)
		return;
	sbuf_puts(b, "      <source");
	attr(b, "path", path);
	sbuf_puts(b, "/>\n");
}

static void fmt_devices(struct sbuf *b, const struct domain_def *d, bool live)
{
	sbuf_puts(b, "  <devices>\n");
	if (d->emulator)
		text_elem(b, 2, "emulator", d->emulator);
	for (unsigned i = 0; i < d->ndisks; i++)
		fmt_disk(b, &d->disk[i]);
	if (d->serial) {
		sbuf_printf(b, "    <serial type='%s'>\n", chr_names[d->serial]);
		serial_source(b, d, live);
		sbuf_puts(b, "      <target type='isa-serial' port='0'>\n"
			     "        <model name='isa-serial'/>\n"
			     "      </target>\n"
			     "    </serial>\n");
		sbuf_printf(b, "    <console type='%s'", chr_names[d->serial]);
		if (d->serial == DOMAIN_CHR_PTY && live && d->serial_pty)
			attr(b, "tty", d->serial_pty);
		sbuf_puts(b, ">\n");
		serial_source(b, d, live);
		sbuf_puts(b, "      <target type='serial' port='0'/>\n    </console>\n");
	}
	if (d->vconsole) {
		sbuf_printf(b, "    <console type='%s'>\n      <source", chr_names[d->vconsole]);
		if (d->vconsole == DOMAIN_CHR_UNIX)
			sbuf_puts(b, " mode='bind'");
		attr(b, "path", d->vconsole_path);
		sbuf_puts(b, "/>\n      <target type='virtio' port='0'/>\n    </console>\n");
	}
	if (d->memballoon_none)
		sbuf_puts(b, "    <memballoon model='none'/>\n");
	if (d->rng == DOMAIN_RNG_RANDOM)
		sbuf_puts(b, "    <rng model='virtio'>\n"
			     "      <backend model='random'>/dev/urandom</backend>\n"
			     "    </rng>\n");
	else if (d->rng == DOMAIN_RNG_BUILTIN)
		sbuf_puts(b, "    <rng model='virtio'>\n"
			     "      <backend model='builtin'/>\n"
			     "    </rng>\n");
	sbuf_puts(b, "  </devices>\n");
}

int domain_format(const struct domain_def *d, unsigned flags, char **out, struct domain_error *err)
{
	bool live = flags & DOMAIN_XML_LIVE;
	struct sbuf b = { 0 };
	char uuid[37];

	*out = NULL;
	sbuf_puts(&b, "<domain type='kvm'");
	if (live && d->id >= 0)
		sbuf_printf(&b, " id='%d'", d->id);
	sbuf_puts(&b, ">\n");
	text_elem(&b, 1, "name", d->name);
	text_elem(&b, 1, "uuid", domain_uuid_format(d->uuid, uuid));
	if (d->title)
		text_elem(&b, 1, "title", d->title);
	if (d->description)
		text_elem(&b, 1, "description", d->description);
	fmt_metadata(&b, d);
	sbuf_printf(&b, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", d->memory_bytes >> 10);
	sbuf_printf(&b, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n",
		    d->memory_bytes >> 10);
	if (d->hugepages || d->alloc) {
		sbuf_puts(&b, "  <memoryBacking>\n");
		if (d->hugepages)
			sbuf_puts(&b, "    <hugepages/>\n");
		if (d->alloc)
			sbuf_printf(&b, "    <allocation mode='%s'/>\n",
				    d->alloc == DOMAIN_ON ? "immediate" : "ondemand");
		sbuf_puts(&b, "  </memoryBacking>\n");
	}
	sbuf_printf(&b, "  <vcpu placement='%s'", d->placement_auto ? "auto" : "static");
	if (d->has_cpuset)
		cpuset_attr(&b, "cpuset", &d->cpuset);
	sbuf_printf(&b, ">%u</vcpu>\n", d->vcpus);
	if (d->niothreads) {
		sbuf_printf(&b, "  <iothreads>%u</iothreads>\n  <iothreadids>\n", d->niothreads);
		for (unsigned i = 0; i < d->niothreads; i++)
			sbuf_printf(&b, "    <iothread id='%u'/>\n", d->iothread[i].id);
		sbuf_puts(&b, "  </iothreadids>\n");
	}
	fmt_cputune(&b, d);
	fmt_numatune(&b, d);
	fmt_os(&b, d);
	fmt_features(&b, d);
	fmt_cpu(&b, d);
	if (d->clock_utc)
		sbuf_puts(&b, "  <clock offset='utc'/>\n");
	sbuf_printf(&b, "  <on_poweroff>%s</on_poweroff>\n", lifecycle_names[d->on_poweroff]);
	sbuf_printf(&b, "  <on_reboot>%s</on_reboot>\n", lifecycle_names[d->on_reboot]);
	sbuf_printf(&b, "  <on_crash>%s</on_crash>\n", lifecycle_names[d->on_crash]);
	fmt_devices(&b, d, live);
	sbuf_puts(&b, "</domain>\n");
	*out = sbuf_take(&b);
	if (!*out)
		return domain_err_nomem(err);
	return 0;
}
