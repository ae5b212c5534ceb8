/*
 * churn.h - `--map-churn HZ[,target=mmio|ram]`: a host thread that adds and removes a dummy
 * region at HZ (one add and one remove per period) so that dispatch and RAM lookups run while
 * the tables are being replaced, as a VM with device hot-plug or BAR moves would see. The
 * achieved rate is reported (an RCU removal waits for a grace period; a lock waits for
 * readers).
 *
 * Threads: its own thread ("churn"); stop from the main thread.
 */
#ifndef STRAND_DEVICES_CHURN_H
#define STRAND_DEVICES_CHURN_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/thread.h"
#include "util/errbuf.h"

struct vm;

enum churn_target {
	CHURN_MMIO = 0,
	CHURN_RAM,
};

struct churn {
	struct vm *vm;
	uint64_t hz;
	enum churn_target target;
	struct thread thread;
	bool stop;	 /* atomic */
	uint64_t cycles; /* atomic: add+remove pairs done */
	uint64_t errors; /* atomic */
	uint64_t start_ns, stop_ns;
};

int churn_parse(const char *spec, uint64_t *hz, enum churn_target *target, struct errbuf *err);
int __must_check churn_start(struct churn *c, struct vm *vm, uint64_t hz, enum churn_target t);
void churn_stop(struct churn *c);
/* Achieved add+remove cycles per second. */
double churn_rate(const struct churn *c);

#endif
