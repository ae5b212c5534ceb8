/*
 * acpi.c - ACPI table generation (ACPI 6.3 layouts). Main thread, while the VM is built.
 *
 * Hardware-reduced ACPI: no PM1 event/control blocks, no SCI, no FACS, no GPEs. Linux on such a
 * platform takes ISA interrupts through the IOAPIC only (no legacy PIC, no PIT/HPET set-up),
 * finds devices in the DSDT, powers off through the FADT's sleep control register, and hears
 * the power button through a Generic Event Device (no fixed-feature button: FADT_PWR_BUTTON).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acpi.h"
#include "core/aml.h"
#include "core/memmap.h"
#include "util/errbuf.h"

#define OEM_ID		 "STRAND"
#define OEM_TABLE_ID	 "STRANDVM"
#define OEM_REVISION	 1
#define CREATOR_ID	 "STRD"
#define CREATOR_REVISION 1

#define DEFAULT_LAPIC	 0xfee00000ULL
#define DEFAULT_IOAPIC	 0xfec00000ULL
#define DEFAULT_PINS	 24

#define HDR_LEN		 36
#define RSDP_LEN	 36
#define FADT_LEN	 276
#define FADT_REVISION	 6
#define FADT_MINOR	 3
#define MADT_REVISION	 5
#define DSDT_REVISION	 2 /* 64-bit integers */
#define SRAT_REVISION	 3
#define SLIT_REVISION	 1

/* FADT flags and IA-PC boot architecture flags. */
#define FADT_WBINVD	 (1u << 0)
#define FADT_PWR_BUTTON	 (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON	 (1u << 5)
#define FADT_RESET_REG	 (1u << 10)
#define FADT_HW_REDUCED	 (1u << 20)
#define IAPC_VGA_ABSENT	 (1u << 2)
#define IAPC_NO_CMOS_RTC (1u << 5)

#define GAS_SYSTEM_IO	 1
#define GAS_ACCESS_BYTE	 1

/* MADT structure types. */
#define MADT_LAPIC	 0
#define MADT_IOAPIC	 1
#define MADT_ISO	 2
#define MADT_LAPIC_NMI	 4
#define MADT_X2APIC	 9
#define MADT_X2APIC_NMI	 10
#define MADT_PCAT_COMPAT 1u
#define MADT_ENABLED	 1u

#define SRAT_CPU	 0
#define SRAT_MEM	 1
#define SRAT_X2APIC	 2
#define SRAT_ENABLED	 1u
#define SRAT_HOTPLUG	 2u

#define SLIT_LOCAL	 10
#define X2APIC_THRESHOLD 255 /* ids and UIDs from here need x2APIC structures */

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

struct ctx {
	const struct acpi_config *c;
	uint64_t base;
	uint8_t *buf;
	size_t cap;
	size_t off; /* next free byte */
	struct acpi_tables *out;
	struct errbuf *err;
	int ret;
};

static void put8(uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void put_gas_io8(uint8_t *p, size_t off, uint16_t port)
{
	put8(p, off, GAS_SYSTEM_IO);
	put8(p, off + 1, 8); /* bit width */
	put8(p, off + 2, 0); /* bit offset */
	put8(p, off + 3, GAS_ACCESS_BYTE);
	put64(p, off + 4, port);
}

/* Reserve len zeroed bytes, 16-byte aligned; NULL (ctx->ret = -ENOSPC) if they do not fit. */
static uint8_t *reserve(struct ctx *x, size_t len, size_t *off)
{
	size_t at = ALIGN_UP(x->off, 16);

	if (x->ret)
		return NULL;
	if (at > x->cap || len > x->cap - at) {
		x->ret = -ENOSPC;
		return NULL;
	}
	memset(x->buf + at, 0, len);
	x->off = at + len;
	*off = at;
	return x->buf + at;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t, 4, len);
	put8(t, 8, rev);
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t, 24, OEM_REVISION);
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t, 32, CREATOR_REVISION);
}

