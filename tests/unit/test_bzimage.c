/*
 * test_bzimage.c - the bzImage path of Linux boot: setup-header validation (good, truncated and
 * hostile files), the zero page (setup header, e820 map, command line, initrd, RSDP), initrd
 * placement within the header's and RAM's limits, the identity page tables and GDT, and the
 * 64-bit entry state. Also Debian's real kernel when tests/linux/build-image.sh has run.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bootparam.h"
#include "core/bzimage.h"
#include "core/memmap.h"
#include "core/x86boot.h"
#include "util/errbuf.h"

#define SETUP_SECTS  4
#define SETUP_BYTES  ((SETUP_SECTS + 1) * 512)
#define KERNEL_BYTES (64 * KiB)
#define INIT_SIZE    (8 * MiB)
#define LOAD_GPA     (16 * MiB)

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

/* A minimal bzImage as Linux 6.1 lays it out; *len gets its size. */
static uint8_t *make_bzimage(size_t *len)
{
	size_t n = SETUP_BYTES + KERNEL_BYTES;
	uint8_t *b = calloc(1, n);

	cr_assert_not_null(b);
	b[0x1f1] = SETUP_SECTS;
	put32(b, 0x1f4, KERNEL_BYTES / 16); /* syssize */
	put16(b, 0x1fa, 0xffff);	    /* vid_mode */
	put16(b, 0x1fe, 0xaa55);
	b[0x200] = 0xeb; /* jmp to the end of the header */
	b[0x201] = 0x6a; /* 0x202 + 0x6a = 0x26c: through kernel_info_offset */
	put32(b, 0x202, 0x53726448);
	put16(b, 0x206, 0x020f);
	b[0x211] = LOADED_HIGH;
	put32(b, 0x214, 0x100000);   /* code32_start */
	put32(b, 0x22c, 0x7fffffff); /* initrd_addr_max */
	put32(b, 0x230, 0x200000);   /* kernel_alignment */
	b[0x234] = 1;		     /* relocatable */
	b[0x235] = 21;		     /* min_alignment */
	put16(b, 0x236, 0x7f);	     /* xloadflags: 64-bit, above 4G, ... */
	put32(b, 0x238, 2047);	     /* cmdline_size */
	put64(b, 0x258, LOAD_GPA);   /* pref_address */
	put32(b, 0x260, INIT_SIZE);  /* init_size */
	for (size_t i = 0; i < KERNEL_BYTES; i++)
		b[SETUP_BYTES + i] = (uint8_t)(i * 7 + 3);
	*len = n;
	return b;
}

static void mem_setup(struct memmap *m, uint64_t ram)
{
	uint64_t low = MIN(ram, 3 * GiB);

	cr_assert_eq(memmap_init(m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(memmap_add_ram(m, 0, low, "ram-low", 0, NULL), 0);
	if (ram > low)
		cr_assert_eq(memmap_add_ram(m, 4 * GiB, ram - low, "ram-high", 0, NULL), 0);
}

static int parse(const uint8_t *b, size_t len, struct bzimage_info *info)
{
	struct errbuf err = { { 0 } };
	int ret = bzimage_parse(b, len, info, &err);

	if (ret)
		cr_assert(err.msg[0], "error %d without a message", ret);
	return ret;
}

Test(bzimage, parse_good_header)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(&len);

	cr_assert_eq(parse(b, len, &info), 0);
	cr_assert_eq(info.version, 0x020f);
	cr_assert_eq(info.hdr_end, 0x26c);
	cr_assert_eq(info.setup_bytes, SETUP_BYTES);
	cr_assert_eq(info.kernel_bytes, KERNEL_BYTES);
	cr_assert_eq(info.load_gpa, LOAD_GPA);
	cr_assert_eq(info.init_size, INIT_SIZE);
	cr_assert_eq(info.cmdline_max, 2047);
	cr_assert_eq(info.initrd_addr_max, 0x7fffffff);
	cr_assert(info.relocatable);

	/* setup_sects 0 means 4. */
	b[0x1f1] = 0;
	cr_assert_eq(parse(b, len, &info), 0);
	cr_assert_eq(info.setup_bytes, SETUP_BYTES);
	/* A relocatable kernel with pref_address below 1 MiB goes to 16 MiB, aligned. */
	put64(b, 0x258, 0x1000);
	cr_assert_eq(parse(b, len, &info), 0);
	cr_assert_eq(info.load_gpa, 16 * MiB);
	put64(b, 0x258, 17 * MiB);
	cr_assert_eq(parse(b, len, &info), 0);
	cr_assert_eq(info.load_gpa, 18 * MiB, "aligned up to kernel_alignment");
	free(b);
}

Test(bzimage, truncated_files)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(&len);

	/* Every prefix shorter than the whole kernel is refused without reading past it. */
	for (size_t n = 0; n < len; n += n < 0x400 ? 1 : 509) {
		uint8_t *copy = malloc(n ? n : 1);
		int ret;

		memcpy(copy, b, n);
		ret = parse(copy, n, &info);
		cr_assert(ret == -ENOEXEC || ret == -EINVAL, "length %zu: %d", n, ret);
		if (n < 0x206)
			cr_assert_eq(ret, -ENOEXEC, "length %zu", n);
		free(copy);
	}
	cr_assert_eq(parse(b, len - 1, &info), -EINVAL, "one byte short");
	free(b);
}

