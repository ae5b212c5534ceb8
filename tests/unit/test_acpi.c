/*
 * test_acpi.c - the AML encoder, the ACPI tables for 1..64 vCPUs (every checksum, the MADT, FADT,
 * XSDT and DSDT contents decoded here, and each table disassembled with `iasl -d` when
 * acpica-tools is installed, the DSDT compiled back with `iasl`: no errors, no warnings), the
 * Generic Event Device and power button in the DSDT, bad configurations, and the PM register
 * device. The GED's register semantics are in test_ged.c.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/acpi.h"
#include "core/aml.h"
#include "core/memmap.h"
#include "devices/acpi_pm.h"
#include "util/errbuf.h"
#include "tests/support.h"

#define PM_PORT	 0x600
#define GED_PORT 0x610

static const struct acpi_virtio_mmio test_virtio[] = {
	{ .base = 0xd0000000, .size = 0x200, .gsi = 5 },
	{ .base = 0xd0001000, .size = 0x200, .gsi = 6 },
	{ .base = 0xd0002000, .size = 0x1000, .gsi = 10, .level = true },
};

static uint32_t apic_ids[ACPI_MAX_VCPUS];

static struct acpi_config config(unsigned n)
{
	struct acpi_config c = {
		.nr_vcpus = n,
		.apic_ids = apic_ids,
		.ioapic_id = 0,
		.ioapic_gsi_base = 0,
		.com1_port = 0x3f8,
		.com1_irq = 4,
		.virtio = test_virtio,
		.nr_virtio = ARRAY_SIZE(test_virtio),
		.pm_port = PM_PORT,
		.ged_port = GED_PORT,
		.ged_gsi = ACPI_GED_GSI,
	};

	for (unsigned i = 0; i < ACPI_MAX_VCPUS; i++)
		apic_ids[i] = i;
	return c;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The table with this signature, found through the RSDP and XSDT (and FADT for the DSDT). */
static const uint8_t *table_at(const uint8_t *buf, uint64_t base, uint64_t gpa)
{
	cr_assert(gpa >= base && gpa < base + ACPI_TABLES_MAX, "table address 0x%llx",
		  (unsigned long long)gpa);
	return buf + (gpa - base);
}

static const uint8_t *find_table(const uint8_t *buf, uint64_t base, const struct acpi_tables *t,
				 const char *sig)
{
	const uint8_t *rsdp = buf + (t->rsdp_gpa - base);
	const uint8_t *xsdt = table_at(buf, base, rd64(rsdp + 24));
	uint32_t n = (rd32(xsdt + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *tb = table_at(buf, base, rd64(xsdt + 36 + 8 * i));

		if (memcmp(tb, sig, 4) == 0)
			return tb;
		if (memcmp(sig, "DSDT", 4) == 0 && memcmp(tb, "FACP", 4) == 0)
			return table_at(buf, base, rd64(tb + 140));
	}
	return NULL;
}

static void check_checksums(const uint8_t *buf, uint64_t base, const struct acpi_tables *t)
{
	const uint8_t *rsdp = buf + (t->rsdp_gpa - base);

	cr_assert_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	cr_assert_eq(acpi_checksum(rsdp, 20), 0, "RSDP checksum");
	cr_assert_eq(rsdp[15], 2, "RSDP revision");
	cr_assert_eq(rd32(rsdp + 20), 36);
	cr_assert_eq(acpi_checksum(rsdp, 36), 0, "RSDP extended checksum");
	cr_assert_eq(rd32(rsdp + 16), 0, "no RSDT");
	cr_assert_geq(t->n, 4);
	for (unsigned i = 0; i < t->n; i++) {
		const uint8_t *tb = buf + t->t[i].offset;

		cr_assert_eq(rd32(tb + 4), t->t[i].len, "%s length", t->t[i].sig);
		cr_assert_eq(acpi_checksum(tb, t->t[i].len), 0, "%s checksum", t->t[i].sig);
		cr_assert_eq(memcmp(tb + 10, "STRAND", 6), 0);
		cr_assert_leq(t->t[i].offset + t->t[i].len, t->size);
		cr_assert_eq(t->t[i].gpa % 16, 0);
	}
}

/* iasl helpers live in tests/support.c. */
#define disassemble test_iasl_disassemble
#define count	    test_count

/* ---- AML ---- */

Test(aml, integers_and_names)
{
	uint8_t buf[128];
	struct aml a;
	size_t len;
	static const uint8_t want[] = {
		0x08, '_',  'U',  'I',	'D',  0x00,		      /* Name (_UID, Zero) */
		0x08, 'A',  'B',  '_',	'_',  0x0a, 0x42,	      /* Name (AB, 0x42) */
		0x08, '\\', '_',  'S',	'B',  '_',  0x0b, 0x34, 0x12, /* Name (\_SB, 0x1234) */
		0x08, 0x2e, 'A',  'A',	'A',  'A',  'B',  'B',	'B',  'B', 0x01, /* AAAA.BBBB = 1 */
		0x0c, 0x78, 0x56, 0x34, 0x12,					 /* 0x12345678 */
		0x0e, 1,    2,	  3,	4,    5,    6,	  7,	8,		 /* QWord */
		0xff,								 /* Ones */
		0x0d, 'h',  'i',  0,						 /* "hi" */
		0x0c, 0x41, 0xd0, 0x05, 0x01, /* EisaId ("PNP0501") */
	};

	aml_init(&a, buf, sizeof(buf));
	aml_name(&a, "_UID");
	aml_integer(&a, 0);
	aml_name(&a, "AB");
	aml_integer(&a, 0x42);
	aml_name(&a, "\\_SB");
	aml_integer(&a, 0x1234);
	aml_name(&a, "AAAA.BBBB");
	aml_integer(&a, 1);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x0807060504030201ULL);
	aml_integer(&a, UINT64_MAX);
	aml_string(&a, "hi");
	aml_eisaid(&a, "PNP0501");
	cr_assert_eq(aml_finish(&a, &len), 0);
	cr_assert_eq(len, sizeof(want));
	cr_assert_eq(memcmp(buf, want, len), 0);
}

