/*
 * net-hostile - malformed virtio-net traffic, one case at a time: bad descriptors, a chain
 * longer than the ring, a transmit frame over 64 KiB, nonsense offload fields in the header,
 * a receive buffer smaller than the header (and a device-readable one), a control command
 * without its ack byte, an avail index jump. After each case the VMM must answer a host call,
 * the device must report DEVICE_NEEDS_RESET (queue corruption) or keep working (frames it
 * drops), and after a reset a UDP round trip with the responder at peer= must succeed.
 * Prints "case NAME: ok" per case, then "net-hostile: N cases passed".
 */
#include "core/guest/net.h"

SG_ARGS(SG_ARG_STR("only", "", 23, "run only the case of this name (default: every case)"),
	SG_ARG_STR("ip", "10.0.0.2", 15, "this guest's IPv4 address"),
	SG_ARG_STR("peer", "10.0.0.1", 15, "the UDP echo responder's IPv4 address"),
	SG_ARG_U64("port", 7777, 1, 65535, "the responder's UDP port"));

#define BAD_GPA 0xffff800000000000ULL

static struct sg_net net;
static uint8_t peer_mac[6];
static uint32_t ip, peer;
static uint16_t port;
static uint8_t *big; /* a 70000-byte transmit buffer */

static void check_alive(void)
{
	struct sg_call c = { .op = SG_CALL_PRINT, .ret = 1, .a = { (uintptr_t) "", 0 } };

	outl(SG_PORT_HOSTCALL, (uint32_t)(uintptr_t)&c);
	GUEST_ASSERT_MSG(c.ret == 0, "the VMM did not answer a host call");
}

static bool needs_reset(void)
{
	return sg_virtio_status(&net.dev) & VIRTIO_STATUS_NEEDS_RESET;
}

static bool wait_needs_reset(uint64_t ms)
{
	uint64_t t = rdtsc(), lim = sg_ns_to_tsc(ms * 1000000ULL);

	while (rdtsc() - t < lim) {
		if (needs_reset())
			return true;
		cpu_relax();
	}
	return needs_reset();
}

/* Wait until the device used everything on queue vq (it drops, but completes). */
static bool wait_used(struct sg_vq *vq, uint16_t want, uint64_t ms)
{
	uint64_t t = rdtsc(), lim = sg_ns_to_tsc(ms * 1000000ULL);

	while (rdtsc() - t < lim) {
		if (__atomic_load_n(&vq->used[1], __ATOMIC_ACQUIRE) == want)
			return true;
		cpu_relax();
	}
	return false;
}

static void init(void)
{
	GUEST_ASSERT_MSG(sg_net_init(&net, 0, 1, (1ULL << VNET_F_CSUM)) == 0,
			 "virtio-net setup failed (strand run --net ...)");
	net.ip = ip;
}

/* One UDP request answered by the responder: the device and the VMM are fine. */
static void round_trip(void)
{
	uint8_t f[SG_NET_BUF], body[32] = "net-hostile";
	uint64_t t;
	uint32_t len;

	for (int attempt = 0; attempt < 20; attempt++) {
		len = sg_udp_frame(f, peer_mac, net.mac, ip, peer, 40000, port, body, sizeof(body));
		GUEST_ASSERT(sg_net_send(&net, 0, f, len) == 0);
		for (t = rdtsc(); rdtsc() - t < sg_ns_to_tsc(200000000ULL);) {
			uint32_t plen, src;
			uint16_t sp;

			len = sg_net_recv(&net, 0, f, sizeof(f));
			if (len && sg_udp_parse(f, len, ip, 40000, &plen, &src, &sp, NULL) &&
			    plen == sizeof(body))
				return;
		}
	}
	GUEST_ASSERT_MSG(false, "no UDP round trip after the reset");
}

