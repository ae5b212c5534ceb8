/*
 * hello - every vCPU reports in: its index, APIC id and privilege level; vCPU 0 checks that all
 * of them arrived. The default guest of `strand run`.
 */
#include "core/guest/guest.h"

/* No arguments: the host refuses any. */
SG_ARGS();

static uint32_t arrived;

int guest_main(unsigned cpu)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	sg_printf("hello from vCPU %u of %u (APIC id %u, CPL %u)\n", cpu, sg_nr_cpus(),
		  sg_boot->apic_ids[cpu], cs & 3);
	GUEST_ASSERT((cs & 3) == sg_boot->cpl);
	GUEST_ASSERT(sg_cpu() == cpu);
	atomic_add(&arrived, 1);
	sg_rendezvous();
	if (cpu == 0) {
		GUEST_ASSERT(atomic_load(&arrived) == sg_nr_cpus());
		sg_printf("all %u vCPUs reported in\n", sg_nr_cpus());
	}
	return 0;
}
