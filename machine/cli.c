/* cli.c - `strand run` argument parsing. Pure; main thread. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "machine/cli.h"
#include "core/guest/abi.h"
#include "core/guest/embedded.h"
#include "core/mguest_args.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <stdlib.h>

#include "devices/churn.h"
#include "sched/topology.h"
#include "iothreads/iothread.h"
#include "monitor/qmp.h"
#include "util/log.h"
#include "util/cliopt.h"
#include "util/parse.h"

void config_defaults(struct machine_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = GUEST_MICRO;
	c->guest = "hello";
	c->cpl = 3;
	c->vcpus = 1;
	c->mem_bytes = CONFIG_DEFAULT_MEM;
	c->console = "stdio";
	threading_default(&c->threading);
	c->weight = 256;
	c->placement = PLACE_NONE;
	sched_default(&c->sched);
	c->kvm_path = "/dev/kvm";
}

void cli_usage_run(FILE *f)
{
	fprintf(f,
		"usage: strand run [options]\n"
		"       strand run [host-wide options] --vm [VM options] --vm [VM options] ...\n"
		"\n"
		"Guest (one of; default --guest hello):\n"
		"  --guest NAME[:ARGS]    an embedded micro-guest (see `strand guests`); ARGS are\n"
		"                         key=value pairs for the program, e.g. exitlat:iters=5000\n"
		"  --guest-file ELF[:ARGS] a micro-guest image built with the strand guest kit\n"
		"  --flat FILE            a raw real-mode binary loaded at 0x10000, started at\n"
		"                         CS:IP 1000:0000 (kvmtool's convention)\n"
		"  --kernel FILE          a Linux bzImage, or an uncompressed vmlinux with a PVH\n"
		"                         note (entered without self-decompression)\n"
		"  --initrd FILE          initramfs for --kernel; repeat to add archives (with --linux:\n"
		"                         added after the image's own, e.g. its programs.img)\n"
		"  --cmdline STR          kernel command line (replaces the default with --kernel,\n"
		"                         is appended to it with --linux; strand.cmd=CMD runs CMD)\n"
		"  --linux                boot the project's Debian image (tests/linux/build-image.sh)\n"
		"  --linux-dir DIR        where that image is (default: the build's linux/)\n"
		"  --linux-boot pvh|bzimage  entry path for --linux (default pvh)\n"
		"  --cpu-model auto|host|pvm-safe  guest CPU features (auto: pvm-safe on PVM hosts)\n"
		"  --guest-cpl 0|3        privilege level of micro-guest code (default 3; on PVM\n"
		"                         hosts CPL 0 code is emulated, ~5000x slower)\n"
		"\n"
		"Machine:\n"
		"  --vcpus N[,sockets=S,cores=C,threads=T]   vCPUs and their topology (default 1)\n"
		"  --memory SIZE[,policy=P][,host-nodes=LIST][,hugepages=on][,prealloc=on]\n"
		"                         guest RAM, e.g. 512M, 2G (bare number: MiB; default\n"
		"                         256M), optionally bound to host NUMA nodes\n"
		"  --numa node=N,cpus=LIST[,memory=SIZE][,host-node=M]   a guest NUMA node\n"
		"                         (repeatable; Linux: ACPI SRAT/SLIT; micro-guests:\n"
		"                         sg_numa); host-node binds its RAM and vCPUs there\n"
		"  --numa src=A,dst=B,distance=D   guest node distance (default: the host's, or 20)\n"
		"  --console stdio|file:PATH|pty|none   where the serial console goes (default\n"
		"                         stdio; on a terminal, Ctrl-A x quits; pty: a new\n"
		"                         /dev/pts/N, see query-chardev; output no one reads is\n"
		"                         dropped)\n"
		"\n"
		"Threading (docs/threading.md):\n"
		"  --threading PRESET[,lock=big|device][,io=vcpu|main|iothread][,map=rcu|rwlock|mutex]\n"
		"              [,iomap=device|queue][,iothreads=N][,poll_ns=N]\n"
		"                         presets: qemu-classic, qemu, firecracker, cloud-hypervisor,\n"
		"                         strand (default), inline; `--threading help` lists them\n"
		"  --iothread id=NAME[,poll_ns=N][,cpus=0-3+6]   a named iothread (repeatable); map\n"
		"                         a disk's queues to it with --disk ...,iothread=NAME[:NAME2]\n"
		"  --map-lock rcu|rwlock|mutex   shorthand for --threading map=...\n"
		"  --big-lock             shorthand for --threading lock=big\n"
		"  --map-churn HZ[,target=mmio|ram]  a host thread adds and removes a dummy region\n"
		"                         HZ times a second while the guest runs\n"
		"\n"
		"Scheduling and placement (docs/scheduling.md):\n"
		"  --sched STRATEGY       host (default), pinned[:force], fifo[:prio],\n"
		"                         gang[:slice_ms], gang-relaxed[:skew_ms], credit[:tslice_ms]\n"
		"  --placement none|compact|scatter|numa|cpus=LIST   where this VM's vCPU and\n"
		"                         iothreads run (default none: floating)\n"
		"  --topology SPEC        the host topology for placement: host (default),\n"
		"                         synthetic:DESC or xml:FILE (see strand plan --help)\n"
		"  --housekeeping N       keep the first N CPUs for the main thread and the host\n"
		"  --allow-smt-sharing    let VMs share the SMT siblings of a core\n"
		"  --weight N             credit share of this VM, 1..65535 (default 256)\n"
		"  --cap PCT              credit cap: at most PCT%% of one CPU\n"
		"  --halt-poll DURATION   KVM halt polling of this VM, 0..100ms (ns by default)\n"
		"  --disable-exits hlt,pause,mwait,cstate|all   let the guest run those natively\n"
		"                         (needs --sched pinned)\n"
		"  --pv FEATURE=on|off[,...]   paravirtual CPUID features: clocksource, unhalt,\n"
		"                         steal-time, eoi, tlb-flush, send-ipi, sched-yield,\n"
		"                         poll-control, realtime\n"
		"  --stats                print per-vCPU run time, run delay, exits, halts, steal\n"
		"                         and parked time at exit\n"
		"  --stats-json FILE      write the same as JSON (implies --stats)\n"
		"\n"
		"Several VMs in one process (docs/scheduling.md):\n"
		"  --vm                   starts the options of one more VM; host-wide options\n"
		"                         (--sched, --topology, --housekeeping, --allow-smt-sharing,\n"
		"                         --stats, --stats-json, --timeout, --log-level, --kvm,\n"
		"                         --monitor, --paused, --vcpu-gate) come before the first\n"
		"                         --vm; --results-json, --quiet and --console there apply\n"
		"                         to every VM\n"
		"  --name NAME            the VM's name in reports and thread names (default vmN)\n"
		"\n"
		"Devices (virtio-mmio):\n"
		"  --disk path=IMG[,readonly=on][,cache=none|writeback][,serial=STR][,queues=N]\n"
		"         [,aio=io_uring|sync]   a virtio-blk disk (repeatable, up to 8); a raw image\n"
		"                         or path=null:SIZE (no disk: reads zeros, drops writes)\n"
		"  --net tap=NAME|pair=NAME[,queues=N][,mac=MAC][,vhost=on][,offload=off]\n"
		"        [,iothread=NAME[:NAME...]]   a virtio-net NIC (repeatable, up to 4): an\n"
		"                         existing tap (queues>1: a multi_queue tap), or pair=NAME\n"
		"                         linking two --vm groups back to back; vhost=on: the\n"
		"                         kernel's vhost-net (needs /dev/vhost-net)\n"
		"  --rng                  a virtio-rng device (entropy from getrandom)\n"
		"  --virtio-console file=PATH|socket=PATH[,wait=off]   a virtio console port;\n"
		"                         socket: strand listens on a UNIX socket, serves one\n"
		"                         client, and waits for it before the VM starts\n"
		"\n"
		"Monitor (docs/monitor.md):\n"
		"  --monitor unix:PATH|fd:N   a QMP monitor socket (repeatable): strand listens on\n"
		"                         PATH, or serves an inherited socket (listening or connected)\n"
		"  --paused               start with every vCPU paused until the monitor's `cont`\n"
		"  --vcpu-gate FILE       make FILE a shared gate through which a scheduler in\n"
		"                         another process parks and releases the vCPUs (strandd's\n"
		"                         cross-domain strategies); strand removes it at exit\n"
		"\n"
		"Running:\n"
		"  --timeout DURATION     stop the VM after DURATION (e.g. 10s, 500ms; > 0); exit 124\n"
		"  --results-json FILE    write micro-guest results and samples as JSON\n"
		"  --quiet                do not print the result summary\n"
		"  --help                 this text\n"
		"  --kvm PATH             the KVM device (default /dev/kvm)\n"
		"  --log-level LEVEL      error, warn (default), info or debug\n"
		"\n"
		"Exit status: the micro-guest's status; 0 when the guest powers off or resets;\n"
		"1 a guest assertion failed; 2 bad usage or input (found before any VM exists:\n"
		"options, guest arguments, files, output paths); 3 the guest crashed (exception,\n"
		"triple fault, emulation failure); 4 host error; 124 timeout; 128+N signal N.\n"
		"Signals: SIGUSR1 pauses every VM, SIGUSR2 resumes; SIGQUIT prints every vCPU's\n"
		"registers and carries on; SIGINT and SIGTERM stop (a second one exits at once).\n");
}

int cli_parse_vcpus(const char *s, struct machine_config *cfg, struct errbuf *err)
{
	struct opts o;
	const char *v;
	uint32_t n, x;
	int ret;

	if (opts_parse(&o, s, "count"))
		return errbuf_set(err, -EINVAL, "--vcpus: cannot parse '%s'", s);
	ret = -EINVAL;
	v = opts_get(&o, "count");
	if (!v || parse_u32(v, &n) || n == 0) {
		errbuf_set(err, ret, "--vcpus: '%s' is not a vCPU count of at least 1", v ? v : s);
		goto out;
	}
	if (n > SG_MAX_VCPUS * 4) {
		errbuf_set(err, ret, "--vcpus: %u is more than strand supports (%u)", n,
			   SG_MAX_VCPUS * 4);
		goto out;
	}
	cfg->vcpus = n;
	cfg->topo_given = false;
	cpu_topology_default(&cfg->topo, n);
	if (opts_get(&o, "sockets") || opts_get(&o, "cores") || opts_get(&o, "threads")) {
		const char *keys[] = { "sockets", "cores", "threads" };
		unsigned *fields[] = { &cfg->topo.sockets, &cfg->topo.cores, &cfg->topo.threads };

		cfg->topo.sockets = cfg->topo.threads = 1;
		cfg->topo.cores = 0;
		for (unsigned i = 0; i < 3; i++) {
			v = opts_get(&o, keys[i]);
			if (!v)
				continue;
			if (parse_u32(v, &x) || x == 0 || x > 4096) {
				errbuf_set(err, ret, "--vcpus: bad %s count '%s'", keys[i], v);
				goto out;
			}
			*fields[i] = x;
		}
		if (!cfg->topo.cores)
			cfg->topo.cores = n / (cfg->topo.sockets * cfg->topo.threads);
		if (cpu_topology_count(&cfg->topo) != n) {
			errbuf_set(err, ret,
				   "--vcpus: %u sockets x %u cores x %u threads is not %u vCPUs",
				   cfg->topo.sockets, cfg->topo.cores, cfg->topo.threads, n);
			goto out;
		}
		cfg->topo_given = true;
	}
	if ((v = opts_unused(&o))) {
		errbuf_set(err, ret, "--vcpus: unknown option '%s'", v);
		goto out;
	}
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

/* Split "NAME:ARGS" in place. */
static void split_args(char *s, const char **name, const char **args)
{
	char *colon = strchr(s, ':');

	*name = s;
	*args = NULL;
	if (colon) {
		*colon = '\0';
		*args = colon + 1;
	}
}

