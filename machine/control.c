/*
 * control.c - strand run's QMP commands and events (control.h, docs/monitor.md). Main thread:
 * the handlers run on the main loop, between other main-loop work, one command at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acpi.h"
#include "core/mguest.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "iothreads/ioloop.h"
#include "iothreads/iothread.h"
#include "machine/builder.h"
#include "machine/control.h"
#include "machine/run.h"
#include "monitor/qmp.h"
#include "sched/place.h"
#include "sched/strategy.h"
#include "sched/topology.h"
#include "strand-config.h"
#include "util/clock.h"
#include "util/log.h"

/* The monitor's own state. Main thread only. */
struct control {
	struct qmp_server *qmp;
	struct kvm_stats vmstats[RUN_MAX_VMS]; /* KVM's VM-wide stats, opened on first query */
	bool vmstats_tried[RUN_MAX_VMS];
	cpu_set_t allowed; /* the CPUs this process may use (its affinity at start) */
	char package[96];
};

static struct control *ctl_of(struct run *r)
{
	return r->ctl;
}

static void event(struct run *r, const char *name, json_object *data)
{
	if (r->ctl && r->ctl->qmp)
		qmp_server_event(r->ctl->qmp, name, data);
	else
		json_object_put(data);
}

/* The "vm" argument (several VMs in one process): its index, default the first. */
static int pick_vm(struct run *r, json_object *args, unsigned *out, struct qmp_error *e)
{
	const char *name = qmp_arg_str(args, "vm", NULL);

	*out = 0;
	if (!name)
		return 0;
	for (unsigned i = 0; i < r->nvms; i++) {
		if (strcmp(r->cfg[i].name, name) == 0) {
			*out = i;
			return 0;
		}
	}
	return qmp_err(e, "DeviceNotFound", "VM '%.32s' not found", name);
}

/* Every VM, or the one "vm" names: [first, end). */
static int vm_range(struct run *r, json_object *args, unsigned *first, unsigned *end,
		    struct qmp_error *e)
{
	if (!qmp_arg_has(args, "vm")) {
		*first = 0;
		*end = r->nvms;
		return 0;
	}
	if (pick_vm(r, args, first, e))
		return -EINVAL;
	*end = *first + 1;
	return 0;
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static const char *status_of(struct run *r, unsigned vm)
{
	struct vm *v = r->m[vm]->vm;

	if (vm_stopping(v)) {
		switch (v->stop_reason) {
		case VM_STOP_CRASH:
		case VM_STOP_GUEST_FAIL:
			return "guest-panicked";
		case VM_STOP_HOST_ERROR:
			return "internal-error";
		default:
			return "shutdown";
		}
	}
	if (r->paused[vm])
		return r->state == RUN_PRELAUNCH ? "prelaunch" : "paused";
	return "running";
}

/* ---- lifecycle ---- */

int control_pause(struct run *r, int vm, bool pause)
{
	unsigned first = vm < 0 ? 0 : (unsigned)vm, end = vm < 0 ? r->nvms : (unsigned)vm + 1;
	bool changed = false;
	int ret = 0;

	for (unsigned i = first; i < end; i++) {
		if (r->paused[i] == pause || vm_stopping(r->m[i]->vm))
			continue;
		if (pause) {
			if (vm_pause(r->m[i]->vm))
				ret = -ESHUTDOWN;
		} else {
			vm_resume(r->m[i]->vm);
		}
		r->paused[i] = pause;
		changed = true;
	}
	if (!pause)
		r->state = RUN_RUNNING;
	if (changed) {
		json_object *data = NULL;

		if (r->nvms > 1 && vm >= 0) {
			data = json_object_new_object();
			json_object_object_add(data, "x-strand-vm", jstr(r->cfg[vm].name));
		}
		event(r, pause ? "STOP" : "RESUME", data);
	}
	return ret;
}

static int cmd_query_status(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;
	const char *st;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	st = status_of(r, vm);
	*ret = json_object_new_object();
	json_object_object_add(*ret, "status", jstr(st));
	json_object_object_add(*ret, "singlestep", json_object_new_boolean(false));
	json_object_object_add(*ret, "running",
			       json_object_new_boolean(strcmp(st, "running") == 0));
	return 0;
}

static int cmd_stop(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;

	(void)ret;
	if (qmp_arg_has(args, "vm")) {
		if (pick_vm(r, args, &vm, e))
			return -EINVAL;
		control_pause(r, (int)vm, true);
	} else {
		control_pause(r, -1, true);
	}
	return 0;
}

static int cmd_cont(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;

	(void)ret;
	if (qmp_arg_has(args, "vm")) {
		if (pick_vm(r, args, &vm, e))
			return -EINVAL;
		control_pause(r, (int)vm, false);
	} else {
		control_pause(r, -1, false);
	}
	return 0;
}

/*
 * The power button: micro-guests get the kit's request (mguest_powerdown), Linux guests a
 * press of the ACPI button (the GED's event and interrupt: devices/ged.h). Flat binaries get
 * no ACPI tables and poll nothing: they have no button, and the command is refused for every
 * VM named before any button is pressed.
 */
static int cmd_system_powerdown(void *opaque, json_object *args, json_object **ret,
				struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned first, end;

	(void)ret;
	if (vm_range(r, args, &first, &end, e))
		return -EINVAL;
	for (unsigned i = first; i < end; i++) {
		if (!r->m[i]->mg && !r->m[i]->ged_up)
			return qmp_err(e, "GenericError",
				       "system_powerdown: VM '%s' has no power button: a flat "
				       "binary gets no ACPI tables and polls no request (use quit "
				       "or system_reset)",
				       r->cfg[i].name);
	}
	for (unsigned i = first; i < end; i++) {
		int rc;

		if (vm_stopping(r->m[i]->vm))
			continue;
		if (r->m[i]->mg)
			rc = mguest_powerdown(r->m[i]->mg);
		else
			rc = ged_raise(&r->m[i]->ged, ACPI_GED_EVT_PWRBTN);
		if (rc)
			return qmp_err(e, "GenericError", "system_powerdown: %s", strerror(-rc));
	}
	event(r, "POWERDOWN", NULL);
	return 0;
}

static int cmd_system_reset(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned first, end;

	(void)ret;
	if (vm_range(r, args, &first, &end, e))
		return -EINVAL;
	/* As QEMU with -no-reboot: a reset ends the run; a supervisor starts the VM again. */
	for (unsigned i = first; i < end; i++) {
		if (!r->stop_cause[i])
			r->stop_cause[i] = "host-qmp-system-reset";
		vm_request_stop(r->m[i]->vm, VM_STOP_RESET, 0);
	}
	return 0;
}

static int cmd_quit(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;

	(void)args;
	(void)ret;
	(void)e;
	for (unsigned i = 0; i < r->nvms; i++) {
		if (!r->stop_cause[i])
			r->stop_cause[i] = "host-qmp-quit";
		vm_request_stop(r->m[i]->vm, VM_STOP_REQUESTED, 0);
	}
	return 0;
}

void control_signal_stop(struct run *r, int sig)
{
	(void)sig;
	for (unsigned i = 0; i < r->nvms; i++) {
		if (!r->stop_cause[i])
			r->stop_cause[i] = "host-signal";
	}
}

void control_vm_stopped(struct run *r, unsigned vm)
{
	struct vm *v = r->m[vm]->vm;
	const char *reason = r->stop_cause[vm];
	bool guest = false;
	json_object *data;

	if (!reason) {
		switch (v->stop_reason) {
		case VM_STOP_GUEST_DONE:
		case VM_STOP_GUEST_EXIT:
		case VM_STOP_POWEROFF:
			reason = "guest-shutdown";
			guest = true;
			break;
		case VM_STOP_RESET:
			reason = "guest-reset";
			guest = true;
			break;
		case VM_STOP_CRASH:
		case VM_STOP_GUEST_FAIL:
			reason = "guest-panic";
			guest = true;
			break;
		case VM_STOP_TIMEOUT:
			reason = "x-strand-timeout";
			break;
		case VM_STOP_SIGNAL:
			reason = "host-signal";
			break;
		case VM_STOP_REQUESTED:
			reason = "host-qmp-quit";
			break;
		case VM_STOP_HOST_ERROR:
		case VM_STOP_NONE:
		default:
			reason = "host-error";
			break;
		}
	}
	if (v->stop_reason == VM_STOP_CRASH || v->stop_reason == VM_STOP_GUEST_FAIL) {
		data = json_object_new_object();
		json_object_object_add(data, "action", jstr("poweroff"));
		event(r, "GUEST_PANICKED", data);
		data = json_object_new_object();
		json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
		json_object_object_add(data, "reason", jstr(vm_stop_reason_name(v->stop_reason)));
		json_object_object_add(data, "exit-status", jint(vm_exit_status(v)));
		event(r, "X-STRAND-GUEST-CRASH", data);
	}
	data = json_object_new_object();
	json_object_object_add(data, "guest", json_object_new_boolean(guest));
	json_object_object_add(data, "reason", jstr(reason));
	if (r->nvms > 1)
		json_object_object_add(data, "x-strand-vm", jstr(r->cfg[vm].name));
	event(r, "SHUTDOWN", data);
}

/* ---- queries QEMU has ---- */

static int cmd_query_kvm(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)args;
	(void)e;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "enabled", json_object_new_boolean(true));
	json_object_object_add(*ret, "present", json_object_new_boolean(true));
	return 0;
}

