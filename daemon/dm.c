/*
 * dm.c - strandd's domain manager (dm.h): registry, files, VM processes, monitors, events.
 * Main loop thread only (dm_sched.c's controller aside).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/dm_priv.h"
#include "daemon/xml/argv.h"
#include "iothreads/ioloop.h"
#include "monitor/qmp_client.h"
#include "monitor/vcpu_gate.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"

extern char **environ;

static int set_err(struct dm_err *e, int code, const char *fmt, ...) __printf(3, 4);

static int set_err(struct dm_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->code = code;
		e->domain = DM_FROM_DOMAIN;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	switch (code) {
	case DM_ERR_NO_MEMORY:
		return -ENOMEM;
	case DM_ERR_NO_DOMAIN:
		return -ENOENT;
	case DM_ERR_OPERATION_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EINVAL;
	}
}

static int xml_err(struct dm_err *e, const struct domain_error *de)
{
	if (e) {
		e->code = de->code;
		e->domain = de->domain;
		snprintf(e->message, sizeof(e->message), "%s", de->message);
	}
	return de->code == DM_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
}

static int not_running(struct dm_err *e, const struct dm_dom *d)
{
	return set_err(e, DM_ERR_OPERATION_INVALID,
		       "Requested operation is not valid: domain '%s' is not running", d->name);
}

/* ---- accessors ---- */

const char *dm_dom_name(const struct dm_dom *d)
{
	return d->name;
}

const uint8_t *dm_dom_uuid(const struct dm_dom *d)
{
	return d->uuid;
}

int dm_dom_id(const struct dm_dom *d)
{
	return d->id;
}

bool dm_dom_active(const struct dm_dom *d)
{
	return d->id >= 0;
}

bool dm_dom_persistent(const struct dm_dom *d)
{
	return d->def != NULL;
}

void dm_dom_state(const struct dm_dom *d, int *state, int *reason)
{
	*state = d->state;
	*reason = d->reason;
}

const struct domain_def *dm_dom_def(const struct dm_dom *d)
{
	return d->live ? d->live : d->def;
}

bool dm_dom_autostart(const struct dm_dom *d)
{
	return d->def && d->autostart;
}

pid_t dm_dom_pid(const struct dm_dom *d)
{
	return d->pid;
}

void dm_get_counters(const struct dm *m, struct dm_counters *out)
{
	*out = m->counters;
	dm_sched_counters((struct dm *)m, out);
}

struct dm_dom *dm_lookup_name(struct dm *m, const char *name)
{
	for (struct dm_dom *d = m->doms; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

struct dm_dom *dm_lookup_uuid(struct dm *m, const uint8_t uuid[16])
{
	for (struct dm_dom *d = m->doms; d; d = d->next)
		if (memcmp(d->uuid, uuid, 16) == 0)
			return d;
	return NULL;
}

struct dm_dom *dm_lookup_id(struct dm *m, int id)
{
	if (id < 0)
		return NULL;
	for (struct dm_dom *d = m->doms; d; d = d->next)
		if (d->id == id)
			return d;
	return NULL;
}

int dm_list(struct dm *m, struct dm_dom ***out, size_t *n)
{
	size_t k = 0;
	struct dm_dom **a = calloc(m->ndoms ? m->ndoms : 1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	for (struct dm_dom *d = m->doms; d; d = d->next)
		a[k++] = d;
	*out = a;
	*n = k;
	return 0;
}

size_t dm_count(struct dm *m, bool active)
{
	size_t n = 0;

	for (struct dm_dom *d = m->doms; d; d = d->next)
		if (dm_dom_active(d) == active)
			n++;
	return n;
}

static void emit(struct dm *m, struct dm_dom *d, int ev, int detail)
{
	if (m->opts.event)
		m->opts.event(m->opts.event_opaque, d, ev, detail);
}

/* ---- files ---- */

int dm_save_def(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	struct domain_error de;
	char path[4200], *xml;
	int ret;

	if (domain_format(d->def, 0, &xml, &de))
		return xml_err(err, &de);
	dm_path_of(m, d, "def", path, sizeof(path));
	ret = file_write_atomic(path, xml, strlen(xml), 0600);
	free(xml);
	if (ret)
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot write %s: %s", path,
			       strerror(-ret));
	return 0;
}

/* The runtime record of a running domain: enough for a restarted strandd to find it again. */
static int save_state(struct dm *m, struct dm_dom *d)
{
	json_object *o = json_object_new_object();
	struct domain_error de;
	char path[4200], uuid[40], *xml = NULL;
	const char *txt;
	int ret;

	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "uuid",
			       json_object_new_string(domain_uuid_format(d->uuid, uuid)));
	json_object_object_add(o, "id", json_object_new_int(d->id));
	json_object_object_add(o, "pid", json_object_new_int(d->pid));
	json_object_object_add(o, "starttime", json_object_new_int64((int64_t)d->starttime));
	json_object_object_add(o, "monitor", json_object_new_string(d->qmp_path));
	json_object_object_add(o, "persistent", json_object_new_boolean(d->def != NULL));
	json_object_object_add(o, "rebooting", json_object_new_boolean(d->rebooting));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	dm_path_of(m, d, "state", path, sizeof(path));
	ret = file_write_atomic(path, txt, strlen(txt), 0600);
	json_object_put(o);
	if (ret)
		return ret;
	if (d->live && domain_format(d->live, DOMAIN_XML_LIVE, &xml, &de) == 0) {
		dm_path_of(m, d, "xml", path, sizeof(path));
		ret = file_write_atomic(path, xml, strlen(xml), 0600);
		free(xml);
	}
	return ret;
}

static void remove_state(struct dm *m, struct dm_dom *d)
{
	char path[4200];

	dm_path_of(m, d, "state", path, sizeof(path));
	unlink(path);
	dm_path_of(m, d, "xml", path, sizeof(path));
	unlink(path);
	dm_path_of(m, d, "qmp", path, sizeof(path));
	unlink(path);
	/* The VM removes its gate when it ends; not when it was killed. */
	dm_path_of(m, d, "gate", path, sizeof(path));
	unlink(path);
}

/* /proc/PID/stat field 22: the process's start time in clock ticks since boot. */
static uint64_t proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* After ") ": state(3) ... starttime(22): skip 19 fields. */
	p += 2;
	for (int f = 3; f < 22 && p; f++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		sscanf(p, "%llu", &st);
	return st;
}

/* ---- the registry ---- */

static struct dm_dom *dom_new(struct dm *m, const struct domain_def *def)
{
	struct dm_dom *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->m = m;
	snprintf(d->name, sizeof(d->name), "%s", def->name);
	memcpy(d->uuid, def->uuid, 16);
	d->id = -1;
	d->pid = -1;
	d->pidfd = -1;
	d->pty_fd = -1;
	d->state = DM_SHUTOFF;
	d->reason = DM_SHUTOFF_UNKNOWN;
	/* Append: listing keeps definition order. */
	if (!m->doms) {
		m->doms = d;
	} else {
		struct dm_dom *t = m->doms;

		while (t->next)
			t = t->next;
		t->next = d;
	}
	m->ndoms++;
	return d;
}

static void dom_free(struct dm *m, struct dm_dom *d)
{
	for (struct dm_dom **p = &m->doms; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			m->ndoms--;
			break;
		}
	}
	domain_def_free(d->def);
	domain_def_free(d->live);
	free(d->vcpu_tids);
	free(d);
}