enum {
	OPT_GUEST = 256,
	OPT_GUEST_FILE,
	OPT_FLAT,
	OPT_CPL,
	OPT_VCPUS,
	OPT_MEMORY,
	OPT_CONSOLE,
	OPT_MAP_LOCK,
	OPT_BIG_LOCK,
	OPT_TIMEOUT,
	OPT_RESULTS_JSON,
	OPT_QUIET,
	OPT_KVM,
	OPT_LOG_LEVEL,
	OPT_NAME,
	OPT_WEIGHT,
	OPT_CAP,
	OPT_HALT_POLL,
	OPT_DISABLE_EXITS,
	OPT_PV,
	OPT_NUMA,
	OPT_PLACEMENT,
	OPT_SCHED,
	OPT_TOPOLOGY,
	OPT_HOUSEKEEPING,
	OPT_ALLOW_SMT,
	OPT_STATS,
	OPT_STATS_JSON,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_LINUX,
	OPT_LINUX_DIR,
	OPT_LINUX_BOOT,
	OPT_CPU_MODEL,
	OPT_THREADING,
	OPT_MAP_CHURN,
	OPT_IOTHREAD,
	OPT_DISK,
	OPT_RNG,
	OPT_NET,
	OPT_VCONSOLE,
	OPT_MONITOR,
	OPT_PAUSED,
	OPT_VCPU_GATE,
	OPT_VM,
	OPT_HELP,
};

