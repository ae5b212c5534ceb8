/*
 * test_sched.c - scheduling strategies and KVM knobs: each strategy runs two VMs to
 * completion with the right results; stop (timeout), pause and resume (SIGUSR1/SIGUSR2) work
 * under every strategy without deadlock; pinned vCPUs really are pinned; bad combinations are
 * refused with a clear error. Needs /dev/kvm.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

extern char **environ;

static const char *const strategies[] = { "host", "pinned:force", "gang", "gang-relaxed",
					  "credit" };

Test(sched, two_vms_complete_under_every_strategy, .timeout = 600)
{
	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++) {
		struct run_result r;
		const char *p;
		int n = 0;

		cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--sched", strategies[i], "--vm",
					     "--guest", "smp-spin:duration_ms=300", "--vcpus", "2",
					     "--vm", "--guest",
					     "barrier-sync:phases=50,work_us=200", "--vcpus", "2",
					     NULL),
			     0);
		cr_expect_eq(r.status, 0, "%s: status %d\n%s\n%s", strategies[i], r.status, r.out,
			     r.err);
		cr_expect(strstr(r.out, "acquisitions"), "%s: smp-spin result missing",
			  strategies[i]);
		cr_expect(strstr(r.out, "phases_per_s"), "%s: barrier-sync result missing",
			  strategies[i]);
		for (p = r.out; (p = strstr(p, "== vm")); p++)
			n++;
		cr_expect_eq(n, 2, "%s: expected two VM reports", strategies[i]);
		test_run_free(&r);
	}
}

Test(sched, credit_weights_and_caps_run)
{
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 120, "run", "--sched", "credit", "--stats", "--vm",
				     "--guest", "cpu-burn:duration_ms=500", "--weight", "100",
				     "--vm", "--guest", "cpu-burn:duration_ms=500", "--weight",
				     "200", "--cap", "50", NULL),
		     0);
	cr_expect_eq(r.status, 0, "%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "strategy credit"), "%s", r.out);
	test_run_free(&r);
}

/* Start strand with args; send SIGUSR1 (pause) and SIGUSR2 (resume); it must still end by --timeout. */
static int pause_resume(const char *strategy)
{
	char *argv[] = { getenv("STRAND_BIN"),
			 "run",
			 "--sched",
			 (char *)strategy,
			 "--timeout",
			 "3s",
			 "--vm",
			 "--guest",
			 "spin",
			 "--vcpus",
			 "2",
			 "--vm",
			 "--guest",
			 "spin",
			 "--vcpus",
			 "2",
			 NULL };
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	usleep(500000);
	for (int i = 0; i < 5; i++) {
		kill(pid, SIGUSR1);
		usleep(100000);
		kill(pid, SIGUSR2);
		usleep(100000);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(sched, pause_resume_and_stop_under_every_strategy, .timeout = 300)
{
	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++)
		cr_expect_eq(pause_resume(strategies[i]), 124, "%s: did not stop on --timeout",
			     strategies[i]);
}

/* Cpus_allowed_list of the thread called name in process pid. */
static int thread_cpus(pid_t pid, const char *name, char *out, size_t len)
{
	char path[512], comm[64], line[256];
	struct dirent *e;
	DIR *d;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) && found) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(comm, sizeof(comm), f)) {
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
				snprintf(out, len, "%s", line + 18 + strspn(line + 18, " \t"));
				out[strcspn(out, "\n")] = 0;
				found = 0;
			}
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return found;
}

Test(sched, pinned_vcpus_are_pinned)
{
	char *argv[] = { getenv("STRAND_BIN"),	  "run",     "--sched", "pinned", "--guest",
			 "spin:duration_ms=3000", "--vcpus", "2",	NULL };
	char c0[64] = "", c1[64] = "";
	int status;
	pid_t pid;

	SKIP_WITHOUT_KVM();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		cr_skip_test("needs 2 host CPUs");
	cr_assert_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
	for (int i = 0; i < 50 && (thread_cpus(pid, "vcpu0", c0, sizeof(c0)) ||
				   thread_cpus(pid, "vcpu1", c1, sizeof(c1)));
	     i++)
		usleep(50000);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	cr_expect(c0[0] && !strchr(c0, '-') && !strchr(c0, ','), "vcpu0 allowed on '%s'", c0);
	cr_expect(c1[0] && !strchr(c1, '-') && !strchr(c1, ','), "vcpu1 allowed on '%s'", c1);
	cr_expect(strcmp(c0, c1), "both vCPUs on CPU %s", c0);
}

Test(sched, bad_combinations_are_refused)
{
	static const struct {
		const char *args[12];
		const char *msg;
	} cases[] = {
		{ { "--sched", "pinned", "--guest", "hello", "--vcpus", "64" }, "overcommit" },
		{ { "--disable-exits", "hlt" }, "needs dedicated CPUs" },
		{ { "--memory", "64M,host-nodes=7" }, "node 7" },
		{ { "--weight", "2" }, "--sched credit" },
		{ { "--sched", "lottery" }, "unknown strategy" },
		{ { "--sched", "fifo:200" }, "priority" },
		{ { "--vm", "--stats" }, "before the first --vm" },
		{ { "--stats", "--vm", "--sched", "host" }, "before the first --vm" },
	};

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[16] = { "run" };
		struct run_result r;
		int n = 1;

		for (int k = 0; cases[i].args[k]; k++)
			argv[n++] = (char *)cases[i].args[k];
		argv[n] = NULL;
		cr_assert_eq(test_run_strandv(&r, NULL, 60, argv), 0);
		cr_expect_eq(r.status, 2, "case %u: status %d, stderr %s", i, r.status, r.err);
		cr_expect(strstr(r.err, cases[i].msg), "case %u: stderr '%s' lacks '%s'", i, r.err,
			  cases[i].msg);
		test_run_free(&r);
	}
}
