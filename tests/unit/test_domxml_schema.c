/*
 * test_domxml_schema.c - every docs/examples/NAME.xml, and what libdomxml formats from each
 * (inactive and live), validates against libvirt's own RelaxNG schema with xmllint. Skips,
 * saying why, without Debian's libvirt0 schemas or libxml2-utils' xmllint.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/xml/domain.h"

#define RNG "/usr/share/libvirt/schemas/domain.rng"

extern char **environ;

static void need_tools(void)
{
	if (access(RNG, R_OK))
		cr_skip_test("%s is absent (Debian's libvirt0 ships it)", RNG);
	if (system("command -v xmllint >/dev/null 2>&1"))
		cr_skip_test("xmllint is absent (Debian's libxml2-utils)");
}

/* xmllint --noout --relaxng RNG path; its report goes to the test log. */
static int xmllint(const char *path)
{
	char *argv[] = { "xmllint", "--noout", "--relaxng", RNG, (char *)path, NULL };
	pid_t pid;
	int st;

	cr_assert_eq(posix_spawnp(&pid, "xmllint", NULL, NULL, argv, environ), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void validate_text(const char *what, const char *text)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/domxml-XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	f = fdopen(fd, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(xmllint(path), 0, "%s does not validate against %s:\n%s", what, RNG, text);
	unlink(path);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert(f, "%s: %s", path, strerror(errno));
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

/* The document, then libdomxml's inactive and live formats of it, all valid. */
static void validate_all(const char *what, const char *xml, size_t len)
{
	struct domain_def *d;
	struct domain_error e;
	char *out, label[600];

	cr_assert_eq(domain_parse(xml, len, NULL, &d, &e), 0, "%s: %s", what, e.message);
	cr_assert_eq(domain_format(d, 0, &out, &e), 0);
	snprintf(label, sizeof(label), "%s (formatted, inactive)", what);
	validate_text(label, out);
	free(out);
	d->id = 42;
	if (d->serial == DOMAIN_CHR_PTY)
		d->serial_pty = strdup("/dev/pts/7");
	cr_assert_eq(domain_format(d, DOMAIN_XML_LIVE, &out, &e), 0);
	snprintf(label, sizeof(label), "%s (formatted, live)", what);
	validate_text(label, out);
	free(out);
	domain_def_free(d);
}

Test(domxml_schema, examples_and_their_formats)
{
	const char *src = getenv("STRAND_SRC");
	char dir[512], path[1024];
	unsigned n = 0;
	struct dirent *de;
	DIR *dp;

	need_tools();
	cr_assert(src, "STRAND_SRC is not set (run through meson test)");
	snprintf(dir, sizeof(dir), "%s/docs/examples", src);
	dp = opendir(dir);
	cr_assert(dp, "%s: %s", dir, strerror(errno));
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		char *xml;

		if (len < 5 || strcmp(de->d_name + len - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		cr_assert_eq(xmllint(path), 0, "%s does not validate against %s", path, RNG);
		xml = slurp(path, &len);
		validate_all(path, xml, len);
		free(xml);
		n++;
	}
	closedir(dp);
	cr_assert_geq(n, 5, "only %u examples in %s", n, dir);
}

#define NS "xmlns:strand='" DOMAIN_STRAND_NS "'"

/* Shapes the examples do not have: each formatted inactive and live. */
Test(domxml_schema, other_shapes)
{
	static const char *const docs[] = {
		"<domain type='kvm'><name>rt</name><memory>65536</memory><metadata><strand:config " NS
		"><strand:guest program='hello'/><strand:disable-exits exits='all'/><strand:sched "
		"strategy='pinned' force='yes'/><strand:pv clocksource='off' eoi='on' "
		"sched-yield='off'/></strand:config></metadata><memoryBacking><hugepages/>"
		"<allocation mode='ondemand'/></memoryBacking><vcpu placement='auto'>2</vcpu>"
		"<cputune><period>50000</period><quota>-1</quota></cputune><numatune><memory "
		"mode='interleave' placement='auto'/></numatune><os><type>hvm</type></os><cpu "
		"mode='host-passthrough'/><devices><console type='unix'><source mode='bind' "
		"path='/run/strand/rt.sock'/><target type='virtio'/></console><rng "
		"model='virtio'><backend model='builtin'/></rng></devices></domain>",
		"<domain type='kvm'><name>fifo</name><title>t &amp; t</title><description>d\n"
		"</description><memory unit='GiB'>2</memory><vcpu>1</vcpu><cputune><vcpusched "
		"scheduler='fifo' priority='50'/><emulatorpin cpuset='1'/></cputune><numatune>"
		"<memory mode='preferred' nodeset='1'/></numatune><os><type>hvm</type><kernel>/k"
		"</kernel></os><features><acpi/><pvspinlock/></features><devices><serial "
		"type='pty'/><console type='pty'/></devices></domain>",
	};

	need_tools();
	for (unsigned i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "document %u", i);
		validate_all(what, docs[i], strlen(docs[i]));
	}
}
