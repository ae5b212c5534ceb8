/*
 * test_domxml.c - libdomxml (daemon/xml): every example in docs/examples parses, formats to a
 * stable canonical text and builds the expected `strand run` argv (which strand's own CLI parser
 * accepts); live XML; every error class with its libvirt code and a message naming the element;
 * hostile documents (entities, DTDs, billion laughs, deep nesting, huge text, bad UTF-8).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/xml/argv.h"
#include "daemon/xml/domain.h"
#include "daemon/xml/domain_priv.h"
#include "machine/cli.h"
#include "machine/threading.h"
#include "sched/place.h"
#include "sched/strategy.h"

#if __has_include(<libvirt/virterror.h>)
#include <libvirt/virterror.h>
_Static_assert((int)DOMAIN_ERR_XML_ERROR == (int)VIR_ERR_XML_ERROR, "libvirt error number");
_Static_assert((int)DOMAIN_ERR_XML_DETAIL == (int)VIR_ERR_XML_DETAIL, "libvirt error number");
_Static_assert((int)DOMAIN_ERR_CONFIG_UNSUPPORTED == (int)VIR_ERR_CONFIG_UNSUPPORTED,
	       "libvirt error");
_Static_assert((int)DOMAIN_ERR_INVALID_ARG == (int)VIR_ERR_INVALID_ARG, "libvirt error number");
_Static_assert((int)DOMAIN_ERR_NO_MEMORY == (int)VIR_ERR_NO_MEMORY, "libvirt error number");
_Static_assert((int)DOMAIN_ERR_INTERNAL == (int)VIR_ERR_INTERNAL_ERROR, "libvirt error number");
_Static_assert((int)DOMAIN_FROM_DOMAIN == (int)VIR_FROM_DOMAIN &&
		       (int)DOMAIN_FROM_XML == (int)VIR_FROM_XML,
	       "libvirt error domain");
#endif

static char *read_example(const char *name, size_t *len)
{
	const char *src = getenv("STRAND_SRC");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	cr_assert(src, "STRAND_SRC is not set (run through meson test)");
	snprintf(path, sizeof(path), "%s/docs/examples/%s", src, name);
	f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct domain_def *parse_ok(const char *xml, size_t len, unsigned flags)
{
	struct domain_parse_opts o = { .flags = flags };
	struct domain_def *d = NULL;
	struct domain_error e;
	int r = domain_parse(xml, len, &o, &d, &e);

	cr_assert_eq(r, 0, "parse failed: %s", e.message);
	return d;
}

static char *format_ok(const struct domain_def *d, unsigned flags)
{
	struct domain_error e;
	char *x = NULL;

	cr_assert_eq(domain_format(d, flags, &x, &e), 0);
	return x;
}

/* format(parse(text)) is a fixed point: parsing it again formats to the same text. */
static char *roundtrip(const char *xml, size_t len, unsigned flags)
{
	struct domain_def *a = parse_ok(xml, len, flags), *b;
	char *x = format_ok(a, flags), *y;

	b = parse_ok(x, strlen(x), flags);
	y = format_ok(b, flags);
	cr_assert_str_eq(x, y, "not canonical:\n%s\n---\n%s", x, y);
	free(y);
	domain_def_free(a);
	domain_def_free(b);
	return x;
}

static char *argv_of(const struct domain_def *d, struct domain_argv *a)
{
	struct domain_error e;

	cr_assert_eq(domain_argv_build(d, "strand", a, &e), 0, "%s", e.message);
	return domain_argv_join(a);
}

/* strand's own parser accepts the argv (minus argv[0]) as it stands. */
static void strand_accepts(const struct domain_argv *a)
{
	char **copy = calloc(a->argc + 1, sizeof(*copy));
	struct machine_config *cfg = calloc(1, sizeof(*cfg));
	struct errbuf err = { { 0 } };
	int r;

	cr_assert(copy && cfg);
	for (unsigned i = 1; i < a->argc; i++)
		copy[i - 1] = strdup(a->argv[i]);
	r = cli_parse_run((int)a->argc - 1, copy, cfg, &err);
	cr_assert_eq(r, 0, "strand run refuses the argv: %s", err.msg);
	for (unsigned i = 0; i + 1 < a->argc; i++)
		free(copy[i]);
	free(copy);
	free(cfg);
}

struct example {
	const char *file;
	const char *argv;     /* expected domain_argv_join() */
	unsigned ntunings;    /* expected monitor tunings */
	const char *contains; /* a line the canonical text has */
};

static const struct example examples[] = {
	{ "micro-guest.xml",
	  "strand run --name spin --guest smp-spin:duration_ms=2000 --vcpus 2 --memory 65536K "
	  "--console file:/var/log/strand/spin.log",
	  0, "      <strand:guest program='smp-spin' args='duration_ms=2000'/>\n" },
	{ "linux.xml",
	  "strand run --name debian --kernel /var/lib/strand/images/vmlinux --initrd "
	  "/var/lib/strand/images/initramfs.img --cmdline 'console=ttyS0 root=/dev/vda rw' "
	  "--vcpus 2 --memory 1048576K --disk "
	  "path=/var/lib/strand/images/root.img,cache=none,serial=root-disk,aio=io_uring --disk "
	  "path=/var/lib/strand/images/data.img,readonly=on --rng --console pty",
	  0, "      <driver name='qemu' type='raw' cache='none' io='native'/>\n" },
	{ "numa-pinning.xml",
	  "strand run --name numa-db --guest numa:nodes=2 --vcpus 4,sockets=2,cores=2,threads=1 "
	  "--memory 262144K,prealloc=on --numa node=0,cpus=0-1,memory=131072K,host-node=0 --numa "
	  "node=1,cpus=2-3,memory=131072K,host-node=1 --numa src=0,dst=1,distance=21 --console "
	  "none --sched credit:10ms --weight 512 --cap 150",
	  5, "    <vcpupin vcpu='3' cpuset='4-5,7'/>\n" },
	{ "iothreads.xml",
	  "strand run --name io --guest blk-io:qd=8 --vcpus 2 --memory 131072K --iothread "
	  "id=iothread1,cpus=2 --iothread id=iothread2,cpus=3 --disk "
	  "path=/var/lib/strand/images/fast.img,cache=none,queues=2,aio=io_uring,iothread=iothread1 "
	  "--disk path=/var/lib/strand/images/slow.img,cache=writeback,aio=sync,iothread=iothread2 "
	  "--console none --virtio-console file=/var/log/strand/io-vcon.log --threading "
	  "qemu,lock=device",
	  3, "    <iothreadpin iothread='2' cpuset='3'/>\n" },
	{ "strand-knobs.xml",
	  "strand run --name knobs --guest pv-spin:duration_ms=1000 --guest-cpl 3 --vcpus 2 "
	  "--memory 32768K --placement compact --console none --threading "
	  "qemu-classic,map=rwlock,poll_ns=50000 --sched gang:5ms --halt-poll 200000 --pv "
	  "unhalt=on,realtime=off,poll-control=on,send-ipi=on,steal-time=off,tlb-flush=on "
	  "--map-churn 100",
	  0, "    <app:owner xmlns:app=\"http://example.org/app/1\">\n" },
};