/* Finish a table of len bytes at offset off: length, checksum, and the record in out. */
static uint64_t seal(struct ctx *x, size_t off, uint32_t len)
{
	uint8_t *t = x->buf + off;
	struct acpi_tables *o = x->out;

	put32(t, 4, len);
	t[9] = 0;
	t[9] = (uint8_t)(0x100 - acpi_checksum(t, len));
	if (o->n < ACPI_MAX_TABLES) {
		memcpy(o->t[o->n].sig, t, 4);
		o->t[o->n].sig[4] = 0;
		o->t[o->n].gpa = x->base + off;
		o->t[o->n].offset = off;
		o->t[o->n].len = len;
		o->n++;
	}
	return x->base + off;
}

static int check_config(const struct acpi_config *c, uint64_t base, struct errbuf *err)
{
	uint64_t ioapic_end;
	unsigned pins = c->ioapic_pins ? c->ioapic_pins : DEFAULT_PINS;

	if (base % 16 || base >= 4 * GiB)
		return errbuf_set(err, -EINVAL,
				  "ACPI tables: base 0x%llx is not 16-byte aligned below 4 GiB",
				  (unsigned long long)base);
	if (c->nr_vcpus == 0 || c->nr_vcpus > ACPI_MAX_VCPUS || !c->apic_ids)
		return errbuf_set(err, -EINVAL, "ACPI tables: %u vCPUs (1..%u supported)",
				  c->nr_vcpus, ACPI_MAX_VCPUS);
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		if (c->apic_ids[i] == UINT32_MAX)
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: vCPU %u has the broadcast APIC id", i);
		for (unsigned j = 0; j < i; j++)
			if (c->apic_ids[i] == c->apic_ids[j])
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: vCPUs %u and %u share APIC id %u",
						  j, i, c->apic_ids[i]);
	}
	if (c->lapic_addr >= 4 * GiB || c->ioapic_addr >= 4 * GiB)
		return errbuf_set(err, -EINVAL, "ACPI tables: APIC addresses must be below 4 GiB");
	if (pins > 240 || c->ioapic_gsi_base > UINT32_MAX - pins)
		return errbuf_set(err, -EINVAL, "ACPI tables: bad IOAPIC pin count %u", pins);
	ioapic_end = (uint64_t)c->ioapic_gsi_base + pins;
	if (c->com1_port) {
		if (c->com1_irq >= 16 || c->com1_irq < c->ioapic_gsi_base ||
		    c->com1_irq >= ioapic_end || c->com1_port > 0xfff8)
			return errbuf_set(
				err, -EINVAL,
				"ACPI tables: COM1 at port 0x%x IRQ %u is not an ISA port/IRQ on the IOAPIC",
				c->com1_port, c->com1_irq);
	}
	if (c->nr_virtio > ACPI_MAX_VIRTIO || (c->nr_virtio && !c->virtio))
		return errbuf_set(err, -EINVAL, "ACPI tables: %u virtio-mmio devices (at most %u)",
				  c->nr_virtio, ACPI_MAX_VIRTIO);
	for (unsigned i = 0; i < c->nr_virtio; i++) {
		const struct acpi_virtio_mmio *v = &c->virtio[i];

		if (v->size == 0 || v->base >= 4 * GiB || v->size > 4 * GiB - v->base)
			return errbuf_set(
				err, -EINVAL,
				"ACPI tables: virtio-mmio %u at 0x%llx+0x%x is not below 4 GiB", i,
				(unsigned long long)v->base, v->size);
		if (v->gsi < c->ioapic_gsi_base || v->gsi >= ioapic_end)
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: virtio-mmio %u GSI %u is not an IOAPIC pin",
					  i, v->gsi);
		if (c->com1_port && v->gsi == c->com1_irq)
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: virtio-mmio %u GSI %u is COM1's", i,
					  v->gsi);
		for (unsigned j = 0; j < i; j++) {
			const struct acpi_virtio_mmio *w = &c->virtio[j];

			if (w->gsi == v->gsi)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: virtio-mmio %u and %u share GSI %u",
						  j, i, v->gsi);
			if (v->base < w->base + w->size && w->base < v->base + v->size)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: virtio-mmio %u and %u overlap", j,
						  i);
		}
	}
	if (c->nr_isos > ACPI_MAX_ISO || (c->nr_isos && !c->isos))
		return errbuf_set(err, -EINVAL, "ACPI tables: %u interrupt overrides (at most %u)",
				  c->nr_isos, ACPI_MAX_ISO);
	for (unsigned i = 0; i < c->nr_isos; i++) {
		const struct acpi_iso *s = &c->isos[i];

		if (s->irq >= 16 || s->gsi < c->ioapic_gsi_base || s->gsi >= ioapic_end ||
		    (s->flags & ~0xfu) || (c->com1_port && s->irq == c->com1_irq))
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: bad interrupt override IRQ %u -> GSI %u",
					  s->irq, s->gsi);
		for (unsigned j = 0; j < i; j++)
			if (c->isos[j].irq == s->irq)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: two overrides for IRQ %u", s->irq);
	}
	if (c->pm_port == 0 || c->pm_port > 0x10000 - ACPI_PM_SIZE)
		return errbuf_set(err, -EINVAL, "ACPI tables: bad PM register port 0x%x",
				  c->pm_port);
	if (c->ged_port) {
		if (c->ged_port > 0x10000 - ACPI_GED_SIZE ||
		    (c->ged_port < c->pm_port + ACPI_PM_SIZE &&
		     c->pm_port < c->ged_port + ACPI_GED_SIZE) ||
		    (c->com1_port && c->ged_port < c->com1_port + 8 &&
		     c->com1_port < c->ged_port + ACPI_GED_SIZE))
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: GED register port 0x%x is out of range or "
					  "overlaps the PM block or COM1",
					  c->ged_port);
		if (c->ged_gsi < c->ioapic_gsi_base || c->ged_gsi >= ioapic_end ||
		    (c->com1_port && c->ged_gsi == c->com1_irq))
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: GED GSI %u is not a free IOAPIC pin",
					  c->ged_gsi);
		for (unsigned i = 0; i < c->nr_virtio; i++)
			if (c->virtio[i].gsi == c->ged_gsi)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: GED GSI %u is virtio-mmio %u's",
						  c->ged_gsi, i);
	}
	if (c->numa) {
		const struct acpi_numa *n = c->numa;

		if (n->nr_nodes == 0 || n->nr_nodes > ACPI_MAX_NUMA_NODES || !n->cpu_node ||
		    n->nr_mem > ACPI_MAX_NUMA_MEM || (n->nr_mem && !n->mem))
			return errbuf_set(err, -EINVAL,
					  "ACPI tables: bad NUMA description (%u nodes)",
					  n->nr_nodes);
		for (unsigned i = 0; i < c->nr_vcpus; i++)
			if (n->cpu_node[i] >= n->nr_nodes)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: vCPU %u in NUMA node %u of %u", i,
						  n->cpu_node[i], n->nr_nodes);
		for (unsigned i = 0; i < n->nr_mem; i++) {
			const struct acpi_numa_mem *m = &n->mem[i];

			if (m->node >= n->nr_nodes || m->size == 0 || m->base + m->size < m->base)
				return errbuf_set(err, -EINVAL,
						  "ACPI tables: bad NUMA memory range %u", i);
		}
		for (unsigned i = 0; n->distance && i < n->nr_nodes; i++) {
			for (unsigned j = 0; j < n->nr_nodes; j++) {
				uint8_t d = n->distance[i * n->nr_nodes + j];

				if (i == j ? d != SLIT_LOCAL : d <= SLIT_LOCAL)
					return errbuf_set(
						err, -EINVAL,
						"ACPI tables: NUMA distance %u -> %u is %u (10 to itself, more to others)",
						i, j, d);
			}
		}
	}
	return 0;
}