Test(aml, bad_input_is_sticky)
{
	static const char *const bad[] = { "", "1ABC", "ABCDE", "a", "AB..C", "AB.", "\\" };
	uint8_t buf[256];
	struct aml a;
	size_t len;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_name(&a, bad[i]);
		aml_integer(&a, 1);
		cr_assert_eq(aml_finish(&a, &len), -EINVAL, "name '%s'", bad[i]);
	}
	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "pnp0501");
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_string(&a, "tab\there");
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_end(&a); /* unbalanced */
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_scope_begin(&a, "\\_SB"); /* left open */
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
	aml_init(&a, buf, 8);
	aml_string(&a, "far too long for eight bytes");
	cr_assert_eq(aml_finish(&a, &len), -ENOSPC);
	aml_init(&a, buf, sizeof(buf));
	aml_package_begin(&a, 256);
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	for (unsigned i = 0; i <= AML_MAX_DEPTH; i++)
		aml_package_begin(&a, 1);
	cr_assert_eq(aml_finish(&a, &len), -EINVAL);
}

/* Decode a PkgLength; returns the number of bytes it used. */
static unsigned pkglen(const uint8_t *p, uint32_t *total)
{
	unsigned n = (p[0] >> 6) + 1;

	if (n == 1) {
		*total = p[0] & 0x3f;
		return 1;
	}
	*total = p[0] & 0xf;
	for (unsigned i = 1; i < n; i++)
		*total |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

Test(aml, package_length_boundaries)
{
	static const size_t sizes[] = { 0,  1,	  50,	59,   60,   61,	  62,	63,
					64, 4000, 4085, 4090, 4093, 5000, 70000 };
	static uint8_t buf[1 << 20], data[80000];
	struct aml a;
	size_t len;

	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t total;
		unsigned nb;

		memset(data, 0x5a, sizeof(data));
		aml_init(&a, buf, sizeof(buf));
		aml_buffer(&a, data, sizes[i]);
		cr_assert_eq(aml_finish(&a, &len), 0);
		cr_assert_eq(buf[0], 0x11);
		nb = pkglen(buf + 1, &total);
		/* PkgLength counts itself and everything up to the end of the buffer object. */
		cr_assert_eq(total, len - 1, "size %zu: pkglength %u, object %zu", sizes[i], total,
			     len);
		cr_assert_eq(nb, total < 0x40	  ? 1u :
				 total < 0x1000	  ? 2u :
				 total < 0x100000 ? 3u :
						    4u);
		if (sizes[i])
			cr_assert_eq(buf[len - 1], 0x5a);
	}
}

Test(aml, resource_descriptors)
{
	struct aml_res r;
	uint8_t buf[128];
	struct aml a;
	size_t len;
	static const uint8_t want[] = {
		0x11, 0x22, 0x0a, 0x1f,				/* Buffer (28) */
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, /* IO */
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00, /* Mem32F */
		0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00, /* Interrupt */
		0x79, 0x00,					      /* End */
	};

	aml_res_init(&r);
	aml_res_io(&r, 0x3f8, 0x3f8, 1, 8);
	aml_res_mem32_fixed(&r, true, 0xd0000000, 0x200);
	aml_res_interrupt(&r, AML_IRQ_EDGE, 5);
	aml_init(&a, buf, sizeof(buf));
	aml_resources(&a, &r);
	cr_assert_eq(aml_finish(&a, &len), 0);
	cr_assert_eq(len, sizeof(want));
	cr_assert_eq(memcmp(buf, want, len), 0);

	aml_res_init(&r);
	for (int i = 0; i < 100; i++)
		aml_res_interrupt(&r, 0, (uint32_t)i);
	cr_assert(r.overflow);
	aml_init(&a, buf, sizeof(buf));
	aml_resources(&a, &r);
	cr_assert_eq(aml_finish(&a, &len), -ENOSPC);
}

