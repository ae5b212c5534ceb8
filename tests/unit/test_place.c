/*
 * test_place.c - placement plans against expected layouts on four kinds of topology (one node;
 * 2 packages x 2 nodes with SMT; sub-NUMA clusters with SLIT distances; more vCPUs than CPUs),
 * impossible requests, the affinity a spawned thread really gets, and `strand plan`.
 *
 * Topologies are built with the pure constructors so the layouts do not depend on hwloc; one
 * test checks that a synthetic hwloc topology plans the same.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sched/place.h"
#include "sched/thread.h"
#include "sched/topology.h"
#include "tests/support.h"

/* A VM request with one policy for vCPUs and iothreads. */
static struct place_vm_req vm(unsigned vcpus, unsigned iothreads, enum place_policy p)
{
	struct place_vm_req v;

	place_vm_req_init(&v, vcpus, iothreads);
	v.cls[PLACE_VCPU].policy = p;
	v.cls[PLACE_IOTHREAD].policy = p;
	return v;
}

static int plan_vms(const struct topology *t, unsigned hk, bool sharing, struct place_plan *p,
		    struct errbuf *err, unsigned n, const struct place_vm_req *vms)
{
	struct place_request req = {
		.nr_vms = n, .vms = vms, .housekeeping = hk, .allow_smt_sharing = sharing
	};

	return place_compute(t, &req, p, err);
}

/* The single CPU of a pinned thread. */
static int cpu_of(const struct place_plan *p, unsigned vm_idx, enum place_class c, unsigned i)
{
	const struct place_thread *th = place_plan_find(p, vm_idx, c, i);

	cr_assert_not_null(th, "no thread %u/%d/%u", vm_idx, c, i);
	cr_assert(th->pinned && CPU_COUNT(&th->cpus) == 1, "thread %u/%d/%u is not pinned", vm_idx,
		  c, i);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &th->cpus))
			return cpu;
	return -1;
}

/* The vCPUs of vm_idx are on exactly these CPUs, in order (-1 ends the list). */
static void expect_vcpus(const struct place_plan *p, unsigned vm_idx, ...)
{
	va_list ap;
	unsigned i = 0;
	int want;

	va_start(ap, vm_idx);
	while ((want = va_arg(ap, int)) >= 0) {
		int got = cpu_of(p, vm_idx, PLACE_VCPU, i);

		cr_assert_eq(got, want, "vm%u vcpu%u on CPU %d, expected %d", vm_idx, i, got, want);
		i++;
	}
	va_end(ap);
}

static const char *cpus_of(const struct place_plan *p, unsigned vm_idx, enum place_class c,
			   unsigned i, char *buf, unsigned len)
{
	const struct place_thread *th = place_plan_find(p, vm_idx, c, i);

	cr_assert_not_null(th);
	return topo_format_cpulist(&th->cpus, buf, len);
}

static bool has_warning(const struct place_plan *p, const char *needle)
{
	for (unsigned i = 0; i < p->nr_warnings; i++)
		if (strstr(p->warnings[i], needle))
			return true;
	return false;
}

/* 1. One node, one package: 4 cores x 2 PUs, CPUs 0-7 (siblings 0-1, 2-3, ...). */

