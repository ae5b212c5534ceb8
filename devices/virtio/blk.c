/* blk.c - virtio-blk device and its backends. See blk.h for threads and locks. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/memmap.h"
#include "core/vm.h"
#include "devices/virtio/blk.h"
#include "iothreads/ioloop.h"
#include "util/log.h"
#include "util/parse.h"

/* ---- options ---- */

int vblk_parse_opts(const char *spec, struct vblk_opts *o, struct errbuf *err)
{
	struct opts kv;
	const char *v;
	int ret = -EINVAL;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->aio = VBLK_AIO_IO_URING;
	if (opts_parse(&kv, spec, "path"))
		return errbuf_set(err, -EINVAL, "--disk: cannot parse '%s'", spec);
	v = opts_get(&kv, "path");
	if (!v || !*v) {
		errbuf_set(err, ret, "--disk: path= is required");
		goto out;
	}
	if (strncmp(v, "null:", 5) == 0) {
		o->null_dev = true;
		o->aio = VBLK_AIO_NULL;
		if (parse_size(v + 5, 1, &o->null_bytes) || o->null_bytes == 0 ||
		    o->null_bytes % VBLK_SECTOR) {
			errbuf_set(err, ret,
				   "--disk %s: the null size must be a multiple of 512 bytes", v);
			goto out;
		}
	}
	snprintf(o->path, sizeof(o->path), "%s", v);
	if ((v = opts_get(&kv, "readonly"))) {
		if (parse_bool(v, &o->readonly)) {
			errbuf_set(err, ret, "--disk: readonly=%s: expected on or off", v);
			goto out;
		}
	}
	if ((v = opts_get(&kv, "cache"))) {
		if (strcmp(v, "none") == 0) {
			o->direct = true;
		} else if (strcmp(v, "writeback") != 0) {
			errbuf_set(err, ret, "--disk: cache=%s: expected none or writeback", v);
			goto out;
		}
	}
	if ((v = opts_get(&kv, "serial"))) {
		if (strlen(v) > VIRTIO_BLK_ID_BYTES) {
			errbuf_set(err, ret, "--disk: serial '%s' is longer than %d bytes", v,
				   VIRTIO_BLK_ID_BYTES);
			goto out;
		}
		snprintf(o->serial, sizeof(o->serial), "%s", v);
	}
	if ((v = opts_get(&kv, "queues"))) {
		uint32_t n;

		if (parse_u32(v, &n) || n == 0 || n > 64) {
			errbuf_set(err, ret, "--disk: queues=%s: expected 1..64", v);
			goto out;
		}
		o->queues = n;
	}
	if ((v = opts_get(&kv, "aio"))) {
		if (o->null_dev) {
			errbuf_set(err, ret, "--disk: aio= does not apply to a null disk");
			goto out;
		}
		if (strcmp(v, "io_uring") == 0)
			o->aio = VBLK_AIO_IO_URING;
		else if (strcmp(v, "sync") == 0)
			o->aio = VBLK_AIO_SYNC;
		else {
			errbuf_set(err, ret, "--disk: aio=%s: expected io_uring or sync", v);
			goto out;
		}
	}
	if ((v = opts_get(&kv, "iothread")))
		snprintf(o->iothread, sizeof(o->iothread), "%s", v);
	if ((v = opts_unused(&kv))) {
		errbuf_set(err, ret, "--disk: unknown option '%s'", v);
		goto out;
	}
	ret = 0;
out:
	opts_free(&kv);
	return ret;
}

/* ---- request parsing (pure) ---- */

/* Copy len bytes starting at byte `skip` of the iov stream into dst; false if too short. */
static bool stream_copy(const struct vq_iov *iov, unsigned n, uint64_t skip, void *dst,
			uint64_t len)
{
	uint8_t *d = dst;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take;

		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		take = MIN(len, iov[i].len - skip);
		memcpy(d, iov[i].hva + skip, take);
		d += take;
		len -= take;
		skip = 0;
	}
	return len == 0;
}

/* Describe bytes [skip, skip+len) of the iov stream as iovecs; false if more than max. */
static bool stream_slice(const struct vq_iov *iov, unsigned n, uint64_t skip, uint64_t len,
			 struct iovec *out, unsigned max, unsigned *nout)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t take;

		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		if (k == max)
			return false;
		take = MIN(len, iov[i].len - skip);
		out[k].iov_base = iov[i].hva + skip;
		out[k].iov_len = take;
		k++;
		len -= take;
		skip = 0;
	}
	*nout = k;
	return len == 0;
}