Test(aml, method_if_and_notify)
{
	uint8_t buf[128];
	struct aml a;
	size_t len;
	/* Method (_EVT, 1, Serialized) { Local0 = ESEL  If ((Local0 & One) == One) {
	 * Notify (\_SB.PWRB, 0x80) } } */
	static const uint8_t want[] = {
		0x14, 0x21, '_',  'E',	'V',  'T',  0x09, /* Method, PkgLength 33, 1 arg, serialized */
		0x70, 'E',  'S',  'E',	'L',  0x60,	  /* Store (ESEL, Local0) */
		0xa0, 0x14,				  /* If, PkgLength 20 */
		0x93, 0x7b, 0x60, 0x01, 0x00, 0x01,	  /* LEqual (And (Local0, One, ), One) */
		0x86, 0x5c, 0x2e, '_',	'S',  'B',  '_',  'P',
		'W',  'R',  'B',			  /* Notify (\_SB.PWRB, */
		0x0a, 0x80,				  /* 0x80) */
		0x68, 0x6e, 0x60, 0x67,			  /* Arg0, Arg6, Local0, Local7 */
		0x14, 0x06, 'F',  'O',	'O',  '_',  0x00, /* Method (FOO, 0, NotSerialized) {} */
	};

	aml_init(&a, buf, sizeof(buf));
	aml_method_begin(&a, "_EVT", 1, true);
	aml_store(&a);
	aml_path(&a, "ESEL");
	aml_local(&a, 0);
	aml_if_begin(&a);
	aml_lequal(&a);
	aml_and(&a);
	aml_local(&a, 0);
	aml_integer(&a, 1);
	aml_null_target(&a);
	aml_integer(&a, 1);
	aml_notify(&a);
	aml_path(&a, "\\_SB.PWRB");
	aml_integer(&a, 0x80);
	aml_end(&a);
	aml_end(&a);
	aml_arg(&a, 0);
	aml_arg(&a, 6);
	aml_local(&a, 0);
	aml_local(&a, 7);
	aml_method_begin(&a, "FOO", 0, false);
	aml_end(&a);
	cr_assert_eq(aml_finish(&a, &len), 0);
	cr_assert_eq(len, sizeof(want), "%zu bytes", len);
	cr_assert_eq(memcmp(buf, want, len), 0);
}

Test(aml, operation_region_and_field)
{
	uint8_t buf[128];
	struct aml a;
	size_t len;
	/* clang-format off */
	static const char want[] =
		/* OperationRegion (GEDR, SystemIO, 0x0610, 0x04) */
		"\x5b\x80" "GEDR" "\x01" "\x0b\x10\x06" "\x0a\x04"
		/* OperationRegion (MREG, SystemMemory, 0xFEB00000, 0x1000) */
		"\x5b\x80" "MREG" "\x00" "\x0c\x00\x00\xb0\xfe" "\x0b\x00\x10"
		/* Field (GEDR, DWordAcc, NoLock, WriteAsZeros), PkgLength 25 */
		"\x5b\x81\x19" "GEDR" "\x43"
		"ESEL" "\x20"		/* ESEL, 32 */
		"\x00" "\x40\x04"	/* Offset: 64 unnamed bits (a two-byte PkgLength) */
		"ST__" "\x01"		/* ST, 1 */
		"BIG_" "\x4c\x12"	/* BIG, 300 */
		/* Field (MREG, ByteAcc, NoLock, Preserve) { R, 8 } */
		"\x5b\x81\x0b" "MREG" "\x01" "R___" "\x08";
	/* clang-format on */

	aml_init(&a, buf, sizeof(buf));
	aml_opregion(&a, "GEDR", AML_SPACE_SYSTEM_IO, 0x610, 4);
	aml_opregion(&a, "MREG", AML_SPACE_SYSTEM_MEMORY, 0xfeb00000, 0x1000);
	aml_field_begin(&a, "GEDR", AML_FIELD_DWORD_ACC, AML_FIELD_WRITE_AS_ZEROS);
	aml_field_unit(&a, "ESEL", 32);
	aml_field_skip(&a, 64);
	aml_field_unit(&a, "ST", 1);
	aml_field_unit(&a, "BIG", 300);
	aml_end(&a);
	aml_field_begin(&a, "MREG", AML_FIELD_BYTE_ACC, AML_FIELD_PRESERVE);
	aml_field_unit(&a, "R", 8);
	aml_end(&a);
	cr_assert_eq(aml_finish(&a, &len), 0);
	cr_assert_eq(len, sizeof(want) - 1, "%zu bytes", len);
	cr_assert_eq(memcmp(buf, want, len), 0);
}

Test(aml, bad_methods_and_fields)
{
	uint8_t buf[256];
	struct aml a;
	size_t len;

#define BAD_AML(stmts)                                               \
	do {                                                         \
		aml_init(&a, buf, sizeof(buf));                      \
		stmts;                                               \
		cr_assert_eq(aml_finish(&a, &len), -EINVAL, #stmts); \
	} while (0)

	BAD_AML((aml_method_begin(&a, "M", 8, false), aml_end(&a)));
	BAD_AML((aml_method_begin(&a, "1M", 0, false), aml_end(&a)));
	BAD_AML(aml_method_begin(&a, "M", 0, false)); /* left open */
	BAD_AML(aml_if_begin(&a));		      /* left open */
	BAD_AML(aml_local(&a, 8));
	BAD_AML(aml_arg(&a, 7));
	BAD_AML(aml_path(&a, "\\"));
	BAD_AML(aml_opregion(&a, "TOOLONG", AML_SPACE_SYSTEM_IO, 0, 1));
	BAD_AML((aml_field_begin(&a, "R", 5, AML_FIELD_PRESERVE), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", AML_FIELD_BYTE_ACC, 0x60), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", AML_FIELD_BYTE_ACC, 0x10), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", 0, 0), aml_field_unit(&a, "A.B", 8), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", 0, 0), aml_field_unit(&a, "\\AB", 8), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", 0, 0), aml_field_unit(&a, "AB", 0), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", 0, 0), aml_field_unit(&a, "AB", 1u << 28), aml_end(&a)));
	BAD_AML((aml_field_begin(&a, "R", 0, 0), aml_field_skip(&a, 0), aml_end(&a)));