Test(place_one_node, compact_scatter_none)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[1];
	char buf[64];

	cr_assert_eq(topo_init_uniform(&t, 1, 1, 4, 2, 8ULL << 30), 0);
	v[0] = vm(4, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 1, 2, 3, -1);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_MAIN, 0, buf, sizeof(buf)), "0-7");
	cr_assert_eq(p.vms[0].mem_nodes, 1);
	cr_assert_eq(p.nr_warnings, 0);
	place_plan_free(&p);

	v[0] = vm(6, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 2, 4, 6, 1, 3, -1);
	place_plan_free(&p);

	/* none: every CPU but the housekeeping ones; the main thread on those. */
	v[0] = vm(2, 1, PLACE_NONE);
	cr_assert_eq(plan_vms(&t, 2, false, &p, &err, 1, v), 0, "%s", err.msg);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 0, buf, sizeof(buf)), "2-7");
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_IOTHREAD, 0, buf, sizeof(buf)), "2-7");
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_MAIN, 0, buf, sizeof(buf)), "0-1");
	cr_assert_str_eq(topo_format_cpulist(&p.housekeeping, buf, sizeof(buf)), "0-1");
	cr_assert(!place_plan_find(&p, 0, PLACE_VCPU, 0)->pinned);
	cr_assert_eq(p.vms[0].mem_nodes, 0, "floating VMs are not bound");
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_one_node, two_vms_smt)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[3];

	cr_assert_eq(topo_init_uniform(&t, 1, 1, 4, 2, 8ULL << 30), 0);
	v[0] = vm(3, 0, PLACE_COMPACT);
	v[1] = vm(3, 0, PLACE_COMPACT);
	/* vm0 takes cores 0 and 1 (CPU 3 stays free: it is vm0's core), vm1 cores 2 and 3. */
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 1, 2, -1);
	expect_vcpus(&p, 1, 4, 5, 6, -1);
	place_plan_free(&p);

	/* A third VM fits only on the free siblings of the others' cores. */
	v[2] = vm(2, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 3, v), -EBUSY);
	cr_assert(strstr(err.msg, "vm2") && strstr(err.msg, "allow SMT sharing"), "%s", err.msg);
	cr_assert_eq(plan_vms(&t, 0, true, &p, &err, 3, v), 0, "%s", err.msg);
	expect_vcpus(&p, 2, 3, 7, -1);
	cr_assert(has_warning(&p, "vm0 and vm2 share core CPUs 2-3"));
	cr_assert(has_warning(&p, "vm1 and vm2 share core CPUs 6-7"));
	place_plan_free(&p);

	/* Housekeeping CPU 0 keeps its sibling 1 from pinned threads. */
	v[0] = vm(2, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 1, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 2, 4, -1);
	cr_assert(has_warning(&p, "housekeeping CPU 0 leaves CPU 1"));
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_one_node, explicit_lists)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];
	cpu_set_t one, per[2];
	char buf[64];

	cr_assert_eq(topo_init_uniform(&t, 1, 1, 4, 2, 8ULL << 30), 0);
	/* One list: one CPU per vCPU in order. */
	v[0] = vm(2, 0, PLACE_EXPLICIT);
	cr_assert_eq(topo_parse_cpulist("5+7", &one), 0);
	v[0].cls[PLACE_VCPU].nr_cpu_sets = 1;
	v[0].cls[PLACE_VCPU].cpu_sets = &one;
	/* One list per iothread, each floating over its list. */
	v[0].iothreads = 2;
	cr_assert_eq(topo_parse_cpulist("4", &per[0]), 0);
	cr_assert_eq(topo_parse_cpulist("5-6", &per[1]), 0);
	v[0].cls[PLACE_IOTHREAD].nr_cpu_sets = 2;
	v[0].cls[PLACE_IOTHREAD].cpu_sets = per;
	/* vm1 compact avoids vm0's cores 2 and 3. */
	v[1] = vm(2, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 5, 7, -1);
	cr_assert_eq(cpu_of(&p, 0, PLACE_IOTHREAD, 0), 4);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_IOTHREAD, 1, buf, sizeof(buf)), "5-6");
	expect_vcpus(&p, 1, 0, 1, -1);
	place_plan_free(&p);
	topo_destroy(&t);
}

/* 2. Two packages x two nodes x 8 cores x 2 PUs: CPUs 0-63 in logical order. */

