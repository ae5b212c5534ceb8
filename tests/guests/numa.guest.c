/*
 * numa - reads the guest NUMA topology (--numa) through SG_CALL_NUMA and checks it: the node
 * count (args nodes=N), ranges that cover guest RAM exactly once, every node owning RAM, every
 * vCPU in a node, distances 10 on the diagonal and symmetric. Each vCPU then writes and reads
 * back the top page of its own node's RAM. vCPU 0 prints the table.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("nodes", ~0ULL, 0, 8, "expected guest NUMA node count (default: any)"));

static struct sg_numa_info info[64]; /* one per vCPU; vCPUs from 64 on only rendezvous */

static void print_table(const struct sg_numa_info *n)
{
	for (unsigned i = 0; i < n->nr_ranges; i++)
		sg_printf("numa: node %u: 0x%llx-0x%llx (%llu MiB)\n", n->ranges[i].node,
			  (unsigned long long)n->ranges[i].base,
			  (unsigned long long)(n->ranges[i].base + n->ranges[i].size - 1),
			  (unsigned long long)(n->ranges[i].size >> 20));
	for (unsigned i = 0; i < n->nr_nodes; i++) {
		char line[128];
		int len = sg_snprintf(line, sizeof(line), "numa: node %u: host node %d, distances",
				      i, n->host_node[i]);

		for (unsigned j = 0; j < n->nr_nodes && len < 100; j++)
			len += sg_snprintf(line + len, sizeof(line) - (size_t)len, " %u",
					   n->distance[i][j]);
		sg_printf("%s\n", line);
	}
	for (unsigned v = 0; v < sg_nr_cpus(); v++)
		sg_printf("numa: vcpu %u -> node %u\n", v, n->vcpu_node[v]);
}

int guest_main(unsigned cpu)
{
	struct sg_numa_info *n = &info[cpu % 64];
	uint64_t covered = 0, want = sg_arg_u64("nodes");
	uint64_t node_mem[SG_MAX_NUMA_NODES] = { 0 };
	unsigned mine;
	int ret;

	if (cpu >= 64) {
		sg_rendezvous();
		return 0;
	}
	ret = sg_numa(n);

	GUEST_ASSERT_MSG(ret >= 0, "SG_CALL_NUMA failed");
	if (want != ~0ULL)
		GUEST_ASSERT_MSG((uint64_t)ret == want, "unexpected number of guest NUMA nodes");
	GUEST_ASSERT((unsigned)ret == n->nr_nodes && n->nr_nodes <= SG_MAX_NUMA_NODES);
	if (!ret) {
		sg_rendezvous();
		if (cpu == 0)
			sg_printf("numa: no guest NUMA topology\n");
		return 0;
	}
	GUEST_ASSERT(n->nr_ranges >= n->nr_nodes && n->nr_ranges <= 2 * SG_MAX_NUMA_NODES);
	for (unsigned i = 0; i < n->nr_ranges; i++) {
		const struct sg_numa_range *r = &n->ranges[i];

		GUEST_ASSERT(r->node < n->nr_nodes && r->size > 0);
		for (unsigned j = 0; j < i; j++) {
			const struct sg_numa_range *o = &n->ranges[j];

			GUEST_ASSERT_MSG(r->base >= o->base + o->size ||
						 o->base >= r->base + r->size,
					 "overlapping NUMA ranges");
		}
		covered += r->size;
		node_mem[r->node] += r->size;
	}
	GUEST_ASSERT_MSG(covered == sg_boot->ram_bytes, "NUMA ranges do not cover guest RAM");
	for (unsigned i = 0; i < n->nr_nodes; i++) {
		GUEST_ASSERT_MSG(node_mem[i] > 0, "a guest node without RAM");
		for (unsigned j = 0; j < n->nr_nodes; j++) {
			GUEST_ASSERT(n->distance[i][j] == n->distance[j][i]);
			GUEST_ASSERT(i == j ? n->distance[i][j] == 10 : n->distance[i][j] > 10);
		}
	}
	mine = n->vcpu_node[cpu];
	GUEST_ASSERT_MSG(mine < n->nr_nodes, "vCPU outside every node");
	/* Touch the top page of this vCPU's node (clear of the image, stacks and small heaps). */
	for (unsigned i = 0; i < n->nr_ranges; i++) {
		const struct sg_numa_range *r = &n->ranges[i];
		uint64_t top = r->base + r->size - 4096 - 64 * cpu;
		volatile uint64_t *p = (volatile uint64_t *)top;

		if (r->node != mine || top < sg_boot->heap_start + (16ULL << 20))
			continue;
		*p = 0x6e756d6100000000ULL | cpu;
		GUEST_ASSERT(*p == (0x6e756d6100000000ULL | cpu));
		break;
	}
	sg_rendezvous();
	if (cpu == 0) {
		print_table(n);
		sg_result("numa_nodes", n->nr_nodes, 1, "nodes");
	}
	return 0;
}