static bool needs_x2apic(uint32_t apic_id, unsigned uid)
{
	return apic_id >= X2APIC_THRESHOLD || uid >= X2APIC_THRESHOLD;
}

static uint64_t build_fadt(struct ctx *x, uint64_t dsdt_gpa)
{
	size_t off;
	uint8_t *t = reserve(x, FADT_LEN, &off);
	uint16_t pm = x->c->pm_port;

	if (!t)
		return 0;
	header(t, "FACP", FADT_LEN, FADT_REVISION);
	put32(t, 40, (uint32_t)dsdt_gpa); /* DSDT (the same as X_DSDT) */
	put16(t, 109, IAPC_VGA_ABSENT | IAPC_NO_CMOS_RTC);
	put32(t, 112,
	      FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_RESET_REG | FADT_HW_REDUCED);
	put_gas_io8(t, 116, (uint16_t)(pm + ACPI_PM_RESET));
	put8(t, 128, ACPI_RESET_VALUE);
	put8(t, 131, FADT_MINOR);
	put64(t, 140, dsdt_gpa); /* X_DSDT */
	put_gas_io8(t, 244, (uint16_t)(pm + ACPI_PM_SLEEP_CTL));
	put_gas_io8(t, 256, (uint16_t)(pm + ACPI_PM_SLEEP_STS));
	memcpy(t + 268, "STRAND\0\0", 8); /* hypervisor vendor identity */
	return seal(x, off, FADT_LEN);
}