Test(place_2x2x8x2, compact_then_scatter)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];

	cr_assert_eq(topo_init_uniform(&t, 2, 2, 8, 2, 64ULL << 30), 0);
	v[0] = vm(8, 2, PLACE_COMPACT);
	v[1] = vm(4, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 2, false, &p, &err, 2, v), 0, "%s", err.msg);
	/* vm0: node 0 after the housekeeping core; iothreads right after its vCPUs. */
	expect_vcpus(&p, 0, 2, 3, 4, 5, 6, 7, 8, 9, -1);
	cr_assert_eq(cpu_of(&p, 0, PLACE_IOTHREAD, 0), 10);
	cr_assert_eq(cpu_of(&p, 0, PLACE_IOTHREAD, 1), 11);
	cr_assert_eq(p.vms[0].mem_nodes, 1ULL << 0);
	/* vm1: one vCPU per node, packages alternating: node 0, 2, 1, 3. */
	expect_vcpus(&p, 1, 12, 32, 16, 48, -1);
	cr_assert_eq(p.vms[1].mem_nodes, 0xf);
	cr_assert_eq(p.nr_warnings, 0, "%s", p.warnings[0]);
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_2x2x8x2, numa_by_free_capacity)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[3];
	char buf[64];

	cr_assert_eq(topo_init_uniform(&t, 2, 2, 8, 2, 64ULL << 30), 0);
	v[0] = vm(12, 0, PLACE_NUMA);
	v[1] = vm(12, 0, PLACE_NUMA);
	v[2] = vm(20, 0, PLACE_NUMA);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 3, v), 0, "%s", err.msg);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 11, buf, sizeof(buf)), "0-15");
	cr_assert_str_eq(cpus_of(&p, 1, PLACE_VCPU, 0, buf, sizeof(buf)), "16-31");
	/* 20 threads fit no node: node 2 and its package neighbour 3. */
	cr_assert_str_eq(cpus_of(&p, 2, PLACE_VCPU, 0, buf, sizeof(buf)), "32-63");
	cr_assert_eq(p.vms[0].mem_nodes, 1ULL << 0);
	cr_assert_eq(p.vms[1].mem_nodes, 1ULL << 1);
	cr_assert_eq(p.vms[2].mem_nodes, 0xc);
	cr_assert(has_warning(&p, "vm2: 20 numa threads do not fit in one node"));
	/* The main threads float everywhere (no housekeeping CPUs). */
	cr_assert_str_eq(cpus_of(&p, 2, PLACE_MAIN, 0, buf, sizeof(buf)), "0-63");
	place_plan_free(&p);

	/* Memory counts: a VM bigger than node 0's 64 GiB goes where it fits... nowhere. */
	v[0] = vm(4, 0, PLACE_NUMA);
	v[0].mem_bytes = 96ULL << 30;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	cr_assert(has_warning(&p, "vm0: 96 GiB of memory on node 0, which has 64 GiB"));
	place_plan_free(&p);

	/* Node 0 has CPUs left but not memory: the numa VM goes to node 1. */
	v[0] = vm(4, 0, PLACE_COMPACT);
	v[0].mem_bytes = 48ULL << 30;
	v[1] = vm(4, 0, PLACE_NUMA);
	v[1].mem_bytes = 32ULL << 30;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 1, 2, 3, -1);
	cr_assert_eq(p.vms[1].mem_nodes, 1ULL << 1);
	cr_assert_str_eq(cpus_of(&p, 1, PLACE_VCPU, 0, buf, sizeof(buf)), "16-31");
	place_plan_free(&p);

	/* A VM limited to some host nodes stays there. */
	v[0] = vm(3, 0, PLACE_COMPACT);
	v[0].host_nodes = 1ULL << 2;
	v[1] = vm(2, 0, PLACE_NONE);
	v[1].host_nodes = 0x3;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 32, 33, 34, -1);
	cr_assert_str_eq(cpus_of(&p, 1, PLACE_VCPU, 1, buf, sizeof(buf)), "0-31");
	cr_assert_eq(p.vms[1].mem_nodes, 0x3);
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_2x2x8x2, guest_nodes)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[1];
	char buf[64];

	cr_assert_eq(topo_init_uniform(&t, 2, 2, 8, 2, 64ULL << 30), 0);
	v[0] = vm(8, 2, PLACE_NUMA);
	v[0].mem_bytes = 32ULL << 30;
	v[0].nr_gnodes = 2;
	for (unsigned i = 0; i < 8; i++)
		CPU_SET(i, &v[0].gnode[i / 4].vcpus);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	/* Guest node 1 lands next to guest node 0: same package. */
	cr_assert_eq(p.vms[0].gnode_host[0], 0);
	cr_assert_eq(p.vms[0].gnode_host[1], 1);
	cr_assert_eq(p.vms[0].gnode_mem_bytes[1], 16ULL << 30);
	cr_assert_eq(p.vms[0].mem_nodes, 0x3);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 3, buf, sizeof(buf)), "0-15");
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 4, buf, sizeof(buf)), "16-31");
	cr_assert_eq(place_plan_find(&p, 0, PLACE_VCPU, 4)->gnode, 1);
	/* Iothreads round robin over the guest nodes. */
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_IOTHREAD, 1, buf, sizeof(buf)), "16-31");
	place_plan_free(&p);

	/* Compact within each guest node's host node; one given explicitly. */
	v[0].cls[PLACE_VCPU].policy = PLACE_COMPACT;
	v[0].gnode[1].host_node = 3;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 1, 2, 3, 48, 49, 50, 51, -1);
	cr_assert_eq(p.vms[0].gnode_host[1], 3);
	place_plan_free(&p);
	topo_destroy(&t);
}

