/* threading.c - threading-model presets and parsing. Pure; main thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/threading.h"
#include "util/parse.h"

const struct threading_preset threading_presets[] = {
	{ "qemu-classic",
	  "QEMU before RCU and iothreads: one big lock for every handler, I/O in the main loop, "
	  "memory map under a mutex",
	  { "qemu-classic", LOCK_BIG, IO_MAIN, PUBPTR_MUTEX, IOMAP_DEVICE, 0, 0 } },
	{ "qemu",
	  "QEMU today: RCU memory map, big lock for device handlers, virtio-blk on an iothread",
	  { "qemu", LOCK_BIG, IO_IOTHREAD, PUBPTR_RCU, IOMAP_DEVICE, 1, 0 } },
	{ "firecracker",
	  "Firecracker: rwlock-protected guest memory, per-device locks, one VMM thread does all "
	  "device I/O",
	  { "firecracker", LOCK_DEVICE, IO_MAIN, PUBPTR_RWLOCK, IOMAP_DEVICE, 0, 0 } },
	{ "cloud-hypervisor",
	  "Cloud Hypervisor: rwlock-protected memory, per-device locks, a thread per virtqueue",
	  { "cloud-hypervisor", LOCK_DEVICE, IO_IOTHREAD, PUBPTR_RWLOCK, IOMAP_QUEUE, 0, 0 } },
	{ "strand",
	  "strand's default: RCU maps, per-device locks, a thread per virtqueue (see "
	  "docs/threading.md for the measurements behind it)",
	  { "strand", LOCK_DEVICE, IO_IOTHREAD, PUBPTR_RCU, IOMAP_QUEUE, 0, 0 } },
	{ "inline",
	  "No device threads: every kick is handled on the vCPU that exited, per-device locks, "
	  "RCU maps (kvmtool's model)",
	  { "inline", LOCK_DEVICE, IO_VCPU, PUBPTR_RCU, IOMAP_DEVICE, 0, 0 } },
};

const unsigned threading_preset_count = sizeof(threading_presets) / sizeof(threading_presets[0]);

static const char *const lock_names[] = { "device", "big" };
static const char *const io_names[] = { "vcpu", "main", "iothread" };
static const char *const iomap_names[] = { "device", "queue" };

const char *lock_model_name(enum lock_model m)
{
	return (unsigned)m < 2 ? lock_names[m] : "?";
}

const char *io_model_name(enum io_model m)
{
	return (unsigned)m < 3 ? io_names[m] : "?";
}

void threading_default(struct threading_config *t)
{
	for (unsigned i = 0; i < threading_preset_count; i++) {
		if (strcmp(threading_presets[i].name, "strand") == 0)
			*t = threading_presets[i].cfg;
	}
}

static int pick(const char *v, const char *const *names, unsigned n, unsigned *out)
{
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int threading_parse(const char *spec, struct threading_config *t, struct errbuf *err)
{
	struct opts o;
	const char *v;
	unsigned u;
	int ret = -EINVAL;

	if (opts_parse(&o, spec, "preset"))
		return errbuf_set(err, -EINVAL, "--threading: cannot parse '%s'", spec);
	if ((v = opts_get(&o, "preset"))) {
		bool found = false;

		for (unsigned i = 0; i < threading_preset_count; i++) {
			if (strcmp(threading_presets[i].name, v) == 0) {
				*t = threading_presets[i].cfg;
				found = true;
			}
		}
		if (!found) {
			errbuf_set(
				err, ret,
				"--threading: unknown preset '%s' (qemu-classic, qemu, firecracker, "
				"cloud-hypervisor, strand, inline)",
				v);
			goto out;
		}
	}
	if ((v = opts_get(&o, "lock"))) {
		if (pick(v, lock_names, 2, &u)) {
			errbuf_set(err, ret, "--threading: lock=%s: expected big or device", v);
			goto out;
		}
		t->lock = (enum lock_model)u;
	}
	if ((v = opts_get(&o, "io"))) {
		if (pick(v, io_names, 3, &u)) {
			errbuf_set(err, ret, "--threading: io=%s: expected vcpu, main or iothread",
				   v);
			goto out;
		}
		t->io = (enum io_model)u;
	}
	if ((v = opts_get(&o, "map"))) {
		if (pubptr_mode_parse(v, &t->map)) {
			errbuf_set(err, ret, "--threading: map=%s: expected rcu, rwlock or mutex",
				   v);
			goto out;
		}
	}
	if ((v = opts_get(&o, "iomap"))) {
		if (pick(v, iomap_names, 2, &u)) {
			errbuf_set(err, ret, "--threading: iomap=%s: expected device or queue", v);
			goto out;
		}
		t->iomap = (enum iothread_map)u;
	}
	if ((v = opts_get(&o, "iothreads"))) {
		uint32_t n;

		if (parse_u32(v, &n) || n == 0 || n > 64) {
			errbuf_set(err, ret, "--threading: iothreads=%s: expected 1..64", v);
			goto out;
		}
		t->iothreads = n;
	}
	if ((v = opts_get(&o, "poll_ns")) && parse_duration_ns(v, 1, &t->poll_ns)) {
		errbuf_set(err, ret, "--threading: poll_ns=%s: not a duration", v);
		goto out;
	}
	if ((v = opts_unused(&o))) {
		errbuf_set(err, ret,
			   "--threading: unknown key '%s' (lock, io, map, iomap, "
			   "iothreads, poll_ns)",
			   v);
		goto out;
	}
	/* A preset changed along one dimension is no longer that preset: mark it. */
	if (o.n > (opts_get(&o, "preset") ? 1u : 0u) && t->preset[0] &&
	    t->preset[strlen(t->preset) - 1] != '*' && strlen(t->preset) + 1 < sizeof(t->preset))
		strcat(t->preset, "*");
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

const char *threading_describe(const struct threading_config *t, char *buf, unsigned len)
{
	char io[32];

	if (t->io == IO_IOTHREAD)
		snprintf(io, sizeof(io), "iothread(per-%s)", iomap_names[t->iomap]);
	else
		snprintf(io, sizeof(io), "%s", io_names[t->io]);
	snprintf(buf, len, "%s: lock=%s io=%s map=%s", t->preset[0] ? t->preset : "custom",
		 lock_names[t->lock], io, pubptr_mode_name(t->map));
	return buf;
}
