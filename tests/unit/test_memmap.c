/*
 * test_memmap.c - the guest-RAM map (core/memmap.h) without KVM (vm_fd = -1): adding and
 * removing regions, the one checked accessor memmap_hva_rcu at every edge (overflow, region
 * end, two adjacent regions, read-only), string reads, slots, DMA holding a removed region,
 * and regions removed while reader threads copy from them under each map protection.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/memmap.h"
#include "sched/thread.h"
#include "util/clock.h"
#include "util/rcu.h"

#define PAGE 4096ULL

static void setup(void)
{
	rcu_thread_online();
}

static void teardown(void)
{
	rcu_thread_offline();
}

TestSuite(memmap, .init = setup, .fini = teardown, .timeout = 60);

static void *hva_of(struct memmap *m, gpa_t gpa, uint64_t len, enum memmap_access acc)
{
	const struct memmap_table *t = memmap_read_begin(m);
	void *p = memmap_hva_rcu(t, gpa, len, acc);

	memmap_read_end(m);
	return p;
}

Test(memmap, add_overlap_remove)
{
	struct memmap m;
	struct mem_region *r;
	uint8_t *buf = aligned_alloc(PAGE, 4 * PAGE);

	cr_assert_not_null(buf);
	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_RCU), 0);
	cr_expect_eq(memmap_top(&m), 0);
	cr_assert_eq(memmap_add_ram(&m, 0x100000, 16 * PAGE, "low", 0, &r), 0);
	cr_expect_eq(r->gpa, 0x100000);
	cr_expect_eq(r->size, 16 * PAGE);
	cr_expect_str_eq(r->name, "low");
	cr_expect_eq(m.ram_bytes, 16 * PAGE);
	cr_expect_eq(memmap_top(&m), 0x110000);

	/* Bad shapes. */
	cr_expect_eq(memmap_add_ram(&m, 0x200000, 0, "z", 0, NULL), -EINVAL);
	cr_expect_eq(memmap_add_ram(&m, 0x200000, 100, "z", 0, NULL), -EINVAL);
	cr_expect_eq(memmap_add(&m, 0x200001, PAGE, buf, "u", 0, NULL), -EINVAL);
	cr_expect_eq(memmap_add(&m, 0x200000, PAGE, buf + 1, "u", 0, NULL), -EINVAL);
	cr_expect_eq(memmap_add(&m, UINT64_MAX - PAGE + 1, 2 * PAGE, buf, "wrap", 0, NULL),
		     -EINVAL);
	/* Overlaps. */
	cr_expect_eq(memmap_add(&m, 0x100000, PAGE, buf, "o", 0, NULL), -EEXIST);
	cr_expect_eq(memmap_add(&m, 0x10f000, 2 * PAGE, buf, "o", 0, NULL), -EEXIST);
	cr_expect_eq(memmap_add(&m, 0x0ff000, 2 * PAGE, buf, "o", 0, NULL), -EEXIST);
	cr_expect_eq(memmap_add(&m, 0x000000, 0x200000, buf, "o", 0, NULL), -EEXIST);
	cr_expect_eq(m.ram_bytes, 16 * PAGE, "failed adds changed the RAM size");
	/* Adjacent on both sides. */
	cr_expect_eq(memmap_add(&m, 0x110000, PAGE, buf, "after", 0, NULL), 0);
	cr_expect_eq(memmap_add(&m, 0x0ff000, PAGE, buf + PAGE, "before", 0, NULL), 0);
	cr_expect_eq(memmap_top(&m), 0x111000);
	cr_expect_eq(m.ram_bytes, 18 * PAGE);

	cr_expect_eq(memmap_remove(&m, 0x100800), -ENOENT, "remove needs the base");
	cr_expect_eq(memmap_remove(&m, 0x110000), 0);
	cr_expect_eq(memmap_remove(&m, 0x110000), -ENOENT);
	cr_expect_null(hva_of(&m, 0x110000, 1, MEMMAP_READ));
	cr_expect_eq(memmap_top(&m), 0x110000);
	cr_expect_eq(m.ram_bytes, 17 * PAGE);
	cr_expect_eq(memmap_add(&m, 0x110000, 2 * PAGE, buf, "again", 0, NULL), 0);
	memmap_destroy(&m);
	free(buf);
}