/* A synthetic topology through hwloc plans like the pure constructor. */
Test(place_2x2x8x2, same_through_hwloc)
{
	struct topology a, b;
	struct place_plan pa, pb;
	struct errbuf err = { "" };
	struct place_vm_req v[2];

	cr_assert_eq(topo_load(&a, "synthetic:pack:2 node:2 core:8 pu:2", &err), 0, "%s", err.msg);
	cr_assert_eq(topo_init_uniform(&b, 2, 2, 8, 2, 1ULL << 30), 0);
	v[0] = vm(8, 2, PLACE_COMPACT);
	v[1] = vm(6, 1, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&a, 2, false, &pa, &err, 2, v), 0, "%s", err.msg);
	cr_assert_eq(plan_vms(&b, 2, false, &pb, &err, 2, v), 0, "%s", err.msg);
	cr_assert_eq(pa.nr_threads, pb.nr_threads);
	cr_assert_eq(memcmp(pa.threads, pb.threads, pa.nr_threads * sizeof(*pa.threads)), 0);
	/* And twice the same: deterministic. */
	place_plan_free(&pb);
	cr_assert_eq(plan_vms(&a, 2, false, &pb, &err, 2, v), 0, "%s", err.msg);
	cr_assert_eq(memcmp(pa.threads, pb.threads, pa.nr_threads * sizeof(*pa.threads)), 0);
	place_plan_free(&pa);
	place_plan_free(&pb);
	topo_destroy(&a);
	topo_destroy(&b);
}

/*
 * 3. Sub-NUMA clusters: 2 packages x 2 nodes x 4 cores x 2 PUs, siblings numbered c and c+16
 * (as Intel hosts number them), SLIT 10 local, 12 same package, 21 remote.
 */
static void snc_topology(struct topology *t)
{
	static const unsigned dist[16] = { 10, 12, 21, 21, 12, 10, 21, 21,
					   21, 21, 10, 12, 21, 21, 12, 10 };
	struct topo_pu_desc pus[32];
	uint64_t mem[4] = { 16ULL << 30, 16ULL << 30, 16ULL << 30, 16ULL << 30 };
	unsigned node_os[4] = { 0, 1, 2, 3 };
	struct topo_desc d = { .source = "snc",
			       .nr_pus = 32,
			       .pus = pus,
			       .nr_nodes = 4,
			       .node_os = node_os,
			       .node_mem_bytes = mem,
			       .distance = dist };
	struct errbuf err = { "" };

	for (unsigned c = 0; c < 16; c++)
		for (unsigned s = 0; s < 2; s++)
			pus[c * 2 + s] = (struct topo_pu_desc){
				.os_index = c + 16 * s, .core = c, .package = c / 8, .node = c / 4
			};
	cr_assert_eq(topo_init_desc(t, &d, &err), 0, "%s", err.msg);
}