static int cmd_query_name(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	*ret = json_object_new_object();
	json_object_object_add(*ret, "name", jstr(r->cfg[vm].name));
	return 0;
}

/*
 * QEMU's query-chardev: the serial console, labelled as libvirt labels it (charserial0);
 * "filename" is QEMU's ("pty:/dev/pts/N" for --console pty: strandd opens that for virsh
 * console). The UART always has it open (frontend-open).
 */
static int cmd_query_chardev(void *opaque, json_object *args, json_object **ret,
			     struct qmp_error *e)
{
	struct run *r = opaque;
	struct machine *m;
	json_object *o;
	char name[96];
	unsigned vm;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	m = r->m[vm];
	*ret = json_object_new_array();
	if (!m->console_open)
		return 0;
	chardev_filename(&m->console, name, sizeof(name));
	o = json_object_new_object();
	json_object_object_add(o, "frontend-open", json_object_new_boolean(true));
	json_object_object_add(o, "filename", jstr(name));
	json_object_object_add(o, "label", jstr("charserial0"));
	json_object_array_add(*ret, o);
	return 0;
}

static void vcpu_props(struct run *r, unsigned vm, unsigned i, json_object *props)
{
	const struct cpu_topology *t = &r->m[vm]->vm->topo;
	unsigned threads = t->threads ? t->threads : 1, cores = t->cores ? t->cores : 1;
	const struct gnuma *g = &r->cfg[vm].gnuma;

	json_object_object_add(props, "core-id", jint((i / threads) % cores));
	json_object_object_add(props, "thread-id", jint(i % threads));
	json_object_object_add(props, "socket-id", jint(i / (threads * cores)));
	for (unsigned n = 0; n < g->nr_nodes; n++) {
		if (CPU_ISSET(i, &g->node[n].vcpus))
			json_object_object_add(props, "node-id", jint(n));
	}
}

static int cmd_query_cpus_fast(void *opaque, json_object *args, json_object **ret,
			       struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;
	struct vm *v;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	v = r->m[vm]->vm;
	*ret = json_object_new_array();
	for (unsigned i = 0; i < v->nr_vcpus; i++) {
		json_object *o = json_object_new_object(), *props = json_object_new_object();
		char path[64];

		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_object_object_add(o, "thread-id", jint(v->vcpus[i]->thread.tid));
		vcpu_props(r, vm, i, props);
		json_object_object_add(o, "props", props);
		json_object_object_add(o, "qom-path", jstr(path));
		json_object_object_add(o, "cpu-index", jint(i));
		json_object_object_add(o, "target", jstr("x86_64"));
		json_object_array_add(*ret, o);
	}
	return 0;
}

static int cmd_query_iothreads(void *opaque, json_object *args, json_object **ret,
			       struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned vm;
	struct machine *m;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	m = r->m[vm];
	*ret = json_object_new_array();
	for (unsigned i = 0; i < m->niothreads; i++) {
		const struct iothread *t = &m->iothreads[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "poll-shrink", jint(t->opts.poll_shrink));
		json_object_object_add(o, "thread-id", jint(t->thread.tid));
		json_object_object_add(o, "aio-max-batch", jint(0));
		json_object_object_add(o, "poll-grow", jint(t->opts.poll_grow));
		json_object_object_add(o, "poll-max-ns", jint((int64_t)t->opts.poll_ns));
		json_object_object_add(o, "id", jstr(t->opts.name));
		json_object_array_add(*ret, o);
	}
	return 0;
}

/* query-stats: KVM's binary stats as QEMU presents them (provider "kvm"). */
static const char *stat_type(uint32_t flags)
{
	switch (flags & KVM_STATS_TYPE_MASK) {
	case KVM_STATS_TYPE_INSTANT:
		return "instant";
	case KVM_STATS_TYPE_PEAK:
		return "peak";
	case KVM_STATS_TYPE_LINEAR_HIST:
		return "linear-histogram";
	case KVM_STATS_TYPE_LOG_HIST:
		return "log2-histogram";
	case KVM_STATS_TYPE_CUMULATIVE:
	default:
		return "cumulative";
	}
}

static const char *stat_unit(uint32_t flags)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_SECONDS:
		return "seconds";
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
#ifdef KVM_STATS_UNIT_BOOLEAN
	case KVM_STATS_UNIT_BOOLEAN:
		return "boolean";
#endif
	default:
		return NULL;
	}
}

static bool name_wanted(json_object *names, const char *name)
{
	if (!names)
		return true;
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		json_object *n = json_object_array_get_idx(names, i);

		if (json_object_is_type(n, json_type_string) &&
		    strcmp(json_object_get_string(n), name) == 0)
			return true;
	}
	return false;
}

static json_object *stats_values(struct kvm_stats *s, json_object *names)
{
	json_object *a = json_object_new_array();

	if (kvm_stats_read(s))
		return a;
	for (unsigned i = 0; i < s->n; i++) {
		const struct kvm_stat_desc *d = &s->desc[i];
		json_object *o, *v;
		const char *unit = stat_unit(d->flags);

		if (!name_wanted(names, d->name))
			continue;
		if (d->size > 1) {
			const uint64_t *vals = (const uint64_t *)(s->block + d->offset);

			v = json_object_new_array();
			for (unsigned k = 0; k < d->size; k++)
				json_object_array_add(v, jint((int64_t)vals[k]));
		} else if (unit && strcmp(unit, "boolean") == 0) {
			v = json_object_new_boolean(s->values[i] != 0);
		} else {
			v = jint((int64_t)s->values[i]);
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(d->name));
		json_object_object_add(o, "value", v);
		json_object_array_add(a, o);
	}
	return a;
}

static struct kvm_stats *vm_stats(struct run *r, unsigned vm)
{
	struct control *c = ctl_of(r);

	if (!c->vmstats_tried[vm]) {
		c->vmstats_tried[vm] = true;
		if (!r->m[vm]->kvm.has_binary_stats ||
		    kvm_stats_open(&c->vmstats[vm], r->m[vm]->vm->fd))
			c->vmstats[vm].fd = -1;
	}
	return c->vmstats[vm].fd >= 0 ? &c->vmstats[vm] : NULL;
}

/* The "providers" filter: NULL names for every stat; false if kvm is not asked for. */
static int stats_filter(json_object *args, json_object **names, bool *want, struct qmp_error *e)
{
	json_object *p;

	*names = NULL;
	*want = true;
	if (!json_object_object_get_ex(args, "providers", &p))
		return 0;
	*want = false;
	for (size_t i = 0; i < json_object_array_length(p); i++) {
		json_object *f = json_object_array_get_idx(p, i), *prov, *n = NULL;

		if (!json_object_is_type(f, json_type_object) ||
		    !json_object_object_get_ex(f, "provider", &prov) ||
		    !json_object_is_type(prov, json_type_string))
			return qmp_err(e, "GenericError", "Parameter 'provider' is missing");
		if (strcmp(json_object_get_string(prov), "kvm"))
			return qmp_err(e, "GenericError",
				       "Parameter 'provider' does not accept value '%.32s'",
				       json_object_get_string(prov));
		json_object_object_foreach(f, key, val)
		{
			if (strcmp(key, "provider") && strcmp(key, "names"))
				return qmp_err(e, "GenericError", "Parameter '%.32s' is unexpected",
					       key);
			(void)val;
		}
		if (json_object_object_get_ex(f, "names", &n) &&
		    !json_object_is_type(n, json_type_array))
			return qmp_err(e, "GenericError",
				       "Invalid parameter type for 'names', expected: array");
		*want = true;
		*names = n;
	}
	return 0;
}