/*
 * Inside \_SB: the Generic Event Device and the power button it notifies (acpi.h, "The
 * Generic Event Device"). In ASL:
 *   Device (GED0) {
 *     Name (_HID, "ACPI0013")  Name (_UID, Zero)
 *     Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Level, ActiveHigh,
 *                                                  Exclusive) { ged_gsi } })
 *     OperationRegion (GEDR, SystemIO, ged_port, 4)
 *     Field (GEDR, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }
 *     Method (_EVT, 1, Serialized) {   // Arg0: the GSI (Linux's evged passes it)
 *       Local0 = ESEL                  // one read: it returns and clears the pending events
 *       If ((Local0 & 1) == 1) { Notify (\_SB.PWRB, 0x80) }
 *     }
 *   }
 *   Device (PWRB) { Name (_HID, EisaId ("PNP0C0C"))  Name (_UID, Zero) }
 * Linux's evged looks for _Lxx (here _L09) first and falls back to _EVT; _EVT alone serves
 * any GSI the GED is given.
 */
static void dsdt_power_button(const struct acpi_config *c, struct aml *a)
{
	struct aml_res r;

	aml_device_begin(a, "GED0");
	aml_name(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_res_init(&r);
	aml_res_interrupt(&r, 0, c->ged_gsi); /* level, active high, exclusive */
	aml_name(a, "_CRS");
	aml_resources(a, &r);
	aml_opregion(a, "GEDR", AML_SPACE_SYSTEM_IO, c->ged_port + ACPI_GED_EVT_SEL, ACPI_GED_SIZE);
	aml_field_begin(a, "GEDR", AML_FIELD_DWORD_ACC, AML_FIELD_WRITE_AS_ZEROS);
	aml_field_unit(a, "ESEL", 32);
	aml_end(a);
	aml_method_begin(a, "_EVT", 1, true);
	aml_store(a);
	aml_path(a, "ESEL");
	aml_local(a, 0);
	aml_if_begin(a);
	aml_lequal(a);
	aml_and(a);
	aml_local(a, 0);
	aml_integer(a, ACPI_GED_EVT_PWRBTN);
	aml_null_target(a);
	aml_integer(a, ACPI_GED_EVT_PWRBTN);
	aml_notify(a);
	aml_path(a, "\\_SB.PWRB");
	aml_integer(a, ACPI_PWRB_NOTIFY);
	aml_end(a); /* If */
	aml_end(a); /* Method */
	aml_end(a); /* GED0 */

	aml_device_begin(a, "PWRB");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C0C");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_end(a);
}

static void dsdt_body(const struct acpi_config *c, struct aml *a)
{
	char name[16];

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
	aml_name(a, "\\_S5");
	aml_package_begin(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		/* Processor devices; _UID matches the MADT's ACPI processor UID. */
		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		aml_device_begin(a, name);
		aml_name(a, "_HID");
		aml_string(a, "ACPI0007");
		aml_name(a, "_UID");
		aml_integer(a, i);
		aml_end(a);
	}
	if (c->com1_port) {
		struct aml_res r;

		aml_device_begin(a, "COM1");
		aml_name(a, "_HID");
		aml_eisaid(a, "PNP0501");
		aml_name(a, "_UID");
		aml_integer(a, 0);
		aml_res_init(&r);
		aml_res_io(&r, c->com1_port, c->com1_port, 1, 8);
		aml_res_interrupt(&r, AML_IRQ_EDGE, c->com1_irq);
		aml_name(a, "_CRS");
		aml_resources(a, &r);
		aml_end(a);
	}
	for (unsigned i = 0; i < c->nr_virtio; i++) {
		const struct acpi_virtio_mmio *v = &c->virtio[i];
		struct aml_res r;

		snprintf(name, sizeof(name), "V%03X", i & 0xfff);
		aml_device_begin(a, name);
		aml_name(a, "_HID");
		aml_string(a, "LNRO0005");
		aml_name(a, "_UID");
		aml_integer(a, i);
		aml_res_init(&r);
		aml_res_mem32_fixed(&r, true, (uint32_t)v->base, v->size);
		aml_res_interrupt(&r, v->level ? 0 : AML_IRQ_EDGE, v->gsi);
		aml_name(a, "_CRS");
		aml_resources(a, &r);
		aml_end(a);
	}
	if (c->ged_port)
		dsdt_power_button(c, a);
	aml_end(a);
}

static uint64_t build_dsdt(struct ctx *x)
{
	size_t off = ALIGN_UP(x->off, 16), len;
	struct aml a;
	int ret;

	if (x->ret)
		return 0;
	if (off > x->cap || x->cap - off < HDR_LEN) {
		x->ret = -ENOSPC;
		return 0;
	}
	memset(x->buf + off, 0, HDR_LEN);
	aml_init(&a, x->buf + off + HDR_LEN, x->cap - off - HDR_LEN);
	dsdt_body(x->c, &a);
	ret = aml_finish(&a, &len);
	if (ret) {
		x->ret = ret == -ENOSPC ?
				 ret :
				 errbuf_set(x->err, ret, "ACPI tables: DSDT encoding failed");
		return 0;
	}
	header(x->buf + off, "DSDT", (uint32_t)(HDR_LEN + len), DSDT_REVISION);
	x->off = off + HDR_LEN + len;
	return seal(x, off, (uint32_t)(HDR_LEN + len));
}

static uint64_t build_madt(struct ctx *x)
{
	const struct acpi_config *c = x->c;
	size_t len = HDR_LEN + 8 + 12, off, p;
	bool any_x2apic = false;
	unsigned nisos = c->nr_isos + (c->com1_port ? 1 : 0);
	uint8_t *t;

	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		bool x2 = needs_x2apic(c->apic_ids[i], i);

		len += x2 ? 16 : 8;
		any_x2apic |= x2;
	}
	len += 10 * nisos + 6 + (any_x2apic ? 12 : 0);
	t = reserve(x, len, &off);
	if (!t)
		return 0;
	header(t, "APIC", (uint32_t)len, MADT_REVISION);
	put32(t, 36, (uint32_t)(c->lapic_addr ? c->lapic_addr : DEFAULT_LAPIC));
	put32(t, 40, MADT_PCAT_COMPAT);
	p = 44;
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		if (needs_x2apic(c->apic_ids[i], i)) {
			put8(t, p, MADT_X2APIC);
			put8(t, p + 1, 16);
			put32(t, p + 4, c->apic_ids[i]);
			put32(t, p + 8, MADT_ENABLED);
			put32(t, p + 12, i); /* ACPI processor UID */
			p += 16;
		} else {
			put8(t, p, MADT_LAPIC);
			put8(t, p + 1, 8);
			put8(t, p + 2, (uint8_t)i); /* ACPI processor UID */
			put8(t, p + 3, (uint8_t)c->apic_ids[i]);
			put32(t, p + 4, MADT_ENABLED);
			p += 8;
		}
	}
	put8(t, p, MADT_IOAPIC);
	put8(t, p + 1, 12);
	put8(t, p + 2, c->ioapic_id);
	put32(t, p + 4, (uint32_t)(c->ioapic_addr ? c->ioapic_addr : DEFAULT_IOAPIC));
	put32(t, p + 8, c->ioapic_gsi_base);
	p += 12;
	for (unsigned i = 0; i < nisos; i++) {
		struct acpi_iso com1 = {
			.irq = c->com1_irq,
			.gsi = c->com1_irq,
			.flags = ACPI_ISO_ACTIVE_HIGH | ACPI_ISO_EDGE,
		};
		const struct acpi_iso *s = i < c->nr_isos ? &c->isos[i] : &com1;

		put8(t, p, MADT_ISO);
		put8(t, p + 1, 10);
		put8(t, p + 2, 0); /* ISA */
		put8(t, p + 3, s->irq);
		put32(t, p + 4, s->gsi);
		put16(t, p + 8, s->flags);
		p += 10;
	}
	/* LINT1 of every processor is the NMI line, edge, active high. */
	put8(t, p, MADT_LAPIC_NMI);
	put8(t, p + 1, 6);
	put8(t, p + 2, 0xff);
	put16(t, p + 3, ACPI_ISO_ACTIVE_HIGH | ACPI_ISO_EDGE);
	put8(t, p + 5, 1);
	p += 6;
	if (any_x2apic) {
		put8(t, p, MADT_X2APIC_NMI);
		put8(t, p + 1, 12);
		put16(t, p + 2, ACPI_ISO_ACTIVE_HIGH | ACPI_ISO_EDGE);
		put32(t, p + 4, UINT32_MAX);
		put8(t, p + 8, 1);
		p += 12;
	}
	return seal(x, off, (uint32_t)p);
}