Test(memmap, hva_edges)
{
	struct memmap m;
	uint8_t *a = aligned_alloc(PAGE, 2 * PAGE), *b = aligned_alloc(PAGE, PAGE);
	const gpa_t A = 0x10000, B = A + 2 * PAGE; /* b directly after a */
	uint8_t *p;

	cr_assert(a && b);
	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_RWLOCK), 0);
	cr_assert_eq(memmap_add(&m, A, 2 * PAGE, a, "a", 0, NULL), 0);
	cr_assert_eq(memmap_add(&m, B, PAGE, b, "b", MEMMAP_F_READONLY, NULL), 0);

	cr_expect_eq(hva_of(&m, A, 1, MEMMAP_READ), a);
	cr_expect_eq(hva_of(&m, A, 2 * PAGE, MEMMAP_WRITE), a, "the whole region");
	cr_expect_eq(hva_of(&m, A + 2 * PAGE - 4, 4, MEMMAP_WRITE), a + 2 * PAGE - 4,
		     "ending exactly at the region end");
	cr_expect_eq(hva_of(&m, A + 2 * PAGE - 1, 0, MEMMAP_READ), a + 2 * PAGE - 1);
	cr_expect_null(hva_of(&m, A + 2 * PAGE - 4, 5, MEMMAP_READ), "one byte into b");
	cr_expect_null(hva_of(&m, A, 2 * PAGE + 1, MEMMAP_READ), "a and b together");
	cr_expect_null(hva_of(&m, A + PAGE, 2 * PAGE, MEMMAP_READ), "a and b together");
	cr_expect_null(hva_of(&m, A - 1, 2, MEMMAP_READ), "starting in the hole");
	cr_expect_null(hva_of(&m, A - 1, 1, MEMMAP_READ));
	/* gpa + len wraps: must not look like a short range. */
	cr_expect_null(hva_of(&m, A + 8, UINT64_MAX, MEMMAP_READ));
	cr_expect_null(hva_of(&m, A + 8, UINT64_MAX - 7, MEMMAP_READ));
	cr_expect_null(hva_of(&m, A + 8, (uint64_t) - (int64_t)(A + 8), MEMMAP_READ));
	cr_expect_null(hva_of(&m, UINT64_MAX, 1, MEMMAP_READ));
	cr_expect_null(hva_of(&m, UINT64_MAX, 2, MEMMAP_READ));
	/* Read-only b: reads yes, writes no. */
	p = hva_of(&m, B + 16, 16, MEMMAP_READ);
	cr_expect_eq(p, b + 16);
	cr_expect_null(hva_of(&m, B + 16, 16, MEMMAP_WRITE));
	cr_expect_eq(hva_of(&m, B + PAGE - 1, 1, MEMMAP_READ), b + PAGE - 1);
	cr_expect_null(hva_of(&m, B + PAGE, 1, MEMMAP_READ), "one past the last region");

	/* The copy helpers agree with the accessor. */
	memset(b, 0x5a, PAGE);
	{
		uint8_t tmp[8];

		cr_expect_eq(memmap_write(&m, A + 2 * PAGE - 8, "abcdefgh", 8), 0);
		cr_expect_eq(memcmp(a + 2 * PAGE - 8, "abcdefgh", 8), 0);
		cr_expect_eq(memmap_write(&m, A + 2 * PAGE - 4, "abcdefgh", 8), -EFAULT);
		cr_expect_eq(memmap_write(&m, B, "x", 1), -EFAULT, "read-only");
		cr_expect_eq(b[0], 0x5a);
		cr_expect_eq(memmap_read(&m, B, tmp, 8), 0);
		cr_expect_eq(tmp[7], 0x5a);
		cr_expect_eq(memmap_read(&m, B + PAGE - 4, tmp, 8), -EFAULT);
	}
	memmap_destroy(&m);
	free(a);
	free(b);
}

