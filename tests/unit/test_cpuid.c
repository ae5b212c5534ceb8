/*
 * test_cpuid.c - the guest CPU model (core/cpuid.h) on fabricated KVM_GET_SUPPORTED_CPUID
 * tables, one AMD-style and one Intel-style: APIC ids for 1..64 vCPUs in several topologies,
 * and every leaf that describes them (1, 4, 0xB, 0x80000008, 0x8000001E) consistent with
 * them; table size limits; the PVM-safe model and the paravirtual knobs. No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuid.h"

#define CAP 64

struct table {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[CAP];
};

static void add(struct table *t, uint32_t fn, uint32_t idx, uint32_t flags, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &t->e[t->hdr.nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = flags;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

static const uint32_t ECX_FEATURES = CPUID_1_ECX_SSE3 | CPUID_1_ECX_CX16 | CPUID_1_ECX_X2APIC |
				     CPUID_1_ECX_POPCNT | CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE |
				     CPUID_1_ECX_AVX;

/* "AuthenticAMD", with the extended topology leaves. */
static void amd_table(struct table *t)
{
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65);
	add(t, 1, 0, 0, 0x00a50f00, 0xffff0800, ECX_FEATURES, 0x178bfbff);
	add(t, 0xb, 0, SIG, 0xdead, 0xdead, 0xdead, 0xdead); /* replaced by strand */
	add(t, 0xb, 1, SIG, 0xdead, 0xdead, 0xdead, 0xdead);
	add(t, 0xd, 0, SIG, 0x7, 0x340, 0x340, 0);
	add(t, 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, 0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(t, 0x80000000, 0, 0, 0x80000021, 0x68747541, 0x444d4163, 0x69746e65);
	add(t, 0x80000001, 0, 0, 0, 0, CPUID_80000001_ECX_ABM | CPUID_80000001_ECX_TOPOEXT, 0);
	add(t, 0x80000008, 0, 0, 0x3030, 0, 0xffff, 0);
	add(t, 0x8000001e, 0, 0, 0x1234, 0x5678, 0x9abc, 0);
}

