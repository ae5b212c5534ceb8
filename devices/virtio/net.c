/* net.c - virtio-net with tap and pair backends. See net.h for threads, locks and queues. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/memmap.h"
#include "core/vm.h"
#include "devices/virtio/net.h"
#include "iothreads/ioloop.h"
#include "util/log.h"
#include "util/parse.h"

#define WIRE_BYTES    (1u << 20) /* per direction and queue pair */
#define RX_BUDGET     256	 /* frames per wake-up before others get the loop */
#define RX_MAX_CHAINS 64	 /* mergeable buffers per frame */
#define TX_SEGS	      VNET_QUEUE_SIZE

#define CFG_BYTES     12 /* mac, status, max_virtqueue_pairs, mtu (0: no MTU feature) */

/*
 * A wire: frames from one end of a pair to the other on one queue pair, a byte ring of
 * [u32 length][header + frame] records. Written by the sender's transmit thread, read by the
 * receiver's receive loop; everything under `lock`, a leaf lock. `efd` wakes the receiver.
 */
struct vnet_wire {
	pthread_mutex_t lock;
	uint8_t *buf;	     /* [W] */
	uint32_t head, used; /* [W] read position, bytes in the ring */
	uint64_t drops;	     /* [W] frames the ring had no room for */
	int efd;	     /* immutable */
};

/*
 * Two ends of a pair=NAME. Created by the first end's vnet_init, freed by the last
 * vnet_destroy; the list and `refs`/`nends` are under pairs_lock. wire[e][q] carries frames
 * to end e on queue pair q. active[e] is end e's active queue pairs (atomic).
 */
struct vnet_pair {
	char name[32];
	unsigned queues, nends, refs;
	uint16_t active[2];
	struct vnet_wire wire[2][VNET_MAX_PAIRS];
	struct vnet_pair *next;
};

static pthread_mutex_t pairs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vnet_pair *pairs; /* under pairs_lock */
static unsigned mac_counter;	/* atomic: default MACs differ per device */

enum rx_result { RX_DELIVERED, RX_DROPPED, RX_NO_BUF, RX_MALFORMED };
enum tx_result { TX_SENT, TX_DROPPED, TX_MALFORMED };

/* --- options -------------------------------------------------------------------------- */

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return (mac[0] & 1) ? -EINVAL : 0; /* a multicast address is no station address */
}

int vnet_parse_opts(const char *spec, struct vnet_opts *o, struct errbuf *err)
{
	struct opts kv;
	const char *tap, *pair, *v, *bad;
	int ret = -EINVAL;

	memset(o, 0, sizeof(*o));
	o->queues = 1;
	o->offload = true;
	if (opts_parse(&kv, spec, NULL))
		return errbuf_set(err, -EINVAL, "--net: cannot parse '%s'", spec);
	tap = opts_get(&kv, "tap");
	pair = opts_get(&kv, "pair");
	if (!!tap == !!pair) {
		errbuf_set(err, ret, "--net %s: give exactly one of tap=NAME or pair=NAME", spec);
		goto out;
	}
	v = tap ? tap : pair;
	if (!*v || strlen(v) >= (tap ? IFNAMSIZ : sizeof(o->name)) || strchr(v, '/')) {
		errbuf_set(err, ret, "--net %s=%s: expected a name of 1..%zu characters",
			   tap ? "tap" : "pair", v, (tap ? (size_t)IFNAMSIZ : sizeof(o->name)) - 1);
		goto out;
	}
	o->backend = tap ? VNET_TAP : VNET_PAIR;
	snprintf(o->name, sizeof(o->name), "%s", v);
	if ((v = opts_get(&kv, "queues"))) {
		uint32_t q;

		if (parse_u32(v, &q) || q == 0 || q > VNET_MAX_PAIRS) {
			errbuf_set(err, ret, "--net: queues=%s: expected 1..%d queue pairs", v,
				   VNET_MAX_PAIRS);
			goto out;
		}
		o->queues = q;
	}
	if ((v = opts_get(&kv, "mac"))) {
		if (parse_mac(v, o->mac)) {
			errbuf_set(
				err, ret,
				"--net: mac=%s: expected a unicast address like 52:54:00:12:34:56",
				v);
			goto out;
		}
		o->mac_given = true;
	}
	if ((v = opts_get(&kv, "vhost"))) {
		if (parse_bool(v, &o->vhost)) {
			errbuf_set(err, ret, "--net: vhost=%s: expected on or off", v);
			goto out;
		}
		if (o->vhost && o->backend != VNET_TAP) {
			errbuf_set(err, ret,
				   "--net: vhost=on needs tap=NAME (the kernel's "
				   "vhost-net worker moves frames to and from a tap)");
			goto out;
		}
	}
	if ((v = opts_get(&kv, "offload"))) {
		if (parse_bool(v, &o->offload)) {
			errbuf_set(err, ret, "--net: offload=%s: expected on or off", v);
			goto out;
		}
	}
	if ((v = opts_get(&kv, "iothread"))) {
		if (!*v || strlen(v) >= sizeof(o->iothread)) {
			errbuf_set(err, ret, "--net: iothread=%s: expected NAME[:NAME...]", v);
			goto out;
		}
		snprintf(o->iothread, sizeof(o->iothread), "%s", v);
	}
	if ((bad = opts_unused(&kv))) {
		errbuf_set(err, ret, "--net: unknown option '%s'", bad);
		goto out;
	}
	ret = 0;
out:
	opts_free(&kv);
	return ret;
}

int vnet_check_pairs(const char *const *names, const unsigned *queues, unsigned count,
		     struct errbuf *err)
{
	for (unsigned i = 0; i < count; i++) {
		unsigned ends = 0, other = i;

		if (!names[i])
			continue;
		for (unsigned j = 0; j < count; j++) {
			if (names[j] && strcmp(names[i], names[j]) == 0) {
				ends++;
				if (j != i)
					other = j;
			}
		}
		if (ends == 1)
			return errbuf_set(err, -EINVAL,
					  "--net pair=%s: only one VM has this end; a pair links "
					  "two --vm groups of one strand run",
					  names[i]);
		if (ends > 2)
			return errbuf_set(err, -EINVAL, "--net pair=%s: %u ends; a pair has two",
					  names[i], ends);
		if (queues[i] != queues[other])
			return errbuf_set(
				err, -EINVAL,
				"--net pair=%s: the two ends have queues=%u and queues=%u",
				names[i], queues[i], queues[other]);
	}
	return 0;
}

/* --- the transmit header ---------------------------------------------------------------- */

