/*
 * blk.h - virtio-blk: raw images (or a null device), read, write, flush (completed only after
 * fdatasync on the host), get-id, discard and write-zeroes, 1..N queues, with three backends:
 * io_uring (liburing, asynchronous), sync (preadv/pwritev on the thread that processes the
 * queue) and null (no disk: reads return zeros, writes are dropped; measures the VMM alone).
 *
 * Threads: requests are parsed and submitted by whichever thread processes the queue (see
 * devices/virtio/mmio.h: the vCPU that kicked, the main loop or an iothread), under the queue
 * lock; io_uring completions are reaped by the queue's completion loop under the same lock.
 * A request holds DMA references on the guest RAM regions its buffers live in until it
 * completes. Per-queue state is [Q]; the image fd and limits are immutable after init.
 */
#ifndef STRAND_DEVICES_VIRTIO_BLK_H
#define STRAND_DEVICES_VIRTIO_BLK_H

#include <linux/virtio_blk.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/mmio.h"
#include "util/compiler.h"
#include "util/errbuf.h"

#define VBLK_QUEUE_SIZE	     256
#define VBLK_SEG_MAX	     128
#define VBLK_MAX_DISCARD_SEG 16
#define VBLK_SECTOR	     512

enum vblk_aio {
	VBLK_AIO_IO_URING = 0,
	VBLK_AIO_SYNC,
	VBLK_AIO_NULL,
};

/* --disk options, parsed by vblk_parse_opts. Strings point into the option buffer. */
struct vblk_opts {
	char path[512];
	bool null_dev; /* path=null:SIZE */
	uint64_t null_bytes;
	bool readonly;
	bool direct; /* cache=none: O_DIRECT */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	unsigned queues;
	enum vblk_aio aio;
	char iothread[32]; /* name of the iothread serving it ("" = default placement) */
};

/* Parse "path=IMG[,readonly=on][,cache=none|writeback][,serial=S][,queues=N][,aio=...]". */
int vblk_parse_opts(const char *spec, struct vblk_opts *o, struct errbuf *err);

/* What the request parser needs to know about the disk. */
struct vblk_limits {
	uint64_t capacity; /* sectors */
	bool readonly;
	bool discard, write_zeroes;
	const char *serial;
};

/* A parsed request: what to do and where the guest's buffers are. */
struct vblk_request {
	uint32_t type; /* VIRTIO_BLK_T_* */
	uint64_t sector;
	struct iovec data[VBLK_SEG_MAX + 2];
	unsigned ndata;
	uint64_t data_len;
	uint8_t *status;      /* the status byte in guest memory */
	uint8_t early_status; /* with VBLK_PARSE_DONE: the status to report */
	unsigned nseg;	      /* discard / write-zeroes segments */
	struct virtio_blk_discard_write_zeroes seg[VBLK_MAX_DISCARD_SEG];
};

enum vblk_parse_result {
	VBLK_PARSE_IO = 0,    /* do the I/O described */
	VBLK_PARSE_DONE,      /* complete at once with early_status (error, or get-id done) */
	VBLK_PARSE_MALFORMED, /* no header or no status byte: the device needs a reset */
};

/* Pure: classify the chain c into a request. Counts nothing; the caller does. */
enum vblk_parse_result vblk_parse_request(const struct vq_chain *c, const struct vblk_limits *l,
					  struct vblk_request *r);

struct vblk_stats {
	uint64_t reads, writes, flushes, get_ids, discards, write_zeroes;
	uint64_t read_bytes, write_bytes;
	uint64_t ioerr, unsupp, malformed;
};

struct vblk_queue;

struct vblk {
	struct virtio_dev dev;
	struct vblk_opts opts;	   /* immutable */
	struct vblk_limits limits; /* immutable */
	int fd;			   /* -1 for the null device */
	unsigned dio_align;	   /* O_DIRECT alignment in bytes (cache=none) */
	struct vblk_queue *q;	   /* one per virtqueue */
	struct vblk_stats stats;   /* relaxed atomics */
};

struct vm;
struct ioloop;

/*
 * Open the image (checked: exists, regular file or block device, size a multiple of 512,
 * writable unless readonly) and register the device. Errors are user errors with a message.
 * queue_loops[i]: where queue i's kicks are processed (NULL: the vCPU thread); cq_loop: where
 * io_uring completions of queues without a loop are reaped (the main loop).
 */
int vblk_open_image(struct vblk *b, const struct vblk_opts *o, struct errbuf *err);
int __must_check vblk_init(struct vblk *b, struct vm *vm, uint64_t base, uint32_t gsi,
			   pthread_mutex_t *big_lock, struct ioloop *const *queue_loops,
			   struct ioloop *cq_loop, struct errbuf *err);
void vblk_destroy(struct vblk *b);

#endif
