/*
 * topology.c - host topology from hwloc (host, synthetic, XML) or by hand, as plain data.
 * See topology.h. Loading runs on the calling thread; topo_host() serialises first loads.
 */
#include <errno.h>
#include <hwloc.h>
#include <hwloc/distances.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/topology.h"
#include "util/parse.h"

static void topo_zero(struct topology *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		t->pu_by_os[i] = -1;
}

void topo_destroy(struct topology *t)
{
	if (!t)
		return;
	free(t->packages);
	free(t->nodes);
	free(t->cores);
	free(t->pus);
	free(t->distance);
	t->packages = NULL;
	t->nodes = NULL;
	t->cores = NULL;
	t->pus = NULL;
	t->distance = NULL;
	t->nr_packages = t->nr_nodes = t->nr_cores = t->nr_pus = 0;
}

int topo_node_index(const struct topology *t, unsigned os)
{
	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].os_index == os)
			return (int)i;
	return -1;
}

void topo_node_cpus(const struct topology *t, unsigned n, cpu_set_t *out)
{
	CPU_ZERO(out);
	for (unsigned i = 0; i < t->nr_pus; i++)
		if (t->pus[i].node == n)
			CPU_SET(t->pus[i].os_index, out);
}

uint64_t topo_nodes_of_cpus(const struct topology *t, const cpu_set_t *cpus)
{
	uint64_t mask = 0;

	for (unsigned i = 0; i < t->nr_pus; i++)
		if (CPU_ISSET(t->pus[i].os_index, cpus))
			mask |= 1ULL << t->nodes[t->pus[i].node].os_index;
	return mask;
}

/* Index of id in ids[0..n), or -1. */
static int find_id(const unsigned *ids, unsigned n, unsigned id)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return (int)i;
	return -1;
}

static int init_nodes(struct topology *t, const struct topo_desc *d, unsigned *node_ids,
		      struct errbuf *err)
{
	if (d->node_os) {
		t->nr_nodes = d->nr_nodes;
		memcpy(node_ids, d->node_os, d->nr_nodes * sizeof(*node_ids));
	} else {
		for (unsigned i = 0; i < d->nr_pus; i++)
			if (find_id(node_ids, t->nr_nodes, d->pus[i].node) < 0) {
				if (t->nr_nodes == TOPO_MAX_NODES)
					return errbuf_set(err, -E2BIG,
							  "topology: more than %u NUMA nodes",
							  TOPO_MAX_NODES);
				node_ids[t->nr_nodes++] = d->pus[i].node;
			}
	}
	if (t->nr_nodes == 0 || t->nr_nodes > TOPO_MAX_NODES)
		return errbuf_set(err, -EINVAL, "topology: %u NUMA nodes (1 to %u supported)",
				  t->nr_nodes, TOPO_MAX_NODES);
	for (unsigned i = 0; i < t->nr_nodes; i++) {
		if (node_ids[i] >= TOPO_MAX_NODES)
			return errbuf_set(
				err, -E2BIG,
				"topology: NUMA node %u (node numbers up to %u supported)",
				node_ids[i], TOPO_MAX_NODES - 1);
		if (find_id(node_ids, i, node_ids[i]) >= 0)
			return errbuf_set(err, -EINVAL, "topology: NUMA node %u listed twice",
					  node_ids[i]);
	}
	return 0;
}

