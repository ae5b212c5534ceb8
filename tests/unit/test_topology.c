/*
 * test_topology.c - topologies from hwloc (synthetic, XML, this host) and by hand, the lazy
 * loading of hwloc, and CPU/node lists.
 *
 * tests/data/snc-2x2x4x2.xml is a sub-NUMA-cluster host written by lstopo from
 * "pack:2 node:2(memory=16GiB) core:4 pu:2(indexes=0,16,1,17,...)" (SMT siblings numbered
 * c and c+16, as Intel hosts do), with a 10/12/21 latency matrix added by hwloc-annotate.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/topology.h"

static bool hwloc_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "libhwloc") != NULL;
	fclose(f);
	return found;
}

Test(topology, hwloc_loaded_on_first_use)
{
	struct topology t;
	struct errbuf err = { "" };

	cr_assert(!hwloc_mapped(), "libhwloc is mapped before any topology was asked for");
	cr_assert_eq(topo_load(&t, "synthetic:pack:1 core:2 pu:1", &err), 0, "%s", err.msg);
	cr_assert(hwloc_mapped());
	topo_destroy(&t);
}

Test(topology, synthetic_2x2x8x2)
{
	struct topology t;
	struct errbuf err = { "" };

	cr_assert_eq(topo_load(&t, "synthetic:pack:2 node:2 core:8 pu:2", &err), 0, "%s", err.msg);
	cr_assert_str_eq(t.source, "synthetic:pack:2 node:2 core:8 pu:2");
	cr_assert_eq(t.nr_packages, 2);
	cr_assert_eq(t.nr_nodes, 4);
	cr_assert_eq(t.nr_cores, 32);
	cr_assert_eq(t.nr_pus, 64);
	cr_assert_eq(t.max_smt, 2);
	for (unsigned n = 0; n < 4; n++) {
		cr_assert_eq(t.nodes[n].os_index, n);
		cr_assert_eq(t.nodes[n].package, n / 2);
		cr_assert_eq(t.nodes[n].nr_pus, 16);
		cr_assert_eq(t.nodes[n].nr_cores, 8);
		cr_assert_eq(t.nodes[n].mem_bytes, 1ULL << 30,
			     "hwloc's synthetic default is 1 GiB");
	}
	/* PU 37: package 1, node 2, core 18, second sibling. */
	cr_assert_eq(t.pus[37].os_index, 37);
	cr_assert_eq(t.pus[37].core, 18);
	cr_assert_eq(t.pus[37].node, 2);
	cr_assert_eq(t.pus[37].package, 1);
	cr_assert_eq(t.pus[37].smt, 1);
	cr_assert_eq(t.cores[18].first_pu, 36);
	cr_assert_eq(t.cores[18].nr_pus, 2);
	/* No distances in a synthetic topology: derived from the packages. */
	cr_assert(t.distance_derived);
	cr_assert_eq(topo_distance(&t, 0, 0), TOPO_DIST_LOCAL);
	cr_assert_eq(topo_distance(&t, 0, 1), TOPO_DIST_SAME_PACKAGE);
	cr_assert_eq(topo_distance(&t, 1, 2), TOPO_DIST_REMOTE);
	topo_destroy(&t);
}

/* The pure constructor gives what hwloc gives for the same shape. */
Test(topology, uniform_matches_synthetic)
{
	struct topology a, b;
	struct errbuf err = { "" };

	cr_assert_eq(topo_load(&a, "synthetic:pack:2 node:2 core:8 pu:2", &err), 0, "%s", err.msg);
	cr_assert_eq(topo_init_uniform(&b, 2, 2, 8, 2, 1ULL << 30), 0);
	cr_assert_eq(a.nr_pus, b.nr_pus);
	cr_assert_eq(a.nr_cores, b.nr_cores);
	cr_assert_eq(a.nr_nodes, b.nr_nodes);
	cr_assert_eq(a.nr_packages, b.nr_packages);
	cr_assert_eq(memcmp(a.pus, b.pus, a.nr_pus * sizeof(*a.pus)), 0);
	cr_assert_eq(memcmp(a.cores, b.cores, a.nr_cores * sizeof(*a.cores)), 0);
	cr_assert_eq(memcmp(a.nodes, b.nodes, a.nr_nodes * sizeof(*a.nodes)), 0);
	cr_assert_eq(memcmp(a.distance, b.distance, a.nr_nodes * a.nr_nodes * sizeof(unsigned)), 0);
	topo_destroy(&a);
	topo_destroy(&b);
}

/* Caches and groups in the description do not show up as anything but their effect. */
Test(topology, synthetic_with_caches)
{
	struct topology t;
	struct errbuf err = { "" };

	cr_assert_eq(topo_load(&t, "synthetic:pack:2 node:2 l3:2 core:4 pu:2", &err), 0, "%s",
		     err.msg);
	cr_assert_eq(t.nr_nodes, 4);
	cr_assert_eq(t.nr_cores, 32);
	cr_assert_eq(t.pus[63].node, 3);
	cr_assert_eq(t.pus[63].core, 31);
	topo_destroy(&t);
}