/* A new definition against the others: the same name must have the same UUID and vice versa. */
static int check_unique(struct dm *m, const struct domain_def *def, struct dm_dom **same,
			struct dm_err *err)
{
	struct dm_dom *by_name = dm_lookup_name(m, def->name),
		      *by_uuid = dm_lookup_uuid(m, def->uuid);
	char u[40];

	*same = NULL;
	if (by_name && memcmp(by_name->uuid, def->uuid, 16))
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: domain '%s' already exists with uuid %s",
			       def->name, domain_uuid_format(by_name->uuid, u));
	if (by_uuid && strcmp(by_uuid->name, def->name))
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: domain '%s' is already defined with uuid %s",
			       by_uuid->name, domain_uuid_format(def->uuid, u));
	*same = by_name;
	return 0;
}

static int parse(struct dm *m, const char *xml, size_t len, struct domain_def **out,
		 struct dm_err *err)
{
	struct domain_parse_opts po = { .flags = 0, .emulator = m->opts.strand_bin };
	struct domain_error de;

	if (domain_parse(xml, len, &po, out, &de))
		return xml_err(err, &de);
	return 0;
}

int dm_define(struct dm *m, const char *xml, size_t len, struct dm_dom **out, struct dm_err *err)
{
	struct domain_def *def;
	struct dm_dom *d;
	bool updated;
	int ret = parse(m, xml, len, &def, err);

	if (ret)
		return ret;
	ret = check_unique(m, def, &d, err);
	if (ret)
		goto fail;
	if (!d && m->ndoms >= DM_MAX_DOMAINS) {
		ret = set_err(err, DM_ERR_OPERATION_FAILED,
			      "operation failed: %u domains is the limit", DM_MAX_DOMAINS);
		goto fail;
	}
	updated = d && d->def;
	if (!updated) {
		/* A link left from an earlier domain of this name must not start this one. */
		char link[4200];

		snprintf(link, sizeof(link), "%s/autostart/%s.xml", m->opts.state_dir, def->name);
		ret = file_remove(link);
		if (ret) {
			ret = set_err(err, DM_ERR_SYSTEM_ERROR, "cannot remove %s: %s", link,
				      strerror(-ret));
			goto fail;
		}
	}
	if (!d) {
		d = dom_new(m, def);
		if (!d) {
			ret = set_err(err, DM_ERR_NO_MEMORY, "out of memory");
			goto fail;
		}
	}
	{
		/* A running transient domain becomes persistent with the new config as its next one. */
		struct domain_def *old = d->def;

		d->def = def;
		ret = dm_save_def(m, d, err);
		if (ret) {
			d->def = old;
			if (!old && !dm_dom_active(d))
				dom_free(m, d);
			return ret;
		}
		domain_def_free(old);
	}
	m->counters.defined++;
	emit(m, d, DM_EV_DEFINED, updated ? DM_EV_DEFINED_UPDATED : DM_EV_DEFINED_ADDED);
	*out = d;
	return 0;
fail:
	domain_def_free(def);
	return ret;
}

int dm_undefine(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	char path[4200];
	int ret;

	if (!d->def)
		return set_err(
			err, DM_ERR_OPERATION_INVALID,
			"Requested operation is not valid: cannot undefine transient domain");
	/* As libvirt: the autostart link goes first, so none is left pointing nowhere. */
	dm_path_of(m, d, "autostart", path, sizeof(path));
	ret = file_remove(path);
	if (ret)
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot remove %s: %s", path,
			       strerror(-ret));
	d->autostart = false;
	dm_path_of(m, d, "def", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot remove %s: %s", path,
			       strerror(errno));
	domain_def_free(d->def);
	d->def = NULL;
	emit(m, d, DM_EV_UNDEFINED, DM_EV_UNDEFINED_REMOVED);
	if (dm_dom_active(d)) {
		/* As libvirt: a running domain stays, transient from now on. */
		if (save_state(m, d))
			log_warn("%s: cannot update the state file", d->name);
		return 0;
	}
	dom_free(m, d);
	return 0;
}

int dm_set_autostart(struct dm *m, struct dm_dom *d, bool on, struct dm_err *err)
{
	char link[4200], def[4200];
	int ret;

	if (!d->def)
		return set_err(
			err, DM_ERR_OPERATION_INVALID,
			"Requested operation is not valid: cannot set autostart for transient "
			"domain");
	if (d->autostart == on)
		return 0;
	dm_path_of(m, d, "autostart", link, sizeof(link));
	dm_path_of(m, d, "def", def, sizeof(def));
	ret = on ? file_symlink_atomic(def, link) : file_remove(link);
	if (ret)
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot %s autostart link %s: %s",
			       on ? "create" : "remove", link, strerror(-ret));
	d->autostart = on;
	return 0;
}

/* ---- monitors ---- */

static void on_qmp(void *opaque, uint32_t events);
static void on_exit_fd(void *opaque, uint32_t events);
static int start_live(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_err *err);

/* One monitor command on domain d; 0, or -errno with err set. */
int dm_qmp(struct dm_dom *d, const char *cmd, json_object *args, json_object **ret,
	   struct dm_err *err)
{
	struct qmp_error qe = { "", "" };
	int rc;

