/*
 * test_pvh.c - the PVH path of Linux boot: the ELF note (good, missing, malformed), segment and
 * entry checks, hvm_start_info with its module list and memory map, the 32-bit entry state,
 * and Debian's real vmlinux when tests/linux/build-image.sh has run.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/memmap.h"
#include "core/pvh.h"
#include "core/x86boot.h"
#include "util/errbuf.h"
#include "tests/support.h"

/* The synthetic vmlinux-like ELF comes from tests/support.c. */
#define SEG_GPA	  TEST_PVH_SEG_GPA
#define SEG_FILE  TEST_PVH_SEG_FILE
#define SEG_MEM	  TEST_PVH_SEG_MEM
#define ENTRY	  TEST_PVH_ENTRY
#define PHDR_OFF  TEST_PVH_PHDR_OFF
#define SEG_OFF	  TEST_PVH_SEG_OFF
#define note_spec test_pvh_note
#define make_elf  test_pvh_elf

static const struct note_spec good_note = { .name = "Xen",
					    .namesz = 4,
					    .type = 18,
					    .descsz = 8,
					    .entry = ENTRY };

static void mem_setup(struct memmap *m, uint64_t ram)
{
	cr_assert_eq(memmap_init(m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(memmap_add_ram(m, 0, MIN(ram, 3 * GiB), "ram-low", 0, NULL), 0);
}

static int parse(const uint8_t *b, size_t len, struct pvh_info *info)
{
	struct errbuf err = { { 0 } };
	int ret = pvh_parse(b, len, info, &err);

	if (ret)
		cr_assert(err.msg[0], "error %d without a message", ret);
	return ret;
}

Test(pvh, parse_note)
{
	struct pvh_info info;
	size_t len;
	uint8_t *b = make_elf(&good_note, &len);

	cr_assert_eq(parse(b, len, &info), 0);
	cr_assert_eq(info.entry, ENTRY);
	cr_assert_eq(info.load_min, SEG_GPA);
	cr_assert_eq(info.load_max, SEG_GPA + SEG_MEM);
	free(b);
}

Test(pvh, bad_notes)
{
	static const struct note_spec bad[] = {
		{ .name = NULL },							 /* none */
		{ .name = "Xen", .namesz = 4, .type = 17, .descsz = 8, .entry = ENTRY }, /* type */
		{ .name = "Xe", .namesz = 3, .type = 18, .descsz = 8, .entry = ENTRY },	 /* name */
		{ .name = "Xen", .namesz = 4, .type = 18, .descsz = 2, .entry = ENTRY }, /* short */
		{ .name = "Xen", .namesz = 0x7ffffff0, .type = 18, .descsz = 8, .entry = ENTRY },
		{ .name = "Xen", .namesz = 4, .type = 18, .descsz = 0xfffffff0, .entry = ENTRY },
		{ .name = "Xen", .namesz = 0xffffffff, .type = 18, .descsz = 0xffffffff },
	};
	struct pvh_info info;
	size_t len;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t *b = make_elf(&bad[i], &len);

		cr_assert_eq(parse(b, len, &info), -ENOEXEC, "note %u", i);
		free(b);
	}
}

Test(pvh, bad_images)
{
	struct pvh_info info;
	size_t len;
	uint8_t *b = make_elf(&good_note, &len);
	uint8_t *orig = malloc(len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + PHDR_OFF);
	struct note_spec ns = good_note;

	memcpy(orig, b, len);
#define EXPECT(mutation, want)                                             \
	do {                                                               \
		memcpy(b, orig, len);                                      \
		mutation;                                                  \
		cr_assert_eq(parse(b, len, &info), want, "%s", #mutation); \
	} while (0)

	EXPECT(memset(b, 0, 64), -ENOEXEC);		      /* not an ELF */
	EXPECT(eh->e_machine = EM_386, -ENOEXEC);	      /* wrong machine */
	EXPECT(eh->e_ident[EI_CLASS] = ELFCLASS32, -ENOEXEC); /* 32-bit */
	EXPECT(eh->e_type = ET_DYN, -ENOEXEC);
	EXPECT(eh->e_phoff = len, -EINVAL); /* program headers outside */
	EXPECT(eh->e_phnum = 0xffff, -EINVAL);
	EXPECT(ph[1].p_offset = len, -EINVAL);		 /* segment outside the file */
	EXPECT(ph[1].p_filesz = SEG_MEM + 1, -EINVAL);	 /* file size > memory size */
	EXPECT(ph[1].p_paddr = 0x8000, -EINVAL);	 /* over the boot area */
	EXPECT(ph[1].p_paddr = 4 * GiB - 4096, -EINVAL); /* crosses 4 GiB */
	EXPECT(ph[1].p_paddr = UINT64_MAX - 100, -EINVAL);
	EXPECT(ph[0].p_offset = len - 4, -ENOEXEC); /* notes beyond the file: none */
	EXPECT(ph[0].p_filesz = 0xffffffffffffULL, -ENOEXEC);
	EXPECT(ph[0].p_type = PT_NULL, -ENOEXEC);
	free(b);
	ns.entry = SEG_GPA + SEG_MEM; /* just past the image */
	b = make_elf(&ns, &len);
	cr_assert_eq(parse(b, len, &info), -EINVAL);
	free(b);
	ns.entry = 0x1000; /* in the boot area */
	b = make_elf(&ns, &len);
	cr_assert_eq(parse(b, len, &info), -EINVAL);
	free(b);
#undef EXPECT

	/* Every truncation of a good image fails cleanly. */
	b = make_elf(&good_note, &len);
	for (size_t n = 0; n < len; n += n < 512 ? 1 : 97) {
		uint8_t *copy = aligned_alloc(16, ALIGN_UP(n + 1, 16));
		int ret;

		memcpy(copy, b, n);
		ret = parse(copy, n, &info);
		cr_assert(ret == -ENOEXEC || ret == -EINVAL, "length %zu: %d", n, ret);
		free(copy);
	}
	free(orig);
	free(b);
}

Test(pvh, load_and_start_info)
{
	static const char cmdline[] = "console=ttyS0 strand.cmd=nproc";
	struct x86boot_args args = { .cmdline = cmdline, .rsdp_gpa = 0xe0000 };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	struct hvm_memmap_table_entry mm[8];
	struct memmap m;
	uint8_t initrd[10000], check[SEG_MEM];
	char line[sizeof(cmdline)];
	size_t len;
	uint8_t *b = make_elf(&good_note, &len);

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 3);
	args.initrd = initrd;
	args.initrd_size = sizeof(initrd);
	mem_setup(&m, 128 * MiB);
	/* Stale bytes where the bss goes: the loader must clear them. */
	memset(check, 0xee, sizeof(check));
	cr_assert_eq(memmap_write(&m, SEG_GPA, check, sizeof(check)), 0);
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);

	cr_assert_eq(e.mode, X86BOOT_PVH32);
	cr_assert_eq(e.rip, ENTRY);
	cr_assert_eq(e.rbx, X86BOOT_PVH_INFO_GPA);
	cr_assert_eq(e.cr3, 0);

	cr_assert_eq(memmap_read(&m, SEG_GPA, check, sizeof(check)), 0);
	cr_assert_eq(memcmp(check, b + SEG_OFF, SEG_FILE), 0);
	for (size_t i = SEG_FILE; i < SEG_MEM; i++)
		cr_assert_eq(check[i], 0, "bss byte %zu", i);

	cr_assert_eq(memmap_read(&m, X86BOOT_PVH_INFO_GPA, &si, sizeof(si)), 0);
	cr_assert_eq(si.magic, 0x336ec578);
	cr_assert_eq(si.version, 1);
	cr_assert_eq(si.flags, 0);
	cr_assert_eq(si.nr_modules, 1);
	cr_assert_eq(si.cmdline_paddr, X86BOOT_CMDLINE_GPA);
	cr_assert_eq(si.rsdp_paddr, 0xe0000);
	cr_assert_eq(si.memmap_entries, 4);
	cr_assert_eq(memmap_read(&m, X86BOOT_CMDLINE_GPA, line, sizeof(line)), 0);
	cr_assert_str_eq(line, cmdline);

	cr_assert_eq(memmap_read(&m, si.modlist_paddr, &mod, sizeof(mod)), 0);
	cr_assert_eq(mod.paddr, e.initrd_gpa);
	cr_assert_eq(mod.size, sizeof(initrd));
	cr_assert_eq(mod.paddr % 4096, 0);
	cr_assert_geq(mod.paddr, SEG_GPA + SEG_MEM, "above the kernel");
	cr_assert_leq(mod.paddr + mod.size, 128 * MiB);
	cr_assert_gt(mod.paddr + mod.size, 128 * MiB - 4096, "as high as RAM allows");
	uint8_t got[sizeof(initrd)];
	cr_assert_eq(memmap_read(&m, mod.paddr, got, sizeof(got)), 0);
	cr_assert_eq(memcmp(got, initrd, sizeof(got)), 0);

	cr_assert_eq(memmap_read(&m, si.memmap_paddr, mm, 4 * sizeof(mm[0])), 0);
	cr_assert_eq(mm[0].addr, 0);
	cr_assert_eq(mm[0].size, 0x9fc00);
	cr_assert_eq(mm[0].type, 1);
	cr_assert_eq(mm[1].type, 2);
	cr_assert_eq(mm[2].addr, 0xe0000);
	cr_assert_eq(mm[2].type, 2);
	cr_assert_eq(mm[3].addr, 0x100000);
	cr_assert_eq(mm[3].addr + mm[3].size, 128 * MiB);
	cr_assert_eq(mm[3].type, 1);
	cr_assert_eq(mm[3].reserved, 0);

	/* Without an initrd: no modules. */
	args.initrd = NULL;
	args.initrd_size = 0;
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(memmap_read(&m, X86BOOT_PVH_INFO_GPA, &si, sizeof(si)), 0);
	cr_assert_eq(si.nr_modules, 0);
	cr_assert_eq(si.modlist_paddr, 0);
	memmap_destroy(&m);
	free(b);
}

