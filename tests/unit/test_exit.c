/*
 * test_exit.c - the vCPU exit decoder (core/exit.h) on fabricated kvm_run pages: every field
 * the decoder trusts is checked against the mapping size, so a corrupted page is reported as
 * EXIT_MALFORMED instead of sending a device handler outside the page. No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/exit.h"

#define RUN_SIZE 12288 /* what KVM maps on x86: the run page, the PIO page, the MMIO ring */

static struct kvm_run *run;

static void setup(void)
{
	run = aligned_alloc(4096, RUN_SIZE);
	cr_assert_not_null(run);
	memset(run, 0, RUN_SIZE);
}

static void teardown(void)
{
	free(run);
}

TestSuite(exit, .init = setup, .fini = teardown, .timeout = 30);

static void set_io(uint8_t dir, uint8_t size, uint16_t port, uint32_t count, uint64_t off)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = off;
}

static void expect_malformed(size_t run_size)
{
	struct exit_info x;

	cr_expect_eq(exit_decode(run, run_size, &x), -EINVAL);
	cr_expect_eq(x.kind, EXIT_MALFORMED);
	cr_expect_eq(x.reason, run->exit_reason);
}

Test(exit, io_in_and_out_every_size)
{
	const uint8_t sizes[] = { 1, 2, 4 };
	struct exit_info x;

	for (unsigned i = 0; i < 3; i++) {
		for (unsigned dir = KVM_EXIT_IO_IN; dir <= KVM_EXIT_IO_OUT; dir++) {
			set_io((uint8_t)dir, sizes[i], 0x3f8, 1, 4096);
			cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
			cr_expect_eq(x.kind, EXIT_IO);
			cr_expect_eq(x.reason, KVM_EXIT_IO);
			cr_expect_eq(x.io.port, 0x3f8);
			cr_expect_eq(x.io.size, sizes[i]);
			cr_expect_eq(x.io.count, 1);
			cr_expect_eq(x.io.write, dir == KVM_EXIT_IO_OUT);
			cr_expect_eq((void *)x.io.data, (void *)((uint8_t *)run + 4096));
		}
	}
}

Test(exit, io_rep_string)
{
	struct exit_info x;

	/* rep outsw of 100 words: 200 bytes, all inside the PIO page. */
	set_io(KVM_EXIT_IO_OUT, 2, 0x1f0, 100, 4096);
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.io.count, 100);
	cr_expect_eq(x.io.size, 2);
	/* The data may end exactly at the end of the mapping. */
	set_io(KVM_EXIT_IO_IN, 4, 0x1f0, 1024, RUN_SIZE - 4096);
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.io.count, 1024);
	/* One element more crosses it. */
	set_io(KVM_EXIT_IO_IN, 4, 0x1f0, 1025, RUN_SIZE - 4096);
	expect_malformed(RUN_SIZE);
	/* count * size overflowing 32 bits must not wrap into a small length. */
	set_io(KVM_EXIT_IO_IN, 4, 0x1f0, 0xffffffffu, 4096);
	expect_malformed(RUN_SIZE);
}

Test(exit, io_data_offset_out_of_the_page)
{
	struct exit_info x;

	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, RUN_SIZE); /* first byte past the end */
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_OUT, 4, 0x80, 1, RUN_SIZE - 3); /* last 3 bytes in, 1 out */
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, ~0ULL); /* offset + size overflows */
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, 1ULL << 40);
	expect_malformed(RUN_SIZE);
	/* A smaller mapping moves the limit with it. */
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, 4096);
	expect_malformed(4096);
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, 4095);
	cr_expect_eq(exit_decode(run, 4096, &x), 0);
}

Test(exit, io_data_offset_overlapping_the_header)
{
	struct exit_info x;

	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, 0);
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_OUT, 4, 0x80, 1, offsetof(struct kvm_run, io));
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, sizeof(struct kvm_run) - 1);
	expect_malformed(RUN_SIZE);
	/* Right after the header is legal (KVM never does it, but nothing is overwritten). */
	set_io(KVM_EXIT_IO_OUT, 1, 0x80, 1, sizeof(struct kvm_run));
	cr_expect_eq(exit_decode(run, RUN_SIZE, &x), 0);
}

Test(exit, io_bad_size_direction_count)
{
	const uint8_t bad_sizes[] = { 0, 3, 5, 8, 255 };

	for (unsigned i = 0; i < sizeof(bad_sizes); i++) {
		set_io(KVM_EXIT_IO_OUT, bad_sizes[i], 0x80, 1, 4096);
		expect_malformed(RUN_SIZE);
	}
	set_io(2, 1, 0x80, 1, 4096);
	expect_malformed(RUN_SIZE);
	set_io(0xff, 1, 0x80, 1, 4096);
	expect_malformed(RUN_SIZE);
	set_io(KVM_EXIT_IO_IN, 1, 0x80, 0, 4096);
	expect_malformed(RUN_SIZE);
}

