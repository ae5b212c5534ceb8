/*
 * dm.h - strandd's domain manager: the domains (libvirt domain XML, daemon/xml), their files,
 * one `strand run` process per running domain driven over its QMP monitor, lifecycle events,
 * live tuning, statistics, and re-attachment to running VMs when strandd restarts.
 * docs/management.md describes the behaviour; this is its contract.
 *
 * Files (dm_opts): persistent definitions in STATE_DIR/domains/NAME.xml; for each running
 * domain RUN_DIR/NAME.state (pid, process start time, id, monitor socket), RUN_DIR/NAME.xml
 * (its live XML), RUN_DIR/NAME.qmp (the monitor) and RUN_DIR/NAME.log (strand's output);
 * STATE_DIR/autostart/NAME.xml (a symlink to the definition) for autostart domains and
 * RUN_DIR/autostarted once autostart was done since the host booted.
 * Every file is written atomically (temporary file, fsync, rename, fsync of the directory):
 * a crash leaves the old or the new version, never a torn one.
 *
 * VM processes are started in their own session (setsid) and survive strandd: killing strandd
 * (even -9) leaves them running, and dm_open() finds them again from the state files, checks
 * that each pid is still the process it started (its start time), and reconnects.
 *
 * Threads: everything here runs on the daemon's main loop thread (the loop given to dm_open),
 * which also serves the RPC clients. Monitor commands are bounded by DM_QMP_TIMEOUT_MS: a VM
 * that stops answering delays a call by at most that long and never hangs the daemon. The
 * strategy controller across domains (gang, credit) runs on its own thread with its own monitor
 * connections (dm_sched.c); the main thread stops it before it changes its set of domains.
 *
 * Errors: a negative errno and a struct dm_err with libvirt's error number and a message that
 * names the domain and the problem, ready for libvirt's remote_error.
 */
#ifndef STRAND_DAEMON_DM_H
#define STRAND_DAEMON_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/xml/domain.h"
#include "sched/strategy.h"
#include "util/compiler.h"

struct ioloop;
struct dm;
struct dm_dom;

#define DM_QMP_TIMEOUT_MS   5000  /* one monitor command */
#define DM_START_TIMEOUT_MS 20000 /* from spawn to a monitor that answers */
#define DM_MAX_DOMAINS	    4096

/* libvirt's virErrorNumber values strandd answers with (include/libvirt/virterror.h). */
enum dm_err_code {
	DM_ERR_INTERNAL = 1,
	DM_ERR_NO_MEMORY = 2,
	DM_ERR_NO_SUPPORT = 3,
	DM_ERR_INVALID_ARG = 8,
	DM_ERR_OPERATION_FAILED = 9,
	DM_ERR_XML_ERROR = 27,
	DM_ERR_OPERATION_DENIED = 29,
	DM_ERR_SYSTEM_ERROR = 38,
	DM_ERR_NO_DOMAIN = 42,
	DM_ERR_OPERATION_INVALID = 55,
	DM_ERR_CONFIG_UNSUPPORTED = 67,
	DM_ERR_OPERATION_TIMEOUT = 68,
	DM_ERR_OPERATION_UNSUPPORTED = 84,
};

/* virErrorDomain values. */
#define DM_FROM_DOMAIN 20 /* VIR_FROM_DOMAIN */
#define DM_FROM_QEMU   10 /* VIR_FROM_QEMU: what a hypervisor driver reports from */

struct dm_err {
	int code;   /* enum dm_err_code (or a domain_err_code from the XML layer) */
	int domain; /* virErrorDomain */
	char message[512];
};

