/* stats.c - per-vCPU scheduling and exit statistics. Main thread after the VMs stopped. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "machine/builder.h"
#include "machine/stats.h"
#include "core/guest/abi.h"
#include "core/mguest.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "sched/strategy.h"

struct row {
	const char *vm;
	unsigned vcpu;
	uint64_t run_ns, delay_ns, slices, vcs, ics;
	uint64_t exits, io, mmio, hlt_exits, intr;
	uint64_t poll_ok, poll_try, poll_ok_ns, poll_fail_ns, halt_wait_ns;
	uint64_t steal_ns;
	bool steal_known;
	uint64_t parked_ns;
};

/* struct kvm_steal_time: steal (u64) at offset 0, version (u32) at 8. */
static bool guest_steal(struct machine *m, unsigned i, uint64_t *steal)
{
	uint64_t gpa;

	if (!m->mg || !m->cfg.stats)
		return false;
	gpa = m->mg->percpu_base + (uint64_t)i * m->mg->percpu_stride + SG_PERCPU_OFF_STEAL;
	return memmap_read(&m->vm->mem, gpa, steal, sizeof(*steal)) == 0 && *steal != ~0ULL;
}

static void fill(struct machine *m, unsigned i, const struct sched_ctl *s, unsigned k,
		 struct row *r)
{
	struct vcpu *v = m->vm->vcpus[i];

	memset(r, 0, sizeof(*r));
	r->vm = m->cfg.name;
	r->vcpu = i;
	r->run_ns = v->stats.run_ns;
	r->delay_ns = v->stats.delay_ns;
	r->slices = v->stats.timeslices;
	r->vcs = v->stats.voluntary_cs;
	r->ics = v->stats.involuntary_cs;
	r->io = v->stats.exits[EXIT_IO];
	r->mmio = v->stats.exits[EXIT_MMIO];
	r->intr = v->stats.exits[EXIT_INTR];
	if (v->kstats.fd >= 0 && kvm_stats_read(&v->kstats) == 0) {
		r->exits = kvm_stats_get(&v->kstats, "exits");
		r->hlt_exits = kvm_stats_get(&v->kstats, "halt_exits");
		r->poll_ok = kvm_stats_get(&v->kstats, "halt_successful_poll");
		r->poll_try = kvm_stats_get(&v->kstats, "halt_attempted_poll");
		r->poll_ok_ns = kvm_stats_get(&v->kstats, "halt_poll_success_ns");
		r->poll_fail_ns = kvm_stats_get(&v->kstats, "halt_poll_fail_ns");
		r->halt_wait_ns = kvm_stats_get(&v->kstats, "halt_wait_ns");
	}
	r->steal_known = guest_steal(m, i, &r->steal_ns);
	if (s && k < s->nvcpus)
		r->parked_ns = __atomic_load_n(&s->vcpus[k].parked_total_ns, __ATOMIC_RELAXED);
}