static uint64_t build_srat(struct ctx *x)
{
	const struct acpi_config *c = x->c;
	const struct acpi_numa *n = c->numa;
	size_t len = HDR_LEN + 12 + 40 * n->nr_mem, off, p;
	uint8_t *t;

	for (unsigned i = 0; i < c->nr_vcpus; i++)
		len += c->apic_ids[i] >= X2APIC_THRESHOLD ? 24 : 16;
	t = reserve(x, len, &off);
	if (!t)
		return 0;
	header(t, "SRAT", (uint32_t)len, SRAT_REVISION);
	put32(t, 36, 1); /* reserved, 1 for compatibility */
	p = 48;
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		uint32_t node = n->cpu_node[i];

		if (c->apic_ids[i] >= X2APIC_THRESHOLD) {
			put8(t, p, SRAT_X2APIC);
			put8(t, p + 1, 24);
			put32(t, p + 4, node);
			put32(t, p + 8, c->apic_ids[i]);
			put32(t, p + 12, SRAT_ENABLED);
			p += 24;
		} else {
			put8(t, p, SRAT_CPU);
			put8(t, p + 1, 16);
			put8(t, p + 2, (uint8_t)node);
			put8(t, p + 3, (uint8_t)c->apic_ids[i]);
			put32(t, p + 4, SRAT_ENABLED);
			put8(t, p + 9, (uint8_t)(node >> 8));
			put16(t, p + 10, (uint16_t)(node >> 16));
			p += 16;
		}
	}
	for (unsigned i = 0; i < n->nr_mem; i++) {
		const struct acpi_numa_mem *m = &n->mem[i];

		put8(t, p, SRAT_MEM);
		put8(t, p + 1, 40);
		put32(t, p + 2, m->node);
		put64(t, p + 8, m->base);
		put64(t, p + 16, m->size);
		put32(t, p + 28, SRAT_ENABLED | (m->hotplug ? SRAT_HOTPLUG : 0));
		p += 40;
	}
	return seal(x, off, (uint32_t)p);
}

