/*
 * test_addrspace.c - PIO/MMIO address spaces (core/addrspace.h): registration rules, lookup
 * edges, moves, dispatch (access sizes, region end, unassigned counters, region lock), and
 * readers dispatching while a writer registers, moves and unregisters regions under each map
 * protection (RCU, rwlock, mutex): no lost or stale lookup once the writer's call returned, no
 * handler after as_unregister returned (the handler's data is freed right after; ASan checks).
 * No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "core/addrspace.h"
#include "sched/thread.h"
#include "util/clock.h"
#include "util/rcu.h"

#define FAKE_VCPU ((struct vcpu *)0x5a5aUL)

struct dev {
	uint64_t magic;
	uint32_t id;
	pthread_mutex_t *expect_locked; /* the region lock the handler must run under */
	uint64_t reads, writes;		/* atomic */
	uint64_t last_offset, last_value;
	unsigned last_size;
	uint64_t lock_errors; /* atomic */
	uint64_t bad_vcpu;    /* atomic */
	bool linger;	      /* reads stay in the handler a while (widens use-after-free races) */
};

#define DEV_MAGIC 0x6465766d61676963ULL

static void check_context(struct dev *d, struct vcpu *vcpu)
{
	if (d->expect_locked && pthread_mutex_trylock(d->expect_locked) != EBUSY)
		__atomic_fetch_add(&d->lock_errors, 1, __ATOMIC_RELAXED);
	if (vcpu != FAKE_VCPU && vcpu != NULL)
		__atomic_fetch_add(&d->bad_vcpu, 1, __ATOMIC_RELAXED);
}

/* Reads return id * 0x100 + offset, so a reader can tell which region answered. */
static uint64_t dev_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct dev *d = opaque;

	(void)size;
	check_context(d, vcpu);
	__atomic_fetch_add(&d->reads, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; d->linger && i < 20; i++) {
		if (__atomic_load_n(&d->magic, __ATOMIC_RELAXED) != DEV_MAGIC)
			return 0xdeadULL;
		sched_yield();
	}
	return d->magic == DEV_MAGIC ? d->id * 0x100ULL + offset : 0xdeadULL;
}

static void dev_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value,
		      unsigned size)
{
	struct dev *d = opaque;

	check_context(d, vcpu);
	__atomic_fetch_add(&d->writes, 1, __ATOMIC_RELAXED);
	/* Several readers write the same region at once in the churn tests. */
	__atomic_store_n(&d->last_offset, offset, __ATOMIC_RELAXED);
	__atomic_store_n(&d->last_value, value, __ATOMIC_RELAXED);
	__atomic_store_n(&d->last_size, size, __ATOMIC_RELAXED);
}

static const struct as_ops any_ops = { .read = dev_read, .write = dev_write };
static const struct as_ops ops_2_4 = { .read = dev_read,
				       .write = dev_write,
				       .min_access = 2,
				       .max_access = 4 };
static const struct as_ops ops_1 = { .read = dev_read,
				     .write = dev_write,
				     .min_access = 1,
				     .max_access = 1 };
static const struct as_ops write_only = { .write = dev_write };

static void dev_init(struct dev *d, uint32_t id)
{
	memset(d, 0, sizeof(*d));
	d->magic = DEV_MAGIC;
	d->id = id;
}

static void setup(void)
{
	rcu_thread_online();
}

static void teardown(void)
{
	rcu_thread_offline();
}