Test(domxml, examples_roundtrip_and_argv)
{
	for (unsigned i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *ex = &examples[i];
		struct domain_argv a;
		struct domain_def *d;
		size_t len;
		char *xml = read_example(ex->file, &len), *canon, *joined;

		canon = roundtrip(xml, len, 0);
		cr_assert(strstr(canon, ex->contains), "%s: missing '%s' in\n%s", ex->file,
			  ex->contains, canon);
		d = parse_ok(xml, len, 0);
		joined = argv_of(d, &a);
		cr_assert_str_eq(joined, ex->argv, "%s argv", ex->file);
		cr_assert_eq(a.ntunings, ex->ntunings, "%s: %u tunings", ex->file, a.ntunings);
		strand_accepts(&a);
		free(joined);
		domain_argv_free(&a);
		domain_def_free(d);
		free(canon);
		free(xml);
	}
}

Test(domxml, example_values)
{
	struct domain_def *d;
	size_t len;
	char *xml, uuid[37];

	xml = read_example("numa-pinning.xml", &len);
	d = parse_ok(xml, len, 0);
	cr_assert_str_eq(d->name, "numa-db");
	cr_assert_str_eq(domain_uuid_format(d->uuid, uuid), "9e2b6f1a-3c5d-4e7f-8a9b-0c1d2e3f4a5b");
	cr_assert_eq(d->memory_bytes, 256ULL << 20);
	cr_assert_eq(d->vcpus, 4);
	cr_assert_eq(d->ncells, 2);
	cr_assert_eq(d->cell[1].mem_bytes, 128ULL << 20);
	cr_assert_eq(d->cell[0].distance[1], 21);
	cr_assert(d->cell[1].memnode);
	cr_assert_eq(d->cell[1].host_node, 1);
	cr_assert_eq(d->nvcpupin, 4);
	cr_assert(domain_cpuset_test(&d->vcpupin[3].cpus, 7));
	cr_assert(!domain_cpuset_test(&d->vcpupin[3].cpus, 6));
	cr_assert_eq(d->shares, 512);
	cr_assert_eq(domain_cap_pct(d), 150);
	cr_assert_eq(d->alloc, DOMAIN_ON);
	cr_assert_eq(d->guest_kind, DOMAIN_GUEST_MICRO);
	cr_assert_str_eq(d->strand.strategy, "credit");
	cr_assert_eq(d->strand.slice_ns, 10000000);
	domain_def_free(d);
	free(xml);

	xml = read_example("iothreads.xml", &len);
	d = parse_ok(xml, len, 0);
	cr_assert_eq(d->niothreads, 2);
	cr_assert(domain_iothread_find(d, 2)->pinned);
	cr_assert_eq(d->disk[0].queues, 2);
	cr_assert_eq(d->disk[1].io, DOMAIN_IO_THREADS);
	cr_assert_eq(d->vconsole, DOMAIN_CHR_FILE);
	cr_assert_eq(domain_vcpu_pin(d, 1), &d->cpuset);
	domain_def_free(d);
	free(xml);

	xml = read_example("linux.xml", &len);
	d = parse_ok(xml, len, 0);
	cr_assert_eq(d->guest_kind, DOMAIN_GUEST_KERNEL);
	cr_assert_str_eq(d->cmdline, "console=ttyS0 root=/dev/vda rw");
	cr_assert_eq(d->serial, DOMAIN_CHR_PTY);
	cr_assert_eq(d->rng, DOMAIN_RNG_RANDOM);
	cr_assert(d->disk[1].readonly);
	cr_assert_str_eq(d->disk[0].serial, "root-disk");
	domain_def_free(d);
	free(xml);
}

Test(domxml, tunings_pin_each_vcpu)
{
	size_t len;
	char *xml = read_example("numa-pinning.xml", &len);
	struct domain_def *d = parse_ok(xml, len, 0);
	struct domain_argv a;
	char *j = argv_of(d, &a);

	cr_assert_eq(a.tunings[2].kind, DOMAIN_TUNE_VCPU_PIN);
	cr_assert_eq(a.tunings[2].vcpu, 2);
	cr_assert_str_eq(a.tunings[2].cpulist, "4-5");
	cr_assert_eq(a.tunings[4].kind, DOMAIN_TUNE_EMULATOR_PIN);
	cr_assert_str_eq(a.tunings[4].cpulist, "0");
	cr_assert(strstr(j, "--console none"), "%s", j);
	free(j);
	domain_argv_free(&a);
	domain_def_free(d);
	free(xml);
}

#define NS "xmlns:strand='" DOMAIN_STRAND_NS "'"
#define CFG \
	"<metadata><strand:config " NS "><strand:guest program='hello'/></strand:config></metadata>"
/* A minimal valid domain with `top` after <os> and `dev` inside <devices>. */
#define DOM(top, dev)                                                         \
	"<domain type='kvm'><name>t</name><memory unit='MiB'>16</memory>" CFG \
	"<os><type>hvm</type></os>" top "<devices>" dev "</devices></domain>"

Test(domxml, minimal_defaults)
{
	const char *xml = DOM("", "");
	struct domain_def *d = parse_ok(xml, strlen(xml), 0), *e;
	char *x = format_ok(d, 0);

	cr_assert_eq(d->vcpus, 1);
	cr_assert_eq(d->on_reboot, DOMAIN_LC_RESTART);
	cr_assert_eq(d->uuid[6] >> 4, 4, "UUID version 4");
	cr_assert_eq(d->uuid[8] >> 6, 2, "RFC 4122 variant");
	e = parse_ok(xml, strlen(xml), 0);
	cr_assert(memcmp(d->uuid, e->uuid, 16), "two generated UUIDs are equal");
	cr_assert(strstr(x, "<vcpu placement='static'>1</vcpu>"));
	cr_assert(strstr(x, "<currentMemory unit='KiB'>16384</currentMemory>"));
	free(x);
	domain_def_free(e);
	domain_def_free(d);
}

Test(domxml, live_xml)
{
	const char *xml = DOM("", "<serial type='pty'/>");
	struct domain_def *d = parse_ok(xml, strlen(xml), 0), *l, *inactive;
	struct domain_argv a;
	char *live, *again, *j;

	d->id = 7;
	d->serial_pty = strdup("/dev/pts/3");
	live = format_ok(d, DOMAIN_XML_LIVE);
	cr_assert(strstr(live, "<domain type='kvm' id='7'>"), "%s", live);
	cr_assert(strstr(live, "<source path='/dev/pts/3'/>"), "%s", live);
	cr_assert(strstr(live, "<console type='pty' tty='/dev/pts/3'>"), "%s", live);
	free(roundtrip(live, strlen(live), DOMAIN_XML_LIVE));
	/* define of a live dump keeps the configuration and drops the runtime part */
	l = parse_ok(live, strlen(live), DOMAIN_XML_LIVE);
	cr_assert_eq(l->id, 7);
	cr_assert_str_eq(l->serial_pty, "/dev/pts/3");
	inactive = parse_ok(live, strlen(live), 0);
	cr_assert_eq(inactive->id, -1);
	cr_assert_null(inactive->serial_pty);
	again = format_ok(inactive, 0);
	cr_assert(!strstr(again, "id='7'") && !strstr(again, "pts"), "%s", again);
	j = argv_of(inactive, &a);
	cr_assert(strstr(j, "--console pty"), "%s", j);
	free(j);
	domain_argv_free(&a);
	free(again);
	free(live);
	domain_def_free(inactive);
	domain_def_free(l);
	domain_def_free(d);
}