void stats_print(struct machine *const *m, unsigned n, const struct sched_ctl *s, uint64_t wall_ns,
		 FILE *f)
{
	unsigned k = 0;

	fprintf(f, "%-8s %4s %9s %9s %7s %7s %8s %8s %8s %7s %11s %9s %9s %9s\n", "VM", "vCPU",
		"run ms", "delay ms", "share%", "invol", "exits", "pio", "mmio", "halts",
		"poll ok/try", "poll ms", "steal ms", "parked ms");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned i = 0; i < m[j]->vm->nr_vcpus; i++, k++) {
			struct row r;
			char steal[16];

			fill(m[j], i, s, k, &r);
			if (r.steal_known)
				snprintf(steal, sizeof(steal), "%.1f", r.steal_ns / 1e6);
			else
				snprintf(steal, sizeof(steal), "-");
			fprintf(f,
				"%-8s %4u %9.1f %9.1f %7.1f %7llu %8llu %8llu %8llu %7llu %5llu/%-5llu "
				"%9.1f %9s %9.1f\n",
				r.vm, r.vcpu, r.run_ns / 1e6, r.delay_ns / 1e6,
				wall_ns ? 100.0 * (double)r.run_ns / (double)wall_ns : 0.0,
				(unsigned long long)r.ics, (unsigned long long)r.exits,
				(unsigned long long)r.io, (unsigned long long)r.mmio,
				(unsigned long long)r.hlt_exits, (unsigned long long)r.poll_ok,
				(unsigned long long)r.poll_try,
				(r.poll_ok_ns + r.poll_fail_ns) / 1e6, steal, r.parked_ns / 1e6);
		}
	}
	for (unsigned j = 0; j < n; j++) {
		for (unsigned i = 0; i < m[j]->nnets_up; i++) {
			char line[768];

			vnet_stats_format(&m[j]->nets[i], line, sizeof(line));
			fprintf(f, "%-8s net%u %s\n", m[j]->cfg.name, i, line);
		}
	}
	if (s)
		fprintf(f, "strategy %s: %llu ticks, %llu park/release decisions\n",
			sched_kind_name(s->cfg.kind), (unsigned long long)s->ticks,
			(unsigned long long)s->gates);
}

int stats_write_json(struct machine *const *m, unsigned n, const struct sched_ctl *s,
		     uint64_t wall_ns, const char *path, struct errbuf *err)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	unsigned k = 0;
	int ret = 0;

	json_object_object_add(root, "wall_ns", json_object_new_int64((int64_t)wall_ns));
	json_object_object_add(root, "strategy",
			       json_object_new_string(s ? sched_kind_name(s->cfg.kind) : "host"));
	for (unsigned j = 0; j < n; j++) {
		for (unsigned i = 0; i < m[j]->vm->nr_vcpus; i++, k++) {
			json_object *o = json_object_new_object();
			struct row r;

			fill(m[j], i, s, k, &r);
#define ADD(name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))
			json_object_object_add(o, "vm", json_object_new_string(r.vm));
			ADD("vcpu", r.vcpu);
			ADD("run_ns", r.run_ns);
			ADD("run_delay_ns", r.delay_ns);
			ADD("timeslices", r.slices);
			ADD("voluntary_switches", r.vcs);
			ADD("involuntary_switches", r.ics);
			ADD("kvm_exits", r.exits);
			ADD("pio_exits", r.io);
			ADD("mmio_exits", r.mmio);
			ADD("signal_exits", r.intr);
			ADD("halt_exits", r.hlt_exits);
			ADD("halt_successful_poll", r.poll_ok);
			ADD("halt_attempted_poll", r.poll_try);
			ADD("halt_poll_success_ns", r.poll_ok_ns);
			ADD("halt_poll_fail_ns", r.poll_fail_ns);
			ADD("halt_wait_ns", r.halt_wait_ns);
			ADD("parked_ns", r.parked_ns);
			if (r.steal_known)
				ADD("guest_steal_ns", r.steal_ns);
#undef ADD
			json_object_array_add(arr, o);
		}
		if (s && j < s->nvms) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "vm", json_object_new_string(m[j]->cfg.name));
			json_object_object_add(
				o, "cpu_ns",
				json_object_new_int64((int64_t)s->vms[j].cpu_total_ns));
			json_object_object_add(o, "weight",
					       json_object_new_int((int)s->vms[j].weight));
			json_object_object_add(o, "cap_pct",
					       json_object_new_int((int)s->vms[j].cap_pct));
			if (!json_object_object_get_ex(root, "vms", NULL))
				json_object_object_add(root, "vms", json_object_new_array());
			json_object_array_add(json_object_object_get(root, "vms"), o);
		}
	}
	json_object_object_add(root, "vcpus", arr);
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY))
		ret = errbuf_set(err, -EIO, "--stats-json %s: %s", path, json_util_get_last_err());
	json_object_put(root);
	return ret;
}
