/*
 * acpi_pm.h - the hardware-reduced ACPI power-management registers (core/acpi.h describes
 * them in the FADT): sleep control (writing SLP_TYP = S5 with SLP_EN powers the VM off, ending
 * it with VM_STOP_POWEROFF), sleep status (WAK_STS, write 1 to clear) and the reset register
 * (ACPI_RESET_VALUE ends the VM with VM_STOP_RESET). Other sleep states are not declared in the
 * DSDT, so a guest never asks for them; such writes are counted and ignored.
 *
 * Threads: vCPU threads, under `lock` (own or big lock) taken by the dispatch.
 */
#ifndef STRAND_DEVICES_ACPI_PM_H
#define STRAND_DEVICES_ACPI_PM_H

#include <pthread.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;
struct vcpu;

struct acpi_pm {
	struct vm *vm; /* NULL in unit tests: requests are only counted */
	uint16_t port;
	pthread_mutex_t own_lock;
	uint8_t sleep_status; /* [lock] */
	uint64_t poweroffs;   /* [lock] S5 requests */
	uint64_t resets;      /* [lock] */
	uint64_t ignored;     /* [lock] writes that asked for nothing we do */
};

/* Register the ACPI_PM_SIZE ports at `port` on vm->pio (vm may be NULL: not registered). */
int __must_check acpi_pm_init(struct acpi_pm *pm, struct vm *vm, uint16_t port,
			      pthread_mutex_t *big_lock);
void acpi_pm_destroy(struct acpi_pm *pm);

uint64_t acpi_pm_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size);
void acpi_pm_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size);

#endif
