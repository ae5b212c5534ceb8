/*
 * acpi.h - the ACPI tables strand gives a Linux guest: RSDP, XSDT, FADT (hardware-reduced, with
 * sleep control/status and reset registers in I/O space), DSDT (AML: \_S5, processors, COM1,
 * virtio-mmio devices as "LNRO0005", the Generic Event Device and the power button), MADT (a local APIC per vCPU, the IOAPIC, interrupt source
 * overrides, LINT1 as NMI) and, with a guest NUMA topology, SRAT and SLIT.
 *
 * The tables are built for a given guest-physical base into a caller-provided buffer (RSDP
 * first, so the base is the RSDP address); acpi_install() builds them and copies them into guest
 * RAM. The usual base is ACPI_TABLES_GPA in the BIOS area, where Linux also scans for the RSDP;
 * pass the address on as boot_params.acpi_rsdp_addr or hvm_start_info.rsdp_paddr as well.
 *
 * Pure code over the caller's buffers (install writes through memmap_write); main thread while
 * the VM is built. Every input is checked: bad configurations return -EINVAL with a message.
 */
#ifndef STRAND_CORE_ACPI_H
#define STRAND_CORE_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

struct errbuf;
struct memmap;

/* Where the tables go by default: the BIOS read-only area, reserved in the e820 map. */
#define ACPI_TABLES_GPA	    0xe0000ULL
#define ACPI_TABLES_MAX	    0x20000ULL /* up to 1 MiB */

#define ACPI_MAX_VCPUS	    1024
#define ACPI_MAX_VIRTIO	    256
#define ACPI_MAX_ISO	    16
#define ACPI_MAX_NUMA_NODES 64
#define ACPI_MAX_NUMA_MEM   128

/*
 * The power-management register block (I/O space, devices/acpi_pm.c): hardware-reduced ACPI
 * has no PM1 blocks; the FADT points SLEEP_CONTROL_REG, SLEEP_STATUS_REG and RESET_REG at
 * these 1-byte registers. Linux's poweroff writes (SLP_TYP << 2) | SLP_EN to sleep control,
 * with SLP_TYP taken from the DSDT's \_S5 package.
 */
#define ACPI_PM_DEFAULT_PORT 0x600
#define ACPI_PM_SLEEP_CTL    0 /* offset: sleep control (write) */
#define ACPI_PM_SLEEP_STS    1 /* offset: sleep status (WAK_STS, write 1 to clear) */
#define ACPI_PM_RESET	     2 /* offset: reset register (write ACPI_RESET_VALUE) */
#define ACPI_PM_SIZE	     4
#define ACPI_SLP_TYP_SHIFT   2
#define ACPI_SLP_TYP_MASK    0x1c
#define ACPI_SLP_EN	     0x20
#define ACPI_WAK_STS	     0x80
#define ACPI_S5_SLP_TYP	     5 /* the value in \_S5 */
#define ACPI_RESET_VALUE     0x01

/*
 * The Generic Event Device (devices/ged.c): hardware-reduced ACPI has no SCI and no GPE blocks,
 * so platform events (here: the power button) arrive as an interrupt of a device with _HID
 * "ACPI0013" whose _EVT method finds out what happened. strand's GED, \_SB.GED0, has one
 * 32-bit event-selector register in I/O space and a level-triggered, active-high interrupt on
 * ACPI_GED_GSI. _EVT reads the selector (which clears it, devices/ged.h) and, when
 * ACPI_GED_EVT_PWRBTN is set, does Notify (\_SB.PWRB, 0x80): \_SB.PWRB is a control-method
 * power button (_HID "PNP0C0C", Linux's drivers/acpi/button.c), which reports KEY_POWER.
 *
 * ACPI_GED_GSI is ISA IRQ 9, the SCI's line on a PC: hardware-reduced ACPI has no SCI, the
 * UART has 4, and the virtio-mmio slots take 16-23 then 5, 6, 7, 10, 11, 12, 14 and 15
 * (machine_virtio_gsi), so 9 is never anyone else's.
 */
#define ACPI_GED_DEFAULT_PORT 0x610
#define ACPI_GED_GSI	      9
#define ACPI_GED_EVT_SEL      0 /* offset: event selector (32-bit read, clears what it returns) */
#define ACPI_GED_SIZE	      4
#define ACPI_GED_EVT_PWRBTN   (1u << 0) /* the power button was pressed */
#define ACPI_GED_EVT_MASK     ACPI_GED_EVT_PWRBTN
#define ACPI_PWRB_NOTIFY      0x80 /* Notify value of a button press (ACPI 6.3, 5.6.6) */

