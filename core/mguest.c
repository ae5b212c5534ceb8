/*
 * mguest.c - micro-guest loader and host-call server. See mguest.h for threads.
 *
 * The VMM builds every descriptor table, so the guest's CPL-0 code is only its interrupt and
 * exception stubs: on PVM hosts each CPL-0 instruction is emulated, on hardware it is native.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/elf.h"
#include "core/mguest.h"
#include "core/msr.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "util/log.h"

_Static_assert(sizeof(struct sg_boot_info) <= SG_BOOT_INFO_SIZE, "boot info too large");
_Static_assert(offsetof(struct sg_boot_info, powerdown) % 8 == 0, "atomic guest word");
_Static_assert(offsetof(struct sg_percpu, progress) % 8 == 0, "atomic guest word");
_Static_assert(sizeof(struct sg_percpu) <= SG_PERCPU_SIZE, "percpu too large");
_Static_assert(sizeof(struct sg_percpu) <= SG_PERCPU_OFF_STEAL, "percpu overlaps steal time");
_Static_assert(offsetof(struct sg_percpu, irq_total) == SG_PERCPU_OFF_IRQ_TOTAL, "asm offset");
_Static_assert(offsetof(struct sg_percpu, last_vector) == SG_PERCPU_OFF_LAST_VECTOR, "asm offset");
_Static_assert(offsetof(struct sg_percpu, irq_count) == SG_PERCPU_OFF_IRQ_COUNT, "asm offset");
_Static_assert(SG_GDT_GPA + 40 + SG_MAX_VCPUS * 16 <= SG_PT_GPA, "GDT area overlaps");
_Static_assert(SG_TSS_LIMIT + 1 <= SG_TSS_AREA_SIZE, "TSS area too small");

#define PTE_P	       (1ULL << 0)
#define PTE_RW	       (1ULL << 1)
#define PTE_US	       (1ULL << 2)
#define PTE_PWT	       (1ULL << 3)
#define PTE_PCD	       (1ULL << 4)
#define PTE_PS	       (1ULL << 7)

#define CR0_PE	       (1ULL << 0)
#define CR0_MP	       (1ULL << 1)
#define CR0_ET	       (1ULL << 4)
#define CR0_NE	       (1ULL << 5)
#define CR0_WP	       (1ULL << 16)
#define CR0_PG	       (1ULL << 31)
#define CR4_PAE	       (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_SCE       (1ULL << 0)
#define EFER_LME       (1ULL << 8)
#define EFER_LMA       (1ULL << 10)
#define EFER_NXE       (1ULL << 11)
#define RFLAGS_FIXED   0x2ULL
#define RFLAGS_IF      (1ULL << 9)
#define RFLAGS_IOPL3   (3ULL << 12)

/* Sample storage the guest can make us allocate, in total. */
#define MGUEST_MAX_SAMPLES (64ULL * 1024 * 1024)
#define MGUEST_MAX_RESULTS 100000

/* RAM the guest may hot-add, identity-mapped from boot (above everything else). */
#define HOTPLUG_SIZE (16ULL * GiB)

struct layout {
	uint64_t low_ram_end;
	uint64_t map_top;
	uint64_t hotplug_base;
	uint64_t percpu_base;
	uint64_t percpu_stride;
	uint64_t heap_start;
};

static uint8_t *guest_ptr(struct vm *vm, gpa_t gpa, uint64_t len)
{
	/* Called only at setup (single-threaded); the pointer stays valid, RAM is not removed. */
	const struct memmap_table *t = memmap_read_begin(&vm->mem);
	uint8_t *p = memmap_hva_rcu(t, gpa, len, MEMMAP_WRITE);

	memmap_read_end(&vm->mem);
	return p;
}

