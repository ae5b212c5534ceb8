/*
 * net.h - virtio-net over virtio-mmio: MAC, link status, mergeable receive buffers, checksum
 * and TSO/UFO offloads handed to the backend where it takes them, 1..8 queue pairs with a
 * control queue (VIRTIO_NET_F_MQ), event index. Backends:
 *
 *   tap=NAME   an existing tap interface; the virtio-net header is the tap's own
 *              (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), offloads set with TUNSETOFFLOAD from what
 *              the driver accepted; queues=N opens N queues of an IFF_MULTI_QUEUE tap.
 *   pair=NAME  two VMs of one process (two --vm groups) wired back to back: a frame sent by
 *              one is received by the other, with no host network stack in between.
 *   vhost=on   (with tap) the kernel's vhost-net worker moves the data; needs /dev/vhost-net.
 *
 * Queue layout: 2i = receiveq i, 2i+1 = transmitq i, 2N = controlq.
 *
 * Threads: transmit and control requests run wherever their queue's kicks are served
 * (devices/virtio/mmio.h: the vCPU, the main loop or an iothread). Receive runs on the receive
 * queue's loop (its iothread or the main loop; the main loop when kicks are served on the
 * vCPU), woken by the backend (the tap fd, or the pair's wire eventfd), and on receive-queue
 * kicks (new buffers). [R] fields are under the receive queue's lock (virtio_queue_enter on
 * queue 2i); [T] under the transmit queue's. Lock order: device lock -> queue lock -> wire
 * lock; the wire lock is a leaf, and no VM ever takes a lock of its pair peer's.
 */
#ifndef STRAND_DEVICES_VIRTIO_NET_H
#define STRAND_DEVICES_VIRTIO_NET_H

#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/mmio.h"
#include "util/compiler.h"
#include "util/errbuf.h"

struct ioloop;
struct ioloop_fd;

#define VNET_MAX_PAIRS	8
#define VNET_QUEUE_SIZE 256
#define VNET_HDR_BYTES	12    /* struct virtio_net_hdr_v1: VERSION_1 always has num_buffers */
#define VNET_MAX_FRAME	65550 /* 64 KiB of payload plus an Ethernet header */
#define VNET_MIN_FRAME	14

enum vnet_backend {
	VNET_TAP = 0,
	VNET_PAIR,
};

/* --net options, parsed by vnet_parse_opts. */
struct vnet_opts {
	enum vnet_backend backend;
	char name[IFNAMSIZ > 32 ? IFNAMSIZ : 32]; /* tap interface or pair name */
	unsigned queues;			  /* queue pairs */
	uint8_t mac[6];
	bool mac_given;
	bool vhost;
	bool offload; /* offer checksum/TSO/UFO (tap; default on) */
	char iothread[32];
};

/*
 * Parse "tap=NAME|pair=NAME[,queues=N][,mac=52:54:..][,vhost=on|off][,offload=on|off]
 * [,iothread=A[:B...]]". Pure (user errors only).
 */
int vnet_parse_opts(const char *spec, struct vnet_opts *o, struct errbuf *err);

/* Offload state as the tap header gives and takes it. */
struct vnet_offloads {
	bool csum;	      /* NEEDS_CSUM headers accepted (transmit) */
	bool tso4, tso6, ufo; /* GSO types accepted (transmit) */
	bool guest_csum;      /* the driver takes partial checksums (receive) */
	bool guest_tso4, guest_tso6, guest_ufo;
};

enum vnet_hdr_verdict {
	VNET_HDR_OK = 0,
	VNET_HDR_BAD_FLAGS,   /* unknown flag bits */
	VNET_HDR_BAD_CSUM,    /* NEEDS_CSUM not negotiated, or csum_start/offset outside */
	VNET_HDR_BAD_GSO,     /* unknown or not negotiated GSO type, ECN, zero gso_size */
	VNET_HDR_BAD_HDR_LEN, /* hdr_len beyond the frame */
};

/*
 * Pure: may a transmitted frame of frame_len bytes carry header h, given what the driver and
 * device negotiated? (The kernel checks again; this is the device's own check.)
 */
enum vnet_hdr_verdict vnet_hdr_check(const struct virtio_net_hdr_v1 *h, uint32_t frame_len,
				     const struct vnet_offloads *o);