TestSuite(addrspace, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t read32(struct addr_space *as, uint64_t addr, bool *ok)
{
	uint32_t v = 0;

	*ok = as_dispatch(as, FAKE_VCPU, addr, &v, 4, false);
	return v;
}

Test(addrspace, register_rules)
{
	struct addr_space pio, mmio;
	struct dev d;
	static const struct as_ops bad_sizes[] = {
		{ .read = dev_read, .min_access = 3, .max_access = 4 },
		{ .read = dev_read, .min_access = 4, .max_access = 2 },
		{ .read = dev_read, .min_access = 0, .max_access = 4 },
		{ .read = dev_read, .min_access = 1, .max_access = 0 },
		{ .read = dev_read, .min_access = 1, .max_access = 16 },
	};

	dev_init(&d, 1);
	cr_assert_eq(as_init(&pio, "pio", 0x10000, PUBPTR_RCU), 0);
	cr_assert_eq(as_init(&mmio, "mmio", 0, PUBPTR_RCU), 0);

	cr_expect_eq(as_register(&pio, 0x100, 0, &any_ops, &d, NULL, "zero"), -EINVAL);
	cr_expect_eq(as_register(&pio, 0x100, 8, NULL, &d, NULL, "noops"), -EINVAL);
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		cr_expect_eq(as_register(&pio, 0x100, 8, &bad_sizes[i], &d, NULL, "sizes"), -EINVAL,
			     "access sizes %u..%u accepted", bad_sizes[i].min_access,
			     bad_sizes[i].max_access);
	/* The limit: the last port is 0xffff. */
	cr_expect_eq(as_register(&pio, 0xfffc, 4, &any_ops, &d, NULL, "top"), 0);
	cr_expect_eq(as_register(&pio, 0xfffd, 4, &any_ops, &d, NULL, "beyond"), -EINVAL);
	cr_expect_eq(as_register(&pio, 0x10000, 1, &any_ops, &d, NULL, "beyond"), -EINVAL);
	cr_expect_eq(as_register(&pio, 0, 0x10001, &any_ops, &d, NULL, "beyond"), -EINVAL);
	/* No limit (MMIO), but base + size must not wrap. */
	cr_expect_eq(as_register(&mmio, UINT64_MAX - 3, 8, &any_ops, &d, NULL, "wrap"), -EINVAL);
	cr_expect_eq(as_register(&mmio, 8, UINT64_MAX, &any_ops, &d, NULL, "wrap"), -EINVAL);
	cr_expect_eq(as_register(&mmio, UINT64_MAX - 7, 7, &any_ops, &d, NULL, "top"), 0);

	/* Overlap in every arrangement, adjacency on both sides. */
	cr_assert_eq(as_register(&pio, 0x10, 8, &any_ops, &d, NULL, "a"), 0);
	cr_expect_eq(as_register(&pio, 0x10, 8, &any_ops, &d, NULL, "same"), -EEXIST);
	cr_expect_eq(as_register(&pio, 0x17, 2, &any_ops, &d, NULL, "tail"), -EEXIST);
	cr_expect_eq(as_register(&pio, 0x0f, 2, &any_ops, &d, NULL, "head"), -EEXIST);
	cr_expect_eq(as_register(&pio, 0x12, 2, &any_ops, &d, NULL, "inside"), -EEXIST);
	cr_expect_eq(as_register(&pio, 0x00, 0x100, &any_ops, &d, NULL, "around"), -EEXIST);
	cr_expect_eq(as_register(&pio, 0x18, 8, &any_ops, &d, NULL, "after"), 0);
	cr_expect_eq(as_register(&pio, 0x08, 8, &any_ops, &d, NULL, "before"), 0);
	cr_expect_eq(as_register(&pio, 0x12, 2, &any_ops, &d, NULL, "inside"), -EEXIST);

	as_destroy(&pio);
	as_destroy(&mmio);
}

static void expect_sorted(struct addr_space *as, unsigned n)
{
	const struct as_table *t = pubptr_read_begin(&as->pub);

	cr_expect_eq(t->n, n);
	for (unsigned i = 1; i < t->n; i++)
		cr_expect(t->r[i - 1].base + t->r[i - 1].size <= t->r[i].base,
			  "table out of order at %u: 0x%llx then 0x%llx", i,
			  (unsigned long long)t->r[i - 1].base, (unsigned long long)t->r[i].base);
	pubptr_read_end(&as->pub);
}

Test(addrspace, lookup_edges_and_unregister)
{
	const uint64_t bases[] = { 0x500, 0x100, 0x300, 0x200, 0x400 };
	struct addr_space as;
	const struct as_table *t;
	const struct as_region *r;
	struct dev d[5];

	cr_assert_eq(as_init(&as, "mmio", 0, PUBPTR_RCU), 0);
	for (unsigned i = 0; i < 5; i++) {
		dev_init(&d[i], i);
		cr_assert_eq(as_register(&as, bases[i], 0x10, &any_ops, &d[i], NULL, "r"), 0);
	}
	expect_sorted(&as, 5);
	t = pubptr_read_begin(&as.pub);
	for (unsigned i = 0; i < 5; i++) {
		r = as_find_rcu(t, bases[i]);
		cr_assert_not_null(r);
		cr_expect_eq(r->opaque, &d[i]);
		cr_expect_eq(as_find_rcu(t, bases[i] + 0xf), r, "last byte");
		cr_expect_null(as_find_rcu(t, bases[i] + 0x10), "one past the end");
		cr_expect_null(as_find_rcu(t, bases[i] - 1), "one before the base");
	}
	cr_expect_null(as_find_rcu(t, 0));
	cr_expect_null(as_find_rcu(t, UINT64_MAX));
	pubptr_read_end(&as.pub);

	cr_expect_eq(as_unregister(&as, 0x301), -ENOENT, "unregister needs the base");
	cr_expect_eq(as_unregister(&as, 0x300), 0);
	cr_expect_eq(as_unregister(&as, 0x300), -ENOENT);
	expect_sorted(&as, 4);
	t = pubptr_read_begin(&as.pub);
	cr_expect_null(as_find_rcu(t, 0x300));
	cr_expect_null(as_find_rcu(t, 0x30f));
	cr_expect_not_null(as_find_rcu(t, 0x20f));
	cr_expect_not_null(as_find_rcu(t, 0x400));
	pubptr_read_end(&as.pub);
	/* The place is free again. */
	cr_expect_eq(as_register(&as, 0x300, 0x100, &any_ops, &d[2], NULL, "big"), 0);
	cr_expect_eq(as_unregister(&as, 0x100), 0);
	cr_expect_eq(as_unregister(&as, 0x500), 0);
	expect_sorted(&as, 3);
	as_destroy(&as);
}

Test(addrspace, move)
{
	struct addr_space as;
	const struct as_table *t;
	const struct as_region *r;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct dev a, b, c;
	uint64_t gen;
	bool ok;

	dev_init(&a, 1);
	dev_init(&b, 2);
	dev_init(&c, 3);
	cr_assert_eq(as_init(&as, "pio", 0x10000, PUBPTR_RWLOCK), 0);
	cr_assert_eq(as_register(&as, 0x100, 0x10, &any_ops, &a, NULL, "a"), 0);
	cr_assert_eq(as_register(&as, 0x200, 0x10, &ops_2_4, &b, &lock, "b"), 0);
	cr_assert_eq(as_register(&as, 0x300, 0x10, &any_ops, &c, NULL, "c"), 0);

	/* To a free place past another region: order is kept, the region keeps its identity. */
	cr_assert_eq(as_move(&as, 0x200, 0x800), 0);
	expect_sorted(&as, 3);
	t = pubptr_read_begin(&as.pub);
	cr_expect_null(as_find_rcu(t, 0x200));
	r = as_find_rcu(t, 0x80f);
	cr_assert_not_null(r);
	cr_expect_eq(r->base, 0x800);
	cr_expect_eq(r->size, 0x10);
	cr_expect_eq(r->opaque, &b);
	cr_expect_eq(r->ops, &ops_2_4);
	cr_expect_eq(r->lock, &lock);
	cr_expect_str_eq(r->name, "b");
	pubptr_read_end(&as.pub);
	cr_expect_eq(read32(&as, 0x804, &ok), 0x204);
	cr_expect(ok);
	/* Back in front of everything. */
	cr_assert_eq(as_move(&as, 0x800, 0x10), 0);
	expect_sorted(&as, 3);
	cr_expect_eq(read32(&as, 0x10, &ok), 0x200);
	/* Onto itself, partly overlapping its old place. */
	cr_expect_eq(as_move(&as, 0x10, 0x18), 0);
	cr_expect_eq(read32(&as, 0x18, &ok), 0x200);
	cr_expect_eq(as_move(&as, 0x18, 0x18), 0);
	expect_sorted(&as, 3);

	/* Failures leave the table as it was. */
	gen = pubptr_generation(&as.pub);
	cr_expect_eq(as_move(&as, 0x19, 0x900), -ENOENT);
	cr_expect_eq(as_move(&as, 0x18, 0x108), -EEXIST, "onto a");
	cr_expect_eq(as_move(&as, 0x18, 0x2f8), -EEXIST, "onto the head of c");
	cr_expect_eq(as_move(&as, 0x18, 0xfff8), -EINVAL, "past the limit");
	cr_expect_eq(as_move(&as, 0x18, UINT64_MAX - 4), -EINVAL, "wrapping");
	cr_expect_eq(pubptr_generation(&as.pub), gen);
	cr_expect_eq(read32(&as, 0x18, &ok), 0x200);
	cr_expect(ok);
	/* Exactly up to the limit is fine. */
	cr_expect_eq(as_move(&as, 0x18, 0xfff0), 0);
	cr_expect_eq(pubptr_generation(&as.pub), gen + 1);
	expect_sorted(&as, 3);
	cr_expect_eq(read32(&as, 0xfffc, &ok), 0x20c);
	as_destroy(&as);
}

Test(addrspace, dispatch)
{
	struct addr_space as;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct dev a, b, w;
	uint8_t buf[16];
	uint64_t v;

	dev_init(&a, 1);
	dev_init(&b, 2);
	dev_init(&w, 3);
	b.expect_locked = &lock;
	cr_assert_eq(as_init(&as, "mmio", 0, PUBPTR_MUTEX), 0);
	cr_assert_eq(as_register(&as, 0x1000, 0x10, &any_ops, &a, NULL, "a"), 0);
	cr_assert_eq(as_register(&as, 0x2000, 0x10, &ops_2_4, &b, &lock, "b"), 0);
	cr_assert_eq(as_register(&as, 0x3000, 0x4, &write_only, &w, NULL, "w"), 0);

	/* Valid reads and writes of every size, little endian, offset from the base. */
	for (unsigned len = 1; len <= 8; len *= 2) {
		memset(buf, 0x11, sizeof(buf));
		cr_assert(as_dispatch(&as, FAKE_VCPU, 0x1008, buf, len, false));
		v = 0;
		memcpy(&v, buf, len);
		cr_expect_eq(v, (0x108ULL) & (len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1));
		cr_expect_eq(buf[len], 0x11, "read wrote past %u bytes", len);
	}
	memcpy(buf, "\x34\x12\x00\x00", 4);
	cr_expect(as_dispatch(&as, NULL, 0x100e, buf, 2, true));
	cr_expect_eq(a.last_offset, 0xe);
	cr_expect_eq(a.last_value, 0x1234);
	cr_expect_eq(a.last_size, 2);
	cr_expect_eq(a.writes, 1);

	/* Declared sizes 2..4: 1 and 8 are refused, counted, and read all-ones. */
	cr_expect(as_dispatch(&as, FAKE_VCPU, 0x2000, buf, 2, false));
	cr_expect(as_dispatch(&as, FAKE_VCPU, 0x2000, buf, 4, true));
	memset(buf, 0, sizeof(buf));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x2000, buf, 1, false));
	cr_expect_eq(buf[0], 0xff);
	cr_expect_eq(buf[1], 0, "read of 1 byte wrote more");
	memset(buf, 0, sizeof(buf));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x2000, buf, 8, false));
	cr_expect_eq(memcmp(buf, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), 0);
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x2000, buf, 8, true));
	cr_expect_eq(stat_read(&as.bad_access), 3);
	cr_expect_eq(b.reads, 1);
	cr_expect_eq(b.writes, 1);
	cr_expect_eq(b.lock_errors, 0, "handler ran without its region lock");
	cr_expect_eq(pthread_mutex_trylock(&lock), 0, "region lock left held");
	pthread_mutex_unlock(&lock);

	/* Sizes no access can have: 0, 3, 16. */
	memset(buf, 0, sizeof(buf));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x1000, buf, 3, false));
	cr_expect_eq(memcmp(buf, "\xff\xff\xff\x00", 4), 0);
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x1000, buf, 0, false));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x1000, buf, 16, true));
	cr_expect_eq(stat_read(&as.bad_access), 6);

	/* Crossing the end of a region. */
	memset(buf, 0, sizeof(buf));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x100c, buf, 8, false));
	cr_expect_eq(memcmp(buf, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), 0);
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x100f, buf, 2, true));
	cr_expect(as_dispatch(&as, FAKE_VCPU, 0x100e, buf, 2, true), "last two bytes");
	cr_expect_eq(stat_read(&as.bad_access), 8);

	/* Unassigned: reads all-ones, writes dropped, both counted. */
	memset(buf, 0, sizeof(buf));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x1010, buf, 4, false));
	cr_expect_eq(memcmp(buf, "\xff\xff\xff\xff\x00", 5), 0);
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x0fff, buf, 1, false));
	cr_expect_not(as_dispatch(&as, FAKE_VCPU, 0x9999, buf, 2, true));
	cr_expect_eq(stat_read(&as.unassigned_reads), 2);
	cr_expect_eq(stat_read(&as.unassigned_writes), 1);

	/* A region without a read handler reads all-ones but takes the access. */
	memset(buf, 0, sizeof(buf));
	cr_expect(as_dispatch(&as, FAKE_VCPU, 0x3000, buf, 4, false));
	cr_expect_eq(memcmp(buf, "\xff\xff\xff\xff", 4), 0);
	cr_expect_eq(a.bad_vcpu + b.bad_vcpu, 0);
	as_destroy(&as);
}

