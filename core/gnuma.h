/*
 * gnuma.h - the guest NUMA topology a user asks for with `--numa`: which vCPUs and how much
 * RAM each guest node has, which host node backs it, and the distances between nodes.
 *
 *   --numa node=N,cpus=LIST,memory=SIZE[,host-node=M]     (once per guest node)
 *   --numa src=A,dst=B,distance=D                           (optional, symmetric)
 *
 * Guest RAM is handed out to the nodes in node order over the guest-physical RAM layout (low
 * RAM from 0, then high RAM from 4 GiB), so a node may own a piece on each side of the MMIO
 * hole. Linux guests see the result in ACPI SRAT/SLIT; micro-guests ask with SG_CALL_NUMA.
 *
 * Threads: parsed and laid out by the builder (main thread) before the VM runs; read-only after.
 */
#ifndef STRAND_CORE_GNUMA_H
#define STRAND_CORE_GNUMA_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest/abi.h"
#include "util/compiler.h"
#include "util/errbuf.h"

#define GNUMA_MAX_NODES	   SG_MAX_NUMA_NODES
#define GNUMA_LOCAL	   10		/* ACPI SLIT: a node's distance to itself */
#define GNUMA_REMOTE	   20		/* default between two guest nodes */
#define GNUMA_MIN_NODE_MEM (4ULL << 20) /* Linux drops smaller nodes (NODE_MIN_SIZE) */
#define GNUMA_NODE_ALIGN   (2ULL << 20)

struct gnuma_node {
	bool given;	    /* a --numa node=N item described it */
	cpu_set_t vcpus;    /* vCPU numbers */
	uint64_t mem_bytes; /* 0 before gnuma_finish when memory= was left out */
	int host_node;	    /* host node (OS number) backing its RAM and vCPUs; -1: none */
};

struct gnuma {
	unsigned nr_nodes; /* 0: no guest NUMA topology */
	struct gnuma_node node[GNUMA_MAX_NODES];
	uint8_t distance[GNUMA_MAX_NODES][GNUMA_MAX_NODES]; /* 0: not given (filled by finish) */
};

/* One contiguous guest-physical piece of a node's RAM. */
struct gnuma_range {
	uint64_t gpa, size;
	unsigned node;
};

/* Parse one --numa argument into g. Pure. 0 or -EINVAL with a message naming the problem. */
int __must_check gnuma_parse(struct gnuma *g, const char *s, struct errbuf *err);

/*
 * Check g against the VM (vcpus, RAM size): nodes 0..n-1 all described, every vCPU in exactly
 * one node, node memory adding up to the RAM (memory= left out everywhere: split evenly in
 * 2 MiB steps), sizes 2 MiB aligned and at least 4 MiB; fill the distances (given, else the
 * host's distance between the backing host nodes when both are known, else 10/20). 0 or
 * -EINVAL with a message.
 */
int __must_check gnuma_finish(struct gnuma *g, unsigned vcpus, uint64_t ram_bytes,
			      struct errbuf *err);

/*
 * The guest-physical pieces of each node's RAM for RAM laid out as [0, low_max) then from
 * high_base. At most 2 * nr_nodes pieces; returns how many were written to out.
 */
unsigned gnuma_ranges(const struct gnuma *g, uint64_t low_max, uint64_t high_base,
		      struct gnuma_range *out, unsigned cap);

/* The node of vCPU v (0 if g has no nodes or v is in none). */
unsigned gnuma_vcpu_node(const struct gnuma *g, unsigned v);

/* True if any node is backed by a host node. */
bool gnuma_has_host_nodes(const struct gnuma *g);

#endif