static int cmd_query_stats(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	const char *target = qmp_arg_str(args, "target", "");
	json_object *names, *vcpus = NULL;
	unsigned vm;
	bool want;

	if (pick_vm(r, args, &vm, e) || stats_filter(args, &names, &want, e))
		return -EINVAL;
	if (strcmp(target, "vm") && strcmp(target, "vcpu"))
		return qmp_err(e, "GenericError",
			       "Parameter 'target' does not accept value '%.32s'", target);
	json_object_object_get_ex(args, "vcpus", &vcpus);
	if (vcpus && strcmp(target, "vcpu"))
		return qmp_err(e, "GenericError", "Parameter 'vcpus' is unexpected");
	*ret = json_object_new_array();
	if (!want)
		return 0;
	if (strcmp(target, "vm") == 0) {
		struct kvm_stats *s = vm_stats(r, vm);
		json_object *o;

		if (!s)
			return 0;
		o = json_object_new_object();
		json_object_object_add(o, "provider", jstr("kvm"));
		json_object_object_add(o, "stats", stats_values(s, names));
		json_object_array_add(*ret, o);
		return 0;
	}
	for (unsigned i = 0; i < r->m[vm]->vm->nr_vcpus; i++) {
		struct vcpu *v = r->m[vm]->vm->vcpus[i];
		json_object *o;
		char path[64];

		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		if (vcpus && !name_wanted(vcpus, path))
			continue;
		if (v->kstats.fd < 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "provider", jstr("kvm"));
		json_object_object_add(o, "stats", stats_values(&v->kstats, names));
		json_object_object_add(o, "qom-path", jstr(path));
		json_object_array_add(*ret, o);
	}
	return 0;
}

static json_object *schema_of(const struct kvm_stats *s)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < s->n; i++) {
		const struct kvm_stat_desc *d = &s->desc[i];
		json_object *o = json_object_new_object();
		const char *unit = stat_unit(d->flags);
		uint32_t base = d->flags & KVM_STATS_BASE_MASK;

		json_object_object_add(o, "name", jstr(d->name));
		if (unit)
			json_object_object_add(o, "unit", jstr(unit));
		if (d->exponent)
			json_object_object_add(o, "base",
					       jint(base == KVM_STATS_BASE_POW2 ? 2 : 10));
		json_object_object_add(o, "exponent", jint(d->exponent));
		json_object_object_add(o, "type", jstr(stat_type(d->flags)));
		json_object_array_add(a, o);
	}
	return a;
}

static int cmd_query_stats_schemas(void *opaque, json_object *args, json_object **ret,
				   struct qmp_error *e)
{
	struct run *r = opaque;
	const char *prov = qmp_arg_str(args, "provider", "kvm");
	struct kvm_stats *s;
	json_object *o;

	if (strcmp(prov, "kvm"))
		return qmp_err(e, "GenericError",
			       "Parameter 'provider' does not accept value '%.32s'", prov);
	*ret = json_object_new_array();
	s = vm_stats(r, 0);
	if (s) {
		o = json_object_new_object();
		json_object_object_add(o, "provider", jstr("kvm"));
		json_object_object_add(o, "target", jstr("vm"));
		json_object_object_add(o, "stats", schema_of(s));
		json_object_array_add(*ret, o);
	}
	if (r->m[0]->vm->nr_vcpus && r->m[0]->vm->vcpus[0]->kstats.fd >= 0) {
		o = json_object_new_object();
		json_object_object_add(o, "provider", jstr("kvm"));
		json_object_object_add(o, "target", jstr("vcpu"));
		json_object_object_add(o, "stats", schema_of(&r->m[0]->vm->vcpus[0]->kstats));
		json_object_array_add(*ret, o);
	}
	return 0;
}

/* ---- threads: affinity and policy ---- */

static int parse_cpus(struct run *r, const char *s, cpu_set_t *out, struct qmp_error *e)
{
	struct control *c = ctl_of(r);
	char buf[64];

	if (strcmp(s, "all") == 0) {
		*out = c->allowed;
		return 0;
	}
	if (topo_parse_cpulist(s, out) || !CPU_COUNT(out))
		return qmp_err(e, "GenericError",
			       "'cpus': expected a CPU list such as 0-3,6 or \"all\", got '%.64s'",
			       s);
	for (unsigned i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, out) && !CPU_ISSET(i, &c->allowed))
			return qmp_err(e, "GenericError",
				       "'cpus': CPU %u is not available to this process (%s)", i,
				       topo_format_cpulist(&c->allowed, buf, sizeof(buf)));
	}
	return 0;
}

static json_object *thread_info(pid_t tid)
{
	json_object *o = json_object_new_object();
	struct sched_param sp = { 0 };
	cpu_set_t set;
	char buf[256];
	int pol;

	json_object_object_add(o, "thread-id", jint(tid));
	if (sched_getaffinity(tid, sizeof(set), &set) == 0)
		json_object_object_add(o, "cpus",
				       jstr(topo_format_cpulist(&set, buf, sizeof(buf))));
	pol = sched_getscheduler(tid);
	json_object_object_add(o, "policy",
			       jstr(pol == SCHED_FIFO  ? "fifo" :
				    pol == SCHED_RR    ? "rr" :
				    pol == SCHED_IDLE  ? "idle" :
				    pol == SCHED_BATCH ? "batch" :
				    pol < 0	       ? "gone" :
							 "other"));
	if (sched_getparam(tid, &sp) == 0)
		json_object_object_add(o, "priority", jint(sp.sched_priority));
	return o;
}

static bool is_vm_thread(struct run *r, pid_t tid)
{
	for (unsigned i = 0; i < r->nvms; i++) {
		struct machine *m = r->m[i];

		for (unsigned j = 0; j < m->vm->nr_vcpus; j++) {
			if (m->vm->vcpus[j]->thread.tid == tid)
				return true;
		}
		for (unsigned j = 0; j < m->niothreads; j++) {
			if (m->iothreads[j].thread.tid == tid)
				return true;
		}
	}
	return false;
}

/* The emulator threads (libvirt's word): every thread that is neither a vCPU nor an iothread. */
static unsigned emulator_tids(struct run *r, pid_t *out, unsigned max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && !is_vm_thread(r, tid))
			out[n++] = tid;
	}
	closedir(d);
	return n;
}

static void thread_name(pid_t tid, char *buf, size_t len)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
	}
}

static int cmd_query_affinity(void *opaque, json_object *args, json_object **ret,
			      struct qmp_error *e)
{
	struct run *r = opaque;
	json_object *vcpus = json_object_new_array(), *ios = json_object_new_array();
	json_object *emu = json_object_new_array();
	unsigned first, end, n;
	pid_t tids[256];

