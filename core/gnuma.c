/*
 * gnuma.c - guest NUMA topology: parsing, checking and the guest-physical layout (gnuma.h).
 */
#include "core/gnuma.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/topology.h"
#include "util/parse.h"

static int parse_node_item(struct gnuma *g, struct opts *o, const char *s, struct errbuf *err)
{
	const char *vn = opts_get(o, "node"), *vc = opts_get(o, "cpus"),
		   *vm = opts_get(o, "memory"), *vh = opts_get(o, "host-node");
	struct gnuma_node *n;
	uint32_t id, host;
	uint64_t mem = 0;
	cpu_set_t cpus;

	if (parse_u32(vn, &id) || id >= GNUMA_MAX_NODES)
		return errbuf_set(err, -EINVAL, "--numa %s: node=%s: expected 0..%d", s, vn,
				  GNUMA_MAX_NODES - 1);
	n = &g->node[id];
	if (n->given)
		return errbuf_set(err, -EINVAL, "--numa: guest node %u described twice", id);
	if (!vc)
		return errbuf_set(err, -EINVAL, "--numa %s: cpus=LIST is missing", s);
	if (topo_parse_cpulist(vc, &cpus) || !CPU_COUNT(&cpus))
		return errbuf_set(err, -EINVAL,
				  "--numa %s: cpus=%s is not a vCPU list (e.g. 0-3+6, or 0-3,,6)",
				  s, vc);
	if (vm && (parse_size(vm, MiB, &mem) || mem == 0))
		return errbuf_set(err, -EINVAL, "--numa %s: cannot parse memory=%s", s, vm);
	if (vh && (parse_u32(vh, &host) || host >= TOPO_MAX_NODES))
		return errbuf_set(err, -EINVAL, "--numa %s: host-node=%s is not a node number", s,
				  vh);
	n->given = true;
	n->vcpus = cpus;
	n->mem_bytes = mem;
	n->host_node = vh ? (int)host : -1;
	if (id + 1 > g->nr_nodes)
		g->nr_nodes = id + 1;
	return 0;
}

static int parse_dist_item(struct gnuma *g, struct opts *o, const char *s, struct errbuf *err)
{
	const char *va = opts_get(o, "src"), *vb = opts_get(o, "dst"),
		   *vd = opts_get(o, "distance");
	uint32_t a, b, d;

	if (parse_u32(va, &a) || a >= GNUMA_MAX_NODES || parse_u32(vb, &b) || b >= GNUMA_MAX_NODES)
		return errbuf_set(err, -EINVAL, "--numa %s: src and dst must be nodes 0..%d", s,
				  GNUMA_MAX_NODES - 1);
	if (!vd || parse_u32(vd, &d) || d > 254 || (a == b ? d != GNUMA_LOCAL : d <= GNUMA_LOCAL))
		return errbuf_set(err, -EINVAL,
				  "--numa %s: distance must be 11..254 between two nodes (10 from "
				  "a node to itself)",
				  s);
	g->distance[a][b] = (uint8_t)d;
	g->distance[b][a] = (uint8_t)d;
	return 0;
}

int gnuma_parse(struct gnuma *g, const char *s, struct errbuf *err)
{
	struct opts o;
	const char *unused;
	int ret;

	if (opts_parse(&o, s, NULL))
		return errbuf_set(err, -EINVAL, "--numa: cannot parse '%s'", s);
	if (opts_get(&o, "src") || opts_get(&o, "dst"))
		ret = parse_dist_item(g, &o, s, err);
	else if (opts_get(&o, "node"))
		ret = parse_node_item(g, &o, s, err);
	else
		ret = errbuf_set(err, -EINVAL,
				 "--numa %s: expected node=N,cpus=LIST[,memory=SIZE][,host-node=M] "
				 "or src=A,dst=B,distance=D",
				 s);
	if (!ret && (unused = opts_unused(&o)))
		ret = errbuf_set(err, -EINVAL, "--numa %s: unknown key '%s'", s, unused);
	opts_free(&o);
	return ret;
}

/*
 * The host's distance between nodes a and b, from sysfs (not libnuma: its constructor would read
 * sysfs at every start of strand); 0 if unknown.
 */
