/*
 * test_gnuma.c - guest NUMA topology (--numa): parsing, the checks against the VM's vCPUs and
 * RAM, the even split, distances, and the guest-physical layout around the MMIO hole.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/gnuma.h"
#include "util/compiler.h"

#define LOW_MAX	  (3 * GiB)
#define HIGH_BASE (4 * GiB)

static int parse_all(struct gnuma *g, const char *const *items, struct errbuf *err)
{
	memset(g, 0, sizeof(*g));
	for (; *items; items++) {
		int ret = gnuma_parse(g, *items, err);

		if (ret)
			return ret;
	}
	return 0;
}

static int setup(struct gnuma *g, const char *const *items, unsigned vcpus, uint64_t ram,
		 struct errbuf *err)
{
	int ret = parse_all(g, items, err);

	return ret ? ret : gnuma_finish(g, vcpus, ram, err);
}

Test(gnuma, two_nodes)
{
	static const char *const items[] = { "node=0,cpus=0-1,memory=1G",
					     "node=1,cpus=2+3,memory=1G,host-node=0", NULL };
	struct errbuf err = { "" };
	struct gnuma g;
	struct gnuma_range r[4];

	cr_assert_eq(setup(&g, items, 4, 2 * GiB, &err), 0, "%s", err.msg);
	cr_assert_eq(g.nr_nodes, 2);
	cr_assert_eq(g.node[0].host_node, -1);
	cr_assert_eq(g.node[1].host_node, 0);
	cr_assert_eq(gnuma_vcpu_node(&g, 1), 0);
	cr_assert_eq(gnuma_vcpu_node(&g, 3), 1);
	cr_assert(gnuma_has_host_nodes(&g));
	cr_assert_eq(g.distance[0][0], 10);
	cr_assert_eq(g.distance[0][1], 20, "one node unbound: the default remote distance");
	cr_assert_eq(g.distance[1][0], 20);
	cr_assert_eq(gnuma_ranges(&g, LOW_MAX, HIGH_BASE, r, 4), 2);
	cr_assert_eq(r[0].gpa, 0);
	cr_assert_eq(r[0].size, GiB);
	cr_assert_eq(r[1].gpa, GiB);
	cr_assert_eq(r[1].node, 1);
}

Test(gnuma, ranges_split_at_the_hole)
{
	static const char *const items[] = { "node=0,cpus=0,memory=2G", "node=1,cpus=1,memory=2G",
					     NULL };
	struct errbuf err = { "" };
	struct gnuma g;
	struct gnuma_range r[4];

	cr_assert_eq(setup(&g, items, 2, 4 * GiB, &err), 0, "%s", err.msg);
	cr_assert_eq(gnuma_ranges(&g, LOW_MAX, HIGH_BASE, r, 4), 3);
	cr_assert(r[0].gpa == 0 && r[0].size == 2 * GiB && r[0].node == 0);
	cr_assert(r[1].gpa == 2 * GiB && r[1].size == GiB && r[1].node == 1);
	cr_assert(r[2].gpa == HIGH_BASE && r[2].size == GiB && r[2].node == 1);
	cr_assert_eq(gnuma_ranges(&g, LOW_MAX, HIGH_BASE, r, 2), 2, "capped at the array");
}

Test(gnuma, even_split_and_given_distances)
{
	static const char *const items[] = { "node=2,cpus=2", "node=0,cpus=0", "node=1,cpus=1",
					     "src=0,dst=2,distance=31", NULL };
	struct errbuf err = { "" };
	struct gnuma g;

	cr_assert_eq(setup(&g, items, 3, 100 * MiB, &err), 0, "%s", err.msg);
	cr_assert_eq(g.nr_nodes, 3);
	cr_assert_eq(g.node[0].mem_bytes, 32 * MiB, "2 MiB steps");
	cr_assert_eq(g.node[1].mem_bytes, 32 * MiB);
	cr_assert_eq(g.node[2].mem_bytes, 36 * MiB, "the last node takes the rest");
	cr_assert_eq(g.distance[0][2], 31);
	cr_assert_eq(g.distance[2][0], 31, "symmetric");
	cr_assert_eq(g.distance[1][2], 20);
}

Test(gnuma, none_is_fine)
{
	struct errbuf err = { "" };
	struct gnuma g;

	memset(&g, 0, sizeof(g));
	cr_assert_eq(gnuma_finish(&g, 4, GiB, &err), 0);
	cr_assert_eq(g.nr_nodes, 0);
	cr_assert_not(gnuma_has_host_nodes(&g));
	cr_assert_eq(gnuma_vcpu_node(&g, 3), 0);
}

struct bad_case {
	const char *items[4];
	unsigned vcpus;
	uint64_t ram;
	const char *msg; /* a piece of the message */
};

Test(gnuma, bad_input)
{
	static const struct bad_case cases[] = {
		{ { "node=0,cpus=0" }, 2, 64 * MiB, "vCPU 1 is in no guest node" },
		{ { "node=0,cpus=0-1", "node=1,cpus=1" }, 2, 64 * MiB, "more than one" },
		{ { "node=0,cpus=0-2" }, 2, 64 * MiB, "the VM has 2 vCPUs" },
		{ { "node=1,cpus=0-1" }, 2, 64 * MiB, "guest node 0 is missing" },
		{ { "node=0,cpus=0", "node=0,cpus=1" }, 2, 64 * MiB, "described twice" },
		{ { "node=0,cpus=0,memory=16M", "node=1,cpus=1" }, 2, 64 * MiB, "for every" },
		{ { "node=0,cpus=0,memory=16M", "node=1,cpus=1,memory=16M" },
		  2,
		  64 * MiB,
		  "adds up to 32 MiB" },
		{ { "node=0,cpus=0,memory=61M", "node=1,cpus=1,memory=3M" }, 2, 64 * MiB, "4 MiB" },
		{ { "node=8,cpus=0" }, 1, 64 * MiB, "expected 0..7" },
		{ { "node=x,cpus=0" }, 1, 64 * MiB, "node=x" },
		{ { "node=0" }, 1, 64 * MiB, "cpus=LIST is missing" },
		{ { "node=0,cpus=a" }, 1, 64 * MiB, "not a vCPU list" },
		{ { "node=0,cpus=0,memory=lots" }, 1, 64 * MiB, "memory=lots" },
		{ { "node=0,cpus=0,host-node=-1" }, 1, 64 * MiB, "host-node=-1" },
		{ { "node=0,cpus=0,colour=red" }, 1, 64 * MiB, "unknown key 'colour'" },
		{ { "cpus=0" }, 1, 64 * MiB, "expected node=N" },
		{ { "src=0,dst=1,distance=9", "node=0,cpus=0", "node=1,cpus=1" },
		  2,
		  64 * MiB,
		  "11..254" },
		{ { "src=0,dst=0,distance=12" }, 1, 64 * MiB, "11..254" },
		{ { "src=0,dst=3,distance=30", "node=0,cpus=0" }, 1, 64 * MiB, "not described" },
		{ { "src=0,dst=1,distance=30" }, 1, 64 * MiB, "no guest nodes" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		const char *items[5] = { c->items[0], c->items[1], c->items[2], c->items[3], NULL };
		struct errbuf err = { "" };
		struct gnuma g;

		cr_expect_eq(setup(&g, items, c->vcpus, c->ram, &err), -EINVAL, "case %u", i);
		cr_expect(strstr(err.msg, c->msg), "case %u: '%s' lacks '%s'", i, err.msg, c->msg);
	}
}
