/* msr.c - tolerant MSR reset for new vCPUs. Main thread. */
#include <errno.h>
#include <sys/ioctl.h>

#include "core/msr.h"
#include "core/vcpu.h"
#include "core/vm.h"

static bool kvm_lists_msr(const struct kvm_sys *k, uint32_t index)
{
	for (uint32_t i = 0; i < k->msrs->nmsrs; i++) {
		if (k->msrs->indices[i] == index)
			return true;
	}
	return false;
}

/* Host value of a feature MSR (KVM_GET_MSRS on the system fd), as QEMU's -cpu host passes. */
static bool feature_msr(const struct kvm_sys *k, uint32_t index, uint64_t *val)
{
	/* struct kvm_msrs ends in a flexible array: room for one entry after it. */
	uint64_t raw[(sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)) / 8] = { 0 };
	struct kvm_msrs *msrs = (struct kvm_msrs *)raw;

	msrs->nmsrs = 1;
	msrs->entries[0].index = index;
	if (ioctl(k->fd, KVM_GET_MSRS, msrs) != 1)
		return false;
	*val = msrs->entries[0].data;
	return true;
}

int vcpu_reset_msrs(struct vcpu *vcpu)
{
	const struct kvm_sys *k = vcpu->vm->kvm;
	const struct {
		uint32_t index;
		uint64_t value;
	} reset[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 }, /* fast strings */
		{ MSR_IA32_CR_PAT, 0x0007040600070406ULL },
		{ MSR_TSC_AUX, vcpu->index },
	};
	struct kvm_msr_entry e[ARRAY_SIZE(reset) + 1];
	unsigned n = 0;
	uint64_t v;

	for (unsigned i = 0; i < ARRAY_SIZE(reset); i++) {
		if (!kvm_lists_msr(k, reset[i].index))
			continue;
		e[n] = (struct kvm_msr_entry){ .index = reset[i].index, .data = reset[i].value };
		n++;
	}
	/* Passed through when the host has it; PVM refuses the write, which we tolerate. */
	if (feature_msr(k, MSR_IA32_ARCH_CAPABILITIES, &v))
		e[n++] = (struct kvm_msr_entry){ .index = MSR_IA32_ARCH_CAPABILITIES, .data = v };
	return vcpu_set_msrs_tolerant(vcpu, e, n);
}