Test(topology, xml_sub_numa_clusters)
{
	struct topology t;
	struct errbuf err = { "" };
	char spec[512];

	snprintf(spec, sizeof(spec), "xml:%s/tests/data/snc-2x2x4x2.xml", getenv("STRAND_SRC"));
	cr_assert_eq(topo_load(&t, spec, &err), 0, "%s", err.msg);
	cr_assert_eq(t.nr_packages, 2);
	cr_assert_eq(t.nr_nodes, 4);
	cr_assert_eq(t.nr_cores, 16);
	cr_assert_eq(t.nr_pus, 32);
	/* Siblings are c and c + 16. */
	cr_assert_eq(t.pus[0].os_index, 0);
	cr_assert_eq(t.pus[1].os_index, 16);
	cr_assert_eq(t.pus[1].core, 0);
	cr_assert_eq(t.pus[1].smt, 1);
	cr_assert_eq(topo_pu_index(&t, 17), 3);
	cr_assert_eq(t.pus[topo_pu_index(&t, 27)].node, 2); /* core 11: node 2 */
	cr_assert_eq(t.nodes[1].mem_bytes, 16ULL << 30);
	/* The file's matrix, not the derived one. */
	cr_assert(!t.distance_derived);
	cr_assert_eq(topo_distance(&t, 0, 1), 12);
	cr_assert_eq(topo_distance(&t, 0, 2), 21);
	cr_assert_eq(topo_distance(&t, 3, 2), 12);
	topo_destroy(&t);
}

/* lstopo writes an XML of a synthetic topology; loading it gives the same topology back. */
Test(topology, xml_round_trip)
{
	struct topology a, b;
	struct errbuf err = { "" };
	char path[] = "/tmp/strand-topo-XXXXXX.xml", cmd[512], spec[600];
	int fd;

	if (access("/usr/bin/lstopo-no-graphics", X_OK))
		cr_skip_test("needs lstopo-no-graphics (package hwloc) to write the XML");
	fd = mkstemps(path, 4);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "lstopo-no-graphics -f --input 'pack:2 node:2 core:3 pu:2' --of xml %s", path);
	cr_assert_eq(system(cmd), 0);
	snprintf(spec, sizeof(spec), "xml:%s", path);
	cr_assert_eq(topo_load(&a, spec, &err), 0, "%s", err.msg);
	cr_assert_eq(topo_load(&b, "synthetic:pack:2 node:2 core:3 pu:2", &err), 0, "%s", err.msg);
	unlink(path);
	cr_assert_eq(a.nr_pus, 24);
	cr_assert_eq(a.nr_pus, b.nr_pus);
	cr_assert_eq(memcmp(a.pus, b.pus, a.nr_pus * sizeof(*a.pus)), 0);
	cr_assert_eq(memcmp(a.nodes, b.nodes, a.nr_nodes * sizeof(*a.nodes)), 0);
	topo_destroy(&a);
	topo_destroy(&b);
}

Test(topology, this_host)
{
	struct topology t;
	const struct topology *h1, *h2;
	struct errbuf err = { "" };
	cpu_set_t mine;

	cr_assert_eq(topo_load(&t, NULL, &err), 0, "%s", err.msg);
	cr_assert_str_eq(t.source, "host");
	cr_assert_geq(t.nr_pus, 1);
	cr_assert_geq(t.nr_nodes, 1);
	/* Every CPU this process may run on is in the topology. */
	cr_assert_eq(sched_getaffinity(0, sizeof(mine), &mine), 0);
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &mine))
			cr_assert_geq(topo_pu_index(&t, cpu), 0, "CPU %u missing", cpu);
	cr_assert_neq(topo_nodes_of_cpus(&t, &mine), 0);
	cr_assert_eq(topo_host(&h1, &err), 0, "%s", err.msg);
	cr_assert_eq(topo_host(&h2, &err), 0);
	cr_assert_eq(h1, h2, "the host topology is loaded once");
	cr_assert_eq(h1->nr_pus, t.nr_pus);
	topo_destroy(&t);
}