Test(place_snc, layouts)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];
	char buf[64];

	snc_topology(&t);
	/* compact: siblings first, in OS numbers 0,16,1,17,... */
	v[0] = vm(6, 0, PLACE_COMPACT);
	/* scatter: packages, then clusters: nodes 0, 2, 1, 3. */
	v[1] = vm(4, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 16, 1, 17, 2, 18, -1);
	expect_vcpus(&p, 1, 3, 8, 4, 12, -1);
	place_plan_free(&p);

	/* Housekeeping takes whole cores in logical order: CPUs 0 and 16. */
	v[0] = vm(2, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 2, false, &p, &err, 1, v), 0, "%s", err.msg);
	cr_assert_str_eq(topo_format_cpulist(&p.housekeeping, buf, sizeof(buf)), "0,16");
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_MAIN, 0, buf, sizeof(buf)), "0,16");
	expect_vcpus(&p, 0, 1, 17, -1);
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_snc, numa_prefers_the_same_package)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];
	char buf[64];

	snc_topology(&t);
	/* 12 threads do not fit one 8-CPU cluster: the nearest cluster is in the same package. */
	v[0] = vm(12, 0, PLACE_NUMA);
	/* Two guest nodes: on clusters of one package (2 and 3, as 0 and 1 are taken). */
	v[1] = vm(8, 0, PLACE_NUMA);
	v[1].nr_gnodes = 2;
	for (unsigned i = 0; i < 8; i++)
		CPU_SET(i, &v[1].gnode[i / 4].vcpus);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), 0, "%s", err.msg);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 0, buf, sizeof(buf)), "0-7,16-23");
	cr_assert_eq(p.vms[0].mem_nodes, 0x3);
	cr_assert_eq(p.vms[1].gnode_host[0], 2);
	cr_assert_eq(p.vms[1].gnode_host[1], 3);
	cr_assert_str_eq(cpus_of(&p, 1, PLACE_VCPU, 7, buf, sizeof(buf)), "12-15,28-31");
	place_plan_free(&p);
	topo_destroy(&t);
}

/* 4. More vCPUs than CPUs: 2 cores x 2 PUs. */

Test(place_overcommit, one_vm)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[1];
	char buf[64];

	cr_assert_eq(topo_init_uniform(&t, 1, 1, 2, 2, 4ULL << 30), 0);
	v[0] = vm(6, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 1, 2, 3, 0, 1, -1);
	cr_assert(has_warning(&p, "vm0: 6 compact vCPUs on 4 CPUs (overcommit: 2 share a CPU)"));
	cr_assert(has_warning(&p, "overcommit: 6 vCPUs and iothreads on 4 CPUs"));
	place_plan_free(&p);

	v[0] = vm(6, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	expect_vcpus(&p, 0, 0, 2, 1, 3, 0, 2, -1);
	place_plan_free(&p);

	v[0] = vm(6, 0, PLACE_NUMA);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	cr_assert_str_eq(cpus_of(&p, 0, PLACE_VCPU, 5, buf, sizeof(buf)), "0-3");
	cr_assert(has_warning(&p, "vm0: 6 floating vCPUs over 4 CPUs (overcommit)"));
	place_plan_free(&p);
	topo_destroy(&t);
}

