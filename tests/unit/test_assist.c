/*
 * test_assist.c - the decoder for instructions strand completes for KVM's emulator (PVM hosts):
 * int3, fwait, clac/stac, and ldmxcsr/stmxcsr with every addressing form (SIB, disp8/32,
 * RIP-relative, REX.B/X, FS/GS), plus the forms it must refuse.
 */
#include <criterion/criterion.h>

#include "core/assist.h"
#include "util/compiler.h"

static struct assist_insn dec(const uint8_t *b, size_t n)
{
	return assist_decode(b, n);
}

#define DEC(...)                                             \
	({                                                   \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		dec(b_, sizeof(b_));                         \
	})

Test(assist, simple_instructions)
{
	struct assist_insn i;

	i = DEC(0xcc);
	cr_expect(i.kind == ASSIST_INT3 && i.len == 1);
	i = DEC(0xcd, 0x03);
	cr_expect(i.kind == ASSIST_INT3 && i.len == 2);
	i = DEC(0x9b);
	cr_expect(i.kind == ASSIST_FWAIT && i.len == 1);
	i = DEC(0x0f, 0x01, 0xca);
	cr_expect(i.kind == ASSIST_CLAC && i.len == 3);
	i = DEC(0x0f, 0x01, 0xcb);
	cr_expect(i.kind == ASSIST_STAC && i.len == 3);
	i = DEC(0x90);
	cr_expect_eq(i.kind, ASSIST_NONE, "nop is not ours");
	i = DEC(0x0f, 0x01);
	cr_expect_eq(i.kind, ASSIST_NONE, "cut short");
	cr_expect_eq(dec(NULL, 0).kind, ASSIST_NONE);
}

static uint64_t lin(const struct assist_insn *i, uint64_t rip)
{
	uint64_t regs[16];

	for (unsigned r = 0; r < 16; r++)
		regs[r] = 0x1000ULL * (r + 1); /* rax 0x1000, rcx 0x2000, ... r15 0x10000 */
	return assist_linear(&i->m, regs, rip, i->len, 0xf5000000ULL, 0x65000000ULL);
}

Test(assist, mxcsr_addressing_forms)
{
	struct assist_insn i;

	/* ldmxcsr 0x4(%rsp): SIB with rsp base, no index, disp8 (Linux's kernel_fpu_begin). */
	i = DEC(0x0f, 0xae, 0x54, 0x24, 0x04);
	cr_assert_eq(i.kind, ASSIST_LDMXCSR);
	cr_expect_eq(i.len, 5);
	cr_expect_eq(lin(&i, 0), 0x5000 + 4);
	/* stmxcsr 0x64e(%rip) */
	i = DEC(0x0f, 0xae, 0x1d, 0x4e, 0x06, 0x00, 0x00);
	cr_assert_eq(i.kind, ASSIST_STMXCSR);
	cr_expect_eq(i.len, 7);
	cr_expect_eq(lin(&i, 0x2029bb), 0x2029bb + 7 + 0x64e);
	/* stmxcsr (%r12): REX.B, and rm=4 with REX.B is still a SIB form */
	i = DEC(0x41, 0x0f, 0xae, 0x1c, 0x24);
	cr_assert_eq(i.kind, ASSIST_STMXCSR);
	cr_expect_eq(i.len, 5);
	cr_expect_eq(lin(&i, 0), 0xd000);
	/* ldmxcsr (%r11,%r10,4): REX.X and REX.B, scale 4 */
	i = DEC(0x43, 0x0f, 0xae, 0x14, 0x93);
	cr_assert_eq(i.kind, ASSIST_LDMXCSR);
	cr_expect_eq(lin(&i, 0), 0xc000 + 0xb000 * 4);
	/* stmxcsr %gs:0x30: GS prefix, SIB with no base and no index, disp32 */
	i = DEC(0x65, 0x0f, 0xae, 0x1c, 0x25, 0x30, 0x00, 0x00, 0x00);
	cr_assert_eq(i.kind, ASSIST_STMXCSR);
	cr_expect_eq(i.len, 9);
	cr_expect_eq(lin(&i, 0), 0x65000000ULL + 0x30);
	/* ldmxcsr %fs:-0x10(%rbp): FS prefix, disp8 negative */
	i = DEC(0x64, 0x0f, 0xae, 0x55, 0xf0);
	cr_assert_eq(i.kind, ASSIST_LDMXCSR);
	cr_expect_eq(lin(&i, 0), 0xf5000000ULL + 0x6000 - 0x10);
	/* ldmxcsr 0x12345678(%rax): disp32 */
	i = DEC(0x0f, 0xae, 0x90, 0x78, 0x56, 0x34, 0x12);
	cr_assert_eq(i.kind, ASSIST_LDMXCSR);
	cr_expect_eq(i.len, 7);
	cr_expect_eq(lin(&i, 0), 0x1000 + 0x12345678);
}

Test(assist, forms_that_are_refused)
{
	/* 66/f3 prefixes make other instructions (f3 0f ae /2 is wrfsbase). */
	cr_expect_eq(DEC(0x66, 0x0f, 0xae, 0x54, 0x24, 0x04).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0xf3, 0x0f, 0xae, 0xd0).kind, ASSIST_NONE);
	/* register forms (mod 3) and other /digits (fxsave /0, xrstor /5) */
	cr_expect_eq(DEC(0x0f, 0xae, 0xd0).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0x0f, 0xae, 0x04, 0x24).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0x0f, 0xae, 0x2c, 0x24).kind, ASSIST_NONE);
	/* 32-bit addressing and REX.R are not completed */
	cr_expect_eq(DEC(0x67, 0x0f, 0xae, 0x10).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0x44, 0x0f, 0xae, 0x10).kind, ASSIST_NONE);
	/* cut short: SIB or displacement missing */
	cr_expect_eq(DEC(0x0f, 0xae, 0x54).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0x0f, 0xae, 0x54, 0x24).kind, ASSIST_NONE);
	cr_expect_eq(DEC(0x0f, 0xae, 0x15, 0x00, 0x00).kind, ASSIST_NONE);
}

Test(assist, kind_names)
{
	cr_expect_str_eq(assist_kind_name(ASSIST_LDMXCSR), "ldmxcsr");
	cr_expect_str_eq(assist_kind_name(ASSIST_STMXCSR), "stmxcsr");
	cr_expect_str_eq(assist_kind_name((enum assist_kind)99), "?");
}
