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
 *   ldmxcsr m32     load MXCSR from memory (Linux's kernel_fpu_begin does this whenever the
 *   stmxcsr m32     kernel uses SIMD: crypto, RAID, checksums); the operand's linear address
 *                   is computed from the decoded ModRM/SIB (64-bit mode, FS/GS prefixes),
 *                   translated with KVM_TRANSLATE and accessed through guest RAM; reserved
 *                   MXCSR bits get #GP(0) as on hardware
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
	ASSIST_INT3,	/* inject #BP after the instruction */
	ASSIST_FWAIT,	/* skip */
	ASSIST_CLAC,	/* RFLAGS.AC = 0 */
	ASSIST_STAC,	/* RFLAGS.AC = 1 */
	ASSIST_LDMXCSR, /* MXCSR = m32 */
	ASSIST_STMXCSR, /* m32 = MXCSR */
	ASSIST_KIND_COUNT
};

/* MXCSR bits a guest may set (FZ, rounding, masks, flags, DAZ); others raise #GP. */
#define ASSIST_MXCSR_MASK 0xffffu

/* A decoded memory operand (64-bit addressing): seg_base + base + index * scale + disp. */
#define ASSIST_REG_NONE 0xff
#define ASSIST_REG_RIP	0xfe
enum assist_seg { ASSIST_SEG_DEFAULT = 0, ASSIST_SEG_FS, ASSIST_SEG_GS };

struct assist_mem {
	uint8_t base;  /* 0..15 (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15), RIP or NONE */
	uint8_t index; /* 0..15 or NONE */
	uint8_t scale; /* 1, 2, 4, 8 */
	enum assist_seg seg;
	int32_t disp;
};

struct assist_insn {
	enum assist_kind kind;
	unsigned len;	     /* bytes, prefixes included */
	struct assist_mem m; /* the operand of ldmxcsr/stmxcsr */
};

/* Decode the instruction at bytes[0..n). Pure. */
struct assist_insn assist_decode(const uint8_t *bytes, size_t n);
const char *assist_kind_name(enum assist_kind k);

/* The linear address of m for an instruction at rip of len bytes, with regs[16] the GPRs. */
uint64_t assist_linear(const struct assist_mem *m, const uint64_t regs[16], uint64_t rip,
		       unsigned len, uint64_t fs_base, uint64_t gs_base);

struct assist_stats {
	uint64_t done[ASSIST_KIND_COUNT]; /* relaxed atomics */
	uint64_t refused;
	uint64_t faults; /* faults injected instead (ldmxcsr with reserved bits: #GP) */
};

/*
 * The VM's internal_error hook (opaque: struct assist_stats). Returns true if the instruction
 * was completed and the vCPU can resume.
 */
bool assist_handle(void *opaque, struct vcpu *vcpu, const struct exit_info *exit);

#endif
