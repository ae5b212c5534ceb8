/*
 * pvh.h - booting an uncompressed Linux vmlinux (ELF) at its PVH entry point
 * (XEN_ELFNOTE_PHYS32_ENTRY), which skips the bzImage's self-decompression. The segments are
 * copied to their physical addresses, the initrd becomes module 0, and the boot vCPU enters in
 * 32-bit protected mode without paging, ebx = the hvm_start_info (Xen's docs/misc/pvh.pandoc:
 * start info version 1 with the memory map, command line and RSDP address).
 *
 * Pure over a buffer plus memmap writes; main thread while the VM is built.
 */
#ifndef STRAND_CORE_PVH_H
#define STRAND_CORE_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "core/x86boot.h"
#include "util/compiler.h"

struct errbuf;
struct memmap;

#define HVM_START_MAGIC	  0x336ec578
#define HVM_START_VERSION 1
/* Linux's x86 COMMAND_LINE_SIZE (2048) less the NUL: a vmlinux does not say, a bzImage does. */
#define PVH_CMDLINE_MAX 2047
/* The initrd ends below 2 GiB, as the bzImage of the same kernel asks (initrd_addr_max). */
#define PVH_INITRD_END	0x80000000ULL
#define PVH_MODLIST_GPA (X86BOOT_PVH_INFO_GPA + 0x40)
#define PVH_MEMMAP_GPA	(X86BOOT_PVH_INFO_GPA + 0x100)

/* Xen public/arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* the e820 types */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");
_Static_assert(PVH_MEMMAP_GPA + X86BOOT_E820_MAX * sizeof(struct hvm_memmap_table_entry) <=
		       X86BOOT_PT_GPA,
	       "PVH memory map overlaps the page tables");

struct pvh_info {
	uint32_t entry;	   /* physical, 32-bit */
	uint64_t load_min; /* lowest physical address of a segment */
	uint64_t load_max; /* end of the highest one */
};

/*
 * Validate buf (8-byte aligned) as an x86-64 ELF executable with a PVH entry note. Returns 0,
 * -ENOEXEC (not an ELF, or no PVH note) or -EINVAL (bad headers, segments below 1 MiB or above
 * 4 GiB, entry outside the image), with the problem in err.
 */
int __must_check pvh_parse(const uint8_t *buf, size_t len, struct pvh_info *info,
			   struct errbuf *err);

/*
 * Load the segments, initrd and command line, write hvm_start_info (module list, memory map)
 * and the boot GDT, and fill entry (mode X86BOOT_PVH32). Write the ACPI tables first if
 * args->rsdp_gpa is set. Returns 0, -ENOEXEC/-EINVAL (bad file), -E2BIG (command line longer
 * than PVH_CMDLINE_MAX, kernel or initrd too large for guest RAM) or -EFAULT, with a message.
 */
int __must_check pvh_load(struct memmap *mem, const uint8_t *buf, size_t len,
			  const struct x86boot_args *args, struct x86boot_entry *entry,
			  struct errbuf *err);

#endif
