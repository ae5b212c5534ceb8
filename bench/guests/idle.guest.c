/*
 * idle - every vCPU halts (in KVM, as an idle kernel would) until the host asks for a
 * power-down (QMP system_powerdown), then the VM powers off. What a management daemon starts
 * by the hundred to measure its own control plane; with spin=1 each vCPU instead polls the
 * request in a loop, counting iterations as its progress (a busy guest that still obeys the
 * power button).
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_BOOL("spin", 0, "poll for the power-down in a loop instead of halting"));

int guest_main(unsigned cpu)
{
	bool spin = sg_arg_u64("spin") != 0;
	uint64_t n = 0;

	(void)cpu;
	while (!sg_powerdown_requested()) {
		if (spin) {
			sg_progress(++n);
			cpu_relax();
		} else {
			sg_halt_if(&((volatile struct sg_boot_info *)sg_boot)->powerdown, 0);
		}
	}
	return 0;
}
