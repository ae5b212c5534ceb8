/* churn.c - a thread that replaces the maps at a fixed rate. See churn.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/vm.h"
#include "devices/churn.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

/* Inside the micro-guest MMIO hole, away from every device; 2 MiB above 64 GiB for RAM. */
#define CHURN_MMIO_BASE 0xd7000000ULL
#define CHURN_RAM_BASE	(0x1000000000ULL + 0x200000ULL)
#define CHURN_RAM_SIZE	0x200000ULL

static uint64_t churn_read(void *o, struct vcpu *v, uint64_t off, unsigned size)
{
	(void)o;
	(void)v;
	(void)off;
	(void)size;
	return 0;
}

static const struct as_ops churn_ops = { .read = churn_read };

int churn_parse(const char *spec, uint64_t *hz, enum churn_target *target, struct errbuf *err)
{
	struct opts o;
	const char *v;
	int ret = -EINVAL;

	if (opts_parse(&o, spec, "hz"))
		return errbuf_set(err, -EINVAL, "--map-churn: cannot parse '%s'", spec);
	v = opts_get(&o, "hz");
	if (!v || parse_u64(v, hz) || *hz > 1000000) {
		errbuf_set(err, ret, "--map-churn: '%s' is not a rate in 0..1000000 Hz",
			   v ? v : "");
		goto out;
	}
	*target = CHURN_MMIO;
	if ((v = opts_get(&o, "target"))) {
		if (strcmp(v, "ram") == 0)
			*target = CHURN_RAM;
		else if (strcmp(v, "mmio")) {
			errbuf_set(err, ret, "--map-churn: target=%s: expected mmio or ram", v);
			goto out;
		}
	}
	if ((v = opts_unused(&o))) {
		errbuf_set(err, ret, "--map-churn: unknown option '%s'", v);
		goto out;
	}
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { (time_t)(t_ns / NSEC_PER_SEC), (long)(t_ns % NSEC_PER_SEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	uint64_t period = NSEC_PER_SEC / c->hz, next = now_ns();

	c->start_ns = next;
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		int ret;

		if (c->target == CHURN_MMIO)
			ret = as_register(&c->vm->mmio, CHURN_MMIO_BASE, 4096, &churn_ops, NULL,
					  NULL, "churn");
		else
			ret = memmap_add_ram(&c->vm->mem, CHURN_RAM_BASE, CHURN_RAM_SIZE, "churn",
					     0, NULL);
		next += period / 2;
		sleep_until(next);
		if (!ret)
			ret = c->target == CHURN_MMIO ?
				      as_unregister_nowait(&c->vm->mmio, CHURN_MMIO_BASE) :
				      memmap_remove(&c->vm->mem, CHURN_RAM_BASE);
		if (ret)
			stat_inc(&c->errors);
		else
			stat_inc(&c->cycles);
		next += period - period / 2;
		/* Behind schedule (updates slower than the period): do not try to catch up. */
		if (now_ns() > next)
			next = now_ns();
		sleep_until(next);
	}
	c->stop_ns = now_ns();
	return NULL;
}

int churn_start(struct churn *c, struct vm *vm, uint64_t hz, enum churn_target t)
{
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->hz = hz;
	c->target = t;
	if (!hz)
		return 0;
	return thread_spawn(&c->thread, "churn", NULL, false, churn_main, c);
}

void churn_stop(struct churn *c)
{
	if (!c->hz)
		return;
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	thread_join(&c->thread, NULL);
	c->hz = 0;
}

double churn_rate(const struct churn *c)
{
	uint64_t dt = c->stop_ns > c->start_ns ? c->stop_ns - c->start_ns : 0;

	return dt ? (double)__atomic_load_n(&c->cycles, __ATOMIC_RELAXED) * 1e9 / (double)dt : 0;
}
