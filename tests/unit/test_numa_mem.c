/*
 * test_numa_mem.c - guest RAM memory policy, huge pages and preallocation, read back from the
 * kernel: the policy with get_mempolicy, the node of every page with move_pages, the THP advice
 * from /proc/self/smaps.
 *
 * What a host can show depends on it: with one NUMA node (as on the development machine) the
 * pages can only be seen on node 0 and binding to another node can only be refused; the test
 * that binds to a second node skips, saying so. hugepages=on is checked for its clear refusal
 * when no huge page is reserved, and for real when some are.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched/numa_mem.h"
#include "util/compiler.h"

#define TEST_BYTES (8 * MiB)

/* Nodes this process may allocate from. */
static uint64_t allowed_nodes(void)
{
	unsigned long mask[16] = { 0 };

	cr_assert_eq(syscall(SYS_get_mempolicy, NULL, mask, 1024, NULL, 4 /* MEMS_ALLOWED */), 0,
		     "get_mempolicy: %s", strerror(errno));
	return mask[0];
}

static struct numa_mem_opts parse_ok(const char *s)
{
	struct numa_mem_opts o;
	struct errbuf err = { "" };

	cr_assert_eq(numa_mem_parse(s, &o, &err), 0, "%s: %s", s, err.msg);
	return o;
}

