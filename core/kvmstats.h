/*
 * kvmstats.h - KVM's binary statistics (KVM_GET_STATS_FD) for a VM or a vCPU: exits by
 * reason, halt polling, and whatever else this kernel exports, read by name.
 *
 * Opened by the main thread; read from any thread (pread on the fd, no shared state beyond
 * the immutable descriptor table).
 */
#ifndef STRAND_CORE_KVMSTATS_H
#define STRAND_CORE_KVMSTATS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

struct kvm_stat_desc {
	char name[48];
	uint32_t flags; /* KVM_STATS_TYPE_*, _UNIT_*, _BASE_* */
	int16_t exponent;
	uint16_t size;	 /* number of u64 values (1 except histograms) */
	uint32_t offset; /* in the data block */
};

struct kvm_stats {
	int fd;
	unsigned n;
	struct kvm_stat_desc *desc;
	uint64_t data_offset;
	uint64_t *values; /* after kvm_stats_read: one u64 per descriptor (its first value) */
	uint8_t *block;	  /* the raw data block, read in one pread */
	size_t block_size;
};

/* Open the stats of a VM or vCPU fd. -ENOTTY if this KVM has no binary stats. */
int __must_check kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd);
void kvm_stats_close(struct kvm_stats *s);
/* Refresh s->values (the first u64 of every statistic). 0 or -errno. */
int __must_check kvm_stats_read(struct kvm_stats *s);
/* Index of the statistic called name, or -1. */
int kvm_stats_find(const struct kvm_stats *s, const char *name);
/* Value of name after the last read (0 if absent). */
uint64_t kvm_stats_get(const struct kvm_stats *s, const char *name);

#endif
