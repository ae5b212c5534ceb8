/*
 * strategy.h - how vCPU threads of one or several VMs share the host's CPUs (--sched):
 *
 *   host          the Linux scheduler decides (KVM's default)
 *   pinned        1:1 dedicated vCPU -> CPU (Xen's null scheduler, partitioning); overcommit
 *                 is refused unless pinned:force
 *   fifo[:prio]   SCHED_FIFO vCPU threads (RT-KVM); refused if the kernel's RT throttling is
 *                 off, so the host keeps >= 5% of each CPU
 *   gang[:slice_ms]         strict co-scheduling: each slice, whole VMs are runnable (as many
 *                           as fit on the CPUs, round robin); the others are parked
 *   gang-relaxed[:skew_ms]  VMware's relaxed co-scheduling: a vCPU that got ahead of its
 *                           VM's slowest vCPU by more than skew_ms is co-stopped until the
 *                           others catch up
 *   credit[:tslice_ms]      Xen's credit scheduler: VMs earn CPU time in proportion to their
 *                           weight each period, UNDER VMs run before OVER ones, a cap limits a
 *                           VM's share, a vCPU that wakes up is BOOSTed for one tick
 *
 * The user-level strategies gate vCPU threads through callbacks (the builder parks them with
 * VCPU_PARK_SCHED: kicked out of KVM_RUN, parked, resumed; KVM keeps pending interrupts, so
 * nothing is lost) and account CPU time from /proc/self/task/TID/schedstat. The decision
 * functions are pure and unit-tested; the controller thread ("sched") runs them every tick.
 *
 * Threads: sched_ctl is built by the main thread, then owned by its controller thread;
 * counters are relaxed atomics read by the stats report.
 */
#ifndef STRAND_SCHED_STRATEGY_H
#define STRAND_SCHED_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sched/thread.h"
#include "util/compiler.h"
#include "util/errbuf.h"

enum sched_kind {
	SCHED_KIND_HOST = 0,
	SCHED_KIND_PINNED,
	SCHED_KIND_FIFO,
	SCHED_KIND_GANG,
	SCHED_KIND_GANG_RELAXED,
	SCHED_KIND_CREDIT,
};

struct sched_config {
	enum sched_kind kind;
	bool force;	   /* pinned: allow overcommit */
	int fifo_prio;	   /* 1..99 */
	uint64_t slice_ns; /* gang: slice; credit: tslice (Xen: 30 ms) */
	uint64_t skew_ns;  /* gang-relaxed: co-stop threshold */
	uint64_t tick_ns;  /* controller period (accounting) */
};

const char *sched_kind_name(enum sched_kind k);
/* "host", "pinned[:force]", "fifo[:prio]", "gang[:slice_ms]", "gang-relaxed[:skew_ms]", "credit[:tslice_ms]". */
int sched_parse(const char *spec, struct sched_config *c, struct errbuf *err);
void sched_default(struct sched_config *c);

/* What the controller knows about a vCPU. */
struct sched_vcpu {
	unsigned vm;
	pid_t tid;
	void (*gate)(void *opaque, bool park); /* park or release the vCPU */
	void *opaque;
	/* Controller state. */
	bool parked;
	bool boost;
	bool gone;		   /* its thread exited (or is a zombie): out of every decision */
	uint64_t cpu_ns, delay_ns; /* last sample (schedstat) */
	uint64_t progress_ns;	   /* gang-relaxed: wall - run delay - parked */
	uint64_t parked_since_ns;
	uint64_t parked_total_ns; /* atomic: time parked by the strategy */
	uint64_t last_wall_ns;
	char state; /* last /proc state letter: R, S, ... */
};

struct sched_vmparam {
	unsigned weight;  /* credit: relative share (default 256, Xen's) */
	unsigned cap_pct; /* credit: at most this % of one CPU per VM (0 = no cap) */
	/*
	 * Requested weight and cap (atomic): any thread may store them while the controller runs
	 * (the monitor's live tuning); the controller copies them into weight/cap each tick.
	 */
	unsigned weight_req, cap_req;
	unsigned nvcpus;
	unsigned nlive; /* vCPUs whose thread still exists (account() keeps it) */
	/* Credit state. */
	int64_t credit_ns;
	uint64_t used_period_ns;
	bool over;
	uint64_t cpu_total_ns; /* atomic: CPU consumed since start */
};

struct sched_ctl {
	struct sched_config cfg;
	unsigned ncpus; /* CPUs the vCPUs share */
	unsigned nvms;
	struct sched_vmparam *vms;
	unsigned nvcpus;
	struct sched_vcpu *vcpus;
	struct thread thread;
	bool stop; /* atomic */
	unsigned gang_turn;
	uint64_t ticks, gates; /* atomic */
	/* Account source (tests replace it): cpu and run-delay ns of a thread, its state. */
	int (*sample)(pid_t tid, uint64_t *cpu_ns, uint64_t *delay_ns, char *state);
};

/* Read /proc/TID/schedstat and stat: a thread of this process or of another (strandd). */
int sched_sample_proc(pid_t tid, uint64_t *cpu_ns, uint64_t *delay_ns, char *state);

/* ---- decisions (pure) ---- */

/*
 * Gang: which VMs run this slice. Starting at *turn, take VMs in order while their live vCPUs
 * (nlive) fit in ncpus (the first VM with live vCPUs always runs; VMs with none are skipped);
 * *turn advances by one. out[vm] = true to run.
 */
void sched_gang_pick(const struct sched_vmparam *vms, unsigned nvms, unsigned ncpus, unsigned *turn,
		     bool *out);
/*
 * Gang-relaxed: update each vCPU's park decision from its progress: park a vCPU more than
 * skew ahead of its VM's slowest live one; release it once within skew/2. Gone vCPUs are
 * never parked and never hold their siblings back.
 */
void sched_relaxed_decide(struct sched_vcpu *v, unsigned n, uint64_t skew_ns, bool *park);
/*
 * Credit: one accounting period of period_ns with ncpus: earn credits by weight, charge
 * what each VM used (vms[].used_period_ns), cap, then decide which vCPUs run (park[i]).
 */
void sched_credit_decide(struct sched_vmparam *vms, unsigned nvms, struct sched_vcpu *v, unsigned n,
			 unsigned ncpus, uint64_t period_ns, uint64_t tslice_ns, bool *park);

/* ---- controller ---- */

/* Start the controller thread for gang, gang-relaxed and credit (no thread otherwise). */
int __must_check sched_ctl_start(struct sched_ctl *s, const struct thread_placement *pl);
void sched_ctl_stop(struct sched_ctl *s);

#endif
