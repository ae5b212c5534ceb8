/*
 * mxcsr - stmxcsr/ldmxcsr through every addressing form Linux uses (stack with SIB and disp8,
 * RIP-relative, a plain register base, a GS-relative per-CPU slot) must round-trip MXCSR values.
 * Run at --guest-cpl 0 on a PVM host these are the instructions KVM's emulator gives up on and
 * strand completes (core/assist.c). With bad=1 it loads a reserved bit, which must raise #GP.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_BOOL("bad", 0, "load a reserved MXCSR bit, which must raise #GP"));

#define MXCSR_DEFAULT 0x1f80u
#define MXCSR_RZ      (MXCSR_DEFAULT | 0x6000u) /* round toward zero */
#define MXCSR_FZ_DAZ  (MXCSR_DEFAULT | 0x8040u)

/*
 * One RIP-relative slot per vCPU (named in asm, so the offset must be a constant): vCPUs sharing
 * one slot would race each other between the store and the read-back.
 */
#define RIP_SLOTS 4
static uint32_t global_slot[RIP_SLOTS] __attribute__((used));

static uint32_t st_stack(void)
{
	uint32_t v;

	__asm__ volatile("sub $16, %%rsp\n\t"
			 "stmxcsr 4(%%rsp)\n\t"
			 "movl 4(%%rsp), %0\n\t"
			 "add $16, %%rsp"
			 : "=r"(v)
			 :
			 : "memory");
	return v;
}

static void ld_stack(uint32_t v)
{
	__asm__ volatile("sub $16, %%rsp\n\t"
			 "movl %0, 4(%%rsp)\n\t"
			 "ldmxcsr 4(%%rsp)\n\t"
			 "add $16, %%rsp"
			 :
			 : "r"(v)
			 : "memory");
}

#define RIP_CASE(k, insn)                                                                     \
	case k:                                                                               \
		__asm__ volatile(insn " global_slot+%c0(%%rip)" : : "i"(4 * (k)) : "memory"); \
		break

static uint32_t st_rip(unsigned slot)
{
	switch (slot) {
		RIP_CASE(0, "stmxcsr");
		RIP_CASE(1, "stmxcsr");
		RIP_CASE(2, "stmxcsr");
		RIP_CASE(3, "stmxcsr");
	}
	return __atomic_load_n(&global_slot[slot], __ATOMIC_RELAXED);
}

static void ld_rip(unsigned slot, uint32_t v)
{
	__atomic_store_n(&global_slot[slot], v, __ATOMIC_RELAXED);
	switch (slot) {
		RIP_CASE(0, "ldmxcsr");
		RIP_CASE(1, "ldmxcsr");
		RIP_CASE(2, "ldmxcsr");
		RIP_CASE(3, "ldmxcsr");
	}
}

static uint32_t st_reg(void)
{
	volatile uint32_t slot[4] = { 0 };
	volatile uint32_t *p = &slot[2];

	__asm__ volatile("stmxcsr (%0)" : : "r"(p) : "memory");
	return *p;
}

static void ld_reg_index(uint32_t v)
{
	volatile uint32_t slot[4] = { 0, 0, 0, v };
	uint64_t idx = 3;

	__asm__ volatile("ldmxcsr (%0,%1,4)" : : "r"(slot), "r"(idx) : "memory");
}

/* The per-CPU area's scratch slot through GS, as Linux's this_cpu accessors would. */
static uint32_t st_gs(void)
{
	__asm__ volatile("stmxcsr %%gs:%c0"
			 :
			 : "i"(__builtin_offsetof(struct sg_percpu, scratch))
			 : "memory");
	return (uint32_t)sg_this_cpu()->scratch[0];
}

int guest_main(unsigned cpu)
{
	static const uint32_t values[] = { MXCSR_RZ, MXCSR_FZ_DAZ, MXCSR_DEFAULT };

	uint32_t first = st_stack();
	unsigned slot = cpu % RIP_SLOTS;

	if (first != MXCSR_DEFAULT)
		sg_printf("mxcsr: vcpu%u starts with MXCSR 0x%x\n", cpu, first);
	GUEST_ASSERT_MSG(first == MXCSR_DEFAULT, "MXCSR does not start at its reset value");
	GUEST_ASSERT_MSG(cpu < RIP_SLOTS, "run mxcsr with at most 4 vCPUs");
	for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint32_t v = values[i];

		ld_stack(v);
		GUEST_ASSERT_MSG(st_rip(slot) == v, "stack load / RIP-relative store");
		ld_rip(slot, MXCSR_DEFAULT);
		GUEST_ASSERT_MSG(st_reg() == MXCSR_DEFAULT, "RIP-relative load / register store");
		ld_reg_index(v);
		GUEST_ASSERT_MSG(st_gs() == v, "base+index load / GS-relative store");
		GUEST_ASSERT_MSG(st_stack() == v, "stack store");
	}
	if (cpu == 0 && sg_arg_u64("bad")) {
		sg_printf("mxcsr: loading a reserved bit\n");
		ld_stack(MXCSR_DEFAULT | 0x10000u); /* #GP(0) */
		GUEST_ASSERT_MSG(0, "ldmxcsr with a reserved bit did not fault");
	}
	if (cpu == 0)
		sg_printf("mxcsr: 5 addressing forms round-trip\n");
	return 0;
}
