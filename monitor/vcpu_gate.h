/*
 * vcpu_gate.h - the shared vCPU gate: a small file, mapped by a VM process and by a scheduler
 * in another process (strandd's cross-domain strategies), through which the scheduler parks
 * and releases that VM's vCPU threads without a monitor round trip and without waking the
 * VM's main loop. It is part of the monitor protocol (`strand run --vcpu-gate FILE`, named in
 * docs/monitor.md); the QMP command x-strand-vcpu-gate does the same, slower, over the socket.
 *
 * Layout (version 1, host byte order): a 64-byte header, then one 64-byte slot per vCPU (one
 * cache line each, in vCPU order, VM after VM when a process runs several). A slot's `word`
 * is a util/gateword.h word: GATEWORD_PARK set and cleared by the scheduler, GATEWORD_STOP set
 * by the VM process when the VM stops. A vCPU whose word parks it sleeps on the word's shared
 * futex. To park, the scheduler sets the bit and sends the header's kick_signal to the vCPU
 * thread (tgkill: out of KVM_RUN); to release, it clears the bit and wakes the futex.
 *
 * Owners: the VM process creates the file (mode 0600, under a directory only its manager
 * writes), fills the header, writes each slot's tid once its thread runs and then `ready`;
 * it unlinks the file when it ends. The scheduler only opens it, checks magic, version and
 * size, and writes nothing but the PARK bits. Neither side trusts the other's words beyond
 * that: a torn or hostile file makes a vCPU park or run, never crash either process.
 */
#ifndef STRAND_MONITOR_VCPU_GATE_H
#define STRAND_MONITOR_VCPU_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/compiler.h"
#include "util/errbuf.h"

#define VCPU_GATE_MAGIC	    0x3145544147444e53ULL /* "SNDGATE1" little-endian */
#define VCPU_GATE_VERSION   1u
#define VCPU_GATE_MAX_SLOTS 1024u

struct vcpu_gate_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t nslots;
	int32_t pid;	     /* the VM process */
	int32_t kick_signal; /* the signal that takes a vCPU thread out of KVM_RUN */
	uint32_t ready;	     /* 1 once every slot's tid is written (release store) */
	uint32_t pad[9];
};

struct vcpu_gate_slot {
	uint32_t word; /* a gateword (util/gateword.h): atomics only */
	int32_t tid;   /* the vCPU thread (0 until it runs) */
	uint32_t pad[14];
};

_Static_assert(sizeof(struct vcpu_gate_hdr) == 64, "gate header is one cache line");
_Static_assert(sizeof(struct vcpu_gate_slot) == 64, "gate slot is one cache line");

/* A mapping of the file, either side. */
struct vcpu_gate {
	struct vcpu_gate_hdr *hdr;
	struct vcpu_gate_slot *slots;
	unsigned nslots;
	size_t size;
	int kick_signal; /* the scheduler's checked copy of the header's */
	char *path;	 /* the creator's: unlinked by vcpu_gate_close(..., true) */
};

/* VM side: create (replacing an old one) and map the file with nslots slots, all released. */
int __must_check vcpu_gate_create(struct vcpu_gate *g, const char *path, unsigned nslots,
				  int kick_signal, struct errbuf *err);
/* VM side: a slot's thread id; then publish the header as ready. */
void vcpu_gate_set_tid(struct vcpu_gate *g, unsigned slot, pid_t tid);
void vcpu_gate_publish(struct vcpu_gate *g);
/* VM side: slot's word, for the vCPU that sleeps on it (core/vcpu.h ext_gate). */
uint32_t *vcpu_gate_word(struct vcpu_gate *g, unsigned slot);

/*
 * Scheduler side: open and map an existing gate, checking magic, version, size and `ready`
 * (waiting for it at most timeout_ms). 0, or -errno with err set.
 */
int __must_check vcpu_gate_open(struct vcpu_gate *g, const char *path, int timeout_ms,
				struct errbuf *err);
/*
 * Scheduler side: park (set the bit, kick thread tid of process pid) or release (clear, wake)
 * one slot. pid and tid are the caller's own knowledge of the VM (never the file's): tgkill
 * reaches only a thread of that process. 0 or -errno.
 */
int vcpu_gate_set(struct vcpu_gate *g, unsigned slot, bool park, pid_t pid, pid_t tid);
/* Scheduler side: release every slot (a scheduler that starts over or goes away). */
void vcpu_gate_release_all(struct vcpu_gate *g);

/* Either side: unmap; the creator passes unlink=true to remove the file. */
void vcpu_gate_close(struct vcpu_gate *g, bool unlink_file);

#endif
