/* acpi_pm.c - ACPI sleep control/status and reset registers. vCPU threads, under the lock. */
#include <string.h>

#include "core/acpi.h"
#include "core/vm.h"
#include "devices/acpi_pm.h"
#include "util/log.h"

uint64_t acpi_pm_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct acpi_pm *pm = opaque;

	(void)vcpu;
	(void)size;
	if (offset == ACPI_PM_SLEEP_STS)
		return pm->sleep_status;
	return 0;
}

void acpi_pm_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = (uint8_t)value;

	(void)vcpu;
	(void)size;
	switch (offset) {
	case ACPI_PM_SLEEP_CTL:
		if (!(v & ACPI_SLP_EN))
			break;
		if (((v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT) == ACPI_S5_SLP_TYP) {
			pm->poweroffs++;
			if (pm->vm)
				vm_request_stop(pm->vm, VM_STOP_POWEROFF, 0);
			return;
		}
		pm->ignored++;
		log_guest("acpi-pm: sleep state %u requested, only S5 (poweroff) exists",
			  (v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT);
		return;
	case ACPI_PM_SLEEP_STS:
		pm->sleep_status &= (uint8_t) ~(v & ACPI_WAK_STS);
		return;
	case ACPI_PM_RESET:
		if (v == ACPI_RESET_VALUE) {
			pm->resets++;
			if (pm->vm)
				vm_request_stop(pm->vm, VM_STOP_RESET, 0);
			return;
		}
		break;
	default:
		break;
	}
	pm->ignored++;
}

static const struct as_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
	.min_access = 1,
	.max_access = 1,
};

int acpi_pm_init(struct acpi_pm *pm, struct vm *vm, uint16_t port, pthread_mutex_t *big_lock)
{
	memset(pm, 0, sizeof(*pm));
	pm->vm = vm;
	pm->port = port;
	pthread_mutex_init(&pm->own_lock, NULL);
	if (!vm)
		return 0;
	return as_register(&vm->pio, port, ACPI_PM_SIZE, &acpi_pm_ops, pm,
			   big_lock ? big_lock : &pm->own_lock, "acpi-pm");
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (pm->vm && as_unregister(&pm->vm->pio, pm->port))
		log_debug("acpi-pm: not registered");
	pthread_mutex_destroy(&pm->own_lock);
}