#undef BAD_AML
	/* The largest field unit a PkgLength holds is fine. */
	aml_init(&a, buf, sizeof(buf));
	aml_field_begin(&a, "R", 0, 0);
	aml_field_unit(&a, "AB", (1u << 28) - 1);
	aml_end(&a);
	cr_assert_eq(aml_finish(&a, &len), 0);
	cr_assert_eq(memcmp(buf + len - 4, "\xcf\xff\xff\xff", 4), 0);
}

/* ---- tables ---- */

static uint8_t *build(const struct acpi_config *c, struct acpi_tables *t)
{
	uint8_t *buf = calloc(1, ACPI_TABLES_MAX);
	struct errbuf err = { { 0 } };
	int ret;

	cr_assert_not_null(buf);
	ret = acpi_build(c, ACPI_TABLES_GPA, buf, ACPI_TABLES_MAX, t, &err);
	cr_assert_eq(ret, 0, "acpi_build: %d %s", ret, err.msg);
	check_checksums(buf, ACPI_TABLES_GPA, t);
	return buf;
}

static void check_madt(const uint8_t *madt, const struct acpi_config *c)
{
	uint32_t len = rd32(madt + 4);
	unsigned lapics = 0, x2apics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool com1_iso = false;

	cr_assert_eq(rd32(madt + 36), 0xfee00000);
	cr_assert_eq(rd32(madt + 40), 1, "PCAT_COMPAT");
	for (uint32_t p = 44; p < len;) {
		uint8_t type = madt[p], l = madt[p + 1];

		cr_assert_geq(l, 2);
		cr_assert_leq(p + l, len, "subtable beyond the MADT");
		switch (type) {
		case 0:
			cr_assert_eq(l, 8);
			cr_assert_eq(madt[p + 2], lapics, "UID");
			cr_assert_eq(madt[p + 3], c->apic_ids[lapics], "APIC id of vCPU %u",
				     lapics);
			cr_assert_eq(rd32(madt + p + 4), 1, "enabled");
			lapics++;
			break;
		case 9:
			cr_assert_eq(l, 16);
			cr_assert_eq(rd32(madt + p + 4), c->apic_ids[lapics + x2apics]);
			cr_assert_eq(rd32(madt + p + 12), lapics + x2apics, "UID");
			x2apics++;
			break;
		case 1:
			cr_assert_eq(l, 12);
			cr_assert_eq(madt[p + 2], c->ioapic_id);
			cr_assert_eq(rd32(madt + p + 4), 0xfec00000);
			cr_assert_eq(rd32(madt + p + 8), c->ioapic_gsi_base);
			ioapics++;
			break;
		case 2:
			cr_assert_eq(l, 10);
			cr_assert_eq(madt[p + 2], 0, "ISA bus");
			if (madt[p + 3] == c->com1_irq) {
				cr_assert_eq(rd32(madt + p + 4), c->com1_irq);
				cr_assert_eq(rd16(madt + p + 8), 0x5, "edge, active high");
				com1_iso = true;
			}
			isos++;
			break;
		case 4:
			cr_assert_eq(l, 6);
			cr_assert_eq(madt[p + 2], 0xff);
			cr_assert_eq(madt[p + 5], 1, "LINT1");
			nmis++;
			break;
		case 10:
			cr_assert_eq(l, 12);
			break;
		default:
			cr_assert_fail("unexpected MADT subtable type %u", type);
		}
		p += l;
	}
	cr_assert_eq(lapics + x2apics, c->nr_vcpus);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(nmis, 1);
	cr_assert_eq(isos, c->nr_isos + (c->com1_port ? 1 : 0));
	cr_assert_eq(com1_iso, c->com1_port != 0);
}

static void check_fadt(const uint8_t *fadt, uint64_t dsdt_gpa)
{
	cr_assert_eq(rd32(fadt + 4), 276);
	cr_assert_eq(fadt[8], 6, "FADT revision");
	cr_assert_eq(fadt[131], 3, "FADT minor version");
	cr_assert(rd32(fadt + 112) & (1u << 20), "HW_REDUCED_ACPI");
	cr_assert(rd32(fadt + 112) & (1u << 10), "RESET_REG_SUP");
	cr_assert_eq(rd64(fadt + 140), dsdt_gpa, "X_DSDT");
	cr_assert_eq(rd32(fadt + 40), (uint32_t)dsdt_gpa, "DSDT");
	cr_assert_eq(rd16(fadt + 46), 0, "no SCI");
	/* SLEEP_CONTROL_REG, SLEEP_STATUS_REG, RESET_REG: 8-bit system I/O registers. */
	static const struct {
		size_t off;
		uint16_t port;
	} regs[] = { { 244, PM_PORT + ACPI_PM_SLEEP_CTL },
		     { 256, PM_PORT + ACPI_PM_SLEEP_STS },
		     { 116, PM_PORT + ACPI_PM_RESET } };
	for (unsigned i = 0; i < ARRAY_SIZE(regs); i++) {
		const uint8_t *g = fadt + regs[i].off;

		cr_assert_eq(g[0], 1, "system I/O");
		cr_assert_eq(g[1], 8, "bit width");
		cr_assert_eq(g[2], 0, "bit offset");
		cr_assert_eq(g[3], 1, "byte access");
		cr_assert_eq(rd64(g + 4), regs[i].port);
	}
	cr_assert_eq(fadt[128], ACPI_RESET_VALUE);
	/* No PM1 blocks or GPEs in hardware-reduced mode. */
	for (size_t off = 56; off < 88; off++)
		cr_assert_eq(fadt[off], 0, "legacy PM block byte %zu", off);
	for (size_t off = 148; off < 244; off++)
		cr_assert_eq(fadt[off], 0, "X_ PM block byte %zu", off);
}