static bool range_ok(uint64_t sector, uint64_t sectors, uint64_t capacity)
{
	return sector <= capacity && sectors <= capacity - sector;
}

enum vblk_parse_result vblk_parse_request(const struct vq_chain *c, const struct vblk_limits *l,
					  struct vblk_request *r)
{
	const struct vq_iov *rd = c->iov, *wr = c->iov + c->n_readable;
	struct virtio_blk_outhdr hdr;
	const struct vq_iov *last;
	uint64_t rd_data, wr_data;

	memset(r, 0, offsetof(struct vblk_request, data));
	r->ndata = 0;
	r->nseg = 0;
	/* The status byte is the last device-writable byte; the header the first 16 readable. */
	if (c->n_writable == 0 || c->readable_bytes < sizeof(hdr) ||
	    !stream_copy(rd, c->n_readable, 0, &hdr, sizeof(hdr)))
		return VBLK_PARSE_MALFORMED;
	last = &wr[c->n_writable - 1];
	r->status = last->hva + last->len - 1;
	r->type = hdr.type;
	r->sector = hdr.sector;
	rd_data = c->readable_bytes - sizeof(hdr);
	wr_data = c->writable_bytes - 1;
	r->early_status = VIRTIO_BLK_S_IOERR;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		/* Data comes back to the guest: it must be in device-writable buffers. */
		if (rd_data || wr_data % VBLK_SECTOR ||
		    !range_ok(hdr.sector, wr_data / VBLK_SECTOR, l->capacity))
			return VBLK_PARSE_DONE;
		if (!stream_slice(wr, c->n_writable, 0, wr_data, r->data, ARRAY_SIZE(r->data),
				  &r->ndata))
			return VBLK_PARSE_DONE;
		r->data_len = wr_data;
		return VBLK_PARSE_IO;
	case VIRTIO_BLK_T_OUT:
		if (l->readonly || wr_data || rd_data % VBLK_SECTOR ||
		    !range_ok(hdr.sector, rd_data / VBLK_SECTOR, l->capacity))
			return VBLK_PARSE_DONE;
		if (!stream_slice(rd, c->n_readable, sizeof(hdr), rd_data, r->data,
				  ARRAY_SIZE(r->data), &r->ndata))
			return VBLK_PARSE_DONE;
		r->data_len = rd_data;
		return VBLK_PARSE_IO;
	case VIRTIO_BLK_T_FLUSH:
		return VBLK_PARSE_IO;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };

		if (wr_data == 0)
			return VBLK_PARSE_DONE;
		if (l->serial)
			memcpy(id, l->serial, strnlen(l->serial, sizeof(id)));
		if (!stream_slice(wr, c->n_writable, 0, MIN(wr_data, sizeof(id)), r->data,
				  ARRAY_SIZE(r->data), &r->ndata))
			return VBLK_PARSE_DONE;
		for (unsigned i = 0, off = 0; i < r->ndata; i++) {
			memcpy(r->data[i].iov_base, id + off, r->data[i].iov_len);
			off += (unsigned)r->data[i].iov_len;
		}
		r->data_len = MIN(wr_data, sizeof(id));
		r->early_status = VIRTIO_BLK_S_OK;
		return VBLK_PARSE_DONE;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		bool wz = hdr.type == VIRTIO_BLK_T_WRITE_ZEROES;

		if ((wz && !l->write_zeroes) || (!wz && !l->discard)) {
			r->early_status = VIRTIO_BLK_S_UNSUPP;
			return VBLK_PARSE_DONE;
		}
		if (l->readonly || rd_data == 0 || rd_data % sizeof(r->seg[0]) ||
		    rd_data / sizeof(r->seg[0]) > VBLK_MAX_DISCARD_SEG)
			return VBLK_PARSE_DONE;
		r->nseg = (unsigned)(rd_data / sizeof(r->seg[0]));
		if (!stream_copy(rd, c->n_readable, sizeof(hdr), r->seg, rd_data))
			return VBLK_PARSE_DONE;
		for (unsigned i = 0; i < r->nseg; i++) {
			uint32_t allowed = wz ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

			if (r->seg[i].flags & ~allowed) {
				r->early_status = VIRTIO_BLK_S_UNSUPP;
				return VBLK_PARSE_DONE;
			}
			if (!range_ok(r->seg[i].sector, r->seg[i].num_sectors, l->capacity))
				return VBLK_PARSE_DONE;
		}
		return VBLK_PARSE_IO;
	}
	default:
		r->early_status = VIRTIO_BLK_S_UNSUPP;
		return VBLK_PARSE_DONE;
	}
}