const struct option cli_run_options[] = {
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "guest-file", required_argument, NULL, OPT_GUEST_FILE },
	{ "flat", required_argument, NULL, OPT_FLAT },
	{ "guest-cpl", required_argument, NULL, OPT_CPL },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "map-lock", required_argument, NULL, OPT_MAP_LOCK },
	{ "big-lock", no_argument, NULL, OPT_BIG_LOCK },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "results-json", required_argument, NULL, OPT_RESULTS_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "kvm", required_argument, NULL, OPT_KVM },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "cap", required_argument, NULL, OPT_CAP },
	{ "halt-poll", required_argument, NULL, OPT_HALT_POLL },
	{ "disable-exits", required_argument, NULL, OPT_DISABLE_EXITS },
	{ "pv", required_argument, NULL, OPT_PV },
	{ "numa", required_argument, NULL, OPT_NUMA },
	{ "placement", required_argument, NULL, OPT_PLACEMENT },
	{ "sched", required_argument, NULL, OPT_SCHED },
	{ "topology", required_argument, NULL, OPT_TOPOLOGY },
	{ "housekeeping", required_argument, NULL, OPT_HOUSEKEEPING },
	{ "allow-smt-sharing", no_argument, NULL, OPT_ALLOW_SMT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "linux", no_argument, NULL, OPT_LINUX },
	{ "linux-dir", required_argument, NULL, OPT_LINUX_DIR },
	{ "linux-boot", required_argument, NULL, OPT_LINUX_BOOT },
	{ "cpu-model", required_argument, NULL, OPT_CPU_MODEL },
	{ "threading", required_argument, NULL, OPT_THREADING },
	{ "map-churn", required_argument, NULL, OPT_MAP_CHURN },
	{ "iothread", required_argument, NULL, OPT_IOTHREAD },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "net", required_argument, NULL, OPT_NET },
	{ "virtio-console", required_argument, NULL, OPT_VCONSOLE },
	{ "monitor", required_argument, NULL, OPT_MONITOR },
	{ "paused", no_argument, NULL, OPT_PAUSED },
	{ "vcpu-gate", required_argument, NULL, OPT_VCPU_GATE },
	{ "vm", no_argument, NULL, OPT_VM },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Options a VM may set, which given before the first --vm apply to every VM. */
