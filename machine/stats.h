/*
 * stats.h - `--stats` / `--stats-json`: per vCPU, what the host scheduler gave it (run time,
 * run delay, context switches: schedstat), what KVM saw (exits by reason, halt polling: the
 * binary stats), what the guest saw (steal time, micro-guests with PV steal time) and how
 * long the scheduling strategy kept it parked. Main thread, after the VMs stopped.
 */
#ifndef STRAND_MACHINE_STATS_H
#define STRAND_MACHINE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "util/errbuf.h"

struct machine;
struct sched_ctl;

void stats_print(struct machine *const *m, unsigned n, const struct sched_ctl *s, uint64_t wall_ns,
		 FILE *f);
int stats_write_json(struct machine *const *m, unsigned n, const struct sched_ctl *s,
		     uint64_t wall_ns, const char *path, struct errbuf *err);

#endif