enum vnet_hdr_verdict vnet_hdr_check(const struct virtio_net_hdr_v1 *h, uint32_t frame_len,
				     const struct vnet_offloads *o)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t start = le16toh(h->csum_start), off = le16toh(h->csum_offset);

	/* The driver may set only NEEDS_CSUM on transmit (virtio 1.2, 5.1.6.2.1). */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return VNET_HDR_BAD_FLAGS;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!o->csum || start + off + 2 > frame_len)
			return VNET_HDR_BAD_CSUM;
	}
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		return VNET_HDR_BAD_GSO; /* HOST_ECN is not offered */
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return VNET_HDR_OK;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!o->tso4)
			return VNET_HDR_BAD_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!o->tso6)
			return VNET_HDR_BAD_GSO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (!o->ufo)
			return VNET_HDR_BAD_GSO;
		break;
	default:
		return VNET_HDR_BAD_GSO;
	}
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || le16toh(h->gso_size) == 0)
		return VNET_HDR_BAD_GSO;
	if (le16toh(h->hdr_len) > frame_len)
		return VNET_HDR_BAD_HDR_LEN;
	return VNET_HDR_OK;
}

/* --- scatter/gather helpers ------------------------------------------------------------- */

static uint32_t iov_copy_to(const struct vq_iov *iov, unsigned n, const uint8_t *src, uint32_t len)
{
	uint32_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint32_t k = MIN(iov[i].len, len - done);

		memcpy(iov[i].hva, src + done, k);
		done += k;
	}
	return done;
}