Test(memmap, read_str)
{
	struct memmap m;
	uint8_t *a = aligned_alloc(PAGE, PAGE), *b = aligned_alloc(PAGE, PAGE);
	char buf[32];

	cr_assert(a && b);
	memset(a, 'x', PAGE);
	memset(b, 0, PAGE);
	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_MUTEX), 0);
	cr_assert_eq(memmap_add(&m, 0, PAGE, a, "a", 0, NULL), 0);
	cr_assert_eq(memmap_add(&m, PAGE, PAGE, b, "b", 0, NULL), 0);

	memcpy(a, "hello", 6);
	cr_expect_eq(memmap_read_str(&m, 0, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "hello");
	cr_expect_eq(memmap_read_str(&m, 1, buf, 6), 0, "exactly max - 1 characters");
	cr_expect_str_eq(buf, "ello");
	cr_expect_eq(memmap_read_str(&m, 0, buf, 6), 0);
	cr_expect_str_eq(buf, "hello");
	cr_expect_eq(memmap_read_str(&m, 0, buf, 5), -ENAMETOOLONG);
	cr_expect_eq(memmap_read_str(&m, 0, buf, 0), -EFAULT);
	/* Unterminated up to the end of the region: the next region does not continue it. */
	cr_expect_eq(memmap_read_str(&m, PAGE - 4, buf, sizeof(buf)), -EFAULT);
	cr_expect_eq(memmap_read_str(&m, PAGE - 4, buf, 4), -ENAMETOOLONG);
	/* Longer than the buffer. */
	cr_expect_eq(memmap_read_str(&m, 100, buf, sizeof(buf)), -ENAMETOOLONG);
	/* The empty string, and a string ending on the last byte of a region. */
	cr_expect_eq(memmap_read_str(&m, PAGE, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "");
	a[PAGE - 1] = 0;
	cr_expect_eq(memmap_read_str(&m, PAGE - 3, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "xx");
	cr_expect_eq(memmap_read_str(&m, 2 * PAGE, buf, sizeof(buf)), -EFAULT, "not RAM");
	memmap_destroy(&m);
	free(a);
	free(b);
}

Test(memmap, slots)
{
	struct memmap m;
	struct mem_region *r0, *r1, *r2;

	cr_assert_eq(memmap_init(&m, -1, 2, PUBPTR_RCU), 0);
	cr_assert_eq(memmap_add_ram(&m, 0, PAGE, "0", 0, &r0), 0);
	cr_assert_eq(memmap_add_ram(&m, PAGE, PAGE, "1", 0, &r1), 0);
	cr_expect_neq(r0->slot, r1->slot);
	cr_expect_eq(memmap_add_ram(&m, 2 * PAGE, PAGE, "2", 0, NULL), -ENOSPC);
	cr_expect_eq(m.ram_bytes, 2 * PAGE);
	cr_assert_eq(memmap_remove(&m, 0), 0);
	cr_assert_eq(memmap_add_ram(&m, 2 * PAGE, PAGE, "2", 0, &r2), 0, "slot not released");
	cr_expect_neq(r2->slot, r1->slot);
	memmap_destroy(&m);
}

#define PATTERN "strand memmap test: DMA keeps this page mapped"

/*
 * Whether p still holds PATTERN, read without faulting: false once the page is unmapped, and
 * also if the address was reused meanwhile (a sanitizer runtime maps memory all the time).
 */
static int holds_pattern(const void *p)
{
	char buf[sizeof(PATTERN)];
	struct iovec local = { buf, sizeof(buf) }, remote = { (void *)p, sizeof(buf) };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)sizeof(buf))
		return errno == EFAULT ? 0 : -errno;
	return memcmp(buf, PATTERN, sizeof(buf)) == 0;
}

/* A device holding a region for DMA past its read section keeps it mapped after removal. */
Test(memmap, remove_waits_for_dma)
{
	struct memmap m;
	struct mem_region *r;
	uint8_t *p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int held;

	cr_assert_eq(memmap_init(&m, -1, 8, PUBPTR_RCU), 0);
	cr_assert_eq(memmap_add_ram(&m, 0, 4 * PAGE, "ram", 0, &r), 0);
	memmap_go_live(&m);
	{
		const struct memmap_table *t = memmap_read_begin(&m);
		struct mem_region *dma = (struct mem_region *)memmap_find_rcu(t, PAGE);

		p = memmap_hva_rcu(t, PAGE, sizeof(PATTERN), MEMMAP_WRITE);
		__atomic_fetch_add(&dma->dma_inflight, 1, __ATOMIC_ACQ_REL);
		memmap_read_end(&m);
	}
	cr_assert_not_null(p);
	memcpy(p, PATTERN, sizeof(PATTERN));
	held = holds_pattern(p);
	if (held < 0)
		cr_skip_test("process_vm_readv: %s", strerror(-held));
	cr_assert_eq(held, 1);
	cr_assert_eq(memmap_remove(&m, 0), 0);
	cr_expect_null(hva_of(&m, PAGE, 1, MEMMAP_READ), "removed region still found");
	nanosleep(&ts, NULL);
	cr_expect_eq(holds_pattern(p), 1, "unmapped while DMA was in flight");
	p[sizeof(PATTERN)] = 1; /* the device may still write */
	__atomic_fetch_sub(&r->dma_inflight, 1, __ATOMIC_ACQ_REL);
	rcu_drain_deferred();
	cr_expect_eq(holds_pattern(p), 0, "not unmapped once DMA drained");
	memmap_destroy(&m);
}

/* ---- regions removed while readers copy from them ---- */

struct churn {
	struct memmap m;
	uint64_t seq; /* atomic: odd while the writer changes the map */
	bool there;   /* atomic: the churned region is in the map */
	uint8_t fill; /* atomic: the byte the churned region holds */
	bool stop;    /* atomic */
	uint64_t judged, lost, stale, torn, stable_misses; /* atomic */
};

