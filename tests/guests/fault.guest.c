/*
 * fault - a deliberate exception, to prove that strand reports it (vector, error code, RIP) and
 * stops the VM with a non-zero status. Argument kind=pf (read of the unmapped page 0, default),
 * ud (ud2), de (divide by zero), gp (hlt at CPL 3; at CPL 0: a non-canonical address), pf-write (write to the read-only boot info page).
 * Only vCPU 0 faults; other vCPUs wait.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_ENUM("kind", "pf", "pf|ud|de|gp|pf-write", "the exception vCPU 0 raises"));

int guest_main(unsigned cpu)
{
	volatile uint64_t sink;

	if (cpu != 0) {
		for (;;)
			sg_halt();
	}
	sg_printf("fault: about to raise the exception\n");
	if (sg_arg_is("kind", "ud")) {
		__asm__ volatile("ud2");
	} else if (sg_arg_is("kind", "de")) {
		volatile uint32_t zero = 0, seven = 7;

		sink = seven / zero;
	} else if (sg_arg_is("kind", "gp")) {
		if (sg_boot->cpl == 3)
			__asm__ volatile("hlt"); /* privileged: #GP at CPL 3 */
		else
			sink = *(volatile uint64_t *)0x8000000000000000ULL;
	} else if (sg_arg_is("kind", "pf-write")) {
		*(volatile uint32_t *)SG_BOOT_INFO_GPA = 0;
	} else {
		sink = *(volatile uint64_t *)0;
	}
	(void)sink;
	sg_printf("fault: still running after the fault\n");
	return 1;
}
