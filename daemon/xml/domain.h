/*
 * domain.h - libvirt domain XML for strandd: parse (XML text -> struct domain_def), check
 * (semantic rules), format (struct domain_def -> XML, inactive or live). docs/management.md
 * "Domain XML" maps every element to a `strand run` option or a monitor command.
 *
 * The subset strand models is accepted; any other element or attribute is an error that names
 * it (never silently dropped). strand's own knobs live in the domain's <metadata>, in the
 * namespace DOMAIN_STRAND_NS, inside one <strand:config> element: libvirt's RelaxNG schema
 * (domain.rng) admits foreign-namespace elements there and nowhere else in <domain>.
 *
 * Threads: every function is reentrant and may be called from any thread; a domain_def is
 * plain data owned by its caller (no locking inside). libxml2 is initialised once, on first
 * use, by the first call to domain_parse().
 *
 * Errors: every failing function returns a negative errno (-EINVAL for bad input, -ENOMEM) and
 * fills a struct domain_error with libvirt's error number and domain and a one-line message that
 * names the element or attribute, ready for libvirt's remote_error structure.
 */
#ifndef STRAND_DAEMON_XML_DOMAIN_H
#define STRAND_DAEMON_XML_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

/* strand's XML namespace (the URI is a name, never fetched). */
#define DOMAIN_STRAND_NS     "http://strand.dev/schemas/domain/1.0"
#define DOMAIN_STRAND_PREFIX "strand"

/* libvirt's virErrorNumber and virErrorDomain values used here (include/libvirt/virterror.h). */
enum domain_err_code {
	DOMAIN_ERR_INTERNAL = 1,	    /* VIR_ERR_INTERNAL_ERROR */
	DOMAIN_ERR_NO_MEMORY = 2,	    /* VIR_ERR_NO_MEMORY */
	DOMAIN_ERR_INVALID_ARG = 8,	    /* VIR_ERR_INVALID_ARG: inconsistent values */
	DOMAIN_ERR_XML_ERROR = 27,	    /* VIR_ERR_XML_ERROR: malformed or hostile XML */
	DOMAIN_ERR_XML_DETAIL = 35,	    /* VIR_ERR_XML_DETAIL: a bad or missing value */
	DOMAIN_ERR_CONFIG_UNSUPPORTED = 67, /* VIR_ERR_CONFIG_UNSUPPORTED: strand lacks it */
};

enum domain_err_domain {
	DOMAIN_FROM_XML = 5,	 /* VIR_FROM_XML: the document itself */
	DOMAIN_FROM_DOMAIN = 20, /* VIR_FROM_DOMAIN: the domain configuration */
};

struct domain_error {
	int code;	   /* enum domain_err_code */
	int domain;	   /* enum domain_err_domain */
	char message[512]; /* "unsupported configuration: ...", as libvirt words its messages */
};

/* Limits (strand's own, or safety bounds on hostile input). */
#define DOMAIN_XML_MAX	      (1u << 20) /* bytes of XML accepted */
#define DOMAIN_NAME_MAX	      64
#define DOMAIN_TITLE_MAX      1024
#define DOMAIN_DESC_MAX	      65536
#define DOMAIN_PATH_MAX	      4095
#define DOMAIN_CMDLINE_MAX    4095
#define DOMAIN_METADATA_MAX   (256u << 10) /* other applications' <metadata>, formatted */
#define DOMAIN_MAX_VCPUS      4096
#define DOMAIN_MAX_CELLS      8
#define DOMAIN_MAX_IOTHREADS  16
#define DOMAIN_MAX_DISKS      8
#define DOMAIN_MAX_HOST_CPUS  1024 /* CPU numbers in cpusets: 0..1023 */
#define DOMAIN_MAX_HOST_NODES 64
#define DOMAIN_MIN_MEM	      (4ULL << 20)
#define DOMAIN_MAX_MEM	      (1ULL << 40)
#define DOMAIN_SERIAL_MAX     20 /* virtio-blk serial bytes */
#define DOMAIN_GUEST_ARGS_MAX 511
#define DOMAIN_GUEST_NAME_MAX 32
#define DOMAIN_DEFAULT_PERIOD 100000 /* us, libvirt's and the kernel's CFS default */
#define DOMAIN_IOTHREAD_PREFIX \
	"iothread" /* libvirt iothread N is strand's --iothread id=iothreadN */

/* A set of host CPUs (or of vCPUs, for NUMA cells), bit i = CPU i. */
struct domain_cpuset {
	uint64_t bits[DOMAIN_MAX_HOST_CPUS / 64];
};

