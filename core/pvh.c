/* pvh.c - PVH entry of an uncompressed vmlinux. Main thread. */
#include <errno.h>
#include <string.h>

#include "core/elf.h"
#include "core/memmap.h"
#include "core/pvh.h"
#include "util/errbuf.h"

int pvh_parse(const uint8_t *buf, size_t len, struct pvh_info *info, struct errbuf *err)
{
	struct elf_info ei;
	const char *why = "?";
	int ret;

	memset(info, 0, sizeof(*info));
	ret = elf_parse(buf, len, &ei, &why);
	if (ret)
		return errbuf_set(err, ret == -ENOEXEC ? -ENOEXEC : -EINVAL, "not a vmlinux: %s",
				  why);
	if (!ei.pvh_entry)
		return errbuf_set(
			err, -ENOEXEC,
			"the ELF has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): not a PVH-capable vmlinux");
	if (ei.load_min < X86BOOT_MIN_LOAD_GPA || ei.load_max > 4 * GiB)
		return errbuf_set(
			err, -EINVAL,
			"vmlinux segments at 0x%llx-0x%llx are not between 1 MiB and 4 GiB",
			(unsigned long long)ei.load_min, (unsigned long long)ei.load_max);
	if (ei.pvh_entry < ei.load_min || ei.pvh_entry >= ei.load_max)
		return errbuf_set(err, -EINVAL, "the PVH entry 0x%llx is outside the image",
				  (unsigned long long)ei.pvh_entry);
	info->entry = (uint32_t)ei.pvh_entry;
	info->load_min = ei.load_min;
	info->load_max = ei.load_max;
	return 0;
}

int pvh_load(struct memmap *mem, const uint8_t *buf, size_t len, const struct x86boot_args *args,
	     struct x86boot_entry *entry, struct errbuf *err)
{
	struct x86boot_e820 map[X86BOOT_E820_MAX];
	struct hvm_memmap_table_entry mm[X86BOOT_E820_MAX];
	struct hvm_modlist_entry mod;
	struct hvm_start_info si;
	struct pvh_info info;
	const struct memmap_table *t;
	const char *why = "?";
	uint64_t initrd_gpa = 0, kernel_end;
	bool fits;
	int n, ret;

	ret = pvh_parse(buf, len, &info, err);
	if (ret)
		return ret;
	memset(entry, 0, sizeof(*entry));
	kernel_end = ALIGN_UP(info.load_max, 4096ULL);
	t = memmap_read_begin(mem);
	fits = memmap_hva_rcu(t, info.load_min, info.load_max - info.load_min, MEMMAP_WRITE) !=
	       NULL;
	memmap_read_end(mem);
	if (!fits)
		return errbuf_set(
			err, -E2BIG,
			"the kernel needs guest RAM from 0x%llx to 0x%llx: give the VM at least %llu MiB",
			(unsigned long long)info.load_min, (unsigned long long)info.load_max,
			(unsigned long long)(ALIGN_UP(info.load_max, MiB) / MiB));
	ret = x86boot_write_cmdline(mem, args->cmdline, PVH_CMDLINE_MAX, err);
	if (ret)
		return ret;
	if (args->initrd && args->initrd_size) {
		ret = x86boot_place_initrd(mem, args->initrd_size, kernel_end, PVH_INITRD_END,
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

	ret = elf_load(buf, len, mem, &why);
	if (ret)
		return errbuf_set(err, ret, "loading the vmlinux failed: %s", why);
	if (initrd_gpa) {
		ret = memmap_write(mem, initrd_gpa, args->initrd, args->initrd_size);
		if (ret)
			return errbuf_set(err, ret, "copying the initrd to guest RAM failed");
	}

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < n; i++) {
		mm[i].addr = map[i].addr;
		mm[i].size = map[i].size;
		mm[i].type = map[i].type;
	}
	memset(&mod, 0, sizeof(mod));
	mod.paddr = initrd_gpa;
	mod.size = initrd_gpa ? args->initrd_size : 0;
	memset(&si, 0, sizeof(si));
	si.magic = HVM_START_MAGIC;
	si.version = HVM_START_VERSION;
	si.nr_modules = initrd_gpa ? 1 : 0;
	si.modlist_paddr = initrd_gpa ? PVH_MODLIST_GPA : 0;
	si.cmdline_paddr = X86BOOT_CMDLINE_GPA;
	si.rsdp_paddr = args->rsdp_gpa;
	si.memmap_paddr = PVH_MEMMAP_GPA;
	si.memmap_entries = (uint32_t)n;
	ret = memmap_write(mem, X86BOOT_PVH_INFO_GPA, &si, sizeof(si));
	if (!ret)
		ret = memmap_write(mem, PVH_MODLIST_GPA, &mod, sizeof(mod));
	if (!ret)
		ret = memmap_write(mem, PVH_MEMMAP_GPA, mm, (size_t)n * sizeof(mm[0]));
	if (!ret)
		ret = x86boot_gdt(mem);
	if (ret)
		return errbuf_set(err, ret, "guest RAM does not cover the boot area below 1 MiB");

	entry->mode = X86BOOT_PVH32;
	entry->rip = info.entry;
	entry->rbx = X86BOOT_PVH_INFO_GPA;
	entry->rsp = X86BOOT_STACK_TOP;
	entry->gdt_gpa = X86BOOT_GDT_GPA;
	entry->gdt_limit = 4 * 8 - 1;
	entry->kernel_gpa = info.load_min;
	entry->kernel_end = kernel_end;
	entry->initrd_gpa = initrd_gpa;
	entry->initrd_size = initrd_gpa ? args->initrd_size : 0;
	entry->cmdline_gpa = X86BOOT_CMDLINE_GPA;
	entry->params_gpa = X86BOOT_PVH_INFO_GPA;
	return 0;
}