	if (vm_range(r, args, &first, &end, e)) {
		json_object_put(vcpus);
		json_object_put(ios);
		json_object_put(emu);
		return -EINVAL;
	}
	for (unsigned i = first; i < end; i++) {
		struct machine *m = r->m[i];

		for (unsigned j = 0; j < m->vm->nr_vcpus; j++) {
			json_object *o = thread_info(m->vm->vcpus[j]->thread.tid);

			json_object_object_add(o, "vm", jstr(r->cfg[i].name));
			json_object_object_add(o, "cpu-index", jint(j));
			json_object_array_add(vcpus, o);
		}
		for (unsigned j = 0; j < m->niothreads; j++) {
			json_object *o = thread_info(m->iothreads[j].thread.tid);

			json_object_object_add(o, "vm", jstr(r->cfg[i].name));
			json_object_object_add(o, "id", jstr(m->iothreads[j].opts.name));
			json_object_array_add(ios, o);
		}
	}
	n = emulator_tids(r, tids, ARRAY_SIZE(tids));
	for (unsigned k = 0; k < n; k++) {
		json_object *o = thread_info(tids[k]);
		char name[32];

		thread_name(tids[k], name, sizeof(name));
		json_object_object_add(o, "name", jstr(name));
		json_object_array_add(emu, o);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vcpus", vcpus);
	json_object_object_add(*ret, "iothreads", ios);
	json_object_object_add(*ret, "emulator", emu);
	return 0;
}

static void tuning_event(struct run *r, const char *what, json_object *data)
{
	r->tunings++;
	json_object_object_add(data, "what", jstr(what));
	event(r, "X-STRAND-TUNING", data);
}

static int cmd_vcpu_pin(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	int64_t idx = qmp_arg_int(args, "cpu-index", -1);
	const char *cpus = qmp_arg_str(args, "cpus", "");
	json_object *data;
	cpu_set_t set;
	unsigned vm;
	struct vm *v;

	(void)ret;
	if (pick_vm(r, args, &vm, e) || parse_cpus(r, cpus, &set, e))
		return -EINVAL;
	v = r->m[vm]->vm;
	if (idx < 0 || idx >= (int64_t)v->nr_vcpus)
		return qmp_err(e, "GenericError", "'cpu-index' %lld is out of range (0..%u)",
			       (long long)idx, v->nr_vcpus - 1);
	if (sched_setaffinity(v->vcpus[idx]->thread.tid, sizeof(set), &set))
		return qmp_err(e, "GenericError", "vCPU %lld: sched_setaffinity: %s",
			       (long long)idx, strerror(errno));
	/* The pin is the vCPU's new base: a later strategy switch returns to it. */
	if (r->vcpu_base[vm])
		r->vcpu_base[vm][idx] = set;
	data = json_object_new_object();
	json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(data, "cpu-index", jint(idx));
	json_object_object_add(data, "cpus", jstr(cpus));
	tuning_event(r, "vcpu-pin", data);
	return 0;
}

static int cmd_iothread_pin(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	const char *id = qmp_arg_str(args, "id", ""), *cpus = qmp_arg_str(args, "cpus", "");
	struct machine *m;
	json_object *data;
	cpu_set_t set;
	unsigned vm, j;

	(void)ret;
	if (pick_vm(r, args, &vm, e) || parse_cpus(r, cpus, &set, e))
		return -EINVAL;
	m = r->m[vm];
	for (j = 0; j < m->niothreads && strcmp(m->iothreads[j].opts.name, id); j++)
		;
	if (j == m->niothreads)
		return qmp_err(e, "DeviceNotFound", "iothread '%.32s' not found", id);
	if (sched_setaffinity(m->iothreads[j].thread.tid, sizeof(set), &set))
		return qmp_err(e, "GenericError", "iothread %s: sched_setaffinity: %s", id,
			       strerror(errno));
	data = json_object_new_object();
	json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(data, "id", jstr(id));
	json_object_object_add(data, "cpus", jstr(cpus));
	tuning_event(r, "iothread-pin", data);
	return 0;
}

static int cmd_emulator_pin(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	const char *cpus = qmp_arg_str(args, "cpus", "");
	json_object *data;
	pid_t tids[256];
	cpu_set_t set;
	unsigned n;

	(void)ret;
	if (parse_cpus(r, cpus, &set, e))
		return -EINVAL;
	n = emulator_tids(r, tids, ARRAY_SIZE(tids));
	for (unsigned k = 0; k < n; k++) {
		/* A thread that exited meanwhile (ESRCH) is no longer an emulator thread. */
		if (sched_setaffinity(tids[k], sizeof(set), &set) && errno != ESRCH)
			return qmp_err(e, "GenericError", "thread %d: sched_setaffinity: %s",
				       (int)tids[k], strerror(errno));
	}
	data = json_object_new_object();
	json_object_object_add(data, "cpus", jstr(cpus));
	json_object_object_add(data, "threads", jint(n));
	tuning_event(r, "emulator-pin", data);
	return 0;
}

/* ---- strategies ---- */

int control_base_affinity(struct run *r)
{
	cpu_set_t all;

	if (sched_getaffinity(0, sizeof(all), &all))
		CPU_ZERO(&all);
	for (unsigned i = 0; i < r->nvms; i++) {
		unsigned n = r->m[i]->vm->nr_vcpus;

		r->vcpu_base[i] = calloc(n ? n : 1, sizeof(cpu_set_t));
		if (!r->vcpu_base[i])
			return -ENOMEM;
		for (unsigned j = 0; j < n; j++) {
			const struct thread_placement *pl =
				r->vcpu_pl[i] ? &r->vcpu_pl[i][j] : NULL;

			r->vcpu_base[i][j] = pl && pl->has_cpus ? pl->cpus : all;
		}
	}
	return 0;
}

static void for_each_vcpu_policy(struct run *r, int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	for (unsigned i = 0; i < r->nvms; i++) {
		struct vm *v = r->m[i]->vm;

		for (unsigned j = 0; j < v->nr_vcpus; j++)
			if (sched_setscheduler(v->vcpus[j]->thread.tid, policy, &sp) &&
			    errno != ESRCH)
				log_warn("vCPU %s/%u: sched_setscheduler: %s", r->cfg[i].name, j,
					 strerror(errno));
	}
}

static void restore_base_affinity(struct run *r)
{
	for (unsigned i = 0; i < r->nvms; i++) {
		struct vm *v = r->m[i]->vm;

		for (unsigned j = 0; j < v->nr_vcpus && r->vcpu_base[i]; j++)
			if (sched_setaffinity(v->vcpus[j]->thread.tid, sizeof(cpu_set_t),
					      &r->vcpu_base[i][j]) &&
			    errno != ESRCH)
				log_warn("vCPU %s/%u: sched_setaffinity: %s", r->cfg[i].name, j,
					 strerror(errno));
	}
}

/* pinned: a compact 1:1 plan for the vCPUs of every VM, applied to the running threads. */
static int apply_pinned(struct run *r, const struct topology *t, const struct sched_config *c,
			struct errbuf *err)
{
	struct place_vm_req vms[RUN_MAX_VMS];
	struct place_request req = { .nr_vms = r->nvms,
				     .vms = vms,
				     .housekeeping = r->host.housekeeping,
				     .allow_smt_sharing = r->host.allow_smt || c->force };
	struct place_plan plan;
	int ret;