/* A raw transmit chain on pair 0: descriptors 0..n-1 as given, head 0. */
static uint16_t raw_tx(const struct vq_desc *d, unsigned n)
{
	struct sg_vq *vq = &net.qp[0].tx;
	uint16_t before = __atomic_load_n(&vq->used[1], __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		sg_vq_raw_desc(vq, (uint16_t)i, d[i].addr, d[i].len, d[i].flags, d[i].next);
	sg_vq_raw_avail(vq, 0);
	sg_vq_kick(vq);
	return (uint16_t)(before + 1);
}

/* A frame with a virtio-net header h at the start of `big`. */
static uint64_t frame_with(const struct sg_net_hdr *h, uint32_t frame_len)
{
	memcpy(big, h, SG_NET_HDR);
	sg_udp_frame(big + SG_NET_HDR, peer_mac, net.mac, ip, peer, 40001, port, big + 2000,
		     frame_len - 42);
	return (uintptr_t)big;
}

enum expect { RESET, WORKS };

static enum expect tx_no_header(void)
{
	struct vq_desc d = { (uintptr_t)big, 6, 0, 0 };

	raw_tx(&d, 1);
	return RESET;
}

static enum expect tx_bad_address(void)
{
	struct vq_desc d = { BAD_GPA, 100, 0, 0 };

	raw_tx(&d, 1);
	return RESET;
}

static enum expect tx_chain_loop(void)
{
	struct vq_desc d[2] = { { (uintptr_t)big, 64, VQ_DESC_F_NEXT, 1 },
				{ (uintptr_t)big, 64, VQ_DESC_F_NEXT, 0 } };

	raw_tx(d, 2);
	return RESET;
}

static enum expect tx_next_out_of_range(void)
{
	struct vq_desc d = { (uintptr_t)big, 64, VQ_DESC_F_NEXT, 999 };

	raw_tx(&d, 1);
	return RESET;
}

static enum expect tx_avail_jump(void)
{
	sg_vq_raw_set_avail_idx(&net.qp[0].tx, 1000);
	sg_vq_kick(&net.qp[0].tx);
	return RESET;
}

static enum expect tx_over_64k(void)
{
	static const struct sg_net_hdr h;
	struct vq_desc d = { frame_with(&h, 1000), SG_NET_HDR + 69000, 0, 0 };

	GUEST_ASSERT_MSG(wait_used(&net.qp[0].tx, raw_tx(&d, 1), 2000), "frame not completed");
	return WORKS;
}

static enum expect tx_bad_offloads(void)
{
	static const struct sg_net_hdr bad[] = {
		{ .flags = 0xfe },				       /* unknown flags */
		{ .flags = 1, .csum_start = 60000, .csum_offset = 6 }, /* outside the frame */
		{ .flags = 1, .gso_type = 1, .gso_size = 1400 },       /* TSO not negotiated */
		{ .flags = 1, .gso_type = 0x7f, .gso_size = 1 },       /* no such GSO type */
		{ .flags = 1, .gso_type = 0x81, .gso_size = 1400 },    /* ECN */
		{ .flags = 2 },					       /* DATA_VALID on TX */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vq_desc d = { frame_with(&bad[i], 100), SG_NET_HDR + 100, 0, 0 };

		GUEST_ASSERT_MSG(wait_used(&net.qp[0].tx, raw_tx(&d, 1), 2000),
				 "frame not completed");
		GUEST_ASSERT_MSG(!needs_reset(), "a bad header broke the queue");
	}
	return WORKS;
}

static enum expect tx_writable_buffer(void)
{
	static const struct sg_net_hdr h;
	struct vq_desc d[2] = { { frame_with(&h, 100), SG_NET_HDR + 100, VQ_DESC_F_NEXT, 1 },
				{ (uintptr_t)big + 4096, 64, VQ_DESC_F_WRITE, 0 } };

	GUEST_ASSERT_MSG(wait_used(&net.qp[0].tx, raw_tx(d, 2), 2000), "frame not completed");
	return WORKS;
}

/* Receive queue holding one buffer of `len` bytes (readable if `ro`); a frame must arrive. */
static enum expect rx_buffer(uint32_t len, bool ro)
{
	struct sg_vq *rx = &net.qp[0].rx;
	uint8_t f[128], body[16] = "ping";
	uint32_t flen;

	/* Fresh device: the kit posted 256 good buffers, so set up by hand with one bad one. */
	sg_virtio_reset(&net.dev);
	GUEST_ASSERT(sg_virtio_init(&net.dev, (1ULL << VNET_F_MAC) | (1ULL << VNET_F_MRG_RXBUF)) ==
		     0);
	GUEST_ASSERT(sg_vq_setup(&net.dev, rx, 0, 16) == 0);
	GUEST_ASSERT(sg_vq_setup(&net.dev, &net.qp[0].tx, 1, 16) == 0);
	sg_virtio_driver_ok(&net.dev);
	sg_vq_raw_desc(rx, 0, (uintptr_t)big, len, ro ? 0 : VQ_DESC_F_WRITE, 0);
	sg_vq_raw_avail(rx, 0);
	sg_vq_kick(rx);
	net.qp[0].n_tx_free = 16;
	for (uint16_t i = 0; i < 16; i++)
		net.qp[0].tx_free[i] = i;
	/* Ask the responder for a frame. */
	for (int i = 0; i < 10 && !needs_reset(); i++) {
		flen = sg_udp_frame(f, peer_mac, net.mac, ip, peer, 40002, port, body,
				    sizeof(body));
		sg_net_send(&net, 0, f, flen);
		wait_needs_reset(200);
	}
	return RESET;
}

static enum expect rx_smaller_than_header(void)
{
	return rx_buffer(4, false);
}

static enum expect rx_device_readable(void)
{
	return rx_buffer(2048, true);
}

static enum expect ctrl_without_ack(void)
{
	static uint8_t cmd[4] = { 4, 0, 1, 0 };
	struct sg_buf b = { cmd, 4, false };

	GUEST_ASSERT(net.has_ctrl);
	GUEST_ASSERT(sg_vq_add(&net.ctrl, &b, 1, 0, false) >= 0);
	sg_vq_kick(&net.ctrl);
	return RESET;
}

static enum expect ctrl_nonsense(void)
{
	static uint8_t cmd[4] = { 99, 7, 0, 0 }, ack = 0xee;
	struct sg_buf b[2] = { { cmd, 4, false }, { &ack, 1, true } };
	uint64_t tok;
	uint32_t len;

	GUEST_ASSERT(sg_vq_add(&net.ctrl, b, 2, 0, false) >= 0);
	sg_vq_kick(&net.ctrl);
	for (uint64_t t = rdtsc(); !sg_vq_get_used(&net.ctrl, &tok, &len);)
		GUEST_ASSERT_MSG(rdtsc() - t < sg_ns_to_tsc(2000000000ULL), "no control answer");
	GUEST_ASSERT_MSG(ack == 1, "an unknown control command was not answered ERR");
	/* More queue pairs than the device has. */
	GUEST_ASSERT_MSG(sg_net_set_pairs(&net, 9) != 0, "9 queue pairs accepted");
	return WORKS;
}

static const struct {
	const char *name;
	enum expect (*fn)(void);
} cases[] = {
	{ "tx-no-header", tx_no_header },
	{ "tx-bad-address", tx_bad_address },
	{ "tx-chain-loop", tx_chain_loop },
	{ "tx-next-range", tx_next_out_of_range },
	{ "tx-avail-jump", tx_avail_jump },
	{ "tx-over-64k", tx_over_64k },
	{ "tx-bad-offloads", tx_bad_offloads },
	{ "tx-writable-buf", tx_writable_buffer },
	{ "rx-small-buffer", rx_smaller_than_header },
	{ "rx-readable-buf", rx_device_readable },
	{ "ctrl-no-ack", ctrl_without_ack },
	{ "ctrl-nonsense", ctrl_nonsense },
};

int guest_main(unsigned cpu)
{
	char only[24], s[16];
	unsigned passed = 0;

	if (cpu)
		return 0;
	sg_arg_str("only", only, sizeof(only));
	sg_arg_str("ip", s, sizeof(s));
	ip = sg_parse_ip(s);
	sg_arg_str("peer", s, sizeof(s));
	peer = sg_parse_ip(s);
	port = (uint16_t)sg_arg_u64("port");
	GUEST_ASSERT_MSG(ip && peer, "ip= and peer= take a.b.c.d");
	big = sg_alloc(72 * 1024, 4096);
	memset(big, 0, 72 * 1024);
	init();
	GUEST_ASSERT_MSG(sg_net_arp_resolve(&net, 0, peer, peer_mac, 10000000000ULL) == 0,
			 "no ARP reply from the responder");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum expect e;

		if (only[0] && strcmp(only, cases[i].name))
			continue;
		init();
		e = cases[i].fn();
		check_alive();
		if (e == RESET)
			GUEST_ASSERT_MSG(wait_needs_reset(3000), cases[i].name);
		else
			GUEST_ASSERT_MSG(!needs_reset(), cases[i].name);
		init(); /* reset and set up again: a normal round trip must work */
		round_trip();
		sg_printf("case %s: ok\n", cases[i].name);
		passed++;
	}
	sg_printf("net-hostile: %u cases passed\n", passed);
	return 0;
}
