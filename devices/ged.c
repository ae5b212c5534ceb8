/*
 * ged.c - the ACPI Generic Event Device's event selector and interrupt line (ged.h). vCPU
 * threads read the register under `lock` (the dispatch takes it); ged_raise runs on the main
 * thread (or any other) and takes it itself.
 */
#include <errno.h>
#include <string.h>

#include "core/acpi.h"
#include "core/vm.h"
#include "devices/ged.h"
#include "util/log.h"

/* Bring the line to `pending != 0`; lock held. */
static int update_irq_locked(struct ged *g)
{
	bool level = g->pending != 0;
	int ret;

	if (level == g->irq_level)
		return 0;
	if (g->vm) {
		ret = vm_irq_line(g->vm, g->gsi, level);
		if (ret) {
			g->irq_errors++;
			return ret;
		}
	}
	g->irq_level = level;
	return 0;
}

uint64_t ged_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct ged *g = opaque;
	uint32_t v;

	(void)vcpu;
	if (offset != ACPI_GED_EVT_SEL || size != 4) {
		/* A partial read must not clear events the guest never saw. */
		g->bad_reads++;
		log_guest("ged: %u-byte read at offset %llu: only a 4-byte read at 0 exists", size,
			  (unsigned long long)offset);
		return 0;
	}
	v = g->pending;
	g->pending = 0;
	g->reads++;
	if (v)
		g->delivered++;
	if (update_irq_locked(g))
		log_debug("ged: cannot lower GSI %u", g->gsi);
	return v;
}

void ged_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size)
{
	struct ged *g = opaque;

	(void)vcpu;
	(void)value;
	g->bad_writes++;
	log_guest("ged: %u-byte write at offset %llu: the event selector is read-only", size,
		  (unsigned long long)offset);
}

int ged_raise(struct ged *g, uint32_t events)
{
	int ret;

	if (!events || (events & ~ACPI_GED_EVT_MASK))
		return -EINVAL;
	pthread_mutex_lock(g->lock);
	g->pending |= events;
	g->raised++;
	ret = update_irq_locked(g);
	pthread_mutex_unlock(g->lock);
	return ret;
}

/* Any width the CPU can do: the handlers judge each access themselves and count the bad ones. */
static const struct as_ops ged_ops = {
	.read = ged_read,
	.write = ged_write,
	.min_access = 1,
	.max_access = 4,
};

int ged_init(struct ged *g, struct vm *vm, uint16_t port, uint32_t gsi, pthread_mutex_t *big_lock)
{
	memset(g, 0, sizeof(*g));
	g->vm = vm;
	g->port = port;
	g->gsi = gsi;
	pthread_mutex_init(&g->own_lock, NULL);
	g->lock = big_lock ? big_lock : &g->own_lock;
	if (!vm)
		return 0;
	return as_register(&vm->pio, port, ACPI_GED_SIZE, &ged_ops, g, g->lock, "ged");
}

void ged_destroy(struct ged *g)
{
	if (g->vm && as_unregister(&g->vm->pio, g->port))
		log_debug("ged: not registered");
	pthread_mutex_destroy(&g->own_lock);
}