int topo_init_desc(struct topology *t, const struct topo_desc *d, struct errbuf *err)
{
	unsigned node_ids[TOPO_MAX_NODES];
	unsigned *pkg_ids = NULL, *core_pkg = NULL, *core_ids = NULL;
	int ret;

	topo_zero(t);
	snprintf(t->source, sizeof(t->source), "%s", d->source ? d->source : "custom");
	if (d->nr_pus == 0)
		return errbuf_set(err, -EINVAL, "topology: no CPU");
	if (d->nr_pus > CPU_SETSIZE)
		return errbuf_set(err, -E2BIG, "topology: %u CPUs (up to %u supported)", d->nr_pus,
				  CPU_SETSIZE);
	ret = init_nodes(t, d, node_ids, err);
	if (ret)
		return ret;

	t->pus = calloc(d->nr_pus, sizeof(*t->pus));
	t->cores = calloc(d->nr_pus, sizeof(*t->cores));
	t->nodes = calloc(t->nr_nodes, sizeof(*t->nodes));
	t->packages = calloc(d->nr_pus + t->nr_nodes, sizeof(*t->packages));
	t->distance = calloc((size_t)t->nr_nodes * t->nr_nodes, sizeof(*t->distance));
	pkg_ids = calloc(d->nr_pus + t->nr_nodes, sizeof(*pkg_ids));
	core_pkg = calloc(d->nr_pus, sizeof(*core_pkg));
	core_ids = calloc(d->nr_pus, sizeof(*core_ids));
	ret = -ENOMEM;
	if (!t->pus || !t->cores || !t->nodes || !t->packages || !t->distance || !pkg_ids ||
	    !core_pkg || !core_ids) {
		errbuf_set(err, ret, "topology: out of memory");
		goto fail;
	}
	ret = -EINVAL;
	for (unsigned i = 0; i < t->nr_nodes; i++) {
		t->nodes[i].os_index = node_ids[i];
		t->nodes[i].mem_bytes = d->node_mem_bytes ? d->node_mem_bytes[i] : 0;
		t->nodes[i].package = ~0u;
	}
	for (unsigned i = 0; i < d->nr_pus; i++) {
		const struct topo_pu_desc *p = &d->pus[i];
		struct topo_pu *pu = &t->pus[i];
		int node = find_id(node_ids, t->nr_nodes, p->node);
		int pkg = find_id(pkg_ids, t->nr_packages, p->package);
		struct topo_core *c;

		if (p->os_index >= CPU_SETSIZE) {
			ret = errbuf_set(err, -E2BIG,
					 "topology: CPU %u (CPU numbers up to %u supported)",
					 p->os_index, CPU_SETSIZE - 1);
			goto fail;
		}
		if (t->pu_by_os[p->os_index] >= 0) {
			errbuf_set(err, ret, "topology: CPU %u listed twice", p->os_index);
			goto fail;
		}
		if (node < 0) {
			errbuf_set(err, ret, "topology: CPU %u is on unlisted NUMA node %u",
				   p->os_index, p->node);
			goto fail;
		}
		if (pkg < 0) {
			pkg = (int)t->nr_packages++;
			pkg_ids[pkg] = p->package;
		}
		/* A new core unless this PU continues the previous one. */
		if (!t->nr_cores || core_ids[t->nr_cores - 1] != p->core ||
		    core_pkg[t->nr_cores - 1] != (unsigned)pkg) {
			for (unsigned k = 0; k < t->nr_cores; k++)
				if (core_ids[k] == p->core && core_pkg[k] == (unsigned)pkg) {
					errbuf_set(
						err, ret,
						"topology: the CPUs of core %u are not listed together",
						p->core);
					goto fail;
				}
			c = &t->cores[t->nr_cores];
			core_ids[t->nr_cores] = p->core;
			core_pkg[t->nr_cores] = (unsigned)pkg;
			t->nr_cores++;
			c->package = (unsigned)pkg;
			c->node = (unsigned)node;
			c->first_pu = i;
			t->packages[pkg].nr_cores++;
			t->nodes[node].nr_cores++;
		}
		c = &t->cores[t->nr_cores - 1];
		if (c->node != (unsigned)node) {
			errbuf_set(err, ret, "topology: core %u spans NUMA nodes", p->core);
			goto fail;
		}
		pu->os_index = p->os_index;
		pu->core = t->nr_cores - 1;
		pu->package = (unsigned)pkg;
		pu->node = (unsigned)node;
		pu->smt = c->nr_pus++;
		t->max_smt = MAX(t->max_smt, c->nr_pus);
		t->pu_by_os[p->os_index] = (int)i;
		t->packages[pkg].nr_pus++;
		t->nodes[node].nr_pus++;
		if (t->nodes[node].package == ~0u)
			t->nodes[node].package = (unsigned)pkg;
	}
	t->nr_pus = d->nr_pus;
	for (unsigned i = 0; i < t->nr_nodes; i++) {
		struct topo_node *n = &t->nodes[i];

		if (n->package == ~0u) {
			/* CPU-less node (memory only): its package as described, else the first. */
			int pkg = d->node_package ?
					  find_id(pkg_ids, t->nr_packages, d->node_package[i]) :
					  0;

			if (pkg < 0) {
				pkg = (int)t->nr_packages++;
				pkg_ids[pkg] = d->node_package[i];
			}
			n->package = (unsigned)pkg;
		}
		t->packages[n->package].nr_nodes++;
	}
	for (unsigned i = 0; i < t->nr_packages; i++)
		t->packages[i].os_index = pkg_ids[i];
	for (unsigned a = 0; a < t->nr_nodes; a++)
		for (unsigned b = 0; b < t->nr_nodes; b++) {
			unsigned v;

			if (d->distance)
				v = d->distance[a * t->nr_nodes + b];
			else if (a == b)
				v = TOPO_DIST_LOCAL;
			else if (t->nodes[a].package == t->nodes[b].package)
				v = TOPO_DIST_SAME_PACKAGE;
			else
				v = TOPO_DIST_REMOTE;
			t->distance[a * t->nr_nodes + b] = v;
		}
	t->distance_derived = !d->distance;
	free(pkg_ids);
	free(core_pkg);
	free(core_ids);
	return 0;
fail:
	free(pkg_ids);
	free(core_pkg);
	free(core_ids);
	topo_destroy(t);
	return ret;
}