enum domain_tristate {
	DOMAIN_DEFAULT = 0, /* not given: strand's default */
	DOMAIN_ON,
	DOMAIN_OFF,
};

enum domain_lifecycle {
	DOMAIN_LC_DESTROY = 0,
	DOMAIN_LC_RESTART,
};

enum domain_mem_mode {
	DOMAIN_MEM_NONE = 0, /* no <numatune><memory> */
	DOMAIN_MEM_STRICT,
	DOMAIN_MEM_PREFERRED,
	DOMAIN_MEM_INTERLEAVE,
};

enum domain_chardev {
	DOMAIN_CHR_NONE = 0, /* no such device */
	DOMAIN_CHR_PTY,	     /* serial only: strand's stdio is a pty the daemon holds */
	DOMAIN_CHR_FILE,     /* output to a file */
	DOMAIN_CHR_NULL,     /* serial only: discarded */
	DOMAIN_CHR_UNIX,     /* virtio console only: strand listens on a UNIX socket */
};

enum domain_disk_io {
	DOMAIN_IO_DEFAULT = 0,
	DOMAIN_IO_NATIVE,   /* io='native': strand's io_uring backend */
	DOMAIN_IO_IO_URING, /* io='io_uring' */
	DOMAIN_IO_THREADS,  /* io='threads': strand's synchronous backend on the queue's thread */
};

enum domain_disk_cache {
	DOMAIN_CACHE_DEFAULT = 0,
	DOMAIN_CACHE_NONE,	/* O_DIRECT */
	DOMAIN_CACHE_WRITEBACK, /* page cache */
};

enum domain_rng {
	DOMAIN_RNG_NONE = 0,
	DOMAIN_RNG_RANDOM,  /* <backend model='random'>/dev/urandom</backend> */
	DOMAIN_RNG_BUILTIN, /* <backend model='builtin'/> */
};

struct domain_disk {
	char *path;			    /* <source file=>, absolute */
	char target[16];		    /* <target dev=>: vda, vdb, ... */
	bool driver_strand;		    /* <driver name='strand'> (else 'qemu') */
	enum domain_disk_io io;		    /* <driver io=> */
	enum domain_disk_cache cache;	    /* <driver cache=> */
	unsigned queues;		    /* <driver queues=>, 0: strand's default (1) */
	unsigned iothread;		    /* <driver iothread=>: a libvirt iothread id, 0: none */
	bool readonly;			    /* <readonly/> */
	char serial[DOMAIN_SERIAL_MAX + 1]; /* <serial>, "" if none */
};

struct domain_iothread {
	unsigned id; /* libvirt's iothread id (1..) */
	bool pinned; /* <cputune><iothreadpin> */
	struct domain_cpuset cpus;
};

struct domain_vcpupin {
	unsigned vcpu;
	struct domain_cpuset cpus;
};

struct domain_cell {
	struct domain_cpuset vcpus;	    /* cpus= */
	uint64_t mem_bytes;		    /* memory= */
	uint8_t distance[DOMAIN_MAX_CELLS]; /* <distances><sibling>, 0: not given */
	bool memnode;			    /* <numatune><memnode cellid=> */
	unsigned host_node;		    /* its nodeset (a single node, mode strict) */
};

enum domain_guest_kind {
	DOMAIN_GUEST_NONE = 0,
	DOMAIN_GUEST_KERNEL, /* <os><kernel> */
	DOMAIN_GUEST_MICRO,  /* <strand:guest program=> (an embedded micro-guest) */
	DOMAIN_GUEST_FILE,   /* <strand:guest file=> (a micro-guest ELF) */
};

/* <metadata><strand:config>: knobs libvirt has no element for (docs/management.md). */
struct domain_strand {
	/* <strand:guest program= | file= args= cpl=> */
	char *guest;	  /* program name or ELF path */
	char *guest_args; /* "k=v,...", NULL if none */
	unsigned cpl;	  /* 0 or 3; DOMAIN_CPL_DEFAULT if not given */

	/* <strand:threading preset= lock= io= map= iomap= iothreads= poll_ns=>: "" if not given */
	bool threading;
	char preset[24], lock[8], io[12], map[8], iomap[8];
	unsigned threading_iothreads; /* 0: not given */
	bool poll_ns_set;
	uint64_t poll_ns;

	/* <strand:sched strategy= slice= skew= force=> */
	char strategy[16]; /* "" if not given */
	uint64_t slice_ns; /* gang, credit: 0 if not given */
	uint64_t skew_ns;  /* gang-relaxed: 0 if not given */
	bool force;	   /* pinned */

