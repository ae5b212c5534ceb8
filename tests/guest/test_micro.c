/*
 * test_micro.c - the embedded micro-guests through the strand binary: every guest `strand
 * guests` lists ends as it should at several vCPU counts and at both CPLs, and under each map
 * protection with and without the big lock. Needs /dev/kvm.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

Test(micro, hello_reports_every_vcpu)
{
	const char *counts[] = { "1", "2", "4", "8" };

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < 4; i++) {
		struct run_result r;
		char expect[64];

		cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "hello", "--vcpus",
					     counts[i], NULL),
			     0);
		snprintf(expect, sizeof(expect), "all %s vCPUs reported in", counts[i]);
		cr_expect_eq(r.status, 0, "vcpus=%s: status %d, stderr: %s", counts[i], r.status,
			     r.err);
		cr_expect(strstr(r.out, expect), "vcpus=%s: missing '%s' in: %s", counts[i], expect,
			  r.out);
		test_run_free(&r);
	}
}

/*
 * Every guest `strand guests` lists, at 1, 2, 4 and 8 vCPUs at CPL 3 and at 1 and 4 vCPUs at
 * CPL 0 (emulated on PVM hosts, and slow under the sanitizers), with small arguments: how
 * each is expected to end. A guest missing here runs with its defaults at one
 * vCPU and must pass (add it to the table if it needs arguments or devices).
 */
struct guest_case {
	const char *name;
	const char *args;
	int status;	    /* expected exit status */
	unsigned min_vcpus; /* below this the guest refuses (asserts): not run */
	bool cpl3;	    /* run at CPL 3 too */
	/* Extra options; "@DISK" is a scratch 64 MiB image, "@FILE" a scratch output file. */
	const char *opt[2];
	/* A known bug makes the CPL-0 runs fail: they run, and a failure is a warning. */
	const char *known_bug_cpl0;
	/* --timeout for a guest that runs until told to stop (default 60s, 10s if known_bug). */
	const char *timeout;
};

static const struct guest_case cases[] = {
	{ "assert", NULL, 1, 1, true, { NULL }, NULL },
	{ "barrier-sync", "phases=20", 0, 1, true, { NULL }, NULL },
	{ "blk-hostile", NULL, 0, 1, true, { "--disk", "path=null:64M" }, NULL },
	{ "blk-io", "ops=50", 0, 1, true, { "--disk", "path=null:64M" }, NULL },
	{ "cpu-burn", "duration_ms=60", 0, 1, true, { NULL }, NULL },
	/* At CPL 3 on PVM hosts CPUID runs natively (the host's APIC ids): CPL 0 only. */
	{ "cpuid", NULL, 0, 1, false, { NULL }, NULL },
	{ "exitlat", "iters=200", 0, 1, true, { NULL }, NULL },
	{ "fault", NULL, 3, 1, true, { NULL }, NULL },
	{ "hello", NULL, 0, 1, true, { NULL }, NULL },
	/* Halts until a power-down request (the monitor's): --timeout ends it, status 124. */
	{ "idle", NULL, 124, 1, true, { NULL }, NULL, "2s" },
	{ "idle", "spin=1", 124, 1, true, { NULL }, NULL, "2s" },
	/* Writes a pattern through the disk and reads it back: needs a real image. */
	{ "memplug", "rounds=1", 0, 1, true, { "--disk", "path=@DISK" }, NULL },
	{ "mmio-storm", "duration_ms=50", 0, 1, true, { NULL }, NULL },
	{ "pv-spin", "duration_ms=60", 0, 1, true, { NULL }, NULL },
	{ "smp-spin", "duration_ms=100", 0, 1, true, { NULL }, NULL },
	{ "spin", "duration_ms=50", 0, 1, true, { NULL }, NULL },
	{ "stress", "duration_ms=200", 0, 1, true, { "--disk", "path=@DISK" }, NULL },
	/* They need a NIC with something at the other end: tests/guest/test_net.c runs them
	 * over a tap in a namespace and over a pair, at every threading preset. */
	{ "net-hostile", NULL, -1, 1, true, { NULL }, NULL },
	{ "net-rr", NULL, -1, 1, true, { NULL }, NULL },
	{ "net-stream", NULL, -1, 1, true, { NULL }, NULL },
	/* Its status depends on the KVM (hardware or PVM): micro/syscall_path checks it. */
	{ "syscall", NULL, -1, 1, true, { NULL }, NULL },
	/* The serial console's far end: tests/guest/test_monitor.c (console_pty) and strandd's
	 * tests talk to it through a pty. */
	{ "uart-echo", "duration_ms=50", 0, 1, true, { NULL }, NULL },
	{ "uart-echo", "flood_kb=64", 0, 1, true, { NULL }, NULL },
	{ "vcon", NULL, 0, 1, true, { "--virtio-console", "file=@FILE" }, NULL },
	{ "vrng", NULL, 0, 1, true, { "--rng" }, NULL },
	{ "wakeup", "iters=20", 0, 2, true, { NULL }, NULL },
	{ "window", "moves=20", 0, 2, true, { NULL }, NULL },
};

