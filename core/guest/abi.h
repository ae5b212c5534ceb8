/*
 * abi.h - the contract between strand and its micro-guests. Included by both sides: the host
 * (core/mguest.c) and the freestanding guest runtime (core/guest/). Plain integers only.
 *
 * Memory layout (guest-physical = guest-virtual, identity mapped with 2 MiB pages; the first
 * 2 MiB with 4 KiB pages so that page 0 is not present and the kit area is supervisor-only):
 *
 *   0x000000  not present (NULL guard)
 *   0x001000  free for the program (user)
 *   0x100000  boot info (32 KiB, user, read-only)
 *   0x108000  IDT, GDT, page tables (supervisor)
 *   0x200000  the program image (ELF PT_LOAD), then per-vCPU areas, then the heap
 *   0xc0000000-0xffffffff  MMIO (uncached, user-accessible: devices are driven from CPL 3)
 *   above 4 GiB: RAM beyond 3 GiB, hot-added RAM
 *
 * Each vCPU starts at the image entry with rdi = vCPU index, rsi = boot info address,
 * rsp = top of its user stack, GS base = its per-vCPU area, at CPL 3 (or CPL 0 with
 * --guest-cpl 0). Interrupts are enabled; the LAPIC is software-enabled (xAPIC mode).
 * Port I/O from CPL 3 is allowed by IOPL 3 and by an all-zero I/O permission bitmap in each
 * vCPU's TSS: PVM hosts ignore IOPL for user mode but honour the bitmap.
 *
 * Per-vCPU area (percpu_base + i * percpu_stride): the sg_percpu page, the TSS with its I/O
 * bitmap, the kernel stack (interrupts and exceptions), the user stack.
 */
#ifndef STRAND_GUEST_ABI_H
#define STRAND_GUEST_ABI_H

#define SG_BOOT_INFO_GPA     0x100000ULL
#define SG_BOOT_INFO_SIZE    0x8000ULL
#define SG_IDT_GPA	     0x108000ULL
#define SG_GDT_GPA	     0x109000ULL /* 64 KiB */
#define SG_PT_GPA	     0x140000ULL /* page tables up to 0x200000 */
#define SG_PT_END	     0x200000ULL
#define SG_IMAGE_BASE	     0x200000ULL
#define SG_MAX_VCPUS	     1024

#define SG_MMIO_BASE	     0xc0000000ULL
#define SG_MMIO_END	     0x100000000ULL
#define SG_LOW_RAM_END	     0xc0000000ULL

#define SG_PERCPU_SIZE	     0x1000ULL
#define SG_TSS_AREA_SIZE     0x3000ULL /* 104-byte TSS + 8 KiB I/O bitmap + terminator */
#define SG_TSS_LIMIT	     (104 + 8192)
#define SG_KSTACK_SIZE	     0x4000ULL
#define SG_USTACK_SIZE	     0x10000ULL
#define SG_PERCPU_OFF_TSS    SG_PERCPU_SIZE
#define SG_PERCPU_OFF_KSTACK (SG_PERCPU_OFF_TSS + SG_TSS_AREA_SIZE)
#define SG_PERCPU_OFF_USTACK (SG_PERCPU_OFF_KSTACK + SG_KSTACK_SIZE)
#define SG_PERCPU_STRIDE     (SG_PERCPU_OFF_USTACK + SG_USTACK_SIZE)

/* GDT selectors. */
#define SG_SEL_KCODE 0x08
#define SG_SEL_KDATA 0x10
#define SG_SEL_UCODE 0x1b /* index 3, RPL 3 */
#define SG_SEL_UDATA 0x23 /* index 4, RPL 3 */
#define SG_SEL_TSS0  0x28 /* + 16 * vCPU index */

/* Ports. */
#define SG_PORT_HOSTCALL  0x0f10 /* outl: address of a struct sg_call */
#define SG_PORT_EXCEPTION 0x0f14 /* outl: address of a struct sg_exc_frame (CPL 0 stubs) */
#define SG_PORT_SINK	  0x0f20 /* 4 bytes: writes dropped, reads 0: the exit-latency target */
#define SG_MMIO_SINK	  0xd0000000ULL /* 4 KiB: same, in MMIO space */

/*
 * Storm devices (mmio-storm): one 4 KiB page per vCPU from SG_STORM_BASE. Registers:
 * DATA (rw: a write spends the configured handler cost under the device's lock), CLOCK (ro,
 * read-mostly: the host's monotonic ns; lock-free unless under the big lock), WORK_NS (rw:
 * the handler cost), HITS (ro: writes served).
 */
#define SG_STORM_BASE	 0xd1000000ULL
#define SG_STORM_DATA	 0x00
#define SG_STORM_CLOCK	 0x08
#define SG_STORM_WORK_NS 0x10
#define SG_STORM_HITS	 0x18

