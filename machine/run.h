/*
 * run.h - `strand run`: one VM, or several VMs in one process sharing the host under one
 * scheduling strategy (--vm groups), with placement, the strategy's controller, signals,
 * --timeout, the QMP monitor (--monitor), result reports and --stats.
 *
 * Threads: struct run is owned by the main thread, which runs the main loop; the monitor's
 * commands (machine/control.c) run on it too, so every field below is main-thread only
 * unless marked. The strategy controller ("sched" thread) owns `sched` while it runs: the main
 * thread stops it (sched_ctl_stop) before it changes the strategy, and changes credit weights
 * and caps only through the controller's atomic request fields.
 */
#ifndef STRAND_MACHINE_RUN_H
#define STRAND_MACHINE_RUN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "machine/config.h"
#include "monitor/vcpu_gate.h"
#include "sched/place.h"
#include "sched/strategy.h"
#include "util/errbuf.h"

#define RUN_MAX_VMS 16

struct machine;
struct ioloop;
struct control;
struct thread_placement;

/* What the VMs of a run are doing, as the monitor reports it (query-status). */
enum run_state {
	RUN_PRELAUNCH = 0, /* built and started paused (--paused), never continued */
	RUN_RUNNING,
	RUN_PAUSED,
	RUN_SHUTDOWN,	    /* the VMs stopped (the process ends soon) */
	RUN_GUEST_PANICKED, /* a guest crashed */
	RUN_INTERNAL_ERROR, /* a host error stopped a VM */
};

struct run {
	struct machine_config host; /* host-wide settings (and the VM when there is one) */
	unsigned nvms;
	struct machine_config cfg[RUN_MAX_VMS];
	struct machine *m[RUN_MAX_VMS];
	struct ioloop *loop;
	int sigfd;
	unsigned stopped;
	bool stop_fd_seen[RUN_MAX_VMS];
	struct place_plan plan;
	bool have_plan;
	struct thread_placement *vcpu_pl[RUN_MAX_VMS];
	struct thread_placement *io_pl[RUN_MAX_VMS];
	/*
	 * Each vCPU's affinity when no strategy pins it: its start placement, then whatever the
	 * monitor's vcpu-pin set (NULL entries: every CPU). Restored when `pinned` ends.
	 */
	cpu_set_t *vcpu_base[RUN_MAX_VMS];
	struct sched_ctl sched;
	bool sched_started;
	uint64_t *parked_carry_ns; /* per vCPU (run order): parked time under earlier strategies */
	uint64_t start_ns;
	enum run_state state;
	bool paused[RUN_MAX_VMS]; /* stopped by the monitor (or SIGUSR1) */
	struct control *ctl;	  /* the monitor (machine/control.c); NULL without --monitor */
	const char *stop_cause[RUN_MAX_VMS]; /* QMP SHUTDOWN reason when the host stopped it */
	uint64_t tunings;		     /* live changes made through the monitor */
	struct vcpu_gate gate; /* --vcpu-gate: created before the vCPUs start, main thread */
};

int run_main(int argc, char **argv);

/* ---- for the monitor (machine/control.c), main thread ---- */

unsigned run_total_vcpus(const struct run *r);
/* The strategy checks of --sched, for a start (live=false) or a live switch. */
struct topology;
int run_check_sched(const struct run *r, const struct sched_config *s, const struct topology *t,
		    bool live, struct errbuf *err);
/* Start (or restart after a switch) the strategy controller for r->host.sched on ncpus. */
int run_start_sched(struct run *r, unsigned ncpus);
/* Stop it, keeping the time it parked each vCPU (parked_carry_ns). */
void run_stop_sched(struct run *r);

#endif
