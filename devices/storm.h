/*
 * storm.h - test devices for the threading experiments (micro-guests only):
 *
 * storm: one MMIO page per vCPU at SG_STORM_BASE. A DATA write spends the configured handler
 *   cost (WORK_NS, busy) under the device's lock: its own mutex, or the VM's big lock under
 *   the big-lock model, so the cost of serialising handlers shows. CLOCK is a read-mostly
 *   register (the host's monotonic clock, as an HPET or PM timer): lock-free in the device
 *   model, under the big lock in the big-lock model (QEMU's 2025 story).
 * window: a 4 KiB window the guest can move (a PCI BAR move in miniature) through a fixed
 *   control page, while other vCPUs keep accessing it. The move is made after the dispatch
 *   (vcpu_defer), as a map writer outside any read section.
 *
 * Threads: vCPU threads; fields marked [L] under `lock`, counters relaxed atomics.
 */
#ifndef STRAND_DEVICES_STORM_H
#define STRAND_DEVICES_STORM_H

#include <pthread.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;

struct storm_dev {
	struct storm *storm;
	unsigned index;
	pthread_mutex_t own_lock;
	uint64_t data;	  /* [L] */
	uint64_t work_ns; /* atomic */
	uint64_t hits;	  /* atomic */
};

struct storm {
	struct vm *vm;
	bool big; /* big-lock model: handlers under vm->big_lock */
	unsigned n;
	struct storm_dev *dev;
	/* The window. */
	uint64_t window_base;	   /* atomic: where it is now */
	uint64_t window_counter;   /* atomic */
	uint64_t window_moves;	   /* atomic */
	uint64_t window_bad_moves; /* atomic */
	uint64_t pending_move;	   /* vCPU thread: target of the deferred move */
};

/* n storm devices and the window, on vm->mmio. big_lock non-NULL: big-lock model. */
int __must_check storm_init(struct storm *s, struct vm *vm, unsigned n, pthread_mutex_t *big_lock);
void storm_destroy(struct storm *s);

#endif
