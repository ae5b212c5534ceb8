/*
 * net-stream - virtio-net packet rate: role=send transmits `count` UDP frames of `payload`
 * bytes per queue pair to `peer`:`port` as fast as the device takes them (`burst` frames per
 * kick); role=sink (the other VM of a --net pair=NAME) counts the frames it receives until the
 * sender's goodbye. With queues=N, vCPU i drives queue pair i. Reports packets_per_s (sent and
 * completed by the device, or received) and bits_per_s.
 */
#include "core/guest/net.h"

SG_ARGS(SG_ARG_ENUM("role", "send", "send|sink", "transmit frames, or count them"),
	SG_ARG_U64("count", 20000, 1, 1000000000, "frames per queue pair"),
	SG_ARG_U64("payload", 64, 16, 1400, "UDP payload bytes per frame"),
	SG_ARG_U64("burst", 32, 1, 128, "frames queued per kick"),
	SG_ARG_STR("ip", "10.0.0.2", 15, "this guest's IPv4 address"),
	SG_ARG_STR("peer", "10.0.0.1", 15, "the receiver's IPv4 address"),
	SG_ARG_U64("port", 7778, 1, 65535, "the receiver's UDP port"),
	SG_ARG_U64("queues", 1, 1, 8, "queue pairs to use (one vCPU each)"),
	SG_ARG_U64("nic", 0, 0, 3, "which virtio-net (nth --net)"));

static struct sg_net net;
static uint8_t peer_mac[6];
static uint32_t setup_done;

static int sink(unsigned q, uint32_t ip, uint16_t port)
{
	uint8_t f[SG_NET_BUF];
	uint64_t frames = 0, bytes = 0, t0 = 0, t1 = 0;

	for (;;) {
		uint32_t len = sg_net_recv(&net, q, f, sizeof(f)), plen, src;
		uint16_t sport;
		const uint8_t *p;

		if (!len) {
			cpu_relax();
			continue;
		}
		p = sg_udp_parse(f, len, ip, port, &plen, &src, &sport, NULL);
		if (!p)
			continue;
		if (plen >= 4 && memcmp(p, "BYE!", 4) == 0)
			break;
		t1 = rdtsc();
		if (!frames)
			t0 = t1;
		frames++;
		bytes += len;
	}
	{
		uint64_t ns = sg_tsc_to_ns(t1 - t0);

		sg_result("packets_per_s", frames > 1 ? (frames - 1) * 1000000000ULL : 0,
			  ns ? ns : 1, "1/s");
		sg_result("bits_per_s", bytes * 8 * 1000000000ULL / (ns ? ns : 1), 1, "bit/s");
		sg_result("frames", frames, 1, "frames");
	}
	return 0;
}

int guest_main(unsigned cpu)
{
	char ipstr[16], peerstr[16];
	uint32_t ip, peer, len, frame_len;
	uint16_t port = (uint16_t)sg_arg_u64("port");
	uint64_t count = sg_arg_u64("count"), payload = sg_arg_u64("payload");
	uint64_t burst = sg_arg_u64("burst"), sent = 0, t0, ns;
	unsigned queues = (unsigned)sg_arg_u64("queues");
	bool send = sg_arg_is("role", "send");
	uint8_t f[SG_NET_BUF], body[1400];

	sg_arg_str("ip", ipstr, sizeof(ipstr));
	sg_arg_str("peer", peerstr, sizeof(peerstr));
	ip = sg_parse_ip(ipstr);
	peer = sg_parse_ip(peerstr);
	GUEST_ASSERT_MSG(ip && peer, "ip= and peer= take a.b.c.d");
	if (cpu == 0) {
		GUEST_ASSERT_MSG(sg_net_init(&net, (unsigned)sg_arg_u64("nic"), queues, 0) == 0,
				 "no virtio-net (strand run --net ...) or its setup failed");
		GUEST_ASSERT_MSG(net.pairs == queues, "the NIC has fewer queue pairs than queues=");
		net.ip = ip;
		if (send)
			GUEST_ASSERT_MSG(
				sg_net_arp_resolve(&net, 0, peer, peer_mac, 10000000000ULL) == 0,
				"no ARP reply from the peer in 10 s");
		atomic_store(&setup_done, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&setup_done));
	if (cpu >= queues)
		return 0;
	if (!send)
		return sink(cpu, ip, port);
	memset(body, 0x3c, sizeof(body));
	len = sg_udp_frame(f, peer_mac, net.mac, ip, peer, (uint16_t)(41000 + cpu), port, body,
			   (uint32_t)payload);
	frame_len = len;
	t0 = rdtsc();
	while (sent < count) {
		uint64_t k = 0;

		while (k < burst && sent < count && sg_net_queue(&net, cpu, f, len) == 0) {
			k++;
			sent++;
		}
		if (k)
			sg_net_kick(&net, cpu);
		else
			cpu_relax();
	}
	/* Every frame taken by the device. */
	while (net.qp[cpu].n_tx_free < SG_NET_QSIZE)
		sg_net_tx_reap(&net, cpu);
	ns = sg_tsc_to_ns(rdtsc() - t0);
	memcpy(body, "BYE!", 4);
	len = sg_udp_frame(f, peer_mac, net.mac, ip, peer, (uint16_t)(41000 + cpu), port, body, 16);
	for (int i = 0; i < 3; i++)
		while (sg_net_send(&net, cpu, f, len))
			cpu_relax();
	for (uint64_t t = rdtsc();
	     net.qp[cpu].n_tx_free < SG_NET_QSIZE && rdtsc() - t < sg_ns_to_tsc(1000000000ULL);)
		sg_net_tx_reap(&net, cpu);
	sg_result("packets_per_s", count * 1000000000ULL, ns ? ns : 1, "1/s");
	sg_result("bits_per_s", count * frame_len * 8 * 1000000000ULL / (ns ? ns : 1), 1, "bit/s");
	if (cpu == 0)
		sg_printf("net-stream: sent %u frames of %u bytes per queue pair\n",
			  (unsigned)count, (unsigned)payload);
	return 0;
}