	for (unsigned i = 0; i < r->nvms; i++) {
		enum place_policy p = r->cfg[i].placement;

		place_vm_req_init(&vms[i], r->m[i]->vm->nr_vcpus, 0);
		vms[i].name = r->cfg[i].name;
		if (p == PLACE_NONE || p == PLACE_EXPLICIT)
			p = PLACE_COMPACT;
		vms[i].cls[PLACE_VCPU].policy = p;
	}
	ret = place_compute(t, &req, &plan, err);
	if (ret)
		return ret;
	for (unsigned i = 0; i < r->nvms; i++) {
		struct vm *v = r->m[i]->vm;

		for (unsigned j = 0; j < v->nr_vcpus; j++) {
			const struct place_thread *th = place_plan_find(&plan, i, PLACE_VCPU, j);

			if (th &&
			    sched_setaffinity(v->vcpus[j]->thread.tid, sizeof(th->cpus),
					      &th->cpus) &&
			    errno != ESRCH)
				log_warn("vCPU %s/%u: sched_setaffinity: %s", r->cfg[i].name, j,
					 strerror(errno));
		}
	}
	place_plan_free(&plan);
	return 0;
}

static const char *sched_spec(const struct sched_config *c, char *buf, size_t len)
{
	switch (c->kind) {
	case SCHED_KIND_PINNED:
		snprintf(buf, len, "pinned%s", c->force ? ":force" : "");
		break;
	case SCHED_KIND_FIFO:
		snprintf(buf, len, "fifo:%d", c->fifo_prio);
		break;
	case SCHED_KIND_GANG:
	case SCHED_KIND_CREDIT:
		snprintf(buf, len, "%s:%g", sched_kind_name(c->kind), (double)c->slice_ns / 1e6);
		break;
	case SCHED_KIND_GANG_RELAXED:
		snprintf(buf, len, "gang-relaxed:%g", (double)c->skew_ns / 1e6);
		break;
	case SCHED_KIND_HOST:
	default:
		snprintf(buf, len, "host");
		break;
	}
	return buf;
}

int control_set_sched(struct run *r, const struct sched_config *c, struct errbuf *err)
{
	enum sched_kind old = r->host.sched.kind;
	const struct topology *t;
	unsigned ncpus;
	int ret = topo_host(&t, err);

	if (ret)
		return ret;
	ret = run_check_sched(r, c, t, true, err);
	if (ret)
		return ret;
	ncpus = t->nr_pus > r->host.housekeeping ? t->nr_pus - r->host.housekeeping : t->nr_pus;
	/* The controller lets every vCPU go before it returns: nothing stays parked. */
	run_stop_sched(r);
	free(r->sched.vms);
	free(r->sched.vcpus);
	r->sched.vms = NULL;
	r->sched.vcpus = NULL;
	if (old == SCHED_KIND_FIFO && c->kind != SCHED_KIND_FIFO)
		for_each_vcpu_policy(r, SCHED_OTHER, 0);
	if (old == SCHED_KIND_PINNED && c->kind != SCHED_KIND_PINNED)
		restore_base_affinity(r);
	if (c->kind == SCHED_KIND_PINNED && apply_pinned(r, t, c, err)) {
		ret = -EINVAL;
		goto restart;
	}
	if (c->kind == SCHED_KIND_FIFO)
		for_each_vcpu_policy(r, SCHED_FIFO, c->fifo_prio);
	r->host.sched = *c;
	for (unsigned i = 0; i < r->nvms; i++)
		r->cfg[i].sched = *c;
restart:
	if (run_start_sched(r, ncpus))
		return errbuf_set(err, -EAGAIN, "cannot start the %s strategy's controller",
				  sched_kind_name(r->host.sched.kind));
	return ret;
}

static int cmd_set_sched(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	const char *spec = qmp_arg_str(args, "strategy", "");
	struct sched_config c;
	struct errbuf err = { "" };
	json_object *data;
	char buf[48];
	uint64_t t0 = now_ns();

	(void)ret;
	if (sched_parse(spec, &c, &err))
		return qmp_err(e, "GenericError", "%s", err.msg);
	if (control_set_sched(r, &c, &err))
		return qmp_err(e, "GenericError", "%s", err.msg);
	data = json_object_new_object();
	json_object_object_add(data, "strategy",
			       jstr(sched_spec(&r->host.sched, buf, sizeof(buf))));
	json_object_object_add(data, "switch-ns", jint((int64_t)(now_ns() - t0)));
	tuning_event(r, "sched", data);
	return 0;
}

static int cmd_set_credit(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	int64_t w = qmp_arg_int(args, "weight", -1), cap = qmp_arg_int(args, "cap", -1);
	json_object *data;
	unsigned vm;

	(void)ret;
	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	if (!qmp_arg_has(args, "weight") && !qmp_arg_has(args, "cap"))
		return qmp_err(e, "GenericError", "give 'weight' (1..65535) or 'cap' (0..102400)");
	if (qmp_arg_has(args, "weight") && (w < 1 || w > 65535))
		return qmp_err(e, "GenericError", "'weight' must be 1..65535, got %lld",
			       (long long)w);
	if (qmp_arg_has(args, "cap") && (cap < 0 || cap > 100 * 1024))
		return qmp_err(e, "GenericError",
			       "'cap' must be 0 (none) to 102400 (%% of one CPU), got %lld",
			       (long long)cap);
	if (w >= 0)
		r->cfg[vm].weight = (unsigned)w;
	if (cap >= 0)
		r->cfg[vm].cap_pct = (unsigned)cap;
	/* The controller picks the request up at its next tick. */
	if (r->sched.vms && vm < r->sched.nvms) {
		__atomic_store_n(&r->sched.vms[vm].weight_req, r->cfg[vm].weight, __ATOMIC_RELAXED);
		__atomic_store_n(&r->sched.vms[vm].cap_req, r->cfg[vm].cap_pct, __ATOMIC_RELAXED);
	}
	data = json_object_new_object();
	json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(data, "weight", jint(r->cfg[vm].weight));
	json_object_object_add(data, "cap", jint(r->cfg[vm].cap_pct));
	tuning_event(r, "credit", data);
	return 0;
}

static int cmd_query_sched(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	const struct sched_config *c = &r->host.sched;
	json_object *vms = json_object_new_array();
	char buf[48];

	(void)args;
	(void)e;
	for (unsigned i = 0; i < r->nvms; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "vm", jstr(r->cfg[i].name));
		json_object_object_add(o, "weight", jint(r->cfg[i].weight));
		json_object_object_add(o, "cap", jint(r->cfg[i].cap_pct));
		if (r->sched.vms && i < r->sched.nvms)
			json_object_object_add(
				o, "cpu-ns",
				jint((int64_t)__atomic_load_n(&r->sched.vms[i].cpu_total_ns,
							      __ATOMIC_RELAXED)));
		json_object_array_add(vms, o);
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "strategy", jstr(sched_kind_name(c->kind)));
	json_object_object_add(*ret, "spec", jstr(sched_spec(c, buf, sizeof(buf))));
	json_object_object_add(*ret, "slice-ns", jint((int64_t)c->slice_ns));
	json_object_object_add(*ret, "skew-ns", jint((int64_t)c->skew_ns));
	json_object_object_add(*ret, "fifo-priority", jint(c->fifo_prio));
	json_object_object_add(*ret, "force", json_object_new_boolean(c->force));
	json_object_object_add(*ret, "ncpus", jint(r->sched.ncpus));
	json_object_object_add(*ret, "ticks",
			       jint((int64_t)__atomic_load_n(&r->sched.ticks, __ATOMIC_RELAXED)));
	json_object_object_add(*ret, "decisions",
			       jint((int64_t)__atomic_load_n(&r->sched.gates, __ATOMIC_RELAXED)));
	json_object_object_add(*ret, "vms", vms);
	return 0;
}

/* ---- KVM and iothread knobs ---- */

static int cmd_set_halt_poll(void *opaque, json_object *args, json_object **ret,
			     struct qmp_error *e)
{
	struct run *r = opaque;
	int64_t ns = qmp_arg_int(args, "ns", -1);
	unsigned first, end;
	json_object *data;

	(void)ret;
	if (vm_range(r, args, &first, &end, e))
		return -EINVAL;
	if (ns < 0 || ns > 100000000)
		return qmp_err(e, "GenericError", "'ns' must be 0..100000000 (100 ms), got %lld",
			       (long long)ns);
	for (unsigned i = first; i < end; i++) {
		int rc;

		if (!r->m[i]->kvm.has_halt_poll)
			return qmp_err(e, "GenericError", "this KVM has no KVM_CAP_HALT_POLL");
		rc = vm_enable_cap(r->m[i]->vm, KVM_CAP_HALT_POLL, (uint64_t)ns);
		if (rc)
			return qmp_err(e, "GenericError", "KVM_CAP_HALT_POLL %lld: %s",
				       (long long)ns, strerror(-rc));
		r->cfg[i].halt_poll_set = true;
		r->cfg[i].halt_poll_ns = (uint64_t)ns;
	}
	data = json_object_new_object();
	json_object_object_add(data, "ns", jint(ns));
	tuning_event(r, "halt-poll", data);
	return 0;
}

struct poll_change {
	struct ioloop *loop;
	uint64_t max_ns;
	unsigned grow, shrink;
};

static void apply_poll(void *opaque)
{
	struct poll_change *pc = opaque;

	ioloop_set_poll_params(pc->loop, pc->max_ns, pc->grow, pc->shrink);
	free(pc);
}

static struct iothread *find_iothread(struct run *r, unsigned vm, const char *id)
{
	for (unsigned j = 0; j < r->m[vm]->niothreads; j++) {
		if (strcmp(r->m[vm]->iothreads[j].opts.name, id) == 0)
			return &r->m[vm]->iothreads[j];
	}
	return NULL;
}