static bool contains(const uint8_t *p, size_t len, const void *needle, size_t n)
{
	return memmem(p, len, needle, n) != NULL;
}

static void check_dsdt_bytes(const uint8_t *dsdt, const struct acpi_config *c)
{
	uint32_t len = rd32(dsdt + 4);
	static const uint8_t s5[] = { 0x08, '\\', '_',	'S',  '5',  '_',  0x12,
				      0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00 };
	char name[16];

	cr_assert_eq(dsdt[8], 2, "DSDT revision 2: 64-bit integers");
	cr_assert(contains(dsdt, len, s5, sizeof(s5)), "\\_S5 package {5, 0, 0, 0}");
	cr_assert(contains(dsdt, len, "COM1", 4) == (c->com1_port != 0));
	for (unsigned i = 0; i < c->nr_vcpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i);
		cr_assert(contains(dsdt, len, name, 4), "processor %s", name);
	}
	for (unsigned i = 0; i < c->nr_virtio; i++) {
		snprintf(name, sizeof(name), "V%03X", i);
		cr_assert(contains(dsdt, len, name, 4), "virtio %s", name);
	}
	cr_assert(contains(dsdt, len, "GED0", 4) == (c->ged_port != 0));
	cr_assert(contains(dsdt, len, "ACPI0013", 8) == (c->ged_port != 0));
	cr_assert(contains(dsdt, len, "PWRB", 4) == (c->ged_port != 0));
	if (c->ged_port) {
		/* The GED's interrupt: level, active high, exclusive, consumer; and its register. */
		const uint8_t irq[] = {
			0x89, 0x06, 0x00, 0x01, 0x01, (uint8_t)c->ged_gsi, 0, 0, 0
		};
		uint8_t region[10] = { 0x5b, 0x80, 'G', 'E', 'D', 'R', 0x01, 0x0b };

		region[8] = (uint8_t)c->ged_port;
		region[9] = (uint8_t)(c->ged_port >> 8);
		cr_assert(contains(dsdt, len, irq, sizeof(irq)), "GED Interrupt descriptor");
		cr_assert(contains(dsdt, len, region, sizeof(region)), "GED OperationRegion");
	}
}

Test(acpi, tables_1_to_64_vcpus)
{
	for (unsigned n = 1; n <= 64; n++) {
		struct acpi_config c = config(n);
		struct acpi_tables t;
		const uint8_t *fadt, *dsdt, *madt;
		uint8_t *buf;

		/* A sparse APIC id space, as a 2-threads-per-core topology gives. */
		for (unsigned i = 0; i < n; i++)
			apic_ids[i] = (i / 2) * 4 + i % 2;
		buf = build(&c, &t);
		cr_assert_eq(t.rsdp_gpa, ACPI_TABLES_GPA);
		cr_assert_leq(t.size, ACPI_TABLES_MAX);
		fadt = find_table(buf, ACPI_TABLES_GPA, &t, "FACP");
		madt = find_table(buf, ACPI_TABLES_GPA, &t, "APIC");
		dsdt = find_table(buf, ACPI_TABLES_GPA, &t, "DSDT");
		cr_assert(fadt && madt && dsdt, "n=%u: tables reachable from the RSDP", n);
		cr_assert_null(find_table(buf, ACPI_TABLES_GPA, &t, "SRAT"));
		check_fadt(fadt, ACPI_TABLES_GPA + (uint64_t)(dsdt - buf));
		check_madt(madt, &c);
		check_dsdt_bytes(dsdt, &c);
		free(buf);
	}
}

/* The GED and the power button as iasl reads them back, and the DSDT compiled again. */
static void check_ged_dsl(const char *dsl, const struct acpi_config *c)
{
	char line[160];
	char *log;

	if (!c->ged_port) {
		cr_assert_null(strstr(dsl, "GED0"), "%s", dsl);
		cr_assert_null(strstr(dsl, "PWRB"), "%s", dsl);
		return;
	}
	cr_assert(strstr(dsl, "Device (GED0)"), "%s", dsl);
	cr_assert(strstr(dsl, "Name (_HID, \"ACPI0013\" /* Generic Event Device */)"), "%s", dsl);
	snprintf(line, sizeof(line), "0x%08X,", c->ged_gsi);
	cr_assert(strstr(dsl, line), "GED GSI %s in\n%s", line, dsl);
	snprintf(line, sizeof(line), "OperationRegion (GEDR, SystemIO, 0x%04X, 0x04)", c->ged_port);
	cr_assert(strstr(dsl, line), "%s in\n%s", line, dsl);
	cr_assert(strstr(dsl, "Field (GEDR, DWordAcc, NoLock, WriteAsZeros)"), "%s", dsl);
	cr_assert(strstr(dsl, "ESEL,   32"), "%s", dsl);
	cr_assert(strstr(dsl, "Method (_EVT, 1, Serialized)"), "%s", dsl);
	cr_assert(strstr(dsl, "Local0 = ESEL"), "%s", dsl);
	cr_assert(strstr(dsl, "If (((Local0 & One) == One))"), "%s", dsl);
	cr_assert(strstr(dsl, "Notify (\\_SB.PWRB, 0x80)"), "%s", dsl);
	cr_assert(strstr(dsl, "Device (PWRB)"), "%s", dsl);
	cr_assert(strstr(dsl, "Name (_HID, EisaId (\"PNP0C0C\")"), "%s", dsl);
	log = test_iasl_compile("dsdt", dsl);
	free(log);
}

