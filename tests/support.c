/* support.c - test helpers: process runner with timeout and captured output, KVM probe. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support.h"
#include "util/compiler.h"

extern char **environ;

const char *test_kvm_unavailable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return strerror(errno);
	close(fd);
	return NULL;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *d, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
}

int test_run_strandv(struct run_result *r, const char *stdin_data, double timeout_s,
		     char *const argv[])
{
	const char *bin = getenv("STRAND_BIN");
	int out[2], err[2], in[2];
	posix_spawn_file_actions_t fa;
	struct buf bo = { 0 }, be = { 0 };
	size_t in_off = 0, in_len = stdin_data ? strlen(stdin_data) : 0;
	double deadline = mono_s() + timeout_s;
	bool killed = false;
	char **args;
	int n = 0, status, ret;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (!bin)
		return -ENOENT;
	while (argv[n])
		n++;
	args = calloc((size_t)n + 2, sizeof(char *));
	args[0] = (char *)bin;
	memcpy(args + 1, argv, (size_t)n * sizeof(char *));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(in, O_CLOEXEC)) {
		free(args);
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	ret = posix_spawn(&pid, bin, &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (ret) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		return -ret;
	}
	if (!stdin_data) {
		close(in[1]);
		in[1] = -1;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 },
				       { err[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		double left = deadline - mono_s();
		char tmp[4096];
		ssize_t k;

		if (left <= 0 && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (p[0].fd < 0 && p[1].fd < 0)
			break;
		if (poll(p, 3, left > 0 ? (int)(left * 1000) + 1 : 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			k = read(out[0], tmp, sizeof(tmp));
			if (k > 0)
				buf_add(&bo, tmp, (size_t)k);
			else if (k == 0 || errno != EAGAIN) {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (p[1].revents) {
			k = read(err[0], tmp, sizeof(tmp));
			if (k > 0)
				buf_add(&be, tmp, (size_t)k);
			else if (k == 0 || errno != EAGAIN) {
				close(err[0]);
				err[0] = -1;
			}
		}
		if (in[1] >= 0 && p[2].revents) {
			k = p[2].revents & POLLOUT ?
				    write(in[1], stdin_data + in_off, in_len - in_off) :
				    -1;
			if (k > 0)
				in_off += (size_t)k;
			if (k <= 0 || in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!bo.p)
		buf_add(&bo, "", 0);
	if (!be.p)
		buf_add(&be, "", 0);
	r->out = bo.p;
	r->err = be.p;
	return 0;
}

int test_run_strand(struct run_result *r, const char *stdin_data, double timeout_s, ...)
{
	char *argv[64];
	int n = 0;
	va_list ap;

	va_start(ap, timeout_s);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return test_run_strandv(r, stdin_data, timeout_s, argv);
}

void test_run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int test_tmpfile(char *buf, size_t size, const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(buf, size, "%s/strand-test-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(buf);
	if (fd < 0)
		return -errno;
	if (len && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* ---- a synthetic PVH kernel ---- */

#define PVH_NOTE_OFF   0x100
#define PVH_IMAGE_SIZE (TEST_PVH_SEG_OFF + TEST_PVH_SEG_FILE)

/* Like vmlinux: one PT_LOAD at 16 MiB with bss, a PT_NOTE with a GNU note and the Xen one. */
uint8_t *test_pvh_elf(const struct test_pvh_note *ns, size_t *len)
{
	uint8_t *b = aligned_alloc(16, PVH_IMAGE_SIZE);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + TEST_PVH_PHDR_OFF);
	size_t pos = PVH_NOTE_OFF;
	Elf64_Nhdr nh;

	memset(b, 0, PVH_IMAGE_SIZE);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0xffffffff81000000ULL;
	eh->e_phoff = TEST_PVH_PHDR_OFF;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;

	/* Notes: "GNU" build id, then Xen's PHYS32_ENTRY (an 8-byte pointer, as Linux emits). */
	nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 8, .n_type = NT_GNU_BUILD_ID };
	memcpy(b + pos, &nh, sizeof(nh));
	memcpy(b + pos + sizeof(nh), "GNU", 4);
	memset(b + pos + sizeof(nh) + 4, 0xab, 8);
	pos += sizeof(nh) + 4 + 8;
	if (ns && ns->name) {
		nh = (Elf64_Nhdr){ .n_namesz = ns->namesz,
				   .n_descsz = ns->descsz,
				   .n_type = ns->type };
		memcpy(b + pos, &nh, sizeof(nh));
		memcpy(b + pos + sizeof(nh), ns->name, strlen(ns->name) + 1);
		memcpy(b + pos + sizeof(nh) + 4, &ns->entry, 8);
		pos += sizeof(nh) + 4 + 8;
	}
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE,
			      .p_offset = PVH_NOTE_OFF,
			      .p_vaddr = 0xffffffff82000000ULL,
			      .p_paddr = TEST_PVH_SEG_GPA + 0x2000,
			      .p_filesz = pos - PVH_NOTE_OFF,
			      .p_memsz = pos - PVH_NOTE_OFF,
			      .p_align = 4 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_flags = PF_R | PF_X,
			      .p_offset = TEST_PVH_SEG_OFF,
			      .p_vaddr = 0xffffffff81000000ULL,
			      .p_paddr = TEST_PVH_SEG_GPA,
			      .p_filesz = TEST_PVH_SEG_FILE,
			      .p_memsz = TEST_PVH_SEG_MEM,
			      .p_align = 0x1000 };
	for (size_t i = 0; i < TEST_PVH_SEG_FILE; i++)
		b[TEST_PVH_SEG_OFF + i] = (uint8_t)(i * 13 + 1);
	*len = PVH_IMAGE_SIZE;
	return b;
}