/* ---- per-queue state and requests ---- */

struct vblk_req {
	struct vblk_queue *bq;
	struct vq_chain chain;
	struct vq_iov iov[VBLK_SEG_MAX + 2];
	struct vblk_request r;
	void *bounce; /* O_DIRECT bounce buffer for misaligned guest buffers */
	int pending;  /* io_uring operations outstanding */
	int result;   /* first error (negative errno) */
	struct vblk_req *next_free;
};

struct vblk_queue {
	struct vblk *blk;
	struct virtio_queue *vq;
	struct vblk_req *reqs;
	struct vblk_req *free_list; /* [Q] */
	unsigned inflight;	    /* [Q] */
	struct io_uring ring;	    /* [Q] */
	bool ring_ok;
	int cq_fd; /* eventfd signalled by io_uring completions */
	struct ioloop *cq_loop;
	struct ioloop_fd *cq_handler;
	bool need_submit; /* [Q] SQEs prepared, not yet submitted */
};

static struct vblk_req *req_alloc(struct vblk_queue *bq)
{
	struct vblk_req *r = bq->free_list;

	if (r) {
		bq->free_list = r->next_free;
		r->chain.iov = r->iov;
		r->chain.cap = ARRAY_SIZE(r->iov);
		r->bounce = NULL;
		r->pending = 0;
		r->result = 0;
	}
	return r;
}

static void req_free(struct vblk_queue *bq, struct vblk_req *r)
{
	free(r->bounce);
	r->bounce = NULL;
	r->next_free = bq->free_list;
	bq->free_list = r;
}

static uint8_t status_from(int res)
{
	return res == 0		  ? VIRTIO_BLK_S_OK :
	       res == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP :
				    VIRTIO_BLK_S_IOERR;
}

/* Finish a request: status byte, used ring. Queue lock held, in a memmap read section. */
static void req_complete(struct vblk_queue *bq, const struct memmap_table *t, struct vblk_req *r,
			 uint8_t status, uint32_t data_written)
{
	struct vblk *b = bq->blk;

	*r->r.status = status;
	if (status == VIRTIO_BLK_S_IOERR)
		stat_inc(&b->stats.ioerr);
	else if (status == VIRTIO_BLK_S_UNSUPP)
		stat_inc(&b->stats.unsupp);
	if (vq_push(&bq->vq->vq, t, r->chain.head, data_written + 1))
		virtio_dev_needs_reset(&b->dev, bq->vq);
}

static bool aligned_for_direct(const struct vblk *b, const struct vblk_request *r)
{
	if (!b->opts.direct)
		return true;
	for (unsigned i = 0; i < r->ndata; i++) {
		if ((uintptr_t)r->data[i].iov_base % b->dio_align ||
		    r->data[i].iov_len % b->dio_align)
			return false;
	}
	return true;
}

static void count_op(struct vblk *b, const struct vblk_request *r)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		stat_inc(&b->stats.reads);
		stat_add(&b->stats.read_bytes, r->data_len);
		break;
	case VIRTIO_BLK_T_OUT:
		stat_inc(&b->stats.writes);
		stat_add(&b->stats.write_bytes, r->data_len);
		break;
	case VIRTIO_BLK_T_FLUSH:
		stat_inc(&b->stats.flushes);
		break;
	case VIRTIO_BLK_T_DISCARD:
		stat_inc(&b->stats.discards);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		stat_inc(&b->stats.write_zeroes);
		break;
	default:
		break;
	}
}

