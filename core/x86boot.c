/* x86boot.c - e820, page tables, GDT, initrd placement and entry state. Main thread. */
#include <errno.h>
#include <string.h>

#include "core/memmap.h"
#include "core/x86boot.h"
#include "util/errbuf.h"

#define PTE_P	 (1ULL << 0)
#define PTE_RW	 (1ULL << 1)
#define PTE_PS	 (1ULL << 7)

#define CR0_PE	 (1ULL << 0)
#define CR0_MP	 (1ULL << 1)
#define CR0_ET	 (1ULL << 4)
#define CR0_NE	 (1ULL << 5)
#define CR0_PG	 (1ULL << 31)
#define CR4_PAE	 (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PAGE	 4096ULL

static void add(struct x86boot_e820 *out, unsigned max, unsigned *n, uint64_t addr, uint64_t end,
		uint32_t type)
{
	if (end <= addr)
		return;
	if (*n < max) {
		out[*n].addr = addr;
		out[*n].size = end - addr;
		out[*n].type = type;
	}
	(*n)++;
}

int x86boot_e820_build(struct memmap *mem, struct x86boot_e820 *out, unsigned max)
{
	const struct memmap_table *t = memmap_read_begin(mem);
	unsigned n = 0;
	int ret = 0;

	if (t->n == 0 || t->r[0]->gpa != 0 || t->r[0]->size < X86BOOT_HIGH_GPA) {
		ret = -EINVAL;
		goto out;
	}
	for (unsigned i = 0; i < t->n; i++) {
		const struct mem_region *r = t->r[i];
		uint32_t type =
			(r->flags & MEMMAP_F_READONLY) ? X86BOOT_E820_RESERVED : X86BOOT_E820_RAM;

		if (i == 0) {
			/* Linux expects the PC's legacy holes below 1 MiB. */
			add(out, max, &n, 0, X86BOOT_EBDA_GPA, type);
			add(out, max, &n, X86BOOT_EBDA_GPA, X86BOOT_ISA_HOLE_GPA,
			    X86BOOT_E820_RESERVED);
			add(out, max, &n, X86BOOT_BIOS_GPA, X86BOOT_HIGH_GPA,
			    X86BOOT_E820_RESERVED);
			add(out, max, &n, X86BOOT_HIGH_GPA, r->size, type);
		} else {
			add(out, max, &n, r->gpa, r->gpa + r->size, type);
		}
	}
	ret = n > max ? -E2BIG : (int)n;
out:
	memmap_read_end(mem);
	return ret;
}

int x86boot_page_tables(struct memmap *mem, uint64_t pt_gpa, uint64_t map_bytes)
{
	uint64_t page[512];
	uint64_t npd = map_bytes / GiB;
	int ret;

	if (npd == 0 || npd > 512 || map_bytes % GiB || pt_gpa % PAGE)
		return -EINVAL;
	memset(page, 0, sizeof(page));
	page[0] = (pt_gpa + PAGE) | PTE_P | PTE_RW;
	ret = memmap_write(mem, pt_gpa, page, sizeof(page));
	if (ret)
		return ret;
	memset(page, 0, sizeof(page));
	for (uint64_t g = 0; g < npd; g++)
		page[g] = (pt_gpa + (2 + g) * PAGE) | PTE_P | PTE_RW;
	ret = memmap_write(mem, pt_gpa + PAGE, page, sizeof(page));
	for (uint64_t g = 0; !ret && g < npd; g++) {
		for (uint64_t i = 0; i < 512; i++)
			page[i] = (g * GiB + i * 2 * MiB) | PTE_P | PTE_RW | PTE_PS;
		ret = memmap_write(mem, pt_gpa + (2 + g) * PAGE, page, sizeof(page));
	}
	return ret;
}