/* virDomainState and the reasons strandd reports (libvirt's numbers). */
enum dm_state {
	DM_NOSTATE = 0,
	DM_RUNNING = 1,
	DM_PAUSED = 3,
	DM_SHUTDOWN = 4, /* shutting down (a power-down was requested) */
	DM_SHUTOFF = 5,
	DM_CRASHED = 6,
};
#define DM_RUNNING_BOOTED     1
#define DM_RUNNING_UNPAUSED   5
#define DM_PAUSED_USER	      1
#define DM_PAUSED_STARTING_UP 11
#define DM_SHUTDOWN_USER      1
#define DM_SHUTOFF_UNKNOWN    0
#define DM_SHUTOFF_SHUTDOWN   1
#define DM_SHUTOFF_DESTROYED  2
#define DM_SHUTOFF_CRASHED    3
#define DM_SHUTOFF_FAILED     6
#define DM_CRASHED_PANICKED   1

/* virDomainEventType and details (lifecycle events). */
enum dm_event {
	DM_EV_DEFINED = 0,
	DM_EV_UNDEFINED = 1,
	DM_EV_STARTED = 2,
	DM_EV_SUSPENDED = 3,
	DM_EV_RESUMED = 4,
	DM_EV_STOPPED = 5,
	DM_EV_SHUTDOWN = 6,
	DM_EV_CRASHED = 8,
};
#define DM_EV_DEFINED_ADDED	0
#define DM_EV_DEFINED_UPDATED	1
#define DM_EV_UNDEFINED_REMOVED 0
#define DM_EV_STARTED_BOOTED	0
#define DM_EV_SUSPENDED_PAUSED	0
#define DM_EV_RESUMED_UNPAUSED	0
#define DM_EV_STOPPED_SHUTDOWN	0
#define DM_EV_STOPPED_DESTROYED 1
#define DM_EV_STOPPED_CRASHED	2
#define DM_EV_STOPPED_FAILED	5
#define DM_EV_SHUTDOWN_FINISHED 0
#define DM_EV_CRASHED_PANICKED	0

/* Flags (libvirt's values where libvirt has the flag). */
#define DM_START_PAUSED	 (1u << 0) /* VIR_DOMAIN_START_PAUSED */
#define DM_XML_INACTIVE	 (1u << 1) /* VIR_DOMAIN_XML_INACTIVE */
#define DM_AFFECT_LIVE	 (1u << 0) /* VIR_DOMAIN_AFFECT_LIVE */
#define DM_AFFECT_CONFIG (1u << 1) /* VIR_DOMAIN_AFFECT_CONFIG */

typedef void (*dm_event_fn)(void *opaque, struct dm_dom *d, int event, int detail);

struct dm_opts {
	const char *state_dir;	/* persistent: STATE_DIR/domains/NAME.xml */
	const char *run_dir;	/* runtime: state files, monitors, logs */
	const char *strand_bin; /* the VMM binary (absolute path) */
	/* The strategy strandd runs across domains (host: none; gang, gang-relaxed, credit). */
	struct sched_config sched;
	unsigned housekeeping; /* CPUs kept out of the shared pool */
	dm_event_fn event;
	void *event_opaque;
};

/* Load the definitions, re-attach to the running domains. */
int __must_check dm_open(struct dm **out, struct ioloop *loop, const struct dm_opts *o,
			 struct dm_err *err);
/* Close every monitor connection and free the registry; the VMs keep running. */
void dm_close(struct dm *m);

/* ---- lookup and listing ---- */
struct dm_dom *dm_lookup_name(struct dm *m, const char *name);
struct dm_dom *dm_lookup_uuid(struct dm *m, const uint8_t uuid[16]);
struct dm_dom *dm_lookup_id(struct dm *m, int id);
/* Every domain, in definition order (a malloc'd array the caller frees; the domains stay
 * the manager's). */
int __must_check dm_list(struct dm *m, struct dm_dom ***out, size_t *n);
size_t dm_count(struct dm *m, bool active);

