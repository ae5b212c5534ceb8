/*
 * virtio.h - a small virtio-mmio driver for micro-guests: device discovery from the boot info,
 * status/feature negotiation, split virtqueues with direct or indirect descriptors, kicks and
 * used-ring polling (or waiting for the interrupt). Runs at the program's CPL (3 by default:
 * the registers are user-accessible MMIO). Also lets tests build deliberately malformed
 * queues (raw descriptor access).
 *
 * Not thread-safe: one vCPU drives one queue.
 */
#ifndef STRAND_GUEST_VIRTIO_H
#define STRAND_GUEST_VIRTIO_H

#include "core/guest/guest.h"

#define VIRTIO_ID_BLOCK		  2
#define VIRTIO_ID_CONSOLE	  3
#define VIRTIO_ID_RNG		  4

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER	  2
#define VIRTIO_STATUS_DRIVER_OK	  4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED	  0x80

#define VIRTIO_F_INDIRECT_DESC	  28
#define VIRTIO_F_EVENT_IDX	  29
#define VIRTIO_F_VERSION_1	  32

#define VQ_DESC_F_NEXT		  1
#define VQ_DESC_F_WRITE		  2
#define VQ_DESC_F_INDIRECT	  4

/* Register offsets (virtio-mmio v2). */
#define VMMIO_MAGIC	       0x000
#define VMMIO_VERSION	       0x004
#define VMMIO_DEVICE_ID	       0x008
#define VMMIO_DEVICE_FEATURES  0x010
#define VMMIO_DEVICE_FEAT_SEL  0x014
#define VMMIO_DRIVER_FEATURES  0x020
#define VMMIO_DRIVER_FEAT_SEL  0x024
#define VMMIO_QUEUE_SEL	       0x030
#define VMMIO_QUEUE_NUM_MAX    0x034
#define VMMIO_QUEUE_NUM	       0x038
#define VMMIO_QUEUE_READY      0x044
#define VMMIO_QUEUE_NOTIFY     0x050
#define VMMIO_INTERRUPT_STATUS 0x060
#define VMMIO_INTERRUPT_ACK    0x064
#define VMMIO_STATUS	       0x070
#define VMMIO_QUEUE_DESC       0x080
#define VMMIO_QUEUE_AVAIL      0x090
#define VMMIO_QUEUE_USED       0x0a0
#define VMMIO_CONFIG_GEN       0x0fc
#define VMMIO_CONFIG	       0x100

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct sg_vdev {
	uint64_t base;
	uint32_t id, gsi, vector;
	uint64_t features; /* negotiated */
};

struct sg_vq {
	struct sg_vdev *dev;
	uint16_t index;
	uint16_t num;
	struct vq_desc *desc;
	uint16_t *avail;	 /* flags, idx, ring[num], used_event */
	volatile uint16_t *used; /* flags, idx, {u32 id, u32 len}[num], avail_event */
	uint16_t free_head, num_free;
	uint16_t avail_idx; /* our shadow of avail->idx */
	uint16_t last_used;
	uint64_t tokens[256]; /* per head: caller's token */
	uint16_t chain_len[256];
	struct vq_desc *indirect; /* one indirect table per head (if negotiated) */
};

static inline uint32_t vdev_read(const struct sg_vdev *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

static inline void vdev_write(const struct sg_vdev *d, uint32_t off, uint32_t v)
{
	mmio_write32(d->base + off, v);
}

/*
 * Background disk load: set up the nth virtio-blk device and keep `depth` (<= 64) 4 KiB reads
 * in flight (polled, no interrupts) until *stop is set; returns the reads completed. For a
 * guest that measures something else beside a busy disk (one vCPU only may call it).
 */
uint64_t sg_blk_background_reads(unsigned nth, unsigned depth, const uint32_t *stop);

/* The nth device of type id in the boot info; false if absent. */
bool sg_virtio_find(uint32_t id, unsigned nth, struct sg_vdev *d);
/* Reset, ACKNOWLEDGE|DRIVER, negotiate (device features & wanted), FEATURES_OK. */
int sg_virtio_init(struct sg_vdev *d, uint64_t wanted);
/* Set up queue qi with num entries (power of two, <= 256 and QueueNumMax). */
int sg_vq_setup(struct sg_vdev *d, struct sg_vq *vq, uint16_t qi, uint16_t num);
void sg_virtio_driver_ok(struct sg_vdev *d);
void sg_virtio_reset(struct sg_vdev *d);
uint32_t sg_virtio_status(const struct sg_vdev *d);

struct sg_buf {
	void *addr;
	uint32_t len;
	bool device_writes;
};

/*
 * Add a chain of n buffers (device-readable ones first) with `token`; uses an indirect table
 * when `indirect` and negotiated. Returns the head, or -1 if the ring is full.
 */
int sg_vq_add(struct sg_vq *vq, const struct sg_buf *bufs, unsigned n, uint64_t token,
	      bool indirect);
/* Ask the device for used-buffer interrupts (on) or not (off: the driver polls). */
void sg_vq_set_interrupts(struct sg_vq *vq, bool on);
/* Publish added chains and notify the device (QueueNotify) unless it asked not to be. */
void sg_vq_kick(struct sg_vq *vq);
/* Publish without notifying (for batching). */
void sg_vq_publish(struct sg_vq *vq);
/* Take one used chain: returns true and its token and written length, or false if none. */
bool sg_vq_get_used(struct sg_vq *vq, uint64_t *token, uint32_t *len);
/* Wait for the device's interrupt on vCPU 0 (sg_halt), acknowledging it. */
void sg_virtio_wait_irq(struct sg_vdev *d, uint64_t *seen);

/* Raw access for hostile tests: place a descriptor / avail entry exactly as given. */
void sg_vq_raw_desc(struct sg_vq *vq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next);
void sg_vq_raw_avail(struct sg_vq *vq, uint16_t head);
void sg_vq_raw_set_avail_idx(struct sg_vq *vq, uint16_t idx);

#endif
