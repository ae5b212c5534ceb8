/* bzimage.c - x86 boot protocol: setup header validation and the 64-bit entry. Main thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bootparam.h"
#include "core/bzimage.h"
#include "core/memmap.h"
#include "util/errbuf.h"

#define SECTOR		    512
#define DEFAULT_SETUP_SECTS 4
#define DEFAULT_INITRD_MAX  0x37ffffffULL /* boot protocol < 2.03 */
#define DEFAULT_LOAD_GPA    (16 * MiB)
#define HDR_END_MAX	    0x290   /* the setup header area of boot_params */
#define HDR_END_MIN	    (0x264) /* through init_size (2.10) */
#define JUMP_SHORT	    0xeb

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

#define FIELD(buf, f) ((buf) + BOOTPARAM_HDR_OFFSET + offsetof(struct setup_header, f))

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info, struct errbuf *err)
{
	unsigned sects;
	uint32_t syssize;
	uint8_t loadflags;
	uint64_t pref;

	memset(info, 0, sizeof(*info));
	if (len < 0x206)
		return errbuf_set(err, -ENOEXEC,
				  "not a bzImage: %zu bytes is too short for a setup header", len);
	if (rd16(FIELD(buf, boot_flag)) != BOOTPARAM_BOOT_FLAG ||
	    rd32(FIELD(buf, header)) != BOOTPARAM_HDR_MAGIC)
		return errbuf_set(err, -ENOEXEC,
				  "not a bzImage: no \"HdrS\" setup header at 0x202");
	if (len < 0x208)
		return errbuf_set(err, -EINVAL, "truncated setup header (%zu bytes)", len);
	info->version = rd16(FIELD(buf, version));
	if (info->version < BZIMAGE_MIN_VERSION)
		return errbuf_set(
			err, -ENOEXEC,
			"boot protocol %u.%02u is too old: 64-bit entry needs 2.12 or later",
			info->version >> 8, info->version & 0xff);
	/* The short jump at 0x200 lands right after the header: its end, whatever the version. */
	if (buf[0x200] != JUMP_SHORT)
		return errbuf_set(err, -EINVAL, "bad setup header: no short jump at 0x200");
	info->hdr_end = 0x202 + (size_t)buf[0x201];
	if (info->hdr_end < HDR_END_MIN || info->hdr_end > HDR_END_MAX)
		return errbuf_set(err, -EINVAL, "bad setup header: it ends at 0x%zx",
				  info->hdr_end);
	if (info->hdr_end > len)
		return errbuf_set(err, -EINVAL,
				  "truncated setup header: it ends at 0x%zx, the file at 0x%zx",
				  info->hdr_end, len);
	sects = buf[BOOTPARAM_HDR_OFFSET] ? buf[BOOTPARAM_HDR_OFFSET] : DEFAULT_SETUP_SECTS;
	info->setup_bytes = (size_t)(sects + 1) * SECTOR;
	if (info->setup_bytes > len || info->setup_bytes < info->hdr_end)
		return errbuf_set(err, -EINVAL,
				  "setup_sects %u: %zu bytes of setup code, the file has %zu",
				  sects, info->setup_bytes, len);
	syssize = rd32(FIELD(buf, syssize));
	info->kernel_bytes = (uint64_t)syssize * 16;
	if (syssize == 0 || info->kernel_bytes > len - info->setup_bytes)
		return errbuf_set(
			err, -EINVAL,
			"syssize: a %llu-byte kernel after the setup code, the file has %zu",
			(unsigned long long)info->kernel_bytes, len - info->setup_bytes);
	loadflags = *FIELD(buf, loadflags);
	if (!(loadflags & LOADED_HIGH))
		return errbuf_set(err, -ENOEXEC, "not a bzImage: the kernel loads low (zImage)");
	info->xloadflags = rd16(FIELD(buf, xloadflags));
	if (!(info->xloadflags & XLF_KERNEL_64))
		return errbuf_set(err, -ENOEXEC,
				  "the kernel has no 64-bit entry point (XLF_KERNEL_64 clear)");
	info->relocatable = *FIELD(buf, relocatable_kernel) != 0;
	info->kernel_alignment = rd32(FIELD(buf, kernel_alignment));
	info->init_size = rd32(FIELD(buf, init_size));
	info->cmdline_max = rd32(FIELD(buf, cmdline_size));
	info->initrd_addr_max = rd32(FIELD(buf, initrd_addr_max));
	if (!info->initrd_addr_max)
		info->initrd_addr_max = DEFAULT_INITRD_MAX;
	pref = rd64(FIELD(buf, pref_address));
	if (pref >= 4 * GiB)
		return errbuf_set(err, -EINVAL, "pref_address 0x%llx is above 4 GiB",
				  (unsigned long long)pref);

	if (info->relocatable) {
		uint32_t a = info->kernel_alignment;

		if (a < 4096 || a > GiB || (a & (a - 1)))
			return errbuf_set(err, -EINVAL,
					  "kernel_alignment 0x%x is not a power of two", a);
		info->load_gpa = pref >= X86BOOT_MIN_LOAD_GPA ? pref : DEFAULT_LOAD_GPA;
		info->load_gpa = ALIGN_UP(info->load_gpa, (uint64_t)a);
	} else {
		if (pref < X86BOOT_MIN_LOAD_GPA)
			return errbuf_set(err, -EINVAL,
					  "a non-relocatable kernel wants 0x%llx, below 1 MiB",
					  (unsigned long long)pref);
		info->load_gpa = pref;
	}
	if (info->init_size < info->kernel_bytes)
		return errbuf_set(err, -EINVAL,
				  "init_size 0x%llx is smaller than the kernel (0x%llx)",
				  (unsigned long long)info->init_size,
				  (unsigned long long)info->kernel_bytes);
	if (info->load_gpa >= 4 * GiB || info->init_size > 4 * GiB - info->load_gpa)
		return errbuf_set(
			err, -EINVAL, "the kernel at 0x%llx+0x%llx does not end below 4 GiB",
			(unsigned long long)info->load_gpa, (unsigned long long)info->init_size);
	if (info->cmdline_max == 0)
		return errbuf_set(err, -EINVAL, "cmdline_size is 0");
	return 0;
}

