/*
 * x86boot.h - what both Linux entry paths share (core/bzimage.h: the x86 64-bit boot protocol;
 * core/pvh.h: PVH): the low-memory layout of the boot structures, the e820 map of guest RAM,
 * identity page tables, the boot GDT, initrd placement, and the initial register state of the
 * boot vCPU.
 *
 * Low memory (guest-physical; Linux keeps the first 1 MiB out of its allocator, so none of this
 * is overwritten before the kernel has copied what it needs):
 *
 *   0x001000  boot GDT: 0x08 flat 32-bit code (PVH), 0x10 flat 64-bit code (__BOOT_CS),
 *             0x18 flat data (__BOOT_DS)
 *   0x007000  zero page (struct boot_params), bzImage entry; stack below it
 *   0x008000  hvm_start_info, its module list and memory map, PVH entry
 *   0x009000  identity page tables: PML4, PDPT, 4 PDs of 2 MiB pages (the first 4 GiB)
 *   0x020000  kernel command line (up to 64 KiB)
 *   0x09fc00  reserved (EBDA) .. 0x0a0000; 0x0a0000-0x0e0000 not RAM in the e820 map
 *   0x0e0000  ACPI tables (core/acpi.h), reserved .. 0x100000
 *
 * The kernel is loaded at its preferred address (16 MiB), the initrd as high as the kernel's
 * limit and the low RAM region allow. Functions write guest memory only through memmap_write
 * and memmap_hva_rcu; with a memmap without KVM (vm_fd -1) they run in unit tests.
 * Main thread, while the VM is built.
 */
#ifndef STRAND_CORE_X86BOOT_H
#define STRAND_CORE_X86BOOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

struct errbuf;
struct memmap;

#define X86BOOT_GDT_GPA	      0x1000ULL
#define X86BOOT_STACK_TOP     0x7000ULL
#define X86BOOT_ZERO_PAGE_GPA 0x7000ULL
#define X86BOOT_PVH_INFO_GPA  0x8000ULL
#define X86BOOT_PT_GPA	      0x9000ULL
#define X86BOOT_PT_MAP_BYTES  (4 * GiB)
#define X86BOOT_PT_END	      (X86BOOT_PT_GPA + 0x2000 + (X86BOOT_PT_MAP_BYTES / GiB) * 0x1000)
#define X86BOOT_CMDLINE_GPA   0x20000ULL
#define X86BOOT_CMDLINE_MAX   0x10000ULL /* bytes, with the NUL */
#define X86BOOT_EBDA_GPA      0x9fc00ULL
#define X86BOOT_ISA_HOLE_GPA  0xa0000ULL
#define X86BOOT_BIOS_GPA      0xe0000ULL /* ACPI tables (ACPI_TABLES_GPA) */
#define X86BOOT_HIGH_GPA      0x100000ULL
#define X86BOOT_MIN_LOAD_GPA  X86BOOT_HIGH_GPA

#define X86BOOT_SEL_CODE32    0x08
#define X86BOOT_SEL_CODE64    0x10
#define X86BOOT_SEL_DATA      0x18

/* e820 types. */
#define X86BOOT_E820_RAM      1
#define X86BOOT_E820_RESERVED 2
#define X86BOOT_E820_ACPI     3
#define X86BOOT_E820_MAX      128

struct x86boot_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* What the user gives a Linux kernel, whichever the entry path. */
struct x86boot_args {
	const char *cmdline;   /* NULL: empty */
	const uint8_t *initrd; /* NULL: none */
	uint64_t initrd_size;
	uint64_t rsdp_gpa; /* 0: the guest scans the BIOS area for it */
};

enum x86boot_mode {
	X86BOOT_LONG64 = 1, /* 64-bit boot protocol: long mode, paging on, rsi = zero page */
	X86BOOT_PVH32,	    /* PVH: 32-bit protected mode, paging off, ebx = hvm_start_info */
};

/* Where things went, and the boot vCPU's entry state (apply with x86boot_regs/sregs). */
struct x86boot_entry {
	enum x86boot_mode mode;
	uint64_t rip;
	uint64_t rsi; /* LONG64: zero page */
	uint64_t rbx; /* PVH32: hvm_start_info */
	uint64_t rsp;
	uint64_t cr3; /* LONG64: identity page tables */
	uint64_t gdt_gpa;
	uint16_t gdt_limit;
	/* The layout, for reports and tests. */
	uint64_t kernel_gpa, kernel_end; /* [start, end) reserved for the kernel */
	uint64_t initrd_gpa, initrd_size;
	uint64_t cmdline_gpa;
	uint64_t params_gpa; /* zero page or start info */
};

/*
 * The e820 map of guest RAM: every region of mem, RAM (read-only regions reserved), with the
 * legacy hole cut out of a region that spans it: [0, 0x9fc00) RAM, [0x9fc00, 0xa0000) reserved,
 * [0xe0000, 0x100000) reserved, [0x100000, ...) RAM. Sorted. Returns the number of entries,
 * -E2BIG (more than max), or -EINVAL (no RAM at 0 up to 1 MiB).
 */
int __must_check x86boot_e820_build(struct memmap *mem, struct x86boot_e820 *out, unsigned max);

/*
 * Identity-map [0, map_bytes) (a multiple of 1 GiB, at most 512 GiB) with 2 MiB pages: PML4 at
 * pt_gpa, PDPT at pt_gpa + 4 KiB, page directories after it. Returns 0, -EINVAL, -EFAULT.
 */
int __must_check x86boot_page_tables(struct memmap *mem, uint64_t pt_gpa, uint64_t map_bytes);

/* The boot GDT at X86BOOT_GDT_GPA (selectors above). Returns 0 or -EFAULT. */
int __must_check x86boot_gdt(struct memmap *mem);

/*
 * Place an initrd of size bytes: the highest 4 KiB-aligned address at which it lies in one RAM
 * region (of those in the e820 map), ends at or below max_end, and starts at or above min_gpa
 * (above the kernel). Returns 0 with *gpa, or -E2BIG with a message.
 */
int __must_check x86boot_place_initrd(struct memmap *mem, uint64_t size, uint64_t min_gpa,
				      uint64_t max_end, uint64_t *gpa, struct errbuf *err);

/*
 * Copy the command line (with its NUL) to X86BOOT_CMDLINE_GPA. max_len is the longest the
 * kernel accepts, without the NUL. Returns 0, -E2BIG (too long: message), -EFAULT.
 */
int __must_check x86boot_write_cmdline(struct memmap *mem, const char *cmdline, uint64_t max_len,
				       struct errbuf *err);

/*
 * The boot vCPU's state for an entry: regs is filled (rflags 0x2, interrupts off); sregs must
 * come from KVM_GET_SREGS of the vCPU (its APIC base and interrupt bitmap are kept) and gets
 * the segments, descriptor tables, control registers and EFER of the mode. Other vCPUs stay in
 * KVM's wait-for-SIPI state: Linux starts them with INIT/SIPI through the local APIC.
 */
void x86boot_regs(const struct x86boot_entry *e, struct kvm_regs *regs);
void x86boot_sregs(const struct x86boot_entry *e, struct kvm_sregs *sregs);

#endif
