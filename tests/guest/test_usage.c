/*
 * test_usage.c - the strand binary's command line, table-driven: for every command (run, plan,
 * host-check, bench, bench ab/compare/report, guests), bad input exits 2 with exactly one line
 * on stderr whose text names the problem, before any VM exists (so those cases take
 * milliseconds and need no KVM); and the working cases still work (help texts, listings, short
 * runs of micro-guests, which need KVM and skip without it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

TestSuite(usage, .timeout = 120);

enum stream { ERR, OUT };

struct usage_case {
	int status;
	bool kvm;	   /* reaches KVM: skipped without it */
	enum stream where; /* whose first line holds `first` */
	const char *first;
	char *argv[14];
};

#define E2(first, ...)                    \
	{                                 \
		2, false, ERR, first,     \
		{                         \
			__VA_ARGS__, NULL \
		}                         \
	}
#define E2_KVM(first, ...)                \
	{                                 \
		2, true, ERR, first,      \
		{                         \
			__VA_ARGS__, NULL \
		}                         \
	}
#define OK(first, ...)                    \
	{                                 \
		0, false, OUT, first,     \
		{                         \
			__VA_ARGS__, NULL \
		}                         \
	}
#define RUNS(status, where, first, ...)     \
	{                                   \
		status, true, where, first, \
		{                           \
			__VA_ARGS__, NULL   \
		}                           \
	}

