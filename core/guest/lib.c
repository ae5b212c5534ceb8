/*
 * lib.c - micro-guest runtime: start-up, host calls, formatting, arguments, heap, libc bits.
 * Runs at the program's CPL (3 by default); nothing here is privileged.
 */
#include "core/guest/guest.h"

const struct sg_boot_info *sg_boot;
static uint64_t heap_next; /* atomic; 0 until the first allocation */

void sg_start(unsigned cpu, const struct sg_boot_info *boot);

void sg_start(unsigned cpu, const struct sg_boot_info *boot)
{
	int status;

	sg_boot = boot;
	status = guest_main(cpu);
	sg_done(status);
}

static void hostcall(struct sg_call *c)
{
	/* Stacks and data live below 4 GiB, so the block's address fits the 32-bit port write. */
	outl(SG_PORT_HOSTCALL, (uint32_t)(uintptr_t)c);
	barrier();
}

void sg_print(const char *s, size_t len)
{
	struct sg_call c = { .op = SG_CALL_PRINT, .a = { (uintptr_t)s, len } };

	hostcall(&c);
}

void sg_result(const char *name, uint64_t num, uint64_t den, const char *unit)
{
	struct sg_call c = { .op = SG_CALL_RESULT,
			     .a = { (uintptr_t)name, num, den, (uintptr_t)unit } };

	hostcall(&c);
}

void sg_samples(const char *name, const uint64_t *v, uint64_t n, const char *unit)
{
	struct sg_call c = { .op = SG_CALL_SAMPLES,
			     .a = { (uintptr_t)name, (uintptr_t)v, n, (uintptr_t)unit } };

	hostcall(&c);
}

void sg_rendezvous(void)
{
	struct sg_call c = { .op = SG_CALL_RENDEZVOUS };

	hostcall(&c);
}

void sg_done(int status)
{
	struct sg_call c = { .op = SG_CALL_DONE, .a = { (uint64_t)(int64_t)status } };

	for (;;)
		hostcall(&c);
}

void sg_exit(int status)
{
	struct sg_call c = { .op = SG_CALL_EXIT, .a = { (uint64_t)(int64_t)status } };

	for (;;)
		hostcall(&c);
}

void sg_assert_fail(const char *file, int line, const char *expr, const char *msg)
{
	struct sg_call c = {
		.op = SG_CALL_ASSERT,
		.a = { (uintptr_t)file, (uint64_t)line, (uintptr_t)expr, (uintptr_t)msg },
	};

	for (;;)
		hostcall(&c);
}

int sg_numa(struct sg_numa_info *info)
{
	struct sg_call c = { .op = SG_CALL_NUMA, .a = { (uintptr_t)info, sizeof(*info) } };

	hostcall(&c);
	return c.ret;
}

void sg_halt(void)
{
	struct sg_call c = { .op = SG_CALL_HALT };

	/*
	 * Not through int $0x80: PVM hosts raise #UD for it at CPL 3, and KVM's emulator (which
	 * runs CPL-0 code there) cannot emulate a protected-mode int. The host halts the vCPU in
	 * KVM instead, which wakes it on the next interrupt as hlt would.
	 */
	if (sg_boot->cpl == 0) {
		__asm__ volatile("pushfq; sti; hlt; popfq" ::: "memory");
		return;
	}
	hostcall(&c);
}

void sg_halt_if(const volatile uint64_t *p, uint64_t expect)
{
	struct sg_call c = { .op = SG_CALL_HALT, .a = { (uintptr_t)p, expect, 1 } };

	if (sg_boot->cpl == 0) {
		/* sti's one-instruction shadow: no interrupt between it and hlt. */
		__asm__ volatile("pushfq; cli" ::: "memory");
		if (*p == expect)
			__asm__ volatile("sti; hlt" ::: "memory");
		__asm__ volatile("popfq" ::: "memory");
		return;
	}
	hostcall(&c);
}

void sg_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("int $0x80"
			 :
			 : "a"((uint64_t)SG_SVC_WRMSR), "c"(msr), "D"((uint32_t)v),
			   "d"((uint32_t)(v >> 32))
			 : "memory");
}

uint64_t sg_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("int $0x80"
			 : "=a"(lo), "=d"(hi)
			 : "a"((uint64_t)SG_SVC_RDMSR), "c"(msr)
			 : "memory");
	return ((uint64_t)hi << 32) | lo;
}

unsigned sg_cpu(void)
{
	return (unsigned)sg_this_cpu()->index;
}

unsigned sg_nr_cpus(void)
{
	return sg_boot->nr_vcpus;
}

void sg_lapic_send_ipi(uint32_t dest_apic_id, uint8_t vector)
{
	mmio_write32(SG_LAPIC_BASE + 0x310, dest_apic_id << 24);
	mmio_write32(SG_LAPIC_BASE + 0x300, vector); /* fixed, physical, edge, assert */
}

uint64_t sg_tsc_to_ns(uint64_t cycles)
{
	uint64_t khz = sg_boot->tsc_khz ? sg_boot->tsc_khz : 1000000;

	/* Split to avoid overflow for long intervals. */
	return cycles / khz * 1000000 + cycles % khz * 1000000 / khz;
}

uint64_t sg_ns_to_tsc(uint64_t ns)
{
	uint64_t khz = sg_boot->tsc_khz ? sg_boot->tsc_khz : 1000000;

	return ns / 1000000 * khz + ns % 1000000 * khz / 1000000;
}

