/*
 * domain.c - struct domain_def: life cycle, cpusets, UUIDs, errors and the semantic checks
 * (domain.h). Parsing is in domain_parse.c, formatting in domain_format.c. Any thread.
 */
#include "daemon/xml/domain.h"
#include "daemon/xml/domain_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *const domain_presets[] = {
	"qemu-classic", "qemu", "firecracker", "cloud-hypervisor", "strand", "inline", NULL,
};
const char *const domain_locks[] = { "big", "device", NULL };
const char *const domain_ios[] = { "vcpu", "main", "iothread", NULL };
const char *const domain_maps[] = { "rcu", "rwlock", "mutex", NULL };
const char *const domain_iomaps[] = { "device", "queue", NULL };
const char *const domain_strategies[] = {
	"host", "pinned", "gang", "gang-relaxed", "credit", NULL
};
const char *const domain_placements[] = { "none", "compact", "scatter", "numa", NULL };
const char *const domain_exits[] = { "hlt", "pause", "mwait", "cstate", NULL };

static const char *err_prefix(int code)
{
	switch (code) {
	case DOMAIN_ERR_INTERNAL:
		return "internal error: ";
	case DOMAIN_ERR_NO_MEMORY:
		return "out of memory: ";
	case DOMAIN_ERR_INVALID_ARG:
		return "invalid argument: ";
	case DOMAIN_ERR_CONFIG_UNSUPPORTED:
		return "unsupported configuration: ";
	case DOMAIN_ERR_XML_ERROR:
	case DOMAIN_ERR_XML_DETAIL:
	default:
		return "XML error: ";
	}
}

int domain_err(struct domain_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -EINVAL;
	err->code = code;
	err->domain = code == DOMAIN_ERR_XML_ERROR ? DOMAIN_FROM_XML : DOMAIN_FROM_DOMAIN;
	n = snprintf(err->message, sizeof(err->message), "%s", err_prefix(code));
	if (n < 0 || (size_t)n >= sizeof(err->message))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->message + n, sizeof(err->message) - (size_t)n, fmt, ap);
	va_end(ap);
	return code == DOMAIN_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
}

int domain_err_nomem(struct domain_error *err)
{
	domain_err(err, DOMAIN_ERR_NO_MEMORY, "domain XML");
	return -ENOMEM;
}

