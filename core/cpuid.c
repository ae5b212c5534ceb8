/* cpuid.c - CPUID construction for N vCPUs. Pure; any thread. */
#include <errno.h>
#include <string.h>

#include "core/cpuid.h"

void cpu_topology_default(struct cpu_topology *t, unsigned n)
{
	t->sockets = 1;
	t->cores = n;
	t->threads = 1;
}

unsigned cpu_topology_count(const struct cpu_topology *t)
{
	return t->sockets * t->cores * t->threads;
}

static unsigned order(unsigned n)
{
	unsigned bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

unsigned cpu_topology_smt_bits(const struct cpu_topology *t)
{
	return order(t->threads);
}

unsigned cpu_topology_pkg_shift(const struct cpu_topology *t)
{
	return order(t->threads) + order(t->cores);
}

uint32_t cpu_topology_apic_id(const struct cpu_topology *t, unsigned index)
{
	unsigned thread = index % t->threads;
	unsigned core = (index / t->threads) % t->cores;
	unsigned socket = index / (t->threads * t->cores);

	return (socket << cpu_topology_pkg_shift(t)) | (core << cpu_topology_smt_bits(t)) | thread;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

static bool vendor_is_intel(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 0)
			return c->entries[i].ebx == 0x756e6547; /* "Genu" */
	}
	return false;
}

static struct kvm_cpuid_entry2 *append(struct kvm_cpuid2 *out, uint32_t cap, uint32_t function,
				       uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e;

	if (out->nent >= cap)
		return NULL;
	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = flags;
	return e;
}

int cpuid_build(const struct kvm_cpuid2 *supported, const struct cpu_topology *t, unsigned index,
		const struct cpuid_opts *opts, struct kvm_cpuid2 *out)
{
	uint32_t cap = out->nent;
	uint32_t apic_id, smt_bits, pkg_shift, per_pkg;
	bool intel = vendor_is_intel(supported);
	struct kvm_cpuid_entry2 *e;

	if (!t->sockets || !t->cores || !t->threads || index >= cpu_topology_count(t))
		return -EINVAL;
	apic_id = cpu_topology_apic_id(t, index);
	smt_bits = cpu_topology_smt_bits(t);
	pkg_shift = cpu_topology_pkg_shift(t);
	per_pkg = t->cores * t->threads;

	out->nent = 0;
	for (uint32_t i = 0; i < supported->nent; i++) {
		const struct kvm_cpuid_entry2 *s = &supported->entries[i];

		/* Leaves we construct ourselves below. */
		if (s->function == 0xb || s->function == 0x1f)
			continue;
		if (out->nent >= cap)
			return -E2BIG;
		out->entries[out->nent++] = *s;
	}

	if ((e = cpuid_find(out, 0, 0)) && e->eax < 0xb)
		e->eax = 0xb;
	if ((e = cpuid_find(out, 1, 0))) {
		e->ebx &= 0x0000ffffu;
		e->ebx |= (apic_id & 0xff) << 24;
		/*
		 * Logical processors per package (the APIC id space): 8 bits, so 256 and more
		 * would wrap to a small count; clamp to 255 as hardware and QEMU do.
		 */
		e->ebx |= MIN(1u << pkg_shift, 255u) << 16;
		if (per_pkg > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (opts && opts->pvm_safe) {
			/*
			 * PVM emulates guest CPL-0 code in KVM's instruction emulator, which
			 * cannot execute these (measured: SLUB's cmpxchg16b, FPU init's xrstor,
			 * popcnt). Hiding them makes the guest use its fallbacks.
			 */
			e->ecx &= ~(CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT | CPUID_1_ECX_XSAVE |
				    CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX | CPUID_1_ECX_RDRAND);
		}
	}
	/*
	 * The same for leaf 7: rd/wr{fs,gs}base, rdseed, and SMAP (each user access would be a
	 * clac/stac assist, tens of microseconds).
	 */
	if (opts && opts->pvm_safe && (e = cpuid_find(out, 7, 0)))
		e->ebx &= ~(CPUID_7_EBX_FSGSBASE | CPUID_7_EBX_RDSEED | CPUID_7_EBX_SMAP);
	/* Intel deterministic cache parameters carry core/thread counts too. */
	for (uint32_t i = 0; intel && i < out->nent; i++) {
		e = &out->entries[i];
		if (e->function != 4 || (e->eax & 0x1f) == 0)
			continue;
		e->eax &= 0x3fffu;
		e->eax |= ((1u << (pkg_shift - smt_bits)) - 1) << 26;
		e->eax |= ((e->eax >> 5) & 7) <= 2 ? ((1u << smt_bits) - 1) << 14 :
						     ((1u << pkg_shift) - 1) << 14;
	}
	/* Extended topology, leaf 0xB: SMT level, core level, then the invalid level. */
	for (uint32_t sub = 0; sub < 3; sub++) {
		e = append(out, cap, 0xb, sub, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		if (!e)
			return -E2BIG;
		e->edx = apic_id;
		e->ecx = sub;
		if (sub == 0) {
			e->eax = smt_bits;
			e->ebx = t->threads;
			e->ecx |= 1u << 8;
		} else if (sub == 1) {
			e->eax = pkg_shift;
			e->ebx = per_pkg;
			e->ecx |= 2u << 8;
		}
	}
	if (!intel) {
		if ((e = cpuid_find(out, 0x80000001, 0))) {
			if (per_pkg > 1)
				e->ecx |= CPUID_80000001_ECX_CMP_LEGACY;
			else
				e->ecx &= ~CPUID_80000001_ECX_CMP_LEGACY;
			if (opts && opts->pvm_safe)
				e->ecx &= ~CPUID_80000001_ECX_ABM;
		}
		if ((e = cpuid_find(out, 0x80000008, 0))) {
			e->ecx &= ~0xf0ffu;
			e->ecx |= (per_pkg - 1) & 0xff;
			e->ecx |= (pkg_shift & 0xf) << 12;
		}
		if ((e = cpuid_find(out, 0x8000001e, 0))) {
			e->eax = apic_id;
			e->ebx = ((t->threads - 1) << 8) | ((apic_id >> smt_bits) & 0xff);
			e->ecx = index / per_pkg;
		}
	}
	/* KVM paravirtual leaves. */
	if ((e = cpuid_find(out, 0x40000001, 0)) && opts) {
		e->eax &= ~opts->pv_clear;
		e->edx |= opts->pv_hints_set;
	}
	return 0;
}