#define STABLE_GPA 0x0
#define CHURN_GPA  0x100000
#define CHURN_SIZE (16 * PAGE)
#define NREADERS   3

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	uint8_t buf[256];
	uint64_t iter = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST), s2;
		bool there = __atomic_load_n(&c->there, __ATOMIC_ACQUIRE);
		uint8_t fill = __atomic_load_n(&c->fill, __ATOMIC_ACQUIRE);
		gpa_t off = (iter * 4096 + iter % 3840) % (CHURN_SIZE - sizeof(buf));
		bool ok, uniform = true;

		if (memmap_read(&c->m, STABLE_GPA + 64, buf, 8) || buf[0] != 0xab)
			__atomic_fetch_add(&c->stable_misses, 1, __ATOMIC_RELAXED);
		ok = memmap_read(&c->m, CHURN_GPA + off, buf, sizeof(buf)) == 0;
		s2 = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
		for (unsigned i = 1; ok && i < sizeof(buf); i++)
			uniform = uniform && buf[i] == buf[0];
		if (ok && !uniform)
			__atomic_fetch_add(&c->torn, 1, __ATOMIC_RELAXED);
		if (s1 == s2 && !(s1 & 1)) {
			__atomic_fetch_add(&c->judged, 1, __ATOMIC_RELAXED);
			if (there && (!ok || buf[0] != fill))
				__atomic_fetch_add(&c->lost, 1, __ATOMIC_RELAXED);
			if (!there && ok)
				__atomic_fetch_add(&c->stale, 1, __ATOMIC_RELAXED);
		}
		iter++;
	}
	return NULL;
}

static void churn_run(enum pubptr_mode mode)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct thread readers[NREADERS];
	uint64_t deadline = now_ns() + 1500 * NSEC_PER_MSEC, rounds = 0;
	struct mem_region *stable;

	cr_assert_not_null(c);
	cr_assert_eq(memmap_init(&c->m, -1, 8, mode), 0);
	cr_assert_eq(memmap_add_ram(&c->m, STABLE_GPA, PAGE, "stable", 0, &stable), 0);
	memset(stable->hva, 0xab, PAGE);
	memmap_go_live(&c->m);
	for (unsigned i = 0; i < NREADERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "reader%u", i);
		cr_assert_eq(thread_spawn(&readers[i], name, NULL, false, churn_reader, c), 0);
	}
	for (unsigned round = 0; round < 2000 && now_ns() < deadline; round++) {
		uint8_t fill = (uint8_t)(round % 200 + 1);
		void *hva = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		/*
		 * Filled before it is published; owned, so removal unmaps it and a reader using
		 * it after its grace period faults.
		 */
		cr_assert_neq(hva, MAP_FAILED);
		memset(hva, fill, CHURN_SIZE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		cr_assert_eq(memmap_add(&c->m, CHURN_GPA, CHURN_SIZE, hva, "churn", MEMMAP_F_OWNED,
					NULL),
			     0);
		__atomic_store_n(&c->fill, fill, __ATOMIC_RELEASE);
		__atomic_store_n(&c->there, true, __ATOMIC_RELEASE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);

		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		cr_assert_eq(memmap_remove(&c->m, CHURN_GPA), 0);
		__atomic_store_n(&c->there, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		rounds++;
	}
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < NREADERS; i++)
		thread_join(&readers[i], NULL);
	rcu_drain_deferred();
	cr_log_info("%s: %llu add/remove rounds, %llu reads judged", pubptr_mode_name(mode),
		    (unsigned long long)rounds, (unsigned long long)c->judged);
	cr_expect_gt(rounds, 10);
	cr_expect_gt(c->judged, 0, "no reader saw a quiet moment");
	cr_expect_eq(c->stable_misses, 0, "a region that never changed was missed");
	cr_expect_eq(c->lost, 0, "a read missed the region after memmap_add returned");
	cr_expect_eq(c->stale, 0, "a read found the region after memmap_remove returned");
	cr_expect_eq(c->torn, 0, "a read saw bytes of two different regions");
	cr_expect_eq(c->m.ram_bytes, PAGE);
	memmap_destroy(&c->m);
	free(c);
}

Test(memmap, remove_under_readers_rcu)
{
	churn_run(PUBPTR_RCU);
}

Test(memmap, remove_under_readers_rwlock)
{
	churn_run(PUBPTR_RWLOCK);
}

Test(memmap, remove_under_readers_mutex)
{
	churn_run(PUBPTR_MUTEX);
}
