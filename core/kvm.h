/*
 * kvm.h - the /dev/kvm system handle: capability probing, supported CPUID and MSRs, and what
 * kind of KVM this is (hardware VMX/SVM, or PVM: software nested virtualization).
 *
 * Opened once by the main thread before any VM; read-only afterwards, so any thread may read it.
 */
#ifndef STRAND_CORE_KVM_H
#define STRAND_CORE_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

enum kvm_kind {
	KVM_KIND_UNKNOWN = 0,
	KVM_KIND_VMX, /* kvm_intel */
	KVM_KIND_SVM, /* kvm_amd */
	KVM_KIND_PVM, /* kvm_pvm: guest CPL 0 is emulated, some instructions not at all */
};

struct kvm_sys {
	int fd;
	enum kvm_kind kind;
	int api_version;
	int vcpu_mmap_size;
	int max_vcpus; /* KVM_CAP_MAX_VCPUS */
	int rec_vcpus; /* KVM_CAP_NR_VCPUS (recommended) */
	int nr_memslots;
	struct kvm_cpuid2 *cpuid;  /* KVM_GET_SUPPORTED_CPUID */
	struct kvm_msr_list *msrs; /* KVM_GET_MSR_INDEX_LIST */
	int disable_exits_mask;	   /* KVM_CAP_X86_DISABLE_EXITS */
	bool has_irqchip, has_pit2, has_ioeventfd, has_irqfd, has_immediate_exit;
	bool has_halt_poll, has_binary_stats, has_tsc_khz, has_sync_regs, has_vcpu_events;
	bool has_enforce_pv_cpuid;
};

/*
 * Open and probe KVM at `path` ("/dev/kvm"). Returns -ENOENT (no such device), -EACCES
 * (permission), -ENODEV (not KVM or unsupported API), or another negative errno.
 */
int __must_check kvm_open(struct kvm_sys *k, const char *path);
void kvm_close(struct kvm_sys *k);

int kvm_check_cap(const struct kvm_sys *k, long cap);
const char *kvm_kind_name(enum kvm_kind kind);
/* From /sys/module: which KVM vendor module is loaded (does not need /dev/kvm). */
enum kvm_kind kvm_detect_kind(void);

/* Supported CPUID entry for (function, index), or NULL. */
const struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *c, uint32_t function,
					      uint32_t index);

#endif