static bool is_either_option(int opt)
{
	return opt == OPT_RESULTS_JSON || opt == OPT_QUIET || opt == OPT_CONSOLE;
}

static bool is_global_option(int opt)
{
	switch (opt) {
	case OPT_SCHED:
	case OPT_TOPOLOGY:
	case OPT_HOUSEKEEPING:
	case OPT_ALLOW_SMT:
	case OPT_STATS:
	case OPT_STATS_JSON:
	case OPT_TIMEOUT:
	case OPT_LOG_LEVEL:
	case OPT_KVM:
	case OPT_MONITOR:
	case OPT_PAUSED:
	case OPT_VCPU_GATE:
		return true;
	default:
		return false;
	}
}

/* "hlt,pause,mwait,cstate" or "all". */
static int parse_disable_exits(const char *s, uint32_t *mask, struct errbuf *err)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {
		{ "mwait", KVM_X86_DISABLE_EXITS_MWAIT },
		{ "hlt", KVM_X86_DISABLE_EXITS_HLT },
		{ "pause", KVM_X86_DISABLE_EXITS_PAUSE },
		{ "cstate", KVM_X86_DISABLE_EXITS_CSTATE },
	};
	char buf[64], *save = NULL, *tok;

	*mask = 0;
	if (strcmp(s, "all") == 0) {
		*mask = KVM_X86_DISABLE_EXITS_MWAIT | KVM_X86_DISABLE_EXITS_HLT |
			KVM_X86_DISABLE_EXITS_PAUSE | KVM_X86_DISABLE_EXITS_CSTATE;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",:", &save); tok; tok = strtok_r(NULL, ",:", &save)) {
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			if (strcmp(tok, names[i].name) == 0) {
				*mask |= names[i].bit;
				break;
			}
		}
		if (i == ARRAY_SIZE(names))
			return errbuf_set(
				err, -EINVAL,
				"--disable-exits: unknown exit '%s' (hlt, pause, mwait, cstate, all)",
				tok);
	}
	return *mask ? 0 : errbuf_set(err, -EINVAL, "--disable-exits: nothing given");
}