int topo_init_uniform(struct topology *t, unsigned packages, unsigned nodes_per_package,
		      unsigned cores_per_node, unsigned pus_per_core, uint64_t mem_per_node_bytes)
{
	unsigned n = packages * nodes_per_package * cores_per_node * pus_per_core;
	unsigned nodes = packages * nodes_per_package;
	struct topo_pu_desc *pus;
	uint64_t *mem;
	struct topo_desc d = { 0 };
	char src[96];
	int ret;

	if (!n || n > CPU_SETSIZE || nodes > TOPO_MAX_NODES) {
		topo_zero(t);
		return -EINVAL;
	}
	pus = calloc(n, sizeof(*pus));
	mem = calloc(nodes, sizeof(*mem));
	if (!pus || !mem) {
		free(pus);
		free(mem);
		topo_zero(t);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned core = i / pus_per_core;
		unsigned node = core / cores_per_node;

		pus[i] = (struct topo_pu_desc){ .os_index = i,
						.core = core,
						.package = node / nodes_per_package,
						.node = node };
	}
	for (unsigned i = 0; i < nodes; i++)
		mem[i] = mem_per_node_bytes;
	snprintf(src, sizeof(src), "uniform:pack:%u node:%u core:%u pu:%u", packages,
		 nodes_per_package, cores_per_node, pus_per_core);
	d.source = src;
	d.nr_pus = n;
	d.pus = pus;
	d.node_mem_bytes = mem; /* nodes appear in order 0, 1, ... */
	ret = topo_init_desc(t, &d, NULL);
	free(pus);
	free(mem);
	return ret;
}

/* hwloc: the only code in strand that sees hwloc types. */

static unsigned obj_id(hwloc_obj_t o)
{
	return o->os_index == HWLOC_UNKNOWN_INDEX ? o->logical_index : o->os_index;
}

static int topo_from_hwloc(struct topology *t, hwloc_topology_t h, const char *source,
			   struct errbuf *err)
{
	int nr_pus = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
	int nr_nodes = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
	unsigned node_os[TOPO_MAX_NODES], node_pkg[TOPO_MAX_NODES], *dist = NULL;
	uint64_t node_mem[TOPO_MAX_NODES];
	struct topo_pu_desc *pus;
	struct hwloc_distances_s *hd = NULL;
	unsigned nr_hd = 1;
	struct topo_desc d = { 0 };
	int ret;

