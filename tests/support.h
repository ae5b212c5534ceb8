/*
 * support.h - helpers shared by strand's tests: running the strand binary and capturing its
 * output and status, running a machine in-process, and skipping honestly without /dev/kvm.
 */
#ifndef STRAND_TESTS_SUPPORT_H
#define STRAND_TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct run_result {
	int status; /* exit status, or 128+signal */
	char *out;  /* stdout, NUL-terminated (malloc'd) */
	char *err;  /* stderr, NUL-terminated (malloc'd) */
};

/* Why KVM cannot be used here, or NULL if /dev/kvm opens read-write. */
const char *test_kvm_unavailable(void);
/* Skip the current Criterion test (with the reason) if KVM is unavailable. */
#define SKIP_WITHOUT_KVM()                                        \
	do {                                                      \
		const char *why_ = test_kvm_unavailable();        \
		if (why_)                                         \
			cr_skip_test("needs /dev/kvm: %s", why_); \
	} while (0)

/*
 * Run $STRAND_BIN with the NULL-terminated argument list (argv[0] is added), stdin from
 * stdin_data (NULL: /dev/null), killing it after timeout_s. Returns 0 or -errno.
 */
int test_run_strand(struct run_result *r, const char *stdin_data, double timeout_s, ...);
int test_run_strandv(struct run_result *r, const char *stdin_data, double timeout_s,
		     char *const argv[]);
void test_run_free(struct run_result *r);

/*
 * A strand process in the background (monitor tests): argv as for test_run_strandv, stdout
 * and stderr into the file at log (NULL: /dev/null). test_bg_wait waits at most timeout_s,
 * then kills it; returns its exit status (128+signal) or -ETIMEDOUT if it had to be killed.
 */
struct test_bg {
	int pid;
	char log[256];
};
int test_bg_start(struct test_bg *bg, char *const argv[]);
int test_bg_wait(struct test_bg *bg, double timeout_s);
/* The log's text (malloc'd, NUL-terminated; "" if none). */
char *test_bg_log(const struct test_bg *bg);
/* A fresh path for a UNIX socket under the temporary directory (buf >= 108). */
void test_sock_path(char *buf, size_t size, const char *tag);

/* A temporary file holding data (path written to buf); returns 0 or -errno. */
int test_tmpfile(char *buf, size_t size, const void *data, size_t len);

/*
 * A synthetic ELF shaped like vmlinux: one PT_LOAD at 16 MiB (SEG_FILE bytes of a pattern, bss up
 * to SEG_MEM), a PT_NOTE with a GNU build id and, if ns->name, the Xen PVH entry note as ns says
 * (NULL ns: no PVH note). Returns a malloc'd image of *len bytes.
 */
#define TEST_PVH_SEG_GPA  (16ULL << 20)
#define TEST_PVH_SEG_FILE 8192
#define TEST_PVH_SEG_MEM  16384
#define TEST_PVH_ENTRY	  (TEST_PVH_SEG_GPA + 0x100)
#define TEST_PVH_PHDR_OFF 64
#define TEST_PVH_SEG_OFF  0x1000
struct test_pvh_note {
	const char *name; /* NULL: no PVH note */
	uint32_t namesz;
	uint32_t type;
	uint32_t descsz;
	uint64_t entry;
};
uint8_t *test_pvh_elf(const struct test_pvh_note *ns, size_t *len);

/*
 * Disassemble one ACPI table with `iasl -d` (skipping the test when acpica-tools is missing);
 * asserts iasl found nothing wrong and returns the .dsl text (malloc'd).
 */
char *test_iasl_disassemble(const char *name, const uint8_t *tbl, size_t len);
/*
 * Compile ASL text (a disassembled table) with `iasl` (skipping without acpica-tools); asserts
 * iasl reports no errors and no warnings, and returns its output (malloc'd).
 */
char *test_iasl_compile(const char *name, const char *dsl);
/* How many times needle occurs in text. */
unsigned test_count(const char *text, const char *needle);

#endif
