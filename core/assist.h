/*
 * assist.h - completing, in userspace, instructions that KVM's emulator gives up on.
 *
 * On PVM hosts guest CPL-0 code runs in KVM's instruction emulator, which cannot execute a few
 * instructions and stops the vCPU with KVM_EXIT_INTERNAL_ERROR (emulation failure), passing
 * the instruction bytes. Some of them are safe to complete here:
 *   int3 / int $3   the guest wants its #BP handler: advance RIP past the instruction and
 *                   inject #BP (a trap: the saved RIP is the next instruction, as hardware)
 *   fwait / wait    with no unmasked x87 exception pending it does nothing: skip it
 *   clac / stac     (SMAP) clear or set RFLAGS.AC; the PVM model also asks Linux not to use
 *                   SMAP (nosmap), since an assist costs tens of microseconds
 * Others (xsave/xrstor, popcnt, cmpxchg16b) cannot be completed safely here and are hidden
 * from the guest by the PVM CPU model instead. Anything else stops the VM with a dump.
 *
 * Threads: the decoder is pure; assist_handle runs on the vCPU thread as the VM's
 * internal_error hook. Counts per kind are relaxed atomics, printed at exit.
 */
#ifndef STRAND_CORE_ASSIST_H
#define STRAND_CORE_ASSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct exit_info;

enum assist_kind {
	ASSIST_NONE = 0,
	ASSIST_INT3,  /* inject #BP after the instruction */
	ASSIST_FWAIT, /* skip */
	ASSIST_CLAC,  /* RFLAGS.AC = 0 */
	ASSIST_STAC,  /* RFLAGS.AC = 1 */
	ASSIST_KIND_COUNT
};

struct assist_insn {
	enum assist_kind kind;
	unsigned len; /* bytes, prefixes included */
};

/* Decode the instruction at bytes[0..n). Pure. */
struct assist_insn assist_decode(const uint8_t *bytes, size_t n);
const char *assist_kind_name(enum assist_kind k);

struct assist_stats {
	uint64_t done[ASSIST_KIND_COUNT]; /* relaxed atomics */
	uint64_t refused;
};

/*
 * The VM's internal_error hook (opaque: struct assist_stats). Returns true if the instruction
 * was completed and the vCPU can resume.
 */
bool assist_handle(void *opaque, struct vcpu *vcpu, const struct exit_info *exit);

#endif