const char *dm_dom_name(const struct dm_dom *d);
const uint8_t *dm_dom_uuid(const struct dm_dom *d);
int dm_dom_id(const struct dm_dom *d); /* -1 when not running */
bool dm_dom_active(const struct dm_dom *d);
bool dm_dom_persistent(const struct dm_dom *d);
void dm_dom_state(const struct dm_dom *d, int *state, int *reason);
/* The live definition when running, else the persistent one. */
const struct domain_def *dm_dom_def(const struct dm_dom *d);
pid_t dm_dom_pid(const struct dm_dom *d);
/* libvirt's autostart flag of a persistent domain. */
bool dm_dom_autostart(const struct dm_dom *d);

/* ---- lifecycle ---- */
int __must_check dm_define(struct dm *m, const char *xml, size_t len, struct dm_dom **out,
			   struct dm_err *err);
int __must_check dm_undefine(struct dm *m, struct dm_dom *d, struct dm_err *err);
int __must_check dm_create_xml(struct dm *m, const char *xml, size_t len, unsigned flags,
			       struct dm_dom **out, struct dm_err *err);
int __must_check dm_start(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_err *err);
/*
 * Autostart, as libvirt keeps it: STATE_DIR/autostart/NAME.xml, a symlink to the definition,
 * made or removed atomically. Only a persistent domain (VIR_ERR_OPERATION_INVALID otherwise);
 * undefine removes it.
 */
int __must_check dm_set_autostart(struct dm *m, struct dm_dom *d, bool on, struct dm_err *err);
/*
 * Start every autostart domain that is not running, one per main-loop turn (clients are served
 * between them), once per host boot as libvirt does: RUN_DIR/autostarted marks that it was done
 * (RUN_DIR is a tmpfs, /run/strand); a strandd restarted later leaves domains as they are. A
 * domain that fails to start is logged. Call once after dm_open, with the loop about to run.
 */
void dm_autostart(struct dm *m);
int __must_check dm_shutdown(struct dm *m, struct dm_dom *d, struct dm_err *err);
/* d may be freed by this call (a transient domain): do not use it afterwards. */
int __must_check dm_destroy(struct dm *m, struct dm_dom *d, struct dm_err *err);
int __must_check dm_reboot(struct dm *m, struct dm_dom *d, struct dm_err *err);
int __must_check dm_suspend(struct dm *m, struct dm_dom *d, struct dm_err *err);
int __must_check dm_resume(struct dm *m, struct dm_dom *d, struct dm_err *err);
int __must_check dm_get_xml(struct dm *m, struct dm_dom *d, unsigned flags, char **out,
			    struct dm_err *err);

/* ---- vCPUs, threads, tuning ---- */
struct dm_vcpu {
	unsigned number;
	int state;	  /* VIR_VCPU_RUNNING (1), OFFLINE (0) */
	uint64_t cpu_ns;  /* run time */
	uint64_t wait_ns; /* run delay */
	int cpu;	  /* host CPU it last ran on, -1 if unknown */
	pid_t tid;
	struct domain_cpuset affinity;
};
/* vCPUs of a running domain (malloc'd array). Not running: their configured pins only. */
int __must_check dm_vcpus(struct dm *m, struct dm_dom *d, struct dm_vcpu **out, unsigned *n,
			  struct dm_err *err);
/* The pin of each vCPU (live or config), for vcpupin's listing. */
int __must_check dm_vcpu_pins(struct dm *m, struct dm_dom *d, unsigned flags,
			      struct domain_cpuset *pins, unsigned n, struct dm_err *err);
int __must_check dm_pin_vcpu(struct dm *m, struct dm_dom *d, unsigned vcpu,
			     const struct domain_cpuset *cpus, unsigned flags, struct dm_err *err);
int __must_check dm_emulator_pin(struct dm *m, struct dm_dom *d, unsigned flags,
				 struct domain_cpuset *out, struct dm_err *err);
int __must_check dm_pin_emulator(struct dm *m, struct dm_dom *d, const struct domain_cpuset *cpus,
				 unsigned flags, struct dm_err *err);