/*
 * The relocatable window (window): a control page at SG_WINDOW_CTRL (BASE ro: where the
 * window is; MOVE wo: move it to a new base inside [SG_WINDOW_AREA, +SG_WINDOW_AREA_SIZE),
 * page aligned; MOVES ro) and the 4 KiB window itself (SIGNATURE ro = SG_WINDOW_SIGNATURE,
 * COUNTER rw: writes add to it). Moving it is a PCI BAR move in miniature.
 */
#define SG_WINDOW_CTRL	     0xd0800000ULL
#define SG_WINDOW_CTRL_BASE  0x00
#define SG_WINDOW_CTRL_MOVE  0x08
#define SG_WINDOW_CTRL_MOVES 0x10
#define SG_WINDOW_AREA	     0xd2000000ULL
#define SG_WINDOW_AREA_SIZE  0x01000000ULL
#define SG_WINDOW_SIG	     0x00
#define SG_WINDOW_COUNTER    0x08
#define SG_WINDOW_SIGNATURE  0x444e4957u /* "WIND" */

/* Vectors. */
#define SG_VEC_SERVICE	0x80 /* int $0x80 (DPL 3): CPL-0 services, rax = SG_SVC_* */
#define SG_VEC_SPURIOUS 0xff
#define SG_SVC_HALT	0 /* sti; hlt: wait for an interrupt */
#define SG_SVC_WRMSR	1 /* ecx, edx:eax */
#define SG_SVC_RDMSR	2 /* ecx -> edx:eax */

#define SG_IMAGE_MAGIC	0x314b4753 /* "SGK1" (no suffix: crt0.S uses it) */
#define SG_ABI_VERSION	1
#define SG_BOOT_MAGIC	0x544f4f42u /* "BOOT" */

#ifndef __ASSEMBLER__
/* Host calls: the guest writes the address of this block to SG_PORT_HOSTCALL with outl. */
enum sg_call_op {
	SG_CALL_PRINT = 1,	 /* a0 = string, a1 = length */
	SG_CALL_DONE = 2,	 /* a0 = status: this vCPU is finished */
	SG_CALL_ASSERT = 3,	 /* a0 = file, a1 = line, a2 = expression, a3 = message (or 0) */
	SG_CALL_RESULT = 4,	 /* a0 = name, a1 = numerator, a2 = denominator, a3 = unit */
	SG_CALL_SAMPLES = 5,	 /* a0 = name, a1 = u64 array, a2 = count, a3 = unit */
	SG_CALL_RENDEZVOUS = 6,	 /* wait until every live vCPU arrives */
	SG_CALL_EXIT = 7,	 /* a0 = status: end the whole VM now */
	SG_CALL_HALT = 8,	 /* wait for an interrupt; a2 = 1: only if *(u64 *)a0 == a1 */
	SG_CALL_MEM_ADD = 9,	 /* a0 = gpa, a1 = size: hot-add RAM inside the hot-plug window */
	SG_CALL_MEM_REMOVE = 10, /* a0 = gpa: hot-remove RAM added by MEM_ADD */
	SG_CALL_NUMA = 11,	 /* a0 = struct sg_numa_info *, a1 = its size: ret = nr_nodes */
	SG_CALL_OP_MAX,
};

#include <stdint.h>

struct sg_call {
	uint32_t op;
	int32_t ret; /* 0, or a negative errno from the host */
	uint64_t a[6];
};

