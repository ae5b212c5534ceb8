/*
 * run.h - `strand run`: one VM, or several VMs in one process sharing the host under one
 * scheduling strategy (--vm groups), with placement, the strategy's controller, signals,
 * --timeout, result reports and --stats. Main thread.
 */
#ifndef STRAND_MACHINE_RUN_H
#define STRAND_MACHINE_RUN_H

int run_main(int argc, char **argv);

#endif
