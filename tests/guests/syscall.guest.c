/*
 * syscall - the CPU's SYSCALL path from CPL 3: each vCPU executes `syscall` `iters` times into
 * the kit's entry (crt0.S sg_syscall_entry), which reports the CS it ran with. On hardware KVM
 * the entry runs at CPL 0 (CS 0x08) and the guest exits 0. The kvm_pvm of this project's
 * development host jumps to LSTAR without the switch to supervisor mode (the entry runs with the
 * user CS): the guest then says so and exits with status 3. This is what stops Linux's /init at
 * its first system call there (docs/linux.md). Arguments: iters (1000).
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("iters", 1000, 1, 100000000, "syscall instructions per vCPU"));

int guest_main(unsigned cpu)
{
	uint64_t cs, ran_cs = 0, n = sg_arg_u64("iters"), t0, t1;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	if ((cs & 3) != 3) {
		sg_printf("syscall: runs at CPL 3 only (not with --guest-cpl 0)\n");
		return 2;
	}
	t0 = rdtsc_ordered();
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("syscall" : "=a"(ran_cs) : "a"(0) : "rcx", "r10", "r11", "memory");
	t1 = rdtsc_ordered();
	if (cpu == 0) {
		sg_printf("syscall: the entry ran with CS 0x%x (CPL %u), %u ns per round trip\n",
			  (unsigned)ran_cs, (unsigned)(ran_cs & 3),
			  (unsigned)(sg_tsc_to_ns(t1 - t0) / (n ? n : 1)));
		sg_result("syscall_ns", sg_tsc_to_ns(t1 - t0), n ? n : 1, "ns");
	}
	return (ran_cs & 3) == 0 ? 0 : 3;
}