/* ---- iasl ---- */

static const char *iasl_path(void)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin" };
	static char path[64];

	for (unsigned i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/iasl", dirs[i]);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* A fresh directory from the template dir (changed in place) holding NAME.EXT with data. */
static void iasl_input(char *dir, const char *name, const char *ext, const void *data, size_t len)
{
	char path[128];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Disassemble one table with iasl -d in a temporary directory; the .dsl text (malloc'd). */
char *test_iasl_disassemble(const char *name, const uint8_t *tbl, size_t len)
{
	const char *iasl = iasl_path();
	char dir[] = "/tmp/strand-acpi-XXXXXX", path[128], cmd[512];
	char *text;
	int st;

	if (!iasl)
		cr_skip_test("iasl not found (install acpica-tools)");
	iasl_input(dir, name, "dat", tbl, len);
	snprintf(cmd, sizeof(cmd), "cd %s && %s -d %s.dat >iasl.log 2>&1", dir, iasl, name);
	st = system(cmd);
	snprintf(path, sizeof(path), "%s/iasl.log", dir);
	text = slurp(path);
	cr_assert_eq(st, 0, "iasl -d %s failed:\n%s", name, text ? text : "");
	free(text);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	text = slurp(path);
	cr_assert_not_null(text, "iasl wrote no %s.dsl", name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
	cr_assert_null(strstr(text, "Incorrect"), "iasl: %s", text);
	cr_assert_null(strstr(text, "**** "), "iasl reported a problem: %s", text);
	return text;
}

char *test_iasl_compile(const char *name, const char *dsl)
{
	const char *iasl = iasl_path();
	char dir[] = "/tmp/strand-asl-XXXXXX", path[128], cmd[512];
	char *text;
	int st;

	if (!iasl)
		cr_skip_test("iasl not found (install acpica-tools)");
	iasl_input(dir, name, "dsl", dsl, strlen(dsl));
	/* Every warning counts; -p names the output (name.aml). */
	snprintf(cmd, sizeof(cmd), "cd %s && %s -p %s %s.dsl >iasl.log 2>&1", dir, iasl, name,
		 name);
	st = system(cmd);
	snprintf(path, sizeof(path), "%s/iasl.log", dir);
	text = slurp(path);
	cr_assert_not_null(text, "iasl wrote no log");
	snprintf(path, sizeof(path), "%s/%s.aml", dir, name);
	cr_assert_eq(st, 0, "iasl %s.dsl failed:\n%s", name, text);
	cr_assert_eq(access(path, R_OK), 0, "iasl wrote no %s.aml:\n%s", name, text);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
	cr_assert(strstr(text, " 0 Errors"), "iasl found errors:\n%s", text);
	cr_assert(strstr(text, " 0 Warnings"), "iasl warned:\n%s", text);
	return text;
}

unsigned test_count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

int test_bg_start(struct test_bg *bg, char *const argv[])
{
	const char *bin = getenv("STRAND_BIN");
	posix_spawn_file_actions_t fa;
	char **args;
	int n = 0, ret;
	pid_t pid;

	if (!bin)
		return -ENOENT;
	while (argv[n])
		n++;
	args = calloc((size_t)n + 2, sizeof(char *));
	if (!args)
		return -ENOMEM;
	args[0] = (char *)bin;
	memcpy(args + 1, argv, (size_t)n * sizeof(char *));
	if (!bg->log[0])
		test_sock_path(bg->log, sizeof(bg->log), "log");
	/*
	 * fork + exec rather than posix_spawn: the child asks to be killed when the test
	 * process ends, so a test that fails an assertion (and exits at once) does not leave a
	 * VM running behind it.
	 */
	(void)fa;
	ret = 0;
	pid = fork();
	if (pid < 0) {
		ret = errno;
	} else if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), out;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127); /* the test is already gone */
		out = open(bg->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execve(bin, args, environ);
		_exit(127);
	}
	free(args);
	if (ret)
		return -ret;
	bg->pid = pid;
	return 0;
}

int test_bg_wait(struct test_bg *bg, double timeout_s)
{
	double deadline = mono_s() + timeout_s;
	int status;

	if (bg->pid <= 0)
		return -ECHILD;
	for (;;) {
		pid_t p = waitpid(bg->pid, &status, WNOHANG);

		if (p == bg->pid)
			break;
		if (p < 0)
			return -errno;
		if (mono_s() > deadline) {
			kill(bg->pid, SIGKILL);
			waitpid(bg->pid, &status, 0);
			bg->pid = 0;
			return -ETIMEDOUT;
		}
		usleep(5000);
	}
	bg->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *test_bg_log(const struct test_bg *bg)
{
	struct buf b = { 0 };
	char tmp[4096];
	int fd = open(bg->log, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	while (fd >= 0 && (k = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&b, tmp, (size_t)k);
	if (fd >= 0)
		close(fd);
	if (!b.p)
		buf_add(&b, "", 0);
	return b.p;
}

void test_sock_path(char *buf, size_t size, const char *tag)
{
	static unsigned seq;
	const char *dir = getenv("TMPDIR");

	snprintf(buf, size, "%s/strand-%s-%d-%u", dir ? dir : "/tmp", tag, (int)getpid(),
		 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	unlink(buf);
}