Test(place_overcommit, two_vms)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];

	cr_assert_eq(topo_init_uniform(&t, 1, 1, 2, 2, 4ULL << 30), 0);
	v[0] = vm(4, 0, PLACE_COMPACT);
	v[1] = vm(2, 0, PLACE_COMPACT);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), -EBUSY);
	cr_assert(strstr(err.msg, "vm1: no CPU left for its compact vCPUs without sharing"), "%s",
		  err.msg);
	/* Shared: vm1 stacks on the least loaded CPUs. */
	cr_assert_eq(plan_vms(&t, 0, true, &p, &err, 2, v), 0, "%s", err.msg);
	expect_vcpus(&p, 1, 0, 1, -1);
	cr_assert(has_warning(&p, "vm1: 2 compact vCPUs on 0 CPUs (overcommit: 2 share a CPU)"));
	place_plan_free(&p);

	/* Partly full: 3 + 3 on 4 CPUs without sharing cannot fit. */
	v[0] = vm(3, 0, PLACE_SCATTER);
	v[1] = vm(3, 0, PLACE_SCATTER);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), -EBUSY);
	topo_destroy(&t);
}

/* Impossible or malformed requests: clear errors naming the VM. */

Test(place_errors, requests)
{
	struct topology t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[2];
	cpu_set_t set, sets[3];

	cr_assert_eq(topo_init_uniform(&t, 2, 2, 8, 2, 64ULL << 30), 0);

	v[0] = vm(4, 0, PLACE_NUMA);
	v[0].host_nodes = 1ULL << 5;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert_str_eq(err.msg, "vm0: host node 5 is not in the topology (nodes 0-3)");

	v[0] = vm(2, 0, PLACE_EXPLICIT);
	cr_assert_eq(topo_parse_cpulist("3+99", &set), 0);
	v[0].cls[PLACE_VCPU].nr_cpu_sets = 1;
	v[0].cls[PLACE_VCPU].cpu_sets = &set;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "vm0: CPU 99 in the vCPU list is not in the topology (64 CPUs"),
		  "%s", err.msg);

	/* Explicit vCPU on a housekeeping CPU. */
	cr_assert_eq(topo_parse_cpulist("1-2", &set), 0);
	cr_assert_eq(plan_vms(&t, 2, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "CPU 1 in the vCPU list is a housekeeping CPU"), "%s", err.msg);

	/* Explicit CPUs of two VMs on one core. */
	cr_assert_eq(topo_parse_cpulist("4", &set), 0);
	v[0].vcpus = 1;
	v[1] = v[0];
	cr_assert_eq(topo_parse_cpulist("5", &sets[0]), 0);
	v[1].cls[PLACE_VCPU].cpu_sets = &sets[0];
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), -EBUSY);
	cr_assert_str_eq(err.msg, "vm1 vcpu0: CPU 5 is on a core pinned to vm0 (SMT sharing "
				  "between VMs is not allowed)");
	cr_assert_eq(plan_vms(&t, 0, true, &p, &err, 2, v), 0, "%s", err.msg);
	place_plan_free(&p);

	/* Per-thread lists: one per thread. */
	v[0] = vm(2, 0, PLACE_EXPLICIT);
	v[0].cls[PLACE_VCPU].nr_cpu_sets = 3;
	v[0].cls[PLACE_VCPU].cpu_sets = sets;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "3 vCPU CPU lists for 2 vCPUs"), "%s", err.msg);
	v[0].cls[PLACE_VCPU].nr_cpu_sets = 0;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "explicit needs a CPU list"), "%s", err.msg);

	/* Guest nodes. */
	v[0] = vm(4, 0, PLACE_NUMA);
	v[0].nr_gnodes = 2;
	CPU_SET(0, &v[0].gnode[0].vcpus);
	CPU_SET(1, &v[0].gnode[0].vcpus);
	CPU_SET(2, &v[0].gnode[1].vcpus);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert_str_eq(err.msg, "vm0: vCPU 3 is in no guest NUMA node");
	CPU_SET(7, &v[0].gnode[1].vcpus);
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert_str_eq(err.msg, "vm0: guest node 1 names vCPU 7 of 4");
	CPU_CLR(7, &v[0].gnode[1].vcpus);
	CPU_SET(3, &v[0].gnode[1].vcpus);
	v[0].gnode[1].host_node = 9;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert_str_eq(err.msg, "vm0: host node 9 is not in the topology (nodes 0-3)");
	v[0].gnode[1].host_node = 2;
	v[0].host_nodes = 1;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "outside the VM's host nodes"), "%s", err.msg);

	/* Housekeeping leaving nothing; no vCPU. */
	v[0] = vm(1, 0, PLACE_NONE);
	cr_assert_eq(plan_vms(&t, 64, false, &p, &err, 1, v), -EINVAL);
	cr_assert(strstr(err.msg, "64 housekeeping CPUs leave no CPU"), "%s", err.msg);
	v[0].vcpus = 0;
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 1, v), -EINVAL);

	/* Pinned VMs that do not fit side by side. */
	v[0] = vm(20, 0, PLACE_COMPACT);
	v[1] = vm(20, 0, PLACE_COMPACT);
	v[0].host_nodes = v[1].host_nodes = 0x3; /* package 0: 32 CPUs */
	cr_assert_eq(plan_vms(&t, 0, false, &p, &err, 2, v), -EBUSY);
	cr_assert_str_eq(err.msg, "vm1: 20 compact vCPUs do not fit on the 12 CPUs left without "
				  "sharing cores with other VMs (allow SMT sharing, or ask for "
				  "fewer)");
	topo_destroy(&t);
}