static int set_iothread_poll(struct run *r, unsigned vm, struct iothread *t, int64_t max,
			     int64_t grow, int64_t shrink, struct qmp_error *e)
{
	struct poll_change *pc;
	json_object *data;

	if (max > 1000000000 || grow > 1024 || shrink > 1024)
		return qmp_err(e, "GenericError",
			       "poll-max-ns must be 0..1000000000, poll-grow and poll-shrink "
			       "0..1024 (0: the default factor 2)");
	if (max < 0 && grow < 0 && shrink < 0)
		return qmp_err(e, "GenericError",
			       "give at least one of 'poll-max-ns', 'poll-grow', 'poll-shrink'");
	if (max >= 0)
		t->opts.poll_ns = (uint64_t)max;
	if (grow >= 0)
		t->opts.poll_grow = (unsigned)grow;
	if (shrink >= 0)
		t->opts.poll_shrink = (unsigned)shrink;
	pc = malloc(sizeof(*pc));
	if (!pc)
		return qmp_err(e, "GenericError", "out of memory");
	*pc = (struct poll_change){ t->loop, t->opts.poll_ns, t->opts.poll_grow,
				    t->opts.poll_shrink };
	/* The loop's polling state belongs to its thread: the change runs there. */
	if (ioloop_call(t->loop, apply_poll, pc)) {
		free(pc);
		return qmp_err(e, "GenericError", "out of memory");
	}
	data = json_object_new_object();
	json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(data, "id", jstr(t->opts.name));
	json_object_object_add(data, "poll-max-ns", jint((int64_t)t->opts.poll_ns));
	json_object_object_add(data, "poll-grow", jint(t->opts.poll_grow));
	json_object_object_add(data, "poll-shrink", jint(t->opts.poll_shrink));
	tuning_event(r, "iothread-poll", data);
	return 0;
}

static int cmd_set_iothread_poll(void *opaque, json_object *args, json_object **ret,
				 struct qmp_error *e)
{
	struct run *r = opaque;
	const char *id = qmp_arg_str(args, "id", "");
	struct iothread *t;
	unsigned vm;

	(void)ret;
	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	t = find_iothread(r, vm, id);
	if (!t)
		return qmp_err(e, "DeviceNotFound", "iothread '%.32s' not found", id);
	return set_iothread_poll(r, vm, t, qmp_arg_int(args, "poll-max-ns", -1),
				 qmp_arg_int(args, "poll-grow", -1),
				 qmp_arg_int(args, "poll-shrink", -1), e);
}

/* qom-set / qom-get on "/objects/ID" poll-max-ns|poll-grow|poll-shrink, as QEMU's iothreads. */
static int qom_iothread(struct run *r, json_object *args, struct iothread **t, const char **prop,
			struct qmp_error *e)
{
	const char *path = qmp_arg_str(args, "path", "");

	*prop = qmp_arg_str(args, "property", "");
	if (strncmp(path, "/objects/", 9) || !(*t = find_iothread(r, 0, path + 9)))
		return qmp_err(e, "DeviceNotFound", "Device '%.64s' not found", path);
	if (strcmp(*prop, "poll-max-ns") && strcmp(*prop, "poll-grow") &&
	    strcmp(*prop, "poll-shrink"))
		return qmp_err(e, "GenericError", "Property '%.32s' not found", *prop);
	return 0;
}

static int cmd_qom_set(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	json_object *v = NULL;
	struct iothread *t;
	const char *prop;
	int64_t x;

	(void)ret;
	if (qom_iothread(r, args, &t, &prop, e))
		return -EINVAL;
	json_object_object_get_ex(args, "value", &v);
	if (!v || !json_object_is_type(v, json_type_int))
		return qmp_err(e, "GenericError",
			       "Invalid parameter type for '%s', expected: integer", prop);
	x = json_object_get_int64(v);
	if (x < 0)
		return qmp_err(e, "GenericError", "Parameter '%s' expects uint64", prop);
	return set_iothread_poll(r, 0, t, strcmp(prop, "poll-max-ns") ? -1 : x,
				 strcmp(prop, "poll-grow") ? -1 : x,
				 strcmp(prop, "poll-shrink") ? -1 : x, e);
}

static int cmd_qom_get(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	struct iothread *t;
	const char *prop;

	if (qom_iothread(r, args, &t, &prop, e))
		return -EINVAL;
	*ret = jint(strcmp(prop, "poll-max-ns") == 0 ? (int64_t)t->opts.poll_ns :
		    strcmp(prop, "poll-grow") == 0   ? (int64_t)t->opts.poll_grow :
						       (int64_t)t->opts.poll_shrink);
	return 0;
}

static int cmd_set_map_churn(void *opaque, json_object *args, json_object **ret,
			     struct qmp_error *e)
{
	struct run *r = opaque;
	int64_t hz = qmp_arg_int(args, "hz", -1);
	const char *target = qmp_arg_str(args, "target", "mmio");
	struct errbuf err = { "" };
	enum churn_target tg;
	json_object *data;
	char spec[64];
	uint64_t h;
	unsigned vm;

	(void)ret;
	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	if (hz < 0 || hz > 1000000)
		return qmp_err(e, "GenericError", "'hz' must be 0 (off) to 1000000, got %lld",
			       (long long)hz);
	snprintf(spec, sizeof(spec), "%lld,target=%.16s", (long long)(hz ? hz : 1), target);
	if (churn_parse(spec, &h, &tg, &err))
		return qmp_err(e, "GenericError", "%s", err.msg);
	/* The churn thread removes its region before it leaves: stopping it is always safe. */
	churn_stop(&r->m[vm]->churn);
	r->m[vm]->churn_hz = (uint64_t)hz;
	r->m[vm]->churn_target = tg;
	if (hz && churn_start(&r->m[vm]->churn, r->m[vm]->vm, (uint64_t)hz, tg))
		return qmp_err(e, "GenericError", "cannot start the churn thread");
	data = json_object_new_object();
	json_object_object_add(data, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(data, "hz", jint(hz));
	json_object_object_add(data, "target", jstr(tg == CHURN_RAM ? "ram" : "mmio"));
	tuning_event(r, "map-churn", data);
	return 0;
}

static int cmd_set_map_lock(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)args;
	(void)ret;
	return qmp_err(e, "GenericError",
		       "the map lock cannot change while the VM runs: vCPUs, iothreads and the "
		       "main loop are inside read sections of the current mode, and a reader that "
		       "entered without the lock (RCU) is not excluded by a writer that takes it; "
		       "start the VM with --threading map=rcu|rwlock|mutex (docs/monitor.md)");
}

/* ---- strand's statistics ---- */

static int cmd_query_vcpu_stats(void *opaque, json_object *args, json_object **ret,
				struct qmp_error *e)
{
	struct run *r = opaque;
	unsigned first, end, k = 0;
	uint64_t now = now_ns();

