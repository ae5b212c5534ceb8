/*
 * config.h - what `strand run` was asked to build: filled by the CLI parser (or by the bench
 * harness), consumed by the builder. Plain data, owned by one thread; strings point into argv
 * or into static storage and outlive the machine.
 */
#ifndef STRAND_MACHINE_CONFIG_H
#define STRAND_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/threading.h"
#include "core/gnuma.h"
#include "sched/numa_mem.h"
#include "sched/place.h"
#include "sched/strategy.h"
#include "core/cpuid.h"
#include "util/pubptr.h"

enum guest_kind {
	GUEST_MICRO = 0, /* an embedded micro-guest (or --guest-file) */
	GUEST_FLAT,	 /* --flat FILE */
	GUEST_LINUX,	 /* --kernel FILE or --linux */
};

#define CONFIG_DEFAULT_MEM  (256ULL << 20)
#define CONFIG_MAX_DISKS    8
#define CONFIG_MAX_NETS	    4
#define CONFIG_MAX_INITRDS  8
#define CONFIG_MIN_MEM	    (4ULL << 20)
#define CONFIG_MAX_MONITORS 8

struct machine_config {
	enum guest_kind kind;
	const char *guest;	/* micro-guest name */
	const char *guest_args; /* "k=v,..." */
	const char *guest_file; /* micro-guest ELF from a file */
	const char *flat;	/* flat binary */
	unsigned cpl;		/* 0 or 3 */
	unsigned vcpus;
	bool topo_given;
	struct cpu_topology topo;
	uint64_t mem_bytes;
	const char *console;		   /* stdio | file:PATH | none */
	bool console_no_input;		   /* another VM reads the terminal */
	uint64_t timeout_ns;		   /* 0: none */
	struct threading_config threading; /* --threading (and --map-lock, --big-lock) */
	unsigned niothreads;
	const char *iothreads[16]; /* --iothread specs, checked by the builder */
	const char *results_json;  /* write results here */
	bool quiet;		   /* no result summary on stdout */
	const char *kvm_path;	   /* /dev/kvm */
	unsigned ndisks;
	const char *disks[CONFIG_MAX_DISKS]; /* --disk specs, checked by the builder */
	unsigned nnets;
	const char *nets[CONFIG_MAX_NETS]; /* --net specs, checked by the builder */
	bool rng;			   /* virtio-rng */
	const char *vconsole;		   /* --virtio-console file=PATH|socket=PATH */
	const char *map_churn;		   /* --map-churn HZ[,target=mmio|ram] */
	const char *kernel;		   /* bzImage or vmlinux (PVH) */
	/*
	 * --initrd, repeatable: the archives are concatenated (each padded to 4 bytes) into one
	 * initrd, which the kernel unpacks in order; --linux puts its own initramfs first.
	 */
	const char *initrd[CONFIG_MAX_INITRDS];
	unsigned ninitrd;
	const char *cmdline;   /* --kernel: replaces the default; --linux: appended */
	bool linux_image;      /* --linux: the project's image */
	const char *linux_dir; /* where --linux finds it */
	bool linux_bzimage;    /* --linux-boot bzimage (default PVH) */
	const char *cpu_model; /* auto | host | pvm-safe */

	/* Per VM: scheduling knobs and KVM knobs (docs/scheduling.md). */
	char name[16];	       /* --name (default vmN) */
	char thread_prefix[8]; /* "vm1." with several VMs: thread names per VM (run.c sets it) */
	unsigned weight;       /* --weight: credit share (default 256) */
	unsigned cap_pct;      /* --cap: credit cap, % of one CPU (0: none) */
	bool halt_poll_set;
	uint64_t halt_poll_ns;	     /* --halt-poll */
	uint32_t disable_exits;	     /* --disable-exits: KVM_X86_DISABLE_EXITS_* */
	uint32_t pv_clear;	     /* --pv: KVM_FEATURE_* bits turned off */
	uint32_t pv_hints;	     /* --pv realtime=on: KVM_HINTS_REALTIME */
	enum place_policy placement; /* --placement for vCPUs and iothreads */
	bool placement_cpus_set;
	cpu_set_t placement_cpus; /* --placement cpus=LIST */
	bool numa_set;
	struct numa_mem_opts numa; /* --memory SIZE,policy=...: where guest RAM lives */
	struct gnuma gnuma;	   /* --numa: guest NUMA nodes (nr_nodes 0: none) */

	/* Host-wide settings (before the first --vm when there are several VMs). */
	struct sched_config sched; /* --sched */
	const char *topology;	   /* --topology: for placement (default: this host) */
	unsigned housekeeping;	   /* --housekeeping N CPUs kept for the main thread */
	bool allow_smt;		   /* --allow-smt-sharing */
	bool stats;		   /* --stats */
	const char *stats_json;	   /* --stats-json FILE */
	unsigned nmonitors;
	const char *monitors[CONFIG_MAX_MONITORS]; /* --monitor unix:PATH | fd:N (QMP) */
	bool start_paused;			   /* --paused: vCPUs wait for QMP `cont` */
	const char *vcpu_gate; /* --vcpu-gate FILE: the shared gate (monitor/vcpu_gate.h) */
};

void config_defaults(struct machine_config *c);

#endif