static int build_page_tables(struct vm *vm, const struct layout *lo)
{
	uint64_t npd = lo->map_top / GiB;
	uint64_t *pml4 = (uint64_t *)guest_ptr(vm, SG_PT_GPA, 4096);
	uint64_t *pdpt = (uint64_t *)guest_ptr(vm, SG_PT_GPA + 0x1000, 4096);
	uint64_t *pt0 = (uint64_t *)guest_ptr(vm, SG_PT_GPA + 0x2000, 4096);
	uint64_t *pd = (uint64_t *)guest_ptr(vm, SG_PT_GPA + 0x3000, npd * 4096);

	if (!pml4 || !pdpt || !pt0 || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	pml4[0] = (SG_PT_GPA + 0x1000) | PTE_P | PTE_RW | PTE_US;
	for (uint64_t g = 0; g < npd; g++)
		pdpt[g] = (SG_PT_GPA + 0x3000 + g * 4096) | PTE_P | PTE_RW | PTE_US;
	for (uint64_t i = 0; i < npd * 512; i++) {
		uint64_t addr = i * 2 * MiB;
		uint64_t flags = PTE_P | PTE_RW | PTE_US | PTE_PS;

		if (addr >= SG_MMIO_BASE && addr < SG_MMIO_END)
			flags |= PTE_PCD | PTE_PWT;
		pd[i] = addr | flags;
	}
	/* First 2 MiB in 4 KiB pages: NULL guard, user low memory, RO boot info, kit area. */
	pd[0] = (SG_PT_GPA + 0x2000) | PTE_P | PTE_RW | PTE_US;
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t addr = i * 4096;

		if (addr == 0)
			pt0[i] = 0;
		else if (addr < SG_BOOT_INFO_GPA)
			pt0[i] = addr | PTE_P | PTE_RW | PTE_US;
		else if (addr < SG_BOOT_INFO_GPA + SG_BOOT_INFO_SIZE)
			pt0[i] = addr | PTE_P | PTE_US;
		else
			pt0[i] = addr | PTE_P | PTE_RW;
	}
	return 0;
}

static void gdt_tss_entry(uint64_t *gdt, unsigned slot, uint64_t base, uint32_t limit)
{
	gdt[slot] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) | (0x8bULL << 40) |
		    ((uint64_t)(limit >> 16 & 0xf) << 48) | (((base >> 24) & 0xffULL) << 56);
	gdt[slot + 1] = base >> 32;
}

