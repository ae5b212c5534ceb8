/*
 * assists - instructions KVM's emulator gives up on when it runs CPL-0 code (PVM hosts), which
 * strand completes (core/assist.c): mode=fwait runs fwait 100 times and must carry on;
 * mode=int3 executes int3, which must reach the guest's #BP handler (the kit reports it as a
 * guest exception, so the run ends with status 3 naming #BP). On hardware KVM the CPU runs
 * them and the outcome is the same. Meant for --guest-cpl 0.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_ENUM("mode", "fwait", "fwait|int3", "100 fwait, or one int3 (must reach #BP)"));

int guest_main(unsigned cpu)
{
	if (cpu)
		return 0;
	if (sg_arg_is("mode", "int3")) {
		sg_printf("assists: int3\n");
		__asm__ volatile("int3" ::: "memory");
		GUEST_ASSERT_MSG(0, "int3 returned without reaching the #BP handler");
	}
	for (unsigned i = 0; i < 100; i++)
		__asm__ volatile("fwait" ::: "memory");
	sg_printf("assists: 100 fwait done\n");
	return 0;
}