Test(topology, load_errors)
{
	struct topology t;
	struct errbuf err = { "" };

	cr_assert_eq(topo_load(&t, "pack:2 core:2", &err), -EINVAL);
	cr_assert(strstr(err.msg, "synthetic:DESC"), "%s", err.msg);
	cr_assert_eq(topo_load(&t, "synthetic:pack:2 widget:3", &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a valid hwloc synthetic description"), "%s", err.msg);
	cr_assert_eq(topo_load(&t, "xml:/nonexistent/host.xml", &err), -ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/host.xml"), "%s", err.msg);
	/* Beyond strand's limits: more than CPU_SETSIZE CPUs. */
	cr_assert_eq(topo_load(&t, "synthetic:pack:4 core:64 pu:8", &err), -E2BIG);
	cr_assert(strstr(err.msg, "2048 CPUs"), "%s", err.msg);
}

Test(topology, by_hand)
{
	/* Two cores of two PUs on node 3, one CPU-less node 5 (memory only, e.g. CXL). */
	static const struct topo_pu_desc pus[] = {
		{ .os_index = 0, .core = 0, .package = 0, .node = 3 },
		{ .os_index = 2, .core = 0, .package = 0, .node = 3 },
		{ .os_index = 1, .core = 1, .package = 0, .node = 3 },
		{ .os_index = 3, .core = 1, .package = 0, .node = 3 },
	};
	static const unsigned node_os[] = { 3, 5 };
	static const uint64_t mem[] = { 8ULL << 30, 64ULL << 30 };
	static const unsigned dist[] = { 10, 14, 14, 10 };
	struct topo_desc d = { .source = "hand",
			       .nr_pus = 4,
			       .pus = pus,
			       .nr_nodes = 2,
			       .node_os = node_os,
			       .node_mem_bytes = mem,
			       .distance = dist };
	struct topology t;
	struct errbuf err = { "" };
	cpu_set_t set;

	cr_assert_eq(topo_init_desc(&t, &d, &err), 0, "%s", err.msg);
	cr_assert_eq(t.nr_cores, 2);
	cr_assert_eq(t.nr_nodes, 2);
	cr_assert_eq(t.nodes[1].nr_pus, 0);
	cr_assert_eq(t.nodes[1].mem_bytes, 64ULL << 30);
	cr_assert_eq(topo_node_index(&t, 5), 1);
	cr_assert_eq(topo_node_index(&t, 4), -1);
	cr_assert_eq(topo_distance(&t, 0, 1), 14);
	cr_assert_eq(t.pus[topo_pu_index(&t, 2)].smt, 1);
	topo_node_cpus(&t, 0, &set);
	cr_assert_eq(CPU_COUNT(&set), 4);
	cr_assert_eq(topo_nodes_of_cpus(&t, &set), 1ULL << 3);
	topo_destroy(&t);
}

Test(topology, by_hand_errors)
{
	struct topo_pu_desc pus[3] = {
		{ .os_index = 0, .core = 0, .package = 0, .node = 0 },
		{ .os_index = 1, .core = 1, .package = 0, .node = 0 },
		{ .os_index = 2, .core = 0, .package = 0, .node = 0 },
	};
	struct topo_desc d = { .nr_pus = 3, .pus = pus };
	struct topology t;
	struct errbuf err = { "" };

	cr_assert_eq(topo_init_desc(&t, &d, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not listed together"), "%s", err.msg);
	pus[2] = (struct topo_pu_desc){ .os_index = 1, .core = 2, .package = 0, .node = 0 };
	cr_assert_eq(topo_init_desc(&t, &d, &err), -EINVAL);
	cr_assert(strstr(err.msg, "CPU 1 listed twice"), "%s", err.msg);
	pus[2] = (struct topo_pu_desc){ .os_index = 2, .core = 1, .package = 0, .node = 1 };
	cr_assert_eq(topo_init_desc(&t, &d, &err), -EINVAL);
	cr_assert(strstr(err.msg, "spans NUMA nodes"), "%s", err.msg);
	pus[2] = (struct topo_pu_desc){ .os_index = 2, .core = 2, .package = 0, .node = 64 };
	cr_assert_eq(topo_init_desc(&t, &d, &err), -E2BIG);
	d.nr_pus = 0;
	cr_assert_eq(topo_init_desc(&t, &d, &err), -EINVAL);
}

Test(topology, lists)
{
	cpu_set_t set;
	uint64_t nodes;
	char buf[64];

	cr_assert_eq(topo_parse_cpulist("0-3,8,10-11", &set), 0);
	cr_assert_eq(CPU_COUNT(&set), 7);
	cr_assert_str_eq(topo_format_cpulist(&set, buf, sizeof(buf)), "0-3,8,10-11");
	cr_assert_eq(topo_parse_cpulist("5+1-2", &set), 0);
	cr_assert_str_eq(topo_format_cpulist(&set, buf, sizeof(buf)), "1-2,5");
	cr_assert_eq(topo_parse_cpulist("1023", &set), 0);
	cr_assert_eq(topo_parse_cpulist("1024", &set), -ERANGE);
	cr_assert_eq(topo_parse_cpulist("3-1", &set), -EINVAL);
	cr_assert_eq(topo_parse_cpulist("1,", &set), -EINVAL);
	cr_assert_eq(topo_parse_cpulist("", &set), -EINVAL);
	cr_assert_eq(topo_parse_cpulist("a", &set), -EINVAL);
	cr_assert_eq(topo_parse_cpulist("-1", &set), -EINVAL);
	cr_assert_eq(topo_parse_nodelist("0,2-3", &nodes), 0);
	cr_assert_eq(nodes, 0xd);
	cr_assert_str_eq(topo_format_nodelist(nodes, buf, sizeof(buf)), "0,2-3");
	cr_assert_eq(topo_parse_nodelist("64", &nodes), -ERANGE);
	CPU_ZERO(&set);
	cr_assert_str_eq(topo_format_cpulist(&set, buf, sizeof(buf)), "");
	/* Too long for the buffer: cut with an ellipsis. */
	for (unsigned i = 0; i < 200; i += 2)
		CPU_SET(i, &set);
	topo_format_cpulist(&set, buf, 16);
	cr_assert_str_eq(buf + strlen(buf) - 3, "...");
}