Test(domxml, copy_is_deep)
{
	size_t len;
	char *xml = read_example("strand-knobs.xml", &len);
	struct domain_def *d = parse_ok(xml, len, 0), *c = domain_def_copy(d);
	char *x = format_ok(d, 0), *y;

	cr_assert(c);
	domain_def_free(d);
	y = format_ok(c, 0);
	cr_assert_str_eq(x, y);
	free(x);
	free(y);
	domain_def_free(c);
	free(xml);
}

Test(domxml, escaping_roundtrips)
{
	const char *xml =
		"<domain type='kvm'><name>e</name><title>a &amp; b &lt;c&gt; 'q' \"d\"</title>"
		"<description>line 1\nline 2 &#13; tab\there ]]&gt; &amp;amp;</description>"
		"<memory unit='MiB'>16</memory><metadata><strand:config " NS
		"><strand:guest program='blk-hostile' args='only=&apos;1&apos;&quot;2&quot;&amp;'/>"
		"</strand:config></metadata><os><type>hvm</type></os><devices><disk><source "
		"file='/a,b&amp;c&apos;d'/><target dev='vda'/></disk></devices></domain>";
	struct domain_def *d = parse_ok(xml, strlen(xml), 0);
	struct domain_argv a;
	char *x = roundtrip(xml, strlen(xml), 0), *j;

	cr_assert_str_eq(d->title, "a & b <c> 'q' \"d\"");
	cr_assert_str_eq(d->description, "line 1\nline 2 \r tab\there ]]> &amp;");
	cr_assert_str_eq(d->disk[0].path, "/a,b&c'd");
	j = argv_of(d, &a);
	cr_assert(strstr(j, "'path=/a,,b&c'\\''d'"), "%s", j);
	strand_accepts(&a);
	free(j);
	domain_argv_free(&a);
	free(x);
	domain_def_free(d);
}

Test(domxml, units_and_cpusets)
{
	static const struct {
		const char *unit, *value;
		uint64_t bytes;
	} units[] = {
		{ "KiB", "16384", 16ULL << 20 },   { "k", "16384", 16ULL << 20 },
		{ "M", "16", 16ULL << 20 },	   { "MiB", "16", 16ULL << 20 },
		{ "G", "1", 1ULL << 30 },	   { "bytes", "16777216", 16ULL << 20 },
		{ "b", "16777216", 16ULL << 20 },  { "KB", "16384000", 16384000ULL * 1000 },
		{ "MB", "16384", 16384000000ULL }, { "GiB", "1", 1ULL << 30 },
	};
	struct domain_cpuset s;
	char buf[64];

	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		char xml[1024];
		struct domain_def *d;

		snprintf(xml, sizeof(xml),
			 "<domain type='kvm'><name>u</name><memory unit='%s'>%s</memory>" CFG
			 "<os><type>hvm</type></os></domain>",
			 units[i].unit, units[i].value);
		d = parse_ok(xml, strlen(xml), 0);
		cr_assert_eq(d->memory_bytes, units[i].bytes, "%s %s", units[i].value,
			     units[i].unit);
		domain_def_free(d);
	}
	cr_assert_eq(domain_cpuset_parse("0-3,^2,8", &s), 0);
	cr_assert_str_eq(domain_cpuset_format(&s, ',', buf, sizeof(buf)), "0-1,3,8");
	cr_assert_str_eq(domain_cpuset_format(&s, '+', buf, sizeof(buf)), "0-1+3+8");
	cr_assert_eq(domain_cpuset_parse("1023", &s), 0);
	cr_assert_eq(domain_cpuset_parse("1024", &s), -ERANGE);
	cr_assert_eq(domain_cpuset_parse("3-1", &s), -EINVAL);
	cr_assert_eq(domain_cpuset_parse("1,", &s), -EINVAL);
	cr_assert_eq(domain_cpuset_parse("^1", &s), -EINVAL);
	cr_assert_eq(domain_cpuset_parse("1 ", &s), -EINVAL);
	cr_assert_eq(domain_cpuset_parse("", &s), -EINVAL);
	cr_assert_eq(domain_cpuset_parse("99999", &s), -EINVAL);
}

/* The knob tables of libdomxml agree with strand's own parsers. */
Test(domxml, knob_tables_match_strand)
{
	struct errbuf err;

	for (unsigned i = 0; domain_presets[i]; i++) {
		struct threading_config t;

		threading_default(&t);
		cr_assert_eq(threading_parse(domain_presets[i], &t, &err), 0, "%s",
			     domain_presets[i]);
	}
	cr_assert_eq(threading_preset_count, 6, "a preset was added: update domain_presets");
	for (unsigned i = 0; domain_strategies[i]; i++) {
		struct sched_config s;

		cr_assert_eq(sched_parse(domain_strategies[i], &s, &err), 0, "%s",
			     domain_strategies[i]);
	}
	for (unsigned i = 0; domain_placements[i]; i++) {
		enum place_policy p;

		cr_assert_eq(place_policy_parse(domain_placements[i], &p), 0, "%s",
			     domain_placements[i]);
	}
}

struct bad {
	const char *xml;
	int code;
	const char *msg; /* a substring of the message */
};

