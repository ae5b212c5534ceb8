/*
 * guest.h - the micro-guest runtime API (freestanding; compiled without libc or sanitizers).
 *
 * A program is one C file defining `int guest_main(unsigned cpu)`, run on every vCPU; its
 * return value is that vCPU's status (0 = pass). Host calls (print, results, rendezvous) exit
 * to strand through SG_PORT_HOSTCALL; everything else runs in the guest without exits.
 */
#ifndef STRAND_GUEST_GUEST_H
#define STRAND_GUEST_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest/abi.h"

int guest_main(unsigned cpu);

extern const struct sg_boot_info *sg_boot;

/* ---- port and MMIO access (usable from CPL 3: IOPL is 3, MMIO pages are user) ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint8_t mmio_read8(uint64_t a)
{
	return *(volatile uint8_t *)a;
}
static inline uint16_t mmio_read16(uint64_t a)
{
	return *(volatile uint16_t *)a;
}
static inline uint32_t mmio_read32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}
static inline uint64_t mmio_read64(uint64_t a)
{
	return *(volatile uint64_t *)a;
}
static inline void mmio_write8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}
static inline void mmio_write16(uint64_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}
static inline void mmio_write32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}
static inline void mmio_write64(uint64_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}

/* ---- time ---- */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* rdtsc ordered against earlier loads and stores (lfence on both vendors). */
static inline uint64_t rdtsc_ordered(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

uint64_t sg_tsc_to_ns(uint64_t cycles);
uint64_t sg_ns_to_tsc(uint64_t ns);
/* Spin for ns nanoseconds (busy, no exits). */
void sg_delay_ns(uint64_t ns);

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* ---- atomics ---- */
#define atomic_load(p)	       __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store(p, v)     __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_add(p, v)       __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define atomic_cmpxchg(p, old, new) \
	__atomic_compare_exchange_n((p), (old), (new), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

/* Ticket spinlock: FIFO, so wait times measure fairness under overcommit. */
struct ticket_lock {
	uint32_t next;
	uint32_t owner;
};
static inline void ticket_lock(struct ticket_lock *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
}
static inline void ticket_unlock(struct ticket_lock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* Sense-reversing spin barrier among `count` vCPUs (no exits). */
struct spin_barrier {
	uint32_t count;
	uint32_t arrived;
	uint32_t sense;
};
void spin_barrier_init(struct spin_barrier *b, uint32_t count);
void spin_barrier_wait(struct spin_barrier *b);

/* ---- host calls ---- */
void sg_print(const char *s, size_t len);
void sg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int sg_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Report a named result: value = num / den, in `unit`. */
void sg_result(const char *name, uint64_t num, uint64_t den, const char *unit);
/* Report raw samples (unit "tsc" is converted to ns by the host). */
void sg_samples(const char *name, const uint64_t *v, uint64_t n, const char *unit);
void sg_rendezvous(void);
/* End this vCPU with status; does not return. */
void sg_done(int status) __attribute__((noreturn));
/* End the whole VM with status; does not return. */
void sg_exit(int status) __attribute__((noreturn));
void sg_assert_fail(const char *file, int line, const char *expr, const char *msg)
	__attribute__((noreturn));

#define GUEST_ASSERT(e)                                            \
	do {                                                       \
		if (!(e))                                          \
			sg_assert_fail(__FILE__, __LINE__, #e, 0); \
	} while (0)
#define GUEST_ASSERT_MSG(e, m)                                       \
	do {                                                         \
		if (!(e))                                            \
			sg_assert_fail(__FILE__, __LINE__, #e, (m)); \
	} while (0)

/* The guest NUMA topology (--numa): fills *info, returns the node count (0: none) or -errno. */
int sg_numa(struct sg_numa_info *info);

/* ---- CPL-0 services (work at either CPL) ---- */
/* Wait for an interrupt: hlt at CPL 0, a host call (SG_CALL_HALT) at CPL 3. */
void sg_halt(void);
/*
 * Halt unless *p no longer equals expect, without losing a wake-up: an interrupt that arrives
 * after the caller's own check but before the halt (and changes *p in its handler) must not
 * leave the vCPU asleep. CPL 0: cli, check, sti; hlt. CPL 3: the host checks *p in the same
 * exit that halts the vCPU (an interrupt that comes meanwhile is pending in KVM and wakes it).
 */
void sg_halt_if(const volatile uint64_t *p, uint64_t expect);
/* Through int $0x80 (not usable on PVM hosts, see sg_halt in lib.c). */
void sg_wrmsr(uint32_t msr, uint64_t v);
uint64_t sg_rdmsr(uint32_t msr);

/* ---- per-vCPU data and interrupts ---- */
static inline struct sg_percpu *sg_this_cpu(void)
{
	struct sg_percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}
unsigned sg_cpu(void);
unsigned sg_nr_cpus(void);

/* Publish this vCPU's work count for the host to sample live (x-strand-query-progress). */
static inline void sg_progress(uint64_t n)
{
	__atomic_store_n(&sg_this_cpu()->progress, n, __ATOMIC_RELAXED);
}

/* Whether the host asked for a power-down (QMP system_powerdown). */
static inline bool sg_powerdown_requested(void)
{
	return __atomic_load_n(&((volatile struct sg_boot_info *)sg_boot)->powerdown,
			       __ATOMIC_ACQUIRE) != 0;
}

/* Local APIC (xAPIC MMIO; the page is user-accessible). */
#define SG_LAPIC_BASE 0xfee00000ULL
void sg_lapic_send_ipi(uint32_t dest_apic_id, uint8_t vector);

/*
 * ---- program arguments: --guest NAME:key=value,key=value ----
 * Every argument is declared once, in the program's source, with its type, range, default and
 * one line of help (struct sg_arg_desc in abi.h):
 *
 *	SG_ARGS(SG_ARG_U64("iters", 2000, 1, 100000000, "timed accesses per mode"),
 *		SG_ARG_ENUM("mode", "both", "pio|mmio|both", "which exits to time"));
 *
 * The host checks what the user gave against this table before the VM exists (unknown key,
 * bad type, out of range: exit 2) and `strand guests NAME` prints it. The readers below return
 * the declared default when the key is absent; reading an undeclared key is a guest assertion.
 */
#define SG_ARG_SECTION __attribute__((used, section(".sg_args"), aligned(8)))
#define SG_ARGS(...) \
	static const struct sg_arg_desc sg_arg_table_[] SG_ARG_SECTION = { __VA_ARGS__ }
#define SG_ARG_U64(n, d, lo, hi, h)                                                        \
	{                                                                                  \
		.name = n, .type = SG_ARG_TYPE_U64, .dflt = (d), .min = (lo), .max = (hi), \
		.help = h                                                                  \
	}
#define SG_ARG_BOOL(n, d, h)                                                                    \
	{                                                                                       \
		.name = n, .type = SG_ARG_TYPE_BOOL, .dflt = (d), .min = 0, .max = 1, .help = h \
	}
#define SG_ARG_ENUM(n, d, choices_, h)                                                             \
	{                                                                                          \
		.name = n, .type = SG_ARG_TYPE_ENUM, .dflt_str = d, .choices = choices_, .help = h \
	}
#define SG_ARG_STR(n, d, maxlen, h)                                                           \
	{                                                                                     \
		.name = n, .type = SG_ARG_TYPE_STR, .dflt_str = d, .max = (maxlen), .help = h \
	}

uint64_t sg_arg_u64(const char *key);
static inline bool sg_arg_bool(const char *key)
{
	return sg_arg_u64(key) != 0;
}
/* Copy the value of key (or its default) into buf; returns whether the user gave it. */
bool sg_arg_str(const char *key, char *buf, size_t size);
/* Whether key's value (or its default) is value. */
bool sg_arg_is(const char *key, const char *value);

/* ---- memory: a bump allocator over the heap (shared by all vCPUs, lock-free) ---- */
void *sg_alloc(uint64_t size, uint64_t align);

/* ---- freestanding libc bits ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Deterministic per-vCPU pseudo-random numbers (xorshift64*). */
static inline uint64_t sg_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#endif
