/*
 * plan.h - `strand plan`: compute and print a thread placement plan (sched/place.h) for one or
 * more VMs on the host or on any topology (synthetic or XML), without running anything.
 * Main thread.
 */
#ifndef STRAND_MACHINE_PLAN_H
#define STRAND_MACHINE_PLAN_H

/* Exit status: 0 planned, 2 bad input or an impossible plan, 4 the topology cannot be read. */
#include <getopt.h>
#include <stdio.h>

int plan_main(int argc, char **argv);
/* The help of `strand plan`, naming every option of plan_options (unit-tested). */
void plan_usage(FILE *f);
extern const struct option plan_options[];

#endif