static int build_descriptor_tables(struct vm *vm, const struct sg_image_hdr *hdr,
				   const struct layout *lo)
{
	unsigned n = vm->nr_vcpus;
	uint64_t *gdt = (uint64_t *)guest_ptr(vm, SG_GDT_GPA, 40 + 16ULL * n);
	uint64_t *idt = (uint64_t *)guest_ptr(vm, SG_IDT_GPA, 4096);

	if (!gdt || !idt)
		return -EFAULT;
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL; /* kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffffULL; /* kernel data */
	gdt[3] = 0x00affa000000ffffULL; /* user code, 64-bit, DPL 3 */
	gdt[4] = 0x00cff2000000ffffULL; /* user data, DPL 3 */
	for (unsigned i = 0; i < n; i++) {
		uint64_t area = lo->percpu_base + i * lo->percpu_stride;
		uint64_t tss_gpa = area + SG_PERCPU_OFF_TSS;
		uint8_t *t = guest_ptr(vm, tss_gpa, SG_TSS_LIMIT + 1);
		uint64_t kstack_top = area + SG_PERCPU_OFF_USTACK;
		uint16_t iomap = 104;

		if (!t)
			return -EFAULT;
		/* TSS, then an all-zero I/O bitmap (every port allowed) and its 0xff terminator. */
		memset(t, 0, SG_TSS_LIMIT + 1);
		memcpy(t + 4, &kstack_top, 8); /* rsp0 */
		memcpy(t + 102, &iomap, 2);
		t[SG_TSS_LIMIT] = 0xff;
		gdt_tss_entry(gdt, 5 + 2 * i, tss_gpa, SG_TSS_LIMIT);
	}
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = hdr->isr_base + (uint64_t)v * hdr->isr_stride;
		uint64_t type = v == SG_VEC_SERVICE ? 0xee : 0x8e;

		idt[2 * v] = (off & 0xffff) | ((uint64_t)SG_SEL_KCODE << 16) | (type << 40) |
			     ((off >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
	return 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* KVM's steal-time MSR (MSR_KVM_STEAL_TIME) and its CPUID bit (KVM_FEATURE_STEAL_TIME). */
#define MSR_KVM_STEAL_TIME_NUM	   0x4b564d03
#define MSR_STAR_NUM		   0xc0000081
#define MSR_LSTAR_NUM		   0xc0000082
#define MSR_SFMASK_NUM		   0xc0000084
#define KVM_FEATURE_STEAL_TIME_BIT 5

static int setup_vcpu(struct vm *vm, struct vcpu *vcpu, const struct sg_image_hdr *hdr,
		      const struct layout *lo, unsigned cpl, bool steal)
{
	unsigned i = vcpu->index;
	uint64_t percpu = lo->percpu_base + i * lo->percpu_stride;
	uint64_t ustack_top = percpu + SG_PERCPU_STRIDE;
	struct sg_percpu *pc = (struct sg_percpu *)guest_ptr(vm, percpu, sizeof(*pc));
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_lapic_state lapic;
	uint32_t svr = 0x100 | SG_VEC_SPURIOUS, masked = 1u << 16, nmi = 0x400;
	int ret;

	if (!pc)
		return -EFAULT;
	memset(pc, 0, sizeof(*pc));
	pc->self = percpu;
	pc->index = i;
	pc->kstack_top = percpu + SG_PERCPU_OFF_USTACK;
	pc->ustack_top = ustack_top;

	ret = vcpu_get_sregs(vcpu, &s);
	if (ret)
		return ret;
	if (cpl == 3) {
		seg(&s.cs, SG_SEL_UCODE, 0xb, 3, true);
		seg(&s.ss, SG_SEL_UDATA, 0x3, 3, false);
	} else {
		seg(&s.cs, SG_SEL_KCODE, 0xb, 0, true);
		seg(&s.ss, SG_SEL_KDATA, 0x3, 0, false);
	}
	s.ds = s.es = s.fs = s.gs = s.ss;
	s.gs.base = percpu;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = (uint16_t)(SG_SEL_TSS0 + 16 * i);
	s.tr.base = percpu + SG_PERCPU_OFF_TSS;
	s.tr.limit = SG_TSS_LIMIT;
	s.tr.type = 0xb;
	s.tr.present = 1;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.type = 2;
	s.ldt.unusable = 1;
	s.gdt.base = SG_GDT_GPA;
	s.gdt.limit = (uint16_t)(40 + 16 * vm->nr_vcpus - 1);
	s.idt.base = SG_IDT_GPA;
	s.idt.limit = 4095;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = SG_PT_GPA;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	ret = vcpu_set_sregs(vcpu, &s);
	if (ret)
		return ret;

	memset(&r, 0, sizeof(r));
	r.rip = hdr->entry;
	r.rdi = i;
	r.rsi = SG_BOOT_INFO_GPA;
	r.rsp = ustack_top - 8;
	r.rflags = RFLAGS_FIXED | RFLAGS_IF | (cpl == 3 ? RFLAGS_IOPL3 : 0);
	ret = vcpu_set_regs(vcpu, &r);
	if (ret)
		return ret;

	ret = vcpu_reset_msrs(vcpu);
	if (ret < 0)
		return ret;
	{
		/*
		 * SYSCALL: kernel CS from STAR[47:32], entry right after the interrupt stubs
		 * (crt0.S sg_syscall_entry), IF/TF/DF masked.
		 */
		struct kvm_msr_entry e[] = {
			{ .index = MSR_STAR_NUM, .data = (uint64_t)SG_SEL_KCODE << 32 },
			{ .index = MSR_LSTAR_NUM,
			  .data = hdr->isr_base + 256ULL * hdr->isr_stride },
			{ .index = MSR_SFMASK_NUM, .data = 0x700 },
		};

		if (vcpu_set_msrs_tolerant(vcpu, e, 3) > 0)
			log_debug("vcpu%u: a SYSCALL MSR was refused", vcpu->index);
	}
	if (steal) {
		/* Register the steal-time record for the guest (its kernel would do it itself). */
		struct kvm_msr_entry e = { .index = MSR_KVM_STEAL_TIME_NUM,
					   .data = (percpu + SG_PERCPU_OFF_STEAL) | 1 };

		if (vcpu_set_msrs_tolerant(vcpu, &e, 1) > 0)
			log_debug("vcpu%u: steal time refused", vcpu->index);
	}

	/* Software-enable the LAPIC; LINT0 (ExtINT) masked, LINT1 is NMI. */
	ret = vcpu_get_lapic(vcpu, &lapic);
	if (ret)
		return ret;
	memcpy(lapic.regs + 0xf0, &svr, 4);
	memcpy(lapic.regs + 0x350, &masked, 4);
	memcpy(lapic.regs + 0x360, &nmi, 4);
	ret = vcpu_set_lapic(vcpu, &lapic);
	if (ret)
		return ret;
	/* Application processors start running too (no INIT/SIPI dance for micro-guests). */
	return vcpu_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
}

/* ---- host calls (vCPU threads) ---- */

static void guest_print(struct mguest *g, const char *s, size_t len)
{
	pthread_mutex_lock(&g->lock);
	if (g->print) {
		g->print(g->print_opaque, s, len);
	} else if (write(STDOUT_FILENO, s, len) < 0) {
		/* stdout gone: nothing useful to do with guest output. */
	}
	pthread_mutex_unlock(&g->lock);
}

static int read_str(struct vm *vm, uint64_t gpa, char *buf, size_t size)
{
	int ret = memmap_read_str(&vm->mem, gpa, buf, size);

	if (ret == -ENAMETOOLONG) {
		/* Truncate rather than refuse: a long name is still usable. */
		if (memmap_read(&vm->mem, gpa, buf, size - 1) == 0) {
			buf[size - 1] = 0;
			return 0;
		}
	}
	return ret;
}

static struct mguest_result *new_result(struct mguest *g)
{
	if (g->nresults == g->cap_results) {
		unsigned cap = g->cap_results ? g->cap_results * 2 : 16;
		struct mguest_result *r;

		if (cap > MGUEST_MAX_RESULTS)
			return NULL;
		r = realloc(g->results, cap * sizeof(*r));
		if (!r)
			return NULL;
		g->results = r;
		g->cap_results = cap;
	}
	memset(&g->results[g->nresults], 0, sizeof(g->results[0]));
	return &g->results[g->nresults++];
}

static int hc_result(struct mguest *g, struct vcpu *vcpu, const struct sg_call *c)
{
	char name[SG_NAME_MAX], unit[SG_UNIT_MAX];
	struct mguest_result *r;

	if (read_str(g->vm, c->a[0], name, sizeof(name)) ||
	    read_str(g->vm, c->a[3], unit, sizeof(unit)))
		return -EFAULT;
	if (c->a[2] == 0)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	r = new_result(g);
	if (r) {
		r->vcpu = vcpu->index;
		memcpy(r->name, name, sizeof(name));
		memcpy(r->unit, unit, sizeof(unit));
		r->value = (double)c->a[1] / (double)c->a[2];
	}
	pthread_mutex_unlock(&g->lock);
	return r ? 0 : -ENOSPC;
}

static int hc_samples(struct mguest *g, struct vcpu *vcpu, const struct sg_call *c)
{
	char name[SG_NAME_MAX], unit[SG_UNIT_MAX];
	uint64_t n = c->a[2];
	const struct memmap_table *t;
	const uint64_t *src;
	struct mguest_result *r;
	double *dst;
	bool tsc;

	if (read_str(g->vm, c->a[0], name, sizeof(name)) ||
	    read_str(g->vm, c->a[3], unit, sizeof(unit)))
		return -EFAULT;
	if (n > MGUEST_MAX_SAMPLES)
		return -E2BIG;
	tsc = strcmp(unit, "tsc") == 0;
	if (tsc && !g->tsc_khz)
		return -EINVAL;
	dst = malloc(MAX(n, 1) * sizeof(double));
	if (!dst)
		return -ENOMEM;
	t = memmap_read_begin(&g->vm->mem);
	src = memmap_hva_rcu(t, c->a[1], n * sizeof(uint64_t), MEMMAP_READ);
	for (uint64_t i = 0; src && i < n; i++) {
		uint64_t v;

		memcpy(&v, src + i, sizeof(v)); /* the guest may pass a misaligned array */
		dst[i] = tsc ? (double)v * 1e6 / (double)g->tsc_khz : (double)v;
	}
	memmap_read_end(&g->vm->mem);
	if (!src) {
		free(dst);
		return -EFAULT;
	}
	pthread_mutex_lock(&g->lock);
	r = g->total_samples + n <= MGUEST_MAX_SAMPLES ? new_result(g) : NULL;
	if (r) {
		r->vcpu = vcpu->index;
		r->is_samples = true;
		memcpy(r->name, name, sizeof(name));
		snprintf(r->unit, sizeof(r->unit), "%s", tsc ? "ns" : unit);
		r->samples = dst;
		r->nsamples = n;
		g->total_samples += n;
	}
	pthread_mutex_unlock(&g->lock);
	if (!r) {
		free(dst);
		return -ENOSPC;
	}
	return 0;
}

static int hc_assert(struct mguest *g, struct vcpu *vcpu, const struct sg_call *c)
{
	char file[128] = "?", expr[256] = "?", msg[256] = "";

	if (read_str(g->vm, c->a[0], file, sizeof(file)))
		snprintf(file, sizeof(file), "?");
	if (read_str(g->vm, c->a[2], expr, sizeof(expr)))
		snprintf(expr, sizeof(expr), "?");
	if (c->a[3] && read_str(g->vm, c->a[3], msg, sizeof(msg)))
		msg[0] = 0;
	log_error("%s: guest assertion failed on vcpu%u: %s:%llu: %s%s%s%s", g->name, vcpu->index,
		  file, (unsigned long long)c->a[1], expr, msg[0] ? " (" : "", msg,
		  msg[0] ? ")" : "");
	vm_request_stop(g->vm, VM_STOP_GUEST_FAIL, 1);
	return 0;
}

/* Runs on the vCPU thread after the dispatch: no read section of any map is held. */
static void hc_hotplug_finish(void *arg)
{
	struct mguest_hotplug *h = arg;
	struct mguest *g = h->g;
	int32_t ret = 0;
	unsigned slot = ARRAY_SIZE(g->hotplugged);

	pthread_mutex_lock(&g->lock);
	for (unsigned i = 0; i < ARRAY_SIZE(g->hotplugged); i++) {
		if (h->op == SG_CALL_MEM_ADD ? g->hotplugged[i] == 0 : g->hotplugged[i] == h->gpa) {
			slot = i;
			break;
		}
	}
	if (slot == ARRAY_SIZE(g->hotplugged)) {
		ret = h->op == SG_CALL_MEM_ADD ? -ENOSPC : -ENOENT;
	} else if (h->op == SG_CALL_MEM_ADD) {
		ret = memmap_add_ram(&g->vm->mem, h->gpa, h->size, "hotplug", 0, NULL);
		if (!ret) {
			g->hotplugged[slot] = h->gpa;
			g->mem_adds++;
		}
	} else {
		/* Unmapped only once no device DMA holds it (memmap.c). */
		ret = memmap_remove(&g->vm->mem, h->gpa);
		if (!ret) {
			g->hotplugged[slot] = 0;
			g->mem_removes++;
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (ret)
		stat_inc(&g->bad_hostcalls);
	if (memmap_write(&g->vm->mem, h->call_gpa + offsetof(struct sg_call, ret), &ret,
			 sizeof(ret)))
		stat_inc(&g->bad_hostcalls);
}

static int hc_hotplug(struct mguest *g, struct vcpu *vcpu, const struct sg_call *c,
		      uint64_t call_gpa)
{
	struct mguest_hotplug *h = &g->hotplug[vcpu->index];

	if (c->op == SG_CALL_MEM_ADD &&
	    (c->a[1] == 0 || !IS_ALIGNED(c->a[0], 2 * MiB) || !IS_ALIGNED(c->a[1], 2 * MiB) ||
	     c->a[0] < g->hotplug_base || c->a[1] > g->hotplug_size ||
	     c->a[0] - g->hotplug_base > g->hotplug_size - c->a[1]))
		return -EINVAL;
	h->g = g;
	h->vcpu = vcpu;
	h->op = c->op;
	h->gpa = c->a[0];
	h->size = c->a[1];
	h->call_gpa = call_gpa;
	return vcpu_defer(vcpu, hc_hotplug_finish, h) ? -EBUSY : 1;
}

/* SG_CALL_NUMA: copy the guest NUMA topology to the guest's buffer; the node count. */
static int hc_numa(struct mguest *g, const struct sg_call *c)
{
	static const struct sg_numa_info none;
	const struct sg_numa_info *info = g->numa ? g->numa : &none;

	if (c->a[1] < sizeof(*info))
		return -EINVAL;
	if (memmap_write(&g->vm->mem, c->a[0], info, sizeof(*info)))
		return -EFAULT;
	return (int)info->nr_nodes;
}

static int hc_print(struct mguest *g, const struct sg_call *c)
{
	uint64_t len = MIN(c->a[1], 4096);
	char buf[4096];

	if (memmap_read(&g->vm->mem, c->a[0], buf, len))
		return -EFAULT;
	guest_print(g, buf, len);
	return 0;
}

static void hostcall_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value,
			   unsigned size)
{
	struct mguest *g = opaque;
	struct sg_call c;
	int ret;

	(void)offset;
	stat_inc(&g->hostcalls);
	if (!vcpu || size != 4)
		goto bad;
	if (memmap_read(&g->vm->mem, value, &c, sizeof(c))) {
		log_guest("%s: vcpu%u: host call block at 0x%llx is not in guest RAM", g->name,
			  vcpu->index, (unsigned long long)value);
		goto bad;
	}
	switch (c.op) {
	case SG_CALL_PRINT:
		ret = hc_print(g, &c);
		break;
	case SG_CALL_DONE:
		vm_vcpu_finish(g->vm, vcpu, (int)(int64_t)c.a[0]);
		return;
	case SG_CALL_EXIT:
		vm_request_stop(g->vm, VM_STOP_GUEST_EXIT, (int)(int64_t)c.a[0]);
		return;
	case SG_CALL_ASSERT:
		ret = hc_assert(g, vcpu, &c);
		break;
	case SG_CALL_RESULT:
		ret = hc_result(g, vcpu, &c);
		break;
	case SG_CALL_SAMPLES:
		ret = hc_samples(g, vcpu, &c);
		break;
	case SG_CALL_HALT: {
		/*
		 * KVM keeps the vCPU halted until an interrupt is pending, as after hlt; one that
		 * arrived since the guest's last check is pending already and wakes it at once.
		 */
		uint64_t now;

		/* The word is shared with other vCPUs and the host (the power-down flag). */
		if (c.a[2] == 1 &&
		    (c.a[0] % 8 ? memmap_read(&g->vm->mem, c.a[0], &now, sizeof(now)) :
				  memmap_load_u64(&g->vm->mem, c.a[0], &now))) {
			ret = -EFAULT;
			break;
		}
		ret = c.a[2] == 1 && now != c.a[1] ? 0 :
						     vcpu_set_mp_state(vcpu, KVM_MP_STATE_HALTED);
		break;
	}
	case SG_CALL_RENDEZVOUS:
		vm_rendezvous(g->vm, vcpu);
		ret = 0;
		break;
	case SG_CALL_MEM_ADD:
	case SG_CALL_MEM_REMOVE:
		ret = hc_hotplug(g, vcpu, &c, value);
		if (ret == 1)
			return; /* the result is written when the deferred change is done */
		break;
	case SG_CALL_NUMA:
		ret = hc_numa(g, &c);
		break;
	default:
		log_guest("%s: vcpu%u: unknown host call %u", g->name, vcpu->index, c.op);
		ret = -ENOSYS;
		break;
	}
	if (ret < 0)
		stat_inc(&g->bad_hostcalls);
	c.ret = ret;
	/* Best effort: if the guest unmapped the block meanwhile there is nobody to tell. */
	if (memmap_write(&g->vm->mem, value + offsetof(struct sg_call, ret), &c.ret, sizeof(c.ret)))
		stat_inc(&g->bad_hostcalls);
	return;
bad:
	stat_inc(&g->bad_hostcalls);
}

static const char *const exc_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
};

static void exception_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value,
			    unsigned size)
{
	struct mguest *g = opaque;
	struct sg_exc_frame f;
	struct kvm_sregs s;

	(void)offset;
	(void)size;
	if (!vcpu)
		return;
	if (memmap_read(&g->vm->mem, value, &f, sizeof(f))) {
		log_error("%s: vcpu%u: guest exception, frame at 0x%llx unreadable", g->name,
			  vcpu->index, (unsigned long long)value);
	} else {
		const char *name = f.vector < 32 && exc_names[f.vector] ? exc_names[f.vector] : "?";
		char cr2[32] = "";

		if (f.vector == 14 && vcpu_get_sregs(vcpu, &s) == 0)
			snprintf(cr2, sizeof(cr2), ", cr2 0x%llx", (unsigned long long)s.cr2);
		log_error("%s: vcpu%u: guest exception %s (vector %llu), error code 0x%llx, "
			  "rip 0x%llx, cs 0x%llx (CPL %llu), rflags 0x%llx, rsp 0x%llx%s",
			  g->name, vcpu->index, name, (unsigned long long)f.vector,
			  (unsigned long long)f.error, (unsigned long long)f.rip,
			  (unsigned long long)f.cs, (unsigned long long)(f.cs & 3),
			  (unsigned long long)f.rflags, (unsigned long long)f.rsp, cr2);
	}
	vcpu_dump(vcpu, stderr);
	vm_request_stop(g->vm, VM_STOP_CRASH, 3);
}

static const struct as_ops hostcall_ops = {
	.write = hostcall_write,
	.min_access = 4,
	.max_access = 4,
};

static const struct as_ops exception_ops = {
	.write = exception_write,
	.min_access = 4,
	.max_access = 4,
};

static int compute_layout(struct vm *vm, const struct sg_image_hdr *hdr, struct layout *lo,
			  const char **why)
{
	const struct memmap_table *t = memmap_read_begin(&vm->mem);
	const struct mem_region *low = memmap_find_rcu(t, 0);
	uint64_t top = t->n ? t->r[t->n - 1]->gpa + t->r[t->n - 1]->size : 0;
	uint64_t need;

	/* (No memmap_top() here: read sections of one map do not nest in the lock modes.) */
	lo->low_ram_end = low ? low->gpa + low->size : 0;
	memmap_read_end(&vm->mem);
	lo->hotplug_base = ALIGN_UP(MAX(top, SG_MMIO_END), GiB);
	lo->map_top = lo->hotplug_base + HOTPLUG_SIZE;
	if (3 + lo->map_top / GiB > (SG_PT_END - SG_PT_GPA) / 4096) {
		*why = "guest RAM too large to identity-map for a micro-guest";
		return -E2BIG;
	}
	lo->percpu_stride = SG_PERCPU_STRIDE;
	lo->percpu_base = ALIGN_UP(hdr->image_end, 4096);
	need = lo->percpu_base + lo->percpu_stride * vm->nr_vcpus;
	lo->heap_start = need;
	if (need > lo->low_ram_end) {
		*why = "guest RAM too small for the image and the per-vCPU stacks";
		return -ENOMEM;
	}
	return 0;
}

int mguest_setup(struct vm *vm, const struct mguest_opts *o, struct mguest **out, const char **why)
{
	struct elf_info info;
	struct sg_image_hdr hdr;
	struct sg_boot_info *boot;
	struct layout lo;
	struct mguest *g;
	int ret;

	if (vm->nr_vcpus > SG_MAX_VCPUS) {
		*why = "too many vCPUs for a micro-guest (1024 at most)";
		return -EINVAL;
	}
	ret = elf_parse(o->image, o->image_size, &info, why);
	if (ret)
		return ret;
	if (info.load_min != SG_IMAGE_BASE) {
		*why = "image is not linked at the micro-guest base address";
		return -ENOEXEC;
	}
	ret = elf_load(o->image, o->image_size, &vm->mem, why);
	if (ret)
		return ret;
	if (memmap_read(&vm->mem, SG_IMAGE_BASE, &hdr, sizeof(hdr)) ||
	    hdr.magic != SG_IMAGE_MAGIC || hdr.abi_version != SG_ABI_VERSION) {
		*why = "not a strand micro-guest image (bad header)";
		return -ENOEXEC;
	}
	if (hdr.hdr_size < sizeof(hdr) || hdr.isr_stride < 8 || hdr.isr_base < info.load_min ||
	    hdr.isr_base + 256ULL * hdr.isr_stride > info.load_max ||
	    hdr.image_end < info.load_max || hdr.entry != info.entry) {
		*why = "micro-guest header inconsistent with the image";
		return -ENOEXEC;
	}
	ret = compute_layout(vm, &hdr, &lo, why);
	if (ret)
		return ret;
	ret = build_page_tables(vm, &lo);
	if (!ret)
		ret = build_descriptor_tables(vm, &hdr, &lo);
	boot = (struct sg_boot_info *)guest_ptr(vm, SG_BOOT_INFO_GPA, sizeof(*boot));
	if (ret || !boot) {
		*why = "guest RAM does not cover the kit area";
		return -EFAULT;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->vm = vm;
	snprintf(g->name, sizeof(g->name), "%s", o->name ? o->name : "guest");
	g->cpl = o->cpl;
	g->print = o->print;
	g->print_opaque = o->print_opaque;
	g->tsc_khz = vm->vcpus[0]->tsc_khz;
	g->hotplug_base = lo.hotplug_base;
	g->percpu_base = lo.percpu_base;
	g->percpu_stride = lo.percpu_stride;
	g->hotplug_size = HOTPLUG_SIZE;
	g->hotplug = calloc(vm->nr_vcpus, sizeof(*g->hotplug));
	g->numa = o->numa ? malloc(sizeof(*g->numa)) : NULL;
	if (!g->hotplug || (o->numa && !g->numa)) {
		free(g->hotplug);
		free(g->numa);
		free(g);
		return -ENOMEM;
	}
	if (o->numa)
		*g->numa = *o->numa;
	pthread_mutex_init(&g->lock, NULL);

	memset(boot, 0, sizeof(*boot));
	boot->magic = SG_BOOT_MAGIC;
	boot->abi_version = SG_ABI_VERSION;
	boot->nr_vcpus = vm->nr_vcpus;
	boot->cpl = o->cpl;
	boot->tsc_khz = g->tsc_khz;
	boot->ram_bytes = __atomic_load_n(&vm->mem.ram_bytes, __ATOMIC_RELAXED);
	boot->heap_start = lo.heap_start;
	boot->heap_end = lo.low_ram_end;
	boot->percpu_base = lo.percpu_base;
	boot->percpu_stride = lo.percpu_stride;
	boot->hotplug_base = lo.hotplug_base;
	boot->hotplug_size = HOTPLUG_SIZE;
	{
		const struct memmap_table *t = memmap_read_begin(&vm->mem);
		const struct mem_region *high = memmap_find_rcu(t, SG_MMIO_END);

		if (high) {
			boot->high_ram_start = high->gpa;
			boot->high_ram_end = high->gpa + high->size;
		}
		memmap_read_end(&vm->mem);
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		boot->apic_ids[i] = vm->vcpus[i]->apic_id;
	if (o->args)
		snprintf(boot->args, sizeof(boot->args), "%s", o->args);
	boot->nr_devices = MIN(o->ndevices, SG_MAX_DEVICES);
	for (unsigned i = 0; i < boot->nr_devices; i++) {
		boot->devices[i] = o->devices[i];
		/* Interrupts of device i arrive on vCPU 0 as vector 0x30 + i. */
		boot->devices[i].vector = 0x30 + i;
		ret = vm_ioapic_route(vm, o->devices[i].gsi, (uint8_t)(0x30 + i),
				      (uint8_t)vm->vcpus[0]->apic_id);
		if (ret) {
			*why = "cannot route a device interrupt in the IOAPIC";
			goto err;
		}
	}

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		ret = setup_vcpu(vm, vm->vcpus[i], &hdr, &lo, o->cpl, o->steal_time);
		if (ret) {
			*why = "setting up a vCPU's registers failed";
			goto err;
		}
	}
	ret = as_register(&vm->pio, SG_PORT_HOSTCALL, 4, &hostcall_ops, g, NULL, "hostcall");
	if (ret) {
		*why = "host-call port already taken";
		goto err;
	}
	ret = as_register(&vm->pio, SG_PORT_EXCEPTION, 4, &exception_ops, g, NULL, "exception");
	if (ret) {
		*why = "exception port already taken";
		goto err_hc;
	}
	*out = g;
	return 0;
err_hc:
	if (as_unregister(&vm->pio, SG_PORT_HOSTCALL))
		log_debug("unregister hostcall failed");
err:
	pthread_mutex_destroy(&g->lock);
	free(g->hotplug);
	free(g->numa);
	free(g);
	return ret;
}

void mguest_free(struct mguest *g)
{
	if (!g)
		return;
	/* Both, whatever the first one returns: a port left behind points at freed memory. */
	if (as_unregister(&g->vm->pio, SG_PORT_HOSTCALL))
		log_debug("%s: the host-call port was not registered", g->name);
	if (as_unregister(&g->vm->pio, SG_PORT_EXCEPTION))
		log_debug("%s: the exception port was not registered", g->name);
	for (unsigned i = 0; i < g->nresults; i++)
		free(g->results[i].samples);
	free(g->results);
	free(g->hotplug);
	free(g->numa);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

const struct mguest_result *mguest_find_result(const struct mguest *g, const char *name)
{
	for (unsigned i = 0; i < g->nresults; i++) {
		if (strcmp(g->results[i].name, name) == 0)
			return &g->results[i];
	}
	return NULL;
}

int mguest_powerdown(struct mguest *g)
{
	int ret = memmap_store_u64(&g->vm->mem,
				   SG_BOOT_INFO_GPA + offsetof(struct sg_boot_info, powerdown), 1);

	if (ret)
		return ret;
	for (unsigned i = 0; i < g->vm->nr_vcpus; i++) {
		ret = vm_signal_msi(g->vm, g->vm->vcpus[i]->apic_id, SG_VECTOR_POWERDOWN);
		if (ret)
			return ret;
	}
	return 0;
}

int mguest_progress(struct mguest *g, unsigned vcpu, uint64_t *out)
{
	if (vcpu >= g->vm->nr_vcpus)
		return -EINVAL;
	return memmap_load_u64(&g->vm->mem,
			       g->percpu_base + (uint64_t)vcpu * g->percpu_stride +
				       offsetof(struct sg_percpu, progress),
			       out);
}
