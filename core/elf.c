/* elf.c - checked ELF64 parsing and loading. Main thread. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "core/elf.h"
#include "core/memmap.h"

#ifndef XEN_ELFNOTE_PHYS32_ENTRY
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#endif

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

/* [off, off+size) inside [0, len) without overflow. */
static bool in_buf(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static int check_headers(const uint8_t *buf, size_t len, const Elf64_Ehdr **ehdr_out,
			 const char **why)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if ((uintptr_t)buf % 8)
		return fail(why, "image buffer is not 8-byte aligned", -EINVAL);
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return fail(why, "not an ELF file", -ENOEXEC);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(why, "not a 64-bit little-endian ELF", -ENOEXEC);
	if (eh->e_machine != EM_X86_64)
		return fail(why, "not an x86-64 ELF", -ENOEXEC);
	if (eh->e_type != ET_EXEC)
		return fail(why, "not an ELF executable (ET_EXEC)", -ENOEXEC);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return fail(why, "bad program header table", -EINVAL);
	if (!in_buf(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return fail(why, "program headers beyond the end of the file", -EINVAL);
	if (eh->e_phoff % 8)
		return fail(why, "misaligned program headers", -EINVAL);
	*ehdr_out = eh;
	return 0;
}

static uint64_t parse_pvh_note(const uint8_t *buf, uint64_t off, uint64_t size)
{
	uint64_t pos = 0;

	while (pos + sizeof(Elf64_Nhdr) <= size) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz, desc_off;

		memcpy(&nh, buf + off + pos,
		       sizeof(nh)); /* notes need not be aligned in the file */
		name_sz = ALIGN_UP((uint64_t)nh.n_namesz, 4);
		desc_sz = ALIGN_UP((uint64_t)nh.n_descsz, 4);
		desc_off = pos + sizeof(nh) + name_sz;
		if (desc_off > size || desc_sz > size - desc_off)
			break;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(buf + off + pos + sizeof(nh), "Xen", 4) == 0 && nh.n_descsz >= 4) {
			uint32_t entry;

			memcpy(&entry, buf + off + desc_off, 4);
			return entry;
		}
		pos = desc_off + desc_sz;
	}
	return 0;
}

int elf_parse(const uint8_t *buf, size_t len, struct elf_info *info, const char **why)
{
	const Elf64_Ehdr *eh;
	int ret = check_headers(buf, len, &eh, why);

	if (ret)
		return ret;
	memset(info, 0, sizeof(*info));
	info->entry = eh->e_entry;
	info->load_min = UINT64_MAX;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff) + i;

		if (ph->p_type == PT_NOTE && in_buf(len, ph->p_offset, ph->p_filesz) &&
		    !info->pvh_entry)
			info->pvh_entry = parse_pvh_note(buf, ph->p_offset, ph->p_filesz);
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz)
			return fail(why, "segment file size exceeds its memory size", -EINVAL);
		if (!in_buf(len, ph->p_offset, ph->p_filesz))
			return fail(why, "segment beyond the end of the file", -EINVAL);
		if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
			return fail(why, "segment address range overflows", -EINVAL);
		info->load_min = MIN(info->load_min, ph->p_paddr);
		info->load_max = MAX(info->load_max, ph->p_paddr + ph->p_memsz);
		info->nload++;
	}
	if (!info->nload)
		return fail(why, "no loadable segment", -EINVAL);
	return 0;
}

int elf_load(const uint8_t *buf, size_t len, struct memmap *mem, const char **why)
{
	const Elf64_Ehdr *eh;
	int ret = check_headers(buf, len, &eh, why);

	if (ret)
		return ret;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff) + i;
		const struct memmap_table *t;
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (ph->p_filesz > ph->p_memsz || !in_buf(len, ph->p_offset, ph->p_filesz))
			return fail(why, "bad segment", -EINVAL);
		t = memmap_read_begin(mem);
		dst = memmap_hva_rcu(t, ph->p_paddr, ph->p_memsz, MEMMAP_WRITE);
		if (dst) {
			memcpy(dst, buf + ph->p_offset, ph->p_filesz);
			memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		}
		memmap_read_end(mem);
		if (!dst)
			return fail(why, "segment does not fit in guest RAM", -EFAULT);
	}
	return 0;
}