int x86boot_gdt(struct memmap *mem)
{
	static const uint64_t gdt[4] = {
		0, 0x00cf9b000000ffffULL, /* 0x08: code, 32-bit, base 0, 4 GiB, accessed */
		0x00af9b000000ffffULL,	  /* 0x10: code, 64-bit */
		0x00cf93000000ffffULL,	  /* 0x18: data, base 0, 4 GiB, accessed */
	};

	return memmap_write(mem, X86BOOT_GDT_GPA, gdt, sizeof(gdt));
}

int x86boot_place_initrd(struct memmap *mem, uint64_t size, uint64_t min_gpa, uint64_t max_end,
			 uint64_t *gpa, struct errbuf *err)
{
	struct x86boot_e820 map[X86BOOT_E820_MAX];
	int n = x86boot_e820_build(mem, map, X86BOOT_E820_MAX);
	bool found = false;

	if (n < 0)
		return errbuf_set(err, n, "guest RAM has no usable map for an initrd");
	*gpa = 0;
	if (size == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		uint64_t end = MIN(map[i].addr + map[i].size, max_end), start;

		if (map[i].type != X86BOOT_E820_RAM || end < size)
			continue;
		start = ALIGN_DOWN(end - size, PAGE);
		if (start < map[i].addr || start < min_gpa || start >= end)
			continue;
		if (!found || start > *gpa)
			*gpa = start;
		found = true;
	}
	if (!found)
		return errbuf_set(
			err, -E2BIG,
			"initrd of %llu bytes does not fit in guest RAM between 0x%llx and 0x%llx (%llu MiB of RAM)",
			(unsigned long long)size, (unsigned long long)min_gpa,
			(unsigned long long)max_end, (unsigned long long)(mem->ram_bytes / MiB));
	return 0;
}

int x86boot_write_cmdline(struct memmap *mem, const char *cmdline, uint64_t max_len,
			  struct errbuf *err)
{
	size_t len = cmdline ? strlen(cmdline) : 0;
	int ret;

	if (len > max_len || len >= X86BOOT_CMDLINE_MAX)
		return errbuf_set(
			err, -E2BIG,
			"the kernel command line is %zu bytes; this kernel accepts at most %llu",
			len, (unsigned long long)MIN(max_len, X86BOOT_CMDLINE_MAX - 1));
	ret = memmap_write(mem, X86BOOT_CMDLINE_GPA, cmdline ? cmdline : "", len + 1);
	if (ret)
		return errbuf_set(err, ret, "guest RAM does not cover the command line at 0x%llx",
				  (unsigned long long)X86BOOT_CMDLINE_GPA);
	return 0;
}

void x86boot_regs(const struct x86boot_entry *e, struct kvm_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = e->rip;
	regs->rsi = e->rsi;
	regs->rbx = e->rbx;
	regs->rsp = e->rsp;
	regs->rflags = 0x2;
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool long_code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = long_code;
	s->db = !long_code;
}

void x86boot_sregs(const struct x86boot_entry *e, struct kvm_sregs *s)
{
	bool lm = e->mode == X86BOOT_LONG64;

	flat(&s->cs, lm ? X86BOOT_SEL_CODE64 : X86BOOT_SEL_CODE32, 0xb, lm);
	flat(&s->ds, X86BOOT_SEL_DATA, 0x3, false);
	s->es = s->fs = s->gs = s->ss = s->ds;
	/* A busy TSS (type 11) and no LDT: what VM entry wants; the kernel loads its own. */
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.limit = 0x67;
	s->tr.type = 0xb;
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.type = 0x2;
	s->ldt.present = 1;
	s->ldt.unusable = 1;
	s->gdt.base = e->gdt_gpa;
	s->gdt.limit = e->gdt_limit;
	s->idt.base = 0;
	s->idt.limit = 0;
	if (lm) {
		s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
		s->cr3 = e->cr3;
		s->cr4 = CR4_PAE;
		s->efer = EFER_LME | EFER_LMA;
	} else {
		/* PVH: protected mode, paging off, every other writable CR0/CR4 bit clear. */
		s->cr0 = CR0_PE | CR0_ET;
		s->cr3 = 0;
		s->cr4 = 0;
		s->efer = 0;
	}
}