Test(addrspace, one_byte_region_sizes)
{
	struct addr_space as;
	struct dev d;
	uint8_t buf[8] = { 0 };

	dev_init(&d, 7);
	cr_assert_eq(as_init(&as, "pio", 0x10000, PUBPTR_RCU), 0);
	cr_assert_eq(as_register(&as, 0x60, 5, &ops_1, &d, NULL, "kbd"), 0);
	cr_expect(as_dispatch(&as, NULL, 0x64, buf, 1, false));
	cr_expect_eq(buf[0], 0x04);
	cr_expect_not(as_dispatch(&as, NULL, 0x60, buf, 2, false));
	cr_expect_not(as_dispatch(&as, NULL, 0x60, buf, 4, true));
	cr_expect_eq(stat_read(&as.bad_access), 2);
	as_destroy(&as);
}

/* ---- concurrency ---- */

/*
 * The writer's state, published with a sequence count: odd while an operation is in flight.
 * A reader that saw the same even count before and after its lookups saw exactly this state.
 */
struct churn {
	struct addr_space as;
	struct dev stable, mover;
	uint64_t seq;	   /* atomic */
	uint64_t mover_at; /* atomic */
	bool victim_there; /* atomic */
	bool stop;	   /* atomic */
	/* results, atomic */
	uint64_t judged, lost, stale, wrong, stable_misses;
};