/* "@TMP@" in an argument is replaced by a fresh directory, "@BUILD@" by $STRAND_BUILD. */
static const struct usage_case cases[] = {
	/* Micro-guest arguments: checked against the guest's own table (issue 14). */
	E2("--guest hello: unknown argument 'nosuchkey' (it takes no arguments)", "run", "--guest",
	   "hello:nosuchkey=1"),
	E2("--guest exitlat: unknown argument 'iter' (known: iters, warmup, mode)", "run",
	   "--guest", "exitlat:iter=5"),
	E2("--guest exitlat: iters=-5 is not valid: iters takes an integer in 1..100000000", "run",
	   "--guest", "exitlat:iters=-5"),
	E2("--guest exitlat: iters=99999999999999999999 is out of range: iters takes an integer in "
	   "1..100000000",
	   "run", "--guest", "exitlat:iters=99999999999999999999"),
	E2("iters=0 is out of range: iters takes an integer in 1..100000000", "run", "--guest",
	   "exitlat:iters=0"),
	E2("mode=fast is not valid: mode takes one of pio|mmio|both", "run", "--guest",
	   "exitlat:mode=fast"),
	E2("argument 'iters' needs a value (an integer in 1..100000000)", "run", "--guest",
	   "exitlat:iters"),
	E2("argument 'iters' given twice", "run", "--guest", "exitlat:iters=5,iters=6"),
	E2("spin=yes is not valid: spin takes 0 or 1", "run", "--guest", "idle:spin=yes"),
	E2("--guest numa: nodes=9 is out of range: nodes takes an integer in 0..8", "run",
	   "--guest", "numa:nodes=9"),
	E2("--guest blk-io: unknown argument 'depth'", "run", "--vm", "--guest", "blk-io:depth=4"),
	E2("--guest: no micro-guest called 'nosuchguest' (see `strand guests`)", "run", "--guest",
	   "nosuchguest"),
	E2("--guest: missing program name", "run", "--guest", ":iters=3"),
	/* Output paths: checked before the VM (issue 14). */
	E2("--results-json /nonexistent/dir/x.json: directory /nonexistent/dir does not exist",
	   "run", "--results-json", "/nonexistent/dir/x.json"),
	E2("--results-json /nonexistent/x.json: directory /nonexistent does not exist", "run",
	   "--vm", "--guest", "hello", "--results-json", "/nonexistent/x.json"),
	E2("--stats-json /nonexistent/dir/s.json: directory /nonexistent/dir does not exist", "run",
	   "--stats-json", "/nonexistent/dir/s.json"),
	E2("--stats-json /tmp: is a directory", "run", "--stats-json", "/tmp"),
	E2("--console /nonexistent-dir/c.txt: directory /nonexistent-dir does not exist", "run",
	   "--console", "file:/nonexistent-dir/c.txt"),
	E2("--json /nonexistent/dir/b.json: directory /nonexistent/dir does not exist", "bench",
	   "--json", "/nonexistent/dir/b.json", "--reps", "1"),
	E2("--plot /nonexistent/a/b: directory /nonexistent/a does not exist", "bench", "--plot",
	   "/nonexistent/a/b"),
	E2("--json /nonexistent/x.json: directory /nonexistent does not exist", "bench", "ab",
	   "--a", "/bin/true", "--b", "/bin/true", "--json", "/nonexistent/x.json"),
	E2("bench compare: --json /nonexistent/x.json: directory /nonexistent does not exist",
	   "bench", "compare", "--json", "/nonexistent/x.json", "a.json", "b.json"),
	E2("bench report: --plot /nonexistent/a/b: directory /nonexistent/a does not exist",
	   "bench", "report", "a.json", "--plot", "/nonexistent/a/b"),
	/* Durations. */
	E2("--timeout: the duration must be positive, got '0s'", "run", "--timeout", "0s"),
	E2("--timeout: the duration must be positive, got '0'", "run", "--timeout", "0"),
	E2("--timeout: cannot parse duration 'soon'", "run", "--timeout", "soon"),
	E2("--halt-poll: expected 0..100ms (ns by default), got '1s'", "run", "--halt-poll", "1s"),
	/* Options and values of run. */
	E2("unknown option for run: --bogus", "run", "--bogus"),
	E2("unknown option for run: -x", "run", "-x"),
	E2("unknown option for run: --big-lock=yes", "run", "--big-lock=yes"),
	E2("option --vcpus needs a value", "run", "--vcpus"),
	E2("option --timeout needs a value", "run", "--vcpus", "2", "--timeout"),
	E2("unexpected argument 'extra' (see strand run --help)", "run", "extra"),
	E2("--vcpus: '0' is not a vCPU count of at least 1", "run", "--vcpus", "0"),
	E2("--vcpus: 'two' is not a vCPU count of at least 1", "run", "--vcpus", "two"),
	E2("--vcpus: 5000 is more than strand supports (4096)", "run", "--vcpus", "5000"),
	E2("--vcpus: 3 sockets x 1 cores x 1 threads is not 4 vCPUs", "run", "--vcpus",
	   "4,sockets=3"),
	E2("--vcpus: unknown option 'nodes'", "run", "--vcpus", "4,nodes=2"),
	E2("--memory: 3M is below the 4 MiB minimum", "run", "--memory", "3M"),
	E2("--memory: cannot parse size 'lots'", "run", "--memory", "lots"),
	E2("--sched: unknown strategy 'bogus' (host, pinned, fifo, gang, gang-relaxed, credit)",
	   "run", "--sched", "bogus"),
	E2("--sched fifo:99: priority must be 1..98", "run", "--sched", "fifo:99"),
	E2("--sched host takes no argument", "run", "--sched", "host:5"),
	E2("--sched applies to every VM: give it before the first --vm", "run", "--vm", "--guest",
	   "hello", "--sched", "host"),
	E2("--guest belongs to one VM: give it after --vm", "run", "--guest", "hello", "--vm"),
	E2("--threading: unknown preset 'bogus'", "run", "--threading", "bogus"),
	E2("--threading: lock=huge: expected big or device", "run", "--threading", "lock=huge"),
	E2("--map-lock: expected rcu, rwlock or mutex, got 'spin'", "run", "--map-lock", "spin"),
	E2("--disk: path= is required", "run", "--disk", "readonly=on"),
	E2("--disk: queues=999: expected 1..64", "run", "--disk", "path=null:1G,queues=999"),
	E2("--placement: expected none, compact, scatter, numa or cpus=LIST, got 'tight'", "run",
	   "--placement", "tight"),
	E2("--weight: expected 1..65535, got '0'", "run", "--weight", "0"),
	E2("--cap: expected a percentage of one CPU (1..), got '0'", "run", "--cap", "0"),
	E2("--disable-exits: unknown exit 'nap' (hlt, pause, mwait, cstate, all)", "run",
	   "--disable-exits", "nap"),
	E2("--pv eoi=maybe: expected on or off", "run", "--pv", "eoi=maybe"),
	E2("--monitor: expected unix:PATH or fd:N, got 'tcp:1'", "run", "--monitor", "tcp:1"),
	E2("--numa node=9: node=9: expected 0..7", "run", "--numa", "node=9"),
	E2("--guest-cpl: expected 0 or 3, got '2'", "run", "--guest-cpl", "2"),
	E2("--cpu-model: expected auto, host or pvm-safe, got 'fast'", "run", "--cpu-model",
	   "fast"),
	E2("--log-level: expected error, warn, info or debug, got 'loud'", "run", "--log-level",
	   "loud"),
	E2("--console: expected stdio, file:PATH, pty or none, got 'tty'", "run", "--console",
	   "tty"),
	E2("choose one guest: --guest, --guest-file, --flat, --kernel or --linux, not several",
	   "run", "--guest", "hello", "--flat", "/tmp/x"),
	E2("--initrd and --cmdline need --kernel or --linux", "run", "--cmdline", "x"),
	/* Files and devices: found missing where strand opens them, still before the VM. */
	E2_KVM("--guest-file '/nonexistent/g.elf': No such file or directory", "run",
	       "--guest-file", "/nonexistent/g.elf:iters=1"),
	E2_KVM("--flat '/nonexistent/b.bin': No such file or directory", "run", "--flat",
	       "/nonexistent/b.bin"),
	E2_KVM("--disk /nonexistent/d.img: No such file or directory", "run", "--disk",
	       "path=/nonexistent/d.img"),
	E2_KVM("/nonexistent: no such device", "run", "--kvm", "/nonexistent"),
	/* A --guest-file image carries its table too. */
	E2_KVM("--guest-file @BUILD@/core/guest/embed/exitlat.elf: unknown argument 'bogus' "
	       "(known: iters, warmup, mode)",
	       "run", "--guest-file", "@BUILD@/core/guest/embed/exitlat.elf:bogus=1"),
	RUNS(0, ERR, "", "run", "--guest-file", "@BUILD@/core/guest/embed/exitlat.elf:iters=10",
	     "--quiet"),
	/* plan, host-check, bench, guests. */
	E2("unknown option for plan: --bogus (see strand plan --help)", "plan", "--bogus"),
	E2("plan: --vm: '0' is not a vCPU count (1 to 1024)", "plan", "--vm", "0"),
	E2("plan: --housekeeping x: expected a CPU count", "plan", "--housekeeping", "x"),
	E2("option --topology needs a value", "plan", "--topology"),
	E2("plan: unexpected argument 'extra' (see strand plan --help)", "plan", "extra"),
	E2("unknown option for host-check: --bogus (see strand host-check --help)", "host-check",
	   "--bogus"),
	E2("host-check: unexpected argument 'extra'", "host-check", "extra"),
	E2("unknown option for bench: --bogus", "bench", "--bogus"),
	E2("unknown option for bench: --a", "bench", "--a", "/bin/true"),
	E2("--reps: expected a count >= 1", "bench", "--reps", "0"),
	E2("--order: expected random or alternate", "bench", "--order", "sorted"),
	E2("unknown suite 'nosuchsuite'", "bench", "nosuchsuite"),
	E2("--metric needs --args", "bench", "--metric", "x=y"),
	E2("unknown option for bench ab: --peer", "bench", "ab", "--peer", "qemu"),
	E2("bench ab: --a STRAND_A and --b STRAND_B are required", "bench", "ab"),
	E2("unknown option for bench compare: --bogus", "bench", "compare", "--bogus"),
	E2("bench compare: expected two documents, OLD.json NEW.json", "bench", "compare",
	   "a.json"),
	E2("bench report: expected one document, DOC.json", "bench", "report"),
	E2("unknown option for bench list: --bogus", "bench", "list", "--bogus"),
	E2("guests: no micro-guest called 'nosuchguest'", "guests", "nosuchguest"),
	E2("unknown command 'nosuchcommand' (see strand --help)", "nosuchcommand"),
	/* What works. */
	OK("usage: strand run [options]", "run", "--help"),
	OK("usage: strand plan", "plan", "--help"),
	OK("usage: strand host-check", "host-check", "--help"),
	OK("usage: strand bench [options] [SUITE...]", "bench", "--help"),
	OK("usage: strand bench ab --a STRAND_A --b STRAND_B", "bench", "ab", "--help"),
	OK("usage: strand bench compare [options] OLD.json NEW.json", "bench", "compare", "-h"),
	OK("usage: strand bench report DOC.json", "bench", "report", "--help"),
	OK("usage: strand guests [NAME]", "guests", "--help"),
	OK("usage: strand COMMAND [options]", "--help"),
	OK("assert ", "guests"),
	OK("exitlat - exit round-trip latency", "guests", "exitlat"),
	OK("hello - every vCPU reports in", "guests", "hello"),
	OK("strand ", "version"),
	OK("qemu-classic", "run", "--threading", "help"),
	OK("", "plan", "--topology", "synthetic:pack:1 core:2 pu:1", "--vm", "2"),
	RUNS(0, OUT, "hello from vCPU 0 of 1", "run", "--guest", "hello", "--quiet"),
	RUNS(0, ERR, "", "run", "--guest", "exitlat:iters=10,warmup=0,mode=pio", "--quiet"),
	RUNS(0, ERR, "", "run", "--guest", "exitlat:iters=0x10,warmup=1k,mode=mmio", "--quiet",
	     "--results-json", "@TMP@/r.json", "--stats-json", "@TMP@/s.json"),
	RUNS(1, ERR, "assert: guest assertion failed on vcpu0", "run", "--guest", "assert"),
	RUNS(124, ERR, "--timeout: stopping after 0.300 s", "run", "--guest", "idle", "--timeout",
	     "300ms"),
};

