/* net.c - micro-guest virtio-net driver and frame helpers. See net.h. */
#include "core/guest/net.h"

#define REPOST_KICK 64 /* receive buffers re-posted between kicks */

static uint16_t be16(uint16_t v)
{
	return (uint16_t)((v >> 8) | (v << 8));
}

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static void post_rx(struct sg_net_qp *p, uint16_t i)
{
	struct sg_buf b = { p->rxbuf + (uint64_t)i * SG_NET_BUF, SG_NET_BUF, true };

	GUEST_ASSERT(sg_vq_add(&p->rx, &b, 1, i, false) >= 0);
}

static uint8_t ctrl_ack;

int sg_net_set_pairs(struct sg_net *n, unsigned pairs)
{
	static uint8_t cmd[4];
	struct sg_buf b[2] = { { cmd, 4, false }, { &ctrl_ack, 1, true } };
	uint64_t tok;
	uint32_t len;

	if (!n->has_ctrl || !(n->dev.features & (1ULL << VNET_F_MQ)))
		return pairs == 1 ? 0 : -1;
	cmd[0] = 4; /* VIRTIO_NET_CTRL_MQ */
	cmd[1] = 0; /* VQ_PAIRS_SET */
	cmd[2] = (uint8_t)pairs;
	cmd[3] = (uint8_t)(pairs >> 8);
	ctrl_ack = 0xff;
	if (sg_vq_add(&n->ctrl, b, 2, 0, false) < 0)
		return -1;
	sg_vq_kick(&n->ctrl);
	while (!sg_vq_get_used(&n->ctrl, &tok, &len))
		cpu_relax();
	if (ctrl_ack == 0)
		n->pairs = pairs;
	return ctrl_ack;
}

int sg_net_init(struct sg_net *n, unsigned nth, unsigned pairs, uint64_t extra)
{
	uint64_t want = (1ULL << VNET_F_MAC) | (1ULL << VNET_F_STATUS) |
			(1ULL << VNET_F_MRG_RXBUF) | (1ULL << VNET_F_CTRL_VQ) |
			(1ULL << VNET_F_MQ) | extra;

	memset(n, 0, sizeof(*n));
	if (!sg_virtio_find(VIRTIO_ID_NET, nth, &n->dev))
		return -1;
	if (sg_virtio_init(&n->dev, want))
		return -1;
	for (int i = 0; i < 6; i++)
		n->mac[i] = (uint8_t)(vdev_read(&n->dev, VMMIO_CONFIG + (uint32_t)(i & ~3)) >>
				      (8 * (i & 3)));
	n->max_pairs = 1;
	if (n->dev.features & (1ULL << VNET_F_MQ))
		n->max_pairs = (vdev_read(&n->dev, VMMIO_CONFIG + 8) & 0xffff);
	if (n->max_pairs > SG_NET_MAX_PAIRS)
		n->max_pairs = SG_NET_MAX_PAIRS;
	if (pairs > n->max_pairs)
		pairs = n->max_pairs;
	if (pairs == 0)
		pairs = 1;
	for (unsigned q = 0; q < n->max_pairs; q++) {
		struct sg_net_qp *p = &n->qp[q];

		if (sg_vq_setup(&n->dev, &p->rx, (uint16_t)(2 * q), SG_NET_QSIZE) ||
		    sg_vq_setup(&n->dev, &p->tx, (uint16_t)(2 * q + 1), SG_NET_QSIZE))
			return -1;
		sg_vq_set_interrupts(&p->rx, false);
		sg_vq_set_interrupts(&p->tx, false);
		if (q >= pairs)
			continue;
		p->rxbuf = sg_alloc((uint64_t)SG_NET_QSIZE * SG_NET_BUF, 4096);
		p->txbuf = sg_alloc((uint64_t)SG_NET_QSIZE * SG_NET_BUF, 4096);
		for (uint16_t i = 0; i < SG_NET_QSIZE; i++) {
			p->tx_free[i] = i;
			post_rx(p, i);
		}
		p->n_tx_free = SG_NET_QSIZE;
	}
	if (n->dev.features & (1ULL << VNET_F_CTRL_VQ)) {
		uint16_t cq =
			(uint16_t)(2 *
				   ((n->dev.features & (1ULL << VNET_F_MQ)) ? n->max_pairs : 1));

		if (sg_vq_setup(&n->dev, &n->ctrl, cq, 16))
			return -1;
		sg_vq_set_interrupts(&n->ctrl, false);
		n->has_ctrl = true;
	}
	sg_virtio_driver_ok(&n->dev);
	n->pairs = 1;
	for (unsigned q = 0; q < pairs; q++)
		sg_vq_kick(&n->qp[q].rx);
	if (pairs > 1 && sg_net_set_pairs(n, pairs) != 0)
		return -1;
	return 0;
}