/* A virtio-mmio transport, declared in the DSDT as \_SB.Vnnn (HID "LNRO0005"). */
struct acpi_virtio_mmio {
	uint64_t base; /* below 4 GiB (Memory32Fixed) */
	uint32_t size;
	uint32_t gsi;
	bool level; /* level-triggered (else edge), active high either way */
};

/* An ISA interrupt source override in the MADT (bus 0). */
struct acpi_iso {
	uint8_t irq;	/* ISA IRQ */
	uint32_t gsi;	/* where it arrives */
	uint16_t flags; /* MPS INTI flags: 0 = conforms to the bus, else ACPI_ISO_* */
};
#define ACPI_ISO_ACTIVE_HIGH 0x1
#define ACPI_ISO_ACTIVE_LOW  0x3
#define ACPI_ISO_EDGE	     (0x1 << 2)
#define ACPI_ISO_LEVEL	     (0x3 << 2)

/* Guest NUMA: proximity domains for SRAT (and distances for SLIT). */
struct acpi_numa_mem {
	uint64_t base;
	uint64_t size;
	uint32_t node;
	bool hotplug; /* a range RAM may be hot-added into later */
};

struct acpi_numa {
	unsigned nr_nodes;	  /* 1..ACPI_MAX_NUMA_NODES */
	const uint32_t *cpu_node; /* [nr_vcpus]: the node of each vCPU */
	const struct acpi_numa_mem *mem;
	unsigned nr_mem;
	const uint8_t *distance; /* [nr_nodes * nr_nodes] (10 on the diagonal), or NULL: no SLIT */
};

struct acpi_config {
	unsigned nr_vcpus;	  /* 1..ACPI_MAX_VCPUS */
	const uint32_t *apic_ids; /* [nr_vcpus], distinct; x2APIC entries for ids >= 255 */
	uint64_t lapic_addr;	  /* 0: 0xfee00000 */

	uint64_t ioapic_addr; /* 0: 0xfec00000 */
	uint8_t ioapic_id;
	uint32_t ioapic_gsi_base;
	unsigned ioapic_pins; /* 0: 24 (KVM's in-kernel IOAPIC) */

	uint16_t com1_port; /* 0: no COM1 in the DSDT */
	uint8_t com1_irq;   /* ISA IRQ == GSI (identity), edge, active high; an ISO is added */

	const struct acpi_virtio_mmio *virtio;
	unsigned nr_virtio;

	const struct acpi_iso *isos; /* more overrides (the COM1 one is automatic) */
	unsigned nr_isos;

	uint16_t pm_port; /* the ACPI_PM_SIZE-byte register block; 0 is refused */

	uint16_t ged_port; /* the ACPI_GED_SIZE-byte GED register block; 0: no GED, no button */
	uint32_t ged_gsi;  /* the GED's interrupt (an IOAPIC pin nobody else has) */

	const struct acpi_numa *numa; /* NULL: no SRAT/SLIT */
};

#define ACPI_MAX_TABLES 8

/* Where each table went (for the boot loader, for tests and for `strand` reports). */
struct acpi_tables {
	uint64_t rsdp_gpa;
	size_t size; /* bytes used from the base */
	unsigned n;
	struct {
		char sig[5];
		uint64_t gpa;
		size_t offset; /* from the base */
		uint32_t len;
	} t[ACPI_MAX_TABLES];
};

/*
 * Build every table into buf (cap bytes) as if buf were at guest-physical base (16-byte
 * aligned, below 4 GiB). Returns 0, -EINVAL (bad configuration: message in err) or -ENOSPC
 * (buf too small).
 */
int __must_check acpi_build(const struct acpi_config *c, uint64_t base, uint8_t *buf, size_t cap,
			    struct acpi_tables *out, struct errbuf *err);

/* acpi_build into a scratch buffer of max bytes, then copy to guest RAM at base (-EFAULT). */
int __must_check acpi_install(struct memmap *mem, const struct acpi_config *c, uint64_t base,
			      size_t max, struct acpi_tables *out, struct errbuf *err);

/* Sum of bytes mod 256 (0 for a table with a correct checksum). */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