struct dm_iothread {
	unsigned id;
	pid_t tid;
	struct domain_cpuset affinity;
};
int __must_check dm_iothreads(struct dm *m, struct dm_dom *d, unsigned flags,
			      struct dm_iothread **out, unsigned *n, struct dm_err *err);
int __must_check dm_pin_iothread(struct dm *m, struct dm_dom *d, unsigned id,
				 const struct domain_cpuset *cpus, unsigned flags,
				 struct dm_err *err);

/* Scheduler parameters (typed parameters of virsh schedinfo). */
enum dm_ptype {
	DM_P_INT = 1,
	DM_P_UINT = 2,
	DM_P_LLONG = 3,
	DM_P_ULLONG = 4,
	DM_P_DOUBLE = 5,
	DM_P_BOOLEAN = 6,
	DM_P_STRING = 7,
};
struct dm_param {
	char field[80];
	enum dm_ptype type;
	union {
		int64_t i;
		uint64_t u;
		double d;
	};
	char *s; /* DM_P_STRING (malloc'd) */
};
struct dm_params {
	struct dm_param *p;
	unsigned n, cap;
};
void dm_params_free(struct dm_params *ps);
int __must_check dm_params_add(struct dm_params *ps, const char *field, enum dm_ptype type,
			       int64_t i, uint64_t u, const char *s);

/* "credit" when strandd runs the credit strategy, else "posix" (libvirt's name). */
const char *dm_sched_type(struct dm *m, unsigned *nparams);
int __must_check dm_sched_get(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_params *out,
			      struct dm_err *err);
int __must_check dm_sched_set(struct dm *m, struct dm_dom *d, const struct dm_param *p, unsigned n,
			      unsigned flags, struct dm_err *err);
int __must_check dm_numa_get(struct dm *m, struct dm_dom *d, unsigned flags, struct dm_params *out,
			     struct dm_err *err);

/* ---- statistics ---- */
/* VIR_DOMAIN_STATS_STATE 1, CPU_TOTAL 2, VCPU 8, BLOCK 32. */
int __must_check dm_stats(struct dm *m, struct dm_dom *d, unsigned stats, struct dm_params *out,
			  struct dm_err *err);
/* Total CPU time of the domain: cpu_time, user_time, system_time (ns). */
int __must_check dm_cpu_stats(struct dm *m, struct dm_dom *d, struct dm_params *out,
			      struct dm_err *err);
/* max memory KiB, memory KiB, vCPUs, CPU time ns (virDomainGetInfo). */
void dm_info(struct dm *m, struct dm_dom *d, uint64_t *max_kib, uint64_t *mem_kib, unsigned *vcpus,
	     uint64_t *cpu_ns);

/*
 * The serial console of a running domain with <serial type='pty'> (virsh console): fn gets what
 * the guest writes; fn(opaque, NULL, 0) when the console ends (the VM stopped, or another
 * client took it with force). One console per domain: a second one fails unless force, which
 * ends the first. dm_console_write sends input to the guest; dm_console_close(d, opaque) ends
 * the console if opaque holds it.
 */
typedef void (*dm_console_fn)(void *opaque, const void *data, size_t len);
int __must_check dm_console_open(struct dm *m, struct dm_dom *d, bool force, dm_console_fn fn,
				 void *opaque, struct dm_err *err);
int dm_console_write(struct dm_dom *d, const void *data, size_t len);
void dm_console_close(struct dm_dom *d, void *opaque);

/* Daemon statistics (bench and tests). */
struct dm_counters {
	uint64_t started, stopped, crashed, reattached, defined, qmp_errors;
	/* The strategy across domains (since its last restart): ticks, gate calls, failures. */
	uint64_t sched_ticks, sched_gates, sched_gate_errors;
	/* Domains it steers through their shared vCPU gate; the rest through their monitor. */
	unsigned sched_shared_gates, sched_monitor_gates;
};
void dm_get_counters(const struct dm *m, struct dm_counters *out);

#endif
