/*
 * serial.h - a 16550A UART (COM1: 0x3f8, IRQ 4), interrupt-driven in both directions, with
 * the 16-byte receive FIFO, loopback (Linux's probe uses it) and the scratch register.
 *
 * Threads: register accesses come from vCPU threads (and from any thread through the
 * address space); received bytes come from the main loop. The region is registered without a
 * dispatch lock: the UART takes `lock` itself (its own mutex, or the VM's big lock under the
 * big-lock model) and writes transmitted bytes to the console after releasing it, so a slow
 * console never holds the lock. Fields marked [L] are under `lock`.
 */
#ifndef STRAND_DEVICES_SERIAL_H
#define STRAND_DEVICES_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;
struct chardev;
struct vcpu;

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ	 4
#define SERIAL_FIFO_SIZE 16

struct serial {
	struct vm *vm;
	struct chardev *console;
	uint16_t base;
	uint32_t irq;
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock; /* &own_lock or the big lock */

	uint8_t rx_fifo[SERIAL_FIFO_SIZE]; /* [L] */
	unsigned rx_head, rx_count;	   /* [L] */
	bool rx_wanted;			   /* [L] console input paused waiting for room */
	uint8_t ier, lcr, mcr, lsr_errors, msr_delta, scr, dll, dlm; /* [L] */
	bool fifo_enabled;					     /* [L] */
	bool thre_pending;			  /* [L] THR-empty interrupt not yet acknowledged */
	bool irq_level;				  /* [L] last level given to the irqchip */
	uint64_t tx_bytes, rx_bytes, rx_overruns; /* [L] */
};

/* Register at base on vm->pio; big_lock NULL gives the UART its own lock. */
int __must_check serial_init(struct serial *s, struct vm *vm, struct chardev *console,
			     uint16_t base, uint32_t irq, pthread_mutex_t *big_lock);
void serial_destroy(struct serial *s);

/* Console input: bytes the UART can accept now, and delivery. Main loop thread. */
size_t serial_can_accept(void *opaque);
void serial_receive(void *opaque, const uint8_t *buf, size_t n);

/* Register-level access for unit tests (what a PIO handler does). */
uint64_t serial_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size);
void serial_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size);

#endif
