/*
 * fuzz_blk.c - libFuzzer target: virtio-blk request parsing on chains popped from hostile
 * rings (the same memory model as fuzz_virtqueue.c), with the device's limits also chosen by
 * the input. Parsed data ranges are written the way the null backend does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/memmap.h"
#include "devices/virtio/blk.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x10000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct memmap mem;
static uint8_t *ram;

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	if (memmap_init(&mem, -1, 8, PUBPTR_RWLOCK))
		abort();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || memmap_add(&mem, RAM_GPA, RAM_SIZE, ram, "ram", 0, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_iov iov[VBLK_SEG_MAX + 2];
	static struct vblk_request r;
	struct vq_chain c = { .iov = iov, .cap = VBLK_SEG_MAX + 2 };
	struct vblk_limits l;
	const struct memmap_table *t;
	struct vq vq;
	uint16_t hdr[6];

	init_once();
	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	data += sizeof(hdr);
	size -= sizeof(hdr);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);

	memset(&vq, 0, sizeof(vq));
	vq.num_max = 256;
	vq_reset(&vq);
	vq.num = (uint16_t)(1u << (hdr[0] % 9));
	vq.desc_gpa = RAM_GPA + ((uint64_t)(hdr[1] % 0x1000) << 4);
	vq.avail_gpa = RAM_GPA + ((uint64_t)(hdr[2] % 0x8000) << 1);
	vq.used_gpa = RAM_GPA + ((uint64_t)(hdr[3] % 0x4000) << 2);
	vq.indirect = hdr[4] & 1;
	l.capacity = hdr[5] & 1 ? 0 : (uint64_t)hdr[5] << (hdr[4] >> 12);
	l.readonly = hdr[4] & 2;
	l.discard = hdr[4] & 4;
	l.write_zeroes = hdr[4] & 8;
	l.serial = hdr[4] & 16 ? "fuzz-serial-0123456789" : NULL;

	t = memmap_read_begin(&mem);
	if (vq_check_rings(&vq, t)) {
		vq.ready = true;
		for (int i = 0; i < 64 && vq_pop(&vq, t, &c) > 0; i++) {
			enum vblk_parse_result pr = vblk_parse_request(&c, &l, &r);

			if (pr == VBLK_PARSE_MALFORMED)
				break;
			if (pr == VBLK_PARSE_IO && r.type == 0 /* IN */) {
				for (unsigned k = 0; k < r.ndata; k++)
					memset(r.data[k].iov_base, 0, r.data[k].iov_len);
			}
			*r.status = pr == VBLK_PARSE_DONE ? r.early_status : 0;
			if (vq_push(&vq, t, c.head, (uint32_t)(r.data_len + 1)))
				break;
		}
	}
	memmap_read_end(&mem);
	return 0;
}