static int do_fallocate(struct vblk *b, const struct vblk_request *r)
{
	for (unsigned i = 0; i < r->nseg; i++) {
		off_t off = (off_t)(r->seg[i].sector * VBLK_SECTOR);
		off_t len = (off_t)((uint64_t)r->seg[i].num_sectors * VBLK_SECTOR);
		int mode;

		if (len == 0)
			continue;
		if (r->type == VIRTIO_BLK_T_DISCARD ||
		    (r->seg[i].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		else
			mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		if (fallocate(b->fd, mode, off, len) < 0) {
			/* Some filesystems lack ZERO_RANGE: write-zeroes falls back to a hole. */
			if (errno == EOPNOTSUPP && mode & FALLOC_FL_ZERO_RANGE &&
			    fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
				      len) == 0)
				continue;
			return r->type == VIRTIO_BLK_T_DISCARD && errno == EOPNOTSUPP ? 0 : -errno;
		}
	}
	return 0;
}

/* Blocking I/O for the sync backend (and the bounce path). Returns 0 or -errno. */
static int do_sync_rw(struct vblk *b, struct vblk_req *q)
{
	struct vblk_request *r = &q->r;
	off_t off = (off_t)(r->sector * VBLK_SECTOR);
	struct iovec bounce_iov;
	const struct iovec *iov = r->data;
	int niov = (int)r->ndata;
	ssize_t n;

	if (r->data_len == 0)
		return 0;
	if (!aligned_for_direct(b, r)) {
		q->bounce = aligned_alloc(b->dio_align, ALIGN_UP(r->data_len, b->dio_align));
		if (!q->bounce)
			return -ENOMEM;
		if (r->type == VIRTIO_BLK_T_OUT) {
			uint8_t *p = q->bounce;

			for (unsigned i = 0; i < r->ndata; i++) {
				memcpy(p, r->data[i].iov_base, r->data[i].iov_len);
				p += r->data[i].iov_len;
			}
		}
		bounce_iov.iov_base = q->bounce;
		bounce_iov.iov_len = r->data_len;
		iov = &bounce_iov;
		niov = 1;
	}
	do {
		n = r->type == VIRTIO_BLK_T_IN ? preadv(b->fd, iov, niov, off) :
						 pwritev(b->fd, iov, niov, off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((uint64_t)n != r->data_len)
		return -EIO; /* short transfer: the image shrank under us */
	if (q->bounce && r->type == VIRTIO_BLK_T_IN) {
		const uint8_t *p = q->bounce;

		for (unsigned i = 0; i < r->ndata; i++) {
			memcpy(r->data[i].iov_base, p, r->data[i].iov_len);
			p += r->data[i].iov_len;
		}
	}
	return 0;
}

static int execute_sync(struct vblk *b, struct vblk_req *q)
{
	switch (q->r.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return do_sync_rw(b, q);
	case VIRTIO_BLK_T_FLUSH:
		return fdatasync(b->fd) < 0 ? -errno : 0;
	default:
		return do_fallocate(b, &q->r);
	}
}

static void execute_null(struct vblk_req *q)
{
	if (q->r.type == VIRTIO_BLK_T_IN) {
		for (unsigned i = 0; i < q->r.ndata; i++)
			memset(q->r.data[i].iov_base, 0, q->r.data[i].iov_len);
	}
}

/* io_uring submission: returns 0 when queued (completion later) or -errno to fail now. */
static int submit_uring(struct vblk_queue *bq, struct vblk_req *q)
{
	struct vblk *b = bq->blk;
	struct vblk_request *r = &q->r;
	struct io_uring_sqe *sqe;

	if (r->type == VIRTIO_BLK_T_DISCARD || r->type == VIRTIO_BLK_T_WRITE_ZEROES)
		return 1; /* done synchronously by the caller (rare, metadata-only) */
	if ((r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) &&
	    (r->data_len == 0 || !aligned_for_direct(b, r)))
		return 1; /* bounce or empty: synchronous path */
	sqe = io_uring_get_sqe(&bq->ring);
	if (!sqe) {
		io_uring_submit(&bq->ring);
		sqe = io_uring_get_sqe(&bq->ring);
		if (!sqe)
			return 1;
	}
	if (r->type == VIRTIO_BLK_T_IN)
		io_uring_prep_readv(sqe, b->fd, r->data, r->ndata, r->sector * VBLK_SECTOR);
	else if (r->type == VIRTIO_BLK_T_OUT)
		io_uring_prep_writev(sqe, b->fd, r->data, r->ndata, r->sector * VBLK_SECTOR);
	else
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, q);
	q->pending = 1;
	bq->need_submit = true;
	return 0;
}

static void process_queue(struct virtio_dev *d, unsigned qi)
{
	struct vblk *b = d->priv;
	struct vblk_queue *bq = &b->q[qi];
	struct virtio_queue *vq = &d->queues[qi];
	const struct memmap_table *t = memmap_read_begin(&d->vm->mem);
	bool pushed = false;

	for (;;) {
		struct vblk_req *q = req_alloc(bq);
		enum vblk_parse_result pr;
		int ret;

		if (!q)
			break; /* every request slot busy: completions will resume us */
		ret = vq_pop(&vq->vq, t, &q->chain);
		if (ret <= 0) {
			req_free(bq, q);
			if (ret < 0)
				virtio_dev_needs_reset(d, vq);
			break;
		}
		pr = vblk_parse_request(&q->chain, &b->limits, &q->r);
		if (pr == VBLK_PARSE_MALFORMED) {
			stat_inc(&b->stats.malformed);
			/* Without a status byte there is no way to answer: the queue is unusable. */
			vq->vq.broken = true;
			req_free(bq, q);
			virtio_dev_needs_reset(d, vq);
			break;
		}
		if (pr == VBLK_PARSE_DONE) {
			if (q->r.type == VIRTIO_BLK_T_GET_ID &&
			    q->r.early_status == VIRTIO_BLK_S_OK)
				stat_inc(&b->stats.get_ids);
			req_complete(bq, t, q, q->r.early_status,
				     q->r.type == VIRTIO_BLK_T_GET_ID ? (uint32_t)q->r.data_len :
									0);
			req_free(bq, q);
			pushed = true;
			continue;
		}
		count_op(b, &q->r);
		if (b->opts.aio == VBLK_AIO_NULL) {
			execute_null(q);
			req_complete(bq, t, q, VIRTIO_BLK_S_OK,
				     q->r.type == VIRTIO_BLK_T_IN ? (uint32_t)q->r.data_len : 0);
			req_free(bq, q);
			pushed = true;
			continue;
		}
		if (b->opts.aio == VBLK_AIO_IO_URING && bq->ring_ok) {
			ret = submit_uring(bq, q);
			if (ret == 0) {
				vq_chain_dma_get(&q->chain);
				bq->inflight++;
				continue;
			}
		}
		ret = execute_sync(b, q);
		req_complete(bq, t, q, status_from(ret),
			     ret == 0 && q->r.type == VIRTIO_BLK_T_IN ? (uint32_t)q->r.data_len :
									0);
		req_free(bq, q);
		pushed = true;
	}
	if (bq->need_submit) {
		bq->need_submit = false;
		io_uring_submit(&bq->ring);
	}
	if (pushed)
		virtio_queue_notify_guest(vq, t);
	memmap_read_end(&d->vm->mem);
}

/* Reap io_uring completions. Queue lock held. keep: push to the used ring (false after reset). */
static unsigned reap_locked(struct vblk_queue *bq, bool keep)
{
	struct virtio_dev *d = &bq->blk->dev;
	const struct memmap_table *t = memmap_read_begin(&d->vm->mem);
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	while (io_uring_peek_cqe(&bq->ring, &cqe) == 0) {
		struct vblk_req *q = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&bq->ring, cqe);
		if (res < 0)
			q->result = res;
		else if ((q->r.type == VIRTIO_BLK_T_IN || q->r.type == VIRTIO_BLK_T_OUT) &&
			 (uint64_t)res != q->r.data_len)
			q->result = -EIO; /* short transfer: the image shrank under us */
		if (keep && !bq->vq->vq.broken)
			req_complete(bq, t, q, status_from(q->result),
				     q->result == 0 && q->r.type == VIRTIO_BLK_T_IN ?
					     (uint32_t)q->r.data_len :
					     0);
		vq_chain_dma_put(&q->chain);
		bq->inflight--;
		req_free(bq, q);
		n++;
	}
	if (n && keep)
		virtio_queue_notify_guest(bq->vq, t);
	memmap_read_end(&d->vm->mem);
	return n;
}

static void on_completion(void *opaque, uint32_t events)
{
	struct vblk_queue *bq = opaque;
	uint64_t v;

	(void)events;
	if (read(bq->cq_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	virtio_queue_enter(bq->vq);
	reap_locked(bq, virtio_dev_running(&bq->blk->dev));
	/* Slots freed by completions may let waiting requests in. */
	if (virtio_dev_running(&bq->blk->dev) && bq->vq->vq.ready && !bq->vq->vq.broken)
		process_queue(&bq->blk->dev, bq->vq->index);
	virtio_queue_leave(bq->vq);
}

static void vblk_queue_notify(struct virtio_dev *d, unsigned qi)
{
	process_queue(d, qi);
}

static void vblk_config_read(struct virtio_dev *d, uint32_t off, void *buf, unsigned len)
{
	struct vblk *b = d->priv;
	struct virtio_blk_config c;

	memset(&c, 0, sizeof(c));
	c.capacity = b->limits.capacity;
	c.seg_max = VBLK_SEG_MAX;
	c.blk_size = VBLK_SECTOR;
	c.num_queues = (uint16_t)b->opts.queues;
	c.max_discard_sectors = UINT32_MAX;
	c.max_discard_seg = VBLK_MAX_DISCARD_SEG;
	c.discard_sector_alignment = 1;
	c.max_write_zeroes_sectors = UINT32_MAX;
	c.max_write_zeroes_seg = VBLK_MAX_DISCARD_SEG;
	c.write_zeroes_may_unmap = 1;
	memcpy(buf, (uint8_t *)&c + off, len);
}

static void vblk_config_write(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len)
{
	(void)off;
	(void)buf;
	(void)len;
	stat_inc(&d->bad_register_access); /* nothing writable without CONFIG_WCE */
}

/*
 * Device reset: requests already submitted to io_uring are reaped and dropped, so that no
 * DMA into guest memory happens after the reset completes (the driver may reuse it).
 */
static void vblk_reset(struct virtio_dev *d)
{
	struct vblk *b = d->priv;

	for (unsigned i = 0; i < b->opts.queues; i++) {
		struct vblk_queue *bq = &b->q[i];

		/* The device lock (or the big lock) is held: take the queue lock alone. */
		virtio_queue_lock(bq->vq);
		while (bq->ring_ok && bq->inflight) {
			struct io_uring_cqe *cqe;

			if (io_uring_wait_cqe(&bq->ring, &cqe) < 0)
				break;
			reap_locked(bq, false);
		}
		virtio_queue_unlock(bq->vq);
	}
}

static const struct virtio_dev_ops vblk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.queue_notify = vblk_queue_notify,
	.config_read = vblk_config_read,
	.config_write = vblk_config_write,
	.reset = vblk_reset,
};

static unsigned direct_alignment(int fd)
{
	int sz = 0;

	if (ioctl(fd, BLKSSZGET, &sz) == 0 && sz >= 512)
		return (unsigned)sz;
	return 4096; /* safe for every filesystem we know */
}

int vblk_open_image(struct vblk *b, const struct vblk_opts *o, struct errbuf *err)
{
	struct stat st;
	uint64_t bytes;
	int flags = O_CLOEXEC | (o->readonly ? O_RDONLY : O_RDWR) | (o->direct ? O_DIRECT : 0);

	memset(b, 0, sizeof(*b));
	b->opts = *o;
	b->fd = -1;
	if (o->null_dev) {
		bytes = o->null_bytes;
	} else {
		b->fd = open(o->path, flags);
		if (b->fd < 0 && errno == EINVAL && o->direct)
			return errbuf_set(err, -EINVAL,
					  "--disk %s: cache=none (O_DIRECT) is not "
					  "supported by this filesystem",
					  o->path);
		if (b->fd < 0)
			return errbuf_set(err, -EINVAL, "--disk %s: %s", o->path, strerror(errno));
		if (fstat(b->fd, &st) < 0) {
			close(b->fd);
			return errbuf_set(err, -EINVAL, "--disk %s: %s", o->path, strerror(errno));
		}
		if (S_ISBLK(st.st_mode)) {
			if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0)
				bytes = 0;
		} else if (S_ISREG(st.st_mode)) {
			bytes = (uint64_t)st.st_size;
		} else {
			close(b->fd);
			return errbuf_set(err, -EINVAL,
					  "--disk %s: not a regular file or block device", o->path);
		}
		if (bytes == 0 || bytes % VBLK_SECTOR) {
			close(b->fd);
			return errbuf_set(
				err, -EINVAL,
				"--disk %s: size %llu is not a non-zero multiple of 512 bytes",
				o->path, (unsigned long long)bytes);
		}
		b->dio_align = o->direct ? direct_alignment(b->fd) : 1;
	}
	b->limits.capacity = bytes / VBLK_SECTOR;
	b->limits.readonly = o->readonly;
	b->limits.discard = !o->readonly;
	b->limits.write_zeroes = !o->readonly;
	b->limits.serial = b->opts.serial;
	return 0;
}

int vblk_init(struct vblk *b, struct vm *vm, uint64_t base, uint32_t gsi, pthread_mutex_t *big_lock,
	      struct ioloop *const *queue_loops, struct ioloop *cq_loop, struct errbuf *err)
{
	struct virtio_dev_config c = {
		.name = "virtio-blk",
		.base = base,
		.gsi = gsi,
		.nqueues = b->opts.queues,
		.queue_size = VBLK_QUEUE_SIZE,
		.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ULL << VIRTIO_BLK_F_FLUSH) |
			    (b->opts.queues > 1 ? 1ULL << VIRTIO_BLK_F_MQ : 0) |
			    (b->opts.readonly ? 1ULL << VIRTIO_BLK_F_RO :
						(1ULL << VIRTIO_BLK_F_DISCARD) |
							(1ULL << VIRTIO_BLK_F_WRITE_ZEROES)),
		.config_size = sizeof(struct virtio_blk_config),
		.big_lock = big_lock,
		.queue_loops = queue_loops,
	};
	int ret;

	b->q = calloc(b->opts.queues, sizeof(*b->q));
	if (!b->q)
		return errbuf_set(err, -ENOMEM, "virtio-blk: out of memory");
	ret = virtio_dev_init(&b->dev, vm, &vblk_ops, &c, b);
	if (ret)
		return errbuf_set(err, ret, "virtio-blk: cannot register the device: %s",
				  strerror(-ret));
	for (unsigned i = 0; i < b->opts.queues; i++) {
		struct vblk_queue *bq = &b->q[i];

		bq->blk = b;
		bq->vq = &b->dev.queues[i];
		bq->cq_fd = -1;
		bq->reqs = calloc(VBLK_QUEUE_SIZE, sizeof(*bq->reqs));
		if (!bq->reqs)
			return errbuf_set(err, -ENOMEM, "virtio-blk: out of memory");
		for (unsigned k = 0; k < VBLK_QUEUE_SIZE; k++) {
			bq->reqs[k].bq = bq;
			req_free(bq, &bq->reqs[k]);
		}
		if (b->opts.aio != VBLK_AIO_IO_URING)
			continue;
		ret = io_uring_queue_init(VBLK_QUEUE_SIZE, &bq->ring, 0);
		if (ret)
			return errbuf_set(err, ret,
					  "virtio-blk: io_uring unavailable (%s); use aio=sync",
					  strerror(-ret));
		bq->ring_ok = true;
		bq->cq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (bq->cq_fd < 0 || io_uring_register_eventfd(&bq->ring, bq->cq_fd))
			return errbuf_set(err, -EIO,
					  "virtio-blk: cannot wire io_uring completions");
		bq->cq_loop = bq->vq->loop ? bq->vq->loop : cq_loop;
		if (bq->cq_loop) {
			ret = ioloop_add_fd(bq->cq_loop, bq->cq_fd, EPOLLIN, on_completion, bq,
					    &bq->cq_handler);
			if (ret)
				return errbuf_set(err, ret, "virtio-blk: %s", strerror(-ret));
		}
	}
	return 0;
}

void vblk_destroy(struct vblk *b)
{
	for (unsigned i = 0; b->q && i < b->opts.queues; i++) {
		struct vblk_queue *bq = &b->q[i];

		if (bq->cq_handler)
			ioloop_del_fd(bq->cq_loop, bq->cq_handler);
		if (bq->ring_ok) {
			/* Wait for what is still in flight: the memory it targets is going away. */
			while (bq->inflight) {
				struct io_uring_cqe *cqe;

				if (io_uring_wait_cqe(&bq->ring, &cqe) < 0)
					break;
				reap_locked(bq, false);
			}
			io_uring_queue_exit(&bq->ring);
		}
		if (bq->cq_fd >= 0)
			close(bq->cq_fd);
		free(bq->reqs);
	}
	if (b->dev.queues)
		virtio_dev_destroy(&b->dev);
	free(b->q);
	b->q = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
