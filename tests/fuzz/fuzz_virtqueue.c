/*
 * fuzz_virtqueue.c - libFuzzer target: the split-virtqueue walker on hostile rings.
 *
 * The input is guest memory: a 64 KiB RAM region at gpa 0x10000 (plus a 4 KiB read-only one
 * right after it) filled from the input, and a small header choosing the queue size, the ring
 * addresses and the negotiated features. The walker pops and pushes until the ring is empty
 * or the queue breaks. Any out-of-bounds access is an ASan report; a hang is a libFuzzer
 * timeout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/memmap.h"
#include "devices/virtio/virtqueue.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x10000ULL
#define ROM_GPA	 (RAM_GPA + RAM_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memmap mem;
static uint8_t *ram, *rom;

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	if (memmap_init(&mem, -1, 8, PUBPTR_MUTEX))
		abort();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rom = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || rom == MAP_FAILED ||
	    memmap_add(&mem, RAM_GPA, RAM_SIZE, ram, "ram", 0, NULL) ||
	    memmap_add(&mem, ROM_GPA, 4096, rom, "rom", MEMMAP_F_READONLY, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq vq;
	struct vq_iov iov[16];
	struct vq_chain c = { .iov = iov, .cap = 16 };
	const struct memmap_table *t;
	uint16_t hdr[5];

	init_once();
	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	data += sizeof(hdr);
	size -= sizeof(hdr);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
	if (size > RAM_SIZE)
		memcpy(rom, data + RAM_SIZE, size - RAM_SIZE < 4096 ? size - RAM_SIZE : 4096);

	memset(&vq, 0, sizeof(vq));
	vq.num_max = 256;
	vq_reset(&vq);
	/* Mostly valid geometry (to get into the walker), sometimes anything at all. */
	if (hdr[4] & 4) {
		vq.num = hdr[0] & 0x1ff;
		vq.desc_gpa = RAM_GPA - 0x1000 + ((uint64_t)hdr[1] << 2);
		vq.avail_gpa = RAM_GPA - 0x1000 + ((uint64_t)hdr[2] << 1);
		vq.used_gpa = RAM_GPA - 0x1000 + ((uint64_t)hdr[3] << 1);
	} else {
		vq.num = (uint16_t)(1u << (hdr[0] % 9));
		vq.desc_gpa = RAM_GPA + ((uint64_t)(hdr[1] % 0x1000) << 4);
		vq.avail_gpa = RAM_GPA + ((uint64_t)(hdr[2] % 0x8000) << 1);
		vq.used_gpa = RAM_GPA + ((uint64_t)(hdr[3] % 0x4000) << 2);
	}
	vq.indirect = hdr[4] & 1;
	vq.event_idx = hdr[4] & 2;
	c.cap = 1 + (hdr[4] >> 8) % 16;

	t = memmap_read_begin(&mem);
	if (vq_check_rings(&vq, t)) {
		vq.ready = true;
		for (int i = 0; i < 300; i++) {
			int r = vq_pop(&vq, t, &c);

			if (r <= 0)
				break;
			/* Touch every buffer the way a device would. */
			for (unsigned k = 0; k < c.n_readable + c.n_writable; k++) {
				volatile uint8_t sink = c.iov[k].hva[0];

				(void)sink;
				if (k >= c.n_readable)
					c.iov[k].hva[c.iov[k].len - 1] = 0x5a;
			}
			if (vq_push(&vq, t, c.head, (uint32_t)c.writable_bytes))
				break;
			vq_should_notify(&vq, t);
		}
		vq_set_notification(&vq, t, true);
		vq_has_work(&vq, t);
	}
	memmap_read_end(&mem);
	return 0;
}
