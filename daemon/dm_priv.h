/*
 * dm_priv.h - the domain manager's internals, shared by dm.c (registry, lifecycle), dm_tune.c
 * (vCPUs, pins, scheduler parameters, statistics) and dm_sched.c (the strategy across domains).
 * Main loop thread, except where dm_sched.c says otherwise.
 */
#ifndef STRAND_DAEMON_DM_PRIV_H
#define STRAND_DAEMON_DM_PRIV_H

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "daemon/dm.h"
#include "daemon/xml/argv.h"

struct qmp_client;
struct ioloop_fd;
struct dm_sched;

/* One domain. Owner: the main thread. */
struct dm_dom {
	struct dm *m;
	char name[DOMAIN_NAME_MAX + 1];
	uint8_t uuid[16];
	struct domain_def *def;	 /* persistent configuration; NULL: transient */
	struct domain_def *live; /* the running configuration (live pins applied); NULL: off */
	int id;			 /* -1: not running */
	int state, reason;	 /* enum dm_state and its reason */
	pid_t pid;
	bool is_child; /* started by this strandd (waitpid works), not re-attached */
	int pidfd;
	uint64_t starttime; /* /proc start time of pid: a reused pid is not our VM */
	char qmp_path[108];
	struct qmp_client *qmp;
	struct ioloop_fd *qmp_h, *pid_h;
	/*
	 * <serial type='pty'>: strand holds the pty (--console pty, its path in live->serial_pty
	 * from query-chardev); strandd opens the slave while a console stream is open
	 * (dm_console_open) and closes it when the stream ends, so the guest's output with no
	 * console is dropped by strand. -1: no console open.
	 */
	int pty_fd;
	struct ioloop_fd *pty_h;
	dm_console_fn console_fn;
	void *console_opaque;
	pid_t *vcpu_tids; /* from query-cpus-fast at start */
	unsigned nvcpu_tids;
	struct domain_tuning *tunings; /* to apply before the first cont */
	unsigned ntunings;
	bool destroying, rebooting, panicked;
	bool autostart;		  /* STATE_DIR/autostart/NAME.xml links to the definition */
	bool autostart_pending;	  /* dm_autostart has still to start it */
	char shutdown_reason[32]; /* the monitor's SHUTDOWN reason, "" before */
	struct dm_dom *next;
};

struct dm {
	struct ioloop *loop;
	struct dm_opts opts;
	struct dm_dom *doms;
	unsigned ndoms;
	int next_id;
	struct dm_counters counters;
	struct dm_sched *sched;
};

/* A monitor command (args consumed); libvirt's error on failure. */
int __must_check dm_qmp(struct dm_dom *d, const char *cmd, json_object *args, json_object **ret,
			struct dm_err *err);

/*
 * A domain's file: "def" (STATE/domains/NAME.xml), "autostart" (STATE/autostart/NAME.xml, a
 * symlink to "def"), else RUN/NAME.WHAT ("qmp", "state", "xml", "log", "gate": the shared
 * vCPU gate of monitor/vcpu_gate.h).
 */
static inline void dm_path_of(const struct dm *m, const struct dm_dom *d, const char *what,
			      char *buf, size_t len)
{
	if (strcmp(what, "def") == 0)
		snprintf(buf, len, "%s/domains/%s.xml", m->opts.state_dir, d->name);
	else if (strcmp(what, "autostart") == 0)
		snprintf(buf, len, "%s/autostart/%s.xml", m->opts.state_dir, d->name);
	else
		snprintf(buf, len, "%s/%s.%s", m->opts.run_dir, d->name, what);
}

/* Write d's persistent definition (atomically). */
int __must_check dm_save_def(struct dm *m, struct dm_dom *d, struct dm_err *err);

/* The strategy across domains (dm_sched.c): no-ops with --sched host. */
int __must_check dm_sched_init(struct dm *m, struct dm_err *err);
void dm_sched_fini(struct dm *m);
void dm_sched_add(struct dm *m, struct dm_dom *d);
void dm_sched_remove(struct dm *m, struct dm_dom *d);
/* A domain's weight or cap changed (schedinfo --set --live). */
void dm_sched_update(struct dm *m, struct dm_dom *d);
void dm_sched_counters(struct dm *m, struct dm_counters *out);
/* CPU time the strategy accounted to d, -1 if it does not run. */
int64_t dm_sched_cpu_ns(struct dm *m, struct dm_dom *d);

#endif