Test(bzimage, hostile_headers)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(&len);
	uint8_t *orig = malloc(len);

	memcpy(orig, b, len);
#define EXPECT(mutation, want)                                             \
	do {                                                               \
		memcpy(b, orig, len);                                      \
		mutation;                                                  \
		cr_assert_eq(parse(b, len, &info), want, "%s", #mutation); \
	} while (0)

	EXPECT(put32(b, 0x202, 0x53726449), -ENOEXEC); /* not "HdrS" */
	EXPECT(put16(b, 0x1fe, 0x55aa), -ENOEXEC);     /* boot flag */
	EXPECT(memcpy(b,
		      "\x7f"
		      "ELF",
		      4),
	       0);				   /* the first bytes do not matter */
	EXPECT(put16(b, 0x206, 0x020b), -ENOEXEC); /* protocol 2.11 */
	EXPECT(b[0x211] = 0, -ENOEXEC);		   /* zImage */
	EXPECT(put16(b, 0x236, 0), -ENOEXEC);	   /* no 64-bit entry */
	EXPECT(b[0x200] = 0xe9, -EINVAL);	   /* not a short jump */
	EXPECT(b[0x201] = 0x10, -EINVAL);	   /* header ends before init_size */
	EXPECT(b[0x201] = 0xff, -EINVAL);	   /* header beyond the zero page's room */
	EXPECT(b[0x1f1] = 255, -EINVAL);	   /* setup_sects beyond the file */
	EXPECT(put32(b, 0x1f4, 0), -EINVAL);	   /* syssize 0 */
	EXPECT(put32(b, 0x1f4, KERNEL_BYTES / 16 + 1), -EINVAL); /* beyond the file */
	EXPECT(put32(b, 0x1f4, 0xffffffff), -EINVAL);
	EXPECT(put32(b, 0x260, KERNEL_BYTES - 16), -EINVAL); /* init_size too small */
	EXPECT(put32(b, 0x230, 0x300000), -EINVAL);	     /* alignment not 2^n */
	EXPECT(put32(b, 0x230, 0), -EINVAL);
	EXPECT((b[0x234] = 0, put64(b, 0x258, 0x10000)), -EINVAL);    /* fixed, below 1 MiB */
	EXPECT((b[0x234] = 0, put64(b, 0x258, 0xfff00000)), -EINVAL); /* ends above 4 GiB */
	EXPECT(put64(b, 0x258, 0xffe00000), -EINVAL);
	EXPECT(put64(b, 0x258, UINT64_MAX - 0xfff), -EINVAL);
	EXPECT(put32(b, 0x238, 0), -EINVAL); /* cmdline_size 0 */
	EXPECT(put32(b, 0x22c, 0), 0);	     /* initrd_addr_max 0: the old default */
	cr_assert_eq(info.initrd_addr_max, 0x37ffffff);
#undef EXPECT

	/* Random corruption of the header never crashes, and what passes is consistent. */
	srand(42);
	for (int i = 0; i < 20000; i++) {
		memcpy(b, orig, len);
		for (int k = 0; k < 1 + i % 4; k++)
			b[0x1f1 + rand() % (0x270 - 0x1f1)] = (uint8_t)rand();
		if (parse(b, len, &info) == 0) {
			cr_assert_leq(info.setup_bytes + info.kernel_bytes, len);
			cr_assert_leq(info.load_gpa + info.init_size, 4 * GiB);
			cr_assert_geq(info.load_gpa, 1 * MiB);
			cr_assert_geq(info.init_size, info.kernel_bytes);
		}
	}
	free(orig);
	free(b);
}