/* Applying: a thread spawned with a plan entry runs where the plan says (read back). */

static void *report_affinity(void *arg)
{
	cpu_set_t *out = arg;

	if (sched_getaffinity(0, sizeof(*out), out) < 0)
		CPU_ZERO(out);
	return NULL;
}

Test(place_apply, affinity_read_back)
{
	const struct topology *t;
	struct place_plan p;
	struct errbuf err = { "" };
	struct place_vm_req v[1];
	struct thread_placement pl;
	cpu_set_t mine;
	char want[64], got[64];

	cr_assert_eq(topo_host(&t, &err), 0, "%s", err.msg);
	cr_assert_eq(sched_getaffinity(0, sizeof(mine), &mine), 0);
	/* This host's CPUs, as many vCPUs as CPUs, compact: one CPU each. */
	v[0] = vm(t->nr_pus, 0, PLACE_COMPACT);
	v[0].cls[PLACE_MAIN].policy = PLACE_NONE;
	cr_assert_eq(plan_vms(t, 0, false, &p, &err, 1, v), 0, "%s", err.msg);
	for (unsigned i = 0; i < p.nr_threads; i++) {
		struct thread th;
		cpu_set_t seen, allowed;

		CPU_AND(&allowed, &p.threads[i].cpus, &mine);
		if (!CPU_COUNT(&allowed))
			continue; /* a CPU this process may not use (cgroup) */
		place_to_thread(&p.threads[i], &pl);
		cr_assert(pl.has_cpus);
		CPU_ZERO(&seen);
		cr_assert_eq(thread_spawn(&th, "place-test", &pl, false, report_affinity, &seen),
			     0);
		cr_assert_eq(thread_join(&th, NULL), 0);
		cr_assert(CPU_EQUAL(&seen, &allowed), "thread %u: placed on %s, runs on %s", i,
			  topo_format_cpulist(&allowed, want, sizeof(want)),
			  topo_format_cpulist(&seen, got, sizeof(got)));
	}
	place_plan_free(&p);
}

/* `strand plan`: table, JSON, errors. */

