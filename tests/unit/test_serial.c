/*
 * test_serial.c - the 16550A UART (devices/serial.h) at register level, without a VM or a
 * console: what Linux's 8250 driver probes (scratch register, loopback, FIFO), the divisor
 * latch, THR-empty interrupt semantics, the 16-byte receive FIFO with overrun, and console
 * input flow control. The interrupt line is observed through irq_level. No KVM.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/serial.h"

#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct serial s;

static void setup(void)
{
	cr_assert_eq(serial_init(&s, NULL, NULL, SERIAL_COM1_BASE, SERIAL_COM1_IRQ, NULL), 0);
}

static void teardown(void)
{
	serial_destroy(&s);
}

TestSuite(serial, .init = setup, .fini = teardown, .timeout = 30);

static uint8_t rd(unsigned reg)
{
	return (uint8_t)serial_read(&s, NULL, reg, 1);
}

static void wr(unsigned reg, uint8_t v)
{
	serial_write(&s, NULL, reg, v, 1);
}

Test(serial, linux_8250_probe)
{
	uint8_t save_lcr;

	/* autoconfig: the scratch register holds what is written. */
	wr(SCR, 0xa5);
	cr_expect_eq(rd(SCR), 0xa5);
	wr(SCR, 0x5a);
	cr_expect_eq(rd(SCR), 0x5a);
	/* IER: writable low nibble, reads back. */
	wr(IER, 0);
	cr_expect_eq(rd(IER) & 0x0f, 0);
	wr(IER, 0x0f);
	cr_expect_eq(rd(IER) & 0x0f, 0x0f);
	wr(IER, 0);
	/* Loopback: MCR = LOOP | OUT2 | RTS shows DCD and CTS in MSR. */
	wr(MCR, 0x1a);
	cr_expect_eq(rd(MSR) & 0xf0, 0x90);
	wr(MCR, 0x1f);
	cr_expect_eq(rd(MSR) & 0xf0, 0xf0, "loopback of all four outputs");
	wr(MCR, 0x10);
	cr_expect_eq(rd(MSR) & 0xf0, 0x00);
	wr(MCR, 0x08);
	/* Out of loopback the line looks connected. */
	cr_expect_eq(rd(MSR) & 0xb0, 0xb0);
	/* FIFO: enabling it shows both FIFO bits in IIR (a 16550A, not a 16550). */
	save_lcr = rd(LCR);
	wr(FCR, 0x01);
	cr_expect_eq(rd(IIR) & 0xc0, 0xc0);
	wr(FCR, 0x00);
	cr_expect_eq(rd(IIR) & 0xc0, 0x00);
	cr_expect_eq(rd(LCR), save_lcr);
	/* Idle: no interrupt pending, transmitter empty. */
	cr_expect_eq(rd(IIR) & 0x0f, 0x01);
	cr_expect_eq(rd(LSR) & 0x60, 0x60);
}

Test(serial, divisor_latch)
{
	wr(IER, 0x05);
	wr(LCR, 0x83); /* DLAB, 8N1 */
	wr(RBR, 0x0c); /* DLL: 9600 baud */
	wr(IER, 0x00); /* DLM */
	cr_expect_eq(rd(RBR), 0x0c);
	cr_expect_eq(rd(IER), 0x00);
	wr(IER, 0x01);
	cr_expect_eq(rd(IER), 0x01, "DLM");
	cr_expect_eq(rd(LCR), 0x83);
	wr(LCR, 0x03);
	cr_expect_eq(rd(IER), 0x05, "IER unchanged by DLM writes");
	cr_expect_eq(s.tx_bytes, 0, "divisor writes were transmitted");
	wr(LCR, 0x83);
	cr_expect_eq(rd(RBR), 0x0c, "DLL kept");
	cr_expect_eq(rd(IER), 0x01, "DLM kept");
	wr(LCR, 0x03);
}

Test(serial, thre_interrupt)
{
	cr_expect_not(s.irq_level);
	wr(IER, 0x02); /* enabling THRI with the holding register empty raises it */
	cr_expect(s.irq_level);
	cr_expect_eq(rd(IIR) & 0x0f, 0x02);
	/* Reading IIR acknowledged it. */
	cr_expect_eq(rd(IIR) & 0x0f, 0x01);
	cr_expect_not(s.irq_level);
	/* Each transmitted byte raises it again. */
	wr(THR, 'x');
	cr_expect_eq(s.tx_bytes, 1);
	cr_expect(s.irq_level);
	cr_expect_eq(rd(IIR) & 0x0f, 0x02);
	cr_expect_not(s.irq_level);
	/* Re-enabling while enabled does not raise it; disabling lowers the line. */
	wr(IER, 0x02);
	cr_expect_not(s.irq_level);
	wr(THR, 'y');
	cr_expect(s.irq_level);
	wr(IER, 0x00);
	cr_expect_not(s.irq_level);
	cr_expect_eq(rd(IIR) & 0x0f, 0x01);
	/* Enabling it again with THR empty raises it again. */
	wr(IER, 0x02);
	cr_expect(s.irq_level);
	wr(IER, 0x00);
}

