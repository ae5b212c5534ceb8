/*
 * cpuid.h - the guest CPU model: CPUID leaves built from KVM_GET_SUPPORTED_CPUID, with APIC ids
 * and topology leaves consistent for N vCPUs, the KVM paravirtual leaves, and features hidden
 * on request (the PVM-safe model, paravirtual feature knobs).
 *
 * Pure functions over caller-provided buffers; any thread. Unit-tested without KVM.
 */
#ifndef STRAND_CORE_CPUID_H
#define STRAND_CORE_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

/* Guest CPU topology: sockets x cores x threads = number of vCPUs. */
struct cpu_topology {
	unsigned sockets;
	unsigned cores;	  /* per socket */
	unsigned threads; /* per core */
};

/* Default topology for n vCPUs: one socket, n cores, one thread each. */
void cpu_topology_default(struct cpu_topology *t, unsigned n);
unsigned cpu_topology_count(const struct cpu_topology *t);
/* Bits of the APIC id used by threads (SMT) and by threads+cores below the socket. */
unsigned cpu_topology_smt_bits(const struct cpu_topology *t);
unsigned cpu_topology_pkg_shift(const struct cpu_topology *t);
/* x2APIC id of vCPU `index` (0-based, socket-major then core then thread). */
uint32_t cpu_topology_apic_id(const struct cpu_topology *t, unsigned index);

/* KVM paravirtual features (CPUID 0x40000001 EAX bits, KVM_FEATURE_*). */
struct cpuid_opts {
	uint32_t pv_clear;     /* KVM_FEATURE_* bits to clear from what KVM supports */
	uint32_t pv_hints_set; /* 0x40000001 EDX: KVM_HINTS_REALTIME */
	bool pvm_safe;	       /* hide instructions this PVM host cannot emulate */
};

/*
 * Fill `out` (capacity out->nent entries on entry; entry count on return) with the CPUID for
 * vCPU `index`. Returns -E2BIG if out is too small, -EINVAL for an empty topology.
 */
int __must_check cpuid_build(const struct kvm_cpuid2 *supported, const struct cpu_topology *t,
			     unsigned index, const struct cpuid_opts *opts, struct kvm_cpuid2 *out);

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);

/* CPUID.1 ECX / EDX and 0x80000001 bits we touch, named. */
#define CPUID_1_ECX_SSE3	      (1u << 0)
#define CPUID_1_ECX_CX16	      (1u << 13)
#define CPUID_1_ECX_X2APIC	      (1u << 21)
#define CPUID_1_ECX_POPCNT	      (1u << 23)
#define CPUID_1_ECX_TSC_DEADLINE      (1u << 24)
#define CPUID_1_ECX_XSAVE	      (1u << 26)
#define CPUID_1_ECX_OSXSAVE	      (1u << 27)
#define CPUID_1_ECX_AVX		      (1u << 28)
#define CPUID_1_ECX_RDRAND	      (1u << 30)
#define CPUID_1_ECX_HYPERVISOR	      (1u << 31)
#define CPUID_7_EBX_FSGSBASE	      (1u << 0)
#define CPUID_7_EBX_RDSEED	      (1u << 18)
#define CPUID_7_EBX_SMAP	      (1u << 20)
#define CPUID_1_EDX_HTT		      (1u << 28)
#define CPUID_80000001_ECX_CMP_LEGACY (1u << 1)
#define CPUID_80000001_ECX_ABM	      (1u << 5) /* lzcnt (and popcnt on AMD) */
#define CPUID_80000001_ECX_TOPOEXT    (1u << 22)

#endif