	if (vm_range(r, args, &first, &end, e))
		return -EINVAL;
	for (unsigned i = 0; i < first; i++)
		k += r->m[i]->vm->nr_vcpus;
	*ret = json_object_new_array();
	for (unsigned i = first; i < end; i++) {
		struct machine *m = r->m[i];

		for (unsigned j = 0; j < m->vm->nr_vcpus; j++, k++) {
			struct vcpu *v = m->vm->vcpus[j];
			json_object *o = json_object_new_object();
			uint64_t cpu = 0, delay = 0, parked = 0, steal;
			char state = '?';

#define ADD(name, val) json_object_object_add(o, name, jint((int64_t)(val)))
			json_object_object_add(o, "vm", jstr(r->cfg[i].name));
			ADD("cpu-index", j);
			ADD("thread-id", v->thread.tid);
			if (sched_sample_proc(v->thread.tid, &cpu, &delay, &state) == 0) {
				ADD("run-ns", cpu);
				ADD("run-delay-ns", delay);
				ADD("share-pct-x100",
				    now > r->start_ns ? cpu * 10000 / (now - r->start_ns) : 0);
			}
			ADD("pio-exits",
			    __atomic_load_n(&v->stats.exits[EXIT_IO], __ATOMIC_RELAXED));
			ADD("mmio-exits",
			    __atomic_load_n(&v->stats.exits[EXIT_MMIO], __ATOMIC_RELAXED));
			ADD("signal-exits",
			    __atomic_load_n(&v->stats.exits[EXIT_INTR], __ATOMIC_RELAXED));
			if (v->kstats.fd >= 0 && kvm_stats_read(&v->kstats) == 0) {
				ADD("kvm-exits", kvm_stats_get(&v->kstats, "exits"));
				ADD("halt-exits", kvm_stats_get(&v->kstats, "halt_exits"));
				ADD("halt-successful-poll",
				    kvm_stats_get(&v->kstats, "halt_successful_poll"));
				ADD("halt-attempted-poll",
				    kvm_stats_get(&v->kstats, "halt_attempted_poll"));
				ADD("halt-poll-success-ns",
				    kvm_stats_get(&v->kstats, "halt_poll_success_ns"));
				ADD("halt-poll-fail-ns",
				    kvm_stats_get(&v->kstats, "halt_poll_fail_ns"));
				ADD("halt-wait-ns", kvm_stats_get(&v->kstats, "halt_wait_ns"));
			}
			if (r->parked_carry_ns)
				parked = r->parked_carry_ns[k];
			if (r->sched.vcpus && k < r->sched.nvcpus)
				parked += __atomic_load_n(&r->sched.vcpus[k].parked_total_ns,
							  __ATOMIC_RELAXED);
			ADD("parked-ns", parked);
			if (m->mg && m->cfg.stats &&
			    memmap_load_u64(&m->vm->mem,
					    m->mg->percpu_base +
						    (uint64_t)j * m->mg->percpu_stride +
						    SG_PERCPU_OFF_STEAL,
					    &steal) == 0 &&
			    steal != ~0ULL)
				ADD("guest-steal-ns", steal);
#undef ADD
			json_object_array_add(*ret, o);
		}
	}
	return 0;
}

static int cmd_query_progress(void *opaque, json_object *args, json_object **ret,
			      struct qmp_error *e)
{
	struct run *r = opaque;
	json_object *a;
	unsigned first, end;

	if (vm_range(r, args, &first, &end, e))
		return -EINVAL;
	a = json_object_new_array();
	for (unsigned i = first; i < end; i++) {
		struct machine *m = r->m[i];

		if (!m->mg)
			continue;
		for (unsigned j = 0; j < m->vm->nr_vcpus; j++) {
			json_object *o = json_object_new_object();
			uint64_t p = 0;

			if (mguest_progress(m->mg, j, &p))
				p = 0;
			json_object_object_add(o, "vm", jstr(r->cfg[i].name));
			json_object_object_add(o, "cpu-index", jint(j));
			json_object_object_add(o, "progress", jint((int64_t)p));
			json_object_array_add(a, o);
		}
	}
	*ret = json_object_new_object();
	json_object_object_add(*ret, "time-ns", jint((int64_t)(now_ns() - r->start_ns)));
	json_object_object_add(*ret, "vcpus", a);
	return 0;
}

/* A strategy that runs in another process (strandd across domains) gates vCPUs through this. */
static int cmd_vcpu_gate(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	int64_t idx = qmp_arg_int(args, "cpu-index", -1);
	bool park = qmp_arg_bool(args, "park", false);
	unsigned vm;
	struct vm *v;

	(void)ret;
	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	v = r->m[vm]->vm;
	if (qmp_arg_has(args, "cpu-index") && (idx < 0 || idx >= (int64_t)v->nr_vcpus))
		return qmp_err(e, "GenericError", "'cpu-index' %lld is out of range (0..%u)",
			       (long long)idx, v->nr_vcpus - 1);
	for (unsigned i = 0; i < v->nr_vcpus; i++) {
		if (idx >= 0 && i != (unsigned)idx)
			continue;
		if (park)
			vm_vcpu_park_set(v, v->vcpus[i], VCPU_PARK_EXTERNAL);
		else
			vm_vcpu_park_clear(v, v->vcpus[i], VCPU_PARK_EXTERNAL);
	}
	return 0;
}

/* QEMU's query-blockstats, for the virtio-blk disks (device "diskN" in --disk order). */
static int cmd_query_blockstats(void *opaque, json_object *args, json_object **ret,
				struct qmp_error *e)
{
	struct run *r = opaque;
	struct machine *m;
	unsigned vm;

	if (pick_vm(r, args, &vm, e))
		return -EINVAL;
	m = r->m[vm];
	*ret = json_object_new_array();
	for (unsigned i = 0; i < m->ndisks_up; i++) {
		const struct vblk_stats *st = &m->disks[i].stats;
		json_object *o = json_object_new_object(), *s = json_object_new_object();
		char name[16];

#define LD(f) ((int64_t)__atomic_load_n(&st->f, __ATOMIC_RELAXED))
		json_object_object_add(s, "rd_bytes", jint(LD(read_bytes)));
		json_object_object_add(s, "wr_bytes", jint(LD(write_bytes)));
		json_object_object_add(s, "rd_operations", jint(LD(reads)));
		json_object_object_add(s, "wr_operations", jint(LD(writes)));
		json_object_object_add(s, "flush_operations", jint(LD(flushes)));
		json_object_object_add(s, "unmap_operations", jint(LD(discards)));
		json_object_object_add(s, "failed_rd_operations", jint(LD(ioerr)));
		json_object_object_add(s, "invalid_rd_operations", jint(LD(malformed)));
#undef LD
		snprintf(name, sizeof(name), "disk%u", i);
		json_object_object_add(o, "device", jstr(name));
		json_object_object_add(o, "qdev", jstr(name));
		json_object_object_add(o, "stats", s);
		json_object_array_add(*ret, o);
	}
	return 0;
}

static int cmd_query_vms(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;

	(void)args;
	(void)e;
	*ret = json_object_new_array();
	for (unsigned i = 0; i < r->nvms; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", jstr(r->cfg[i].name));
		json_object_object_add(o, "status", jstr(status_of(r, i)));
		json_object_object_add(o, "vcpus", jint(r->m[i]->vm->nr_vcpus));
		json_object_object_add(o, "memory-bytes", jint((int64_t)r->cfg[i].mem_bytes));
		json_object_object_add(o, "guest",
				       jstr(r->m[i]->image_name ? r->m[i]->image_name : "?"));
		json_object_object_add(o, "pid", jint(getpid()));
		if (r->m[i]->console_open) {
			json_object *con = json_object_new_object();
			uint64_t written, dropped;
			char name[96];

			chardev_filename(&r->m[i]->console, name, sizeof(name));
			chardev_counters(&r->m[i]->console, &written, &dropped);
			json_object_object_add(con, "filename", jstr(name));
			json_object_object_add(con, "written-bytes", jint((int64_t)written));
			json_object_object_add(con, "dropped-bytes", jint((int64_t)dropped));
			json_object_object_add(o, "console", con);
		}
		json_object_array_add(*ret, o);
	}
	return 0;
}

static int cmd_query_tuning(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	struct run *r = opaque;
	struct machine *m;
	json_object *ios = json_object_new_array(), *churn = json_object_new_object();
	char buf[128];
	unsigned vm;

	if (pick_vm(r, args, &vm, e)) {
		json_object_put(ios);
		json_object_put(churn);
		return -EINVAL;
	}
	m = r->m[vm];
	*ret = json_object_new_object();
	json_object_object_add(*ret, "vm", jstr(r->cfg[vm].name));
	json_object_object_add(*ret, "threading",
			       jstr(threading_describe(&r->cfg[vm].threading, buf, sizeof(buf))));
	json_object_object_add(*ret, "preset", jstr(r->cfg[vm].threading.preset));
	json_object_object_add(*ret, "map-lock", jstr(pubptr_mode_name(r->cfg[vm].threading.map)));
	json_object_object_add(*ret, "sched", jstr(sched_spec(&r->host.sched, buf, sizeof(buf))));
	json_object_object_add(*ret, "weight", jint(r->cfg[vm].weight));
	json_object_object_add(*ret, "cap", jint(r->cfg[vm].cap_pct));
	if (r->cfg[vm].halt_poll_set)
		json_object_object_add(*ret, "halt-poll-ns",
				       jint((int64_t)r->cfg[vm].halt_poll_ns));
	else
		json_object_object_add(*ret, "halt-poll-ns", NULL);
	json_object_object_add(churn, "hz", jint((int64_t)m->churn_hz));
	json_object_object_add(churn, "target",
			       jstr(m->churn_target == CHURN_RAM ? "ram" : "mmio"));
	json_object_object_add(churn, "cycles",
			       jint((int64_t)__atomic_load_n(&m->churn.cycles, __ATOMIC_RELAXED)));
	json_object_object_add(*ret, "map-churn", churn);
	for (unsigned j = 0; j < m->niothreads; j++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", jstr(m->iothreads[j].opts.name));
		json_object_object_add(o, "poll-max-ns",
				       jint((int64_t)m->iothreads[j].opts.poll_ns));
		json_object_array_add(ios, o);
	}
	json_object_object_add(*ret, "iothreads", ios);
	json_object_object_add(*ret, "tunings", jint((int64_t)r->tunings));
	return 0;
}