static void disassemble_all(unsigned n, const struct acpi_config *c)
{
	struct acpi_tables t;
	uint8_t *buf = build(c, &t);
	char *dsl, line[160];

	for (unsigned i = 0; i < t.n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%c%c%c%c", tolower(t.t[i].sig[0]),
			 tolower(t.t[i].sig[1]), tolower(t.t[i].sig[2]), tolower(t.t[i].sig[3]));
		dsl = disassemble(name, buf + t.t[i].offset, t.t[i].len);
		if (!strcmp(t.t[i].sig, "DSDT")) {
			cr_assert(strstr(dsl, "Name (\\_S5, Package (0x04)"), "%s", dsl);
			cr_assert_eq(count(dsl, "Device (C0"), n, "processor devices");
			cr_assert_eq(count(dsl, "Name (_HID, \"ACPI0007\" /* Processor Device */)"),
				     n);
			cr_assert(strstr(dsl, "Device (COM1)"), "%s", dsl);
			cr_assert(strstr(dsl, "Name (_HID, EisaId (\"PNP0501\")"), "%s", dsl);
			cr_assert(strstr(dsl, "0x03F8,             // Range Minimum"), "%s", dsl);
			cr_assert_eq(count(dsl, "Name (_HID, \"LNRO0005\")"), c->nr_virtio);
			cr_assert_eq(count(dsl, "Memory32Fixed (ReadWrite,"), c->nr_virtio);
			cr_assert(strstr(dsl, "0xD0001000,         // Address Base"), "%s", dsl);
			cr_assert_eq(
				count(dsl,
				      "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"),
				c->nr_virtio); /* COM1 and two edge virtio devices */
			cr_assert_eq(
				count(dsl,
				      "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )"),
				c->ged_port ? 2 : 1); /* a level virtio device, and the GED */
			check_ged_dsl(dsl, c);
		} else if (!strcmp(t.t[i].sig, "APIC")) {
			cr_assert_eq(count(dsl, "[Processor Local APIC]"), n, "%s", dsl);
			cr_assert_eq(count(dsl, "[I/O APIC]"), 1);
			cr_assert_eq(count(dsl, "[Interrupt Source Override]"), 1);
			cr_assert_eq(count(dsl, "[Local APIC NMI]"), 1);
			snprintf(line, sizeof(line), "Local Apic ID : %02X", c->apic_ids[n - 1]);
			cr_assert(strstr(dsl, line), "%s in %s", line, dsl);
		} else if (!strcmp(t.t[i].sig, "FACP")) {
			cr_assert(strstr(dsl, "Hardware Reduced (V5) : 1"), "%s", dsl);
			cr_assert(strstr(dsl, "Reset Register Supported (V2) : 1"), "%s", dsl);
			cr_assert(
				strstr(dsl, "Sleep Control Register : [Generic Address Structure]"),
				"%s", dsl);
			cr_assert(
				strstr(dsl, "Sleep Status Register : [Generic Address Structure]"),
				"%s", dsl);
			cr_assert_eq(count(dsl, "Space ID : 01 [SystemIO]"), 3, "%s", dsl);
			cr_assert(strstr(dsl, "Address : 0000000000000600"), "%s", dsl);
			cr_assert(strstr(dsl, "Address : 0000000000000601"), "%s", dsl);
		} else if (!strcmp(t.t[i].sig, "XSDT")) {
			cr_assert_eq(count(dsl, "ACPI Table Address"), 2, "%s", dsl);
		}
		free(dsl);
	}
	/* iasl -d wants a standard table header: the RSDP is checked by check_checksums(). */
	free(buf);
}

Test(acpi, iasl_disassembles_every_table, .timeout = 100)
{
	static const unsigned counts[] = { 1, 2, 3, 8, 63, 64 };

	for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
		struct acpi_config c = config(counts[i]);

		disassemble_all(counts[i], &c);
	}
}

/* Without a GED port there is no GED and no power button (and the DSDT still compiles). */
Test(acpi, no_ged_no_power_button, .timeout = 100)
{
	struct acpi_config c = config(2);
	struct acpi_tables t;
	const uint8_t *dsdt;
	uint8_t *buf;
	char *dsl;

	c.ged_port = 0;
	buf = build(&c, &t);
	dsdt = find_table(buf, ACPI_TABLES_GPA, &t, "DSDT");
	check_dsdt_bytes(dsdt, &c);
	dsl = disassemble("dsdt", dsdt, rd32(dsdt + 4));
	check_ged_dsl(dsl, &c);
	free(test_iasl_compile("dsdt", dsl));
	free(dsl);
	free(buf);
}