Test(plan_cli, json_for_a_big_host)
{
	struct run_result r;
	json_object *root, *vms, *th, *cpus;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "plan", "--topology",
				     "synthetic:pack:2 node:2 core:8 pu:2", "--housekeeping", "2",
				     "--vm", "8,iothreads=2,policy=compact", "--vm",
				     "4,policy=scatter,name=db", "--json", NULL),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "not JSON: %s", r.out);
	cr_assert(json_object_object_get_ex(root, "vms", &vms));
	cr_assert_eq(json_object_array_length(vms), 2);
	cr_assert_str_eq(json_object_get_string(
				 json_object_object_get(json_object_array_get_idx(vms, 1), "name")),
			 "db");
	th = json_object_array_get_idx(
		json_object_object_get(json_object_array_get_idx(vms, 1), "threads"), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(th, "thread")), "vcpu1");
	cpus = json_object_object_get(th, "cpus");
	cr_assert_eq(json_object_array_length(cpus), 1);
	cr_assert_eq(json_object_get_int(json_object_array_get_idx(cpus, 0)), 32);
	cr_assert_eq(json_object_get_int(
			     json_object_array_get_idx(json_object_object_get(th, "nodes"), 0)),
		     2);
	cr_assert_eq(json_object_array_length(json_object_object_get(
			     json_object_object_get(root, "topology"), "nodes")),
		     4);
	json_object_put(root);
	test_run_free(&r);
}

Test(plan_cli, table)
{
	struct run_result r;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "plan", "--topology",
				     "synthetic:pack:1 node:1 core:4 pu:2", "--vm",
				     "2,guest-nodes=0@0:1,vcpu-cpus=6:7,main-cpus=0", NULL),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "vm0        vcpu0    explicit  6              3            0"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "vm0        main     explicit  0"), "%s", r.out);
	cr_assert(strstr(r.out, "guest node 0 -> host node 0, guest node 1 -> host node 0"), "%s",
		  r.out);
	cr_assert(strstr(r.out, "2 guest NUMA nodes share 1 host node"), "%s", r.out);
	test_run_free(&r);
}

/* Each bad input: exit status 2 and one line on stderr that says what is wrong. */
static void expect_bad(const char *needle, ...)
{
	char *argv[16];
	unsigned n = 0;
	struct run_result r;
	va_list ap;

	argv[n++] = (char *)"plan";
	va_start(ap, needle);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	cr_assert_eq(test_run_strandv(&r, NULL, 30, argv), 0);
	cr_assert_eq(r.status, 2, "status %d for %s: %s", r.status, needle, r.err);
	cr_assert(strstr(r.err, needle), "expected '%s' in: %s", needle, r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "not one line: %s", r.err);
	test_run_free(&r);
}

Test(plan_cli, bad_input)
{
	const char *big = "synthetic:pack:2 node:2 core:8 pu:2";

	expect_bad("'0' is not a vCPU count", "--vm", "0", NULL);
	expect_bad("host node 9 is not in the topology (nodes 0-3)", "--topology", big, "--vm",
		   "4,nodes=9", NULL);
	expect_bad("CPU 64 in the vCPU list is not in the topology", "--topology", big, "--vm",
		   "2,vcpu-cpus=1+64", NULL);
	expect_bad("policy=tight: expected none, compact", "--vm", "2,policy=tight", NULL);
	expect_bad("unknown key 'vpcus'", "--vm", "2,vpcus=3", NULL);
	expect_bad("not a valid hwloc synthetic description", "--topology", "synthetic:pack:x",
		   "--vm", "1", NULL);
	expect_bad("expected host, synthetic:DESC or xml:FILE", "--topology", "big", NULL);
	expect_bad("unknown option for plan: --vms", "--vms", "2", NULL);
	expect_bad("--housekeeping x: expected a CPU count", "--housekeeping", "x", NULL);
	expect_bad("vm1: 20 compact vCPUs do not fit", "--topology",
		   "synthetic:pack:1 core:16 pu:2", "--vm", "20,policy=compact", "--vm",
		   "20,policy=compact", NULL);
}

Test(plan_cli, topology_only)
{
	struct run_result r;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "plan", "--topology",
				     "synthetic:pack:2 node:2 core:8 pu:2", NULL),
		     0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "2 packages, 4 NUMA nodes, 32 cores, 64 CPUs (SMT 2)"), "%s",
		  r.out);
	cr_assert(strstr(r.out, "node 3   package 1"), "%s", r.out);
	test_run_free(&r);
}