Test(bzimage, load_and_zero_page)
{
	static const char cmdline[] = "console=ttyS0 strand.cmd=\"echo hi\"";
	struct x86boot_args args = { .cmdline = cmdline, .rsdp_gpa = 0xe0000 };
	struct x86boot_entry e;
	struct boot_params *bp = calloc(1, sizeof(*bp));
	struct errbuf err = { { 0 } };
	struct memmap m;
	uint8_t *b, *initrd, *check;
	size_t len;
	char line[sizeof(cmdline)];

	b = make_bzimage(&len);
	initrd = malloc(3 * MiB + 123);
	for (size_t i = 0; i < 3 * MiB + 123; i++)
		initrd[i] = (uint8_t)(i ^ (i >> 9));
	args.initrd = initrd;
	args.initrd_size = 3 * MiB + 123;
	mem_setup(&m, 256 * MiB);
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);

	/* Entry state. */
	cr_assert_eq(e.mode, X86BOOT_LONG64);
	cr_assert_eq(e.rip, LOAD_GPA + 0x200);
	cr_assert_eq(e.rsi, X86BOOT_ZERO_PAGE_GPA);
	cr_assert_eq(e.cr3, X86BOOT_PT_GPA);
	cr_assert_eq(e.gdt_gpa, X86BOOT_GDT_GPA);
	cr_assert_eq(e.kernel_end, LOAD_GPA + INIT_SIZE);

	/* The kernel is at its load address, byte for byte. */
	check = malloc(KERNEL_BYTES);
	cr_assert_eq(memmap_read(&m, LOAD_GPA, check, KERNEL_BYTES), 0);
	cr_assert_eq(memcmp(check, b + SETUP_BYTES, KERNEL_BYTES), 0);
	free(check);

	/* The initrd: as high as RAM allows, page aligned, below initrd_addr_max. */
	cr_assert_eq(e.initrd_size, 3 * MiB + 123);
	cr_assert_eq(e.initrd_gpa % 4096, 0);
	cr_assert_leq(e.initrd_gpa + e.initrd_size, 256 * MiB);
	cr_assert_gt(e.initrd_gpa + e.initrd_size, 256 * MiB - 4096);
	check = malloc(e.initrd_size);
	cr_assert_eq(memmap_read(&m, e.initrd_gpa, check, e.initrd_size), 0);
	cr_assert_eq(memcmp(check, initrd, e.initrd_size), 0);
	free(check);

	/* The command line. */
	cr_assert_eq(memmap_read(&m, X86BOOT_CMDLINE_GPA, line, sizeof(line)), 0);
	cr_assert_str_eq(line, cmdline);

	/* The zero page. */
	cr_assert_eq(memmap_read(&m, X86BOOT_ZERO_PAGE_GPA, bp, sizeof(*bp)), 0);
	cr_assert_eq(bp->hdr.header, 0x53726448);
	cr_assert_eq(bp->hdr.version, 0x020f);
	cr_assert_eq(bp->hdr.boot_flag, 0xaa55);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert(bp->hdr.loadflags & LOADED_HIGH);
	cr_assert_eq(bp->hdr.cmd_line_ptr, X86BOOT_CMDLINE_GPA);
	cr_assert_eq(bp->ext_cmd_line_ptr, 0);
	cr_assert_eq(bp->hdr.ramdisk_image, e.initrd_gpa);
	cr_assert_eq(bp->hdr.ramdisk_size, 3 * MiB + 123);
	cr_assert_eq(bp->ext_ramdisk_image, 0);
	cr_assert_eq(bp->hdr.cmdline_size, 2047);
	cr_assert_eq(bp->hdr.code32_start, LOAD_GPA);
	cr_assert_eq(bp->acpi_rsdp_addr, 0xe0000);
	cr_assert_eq(bp->sentinel, 0);
	cr_assert_eq(bp->hdr.hardware_subarch, 0);
	/* e820: RAM below the EBDA, the EBDA and BIOS area reserved, RAM from 1 MiB. */
	cr_assert_eq(bp->e820_entries, 4);
	static const struct {
		uint64_t addr, size;
		uint32_t type;
	} want[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0xe0000, 0x20000, 2 },
		{ 0x100000, 256 * MiB - 0x100000, 1 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		cr_assert_eq(bp->e820_table[i].addr, want[i].addr, "e820[%u]", i);
		cr_assert_eq(bp->e820_table[i].size, want[i].size, "e820[%u]", i);
		cr_assert_eq(bp->e820_table[i].type, want[i].type, "e820[%u]", i);
	}

	/* Page tables: PML4[0] -> PDPT, PDPT[0..3] -> PDs, 2 MiB identity pages for 4 GiB. */
	uint64_t pt[512];
	cr_assert_eq(memmap_read(&m, X86BOOT_PT_GPA, pt, sizeof(pt)), 0);
	cr_assert_eq(pt[0], (X86BOOT_PT_GPA + 0x1000) | 3);
	for (int i = 1; i < 512; i++)
		cr_assert_eq(pt[i], 0);
	cr_assert_eq(memmap_read(&m, X86BOOT_PT_GPA + 0x1000, pt, sizeof(pt)), 0);
	for (int g = 0; g < 4; g++)
		cr_assert_eq(pt[g], (X86BOOT_PT_GPA + 0x2000 + 0x1000 * (uint64_t)g) | 3);
	cr_assert_eq(pt[4], 0);
	for (int g = 0; g < 4; g++) {
		cr_assert_eq(memmap_read(&m, X86BOOT_PT_GPA + 0x2000 + 0x1000 * (uint64_t)g, pt,
					 sizeof(pt)),
			     0);
		for (int i = 0; i < 512; i++)
			cr_assert_eq(pt[i], ((uint64_t)g * GiB + (uint64_t)i * 2 * MiB) | 0x83);
	}
	cr_assert_leq(X86BOOT_PT_END, X86BOOT_CMDLINE_GPA);

	/* GDT: __BOOT_CS (0x10) 64-bit code, __BOOT_DS (0x18) data. */
	uint64_t gdt[4];
	cr_assert_eq(memmap_read(&m, X86BOOT_GDT_GPA, gdt, sizeof(gdt)), 0);
	cr_assert_eq(gdt[0], 0);
	cr_assert_eq(gdt[2] >> 53 & 1, 1, "L bit of __BOOT_CS");
	cr_assert_eq(gdt[3] >> 41 & 1, 1, "writable data");

	memmap_destroy(&m);
	free(initrd);
	free(bp);
	free(b);
}

