/* serial.c - 16550A UART model. See serial.h for threads and locking. */
#include <errno.h>
#include <string.h>

#include "core/vm.h"
#include "devices/chardev.h"
#include "devices/serial.h"
#include "util/log.h"

#define UART_RBR     0
#define UART_THR     0
#define UART_IER     1
#define UART_IIR     2
#define UART_FCR     2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7

#define IER_RDI	     0x01
#define IER_THRI     0x02
#define IER_RLSI     0x04
#define IER_MSI	     0x08

#define IIR_NO_INT   0x01
#define IIR_MSI	     0x00
#define IIR_THRI     0x02
#define IIR_RDI	     0x04
#define IIR_RLSI     0x06
#define IIR_FIFO     0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB     0x80

#define MCR_DTR	     0x01
#define MCR_RTS	     0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10

#define LSR_DR	     0x01
#define LSR_OE	     0x02
#define LSR_THRE     0x20
#define LSR_TEMT     0x40

#define MSR_DCTS     0x01
#define MSR_CTS	     0x10
#define MSR_DSR	     0x20
#define MSR_RI	     0x40
#define MSR_DCD	     0x80

static uint8_t msr_value(const struct serial *s)
{
	uint8_t v;

	if (s->mcr & MCR_LOOP) {
		/* Loopback wires the modem outputs back to the inputs. */
		v = 0;
		if (s->mcr & MCR_RTS)
			v |= MSR_CTS;
		if (s->mcr & MCR_DTR)
			v |= MSR_DSR;
		if (s->mcr & MCR_OUT1)
			v |= MSR_RI;
		if (s->mcr & MCR_OUT2)
			v |= MSR_DCD;
	} else {
		v = MSR_DCD | MSR_DSR | MSR_CTS; /* a connected line */
	}
	return v | s->msr_delta;
}

static uint8_t iir_value(const struct serial *s)
{
	uint8_t fifo = s->fifo_enabled ? IIR_FIFO : 0;

	if ((s->ier & IER_RLSI) && s->lsr_errors)
		return IIR_RLSI | fifo;
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thre_pending)
		return IIR_THRI | fifo;
	if ((s->ier & IER_MSI) && s->msr_delta)
		return IIR_MSI | fifo;
	return IIR_NO_INT | fifo;
}

/* Recompute the interrupt line; lock held. */
static void update_irq_locked(struct serial *s)
{
	bool level = !(iir_value(s) & IIR_NO_INT);

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->vm && vm_irq_line(s->vm, s->irq, level))
		log_debug("serial: cannot set IRQ %u", s->irq);
}

static void rx_push_locked(struct serial *s, uint8_t ch)
{
	unsigned cap = s->fifo_enabled ? SERIAL_FIFO_SIZE : 1;

	if (s->rx_count >= cap) {
		s->lsr_errors |= LSR_OE;
		s->rx_overruns++;
		return;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = ch;
	s->rx_count++;
	s->rx_bytes++;
}

uint64_t serial_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct serial *s = opaque;
	bool wake_input = false;
	uint8_t v = 0xff;

	(void)vcpu;
	(void)size;
	pthread_mutex_lock(s->lock);
	switch (offset) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
			break;
		}
		v = 0;
		if (s->rx_count) {
			v = s->rx_fifo[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
			s->rx_count--;
			if (s->rx_wanted) {
				s->rx_wanted = false;
				wake_input = true;
			}
		}
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = iir_value(s);
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		if ((v & 0x0f) == IIR_THRI)
			s->thre_pending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | s->lsr_errors | (s->rx_count ? LSR_DR : 0);
		s->lsr_errors = 0;
		break;
	case UART_MSR:
		v = msr_value(s);
		s->msr_delta = 0;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	default:
		break;
	}
	update_irq_locked(s);
	pthread_mutex_unlock(s->lock);
	if (wake_input && s->console)
		chardev_input_ready(s->console);
	return v;
}

void serial_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size)
{
	struct serial *s = opaque;
	uint8_t v = (uint8_t)value;
	bool transmit = false;

	(void)vcpu;
	(void)size;
	pthread_mutex_lock(s->lock);
	switch (offset) {
	case UART_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP)
			rx_push_locked(s, v);
		else
			transmit = true;
		s->tx_bytes++;
		/* Sent at once: the holding register is empty again. */
		s->thre_pending = true;
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling the THR interrupt with THR empty raises it (8250 behaviour). */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thre_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->fifo_enabled = v & FCR_ENABLE;
		if (v & FCR_CLEAR_RX) {
			s->rx_count = 0;
			s->rx_head = 0;
		}
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR: {
		uint8_t old = msr_value(s);

		s->mcr = v & 0x1f;
		if ((old ^ msr_value(s)) & MSR_CTS)
			s->msr_delta |= MSR_DCTS;
		break;
	}
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
	update_irq_locked(s);
	pthread_mutex_unlock(s->lock);
	if (transmit && s->console)
		chardev_write(s->console, &v, 1);
}

size_t serial_can_accept(void *opaque)
{
	struct serial *s = opaque;
	size_t room;

	pthread_mutex_lock(s->lock);
	room = (s->fifo_enabled ? SERIAL_FIFO_SIZE : 1) - s->rx_count;
	if (s->mcr & MCR_LOOP)
		room = 0; /* the line is looped back: outside input is not connected */
	if (room == 0)
		s->rx_wanted = true;
	pthread_mutex_unlock(s->lock);
	return room;
}

void serial_receive(void *opaque, const uint8_t *buf, size_t n)
{
	struct serial *s = opaque;

	pthread_mutex_lock(s->lock);
	for (size_t i = 0; i < n; i++)
		rx_push_locked(s, buf[i]);
	update_irq_locked(s);
	pthread_mutex_unlock(s->lock);
}

static const struct as_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
	.min_access = 1,
	.max_access = 1,
};

int serial_init(struct serial *s, struct vm *vm, struct chardev *console, uint16_t base,
		uint32_t irq, pthread_mutex_t *big_lock)
{
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->console = console;
	s->base = base;
	s->irq = irq;
	pthread_mutex_init(&s->own_lock, NULL);
	s->lock = big_lock ? big_lock : &s->own_lock;
	s->mcr = MCR_OUT2;
	if (!vm)
		return 0;
	/* No dispatch lock: the UART locks itself so console output happens unlocked. */
	return as_register(&vm->pio, base, 8, &serial_ops, s, NULL, "serial");
}

void serial_destroy(struct serial *s)
{
	if (s->vm && as_unregister(&s->vm->pio, s->base))
		log_debug("serial: not registered");
	pthread_mutex_destroy(&s->own_lock);
}