Test(exit, mmio_lengths)
{
	struct exit_info x;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000010ULL;
	run->mmio.is_write = 1;
	run->mmio.len = 0;
	expect_malformed(RUN_SIZE);
	run->mmio.len = 9;
	expect_malformed(RUN_SIZE);
	run->mmio.len = 0xffffffffu;
	expect_malformed(RUN_SIZE);
	for (uint32_t len = 1; len <= 8; len++) {
		run->mmio.len = len;
		run->mmio.is_write = len & 1;
		cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
		cr_expect_eq(x.kind, EXIT_MMIO);
		cr_expect_eq(x.mmio.addr, 0xd0000010ULL);
		cr_expect_eq(x.mmio.len, len);
		cr_expect_eq(x.mmio.write, (len & 1) != 0);
		cr_expect_eq((void *)x.mmio.data, (void *)run->mmio.data);
	}
}

Test(exit, internal_error_ndata_clamped)
{
	const size_t max = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	struct exit_info x;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 3;
	run->internal.data[0] = 0x1234;
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.kind, EXIT_INTERNAL_ERROR);
	cr_expect_eq(x.internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	cr_expect_eq(x.internal.ndata, 3);
	cr_expect_eq(x.internal.data[0], 0x1234);
	run->internal.ndata = (uint32_t)max;
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.internal.ndata, max);
	run->internal.ndata = (uint32_t)max + 1;
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.internal.ndata, max);
	run->internal.ndata = 0xffffffffu;
	cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
	cr_expect_eq(x.internal.ndata, max);
	/* The clamped array lies inside the run structure. */
	cr_expect((const uint8_t *)(x.internal.data + x.internal.ndata) <=
		  (const uint8_t *)run + sizeof(*run));
}

Test(exit, system_events)
{
	const uint32_t types[] = { KVM_SYSTEM_EVENT_SHUTDOWN, KVM_SYSTEM_EVENT_RESET,
				   KVM_SYSTEM_EVENT_CRASH, 0x12345678 };
	struct exit_info x;

	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	for (unsigned i = 0; i < 4; i++) {
		run->system_event.type = types[i];
		cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
		cr_expect_eq(x.kind, EXIT_SYSTEM_EVENT);
		cr_expect_eq(x.system_event.type, types[i]);
	}
}

Test(exit, simple_reasons)
{
	const struct {
		uint32_t reason;
		enum exit_kind kind;
	} map[] = {
		{ KVM_EXIT_HLT, EXIT_HLT },	{ KVM_EXIT_SHUTDOWN, EXIT_SHUTDOWN },
		{ KVM_EXIT_INTR, EXIT_INTR },	{ KVM_EXIT_IRQ_WINDOW_OPEN, EXIT_IRQ_WINDOW },
		{ KVM_EXIT_DEBUG, EXIT_DEBUG }, { KVM_EXIT_FAIL_ENTRY, EXIT_FAIL_ENTRY },
	};
	struct exit_info x;

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		run->exit_reason = map[i].reason;
		run->fail_entry.hardware_entry_failure_reason = 0x21;
		cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
		cr_expect_eq(x.kind, map[i].kind, "reason %u", map[i].reason);
		cr_expect_eq(x.reason, map[i].reason);
	}
	cr_expect_eq(x.fail_entry.hw_reason, 0x21);
}

Test(exit, unknown_reasons)
{
	const uint32_t reasons[] = {
		KVM_EXIT_UNKNOWN, KVM_EXIT_EXCEPTION, KVM_EXIT_HYPERCALL, KVM_EXIT_X86_RDMSR, 1000,
		0xffffffffu
	};
	struct exit_info x;

	for (unsigned i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		run->exit_reason = reasons[i];
		cr_assert_eq(exit_decode(run, RUN_SIZE, &x), 0);
		cr_expect_eq(x.kind, EXIT_UNKNOWN);
		cr_expect_eq(x.reason, reasons[i]);
	}
}

Test(exit, kind_names)
{
	for (int k = 0; k < EXIT_KIND_COUNT; k++) {
		const char *n = exit_kind_name((enum exit_kind)k);

		cr_assert_not_null(n);
		cr_expect(strlen(n) > 0 && strcmp(n, "?") != 0, "kind %d has no name", k);
	}
	cr_expect_str_eq(exit_kind_name(EXIT_IO), "io");
	cr_expect_str_eq(exit_kind_name(EXIT_MALFORMED), "malformed");
	cr_expect_str_eq(exit_kind_name(EXIT_KIND_COUNT), "?");
	cr_expect_str_eq(exit_kind_name((enum exit_kind) - 1), "?");
}