#define STABLE_BASE 0x1000
#define MOVER_A	    0x2000
#define MOVER_B	    0x3000
#define VICTIM_BASE 0x4000
#define NREADERS    3

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	uint64_t iter = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST), s2;
		uint64_t at = __atomic_load_n(&c->mover_at, __ATOMIC_ACQUIRE);
		bool there = __atomic_load_n(&c->victim_there, __ATOMIC_ACQUIRE);
		uint32_t vs = 0, vm = 0, vv = 0;
		bool oks, okm, okv;

		oks = as_dispatch(&c->as, FAKE_VCPU, STABLE_BASE + 4, &vs, 4, false);
		okm = as_dispatch(&c->as, FAKE_VCPU, at + 8, &vm, 4, false);
		okv = as_dispatch(&c->as, FAKE_VCPU, VICTIM_BASE, &vv, 4, (iter & 1) != 0);
		s2 = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
		if (!oks || vs != 0x104)
			__atomic_fetch_add(&c->stable_misses, 1, __ATOMIC_RELAXED);
		if (s1 == s2 && !(s1 & 1)) {
			__atomic_fetch_add(&c->judged, 1, __ATOMIC_RELAXED);
			if (!okm || (there && !okv))
				__atomic_fetch_add(&c->lost, 1, __ATOMIC_RELAXED);
			if (!there && okv)
				__atomic_fetch_add(&c->stale, 1, __ATOMIC_RELAXED);
			if (okm && vm != 0x208)
				__atomic_fetch_add(&c->wrong, 1, __ATOMIC_RELAXED);
		}
		if (okv && !(iter & 1) && vv != 0x300)
			__atomic_fetch_add(&c->wrong, 1, __ATOMIC_RELAXED);
		iter++;
	}
	return NULL;
}

