/* storm.c - storm and window test devices. See storm.h for threads and locks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest/abi.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/storm.h"
#include "util/clock.h"
#include "util/log.h"

static void spend(uint64_t ns)
{
	uint64_t end;

	if (!ns)
		return;
	end = now_ns() + ns;
	while (now_ns() < end)
		__asm__ volatile("pause" ::: "memory");
}

static uint64_t storm_read(void *opaque, struct vcpu *vcpu, uint64_t off, unsigned size)
{
	struct storm_dev *d = opaque;
	uint64_t v = 0;

	(void)vcpu;
	(void)size;
	switch (off) {
	case SG_STORM_CLOCK:
		/* Read-mostly: no lock in the device model (the big lock, if any, is held). */
		return now_ns();
	case SG_STORM_DATA:
		if (!d->storm->big)
			pthread_mutex_lock(&d->own_lock);
		v = d->data;
		if (!d->storm->big)
			pthread_mutex_unlock(&d->own_lock);
		return v;
	case SG_STORM_WORK_NS:
		return __atomic_load_n(&d->work_ns, __ATOMIC_RELAXED);
	case SG_STORM_HITS:
		return __atomic_load_n(&d->hits, __ATOMIC_RELAXED);
	default:
		return 0;
	}
}

static void storm_write(void *opaque, struct vcpu *vcpu, uint64_t off, uint64_t val, unsigned size)
{
	struct storm_dev *d = opaque;

	(void)vcpu;
	(void)size;
	switch (off) {
	case SG_STORM_DATA:
		if (!d->storm->big)
			pthread_mutex_lock(&d->own_lock);
		d->data = val;
		spend(__atomic_load_n(&d->work_ns, __ATOMIC_RELAXED));
		if (!d->storm->big)
			pthread_mutex_unlock(&d->own_lock);
		stat_inc(&d->hits);
		break;
	case SG_STORM_WORK_NS:
		/* Bounded: a guest must not make a handler spin for seconds. */
		__atomic_store_n(&d->work_ns, MIN(val, 1000000ULL), __ATOMIC_RELAXED);
		break;
	default:
		break;
	}
}

static const struct as_ops storm_ops = {
	.read = storm_read,
	.write = storm_write,
	.min_access = 4,
	.max_access = 8,
};

/* ---- the window ---- */

static uint64_t window_read(void *opaque, struct vcpu *vcpu, uint64_t off, unsigned size)
{
	struct storm *s = opaque;

	(void)vcpu;
	(void)size;
	if (off == SG_WINDOW_SIG)
		return SG_WINDOW_SIGNATURE;
	if (off == SG_WINDOW_COUNTER)
		return __atomic_load_n(&s->window_counter, __ATOMIC_RELAXED);
	return 0;
}

static void window_write(void *opaque, struct vcpu *vcpu, uint64_t off, uint64_t val, unsigned size)
{
	struct storm *s = opaque;

	(void)vcpu;
	(void)size;
	if (off == SG_WINDOW_COUNTER)
		__atomic_fetch_add(&s->window_counter, val, __ATOMIC_RELAXED);
}

static const struct as_ops window_ops = {
	.read = window_read,
	.write = window_write,
	.min_access = 4,
	.max_access = 8,
};

/* After the dispatch: move the window (an address-space writer). */
static void window_move(void *arg)
{
	struct storm *s = arg;
	uint64_t from = __atomic_load_n(&s->window_base, __ATOMIC_ACQUIRE);
	uint64_t to = s->pending_move;
	int ret;

	if (to == from)
		return;
	ret = as_move(&s->vm->mmio, from, to);
	if (ret) {
		stat_inc(&s->window_bad_moves);
		log_guest("window: cannot move from %#llx to %#llx: %s", (unsigned long long)from,
			  (unsigned long long)to, strerror(-ret));
		return;
	}
	__atomic_store_n(&s->window_base, to, __ATOMIC_RELEASE);
	stat_inc(&s->window_moves);
}

static uint64_t ctrl_read(void *opaque, struct vcpu *vcpu, uint64_t off, unsigned size)
{
	struct storm *s = opaque;

	(void)vcpu;
	(void)size;
	if (off == SG_WINDOW_CTRL_BASE)
		return __atomic_load_n(&s->window_base, __ATOMIC_ACQUIRE);
	if (off == SG_WINDOW_CTRL_MOVES)
		return __atomic_load_n(&s->window_moves, __ATOMIC_RELAXED);
	return 0;
}

static void ctrl_write(void *opaque, struct vcpu *vcpu, uint64_t off, uint64_t val, unsigned size)
{
	struct storm *s = opaque;

	(void)size;
	if (off != SG_WINDOW_CTRL_MOVE || !vcpu)
		return;
	/* A move target must be a page inside the window area: anything else is refused. */
	if (val % 4096 || val < SG_WINDOW_AREA || val >= SG_WINDOW_AREA + SG_WINDOW_AREA_SIZE) {
		stat_inc(&s->window_bad_moves);
		log_guest("window: refused move to %#llx", (unsigned long long)val);
		return;
	}
	s->pending_move = val;
	if (vcpu_defer(vcpu, window_move, s))
		stat_inc(&s->window_bad_moves);
}

static const struct as_ops ctrl_ops = {
	.read = ctrl_read,
	.write = ctrl_write,
	.min_access = 8,
	.max_access = 8,
};

int storm_init(struct storm *s, struct vm *vm, unsigned n, pthread_mutex_t *big_lock)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->big = big_lock != NULL;
	s->n = n;
	s->dev = calloc(n, sizeof(*s->dev));
	if (!s->dev)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct storm_dev *d = &s->dev[i];

		d->storm = s;
		d->index = i;
		pthread_mutex_init(&d->own_lock, NULL);
		/* The region lock: the big lock, or none (the device locks its DATA itself). */
		ret = as_register(&vm->mmio, SG_STORM_BASE + 4096ULL * i, 4096, &storm_ops, d,
				  big_lock, "storm");
		if (ret)
			return ret;
	}
	s->window_base = SG_WINDOW_AREA;
	ret = as_register(&vm->mmio, SG_WINDOW_AREA, 4096, &window_ops, s, big_lock, "window");
	if (!ret)
		ret = as_register(&vm->mmio, SG_WINDOW_CTRL, 4096, &ctrl_ops, s, big_lock,
				  "window-ctrl");
	return ret;
}

void storm_destroy(struct storm *s)
{
	if (!s->dev)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		if (as_unregister(&s->vm->mmio, SG_STORM_BASE + 4096ULL * i))
			log_debug("storm%u: not registered", i);
		pthread_mutex_destroy(&s->dev[i].own_lock);
	}
	if (as_unregister(&s->vm->mmio, __atomic_load_n(&s->window_base, __ATOMIC_RELAXED)) ||
	    as_unregister(&s->vm->mmio, SG_WINDOW_CTRL))
		log_debug("window: not registered");
	free(s->dev);
	s->dev = NULL;
}