int bzimage_load(struct memmap *mem, const uint8_t *buf, size_t len,
		 const struct x86boot_args *args, struct x86boot_entry *entry, struct errbuf *err)
{
	struct x86boot_e820 map[X86BOOT_E820_MAX];
	struct bzimage_info info;
	struct boot_params *bp;
	const struct memmap_table *t;
	uint64_t kernel_end, initrd_gpa = 0, initrd_end;
	bool fits;
	int n, ret;

	ret = bzimage_parse(buf, len, &info, err);
	if (ret)
		return ret;
	memset(entry, 0, sizeof(*entry));
	kernel_end = info.load_gpa + info.init_size;
	t = memmap_read_begin(mem);
	fits = memmap_hva_rcu(t, info.load_gpa, info.init_size, MEMMAP_WRITE) != NULL;
	memmap_read_end(mem);
	if (!fits)
		return errbuf_set(
			err, -E2BIG,
			"the kernel needs guest RAM from 0x%llx to 0x%llx (init_size): give the VM at least %llu MiB",
			(unsigned long long)info.load_gpa, (unsigned long long)kernel_end,
			(unsigned long long)(ALIGN_UP(kernel_end, MiB) / MiB));
	ret = x86boot_write_cmdline(mem, args->cmdline, info.cmdline_max, err);
	if (ret)
		return ret;
	if (args->initrd && args->initrd_size) {
		initrd_end = MIN(info.initrd_addr_max, 4 * GiB - 1) + 1;
		ret = x86boot_place_initrd(mem, args->initrd_size, kernel_end, initrd_end,
					   &initrd_gpa, err);
		if (ret)
			return ret;
	}
	n = x86boot_e820_build(mem, map, X86BOOT_E820_MAX);
	if (n < 0)
		return errbuf_set(
			err, n == -E2BIG ? -E2BIG : -EFAULT,
			"guest RAM cannot be described to Linux (RAM at 0 up to 1 MiB, at most %u ranges)",
			X86BOOT_E820_MAX);

	ret = memmap_write(mem, info.load_gpa, buf + info.setup_bytes, info.kernel_bytes);
	if (!ret && initrd_gpa)
		ret = memmap_write(mem, initrd_gpa, args->initrd, args->initrd_size);
	if (ret)
		return errbuf_set(err, ret, "copying the kernel or initrd to guest RAM failed");

	bp = calloc(1, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	/* The setup header as the file has it (up to its own end), into a clean zero page. */
	memcpy((uint8_t *)bp + BOOTPARAM_HDR_OFFSET, buf + BOOTPARAM_HDR_OFFSET,
	       info.hdr_end - BOOTPARAM_HDR_OFFSET);
	bp->hdr.type_of_loader = BOOTPARAM_LOADER_ID;
	bp->hdr.loadflags =
		(uint8_t)((bp->hdr.loadflags | LOADED_HIGH) & ~(CAN_USE_HEAP | KEEP_SEGMENTS));
	bp->hdr.code32_start = (uint32_t)info.load_gpa;
	bp->hdr.cmd_line_ptr = (uint32_t)X86BOOT_CMDLINE_GPA;
	bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)(initrd_gpa ? args->initrd_size : 0);
	bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
	bp->ext_ramdisk_size = (uint32_t)(initrd_gpa ? args->initrd_size >> 32 : 0);
	bp->hdr.hardware_subarch = 0;
	bp->hdr.setup_data = 0;
	bp->acpi_rsdp_addr = args->rsdp_gpa;
	bp->e820_entries = (uint8_t)MIN(n, E820_MAX_ENTRIES_ZEROPAGE);
	for (int i = 0; i < bp->e820_entries; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	ret = memmap_write(mem, X86BOOT_ZERO_PAGE_GPA, bp, sizeof(*bp));
	free(bp);
	if (!ret)
		ret = x86boot_gdt(mem);
	if (!ret)
		ret = x86boot_page_tables(mem, X86BOOT_PT_GPA, X86BOOT_PT_MAP_BYTES);
	if (ret)
		return errbuf_set(err, ret, "guest RAM does not cover the boot area below 1 MiB");

	entry->mode = X86BOOT_LONG64;
	entry->rip = info.load_gpa + BOOTPARAM_ENTRY64_OFF;
	entry->rsi = X86BOOT_ZERO_PAGE_GPA;
	entry->rsp = X86BOOT_STACK_TOP;
	entry->cr3 = X86BOOT_PT_GPA;
	entry->gdt_gpa = X86BOOT_GDT_GPA;
	entry->gdt_limit = 4 * 8 - 1;
	entry->kernel_gpa = info.load_gpa;
	entry->kernel_end = kernel_end;
	entry->initrd_gpa = initrd_gpa;
	entry->initrd_size = initrd_gpa ? args->initrd_size : 0;
	entry->cmdline_gpa = X86BOOT_CMDLINE_GPA;
	entry->params_gpa = X86BOOT_ZERO_PAGE_GPA;
	return 0;
}