/* "GenuineIntel", with deterministic cache parameters (leaf 4) for L1d, L1i, L2, L3. */
static void intel_table(struct table *t)
{
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0, 0x1b, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(t, 1, 0, 0, 0x000906ea, 0x00000800, ECX_FEATURES, 0xbfebfbff);
	/* eax: type in 4:0, level in 7:5, garbage in the count fields strand rewrites. */
	add(t, 4, 0, SIG, 0xfc000000 | (1 << 5) | 1, 0x01c0003f, 0x3f, 0);
	add(t, 4, 1, SIG, 0xfc000000 | (1 << 5) | 2, 0x01c0003f, 0x3f, 0);
	add(t, 4, 2, SIG, 0xfc000000 | (2 << 5) | 3, 0x01c0003f, 0x3ff, 0);
	add(t, 4, 3, SIG, 0xfc000000 | (3 << 5) | 3, 0x03c0003f, 0x3fff, 0);
	add(t, 4, 4, SIG, 0, 0, 0, 0);	      /* no more caches */
	add(t, 0x1f, 0, SIG, 1, 1, 0x100, 0); /* dropped: strand only describes 0xB */
	add(t, 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, 0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(t, 0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	add(t, 0x80000001, 0, 0, 0, 0, CPUID_80000001_ECX_ABM, 0x2c100800);
	add(t, 0x80000008, 0, 0, 0x3027, 0, 0, 0);
}

static int build(const struct table *sup, const struct cpu_topology *topo, unsigned index,
		 const struct cpuid_opts *o, struct table *out)
{
	memset(out, 0, sizeof(*out));
	out->hdr.nent = CAP;
	return cpuid_build(&sup->hdr, topo, index, o, &out->hdr);
}

static struct kvm_cpuid_entry2 *leaf(struct table *t, uint32_t fn, uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(&t->hdr, fn, idx);

	cr_assert_not_null(e, "leaf 0x%x.%u missing", fn, idx);
	return e;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static const struct cpu_topology topos[] = {
	{ 1, 1, 1 },  { 1, 2, 1 }, { 1, 3, 1 }, { 1, 4, 2 }, { 2, 1, 1 },
	{ 2, 2, 2 },  { 2, 3, 2 }, { 3, 5, 1 }, { 4, 4, 4 }, { 1, 64, 1 },
	{ 2, 16, 2 }, { 8, 1, 8 }, { 1, 1, 4 }, { 4, 2, 1 }, { 1, 5, 3 },
};

Test(cpuid, topology_helpers)
{
	struct cpu_topology t;

	for (unsigned n = 1; n <= 64; n++) {
		cpu_topology_default(&t, n);
		cr_expect_eq(t.sockets, 1);
		cr_expect_eq(t.threads, 1);
		cr_expect_eq(cpu_topology_count(&t), n);
		cr_expect_eq(cpu_topology_smt_bits(&t), 0);
		cr_expect_eq(cpu_topology_pkg_shift(&t), bits_for(n));
		for (unsigned i = 0; i < n; i++)
			cr_expect_eq(cpu_topology_apic_id(&t, i), i, "default ids are dense");
	}
	t = (struct cpu_topology){ 2, 3, 2 };
	cr_expect_eq(cpu_topology_smt_bits(&t), 1);
	cr_expect_eq(cpu_topology_pkg_shift(&t), 3);
	/* socket 1, core 2, thread 1 */
	cr_expect_eq(cpu_topology_apic_id(&t, 11), (1u << 3) | (2u << 1) | 1u);
}

/* Every vCPU of topology t, against one supported table: ids and all leaves agree. */
static void check_topology(const struct table *sup, const struct cpu_topology *t, bool amd)
{
	unsigned n = cpu_topology_count(t), smt = bits_for(t->threads);
	unsigned shift = smt + bits_for(t->cores), per_pkg = t->cores * t->threads;
	uint8_t seen[1024] = { 0 };
	struct table out, orig = *sup;
	struct kvm_cpuid_entry2 *e;

	for (unsigned i = 0; i < n; i++) {
		unsigned thread = i % t->threads, core = (i / t->threads) % t->cores;
		unsigned socket = i / per_pkg;
		uint32_t id = cpu_topology_apic_id(t, i);

		cr_assert_lt(id, sizeof(seen));
		cr_expect_not(seen[id], "%ux%ux%u: APIC id %u given twice", t->sockets, t->cores,
			      t->threads, id);
		seen[id] = 1;
		/* The id decomposes into the vCPU's place. */
		cr_expect_eq(id & ((1u << smt) - 1), thread);
		cr_expect_eq((id >> smt) & ((1u << (shift - smt)) - 1), core);
		cr_expect_eq(id >> shift, socket);

		cr_assert_eq(build(sup, t, i, NULL, &out), 0);
		cr_expect_geq(leaf(&out, 0, 0)->eax, 0xb, "max leaf must cover 0xB");
		e = leaf(&out, 1, 0);
		cr_expect_eq(e->ebx >> 24, id & 0xff, "leaf 1 EBX[31:24]");
		cr_expect_eq((e->ebx >> 16) & 0xff, MIN(1u << shift, 255u), "leaf 1 EBX[23:16]");
		cr_expect_eq(e->ebx & 0xffff, 0x0800, "leaf 1 EBX[15:0] kept");
		cr_expect_eq(!!(e->edx & CPUID_1_EDX_HTT), per_pkg > 1);
		cr_expect(e->ecx & CPUID_1_ECX_HYPERVISOR);
		cr_expect_eq(e->ecx & ECX_FEATURES, ECX_FEATURES, "features kept without pvm_safe");

		/* 0xB: SMT level, core level, then the end. */
		e = leaf(&out, 0xb, 0);
		cr_expect_eq(e->eax & 0x1f, smt);
		cr_expect_eq(e->ebx & 0xffff, t->threads);
		cr_expect_eq(e->ecx & 0xff, 0);
		cr_expect_eq((e->ecx >> 8) & 0xff, 1, "level type SMT");
		cr_expect_eq(e->edx, id, "x2APIC id");
		e = leaf(&out, 0xb, 1);
		cr_expect_eq(e->eax & 0x1f, shift);
		cr_expect_eq(e->ebx & 0xffff, per_pkg);
		cr_expect_eq(e->ecx & 0xff, 1);
		cr_expect_eq((e->ecx >> 8) & 0xff, 2, "level type core");
		cr_expect_eq(e->edx, id);
		e = leaf(&out, 0xb, 2);
		cr_expect_eq(e->eax, 0);
		cr_expect_eq(e->ebx, 0);
		cr_expect_eq(e->ecx & 0xff, 2);
		cr_expect_eq((e->ecx >> 8) & 0xff, 0, "level type invalid ends the list");
		cr_expect_eq(e->edx, id);
		for (uint32_t k = 0; k < out.hdr.nent; k++)
			cr_expect_neq(out.e[k].function, 0x1f, "leaf 0x1F passed through");

		if (amd) {
			e = leaf(&out, 0x80000008, 0);
			cr_expect_eq(e->ecx & 0xff, per_pkg - 1, "NC");
			cr_expect_eq((e->ecx >> 12) & 0xf, shift, "ApicIdCoreIdSize");
			cr_expect_eq(e->ecx & 0xffff0000u, 0, "other bits kept (zero here)");
			e = leaf(&out, 0x8000001e, 0);
			cr_expect_eq(e->eax, id, "extended APIC id");
			cr_expect_eq((e->ebx >> 8) & 0xff, t->threads - 1, "threads per core - 1");
			cr_expect_eq(e->ebx & 0xff, (id >> smt) & 0xff, "core id");
			cr_expect_eq(e->ecx & 0xff, socket, "node id");
			e = leaf(&out, 0x80000001, 0);
			cr_expect_eq(!!(e->ecx & CPUID_80000001_ECX_CMP_LEGACY), per_pkg > 1);
		} else {
			unsigned caches = 0;

			for (uint32_t sub = 0; sub < 5; sub++) {
				uint32_t eax = leaf(&out, 4, sub)->eax, level = (eax >> 5) & 7;

				if ((eax & 0x1f) == 0)
					continue;
				caches++;
				cr_expect_eq(eax >> 26, (1u << (shift - smt)) - 1,
					     "leaf 4.%u cores per package", sub);
				cr_expect_eq((eax >> 14) & 0xfff,
					     level <= 2 ? (1u << smt) - 1 : (1u << shift) - 1,
					     "leaf 4.%u (L%u) threads sharing", sub, level);
				cr_expect_eq(eax & 0x3fff,
					     cpuid_find(&orig.hdr, 4, sub)->eax & 0x3fff,
					     "leaf 4.%u type and level kept", sub);
			}
			cr_expect_eq(caches, 4);
			cr_expect_eq(leaf(&out, 4, 4)->eax, 0, "the end marker stays zero");
			cr_expect_eq(leaf(&out, 0x80000008, 0)->ecx, 0, "AMD leaf untouched");
		}
	}
}

Test(cpuid, amd_topologies)
{
	struct table sup;
	struct cpu_topology t;

	amd_table(&sup);
	for (unsigned n = 1; n <= 64; n++) {
		cpu_topology_default(&t, n);
		check_topology(&sup, &t, true);
	}
	for (unsigned i = 0; i < sizeof(topos) / sizeof(topos[0]); i++)
		check_topology(&sup, &topos[i], true);
}

Test(cpuid, intel_topologies)
{
	struct table sup;
	struct cpu_topology t;

	intel_table(&sup);
	for (unsigned n = 1; n <= 64; n++) {
		cpu_topology_default(&t, n);
		check_topology(&sup, &t, false);
	}
	for (unsigned i = 0; i < sizeof(topos) / sizeof(topos[0]); i++)
		check_topology(&sup, &topos[i], false);
}

/* Leaf 1 EBX[23:16] is 8 bits: 256 and more logical processors per package clamp to 255. */
Test(cpuid, leaf1_logical_count_clamps_at_255)
{
	static const unsigned counts[] = { 128, 255, 256, 1024 };
	static const unsigned want[] = { 128, 255, 255, 255 };
	struct table sup[2], out;
	struct cpu_topology t;

	amd_table(&sup[0]);
	intel_table(&sup[1]);
	for (unsigned v = 0; v < 2; v++) {
		for (unsigned k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			unsigned n = counts[k];

			t = (struct cpu_topology){ 1, n, 1 };
			for (unsigned i = 0; i < n; i += n / 4 + 1) {
				struct kvm_cpuid_entry2 *e;

				cr_assert_eq(build(&sup[v], &t, i, NULL, &out), 0, "%u vCPUs", n);
				e = leaf(&out, 1, 0);
				cr_expect_eq((e->ebx >> 16) & 0xff, want[k],
					     "%s, %u vCPUs in one package: EBX[23:16] = %u",
					     v ? "Intel" : "AMD", n, (e->ebx >> 16) & 0xff);
				cr_expect_eq(e->ebx >> 24, cpu_topology_apic_id(&t, i) & 0xff);
				cr_expect(e->edx & CPUID_1_EDX_HTT);
			}
		}
	}
}

Test(cpuid, sizes_and_bad_input)
{
	struct table sup, out;
	struct cpu_topology t = { 1, 4, 1 }, empty = { 0, 4, 1 };
	uint32_t passed;

	amd_table(&sup);
	passed = sup.hdr.nent - 2; /* the two 0xB entries are not copied */
	memset(&out, 0, sizeof(out));
	for (uint32_t cap = 0; cap < passed + 3; cap++) {
		out.hdr.nent = cap;
		cr_expect_eq(cpuid_build(&sup.hdr, &t, 0, NULL, &out.hdr), -E2BIG,
			     "capacity %u accepted", cap);
	}
	out.hdr.nent = passed + 3;
	cr_expect_eq(cpuid_build(&sup.hdr, &t, 0, NULL, &out.hdr), 0);
	cr_expect_eq(out.hdr.nent, passed + 3);
	cr_expect_eq(build(&sup, &t, 4, NULL, &out), -EINVAL, "index beyond the topology");
	cr_expect_eq(build(&sup, &empty, 0, NULL, &out), -EINVAL);
	empty = (struct cpu_topology){ 1, 0, 1 };
	cr_expect_eq(build(&sup, &empty, 0, NULL, &out), -EINVAL);
	empty = (struct cpu_topology){ 1, 1, 0 };
	cr_expect_eq(build(&sup, &empty, 0, NULL, &out), -EINVAL);
}

Test(cpuid, pvm_safe_and_pv_knobs)
{
	struct table sup, out;
	struct cpu_topology t = { 1, 2, 1 };
	struct cpuid_opts o = { .pvm_safe = true, .pv_clear = 0x8, .pv_hints_set = 1 };
	struct kvm_cpuid_entry2 *e;

	for (int vendor = 0; vendor < 2; vendor++) {
		if (vendor)
			intel_table(&sup);
		else
			amd_table(&sup);
		cr_assert_eq(build(&sup, &t, 1, &o, &out), 0);
		e = leaf(&out, 1, 0);
		cr_expect_eq(e->ecx & (CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT | CPUID_1_ECX_XSAVE |
				       CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX),
			     0, "pvm_safe left an instruction the emulator cannot run");
		cr_expect(e->ecx & CPUID_1_ECX_SSE3, "pvm_safe hid too much");
		cr_expect(e->ecx & CPUID_1_ECX_X2APIC);
		e = leaf(&out, 0x40000001, 0);
		cr_expect_eq(e->eax, 0x01007afb & ~0x8u);
		cr_expect_eq(e->edx, 1);
		if (!vendor)
			cr_expect_eq(leaf(&out, 0x80000001, 0)->ecx & CPUID_80000001_ECX_ABM, 0,
				     "AMD popcnt (ABM) not hidden");
		/* Without options nothing is hidden and the PV leaf is as KVM gave it. */
		cr_assert_eq(build(&sup, &t, 1, NULL, &out), 0);
		cr_expect_eq(leaf(&out, 1, 0)->ecx & ECX_FEATURES, ECX_FEATURES);
		cr_expect_eq(leaf(&out, 0x40000001, 0)->eax, 0x01007afb);
	}
	/* The supported table is never modified. */
	intel_table(&out);
	cr_expect_eq(memcmp(&out, &sup, sizeof(sup)), 0);
}

Test(cpuid, find_respects_the_index)
{
	struct table t;

	intel_table(&t);
	cr_expect_eq(cpuid_find(&t.hdr, 4, 2)->eax & 0x1f, 3);
	cr_expect_eq(cpuid_find(&t.hdr, 4, 3)->eax >> 5 & 7, 3);
	cr_expect_null(cpuid_find(&t.hdr, 4, 9));
	/* A leaf without a significant index matches any index. */
	cr_expect_not_null(cpuid_find(&t.hdr, 1, 7));
	cr_expect_null(cpuid_find(&t.hdr, 0x12345, 0));
}