/* "unhalt=off,steal-time=off,tlb-flush=off,sched-yield=off,send-ipi=off,realtime=on". */
static int parse_pv(const char *s, struct machine_config *cfg, struct errbuf *err)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} features[] = {
		{ "clocksource", 1u << KVM_FEATURE_CLOCKSOURCE2 },
		{ "unhalt", 1u << KVM_FEATURE_PV_UNHALT },
		{ "steal-time", 1u << KVM_FEATURE_STEAL_TIME },
		{ "eoi", 1u << KVM_FEATURE_PV_EOI },
		{ "tlb-flush", 1u << KVM_FEATURE_PV_TLB_FLUSH },
		{ "send-ipi", 1u << KVM_FEATURE_PV_SEND_IPI },
		{ "sched-yield", 1u << KVM_FEATURE_PV_SCHED_YIELD },
		{ "poll-control", 1u << KVM_FEATURE_POLL_CONTROL },
	};
	struct opts o;
	int ret = -EINVAL;

	if (opts_parse(&o, s, NULL))
		return errbuf_set(err, -EINVAL, "--pv: cannot parse '%s'", s);
	for (unsigned i = 0; i < o.n; i++) {
		const char *k = o.item[i].key;
		bool on;
		unsigned f;

		if (parse_bool(o.item[i].val, &on)) {
			errbuf_set(err, ret, "--pv %s=%s: expected on or off", k, o.item[i].val);
			goto out;
		}
		if (strcmp(k, "realtime") == 0) {
			cfg->pv_hints = on ? (1u << KVM_HINTS_REALTIME) : 0;
			continue;
		}
		for (f = 0; f < ARRAY_SIZE(features); f++) {
			if (strcmp(k, features[f].name) == 0)
				break;
		}
		if (f == ARRAY_SIZE(features)) {
			errbuf_set(
				err, ret,
				"--pv: unknown feature '%s' (clocksource, unhalt, steal-time, eoi, "
				"tlb-flush, send-ipi, sched-yield, poll-control, realtime)",
				k);
			goto out;
		}
		if (on)
			cfg->pv_clear &= ~features[f].bit;
		else
			cfg->pv_clear |= features[f].bit;
	}
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

int cli_parse_run(int argc, char **argv, struct machine_config *cfg, struct errbuf *err)
{
	return cli_parse_run_mode(argc, argv, cfg, CLI_PARSE_ALL, err);
}

int cli_parse_run_mode(int argc, char **argv, struct machine_config *cfg, enum cli_parse_mode mode,
		       struct errbuf *err)
{
	unsigned guest_opts = 0;
	struct cliopt p;
	int c;

