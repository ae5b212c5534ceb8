/*
 * net.h - a small virtio-net driver for micro-guests and hand-built Ethernet/IPv4/UDP/ARP
 * frames: receive buffers posted per queue pair (mergeable buffers negotiated, one 2 KiB
 * buffer per frame), transmit slots with the 12-byte virtio-net header, the control queue's
 * MQ_VQ_PAIRS_SET, ARP answered and resolved. No checksum offload: the IPv4 header checksum
 * is computed, the UDP checksum is 0 (allowed for IPv4).
 *
 * Threads: one vCPU drives one queue pair; sg_net_init and sg_net_set_pairs on one vCPU
 * before the others start.
 */
#ifndef STRAND_GUEST_NET_H
#define STRAND_GUEST_NET_H

#include "core/guest/virtio.h"

#define VIRTIO_ID_NET	  1
#define SG_NET_MAX_PAIRS  8
#define SG_NET_QSIZE	  256
#define SG_NET_BUF	  2048
#define SG_NET_HDR	  12

#define VNET_F_CSUM	  0
#define VNET_F_GUEST_CSUM 1
#define VNET_F_MAC	  5
#define VNET_F_GUEST_TSO4 7
#define VNET_F_HOST_TSO4  11
#define VNET_F_MRG_RXBUF  15
#define VNET_F_STATUS	  16
#define VNET_F_CTRL_VQ	  17
#define VNET_F_MQ	  22

#define ETH_P_IP	  0x0800
#define ETH_P_ARP	  0x0806

struct sg_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

struct sg_net_qp {
	struct sg_vq rx, tx;
	uint8_t *rxbuf; /* SG_NET_QSIZE buffers of SG_NET_BUF bytes */
	uint8_t *txbuf;
	uint16_t tx_free[SG_NET_QSIZE];
	uint16_t n_tx_free;
};

struct sg_net {
	struct sg_vdev dev;
	unsigned max_pairs, pairs;
	struct sg_net_qp qp[SG_NET_MAX_PAIRS];
	struct sg_vq ctrl;
	bool has_ctrl;
	uint8_t mac[6];
	uint32_t ip; /* host byte order */
	uint64_t rx_frames, tx_frames, rx_arp_answered;
};

/* Find the nth virtio-net, negotiate (MAC, STATUS, MRG_RXBUF, CTRL_VQ, MQ & extra), set up
 * `pairs` queue pairs (capped at what the device has), post receive buffers, DRIVER_OK, and
 * ask for the pairs on the control queue. 0 or -1. */
int sg_net_init(struct sg_net *n, unsigned nth, unsigned pairs, uint64_t extra_features);
/* MQ_VQ_PAIRS_SET; returns the device's ack (0 = OK). */
int sg_net_set_pairs(struct sg_net *n, unsigned pairs);
/* Link status bit from the config space (VIRTIO_NET_S_LINK_UP). */
bool sg_net_link_up(const struct sg_net *n);

/* Send a frame (no header) on pair q with an all-zero header. -1 if no transmit slot. */
int sg_net_send(struct sg_net *n, unsigned q, const void *frame, uint32_t len);
/* Send with a given header (hostile tests). */
int sg_net_send_hdr(struct sg_net *n, unsigned q, const struct sg_net_hdr *h, const void *frame,
		    uint32_t len);
/* Queue a frame without notifying the device; sg_net_kick notifies (batches). */
int sg_net_queue(struct sg_net *n, unsigned q, const void *frame, uint32_t len);
void sg_net_kick(struct sg_net *n, unsigned q);
/* Reclaim transmitted slots of pair q. */
void sg_net_tx_reap(struct sg_net *n, unsigned q);
/*
 * The next received frame on pair q copied to buf (header stripped): its length, or 0 if none.
 * ARP requests for our address are answered here and not returned.
 */
uint32_t sg_net_recv(struct sg_net *n, unsigned q, uint8_t *buf, uint32_t cap);

/* Frames. */
uint16_t sg_ip_checksum(const void *p, uint32_t len);
/* Ethernet + IPv4 + UDP around payload into f; returns the frame length. */
uint32_t sg_udp_frame(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		      uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		      const void *payload, uint32_t len);
/* If f is a UDP datagram to dst_ip:dport, its payload and source; else NULL. */
const uint8_t *sg_udp_parse(const uint8_t *f, uint32_t len, uint32_t dst_ip, uint16_t dport,
			    uint32_t *plen, uint32_t *src_ip, uint16_t *sport, uint8_t src_mac[6]);
/* Resolve ip's MAC on pair q by ARP (retries every 100 ms). 0, or -1 after timeout_ns. */
int sg_net_arp_resolve(struct sg_net *n, unsigned q, uint32_t ip, uint8_t mac[6],
		       uint64_t timeout_ns);
/* "a.b.c.d" to host byte order; 0 if malformed. */
uint32_t sg_parse_ip(const char *s);

#endif