Test(acpi, x2apic_ids)
{
	struct acpi_config c = config(300);
	struct acpi_tables t;
	uint8_t *buf;
	const uint8_t *madt;
	char *dsl;

	buf = build(&c, &t);
	madt = find_table(buf, ACPI_TABLES_GPA, &t, "APIC");
	check_madt(madt, &c);
	dsl = disassemble("apic", madt, rd32(madt + 4));
	cr_assert_eq(count(dsl, "[Processor Local APIC]"), 255);
	cr_assert_eq(count(dsl, "[Processor Local x2APIC]"), 45);
	cr_assert_eq(count(dsl, "[Local x2APIC NMI]"), 1);
	free(dsl);
	free(buf);
}

Test(acpi, numa_srat_slit)
{
	struct acpi_config c = config(4);
	static const uint32_t cpu_node[4] = { 0, 0, 1, 1 };
	static const struct acpi_numa_mem mem[] = {
		{ .base = 0, .size = 0xc0000000, .node = 0 },
		{ .base = 0x100000000ULL, .size = 0x40000000, .node = 1 },
		{ .base = 0x140000000ULL, .size = 0x40000000, .node = 1, .hotplug = true },
	};
	static const uint8_t dist[4] = { 10, 21, 21, 10 };
	const struct acpi_numa numa = {
		.nr_nodes = 2,
		.cpu_node = cpu_node,
		.mem = mem,
		.nr_mem = 3,
		.distance = dist,
	};
	struct acpi_tables t;
	const uint8_t *srat, *slit;
	uint8_t *buf;
	char *dsl;

	c.numa = &numa;
	buf = build(&c, &t);
	srat = find_table(buf, ACPI_TABLES_GPA, &t, "SRAT");
	slit = find_table(buf, ACPI_TABLES_GPA, &t, "SLIT");
	cr_assert(srat && slit);
	cr_assert_eq(rd32(srat + 4), 48 + 4 * 16 + 3 * 40);
	cr_assert_eq(srat[48 + 2 * 16 + 2], 1, "vCPU 2 in node 1");
	cr_assert_eq(rd64(srat + 48 + 64 + 40 + 8), 0x100000000ULL);
	cr_assert_eq(rd32(srat + 48 + 64 + 80 + 28), 3, "enabled, hot-pluggable");
	cr_assert_eq(rd64(slit + 36), 2);
	cr_assert_eq(memcmp(slit + 44, dist, 4), 0);
	dsl = disassemble("srat", srat, rd32(srat + 4));
	cr_assert_eq(count(dsl, "[Processor Local APIC/SAPIC Affinity]"), 4, "%s", dsl);
	cr_assert_eq(count(dsl, "[Memory Affinity]"), 3, "%s", dsl);
	free(dsl);
	dsl = disassemble("slit", slit, rd32(slit + 4));
	cr_assert(strstr(dsl, "Localities : 0000000000000002"), "%s", dsl);
	free(dsl);
	free(buf);
}