bool sg_net_link_up(const struct sg_net *n)
{
	return (vdev_read(&n->dev, VMMIO_CONFIG + 4) >> 16) & 1;
}

void sg_net_tx_reap(struct sg_net *n, unsigned q)
{
	struct sg_net_qp *p = &n->qp[q];
	uint64_t tok;
	uint32_t len;

	while (sg_vq_get_used(&p->tx, &tok, &len))
		p->tx_free[p->n_tx_free++] = (uint16_t)tok;
}

static int send_hdr(struct sg_net *n, unsigned q, const struct sg_net_hdr *h, const void *frame,
		    uint32_t len, bool kick)
{
	struct sg_net_qp *p = &n->qp[q];
	struct sg_buf b;
	uint16_t slot;
	uint8_t *s;

	if (len + SG_NET_HDR > SG_NET_BUF)
		return -1;
	sg_net_tx_reap(n, q);
	if (!p->n_tx_free)
		return -1;
	slot = p->tx_free[--p->n_tx_free];
	s = p->txbuf + (uint64_t)slot * SG_NET_BUF;
	memcpy(s, h, SG_NET_HDR);
	memcpy(s + SG_NET_HDR, frame, len);
	b = (struct sg_buf){ s, SG_NET_HDR + len, false };
	if (sg_vq_add(&p->tx, &b, 1, slot, false) < 0) {
		p->tx_free[p->n_tx_free++] = slot;
		return -1;
	}
	if (kick)
		sg_vq_kick(&p->tx);
	n->tx_frames++;
	return 0;
}

int sg_net_send_hdr(struct sg_net *n, unsigned q, const struct sg_net_hdr *h, const void *frame,
		    uint32_t len)
{
	return send_hdr(n, q, h, frame, len, true);
}

int sg_net_queue(struct sg_net *n, unsigned q, const void *frame, uint32_t len)
{
	static const struct sg_net_hdr zero;

	return send_hdr(n, q, &zero, frame, len, false);
}

void sg_net_kick(struct sg_net *n, unsigned q)
{
	sg_vq_kick(&n->qp[q].tx);
}

int sg_net_send(struct sg_net *n, unsigned q, const void *frame, uint32_t len)
{
	static const struct sg_net_hdr zero;

	return sg_net_send_hdr(n, q, &zero, frame, len);
}

static void answer_arp(struct sg_net *n, unsigned q, const uint8_t *f)
{
	uint8_t r[42];

	memcpy(r, f + 6, 6);
	memcpy(r + 6, n->mac, 6);
	r[12] = 0x08;
	r[13] = 0x06;
	memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
	r[20] = 0;
	r[21] = 2; /* reply */
	memcpy(r + 22, n->mac, 6);
	memcpy(r + 28, f + 38, 4);  /* our IP (their target) */
	memcpy(r + 32, f + 22, 10); /* their MAC and IP */
	if (sg_net_send(n, q, r, sizeof(r)) == 0)
		n->rx_arp_answered++;
}

uint32_t sg_net_recv(struct sg_net *n, unsigned q, uint8_t *buf, uint32_t cap)
{
	static uint16_t reposted[SG_NET_MAX_PAIRS];
	struct sg_net_qp *p = &n->qp[q];
	uint64_t tok;
	uint32_t len, flen;

	for (;;) {
		const uint8_t *b;

		if (!sg_vq_get_used(&p->rx, &tok, &len))
			return 0;
		b = p->rxbuf + tok * SG_NET_BUF;
		GUEST_ASSERT_MSG(len >= SG_NET_HDR && len <= SG_NET_BUF, "bad receive length");
		GUEST_ASSERT_MSG(((const struct sg_net_hdr *)b)->num_buffers == 1,
				 "a small frame took more than one buffer");
		flen = len - SG_NET_HDR;
		if (flen > cap)
			flen = cap;
		memcpy(buf, b + SG_NET_HDR, flen);
		post_rx(p, (uint16_t)tok);
		sg_vq_publish(&p->rx);
		if (++reposted[q] >= REPOST_KICK) {
			reposted[q] = 0;
			sg_vq_kick(&p->rx);
		}
		n->rx_frames++;
		/* ARP request for us: answer it here. */
		if (flen >= 42 && buf[12] == 0x08 && buf[13] == 0x06 && buf[20] == 0 &&
		    buf[21] == 1 && be32(*(const uint32_t *)(buf + 38)) == n->ip) {
			answer_arp(n, q, buf);
			continue;
		}
		return flen;
	}
}

