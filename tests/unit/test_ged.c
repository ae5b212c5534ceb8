/*
 * test_ged.c - the Generic Event Device's register semantics (devices/ged.h), without KVM:
 * ged_raise sets events and asserts the (recorded) line; a 4-byte read at offset 0 returns and
 * clears them and drops the line; every other access changes nothing and is counted; raises
 * racing reads from another thread keep the line in step with the pending set.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "core/acpi.h"
#include "devices/ged.h"

static uint64_t sel_read(struct ged *g, uint64_t offset, unsigned size)
{
	uint64_t v;

	/* As the PIO dispatch does: the handler runs under the device's lock. */
	pthread_mutex_lock(g->lock);
	v = ged_read(g, NULL, offset, size);
	pthread_mutex_unlock(g->lock);
	return v;
}

Test(ged, raise_read_clears_and_drops_the_line)
{
	struct ged g;

	cr_assert_eq(ged_init(&g, NULL, ACPI_GED_DEFAULT_PORT, ACPI_GED_GSI, NULL), 0);
	cr_assert_eq(g.lock, &g.own_lock);
	cr_assert_eq(sel_read(&g, ACPI_GED_EVT_SEL, 4), 0, "nothing pending at start");
	cr_assert_not(g.irq_level);

	cr_assert_eq(ged_raise(&g, ACPI_GED_EVT_PWRBTN), 0);
	cr_assert(g.irq_level, "a pending event asserts the line");
	cr_assert_eq(sel_read(&g, ACPI_GED_EVT_SEL, 4), ACPI_GED_EVT_PWRBTN);
	cr_assert_not(g.irq_level, "the read clears the events and drops the line");
	cr_assert_eq(sel_read(&g, ACPI_GED_EVT_SEL, 4), 0, "an event is seen once");

	/* Two presses before the guest looks: one event, the line asserted throughout. */
	cr_assert_eq(ged_raise(&g, ACPI_GED_EVT_PWRBTN), 0);
	cr_assert_eq(ged_raise(&g, ACPI_GED_EVT_PWRBTN), 0);
	cr_assert(g.irq_level);
	cr_assert_eq(sel_read(&g, ACPI_GED_EVT_SEL, 4), ACPI_GED_EVT_PWRBTN);
	cr_assert_not(g.irq_level);
	cr_assert_eq(g.raised, 3);
	cr_assert_eq(g.reads, 4);
	cr_assert_eq(g.delivered, 2);
	cr_assert_eq(g.bad_reads + g.bad_writes, 0);
	ged_destroy(&g);
}

Test(ged, unknown_events_are_refused)
{
	struct ged g;

	cr_assert_eq(ged_init(&g, NULL, ACPI_GED_DEFAULT_PORT, ACPI_GED_GSI, NULL), 0);
	cr_assert_eq(ged_raise(&g, 0), -EINVAL);
	cr_assert_eq(ged_raise(&g, 1u << 5), -EINVAL);
	cr_assert_eq(ged_raise(&g, ACPI_GED_EVT_PWRBTN | (1u << 31)), -EINVAL);
	cr_assert_eq(g.pending, 0);
	cr_assert_not(g.irq_level);
	cr_assert_eq(g.raised, 0);
	ged_destroy(&g);
}

/* The guest is hostile: no other width, offset or any write may clear or set anything. */
Test(ged, other_accesses_change_nothing)
{
	static const struct {
		uint64_t offset;
		unsigned size;
	} bad[] = { { 0, 1 }, { 0, 2 }, { 0, 8 }, { 1, 1 },	     { 1, 4 }, { 2, 2 },
		    { 3, 1 }, { 3, 4 }, { 4, 4 }, { UINT64_MAX, 4 }, { 0, 0 }, { 0, 3 } };
	struct ged g;
	pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER;

	cr_assert_eq(ged_init(&g, NULL, ACPI_GED_DEFAULT_PORT, ACPI_GED_GSI, &big), 0);
	cr_assert_eq(g.lock, &big, "the big lock under the big-lock model");
	cr_assert_eq(ged_raise(&g, ACPI_GED_EVT_PWRBTN), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(sel_read(&g, bad[i].offset, bad[i].size), 0, "read %u", i);
		pthread_mutex_lock(g.lock);
		ged_write(&g, NULL, bad[i].offset, UINT64_MAX, bad[i].size);
		pthread_mutex_unlock(g.lock);
		cr_assert_eq(g.pending, ACPI_GED_EVT_PWRBTN, "access %u changed the events", i);
		cr_assert(g.irq_level, "access %u dropped the line", i);
	}
	/* A write to the selector itself acknowledges nothing either. */
	pthread_mutex_lock(g.lock);
	ged_write(&g, NULL, ACPI_GED_EVT_SEL, ACPI_GED_EVT_PWRBTN, 4);
	pthread_mutex_unlock(g.lock);
	cr_assert_eq(g.pending, ACPI_GED_EVT_PWRBTN);
	cr_assert_eq(g.bad_reads, sizeof(bad) / sizeof(bad[0]));
	cr_assert_eq(g.bad_writes, sizeof(bad) / sizeof(bad[0]) + 1);
	cr_assert_eq(g.reads, 0);
	cr_assert_eq(sel_read(&g, ACPI_GED_EVT_SEL, 4), ACPI_GED_EVT_PWRBTN);
	ged_destroy(&g);
}

#define RACE_PRESSES 20000

static unsigned press_failures; /* written by the presser, read after the join */

static void *presser(void *opaque)
{
	struct ged *g = opaque;

	/* No Criterion assertion off the test's thread: count, and check after the join. */
	for (unsigned i = 0; i < RACE_PRESSES; i++)
		if (ged_raise(g, ACPI_GED_EVT_PWRBTN))
			press_failures++;
	return NULL;
}

/* Presses from one thread, selector reads from another (a vCPU): the line follows the events. */
Test(ged, raises_racing_reads)
{
	struct ged g;
	pthread_t t;
	uint64_t seen = 0;

	cr_assert_eq(ged_init(&g, NULL, ACPI_GED_DEFAULT_PORT, ACPI_GED_GSI, NULL), 0);
	cr_assert_eq(pthread_create(&t, NULL, presser, &g), 0);
	for (unsigned i = 0; i < RACE_PRESSES; i++) {
		pthread_mutex_lock(g.lock);
		if (ged_read(&g, NULL, ACPI_GED_EVT_SEL, 4))
			seen++;
		cr_assert_eq(g.irq_level, false, "line up with nothing pending");
		pthread_mutex_unlock(g.lock);
	}
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(press_failures, 0);
	cr_assert_eq(g.irq_level, g.pending != 0);
	if (sel_read(&g, ACPI_GED_EVT_SEL, 4))
		seen++;
	cr_assert_geq(seen, 1);
	cr_assert_leq(seen, RACE_PRESSES, "more events seen than presses");
	cr_assert_eq(g.delivered, seen);
	cr_assert_eq(g.raised, RACE_PRESSES);
	cr_assert_not(g.irq_level);
	ged_destroy(&g);
}