static uint8_t host_distance(int a, int b)
{
	char path[64], line[1024], *p = line, *end;
	long d = 0;
	FILE *f;

	if (a < 0 || b < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance", a);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	/* "10 21 21 10": one value per node, in node order (node numbers are dense here). */
	for (int i = 0; i <= b; i++, p = end) {
		d = strtol(p, &end, 10);
		if (end == p)
			return 0;
	}
	return d > GNUMA_LOCAL && d < 255 ? (uint8_t)d : 0;
}

int gnuma_finish(struct gnuma *g, unsigned vcpus, uint64_t ram_bytes, struct errbuf *err)
{
	unsigned with_mem = 0;
	uint64_t sum = 0;
	char a[32], b[32];

	if (!g->nr_nodes) {
		for (unsigned i = 0; i < GNUMA_MAX_NODES; i++)
			for (unsigned j = 0; j < GNUMA_MAX_NODES; j++)
				if (g->distance[i][j])
					return errbuf_set(err, -EINVAL,
							  "--numa src=,dst=: no guest nodes "
							  "described");
		return 0;
	}
	for (unsigned i = 0; i < g->nr_nodes; i++) {
		if (!g->node[i].given)
			return errbuf_set(err, -EINVAL,
					  "--numa: guest node %u is missing (nodes are numbered "
					  "0..%u)",
					  i, g->nr_nodes - 1);
		with_mem += g->node[i].mem_bytes != 0;
		sum += g->node[i].mem_bytes;
	}
	for (unsigned v = 0; v < CPU_SETSIZE; v++) {
		unsigned owners = 0;

		for (unsigned i = 0; i < g->nr_nodes; i++)
			owners += CPU_ISSET(v, &g->node[i].vcpus) != 0;
		if (v >= vcpus && owners)
			return errbuf_set(
				err, -EINVAL,
				"--numa: vCPU %u is in a guest node but the VM has %u vCPUs", v,
				vcpus);
		if (v < vcpus && owners != 1)
			return errbuf_set(err, -EINVAL,
					  owners ?
						  "--numa: vCPU %u is in more than one guest node" :
						  "--numa: vCPU %u is in no guest node",
					  v);
	}
	if (with_mem && with_mem != g->nr_nodes)
		return errbuf_set(err, -EINVAL,
				  "--numa: give memory= for every guest node or for none");
	if (!with_mem) {
		/* An even split in 2 MiB steps; the last node takes the remainder. */
		uint64_t each = ram_bytes / g->nr_nodes / GNUMA_NODE_ALIGN * GNUMA_NODE_ALIGN;

		for (unsigned i = 0; i < g->nr_nodes; i++)
			g->node[i].mem_bytes =
				i + 1 < g->nr_nodes ? each : ram_bytes - each * (g->nr_nodes - 1);
		sum = ram_bytes;
	}
	if (sum != ram_bytes)
		return errbuf_set(
			err, -EINVAL,
			"--numa: the guest nodes' memory adds up to %s but --memory is %s",
			fmt_size(sum, a, sizeof(a)), fmt_size(ram_bytes, b, sizeof(b)));
	for (unsigned i = 0; i < g->nr_nodes; i++) {
		uint64_t m = g->node[i].mem_bytes;

		if (m < GNUMA_MIN_NODE_MEM || m % GNUMA_NODE_ALIGN)
			return errbuf_set(err, -EINVAL,
					  "--numa: guest node %u has %s of memory: each node needs "
					  "at least 4 MiB, in 2 MiB steps",
					  i, fmt_size(m, a, sizeof(a)));
	}
	for (unsigned i = 0; i < GNUMA_MAX_NODES; i++) {
		for (unsigned j = 0; j < GNUMA_MAX_NODES; j++) {
			uint8_t d;

			if (i >= g->nr_nodes || j >= g->nr_nodes) {
				if (g->distance[i][j])
					return errbuf_set(err, -EINVAL,
							  "--numa: distance given for node %u, "
							  "which is not described",
							  i >= g->nr_nodes ? i : j);
				continue;
			}
			if (i == j) {
				g->distance[i][j] = GNUMA_LOCAL;
				continue;
			}
			if (g->distance[i][j])
				continue;
			d = host_distance(g->node[i].host_node, g->node[j].host_node);
			g->distance[i][j] = d ? d : GNUMA_REMOTE;
		}
	}
	return 0;
}

unsigned gnuma_ranges(const struct gnuma *g, uint64_t low_max, uint64_t high_base,
		      struct gnuma_range *out, unsigned cap)
{
	uint64_t off = 0; /* offset into RAM, counted without the hole */
	unsigned n = 0;

	for (unsigned i = 0; i < g->nr_nodes; i++) {
		uint64_t left = g->node[i].mem_bytes;

		while (left && n < cap) {
			uint64_t gpa, len;

			if (off < low_max) {
				gpa = off;
				len = left < low_max - off ? left : low_max - off;
			} else {
				gpa = high_base + (off - low_max);
				len = left;
			}
			out[n++] = (struct gnuma_range){ .gpa = gpa, .size = len, .node = i };
			off += len;
			left -= len;
		}
	}
	return n;
}

unsigned gnuma_vcpu_node(const struct gnuma *g, unsigned v)
{
	for (unsigned i = 0; i < g->nr_nodes; i++)
		if (v < CPU_SETSIZE && CPU_ISSET(v, &g->node[i].vcpus))
			return i;
	return 0;
}

bool gnuma_has_host_nodes(const struct gnuma *g)
{
	for (unsigned i = 0; i < g->nr_nodes; i++)
		if (g->node[i].host_node >= 0)
			return true;
	return false;
}
