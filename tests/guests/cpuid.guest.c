/*
 * cpuid - prints the CPU model the guest sees (leaves 1, 7, 0xd, 0x80000001 and the KVM
 * paravirtual leaf) from every vCPU, with its APIC ids; with expect-hidden=1 it asserts that
 * the pvm-safe model hid CX16, POPCNT, XSAVE and AVX. Run it at --guest-cpl 0 to see what
 * the guest kernel would see (CPUID at CPL 3 may run natively on some hosts).
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_BOOL("expect-hidden", 0,
		    "assert that the pvm-safe model hid CX16, POPCNT, XSAVE, AVX"));

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

int guest_main(unsigned cpu)
{
	uint32_t l1[4], l7[4], ld[4], e1[4], kvm[4], kvmf[4];

	cpuid(1, 0, l1);
	cpuid(7, 0, l7);
	cpuid(0xd, 0, ld);
	cpuid(0x80000001, 0, e1);
	cpuid(0x40000000, 0, kvm);
	cpuid(0x40000001, 0, kvmf);
	sg_printf("cpu%u: apic %u leaf1 ecx %08x edx %08x leaf7 ebx %08x ecx %08x "
		  "leafd eax %08x 80000001 ecx %08x edx %08x kvm max %08x features %08x\n",
		  cpu, l1[1] >> 24, l1[2], l1[3], l7[1], l7[2], ld[0], e1[2], e1[3], kvm[0],
		  kvmf[0]);
	if (sg_arg_u64("expect-hidden")) {
		GUEST_ASSERT_MSG(!(l1[2] & (1u << 13)), "CX16 visible");
		GUEST_ASSERT_MSG(!(l1[2] & (1u << 23)), "POPCNT visible");
		GUEST_ASSERT_MSG(!(l1[2] & (1u << 26)), "XSAVE visible");
		GUEST_ASSERT_MSG(!(l1[2] & (1u << 28)), "AVX visible");
	}
	GUEST_ASSERT_MSG(l1[1] >> 24 == (sg_boot->apic_ids[cpu] & 0xff), "APIC id mismatch");
	return 0;
}
