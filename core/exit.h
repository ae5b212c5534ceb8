/*
 * exit.h - the vCPU exit decoder: a plain function from a kvm_run page to a validated,
 * KVM-independent description of what the guest did. Unit-tested with fabricated kvm_run
 * structures; it trusts nothing in the page (offsets and sizes are checked against its size).
 */
#ifndef STRAND_CORE_EXIT_H
#define STRAND_CORE_EXIT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

enum exit_kind {
	EXIT_IO = 0,
	EXIT_MMIO,
	EXIT_HLT,
	EXIT_SHUTDOWN,	   /* triple fault */
	EXIT_SYSTEM_EVENT, /* PSCI-style shutdown/reset/crash from KVM */
	EXIT_INTR,	   /* a signal interrupted KVM_RUN */
	EXIT_FAIL_ENTRY,
	EXIT_INTERNAL_ERROR,
	EXIT_IRQ_WINDOW,
	EXIT_DEBUG,
	EXIT_UNKNOWN,	/* an exit reason strand does not handle */
	EXIT_MALFORMED, /* fields out of range: a KVM bug or a corrupted page */
	EXIT_KIND_COUNT
};

struct exit_info {
	enum exit_kind kind;
	uint32_t reason; /* raw KVM_EXIT_* */
	union {
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 */
			bool write;
			uint32_t count; /* > 1 for rep ins/outs */
			uint8_t *data;	/* count * size bytes inside the run page */
		} io;
		struct {
			uint64_t addr;
			uint8_t len; /* 1..8 */
			bool write;
			uint8_t *data;
		} mmio;
		struct {
			uint32_t type;
		} system_event;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			const uint64_t *data;
		} internal;
		struct {
			uint64_t hw_reason;
		} fail_entry;
	};
};

/* Decode run (run_size bytes mapped). Returns 0, or -EINVAL with out->kind EXIT_MALFORMED. */
int exit_decode(struct kvm_run *run, size_t run_size, struct exit_info *out);
const char *exit_kind_name(enum exit_kind kind);

#endif