Test(acpi, bad_configurations)
{
	static uint8_t buf[ACPI_TABLES_MAX];
	struct acpi_virtio_mmio v[2];
	struct acpi_iso iso;
	struct acpi_tables t;
	struct errbuf err;
	struct acpi_config c;
	uint8_t dist[4] = { 10, 5, 5, 10 };
	uint32_t nodes[2] = { 0, 3 };
	struct acpi_numa numa = { .nr_nodes = 2, .cpu_node = nodes };

#define BAD(expr, want)                                                                         \
	do {                                                                                    \
		c = config(2);                                                                  \
		expr;                                                                           \
		memset(&err, 0, sizeof(err));                                                   \
		cr_assert_eq(acpi_build(&c, ACPI_TABLES_GPA, buf, sizeof(buf), &t, &err), want, \
			     #expr);                                                            \
		cr_assert(err.msg[0], "message for " #expr);                                    \
	} while (0)

	BAD(c.nr_vcpus = 0, -EINVAL);
	BAD(c.nr_vcpus = ACPI_MAX_VCPUS + 1, -EINVAL);
	BAD(c.apic_ids = NULL, -EINVAL);
	BAD(apic_ids[1] = 0, -EINVAL);
	BAD(apic_ids[0] = UINT32_MAX, -EINVAL);
	BAD(c.com1_irq = 16, -EINVAL);
	BAD(c.ioapic_addr = 4 * GiB, -EINVAL);
	BAD(c.ioapic_pins = 300, -EINVAL);
	BAD(c.pm_port = 0, -EINVAL);
	BAD(c.pm_port = 0xfffe, -EINVAL);
	BAD(c.ged_gsi = 4, -EINVAL);  /* COM1's */
	BAD(c.ged_gsi = 5, -EINVAL);  /* a virtio device's */
	BAD(c.ged_gsi = 24, -EINVAL); /* no such IOAPIC pin */
	BAD(c.ged_port = PM_PORT + 2, -EINVAL);
	BAD(c.ged_port = 0x3f6, -EINVAL); /* into COM1 */
	BAD(c.ged_port = 0xfffd, -EINVAL);
	BAD((v[0] = test_virtio[0], v[1] = test_virtio[1], v[1].gsi = 5, c.virtio = v,
	     c.nr_virtio = 2),
	    -EINVAL);
	BAD((v[0] = test_virtio[0], v[1] = test_virtio[1], v[1].base = 0xd0000100, c.virtio = v,
	     c.nr_virtio = 2),
	    -EINVAL);
	BAD((v[0] = test_virtio[0], v[0].gsi = 24, c.virtio = v, c.nr_virtio = 1), -EINVAL);
	BAD((v[0] = test_virtio[0], v[0].gsi = 4, c.virtio = v, c.nr_virtio = 1), -EINVAL);
	BAD((v[0] = test_virtio[0], v[0].base = 0xfffff000, v[0].size = 0x2000, c.virtio = v,
	     c.nr_virtio = 1),
	    -EINVAL);
	BAD((v[0] = test_virtio[0], v[0].size = 0, c.virtio = v, c.nr_virtio = 1), -EINVAL);
	BAD(c.nr_virtio = ACPI_MAX_VIRTIO + 1, -EINVAL);
	BAD((iso = (struct acpi_iso){ .irq = 4, .gsi = 2 }, c.isos = &iso, c.nr_isos = 1), -EINVAL);
	BAD((iso = (struct acpi_iso){ .irq = 0, .gsi = 99 }, c.isos = &iso, c.nr_isos = 1),
	    -EINVAL);
	BAD((c.numa = &numa), -EINVAL); /* vCPU 1 in node 3 of 2 */
	BAD((nodes[1] = 1, numa.distance = dist, c.numa = &numa), -EINVAL);
	BAD((numa.distance = NULL, numa.nr_nodes = 0, c.numa = &numa), -EINVAL);

	/* A buffer too small, a misaligned base, an address beyond 4 GiB. */
	c = config(64);
	cr_assert_eq(acpi_build(&c, ACPI_TABLES_GPA, buf, 200, &t, &err), -ENOSPC);
	cr_assert_eq(acpi_build(&c, ACPI_TABLES_GPA + 8, buf, sizeof(buf), &t, &err), -EINVAL);
	cr_assert_eq(acpi_build(&c, 4 * GiB, buf, sizeof(buf), &t, &err), -EINVAL);
	/* Every buffer size below what is needed fails cleanly. */
	cr_assert_eq(acpi_build(&c, ACPI_TABLES_GPA, buf, sizeof(buf), &t, &err), 0);
	for (size_t cap = 0; cap < t.size; cap += 7)
		cr_assert_eq(acpi_build(&c, ACPI_TABLES_GPA, buf, cap, &t, &err), -ENOSPC,
			     "cap %zu", cap);
#undef BAD
}

Test(acpi, install_into_guest_ram)
{
	struct acpi_config c = config(4);
	struct acpi_tables t;
	struct errbuf err = { { 0 } };
	struct memmap m;
	uint8_t sig[8];

	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(memmap_add_ram(&m, 0, 2 * MiB, "low", 0, NULL), 0);
	cr_assert_eq(acpi_install(&m, &c, ACPI_TABLES_GPA, ACPI_TABLES_MAX, &t, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(memmap_read(&m, t.rsdp_gpa, sig, 8), 0);
	cr_assert_eq(memcmp(sig, "RSD PTR ", 8), 0);
	memmap_destroy(&m);

	/* No RAM there. */
	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(memmap_add_ram(&m, 0, 512 * KiB, "low", 0, NULL), 0);
	cr_assert_eq(acpi_install(&m, &c, ACPI_TABLES_GPA, ACPI_TABLES_MAX, &t, &err), -EFAULT);
	memmap_destroy(&m);
}

/* ---- the PM register device ---- */

Test(acpi_pm, poweroff_reset_and_status)
{
	struct acpi_pm pm;

	cr_assert_eq(acpi_pm_init(&pm, NULL, PM_PORT, NULL), 0);
	/* What Linux's acpi_hw_extended_sleep() writes: WAK_STS to status, then SLP_TYP|SLP_EN. */
	acpi_pm_write(&pm, NULL, ACPI_PM_SLEEP_STS, ACPI_WAK_STS, 1);
	cr_assert_eq(acpi_pm_read(&pm, NULL, ACPI_PM_SLEEP_STS, 1) & ACPI_WAK_STS, 0);
	acpi_pm_write(&pm, NULL, ACPI_PM_SLEEP_CTL, ACPI_S5_SLP_TYP << ACPI_SLP_TYP_SHIFT, 1);
	cr_assert_eq(pm.poweroffs, 0, "no SLP_EN: nothing");
	acpi_pm_write(&pm, NULL, ACPI_PM_SLEEP_CTL,
		      (ACPI_S5_SLP_TYP << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 1);
	cr_assert_eq(pm.poweroffs, 1);
	acpi_pm_write(&pm, NULL, ACPI_PM_SLEEP_CTL, (3 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 1);
	cr_assert_eq(pm.poweroffs, 1, "S3 is not S5");
	cr_assert_eq(pm.ignored, 2, "the write without SLP_EN and the S3 request");
	acpi_pm_write(&pm, NULL, ACPI_PM_RESET, 0x42, 1);
	cr_assert_eq(pm.resets, 0);
	acpi_pm_write(&pm, NULL, ACPI_PM_RESET, ACPI_RESET_VALUE, 1);
	cr_assert_eq(pm.resets, 1);
	acpi_pm_write(&pm, NULL, 3, 0xff, 1);
	cr_assert_eq(acpi_pm_read(&pm, NULL, ACPI_PM_SLEEP_CTL, 1), 0);
	cr_assert_eq(acpi_pm_read(&pm, NULL, 3, 1), 0);
	acpi_pm_destroy(&pm);
}