Test(bzimage, entry_registers)
{
	struct x86boot_entry e = {
		.mode = X86BOOT_LONG64,
		.rip = LOAD_GPA + 0x200,
		.rsi = X86BOOT_ZERO_PAGE_GPA,
		.rsp = X86BOOT_STACK_TOP,
		.cr3 = X86BOOT_PT_GPA,
		.gdt_gpa = X86BOOT_GDT_GPA,
		.gdt_limit = 31,
	};
	struct kvm_regs r;
	struct kvm_sregs s;

	memset(&s, 0xa5, sizeof(s));
	s.apic_base = 0xfee00900;
	x86boot_regs(&e, &r);
	x86boot_sregs(&e, &s);
	cr_assert_eq(r.rip, LOAD_GPA + 0x200);
	cr_assert_eq(r.rsi, X86BOOT_ZERO_PAGE_GPA);
	cr_assert_eq(r.rflags, 2, "interrupts off");
	cr_assert_eq(r.rax | r.rbx | r.rcx | r.rdx | r.rdi, 0);
	cr_assert_eq(s.cs.selector, 0x10);
	cr_assert_eq(s.cs.l, 1);
	cr_assert_eq(s.cs.db, 0);
	cr_assert_eq(s.cs.type, 0xb);
	cr_assert_eq(s.cs.present, 1);
	cr_assert_eq(s.ds.selector, 0x18);
	cr_assert_eq(s.ss.selector, 0x18);
	cr_assert_eq(s.es.selector, 0x18);
	cr_assert_eq(s.ds.type, 0x3);
	cr_assert_eq(s.ds.db, 1);
	cr_assert_eq(s.tr.type, 0xb);
	cr_assert_eq(s.ldt.unusable, 1);
	cr_assert_eq(s.gdt.base, X86BOOT_GDT_GPA);
	cr_assert_eq(s.gdt.limit, 31);
	cr_assert_eq(s.cr0, 0x80000033, "PE MP ET NE PG; CD and NW clear");
	cr_assert_eq(s.cr3, X86BOOT_PT_GPA);
	cr_assert_eq(s.cr4, 0x20, "PAE");
	cr_assert_eq(s.efer, 0x500, "LME LMA");
	cr_assert_eq(s.apic_base, 0xfee00900, "kept");
}

