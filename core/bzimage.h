/*
 * bzimage.h - booting a Linux bzImage through the x86 64-bit boot protocol (boot protocol 2.12
 * or later, XLF_KERNEL_64): the setup header is validated from the untrusted file, the
 * protected-mode kernel is copied to its preferred load address, the initrd and command line
 * are placed within the header's limits, the zero page (boot_params: setup header, e820 map,
 * command line, initrd, ACPI RSDP) is written, and the boot vCPU enters at load address + 0x200
 * in long mode with identity page tables and rsi = the zero page (core/x86boot.h).
 *
 * Pure over a buffer plus memmap writes; main thread while the VM is built.
 */
#ifndef STRAND_CORE_BZIMAGE_H
#define STRAND_CORE_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/x86boot.h"
#include "util/compiler.h"

struct errbuf;
struct memmap;

#define BZIMAGE_MIN_VERSION 0x020c /* 2.12: XLF_KERNEL_64 */

struct bzimage_info {
	uint16_t version;	   /* boot protocol, 0x020f for 2.15 */
	size_t hdr_end;		   /* end of the setup header in the file */
	size_t setup_bytes;	   /* (setup_sects + 1) * 512: real-mode part, not loaded */
	uint64_t kernel_bytes;	   /* syssize * 16: the protected-mode kernel, loaded */
	uint64_t load_gpa;	   /* where the kernel goes */
	uint64_t init_size;	   /* bytes from load_gpa the kernel needs to boot */
	uint32_t cmdline_max;	   /* longest command line, without its NUL */
	uint64_t initrd_addr_max;  /* highest address an initrd byte may have */
	uint32_t kernel_alignment; /* relocatable kernels */
	bool relocatable;
	uint16_t xloadflags;
};

/*
 * Validate buf as a bzImage with a 64-bit entry point. Returns 0, -ENOEXEC (not a bzImage, or
 * one strand cannot enter in 64-bit mode) or -EINVAL (an inconsistent or truncated header),
 * with the problem named in err.
 */
int __must_check bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info,
			       struct errbuf *err);

/*
 * Load the kernel (validated again), the initrd and the command line into guest RAM, write the
 * zero page, the boot GDT and the identity page tables, and fill entry (mode X86BOOT_LONG64).
 * Write the ACPI tables first if args->rsdp_gpa is set. Returns 0, -ENOEXEC/-EINVAL (bad file),
 * -E2BIG (command line too long for the kernel, initrd or kernel too large for guest RAM) or
 * -EFAULT (guest RAM does not cover the boot area), with a message in err.
 */
int __must_check bzimage_load(struct memmap *mem, const uint8_t *buf, size_t len,
			      const struct x86boot_args *args, struct x86boot_entry *entry,
			      struct errbuf *err);

#endif