static const struct guest_case *find_case(const char *name)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	}
	return NULL;
}

/* The names `strand guests` prints, one per line before the description. */
static unsigned list_guests(char names[][32], unsigned max)
{
	struct run_result r;
	unsigned n = 0;
	char *line, *save = NULL;

	cr_assert_eq(test_run_strand(&r, NULL, 30, "guests", NULL), 0);
	cr_assert_eq(r.status, 0, "strand guests: %s", r.err);
	for (line = strtok_r(r.out, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%31s", names[n]) == 1)
			n++;
	}
	test_run_free(&r);
	return n;
}

/* "path=@DISK" with the token replaced. */
static const char *subst(const char *opt, const char *disk, const char *file, char *buf,
			 size_t size)
{
	const char *at = strchr(opt, '@');

	if (!at)
		return opt;
	snprintf(buf, size, "%.*s%s", (int)(at - opt), opt, strcmp(at, "@DISK") == 0 ? disk : file);
	return buf;
}

static void run_case(const struct guest_case *c, const char *name, unsigned vcpus, unsigned cpl,
		     const char *disk, const char *file)
{
	struct run_result r;
	char guest[128], nv[8], ncpl[4], buf[2][PATH_MAX + 16];
	const char *known = c && cpl == 0 ? c->known_bug_cpl0 : NULL;
	char *argv[16];
	int argc = 0, want = c ? c->status : 0;

	snprintf(guest, sizeof(guest), "%s%s%s", name, c && c->args ? ":" : "",
		 c && c->args ? c->args : "");
	snprintf(nv, sizeof(nv), "%u", vcpus);
	snprintf(ncpl, sizeof(ncpl), "%u", cpl);
	argv[argc++] = "run";
	argv[argc++] = "--guest";
	argv[argc++] = guest;
	argv[argc++] = "--vcpus";
	argv[argc++] = nv;
	argv[argc++] = "--guest-cpl";
	argv[argc++] = ncpl;
	argv[argc++] = "--quiet";
	argv[argc++] = "--timeout";
	argv[argc++] = c && c->timeout ? (char *)c->timeout : known ? "10s" : "60s";
	for (unsigned i = 0; c && i < 2 && c->opt[i]; i++)
		argv[argc++] = (char *)subst(c->opt[i], disk, file, buf[i], sizeof(buf[i]));
	argv[argc] = NULL;
	cr_assert_eq(test_run_strandv(&r, NULL, 90, argv), 0);
	if (known && r.status != want)
		fprintf(stderr, "note: %s at %u vCPUs, CPL 0: status %d (known bug: %s)\n", guest,
			vcpus, r.status, known);
	else
		cr_expect_eq(r.status, want, "%s at %u vCPUs, CPL %u: status %d, stderr: %s", guest,
			     vcpus, cpl, r.status, r.err);
	test_run_free(&r);
}

Test(micro, every_guest_every_size)
{
	static char names[64][32];
	const unsigned counts[] = { 1, 2, 4, 8 };
	char disk[PATH_MAX], file[PATH_MAX];
	unsigned n;
	int fd;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(disk, sizeof(disk), NULL, 0), 0);
	cr_assert_eq(test_tmpfile(file, sizeof(file), NULL, 0), 0);
	fd = open(disk, O_WRONLY);
	cr_assert(fd >= 0 && ftruncate(fd, 64 << 20) == 0);
	close(fd);
	n = list_guests(names, 64);
	cr_assert_geq(n, 4, "strand guests listed only %u guests", n);
	for (unsigned i = 0; i < n; i++) {
		/* A guest may have several entries (different arguments): each runs. */
		if (!find_case(names[i])) {
			fprintf(stderr,
				"note: guest %s has no entry in test_micro.c: defaults, 1 vCPU\n",
				names[i]);
			run_case(NULL, names[i], 1, 3, disk, file);
			continue;
		}
		for (unsigned e = 0; e < sizeof(cases) / sizeof(cases[0]); e++) {
			const struct guest_case *c = &cases[e];

			if (strcmp(c->name, names[i]) != 0 || c->status < 0)
				continue;
			for (unsigned k = 0; k < 4; k++) {
				if (counts[k] < c->min_vcpus)
					continue;
				if (c->cpl3)
					run_case(c, names[i], counts[k], 3, disk, file);
				if (counts[k] == 1 || counts[k] == 4 || !c->cpl3)
					run_case(c, names[i], counts[k], 0, disk, file);
			}
		}
	}
	/* Every entry of the table is still a guest strand knows. */
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool listed = false;

		for (unsigned k = 0; k < n; k++)
			listed = listed || strcmp(names[k], cases[i].name) == 0;
		cr_expect(listed, "%s is not embedded any more", cases[i].name);
	}
	unlink(disk);
	unlink(file);
}