Test(bzimage, bad_input_for_the_vm)
{
	struct x86boot_args args = { 0 };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct memmap m;
	size_t len;
	uint8_t *b = make_bzimage(&len);
	char *cmdline = malloc(4096);
	uint8_t *initrd = calloc(1, 64 * MiB);

	mem_setup(&m, 64 * MiB);

	/* The command line: 2047 bytes fit, 2048 do not. */
	memset(cmdline, 'x', 4096);
	cmdline[2047] = 0;
	args.cmdline = cmdline;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cmdline[2047] = 'x';
	cmdline[2048] = 0;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), -E2BIG);
	cr_assert(strstr(err.msg, "command line"), "%s", err.msg);
	args.cmdline = "console=ttyS0";

	/* An initrd larger than RAM above the kernel. */
	args.initrd = initrd;
	args.initrd_size = 64 * MiB;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), -E2BIG);
	cr_assert(strstr(err.msg, "initrd"), "%s", err.msg);
	/* One that just fits between the kernel's init_size and the end of RAM. */
	args.initrd_size = 64 * MiB - LOAD_GPA - INIT_SIZE;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.initrd_gpa, LOAD_GPA + INIT_SIZE);
	args.initrd_size += 1;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), -E2BIG);
	memmap_destroy(&m);

	/* RAM smaller than the kernel's init_size needs. */
	mem_setup(&m, 20 * MiB);
	args.initrd = NULL;
	args.initrd_size = 0;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), -E2BIG);
	cr_assert(strstr(err.msg, "MiB"), "%s", err.msg);
	memmap_destroy(&m);

	/* Not a bzImage at all. */
	mem_setup(&m, 64 * MiB);
	memset(b, 0, 1024);
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), -ENOEXEC);
	cr_assert(strstr(err.msg, "not a bzImage"), "%s", err.msg);
	memmap_destroy(&m);
	free(initrd);
	free(cmdline);
	free(b);
}

