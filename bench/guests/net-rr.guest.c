/*
 * net-rr - virtio-net UDP request-response latency: each request waits for its echo.
 * role=client sends `count` requests of `payload` bytes from `ip` to `peer`:`port` (after
 * `warmup` untimed ones), at `rate` requests/s per queue pair (0: back to back), resending
 * after `timeout_ms`; role=echo answers every request to `ip`:`port` (the other VM of a
 * --net pair=NAME) until the client says goodbye. Frames are built by hand (Ethernet, IPv4,
 * UDP); ARP is answered and resolved. With queues=N, vCPU i drives queue pair i.
 * Reports rr_per_s, lost (resent requests) and the raw round-trip latencies (tsc -> ns).
 */
#include "core/guest/net.h"

SG_ARGS(SG_ARG_ENUM("role", "client", "client|echo", "send requests, or answer them"),
	SG_ARG_U64("count", 1000, 1, 100000000, "timed requests per queue pair"),
	SG_ARG_U64("warmup", 50, 0, 100000000, "untimed requests first"),
	SG_ARG_U64("payload", 64, 16, 1400, "UDP payload bytes per request"),
	SG_ARG_U64("rate", 0, 0, 10000000, "requests/s per queue pair (0: back to back)"),
	SG_ARG_STR("ip", "10.0.0.2", 15, "this guest's IPv4 address"),
	SG_ARG_STR("peer", "10.0.0.1", 15, "the responder's IPv4 address"),
	SG_ARG_U64("port", 7777, 1, 65535, "the responder's UDP port"),
	SG_ARG_U64("queues", 1, 1, 8, "queue pairs to use (one vCPU each)"),
	SG_ARG_U64("timeout_ms", 200, 1, 60000, "resend a request after this long"),
	SG_ARG_U64("nic", 0, 0, 3, "which virtio-net (nth --net)"),
	SG_ARG_BOOL("io", 0, "the next vCPU keeps 32 disk reads in flight (--disk)"));

#define MAGIC 0x30525253u /* "SRR0" */

struct req {
	uint32_t magic;
	uint32_t cpu;
	uint64_t seq;
};

static struct sg_net net;
static uint8_t peer_mac[6];
static uint32_t setup_done;

static int echo(unsigned q, uint32_t ip, uint16_t port)
{
	uint8_t f[SG_NET_BUF], out[SG_NET_BUF];
	uint64_t answered = 0;

	for (;;) {
		uint32_t len = sg_net_recv(&net, q, f, sizeof(f)), plen, src;
		uint16_t sport;
		uint8_t mac[6];
		const uint8_t *p;

		if (!len) {
			cpu_relax();
			continue;
		}
		p = sg_udp_parse(f, len, ip, port, &plen, &src, &sport, mac);
		if (!p)
			continue;
		if (plen >= 4 && memcmp(p, "BYE!", 4) == 0)
			break;
		len = sg_udp_frame(out, mac, net.mac, ip, src, port, sport, p, plen);
		while (sg_net_send(&net, q, out, len))
			cpu_relax();
		answered++;
	}
	sg_result("answered", answered, 1, "requests");
	return 0;
}

static uint32_t stop_io, clients_done;

