/*
 * assert - a deliberate assertion failure, to prove that strand reports the file, line and
 * expression and exits with status 1. Argument kind=plain (GUEST_ASSERT, default) or msg
 * (GUEST_ASSERT_MSG with the message "the message"). Only vCPU 0 asserts; the others wait.
 * The failing lines are marked ASSERT-LINE so the test can find their numbers.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_ENUM("kind", "plain", "plain|msg",
		    "GUEST_ASSERT, or GUEST_ASSERT_MSG with a message"));

int guest_main(unsigned cpu)
{
	volatile uint32_t answer = 41;

	if (cpu != 0) {
		for (;;)
			sg_halt();
	}
	if (sg_arg_is("kind", "msg"))
		GUEST_ASSERT_MSG(answer == 42, "the message"); /* ASSERT-LINE msg */
	else
		GUEST_ASSERT(answer == 42); /* ASSERT-LINE plain */
	sg_printf("assert: still running after the failed assertion\n");
	return 2;
}
