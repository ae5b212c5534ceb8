/*
 * ged.h - the ACPI Generic Event Device behind the power button of Linux guests (hardware-
 * reduced ACPI has no SCI: events arrive as a GED interrupt; core/acpi.h describes the DSDT
 * side, "The Generic Event Device"). One 32-bit event-selector register at ACPI_GED_EVT_SEL in
 * I/O space and a level-triggered, active-high interrupt line on the in-kernel IOAPIC.
 *
 * Register semantics, which the DSDT's _EVT relies on:
 *   - ged_raise() ORs event bits (ACPI_GED_EVT_*) into the pending set and asserts the line;
 *   - a 4-byte read at offset ACPI_GED_EVT_SEL returns the pending set and clears it, and the
 *     line drops with it: _EVT reads once and acts on every bit it got. An event raised after
 *     that read asserts the line again, so none is lost and none is seen twice;
 *   - anything else (other widths or offsets, every write) changes nothing: reads return 0,
 *     writes are dropped; both are counted (bad_reads, bad_writes) and logged rate-limited.
 * A press before the guest's GED and button drivers are up stays pending (the line stays
 * asserted, the IOAPIC pin masked); Linux then runs _EVT when it enables the interrupt, and
 * ACPICA drops the Notify if no button driver has bound yet, as a press at that point on real
 * hardware is lost.
 *
 * Threads: register accesses from vCPU threads (the PIO dispatch takes `lock`); ged_raise
 * from the main thread (QMP system_powerdown) or any other thread, taking `lock` itself.
 * Fields marked [L] are under `lock`: the device's own mutex, or the VM's big lock under the
 * big-lock model. The interrupt line is set with `lock` held (KVM_IRQ_LINE, no other lock), so
 * the line always follows `pending` in order.
 */
#ifndef STRAND_DEVICES_GED_H
#define STRAND_DEVICES_GED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;
struct vcpu;

struct ged {
	struct vm *vm; /* NULL in unit tests: the line level is only recorded */
	uint16_t port;
	uint32_t gsi;
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock; /* &own_lock or the big lock; the PIO dispatch takes it */

	uint32_t pending;		/* [L] ACPI_GED_EVT_* bits the guest has not read yet */
	bool irq_level;			/* [L] the level last given to the irqchip */
	uint64_t raised;		/* [L] ged_raise calls that added events */
	uint64_t reads;			/* [L] event-selector reads */
	uint64_t delivered;		/* [L] of those, the reads that returned events */
	uint64_t bad_reads, bad_writes; /* [L] accesses the register does not have */
	uint64_t irq_errors;		/* [L] KVM_IRQ_LINE failures */
};

/* Register the ACPI_GED_SIZE ports at `port` on vm->pio (vm NULL: nothing registered). */
int __must_check ged_init(struct ged *g, struct vm *vm, uint16_t port, uint32_t gsi,
			  pthread_mutex_t *big_lock);
void ged_destroy(struct ged *g);

/*
 * Raise events (ACPI_GED_EVT_* bits): added to the pending set, the line asserted. Any thread
 * not holding `lock`. Returns 0, -EINVAL for no or unknown bits, or the irqchip's error (the
 * events stay pending).
 */
int __must_check ged_raise(struct ged *g, uint32_t events);

/* The PIO handlers (what a vCPU's access does; unit tests call them directly). [L] held. */
uint64_t ged_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size);
void ged_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size);

#endif
