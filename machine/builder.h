/*
 * builder.h - the one place that reads a machine_config and wires a whole machine: KVM, the VM
 * and its RAM, vCPUs, devices, the guest, the console and the main loop. Read it top to bottom
 * to see what strand builds.
 *
 * Threads: build, run and destroy on the main thread. machine_run starts the vCPU threads and
 * runs the main loop (console input, signals, timers, stop) until the VM stops.
 */
#ifndef STRAND_MACHINE_BUILDER_H
#define STRAND_MACHINE_BUILDER_H

#include "machine/config.h"
#include "core/kvm.h"
#include "devices/chardev.h"
#include "devices/i8042.h"
#include "devices/serial.h"
#include "core/assist.h"
#include "core/bzimage.h"
#include "core/pvh.h"
#include "devices/acpi_pm.h"
#include "devices/churn.h"
#include "devices/ged.h"
#include "devices/sink.h"
#include "devices/storm.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "iothreads/iothread.h"
#include "core/guest/abi.h"
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
	bool loop_owned;
	bool tag_output; /* prefix guest prints with the VM's name (several VMs) */
	bool running;
	struct chardev console;
	bool console_open;
	struct serial com1;
	struct i8042 kbd;
	struct sink post;
	struct sink testsink;
	bool devices_up;
	struct storm storm; /* micro-guests: storm and window test devices */
	bool storm_up;
	struct churn churn;
	uint64_t churn_hz;
	enum churn_target churn_target;
	struct iothread iothreads[16];
	unsigned niothreads; /* created */
	struct vblk disks[CONFIG_MAX_DISKS];
	unsigned ndisks_open, ndisks_up;
	struct vnet nets[CONFIG_MAX_NETS];
	unsigned nnets_open, nnets_up;
	struct vrng rng;
	bool rng_up;
	struct vcon vcon;
	bool vcon_open, vcon_up;
	/* virtio-mmio devices in the order they were placed (address, GSI): the guest's view. */
	struct sg_device devtab[SG_MAX_DEVICES];
	unsigned ndev;
	struct mguest *mg;

	char kernel_path[1024]; /* Linux: the kernel file (image_name points here) */
	uint8_t *initrd;	/* Linux: initramfs bytes */
	size_t initrd_size;
	bool is_pvh; /* Linux: vmlinux with a PVH note (else bzImage) */
	struct bzimage_info bz;
	struct pvh_info pvh;
	char cmdline[4096];
	struct assist_stats assists; /* instructions completed for KVM (PVM hosts) */
	struct acpi_pm pm;
	bool pm_up;
	struct ged ged; /* Linux: the ACPI power button's Generic Event Device */
	bool ged_up;
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
/* The same, on a main loop the caller owns (several VMs in one process, run.c). */
int machine_build_shared(const struct machine_config *cfg, struct ioloop *loop,
			 struct machine **out, struct errbuf *err);
/*
 * Start the iothreads and vCPU threads with their placements (NULL: float), and read console
 * input if asked. The caller runs the loop; machine_finish joins everything and returns the
 * exit status.
 */
int machine_start(struct machine *m, const struct thread_placement *const *vcpu_pl,
		  const struct thread_placement *const *io_pl, bool console_input);
int machine_finish(struct machine *m);
/* Run until the VM stops; returns strand's exit status (see vm_exit_status). */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

/* Where virtio-mmio device i lives: one page each from 0xd0001000, GSIs 16..23 then free ISA. */
#define MACHINE_VIRTIO_BASE   0xd0001000ULL
#define MACHINE_VIRTIO_STRIDE 0x1000ULL
uint32_t machine_virtio_gsi(unsigned i);

/* Load and check the guest image named by cfg (no KVM needed). */
int machine_load_image(struct machine *m, struct errbuf *err);

#endif