int guest_main(unsigned cpu)
{
	char ipstr[16], peerstr[16];
	uint32_t ip, peer;
	uint16_t port = (uint16_t)sg_arg_u64("port"), sport = (uint16_t)(40000 + cpu);
	uint64_t count = sg_arg_u64("count"), warmup = sg_arg_u64("warmup");
	uint64_t payload = sg_arg_u64("payload"), rate = sg_arg_u64("rate");
	uint64_t timeout = sg_ns_to_tsc(sg_arg_u64("timeout_ms") * 1000000ULL);
	unsigned queues = (unsigned)sg_arg_u64("queues");
	bool client = sg_arg_is("role", "client");
	uint64_t *lat, lost = 0, period, t_start = 0, t_next;
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
		if (client)
			GUEST_ASSERT_MSG(
				sg_net_arp_resolve(&net, 0, peer, peer_mac, 10000000000ULL) == 0,
				"no ARP reply from the peer in 10 s");
		atomic_store(&setup_done, 1);
	}
	sg_rendezvous();
	GUEST_ASSERT(atomic_load(&setup_done));
	if (cpu >= queues) {
		if (sg_arg_u64("io") && client && cpu == queues)
			sg_result("io_ops", sg_blk_background_reads(0, 32, &stop_io), 1, "ops");
		return 0;
	}
	if (!client)
		return echo(cpu, ip, port);

	lat = sg_alloc((count ? count : 1) * sizeof(uint64_t), 64);
	memset(body, 0x5a, sizeof(body));
	period = rate ? sg_ns_to_tsc(1000000000ULL / rate) : 0;
	t_next = rdtsc();
	for (uint64_t seq = 0; seq < warmup + count; seq++) {
		struct req *r = (struct req *)body;
		uint32_t len = 0;
		uint64_t t0, sent;
		bool got = false;

		if (period) {
			while ((int64_t)(rdtsc() - t_next) < 0)
				cpu_relax();
			t_next += period;
		}
		r->magic = MAGIC;
		r->cpu = cpu;
		r->seq = seq;
		if (seq == warmup)
			t_start = rdtsc();
		t0 = rdtsc();
		for (;;) {
			len = sg_udp_frame(f, peer_mac, net.mac, ip, peer, sport, port, body,
					   (uint32_t)payload);
			while (sg_net_send(&net, cpu, f, len))
				cpu_relax();
			sent = rdtsc();
			while (rdtsc() - sent < timeout) {
				uint32_t plen, src;
				uint16_t sp;
				const uint8_t *p;

				len = sg_net_recv(&net, cpu, f, sizeof(f));
				if (!len) {
					cpu_relax();
					continue;
				}
				p = sg_udp_parse(f, len, ip, sport, &plen, &src, &sp, NULL);
				if (p && plen == payload && src == peer &&
				    ((const struct req *)p)->magic == MAGIC &&
				    ((const struct req *)p)->seq == seq &&
				    memcmp(p + sizeof(struct req), body + sizeof(struct req),
					   payload - sizeof(struct req)) == 0) {
					got = true;
					break;
				}
			}
			if (got)
				break;
			lost++;
			GUEST_ASSERT_MSG(lost <= count + 10, "too many requests without an answer");
		}
		if (seq >= warmup)
			lat[seq - warmup] = rdtsc() - t0;
	}
	{
		uint64_t elapsed = sg_tsc_to_ns(rdtsc() - t_start);
		uint32_t len;

		/* Goodbye to an echo guest (a host responder just echoes it). */
		memcpy(body, "BYE!", 4);
		len = sg_udp_frame(f, peer_mac, net.mac, ip, peer, sport, port, body, 16);
		for (int i = 0; i < 3; i++)
			while (sg_net_send(&net, cpu, f, len))
				cpu_relax();
		/* Wait until the device took them (a loop may serve the queue after we end). */
		for (uint64_t t = rdtsc(); net.qp[cpu].n_tx_free < SG_NET_QSIZE &&
					   rdtsc() - t < sg_ns_to_tsc(1000000000ULL);)
			sg_net_tx_reap(&net, cpu);
		sg_result("rr_per_s", count * 1000000000ULL, elapsed ? elapsed : 1, "1/s");
		sg_result("lost", lost, 1, "requests");
		sg_samples("latency", lat, count, "tsc");
		if (cpu == 0)
			sg_printf("net-rr: %u round trips of %u bytes, %u resent\n",
				  (unsigned)(count * queues), (unsigned)payload, (unsigned)lost);
	}
	/* The last client done ends the background disk load (io=1). */
	if (__atomic_add_fetch(&clients_done, 1, __ATOMIC_ACQ_REL) == queues)
		atomic_store(&stop_io, 1);
	return 0;
}
