/*
 * fuzz_net.c - libFuzzer target: the virtio-net transmit path (vnet_tx_locked: chain walk,
 * header copy and check, frame size limits, the pair backend's wire) on hostile rings (the
 * memory model of fuzz_virtqueue.c), with the negotiated offloads and features also chosen
 * by the input. The device runs without a VM: frames go to a pair wire (which fills up and
 * drops) or nowhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/memmap.h"
#include "devices/virtio/net.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x30000ULL /* room for chains over 64 KiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memmap mem;
static uint8_t *ram;
static struct vnet n;

static void init_once(void)
{
	static int done;
	struct vnet_opts o;
	struct errbuf err;

	if (done)
		return;
	done = 1;
	if (memmap_init(&mem, -1, 8, PUBPTR_RWLOCK))
		abort();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || memmap_add(&mem, RAM_GPA, RAM_SIZE, ram, "ram", 0, NULL))
		abort();
	if (vnet_parse_opts("pair=fuzz", &o, &err) || vnet_open(&n, &o, &err) ||
	    vnet_init(&n, NULL, 0, 0, NULL, NULL, NULL, &err))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq *vq;
	const struct memmap_table *t;
	struct vnet_pair *pair;
	uint16_t hdr[6];

	init_once();
	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	data += sizeof(hdr);
	size -= sizeof(hdr);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);

	vq = &n.dev.queues[1].vq;
	vq->num_max = VNET_QUEUE_SIZE;
	vq_reset(vq);
	vq->num = (uint16_t)(1u << (hdr[0] % 9));
	vq->desc_gpa = RAM_GPA + ((uint64_t)(hdr[1] % 0x1000) << 4);
	vq->avail_gpa = RAM_GPA + ((uint64_t)(hdr[2] % 0x8000) << 1);
	vq->used_gpa = RAM_GPA + ((uint64_t)(hdr[3] % 0x4000) << 2);
	vq->indirect = hdr[4] & 1;
	vq->event_idx = hdr[4] & 2;
	n.negotiated = (struct vnet_offloads){
		.csum = hdr[5] & 1, .tso4 = hdr[5] & 2, .tso6 = hdr[5] & 4, .ufo = hdr[5] & 8
	};
	n.dev.guest_features = (uint64_t)hdr[5] << 16;
	n.dev.status = 0;
	/* Some inputs go nowhere, the others to the pair's wire (which fills, then drops). */
	pair = n.pair;
	if (hdr[4] & 4)
		n.pair = NULL;
	t = memmap_read_begin(&mem);
	if (vq_check_rings(vq, t)) {
		vq->ready = true;
		vnet_tx_locked(&n, &n.qp[0], t);
	}
	memmap_read_end(&mem);
	n.pair = pair;
	return 0;
}