static void churn_run(enum pubptr_mode mode)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct thread readers[NREADERS];
	struct dev *victim = NULL;
	uint64_t deadline = now_ns() + 1500 * NSEC_PER_MSEC, ops = 0;

	cr_assert_not_null(c);
	dev_init(&c->stable, 1);
	dev_init(&c->mover, 2);
	cr_assert_eq(as_init(&c->as, "mmio", 0, mode), 0);
	cr_assert_eq(as_register(&c->as, STABLE_BASE, 0x10, &any_ops, &c->stable, NULL, "stable"),
		     0);
	cr_assert_eq(as_register(&c->as, MOVER_A, 0x10, &any_ops, &c->mover, NULL, "mover"), 0);
	c->mover_at = MOVER_A;
	pubptr_go_live(&c->as.pub);
	for (unsigned i = 0; i < NREADERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "reader%u", i);
		cr_assert_eq(thread_spawn(&readers[i], name, NULL, false, churn_reader, c), 0);
	}
	/* The writer: move, add, remove, for a bounded time (or number of rounds). */
	for (unsigned round = 0; round < 3000 && now_ns() < deadline; round++) {
		uint64_t to = (round & 1) ? MOVER_A : MOVER_B;

		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		cr_assert_eq(as_move(&c->as, (round & 1) ? MOVER_B : MOVER_A, to), 0);
		__atomic_store_n(&c->mover_at, to, __ATOMIC_RELEASE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);

		victim = malloc(sizeof(*victim));
		cr_assert_not_null(victim);
		dev_init(victim, 3);
		victim->linger = true;
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		cr_assert_eq(
			as_register(&c->as, VICTIM_BASE, 0x10, &any_ops, victim, NULL, "victim"),
			0);
		__atomic_store_n(&c->victim_there, true, __ATOMIC_RELEASE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);

		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		cr_assert_eq(as_unregister(&c->as, VICTIM_BASE), 0);
		__atomic_store_n(&c->victim_there, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		/* No handler of the region runs any more: its data can go now. */
		__atomic_store_n(&victim->magic, 0, __ATOMIC_RELAXED);
		free(victim);
		ops += 3;
	}
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < NREADERS; i++)
		thread_join(&readers[i], NULL);
	rcu_drain_deferred();
	cr_log_info("%s: %llu changes, %llu lookups judged", pubptr_mode_name(mode),
		    (unsigned long long)ops, (unsigned long long)c->judged);
	cr_expect_gt(ops, 30, "the writer made only %llu changes", (unsigned long long)ops);
	cr_expect_gt(c->judged, 0, "no reader saw a quiet moment");
	cr_expect_eq(c->stable_misses, 0, "a region that never changed was missed");
	cr_expect_eq(c->lost, 0, "lookups missed a region after the writer returned");
	cr_expect_eq(c->stale, 0, "lookups found a region after as_unregister returned");
	cr_expect_eq(c->wrong, 0, "a lookup reached the wrong handler");
	cr_expect_eq(c->stable.bad_vcpu, 0);
	as_destroy(&c->as);
	free(c);
}

Test(addrspace, churn_rcu)
{
	churn_run(PUBPTR_RCU);
}

Test(addrspace, churn_rwlock)
{
	churn_run(PUBPTR_RWLOCK);
}

Test(addrspace, churn_mutex)
{
	churn_run(PUBPTR_MUTEX);
}