static uint64_t build_slit(struct ctx *x)
{
	const struct acpi_numa *n = x->c->numa;
	size_t nn = (size_t)n->nr_nodes * n->nr_nodes, len = HDR_LEN + 8 + nn, off;
	uint8_t *t = reserve(x, len, &off);

	if (!t)
		return 0;
	header(t, "SLIT", (uint32_t)len, SLIT_REVISION);
	put64(t, 36, n->nr_nodes);
	memcpy(t + 44, n->distance, nn);
	return seal(x, off, (uint32_t)len);
}

int acpi_build(const struct acpi_config *c, uint64_t base, uint8_t *buf, size_t cap,
	       struct acpi_tables *out, struct errbuf *err)
{
	struct ctx x = { .c = c, .base = base, .buf = buf, .cap = cap, .out = out, .err = err };
	uint64_t entries[ACPI_MAX_TABLES], dsdt;
	unsigned nent = 0;
	size_t rsdp_off, xsdt_off, xsdt_len;
	uint8_t *rsdp, *xsdt;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = check_config(c, base, err);
	if (ret)
		return ret;
	xsdt_len = HDR_LEN + 8 * (2 + (c->numa ? 1 : 0) + (c->numa && c->numa->distance ? 1 : 0));
	rsdp = reserve(&x, RSDP_LEN, &rsdp_off);
	xsdt = reserve(&x, xsdt_len, &xsdt_off);
	dsdt = build_dsdt(&x);
	entries[nent++] = build_fadt(&x, dsdt);
	entries[nent++] = build_madt(&x);
	if (c->numa) {
		entries[nent++] = build_srat(&x);
		if (c->numa->distance)
			entries[nent++] = build_slit(&x);
	}
	if (x.ret)
		return x.ret == -ENOSPC ? errbuf_set(err, -ENOSPC,
						     "ACPI tables do not fit in %zu bytes", cap) :
					  x.ret;
	if (base + x.off > 4 * GiB)
		return errbuf_set(err, -EINVAL, "ACPI tables: they would cross 4 GiB");

