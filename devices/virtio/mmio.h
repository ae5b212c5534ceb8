/*
 * mmio.h - the virtio-mmio transport (virtio 1.x, register version 2 only) and the device
 * model shared by virtio devices (net, blk, rng, console).
 *
 * Where device work runs is a knob (the --threading "io" dimension): a queue either has no
 * loop, and a kick (QueueNotify write) is processed on the vCPU thread that exited; or it has a
 * loop (the main loop or an iothread), a KVM ioeventfd turns the guest's kick into an eventfd
 * signal without an exit to userspace, and the loop's thread processes the queue. Completions
 * raise the device's interrupt through a KVM irqfd from whichever thread completes.
 *
 * Locking: `lock` protects the transport registers and device config ([D]); each queue's
 * `lock` protects that queue's ring state and the device's per-queue state ([Q]). Lock order:
 * device lock -> queue lock. Under the big-lock model both are NULL and every entry point runs
 * under the VM's big lock instead (the MMIO region lock for register accesses, and
 * virtio_enter/virtio_leave in loop handlers). interrupt_status is atomic.
 */
#ifndef STRAND_DEVICES_VIRTIO_MMIO_H
#define STRAND_DEVICES_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"
#include "util/compiler.h"

struct vm;
struct vcpu;
struct ioloop;
struct ioloop_fd;
struct memmap_table;

#define VIRTIO_MMIO_SIZE 0x200

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER	  2
#define VIRTIO_STATUS_DRIVER_OK	  4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED	  0x80

/* Transport feature bits. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX	    29
#define VIRTIO_F_VERSION_1	    32

#define VIRTIO_INT_USED		    1
#define VIRTIO_INT_CONFIG	    2

/* Device IDs. */
#define VIRTIO_ID_NET	  1
#define VIRTIO_ID_BLOCK	  2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG	  4

struct virtio_dev;

struct virtio_dev_ops {
	uint32_t device_id;
	/* Process queue q's available buffers. Queue lock held (or the big lock). */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* Config space access, offset and length already bounds-checked. Device lock held. */
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *buf, unsigned len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len);
	/*
	 * Device reset: stop and drain in-flight requests. Device lock held; the device may drop
	 * and retake locks around waiting (virtio_wait_unlocked).
	 */
	void (*reset)(struct virtio_dev *d);
	/* Optional: may the driver take this feature set (dependencies between bits)? [D] */
	bool (*features_ok)(struct virtio_dev *d, uint64_t features);
	/* DRIVER_OK was set. Device lock held. */
	void (*activate)(struct virtio_dev *d);
};

struct virtio_queue {
	struct virtio_dev *dev; /* immutable */
	unsigned index;		/* immutable */
	struct vq vq;		/* [Q] */
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock; /* &own_lock, or NULL under the big lock */
	struct ioloop *loop;   /* NULL: kicks processed on the vCPU thread */
	int kick_fd;	       /* ioeventfd, -1 without a loop */
	struct ioloop_fd *kick_handler;
	uint64_t kicks; /* atomic */
	void *priv;	/* device's per-queue state */
};

struct virtio_dev {
	struct vm *vm;			  /* immutable */
	const struct virtio_dev_ops *ops; /* immutable */
	char name[16];
	uint64_t base; /* MMIO base, immutable */
	uint32_t gsi;  /* immutable */
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock;	   /* &own_lock, or NULL under the big lock */
	pthread_mutex_t *big_lock; /* the VM's big lock under that model, else NULL */
	int irq_fd;		   /* irqfd eventfd, or -1 (KVM_IRQ_LINE) */

	uint64_t host_features;				/* immutable after init */
	uint64_t guest_features;			/* [D] */
	uint32_t status;				/* [D], read atomically by queue threads */
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel; /* [D] */
	uint32_t config_generation;			/* atomic */
	uint32_t config_size;				/* immutable */
	uint32_t interrupt_status;			/* atomic */

	unsigned nqueues; /* immutable */
	struct virtio_queue *queues;
	void *priv; /* the device (struct vblk, ...) */

	/* Guest mistakes, counted (relaxed atomics). */
	uint64_t bad_register_access;
	uint64_t early_notify; /* kick before DRIVER_OK or on a queue not ready */
	uint64_t bad_features; /* FEATURES_OK refused */
	uint64_t needs_reset;  /* times the device entered DEVICE_NEEDS_RESET */
	uint64_t resets;
	uint64_t interrupts;
};

struct virtio_dev_config {
	const char *name;
	uint64_t base;
	uint32_t gsi;
	unsigned nqueues;
	uint16_t queue_size; /* QueueNumMax, power of two <= VQ_MAX_SIZE */
	uint64_t features;   /* device-specific bits; transport bits are added */
	uint32_t config_size;
	pthread_mutex_t *big_lock; /* non-NULL: big-lock model */
	/* Loop per queue (NULL entries: vCPU thread). NULL array: all on the vCPU thread. */
	struct ioloop *const *queue_loops;
};

/* Register the device's MMIO window, ioeventfds and irqfd. Main thread, before vm_start. */
int __must_check virtio_dev_init(struct virtio_dev *d, struct vm *vm,
				 const struct virtio_dev_ops *ops,
				 const struct virtio_dev_config *c, void *priv);
void virtio_dev_destroy(struct virtio_dev *d);

/* Raise the used-buffer interrupt if the driver wants one for queue q. Queue lock held. */
void virtio_queue_notify_guest(struct virtio_queue *q, const struct memmap_table *t);
/* A used-buffer interrupt decided elsewhere (vhost's call eventfd). Any thread. */
void virtio_dev_raise_used(struct virtio_dev *d);
/* The device changed its config space (link status): new generation, config interrupt. */
void virtio_dev_config_changed(struct virtio_dev *d);
/* Queue q is malformed: DEVICE_NEEDS_RESET, counted, config interrupt. Any lock held. */
void virtio_dev_needs_reset(struct virtio_dev *d, struct virtio_queue *q);
/* The queue's own lock (a no-op under the big lock, which the caller then holds). */
void virtio_queue_lock(struct virtio_queue *q);
void virtio_queue_unlock(struct virtio_queue *q);
/* Take/release what a loop-side entry point needs (the big lock, or the queue lock). */
void virtio_queue_enter(struct virtio_queue *q);
void virtio_queue_leave(struct virtio_queue *q);
/* Whether the driver finished setup (DRIVER_OK and not NEEDS_RESET). Any thread. */
bool virtio_dev_running(const struct virtio_dev *d);
/* Has the driver negotiated feature bit `bit`? */
bool virtio_has_feature(const struct virtio_dev *d, unsigned bit);

/* Register-level access (what the MMIO handler does), for unit tests. */
uint64_t virtio_mmio_read(void *opaque, struct vcpu *vcpu, uint64_t off, unsigned size);
void virtio_mmio_write(void *opaque, struct vcpu *vcpu, uint64_t off, uint64_t val, unsigned size);

#endif