/*
 * SYSCALL from CPL 3 must enter the kit's entry at CPL 0 (status 0). The kvm_pvm of this
 * project's development host jumps to LSTAR without leaving user mode, which is what stops
 * Linux's /init there (docs/linux.md): on PVM the guest must detect and report exactly that.
 */
Test(micro, syscall_path)
{
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	struct run_result r;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "syscall:iters=200", "--vcpus",
				     "2", NULL),
		     0);
	if (pvm) {
		cr_expect_eq(r.status, 3, "PVM: status %d\n%s\n%s", r.status, r.out, r.err);
		cr_expect(strstr(r.out, "(CPL 3)"), "PVM: %s", r.out);
		if (r.status == 0)
			fprintf(stderr, "note: this kvm_pvm now delivers SYSCALL to CPL 0: update "
					"docs/linux.md and this test\n");
	} else {
		cr_expect_eq(r.status, 0, "status %d\n%s\n%s", r.status, r.out, r.err);
		cr_expect(strstr(r.out, "(CPL 0)"), "%s", r.out);
	}
	test_run_free(&r);
	/* At CPL 0 the guest refuses (the probe needs a user-mode caller). */
	cr_assert_eq(test_run_strand(&r, NULL, 60, "run", "--guest", "syscall", "--guest-cpl", "0",
				     NULL),
		     0);
	cr_expect_eq(r.status, 2, "CPL 0: status %d", r.status);
	test_run_free(&r);
}

/* The map protections and the big lock, on guests that exit a lot and move a window. */
Test(micro, map_protections_and_big_lock)
{
	const char *modes[] = { "rcu", "rwlock", "mutex" };
	const char *guests[] = { "exitlat:iters=200", "window:moves=50", "hello" };

	SKIP_WITHOUT_KVM();
	for (unsigned m = 0; m < 3; m++) {
		for (unsigned g = 0; g < 3; g++) {
			for (int big = 0; big < 2; big++) {
				struct run_result r;
				char *argv[] = { "run",
						 "--guest",
						 (char *)guests[g],
						 "--vcpus",
						 "4",
						 "--map-lock",
						 (char *)modes[m],
						 "--quiet",
						 big ? "--big-lock" : NULL,
						 NULL };

				cr_assert_eq(test_run_strandv(&r, NULL, 60, argv), 0);
				cr_expect_eq(r.status, 0, "%s --map-lock %s%s: status %d, %s",
					     guests[g], modes[m], big ? " --big-lock" : "",
					     r.status, r.err);
				test_run_free(&r);
			}
		}
	}
}
