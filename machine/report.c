/* report.c - result summaries and JSON output. Main thread after the VM stopped. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "machine/builder.h"
#include "machine/report.h"
#include "core/mguest.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "strand-config.h"
#include "util/stats.h"

void report_print(const struct mguest *g, FILE *f)
{
	for (unsigned i = 0; i < g->nresults; i++) {
		const struct mguest_result *r = &g->results[i];
		struct stats_summary s;

		if (!r->is_samples) {
			fprintf(f, "result  vcpu%-3u %-24s %14.3f %s\n", r->vcpu, r->name, r->value,
				r->unit);
			continue;
		}
		if (stats_summarize(r->samples, r->nsamples, &s))
			continue;
		fprintf(f,
			"samples vcpu%-3u %-24s n=%zu median %.1f p90 %.1f p99 %.1f min %.1f "
			"max %.1f %s\n",
			r->vcpu, r->name, s.n, s.p50, s.p90, s.p99, s.min, s.max, r->unit);
	}
}

static json_object *summary_json(const struct stats_summary *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int64((int64_t)s->n));
	json_object_object_add(o, "mean", json_object_new_double(s->mean));
	json_object_object_add(o, "stdev", json_object_new_double(s->stdev));
	json_object_object_add(o, "min", json_object_new_double(s->min));
	json_object_object_add(o, "p50", json_object_new_double(s->p50));
	json_object_object_add(o, "p90", json_object_new_double(s->p90));
	json_object_object_add(o, "p99", json_object_new_double(s->p99));
	json_object_object_add(o, "max", json_object_new_double(s->max));
	return o;
}

int report_write_json_multi(struct machine *const *ms, unsigned n, int exit_status,
			    const char *path, struct errbuf *err)
{
	const struct machine *m = ms[0];
	json_object *vms = json_object_new_array();
	json_object *root = json_object_new_object();
	json_object *results = json_object_new_array();
	json_object *vcpus = json_object_new_array();
	int ret = 0;

	json_object_object_add(root, "strand_version", json_object_new_string(STRAND_VERSION));
	json_object_object_add(root, "git_revision", json_object_new_string(STRAND_GIT_REV));
	json_object_object_add(root, "guest", json_object_new_string(m->image_name));
	json_object_object_add(root, "vcpus", json_object_new_int((int)m->cfg.vcpus));
	json_object_object_add(root, "guest_cpl", json_object_new_int((int)m->cfg.cpl));
	json_object_object_add(root, "kvm", json_object_new_string(kvm_kind_name(m->kvm.kind)));
	json_object_object_add(root, "exit_status", json_object_new_int(exit_status));
	json_object_object_add(root, "stop_reason",
			       json_object_new_string(vm_stop_reason_name(m->vm->stop_reason)));
	json_object_object_add(root, "wall_ns",
			       json_object_new_int64((int64_t)(m->stop_ns - m->start_ns)));
	for (unsigned k = 0; k < n; k++) {
		const struct machine *mk = ms[k];
		json_object *vo = json_object_new_object();

		json_object_object_add(vo, "name", json_object_new_string(mk->cfg.name));
		json_object_object_add(vo, "guest", json_object_new_string(mk->image_name));
		json_object_object_add(vo, "exit_status",
				       json_object_new_int(vm_exit_status(mk->vm)));
		json_object_object_add(
			vo, "stop_reason",
			json_object_new_string(vm_stop_reason_name(mk->vm->stop_reason)));
		json_object_array_add(vms, vo);
		for (unsigned i = 0; mk->mg && i < mk->mg->nresults; i++) {
			const struct mguest_result *r = &mk->mg->results[i];
			json_object *o = json_object_new_object();
			char name[80];

			/* With several VMs, "vm1.acquisitions": one name space for every result. */
			snprintf(name, sizeof(name), "%s%s%s", n > 1 ? mk->cfg.name : "",
				 n > 1 ? "." : "", r->name);
			json_object_object_add(o, "vm", json_object_new_string(mk->cfg.name));
			json_object_object_add(o, "vcpu", json_object_new_int((int)r->vcpu));
			json_object_object_add(o, "name", json_object_new_string(name));
			json_object_object_add(o, "unit", json_object_new_string(r->unit));
			if (r->is_samples) {
				json_object *arr = json_object_new_array_ext((int)r->nsamples);
				struct stats_summary s;

				for (uint64_t s_i = 0; s_i < r->nsamples; s_i++)
					json_object_array_add(
						arr, json_object_new_double(r->samples[s_i]));
				json_object_object_add(o, "samples", arr);
				if (stats_summarize(r->samples, r->nsamples, &s) == 0)
					json_object_object_add(o, "summary", summary_json(&s));
			} else {
				json_object_object_add(o, "value",
						       json_object_new_double(r->value));
			}
			json_object_array_add(results, o);
		}
	}
	json_object_object_add(root, "results", results);
	json_object_object_add(root, "vms", vms);
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < ms[k]->vm->nr_vcpus; i++) {
			const struct vcpu *v = ms[k]->vm->vcpus[i];
			json_object *o = json_object_new_object();
			json_object *exits = json_object_new_object();

			for (unsigned e = 0; e < EXIT_KIND_COUNT; e++) {
				uint64_t c = __atomic_load_n(&v->stats.exits[e], __ATOMIC_RELAXED);

				if (c)
					json_object_object_add(exits,
							       exit_kind_name((enum exit_kind)e),
							       json_object_new_int64((int64_t)c));
			}
			json_object_object_add(o, "vm", json_object_new_string(ms[k]->cfg.name));
			json_object_object_add(o, "index", json_object_new_int((int)i));
			json_object_object_add(o, "apic_id", json_object_new_int((int)v->apic_id));
			json_object_object_add(o, "exits", exits);
			json_object_array_add(vcpus, o);
		}
	json_object_object_add(root, "vcpu_stats", vcpus);
	if (json_object_to_file_ext(path, root,
				    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE))
		ret = errbuf_set(err, -EIO, "--results-json %s: %s", path,
				 json_util_get_last_err());
	json_object_put(root);
	return ret;
}

int report_write_json(struct machine *m, int exit_status, const char *path, struct errbuf *err)
{
	return report_write_json_multi(&m, 1, exit_status, path, err);
}