	char placement[12]; /* <strand:placement policy=>, "" if not given */

	bool halt_poll_set; /* <strand:halt-poll ns=> */
	uint64_t halt_poll_ns;

	unsigned disable_exits; /* <strand:disable-exits exits=>: DOMAIN_EXIT_* */

	/* <strand:pv ...>: the KVM PV features libvirt has no element for */
	enum domain_tristate pv_clocksource, pv_steal_time, pv_eoi, pv_tlb_flush, pv_sched_yield;

	bool map_churn; /* <strand:map-churn hz= target=> */
	uint64_t map_churn_hz;
	bool map_churn_ram;
};

#define DOMAIN_CPL_DEFAULT 255

#define DOMAIN_EXIT_HLT	   (1u << 0)
#define DOMAIN_EXIT_PAUSE  (1u << 1)
#define DOMAIN_EXIT_MWAIT  (1u << 2)
#define DOMAIN_EXIT_CSTATE (1u << 3)
#define DOMAIN_EXIT_ALL	   0xfu

/*
 * One domain's configuration. Plain data: the parser fills it, the daemon may change the
 * runtime part and the pins (then call domain_check() again), the formatter and the argv
 * builder read it. Strings are malloc'd and owned by the struct (domain_def_free()).
 */
struct domain_def {
	/* Identity */
	char name[DOMAIN_NAME_MAX + 1]; /* [A-Za-z0-9_][A-Za-z0-9_.+-]* */
	uint8_t uuid[16];		/* generated (RFC 4122 v4) when <uuid> is absent */
	char *title;			/* one line; NULL if none */
	char *description;		/* NULL if none */

	/* Memory */
	uint64_t memory_bytes;	    /* <memory>, = <currentMemory> (no balloon) */
	bool hugepages;		    /* <memoryBacking><hugepages/> */
	enum domain_tristate alloc; /* <allocation mode=>: ON immediate, OFF ondemand */

	/* vCPUs and their placement */
	unsigned vcpus;		     /* <vcpu> */
	bool placement_auto;	     /* <vcpu placement='auto'> */
	bool has_cpuset;	     /* <vcpu cpuset=> */
	struct domain_cpuset cpuset; /* default for vCPUs, emulator and iothreads */
	bool cpu_host_passthrough;   /* <cpu mode='host-passthrough'> */
	bool topo_given;	     /* <cpu><topology> */
	unsigned sockets, cores, threads;
	unsigned ncells; /* <cpu><numa><cell>, ids 0..ncells-1 */
	struct domain_cell cell[DOMAIN_MAX_CELLS];

	/* <cputune> */
	bool shares_set;
	unsigned shares;		      /* credit weight */
	uint64_t period_us, global_period_us; /* 0: not given */
	int64_t quota_us, global_quota_us;    /* 0: not given; -1: unlimited */
	struct domain_vcpupin *vcpupin;	      /* sorted by vcpu, one per vcpu at most */
	unsigned nvcpupin;
	bool has_emulatorpin;
	struct domain_cpuset emulatorpin;
	bool fifo; /* <vcpusched scheduler='fifo'> for every vCPU */
	unsigned fifo_priority;

	/* <iothreads> and <iothreadids> (pins in iothread[].cpus) */
	unsigned niothreads;
	struct domain_iothread iothread[DOMAIN_MAX_IOTHREADS];

	/* <numatune><memory> (per-cell memnodes are in cell[]) */
	enum domain_mem_mode mem_mode;
	bool mem_placement_auto;
	uint64_t mem_nodeset; /* host nodes, bit i = node i */

	/* <os> */
	enum domain_guest_kind guest_kind;
	char *kernel, *initrd, *cmdline; /* NULL if absent */

	/* <features> */
	bool acpi, apic;
	enum domain_tristate pvspinlock, hint_dedicated, poll_control, pv_ipi;

	bool clock_utc; /* <clock offset='utc'/> */

	/* Lifecycle actions: the daemon's to carry out (strand run exits on poweroff and reset) */
	enum domain_lifecycle on_poweroff, on_reboot, on_crash;

	/* <devices> */
	char *emulator; /* NULL if absent */
	unsigned ndisks;
	struct domain_disk disk[DOMAIN_MAX_DISKS];
	enum domain_rng rng;
	enum domain_chardev serial;   /* the 16550A at 0x3f8 (<serial>, or <console> on it) */
	char *serial_path;	      /* FILE: where output goes */
	enum domain_chardev vconsole; /* <console><target type='virtio'>: FILE or UNIX */
	char *vconsole_path;
	bool memballoon_none; /* <memballoon model='none'/> */

