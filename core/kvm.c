/* kvm.c - /dev/kvm probing. Main thread at startup. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/kvm.h"

static const char *const kind_names[] = {
	[KVM_KIND_UNKNOWN] = "unknown",
	[KVM_KIND_VMX] = "hardware (VMX, kvm_intel)",
	[KVM_KIND_SVM] = "hardware (SVM, kvm_amd)",
	[KVM_KIND_PVM] = "PVM (kvm_pvm, software nested virtualization)",
};

const char *kvm_kind_name(enum kvm_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "?";
}

enum kvm_kind kvm_detect_kind(void)
{
	struct stat st;

	if (stat("/sys/module/kvm_pvm", &st) == 0)
		return KVM_KIND_PVM;
	if (stat("/sys/module/kvm_intel", &st) == 0)
		return KVM_KIND_VMX;
	if (stat("/sys/module/kvm_amd", &st) == 0)
		return KVM_KIND_SVM;
	return KVM_KIND_UNKNOWN;
}

int kvm_check_cap(const struct kvm_sys *k, long cap)
{
	int r = ioctl(k->fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int probe_cpuid(struct kvm_sys *k)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c =
			calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));

		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (ioctl(k->fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			k->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

static int probe_msrs(struct kvm_sys *k)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *l;

	if (ioctl(k->fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	if (!l)
		return -ENOMEM;
	l->nmsrs = probe.nmsrs;
	if (ioctl(k->fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		int ret = -errno;

		free(l);
		return ret;
	}
	k->msrs = l;
	return 0;
}

int kvm_open(struct kvm_sys *k, const char *path)
{
	int ret;

	memset(k, 0, sizeof(*k));
	k->fd = open(path, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	k->api_version = ioctl(k->fd, KVM_GET_API_VERSION, 0);
	if (k->api_version != KVM_API_VERSION) {
		ret = -ENODEV;
		goto err_close;
	}
	k->vcpu_mmap_size = ioctl(k->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		ret = -ENODEV;
		goto err_close;
	}
	k->kind = kvm_detect_kind();
	k->rec_vcpus = kvm_check_cap(k, KVM_CAP_NR_VCPUS);
	k->max_vcpus = kvm_check_cap(k, KVM_CAP_MAX_VCPUS);
	if (k->max_vcpus <= 0)
		k->max_vcpus = k->rec_vcpus > 0 ? k->rec_vcpus : 4;
	k->nr_memslots = kvm_check_cap(k, KVM_CAP_NR_MEMSLOTS);
	k->has_irqchip = kvm_check_cap(k, KVM_CAP_IRQCHIP) > 0;
	k->has_pit2 = kvm_check_cap(k, KVM_CAP_PIT2) > 0;
	k->has_ioeventfd = kvm_check_cap(k, KVM_CAP_IOEVENTFD) > 0;
	k->has_irqfd = kvm_check_cap(k, KVM_CAP_IRQFD) > 0;
	k->has_immediate_exit = kvm_check_cap(k, KVM_CAP_IMMEDIATE_EXIT) > 0;
	k->has_halt_poll = kvm_check_cap(k, KVM_CAP_HALT_POLL) > 0;
	k->has_binary_stats = kvm_check_cap(k, KVM_CAP_BINARY_STATS_FD) > 0;
	k->has_tsc_khz = kvm_check_cap(k, KVM_CAP_GET_TSC_KHZ) > 0;
	k->has_sync_regs = kvm_check_cap(k, KVM_CAP_SYNC_REGS) > 0;
	k->has_vcpu_events = kvm_check_cap(k, KVM_CAP_VCPU_EVENTS) > 0;
	k->has_enforce_pv_cpuid = kvm_check_cap(k, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) > 0;
	k->disable_exits_mask = kvm_check_cap(k, KVM_CAP_X86_DISABLE_EXITS);
	if (!k->has_irqchip || !k->has_immediate_exit) {
		ret = -ENODEV;
		goto err_close;
	}
	ret = probe_cpuid(k);
	if (ret)
		goto err_close;
	ret = probe_msrs(k);
	if (ret)
		goto err_cpuid;
	return 0;
err_cpuid:
	free(k->cpuid);
err_close:
	close(k->fd);
	k->fd = -1;
	return ret;
}

void kvm_close(struct kvm_sys *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->cpuid);
	free(k->msrs);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

const struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *c, uint32_t function,
					      uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}
