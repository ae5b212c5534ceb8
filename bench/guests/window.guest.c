/*
 * window - a device window moves while other vCPUs use it. vCPU 0 moves the window `moves`
 * times (every gap_us) around the window area; the other vCPUs read its signature and add to
 * its counter, following it through the control page. Every read must return the signature
 * or all-ones (a read that raced a move lands on nothing); writes that certainly landed (the
 * window did not move around them) must all be in the counter. Arguments: moves (200),
 * gap_us (200). Needs at least 2 vCPUs.
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("moves", 200, 1, 10000000, "window moves"),
	SG_ARG_U64("gap_us", 200, 0, 10000000, "time between moves (us)"));

static uint32_t done;
static uint64_t certain_total, attempted_total;

int guest_main(unsigned cpu)
{
	uint64_t moves = sg_arg_u64("moves"), gap = sg_arg_u64("gap_us") * 1000;

	GUEST_ASSERT_MSG(sg_nr_cpus() >= 2, "window needs --vcpus 2 or more");
	sg_rendezvous();
	if (cpu == 0) {
		uint64_t before = mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVES);

		for (uint64_t i = 1; i <= moves; i++) {
			uint64_t to = SG_WINDOW_AREA + (i % 256) * 4096;

			mmio_write64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVE, to);
			GUEST_ASSERT_MSG(mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_BASE) == to,
					 "the window is not where it was moved");
			sg_delay_ns(gap);
		}
		GUEST_ASSERT(mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVES) - before == moves);
		atomic_store(&done, 1);
	} else {
		uint64_t certain = 0, attempted = 0, misses = 0;

		while (!atomic_load(&done)) {
			uint64_t m0 = mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVES);
			uint64_t base = mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_BASE);
			uint32_t sig = mmio_read32(base + SG_WINDOW_SIG);

			GUEST_ASSERT_MSG(sig == SG_WINDOW_SIGNATURE || sig == 0xffffffffu,
					 "a window read returned garbage");
			if (sig != SG_WINDOW_SIGNATURE) {
				misses++;
				continue;
			}
			mmio_write64(base + SG_WINDOW_COUNTER, 1);
			attempted++;
			/* No move began or ended around the write: it certainly landed. */
			if (mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_MOVES) == m0 &&
			    mmio_read32(base + SG_WINDOW_SIG) == SG_WINDOW_SIGNATURE)
				certain++;
		}
		atomic_add(&certain_total, certain);
		atomic_add(&attempted_total, attempted);
		sg_result("window_misses", misses, 1, "reads");
	}
	sg_rendezvous();
	if (cpu == 0) {
		uint64_t base = mmio_read64(SG_WINDOW_CTRL + SG_WINDOW_CTRL_BASE);
		uint64_t counter = mmio_read64(base + SG_WINDOW_COUNTER);

		GUEST_ASSERT_MSG(counter >= atomic_load(&certain_total),
				 "writes that certainly landed are missing");
		GUEST_ASSERT_MSG(counter <= atomic_load(&attempted_total), "counter too large");
		sg_printf("window: %u moves, %u writes landed (%u certain, %u attempted)\n",
			  (unsigned)moves, (unsigned)counter, (unsigned)atomic_load(&certain_total),
			  (unsigned)atomic_load(&attempted_total));
		sg_result("moves", moves, 1, "moves");
	}
	return 0;
}