	struct domain_strand strand;

	/* Other applications' <metadata> elements, kept as formatted XML and written back as is */
	char *foreign_metadata;

	/* Runtime (live XML only): set by the daemon, ignored by define */
	int id;		  /* -1: not running */
	char *serial_pty; /* the pty of a running DOMAIN_CHR_PTY serial, or NULL */
};

/* Flags of domain_parse_opts and domain_format(). */
#define DOMAIN_XML_LIVE (1u << 0) /* parse/format the runtime part (id, pty paths) too */

struct domain_parse_opts {
	unsigned flags;
	/*
	 * The strand binary the daemon runs: a <devices><emulator> naming another program is
	 * refused. NULL accepts any absolute path (the argv builder then decides).
	 */
	const char *emulator;
};

/*
 * XML text (len bytes, at most DOMAIN_XML_MAX; need not be NUL-terminated) -> a new domain_def,
 * checked with domain_check(). opts may be NULL (inactive parse). Hostile input (DTDs and
 * entities, network references, deep nesting, huge text, bad UTF-8) is refused before
 * anything is expanded. Returns 0 and *out, or -EINVAL/-ENOMEM and *err.
 */
int __must_check domain_parse(const char *xml, size_t len, const struct domain_parse_opts *opts,
			      struct domain_def **out, struct domain_error *err);

/* Semantic checks across elements (pins, cells, iothreads, disks, knobs). 0 or -EINVAL + err. */
int __must_check domain_check(const struct domain_def *def, struct domain_error *err);

/*
 * domain_def -> XML (malloc'd, NUL-terminated, caller frees). Canonical: a define of the output
 * formats back to the same text. flags: DOMAIN_XML_LIVE adds id='N' and the runtime values.
 * Returns 0 or -ENOMEM (err filled).
 */
int __must_check domain_format(const struct domain_def *def, unsigned flags, char **out,
			       struct domain_error *err);

/* A fresh def with libvirt's defaults (1 vCPU, lifecycle destroy/restart/destroy, id -1). */
struct domain_def *domain_def_new(void);
/* A deep copy, or NULL on ENOMEM. */
struct domain_def *domain_def_copy(const struct domain_def *def);
void domain_def_free(struct domain_def *def);

/* "c7a5fdbd-cdaf-9455-926a-d65c16db1809" into buf (at least 37 bytes). */
const char *domain_uuid_format(const uint8_t uuid[16], char *buf);
/* 32 hex digits, dashes allowed between pairs. 0 or -EINVAL. */
int __must_check domain_uuid_parse(const char *s, uint8_t uuid[16]);
/* A random RFC 4122 version 4 UUID (getrandom). 0 or -errno. */
int __must_check domain_uuid_generate(uint8_t uuid[16]);

/*
 * cpusets: libvirt's syntax "0-3,^2,8" in, "0-1,3,8" (or with sep '+') out. A buffer of
 * DOMAIN_CPUSET_TEXT_MAX bytes holds any set; a shorter one that is too small gets "".
 */
#define DOMAIN_CPUSET_TEXT_MAX 4096
int __must_check domain_cpuset_parse(const char *s, struct domain_cpuset *set);
const char *domain_cpuset_format(const struct domain_cpuset *set, char sep, char *buf, size_t len);
void domain_cpuset_set(struct domain_cpuset *set, unsigned cpu);
bool domain_cpuset_test(const struct domain_cpuset *set, unsigned cpu);
unsigned domain_cpuset_count(const struct domain_cpuset *set);
bool domain_cpuset_empty(const struct domain_cpuset *set);

/* The effective pin of vCPU v (its <vcpupin>, else <vcpu cpuset>), or NULL if it floats. */
const struct domain_cpuset *domain_vcpu_pin(const struct domain_def *def, unsigned v);
/*
 * Set vCPU v's <vcpupin> to cpus (NULL: remove it, the vCPU falls back to <vcpu cpuset>), as a
 * live or config `virsh vcpupin` does. Keeps the list sorted. 0, -EINVAL (v >= vcpus, empty
 * set) or -ENOMEM.
 */
int __must_check domain_vcpupin_set(struct domain_def *def, unsigned v,
				    const struct domain_cpuset *cpus);
/* The credit cap in % of one CPU that a def's <vcpu_quota>/<period> give (0: none). */
unsigned domain_cap_pct(const struct domain_def *def);
/* The iothread with libvirt id `id`, or NULL. */
const struct domain_iothread *domain_iothread_find(const struct domain_def *def, unsigned id);

#endif