static const struct bad bad_cases[] = {
	/* malformed documents */
	{ "", DOMAIN_ERR_XML_ERROR, "empty document" },
	{ "<domain type='kvm'>", DOMAIN_ERR_XML_ERROR, "line 1" },
	{ "<domain type='kvm'><name>a</nam></domain>", DOMAIN_ERR_XML_ERROR, "mismatch" },
	{ "<domain type='kvm' type='kvm'/>", DOMAIN_ERR_XML_ERROR, "redefined" },
	{ "<domain type='kvm'><name>&foo;</name></domain>", DOMAIN_ERR_XML_ERROR, "foo" },
	{ "<domain type='kvm'/><domain/>", DOMAIN_ERR_XML_ERROR, "line 1" },
	{ "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x 'y'>]><domain type='kvm'>"
	  "<name>&x;</name></domain>",
	  DOMAIN_ERR_XML_ERROR, "DOCTYPE" },
	{ "<!DOCTYPE domain SYSTEM 'http://example.org/x.dtd'><domain type='kvm'/>",
	  DOMAIN_ERR_XML_ERROR, "DOCTYPE" },
	{ "<!DOCTYPE domain [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain "
	  "type='kvm'><name>&e;</name></domain>",
	  DOMAIN_ERR_XML_ERROR, "DOCTYPE" },
	{ "<domain type='kvm' xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include "
	  "href='/etc/passwd'/></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "http://www.w3.org/2001/XInclude" },
	/* the root */
	{ "<dom type='kvm'/>", DOMAIN_ERR_XML_DETAIL, "root element must be <domain>" },
	{ "<domain/>", DOMAIN_ERR_XML_DETAIL, "/domain/@type: missing" },
	{ "<domain type='qemu'/>", DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/@type: 'qemu'" },
	{ "<domain type='strand'/>", DOMAIN_ERR_CONFIG_UNSUPPORTED, "type='kvm'" },
	{ "<domain xmlns='http://x' type='kvm'/>", DOMAIN_ERR_XML_DETAIL, "no namespace" },
	{ "<domain type='kvm' foo='1'/>", DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/@foo" },
	{ "<domain type='kvm'><memory>16384</memory>" CFG "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "<name> is missing" },
	/* unknown elements and attributes */
	{ DOM("<blkiotune/>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/blkiotune" },
	{ DOM("<pm/>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "<pm> is not supported" },
	{ DOM("", "<graphics type='vnc'/>"), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/devices/graphics" },
	{ DOM("", "<interface type='network'/>"), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "no network devices" },
	{ DOM("", "<disk type='file'><source file='/a'/><target dev='vda'/><address/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/devices/disk/address" },
	{ DOM("", "<disk type='file'><driver name='qemu' discard='unmap'/><source "
		  "file='/a'/><target dev='vda'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/devices/disk/driver/@discard" },
	{ DOM("", "<disk type='block'><source dev='/dev/sda'/><target dev='vda'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/devices/disk/@type: 'block'" },
	{ DOM("<features><smm/></features>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "feature <smm>" },
	{ DOM("<features><kvm><hidden state='on'/></kvm></features>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "KVM feature <hidden>" },
	{ DOM("<cpu mode='host-model'/>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/cpu/@mode: 'host-model'" },
	{ DOM("<cpu><model>Skylake</model></cpu>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/cpu/model" },
	{ DOM("<cputune><cachetune vcpus='0'/></cputune>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/cputune/cachetune" },
	{ DOM("<clock offset='localtime'/>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/clock/@offset" },
	{ DOM("<on_crash>preserve</on_crash>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "/domain/on_crash: 'preserve'" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG
	  "<os><type>hvm</type><boot dev='hd'/></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/os/boot" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG
	  "<os><type machine='pc-q35-7.2'>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/os/type/@machine" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG
	  "<os><type arch='aarch64'>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "strand runs x86_64" },
	{ DOM("<strand:threading " NS " preset='qemu'/>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "inside <metadata><strand:config>" },
	{ DOM("<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "namespace http://libvirt.org/schemas/domain/qemu/1.0" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:frobnicate/></strand:config></metadata><os>"
	  "<type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "<strand:frobnicate> is not a strand knob" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello' speed='9'/></strand:config></metadata><os>"
	  "<type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "strand:guest/@speed" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><other/></metadata>"
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "need a namespace" },
	/* bad values */
	{ DOM("<vcpu>0</vcpu>", ""), DOMAIN_ERR_XML_DETAIL, "/domain/vcpu: '0'" },
	{ DOM("<vcpu>two</vcpu>", ""), DOMAIN_ERR_XML_DETAIL, "'two' is not a number" },
	{ DOM("<vcpu>5000</vcpu>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "at most 4096" },
	{ DOM("<vcpu current='1'>2</vcpu>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "hot-plug" },
	{ DOM("<vcpu cpuset='0-'>2</vcpu>", ""), DOMAIN_ERR_XML_DETAIL, "/domain/vcpu/@cpuset" },
	{ DOM("<vcpu cpuset='2000'>2</vcpu>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "CPU numbers go up to 1023" },
	{ DOM("<vcpu placement='dynamic'>2</vcpu>", ""), DOMAIN_ERR_XML_DETAIL, "static or auto" },
	{ "<domain type='kvm'><name>a/b</name><memory>16384</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "domain names are letters" },
	{ "<domain type='kvm'><name>t</name><uuid>not-a-uuid</uuid><memory>16384</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "/domain/uuid: 'not-a-uuid'" },
	{ "<domain type='kvm'><name>t</name><memory unit='parsec'>1</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "/domain/memory/@unit" },
	{ "<domain type='kvm'><name>t</name><memory>-5</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "'-5' is not a number" },
	{ "<domain type='kvm'><name>t</name><memory unit='EiB'>99</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "too large" },
	{ "<domain type='kvm'><name>t</name><memory unit='KiB'>1024</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "below strand's minimum" },
	{ "<domain type='kvm'><name>t</name><memory unit='b'>16777217</memory>" CFG
	  "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "multiple of 4 KiB" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><currentMemory>8192"
	  "</currentMemory>" CFG "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "no balloon" },
	{ "<domain type='kvm'><name>t</name>" CFG "<os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "<memory> is missing" },
	{ DOM("<name>u</name>", ""), DOMAIN_ERR_XML_DETAIL, "element <name> given twice" },
	{ DOM("<title>a\nb</title>", ""), DOMAIN_ERR_XML_DETAIL, "one line" },
	{ DOM("<vcpu>2<b/></vcpu>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/vcpu/b" },
	{ DOM("<os>text</os>", ""), DOMAIN_ERR_XML_DETAIL, "element <os> given twice" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG
	  "<os>hello<type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "unexpected text 'hello'" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG "</domain>",
	  DOMAIN_ERR_XML_DETAIL, "<os> is missing" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><os><type>hvm</type></os>"
	  "</domain>",
	  DOMAIN_ERR_INVALID_ARG, "nothing to run" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><os><type>exe</type></os>"
	  "</domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "'exe'" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><os><type>hvm</type>"
	  "<kernel>vmlinux</kernel></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "/domain/os/kernel: 'vmlinux' is not an absolute path" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><os><type>hvm</type>"
	  "<kernel>/k</kernel></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "add <acpi/>" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory>" CFG "<os><type>hvm</type>"
	  "<kernel>/k</kernel></os><features><acpi/></features></domain>",
	  DOMAIN_ERR_INVALID_ARG, "either a kernel or a micro-guest" },
	{ DOM("<features><pvspinlock state='maybe'/></features>", ""), DOMAIN_ERR_XML_DETAIL,
	  "/domain/features/pvspinlock/@state: 'maybe'" },
	{ DOM("<features><kvm><hint-dedicated/></kvm></features>", ""), DOMAIN_ERR_XML_DETAIL,
	  "hint-dedicated/@state: missing" },
	/* cpu, cells, pins */
	{ DOM("<vcpu>4</vcpu><cpu><topology sockets='3' cores='1' threads='1'/></cpu>", ""),
	  DOMAIN_ERR_INVALID_ARG, "3 sockets x 1 cores x 1 threads is not the 4 vCPUs" },
	{ DOM("<vcpu>2</vcpu><cpu><topology sockets='1' dies='2' cores='1' threads='1'/></cpu>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "no dies level" },
	{ DOM("<vcpu>2</vcpu><cputune><vcpupin vcpu='2' cpuset='0'/></cputune>", ""),
	  DOMAIN_ERR_INVALID_ARG, "<vcpupin vcpu='2'>: the domain has 2 vCPUs" },
	{ DOM("<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='0'/><vcpupin vcpu='1' "
	      "cpuset='1'/></cputune>",
	      ""),
	  DOMAIN_ERR_XML_DETAIL, "<vcpupin vcpu='1'> given twice" },
	{ DOM("<cputune><vcpupin vcpu='0' cpuset='x'/></cputune>", ""), DOMAIN_ERR_XML_DETAIL,
	  "/domain/cputune/vcpupin/@cpuset: 'x'" },
	{ DOM("<cputune><vcpupin vcpu='0'/></cputune>", ""), DOMAIN_ERR_XML_DETAIL,
	  "vcpupin/@cpuset: missing" },
	{ DOM("<cputune><emulatorpin cpuset='0'/><emulatorpin cpuset='1'/></cputune>", ""),
	  DOMAIN_ERR_XML_DETAIL, "given twice" },
	{ DOM("<cputune><iothreadpin iothread='3' cpuset='0'/></cputune>", ""),
	  DOMAIN_ERR_XML_DETAIL, "no iothread 3" },
	{ DOM("<vcpu>2</vcpu><cputune><vcpusched vcpus='0' scheduler='fifo' "
	      "priority='5'/></cputune>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "vcpus='0-1'" },
	{ DOM("<cputune><vcpusched scheduler='rr' priority='5'/></cputune>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "'rr' is not supported" },
	{ DOM("<cputune><vcpusched scheduler='fifo' priority='99'/></cputune>", ""),
	  DOMAIN_ERR_XML_DETAIL, "priority: '99' is not a number in 1-98" },
	{ DOM("<cputune><shares>100000</shares></cputune>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "credit weight is 1-65535" },
	{ DOM("<cputune><quota>500</quota></cputune>", ""), DOMAIN_ERR_XML_DETAIL,
	  "expected -1 (no limit)" },
	{ DOM("<cputune><period>10</period></cputune>", ""), DOMAIN_ERR_XML_DETAIL,
	  "/domain/cputune/period: '10'" },
	{ DOM("<cputune><quota>50000</quota><global_quota>50000</global_quota></cputune>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "caps the VM as a whole" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='16' "
	      "unit='MiB'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_INVALID_ARG, "vCPU 1 is in no <cell>" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='8' unit='MiB'/><cell "
	      "id='1' cpus='1' memory='8' unit='MiB'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_INVALID_ARG, "vCPU 1 is in more than one <cell>" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='8' "
	      "unit='MiB'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_INVALID_ARG, "cells' memory adds up to 8192 KiB but <memory> is 16384 KiB" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='8' unit='MiB'/><cell "
	      "id='2' cpus='1' memory='8' unit='MiB'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_XML_DETAIL, "without gaps" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='3' unit='MiB'/><cell "
	      "id='1' cpus='1' memory='13' unit='MiB'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "at least 4 MiB per guest node" },
	{ DOM("<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='8' "
	      "unit='MiB'><distances><sibling id='1' value='20'/></distances></cell><cell id='1' "
	      "cpus='1' memory='8' unit='MiB'><distances><sibling id='0' "
	      "value='30'/></distances></cell></numa></cpu>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "asymmetric distances" },
	{ DOM("<cpu><numa><cell id='9' cpus='0' memory='16' unit='MiB'/></numa></cpu>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "at most 8 guest NUMA cells" },
	{ DOM("<cpu><numa><cell id='0' cpus='0' memory='16' unit='MiB' "
	      "memAccess='shared'/></numa></cpu>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "cell/@memAccess" },
	/* numatune, memory backing */
	{ DOM("<numatune><memory mode='restrictive' nodeset='0'/></numatune>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "'restrictive' is not supported" },
	{ DOM("<numatune><memory mode='strict'/></numatune>", ""), DOMAIN_ERR_INVALID_ARG,
	  "nodeset= is required" },
	{ DOM("<numatune><memory mode='strict' nodeset='70'/></numatune>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "host nodes go up to 63" },
	{ DOM("<numatune><memory placement='auto'/></numatune>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "use <vcpu placement='auto'>" },
	{ DOM("<numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>", ""),
	  DOMAIN_ERR_INVALID_ARG, "no such <cell>" },
	{ DOM("<cpu><numa><cell id='0' cpus='0' memory='16' unit='MiB'/></numa></cpu>"
	      "<numatune><memnode cellid='0' mode='strict' nodeset='0-1'/></numatune>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "a single host node" },
	{ DOM("<cpu><numa><cell id='0' cpus='0' memory='16' unit='MiB'/></numa></cpu>"
	      "<numatune><memory mode='strict' nodeset='0'/><memnode cellid='0' mode='strict' "
	      "nodeset='0'/></numatune>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "not both" },
	{ DOM("<memoryBacking><hugepages><page size='1' unit='G'/></hugepages></memoryBacking>",
	      ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "default huge page size" },
	{ DOM("<memoryBacking><locked/></memoryBacking>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "element <locked>" },
	/* iothreads and disks */
	{ DOM("<iothreads>20</iothreads>", ""), DOMAIN_ERR_CONFIG_UNSUPPORTED, "at most 16" },
	{ DOM("<iothreads>1</iothreads><iothreadids><iothread id='1'/><iothread "
	      "id='2'/></iothreadids>",
	      ""),
	  DOMAIN_ERR_XML_DETAIL, "<iothreadids> lists 2" },
	{ DOM("<iothreadids><iothread id='1'/><iothread id='1'/></iothreadids>", ""),
	  DOMAIN_ERR_XML_DETAIL, "iothread 1 given twice" },
	{ DOM("<iothreadids><iothread id='1' thread_pool_max='4'/></iothreadids>", ""),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "iothread/@thread_pool_max" },
	{ DOM("", "<disk type='file'><driver iothread='1'/><source file='/a'/><target "
		  "dev='vda'/></disk>"),
	  DOMAIN_ERR_INVALID_ARG, "<driver iothread='1'>: no such iothread" },
	{ DOM("", "<disk type='file'><source file='/a'/><target dev='vda'/></disk><disk "
		  "type='file'><source file='/b'/><target dev='vda'/></disk>"),
	  DOMAIN_ERR_INVALID_ARG, "target dev 'vda' is used twice" },
	{ DOM("", "<disk type='file'><source file='/a'/><target dev='sda' bus='scsi'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "virtio disks vda" },
	{ DOM("", "<disk type='file'><source file='/a'/></disk>"), DOMAIN_ERR_XML_DETAIL,
	  "<target dev=> is missing" },
	{ DOM("", "<disk type='file'><target dev='vda'/></disk>"), DOMAIN_ERR_XML_DETAIL,
	  "<source file=> is missing" },
	{ DOM("", "<disk type='file' device='cdrom'><source file='/a'/><target "
		  "dev='vda'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "device='disk'" },
	{ DOM("", "<disk type='file'><driver type='qcow2'/><source file='/a'/><target "
		  "dev='vda'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "strand reads raw images" },
	{ DOM("", "<disk type='file'><driver cache='unsafe'/><source file='/a'/><target "
		  "dev='vda'/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "driver/@cache: 'unsafe'" },
	{ DOM("", "<disk type='file'><driver queues='65'/><source file='/a'/><target "
		  "dev='vda'/></disk>"),
	  DOMAIN_ERR_XML_DETAIL, "queues: '65'" },
	{ DOM("", "<disk type='file'><source file='/a'/><target dev='vda'/><serial>this serial "
		  "is far too long</serial></disk>"),
	  DOMAIN_ERR_XML_DETAIL, "1 to 20 letters" },
	{ DOM("", "<disk type='file'><source file='/a'/><target dev='vda'/><shareable/></disk>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "disk/shareable" },
	/* character devices, rng, balloon */
	{ DOM("", "<serial type='tcp'/>"), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "'tcp' is not "
	  "supported" },
	{ DOM("", "<serial type='file'/>"), DOMAIN_ERR_XML_DETAIL, "path: missing" },
	{ DOM("", "<serial type='pty'/><serial type='pty'/>"), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "one serial port" },
	{ DOM("", "<serial type='pty'><target port='1'/></serial>"), DOMAIN_ERR_CONFIG_UNSUPPORTED,
	  "port 0 only" },
	{ DOM("", "<serial type='pty'/><console type='file'><source path='/x'/></console>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "must match <serial>" },
	{ DOM("", "<console type='pty'><target type='virtio'/></console>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "file or a UNIX socket" },
	{ DOM("", "<console type='unix'><source mode='connect' path='/s'/><target "
		  "type='virtio'/></console>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "mode='bind'" },
	{ DOM("", "<rng model='virtio'><backend model='random'>/dev/hwrng</backend></rng>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "no other source" },
	{ DOM("", "<rng model='virtio'><backend model='egd' type='tcp'/></rng>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "'egd'" },
	{ DOM("", "<rng model='virtio'><backend model='builtin'/><rate bytes='1'/></rng>"),
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "/domain/devices/rng/rate" },
	{ DOM("", "<memballoon model='virtio'/>"), DOMAIN_ERR_CONFIG_UNSUPPORTED, "no balloon" },
	{ DOM("", "<emulator>/usr/bin/qemu-system-x86_64</emulator>"), 0, NULL },
	/* strand knobs */
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='Bad Name'/></strand:config></metadata><os><type>hvm</type>"
	  "</os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "not a micro-guest name" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='a' file='/b'/></strand:config></metadata><os><type>hvm</type>"
	  "</os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "one of them" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello' cpl='1'/></strand:config></metadata><os>"
	  "<type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "expected 0 or 3" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:threading preset='xen'/></strand:config>"
	  "</metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "threading/@preset: 'xen': expected qemu-classic" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:sched strategy='fifo'/></strand:config>"
	  "</metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "vcpusched" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:sched strategy='gang' slice='50s'/>"
	  "</strand:config></metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "between 0.1ms and 10s" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:sched strategy='host' slice='5ms'/>"
	  "</strand:config></metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "only for the gang and credit" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:disable-exits exits='hlt'/>"
	  "</strand:config></metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "needs <strand:sched strategy='pinned'>" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:disable-exits exits='hlt,nap'/>"
	  "</strand:config></metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "unknown exit 'nap'" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:halt-poll ns='200000000'/></strand:config>"
	  "</metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "0-100000000" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:pv eoi='maybe'/></strand:config>"
	  "</metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "pv/@eoi" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:guest program='hello'/></strand:config>"
	  "</metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_XML_DETAIL, "given twice" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:placement policy='compact'/></strand:config>"
	  "</metadata><vcpu placement='auto'>1</vcpu><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "one placement per domain" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:sched strategy='pinned'/></strand:config>"
	  "</metadata><cputune><vcpupin vcpu='0' cpuset='1'/></cputune><os><type>hvm</type>"
	  "</os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "CPU of its own" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:sched strategy='gang'/></strand:config>"
	  "</metadata><cputune><vcpusched scheduler='fifo' priority='3'/></cputune><os>"
	  "<type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "one strategy per domain" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest program='hello'/><strand:threading iothreads='2'/></strand:config>"
	  "</metadata><iothreads>1</iothreads><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "one or the other" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:config " NS
	  "><strand:guest file='/a:b'/></strand:config></metadata><os><type>hvm</type></os>"
	  "</domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "path with ':'" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><strand:knobs " NS
	  "/></metadata><os><type>hvm</type></os></domain>",
	  DOMAIN_ERR_CONFIG_UNSUPPORTED, "inside one <strand:config>" },
	{ "<domain type='kvm'><name>t</name><memory>16384</memory><metadata><a:x "
	  "xmlns:a='urn:a'/><b:y xmlns:b='urn:a'/>" CFG "</metadata><os><type>hvm</type></os>"
	  "</domain>",
	  DOMAIN_ERR_XML_DETAIL, "one per namespace" },
};

static void expect_bad(const char *xml, size_t len, int code, const char *msg)
{
	struct domain_def *d = (struct domain_def *)0x1;
	struct domain_error e = { 0 };
	int r = domain_parse(xml, len, NULL, &d, &e);

	cr_assert_eq(r, -EINVAL, "accepted (%d): %.300s", r, xml);
	cr_assert_null(d);
	cr_assert_eq(e.code, code, "code %d, not %d: %s (%.200s)", e.code, code, e.message, xml);
	cr_assert(strstr(e.message, msg), "message '%s' lacks '%s'", e.message, msg);
	cr_assert_eq(e.domain, code == DOMAIN_ERR_XML_ERROR ? DOMAIN_FROM_XML : DOMAIN_FROM_DOMAIN);
	cr_assert(!strchr(e.message, '\n'), "multi-line message: %s", e.message);
}

Test(domxml, errors)
{
	for (unsigned i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];

		if (!b->msg)
			continue;
		expect_bad(b->xml, strlen(b->xml), b->code, b->msg);
	}
}

Test(domxml, emulator_checked_against_the_daemon)
{
	const char *xml = DOM("", "<emulator>/usr/bin/qemu-system-x86_64</emulator>");
	struct domain_parse_opts o = { .emulator = "/usr/local/bin/strand" };
	struct domain_def *d;
	struct domain_error e;

	cr_assert_eq(domain_parse(xml, strlen(xml), &o, &d, &e), -EINVAL);
	cr_assert_eq(e.code, DOMAIN_ERR_CONFIG_UNSUPPORTED);
	cr_assert(strstr(e.message, "this strandd runs /usr/local/bin/strand"), "%s", e.message);
	d = parse_ok(xml, strlen(xml), 0);
	domain_def_free(d);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(domxml, billion_laughs_fails_fast)
{
	static const char lol[] =
		"<?xml version='1.0'?>\n<!DOCTYPE domain [\n <!ENTITY a0 'lollollollollol'>\n"
		" <!ENTITY a1 '&a0;&a0;&a0;&a0;&a0;&a0;&a0;&a0;&a0;&a0;'>\n"
		" <!ENTITY a2 '&a1;&a1;&a1;&a1;&a1;&a1;&a1;&a1;&a1;&a1;'>\n"
		" <!ENTITY a3 '&a2;&a2;&a2;&a2;&a2;&a2;&a2;&a2;&a2;&a2;'>\n"
		" <!ENTITY a4 '&a3;&a3;&a3;&a3;&a3;&a3;&a3;&a3;&a3;&a3;'>\n"
		" <!ENTITY a5 '&a4;&a4;&a4;&a4;&a4;&a4;&a4;&a4;&a4;&a4;'>\n"
		" <!ENTITY a6 '&a5;&a5;&a5;&a5;&a5;&a5;&a5;&a5;&a5;&a5;'>\n"
		" <!ENTITY a7 '&a6;&a6;&a6;&a6;&a6;&a6;&a6;&a6;&a6;&a6;'>\n"
		" <!ENTITY a8 '&a7;&a7;&a7;&a7;&a7;&a7;&a7;&a7;&a7;&a7;'>\n"
		" <!ENTITY a9 '&a8;&a8;&a8;&a8;&a8;&a8;&a8;&a8;&a8;&a8;'>\n"
		"]>\n<domain type='kvm'><name>&a9;</name><description a='&a9;'>&a9;</description>"
		"</domain>\n";
	double t0 = now_s();

	expect_bad(lol, sizeof(lol) - 1, DOMAIN_ERR_XML_ERROR, "DOCTYPE");
	cr_assert_lt(now_s() - t0, 1.0, "took %.3f s", now_s() - t0);
}

Test(domxml, deep_nesting)
{
	size_t depth = 100000, len = 0;
	char *xml = malloc(depth * 7 + 64);

	cr_assert(xml);
	len += (size_t)sprintf(xml, "<domain type='kvm'><metadata><a:x xmlns:a='urn:a'>");
	for (size_t i = 0; i < depth; i++)
		len += (size_t)sprintf(xml + len, "<a:x>");
	len += (size_t)sprintf(xml + len, "deep");
	expect_bad(xml, len, DOMAIN_ERR_XML_ERROR, "line 1");
	/* shallow enough for libxml2, too deep for metadata */
	len = (size_t)sprintf(xml, "<domain type='kvm'><name>n</name><memory>16384</memory>"
				   "<metadata><a:x xmlns:a='urn:a'>");
	for (size_t i = 0; i < 40; i++)
		len += (size_t)sprintf(xml + len, "<a:x>");
	for (size_t i = 0; i < 41; i++)
		len += (size_t)sprintf(xml + len, "</a:x>");
	len += (size_t)sprintf(xml + len, "</metadata></domain>");
	expect_bad(xml, len, DOMAIN_ERR_XML_DETAIL, "nested deeper than 32");
	free(xml);
}

Test(domxml, huge_input)
{
	size_t n = DOMAIN_XML_MAX + 1;
	char *xml = malloc(n + 1);
	struct domain_error e;
	struct domain_def *d;
	char *p;

	cr_assert(xml);
	memset(xml, ' ', n);
	memcpy(xml, "<domain type='kvm'><description>", 32);
	xml[n] = '\0';
	expect_bad(xml, n, DOMAIN_ERR_XML_ERROR, "more than the 1048576 accepted");
	/* under the document limit, over the description limit */
	p = xml + sprintf(xml, "<domain type='kvm'><name>h</name><description>");
	memset(p, 'x', DOMAIN_DESC_MAX + 1);
	p += DOMAIN_DESC_MAX + 1;
	p += sprintf(p, "</description></domain>");
	expect_bad(xml, (size_t)(p - xml), DOMAIN_ERR_XML_DETAIL, "longer than 65536 bytes");
	/* a huge number */
	snprintf(xml, n, "<domain type='kvm'><name>h</name><memory>%s</memory></domain>",
		 "99999999999999999999999999999999");
	cr_assert_eq(domain_parse(xml, strlen(xml), NULL, &d, &e), -EINVAL);
	cr_assert(strstr(e.message, "is not a number"), "%s", e.message);
	free(xml);
}

Test(domxml, bad_encoding)
{
	static const char latin1[] = "<domain type='kvm'><name>caf\xe9</name></domain>";
	static const char nul[] = "<domain type='kvm'><name>a\0b</name></domain>";
	static const char utf16[] = "<?xml version='1.0' encoding='UTF-16'?><domain "
				    "type='kvm'><name>caf\xc3\xa9</name></domain>";
	static const char overlong[] = "<domain type='kvm'><name>\xc0\xaf</name></domain>";
	struct domain_error e;
	struct domain_def *d;

	expect_bad(latin1, sizeof(latin1) - 1, DOMAIN_ERR_XML_ERROR, "UTF-8");
	expect_bad(nul, sizeof(nul) - 1, DOMAIN_ERR_XML_ERROR, "line 1");
	expect_bad(overlong, sizeof(overlong) - 1, DOMAIN_ERR_XML_ERROR, "line 1");
	/* the declaration cannot switch decoders: the bytes are read as UTF-8 */
	cr_assert_eq(domain_parse(utf16, sizeof(utf16) - 1, NULL, &d, &e), -EINVAL);
	cr_assert(strstr(e.message, "domain names are letters"), "%s", e.message);
}

Test(domxml, other_metadata_kept)
{
	const char *xml =
		"<domain type='kvm' xmlns:lo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
		"<name>m</name><memory>16384</memory><metadata>\n  <lo:libosinfo>\n    <lo:os "
		"id='http://debian.org/debian/12'/>\n  </lo:libosinfo><strand:config " NS
		"><strand:guest program='hello'/></strand:config>"
		"<x:y xmlns:x='urn:x' a='1'>text &amp; <x:z/></x:y></metadata><os><type>hvm</type>"
		"</os></domain>";
	char *x = roundtrip(xml, strlen(xml), 0);

	cr_assert(strstr(x, "<lo:libosinfo xmlns:lo=\"http://libosinfo.org/xmlns/libvirt/domain/"
			    "1.0\">\n      <lo:os id=\"http://debian.org/debian/12\"/>\n    "
			    "</lo:libosinfo>\n"),
		  "%s", x);
	cr_assert(strstr(x, "<x:y xmlns:x=\"urn:x\" a=\"1\">text &amp; <x:z/></x:y>"), "%s", x);
	free(x);
}

Test(domxml, argv_of_every_knob)
{
	const char *xml =
		"<domain type='kvm'><name>a-very-long-domain-name</name><memory>32768</memory>"
		"<metadata><strand:config " NS "><strand:guest file='/opt/g.elf' args='n=1,m=2' "
		"cpl='0'/><strand:threading lock='big' io='main' map='mutex' iomap='device' "
		"iothreads='3' poll_ns='0'/><strand:sched strategy='pinned' force='yes'/>"
		"<strand:disable-exits exits='pause,hlt'/><strand:pv clocksource='off' eoi='off' "
		"sched-yield='off'/><strand:map-churn hz='5' target='ram'/></strand:config>"
		"</metadata><memoryBacking><hugepages/></memoryBacking><vcpu>4</vcpu><cputune>"
		"<quota>25000</quota><vcpusched scheduler='fifo' priority='7'/></cputune>"
		"<numatune><memory mode='interleave' nodeset='0-1,3'/></numatune><os><type>hvm"
		"</type></os><cpu mode='host-passthrough'/><devices><console type='unix'><source "
		"mode='bind' path='/run/c,1.sock'/><target type='virtio'/></console><rng "
		"model='virtio'><backend model='builtin'/></rng></devices></domain>";
	struct domain_def *d;
	struct domain_error e;
	struct domain_argv a;
	char *j;

	/* pinned + fifo is one strategy too many */
	cr_assert_eq(domain_parse(xml, strlen(xml), NULL, &d, &e), -EINVAL);
	cr_assert(strstr(e.message, "one strategy per domain"), "%s", e.message);
	d = domain_def_new();
	cr_assert(d);
	domain_def_free(d);
	{
		char *x = strdup(xml), *p = strstr(x, "<vcpusched");

		memset(p, ' ', strlen("<vcpusched scheduler='fifo' priority='7'/>"));
		d = parse_ok(x, strlen(x), 0);
		free(roundtrip(x, strlen(x), 0));
		free(x);
	}
	j = argv_of(d, &a);
	cr_assert_str_eq(j,
			 "strand run --name a-very-long-dom --guest-file /opt/g.elf:n=1,m=2 "
			 "--guest-cpl 0 --cpu-model host --vcpus 4 --memory "
			 "32768K,policy=interleave,host-nodes=0-1+3,hugepages=on --rng --console "
			 "none --virtio-console socket=/run/c,,1.sock,wait=off --threading "
			 "lock=big,io=main,map=mutex,iomap=device,iothreads=3,poll_ns=0 --sched "
			 "pinned:force --disable-exits hlt,pause --pv "
			 "clocksource=off,eoi=off,sched-yield=off --map-churn 5,target=ram",
			 "%s", j);
	strand_accepts(&a);
	free(j);
	domain_argv_free(&a);
	domain_def_free(d);
}

Test(domxml, fifo_and_auto_placement)
{
	const char *xml = "<domain type='kvm'><name>rt</name><memory>65536</memory>" CFG
			  "<vcpu placement='auto'>2</vcpu><cputune><vcpusched vcpus='0-1' "
			  "scheduler='fifo' priority='20'/></cputune><numatune><memory "
			  "mode='strict' placement='auto'/></numatune><os><type>hvm</type></os>"
			  "<features><kvm><hint-dedicated state='on'/></kvm></features></domain>";
	struct domain_def *d = parse_ok(xml, strlen(xml), 0);
	struct domain_argv a;
	char *j = argv_of(d, &a), *x = roundtrip(xml, strlen(xml), 0);

	cr_assert_str_eq(j, "strand run --name rt --guest hello --vcpus 2 --memory 65536K "
			    "--placement numa --console none --sched fifo:20 --pv realtime=on");
	cr_assert(strstr(x, "<vcpusched vcpus='0-1' scheduler='fifo' priority='20'/>"), "%s", x);
	cr_assert(strstr(x, "<memory mode='strict' placement='auto'/>"), "%s", x);
	cr_assert_eq(a.ntunings, 0);
	strand_accepts(&a);
	free(x);
	free(j);
	domain_argv_free(&a);
	domain_def_free(d);
}

Test(domxml, check_after_edit)
{
	size_t len;
	char *xml = read_example("numa-pinning.xml", &len);
	struct domain_def *d = parse_ok(xml, len, 0);
	struct domain_error e;

	cr_assert_eq(domain_check(d, &e), 0);
	d->vcpupin[3].vcpu = 9; /* the daemon pins a vCPU that does not exist */
	cr_assert_eq(domain_check(d, &e), -EINVAL);
	cr_assert_eq(e.code, DOMAIN_ERR_INVALID_ARG);
	cr_assert(strstr(e.message, "vcpupin vcpu='9'"), "%s", e.message);
	domain_def_free(d);
	free(xml);
}

/* strandd parses and formats from several threads at once: nothing is shared but libxml2. */
struct par_arg {
	char *xml[5];
	size_t len[5];
	int failures;
};

static void *par_worker(void *p)
{
	struct par_arg *a = p;

	for (unsigned round = 0; round < 40; round++) {
		for (unsigned i = 0; i < 5; i++) {
			struct domain_def *d;
			struct domain_error e;
			char *x;

			if (domain_parse(a->xml[i], a->len[i], NULL, &d, &e)) {
				a->failures++;
				continue;
			}
			if (domain_format(d, DOMAIN_XML_LIVE, &x, &e))
				a->failures++;
			else
				free(x);
			domain_def_free(d);
			/* and an error, which goes through libxml2's error channel */
			if (domain_parse("<domain", 7, NULL, &d, &e) != -EINVAL)
				a->failures++;
		}
	}
	return NULL;
}

Test(domxml, parallel_parses)
{
	struct par_arg args[4];
	pthread_t t[4];

	for (unsigned k = 0; k < 4; k++) {
		args[k].failures = 0;
		for (unsigned i = 0; i < 5; i++)
			args[k].xml[i] = read_example(examples[i].file, &args[k].len[i]);
	}
	for (unsigned k = 0; k < 4; k++)
		cr_assert_eq(pthread_create(&t[k], NULL, par_worker, &args[k]), 0);
	for (unsigned k = 0; k < 4; k++) {
		pthread_join(t[k], NULL);
		cr_assert_eq(args[k].failures, 0, "thread %u: %d failures", k, args[k].failures);
		for (unsigned i = 0; i < 5; i++)
			free(args[k].xml[i]);
	}
}

/* The longest cpusets (every third CPU left out, up to 1023) survive XML, argv and tunings. */
Test(domxml, longest_cpuset)
{
	char list[DOMAIN_CPUSET_TEXT_MAX], *xml = malloc(16384), *x, *j;
	struct domain_cpuset set = { { 0 } }, back;
	struct domain_argv a;
	struct domain_def *d;

	cr_assert(xml);
	for (unsigned i = 0; i < DOMAIN_MAX_HOST_CPUS; i++)
		if (i % 3 != 2)
			domain_cpuset_set(&set, i);
	domain_cpuset_format(&set, ',', list, sizeof(list));
	cr_assert_gt(strlen(list), 2500);
	snprintf(xml, 16384,
		 "<domain type='kvm'><name>c</name><memory>16384</memory>" CFG
		 "<vcpu cpuset='%s'>2</vcpu><os><type>hvm</type></os></domain>",
		 list);
	d = parse_ok(xml, strlen(xml) + 1, 0); /* a counted terminator is fine */
	x = roundtrip(xml, strlen(xml), 0);
	cr_assert(strstr(x, list));
	j = argv_of(d, &a);
	cr_assert_eq(a.ntunings, 3);
	for (unsigned t = 0; t < 3; t++) {
		cr_assert_str_eq(a.tunings[t].cpulist, list);
		cr_assert_eq(domain_cpuset_parse(a.tunings[t].cpulist, &back), 0);
		cr_assert_eq(memcmp(&back, &set, sizeof(set)), 0);
	}
	strand_accepts(&a);
	free(j);
	free(x);
	free(xml);
	domain_argv_free(&a);
	domain_def_free(d);
}

/* What a live or config `virsh vcpupin` does to the definition. */
Test(domxml, vcpupin_set)
{
	size_t len;
	char *xml = read_example("numa-pinning.xml", &len), *x;
	struct domain_def *d = parse_ok(xml, len, 0);
	struct domain_cpuset s;
	struct domain_error e;

	cr_assert_eq(domain_cpuset_parse("6", &s), 0);
	cr_assert_eq(domain_vcpupin_set(d, 4, &s), -EINVAL);
	cr_assert_eq(domain_vcpupin_set(d, 1, &s), 0);
	cr_assert_eq(domain_vcpupin_set(d, 0, NULL), 0);
	cr_assert_eq(d->nvcpupin, 3);
	cr_assert_eq(domain_check(d, &e), 0);
	x = format_ok(d, 0);
	cr_assert(strstr(x, "    <cputune>\n      <shares>") == NULL);
	cr_assert(strstr(x, "<vcpupin vcpu='1' cpuset='6'/>\n    <vcpupin vcpu='2'"), "%s", x);
	cr_assert(!strstr(x, "vcpu='0'"), "%s", x);
	free(x);
	cr_assert_eq(domain_vcpupin_set(d, 0, &s), 0);
	cr_assert_eq(d->vcpupin[0].vcpu, 0);
	cr_assert_eq(domain_vcpu_pin(d, 0), &d->vcpupin[0].cpus);
	domain_def_free(d);
	free(xml);
}