uint16_t sg_ip_checksum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t sg_udp_frame(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		      uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		      const void *payload, uint32_t len)
{
	uint8_t *ip = f + 14, *udp = f + 34;
	uint16_t tot = (uint16_t)(20 + 8 + len), csum;
	static uint16_t ident;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	*(uint16_t *)(ip + 2) = be16(tot);
	*(uint16_t *)(ip + 4) = be16(ident++);
	*(uint16_t *)(ip + 6) = be16(0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	*(uint16_t *)(ip + 10) = 0;
	*(uint32_t *)(ip + 12) = be32(src_ip);
	*(uint32_t *)(ip + 16) = be32(dst_ip);
	csum = sg_ip_checksum(ip, 20);
	ip[10] = (uint8_t)(csum >> 8);
	ip[11] = (uint8_t)csum;
	*(uint16_t *)(udp + 0) = be16(sport);
	*(uint16_t *)(udp + 2) = be16(dport);
	*(uint16_t *)(udp + 4) = be16((uint16_t)(8 + len));
	*(uint16_t *)(udp + 6) = 0;
	memcpy(udp + 8, payload, len);
	return 14 + 20 + 8 + len;
}

const uint8_t *sg_udp_parse(const uint8_t *f, uint32_t len, uint32_t dst_ip, uint16_t dport,
			    uint32_t *plen, uint32_t *src_ip, uint16_t *sport, uint8_t src_mac[6])
{
	const uint8_t *ip = f + 14, *udp;
	uint32_t ihl, ulen;

	if (len < 42 || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4 || ip[9] != 17)
		return NULL;
	ihl = (ip[0] & 15) * 4u;
	if (ihl < 20 || 14 + ihl + 8 > len || be32(*(const uint32_t *)(ip + 16)) != dst_ip)
		return NULL;
	udp = ip + ihl;
	if (be16(*(const uint16_t *)(udp + 2)) != dport)
		return NULL;
	ulen = be16(*(const uint16_t *)(udp + 4));
	if (ulen < 8 || 14 + ihl + ulen > len)
		return NULL;
	*plen = ulen - 8;
	*src_ip = be32(*(const uint32_t *)(ip + 12));
	*sport = be16(*(const uint16_t *)udp);
	if (src_mac)
		memcpy(src_mac, f + 6, 6);
	return udp + 8;
}

int sg_net_arp_resolve(struct sg_net *n, unsigned q, uint32_t ip, uint8_t mac[6],
		       uint64_t timeout_ns)
{
	uint64_t start = rdtsc(), last = 0, period = sg_ns_to_tsc(100000000ULL);
	uint64_t limit = sg_ns_to_tsc(timeout_ns);
	uint8_t req[42], f[SG_NET_BUF];

	memset(req, 0xff, 6);
	memcpy(req + 6, n->mac, 6);
	req[12] = 0x08;
	req[13] = 0x06;
	req[14] = 0;
	req[15] = 1; /* Ethernet */
	req[16] = 0x08;
	req[17] = 0x00;
	req[18] = 6;
	req[19] = 4;
	req[20] = 0;
	req[21] = 1; /* request */
	memcpy(req + 22, n->mac, 6);
	*(uint32_t *)(req + 28) = be32(n->ip);
	memset(req + 32, 0, 6);
	*(uint32_t *)(req + 38) = be32(ip);
	for (;;) {
		uint64_t now = rdtsc();
		uint32_t len;

		if (now - start > limit)
			return -1;
		if (!last || now - last > period) {
			sg_net_send(n, q, req, sizeof(req));
			last = now;
		}
		/* The reply may come back on any active queue pair (a multiqueue tap hashes). */
		len = 0;
		for (unsigned k = 0; k < n->pairs && !len; k++)
			len = sg_net_recv(n, (q + k) % n->pairs, f, sizeof(f));
		if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
		    be32(*(const uint32_t *)(f + 28)) == ip) {
			memcpy(mac, f + 22, 6);
			return 0;
		}
		if (!len)
			cpu_relax();
	}
}

uint32_t sg_parse_ip(const char *s)
{
	uint32_t ip = 0, part = 0;
	unsigned dots = 0, digits = 0;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			part = part * 10 + (uint32_t)(*s - '0');
			if (part > 255 || ++digits > 3)
				return 0;
		} else if (*s == '.' || *s == '\0') {
			if (!digits)
				return 0;
			ip = ip << 8 | part;
			part = 0;
			digits = 0;
			if (*s == '\0')
				break;
			if (++dots > 3)
				return 0;
		} else {
			return 0;
		}
	}
	return dots == 3 ? ip : 0;
}