	header(xsdt, "XSDT", (uint32_t)xsdt_len, 1);
	for (unsigned i = 0; i < nent; i++)
		put64(xsdt, HDR_LEN + 8 * i, entries[i]);
	seal(&x, xsdt_off, (uint32_t)xsdt_len);

	/* RSDP (ACPI 2.0+): XSDT only, no RSDT. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	put8(rsdp, 15, 2);
	put32(rsdp, 20, RSDP_LEN);
	put64(rsdp, 24, base + xsdt_off);
	put8(rsdp, 8, (uint8_t)(0x100 - acpi_checksum(rsdp, 20)));
	put8(rsdp, 32, (uint8_t)(0x100 - acpi_checksum(rsdp, RSDP_LEN)));

	out->rsdp_gpa = base + rsdp_off;
	out->size = x.off;
	return 0;
}

int acpi_install(struct memmap *mem, const struct acpi_config *c, uint64_t base, size_t max,
		 struct acpi_tables *out, struct errbuf *err)
{
	uint8_t *buf = malloc(max ? max : 1);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = acpi_build(c, base, buf, max, out, err);
	if (!ret) {
		ret = memmap_write(mem, base, buf, out->size);
		if (ret)
			errbuf_set(err, ret, "ACPI tables at 0x%llx+0x%zx are not in guest RAM",
				   (unsigned long long)base, out->size);
	}
	free(buf);
	return ret;
}
