/*
 * numa_mem.h - guest RAM on host NUMA nodes: memory policy (bind, interleave, preferred over a
 * node list), huge pages (hugetlbfs pages, transparent huge pages, or neither) and
 * preallocation, as asked by `--memory SIZE,policy=...,host-nodes=...,hugepages=...,prealloc=on`.
 *
 * The policy is applied to the range with mbind(2) before anything touches it, so the pages
 * are allocated on the chosen nodes when first written (by prealloc here, or by the vCPU
 * threads, which apply their CPU placement before they touch guest memory; see thread.h).
 * numa_mem_query_* read back what the kernel did (get_mempolicy and move_pages), for tests and
 * reports.
 *
 * Threads: the builder (main thread) parses, checks and maps; the queries may run anywhere.
 */
#ifndef STRAND_SCHED_NUMA_MEM_H
#define STRAND_SCHED_NUMA_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/errbuf.h"

enum numa_mem_policy {
	NUMA_MEM_DEFAULT = 0, /* the kernel's default: local to the faulting CPU */
	NUMA_MEM_BIND,	      /* only the listed nodes */
	NUMA_MEM_INTERLEAVE,  /* round robin over the listed nodes, page by page */
	NUMA_MEM_PREFERRED,   /* the listed node(s) first, others when they are full */
};

enum numa_mem_huge {
	NUMA_HUGE_DEFAULT = 0, /* whatever the host's THP setting does */
	NUMA_HUGE_ON,	       /* hugetlbfs pages (MAP_HUGETLB): they must be reserved */
	NUMA_HUGE_THP,	       /* transparent huge pages (MADV_HUGEPAGE) */
	NUMA_HUGE_OFF,	       /* base pages only (MADV_NOHUGEPAGE) */
};

struct numa_mem_opts {
	uint64_t size_bytes;
	enum numa_mem_policy policy;
	uint64_t host_nodes; /* node OS numbers (bit n: node n) */
	enum numa_mem_huge huge;
	bool prealloc; /* allocate every page now, on the policy's nodes */
};

/* A mapping made by numa_mem_map. */
struct numa_mem_region {
	void *hva;
	uint64_t len_bytes;
	uint64_t page_bytes; /* 4 KiB, or the huge page size with NUMA_HUGE_ON */
	bool hugetlb;
};

const char *numa_mem_policy_name(enum numa_mem_policy p);
const char *numa_mem_huge_name(enum numa_mem_huge h);

/*
 * Parse "SIZE[,policy=bind|interleave|preferred][,host-nodes=LIST][,hugepages=on|thp|off]
 * [,prealloc=on|off]" (a bare SIZE is in MiB; LIST like "0-1+3" or "0-1,,3"). host-nodes
 * without a policy means bind. Pure: nothing about the host is checked. 0 or -EINVAL with a
 * message naming the option.
 */
int __must_check numa_mem_parse(const char *s, struct numa_mem_opts *o, struct errbuf *err);

/*
 * Check o against this host: its nodes are ones this process may allocate from, hugetlb
 * pages are reserved for the size, the kernel has NUMA support if a policy is asked.
 * 0, -EINVAL (a node the host lacks, a size that is not a multiple of the huge page size),
 * -ENOMEM (not enough huge pages reserved) or -ENOSYS; err says why.
 */
int __must_check numa_mem_check(const struct numa_mem_opts *o, struct errbuf *err);

/*
 * Apply the policy and the THP advice of o to [hva, hva + len) (page aligned, already mapped,
 * not yet touched), then preallocate if asked. 0 or -errno with err set.
 */
int __must_check numa_mem_apply(void *hva, uint64_t len, const struct numa_mem_opts *o,
				struct errbuf *err);

/* Check, map anonymous memory of o->size_bytes (hugetlb if asked) and apply o. */
int __must_check numa_mem_map(const struct numa_mem_opts *o, struct numa_mem_region *r,
			      struct errbuf *err);
void numa_mem_unmap(struct numa_mem_region *r);

/*
 * The node of each of the n pages of page_bytes starting at hva: nodes[i] is a node number,
 * or a negative errno (-ENOENT: not allocated yet). 0 or -errno.
 */
int __must_check numa_mem_query_nodes(const void *hva, uint64_t page_bytes, unsigned long n,
				      int *nodes);

/* The policy the kernel has for the page at hva, and its nodes. 0 or -errno. */
int __must_check numa_mem_query_policy(const void *hva, enum numa_mem_policy *policy,
				       uint64_t *nodes);

/* Huge page size and free huge pages from /proc/meminfo (0 if unknown). */
void numa_mem_hugepages(uint64_t *page_bytes, uint64_t *free_pages);

#endif
