/*
 * threading.h - the threading-model knob: `--threading PRESET[,lock=..][,io=..][,map=..]
 * [,iothreads=N][,iomap=device|queue][,poll_ns=N]`. Three independent dimensions:
 *
 *   lock  big     every device handler, from vCPU exits and from event loops, under one mutex
 *         device  each device (and each queue) has its own lock
 *   io    vcpu    a queue kick is processed on the vCPU thread that exited
 *         main    kicks reach the main event loop through KVM ioeventfds (one VMM thread)
 *         iothread kicks reach iothreads (per device or per queue, see iomap)
 *   map   rcu | rwlock | mutex  protection of the guest-RAM map and the dispatch tables
 *
 * Presets reproduce real VMMs on the same binary and guest (docs/threading.md). Pure; the
 * CLI parses, the builder applies. Unit-tested.
 */
#ifndef STRAND_MACHINE_THREADING_H
#define STRAND_MACHINE_THREADING_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errbuf.h"
#include "util/pubptr.h"

enum lock_model {
	LOCK_DEVICE = 0,
	LOCK_BIG,
};

enum io_model {
	IO_VCPU = 0,
	IO_MAIN,
	IO_IOTHREAD,
};

enum iothread_map {
	IOMAP_DEVICE = 0, /* one iothread per device (round robin over iothreads) */
	IOMAP_QUEUE,	  /* one iothread per queue (round robin over iothreads) */
};

struct threading_config {
	char preset[24];
	enum lock_model lock;
	enum io_model io;
	enum pubptr_mode map;
	enum iothread_map iomap;
	unsigned iothreads; /* 0: as many as the mapping needs */
	uint64_t poll_ns;   /* iothread adaptive polling ceiling */
};

struct threading_preset {
	const char *name;
	const char *description;
	struct threading_config cfg;
};

extern const struct threading_preset threading_presets[];
extern const unsigned threading_preset_count;

/* The default model when --threading is not given ("strand"). */
void threading_default(struct threading_config *t);
/* Parse "PRESET[,key=value...]" or "key=value,..." (on top of the default). */
int threading_parse(const char *spec, struct threading_config *t, struct errbuf *err);
/* "lock=device io=iothread(queue) map=rcu" for reports. */
const char *threading_describe(const struct threading_config *t, char *buf, unsigned len);
const char *lock_model_name(enum lock_model m);
const char *io_model_name(enum io_model m);

#endif
