/*
 * test_numa.c - guest NUMA (--numa): a micro-guest reads its topology through SG_CALL_NUMA; a
 * Linux machine gets SRAT and SLIT describing the same nodes (decoded here and disassembled
 * with iasl); a node bound to a host node has that memory policy in the kernel. Needs /dev/kvm.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acpi.h"
#include "core/memmap.h"
#include "core/vm.h"
#include "machine/builder.h"
#include "machine/cli.h"
#include "sched/numa_mem.h"
#include "tests/support.h"

Test(numa, micro_guest_sees_its_nodes)
{
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "numa:nodes=2", "--vcpus", "3",
				     "--memory", "96M", "--numa", "node=0,cpus=0+2,memory=64M",
				     "--numa", "node=1,cpus=1,memory=32M", "--numa",
				     "src=0,dst=1,distance=25", NULL),
		     0);
	cr_expect_eq(r.status, 0, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "numa: node 0: 0x0-0x3ffffff (64 MiB)"), "%s", r.out);
	cr_expect(strstr(r.out, "numa: node 1: 0x4000000-0x5ffffff (32 MiB)"), "%s", r.out);
	cr_expect(strstr(r.out, "numa: node 1: host node -1, distances 25 10"), "%s", r.out);
	cr_expect(strstr(r.out, "numa: vcpu 2 -> node 0"), "%s", r.out);
	cr_expect(strstr(r.out, "numa_nodes"), "%s", r.out);
	test_run_free(&r);

	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "numa:nodes=0", "--vcpus", "2",
				     NULL),
		     0);
	cr_expect_eq(r.status, 0, "without --numa the guest sees no nodes\n%s\n%s", r.out, r.err);
	test_run_free(&r);
}

Test(numa, bad_topologies_are_refused_before_the_vm)
{
	static const char *const bad[][3] = {
		{ "node=0,cpus=0", NULL },
		{ "node=0,cpus=0", "node=1,cpus=1,host-node=63" },
		{ "node=0,cpus=0,memory=100M", "node=1,cpus=1,memory=100M" },
	};
	static const char *const why[] = { "vCPU 1 is in no guest node", "host-node=63",
					   "adds up to 200 MiB" };

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r;

		if (bad[i][1])
			cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--guest", "numa",
						     "--vcpus", "2", "--numa", bad[i][0], "--numa",
						     bad[i][1], NULL),
				     0);
		else
			cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--guest", "numa",
						     "--vcpus", "2", "--numa", bad[i][0], NULL),
				     0);
		cr_expect_eq(r.status, 2, "case %u: status %d", i, r.status);
		cr_expect(strstr(r.err, why[i]), "case %u: %s", i, r.err);
		test_run_free(&r);
	}
}

/* Build (not run) a machine from a command line; argv[0] is "run". */
static struct machine *build(int argc, char **argv)
{
	struct machine_config cfg;
	struct errbuf err = { "" };
	struct machine *m = NULL;

