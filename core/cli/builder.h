/*
 * builder.h - the one place that reads a machine_config and wires a whole machine: KVM, the VM
 * and its RAM, vCPUs, devices, the guest, the console and the main loop. Read it top to bottom
 * to see what strand builds.
 *
 * Threads: build, run and destroy on the main thread. machine_run starts the vCPU threads and
 * runs the main loop (console input, signals, timers, stop) until the VM stops.
 */
#ifndef STRAND_CLI_BUILDER_H
#define STRAND_CLI_BUILDER_H

#include "core/cli/config.h"
#include "core/kvm.h"
#include "devices/chardev.h"
#include "devices/i8042.h"
#include "devices/serial.h"
#include "devices/sink.h"
#include "util/errbuf.h"

struct vm;
struct mguest;
struct ioloop;
struct ioloop_fd;

struct machine {
	struct machine_config cfg;
	struct kvm_sys kvm;
	bool kvm_open;
	struct vm *vm;
	struct ioloop *loop;
	struct chardev console;
	bool console_open;
	struct serial com1;
	struct i8042 kbd;
	struct sink post;
	struct sink testsink;
	bool devices_up;
	struct mguest *mg;

	uint8_t *image; /* guest image bytes (embedded or read from a file) */
	size_t image_size;
	bool image_owned;
	const char *image_name;

	int sigfd;
	uint64_t start_ns, stop_ns;
};

/*
 * Build everything but start nothing. Returns 0; -EINVAL for bad user input (err says what;
 * strand exits 2) with nothing of the VM created; another negative errno for a host failure.
 */
int machine_build(const struct machine_config *cfg, struct machine **out, struct errbuf *err);
/* Run until the VM stops; returns strand's exit status (see vm_exit_status). */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

/* Load and check the guest image named by cfg (no KVM needed). */
int machine_load_image(struct machine *m, struct errbuf *err);

#endif
