/*
 * uart-echo - the serial console from the guest's side: vCPU 0 says "uart-echo: ready" on the
 * 16550A, then echoes what it receives there in upper case (so an echo is told apart from the
 * terminal's own), until duration_ms has passed or the power button is pressed. With
 * flood_kb=N it instead prints N KiB of lines as fast as it can, then "uart-echo: flood done",
 * and ends: a console nobody reads must not hold it up. The UART is polled (every 2 ms).
 */
#include "core/guest/guest.h"

SG_ARGS(SG_ARG_U64("duration_ms", 60000, 1, 3600000, "how long to echo (ms)"),
	SG_ARG_U64("flood_kb", 0, 0, 1048576, "print this many KiB, then end (0: echo)"));

#define COM1	 0x3f8
#define UART_LSR 5
#define UART_FCR 2
#define LSR_DR	 0x01
#define LSR_THRE 0x20

static void uart_putc(char ch)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		cpu_relax();
	outb(COM1, (uint8_t)ch);
}

static void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

int guest_main(unsigned cpu)
{
	uint64_t kb = sg_arg_u64("flood_kb");
	uint64_t end = rdtsc() + sg_ns_to_tsc(sg_arg_u64("duration_ms") * 1000000);

	if (cpu)
		return 0;
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, both cleared */
	uart_puts("uart-echo: ready\n");
	if (kb) {
		static char line[1024];

		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\n';
		/* Through the host call: one exit per KiB, so a flood is quick. */
		for (uint64_t i = 0; i < kb; i++)
			sg_print(line, sizeof(line));
		uart_puts("uart-echo: flood done\n");
		return 0;
	}
	while (rdtsc() < end && !sg_powerdown_requested()) {
		while (inb(COM1 + UART_LSR) & LSR_DR) {
			char ch = (char)inb(COM1);

			uart_putc(ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch);
		}
		sg_delay_ns(2000000);
	}
	return 0;
}