Test(pvh, entry_registers)
{
	struct x86boot_entry e = {
		.mode = X86BOOT_PVH32,
		.rip = ENTRY,
		.rbx = X86BOOT_PVH_INFO_GPA,
		.rsp = X86BOOT_STACK_TOP,
		.gdt_gpa = X86BOOT_GDT_GPA,
		.gdt_limit = 31,
	};
	struct kvm_regs r;
	struct kvm_sregs s;

	memset(&s, 0x5a, sizeof(s));
	x86boot_regs(&e, &r);
	x86boot_sregs(&e, &s);
	cr_assert_eq(r.rip, ENTRY);
	cr_assert_eq(r.rbx, X86BOOT_PVH_INFO_GPA);
	cr_assert_eq(r.rflags, 2);
	cr_assert_eq(s.cs.selector, 0x08);
	cr_assert_eq(s.cs.l, 0);
	cr_assert_eq(s.cs.db, 1, "32-bit code");
	cr_assert_eq(s.cs.base, 0);
	cr_assert_eq(s.cs.limit, 0xffffffff);
	cr_assert_eq(s.cs.g, 1);
	cr_assert_eq(s.ds.selector, 0x18);
	cr_assert_eq(s.ss.db, 1);
	cr_assert_eq(s.tr.type, 0xb, "busy 32-bit TSS");
	cr_assert_eq(s.cr0, 0x11, "PE (and ET): no paging");
	cr_assert_eq(s.cr4, 0);
	cr_assert_eq(s.efer, 0);
	cr_assert_eq(s.cr3, 0);
}

