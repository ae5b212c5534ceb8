/*
 * support.h - helpers shared by strand's tests: running the strand binary and capturing its
 * output and status, running a machine in-process, and skipping honestly without /dev/kvm.
 */
#ifndef STRAND_TESTS_SUPPORT_H
#define STRAND_TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

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

/* A temporary file holding data (path written to buf); returns 0 or -errno. */
int test_tmpfile(char *buf, size_t size, const void *data, size_t len);

#endif