struct vnet_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_dropped;	    /* no receive buffer, or the device not running */
	uint64_t rx_too_big;	    /* frame larger than the chain (no MRG_RXBUF) */
	uint64_t rx_bad_chain;	    /* receive chain without room for the header: needs reset */
	uint64_t tx_dropped;	    /* backend gone or full */
	uint64_t tx_oversize;	    /* frame over VNET_MAX_FRAME */
	uint64_t tx_runt;	    /* frame shorter than an Ethernet header */
	uint64_t tx_bad_hdr;	    /* vnet_hdr_check refused it (or the kernel did) */
	uint64_t tx_no_hdr;	    /* chain shorter than the header: needs reset */
	uint64_t tx_write_bufs;	    /* device-writable buffers on a transmit chain: ignored */
	uint64_t ctrl_ok, ctrl_err; /* control commands answered OK / ERR */
	uint64_t backend_errors;    /* tap read/write errors other than EAGAIN */
	uint64_t link_down;	    /* times the backend went away */
};

struct vnet_pair;
struct vnet;

/* One queue pair. */
struct vnet_qp {
	struct vnet *n;		/* immutable */
	unsigned index;		/* immutable */
	int tap_fd;		/* tap queue, -1 for pair; immutable after init */
	int wire_fd;		/* pair: eventfd signalled when our incoming wire has frames */
	struct ioloop *rx_loop; /* where the backend's readiness is served; immutable */
	struct ioloop_fd *rx_handler;
	int vhost_fd;	   /* vhost=on: this pair's /dev/vhost-net, else -1; immutable */
	int vhost_kick[2]; /* vhost: ioeventfds of the receive and transmit queues */
	int vhost_call[2]; /* vhost: call eventfds, watched on vhost_loop */
	struct ioloop_fd *vhost_call_handler[2];
	bool vhost_running; /* [D] rings handed to the kernel */
	bool rx_blocked;    /* [R] backend not watched: no receive buffers */
	uint8_t *bounce;    /* [R] a received frame (with its header) not yet delivered */
	uint32_t pending;   /* [R] its length, 0 if none */
};

struct vnet {
	struct virtio_dev dev;
	struct vnet_opts opts; /* immutable */
	struct vnet_qp qp[VNET_MAX_PAIRS];
	unsigned nqp;			 /* immutable */
	struct vnet_offloads host;	 /* what the backend takes; immutable after open */
	struct vnet_offloads negotiated; /* [D] set on FEATURES_OK; read by queue threads */
	uint16_t link_status;		 /* atomic (VIRTIO_NET_S_LINK_UP) */
	uint16_t active_pairs;		 /* atomic (control queue MQ_VQ_PAIRS_SET) */
	bool backend_gone;		 /* atomic */
	struct vnet_pair *pair;		 /* pair backend; shared with the peer */
	unsigned pair_end;		 /* 0 or 1; immutable */
	uint64_t vhost_features;	 /* what vhost-net takes; immutable after open */
	struct ioloop *vhost_loop;	 /* serves vhost's call eventfds; immutable */
	struct vnet_stats stats;	 /* relaxed atomics */
};

/*
 * Open the backend (user errors: a missing tap, a tap that is not one, multiqueue on a tap
 * without IFF_MULTI_QUEUE, a busy tap, vhost=on without /dev/vhost-net). Main thread, before
 * any VM state. n->opts is set from o.
 */
int vnet_open(struct vnet *n, const struct vnet_opts *o, struct errbuf *err);
/*
 * Register the device. queue_loops[2N+1] as for any virtio device; main_loop serves the
 * backend when a receive queue has no loop of its own.
 */
int __must_check vnet_init(struct vnet *n, struct vm *vm, uint64_t base, uint32_t gsi,
			   pthread_mutex_t *big_lock, struct ioloop *const *queue_loops,
			   struct ioloop *main_loop, struct errbuf *err);
void vnet_destroy(struct vnet *n);

/*
 * vhost=on: the kernel's vhost-net worker threads of this NIC (their thread ids), so that the
 * builder places them like its own threads. Returns how many were found (at most max).
 */
unsigned vnet_vhost_workers(const struct vnet *n, int *tids, unsigned max);

/* The counters (device and virtqueue errors included) as "name=value ..." text. Any thread. */
void vnet_stats_format(const struct vnet *n, char *buf, size_t size);

/*
 * Every pair=NAME must have exactly two ends with the same queues=; `names` lists the pair
 * name of each --net of every VM (NULL for other backends). User errors; before any VM.
 */
int vnet_check_pairs(const char *const *names, const unsigned *queues, unsigned count,
		     struct errbuf *err);

/*
 * Process transmit chains on queue pair qp: the transmit path, without a VM (fuzzing).
 * In a memmap read section; transmit queue lock held.
 */
void vnet_tx_locked(struct vnet *n, struct vnet_qp *qp, const struct memmap_table *t);

#endif
