/*
 * control.h - strand run's QMP monitor: the command table (QEMU's commands where QEMU has one,
 * strand's live tuning as x-strand-*), the events a run emits, and the glue to run.c.
 * docs/monitor.md lists every command.
 *
 * Threads: everything here runs on the main thread (the main loop runs the monitor). Commands
 * that touch vCPU threads use the park/kick protocol of core/vm.h (pause, resume) or act on
 * the threads by id (affinity, policy); statistics are read from relaxed atomics, KVM's stats
 * fds and /proc, never under a lock a vCPU takes.
 */
#ifndef STRAND_MACHINE_CONTROL_H
#define STRAND_MACHINE_CONTROL_H

#include <stdbool.h>

#include "util/compiler.h"
#include "util/errbuf.h"

struct run;

/* Open the --monitor sockets (none: nothing to do). -EINVAL with err for a bad socket. */
int __must_check control_start(struct run *r, struct errbuf *err);
/* Record every vCPU's affinity at start (the base a pin or pinned strategy returns to). */
int __must_check control_base_affinity(struct run *r);
/* VM `vm` stopped: the SHUTDOWN (and GUEST_PANICKED) events for its stop reason. */
void control_vm_stopped(struct run *r, unsigned vm);
/* Pause (true) or resume every VM, or VM `vm` (-1: all); emits STOP/RESUME. */
int control_pause(struct run *r, int vm, bool pause);
/* Switch every VM to strategy c while they run. -EINVAL with err for a refused change. */
struct sched_config;
int __must_check control_set_sched(struct run *r, const struct sched_config *c, struct errbuf *err);
/* A signal is stopping the run (reason host-signal). */
void control_signal_stop(struct run *r, int sig);
/* The loop ended: deliver what is queued to the clients (bounded wait). */
void control_finish(struct run *r);
void control_destroy(struct run *r);

/* The command table, for listings and the unit tests. */
struct qmp_cmd;
extern const struct qmp_cmd *const control_commands_table;
extern const unsigned control_command_count;

#endif
