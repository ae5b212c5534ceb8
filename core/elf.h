/*
 * elf.h - a checked loader for static ELF64 x86-64 executables (micro-guest images; the
 * uncompressed vmlinux for PVH entry). The file is untrusted: every header, offset and size is
 * checked against the buffer and the guest RAM before anything is copied.
 *
 * Pure over a buffer plus memmap copies; called by the main thread while building a VM.
 */
#ifndef STRAND_CORE_ELF_H
#define STRAND_CORE_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

struct memmap;

struct elf_info {
	uint64_t entry;
	uint64_t load_min; /* lowest p_paddr of a PT_LOAD segment */
	uint64_t load_max; /* highest p_paddr + p_memsz */
	unsigned nload;
	/* PVH: XEN_ELFNOTE_PHYS32_ENTRY if present (0 otherwise). */
	uint64_t pvh_entry;
};

/*
 * Validate buf as an ELF64 x86-64 executable and fill info. Returns -ENOEXEC (not an ELF, wrong
 * class/machine/type), -EINVAL (headers or segments out of the buffer, overflow), 0 on success.
 * Sets *why to a static string naming the problem.
 */
int __must_check elf_parse(const uint8_t *buf, size_t len, struct elf_info *info, const char **why);

/* Copy every PT_LOAD segment to guest RAM at p_paddr and zero its bss. -EFAULT if not RAM. */
int __must_check elf_load(const uint8_t *buf, size_t len, struct memmap *mem, const char **why);

#endif