int domain_name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *domain_name_list(const char *const *names, char *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (names[n])
		n++;
	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
		int w = snprintf(buf + off, len - off, "%s%s", sep, names[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

const char *domain_duration_format(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns % 1000000 == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
	else if (ns && ns % 1000 == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}

/*
 * strand's credit cap is a percentage of one CPU for the whole VM. <global_quota> per
 * <global_period> is exactly that; the per-vCPU <quota>/<period> becomes a VM cap of
 * vcpus x quota / period (strand cannot cap vCPUs one by one). Rounded to the nearest percent.
 */
unsigned domain_cap_pct(const struct domain_def *def)
{
	uint64_t q, p, mult = 1;

	if (def->global_quota_us > 0) {
		q = (uint64_t)def->global_quota_us;
		p = def->global_period_us ? def->global_period_us : DOMAIN_DEFAULT_PERIOD;
	} else if (def->quota_us > 0) {
		q = (uint64_t)def->quota_us;
		p = def->period_us ? def->period_us : DOMAIN_DEFAULT_PERIOD;
		mult = def->vcpus;
	} else {
		return 0;
	}
	/* q <= 2^44, mult <= 4096, 100 < 2^7: no overflow in 64 bits. */
	q = (q * mult * 100 + p / 2) / p;
	if (q > 0xffffffffu)
		q = 0xffffffffu;
	return q ? (unsigned)q : 1;
}

/* ---- cpusets ---- */

void domain_cpuset_set(struct domain_cpuset *set, unsigned cpu)
{
	if (cpu < DOMAIN_MAX_HOST_CPUS)
		set->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static void cpuset_clear(struct domain_cpuset *set, unsigned cpu)
{
	if (cpu < DOMAIN_MAX_HOST_CPUS)
		set->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

bool domain_cpuset_test(const struct domain_cpuset *set, unsigned cpu)
{
	return cpu < DOMAIN_MAX_HOST_CPUS && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned domain_cpuset_count(const struct domain_cpuset *set)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(set->bits); i++)
		n += (unsigned)__builtin_popcountll(set->bits[i]);
	return n;
}

bool domain_cpuset_empty(const struct domain_cpuset *set)
{
	return domain_cpuset_count(set) == 0;
}

/* A decimal number of at most 4 digits (CPU numbers stay below 1024). */
static const char *cpu_number(const char *p, unsigned *v)
{
	unsigned n = 0, digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (++digits > 4)
			return NULL;
		n = n * 10 + (unsigned)(*p++ - '0');
	}
	if (!digits)
		return NULL;
	*v = n;
	return p;
}

/*
 * libvirt's syntax: comma-separated items N, N-M or ^N (exclude N), applied left to right.
 * Every CPU must be below DOMAIN_MAX_HOST_CPUS and the result must not be empty.
 */
int domain_cpuset_parse(const char *s, struct domain_cpuset *set)
{
	const char *p = s;

	memset(set, 0, sizeof(*set));
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned a, b;
		bool neg = *p == '^';

		if (neg)
			p++;
		p = cpu_number(p, &a);
		if (!p)
			return -EINVAL;
		b = a;
		if (!neg && *p == '-') {
			p = cpu_number(p + 1, &b);
			if (!p || b < a)
				return -EINVAL;
		}
		if (b >= DOMAIN_MAX_HOST_CPUS)
			return -ERANGE;
		for (unsigned i = a; i <= b; i++) {
			if (neg)
				cpuset_clear(set, i);
			else
				domain_cpuset_set(set, i);
		}
		if (*p == '\0')
			break;
		if (*p != ',' || p[1] == '\0')
			return -EINVAL;
		p++;
	}
	return domain_cpuset_empty(set) ? -EINVAL : 0;
}

const char *domain_cpuset_format(const struct domain_cpuset *set, char sep, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < DOMAIN_MAX_HOST_CPUS; i++) {
		unsigned j = i;
		int w;

		if (!domain_cpuset_test(set, i))
			continue;
		while (j + 1 < DOMAIN_MAX_HOST_CPUS && domain_cpuset_test(set, j + 1))
			j++;
		if (j == i)
			w = snprintf(buf + off, len - off, "%s%u", off ? (char[2]){ sep, 0 } : "",
				     i);
		else
			w = snprintf(buf + off, len - off, "%s%u-%u",
				     off ? (char[2]){ sep, 0 } : "", i, j);
		if (w < 0 || (size_t)w >= len - off) {
			if (len)
				buf[0] = '\0';
			return buf;
		}
		off += (size_t)w;
		i = j;
	}
	return buf;
}

/* ---- UUIDs ---- */

const char *domain_uuid_format(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int domain_uuid_parse(const char *s, uint8_t u[16])
{
	unsigned n = 0;

	while (n < 16) {
		int hi, lo;

		if (*s == '-' && n > 0)
			s++;
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s ? -EINVAL : 0;
}

int domain_uuid_generate(uint8_t u[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(u + got, 16 - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4: random */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant: RFC 4122 */
	return 0;
}

/* ---- life cycle ---- */

struct domain_def *domain_def_new(void)
{
	struct domain_def *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->vcpus = 1;
	d->on_poweroff = DOMAIN_LC_DESTROY;
	d->on_reboot = DOMAIN_LC_RESTART;
	d->on_crash = DOMAIN_LC_DESTROY;
	d->strand.cpl = DOMAIN_CPL_DEFAULT;
	d->id = -1;
	return d;
}

void domain_def_free(struct domain_def *d)
{
	if (!d)
		return;
	free(d->title);
	free(d->description);
	free(d->vcpupin);
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	free(d->emulator);
	for (unsigned i = 0; i < d->ndisks && i < DOMAIN_MAX_DISKS; i++)
		free(d->disk[i].path);
	free(d->serial_path);
	free(d->vconsole_path);
	free(d->strand.guest);
	free(d->strand.guest_args);
	free(d->foreign_metadata);
	free(d->serial_pty);
	free(d);
}

static bool dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

struct domain_def *domain_def_copy(const struct domain_def *s)
{
	struct domain_def *d = malloc(sizeof(*d));
	bool ok = true;

	if (!d)
		return NULL;
	*d = *s;
	ok &= dup_str(&d->title, s->title);
	ok &= dup_str(&d->description, s->description);
	ok &= dup_str(&d->kernel, s->kernel);
	ok &= dup_str(&d->initrd, s->initrd);
	ok &= dup_str(&d->cmdline, s->cmdline);
	ok &= dup_str(&d->emulator, s->emulator);
	for (unsigned i = 0; i < s->ndisks; i++)
		ok &= dup_str(&d->disk[i].path, s->disk[i].path);
	ok &= dup_str(&d->serial_path, s->serial_path);
	ok &= dup_str(&d->vconsole_path, s->vconsole_path);
	ok &= dup_str(&d->strand.guest, s->strand.guest);
	ok &= dup_str(&d->strand.guest_args, s->strand.guest_args);
	ok &= dup_str(&d->foreign_metadata, s->foreign_metadata);
	ok &= dup_str(&d->serial_pty, s->serial_pty);
	d->vcpupin = NULL;
	if (s->nvcpupin) {
		d->vcpupin = malloc(s->nvcpupin * sizeof(*d->vcpupin));
		if (d->vcpupin)
			memcpy(d->vcpupin, s->vcpupin, s->nvcpupin * sizeof(*d->vcpupin));
		else
			ok = false;
	}
	if (!ok) {
		domain_def_free(d);
		return NULL;
	}
	return d;
}

const struct domain_cpuset *domain_vcpu_pin(const struct domain_def *def, unsigned v)
{
	size_t lo = 0, hi = def->nvcpupin;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (def->vcpupin[mid].vcpu == v)
			return &def->vcpupin[mid].cpus;
		if (def->vcpupin[mid].vcpu < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return def->has_cpuset ? &def->cpuset : NULL;
}

int domain_vcpupin_set(struct domain_def *def, unsigned v, const struct domain_cpuset *cpus)
{
	unsigned i = 0;

	if (v >= def->vcpus || (cpus && domain_cpuset_empty(cpus)))
		return -EINVAL;
	while (i < def->nvcpupin && def->vcpupin[i].vcpu < v)
		i++;
	if (i < def->nvcpupin && def->vcpupin[i].vcpu == v) {
		if (cpus) {
			def->vcpupin[i].cpus = *cpus;
			return 0;
		}
		memmove(&def->vcpupin[i], &def->vcpupin[i + 1],
			(def->nvcpupin - i - 1) * sizeof(*def->vcpupin));
		def->nvcpupin--;
		return 0;
	}
	if (!cpus)
		return 0;
	{
		struct domain_vcpupin *p =
			realloc(def->vcpupin, (def->nvcpupin + 1) * sizeof(*def->vcpupin));

		if (!p)
			return -ENOMEM;
		def->vcpupin = p;
	}
	memmove(&def->vcpupin[i + 1], &def->vcpupin[i],
		(def->nvcpupin - i) * sizeof(*def->vcpupin));
	def->vcpupin[i].vcpu = v;
	def->vcpupin[i].cpus = *cpus;
	def->nvcpupin++;
	return 0;
}

const struct domain_iothread *domain_iothread_find(const struct domain_def *def, unsigned id)
{
	for (unsigned i = 0; i < def->niothreads; i++)
		if (def->iothread[i].id == id)
			return &def->iothread[i];
	return NULL;
}

/* ---- semantic checks ---- */

#define INVAL(...)	 domain_err(err, DOMAIN_ERR_INVALID_ARG, __VA_ARGS__)
#define UNSUPPORTED(...) domain_err(err, DOMAIN_ERR_CONFIG_UNSUPPORTED, __VA_ARGS__)

static int check_memory(const struct domain_def *d, struct domain_error *err)
{
	if (d->memory_bytes < DOMAIN_MIN_MEM)
		return UNSUPPORTED("<memory>: %llu KiB is below strand's minimum of 4096 KiB",
				   (unsigned long long)(d->memory_bytes >> 10));
	if (d->memory_bytes > DOMAIN_MAX_MEM)
		return UNSUPPORTED("<memory>: %llu KiB is above strand's maximum of 1 TiB",
				   (unsigned long long)(d->memory_bytes >> 10));
	if (d->memory_bytes % 4096)
		return UNSUPPORTED("<memory>: %llu bytes is not a multiple of 4 KiB",
				   (unsigned long long)d->memory_bytes);
	return 0;
}

static int check_cpu(const struct domain_def *d, struct domain_error *err)
{
	uint64_t sum = 0;

	if (d->vcpus < 1 || d->vcpus > DOMAIN_MAX_VCPUS)
		return UNSUPPORTED("<vcpu>: %u vCPUs (strand runs 1 to %u)", d->vcpus,
				   DOMAIN_MAX_VCPUS);
	if (d->topo_given && (uint64_t)d->sockets * d->cores * d->threads != (uint64_t)d->vcpus)
		return INVAL("<cpu><topology>: %u sockets x %u cores x %u threads is not the %u "
			     "vCPUs of <vcpu>",
			     d->sockets, d->cores, d->threads, d->vcpus);
	for (unsigned i = 0; i < d->nvcpupin; i++)
		if (d->vcpupin[i].vcpu >= d->vcpus)
			return INVAL("<cputune><vcpupin vcpu='%u'>: the domain has %u vCPUs (0-%u)",
				     d->vcpupin[i].vcpu, d->vcpus, d->vcpus - 1);
	if (!d->ncells)
		return 0;
	for (unsigned v = 0; v < d->vcpus; v++) {
		unsigned owners = 0;

		for (unsigned c = 0; c < d->ncells; c++)
			owners += domain_cpuset_test(&d->cell[c].vcpus, v);
		if (owners != 1)
			return INVAL(owners ? "<cpu><numa>: vCPU %u is in more than one <cell>" :
					      "<cpu><numa>: vCPU %u is in no <cell>",
				     v);
	}
	for (unsigned c = 0; c < d->ncells; c++) {
		const struct domain_cell *cl = &d->cell[c];

		for (unsigned v = d->vcpus; v < DOMAIN_MAX_HOST_CPUS; v++)
			if (domain_cpuset_test(&cl->vcpus, v))
				return INVAL("<cell id='%u'>: vCPU %u does not exist (the domain "
					     "has %u)",
					     c, v, d->vcpus);
		if (cl->mem_bytes < DOMAIN_MIN_MEM || cl->mem_bytes % (2u << 20))
			return UNSUPPORTED("<cell id='%u'>: %llu KiB of memory: strand needs at "
					   "least 4 MiB per guest node, in 2 MiB steps",
					   c, (unsigned long long)(cl->mem_bytes >> 10));
		sum += cl->mem_bytes;
		for (unsigned o = 0; o < DOMAIN_MAX_CELLS; o++) {
			unsigned dv = cl->distance[o];

			if (!dv)
				continue;
			if (o >= d->ncells)
				return INVAL("<cell id='%u'><distances><sibling id='%u'>: no such "
					     "cell",
					     c, o);
			if (o == c ? dv != 10 : (dv <= 10 || dv > 254))
				return INVAL("<cell id='%u'><sibling id='%u' value='%u'>: a cell "
					     "is at distance 10 from itself, 11-254 from another",
					     c, o, dv);
			if (d->cell[o].distance[c] && d->cell[o].distance[c] != dv)
				return UNSUPPORTED("<cell id='%u'> and <cell id='%u'>: asymmetric "
						   "distances (%u, %u): strand's SLIT is symmetric",
						   c, o, dv, d->cell[o].distance[c]);
		}
	}
	if (sum != d->memory_bytes)
		return INVAL("<cpu><numa>: the cells' memory adds up to %llu KiB but <memory> is "
			     "%llu KiB",
			     (unsigned long long)(sum >> 10),
			     (unsigned long long)(d->memory_bytes >> 10));
	return 0;
}

static int check_numatune(const struct domain_def *d, struct domain_error *err)
{
	bool memnodes = false;

	for (unsigned c = 0; c < DOMAIN_MAX_CELLS; c++) {
		if (!d->cell[c].memnode)
			continue;
		memnodes = true;
		if (c >= d->ncells)
			return INVAL("<numatune><memnode cellid='%u'>: no such <cell>", c);
		if (d->cell[c].host_node >= DOMAIN_MAX_HOST_NODES)
			return INVAL("<memnode cellid='%u'>: host node %u (nodes 0-%u)", c,
				     d->cell[c].host_node, DOMAIN_MAX_HOST_NODES - 1);
	}
	if (memnodes && d->mem_mode != DOMAIN_MEM_NONE)
		return UNSUPPORTED("<numatune>: strand places guest RAM either with <memory> or "
				   "per cell with <memnode>, not both");
	if (d->mem_placement_auto && !d->placement_auto)
		return UNSUPPORTED(
			"<numatune><memory placement='auto'>: strand places memory "
			"automatically only with its vCPUs: use <vcpu placement='auto'>");
	if (d->mem_mode != DOMAIN_MEM_NONE && !d->mem_placement_auto && !d->mem_nodeset)
		return INVAL("<numatune><memory>: nodeset= is required");
	return 0;
}

static int check_iothreads(const struct domain_def *d, struct domain_error *err)
{
	for (unsigned i = 0; i < d->niothreads; i++) {
		if (d->iothread[i].id == 0)
			return INVAL("<iothreadids>: iothread id 0 is not allowed");
		for (unsigned j = 0; j < i; j++)
			if (d->iothread[j].id == d->iothread[i].id)
				return INVAL("<iothreadids>: iothread id %u given twice",
					     d->iothread[i].id);
	}
	for (unsigned i = 0; i < d->ndisks; i++)
		if (d->disk[i].iothread && !domain_iothread_find(d, d->disk[i].iothread))
			return INVAL("<disk> %s: <driver iothread='%u'>: no such iothread (see "
				     "<iothreads>/<iothreadids>)",
				     d->disk[i].target, d->disk[i].iothread);
	if (d->niothreads && d->strand.threading_iothreads)
		return UNSUPPORTED("<strand:threading iothreads=>: the domain names its "
				   "iothreads with <iothreads>: give one or the other");
	return 0;
}

static int check_devices(const struct domain_def *d, struct domain_error *err)
{
	for (unsigned i = 0; i < d->ndisks; i++) {
		for (unsigned j = 0; j < i; j++)
			if (strcmp(d->disk[i].target, d->disk[j].target) == 0)
				return INVAL("<disk>: target dev '%s' is used twice",
					     d->disk[i].target);
		if (d->disk[i].queues > 64)
			return UNSUPPORTED("<disk> %s: <driver queues='%u'>: strand has 1-64",
					   d->disk[i].target, d->disk[i].queues);
	}
	return 0;
}

static int check_guest(const struct domain_def *d, struct domain_error *err)
{
	const struct domain_strand *s = &d->strand;

	if (d->guest_kind == DOMAIN_GUEST_NONE)
		return INVAL(
			"nothing to run: give <os><kernel> (Linux) or <metadata><strand:config>"
			"<strand:guest program=...> (a micro-guest)");
	if (d->guest_kind != DOMAIN_GUEST_KERNEL && (d->kernel || d->initrd || d->cmdline))
		return INVAL("<os><kernel>/<initrd>/<cmdline> and <strand:guest>: a domain runs "
			     "either a kernel or a micro-guest");
	if (d->guest_kind == DOMAIN_GUEST_KERNEL && !d->kernel)
		return INVAL("<os>: <initrd> and <cmdline> need <kernel>");
	if (d->guest_kind == DOMAIN_GUEST_KERNEL && !d->acpi)
		return UNSUPPORTED("<features>: strand always gives a Linux guest ACPI tables "
				   "(SMP needs the MADT): add <acpi/>");
	if (d->guest_kind == DOMAIN_GUEST_KERNEL && (s->cpl != DOMAIN_CPL_DEFAULT))
		return INVAL("<strand:guest cpl=>: only for micro-guests");
	return 0;
}

static int check_sched(const struct domain_def *d, struct domain_error *err)
{
	const struct domain_strand *s = &d->strand;
	bool pins = d->nvcpupin || d->has_cpuset;

	if (s->disable_exits && strcmp(s->strategy, "pinned"))
		return UNSUPPORTED("<strand:disable-exits>: needs <strand:sched strategy='pinned'> "
				   "(a vCPU that never exits on HLT keeps its CPU)");
	if (d->fifo && s->strategy[0])
		return UNSUPPORTED("<cputune><vcpusched scheduler='fifo'> and <strand:sched "
				   "strategy='%s'>: one strategy per domain",
				   s->strategy);
	if (strcmp(s->strategy, "pinned") == 0 && pins)
		return UNSUPPORTED("<strand:sched strategy='pinned'> places every vCPU on a CPU "
				   "of its own: drop <vcpupin> and <vcpu cpuset=>, or use the host "
				   "strategy with them");
	if (s->placement[0] && (d->placement_auto || pins))
		return UNSUPPORTED("<strand:placement> and <vcpu placement='auto'>/<vcpupin>/"
				   "<vcpu cpuset=>: one placement per domain");
	if (d->placement_auto && pins)
		return UNSUPPORTED("<vcpu placement='auto'> with <vcpupin> or cpuset=: strand "
				   "places automatically or pins, not both");
	if (d->shares_set && (d->shares < 1 || d->shares > 65535))
		return UNSUPPORTED("<cputune><shares>%u</shares>: strand's credit weight is "
				   "1-65535",
				   d->shares);
	if (d->quota_us > 0 && d->global_quota_us > 0)
		return UNSUPPORTED("<cputune>: <quota> and <global_quota>: strand caps the VM as a "
				   "whole: give one");
	if (domain_cap_pct(d) > 100 * 1024)
		return UNSUPPORTED("<cputune>: a cap of %u%% of one CPU is above strand's maximum "
				   "(102400%%)",
				   domain_cap_pct(d));
	return 0;
}

int domain_check(const struct domain_def *d, struct domain_error *err)
{
	int ret;

	if (!d->name[0])
		return domain_err(err, DOMAIN_ERR_XML_DETAIL, "/domain/name: missing");
	if ((ret = check_memory(d, err)) || (ret = check_cpu(d, err)) ||
	    (ret = check_numatune(d, err)) || (ret = check_iothreads(d, err)) ||
	    (ret = check_devices(d, err)) || (ret = check_guest(d, err)) ||
	    (ret = check_sched(d, err)))
		return ret;
	return 0;
}