Test(pvh, bad_input_for_the_vm)
{
	struct x86boot_args args = { 0 };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct memmap m;
	size_t len;
	uint8_t *b = make_elf(&good_note, &len);
	char cmdline[PVH_CMDLINE_MAX + 2];
	uint8_t *initrd = calloc(1, 64 * MiB);

	mem_setup(&m, 64 * MiB);
	memset(cmdline, 'y', sizeof(cmdline));
	cmdline[PVH_CMDLINE_MAX] = 0;
	args.cmdline = cmdline;
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cmdline[PVH_CMDLINE_MAX] = 'y';
	cmdline[PVH_CMDLINE_MAX + 1] = 0;
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), -E2BIG);
	cr_assert(strstr(err.msg, "command line"), "%s", err.msg);
	args.cmdline = NULL;
	args.initrd = initrd;
	args.initrd_size = 64 * MiB;
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), -E2BIG);
	cr_assert(strstr(err.msg, "initrd"), "%s", err.msg);
	memmap_destroy(&m);

	/* RAM that ends inside the kernel. */
	mem_setup(&m, 16 * MiB + 8192);
	args.initrd = NULL;
	args.initrd_size = 0;
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), -E2BIG);
	memmap_destroy(&m);
	free(initrd);
	free(b);
}

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

Test(pvh, debian_vmlinux)
{
	struct pvh_info info;
	struct x86boot_args args = { .cmdline = "console=ttyS0" };
	struct x86boot_entry e;
	struct errbuf err = { { 0 } };
	struct memmap m;
	size_t len;
	uint8_t *b = read_image("vmlinux", &len);

	if (!b)
		cr_skip_test("no build/linux/vmlinux (run tests/linux/build-image.sh)");
	cr_assert_eq(pvh_parse(b, len, &info, &err), 0, "%s", err.msg);
	cr_log_info("Debian vmlinux: PVH entry 0x%x, segments 0x%llx-0x%llx", info.entry,
		    (unsigned long long)info.load_min, (unsigned long long)info.load_max);
	cr_assert_geq(info.entry, 16 * MiB);
	mem_setup(&m, 256 * MiB);
	cr_assert_eq(pvh_load(&m, b, len, &args, &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.rip, info.entry);
	memmap_destroy(&m);
	free(b);
}