static uint32_t iov_copy_from(const struct vq_iov *iov, unsigned n, uint32_t skip, uint8_t *dst,
			      uint32_t len)
{
	uint32_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint32_t k;

		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		k = MIN(iov[i].len - skip, len - done);
		memcpy(dst + done, iov[i].hva + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

/* Where byte `at` of the chain's device-writable stream lives (NULL past the end). */
static uint8_t *iov_byte(const struct vq_iov *iov, unsigned n, uint32_t at)
{
	for (unsigned i = 0; i < n; i++) {
		if (at < iov[i].len)
			return iov[i].hva + at;
		at -= iov[i].len;
	}
	return NULL;
}

/* --- the pair's wires ------------------------------------------------------------------- */

static void ring_in(struct vnet_wire *w, uint32_t at, const uint8_t *p, uint32_t len)
{
	uint32_t pos = at % WIRE_BYTES, first = MIN(len, WIRE_BYTES - pos);

	memcpy(w->buf + pos, p, first);
	memcpy(w->buf, p + first, len - first);
}

static void ring_out(struct vnet_wire *w, uint32_t at, uint8_t *p, uint32_t len)
{
	uint32_t pos = at % WIRE_BYTES, first = MIN(len, WIRE_BYTES - pos);

	memcpy(p, w->buf + pos, first);
	memcpy(p + first, w->buf, len - first);
}

/* Put header + frame (the chain's readable bytes after the guest's header) on the wire. */
static int wire_push(struct vnet_wire *w, const struct virtio_net_hdr_v1 *h,
		     const struct vq_iov *iov, unsigned n, uint32_t frame_len)
{
	uint32_t len = VNET_HDR_BYTES + frame_len, at;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	if (w->used + 4 + len > WIRE_BYTES) {
		w->drops++;
		pthread_mutex_unlock(&w->lock);
		return -ENOBUFS;
	}
	at = w->head + w->used;
	ring_in(w, at, (const uint8_t *)&len, 4);
	ring_in(w, at + 4, (const uint8_t *)h, VNET_HDR_BYTES);
	at += 4 + VNET_HDR_BYTES;
	for (unsigned i = 0, skip = VNET_HDR_BYTES; i < n; i++) {
		if (skip >= iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		ring_in(w, at, iov[i].hva + skip, iov[i].len - skip);
		at += iov[i].len - skip;
		skip = 0;
	}
	w->used += 4 + len;
	pthread_mutex_unlock(&w->lock);
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("pair wire: eventfd: %s", strerror(errno));
	return 0;
}

/* Take the next record into p (room for VNET_HDR_BYTES + VNET_MAX_FRAME). 0 if empty. */
static uint32_t wire_pop(struct vnet_wire *w, uint8_t *p)
{
	uint32_t len = 0;

	pthread_mutex_lock(&w->lock);
	if (w->used >= 4) {
		ring_out(w, w->head, (uint8_t *)&len, 4);
		ring_out(w, w->head + 4, p, len);
		w->head = (w->head + 4 + len) % WIRE_BYTES;
		w->used -= 4 + len;
	}
	pthread_mutex_unlock(&w->lock);
	return len;
}

static void pair_free(struct vnet_pair *p)
{
	for (unsigned e = 0; e < 2; e++) {
		for (unsigned q = 0; q < VNET_MAX_PAIRS; q++) {
			struct vnet_wire *w = &p->wire[e][q];

			free(w->buf);
			if (w->efd >= 0)
				close(w->efd);
			pthread_mutex_destroy(&w->lock);
		}
	}
	free(p);
}

/* Join pair `name` (created by the first end). pairs_lock is taken here. */
static int pair_join(struct vnet *n)
{
	struct vnet_pair *p;

	pthread_mutex_lock(&pairs_lock);
	for (p = pairs; p; p = p->next) {
		if (strcmp(p->name, n->opts.name) == 0 && p->nends < 2)
			break;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			goto nomem;
		snprintf(p->name, sizeof(p->name), "%s", n->opts.name);
		p->queues = n->nqp;
		for (unsigned e = 0; e < 2; e++) {
			p->active[e] = 1;
			for (unsigned q = 0; q < VNET_MAX_PAIRS; q++) {
				struct vnet_wire *w = &p->wire[e][q];

				pthread_mutex_init(&w->lock, NULL);
				w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
				w->buf = q < n->nqp ? malloc(WIRE_BYTES) : NULL;
				if (w->efd < 0 || (q < n->nqp && !w->buf)) {
					pair_free(p);
					goto nomem;
				}
			}
		}
		p->next = pairs;
		pairs = p;
	}
	n->pair = p;
	n->pair_end = p->nends++;
	p->refs++;
	pthread_mutex_unlock(&pairs_lock);
	return 0;
nomem:
	pthread_mutex_unlock(&pairs_lock);
	return -ENOMEM;
}

static void pair_leave(struct vnet *n)
{
	struct vnet_pair **pp;

	if (!n->pair)
		return;
	pthread_mutex_lock(&pairs_lock);
	if (--n->pair->refs == 0) {
		for (pp = &pairs; *pp; pp = &(*pp)->next) {
			if (*pp == n->pair) {
				*pp = n->pair->next;
				break;
			}
		}
		pair_free(n->pair);
	}
	pthread_mutex_unlock(&pairs_lock);
	n->pair = NULL;
}

/* --- link and queue pairs --------------------------------------------------------------- */

/* The backend went away (the tap was deleted): link down, as a cable pulled. Any lock. */
static void backend_gone(struct vnet *n, int err)
{
	if (__atomic_exchange_n(&n->backend_gone, true, __ATOMIC_ACQ_REL))
		return;
	stat_inc(&n->stats.link_down);
	log_warn("%s: tap %s is gone (%s): link down", n->dev.name, n->opts.name, strerror(err));
	__atomic_store_n(&n->link_status, 0, __ATOMIC_RELEASE);
	if (virtio_has_feature(&n->dev, VIRTIO_NET_F_STATUS))
		virtio_dev_config_changed(&n->dev);
}

/* Receive and transmit on the first k queue pairs only (tap: detach the other tap queues). */
static void set_active_pairs(struct vnet *n, uint16_t k)
{
	__atomic_store_n(&n->active_pairs, k, __ATOMIC_RELEASE);
	if (n->pair)
		__atomic_store_n(&n->pair->active[n->pair_end], k, __ATOMIC_RELEASE);
	if (n->opts.backend != VNET_TAP || n->nqp < 2)
		return;
	for (unsigned i = 0; i < n->nqp; i++) {
		struct ifreq ifr = { .ifr_flags = i < k ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

		if (n->qp[i].tap_fd >= 0 && ioctl(n->qp[i].tap_fd, TUNSETQUEUE, &ifr) < 0 &&
		    errno != EINVAL)
			log_debug("%s: TUNSETQUEUE %u: %s", n->dev.name, i, strerror(errno));
	}
}

static void set_tap_offload(struct vnet *n, const struct vnet_offloads *o)
{
	unsigned long f = 0;

	if (n->opts.backend != VNET_TAP || n->qp[0].tap_fd < 0)
		return;
	if (o->guest_csum) {
		f |= TUN_F_CSUM;
		f |= o->guest_tso4 ? TUN_F_TSO4 : 0;
		f |= o->guest_tso6 ? TUN_F_TSO6 : 0;
		f |= o->guest_ufo ? TUN_F_UFO : 0;
	}
	if (ioctl(n->qp[0].tap_fd, TUNSETOFFLOAD, f) < 0)
		log_debug("%s: TUNSETOFFLOAD %#lx: %s", n->dev.name, f, strerror(errno));
}

/* --- receive ---------------------------------------------------------------------------- */

/* The next frame from the backend into qp->bounce: 1, 0 if none, -1 if the backend is gone. */
static int rx_fetch(struct vnet *n, struct vnet_qp *qp)
{
	if (qp->tap_fd >= 0) {
		for (;;) {
			ssize_t k = read(qp->tap_fd, qp->bounce, VNET_HDR_BYTES + VNET_MAX_FRAME);

			if (k >= VNET_HDR_BYTES + VNET_MIN_FRAME) {
				qp->pending = (uint32_t)k;
				return 1;
			}
			if (k >= 0)
				continue; /* a runt from the host: nothing to deliver */
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			stat_inc(&n->stats.backend_errors);
			if (errno == EBADFD || errno == ENODEV || errno == ENXIO) {
				backend_gone(n, errno);
				return -1;
			}
			return 0;
		}
	}
	if (n->pair) {
		struct vnet_wire *w = &n->pair->wire[n->pair_end][qp->index];

		qp->pending = wire_pop(w, qp->bounce);
		return qp->pending ? 1 : 0;
	}
	return 0;
}

/* Deliver qp->bounce into receive buffers of queue q. In a read section; [R] held. */
static enum rx_result rx_deliver(struct vnet *n, struct virtio_queue *q, struct vnet_qp *qp,
				 const struct memmap_table *t)
{
	bool mrg = virtio_has_feature(&n->dev, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t total = qp->pending, off = 0, lens[RX_MAX_CHAINS];
	uint16_t heads[RX_MAX_CHAINS];
	uint8_t *nb[2] = { NULL, NULL };
	struct vq_iov iov[64];
	struct vq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	unsigned nchains = 0;

	while (off < total) {
		int ret = vq_pop(&q->vq, t, &c);
		uint32_t k;

		if (ret < 0)
			return RX_MALFORMED;
		if (ret == 0) {
			vq_unpop(&q->vq, t, nchains);
			return RX_NO_BUF;
		}
		if (c.n_readable || c.writable_bytes < VNET_HDR_BYTES) {
			stat_inc(&n->stats.rx_bad_chain);
			log_guest("%s: receive chain of %llu writable bytes (%u readable): no room "
				  "for the header",
				  n->dev.name, (unsigned long long)c.writable_bytes, c.n_readable);
			q->vq.broken = true;
			return RX_MALFORMED;
		}
		if (!mrg && c.writable_bytes < total) {
			vq_unpop(&q->vq, t, 1);
			stat_inc(&n->stats.rx_too_big);
			return RX_DROPPED;
		}
		k = iov_copy_to(iov, c.n_writable, qp->bounce + off, total - off);
		if (nchains == 0) {
			nb[0] = iov_byte(iov, c.n_writable, 10);
			nb[1] = iov_byte(iov, c.n_writable, 11);
		}
		heads[nchains] = c.head;
		lens[nchains] = k;
		nchains++;
		off += k;
		if (off < total && nchains == RX_MAX_CHAINS) {
			vq_unpop(&q->vq, t, nchains);
			stat_inc(&n->stats.rx_too_big);
			return RX_DROPPED;
		}
	}
	/* num_buffers (le16): how many chains this frame took; 1 without MRG_RXBUF. */
	if (nb[0] && nb[1]) {
		*nb[0] = (uint8_t)nchains;
		*nb[1] = (uint8_t)(nchains >> 8);
	}
	for (unsigned i = 0; i < nchains; i++) {
		if (vq_push(&q->vq, t, heads[i], lens[i]))
			return RX_MALFORMED;
	}
	stat_inc(&n->stats.rx_packets);
	stat_add(&n->stats.rx_bytes, total - VNET_HDR_BYTES);
	return RX_DELIVERED;
}

static void rx_watch(struct vnet_qp *qp, bool on)
{
	if (qp->tap_fd >= 0 && qp->rx_handler &&
	    ioloop_mod_fd(qp->rx_loop, qp->rx_handler, on ? EPOLLIN : 0))
		log_debug("virtio-net: cannot %s the tap", on ? "watch" : "pause");
}

static void rx_unwatch_on_loop(void *opaque)
{
	struct vnet_qp *qp = opaque;
	struct virtio_queue *q = &qp->n->dev.queues[2 * qp->index];

	virtio_queue_enter(q);
	if (qp->rx_handler)
		ioloop_del_fd(qp->rx_loop, qp->rx_handler);
	qp->rx_handler = NULL;
	virtio_queue_leave(q);
}

/* Move what the backend has into receive buffers. [R] held (or the big lock). */
static void rx_flush_locked(struct vnet *n, struct vnet_qp *qp)
{
	struct virtio_queue *q = &n->dev.queues[2 * qp->index];
	const struct memmap_table *t;
	bool pushed = false, gone = false;
	unsigned budget = RX_BUDGET;

	if (qp->rx_blocked) {
		qp->rx_blocked = false;
		rx_watch(qp, true);
	}
	if (!virtio_dev_running(&n->dev) || !q->vq.ready || q->vq.broken) {
		/* No driver to take frames: they are lost, as on a NIC that is down. */
		qp->pending = 0;
		while (budget-- && rx_fetch(n, qp) > 0) {
			qp->pending = 0;
			stat_inc(&n->stats.rx_dropped);
		}
		if (__atomic_load_n(&n->backend_gone, __ATOMIC_ACQUIRE) && qp->rx_handler)
			gone = true;
		goto out;
	}
	t = memmap_read_begin(&n->dev.vm->mem);
	while (budget) {
		enum rx_result r;

		if (!qp->pending) {
			int got = rx_fetch(n, qp);

			if (got < 0)
				gone = true;
			if (got <= 0)
				break;
		}
		r = rx_deliver(n, q, qp, t);
		if (r == RX_NO_BUF) {
			qp->rx_blocked = true;
			rx_watch(qp, false);
			break;
		}
		if (r == RX_MALFORMED) {
			virtio_dev_needs_reset(&n->dev, q);
			break;
		}
		pushed |= r == RX_DELIVERED;
		qp->pending = 0;
		budget--;
	}
	if (pushed)
		virtio_queue_notify_guest(q, t);
	memmap_read_end(&n->dev.vm->mem);
	/* Out of budget with frames left on a wire: wake ourselves (the eventfd was read). */
	if (!budget && qp->wire_fd >= 0) {
		uint64_t one = 1;

		if (write(qp->wire_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_debug("pair wire: eventfd: %s", strerror(errno));
	}
out:
	if (gone && ioloop_call(qp->rx_loop, rx_unwatch_on_loop, qp))
		log_debug("%s: cannot stop watching the tap", n->dev.name);
}

static void on_rx_ready(void *opaque, uint32_t events)
{
	struct vnet_qp *qp = opaque;
	struct virtio_queue *q = &qp->n->dev.queues[2 * qp->index];

	if (qp->wire_fd >= 0) {
		uint64_t v;

		if (read(qp->wire_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return;
	}
	(void)events;
	virtio_queue_enter(q);
	rx_flush_locked(qp->n, qp);
	virtio_queue_leave(q);
}

/* --- transmit --------------------------------------------------------------------------- */

static enum tx_result tx_one(struct vnet *n, struct vnet_qp *qp, const struct vq_chain *c)
{
	struct virtio_net_hdr_v1 h;
	uint32_t frame_len;
	enum vnet_hdr_verdict v;

	if (c->n_writable)
		stat_inc(&n->stats.tx_write_bufs); /* nothing to write back on transmit: ignored */
	if (c->readable_bytes < VNET_HDR_BYTES) {
		stat_inc(&n->stats.tx_no_hdr);
		log_guest("%s: transmit chain of %llu bytes has no virtio-net header", n->dev.name,
			  (unsigned long long)c->readable_bytes);
		return TX_MALFORMED;
	}
	frame_len = (uint32_t)MIN(c->readable_bytes - VNET_HDR_BYTES, (uint64_t)UINT32_MAX);
	if (c->readable_bytes - VNET_HDR_BYTES > VNET_MAX_FRAME) {
		stat_inc(&n->stats.tx_oversize);
		log_guest("%s: transmit frame of %llu bytes (at most %d): dropped", n->dev.name,
			  (unsigned long long)(c->readable_bytes - VNET_HDR_BYTES), VNET_MAX_FRAME);
		return TX_DROPPED;
	}
	if (frame_len < VNET_MIN_FRAME) {
		stat_inc(&n->stats.tx_runt);
		return TX_DROPPED;
	}
	/* The header is copied once: what is checked is what the backend gets. */
	iov_copy_from(c->iov, c->n_readable, 0, (uint8_t *)&h, VNET_HDR_BYTES);
	v = vnet_hdr_check(&h, frame_len, &n->negotiated);
	if (v != VNET_HDR_OK) {
		stat_inc(&n->stats.tx_bad_hdr);
		log_guest("%s: transmit header refused (flags %#x gso_type %#x gso_size %u "
			  "csum %u+%u, frame %u): dropped",
			  n->dev.name, h.flags, h.gso_type, le16toh(h.gso_size),
			  le16toh(h.csum_start), le16toh(h.csum_offset), frame_len);
		return TX_DROPPED;
	}
	h.num_buffers = 0;
	if (__atomic_load_n(&n->backend_gone, __ATOMIC_ACQUIRE)) {
		stat_inc(&n->stats.tx_dropped);
		return TX_DROPPED;
	}
	if (qp->tap_fd >= 0) {
		struct iovec out[TX_SEGS + 1];
		unsigned k = 0;
		uint32_t skip = VNET_HDR_BYTES;
		ssize_t w;

		out[k++] = (struct iovec){ &h, VNET_HDR_BYTES };
		for (unsigned i = 0; i < c->n_readable && k < ARRAY_SIZE(out); i++) {
			if (skip >= c->iov[i].len) {
				skip -= c->iov[i].len;
				continue;
			}
			out[k++] = (struct iovec){ c->iov[i].hva + skip, c->iov[i].len - skip };
			skip = 0;
		}
		do
			w = writev(qp->tap_fd, out, (int)k);
		while (w < 0 && errno == EINTR);
		if (w < 0) {
			int e = errno;

			if (e == EAGAIN || e == ENOBUFS || e == EIO) {
				stat_inc(&n->stats.tx_dropped);
			} else if (e == EINVAL) {
				stat_inc(&n->stats.tx_bad_hdr); /* the kernel refused the header */
			} else {
				stat_inc(&n->stats.backend_errors);
				stat_inc(&n->stats.tx_dropped);
				if (e == EBADFD || e == ENODEV || e == ENXIO)
					backend_gone(n, e);
			}
			return TX_DROPPED;
		}
	} else if (n->pair) {
		unsigned peer = 1 - n->pair_end;
		unsigned act = __atomic_load_n(&n->pair->active[peer], __ATOMIC_ACQUIRE);
		unsigned dst = qp->index < act ? qp->index : qp->index % (act ? act : 1);

		if (wire_push(&n->pair->wire[peer][dst], &h, c->iov, c->n_readable, frame_len)) {
			stat_inc(&n->stats.tx_dropped);
			return TX_DROPPED;
		}
	}
	stat_inc(&n->stats.tx_packets);
	stat_add(&n->stats.tx_bytes, frame_len);
	return TX_SENT;
}

void vnet_tx_locked(struct vnet *n, struct vnet_qp *qp, const struct memmap_table *t)
{
	struct virtio_queue *q = &n->dev.queues[2 * qp->index + 1];
	struct vq_iov iov[TX_SEGS];
	struct vq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	bool pushed = false;
	int ret;

	while ((ret = vq_pop(&q->vq, t, &c)) > 0) {
		enum tx_result r = tx_one(n, qp, &c);

		if (vq_push(&q->vq, t, c.head, 0))
			break;
		pushed = true;
		if (r == TX_MALFORMED) {
			q->vq.broken = true;
			break;
		}
	}
	if (ret < 0 || q->vq.broken)
		virtio_dev_needs_reset(&n->dev, q);
	if (pushed)
		virtio_queue_notify_guest(q, t);
}

/* --- control queue ---------------------------------------------------------------------- */

static void ctrl_locked(struct vnet *n, struct virtio_queue *q, const struct memmap_table *t)
{
	struct vq_iov iov[16];
	struct vq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	bool pushed = false;
	int ret;

	while ((ret = vq_pop(&q->vq, t, &c)) > 0) {
		uint8_t cmd[4] = { 0 }, ack = VIRTIO_NET_ERR, *ackp;
		uint32_t got;

		if (c.readable_bytes < 2 || !c.n_writable) {
			log_guest("%s: control command without class/command or ack byte",
				  n->dev.name);
			q->vq.broken = true;
			break;
		}
		got = iov_copy_from(iov, c.n_readable, 0, cmd, sizeof(cmd));
		if (cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
		    got >= 4 && virtio_has_feature(&n->dev, VIRTIO_NET_F_MQ)) {
			uint16_t k = (uint16_t)(cmd[2] | cmd[3] << 8);

			if (k >= 1 && k <= n->nqp) {
				set_active_pairs(n, k);
				ack = VIRTIO_NET_OK;
			}
		}
		stat_inc(ack == VIRTIO_NET_OK ? &n->stats.ctrl_ok : &n->stats.ctrl_err);
		/* The ack is the last device-writable byte. */
		ackp = iov_byte(iov + c.n_readable, c.n_writable, (uint32_t)c.writable_bytes - 1);
		if (ackp)
			*ackp = ack;
		if (vq_push(&q->vq, t, c.head, 1))
			break;
		pushed = true;
	}
	if (ret < 0 || q->vq.broken)
		virtio_dev_needs_reset(&n->dev, q);
	if (pushed)
		virtio_queue_notify_guest(q, t);
}

/* --- vhost-net ------------------------------------------------------------------------- */

/*
 * With vhost=on the kernel moves frames between the tap and the rings: strand keeps the
 * transport, the config space and the control queue, and hands each queue pair's two rings to
 * its /dev/vhost-net (one per pair) at DRIVER_OK. Kicks are KVM ioeventfds that only vhost
 * reads; vhost's call eventfds are watched by strand, which sets the interrupt status the
 * virtio-mmio driver reads and raises the interrupt (virtio-mmio has one line per device).
 */
static void on_vhost_call(void *opaque, uint32_t events)
{
	struct vnet_qp *qp = opaque;
	uint64_t v;
	bool any = false;

	(void)events;
	for (unsigned r = 0; r < 2; r++)
		any |= qp->vhost_call[r] >= 0 && read(qp->vhost_call[r], &v, sizeof(v)) > 0;
	if (any)
		virtio_dev_raise_used(&qp->n->dev);
}

static int vhost_mem_table(struct vnet *n, int fd)
{
	const struct memmap_table *t = memmap_read_begin(&n->dev.vm->mem);
	struct vhost_memory *m = calloc(1, sizeof(*m) + t->n * sizeof(m->regions[0]));
	int ret = 0;

	if (!m) {
		memmap_read_end(&n->dev.vm->mem);
		return -ENOMEM;
	}
	m->nregions = t->n;
	for (unsigned i = 0; i < t->n; i++)
		m->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = t->r[i]->gpa,
			.memory_size = t->r[i]->size,
			.userspace_addr = (uintptr_t)t->r[i]->hva,
		};
	memmap_read_end(&n->dev.vm->mem);
	if (ioctl(fd, VHOST_SET_MEM_TABLE, m) < 0)
		ret = -errno;
	free(m);
	return ret;
}

static int vhost_ring(struct vnet *n, struct vnet_qp *qp, unsigned r)
{
	struct vq *vq = &n->dev.queues[2 * qp->index + r].vq;
	const struct memmap_table *t = memmap_read_begin(&n->dev.vm->mem);
	void *desc = memmap_hva_rcu(t, vq->desc_gpa, 16ULL * vq->num, MEMMAP_READ);
	void *avail = memmap_hva_rcu(t, vq->avail_gpa, 6 + 2ULL * vq->num, MEMMAP_READ);
	void *used = memmap_hva_rcu(t, vq->used_gpa, 6 + 8ULL * vq->num, MEMMAP_WRITE);
	struct vhost_vring_state num = { r, vq->num }, base = { r, vq->last_avail };
	struct vhost_vring_addr addr = { .index = r,
					 .desc_user_addr = (uintptr_t)desc,
					 .avail_user_addr = (uintptr_t)avail,
					 .used_user_addr = (uintptr_t)used };
	struct vhost_vring_file kick = { r, qp->vhost_kick[r] }, call = { r, qp->vhost_call[r] };
	struct vhost_vring_file be = { r, qp->tap_fd };

	memmap_read_end(&n->dev.vm->mem);
	if (!vq->ready || !desc || !avail || !used)
		return -EINVAL;
	if (ioctl(qp->vhost_fd, VHOST_SET_VRING_NUM, &num) < 0 ||
	    ioctl(qp->vhost_fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(qp->vhost_fd, VHOST_SET_VRING_ADDR, &addr) < 0 ||
	    ioctl(qp->vhost_fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(qp->vhost_fd, VHOST_SET_VRING_CALL, &call) < 0 ||
	    ioctl(qp->vhost_fd, VHOST_NET_SET_BACKEND, &be) < 0)
		return -errno;
	return 0;
}

/* DRIVER_OK: hand the rings to vhost. Device lock held. */
static void vhost_start(struct vnet *n)
{
	uint64_t f = __atomic_load_n(&n->dev.guest_features, __ATOMIC_RELAXED) & n->vhost_features;

	for (unsigned i = 0; i < n->nqp; i++) {
		struct vnet_qp *qp = &n->qp[i];
		int ret = 0;

		if (ioctl(qp->vhost_fd, VHOST_SET_FEATURES, &f) < 0)
			ret = -errno;
		if (!ret)
			ret = vhost_mem_table(n, qp->vhost_fd);
		for (unsigned r = 0; r < 2 && !ret; r++)
			ret = vhost_ring(n, qp, r);
		if (ret) {
			/* Rings vhost cannot take (not ready, outside RAM): as a malformed queue. */
			log_guest("%s: vhost-net refused queue pair %u: %s", n->dev.name, i,
				  strerror(-ret));
			virtio_dev_needs_reset(&n->dev, &n->dev.queues[2 * i]);
			continue;
		}
		qp->vhost_running = true;
	}
}

/* Reset: take the rings back (vhost stops touching guest memory). Device lock held. */
static void vhost_stop(struct vnet *n)
{
	for (unsigned i = 0; i < n->nqp; i++) {
		struct vnet_qp *qp = &n->qp[i];

		if (!qp->vhost_running)
			continue;
		for (unsigned r = 0; r < 2; r++) {
			struct vhost_vring_file be = { r, -1 };
			struct vhost_vring_state st = { r, 0 };

			if (ioctl(qp->vhost_fd, VHOST_NET_SET_BACKEND, &be) < 0 ||
			    ioctl(qp->vhost_fd, VHOST_GET_VRING_BASE, &st) < 0)
				log_debug("%s: vhost ring %u: %s", n->dev.name, r, strerror(errno));
		}
		qp->vhost_running = false;
	}
}

/* vhost=on: one /dev/vhost-net per queue pair, owned by this process. Before any VM. */
static int vhost_open(struct vnet *n, struct errbuf *err)
{
	for (unsigned i = 0; i < n->nqp; i++) {
		struct vnet_qp *qp = &n->qp[i];
		uint64_t f = 0;

		qp->vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
		if (qp->vhost_fd < 0)
			return errbuf_set(err, -EINVAL,
					  "--net tap=%s,vhost=on: /dev/vhost-net: %s "
					  "(modprobe vhost_net); vhost=off uses strand's own data "
					  "path",
					  n->opts.name, strerror(errno));
		if (ioctl(qp->vhost_fd, VHOST_SET_OWNER) < 0 ||
		    ioctl(qp->vhost_fd, VHOST_GET_FEATURES, &f) < 0)
			return errbuf_set(err, -EINVAL, "--net tap=%s,vhost=on: %s", n->opts.name,
					  strerror(errno));
		n->vhost_features = i ? (n->vhost_features & f) : f;
	}
	return 0;
}

/* vhost=on: the kick ioeventfds (read by vhost only) and call eventfds (watched by us). */
static int vhost_init_fds(struct vnet *n, struct vm *vm)
{
	for (unsigned i = 0; i < n->nqp; i++) {
		struct vnet_qp *qp = &n->qp[i];

		for (unsigned r = 0; r < 2; r++) {
			int ret;

			qp->vhost_kick[r] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			qp->vhost_call[r] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (qp->vhost_kick[r] < 0 || qp->vhost_call[r] < 0)
				return -errno;
			ret = vm_ioeventfd(vm, qp->vhost_kick[r],
					   n->dev.base + 0x50 /* QueueNotify */, 4, true, true,
					   2 * i + r, true);
			if (ret)
				return ret;
			ret = ioloop_add_fd(n->vhost_loop, qp->vhost_call[r], EPOLLIN,
					    on_vhost_call, qp, &qp->vhost_call_handler[r]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

unsigned vnet_vhost_workers(const struct vnet *n, int *tids, unsigned max)
{
	char comm[32], path[64];
	unsigned k = 0;
	struct dirent *e;
	DIR *d;

	if (!n->opts.vhost || !(d = opendir("/proc/self/task")))
		return 0;
	while (k < max && (e = readdir(d))) {
		int fd;
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/comm", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		comm[len > 0 ? len : 0] = '\0';
		/* vhost-net's workers run as tasks of the owner, named vhost-<pid> (Linux 6.4+). */
		if (!strncmp(comm, "vhost-", 6))
			tids[k++] = atoi(e->d_name);
	}
	closedir(d);
	return k;
}

/* --- device ops ------------------------------------------------------------------------- */

static void vnet_notify(struct virtio_dev *d, unsigned qi)
{
	struct vnet *n = d->priv;
	const struct memmap_table *t;

	if (qi == 2 * n->nqp) {
		t = memmap_read_begin(&d->vm->mem);
		ctrl_locked(n, &d->queues[qi], t);
		memmap_read_end(&d->vm->mem);
	} else if (qi % 2 == 0) {
		rx_flush_locked(n, &n->qp[qi / 2]); /* new receive buffers */
	} else {
		t = memmap_read_begin(&d->vm->mem);
		vnet_tx_locked(n, &n->qp[qi / 2], t);
		memmap_read_end(&d->vm->mem);
	}
}

static void vnet_config_read(struct virtio_dev *d, uint32_t off, void *buf, unsigned len)
{
	struct vnet *n = d->priv;
	uint8_t cfg[CFG_BYTES] = { 0 };
	uint16_t st = __atomic_load_n(&n->link_status, __ATOMIC_ACQUIRE);

	memcpy(cfg, n->opts.mac, 6);
	cfg[6] = (uint8_t)st;
	cfg[7] = (uint8_t)(st >> 8);
	cfg[8] = (uint8_t)n->nqp;
	cfg[9] = 0;
	memcpy(buf, cfg + off, len);
}

static bool has(uint64_t f, unsigned bit)
{
	return f & (1ULL << bit);
}

/* Feature dependencies (virtio 1.2, 5.1.3.1); latches what the transmit check allows. */
static bool vnet_features_ok(struct virtio_dev *d, uint64_t f)
{
	struct vnet *n = d->priv;
	struct vnet_offloads o = { 0 };

	if ((has(f, VIRTIO_NET_F_HOST_TSO4) || has(f, VIRTIO_NET_F_HOST_TSO6) ||
	     has(f, VIRTIO_NET_F_HOST_UFO)) &&
	    !has(f, VIRTIO_NET_F_CSUM))
		return false;
	if ((has(f, VIRTIO_NET_F_GUEST_TSO4) || has(f, VIRTIO_NET_F_GUEST_TSO6) ||
	     has(f, VIRTIO_NET_F_GUEST_UFO)) &&
	    !has(f, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if (has(f, VIRTIO_NET_F_MQ) && !has(f, VIRTIO_NET_F_CTRL_VQ))
		return false;
	o.csum = has(f, VIRTIO_NET_F_CSUM);
	o.tso4 = has(f, VIRTIO_NET_F_HOST_TSO4);
	o.tso6 = has(f, VIRTIO_NET_F_HOST_TSO6);
	o.ufo = has(f, VIRTIO_NET_F_HOST_UFO);
	o.guest_csum = has(f, VIRTIO_NET_F_GUEST_CSUM);
	o.guest_tso4 = has(f, VIRTIO_NET_F_GUEST_TSO4);
	o.guest_tso6 = has(f, VIRTIO_NET_F_GUEST_TSO6);
	o.guest_ufo = has(f, VIRTIO_NET_F_GUEST_UFO);
	n->negotiated = o;
	return true;
}

static void vnet_activate(struct virtio_dev *d)
{
	struct vnet *n = d->priv;

	set_tap_offload(n, &n->negotiated);
	set_active_pairs(n, 1); /* until the driver asks for more (MQ_VQ_PAIRS_SET) */
	if (n->opts.vhost)
		vhost_start(n);
}

static void vnet_reset(struct virtio_dev *d)
{
	struct vnet *n = d->priv;
	static const struct vnet_offloads none;

	if (n->opts.vhost)
		vhost_stop(n);
	for (unsigned i = 0; i < n->nqp; i++) {
		struct virtio_queue *q = &d->queues[2 * i];

		virtio_queue_lock(q);
		n->qp[i].pending = 0;
		if (n->qp[i].rx_blocked) {
			n->qp[i].rx_blocked = false;
			rx_watch(&n->qp[i], true);
		}
		virtio_queue_unlock(q);
	}
	/* n->negotiated stays: nothing transmits until the next FEATURES_OK replaces it. */
	set_tap_offload(n, &none);
}

static const struct virtio_dev_ops vnet_ops = {
	.device_id = VIRTIO_ID_NET,
	.queue_notify = vnet_notify,
	.config_read = vnet_config_read,
	.features_ok = vnet_features_ok,
	.activate = vnet_activate,
	.reset = vnet_reset,
};

/* --- setup ------------------------------------------------------------------------------ */

/* Attach one queue of tap `name`: 0, or -errno of TUNSETIFF / open. */
static int tap_attach(const char *name, bool mq, int *out)
{
	struct ifreq ifr = { .ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
						  (mq ? IFF_MULTI_QUEUE : 0)) };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK), ret;

	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

/*
 * Attach to an existing tap. Its flags are learnt by attaching (sysfs may show another network
 * namespace): TUNSETIFF refuses with EINVAL a name that is not a tap, or a multi_queue
 * mismatch, so the other multi_queue setting tells the two apart.
 */
static int open_tap(struct vnet *n, struct errbuf *err)
{
	const char *name = n->opts.name;
	bool mq = n->nqp > 1;
	int hdr = VNET_HDR_BYTES, ret;

	if (!if_nametoindex(name))
		return errbuf_set(err, -EINVAL,
				  "--net tap=%s: no such interface (create it first, e.g. "
				  "ip tuntap add dev %s mode tap%s)",
				  name, name, n->nqp > 1 ? " multi_queue" : "");
	ret = tap_attach(name, mq, &n->qp[0].tap_fd);
	if (ret == -EINVAL) {
		int fd;

		if (tap_attach(name, !mq, &fd) == 0) {
			if (mq) {
				close(fd);
				return errbuf_set(
					err, -EINVAL,
					"--net tap=%s,queues=%u: the tap was created without "
					"multi_queue (ip tuntap add dev %s mode tap "
					"multi_queue)",
					name, n->nqp, name);
			}
			mq = true; /* a multi_queue tap, used with one queue */
			n->qp[0].tap_fd = fd;
			ret = 0;
		} else {
			return errbuf_set(err, -EINVAL,
					  "--net tap=%s: not a tap interface (a tun, or not a "
					  "tun/tap device at all)",
					  name);
		}
	}
	for (unsigned i = 0; i < n->nqp && !ret; i++) {
		if (i > 0)
			ret = tap_attach(name, mq, &n->qp[i].tap_fd);
		if (!ret && ioctl(n->qp[i].tap_fd, TUNSETVNETHDRSZ, &hdr) < 0)
			ret = -errno;
	}
	if (ret)
		return errbuf_set(err, -EINVAL, "--net tap=%s: cannot attach%s: %s", name,
				  ret == -EBUSY ? " (in use by another process)" : "",
				  strerror(-ret));
	/* What this kernel's tap takes: each offload probed alone, then all off until the driver. */
	if (n->opts.offload) {
		int fd = n->qp[0].tap_fd;

		n->host.csum = ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0;
		n->host.tso4 =
			n->host.csum && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) == 0;
		n->host.tso6 =
			n->host.csum && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO6) == 0;
		n->host.ufo = n->host.csum && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_UFO) == 0;
		n->host.guest_csum = n->host.csum;
		n->host.guest_tso4 = n->host.tso4;
		n->host.guest_tso6 = n->host.tso6;
		n->host.guest_ufo = n->host.ufo;
	}
	if (ioctl(n->qp[0].tap_fd, TUNSETOFFLOAD, 0) < 0)
		log_debug("--net tap=%s: TUNSETOFFLOAD 0: %s", name, strerror(errno));
	return 0;
}

int vnet_open(struct vnet *n, const struct vnet_opts *o, struct errbuf *err)
{
	int ret;

	memset(n, 0, sizeof(*n));
	n->opts = *o;
	n->nqp = o->queues;
	for (unsigned i = 0; i < VNET_MAX_PAIRS; i++) {
		n->qp[i].n = n;
		n->qp[i].index = i;
		n->qp[i].tap_fd = -1;
		n->qp[i].wire_fd = -1;
		n->qp[i].vhost_fd = -1;
		for (unsigned r = 0; r < 2; r++)
			n->qp[i].vhost_kick[r] = n->qp[i].vhost_call[r] = -1;
	}
	if (!o->mac_given) {
		unsigned k = __atomic_fetch_add(&mac_counter, 1, __ATOMIC_RELAXED);
		const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

		memcpy(n->opts.mac, base, 6);
		n->opts.mac[5] = (uint8_t)(0x56 + k);
	}
	if (o->vhost && access("/dev/vhost-net", R_OK | W_OK) != 0)
		return errbuf_set(err, -EINVAL,
				  "--net tap=%s,vhost=on: /dev/vhost-net is missing or not "
				  "accessible (%s; modprobe vhost_net); vhost=off uses strand's "
				  "own data path",
				  o->name, strerror(errno));
	if (o->backend == VNET_TAP) {
		ret = open_tap(n, err);
		if (ret)
			return ret;
	}
	if (o->vhost)
		return vhost_open(n, err);
	return 0;
}

static void close_fds(struct vnet *n)
{
	for (unsigned i = 0; i < VNET_MAX_PAIRS; i++) {
		if (n->qp[i].tap_fd >= 0)
			close(n->qp[i].tap_fd);
		n->qp[i].tap_fd = -1;
	}
	for (unsigned i = 0; i < VNET_MAX_PAIRS; i++) {
		struct vnet_qp *qp = &n->qp[i];

		if (qp->vhost_fd >= 0)
			close(qp->vhost_fd);
		qp->vhost_fd = -1;
		for (unsigned r = 0; r < 2; r++) {
			if (qp->vhost_kick[r] >= 0) {
				if (n->dev.vm &&
				    vm_ioeventfd(n->dev.vm, qp->vhost_kick[r], n->dev.base + 0x50,
						 4, true, true, 2 * i + r, false))
					log_debug("%s: vhost ioeventfd not assigned", n->dev.name);
				close(qp->vhost_kick[r]);
			}
			if (qp->vhost_call[r] >= 0)
				close(qp->vhost_call[r]);
			qp->vhost_kick[r] = qp->vhost_call[r] = -1;
		}
	}
}

int vnet_init(struct vnet *n, struct vm *vm, uint64_t base, uint32_t gsi, pthread_mutex_t *big_lock,
	      struct ioloop *const *queue_loops, struct ioloop *main_loop, struct errbuf *err)
{
	uint64_t f = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
		     (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_CTRL_VQ);
	struct virtio_dev_config c = {
		.name = "virtio-net",
		.base = base,
		.gsi = gsi,
		.nqueues = 2 * n->nqp + 1,
		.queue_size = VNET_QUEUE_SIZE,
		.config_size = CFG_BYTES,
		.big_lock = big_lock,
		.queue_loops = queue_loops,
	};
	int ret;

	if (n->nqp > 1)
		f |= 1ULL << VIRTIO_NET_F_MQ;
	f |= n->host.csum ? (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) : 0;
	f |= n->host.tso4 ? (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) :
			    0;
	f |= n->host.tso6 ? (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) :
			    0;
	f |= n->host.ufo ? (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_GUEST_UFO) : 0;
	if (n->opts.vhost) {
		static struct ioloop *none[2 * VNET_MAX_PAIRS + 1];

		/* The rings' kicks go to vhost (our ioeventfds); only the control queue is ours. */
		if (!(n->vhost_features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)))
			f &= ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
		none[2 * n->nqp] = queue_loops ? queue_loops[2 * n->nqp] : NULL;
		c.queue_loops = none;
		n->vhost_loop = main_loop;
	}
	c.features = f;
	ret = virtio_dev_init(&n->dev, vm, &vnet_ops, &c, n);
	if (ret)
		return errbuf_set(err, ret, "virtio-net: %s", strerror(-ret));
	__atomic_store_n(&n->link_status, VIRTIO_NET_S_LINK_UP, __ATOMIC_RELEASE);
	n->active_pairs = 1;
	if (n->opts.vhost) {
		ret = vm ? vhost_init_fds(n, vm) : 0;
		if (ret)
			return errbuf_set(err, ret, "--net tap=%s,vhost=on: %s", n->opts.name,
					  strerror(-ret));
		set_active_pairs(n, 1);
		return 0; /* vhost reads the tap: nothing to watch */
	}
	if (n->opts.backend == VNET_PAIR) {
		ret = pair_join(n);
		if (ret)
			return errbuf_set(err, ret, "--net pair=%s: %s", n->opts.name,
					  strerror(-ret));
	}
	for (unsigned i = 0; i < n->nqp; i++) {
		struct vnet_qp *qp = &n->qp[i];
		int fd;

		qp->rx_loop = queue_loops && queue_loops[2 * i] ? queue_loops[2 * i] : main_loop;
		qp->bounce = malloc(VNET_HDR_BYTES + VNET_MAX_FRAME);
		if (!qp->bounce)
			return errbuf_set(err, -ENOMEM, "virtio-net: out of memory");
		if (n->pair)
			qp->wire_fd = n->pair->wire[n->pair_end][i].efd;
		fd = qp->tap_fd >= 0 ? qp->tap_fd : qp->wire_fd;
		if (fd < 0 || !qp->rx_loop)
			continue;
		ret = ioloop_add_fd(qp->rx_loop, fd, EPOLLIN, on_rx_ready, qp, &qp->rx_handler);
		if (ret)
			return errbuf_set(err, ret, "virtio-net: cannot watch the backend: %s",
					  strerror(-ret));
	}
	set_active_pairs(n, 1);
	return 0;
}

void vnet_destroy(struct vnet *n)
{
	for (unsigned i = 0; i < n->nqp; i++) {
		for (unsigned r = 0; r < 2; r++) {
			if (n->qp[i].vhost_call_handler[r])
				ioloop_del_fd(n->vhost_loop, n->qp[i].vhost_call_handler[r]);
			n->qp[i].vhost_call_handler[r] = NULL;
		}
	}
	if (n->opts.vhost && n->dev.queues)
		vhost_stop(n);
	for (unsigned i = 0; i < n->nqp; i++) {
		if (n->qp[i].rx_handler)
			ioloop_del_fd(n->qp[i].rx_loop, n->qp[i].rx_handler);
		n->qp[i].rx_handler = NULL;
	}
	if (n->dev.queues)
		virtio_dev_destroy(&n->dev);
	close_fds(n);
	for (unsigned i = 0; i < n->nqp; i++) {
		free(n->qp[i].bounce);
		n->qp[i].bounce = NULL;
	}
	pair_leave(n);
}

void vnet_stats_format(const struct vnet *n, char *buf, size_t size)
{
	const struct vnet_stats *s = &n->stats;
	uint64_t vq_errors = 0;
	size_t k;

#define LD(f) ((unsigned long long)__atomic_load_n(&s->f, __ATOMIC_RELAXED))
	k = (size_t)snprintf(
		buf, size,
		"rx_packets=%llu rx_bytes=%llu tx_packets=%llu tx_bytes=%llu rx_dropped=%llu "
		"rx_too_big=%llu rx_bad_chain=%llu tx_dropped=%llu tx_oversize=%llu tx_runt=%llu "
		"tx_bad_hdr=%llu tx_no_hdr=%llu tx_write_bufs=%llu ctrl_ok=%llu ctrl_err=%llu "
		"backend_errors=%llu link_down=%llu",
		LD(rx_packets), LD(rx_bytes), LD(tx_packets), LD(tx_bytes), LD(rx_dropped),
		LD(rx_too_big), LD(rx_bad_chain), LD(tx_dropped), LD(tx_oversize), LD(tx_runt),
		LD(tx_bad_hdr), LD(tx_no_hdr), LD(tx_write_bufs), LD(ctrl_ok), LD(ctrl_err),
		LD(backend_errors), LD(link_down));
#undef LD
	for (unsigned i = 0; n->dev.queues && i < n->dev.nqueues; i++) {
		for (unsigned e = 1; e < VQ_ERR_COUNT; e++)
			vq_errors +=
				__atomic_load_n(&n->dev.queues[i].vq.errors[e], __ATOMIC_RELAXED);
	}
	if (k < size)
		snprintf(buf + k, size - k, " vq_errors=%llu needs_reset=%llu bad_features=%llu",
			 (unsigned long long)vq_errors,
			 (unsigned long long)__atomic_load_n(&n->dev.needs_reset, __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&n->dev.bad_features,
							     __ATOMIC_RELAXED));
}