	config_defaults(cfg);
	cliopt_init(&p, "run", argc, argv, "+", cli_run_options);
	while ((c = cliopt_next(&p, err)) != -1) {
		const char *a = p.arg;
		enum log_level lvl;
		uint32_t u32;
		uint64_t v;

		if (c == CLIOPT_ERROR)
			return -EINVAL;
		if (c != OPT_HELP && !is_either_option(c)) {
			bool global = is_global_option(c);

			if (mode == CLI_PARSE_VM && global)
				return errbuf_set(
					err, -EINVAL,
					"%s applies to every VM: give it before the first --vm",
					cliopt_name(&p));
			if (mode == CLI_PARSE_GLOBAL && !global)
				return errbuf_set(err, -EINVAL,
						  "%s belongs to one VM: give it after --vm",
						  cliopt_name(&p));
		}
		switch (c) {
		case OPT_GUEST:
			split_args(p.arg, &cfg->guest, &cfg->guest_args);
			if (!*cfg->guest)
				return errbuf_set(err, -EINVAL, "--guest: missing program name");
			cfg->kind = GUEST_MICRO;
			guest_opts++;
			break;
		case OPT_GUEST_FILE:
			split_args(p.arg, &cfg->guest_file, &cfg->guest_args);
			if (!*cfg->guest_file)
				return errbuf_set(err, -EINVAL, "--guest-file: missing file name");
			cfg->kind = GUEST_MICRO;
			guest_opts++;
			break;
		case OPT_FLAT:
			cfg->flat = a;
			cfg->kind = GUEST_FLAT;
			guest_opts++;
			break;
		case OPT_CPL:
			if (strcmp(a, "0") && strcmp(a, "3"))
				return errbuf_set(err, -EINVAL,
						  "--guest-cpl: expected 0 or 3, got '%s'", a);
			cfg->cpl = (unsigned)(a[0] - '0');
			break;
		case OPT_VCPUS:
			if (cli_parse_vcpus(a, cfg, err))
				return -EINVAL;
			break;
		case OPT_MEMORY:
			if (strchr(a, ',')) {
				/* SIZE,policy=...,host-nodes=...,hugepages=...,prealloc=on */
				if (numa_mem_parse(a, &cfg->numa, err))
					return -EINVAL;
				cfg->numa_set = true;
				v = cfg->numa.size_bytes;
			} else if (parse_size(a, MiB, &v)) {
				return errbuf_set(err, -EINVAL, "--memory: cannot parse size '%s'",
						  a);
			}
			if (v < CONFIG_MIN_MEM)
				return errbuf_set(err, -EINVAL,
						  "--memory: %s is below the 4 MiB minimum", a);
			if (v % (4 * KiB))
				return errbuf_set(err, -EINVAL,
						  "--memory: %s is not a multiple of 4 KiB", a);
			if (v > (1ULL << 40))
				return errbuf_set(err, -EINVAL,
						  "--memory: %s is above the 1 TiB maximum", a);
			cfg->mem_bytes = v;
			break;
		case OPT_CONSOLE:
			if (strcmp(a, "stdio") && strcmp(a, "none") && strcmp(a, "pty") &&
			    (strncmp(a, "file:", 5) || !a[5]))
				return errbuf_set(
					err, -EINVAL,
					"--console: expected stdio, file:PATH, pty or none, got '%s'",
					a);
			cfg->console = a;
			break;
		case OPT_MAP_LOCK:
			if (pubptr_mode_parse(a, &cfg->threading.map))
				return errbuf_set(
					err, -EINVAL,
					"--map-lock: expected rcu, rwlock or mutex, got '%s'", a);
			break;
		case OPT_BIG_LOCK:
			cfg->threading.lock = LOCK_BIG;
			break;
		case OPT_MAP_CHURN: {
			uint64_t hz;
			enum churn_target target;

			if (churn_parse(a, &hz, &target, err))
				return -EINVAL;
			cfg->map_churn = a;
			break;
		}
		case OPT_NAME:
			if (!*a || strlen(a) >= sizeof(cfg->name))
				return errbuf_set(err, -EINVAL, "--name: 1 to %zu characters",
						  sizeof(cfg->name) - 1);
			snprintf(cfg->name, sizeof(cfg->name), "%s", a);
			break;
		case OPT_WEIGHT:
			if (parse_u32(a, &u32) || u32 == 0 || u32 > 65535)
				return errbuf_set(err, -EINVAL,
						  "--weight: expected 1..65535, got '%s'", a);
			cfg->weight = u32;
			break;
		case OPT_CAP:
			if (parse_u32(a, &u32) || u32 == 0 || u32 > 100 * 1024)
				return errbuf_set(
					err, -EINVAL,
					"--cap: expected a percentage of one CPU (1..), got '%s'",
					a);
			cfg->cap_pct = u32;
			break;
		case OPT_HALT_POLL:
			if (parse_duration_ns(a, 1, &v) || v > 100000000ULL)
				return errbuf_set(
					err, -EINVAL,
					"--halt-poll: expected 0..100ms (ns by default), got '%s'",
					a);
			cfg->halt_poll_set = true;
			cfg->halt_poll_ns = v;
			break;
		case OPT_DISABLE_EXITS:
			if (parse_disable_exits(a, &cfg->disable_exits, err))
				return -EINVAL;
			break;
		case OPT_PV:
			if (parse_pv(a, cfg, err))
				return -EINVAL;
			break;
		case OPT_NUMA:
			if (gnuma_parse(&cfg->gnuma, a, err))
				return -EINVAL;
			break;
		case OPT_PLACEMENT:
			if (strncmp(a, "cpus=", 5) == 0) {
				if (topo_parse_cpulist(a + 5, &cfg->placement_cpus) ||
				    !CPU_COUNT(&cfg->placement_cpus))
					return errbuf_set(
						err, -EINVAL,
						"--placement cpus=%s: expected a list like 0-3+6",
						a + 5);
				cfg->placement = PLACE_EXPLICIT;
				cfg->placement_cpus_set = true;
			} else if (place_policy_parse(a, &cfg->placement) ||
				   cfg->placement == PLACE_EXPLICIT) {
				return errbuf_set(
					err, -EINVAL,
					"--placement: expected none, compact, scatter, numa or "
					"cpus=LIST, got '%s'",
					a);
			}
			break;
		case OPT_SCHED:
			if (sched_parse(a, &cfg->sched, err))
				return -EINVAL;
			break;
		case OPT_TOPOLOGY:
			cfg->topology = a;
			break;
		case OPT_HOUSEKEEPING:
			if (parse_u32(a, &u32) || u32 > 1024)
				return errbuf_set(err, -EINVAL,
						  "--housekeeping: expected a CPU count, got '%s'",
						  a);
			cfg->housekeeping = u32;
			break;
		case OPT_ALLOW_SMT:
			cfg->allow_smt = true;
			break;
		case OPT_STATS:
			cfg->stats = true;
			break;
		case OPT_STATS_JSON:
			cfg->stats = true;
			cfg->stats_json = a;
			break;
		case OPT_KERNEL:
			cfg->kernel = a;
			cfg->kind = GUEST_LINUX;
			guest_opts++;
			break;
		case OPT_INITRD:
			if (cfg->ninitrd == CONFIG_MAX_INITRDS)
				return errbuf_set(err, -EINVAL, "--initrd: at most %d archives",
						  CONFIG_MAX_INITRDS);
			cfg->initrd[cfg->ninitrd++] = a;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = a;
			break;
		case OPT_LINUX:
			cfg->linux_image = true;
			cfg->kind = GUEST_LINUX;
			guest_opts++;
			break;
		case OPT_LINUX_DIR:
			cfg->linux_dir = a;
			break;
		case OPT_LINUX_BOOT:
			if (strcmp(a, "pvh") && strcmp(a, "bzimage"))
				return errbuf_set(err, -EINVAL,
						  "--linux-boot: expected pvh or bzimage, got '%s'",
						  a);
			cfg->linux_bzimage = strcmp(a, "bzimage") == 0;
			break;
		case OPT_CPU_MODEL:
			if (strcmp(a, "auto") && strcmp(a, "host") && strcmp(a, "pvm-safe"))
				return errbuf_set(
					err, -EINVAL,
					"--cpu-model: expected auto, host or pvm-safe, got '%s'",
					a);
			cfg->cpu_model = a;
			break;
		case OPT_THREADING:
			if (strcmp(a, "help") == 0) {
				for (unsigned i = 0; i < threading_preset_count; i++) {
					char d[96];

					printf("%-17s %s\n  %s\n", threading_presets[i].name,
					       threading_describe(&threading_presets[i].cfg, d,
								  sizeof(d)),
					       threading_presets[i].description);
				}
				return 1;
			}
			if (threading_parse(a, &cfg->threading, err))
				return -EINVAL;
			break;
		case OPT_IOTHREAD: {
			struct iothread_opts io;

			if (cfg->niothreads == ARRAY_SIZE(cfg->iothreads))
				return errbuf_set(err, -EINVAL, "--iothread: at most %zu",
						  ARRAY_SIZE(cfg->iothreads));
			if (iothread_parse_opts(a, &io, err))
				return -EINVAL;
			for (unsigned i = 0; i < cfg->niothreads; i++) {
				struct iothread_opts other;

				if (iothread_parse_opts(cfg->iothreads[i], &other, err) == 0 &&
				    strcmp(other.name, io.name) == 0)
					return errbuf_set(err, -EINVAL,
							  "--iothread: id '%s' given twice",
							  io.name);
			}
			cfg->iothreads[cfg->niothreads++] = a;
			break;
		}
		case OPT_TIMEOUT:
			if (parse_duration_ns(a, 1000000000ULL, &v))
				return errbuf_set(
					err, -EINVAL,
					"--timeout: cannot parse duration '%s' (e.g. 10s, "
					"500ms; a bare number is seconds)",
					a);
			if (v == 0)
				return errbuf_set(
					err, -EINVAL,
					"--timeout: the duration must be positive, got '%s'", a);
			cfg->timeout_ns = v;
			break;
		case OPT_RESULTS_JSON:
			cfg->results_json = a;
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_KVM:
			cfg->kvm_path = a;
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(a, &lvl))
				return errbuf_set(
					err, -EINVAL,
					"--log-level: expected error, warn, info or debug, got '%s'",
					a);
			log_set_level(lvl);
			break;
		case OPT_DISK: {
			struct vblk_opts vo;

			if (cfg->ndisks == CONFIG_MAX_DISKS)
				return errbuf_set(err, -EINVAL, "--disk: at most %d disks",
						  CONFIG_MAX_DISKS);
			if (vblk_parse_opts(a, &vo, err))
				return -EINVAL;
			cfg->disks[cfg->ndisks++] = a;
			break;
		}
		case OPT_NET: {
			struct vnet_opts no;

			if (cfg->nnets == CONFIG_MAX_NETS)
				return errbuf_set(err, -EINVAL, "--net: at most %d NICs",
						  CONFIG_MAX_NETS);
			if (vnet_parse_opts(a, &no, err))
				return -EINVAL;
			cfg->nets[cfg->nnets++] = a;
			break;
		}
		case OPT_RNG:
			cfg->rng = true;
			break;
		case OPT_VCONSOLE:
			cfg->vconsole = a;
			break;
		case OPT_MONITOR:
			if (cfg->nmonitors == CONFIG_MAX_MONITORS)
				return errbuf_set(err, -EINVAL, "--monitor: at most %d sockets",
						  CONFIG_MAX_MONITORS);
			if (qmp_spec_check(a, err))
				return -EINVAL;
			cfg->monitors[cfg->nmonitors++] = a;
			break;
		case OPT_PAUSED:
			cfg->start_paused = true;
			break;
		case OPT_VCPU_GATE:
			cfg->vcpu_gate = optarg;
			break;
		case OPT_HELP:
			cli_usage_run(stdout);
			return 1;
		case OPT_VM:
		default:
			/* --vm is split off by run.c before an argv segment reaches here. */
			return errbuf_set(err, -EINVAL,
					  "%s: not valid here (see strand run --help)",
					  cliopt_name(&p));
		}
	}
	if (p.ind < argc)
		return errbuf_set(err, -EINVAL, "unexpected argument '%s' (see strand run --help)",
				  argv[p.ind]);
	if (guest_opts > 1)
		return errbuf_set(err, -EINVAL,
				  "choose one guest: --guest, --guest-file, --flat, "
				  "--kernel or --linux, not several");
	if (cfg->kind != GUEST_LINUX && (cfg->ninitrd || cfg->cmdline))
		return errbuf_set(err, -EINVAL, "--initrd and --cmdline need --kernel or --linux");
	if (cfg->kind == GUEST_FLAT && cfg->guest_args)
		return errbuf_set(err, -EINVAL, "--flat takes no program arguments");
	if (cfg->guest_args && strlen(cfg->guest_args) >= SG_ARGS_MAX)
		return errbuf_set(err, -EINVAL, "guest arguments longer than %d characters",
				  SG_ARGS_MAX - 1);
	if (cfg->kind == GUEST_MICRO && !cfg->guest_file) {
		/* The embedded guest's own table (SG_ARGS); --guest-file is checked on loading. */
		const struct embedded_guest *g = embedded_guest_find(cfg->guest);
		char label[96];

		if (!g)
			return errbuf_set(
				err, -EINVAL,
				"--guest: no micro-guest called '%s' (see `strand guests`)",
				cfg->guest);
		snprintf(label, sizeof(label), "--guest %s", cfg->guest);
		if (mguest_args_check_image(g->start, (size_t)(g->end - g->start), label,
					    cfg->guest_args, err))
			return -EINVAL;
	}
	if (gnuma_finish(&cfg->gnuma, cfg->vcpus, cfg->mem_bytes, err))
		return -EINVAL;
	if (cfg->gnuma.nr_nodes && cfg->kind == GUEST_FLAT)
		return errbuf_set(err, -EINVAL,
				  "--numa: a --flat guest has no way to see NUMA nodes");
	if (gnuma_has_host_nodes(&cfg->gnuma) && cfg->numa_set && cfg->numa.host_nodes)
		return errbuf_set(err, -EINVAL,
				  "--numa host-node= and --memory ...,host-nodes= both place guest "
				  "RAM: choose one");
	return 0;
}