/* What a CPL-0 exception stub pushes, lowest address first (it reports its rsp). */
struct sg_exc_frame {
	uint64_t vector;
	uint64_t error;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

/* At the start of the image (SG_IMAGE_BASE), placed by the runtime's linker script. */
struct sg_image_hdr {
	uint32_t magic;
	uint16_t abi_version;
	uint16_t hdr_size;
	uint64_t entry;
	uint64_t isr_base; /* 256 stubs */
	uint32_t isr_stride;
	uint32_t flags;
	uint64_t image_end; /* end of bss */
};

/* Devices the host gives a micro-guest (virtio-mmio), with their interrupt routing. */
#define SG_MAX_DEVICES 16
struct sg_device {
	uint32_t virtio_id; /* VIRTIO_ID_* (2 block, 3 console, 4 rng) */
	uint32_t gsi;
	uint64_t base;	 /* virtio-mmio registers (0x200 bytes, user-accessible) */
	uint32_t vector; /* the IOAPIC routes gsi to this vector on vCPU 0's APIC */
	uint32_t reserved;
};

/* Units for results and samples. "tsc" samples are converted to ns by the host. */
#define SG_UNIT_MAX 16
#define SG_NAME_MAX 48
#define SG_ARGS_MAX 512

struct sg_boot_info {
	uint32_t magic;
	uint32_t abi_version;
	uint32_t nr_vcpus;
	uint32_t cpl;	  /* 0 or 3: where program code runs */
	uint64_t tsc_khz; /* 0 if the host could not tell */
	uint64_t ram_bytes;
	uint64_t heap_start; /* free RAM for the program, below 4 GiB */
	uint64_t heap_end;
	uint64_t percpu_base; /* vCPU i's area at percpu_base + i * percpu_stride */
	uint64_t percpu_stride;
	uint64_t high_ram_start; /* RAM above 4 GiB (0 if none) */
	uint64_t high_ram_end;
	uint64_t hotplug_base; /* identity-mapped range for SG_CALL_MEM_ADD */
	uint64_t hotplug_size;
	uint32_t apic_ids[SG_MAX_VCPUS];
	char args[SG_ARGS_MAX]; /* "key=value,key=value" from --guest NAME:ARGS */
	uint32_t nr_devices;
	uint32_t reserved;
	struct sg_device devices[SG_MAX_DEVICES];
	/*
	 * Set to 1 by the host when the monitor asks for a power-down (QMP system_powerdown, the
	 * micro-guest's ACPI power button); the host then sends SG_VECTOR_POWERDOWN to every vCPU
	 * so a halted one wakes up to see it. The guest polls it with sg_powerdown_requested().
	 */
	uint64_t powerdown;
};

/* The interrupt the host sends every vCPU after setting sg_boot_info.powerdown. */
#define SG_VECTOR_POWERDOWN 0xf1

/*
 * The guest NUMA topology (--numa), written by SG_CALL_NUMA; nr_nodes 0 when the VM has none.
 * Node i's RAM is every range with node == i; distances as in ACPI SLIT (10 = local).
 */
#define SG_MAX_NUMA_NODES 8
struct sg_numa_range {
	uint64_t base, size;
	uint32_t node;
	uint32_t reserved;
};

struct sg_numa_info {
	uint32_t nr_nodes;
	uint32_t nr_ranges;
	int32_t host_node[SG_MAX_NUMA_NODES]; /* backing host node, -1 if not bound */
	uint8_t distance[SG_MAX_NUMA_NODES][SG_MAX_NUMA_NODES];
	struct sg_numa_range ranges[2 * SG_MAX_NUMA_NODES];
	uint16_t vcpu_node[SG_MAX_VCPUS];
};

/*
 * The arguments a micro-guest takes (--guest NAME:key=value,...), declared once in its source
 * with SG_ARGS (guest.h): an array of these in the image's ".sg_args" section. The guest
 * runtime reads its defaults from it (and refuses to read an undeclared key); the host reads
 * it from the ELF image (core/mguest_args.h) to refuse unknown keys, bad values and values out
 * of range before any VM exists, and `strand guests NAME` prints it. Fixed-size fields only:
 * the host reads the section as bytes, without relocating anything.
 */
#define SG_ARG_NAME_MAX	   24
#define SG_ARG_DFLT_MAX	   24
#define SG_ARG_CHOICES_MAX 88
#define SG_ARG_HELP_MAX	   112
enum sg_arg_type {
	SG_ARG_TYPE_U64 = 1, /* decimal (k/m suffix: x1000, x1000000) or 0x hex, min..max */
	SG_ARG_TYPE_BOOL,    /* 0 or 1 */
	SG_ARG_TYPE_ENUM,    /* one of choices ("a|b|c"); default dflt_str */
	SG_ARG_TYPE_STR,     /* any text of at most max characters (no ','); default dflt_str */
};
struct sg_arg_desc {
	char name[SG_ARG_NAME_MAX];
	uint32_t type; /* enum sg_arg_type */
	uint32_t reserved;
	uint64_t dflt; /* U64, BOOL */
	uint64_t min;  /* U64 */
	uint64_t max;  /* U64: the largest value; STR: the longest text */
	char dflt_str[SG_ARG_DFLT_MAX];
	char choices[SG_ARG_CHOICES_MAX];
	char help[SG_ARG_HELP_MAX];
};

/* Per-vCPU area (GS base). The interrupt stubs count here. */
struct sg_percpu {
	uint64_t self;
	uint64_t index;
	uint64_t irq_total; /* incremented by the CPL-0 interrupt stub */
	uint64_t last_vector;
	uint64_t kstack_top;
	uint64_t ustack_top;
	uint64_t scratch[2];
	uint64_t irq_count[256];
	/*
	 * Work done so far, as the program counts it (sg_progress): the host reads it while the
	 * guest runs (the monitor's x-strand-query-progress), with no exit.
	 */
	uint64_t progress;
};
#endif

/*
 * Where the host registers the vCPU's KVM steal-time record (struct kvm_steal_time, 64 bytes)
 * when the PV steal-time feature is on: the guest reads how long it was runnable but not
 * running, as a paravirtualised Linux does.
 */
#define SG_PERCPU_OFF_STEAL 0xc00

/* Offsets in struct sg_percpu used by the assembly stubs (checked by _Static_assert in C). */
#define SG_PERCPU_OFF_IRQ_TOTAL	  16
#define SG_PERCPU_OFF_LAST_VECTOR 24
#define SG_PERCPU_OFF_IRQ_COUNT	  64

#endif