	if (nr_pus <= 0)
		return errbuf_set(err, -EINVAL, "%s: topology has no CPU", source);
	if (nr_pus > CPU_SETSIZE)
		return errbuf_set(err, -E2BIG, "%s: %d CPUs (up to %u supported)", source, nr_pus,
				  CPU_SETSIZE);
	if (nr_nodes <= 0 || nr_nodes > TOPO_MAX_NODES)
		return errbuf_set(err, nr_nodes <= 0 ? -EINVAL : -E2BIG,
				  "%s: %d NUMA nodes (1 to %u supported)", source, nr_nodes,
				  TOPO_MAX_NODES);
	pus = calloc((size_t)nr_pus, sizeof(*pus));
	if (!pus)
		return errbuf_set(err, -ENOMEM, "%s: out of memory", source);
	for (int i = 0; i < nr_pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, (unsigned)i);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_CORE, pu);
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, pu);
		/* A PU without a Core object is its own core; without a package, package 0. */
		pus[i].os_index = pu->os_index;
		pus[i].core = core ? core->logical_index : 0x100000u + (unsigned)i;
		pus[i].package = pkg ? obj_id(pkg) : 0;
		pus[i].node = ~0u;
	}
	/*
	 * A PU belongs to the first node (in logical order) whose CPUs include it: nodes sharing
	 * CPUs (DRAM and HBM or CXL memory beside it) leave it on the first, the ordinary one.
	 */
	for (int i = 0; i < nr_nodes; i++) {
		hwloc_obj_t n = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, n);

		node_os[i] = n->os_index;
		node_mem[i] = n->attr ? n->attr->numanode.local_memory : 0;
		node_pkg[i] = pkg ? obj_id(pkg) : 0;
		for (int p = 0; p < nr_pus; p++)
			if (pus[p].node == ~0u && n->cpuset &&
			    hwloc_bitmap_isset(n->cpuset, pus[p].os_index))
				pus[p].node = n->os_index;
	}
	for (int p = 0; p < nr_pus; p++)
		if (pus[p].node == ~0u)
			pus[p].node = node_os[0];
	/* A latency matrix over exactly our nodes (the SLIT on Linux, or one from the XML). */
	if (hwloc_distances_get_by_type(h, HWLOC_OBJ_NUMANODE, &nr_hd, &hd,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 &&
	    nr_hd == 1 && hd->nbobjs == (unsigned)nr_nodes) {
		dist = calloc((size_t)nr_nodes * (size_t)nr_nodes, sizeof(*dist));
		for (int a = 0; dist && a < nr_nodes; a++)
			for (int b = 0; b < nr_nodes; b++) {
				hwloc_obj_t na =
					hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)a);
				hwloc_obj_t nb =
					hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)b);
				int ia = hwloc_distances_obj_index(hd, na);
				int ib = hwloc_distances_obj_index(hd, nb);

				if (ia < 0 || ib < 0) {
					free(dist);
					dist = NULL;
					break;
				}
				dist[a * nr_nodes + b] = (unsigned)hd->values[ia * nr_nodes + ib];
			}
	}
	if (hd)
		hwloc_distances_release(h, hd);
	d.source = source;
	d.nr_pus = (unsigned)nr_pus;
	d.pus = pus;
	d.nr_nodes = (unsigned)nr_nodes;
	d.node_os = node_os;
	d.node_mem_bytes = node_mem;
	d.node_package = node_pkg;
	d.distance = dist;
	ret = topo_init_desc(t, &d, err);
	free(dist);
	free(pus);
	return ret;
}

int topo_load(struct topology *t, const char *spec, struct errbuf *err)
{
	hwloc_topology_t h;
	unsigned long flags = 0;
	const char *src = spec && *spec ? spec : "host";
	int ret;

	topo_zero(t);
	if (strncmp(src, "synthetic:", 10) && strncmp(src, "xml:", 4) && strcmp(src, "host"))
		return errbuf_set(err, -EINVAL,
				  "topology '%s': expected host, synthetic:DESC or xml:FILE", src);
	if (strncmp(src, "xml:", 4) == 0 && access(src + 4, R_OK) < 0)
		return errbuf_set(err, -errno, "topology %s: %s", src, strerror(errno));
	if (hwloc_topology_init(&h) < 0)
		return errbuf_set(err, errno == ENOSYS ? -ENOSYS : -ENOMEM,
				  "topology: hwloc is unavailable (libhwloc.so.15 not loaded)");
	/* Only what placement uses: packages, cores, PUs, NUMA nodes and their distances. */
	hwloc_topology_set_all_types_filter(h, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_type_filter(h, HWLOC_OBJ_PACKAGE, HWLOC_TYPE_FILTER_KEEP_ALL);
	hwloc_topology_set_type_filter(h, HWLOC_OBJ_CORE, HWLOC_TYPE_FILTER_KEEP_ALL);
	/* Groups hold the NUMA nodes inside a package (sub-NUMA clusters). */
	hwloc_topology_set_type_filter(h, HWLOC_OBJ_GROUP, HWLOC_TYPE_FILTER_KEEP_STRUCTURE);
#if HWLOC_API_VERSION >= 0x00020800
	flags |= HWLOC_TOPOLOGY_FLAG_NO_MEMATTRS | HWLOC_TOPOLOGY_FLAG_NO_CPUKINDS;
#endif
	if (flags && hwloc_topology_set_flags(h, flags) < 0)
		(void)hwloc_topology_set_flags(h, 0); /* an older library: load everything */
	ret = 0;
	if (strncmp(src, "synthetic:", 10) == 0) {
		if (hwloc_topology_set_synthetic(h, src + 10) < 0)
			ret = errbuf_set(err, -EINVAL,
					 "topology %s: not a valid hwloc synthetic description "
					 "(e.g. \"pack:2 node:2 core:8 pu:2\")",
					 src);
	} else if (strncmp(src, "xml:", 4) == 0) {
		if (hwloc_topology_set_xml(h, src + 4) < 0)
			ret = errbuf_set(err, -EINVAL, "topology %s: cannot read the XML file",
					 src);
	}
	if (!ret && hwloc_topology_load(h) < 0)
		ret = errbuf_set(err, -EINVAL, "topology %s: hwloc cannot load it: %s", src,
				 strerror(errno));
	if (!ret)
		ret = topo_from_hwloc(t, h, src, err);
	hwloc_topology_destroy(h);
	return ret;
}

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static struct topology host_topo;
static bool host_loaded;

int topo_host(const struct topology **out, struct errbuf *err)
{
	int ret = 0;

	pthread_mutex_lock(&host_lock);
	if (!host_loaded) {
		ret = topo_load(&host_topo, "host", err);
		host_loaded = ret == 0;
	}
	pthread_mutex_unlock(&host_lock);
	*out = ret ? NULL : &host_topo;
	return ret;
}

/* Lists. */

static int parse_list(const char *s, unsigned max, void (*set)(void *, unsigned), void *ctx)
{
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		char num[24];
		uint32_t a, b;
		size_t n = strspn(p, "0123456789");

		if (n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, p, n);
		num[n] = 0;
		if (parse_u32(num, &a))
			return -EINVAL;
		p += n;
		b = a;
		if (*p == '-') {
			p++;
			n = strspn(p, "0123456789");
			if (n == 0 || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, p, n);
			num[n] = 0;
			if (parse_u32(num, &b) || b < a)
				return -EINVAL;
			p += n;
		}
		if (b > max)
			return -ERANGE;
		for (uint32_t i = a; i <= b; i++)
			set(ctx, i);
		if (*p == ',' || *p == '+') {
			p++;
			if (!*p)
				return -EINVAL;
		} else if (*p) {
			return -EINVAL;
		}
	}
	return 0;
}

