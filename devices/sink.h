/*
 * sink.h - devices that do nothing, on purpose: the POST-code port 0x80 (writes counted and
 * dropped, as on a PC without a POST card) and the micro-guest test sinks (a PIO port and an
 * MMIO page: writes dropped, reads 0). The test sinks are the targets of exit-latency
 * measurements, so they take no lock and do no work beyond one relaxed counter.
 *
 * Threads: any (counters are relaxed atomics).
 */
#ifndef STRAND_DEVICES_SINK_H
#define STRAND_DEVICES_SINK_H

#include <pthread.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;

struct sink {
	struct vm *vm;
	uint64_t port;		/* PIO base, or 0 */
	uint64_t mmio;		/* MMIO base, or 0 */
	uint64_t reads, writes; /* atomic */
};

/* POST-code sink at port 0x80. */
int __must_check sink_init_post(struct sink *s, struct vm *vm, pthread_mutex_t *big_lock);
/*
 * Micro-guest test sinks at SG_PORT_SINK and SG_MMIO_SINK. Under the big-lock model their
 * handlers run under the big lock like every device's; otherwise they take no lock.
 */
int __must_check sink_init_test(struct sink *s, struct vm *vm, pthread_mutex_t *big_lock);
void sink_destroy(struct sink *s);

#endif