static int cmd_query_monitor(void *opaque, json_object *args, json_object **ret,
			     struct qmp_error *e)
{
	struct run *r = opaque;
	struct qmp_stats st;

	(void)args;
	(void)e;
	qmp_server_get_stats(r->ctl->qmp, &st);
	*ret = json_object_new_object();
#define ADD(f) json_object_object_add(*ret, #f, jint((int64_t)st.f))
	ADD(sessions);
	ADD(refused);
	ADD(commands);
	ADD(errors);
	ADD(parse_errors);
	ADD(protocol_errors);
	ADD(not_negotiated);
	ADD(unknown_commands);
	ADD(bad_arguments);
	ADD(oversize);
	ADD(slow_readers);
	ADD(events);
#undef ADD
	json_object_object_add(*ret, "connected", jint(qmp_server_sessions(r->ctl->qmp)));
	return 0;
}

/* ---- the table ---- */

static const struct qmp_arg a_vm[] = { { "vm", QMP_STR, true }, { NULL, 0, false } };
static const struct qmp_arg a_stats[] = {
	{ "target", QMP_STR, false }, { "providers", QMP_ARRAY, true },
	{ "vcpus", QMP_ARRAY, true }, { "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_schemas[] = { { "provider", QMP_STR, true }, { NULL, 0, false } };
static const struct qmp_arg a_vcpu_pin[] = {
	{ "cpu-index", QMP_INT, false },
	{ "cpus", QMP_STR, false },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_io_pin[] = {
	{ "id", QMP_STR, false },
	{ "cpus", QMP_STR, false },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_emu_pin[] = { { "cpus", QMP_STR, false }, { NULL, 0, false } };
static const struct qmp_arg a_sched[] = { { "strategy", QMP_STR, false }, { NULL, 0, false } };
static const struct qmp_arg a_credit[] = {
	{ "weight", QMP_INT, true },
	{ "cap", QMP_INT, true },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_halt[] = {
	{ "ns", QMP_INT, false },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_iopoll[] = {
	{ "id", QMP_STR, false },	{ "poll-max-ns", QMP_INT, true },
	{ "poll-grow", QMP_INT, true }, { "poll-shrink", QMP_INT, true },
	{ "vm", QMP_STR, true },	{ NULL, 0, false },
};
static const struct qmp_arg a_qom_set[] = {
	{ "path", QMP_STR, false },
	{ "property", QMP_STR, false },
	{ "value", QMP_ANY, false },
	{ NULL, 0, false },
};
static const struct qmp_arg a_qom_get[] = {
	{ "path", QMP_STR, false },
	{ "property", QMP_STR, false },
	{ NULL, 0, false },
};
static const struct qmp_arg a_churn[] = {
	{ "hz", QMP_INT, false },
	{ "target", QMP_STR, true },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_gate[] = {
	{ "park", QMP_BOOL, false },
	{ "cpu-index", QMP_INT, true },
	{ "vm", QMP_STR, true },
	{ NULL, 0, false },
};
static const struct qmp_arg a_map_lock[] = { { "mode", QMP_STR, false }, { NULL, 0, false } };

static const struct qmp_cmd control_commands[] = {
	{ "query-status", cmd_query_status, a_vm },
	{ "query-name", cmd_query_name, a_vm },
	{ "query-kvm", cmd_query_kvm, NULL },
	{ "query-cpus-fast", cmd_query_cpus_fast, a_vm },
	{ "query-iothreads", cmd_query_iothreads, a_vm },
	{ "query-chardev", cmd_query_chardev, a_vm },
	{ "query-stats", cmd_query_stats, a_stats },
	{ "query-stats-schemas", cmd_query_stats_schemas, a_schemas },
	{ "stop", cmd_stop, a_vm },
	{ "cont", cmd_cont, a_vm },
	{ "system_powerdown", cmd_system_powerdown, a_vm },
	{ "system_reset", cmd_system_reset, a_vm },
	{ "quit", cmd_quit, NULL },
	{ "qom-set", cmd_qom_set, a_qom_set },
	{ "qom-get", cmd_qom_get, a_qom_get },
	{ "query-blockstats", cmd_query_blockstats, a_vm },
	{ "x-strand-query-vms", cmd_query_vms, NULL },
	{ "x-strand-query-tuning", cmd_query_tuning, a_vm },
	{ "x-strand-query-affinity", cmd_query_affinity, a_vm },
	{ "x-strand-query-sched", cmd_query_sched, NULL },
	{ "x-strand-query-vcpu-stats", cmd_query_vcpu_stats, a_vm },
	{ "x-strand-query-progress", cmd_query_progress, a_vm },
	{ "x-strand-query-monitor", cmd_query_monitor, NULL },
	{ "x-strand-set-sched", cmd_set_sched, a_sched },
	{ "x-strand-set-credit", cmd_set_credit, a_credit },
	{ "x-strand-vcpu-pin", cmd_vcpu_pin, a_vcpu_pin },
	{ "x-strand-iothread-pin", cmd_iothread_pin, a_io_pin },
	{ "x-strand-emulator-pin", cmd_emulator_pin, a_emu_pin },
	{ "x-strand-set-halt-poll", cmd_set_halt_poll, a_halt },
	{ "x-strand-set-iothread-poll", cmd_set_iothread_poll, a_iopoll },
	{ "x-strand-set-map-churn", cmd_set_map_churn, a_churn },
	{ "x-strand-set-map-lock", cmd_set_map_lock, a_map_lock },
	{ "x-strand-vcpu-gate", cmd_vcpu_gate, a_gate },
};
const struct qmp_cmd *const control_commands_table = control_commands;
const unsigned control_command_count = ARRAY_SIZE(control_commands);

/* ---- glue ---- */

int control_start(struct run *r, struct errbuf *err)
{
	struct control *c;
	struct qmp_version v = { 0, 0, 0, NULL };
	int ret;

	if (!r->host.nmonitors)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (unsigned i = 0; i < RUN_MAX_VMS; i++)
		c->vmstats[i].fd = -1;
	if (sched_getaffinity(0, sizeof(c->allowed), &c->allowed))
		CPU_ZERO(&c->allowed);
	sscanf(STRAND_VERSION, "%d.%d.%d", &v.major, &v.minor, &v.micro);
	snprintf(c->package, sizeof(c->package), "strand %s (%s)", STRAND_VERSION, STRAND_GIT_REV);
	v.package = c->package;
	r->ctl = c;
	ret = qmp_server_create(&c->qmp, r->loop, control_commands, control_command_count, r, &v);
	if (ret)
		return errbuf_set(err, ret, "cannot create the monitor: %s", strerror(-ret));
	for (unsigned i = 0; i < r->host.nmonitors; i++) {
		ret = qmp_server_add(c->qmp, r->host.monitors[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

void control_finish(struct run *r)
{
	if (r->ctl && r->ctl->qmp)
		qmp_server_flush(r->ctl->qmp, 1000);
}

void control_destroy(struct run *r)
{
	struct control *c = r->ctl;

	if (!c)
		return;
	qmp_server_destroy(c->qmp);
	for (unsigned i = 0; i < RUN_MAX_VMS; i++) {
		if (c->vmstats[i].fd >= 0)
			kvm_stats_close(&c->vmstats[i]);
	}
	free(c);
	r->ctl = NULL;
}
