/*
 * spawn.h - running the programs a benchmark measures (strand, QEMU, the KVM floor) as child
 * processes: wall time, time to the first byte on stdout, the child's memory at that moment,
 * per-vCPU-thread run time while it runs, its CPU time, exit status, captured output; killed
 * on timeout.
 * Main thread; a SIGINT/SIGTERM to the harness ends the child and sets spawn_interrupted.
 */
#ifndef STRAND_BENCH_SPAWN_H
#define STRAND_BENCH_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPAWN_MAX_VCPUS 256

struct spawn_opts {
	const char *const *argv; /* argv[0]: the program's path */
	double timeout_s;
	/* Stop at the first byte on stdout: wait settle_s, read the memory, kill the child. */
	bool first_byte;
	double settle_s;
	bool vcpu_times; /* poll the run time of threads named vcpuN */
	size_t out_max;	 /* keep up to this much stdout (0: none) */
};

struct spawn_result {
	int status; /* exit status, 128+N for signal N, -1 if it did not start */
	bool timed_out;
	bool got_byte;
	uint64_t wall_ns;		 /* spawn to exit */
	uint64_t cpu_ns;		 /* user + system time of the child, all its threads */
	uint64_t first_byte_ns;		 /* spawn to the first byte on stdout */
	long rss_kib, pss_kib;		 /* at the first byte + settle_s (-1: unknown) */
	char *out;			 /* stdout (out_max), NUL-terminated, malloc'd */
	char err[1024];			 /* the end of stderr */
	double vcpu_ns[SPAWN_MAX_VCPUS]; /* last seen run time per vCPU thread */
	unsigned nvcpus;
};

extern volatile sig_atomic_t spawn_interrupted;

/* Install the SIGINT/SIGTERM handler that stops the current child (once per process). */
void spawn_install_interrupt(void);
int spawn_run(const struct spawn_opts *o, struct spawn_result *r);
void spawn_result_free(struct spawn_result *r);
uint64_t spawn_now_ns(void);

#endif