Test(serial, rx_fifo_and_overrun)
{
	uint8_t in[SERIAL_FIFO_SIZE + 1];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('a' + i);
	/* Without the FIFO the UART holds one byte. */
	cr_expect_eq(serial_can_accept(&s), 1);
	wr(FCR, 0x07); /* enable, clear both FIFOs */
	wr(IER, 0x05); /* RDI and RLSI */
	cr_expect_eq(serial_can_accept(&s), SERIAL_FIFO_SIZE);
	cr_expect_eq(rd(LSR) & 0x01, 0);
	cr_expect_not(s.irq_level);
	serial_receive(&s, in, SERIAL_FIFO_SIZE);
	cr_expect_eq(serial_can_accept(&s), 0);
	cr_expect(s.irq_level);
	cr_expect_eq(rd(IIR), 0xc4, "received data available, FIFO on");
	/* One byte more overruns: kept out, flagged in LSR once, counted. */
	serial_receive(&s, in + SERIAL_FIFO_SIZE, 1);
	cr_expect_eq(s.rx_overruns, 1);
	cr_expect_eq(rd(IIR), 0xc6, "line status outranks data");
	cr_expect_eq(rd(LSR) & 0x03, 0x03, "DR and OE");
	cr_expect_eq(rd(LSR) & 0x03, 0x01, "OE clears on read");
	cr_expect_eq(rd(IIR), 0xc4);
	for (unsigned i = 0; i < SERIAL_FIFO_SIZE; i++) {
		cr_expect_eq(rd(LSR) & 0x01, 0x01);
		cr_expect_eq(rd(RBR), 'a' + i, "byte %u out of order", i);
	}
	cr_expect_eq(rd(LSR) & 0x01, 0);
	cr_expect_eq(rd(RBR), 0, "empty FIFO reads 0");
	cr_expect_not(s.irq_level);
	cr_expect_eq(rd(IIR), 0xc1);
	cr_expect_eq(s.rx_bytes, SERIAL_FIFO_SIZE);

	/* Flow control: a full UART asked for room wants input again after a read. */
	serial_receive(&s, in, SERIAL_FIFO_SIZE);
	cr_expect_eq(serial_can_accept(&s), 0);
	cr_expect(s.rx_wanted);
	(void)rd(RBR);
	cr_expect_not(s.rx_wanted);
	cr_expect_eq(serial_can_accept(&s), 1);
	/* Clearing the receive FIFO empties it. */
	wr(FCR, 0x03);
	cr_expect_eq(serial_can_accept(&s), SERIAL_FIFO_SIZE);
	cr_expect_eq(rd(LSR) & 0x01, 0);
	wr(IER, 0);
}

Test(serial, loopback_data)
{
	wr(FCR, 0x01);
	wr(MCR, 0x1a);
	cr_expect_eq(serial_can_accept(&s), 0, "outside input reaches a looped-back UART");
	wr(THR, 0x42);
	wr(THR, 0x43);
	cr_expect_eq(rd(LSR) & 0x01, 0x01);
	cr_expect_eq(rd(RBR), 0x42);
	cr_expect_eq(rd(RBR), 0x43);
	cr_expect_eq(rd(LSR) & 0x01, 0);
	wr(MCR, 0x08);
	cr_expect_eq(serial_can_accept(&s), SERIAL_FIFO_SIZE);
}

Test(serial, modem_status_delta)
{
	wr(MCR, 0x10); /* loopback, RTS low: CTS low */
	(void)rd(MSR);
	wr(MCR, 0x12); /* RTS high: CTS rises */
	cr_expect_eq(rd(MSR) & 0x11, 0x11, "CTS and delta-CTS");
	cr_expect_eq(rd(MSR) & 0x01, 0, "delta clears on read");
	wr(IER, 0x08);
	wr(MCR, 0x10);
	cr_expect(s.irq_level, "modem status interrupt");
	cr_expect_eq(rd(IIR) & 0x0f, 0x00);
	(void)rd(MSR);
	cr_expect_not(s.irq_level);
	wr(IER, 0);
	wr(MCR, 0x08);
}
