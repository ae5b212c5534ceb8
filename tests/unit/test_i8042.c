/*
 * test_i8042.c - the PS/2 controller's command port (devices/i8042.h) at register level,
 * without a VM: the self tests, the command byte, the status register's output-buffer and
 * command flags, and output-port writes that keep the reset line high. The reset itself
 * stops a VM and is tested with a guest (tests/guest/test_flat.c). No KVM.
 */
#include <criterion/criterion.h>

#include "devices/i8042.h"

#define DATA   0 /* port 0x60 */
#define CMD    4 /* port 0x64 */

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08

static struct i8042 k;

static void setup(void)
{
	cr_assert_eq(i8042_init(&k, NULL, NULL), 0);
}

static void teardown(void)
{
	i8042_destroy(&k);
}

TestSuite(i8042, .init = setup, .fini = teardown, .timeout = 30);

static uint8_t rd(unsigned off)
{
	return (uint8_t)i8042_read(&k, NULL, off, 1);
}

static void wr(unsigned off, uint8_t v)
{
	i8042_write(&k, NULL, off, v, 1);
}

Test(i8042, self_tests)
{
	cr_expect_eq(rd(CMD) & ST_OBF, 0, "output buffer full at reset");
	cr_expect(rd(CMD) & ST_SYS, "system flag");
	wr(CMD, 0xaa);
	cr_expect_eq(rd(CMD) & (ST_OBF | ST_CMD), ST_OBF | ST_CMD);
	cr_expect_eq(rd(DATA), 0x55, "controller self test passes");
	cr_expect_eq(rd(CMD) & ST_OBF, 0, "reading the data port empties the buffer");
	wr(CMD, 0xab);
	cr_expect(rd(CMD) & ST_OBF);
	cr_expect_eq(rd(DATA), 0x00, "keyboard interface test passes");
	wr(CMD, 0xa9);
	cr_expect_eq(rd(DATA), 0x00, "aux interface test passes");
	cr_expect_eq(k.resets, 0);
}

Test(i8042, command_byte)
{
	wr(CMD, 0x20);
	cr_expect(rd(CMD) & ST_OBF);
	cr_expect_eq(rd(DATA), 0x44, "default: translate, system flag");
	wr(CMD, 0x60);
	cr_expect(rd(CMD) & ST_CMD, "a data byte is expected");
	wr(DATA, 0x65);
	cr_expect_eq(rd(CMD) & ST_CMD, 0, "the data byte went to the command");
	cr_expect_eq(rd(CMD) & ST_OBF, 0, "writing the command byte answers nothing");
	wr(CMD, 0x20);
	cr_expect_eq(rd(DATA), 0x65);
	/* A data byte without a pending command goes to the (absent) keyboard. */
	wr(DATA, 0xff);
	wr(CMD, 0x20);
	cr_expect_eq(rd(DATA), 0x65);
	/* Enable/disable commands answer nothing. */
	wr(CMD, 0xad);
	wr(CMD, 0xae);
	wr(CMD, 0xa7);
	wr(CMD, 0xa8);
	cr_expect_eq(rd(CMD) & ST_OBF, 0);
}

Test(i8042, output_port_without_reset)
{
	wr(CMD, 0xd0);
	cr_expect_eq(rd(DATA), 0x01, "reset line high");
	wr(CMD, 0xd1);
	wr(DATA, 0x03); /* bit 0 set: no reset */
	wr(CMD, 0xf1);	/* pulse lines 1-3, not the reset line */
	wr(CMD, 0xff);
	cr_expect_eq(k.resets, 0);
	cr_expect_eq(k.pending_cmd, 0);
}

Test(i8042, other_ports_and_sizes)
{
	for (unsigned off = 1; off < 4; off++)
		cr_expect_eq(i8042_read(&k, NULL, off, 1), 0xff, "port 0x%x", 0x60 + off);
	wr(2, 0xfe); /* not the command port: ignored, no reset */
	cr_expect_eq(k.resets, 0);
}