	if (ret)
		*ret = NULL;
	if (!d->qmp) {
		json_object_put(args);
		return not_running(err, d);
	}
	rc = qmp_client_execute(d->qmp, cmd, args, ret, &qe, DM_QMP_TIMEOUT_MS);
	if (rc == -EREMOTEIO)
		return set_err(err, DM_ERR_OPERATION_FAILED, "operation failed: %s", qe.desc);
	if (rc) {
		d->m->counters.qmp_errors++;
		return set_err(
			err, rc == -ETIMEDOUT ? DM_ERR_OPERATION_TIMEOUT : DM_ERR_OPERATION_FAILED,
			"operation failed: domain '%s' monitor: %s", d->name, strerror(-rc));
	}
	/* Events that came in while we waited are handled from the loop. */
	return 0;
}

static int cache_vcpu_tids(struct dm_dom *d, struct dm_err *err)
{
	json_object *r;
	int ret = dm_qmp(d, "query-cpus-fast", NULL, &r, err);

	if (ret)
		return ret;
	free(d->vcpu_tids);
	d->nvcpu_tids = (unsigned)json_object_array_length(r);
	d->vcpu_tids = calloc(d->nvcpu_tids ? d->nvcpu_tids : 1, sizeof(pid_t));
	if (!d->vcpu_tids) {
		json_object_put(r);
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	}
	for (unsigned i = 0; i < d->nvcpu_tids; i++) {
		json_object *t;

		if (json_object_object_get_ex(json_object_array_get_idx(r, i), "thread-id", &t))
			d->vcpu_tids[i] = (pid_t)json_object_get_int(t);
	}
	json_object_put(r);
	return 0;
}

static int attach_monitor(struct dm *m, struct dm_dom *d, int timeout_ms, struct dm_err *err)
{
	struct errbuf eb = { "" };
	int ret = qmp_client_connect(&d->qmp, d->qmp_path, timeout_ms, &eb);

	if (ret)
		return set_err(err, DM_ERR_OPERATION_FAILED, "operation failed: domain '%s': %s",
			       d->name, eb.msg);
	if (ioloop_add_fd(m->loop, qmp_client_fd(d->qmp), EPOLLIN, on_qmp, d, &d->qmp_h)) {
		qmp_client_close(d->qmp);
		d->qmp = NULL;
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	}
	return 0;
}

static void on_pty(void *opaque, uint32_t events);

/* Stop reading the console's slave and close it: strand drops the guest's output again. */
static void pty_close(struct dm *m, struct dm_dom *d)
{
	if (d->pty_h)
		ioloop_del_fd(m->loop, d->pty_h);
	d->pty_h = NULL;
	if (d->pty_fd >= 0)
		close(d->pty_fd);
	d->pty_fd = -1;
}

/* The console ends: its client gets EOF. */
static void console_end(struct dm *m, struct dm_dom *d)
{
	dm_console_fn fn = d->console_fn;
	void *opaque = d->console_opaque;

	/* What the guest wrote last may still be in the pty: to the console first. */
	if (d->pty_h)
		on_pty(d, EPOLLIN);
	pty_close(m, d);
	d->console_fn = NULL;
	d->console_opaque = NULL;
	if (fn)
		fn(opaque, NULL, 0);
}

static void on_pty(void *opaque, uint32_t events)
{
	struct dm_dom *d = opaque;
	char buf[4096];

	(void)events;
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(d->pty_fd, buf, sizeof(buf));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* EIO: strand closed the master (it is ending); its pidfd says when. */
			ioloop_del_fd(d->m->loop, d->pty_h);
			d->pty_h = NULL;
			return;
		}
		if (d->console_fn)
			d->console_fn(d->console_opaque, buf, (size_t)n);
	}
}

/*
 * The path strand's console pty has, from its monitor (QEMU's query-chardev, label
 * charserial0, "pty:/dev/pts/N"): at start and on re-attach, so the live XML and the console
 * follow the VM, whoever started it.
 */
static int read_console_path(struct dm_dom *d, struct dm_err *err)
{
	json_object *r, *e, *v;
	int ret;

	if (!d->live || d->live->serial != DOMAIN_CHR_PTY)
		return 0;
	ret = dm_qmp(d, "query-chardev", NULL, &r, err);
	if (ret)
		return ret;
	ret = set_err(err, DM_ERR_OPERATION_FAILED,
		      "operation failed: domain '%s': its monitor reports no console pty", d->name);
	for (size_t i = 0; i < json_object_array_length(r); i++) {
		const char *f;

		e = json_object_array_get_idx(r, i);
		if (!json_object_object_get_ex(e, "label", &v) ||
		    strcmp(json_object_get_string(v), "charserial0") ||
		    !json_object_object_get_ex(e, "filename", &v))
			continue;
		f = json_object_get_string(v);
		if (strncmp(f, "pty:/dev/pts/", 13) || strlen(f) > 64 || strstr(f, ".."))
			break;
		free(d->live->serial_pty);
		d->live->serial_pty = strdup(f + 4);
		ret = d->live->serial_pty ? 0 : set_err(err, DM_ERR_NO_MEMORY, "out of memory");
		break;
	}
	json_object_put(r);
	return ret;
}

int dm_console_open(struct dm *m, struct dm_dom *d, bool force, dm_console_fn fn, void *opaque,
		    struct dm_err *err)
{
	int fd;

	if (!dm_dom_active(d))
		return not_running(err, d);
	if (!d->live || d->live->serial != DOMAIN_CHR_PTY)
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: domain '%s' has no <serial type='pty'> console",
			       d->name);
	if (!d->live->serial_pty)
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: domain '%s': the path of its console pty is "
			       "unknown",
			       d->name);
	if (d->console_fn && !force)
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: Active console session exists for this domain");
	console_end(m, d);
	/* The path came from the VM's monitor: only a terminal is taken, never as our ctty. */
	fd = open(d->live->serial_pty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: cannot open the console %s of domain '%s': %s",
			       d->live->serial_pty, d->name, strerror(errno));
	if (!isatty(fd)) {
		close(fd);
		return set_err(err, DM_ERR_OPERATION_FAILED,
			       "operation failed: the console %s of domain '%s' is not a terminal",
			       d->live->serial_pty, d->name);
	}
	if (ioloop_add_fd(m->loop, fd, EPOLLIN, on_pty, d, &d->pty_h)) {
		close(fd);
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	}
	d->pty_fd = fd;
	d->console_fn = fn;
	d->console_opaque = opaque;
	return 0;
}

