/*
 * virtqueue.h - split virtqueues (virtio 1.x), validated as if the guest were hostile.
 *
 * Every descriptor address and length goes through the checked gpa->hva accessor; chains are
 * bounded by the queue size (loops caught) and by the caller's segment limit; indirect tables
 * get the same checks and may not nest; zero-length buffers, device-readable buffers after
 * device-writable ones, ring index jumps and rings outside RAM are errors. An error marks the
 * queue broken (the device then sets DEVICE_NEEDS_RESET) and is counted by kind; nothing the
 * guest writes can make the walker read or write outside guest RAM or loop.
 *
 * Threads: a queue is processed by one thread at a time under its device's queue lock (the
 * vCPU thread that kicked, the main loop, or an iothread: the --threading knob). The caller
 * holds a memmap read section across vq_pop, the use of the returned pointers, and vq_push;
 * requests that outlive the read section (asynchronous I/O) hold DMA references on the
 * regions their buffers live in (vq_chain_dma_get/put), so RAM removal waits for them.
 */
#ifndef STRAND_DEVICES_VIRTIO_VIRTQUEUE_H
#define STRAND_DEVICES_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

struct memmap_table;
struct mem_region;

#define VQ_MAX_SIZE		   1024

#define VRING_DESC_F_NEXT	   1
#define VRING_DESC_F_WRITE	   2
#define VRING_DESC_F_INDIRECT	   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	   1

enum vq_error {
	VQ_ERR_NONE = 0,
	VQ_ERR_RING_ADDR,	 /* desc/avail/used ring not in RAM, or misaligned */
	VQ_ERR_AVAIL_IDX,	 /* avail->idx moved by more than the queue size */
	VQ_ERR_HEAD,		 /* head index out of range */
	VQ_ERR_NEXT,		 /* next index out of range */
	VQ_ERR_LOOP,		 /* chain longer than the queue (a loop) */
	VQ_ERR_TOO_MANY_SEGS,	 /* more buffers than the device accepts */
	VQ_ERR_BUF_ADDR,	 /* buffer not in RAM, overflowing, or read-only for a write */
	VQ_ERR_ZERO_LEN,	 /* zero-length buffer */
	VQ_ERR_ORDER,		 /* device-readable buffer after a device-writable one */
	VQ_ERR_INDIRECT_FEATURE, /* indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC */
	VQ_ERR_INDIRECT_NESTED,	 /* indirect descriptor inside an indirect table */
	VQ_ERR_INDIRECT_LEN,  /* indirect table length not a non-zero multiple of 16, or too long */
	VQ_ERR_INDIRECT_NEXT, /* INDIRECT together with NEXT */
	VQ_ERR_USED_ID,	      /* (device) completing a head twice or never popped */
	VQ_ERR_COUNT
};

const char *vq_error_name(enum vq_error e);

/* One guest buffer, mapped. */
struct vq_iov {
	uint8_t *hva;
	uint32_t len;
	const struct mem_region *region;
};

/* A popped descriptor chain: device-readable buffers first, then device-writable ones. */
struct vq_chain {
	uint16_t head;
	unsigned n_readable, n_writable;
	uint64_t readable_bytes, writable_bytes;
	struct vq_iov *iov; /* caller's array: n_readable + n_writable entries used */
	unsigned cap;	    /* capacity of iov */
};

struct vq {
	/* Set by the transport (register writes), fixed while ready. */
	uint16_t num;
	uint16_t num_max;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */

	/* Device state, under the queue lock. */
	uint16_t last_avail; /* next avail entry to pop */
	uint16_t used_idx;   /* next used entry to write */
	uint16_t signalled_used;
	bool signalled_used_valid;
	bool broken; /* a malformed queue was seen: the device needs a reset */
	enum vq_error last_error;
	uint64_t errors[VQ_ERR_COUNT]; /* per kind, relaxed atomics (read by stats) */
	uint64_t popped, pushed, notifies;
	uint64_t in_flight; /* popped, not yet pushed */
};

/* Reset device-side state (queue reset or device reset). */
void vq_reset(struct vq *vq);
/* Check the rings for `num` entries at their addresses; on failure the queue is broken. */
bool vq_check_rings(struct vq *vq, const struct memmap_table *t);

/*
 * Pop the next available chain into c (c->iov/c->cap set by the caller, max_segs bounds the
 * number of buffers). Returns 1 with a chain, 0 if the ring is empty, or -EINVAL if the queue is
 * (now) broken. In a memmap read section.
 */
int vq_pop(struct vq *vq, const struct memmap_table *t, struct vq_chain *c);

/*
 * Give back the last n chains popped and not pushed (virtio-net: a packet that does not fit
 * in the buffers available yet waits for more). Their buffers must not have been published.
 */
void vq_unpop(struct vq *vq, const struct memmap_table *t, unsigned n);

/* Publish chain `head` as used with `written` bytes. -EINVAL if the used ring is gone. */
int vq_push(struct vq *vq, const struct memmap_table *t, uint16_t head, uint32_t written);

/* Whether the driver wants an interrupt for what was pushed since the last call. */
bool vq_should_notify(struct vq *vq, const struct memmap_table *t);

/* Tell the driver (VRING_USED_F_NO_NOTIFY or avail_event) whether to kick us. */
void vq_set_notification(struct vq *vq, const struct memmap_table *t, bool enable);

/* Whether the avail ring holds entries we have not popped. */
bool vq_has_work(struct vq *vq, const struct memmap_table *t);

/* DMA references on the regions of a chain's buffers (for I/O beyond the read section). */
void vq_chain_dma_get(const struct vq_chain *c);
void vq_chain_dma_put(const struct vq_chain *c);

#endif