	cr_assert_eq(cli_parse_run(argc, argv, &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(machine_build(&cfg, &m, &err), 0, "%s", err.msg);
	return m;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Copy the table with signature sig out of guest RAM (via the RSDP and XSDT); malloc'd. */
static uint8_t *guest_table(struct memmap *mem, const char *sig)
{
	static uint8_t area[ACPI_TABLES_MAX];
	uint8_t hdr[36], *xsdt, *t = NULL;
	uint64_t rsdp = 0;

	cr_assert_eq(memmap_read(mem, ACPI_TABLES_GPA, area, sizeof(area)), 0);
	for (uint64_t off = 0; off + 36 <= sizeof(area); off += 16)
		if (memcmp(area + off, "RSD PTR ", 8) == 0) {
			rsdp = off;
			break;
		}
	cr_assert(rsdp || memcmp(area, "RSD PTR ", 8) == 0, "no RSDP in the BIOS area");
	cr_assert_eq(memmap_read(mem, rd64(area + rsdp + 24), hdr, sizeof(hdr)), 0);
	xsdt = malloc(rd32(hdr + 4));
	cr_assert_eq(memmap_read(mem, rd64(area + rsdp + 24), xsdt, rd32(hdr + 4)), 0);
	for (uint32_t off = 36; off + 8 <= rd32(xsdt + 4); off += 8) {
		uint64_t gpa = rd64(xsdt + off);

		cr_assert_eq(memmap_read(mem, gpa, hdr, sizeof(hdr)), 0);
		if (memcmp(hdr, sig, 4) == 0) {
			t = malloc(rd32(hdr + 4));
			cr_assert_eq(memmap_read(mem, gpa, t, rd32(hdr + 4)), 0);
			break;
		}
	}
	free(xsdt);
	return t;
}

Test(numa, linux_gets_srat_and_slit, .timeout = 120)
{
	char kernel[64];
	size_t len;
	uint8_t *elf = test_pvh_elf(&(struct test_pvh_note){ .name = "Xen",
							     .namesz = 4,
							     .type = 18,
							     .descsz = 8,
							     .entry = TEST_PVH_ENTRY },
				    &len);
	char *argv[] = { "run",
			 "--kernel",
			 kernel,
			 "--vcpus",
			 "4",
			 "--memory",
			 "3584M",
			 "--numa",
			 "node=0,cpus=0-1,memory=2G",
			 "--numa",
			 "node=1,cpus=2-3,memory=1536M",
			 "--numa",
			 "src=0,dst=1,distance=21",
			 "--console",
			 "none",
			 NULL };
	struct machine *m;
	uint8_t *srat, *slit;
	char *dsl;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(kernel, sizeof(kernel), elf, len), 0);
	free(elf);
	m = build((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	unlink(kernel);
	srat = guest_table(&m->vm->mem, "SRAT");
	slit = guest_table(&m->vm->mem, "SLIT");
	cr_assert(srat && slit, "SRAT %p SLIT %p", (void *)srat, (void *)slit);
	/* SRAT: 4 processor entries (16 bytes each), then 3 memory ranges (40 bytes each). */
	cr_assert_eq(rd32(srat + 4), 48 + 4 * 16 + 3 * 40);
	cr_expect_eq(srat[48 + 0 * 16 + 2], 0, "vCPU 0 in node 0");
	cr_expect_eq(srat[48 + 3 * 16 + 2], 1, "vCPU 3 in node 1");
	{
		const uint8_t *mem = srat + 48 + 64;
		static const uint64_t want[3][3] = { { 0, 2ULL << 30, 0 },
						     { 2ULL << 30, 1ULL << 30, 1 },
						     { 4ULL << 30, 512ULL << 20, 1 } };

		for (unsigned i = 0; i < 3; i++) {
			cr_expect_eq(rd32(mem + i * 40 + 2), want[i][2], "range %u node", i);
			cr_expect_eq(rd64(mem + i * 40 + 8), want[i][0], "range %u base", i);
			cr_expect_eq(rd64(mem + i * 40 + 16), want[i][1], "range %u size", i);
		}
	}
	cr_expect_eq(rd64(slit + 36), 2);
	cr_expect(slit[44] == 10 && slit[45] == 21 && slit[46] == 21 && slit[47] == 10);
	dsl = test_iasl_disassemble("srat", srat, rd32(srat + 4));
	cr_expect_eq(test_count(dsl, "[Processor Local APIC/SAPIC Affinity]"), 4, "%s", dsl);
	cr_expect_eq(test_count(dsl, "[Memory Affinity]"), 3, "%s", dsl);
	free(dsl);
	dsl = test_iasl_disassemble("slit", slit, rd32(slit + 4));
	cr_expect(strstr(dsl, "Localities : 0000000000000002"), "%s", dsl);
	free(dsl);
	free(srat);
	free(slit);
	machine_destroy(m);
}

Test(numa, host_node_binding_reads_back)
{
	char *argv[] = { "run",
			 "--guest",
			 "numa",
			 "--vcpus",
			 "2",
			 "--memory",
			 "64M",
			 "--numa",
			 "node=0,cpus=0,host-node=0",
			 "--numa",
			 "node=1,cpus=1",
			 "--console",
			 "none",
			 NULL };
	enum numa_mem_policy pol;
	uint64_t nodes = 0;
	struct machine *m;
	const struct memmap_table *t;
	const struct mem_region *r;
	uint8_t *hva;

	SKIP_WITHOUT_KVM();
	if (access("/sys/devices/system/node/node0", F_OK))
		cr_skip_test("the host kernel has no NUMA support");
	m = build((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	t = memmap_read_begin(&m->vm->mem);
	r = memmap_find_rcu(t, 0);
	cr_assert_not_null(r);
	hva = r->hva;
	memmap_read_end(&m->vm->mem);
	cr_assert_eq(numa_mem_query_policy(hva + 4096, &pol, &nodes), 0);
	cr_expect_eq(pol, NUMA_MEM_BIND, "node 0's RAM is bound (policy %d)", pol);
	cr_expect_eq(nodes, 1, "to host node 0 (nodes 0x%llx)", (unsigned long long)nodes);
	cr_assert_eq(numa_mem_query_policy(hva + 48 * MiB, &pol, &nodes), 0);
	cr_expect_eq(pol, NUMA_MEM_DEFAULT, "node 1 is not bound (policy %d)", pol);
	machine_destroy(m);
}