int dm_console_write(struct dm_dom *d, const void *data, size_t len)
{
	const char *p = data;

	while (d->pty_fd >= 0 && len) {
		ssize_t n = write(d->pty_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* a full pty: the guest is not reading; input is dropped */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void dm_console_close(struct dm_dom *d, void *opaque)
{
	if (d->console_opaque == opaque) {
		pty_close(d->m, d);
		d->console_fn = NULL;
		d->console_opaque = NULL;
	}
}

static void detach(struct dm *m, struct dm_dom *d)
{
	console_end(m, d);
	if (d->qmp_h)
		ioloop_del_fd(m->loop, d->qmp_h);
	d->qmp_h = NULL;
	qmp_client_close(d->qmp);
	d->qmp = NULL;
	if (d->pid_h)
		ioloop_del_fd(m->loop, d->pid_h);
	d->pid_h = NULL;
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
}

static void handle_events(struct dm *m, struct dm_dom *d)
{
	json_object *ev;

	while (d->qmp && (ev = qmp_client_take_event(d->qmp))) {
		json_object *name, *data, *reason;
		const char *n;

		if (!json_object_object_get_ex(ev, "event", &name)) {
			json_object_put(ev);
			continue;
		}
		n = json_object_get_string(name);
		if (strcmp(n, "STOP") == 0 && d->state == DM_RUNNING) {
			d->state = DM_PAUSED;
			d->reason = DM_PAUSED_USER;
			emit(m, d, DM_EV_SUSPENDED, DM_EV_SUSPENDED_PAUSED);
		} else if (strcmp(n, "RESUME") == 0 && d->state != DM_RUNNING) {
			d->state = DM_RUNNING;
			d->reason = DM_RUNNING_UNPAUSED;
			emit(m, d, DM_EV_RESUMED, DM_EV_RESUMED_UNPAUSED);
		} else if (strcmp(n, "SHUTDOWN") == 0 &&
			   json_object_object_get_ex(ev, "data", &data) &&
			   json_object_object_get_ex(data, "reason", &reason)) {
			snprintf(d->shutdown_reason, sizeof(d->shutdown_reason), "%s",
				 json_object_get_string(reason));
		} else if (strcmp(n, "GUEST_PANICKED") == 0) {
			d->panicked = true;
		}
		json_object_put(ev);
	}
}

static void on_qmp(void *opaque, uint32_t events)
{
	struct dm_dom *d = opaque;
	struct dm *m = d->m;
	int ret;

	(void)events;
	ret = qmp_client_pump(d->qmp);
	handle_events(m, d);
	if (ret && d->qmp) {
		/* The monitor closed: the process is ending; its pidfd says when. */
		ioloop_del_fd(m->loop, d->qmp_h);
		d->qmp_h = NULL;
	}
}

/* ---- processes ---- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void last_log_line(struct dm *m, struct dm_dom *d, char *buf, size_t len)
{
	char path[4200], *txt = NULL, *line, *end;
	size_t n;

	buf[0] = 0;
	dm_path_of(m, d, "log", path, sizeof(path));
	if (file_read_all(path, 1 << 20, &txt, &n))
		return;
	while (n && (txt[n - 1] == '\n' || txt[n - 1] == '\r'))
		txt[--n] = 0;
	line = strrchr(txt, '\n');
	line = line ? line + 1 : txt;
	end = line + strlen(line);
	snprintf(buf, len, "%.*s", (int)(end - line), line);
	free(txt);
}

static int next_id(struct dm *m)
{
	for (;;) {
		int id = m->next_id++;

		if (m->next_id <= 0)
			m->next_id = 1;
		if (!dm_lookup_id(m, id))
			return id;
	}
}

/* The process is gone (or going): reap, decide the state, emit, clean up. May free d. */
static void process_gone(struct dm *m, struct dm_dom *d)
{
	int status = -1, state = DM_SHUTOFF, reason = DM_SHUTOFF_UNKNOWN, ev, detail;
	bool restart = false, panicked;
	struct domain_def *again = NULL;
	const struct domain_def *cfg = d->live ? d->live : d->def;

	if (d->is_child && waitpid(d->pid, &status, WNOHANG) <= 0) {
		/* Not gone yet (a monitor that closed early): wait for it, bounded. */
		struct pollfd p = { .fd = d->pidfd, .events = POLLIN };

		poll(&p, 1, 2000);
		if (waitpid(d->pid, &status, WNOHANG) <= 0)
			status = -1;
	}
	if (d->qmp) {
		/* The last events (SHUTDOWN, GUEST_PANICKED) may still be in the socket. */
		int rc = qmp_client_pump(d->qmp);

		(void)rc;
		handle_events(m, d);
	}
	panicked = d->panicked || strcmp(d->shutdown_reason, "guest-panic") == 0;
	if (d->destroying || strcmp(d->shutdown_reason, "host-qmp-quit") == 0) {
		reason = DM_SHUTOFF_DESTROYED;
		ev = DM_EV_STOPPED;
		detail = DM_EV_STOPPED_DESTROYED;
	} else if (panicked) {
		reason = DM_SHUTOFF_CRASHED;
		emit(m, d, DM_EV_CRASHED, DM_EV_CRASHED_PANICKED);
		ev = DM_EV_STOPPED;
		detail = DM_EV_STOPPED_CRASHED;
		restart = cfg && cfg->on_crash == DOMAIN_LC_RESTART;
	} else if (strcmp(d->shutdown_reason, "guest-shutdown") == 0) {
		reason = DM_SHUTOFF_SHUTDOWN;
		emit(m, d, DM_EV_SHUTDOWN, DM_EV_SHUTDOWN_FINISHED);
		ev = DM_EV_STOPPED;
		detail = DM_EV_STOPPED_SHUTDOWN;
		restart = d->rebooting || (cfg && cfg->on_poweroff == DOMAIN_LC_RESTART);
	} else if (strcmp(d->shutdown_reason, "guest-reset") == 0 ||
		   strcmp(d->shutdown_reason, "host-qmp-system-reset") == 0) {
		reason = DM_SHUTOFF_SHUTDOWN;
		ev = DM_EV_STOPPED;
		detail = DM_EV_STOPPED_SHUTDOWN;
		restart = d->rebooting || (cfg && cfg->on_reboot == DOMAIN_LC_RESTART);
	} else {
		/* No SHUTDOWN from the monitor: killed, or it died on its own. */
		char line[256];

		last_log_line(m, d, line, sizeof(line));
		log_warn("%s: the VM process %d ended unexpectedly (%s%s%s)", d->name, (int)d->pid,
			 status < 0	     ? "not our child" :
			 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
					       "exit",
			 line[0] ? ": " : "", line);
		reason = DM_SHUTOFF_CRASHED;
		ev = DM_EV_STOPPED;
		detail = DM_EV_STOPPED_FAILED;
		m->counters.crashed++;
	}
	if (panicked)
		m->counters.crashed++;
	m->counters.stopped++;
	if (restart && !d->def && d->live) {
		/* A transient domain restarts from its live definition. */
		again = domain_def_copy(d->live);
		if (!again)
			restart = false;
	}
	dm_sched_remove(m, d);
	detach(m, d);
	remove_state(m, d);
	d->id = -1;
	d->pid = -1;
	d->state = state;
	d->reason = reason;
	domain_def_free(d->live);
	d->live = NULL;
	free(d->vcpu_tids);
	d->vcpu_tids = NULL;
	d->nvcpu_tids = 0;
	emit(m, d, ev, detail);
	d->rebooting = false;
	if (restart) {
		struct dm_err err = { 0, 0, "" };
		int rc;

		if (d->def) {
			rc = dm_start(m, d, 0, &err);
		} else {
			d->live = again;
			again = NULL;
			rc = start_live(m, d, 0, &err);
		}
		if (rc == 0)
			return;
		log_warn("%s: restart failed: %s", d->name, err.message);
	}
	domain_def_free(again);
	if (!d->def)
		dom_free(m, d); /* transient: gone with its process */
}

static void on_exit_fd(void *opaque, uint32_t events)
{
	struct dm_dom *d = opaque;

	(void)events;
	process_gone(d->m, d);
}

static char opt_monitor[] = "--monitor", opt_paused[] = "--paused", opt_quiet[] = "--quiet",
	    opt_gate[] = "--vcpu-gate";

/* Spawn strand for d->live: its own session, output to NAME.log. */
static int spawn(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	struct domain_argv a;
	struct domain_error de;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char logp[4200], mon[200], gatep[4200], **argv;
	unsigned flags = m->opts.sched.kind == SCHED_KIND_GANG ||
					 m->opts.sched.kind == SCHED_KIND_GANG_RELAXED ||
					 m->opts.sched.kind == SCHED_KIND_CREDIT ?
				 DOMAIN_ARGV_HOST_SCHED :
				 0;
	int ret;
	pid_t pid;

	if (domain_argv_build_flags(d->live, m->opts.strand_bin, flags, &a, &de))
		return xml_err(err, &de);
	argv = calloc(a.argc + 8, sizeof(char *));
	if (!argv) {
		domain_argv_free(&a);
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	}
	memcpy(argv, a.argv, a.argc * sizeof(char *));
	dm_path_of(m, d, "qmp", d->qmp_path, sizeof(d->qmp_path));
	snprintf(mon, sizeof(mon), "unix:%s", d->qmp_path);
	argv[a.argc] = opt_monitor;
	argv[a.argc + 1] = mon;
	argv[a.argc + 2] = opt_paused;
	argv[a.argc + 3] = opt_quiet;
	/* Always: a strandd restarted with a cross-domain strategy can steer this VM too. */
	dm_path_of(m, d, "gate", gatep, sizeof(gatep));
	argv[a.argc + 4] = opt_gate;
	argv[a.argc + 5] = gatep;
	argv[a.argc + 6] = NULL;
	dm_path_of(m, d, "log", logp, sizeof(logp));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&at);
	{
		sigset_t none, all;

		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &all);
	}
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	ret = posix_spawn(&pid, m->opts.strand_bin, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (!ret) {
		char *cmd = domain_argv_join(&a);

		log_info("%s: started pid %d: %s", d->name, (int)pid, cmd ? cmd : "?");
		free(cmd);
	}
	free(argv);
	d->tunings = a.tunings;
	d->ntunings = a.ntunings;
	a.tunings = NULL;
	a.ntunings = 0;
	domain_argv_free(&a);
	if (ret)
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot start %s: %s", m->opts.strand_bin,
			       strerror(ret));
	d->pid = pid;
	d->is_child = true;
	d->starttime = proc_starttime(pid);
	d->pidfd = pidfd_open_(pid);
	return 0;
}

static void free_tunings(struct dm_dom *d)
{
	for (unsigned i = 0; i < d->ntunings; i++)
		free(d->tunings[i].cpulist);
	free(d->tunings);
	d->tunings = NULL;
	d->ntunings = 0;
}

/* Wait for the new process to answer on its monitor, or to die trying. */
static int await_monitor(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	uint64_t end = now_ns() + (uint64_t)DM_START_TIMEOUT_MS * 1000000ULL;

	while (now_ns() < end) {
		struct dm_err e2;
		int status;

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			char line[400];

			last_log_line(m, d, line, sizeof(line));
			d->is_child = false;
			return set_err(err, DM_ERR_OPERATION_FAILED,
				       "operation failed: domain '%s' did not start (strand exited "
				       "with %d): %s",
				       d->name,
				       WIFEXITED(status) ? WEXITSTATUS(status) :
							   128 + WTERMSIG(status),
				       line);
		}
		if (attach_monitor(m, d, 50, &e2) == 0)
			return 0;
	}
	return set_err(
		err, DM_ERR_OPERATION_TIMEOUT,
		"operation timed out: domain '%s' did not answer on its monitor within %d ms",
		d->name, DM_START_TIMEOUT_MS);
}