static void set_cpu(void *ctx, unsigned i)
{
	CPU_SET(i, (cpu_set_t *)ctx);
}

static void set_node(void *ctx, unsigned i)
{
	*(uint64_t *)ctx |= 1ULL << i;
}

int topo_parse_cpulist(const char *s, cpu_set_t *out)
{
	CPU_ZERO(out);
	return parse_list(s, CPU_SETSIZE - 1, set_cpu, out);
}

int topo_parse_nodelist(const char *s, uint64_t *out)
{
	*out = 0;
	return parse_list(s, TOPO_MAX_NODES - 1, set_node, out);
}

const char *topo_format_list(const bool *bits, unsigned n, char *buf, unsigned len)
{
	unsigned off = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;
		int w;

		if (!bits[i])
			continue;
		while (j + 1 < n && bits[j + 1])
			j++;
		if (j == i)
			w = snprintf(buf + off, len - off, "%s%u", off ? "," : "", i);
		else
			w = snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", i, j);
		if (w < 0 || (unsigned)w >= len - off) {
			/* Truncated: end with an ellipsis that fits. */
			if (len >= 4)
				snprintf(buf + len - 4, 4, "...");
			return buf;
		}
		off += (unsigned)w;
		i = j;
	}
	return buf;
}

const char *topo_format_cpulist(const cpu_set_t *set, char *buf, unsigned len)
{
	bool bits[CPU_SETSIZE];

	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		bits[i] = CPU_ISSET(i, set);
	return topo_format_list(bits, CPU_SETSIZE, buf, len);
}

const char *topo_format_nodelist(uint64_t nodes, char *buf, unsigned len)
{
	bool bits[TOPO_MAX_NODES];

	for (unsigned i = 0; i < TOPO_MAX_NODES; i++)
		bits[i] = nodes & (1ULL << i);
	return topo_format_list(bits, TOPO_MAX_NODES, buf, len);
}

const char *topo_summary(const struct topology *t, char *buf, unsigned len)
{
	snprintf(buf, len, "%u package%s, %u NUMA node%s, %u core%s, %u CPU%s (SMT %u)",
		 t->nr_packages, t->nr_packages == 1 ? "" : "s", t->nr_nodes,
		 t->nr_nodes == 1 ? "" : "s", t->nr_cores, t->nr_cores == 1 ? "" : "s", t->nr_pus,
		 t->nr_pus == 1 ? "" : "s", t->max_smt);
	return buf;
}
