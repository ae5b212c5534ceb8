/*
 * topology.h - the host's CPUs and memory as strand sees them: packages, NUMA nodes (with their
 * memory and distances), cores and PUs (hardware threads), in hwloc's logical order.
 *
 * A topology comes from hwloc (the real host, a synthetic description or an XML file) or from
 * topo_init_desc()/topo_init_uniform() (tests). It is plain data: no hwloc type leaves sched/,
 * and loading it is the only place strand calls hwloc (which is itself loaded on first use, see
 * hwloc_lazy.c). Nothing loads the host topology at start-up; a placement or a plan asks for it.
 *
 * Indexing: pus[], cores[], nodes[] and packages[] are in logical order (the order of hwloc's
 * tree), and their fields refer to each other by index in these arrays. The PUs of a core are
 * contiguous in pus[]. OS numbers (what the kernel calls CPU 5 or node 1) are kept beside them:
 * a topology's PU os_index is what sched_setaffinity takes.
 *
 * Threads: loading is done by one thread; a loaded topology is immutable and may be read by any.
 */
#ifndef STRAND_SCHED_TOPOLOGY_H
#define STRAND_SCHED_TOPOLOGY_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/errbuf.h"

/* Node OS numbers must be below this (node sets are 64-bit masks); CPUs below CPU_SETSIZE. */
#define TOPO_MAX_NODES 64

/* Default distances when the topology has none (a SLIT-like guess, see topo_distance). */
#define TOPO_DIST_LOCAL	       10
#define TOPO_DIST_SAME_PACKAGE 11
#define TOPO_DIST_REMOTE       21

struct topo_pu {
	unsigned os_index; /* kernel CPU number */
	unsigned core;	   /* index in cores[] */
	unsigned package;  /* index in packages[] */
	unsigned node;	   /* index in nodes[] */
	unsigned smt;	   /* rank among its core's siblings: 0 for the first */
};

struct topo_core {
	unsigned package;
	unsigned node;
	unsigned first_pu; /* its PUs are pus[first_pu .. first_pu + nr_pus) */
	unsigned nr_pus;
};

struct topo_node {
	unsigned os_index;  /* kernel node number */
	uint64_t mem_bytes; /* local memory (0 if unknown) */
	unsigned package; /* package holding its CPUs (or its hwloc ancestor for CPU-less nodes) */
	unsigned nr_cores;
	unsigned nr_pus;
};

struct topo_package {
	unsigned os_index;
	unsigned nr_nodes;
	unsigned nr_cores;
	unsigned nr_pus;
};

struct topology {
	char source[160]; /* "host", "synthetic:DESC" or "xml:FILE" */
	unsigned nr_packages, nr_nodes, nr_cores, nr_pus;
	struct topo_package *packages;
	struct topo_node *nodes;
	struct topo_core *cores;
	struct topo_pu *pus;
	unsigned *distance;	   /* nr_nodes x nr_nodes, row-major, by node index */
	bool distance_derived;	   /* no matrix in the source: TOPO_DIST_* were assumed */
	unsigned max_smt;	   /* most PUs in one core */
	int pu_by_os[CPU_SETSIZE]; /* PU index of each CPU number, -1 if none */
};

/*
 * One PU of a topology described by hand. `core`, `package` and `node` are identifiers (equal
 * values mean the same object); PUs must be listed in logical order, the PUs of a core together.
 */
struct topo_pu_desc {
	unsigned os_index;
	unsigned core;
	unsigned package;
	unsigned node; /* node OS number */
};

struct topo_desc {
	const char *source; /* recorded in topology.source; NULL: "custom" */
	unsigned nr_pus;
	const struct topo_pu_desc *pus;
	/* Nodes (OS numbers, in logical order); NULL: the nodes named by the PUs, in order. */
	unsigned nr_nodes;
	const unsigned *node_os;
	const uint64_t *node_mem_bytes; /* per node; NULL: 0 */
	const unsigned *node_package;	/* per node package identifier, for CPU-less nodes */
	const unsigned *distance;	/* nr_nodes x nr_nodes; NULL: derived */
};

/* Build a topology from a description. Pure. 0, -EINVAL (err says why) or -ENOMEM. */
int __must_check topo_init_desc(struct topology *t, const struct topo_desc *d, struct errbuf *err);

/*
 * A regular topology, as hwloc's synthetic "pack:P node:N core:C pu:T" would give: CPU numbers
 * and node numbers in logical order, mem_per_node_bytes per node, derived distances. Pure.
 */
int __must_check topo_init_uniform(struct topology *t, unsigned packages,
				   unsigned nodes_per_package, unsigned cores_per_node,
				   unsigned pus_per_core, uint64_t mem_per_node_bytes);

/*
 * Load a topology through hwloc: spec NULL or "host" (this machine, restricted to the CPUs and
 * nodes strand is allowed to use), "synthetic:DESC" (hwloc's synthetic syntax, e.g.
 * "pack:2 node:2 core:8 pu:2"), or "xml:FILE" (as written by `lstopo FILE.xml`). Caches, I/O
 * and other objects are filtered out while loading. 0, or -EINVAL (bad spec or description),
 * -ENOENT (no such file), -ENOSYS (hwloc cannot be loaded), -E2BIG (beyond strand's limits),
 * -ENOMEM; err says why.
 */
int __must_check topo_load(struct topology *t, const char *spec, struct errbuf *err);

/*
 * The host topology, loaded on the first call and kept for the life of the process. Any thread
 * (the first caller pays for loading). 0 or the error of topo_load (not cached: a later call
 * tries again).
 */
int __must_check topo_host(const struct topology **out, struct errbuf *err);

void topo_destroy(struct topology *t);

/* Distance between nodes a and b (indices); TOPO_DIST_LOCAL for a == b. */
static inline unsigned topo_distance(const struct topology *t, unsigned a, unsigned b)
{
	return t->distance[a * t->nr_nodes + b];
}

/* Index of the PU with CPU number cpu, or -1. */
static inline int topo_pu_index(const struct topology *t, unsigned cpu)
{
	return cpu < CPU_SETSIZE ? t->pu_by_os[cpu] : -1;
}

/* Index of the node with OS number os, or -1. */
int topo_node_index(const struct topology *t, unsigned os);

/* CPU numbers of node n (index) into out. */
void topo_node_cpus(const struct topology *t, unsigned n, cpu_set_t *out);
/* Mask of node OS numbers whose CPUs intersect cpus. */
uint64_t topo_nodes_of_cpus(const struct topology *t, const cpu_set_t *cpus);

/*
 * Lists in the kernel's syntax: "0-3,8,10-11". Parsing also accepts '+' between elements
 * (for lists inside "key=value,..." option strings) and rejects anything above max. 0 or
 * -EINVAL/-ERANGE. Formatting writes "" for an empty set and returns buf.
 */
int __must_check topo_parse_cpulist(const char *s, cpu_set_t *out);
int __must_check topo_parse_nodelist(const char *s, uint64_t *out);
const char *topo_format_cpulist(const cpu_set_t *set, char *buf, unsigned len);
const char *topo_format_nodelist(uint64_t nodes, char *buf, unsigned len);
/* Same syntax for a list of small indices (cores, packages) given as a bool array of n. */
const char *topo_format_list(const bool *bits, unsigned n, char *buf, unsigned len);

/* One line: "2 packages, 4 NUMA nodes, 32 cores, 64 CPUs (SMT 2)". */
const char *topo_summary(const struct topology *t, char *buf, unsigned len);

#endif