Test(bzimage, initrd_below_initrd_addr_max_with_high_ram)
{
	struct x86boot_args args = { .cmdline = "" };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct boot_params *bp = calloc(1, sizeof(*bp));
	uint8_t initrd[8192] = { 1 };
	struct memmap m;
	size_t len;
	uint8_t *b = make_bzimage(&len);

	/* 5 GiB: 3 below the hole, 2 above 4 GiB (memory is reserved, not touched). */
	mem_setup(&m, 5 * GiB);
	args.initrd = initrd;
	args.initrd_size = sizeof(initrd);
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.initrd_gpa + e.initrd_size, 0x80000000, "ends at initrd_addr_max + 1");
	cr_assert_eq(memmap_read(&m, X86BOOT_ZERO_PAGE_GPA, bp, sizeof(*bp)), 0);
	cr_assert_eq(bp->e820_entries, 5);
	cr_assert_eq(bp->e820_table[3].addr + bp->e820_table[3].size, 3 * GiB);
	cr_assert_eq(bp->e820_table[4].addr, 4 * GiB);
	cr_assert_eq(bp->e820_table[4].size, 2 * GiB);
	cr_assert_eq(bp->e820_table[4].type, 1);
	/* A lower limit from the header moves it down. */
	b[0x22c] = 0xff;
	b[0x22d] = 0xff;
	b[0x22e] = 0xff;
	b[0x22f] = 0x0f; /* 0x0fffffff */
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.initrd_gpa + e.initrd_size, 0x10000000);
	memmap_destroy(&m);
	free(bp);
	free(b);
}

Test(x86boot, e820_needs_low_ram)
{
	struct x86boot_e820 map[4];
	struct memmap m;

	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(x86boot_e820_build(&m, map, 4), -EINVAL, "no RAM");
	cr_assert_eq(memmap_add_ram(&m, 0, 512 * KiB, "low", 0, NULL), 0);
	cr_assert_eq(x86boot_e820_build(&m, map, 4), -EINVAL, "less than 1 MiB");
	memmap_destroy(&m);
	mem_setup(&m, 5 * GiB);
	cr_assert_eq(x86boot_e820_build(&m, map, 4), -E2BIG, "5 entries, room for 4");
	cr_assert_eq(x86boot_page_tables(&m, X86BOOT_PT_GPA, 3 * MiB), -EINVAL);
	cr_assert_eq(x86boot_page_tables(&m, X86BOOT_PT_GPA + 8, GiB), -EINVAL);
	cr_assert_eq(x86boot_page_tables(&m, 3 * GiB - 4096, GiB), -EFAULT, "not RAM");
	memmap_destroy(&m);
}

/* Debian's cloud kernel, when the image builder has run. */
static uint8_t *read_image(const char *name, size_t *len)
{
	const char *dir = getenv("STRAND_LINUX_DIR");
	const char *src = getenv("STRAND_SRC");
	char path[4096];
	FILE *f;
	uint8_t *buf;
	long n;

	if (dir)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s/build/linux/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = aligned_alloc(16, ALIGN_UP((size_t)n, 16));
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

Test(bzimage, debian_cloud_kernel)
{
	struct bzimage_info info;
	struct x86boot_args args = { .cmdline = "console=ttyS0 quiet", .rsdp_gpa = 0xe0000 };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct memmap m;
	size_t len, ilen = 0;
	uint8_t *b = read_image("vmlinuz", &len);
	uint8_t *initrd = read_image("initramfs.img", &ilen);

	if (!b)
		cr_skip_test("no build/linux/vmlinuz (run tests/linux/build-image.sh)");
	cr_assert_eq(bzimage_parse(b, len, &info, &err), 0, "%s", err.msg);
	cr_assert_geq(info.version, 0x020c);
	cr_assert(info.xloadflags & XLF_KERNEL_64);
	cr_assert_eq(info.load_gpa, 16 * MiB);
	cr_assert_eq(info.cmdline_max, 2047);
	cr_log_info("Debian kernel: protocol %x, kernel %llu bytes, init_size %llu MiB",
		    info.version, (unsigned long long)info.kernel_bytes,
		    (unsigned long long)(info.init_size / MiB));
	mem_setup(&m, 512 * MiB);
	args.initrd = initrd;
	args.initrd_size = ilen;
	cr_assert_eq(bzimage_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.rip, 0x1000200);
	if (initrd)
		cr_assert_leq(e.initrd_gpa + ilen, 512 * MiB);
	memmap_destroy(&m);
	free(initrd);
	free(b);
}
