/*
 * msr.h - architectural MSR reset values for a new vCPU, written tolerantly: only MSRs KVM
 * lists are written, and one KVM refuses (seen on PVM: IA32_ARCH_CAPABILITIES, 0x10a) is
 * skipped and counted instead of failing the VM. Main thread, before vm_start.
 */
#ifndef STRAND_CORE_MSR_H
#define STRAND_CORE_MSR_H

#include "util/compiler.h"

struct vcpu;

#define MSR_IA32_TSC		   0x00000010
#define MSR_IA32_APICBASE	   0x0000001b
#define MSR_IA32_ARCH_CAPABILITIES 0x0000010a
#define MSR_IA32_SYSENTER_CS	   0x00000174
#define MSR_IA32_SYSENTER_ESP	   0x00000175
#define MSR_IA32_SYSENTER_EIP	   0x00000176
#define MSR_IA32_MISC_ENABLE	   0x000001a0
#define MSR_IA32_CR_PAT		   0x00000277
#define MSR_STAR		   0xc0000081
#define MSR_LSTAR		   0xc0000082
#define MSR_CSTAR		   0xc0000083
#define MSR_SYSCALL_MASK	   0xc0000084
#define MSR_KERNEL_GS_BASE	   0xc0000102
#define MSR_TSC_AUX		   0xc0000103

/* Write reset values; returns the number KVM refused (>= 0) or a negative errno. */
int vcpu_reset_msrs(struct vcpu *vcpu);

#endif