static void kill_and_reap(struct dm_dom *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	if (d->is_child)
		waitpid(d->pid, NULL, 0);
}

static int apply_tunings(struct dm_dom *d, struct dm_err *err)
{
	for (unsigned i = 0; i < d->ntunings; i++) {
		const struct domain_tuning *t = &d->tunings[i];
		json_object *a = json_object_new_object();
		int ret;

		json_object_object_add(a, "cpus", json_object_new_string(t->cpulist));
		if (t->kind == DOMAIN_TUNE_VCPU_PIN) {
			json_object_object_add(a, "cpu-index", json_object_new_int((int)t->vcpu));
			ret = dm_qmp(d, "x-strand-vcpu-pin", a, NULL, err);
		} else {
			ret = dm_qmp(d, "x-strand-emulator-pin", a, NULL, err);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int start_live(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_err *err)
{
	int ret;

	d->id = next_id(m);
	d->destroying = d->panicked = false;
	d->shutdown_reason[0] = 0;
	ret = spawn(m, d, err);
	if (ret)
		goto fail;
	ret = await_monitor(m, d, err);
	if (ret)
		goto fail_kill;
	ret = cache_vcpu_tids(d, err);
	if (!ret)
		ret = read_console_path(d, err);
	if (!ret)
		ret = apply_tunings(d, err);
	if (ret)
		goto fail_kill;
	free_tunings(d);
	if (d->pidfd >= 0 && ioloop_add_fd(m->loop, d->pidfd, EPOLLIN, on_exit_fd, d, &d->pid_h)) {
		ret = set_err(err, DM_ERR_NO_MEMORY, "out of memory");
		goto fail_kill;
	}
	if (save_state(m, d))
		log_warn("%s: cannot write its state file: strandd could not re-attach after a "
			 "restart",
			 d->name);
	if (!(flags & DM_START_PAUSED)) {
		ret = dm_qmp(d, "cont", NULL, NULL, err);
		if (ret)
			goto fail_kill;
		d->state = DM_RUNNING;
		d->reason = DM_RUNNING_BOOTED;
	} else {
		d->state = DM_PAUSED;
		d->reason = DM_PAUSED_USER;
	}
	/* The RESUME event of our own cont is not news. */
	handle_events(m, d);
	d->state = flags & DM_START_PAUSED ? DM_PAUSED : DM_RUNNING;
	m->counters.started++;
	dm_sched_add(m, d);
	emit(m, d, DM_EV_STARTED, DM_EV_STARTED_BOOTED);
	if (flags & DM_START_PAUSED)
		emit(m, d, DM_EV_SUSPENDED, DM_EV_SUSPENDED_PAUSED);
	return 0;
fail_kill:
	kill_and_reap(d);
fail:
	free_tunings(d);
	detach(m, d);
	remove_state(m, d);
	d->id = -1;
	d->pid = -1;
	d->state = DM_SHUTOFF;
	d->reason = DM_SHUTOFF_FAILED;
	domain_def_free(d->live);
	d->live = NULL;
	return ret;
}

int dm_start(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_err *err)
{
	if (dm_dom_active(d))
		return set_err(err, DM_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain is already running");
	if (!d->def)
		return set_err(err, DM_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain '%s' has no configuration",
			       d->name);
	d->live = domain_def_copy(d->def);
	if (!d->live)
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	return start_live(m, d, flags, err);
}

int dm_create_xml(struct dm *m, const char *xml, size_t len, unsigned flags, struct dm_dom **out,
		  struct dm_err *err)
{
	struct domain_def *def;
	struct dm_dom *d;
	int ret = parse(m, xml, len, &def, err);

	if (ret)
		return ret;
	ret = check_unique(m, def, &d, err);
	if (ret) {
		domain_def_free(def);
		return ret;
	}
	if (d && dm_dom_active(d)) {
		domain_def_free(def);
		return set_err(err, DM_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain '%s' is already running",
			       d->name);
	}
	if (!d) {
		d = dom_new(m, def);
		if (!d) {
			domain_def_free(def);
			return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
		}
	}
	d->live = def;
	ret = start_live(m, d, flags, err);
	if (ret) {
		if (!d->def)
			dom_free(m, d);
		return ret;
	}
	*out = d;
	return 0;
}

int dm_shutdown(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	int ret;

	(void)m;
	if (!dm_dom_active(d))
		return not_running(err, d);
	ret = dm_qmp(d, "system_powerdown", NULL, NULL, err);
	if (!ret && d->state == DM_RUNNING) {
		d->state = DM_SHUTDOWN;
		d->reason = DM_SHUTDOWN_USER;
	}
	return ret;
}

int dm_reboot(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	struct dm_err e2;
	int ret;

	(void)m;
	if (!dm_dom_active(d))
		return not_running(err, d);
	d->rebooting = true;
	/* The power button first (as libvirt's ACPI mode); no button: a reset. */
	ret = dm_qmp(d, "system_powerdown", NULL, NULL, &e2);
	if (ret)
		ret = dm_qmp(d, "system_reset", NULL, NULL, err);
	if (ret)
		d->rebooting = false;
	else if (save_state(m, d))
		log_warn("%s: cannot update its state file", d->name);
	return ret;
}

int dm_destroy(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	struct pollfd p;

	if (!dm_dom_active(d))
		return not_running(err, d);
	d->destroying = true;
	d->rebooting = false;
	/* As libvirt: SIGTERM, a grace period, then SIGKILL. */
	kill(d->pid, SIGTERM);
	p = (struct pollfd){ .fd = d->pidfd, .events = POLLIN };
	if (d->pidfd < 0 || poll(&p, 1, 3000) <= 0) {
		kill(d->pid, SIGKILL);
		if (d->pidfd >= 0)
			poll(&p, 1, 5000);
	}
	process_gone(m, d);
	return 0;
}

int dm_suspend(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	int ret;

	if (!dm_dom_active(d))
		return not_running(err, d);
	if (d->state == DM_PAUSED)
		return 0;
	ret = dm_qmp(d, "stop", NULL, NULL, err);
	if (!ret)
		handle_events(m, d);
	if (!ret && d->state != DM_PAUSED) {
		d->state = DM_PAUSED;
		d->reason = DM_PAUSED_USER;
		emit(m, d, DM_EV_SUSPENDED, DM_EV_SUSPENDED_PAUSED);
	}
	return ret;
}

int dm_resume(struct dm *m, struct dm_dom *d, struct dm_err *err)
{
	int ret;

	if (!dm_dom_active(d))
		return not_running(err, d);
	if (d->state != DM_PAUSED)
		return set_err(err, DM_ERR_OPERATION_INVALID,
			       "Requested operation is not valid: domain is not paused");
	ret = dm_qmp(d, "cont", NULL, NULL, err);
	if (!ret)
		handle_events(m, d);
	if (!ret && d->state != DM_RUNNING) {
		d->state = DM_RUNNING;
		d->reason = DM_RUNNING_UNPAUSED;
		emit(m, d, DM_EV_RESUMED, DM_EV_RESUMED_UNPAUSED);
	}
	return ret;
}

int dm_get_xml(struct dm *m, struct dm_dom *d, unsigned flags, char **out, struct dm_err *err)
{
	const struct domain_def *def = (flags & DM_XML_INACTIVE) && d->def ? d->def :
				       d->live				   ? d->live :
									     d->def;
	struct domain_error de;
	struct domain_def *tmp = NULL;
	int ret;

	(void)m;
	if (def == d->live && d->live) {
		tmp = domain_def_copy(def);
		if (!tmp)
			return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
		tmp->id = d->id;
		def = tmp;
	}
	ret = domain_format(def, def == tmp ? DOMAIN_XML_LIVE : 0, out, &de);
	domain_def_free(tmp);
	return ret ? xml_err(err, &de) : 0;
}

/* ---- start-up: definitions and running domains ---- */

static void load_defs(struct dm *m)
{
	char dir[4200];
	DIR *dd;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/domains", m->opts.state_dir);
	dd = opendir(dir);
	if (!dd)
		return;
	while ((de = readdir(dd))) {
		size_t n = strlen(de->d_name);
		char path[4400], *xml;
		size_t len;
		struct domain_def *def;
		struct dm_err err;
		struct dm_dom *same;

		{
			/* A NAME.xml.tmp.PID left by a strandd killed mid-write: its rename
			 * never happened, so the definition is the old one; the temp goes. */
			const char *t = strstr(de->d_name, ".xml.tmp.");
			char proc[64];

			if (t) {
				snprintf(proc, sizeof(proc), "/proc/%s", t + 9);
				if (access(proc, F_OK) != 0) {
					snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
					unlink(path);
				}
				continue;
			}
		}
		if (n < 5 || strcmp(de->d_name + n - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (file_read_all(path, DOMAIN_XML_MAX, &xml, &len)) {
			log_warn("cannot read %s", path);
			continue;
		}
		if (parse(m, xml, len, &def, &err)) {
			log_warn("%s: %s (left alone)", path, err.message);
			free(xml);
			continue;
		}
		free(xml);
		if (check_unique(m, def, &same, &err) || same) {
			log_warn("%s: %s (left alone)", path, same ? "defined twice" : err.message);
			domain_def_free(def);
			continue;
		}
		same = dom_new(m, def);
		if (same) {
			struct stat st;
			char link[4200];

			same->def = def;
			dm_path_of(m, same, "autostart", link, sizeof(link));
			same->autostart = lstat(link, &st) == 0;
		} else {
			domain_def_free(def);
		}
	}
	closedir(dd);
	/* A NAME.xml.tmp.PID link of a strandd killed mid-rename: never renamed, so void. */
	snprintf(dir, sizeof(dir), "%s/autostart", m->opts.state_dir);
	dd = opendir(dir);
	while (dd && (de = readdir(dd))) {
		const char *t = strstr(de->d_name, ".xml.tmp.");
		char proc[64], path[4600];

		if (!t)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%s", t + 9);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (access(proc, F_OK) != 0)
			unlink(path);
	}
	if (dd)
		closedir(dd);
}

/* A state file from an earlier strandd: re-attach if its process is still the same one. */
/*
 * Re-attached: a strandd killed while its strategy had vCPUs of this VM parked leaves them
 * parked; they run again now (a strategy of this strandd, if any, steers them anew).
 */
static void release_gates(struct dm *m, struct dm_dom *d)
{
	struct errbuf eb = { "" };
	struct dm_err e = { 0, 0, "" };
	struct vcpu_gate g;
	char path[4200];
	json_object *a;

	dm_path_of(m, d, "gate", path, sizeof(path));
	if (vcpu_gate_open(&g, path, 0, &eb) == 0) {
		vcpu_gate_release_all(&g);
		vcpu_gate_close(&g, false);
		return;
	}
	/* A VM without a shared gate was steered through its monitor. */
	a = json_object_new_object();
	json_object_object_add(a, "park", json_object_new_boolean(0));
	if (dm_qmp(d, "x-strand-vcpu-gate", a, NULL, &e))
		log_warn("%s: cannot release its vCPUs: %s", d->name, e.message);
}

static void reattach_one(struct dm *m, const char *path)
{
	char *txt, xmlp[4300];
	size_t len;
	json_object *o, *v;
	struct domain_def *live = NULL;
	struct dm_dom *d;
	struct dm_err err;
	pid_t pid;
	uint64_t st;
	const char *name;
	char namebuf[DOMAIN_NAME_MAX + 1];

	if (file_read_all(path, 1 << 16, &txt, &len))
		return;
	o = json_tokener_parse(txt);
	free(txt);
	if (!o || !json_object_object_get_ex(o, "name", &v)) {
		log_warn("%s: not a state file (removed)", path);
		unlink(path);
		json_object_put(o);
		return;
	}
	/* A copy: o is released before the last messages that name the domain. */
	snprintf(namebuf, sizeof(namebuf), "%s", json_object_get_string(v));
	name = namebuf;
	pid = json_object_object_get_ex(o, "pid", &v) ? (pid_t)json_object_get_int(v) : -1;
	st = json_object_object_get_ex(o, "starttime", &v) ? (uint64_t)json_object_get_int64(v) : 0;
	snprintf(xmlp, sizeof(xmlp), "%s/%s.xml", m->opts.run_dir, name);
	if (pid <= 0 || proc_starttime(pid) != st || !st) {
		log_info("%s: its VM process %d is gone", name, (int)pid);
		goto stale;
	}
	if (file_read_all(xmlp, DOMAIN_XML_MAX, &txt, &len) == 0) {
		struct domain_parse_opts po = { .flags = DOMAIN_XML_LIVE,
						.emulator = m->opts.strand_bin };
		struct domain_error de;

		if (domain_parse(txt, len, &po, &live, &de))
			live = NULL;
		free(txt);
	}
	if (!live) {
		log_warn("%s: no usable live XML in %s: its VM (pid %d) is left alone", name, xmlp,
			 (int)pid);
		json_object_put(o);
		return;
	}
	d = dm_lookup_name(m, name);
	if (!d) {
		d = dom_new(m, live);
		if (!d) {
			domain_def_free(live);
			json_object_put(o);
			return;
		}
	}
	d->live = live;
	d->id = json_object_object_get_ex(o, "id", &v) ? json_object_get_int(v) : next_id(m);
	if (d->id >= m->next_id)
		m->next_id = d->id + 1;
	d->pid = pid;
	d->starttime = st;
	d->is_child = false;
	d->rebooting = json_object_object_get_ex(o, "rebooting", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "monitor", &v))
		snprintf(d->qmp_path, sizeof(d->qmp_path), "%s", json_object_get_string(v));
	json_object_put(o);
	d->pidfd = pidfd_open_(pid);
	if (attach_monitor(m, d, 2000, &err) || cache_vcpu_tids(d, &err)) {
		log_warn("%s: cannot re-attach to pid %d: %s", name, (int)pid, err.message);
		detach(m, d);
		d->id = -1;
		d->pid = -1;
		domain_def_free(d->live);
		d->live = NULL;
		if (!d->def)
			dom_free(m, d);
		return;
	}
	if (read_console_path(d, &err)) {
		/* Not a path from an earlier VM: that pty may be someone else's now. */
		log_warn("%s: no console: %s", name, err.message);
		free(d->live->serial_pty);
		d->live->serial_pty = NULL;
	}
	{
		json_object *r, *s;

		d->state = DM_RUNNING;
		d->reason = DM_RUNNING_UNPAUSED;
		if (dm_qmp(d, "query-status", NULL, &r, &err) == 0 &&
		    json_object_object_get_ex(r, "status", &s) &&
		    strcmp(json_object_get_string(s), "running")) {
			d->state = DM_PAUSED;
			d->reason = DM_PAUSED_USER;
		}
		json_object_put(r);
	}
	if (d->pidfd >= 0 && ioloop_add_fd(m->loop, d->pidfd, EPOLLIN, on_exit_fd, d, &d->pid_h))
		log_warn("%s: cannot watch pid %d", name, (int)pid);
	m->counters.reattached++;
	release_gates(m, d);
	dm_sched_add(m, d);
	log_info("%s: re-attached to its VM (pid %d, id %d)", name, (int)pid, d->id);
	return;
stale:
	json_object_put(o);
	unlink(path);
	unlink(xmlp);
	d = dm_lookup_name(m, name);
	if (d) {
		d->state = DM_SHUTOFF;
		d->reason = DM_SHUTOFF_CRASHED;
	}
}

static void reattach_all(struct dm *m)
{
	DIR *dd = opendir(m->opts.run_dir);
	struct dirent *de;

	if (!dd)
		return;
	while ((de = readdir(dd))) {
		size_t n = strlen(de->d_name);
		char path[4400];

		if (n < 7 || strcmp(de->d_name + n - 6, ".state"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", m->opts.run_dir, de->d_name);
		reattach_one(m, path);
	}
	closedir(dd);
}

/* ---- autostart ---- */

static void autostart_next(void *opaque)
{
	struct dm *m = opaque;
	struct dm_dom *d;
	struct dm_err err = { 0, 0, "" };

	for (d = m->doms; d && !d->autostart_pending; d = d->next)
		;
	if (!d)
		return;
	d->autostart_pending = false;
	if (dm_dom_autostart(d) && !dm_dom_active(d)) {
		if (dm_start(m, d, 0, &err))
			log_warn("%s: autostart failed: %s", d->name, err.message);
		else
			log_info("%s: autostarted (id %d)", d->name, d->id);
	}
	/* The next one on the next turn: clients waiting are served in between. */
	if (ioloop_call(m->loop, autostart_next, m))
		log_warn("autostart: cannot queue the next domain");
}

void dm_autostart(struct dm *m)
{
	char marker[4200];
	unsigned n = 0;
	int ret;

	snprintf(marker, sizeof(marker), "%s/autostarted", m->opts.run_dir);
	if (access(marker, F_OK) == 0) {
		log_info("autostart: done already since the host booted (%s)", marker);
		return;
	}
	ret = file_write_atomic(marker, "", 0, 0600);
	if (ret)
		log_warn("cannot write %s: %s (autostart runs again at the next start)", marker,
			 strerror(-ret));
	for (struct dm_dom *d = m->doms; d; d = d->next) {
		d->autostart_pending = dm_dom_autostart(d) && !dm_dom_active(d);
		n += d->autostart_pending;
	}
	if (n && ioloop_call(m->loop, autostart_next, m))
		log_warn("autostart: cannot queue it");
}

int dm_open(struct dm **out, struct ioloop *loop, const struct dm_opts *o, struct dm_err *err)
{
	struct dm *m = calloc(1, sizeof(*m));
	char dir[4200];
	int ret;

	if (!m)
		return set_err(err, DM_ERR_NO_MEMORY, "out of memory");
	m->loop = loop;
	m->opts = *o;
	m->next_id = 1;
	snprintf(dir, sizeof(dir), "%s/autostart", o->state_dir);
	ret = file_mkdirs(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/domains", o->state_dir);
	if (!ret)
		ret = file_mkdirs(dir, 0700);
	if (!ret)
		ret = file_mkdirs(o->run_dir, 0700);
	if (ret) {
		free(m);
		return set_err(err, DM_ERR_SYSTEM_ERROR, "cannot create %s or %s: %s", dir,
			       o->run_dir, strerror(-ret));
	}
	ret = dm_sched_init(m, err);
	if (ret) {
		free(m);
		return ret;
	}
	load_defs(m);
	reattach_all(m);
	*out = m;
	return 0;
}

void dm_close(struct dm *m)
{
	if (!m)
		return;
	dm_sched_fini(m);
	while (m->doms) {
		struct dm_dom *d = m->doms;

		detach(m, d);
		free_tunings(d);
		dom_free(m, d);
	}
	free(m);
}