void sg_delay_ns(uint64_t ns)
{
	uint64_t end = rdtsc() + sg_ns_to_tsc(ns);

	while (rdtsc() < end)
		cpu_relax();
}

void spin_barrier_init(struct spin_barrier *b, uint32_t count)
{
	b->count = count;
	b->arrived = 0;
	b->sense = 0;
}

void spin_barrier_wait(struct spin_barrier *b)
{
	uint32_t sense = atomic_load(&b->sense);

	if (atomic_add(&b->arrived, 1) == b->count) {
		atomic_store(&b->arrived, 0);
		atomic_store(&b->sense, sense ^ 1);
		return;
	}
	while (atomic_load(&b->sense) == sense)
		cpu_relax();
}

void *sg_alloc(uint64_t size, uint64_t align)
{
	uint64_t cur = atomic_load(&heap_next), start;

	if (align < 16)
		align = 16;
	for (;;) {
		uint64_t base = cur ? cur : sg_boot->heap_start;

		start = (base + align - 1) & ~(align - 1);
		if (start + size > sg_boot->heap_end || start + size < start)
			sg_assert_fail(__FILE__, __LINE__, "sg_alloc", "out of guest heap");
		if (atomic_cmpxchg(&heap_next, &cur, start + size))
			return (void *)(uintptr_t)start;
	}
}

/* ---- arguments ---- */
static const char *arg_find(const char *key, size_t *len)
{
	const char *p = sg_boot->args;
	size_t klen = strlen(key);

	while (*p) {
		const char *end = p;

		while (*end && *end != ',')
			end++;
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			*len = (size_t)(end - (p + klen + 1));
			return p + klen + 1;
		}
		if ((size_t)(end - p) == klen && strncmp(p, key, klen) == 0) {
			*len = 0;
			return end;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* The declaration of key (SG_ARGS in the program); an undeclared key is a bug in the program. */
extern const struct sg_arg_desc __sg_args_start[], __sg_args_end[];

static const struct sg_arg_desc *arg_desc(const char *key)
{
	for (const struct sg_arg_desc *d = __sg_args_start; d < __sg_args_end; d++) {
		if (strcmp(d->name, key) == 0)
			return d;
	}
	sg_assert_fail(__FILE__, __LINE__, key, "argument not declared with SG_ARGS");
}

uint64_t sg_arg_u64(const char *key)
{
	const struct sg_arg_desc *d = arg_desc(key);
	size_t len;
	const char *v = arg_find(key, &len);
	uint64_t r = 0;
	unsigned base = 10;

	if (!v || len == 0)
		return d->dflt;
	if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		unsigned dg;

		if (c >= '0' && c <= '9')
			dg = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			dg = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			dg = (unsigned)(c - 'A' + 10);
		else if (base == 10 && i == len - 1 && (c == 'k' || c == 'K'))
			return r * 1000;
		else if (base == 10 && i == len - 1 && (c == 'm' || c == 'M'))
			return r * 1000000;
		else
			sg_assert_fail(__FILE__, __LINE__, key, "argument is not a number");
		r = r * base + dg;
	}
	return r;
}

bool sg_arg_str(const char *key, char *buf, size_t size)
{
	const struct sg_arg_desc *d = arg_desc(key);
	size_t len;
	const char *v = arg_find(key, &len);

	if (size == 0)
		return v != 0;
	if (!v) {
		v = d->dflt_str;
		len = strlen(v);
	}
	if (len >= size)
		len = size - 1;
	memcpy(buf, v, len);
	buf[len] = 0;
	return arg_find(key, &len) != 0;
}

bool sg_arg_is(const char *key, const char *value)
{
	char buf[SG_ARG_CHOICES_MAX];

	sg_arg_str(key, buf, sizeof(buf));
	return strcmp(buf, value) == 0;
}

/* ---- formatting ---- */
struct out {
	char *buf;
	size_t size, n;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->size)
		o->buf[o->n] = c;
	o->n++;
}

static void put_u64(struct out *o, uint64_t v, unsigned base, int width, char pad, bool upper)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int sg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		if (*p == '0') {
			pad = '0';
			p++;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		while (*p == 'l') {
			lng++;
			p++;
		}
		if (*p == 'z') {
			lng = 1;
			p++;
		}
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (v < 0) {
				put(&o, '-');
				put_u64(&o, (uint64_t)-v, 10, width ? width - 1 : 0, pad, false);
			} else {
				put_u64(&o, (uint64_t)v, 10, width, pad, false);
			}
			break;
		}
		case 'u':
			put_u64(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
				pad, false);
			break;
		case 'x':
		case 'X':
			put_u64(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
				pad, *p == 'X');
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_u64(&o, (uintptr_t)va_arg(ap, void *), 16, 0, ' ', false);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			while (*s)
				put(&o, *s++);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (o.size)
		o.buf[o.n < o.size ? o.n : o.size - 1] = 0;
	return (int)o.n;
}

int sg_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = sg_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void sg_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = sg_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	sg_print(buf, (size_t)n);
}

/* ---- libc ---- */
void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dd = d;
	const uint8_t *ss = s;

	while (n--)
		*dd++ = *ss++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dd = d;
	const uint8_t *ss = s;

	if (dd < ss) {
		while (n--)
			*dd++ = *ss++;
	} else {
		while (n--)
			dd[n] = ss[n];
	}
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dd = d;

	while (n--)
		*dd++ = (uint8_t)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i] || !a[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	}
	return 0;
}