/* s with "@TMP@" and "@BUILD@" replaced, into buf. */
static void expand(char *buf, size_t size, const char *s, const char *tmp)
{
	const char *build = getenv("STRAND_BUILD");
	size_t used = 0;

	buf[0] = '\0';
	while (*s && used + 1 < size) {
		if (strncmp(s, "@TMP@", 5) == 0) {
			used += (size_t)snprintf(buf + used, size - used, "%s", tmp);
			s += 5;
		} else if (strncmp(s, "@BUILD@", 7) == 0) {
			used += (size_t)snprintf(buf + used, size - used, "%s",
						 build ? build : ".");
			s += 7;
		} else {
			buf[used++] = *s++;
			buf[used] = '\0';
		}
	}
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(usage, every_case)
{
	char tmp[] = "/tmp/strand-usage-XXXXXX";
	bool kvm = access("/dev/kvm", R_OK | W_OK) == 0;
	unsigned ran = 0, skipped = 0;

	cr_assert_not_null(mkdtemp(tmp));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct usage_case *c = &cases[i];
		char *argv[16], store[14][512], all[1024] = "", line[1024], want[1024];
		const char *text, *nl;
		struct run_result r;
		unsigned n;

		if (c->kvm && !kvm) {
			skipped++;
			continue;
		}
		for (n = 0; c->argv[n]; n++) {
			expand(store[n], sizeof(store[n]), c->argv[n], tmp);
			argv[n] = store[n];
			strncat(all, store[n], sizeof(all) - strlen(all) - 2);
			strcat(all, " ");
		}
		argv[n] = NULL;
		cr_assert_eq(test_run_strandv(&r, NULL, 60, argv), 0, "strand %s", all);
		cr_expect_eq(r.status, c->status, "strand %s: status %d, not %d; stderr: %s", all,
			     r.status, c->status, r.err);
		text = c->where == OUT ? r.out : r.err;
		nl = strchr(text, '\n');
		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - text) : (int)strlen(text),
			 text);
		expand(want, sizeof(want), c->first, tmp);
		cr_expect(strstr(line, want), "strand %s: first line '%s' does not hold '%s'", all,
			  line, want);
		if (c->status == 2) {
			cr_expect_eq(count_lines(r.err), 1, "strand %s: stderr is not one line: %s",
				     all, r.err);
			cr_expect_str_eq(r.out, "", "strand %s: stdout: %s", all, r.out);
		}
		test_run_free(&r);
		ran++;
	}
	if (skipped)
		cr_log_info("%u cases need /dev/kvm: skipped", skipped);
	cr_expect_gt(ran, 80);
	for (unsigned k = 0; k < 2; k++) {
		char path[64];

		snprintf(path, sizeof(path), "%s/%s", tmp, k ? "s.json" : "r.json");
		cr_expect_eq(access(path, R_OK), 0, "%s was not written", path);
		unlink(path);
	}
	rmdir(tmp);
}