/* The VmFlags line of the smaps entry that holds addr. */
static bool smaps_flags(const void *addr, char *out, int len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[256];
	bool in = false, found = false;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		/* A mapping's header line ("lo-hi perms ..."); field lines never parse so. */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(out, (size_t)len, "%.*s", len - 1, line + 8);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static void expect_all_on(const struct numa_mem_region *r, int node)
{
	unsigned long n = r->len_bytes / r->page_bytes;
	int *nodes = calloc(n, sizeof(*nodes));

	cr_assert_not_null(nodes);
	cr_assert_eq(numa_mem_query_nodes(r->hva, r->page_bytes, n, nodes), 0);
	for (unsigned long i = 0; i < n; i++)
		cr_assert_eq(nodes[i], node, "page %lu on node %d, expected %d", i, nodes[i], node);
	free(nodes);
}

Test(numa_mem, parse)
{
	struct numa_mem_opts o;
	struct errbuf err = { "" };

	o = parse_ok("512M");
	cr_assert_eq(o.size_bytes, 512 * MiB);
	cr_assert_eq(o.policy, NUMA_MEM_DEFAULT);
	cr_assert_eq(o.huge, NUMA_HUGE_DEFAULT);
	o = parse_ok("2048,policy=interleave,host-nodes=0,,2-3,hugepages=thp,prealloc=on");
	cr_assert_eq(o.size_bytes, 2 * GiB);
	cr_assert_eq(o.policy, NUMA_MEM_INTERLEAVE);
	cr_assert_eq(o.host_nodes, 0xd);
	cr_assert_eq(o.huge, NUMA_HUGE_THP);
	cr_assert(o.prealloc);
	o = parse_ok("1G,host-nodes=0+1");
	cr_assert_eq(o.policy, NUMA_MEM_BIND, "host-nodes alone means bind");
	cr_assert_eq(o.host_nodes, 0x3);
	o = parse_ok("1G,policy=preferred,host-nodes=1,hugepages=off");
	cr_assert_eq(o.policy, NUMA_MEM_PREFERRED);
	cr_assert_eq(o.huge, NUMA_HUGE_OFF);

	cr_assert_eq(numa_mem_parse("1G,policy=bind", &o, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "--memory: policy=bind needs host-nodes=LIST");
	cr_assert_eq(numa_mem_parse("1G,policy=fast,host-nodes=0", &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "policy=fast: expected bind, interleave"), "%s", err.msg);
	cr_assert_eq(numa_mem_parse("1G,host-nodes=64", &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "host-nodes=64"), "%s", err.msg);
	cr_assert_eq(numa_mem_parse("1G,hugepages=maybe", &o, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "--memory: hugepages=maybe: expected on, thp or off");
	cr_assert_eq(numa_mem_parse("1G,prealloc=2", &o, &err), -EINVAL);
	cr_assert_eq(numa_mem_parse("1G,numa=0", &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "unknown option 'numa'"), "%s", err.msg);
	cr_assert_eq(numa_mem_parse("lots", &o, &err), -EINVAL);
	cr_assert_eq(numa_mem_parse("1G,policy=default,host-nodes=0", &o, &err), -EINVAL);
}

/* A node this host does not have is refused before anything is mapped. */
Test(numa_mem, unknown_node)
{
	struct numa_mem_opts o = parse_ok("64M,policy=bind,host-nodes=0+37");
	struct numa_mem_region r;
	struct errbuf err = { "" };

	cr_assert_eq(numa_mem_check(&o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "node 37 not available for memory here"), "%s", err.msg);
	cr_assert_eq(numa_mem_map(&o, &r, &err), -EINVAL);
	cr_assert_null(r.hva);
}

Test(numa_mem, bind_prealloc_on_node0)
{
	struct numa_mem_opts o = parse_ok("8M,policy=bind,host-nodes=0,prealloc=on");
	struct numa_mem_region r;
	struct errbuf err = { "" };
	enum numa_mem_policy pol;
	uint64_t nodes;

	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.len_bytes, TEST_BYTES);
	cr_assert_eq(numa_mem_query_policy(r.hva, &pol, &nodes), 0);
	cr_assert_eq(pol, NUMA_MEM_BIND);
	cr_assert_eq(nodes, 1);
	cr_assert_eq(numa_mem_query_policy((char *)r.hva + TEST_BYTES - 1, &pol, &nodes), 0);
	cr_assert_eq(pol, NUMA_MEM_BIND);
	/* Preallocated: every page is present, on node 0. */
	expect_all_on(&r, 0);
	numa_mem_unmap(&r);
}

Test(numa_mem, interleave_and_preferred_read_back)
{
	struct numa_mem_region r;
	struct errbuf err = { "" };
	enum numa_mem_policy pol;
	uint64_t nodes;
	struct numa_mem_opts o = parse_ok("4M,policy=interleave,host-nodes=0");

	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(numa_mem_query_policy(r.hva, &pol, &nodes), 0);
	cr_assert_eq(pol, NUMA_MEM_INTERLEAVE);
	cr_assert_eq(nodes, 1);
	numa_mem_unmap(&r);

	o = parse_ok("4M,policy=preferred,host-nodes=0,prealloc=on");
	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(numa_mem_query_policy(r.hva, &pol, &nodes), 0);
	cr_assert_eq(pol, NUMA_MEM_PREFERRED);
	cr_assert_eq(nodes, 1);
	expect_all_on(&r, 0);
	numa_mem_unmap(&r);
}

/* Without prealloc nothing is allocated until touched, then it is on the policy's node. */
Test(numa_mem, lazy_pages)
{
	struct numa_mem_opts o = parse_ok("1M");
	struct numa_mem_region r;
	struct errbuf err = { "" };
	enum numa_mem_policy pol;
	uint64_t nodes;
	int node[256];

	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(numa_mem_query_policy(r.hva, &pol, &nodes), 0);
	cr_assert_eq(pol, NUMA_MEM_DEFAULT);
	cr_assert_eq(numa_mem_query_nodes(r.hva, r.page_bytes, 256, node), 0);
	cr_assert_eq(node[0], -ENOENT, "page 0 already present (%d)", node[0]);
	((volatile char *)r.hva)[0] = 1;
	cr_assert_eq(numa_mem_query_nodes(r.hva, r.page_bytes, 256, node), 0);
	cr_assert_geq(node[0], 0);
	cr_assert_eq(node[1], -ENOENT);
	numa_mem_unmap(&r);
}

Test(numa_mem, thp_advice)
{
	struct numa_mem_region r;
	struct errbuf err = { "" };
	struct numa_mem_opts o = parse_ok("8M,hugepages=thp");
	char flags[256];

	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert(IS_ALIGNED((uintptr_t)r.hva, 2 * MiB), "THP mapping not 2 MiB aligned");
	cr_assert(smaps_flags(r.hva, flags, sizeof(flags)));
	cr_assert(strstr(flags, " hg"), "no MADV_HUGEPAGE flag in VmFlags:%s", flags);
	numa_mem_unmap(&r);

	o = parse_ok("8M,hugepages=off");
	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	cr_assert(smaps_flags(r.hva, flags, sizeof(flags)));
	cr_assert(strstr(flags, " nh"), "no MADV_NOHUGEPAGE flag in VmFlags:%s", flags);
	numa_mem_unmap(&r);
}

Test(numa_mem, hugetlb)
{
	struct numa_mem_region r;
	struct errbuf err = { "" };
	struct numa_mem_opts o = parse_ok("4M,hugepages=on,prealloc=on");
	uint64_t page, free_pages;
	int ret;

	numa_mem_hugepages(&page, &free_pages);
	if (!page)
		cr_skip_test("this kernel has no hugetlb pages");
	ret = numa_mem_map(&o, &r, &err);
	if (free_pages * page < o.size_bytes) {
		/* None (or too few) reserved, as on the development host: a clear refusal. */
		cr_assert_eq(ret, -ENOMEM);
		cr_assert(strstr(err.msg, "huge pages, the host has"), "%s", err.msg);
		cr_assert(strstr(err.msg, "vm.nr_hugepages"), "%s", err.msg);
		return;
	}
	cr_assert_eq(ret, 0, "%s", err.msg);
	cr_assert(r.hugetlb);
	cr_assert_eq(r.page_bytes, page);
	expect_all_on(&r, (int)__builtin_ctzll(allowed_nodes()));
	numa_mem_unmap(&r);
	o.size_bytes = page + 4096;
	cr_assert_eq(numa_mem_map(&o, &r, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not a multiple"), "%s", err.msg);
}

/* Binding to a second node is visible only on a host that has one. */
Test(numa_mem, bind_second_node)
{
	uint64_t allowed = allowed_nodes();
	struct numa_mem_opts o = parse_ok("8M,prealloc=on");
	struct numa_mem_region r;
	struct errbuf err = { "" };
	int second;

	if (__builtin_popcountll(allowed) < 2)
		cr_skip_test("this host has one NUMA node: pages cannot be seen moving to another");
	second = 63 - __builtin_clzll(allowed);
	o.policy = NUMA_MEM_BIND;
	o.host_nodes = 1ULL << second;
	cr_assert_eq(numa_mem_map(&o, &r, &err), 0, "%s", err.msg);
	expect_all_on(&r, second);
	numa_mem_unmap(&r);
}
