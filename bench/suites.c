/* suites.c - the built-in benchmark suites, scenario files and their expansion. Main thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/suites.h"
#include "util/compiler.h"

/* ---- the knobs being compared: one line per preset or strategy ---- */

static const char *const threading_presets[] = {
	"qemu-classic", "qemu", "firecracker", "cloud-hypervisor", "strand", "inline", NULL,
};

/* The same with more vCPUs than CPUs: dedicated pinning must be forced to share. */
static const char *const sched_strategies_oc[] = {
	"host", "pinned:force", "fifo", "gang", "gang-relaxed", "credit", NULL,
};

/* ---- metrics ---- */

static const struct metric_def m_blk[] = {
	{ "iops", "4 KiB random reads", "1/s", true },
	{ "lat_p50", "request latency, median", "ns", false },
	{ "lat_p99", "request latency, p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_blk_iops[] = {
	{ "iops", "4 KiB random reads", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_exit[] = {
	{ "exit", "exit round trip", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_start[] = {
	{ "startup", "spawn to the guest's first output byte", "ms", false },
	{ "rss", "VmRSS with the guest halted (512 MiB guest)", "KiB", false },
	{ "pss", "Pss with the guest halted (512 MiB guest)", "KiB", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_run_ms[] = {
	{ "run", "spawn to exit of `strand run`", "ms", false },
	{ NULL, NULL, NULL, false },
};

#define SRC_BLK	 "iops=iops;lat_p50=latency.p50;lat_p99=latency.p99"
#define BLK_NULL "--disk path=null:64M"

/* Credit: shares of the host (VM CPU time / (wall x host CPUs)) against weights and a cap. */
static const struct metric_def m_credit[] = {
	{ "vm0_share", "VM 0's share of the host's CPU time", "share", true },
	{ "vm1_share", "VM 1's share of the host's CPU time", "share", true },
	{ "share_dev", "largest gap between a VM's share and its target", "share", false },
	{ NULL, NULL, NULL, false },
};

#define SRC_CREDIT "vm0_share=$vm_share.0;vm1_share=$vm_share.1;share_dev=$vm_share_dev"

static const struct variant_def qmp_switch_variants[] = {
	{ "2x-overcommit", NULL, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* ---- quick: the README's main job, about two minutes on a 2-CPU host ---- */

/*
 * One scenario per dimension, each where its knob is known to matter (docs/performance.md),
 * sized from the host ({cpus}), with a reading in words for every table (table.c).
 */

/* 1. the big lock against per-device locks: a slow handler on every vCPU's own device */
static const struct variant_def q_lock_variants[] = {
	{ "device-locks", "--threading strand", NULL, NULL, NULL },
	{ "big-lock", "--threading strand,lock=big", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_q_storm[] = {
	{ "exits_per_s", "MMIO exits per second, all vCPUs together", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_lock_wins[] = {
	{ "device-locks",
	  "each vCPU's exit takes only its own device's lock, so the slow "
	  "handlers run side by side; under the big lock they queue for one mutex" },
	{ NULL, NULL },
};

static const struct reading_def q_lock_reading = {
	.wins = q_lock_wins,
	.same = "the vCPUs seldom ran at the same moment (a busy host, or one CPU), so the big "
		"lock rarely had a queue",
	.same_pvm = "an exit costs ~20 us in PVM's nested path outside any lock, and the vCPUs "
		    "seldom ran at the same moment on this shared host, so the big lock rarely "
		    "had a queue",
};

/* 2. where virtio-blk requests are served, beside a vCPU that only measures its exits */
static const struct variant_def q_io_variants[] = {
	{ "io=vcpu", "--threading strand,io=vcpu", NULL, NULL, NULL },
	{ "io=main", "--threading strand,io=main", NULL, NULL, NULL },
	{ "io=iothread", "--threading strand,io=iothread", NULL, NULL, NULL },
	{ "io=iothread,lock=big", "--threading strand,io=iothread,lock=big", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_q_exit_p99[] = {
	{ "exit_p99", "MMIO exit latency of vCPU 0, p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_io_wins[] = {
	{ "io=vcpu", "vCPU 1 serves its own requests in its exit handler: no third busy thread "
		     "competes with the two vCPUs for the CPUs, and vCPU 0's device shares no lock "
		     "with the disk" },
	{ "io=iothread", "an iothread with the disk's own lock serves the requests, so vCPU 0's "
			 "exits never wait for request handling" },
	{ "io=main", "the main loop serves the requests under the disk's own lock, out of vCPU "
		     "0's way" },
	{ NULL, NULL },
};

static const struct reading_def q_io_reading = {
	.wins = q_io_wins,
	.same = "vCPU 0's exit path shares nothing with the disk's requests under any of these "
		"models, and its p99 is set by the host scheduler",
	.same_pvm = "vCPU 0's p99 is set by PVM's nested exits (~20 us) and by the host "
		    "scheduler's run delay on this shared host, not by which thread serves the "
		    "disk (~1-2 us a request)",
};

/* 2b. the same choice for throughput: two queues at QD 1, one per vCPU */
static const struct variant_def q_blk_variants[] = {
	{ "io=vcpu", "--threading strand,io=vcpu", NULL, NULL, NULL },
	{ "io=main", "--threading strand,io=main", NULL, NULL, NULL },
	{ "io=iothread", "--threading strand,io=iothread,iothreads=2", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct reading_why q_blk_wins[] = {
	{ "io=vcpu", "the vCPU completes each request in its own exit handler, while the other "
		     "models hand every kick to a sleeping thread (an eventfd wake-up: an IPI, "
		     "and on PVM a nested exit) that costs more than the request" },
	{ "io=iothread", "the iothreads serve the queues while the vCPUs run on, so two queues "
			 "are served in parallel and a kick needs no exit to userspace" },
	{ "io=main", "the main loop serves both queues without a lock of the vCPUs'" },
	{ NULL, NULL },
};

static const struct reading_def q_blk_reading = {
	.wins = q_blk_wins,
	.same = "a null-backend request costs ~1 us against a kick exit and an interrupt, "
		"whichever thread serves it",
	.same_pvm = "a null-backend request costs ~1 us against ~20 us of PVM kick exit and "
		    "interrupt, whichever thread serves it",
};

/* 3. the dispatch tables' lock while a host thread replaces them 10000 times a second */
static const struct variant_def q_map_variants[] = {
	{ "map=rcu", "--threading strand,map=rcu", NULL, NULL, NULL },
	{ "map=rwlock", "--threading strand,map=rwlock", NULL, NULL, NULL },
	{ "map=mutex", "--threading strand,map=mutex", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_q_dispatch[] = {
	{ "exit_p99", "MMIO exit latency, p99 of every vCPU's exits", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_map_wins[] = {
	{ "map=rcu", "readers of the RCU-published table take no lock, so an update never makes "
		     "an exit wait" },
	{ "map=rwlock", "the vCPUs share the read lock; only the churn thread's short writes "
			"exclude them" },
	{ NULL, NULL },
};

static const struct reading_def q_map_reading = {
	.wins = q_map_wins,
	.same = "a lookup holds the lock for ~0.1 us of each exit, so even 10000 updates a second "
		"leave almost no queue to wait in",
	.same_pvm = "a lookup holds the lock for ~0.1 us of a ~20 us PVM exit, so even 10000 "
		    "updates a second leave almost no queue to wait in",
};

/*
 * 4. strategies at 2x overcommit: spinlocks and barriers. Not fifo: with more busy-waiting
 * SCHED_FIFO vCPUs than CPUs, the first VM's vCPUs hold every CPU until that VM ends (the main
 * thread cannot even start the second one), so its figure is the VMs run one after the other;
 * and when both VMs' vCPUs get on CPU at once, each waits for a sibling queued behind the other
 * VM's spinner and nothing ever yields (RT throttling runs only non-RT tasks): a livelock seen
 * in 1-3 of 100 runs here (docs/scheduling.md). `strand bench sched` still measures it.
 */
static const char *const q_strategies[] = { "host", "gang", "credit", NULL };

static const struct metric_def m_q_spin[] = {
	{ "acquisitions", "spinlock acquisitions, both VMs together", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_q_barrier[] = {
	{ "phase_mean", "barrier phase time (vCPU 0 of each VM), mean", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_spin_wins[] = {
	{ "gang", "gang keeps both vCPUs of a VM on CPU together, so a preempted lock holder "
		  "never makes its sibling spin" },
	{ "credit", "credit parks and resumes whole VMs as they use up their share, so a VM's "
		    "vCPUs mostly run together" },
	{ NULL, NULL },
};

static const struct reading_why q_barrier_wins[] = {
	{ "gang", "gang runs a VM's vCPUs together, so they reach each barrier together instead "
		  "of waiting for a descheduled sibling" },
	{ "credit", "credit parks and resumes whole VMs, so siblings mostly run, and reach the "
		    "barrier, together" },
	{ NULL, NULL },
};

static const struct reading_def q_spin_reading = {
	.wins = q_spin_wins,
	.same = "the host had CPUs to spare, so no vCPU was preempted while its sibling waited",
};

static const struct reading_def q_barrier_reading = {
	.wins = q_barrier_wins,
	.same = "the host had CPUs to spare, so no vCPU was preempted while its sibling waited",
};

/* 5. credit weights and caps against their targets (2 s: fewer periods than sched's 10 s) */
#define BURN_2S	       "--guest cpu-burn:duration_ms=2000 --vcpus {cpus}"
#define Q_CREDIT(a, b) "--sched credit --vm " BURN_2S " " a " --vm " BURN_2S " " b

static const struct variant_def q_credit_w13[] = {
	{ "weights=1:3", Q_CREDIT("--weight 1", "--weight 3"), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def q_credit_cap[] = {
	{ "vm0-cap={cpus*25}", Q_CREDIT("--cap {cpus*25}", ""), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct reading_def q_credit_reading = {
	.targets = "credit charges each VM's CPU time against its weight every 10 ms and parks "
		   "a VM that is over its share (or its cap) until the next period",
};

/* 6. placement of one VM's two vCPUs that share a lock */
static const struct variant_def q_place_variants[] = {
	{ "compact", "--placement compact", NULL, NULL, NULL },
	{ "scatter", "--placement scatter", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_q_place[] = {
	{ "acquisitions", "spinlock acquisitions, both vCPUs", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_place_wins[] = {
	{ "compact", "compact puts the two vCPUs on one core's SMT siblings (or one package), so "
		     "the lock's cache line moves through a shared cache" },
	{ "scatter", "scatter gives each vCPU a core of its own (other packages first), so the two "
		     "spinning vCPUs do not share a core's execution units" },
	{ NULL, NULL },
};

static const struct reading_def q_place_reading = {
	.wins = q_place_wins,
	.same = "the lock's cache line moves between these cores about as fast as between "
		"siblings",
	.same_flat = "this host has one package and no SMT, so compact and scatter give each vCPU "
		     "a core of its own in the same package: the same placement",
};

/* 7. the strategy switched live: host and gang in turn in one run */
static const struct metric_def m_q_switch[] = {
	{ "host", "smp-spin acquisitions/s in the host phases (mean of the 200 ms samples)", "1/s",
	  true },
	{ "gang", "smp-spin acquisitions/s in the gang phases of the same runs", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct reading_why q_switch_wins[] = {
	{ "gang", "within a sample of each switch to gang both vCPUs of a VM run together, so no "
		  "lock holder is preempted while its sibling spins; switching back brings the "
		  "preemptions back" },
	{ NULL, NULL },
};

static const struct reading_def q_switch_reading = {
	.wins = q_switch_wins,
	.same = "the host had CPUs to spare, so no vCPU was preempted while its sibling waited",
	.pair = "gang",
	.pair_of = "host",
};

#define Q_SPIN_VMS                                              \
	"--vm --guest smp-spin:duration_ms=300 --vcpus {cpus} " \
	"--vm --guest smp-spin:duration_ms=300 --vcpus {cpus}"
#define Q_BARRIER_VMS                                                      \
	"--vm --guest barrier-sync:phases=100,work_us=500 --vcpus {cpus} " \
	"--vm --guest barrier-sync:phases=100,work_us=500 --vcpus {cpus}"

/* 7. where the network's queue runs: a UDP round trip over a tap (the net suite's biggest gap) */
static const struct metric_def m_q_rr[] = {
	{ "rr_p50", "UDP round trip (64 B) over a tap, median", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct variant_def q_net_variants[] = {
	{ "qemu", "--threading qemu", NULL, NULL, NULL },
	{ "firecracker", "--threading firecracker", NULL, NULL, NULL },
	{ "inline", "--threading inline", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct reading_why q_net_wins[] = {
	{ "qemu", "the queue has an iothread of its own (QEMU's model): the vCPU's kick is an "
		  "ioeventfd it does not wait on, and the tap's reply wakes that thread, not the "
		  "main loop that serves every other device" },
	{ "inline", "the vCPU moves its packets itself in the exit handler: no other thread to "
		    "wake on the way out" },
	{ "firecracker", "one VMM thread serves every device: on an otherwise idle VM nothing is "
			 "queued in front of the NIC" },
	{ NULL, NULL },
};

static const struct reading_def q_net_reading = {
	.wins = q_net_wins,
	.same = "one round trip costs the same wake-ups under every model here",
	.same_pvm = "each round trip is dominated by PVM's nested exits (~20 us each way), not "
		    "by which thread moves the packets",
};

static const struct group_def quick_groups[] = {
	{ .id = "big-lock",
	  .title = "Big lock or per-device locks: {cpus} vCPUs, each exit 100 us in its own "
		   "device's handler (mmio-storm work_ns=100000)",
	  .args = "--guest mmio-storm:work_ns=100000,duration_ms=200 --vcpus {cpus}",
	  .sources = "exits_per_s=exits_per_s",
	  .metrics = m_q_storm,
	  .variants = q_lock_variants,
	  .reading = &q_lock_reading },
	{ .id = "io-beside",
	  .title = "Where I/O runs: vCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk reads in "
		   "flight (mmio-storm io=1, null disk, 2 vCPUs)",
	  .args = "--guest mmio-storm:io=1,duration_ms=300 --disk path=null:1G --vcpus 2",
	  .sources = "exit_p99=exit_latency.p99",
	  .metrics = m_q_exit_p99,
	  .variants = q_io_variants,
	  .reading = &q_io_reading },
	{ .id = "io-qd1",
	  .title = "Where I/O runs: virtio-blk 4 KiB random reads at QD 1 on 2 queues, one per "
		   "vCPU (blk-io, null disk, 2 vCPUs)",
	  .args = "--guest blk-io:mode=randread,qd=1,ops=2000 --vcpus 2 "
		  "--disk path=null:1G,queues=2",
	  .sources = "iops=iops.sum",
	  .metrics = m_blk_iops,
	  .variants = q_blk_variants,
	  .reading = &q_blk_reading },
	{ .id = "map-churn",
	  .title = "Map lock under churn: {cpus-1} vCPU(s) (a CPU left for the churn thread) "
		   "dispatching MMIO while a host thread replaces the tables 10000 times a second",
	  .args = "--guest mmio-storm:duration_ms=300 --vcpus {cpus-1} --map-churn 10000",
	  .sources = "exit_p99=exit_latency.p99",
	  .metrics = m_q_dispatch,
	  .variants = q_map_variants,
	  .reading = &q_map_reading },
	{ .id = "spin",
	  .title = "Strategies at 2x overcommit: 2 VMs x {cpus} vCPUs on {cpus} CPUs, contended "
		   "spinlock (smp-spin)",
	  .args = Q_SPIN_VMS,
	  .sources = "acquisitions=acquisitions.sum",
	  .metrics = m_q_spin,
	  .knob = "--sched",
	  .values = q_strategies,
	  .reading = &q_spin_reading },
	{ .id = "barrier",
	  .title = "Strategies at 2x overcommit: 2 VMs x {cpus} vCPUs on {cpus} CPUs, 100 phases "
		   "of 500 us between barriers (barrier-sync)",
	  .args = Q_BARRIER_VMS,
	  .sources = "phase_mean=phase.mean",
	  .metrics = m_q_barrier,
	  .knob = "--sched",
	  .values = q_strategies,
	  .reading = &q_barrier_reading },
	{ .id = "credit-weights",
	  .title = "credit, weights 1:3, 2 VMs x {cpus} vCPUs of cpu-burn for 2 s: shares of the "
		   "host (targets 0.25, 0.75)",
	  .sources = SRC_CREDIT,
	  .metrics = m_credit,
	  .variants = q_credit_w13,
	  .targets = "0.25,0.75",
	  .reps = 3,
	  .no_warmup = true,
	  .reading = &q_credit_reading },
	{ .id = "credit-cap",
	  .title = "credit, VM 0 capped at {cpus*25}% of one CPU (a quarter of the host) beside an "
		   "uncapped VM, 2 VMs x {cpus} vCPUs of cpu-burn for 2 s (target: VM 0 at 0.25)",
	  .sources = SRC_CREDIT,
	  .metrics = m_credit,
	  .variants = q_credit_cap,
	  .targets = "0.25",
	  .reps = 3,
	  .no_warmup = true,
	  .reading = &q_credit_reading },
	{ .id = "placement",
	  .title = "Placement of one VM's 2 vCPUs sharing a spinlock: compact or scatter "
		   "(smp-spin; run where the host has more than one core)",
	  .args = "--guest smp-spin:duration_ms=200 --vcpus 2",
	  .sources = "acquisitions=acquisitions",
	  .metrics = m_q_place,
	  .variants = q_place_variants,
	  .min_cores = 2,
	  .reading = &q_place_reading },
	{ .id = "net-rr",
	  .title = "Where the network queue runs: UDP round trips over a tap in a namespace of "
		   "its own (net-rr, 1 vCPU), per threading preset",
	  .args = "--guest net-rr:count=300,warmup=30 --net tap={tap}",
	  .sources = "rr_p50=latency.p50",
	  .metrics = m_q_rr,
	  .variants = q_net_variants,
	  .reading = &q_net_reading },
	{ .id = "live-switch",
	  .title = "Live switch: 2 VMs x {cpus} vCPUs of smp-spin (2x overcommit) started under "
		   "host, switched host <-> gang every second over QMP (4 phases)",
	  .kind = "qmp-switch",
	  .args = "--vm --guest smp-spin:duration_ms=600000 --vcpus {cpus} "
		  "--vm --guest smp-spin:duration_ms=600000 --vcpus {cpus}",
	  .sources = "host=$phase.host;gang=$phase.gang",
	  .metrics = m_q_switch,
	  .variants = qmp_switch_variants,
	  .reps = 8,
	  .no_warmup = true,
	  .phases = 4,
	  .phase_ms = 1000,
	  .reading = &q_switch_reading },
	{ .id = NULL },
};

static const struct suite_def suite_quick = {
	.name = "quick",
	.description = "each knob where it is known to matter: locks, where I/O runs, map "
		       "churn, strategies under overcommit, credit targets, placement, a live "
		       "switch; sized from the host, about two minutes",
	.reps = 8,
	.warmup = 1,
	.groups = quick_groups,
};

/* ---- startup ---- */

static const struct variant_def vmm_variants[] = {
	{ "strand", NULL, NULL, "strand", NULL },
	{ "qemu", NULL, NULL, "qemu", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def hello_variants[] = {
	{ "vcpus=1", "--vcpus 1", NULL, NULL, NULL },
	{ "vcpus={cpus}", "--vcpus {cpus}", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct group_def startup_groups[] = {
	{ .id = "flat",
	  .title = "Start-up and memory: the same 24-byte real-mode guest, 512 MiB of RAM",
	  .kind = "flat-start",
	  .sources = "startup=$startup_ms;rss=$rss_kib;pss=$pss_kib",
	  .metrics = m_start,
	  .variants = vmm_variants },
	{ .id = "hello",
	  .title = "A whole micro-guest run: strand run --guest hello",
	  .args = "--guest hello",
	  .sources = "run=$wall_ms",
	  .metrics = m_run_ms,
	  .variants = hello_variants },
	{ .id = NULL },
};

static const struct ratio_def startup_ratios[] = {
	{ "start-up, strand/qemu", "flat/strand/startup", "flat/qemu/startup" },
	{ "VmRSS, strand/qemu", "flat/strand/rss", "flat/qemu/rss" },
	{ "Pss, strand/qemu", "flat/strand/pss", "flat/qemu/pss" },
	{ NULL, NULL, NULL },
};

static const struct suite_def suite_startup = {
	.name = "startup",
	.description = "time from process start to the first guest output, and the VMM's "
		       "memory with the guest halted",
	.reps = 10,
	.warmup = 1,
	.groups = startup_groups,
	.ratios = startup_ratios,
};

/* ---- exits ---- */

static const struct variant_def pio_variants[] = {
	{ "kvm-floor", "--mode pio --iters 20000 --repeat 3", "floor", NULL, "exit=$exit_ns" },
	{ "strand-flat", NULL, "flat-rt", "strand", "exit=$exit_ns" },
	{ "qemu-flat", NULL, "flat-rt", "qemu", "exit=$exit_ns" },
	{ "exitlat-cpl3", "--guest exitlat:mode=pio,iters=2000 --guest-cpl 3", "micro", NULL,
	  "exit=pio_exit.p50" },
	{ "exitlat-cpl0", "--guest exitlat:mode=pio,iters=2000 --guest-cpl 0", "micro", NULL,
	  "exit=pio_exit.p50" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def mmio_variants[] = {
	{ "kvm-floor", "--mode mmio --iters 20000 --repeat 3", "floor", NULL, "exit=$exit_ns" },
	{ "exitlat-cpl3", "--guest exitlat:mode=mmio,iters=2000 --guest-cpl 3", "micro", NULL,
	  "exit=mmio_exit.p50" },
	{ "exitlat-cpl0", "--guest exitlat:mode=mmio,iters=2000 --guest-cpl 0", "micro", NULL,
	  "exit=mmio_exit.p50" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct group_def exits_groups[] = {
	{ .id = "pio",
	  .title = "PIO exit round trip: bare KVM_RUN loop, flat guest (strand, QEMU), "
		   "exitlat micro-guest at CPL 3 and CPL 0",
	  .metrics = m_exit,
	  .variants = pio_variants },
	{ .id = "mmio",
	  .title = "MMIO exit round trip: bare KVM_RUN loop, exitlat at CPL 3 and CPL 0",
	  .metrics = m_exit,
	  .variants = mmio_variants },
	{ .id = NULL },
};

static const struct ratio_def exits_ratios[] = {
	{ "PIO, strand flat / floor", "pio/strand-flat/exit", "pio/kvm-floor/exit" },
	{ "PIO, strand flat / QEMU flat", "pio/strand-flat/exit", "pio/qemu-flat/exit" },
	{ "PIO, QEMU flat / floor", "pio/qemu-flat/exit", "pio/kvm-floor/exit" },
	{ "PIO, exitlat CPL 3 / floor", "pio/exitlat-cpl3/exit", "pio/kvm-floor/exit" },
	{ "PIO, exitlat CPL 0 / floor", "pio/exitlat-cpl0/exit", "pio/kvm-floor/exit" },
	{ "MMIO, exitlat CPL 3 / floor", "mmio/exitlat-cpl3/exit", "mmio/kvm-floor/exit" },
	{ "MMIO, exitlat CPL 0 / floor", "mmio/exitlat-cpl0/exit", "mmio/kvm-floor/exit" },
	{ NULL, NULL, NULL },
};

static const struct suite_def suite_exits = {
	.name = "exits",
	.description = "exit round trips against the raw KVM floor (and QEMU with --peer qemu)",
	.reps = 10,
	.warmup = 1,
	.groups = exits_groups,
	.ratios = exits_ratios,
};

/* ---- threading: the four measurements of the threading-models issue ---- */

/*
 * 1. mmio-storm: every vCPU writes the DATA register of its own storm device, each write
 *    costing work_ns in the handler; 1, 2, 4 vCPUs x work_ns 0, 1000, 10000 x every preset.
 *    A big lock serializes the handlers; per-device locks let them run side by side.
 */
static const struct metric_def m_storm[] = {
	{ "exits_per_s", "MMIO exits per second, all vCPUs together", "1/s", true },
	{ "exit_p50", "MMIO exit latency, median of every vCPU's exits", "ns", false },
	{ "exit_p99", "MMIO exit latency, p99 of every vCPU's exits", "ns", false },
	{ NULL, NULL, NULL, false },
};

#define SRC_STORM "exits_per_s=exits_per_s;exit_p50=exit_latency.p50;exit_p99=exit_latency.p99"
#define STORM_GROUP(v, w)                                                                \
	{                                                                                \
		.id = "storm-v" #v "-w" #w,                                              \
		.title = "MMIO storm, " #v " vCPU(s) on their own devices, work_ns=" #w  \
			 " per exit: threading presets (mmio-storm)",                    \
		.args = "--guest mmio-storm:work_ns=" #w ",duration_ms=300 --vcpus " #v, \
		.sources = SRC_STORM, .metrics = m_storm, .knob = "--threading",         \
		.values = threading_presets                                              \
	}

/*
 * 2. vCPU 0's MMIO exit latency alone (1 vCPU) and while vCPU 1 keeps 32 virtio-blk reads in
 *    flight (io=1), same null disk in both. strand,lock=big isolates what the big lock adds.
 */
static const char *const io_presets[] = {
	"qemu-classic", "qemu",	  "firecracker",     "cloud-hypervisor",
	"strand",	"inline", "strand,lock=big", NULL,
};

static const struct metric_def m_vcpu0_exit[] = {
	{ "exit_p50", "MMIO exit latency of vCPU 0, median", "ns", false },
	{ "exit_p99", "MMIO exit latency of vCPU 0, p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_vcpu0_exit_io[] = {
	{ "exit_p50", "MMIO exit latency of vCPU 0, median", "ns", false },
	{ "exit_p99", "MMIO exit latency of vCPU 0, p99", "ns", false },
	{ "bg_reads", "virtio-blk reads vCPU 1 completed meanwhile (300 ms)", "reads", true },
	{ NULL, NULL, NULL, false },
};

#define STORM_IO "--guest mmio-storm:io=1,duration_ms=300 --disk path=null:1G"

/* 3. the dispatch tables under a host thread that adds and removes a region HZ times a second */
static const struct variant_def map_lock_variants[] = {
	{ "map-lock=rcu", "--map-lock rcu", NULL, NULL, NULL },
	{ "map-lock=rwlock", "--map-lock rwlock", NULL, NULL, NULL },
	{ "map-lock=mutex", "--map-lock mutex", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/*
 * 4. virtio-blk on a null backend: one queue per preset; two queues (one per vCPU) on 1 and 2
 *    iothreads with the queues mapped to them (qemu: iomap=queue, QEMU 9's iothread-vq-mapping).
 */
static const struct variant_def mq_variants[] = {
	{ "qemu-classic", "--threading qemu-classic", NULL, NULL, NULL },
	{ "firecracker", "--threading firecracker", NULL, NULL, NULL },
	{ "inline", "--threading inline", NULL, NULL, NULL },
	{ "qemu iothreads=1", "--threading qemu,iomap=queue,iothreads=1", NULL, NULL, NULL },
	{ "qemu iothreads=2", "--threading qemu,iomap=queue,iothreads=2", NULL, NULL, NULL },
	{ "cloud-hypervisor iothreads=1", "--threading cloud-hypervisor,iothreads=1", NULL, NULL,
	  NULL },
	{ "cloud-hypervisor iothreads=2", "--threading cloud-hypervisor,iothreads=2", NULL, NULL,
	  NULL },
	{ "strand iothreads=1", "--threading strand,iothreads=1", NULL, NULL, NULL },
	{ "strand iothreads=2", "--threading strand,iothreads=2", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_blk_mq[] = {
	{ "iops", "4 KiB random reads, both queues together", "1/s", true },
	{ "lat_p50", "request latency, median", "ns", false },
	{ "lat_p99", "request latency, p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

#define BLK_QD1	 "--guest blk-io:mode=randread,qd=1,ops=2000"
#define BLK_QD32 "--guest blk-io:mode=randread,qd=32,ops=4000"
#define BLK_1Q	 "--disk path=null:1G"
#define BLK_2Q	 "--vcpus 2 --disk path=null:1G,queues=2"
#define SRC_BLK2 "iops=iops.sum;lat_p50=latency.p50;lat_p99=latency.p99"

static const struct group_def threading_groups[] = {
	STORM_GROUP(1, 0),
	STORM_GROUP(1, 1000),
	STORM_GROUP(1, 10000),
	STORM_GROUP(2, 0),
	STORM_GROUP(2, 1000),
	STORM_GROUP(2, 10000),
	STORM_GROUP(4, 0),
	STORM_GROUP(4, 1000),
	STORM_GROUP(4, 10000),
	{ .id = "exit-idle",
	  .title = "Exit latency, idle: vCPU 0's MMIO exits, no other vCPU, idle null disk "
		   "(mmio-storm io=1)",
	  .args = STORM_IO " --vcpus 1",
	  .sources = "exit_p50=exit_latency.p50;exit_p99=exit_latency.p99",
	  .metrics = m_vcpu0_exit,
	  .knob = "--threading",
	  .values = io_presets },
	{ .id = "exit-blk",
	  .title = "Exit latency under I/O: vCPU 0's MMIO exits while vCPU 1 keeps 32 virtio-blk "
		   "reads in flight (mmio-storm io=1)",
	  .args = STORM_IO " --vcpus 2",
	  .sources = "exit_p50=exit_latency.p50;exit_p99=exit_latency.p99;bg_reads=io_ops",
	  .metrics = m_vcpu0_exit_io,
	  .knob = "--threading",
	  .values = io_presets },
	{ .id = "churn",
	  .title = "MMIO dispatch under map churn (mmio-storm, 2 vCPUs): a host thread adds and "
		   "removes a region 0, 100, 10000 times a second",
	  .args = "--guest mmio-storm:duration_ms=300 --vcpus 2",
	  .sources = SRC_STORM,
	  .metrics = m_storm,
	  .variants = map_lock_variants,
	  .matrix = "map-churn=0,100,10000" },
	{ .id = "blk-qd1",
	  .title = "virtio-blk 4 KiB random reads, QD 1, null backend, one queue: presets",
	  .args = BLK_QD1 " " BLK_1Q,
	  .sources = SRC_BLK,
	  .metrics = m_blk,
	  .knob = "--threading",
	  .values = threading_presets },
	{ .id = "blk-qd32",
	  .title = "virtio-blk 4 KiB random reads, QD 32, null backend, one queue: presets",
	  .args = BLK_QD32 " " BLK_1Q,
	  .sources = SRC_BLK,
	  .metrics = m_blk,
	  .knob = "--threading",
	  .values = threading_presets },
	{ .id = "blk-2q-qd1",
	  .title = "virtio-blk 4 KiB random reads, QD 1 per queue, 2 queues driven by 2 vCPUs, "
		   "null backend: presets, 1 and 2 iothreads",
	  .args = BLK_QD1 " " BLK_2Q,
	  .sources = SRC_BLK2,
	  .metrics = m_blk_mq,
	  .variants = mq_variants },
	{ .id = "blk-2q-qd32",
	  .title = "virtio-blk 4 KiB random reads, QD 32 per queue, 2 queues driven by 2 vCPUs, "
		   "null backend: presets, 1 and 2 iothreads",
	  .args = BLK_QD32 " " BLK_2Q,
	  .sources = SRC_BLK2,
	  .metrics = m_blk_mq,
	  .variants = mq_variants },
	{ .id = NULL },
};

static const struct ratio_def threading_ratios[] = {
	/* 1. target: strand >= 1.8x qemu-classic at 2 vCPUs, work_ns=10000 */
	{ "storm 2 vCPU w10000: exits/s strand / qemu-classic",
	  "storm-v2-w10000/strand/exits_per_s", "storm-v2-w10000/qemu-classic/exits_per_s" },
	{ "storm 1 vCPU w10000: exits/s strand / qemu-classic",
	  "storm-v1-w10000/strand/exits_per_s", "storm-v1-w10000/qemu-classic/exits_per_s" },
	{ "storm 4 vCPU w10000: exits/s strand / qemu-classic",
	  "storm-v4-w10000/strand/exits_per_s", "storm-v4-w10000/qemu-classic/exits_per_s" },
	{ "storm 2 vCPU w0: exits/s strand / qemu-classic", "storm-v2-w0/strand/exits_per_s",
	  "storm-v2-w0/qemu-classic/exits_per_s" },
	{ "storm 2 vCPU w1000: exits/s strand / qemu-classic", "storm-v2-w1000/strand/exits_per_s",
	  "storm-v2-w1000/qemu-classic/exits_per_s" },
	{ "storm 2 vCPU w10000: exits/s qemu / qemu-classic", "storm-v2-w10000/qemu/exits_per_s",
	  "storm-v2-w10000/qemu-classic/exits_per_s" },
	{ "storm 2 vCPU w10000: exits/s cloud-hypervisor / qemu-classic",
	  "storm-v2-w10000/cloud-hypervisor/exits_per_s",
	  "storm-v2-w10000/qemu-classic/exits_per_s" },
	/* 2. target: the iothread presets (qemu, cloud-hypervisor, strand) <= 1.2 */
	{ "vCPU 0 exit p99 under blk / idle, qemu", "exit-blk/qemu/exit_p99",
	  "exit-idle/qemu/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, cloud-hypervisor",
	  "exit-blk/cloud-hypervisor/exit_p99", "exit-idle/cloud-hypervisor/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, strand", "exit-blk/strand/exit_p99",
	  "exit-idle/strand/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, qemu-classic", "exit-blk/qemu-classic/exit_p99",
	  "exit-idle/qemu-classic/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, firecracker", "exit-blk/firecracker/exit_p99",
	  "exit-idle/firecracker/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, inline", "exit-blk/inline/exit_p99",
	  "exit-idle/inline/exit_p99" },
	{ "vCPU 0 exit p99 under blk / idle, strand,lock=big", "exit-blk/strand,lock=big/exit_p99",
	  "exit-idle/strand,lock=big/exit_p99" },
	{ "exit p99 under blk, strand,lock=big / strand", "exit-blk/strand,lock=big/exit_p99",
	  "exit-blk/strand/exit_p99" },
	{ "exit p99 under blk, qemu-classic / strand", "exit-blk/qemu-classic/exit_p99",
	  "exit-blk/strand/exit_p99" },
	/* 3. target: rcu <= 1.05 */
	{ "dispatch p99, rcu churn 100 Hz / none", "churn/map-lock=rcu map-churn=100/exit_p99",
	  "churn/map-lock=rcu map-churn=0/exit_p99" },
	{ "dispatch p99, rcu churn 10000 Hz / none", "churn/map-lock=rcu map-churn=10000/exit_p99",
	  "churn/map-lock=rcu map-churn=0/exit_p99" },
	{ "dispatch p99, rwlock churn 100 Hz / none",
	  "churn/map-lock=rwlock map-churn=100/exit_p99",
	  "churn/map-lock=rwlock map-churn=0/exit_p99" },
	{ "dispatch p99, rwlock churn 10000 Hz / none",
	  "churn/map-lock=rwlock map-churn=10000/exit_p99",
	  "churn/map-lock=rwlock map-churn=0/exit_p99" },
	{ "dispatch p99, mutex churn 100 Hz / none", "churn/map-lock=mutex map-churn=100/exit_p99",
	  "churn/map-lock=mutex map-churn=0/exit_p99" },
	{ "dispatch p99, mutex churn 10000 Hz / none",
	  "churn/map-lock=mutex map-churn=10000/exit_p99",
	  "churn/map-lock=mutex map-churn=0/exit_p99" },
	/* 4. target: the iothread presets >= 1.3x qemu-classic at QD 32 */
	{ "blk-qd32 IOPS, qemu / qemu-classic", "blk-qd32/qemu/iops",
	  "blk-qd32/qemu-classic/iops" },
	{ "blk-qd32 IOPS, cloud-hypervisor / qemu-classic", "blk-qd32/cloud-hypervisor/iops",
	  "blk-qd32/qemu-classic/iops" },
	{ "blk-qd32 IOPS, strand / qemu-classic", "blk-qd32/strand/iops",
	  "blk-qd32/qemu-classic/iops" },
	{ "blk-2q-qd32 IOPS, qemu iothreads=2 / qemu-classic", "blk-2q-qd32/qemu iothreads=2/iops",
	  "blk-2q-qd32/qemu-classic/iops" },
	{ "blk-2q-qd32 IOPS, cloud-hypervisor iothreads=2 / qemu-classic",
	  "blk-2q-qd32/cloud-hypervisor iothreads=2/iops", "blk-2q-qd32/qemu-classic/iops" },
	{ "blk-2q-qd32 IOPS, strand iothreads=2 / qemu-classic",
	  "blk-2q-qd32/strand iothreads=2/iops", "blk-2q-qd32/qemu-classic/iops" },
	{ "blk-2q-qd32 IOPS, strand iothreads=1 / qemu-classic",
	  "blk-2q-qd32/strand iothreads=1/iops", "blk-2q-qd32/qemu-classic/iops" },
	{ "blk-2q-qd32 IOPS, strand iothreads=2 / strand iothreads=1",
	  "blk-2q-qd32/strand iothreads=2/iops", "blk-2q-qd32/strand iothreads=1/iops" },
	{ "blk-qd1 IOPS, strand / qemu-classic", "blk-qd1/strand/iops",
	  "blk-qd1/qemu-classic/iops" },
	{ NULL, NULL, NULL },
};

static const struct suite_def suite_threading = {
	.name = "threading",
	.description = "threading presets: MMIO exit storms, exit latency beside virtio-blk load, "
		       "dispatch under map churn, virtio-blk IOPS on 1 and 2 iothreads",
	.reps = 5,
	.warmup = 1,
	.groups = threading_groups,
	.ratios = threading_ratios,
};

/* ---- sched: two VMs of one vCPU per host CPU each (2x overcommit) ---- */

/* Two identical VMs of {cpus} vCPUs each running GUEST. */
#define TWO_VMS(guest) "--vm --guest " guest " --vcpus {cpus} --vm --guest " guest " --vcpus {cpus}"

static const struct metric_def m_oc_spin[] = {
	{ "acquisitions", "spinlock acquisitions, both VMs together", "1/s", true },
	{ "wait_p99", "p99 wait for the lock (vCPU 0 of each VM)", "ns", false },
	{ "max_wait", "longest wait for the lock in either VM", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_barrier[] = {
	{ "phase_mean", "barrier phase time (vCPU 0 of each VM), mean", "ns", false },
	{ "phase_p50", "barrier phase time (vCPU 0 of each VM), median", "ns", false },
	{ "phase_p99", "barrier phase time (vCPU 0 of each VM), p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

#define BURN_10S     "--guest cpu-burn:duration_ms=10000 --vcpus {cpus}"
#define CREDIT(a, b) "--sched credit --vm " BURN_10S " " a " --vm " BURN_10S " " b

static const struct variant_def credit_w12[] = {
	{ "weights=1:2", CREDIT("--weight 1", "--weight 2"), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def credit_w14[] = {
	{ "weights=1:4", CREDIT("--weight 1", "--weight 4"), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def credit_cap[] = {
	{ "vm0-cap=25", CREDIT("--cap 25", ""), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct metric_def m_wakeup[] = {
	{ "wake_p50", "IPI wake-up latency of a halted vCPU, median", "ns", false },
	{ "wake_p99", "IPI wake-up latency of a halted vCPU, p99", "ns", false },
	{ "host_cpu", "host CPU time of the strand process (user + system, all threads)", "ms",
	  false },
	{ NULL, NULL, NULL, false },
};

/* Halts of about gap_us: shorter than the 200 us poll window, the case halt polling is for. */
#define WAKEUP(hp)                                                          \
	"--vm --guest wakeup:iters=300,gap_us=50 --vcpus 2 --halt-poll " hp \
	" --vm --guest wakeup:iters=300,gap_us=50 --vcpus 2 --halt-poll " hp

static const struct variant_def halt_poll_variants[] = {
	{ "halt-poll=0", WAKEUP("0"), NULL, NULL, NULL },
	{ "halt-poll=200000", WAKEUP("200000"), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *const steal_strategies[] = { "host", "pinned:force", NULL };

static const struct metric_def m_steal[] = {
	{ "steal", "steal time the guests were told of, % of wall time (mean of the vCPUs)", "%",
	  false },
	{ "work_per_s", "cpu-burn work units per second, every vCPU of both VMs", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct group_def sched_groups[] = {
	{ .id = "spin",
	  .title = "Scheduling strategies, 2 VMs x one vCPU per host CPU (2x overcommit): "
		   "contended spinlock (smp-spin)",
	  .args = TWO_VMS("smp-spin:duration_ms=500"),
	  .sources = "acquisitions=acquisitions.sum;wait_p99=wait.p99;max_wait=max_wait.max",
	  .metrics = m_oc_spin,
	  .knob = "--sched",
	  .values = sched_strategies_oc },
	{ .id = "barrier",
	  .title = "Scheduling strategies, 2 VMs x one vCPU per host CPU (2x overcommit): "
		   "compute phases between barriers (barrier-sync)",
	  .args = TWO_VMS("barrier-sync:phases=200,work_us=500"),
	  .sources = "phase_mean=phase.mean;phase_p50=phase.p50;phase_p99=phase.p99",
	  .metrics = m_barrier,
	  .knob = "--sched",
	  .values = sched_strategies_oc },
	{ .id = "credit-w12",
	  .title = "credit, weights 1:2, 10 s of cpu-burn: shares of the host (targets 1/3, 2/3)",
	  .sources = SRC_CREDIT,
	  .metrics = m_credit,
	  .variants = credit_w12,
	  .targets = "0.333333,0.666667",
	  .reps = 3,
	  .no_warmup = true },
	{ .id = "credit-w14",
	  .title = "credit, weights 1:4, 10 s of cpu-burn: shares of the host (targets 0.2, 0.8)",
	  .sources = SRC_CREDIT,
	  .metrics = m_credit,
	  .variants = credit_w14,
	  .targets = "0.2,0.8",
	  .reps = 3,
	  .no_warmup = true },
	{ .id = "credit-cap25",
	  .title = "credit, VM 0 capped at 25% of one CPU beside an uncapped VM, 10 s of cpu-burn "
		   "(target: VM 0 at 0.25 / host CPUs)",
	  .sources = SRC_CREDIT,
	  .metrics = m_credit,
	  .variants = credit_cap,
	  .targets = "0.125",
	  .reps = 3,
	  .no_warmup = true },
	{ .id = "wakeup",
	  .title = "IPI wake-up of a halted vCPU 50 us after it halted, 2 VMs x 2 vCPUs, host "
		   "scheduler: halt polling off and 200 us (wakeup)",
	  .sources = "wake_p50=wakeup.p50;wake_p99=wakeup.p99;host_cpu=$cpu_ms",
	  .metrics = m_wakeup,
	  .variants = halt_poll_variants },
	{ .id = "steal",
	  .title = "Steal time the guests see, 2 VMs x one vCPU per host CPU of cpu-burn: host "
		   "scheduler and pinning (pinned:force: 2 vCPUs per CPU)",
	  .args = TWO_VMS("cpu-burn:duration_ms=500"),
	  .sources = "steal=$steal_pct;work_per_s=work_per_s.sum",
	  .metrics = m_steal,
	  .knob = "--sched",
	  .values = steal_strategies },
	{ .id = NULL },
};

static const struct ratio_def sched_ratios[] = {
	/* 1. target: gang or gang-relaxed >= 2 */
	{ "spin acquisitions, gang / host", "spin/gang/acquisitions", "spin/host/acquisitions" },
	{ "spin acquisitions, gang-relaxed / host", "spin/gang-relaxed/acquisitions",
	  "spin/host/acquisitions" },
	{ "spin acquisitions, pinned:force / host", "spin/pinned:force/acquisitions",
	  "spin/host/acquisitions" },
	{ "spin max wait, gang / host", "spin/gang/max_wait", "spin/host/max_wait" },
	{ "barrier mean phase, gang / host", "barrier/gang/phase_mean", "barrier/host/phase_mean" },
	{ "barrier mean phase, gang-relaxed / host", "barrier/gang-relaxed/phase_mean",
	  "barrier/host/phase_mean" },
	{ "barrier phase p99, gang / host", "barrier/gang/phase_p99", "barrier/host/phase_p99" },
	{ "wakeup p99, halt-poll 200 us / 0", "wakeup/halt-poll=200000/wake_p99",
	  "wakeup/halt-poll=0/wake_p99" },
	{ "host CPU, halt-poll 200 us / 0", "wakeup/halt-poll=200000/host_cpu",
	  "wakeup/halt-poll=0/host_cpu" },
	{ "steal, pinned:force / host", "steal/pinned:force/steal", "steal/host/steal" },
	{ NULL, NULL, NULL },
};

static const struct suite_def suite_sched = {
	.name = "sched",
	.description = "scheduling strategies with two VMs at 2x overcommit: spinlock, barriers, "
		       "credit shares and caps, halt polling, steal time",
	.reps = 8,
	.warmup = 1,
	.groups = sched_groups,
	.ratios = sched_ratios,
};

/* ---- blk ---- */

static const struct variant_def qd_variants[] = {
	{ "qd=1", "--guest blk-io:mode=randread,qd=1,ops=2000", NULL, NULL, NULL },
	{ "qd=32", "--guest blk-io:mode=randread,qd=32,ops=4000", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct group_def blk_groups[] = {
	{ .id = "null",
	  .title = "virtio-blk 4 KiB random reads, null backend (the device path alone)",
	  .args = BLK_NULL,
	  .sources = SRC_BLK,
	  .metrics = m_blk,
	  .variants = qd_variants },
	{ .id = "file",
	  .title = "virtio-blk 4 KiB random reads, 64 MiB raw file",
	  .args = "--disk path={disk}",
	  .sources = SRC_BLK,
	  .metrics = m_blk,
	  .variants = qd_variants },
	{ .id = "presets",
	  .title = "Threading presets: virtio-blk 4 KiB random reads, QD 32, null backend",
	  .args = "--guest blk-io:mode=randread,qd=32,ops=4000 " BLK_NULL,
	  .sources = "iops=iops",
	  .metrics = m_blk_iops,
	  .knob = "--threading",
	  .values = threading_presets },
	{ .id = NULL },
};

static const struct suite_def suite_blk = {
	.name = "blk",
	.description = "virtio-blk latency and IOPS at QD 1 and QD 32 (blk-io micro-guest)",
	.reps = 8,
	.warmup = 1,
	.groups = blk_groups,
};

/* ---- net: virtio-net round trips and packet rate, tap (in a namespace) and pair ---- */

static const struct metric_def m_rr[] = {
	{ "rr_p50", "UDP round trip (64 B), median", "ns", false },
	{ "rr_p99", "UDP round trip (64 B), p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct metric_def m_pps[] = {
	{ "pps", "64 B frames per second", "1/s", true },
	{ NULL, NULL, NULL, false },
};

#define NET_RR	    "--guest net-rr:count=300,warmup=30"
#define NET_TAP	    "--net tap={tap}"
#define SRC_RR	    "rr_p50=latency.p50;rr_p99=latency.p99"
#define SRC_RR_PAIR "rr_p50=a.latency.p50;rr_p99=a.latency.p99"
#define PAIR_RR(t)                                                                            \
	"--vm --name a --threading " t " " NET_RR ",ip=10.0.0.1,peer=10.0.0.2 --net pair=bp " \
	"--vm --name b --threading " t " --guest net-rr:role=echo,ip=10.0.0.2 --net pair=bp"

static const struct variant_def net_pair_variants[] = {
	{ "strand", PAIR_RR("strand"), NULL, NULL, NULL },
	{ "inline", PAIR_RR("inline"), NULL, NULL, NULL },
	{ "qemu-classic", PAIR_RR("qemu-classic"), NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def net_poll_variants[] = {
	{ "poll_ns=0", "--threading strand,poll_ns=0", NULL, NULL, NULL },
	{ "poll_ns=50000", "--threading strand,poll_ns=50000", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def net_queue_variants[] = {
	{ "pairs=1", "--vcpus 2 --guest net-rr:count=300,warmup=30,queues=1 --net tap={tap}", NULL,
	  NULL, NULL },
	{ "pairs=2",
	  "--vcpus 2 --guest net-rr:count=300,warmup=30,queues=2 --net tap={tap},queues=2", NULL,
	  NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def net_stream_variants[] = {
	{ "tap", "--guest net-stream:count=20000 --net tap={tap}", NULL, NULL,
	  "pps=packets_per_s" },
	{ "pair",
	  "--vm --name a --guest net-stream:count=20000,ip=10.0.0.1,peer=10.0.0.2 --net pair=bs "
	  "--vm --name b --guest net-stream:role=sink,ip=10.0.0.2 --net pair=bs",
	  NULL, NULL, "pps=b.packets_per_s" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct variant_def net_lock_variants[] = {
	{ "device-locks", "--threading strand", NULL, NULL, NULL },
	{ "big-lock", "--threading strand,lock=big", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct group_def net_groups[] = {
	{ .id = "tap-presets",
	  .title = "Threading presets: virtio-net UDP round trips over a tap (net-rr)",
	  .args = NET_RR " " NET_TAP,
	  .sources = SRC_RR,
	  .metrics = m_rr,
	  .knob = "--threading",
	  .values = threading_presets },
	{ .id = "pair-presets",
	  .title = "Threading presets: VM-to-VM UDP round trips over --net pair (net-rr)",
	  .sources = SRC_RR_PAIR,
	  .metrics = m_rr,
	  .variants = net_pair_variants },
	{ .id = "polling",
	  .title = "Iothread polling: virtio-net round trips over a tap (net-rr, strand preset)",
	  .args = NET_RR " " NET_TAP,
	  .sources = SRC_RR,
	  .metrics = m_rr,
	  .variants = net_poll_variants },
	{ .id = "queues",
	  .title = "Queue pairs: round trips from 2 vCPUs on 1 or 2 queue pairs of a tap",
	  .sources = SRC_RR,
	  .metrics = m_rr,
	  .variants = net_queue_variants },
	{ .id = "disk-beside",
	  .title = "The big lock against per-device locks: round trips over a tap on vCPU 0 while "
		   "vCPU 1 keeps 32 virtio-blk reads in flight (net-rr io=1, null disk)",
	  .args = "--vcpus 2 --guest net-rr:count=300,warmup=30,io=1 " NET_TAP
		  " --disk path=null:1G",
	  .sources = SRC_RR,
	  .metrics = m_rr,
	  .variants = net_lock_variants },
	{ .id = "stream",
	  .title = "Packet rate: 64 B UDP frames to a tap and to a pair peer (net-stream)",
	  .metrics = m_pps,
	  .variants = net_stream_variants },
	{ .id = NULL },
};

static const struct suite_def suite_net = {
	.name = "net",
	.description = "virtio-net round-trip latency and packet rate over a tap (in a network "
		       "namespace of its own) and VM to VM (net-rr, net-stream micro-guests)",
	.reps = 3,
	.warmup = 1,
	.groups = net_groups,
};

/* ---- monitor: what the QMP monitor costs, and what it does to the guest ---- */

/* 1. round trips of two commands a management daemon polls, idle and busy guests */
static const struct metric_def m_qmp_rtt[] = {
	{ "status_p50", "query-status round trip, median", "ns", false },
	{ "status_p99", "query-status round trip, p99", "ns", false },
	{ "stats_p50", "query-stats (target vcpu, every KVM stat) round trip, median", "ns",
	  false },
	{ "stats_p99", "query-stats (target vcpu, every KVM stat) round trip, p99", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct variant_def qmp_guest_variants[] = {
	{ "idle", "--guest idle", NULL, NULL, NULL },
	{ "busy", "--guest idle:spin=1", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* 2. the guest's exit latency with a client connected, idle or polling query-stats at 1 kHz */
static const struct metric_def m_qmp_poll[] = {
	{ "pio_p50", "PIO exit round trip (exitlat), median", "ns", false },
	{ "pio_p99", "PIO exit round trip (exitlat), p99", "ns", false },
	{ "polls", "query-stats polls answered per second", "1/s", true },
	{ NULL, NULL, NULL, false },
};

static const struct variant_def qmp_poll_variants[] = {
	{ "poll=off", NULL, "qmp-idle", NULL, NULL },
	{ "poll=1kHz", NULL, "qmp-poll", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

#define EXITLAT_LONG "--guest exitlat:mode=pio,iters=20000,warmup=1000"
#define SRC_QMP_POLL "pio_p50=pio_exit.p50;pio_p99=pio_exit.p99;polls=$polls_per_s"

/* 3. host -> gang -> host ... every 3 s at 2x overcommit, acquisitions/s sampled every 200 ms */
static const struct metric_def m_qmp_switch[] = {
	{ "host", "smp-spin acquisitions/s under host (mean of the 200 ms samples)", "1/s", true },
	{ "gang", "smp-spin acquisitions/s under gang (mean of the 200 ms samples)", "1/s", true },
	{ "switch", "time x-strand-set-sched took in strand (switch-ns), median", "ns", false },
	{ NULL, NULL, NULL, false },
};

static const struct group_def monitor_groups[] = {
	{ .id = "rtt",
	  .title = "QMP round trips over the UNIX socket, one vCPU per host CPU: halting (idle) "
		   "and spinning (idle:spin=1) guests",
	  .kind = "qmp-rtt",
	  .args = "--vcpus {cpus}",
	  .sources = "status_p50=query-status.p50;status_p99=query-status.p99;"
		     "stats_p50=query-stats.p50;stats_p99=query-stats.p99",
	  .metrics = m_qmp_rtt,
	  .variants = qmp_guest_variants },
	{ .id = "interference-v1",
	  .title = "Exit latency of 1 vCPU (exitlat, 20000 PIO exits) with a QMP client "
		   "connected: idle, or polling query-stats at 1 kHz",
	  .args = EXITLAT_LONG " --vcpus 1",
	  .sources = SRC_QMP_POLL,
	  .metrics = m_qmp_poll,
	  .variants = qmp_poll_variants },
	{ .id = "interference-vN",
	  .title = "Exit latency of one vCPU per host CPU (exitlat, 20000 PIO exits each) with a "
		   "QMP client connected: idle, or polling query-stats at 1 kHz",
	  .args = EXITLAT_LONG " --vcpus {cpus}",
	  .sources = SRC_QMP_POLL,
	  .metrics = m_qmp_poll,
	  .variants = qmp_poll_variants },
	{ .id = "live-switch",
	  .title = "Live strategy switches, 2 VMs x one vCPU per host CPU of smp-spin (2x "
		   "overcommit): host and gang in turn every 3 s, x-strand-set-sched",
	  .kind = "qmp-switch",
	  .args = TWO_VMS("smp-spin:duration_ms=600000"),
	  .sources = "host=$phase.host;gang=$phase.gang;switch=$switch_ns.p50",
	  .metrics = m_qmp_switch,
	  .variants = qmp_switch_variants,
	  .reps = 5,
	  .no_warmup = true },
	{ .id = NULL },
};

static const struct ratio_def monitor_ratios[] = {
	{ "query-status p99, busy / idle", "rtt/busy/status_p99", "rtt/idle/status_p99" },
	{ "query-stats p99, busy / idle", "rtt/busy/stats_p99", "rtt/idle/stats_p99" },
	{ "query-stats / query-status p50, idle", "rtt/idle/stats_p50", "rtt/idle/status_p50" },
	{ "exit p99 1 vCPU, polling / not", "interference-v1/poll=1kHz/pio_p99",
	  "interference-v1/poll=off/pio_p99" },
	{ "exit p99 N vCPUs, polling / not", "interference-vN/poll=1kHz/pio_p99",
	  "interference-vN/poll=off/pio_p99" },
	{ "live switch: acquisitions/s, gang / host", "live-switch/2x-overcommit/gang",
	  "live-switch/2x-overcommit/host" },
	{ NULL, NULL, NULL },
};

static const struct suite_def suite_monitor = {
	.name = "monitor",
	.description = "the QMP monitor: command round trips on idle and busy guests, exit latency "
		       "under a 1 kHz query-stats poll (A/B), live host/gang switches under "
		       "overcommit as a time series",
	.reps = 10,
	.warmup = 1,
	.groups = monitor_groups,
	.ratios = monitor_ratios,
};

const struct suite_def *const builtin_suites[] = {
	&suite_quick,	&suite_startup, &suite_exits, &suite_threading, &suite_sched, &suite_blk,
	&suite_monitor, &suite_net,	NULL,
};

const struct suite_def *suite_find(const char *name, const struct suite_def *const *extra,
				   size_t nextra)
{
	for (size_t i = 0; i < nextra; i++)
		if (!strcmp(extra[i]->name, name))
			return extra[i];
	for (unsigned i = 0; builtin_suites[i]; i++)
		if (!strcmp(builtin_suites[i]->name, name))
			return builtin_suites[i];
	return NULL;
}

const struct reading_def *reading_find(const char *suite, const char *group)
{
	const struct suite_def *s = suite_find(suite, NULL, 0);

	for (unsigned i = 0; s && s->groups[i].id; i++)
		if (!strcmp(s->groups[i].id, group))
			return s->groups[i].reading;
	return NULL;
}

const char *run_kind_name(enum run_kind k)
{
	static const char *const names[] = {
		"micro",   "flat-start", "flat-rt",  "floor",
		"qmp-rtt", "qmp-idle",	 "qmp-poll", "qmp-switch",
	};

	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

static int parse_kind(const char *s, enum run_kind *k)
{
	for (unsigned i = 0; i <= KIND_LAST; i++)
		if (!strcmp(s, run_kind_name((enum run_kind)i))) {
			*k = (enum run_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- expansion ---- */

/*
 * Replace {cpus}, {2cpus}, {4cpus}, {cpus-1} (at least 1), {cpus*N}, {disk}, {tmp}, {tap} in src.
 */
static int substitute(const char *src, char *dst, size_t size, struct expand_ctx *ctx)
{
	size_t o = 0;

	for (const char *p = src; *p;) {
		char val[4096];
		const char *end;
		size_t vlen;

		if (*p != '{' || !(end = strchr(p, '}'))) {
			if (o + 1 >= size)
				return -ENAMETOOLONG;
			dst[o++] = *p++;
			continue;
		}
		if (!strncmp(p, "{cpus}", 6))
			snprintf(val, sizeof(val), "%u", ctx->cpus);
		else if (!strncmp(p, "{2cpus}", 7))
			snprintf(val, sizeof(val), "%u", 2 * ctx->cpus);
		else if (!strncmp(p, "{4cpus}", 7))
			snprintf(val, sizeof(val), "%u", 4 * ctx->cpus);
		else if (!strncmp(p, "{cpus-1}", 8))
			snprintf(val, sizeof(val), "%u", ctx->cpus > 1 ? ctx->cpus - 1 : 1);
		else if (!strncmp(p, "{cpus*", 6) && p[6] >= '0' && p[6] <= '9')
			snprintf(val, sizeof(val), "%lu", ctx->cpus * strtoul(p + 6, NULL, 10));
		else if (!strncmp(p, "{disk}", 6)) {
			snprintf(val, sizeof(val), "%s", ctx->disk ? ctx->disk : "");
			ctx->need_disk = true;
		} else if (!strncmp(p, "{tap}", 5)) {
			snprintf(val, sizeof(val), "%s", BENCH_TAP);
			ctx->need_tap = true;
		} else if (!strncmp(p, "{tmp}", 5))
			snprintf(val, sizeof(val), "%s", ctx->tmp ? ctx->tmp : "/tmp");
		else
			return -EINVAL;
		vlen = strlen(val);
		if (o + vlen + 1 >= size)
			return -ENAMETOOLONG;
		memcpy(dst + o, val, vlen);
		o += vlen;
		p = end + 1;
	}
	dst[o] = '\0';
	return 0;
}

static int add_args(struct variant *v, const char *s, struct expand_ctx *ctx, struct errbuf *err)
{
	char buf[4096], *save = NULL, *tok;

	if (!s || !*s)
		return 0;
	if (substitute(s, buf, sizeof(buf), ctx))
		return errbuf_set(err, -EINVAL, "group %s: cannot expand '%s'", v->group, s);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (v->nargs >= VARIANT_MAX_ARGS)
			return errbuf_set(err, -EINVAL, "variant %s: too many arguments", v->name);
		v->args[v->nargs] = strdup(tok);
		if (!v->args[v->nargs++])
			return -ENOMEM;
	}
	return 0;
}

static const char *default_source(enum run_kind k, const char *metric)
{
	if (k == KIND_FLOOR || k == KIND_FLAT_RT)
		return "$exit_ns";
	if (k == KIND_FLAT_START)
		return !strcmp(metric, "rss") ? "$rss_kib" :
		       !strcmp(metric, "pss") ? "$pss_kib" :
						"$startup_ms";
	return metric;
}

/* Find metric's source in "m=src;m=src" (NULL: not there). */
static bool lookup_source(const char *list, const char *metric, char *out, size_t size)
{
	size_t mlen = strlen(metric);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ';'), *eq = strchr(p, '=');

		if (!end)
			end = p + strlen(p);
		if (eq && eq < end && (size_t)(eq - p) == mlen && !strncmp(p, metric, mlen)) {
			snprintf(out, size, "%.*s", (int)(end - eq - 1), eq + 1);
			return true;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

static int grow(struct variant **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct variant *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return 0;
}

static int copy_variant(struct variant *dst, const struct variant *src)
{
	*dst = *src;
	for (unsigned i = 0; i < src->nargs; i++)
		if (!(dst->args[i] = strdup(src->args[i])))
			return -ENOMEM;
	return 0;
}

/*
 * Cross v[first..*n) with one matrix dimension "knob=v1,v2": each existing variant that runs
 * strand becomes one per value ("on"/"off" for a flag without a value).
 */
static int cross(struct variant **v, size_t *n, size_t *cap, size_t first, const char *dim,
		 struct expand_ctx *ctx, struct errbuf *err)
{
	char knob[64], values[1024], *save = NULL, *val;
	const char *eq = strchr(dim, '=');
	size_t end = *n;

	if (!eq || eq == dim || (size_t)(eq - dim) >= sizeof(knob) - 2)
		return errbuf_set(err, -EINVAL, "matrix: expected KNOB=V1,V2,..., got '%s'", dim);
	snprintf(knob, sizeof(knob), "%.*s", (int)(eq - dim), dim);
	snprintf(values, sizeof(values), "%s", eq + 1);
	for (size_t i = first; i < end; i++) {
		if (!(*v)[i].is_strand)
			continue;
		save = NULL;
		snprintf(values, sizeof(values), "%s", eq + 1);
		for (val = strtok_r(values, ",", &save); val; val = strtok_r(NULL, ",", &save)) {
			struct variant *x;
			char arg[1200];
			int ret;

			if ((ret = grow(v, n, cap)))
				return ret;
			x = &(*v)[*n];
			if ((ret = copy_variant(x, &(*v)[i])))
				return ret;
			(*n)++;
			/* "default" (a group without variants) gives way to the knob's value */
			if (!strcmp(x->name, "default"))
				x->name[0] = '\0';
			snprintf(x->name + strlen(x->name), sizeof(x->name) - strlen(x->name),
				 "%s%s=%s", x->name[0] ? " " : "",
				 knob[0] == '-' ? knob + strspn(knob, "-") : knob, val);
			if (!strcmp(val, "off"))
				continue;
			if (!strcmp(val, "on"))
				snprintf(arg, sizeof(arg), "%s%s", knob[0] == '-' ? "" : "--",
					 knob);
			else
				snprintf(arg, sizeof(arg), "%s%s %s", knob[0] == '-' ? "" : "--",
					 knob, val);
			if ((ret = add_args(x, arg, ctx, err)))
				return ret;
		}
		(*v)[i].name[0] = '\0'; /* replaced by its crossings */
	}
	/* Drop the originals that were crossed. */
	{
		size_t o = first;

		for (size_t i = first; i < *n; i++) {
			if ((*v)[i].name[0] == '\0') {
				for (unsigned k = 0; k < (*v)[i].nargs; k++)
					free((*v)[i].args[k]);
				continue;
			}
			(*v)[o++] = (*v)[i];
		}
		*n = o;
	}
	return 0;
}

static int cross_all(struct variant **v, size_t *n, size_t *cap, size_t first, const char *matrix,
		     struct expand_ctx *ctx, struct errbuf *err)
{
	char buf[2048], *save = NULL, *dim;
	int ret;

	if (!matrix || !*matrix)
		return 0;
	snprintf(buf, sizeof(buf), "%s", matrix);
	for (dim = strtok_r(buf, ";", &save); dim; dim = strtok_r(NULL, ";", &save))
		if ((ret = cross(v, n, cap, first, dim, ctx, err)))
			return ret;
	return 0;
}

static int parse_targets(struct variant *v, const char *t, struct errbuf *err)
{
	char buf[1024], *save = NULL, *tok;

	if (!t)
		return 0;
	if (!strcmp(t, "equal")) {
		v->equal_targets = true;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", t);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		if (v->ntargets >= VARIANT_MAX_TARGETS)
			return errbuf_set(err, -EINVAL, "group %s: too many targets", v->group);
		v->targets[v->ntargets++] = strtod(tok, &end);
		if (*end)
			return errbuf_set(err, -EINVAL, "group %s: bad target '%s'", v->group, tok);
	}
	return 0;
}

static int expand_group(const struct group_def *g, struct expand_ctx *ctx, struct variant **v,
			size_t *n, size_t *cap, struct errbuf *err)
{
	size_t first = *n, count = 0;
	int ret;

	for (unsigned i = 0;; i++) {
		const struct variant_def *vd = NULL;
		const char *value = NULL, *kind, *vmm, *sources;
		struct variant *x;
		char name[256];

		if (g->variants) {
			vd = &g->variants[i];
			if (!vd->name)
				break;
		} else if (g->knob && g->values) {
			value = g->values[i];
			if (!value)
				break;
		} else if (i > 0)
			break;
		if ((ret = grow(v, n, cap)))
			return ret;
		x = &(*v)[*n];
		x->g = g;
		snprintf(x->group, sizeof(x->group), "%s", g->id);
		if (substitute(vd ? vd->name : value ? value : "default", name, sizeof(name), ctx))
			return errbuf_set(err, -EINVAL, "group %s: bad variant name", g->id);
		snprintf(x->name, sizeof(x->name), "%.*s", (int)sizeof(x->name) - 1, name);
		if (substitute(g->title ? g->title : g->id, x->title, sizeof(x->title), ctx))
			return errbuf_set(err, -EINVAL, "group %s: bad title", g->id);
		if (g->min_cores && ctx->cores && ctx->cores < g->min_cores) {
			x->status = SERIES_SKIPPED;
			snprintf(x->note, sizeof(x->note),
				 "this host has %u core%s; the group needs %u", ctx->cores,
				 ctx->cores == 1 ? "" : "s", g->min_cores);
		}
		kind = vd && vd->kind ? vd->kind : g->kind ? g->kind : "micro";
		vmm = vd && vd->vmm ? vd->vmm : g->vmm ? g->vmm : "strand";
		sources = vd && vd->sources ? vd->sources : g->sources;
		if (parse_kind(kind, &x->kind))
			return errbuf_set(err, -EINVAL, "group %s: unknown kind '%s'", g->id, kind);
		if (strcmp(vmm, "strand") && strcmp(vmm, "qemu"))
			return errbuf_set(err, -EINVAL, "group %s: unknown vmm '%s'", g->id, vmm);
		x->vmm = strcmp(vmm, "qemu") ? VMM_STRAND : VMM_QEMU;
		if ((x->kind == KIND_MICRO || x->kind >= KIND_QMP_RTT) && x->vmm == VMM_QEMU)
			return errbuf_set(err, -EINVAL, "group %s: micro-guests run on strand only",
					  g->id);
		x->is_strand = x->kind != KIND_FLOOR && x->vmm == VMM_STRAND;
		x->loops = g->loops		    ? g->loops :
			   x->kind == KIND_QMP_RTT  ? 2000 :
			   x->kind == KIND_QMP_POLL ? 1000 :
						      20000;
		/* Duplicates (e.g. {cpus} = 1 next to 1) are dropped. */
		for (size_t k = first; k < *n; k++)
			if (!strcmp((*v)[k].name, x->name))
				goto skip;
		if ((x->vmm == VMM_QEMU && !ctx->peer_qemu) || (ctx->strand_only && !x->is_strand))
			goto skip;
		if ((ret = add_args(x, g->args, ctx, err)))
			return ret;
		if (vd && (ret = add_args(x, vd->args, ctx, err)))
			return ret;
		if (value) {
			char arg[512];

			snprintf(arg, sizeof(arg), "%s %s", g->knob, value);
			if ((ret = add_args(x, arg, ctx, err)))
				return ret;
		}
		for (unsigned m = 0; g->metrics && g->metrics[m].name; m++) {
			struct msource *s = &x->src[x->nsrc];

			if (x->nsrc >= VARIANT_MAX_METRICS)
				return errbuf_set(err, -EINVAL, "group %s: too many metrics",
						  g->id);
			s->m = &g->metrics[m];
			if (!lookup_source(sources, s->m->name, s->src, sizeof(s->src)))
				snprintf(s->src, sizeof(s->src), "%s",
					 default_source(x->kind, s->m->name));
			x->nsrc++;
		}
		if (!x->nsrc)
			return errbuf_set(err, -EINVAL, "group %s: no metrics", g->id);
		if ((ret = parse_targets(x, g->targets, err)))
			return ret;
		(*n)++;
		count++;
		continue;
	skip:
		for (unsigned k = 0; k < x->nargs; k++)
			free(x->args[k]);
	}
	if ((ret = cross_all(v, n, cap, first, g->matrix, ctx, err)))
		return ret;
	return cross_all(v, n, cap, first, ctx->matrix, ctx, err);
}

int suite_expand(const struct suite_def *s, struct expand_ctx *ctx, struct variant **out, size_t *n,
		 struct errbuf *err)
{
	size_t cap = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	for (unsigned i = 0; s->groups && s->groups[i].id; i++)
		if ((ret = expand_group(&s->groups[i], ctx, out, n, &cap, err)))
			break;
	if (ret) {
		variants_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

void variants_free(struct variant *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < v[i].nargs; k++)
			free(v[i].args[k]);
	free(v);
}

/* ---- scenario files ---- */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

/* A string, or an array of strings joined with spaces (kept alive in *keep's tree). */
static const char *jargs(json_object *o, const char *k, json_object *pool)
{
	json_object *v;
	char buf[4096] = "";
	size_t len = 0;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_array))
		return json_object_get_string(v);
	for (size_t i = 0; i < json_object_array_length(v); i++)
		len += (size_t)snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0,
					"%s%s", i ? " " : "",
					json_object_get_string(json_object_array_get_idx(v, i)));
	v = json_object_new_string(buf);
	json_object_array_add(pool, v);
	return json_object_get_string(v);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n + 1, size);

	if (!p)
		abort();
	return p;
}

static int parse_group(json_object *go, struct group_def *g, json_object *pool, struct errbuf *err)
{
	json_object *arr, *mx;

	g->id = jstr(go, "id");
	if (!g->id)
		return errbuf_set(err, -EINVAL, "scenario: a group needs an \"id\"");
	g->title = jstr(go, "title") ? jstr(go, "title") : g->id;
	g->kind = jstr(go, "kind");
	g->vmm = jstr(go, "vmm");
	g->args = jargs(go, "args", pool);
	g->sources = jstr(go, "sources");
	g->knob = jstr(go, "knob");
	g->targets = jstr(go, "targets");
	if (json_object_object_get_ex(go, "loops", &arr))
		g->loops = (unsigned)json_object_get_int(arr);
	if (json_object_object_get_ex(go, "reps", &arr))
		g->reps = (unsigned)json_object_get_int(arr);
	if (json_object_object_get_ex(go, "no_warmup", &arr))
		g->no_warmup = json_object_get_boolean(arr);
	if (json_object_object_get_ex(go, "phases", &arr))
		g->phases = (unsigned)json_object_get_int(arr);
	if (json_object_object_get_ex(go, "phase_ms", &arr))
		g->phase_ms = (unsigned)json_object_get_int(arr);
	if (json_object_object_get_ex(go, "min_cores", &arr))
		g->min_cores = (unsigned)json_object_get_int(arr);
	if (!json_object_object_get_ex(go, "metrics", &arr) ||
	    !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr))
		return errbuf_set(err, -EINVAL, "scenario group %s: \"metrics\" must be a list",
				  g->id);
	{
		size_t n = json_object_array_length(arr);
		struct metric_def *m = xcalloc(n, sizeof(*m));

		for (size_t i = 0; i < n; i++) {
			json_object *mo = json_object_array_get_idx(arr, i);
			const char *better = jstr(mo, "better");

			m[i].name = jstr(mo, "name");
			m[i].title = jstr(mo, "title") ? jstr(mo, "title") : m[i].name;
			m[i].unit = jstr(mo, "unit") ? jstr(mo, "unit") : "";
			m[i].higher_better = better && !strcmp(better, "higher");
			if (!m[i].name ||
			    (better && strcmp(better, "higher") && strcmp(better, "lower")))
				return errbuf_set(err, -EINVAL,
						  "scenario group %s: metric %zu needs a name and "
						  "better: lower|higher",
						  g->id, i);
			if (jstr(mo, "source")) {
				/* "source" on the metric: fold it into the group's sources. */
				char buf[2048];
				json_object *s;

				snprintf(buf, sizeof(buf), "%s%s%s=%s",
					 g->sources ? g->sources : "", g->sources ? ";" : "",
					 m[i].name, jstr(mo, "source"));
				s = json_object_new_string(buf);
				json_object_array_add(pool, s);
				g->sources = json_object_get_string(s);
			}
		}
		g->metrics = m;
	}
	if (json_object_object_get_ex(go, "variants", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);
		struct variant_def *v = xcalloc(n, sizeof(*v));

		for (size_t i = 0; i < n; i++) {
			json_object *vo = json_object_array_get_idx(arr, i);

			v[i].name = jstr(vo, "name");
			v[i].args = jargs(vo, "args", pool);
			v[i].kind = jstr(vo, "kind");
			v[i].vmm = jstr(vo, "vmm");
			v[i].sources = jstr(vo, "sources");
			if (!v[i].name)
				return errbuf_set(err, -EINVAL,
						  "scenario group %s: variant %zu needs a name",
						  g->id, i);
		}
		g->variants = v;
	}
	if (json_object_object_get_ex(go, "values", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);
		const char **vals = xcalloc(n, sizeof(*vals));

		for (size_t i = 0; i < n; i++)
			vals[i] = json_object_get_string(json_object_array_get_idx(arr, i));
		g->values = vals;
		if (!g->knob)
			return errbuf_set(err, -EINVAL, "scenario group %s: values without a knob",
					  g->id);
	}
	if (json_object_object_get_ex(go, "matrix", &mx)) {
		char buf[2048] = "";
		size_t len = 0;
		json_object *s;

		if (!json_object_is_type(mx, json_type_object))
			return errbuf_set(
				err, -EINVAL,
				"scenario group %s: \"matrix\" must be an object of lists", g->id);
		json_object_object_foreach(mx, key, val)
		{
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%s=", len ? ";" : "", key);
			for (size_t i = 0; json_object_is_type(val, json_type_array) &&
					   i < json_object_array_length(val) && len < sizeof(buf);
			     i++)
				len += (size_t)snprintf(
					buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
					json_object_get_string(json_object_array_get_idx(val, i)));
			if (len >= sizeof(buf))
				return errbuf_set(err, -EINVAL,
						  "scenario group %s: matrix too long", g->id);
		}
		s = json_object_new_string(buf);
		json_object_array_add(pool, s);
		g->matrix = json_object_get_string(s);
	}
	return 0;
}

int scenario_load(const char *path, struct suite_def **out, size_t *n, json_object **keep,
		  struct errbuf *err)
{
	json_object *root = json_object_from_file(path), *suites, *pool;
	struct suite_def *s;
	size_t ns;
	int ret;

	*out = NULL;
	*n = 0;
	*keep = NULL;
	if (!root)
		return errbuf_set(err, -EINVAL, "--scenario %s: %s", path,
				  json_util_get_last_err());
	if (!json_object_object_get_ex(root, "suites", &suites) ||
	    !json_object_is_type(suites, json_type_array)) {
		json_object_put(root);
		return errbuf_set(err, -EINVAL, "--scenario %s: \"suites\" must be a list", path);
	}
	pool = json_object_new_array();
	json_object_object_add(root, "_strings", pool);
	ns = json_object_array_length(suites);
	s = xcalloc(ns, sizeof(*s));
	*out = s;
	*n = ns;
	*keep = root;
	for (size_t i = 0; i < ns; i++) {
		json_object *so = json_object_array_get_idx(suites, i), *v, *groups;
		size_t ng;
		struct group_def *g;

		s[i].name = jstr(so, "name");
		if (!s[i].name)
			return errbuf_set(err, -EINVAL, "--scenario %s: suite %zu needs a name",
					  path, i);
		s[i].description = jstr(so, "description") ? jstr(so, "description") : "";
		s[i].reps = json_object_object_get_ex(so, "reps", &v) ?
				    (unsigned)json_object_get_int(v) :
				    10;
		s[i].warmup = json_object_object_get_ex(so, "warmup", &v) ?
				      (unsigned)json_object_get_int(v) :
				      1;
		if (!json_object_object_get_ex(so, "groups", &groups) ||
		    !json_object_is_type(groups, json_type_array))
			return errbuf_set(err, -EINVAL, "--scenario %s: suite %s needs \"groups\"",
					  path, s[i].name);
		ng = json_object_array_length(groups);
		g = xcalloc(ng, sizeof(*g));
		s[i].groups = g;
		for (size_t k = 0; k < ng; k++)
			if ((ret = parse_group(json_object_array_get_idx(groups, k), &g[k], pool,
					       err)))
				return ret;
		if (json_object_object_get_ex(so, "ratios", &v) &&
		    json_object_is_type(v, json_type_array)) {
			size_t nr = json_object_array_length(v);
			struct ratio_def *r = xcalloc(nr, sizeof(*r));

			for (size_t k = 0; k < nr; k++) {
				json_object *ro = json_object_array_get_idx(v, k);

				r[k].name = jstr(ro, "name");
				r[k].num = jstr(ro, "num");
				r[k].den = jstr(ro, "den");
				if (!r[k].name || !r[k].num || !r[k].den)
					return errbuf_set(
						err, -EINVAL,
						"--scenario %s: a ratio needs name, num, den",
						path);
			}
			s[i].ratios = r;
		}
	}
	return 0;
}

void scenario_free(struct suite_def *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		for (unsigned k = 0; s[i].groups && s[i].groups[k].id; k++) {
			free((void *)s[i].groups[k].metrics);
			free((void *)s[i].groups[k].variants);
			free((void *)s[i].groups[k].values);
		}
		free((void *)s[i].groups);
		free((void *)s[i].ratios);
	}
	free(s);
}

int suite_custom(const char *args, const char *const *metrics, size_t nmetrics,
		 struct suite_def **out, struct errbuf *err)
{
	struct suite_def *s = xcalloc(1, sizeof(*s));
	struct group_def *g = xcalloc(1, sizeof(*g));
	struct metric_def *m = xcalloc(nmetrics, sizeof(*m));
	char *sources = xcalloc(1, 4096);
	size_t len = 0;

	*out = s;
	s->name = "custom";
	s->description = "a comparison given on the command line";
	s->reps = 10;
	s->warmup = 1;
	s->groups = g;
	g->id = "custom";
	g->title = args;
	g->args = args;
	g->metrics = m;
	g->sources = sources;
	/* NAME=SOURCE[:UNIT[:higher|lower]] */
	for (size_t i = 0; i < nmetrics; i++) {
		char *spec = strdup(metrics[i]), *eq, *c1, *c2;

		if (!spec)
			return -ENOMEM;
		eq = strchr(spec, '=');
		c1 = strchr(eq ? eq : spec, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c1)
			*c1 = '\0';
		if (c2)
			*c2 = '\0';
		if (eq)
			*eq = '\0';
		m[i].name = spec;
		m[i].title = spec;
		m[i].unit = c1 ? c1 + 1 : "";
		m[i].higher_better = c2 && !strcmp(c2 + 1, "higher");
		if (c2 && strcmp(c2 + 1, "higher") && strcmp(c2 + 1, "lower"))
			return errbuf_set(err, -EINVAL, "--metric %s: expected :higher or :lower",
					  metrics[i]);
		len += (size_t)snprintf(sources + len, len < 4096 ? 4096 - len : 0, "%s%s=%s",
					i ? ";" : "", spec, eq ? eq + 1 : spec);
	}
	return 0;
}
