/*
 * test_monitor.c - the QMP monitor of a running strand process (`strand run --monitor`),
 * driven by a client of the test's own (monitor/qmp_client.h): lifecycle (status, stop/cont
 * with their events, --paused, powerdown, quit; the ACPI power button of a Linux-path guest:
 * a PVH kernel of the test's own polls the GED's event selector and powers off through the
 * ACPI PM block; a flat guest has no button), live tuning (strategy switches host -> gang ->
 * credit -> pinned -> fifo -> host seen in the vCPU threads themselves, vCPU / iothread /
 * emulator pins seen with sched_getaffinity, a credit weight the run-time share follows, halt
 * polling, iothread polling, map churn, the refused map-lock change), the statistics, and
 * hostile clients (malformed JSON, commands before negotiation, unknown commands and
 * arguments, wrong types, out-of-range values, an oversized message, a line in 1-byte writes,
 * a client that never reads, 100 clients connecting and dropping): the guest keeps running and
 * the monitor keeps answering. Needs KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor/qmp.h"
#include "monitor/qmp_client.h"
#include "monitor/vcpu_gate.h"
#include "tests/support.h"
#include "util/clock.h"

TestSuite(monitor, .timeout = 240);

#define TMO 10000 /* ms for one command: generous, CI hosts are loaded */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct vmproc {
	struct test_bg bg;
	char sock[108];
	struct qmp_client *c;
};

/* Start strand with a monitor socket (and the extra arguments), connect a client. */
static void start(struct vmproc *p, const char *const *extra)
{
	char *argv[64], mon[160];
	struct errbuf err = { "" };
	unsigned n = 0;

	memset(p, 0, sizeof(*p));
	test_sock_path(p->sock, sizeof(p->sock), "qmp");
	snprintf(mon, sizeof(mon), "unix:%s", p->sock);
	argv[n++] = "run";
	argv[n++] = "--monitor";
	argv[n++] = mon;
	argv[n++] = "--quiet";
	for (unsigned i = 0; extra[i] && n < 62; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	cr_assert_eq(test_bg_start(&p->bg, argv), 0);
	if (qmp_client_connect(&p->c, p->sock, 20000, &err)) {
		char *log = test_bg_log(&p->bg);

		test_bg_wait(&p->bg, 1);
		cr_assert_fail("cannot connect to the monitor: %s\nstrand said:\n%s", err.msg, log);
	}
}

/* Quit (if still running) and wait for the process; its exit status must be `expect`. */
static void finish_expect(struct vmproc *p, int expect)
{
	int st;

	if (p->c) {
		struct qmp_error e;
		/* It may have ended already: the result does not matter. */
		int rc = qmp_client_execute(p->c, "quit", NULL, NULL, &e, TMO);

		(void)rc;
		qmp_client_close(p->c);
		p->c = NULL;
	}
	st = test_bg_wait(&p->bg, 30);
	if (st != expect) {
		char *log = test_bg_log(&p->bg);

		unlink(p->bg.log);
		cr_assert_fail("strand exited with %d, expected %d; it said:\n%s", st, expect, log);
	}
	unlink(p->bg.log);
}

/* Run cmd (args consumed) and return its "return" value; the test fails on an error. */
static json_object *ok(struct qmp_client *c, const char *cmd, json_object *args)
{
	struct qmp_error e = { "", "" };
	json_object *ret = NULL;
	int rc = qmp_client_execute(c, cmd, args, &ret, &e, TMO);

	cr_assert_eq(rc, 0, "%s: %d %s %s", cmd, rc, rc == -EREMOTEIO ? e.cls : "",
		     rc == -EREMOTEIO ? e.desc : strerror(-rc));
	return ret;
}

/* Run cmd expecting an error of class cls whose description contains needle. */
static void fails(struct qmp_client *c, const char *cmd, json_object *args, const char *cls,
		  const char *needle)
{
	struct qmp_error e = { "", "" };
	json_object *ret = NULL;
	int rc = qmp_client_execute(c, cmd, args, &ret, &e, TMO);

	json_object_put(ret);
	cr_assert_eq(rc, -EREMOTEIO, "%s: expected an error, got %d", cmd, rc);
	cr_assert_str_eq(e.cls, cls, "%s: class %s (%s)", cmd, e.cls, e.desc);
	cr_assert(strstr(e.desc, needle), "%s: '%s' lacks '%s'", cmd, e.desc, needle);
}

static json_object *args_of(const char *json)
{
	json_object *o = json_tokener_parse(json);

	cr_assert(o, "bad test JSON %s", json);
	return o;
}

static const char *status(struct qmp_client *c)
{
	static char buf[32];
	json_object *r = ok(c, "query-status", NULL), *s;

	cr_assert(json_object_object_get_ex(r, "status", &s));
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(s));
	json_object_put(r);
	return buf;
}

static uint64_t progress(struct qmp_client *c)
{
	json_object *r = ok(c, "x-strand-query-progress", NULL), *a;
	uint64_t sum = 0;

	cr_assert(json_object_object_get_ex(r, "vcpus", &a));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *p;

		cr_assert(
			json_object_object_get_ex(json_object_array_get_idx(a, i), "progress", &p));
		sum += (uint64_t)json_object_get_int64(p);
	}
	json_object_put(r);
	return sum;
}

static void expect_event(struct qmp_client *c, const char *name)
{
	json_object *ev = NULL;
	int rc = qmp_client_wait_event(c, name, &ev, TMO);

	cr_assert_eq(rc, 0, "no %s event: %s", name, strerror(-rc));
	json_object_put(ev);
}

static pid_t vcpu_tid(struct qmp_client *c, const char *vm, int index)
{
	char a[64];
	json_object *r, *o, *t;
	pid_t tid;

	snprintf(a, sizeof(a), vm ? "{\"vm\": \"%s\"}" : "{}", vm);
	r = ok(c, "query-cpus-fast", args_of(a));
	cr_assert_gt(json_object_array_length(r), (size_t)index);
	o = json_object_array_get_idx(r, (size_t)index);
	cr_assert(json_object_object_get_ex(o, "thread-id", &t));
	tid = (pid_t)json_object_get_int(t);
	json_object_put(r);
	return tid;
}

Test(monitor, lifecycle_stop_cont_powerdown)
{
	static const char *const extra[] = { "--guest", "idle:spin=1", "--vcpus", "2", NULL };
	struct vmproc p;
	uint64_t a, b;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	cr_assert_str_eq(status(p.c), "running");
	a = progress(p.c);
	sleep_ms(100);
	cr_assert_gt(progress(p.c), a, "the guest makes no progress while running");
	json_object_put(ok(p.c, "stop", NULL));
	expect_event(p.c, "STOP");
	cr_assert_str_eq(status(p.c), "paused");
	a = progress(p.c);
	sleep_ms(200);
	b = progress(p.c);
	cr_assert_eq(a, b, "progress while paused: %llu -> %llu", (unsigned long long)a,
		     (unsigned long long)b);
	json_object_put(ok(p.c, "stop", NULL)); /* paused already: no second STOP */
	json_object_put(ok(p.c, "cont", NULL));
	expect_event(p.c, "RESUME");
	sleep_ms(100);
	cr_assert_gt(progress(p.c), b, "no progress after cont");
	json_object_put(ok(p.c, "system_powerdown", NULL));
	expect_event(p.c, "POWERDOWN");
	expect_event(p.c, "SHUTDOWN");
	qmp_client_close(p.c);
	p.c = NULL;
	finish_expect(&p, 0);
}

/*
 * The guest powered itself off (after a power-down request): SHUTDOWN with reason
 * guest-shutdown within timeout_ms, then strand exits 0.
 */
static void expect_guest_shutdown(struct vmproc *p, int timeout_ms, const char *what)
{
	json_object *ev = NULL, *data, *reason;

	cr_assert_eq(qmp_client_wait_event(p->c, "SHUTDOWN", &ev, timeout_ms), 0,
		     "%s: no SHUTDOWN: the guest never saw the power-down request", what);
	cr_assert(json_object_object_get_ex(ev, "data", &data));
	cr_assert(json_object_object_get_ex(data, "reason", &reason));
	cr_assert_str_eq(json_object_get_string(reason), "guest-shutdown", "%s", what);
	json_object_put(ev);
	qmp_client_close(p->c);
	p->c = NULL;
	finish_expect(p, 0);
}

/* One vCPU's progress counter (x-strand-query-progress). */
static uint64_t progress_of(struct qmp_client *c, unsigned index)
{
	json_object *r = ok(c, "x-strand-query-progress", NULL), *a, *p;
	uint64_t v;

	cr_assert(json_object_object_get_ex(r, "vcpus", &a));
	cr_assert_gt(json_object_array_length(a), (size_t)index);
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(a, index), "progress", &p));
	v = (uint64_t)json_object_get_int64(p);
	json_object_put(r);
	return v;
}

static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	f = fopen(path, "re");
	cr_assert(f, "no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	cr_assert(p && p[1] && p[2]);
	return p[2];
}

/*
 * --vcpu-gate: a scheduler in another process (here the test, as strandd does it) parks and
 * releases single vCPUs through the shared file, without the monitor; a pause completes with a
 * vCPU parked there; a quit wakes vCPUs sleeping on the gate; the file goes with the VM.
 */
Test(monitor, shared_vcpu_gate)
{
	char gate[108];
	const char *extra[] = {
		"--guest", "idle:spin=1", "--vcpus", "2", "--vcpu-gate", gate, NULL
	};
	struct errbuf err = { "" };
	struct vcpu_gate g;
	struct vmproc p;
	pid_t t0, t1;
	uint64_t a, b, c1;

	SKIP_WITHOUT_KVM();
	test_sock_path(gate, sizeof(gate), "gate");
	start(&p, extra);
	cr_assert_eq(vcpu_gate_open(&g, gate, 10000, &err), 0, "%s", err.msg);
	cr_assert_eq(g.nslots, 2);
	cr_assert_eq(g.hdr->pid, p.bg.pid);
	t0 = vcpu_tid(p.c, NULL, 0);
	t1 = vcpu_tid(p.c, NULL, 1);
	cr_assert_eq(g.slots[0].tid, t0);
	cr_assert_eq(g.slots[1].tid, t1);

	cr_assert_eq(vcpu_gate_set(&g, 0, true, p.bg.pid, t0), 0);
	sleep_ms(200);
	a = progress_of(p.c, 0);
	c1 = progress_of(p.c, 1);
	sleep_ms(300);
	b = progress_of(p.c, 0);
	cr_assert_eq(a, b, "vCPU 0 ran while parked at the gate: %llu -> %llu",
		     (unsigned long long)a, (unsigned long long)b);
	cr_assert_gt(progress_of(p.c, 1), c1, "vCPU 1 stopped with vCPU 0");
	cr_assert_eq(thread_state(t0), 'S', "a parked vCPU sleeps");
	cr_assert_str_eq(status(p.c), "running");

	/* A pause completes with vCPU 0 parked at the gate; cont leaves it parked there. */
	json_object_put(ok(p.c, "stop", NULL));
	expect_event(p.c, "STOP");
	cr_assert_str_eq(status(p.c), "paused");
	json_object_put(ok(p.c, "cont", NULL));
	expect_event(p.c, "RESUME");
	sleep_ms(200);
	cr_assert_eq(progress_of(p.c, 0), b, "cont released a vCPU the gate parks");

	cr_assert_eq(vcpu_gate_set(&g, 0, false, p.bg.pid, t0), 0);
	sleep_ms(200);
	cr_assert_gt(progress_of(p.c, 0), b, "vCPU 0 does not run after its release");

	/* Both parked, then quit: the stop wakes them; the VM ends at once and removes the file. */
	cr_assert_eq(vcpu_gate_set(&g, 0, true, p.bg.pid, t0), 0);
	cr_assert_eq(vcpu_gate_set(&g, 1, true, p.bg.pid, t1), 0);
	sleep_ms(100);
	cr_assert_eq(thread_state(t1), 'S');
	finish_expect(&p, 0);
	cr_assert_neq(access(gate, F_OK), 0, "strand left its gate file behind");
	vcpu_gate_close(&g, false);
}

/* A gate file that is not one, or a bad --vcpu-gate path: refused, never a crash. */
Test(monitor, vcpu_gate_refuses_bad_files)
{
	struct errbuf err = { "" };
	struct vcpu_gate g;
	char path[256];
	struct vcpu_gate_hdr h = { .magic = VCPU_GATE_MAGIC,
				   .version = VCPU_GATE_VERSION,
				   .nslots = 4,
				   .kick_signal = 0,
				   .ready = 1 };
	struct run_result r;

	cr_assert_eq(test_tmpfile(path, sizeof(path), "short", 5), 0);
	cr_assert_eq(vcpu_gate_open(&g, path, 10, &err), -EPROTO);
	unlink(path);
	/* A header claiming more slots than the file holds, and a signal that is no kick. */
	cr_assert_eq(test_tmpfile(path, sizeof(path), &h, sizeof(h)), 0);
	cr_assert_eq(vcpu_gate_open(&g, path, 10, &err), -EPROTO);
	cr_assert(strstr(err.msg, "bad header"), "%s", err.msg);
	unlink(path);
	h.ready = 0;
	cr_assert_eq(test_tmpfile(path, sizeof(path), &h, sizeof(h)), 0);
	cr_assert_eq(vcpu_gate_open(&g, path, 10, &err), -ETIMEDOUT);
	unlink(path);
	cr_assert_eq(vcpu_gate_open(&g, "/nonexistent/gate", 10, &err), -ENOENT);

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--guest", "idle", "--vcpu-gate",
				     "/nonexistent/dir/gate", NULL),
		     0);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "--vcpu-gate"), "%s", r.err);
	test_run_free(&r);
}

Test(monitor, paused_start_and_halting_guest)
{
	static const char *const extra[] = { "--guest", "idle", "--paused", NULL };
	struct vmproc p;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	cr_assert_str_eq(status(p.c), "prelaunch");
	json_object_put(ok(p.c, "cont", NULL));
	expect_event(p.c, "RESUME");
	cr_assert_str_eq(status(p.c), "running");
	/* The idle guest halts in KVM: the power-down request must wake it. */
	json_object_put(ok(p.c, "system_powerdown", NULL));
	expect_guest_shutdown(&p, TMO, "the halted guest");
}

Test(monitor, quit_and_reset_reasons)
{
	static const char *const extra[] = { "--guest", "idle", NULL };
	struct vmproc p;
	json_object *ev = NULL, *data, *reason;
	struct qmp_error e;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	cr_assert_eq(qmp_client_execute(p.c, "system_reset", NULL, NULL, &e, TMO), 0);
	cr_assert_eq(qmp_client_wait_event(p.c, "SHUTDOWN", &ev, TMO), 0);
	cr_assert(json_object_object_get_ex(ev, "data", &data));
	cr_assert(json_object_object_get_ex(data, "reason", &reason));
	cr_assert_str_eq(json_object_get_string(reason), "host-qmp-system-reset");
	json_object_put(ev);
	qmp_client_close(p.c);
	p.c = NULL;
	finish_expect(&p, 0);

	start(&p, extra);
	cr_assert_eq(qmp_client_execute(p.c, "quit", NULL, NULL, &e, TMO), 0);
	cr_assert_eq(qmp_client_wait_event(p.c, "SHUTDOWN", &ev, TMO), 0);
	cr_assert(json_object_object_get_ex(ev, "data", &data));
	cr_assert(json_object_object_get_ex(data, "reason", &reason));
	cr_assert_str_eq(json_object_get_string(reason), "host-qmp-quit");
	json_object_put(ev);
	qmp_client_close(p.c);
	p.c = NULL;
	finish_expect(&p, 0);
}

/*
 * A PVH "kernel" of 23 bytes (32-bit protected mode, at TEST_PVH_ENTRY) standing in for Linux's
 * evged and button drivers: it polls the GED's event selector (a 4-byte read, as the DSDT's
 * Field does) and, when the power-button bit comes, writes S5 | SLP_EN to the ACPI sleep
 * control register. The interrupt itself needs the guest's IOAPIC set-up: only the Linux suite
 * sees it (tests/linux/test_linux.c).
 */
static const uint8_t ged_poller[] = {
	0x66, 0xba, 0x10, 0x06, /* 0: mov dx, ACPI_GED_DEFAULT_PORT */
	0xed,			/* 4: in eax, dx (reading clears the events) */
	0xa8, 0x01,		/* 5: test al, ACPI_GED_EVT_PWRBTN */
	0x75, 0x04,		/* 7: jnz 13 */
	0xf3, 0x90,		/* 9: pause */
	0xeb, 0xf3,		/* 11: jmp 0 */
	0x66, 0xba, 0x00, 0x06, /* 13: mov dx, ACPI_PM_DEFAULT_PORT (sleep control) */
	0xb0, 0x34,		/* 17: mov al, (5 << 2) | SLP_EN */
	0xee,			/* 19: out dx, al */
	0xf4,			/* 20: hlt */
	0xeb, 0xfd,		/* 21: jmp 20 */
};

/* One run of ged_poller as a PVH kernel; extra_opt: a threading option, or NULL. */
static void power_button_run(const char *extra_opt)
{
	static const struct test_pvh_note note = {
		.name = "Xen", .namesz = 4, .type = 18, .descsz = 8, .entry = TEST_PVH_ENTRY
	};
	const char *extra[] = {
		"--kernel", NULL, "--memory", "64M", "--timeout", "120s", NULL, NULL
	};
	char kernel[64];
	size_t len;
	uint8_t *elf = test_pvh_elf(&note, &len);
	struct vmproc p;

	memcpy(elf + TEST_PVH_SEG_OFF + (TEST_PVH_ENTRY - TEST_PVH_SEG_GPA), ged_poller,
	       sizeof(ged_poller));
	cr_assert_eq(test_tmpfile(kernel, sizeof(kernel), elf, len), 0);
	free(elf);
	extra[1] = kernel;
	extra[6] = extra_opt;
	start(&p, extra);
	cr_assert_str_eq(status(p.c), "running");
	sleep_ms(200); /* let it poll a while: reads with nothing pending change nothing */
	cr_assert_str_eq(status(p.c), "running");
	json_object_put(ok(p.c, "system_powerdown", NULL));
	expect_event(p.c, "POWERDOWN");
	expect_guest_shutdown(&p, 60000, extra_opt ? extra_opt : "default locks");
	unlink(kernel);
}

/* Under the device locks (the default) and under the big lock, which ged_raise takes too. */
Test(monitor, linux_power_button_is_the_ged)
{
	SKIP_WITHOUT_KVM();
	power_button_run(NULL);
	power_button_run("--big-lock");
}

/* A flat binary gets no ACPI tables: no button to press, and the guest runs on. */
Test(monitor, flat_guest_has_no_power_button)
{
	static const uint8_t halt_loop[] = { 0xf4, 0xeb, 0xfd }; /* hlt; jmp -3 */
	const char *extra[] = { "--flat", NULL, NULL };
	char flat[64];
	struct vmproc p;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(test_tmpfile(flat, sizeof(flat), halt_loop, sizeof(halt_loop)), 0);
	extra[1] = flat;
	start(&p, extra);
	fails(p.c, "system_powerdown", NULL, "GenericError", "has no power button");
	cr_assert_str_eq(status(p.c), "running");
	finish_expect(&p, 0);
	unlink(flat);
}

Test(monitor, guest_crash_is_reported)
{
	static const char *const extra[] = { "--guest", "fault", "--paused", NULL };
	struct vmproc p;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	json_object_put(ok(p.c, "cont", NULL));
	expect_event(p.c, "GUEST_PANICKED");
	expect_event(p.c, "X-STRAND-GUEST-CRASH");
	expect_event(p.c, "SHUTDOWN");
	qmp_client_close(p.c);
	p.c = NULL;
	finish_expect(&p, 3);
}

static int policy_of(pid_t tid)
{
	return sched_getscheduler(tid);
}

static int ncpus_of(pid_t tid)
{
	cpu_set_t s;

	cr_assert_eq(sched_getaffinity(tid, sizeof(s), &s), 0);
	return CPU_COUNT(&s);
}

static void set_sched(struct qmp_client *c, const char *spec)
{
	char a[96];
	json_object *r, *s;

	snprintf(a, sizeof(a), "{\"strategy\": \"%s\"}", spec);
	json_object_put(ok(c, "x-strand-set-sched", args_of(a)));
	expect_event(c, "X-STRAND-TUNING");
	r = ok(c, "x-strand-query-sched", NULL);
	cr_assert(json_object_object_get_ex(r, "spec", &s));
	cr_assert(strncmp(json_object_get_string(s), spec, strcspn(spec, ":")) == 0,
		  "strategy %s after switching to %s", json_object_get_string(s), spec);
	json_object_put(r);
}

Test(monitor, live_strategy_switches_and_pins)
{
	static const char *const extra[] = {
		"--vm",	   "--guest",	  "idle:spin=1", "--vcpus", "2",  "--vm",
		"--guest", "idle:spin=1", "--vcpus",	 "2",	    NULL,
	};
	struct vmproc p;
	pid_t t0, t1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t a;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	t0 = vcpu_tid(p.c, "vm0", 0);
	t1 = vcpu_tid(p.c, "vm1", 1);
	cr_assert_eq(policy_of(t0), SCHED_OTHER);
	set_sched(p.c, "gang:5");
	a = progress(p.c);
	sleep_ms(200);
	cr_assert_gt(progress(p.c), a, "no progress under gang");
	set_sched(p.c, "credit");
	set_sched(p.c, "gang-relaxed:2");
	/* 4 vCPUs on this host: pinned needs force when it is overcommit. */
	if (ncpu < 4)
		fails(p.c, "x-strand-set-sched", args_of("{\"strategy\": \"pinned\"}"),
		      "GenericError", "overcommit");
	set_sched(p.c, "pinned:force");
	cr_assert_eq(ncpus_of(t0), 1, "a pinned vCPU has one CPU");
	cr_assert_eq(ncpus_of(t1), 1);
	set_sched(p.c, "fifo:3");
	cr_assert_eq(policy_of(t0), SCHED_FIFO, "fifo did not reach the vCPU thread");
	cr_assert_eq(ncpus_of(t0), (int)ncpu, "leaving pinned restores the affinity");
	set_sched(p.c, "host");
	cr_assert_eq(policy_of(t0), SCHED_OTHER);
	a = progress(p.c);
	sleep_ms(200);
	cr_assert_gt(progress(p.c), a, "no progress after the switches");

	/* vcpupin, unpin, emulatorpin; errors name the problem. */
	json_object_put(ok(p.c, "x-strand-vcpu-pin",
			   args_of("{\"vm\": \"vm1\", \"cpu-index\": 1, \"cpus\": \"0\"}")));
	expect_event(p.c, "X-STRAND-TUNING");
	cr_assert_eq(ncpus_of(t1), 1);
	json_object_put(ok(p.c, "x-strand-vcpu-pin",
			   args_of("{\"vm\": \"vm1\", \"cpu-index\": 1, \"cpus\": \"all\"}")));
	cr_assert_eq(ncpus_of(t1), (int)ncpu);
	fails(p.c, "x-strand-vcpu-pin", args_of("{\"cpu-index\": 9, \"cpus\": \"0\"}"),
	      "GenericError", "out of range");
	fails(p.c, "x-strand-vcpu-pin", args_of("{\"cpu-index\": 0, \"cpus\": \"1000\"}"),
	      "GenericError", "not available");
	fails(p.c, "x-strand-vcpu-pin", args_of("{\"cpu-index\": 0, \"cpus\": \"x\"}"),
	      "GenericError", "CPU list");
	fails(p.c, "x-strand-vcpu-pin",
	      args_of("{\"vm\": \"nope\", \"cpu-index\": 0, \"cpus\": \"0\"}"), "DeviceNotFound",
	      "nope");
	json_object_put(ok(p.c, "x-strand-emulator-pin", args_of("{\"cpus\": \"0\"}")));
	cr_assert_eq(ncpus_of(p.bg.pid), 1, "the main thread is an emulator thread");
	cr_assert_eq(ncpus_of(t0), (int)ncpu, "emulatorpin must not move vCPUs");
	finish_expect(&p, 0);
}

/* CPU time of each VM as the strategy accounts it. */
static void vm_cpu(struct qmp_client *c, int64_t out[2])
{
	json_object *r = ok(c, "x-strand-query-sched", NULL), *vms, *ns;

	cr_assert(json_object_object_get_ex(r, "vms", &vms));
	for (size_t i = 0; i < 2; i++) {
		cr_assert(json_object_object_get_ex(json_object_array_get_idx(vms, i), "cpu-ns",
						    &ns));
		out[i] = json_object_get_int64(ns);
	}
	json_object_put(r);
}

Test(monitor, credit_weight_moves_the_share)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char nv[16];
	const char *extra[] = { "--sched", "credit", "--vm", "--guest", "idle:spin=1",
				"--vcpus", nv,	     "--vm", "--guest", "idle:spin=1",
				"--vcpus", nv,	     NULL };
	struct vmproc p;
	int64_t a[2], b[2];
	double share;

	SKIP_WITHOUT_KVM();
	/* Each VM alone could fill the host: the share is the strategy's to decide. */
	snprintf(nv, sizeof(nv), "%ld", ncpu);
	start(&p, extra);
	json_object_put(
		ok(p.c, "x-strand-set-credit", args_of("{\"vm\": \"vm0\", \"weight\": 768}")));
	expect_event(p.c, "X-STRAND-TUNING");
	sleep_ms(500); /* credits settle */
	vm_cpu(p.c, a);
	sleep_ms(2500);
	vm_cpu(p.c, b);
	share = (double)(b[0] - a[0]) / (double)(b[0] - a[0] + b[1] - a[1]);
	cr_log_info("vm0's share with weights 768:256: %.2f (target 0.75)", share);
	cr_assert_gt(share, 0.6, "vm0's share %.2f did not follow its weight (target 0.75)", share);
	finish_expect(&p, 0);
}

Test(monitor, knobs_and_stats)
{
	static const char *const extra[] = { "--guest",	   "idle:spin=1", "--vcpus", "2",
					     "--iothread", "id=io1",	  NULL };
	struct vmproc p;
	json_object *r, *a, *o, *v;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	json_object_put(ok(p.c, "x-strand-set-halt-poll", args_of("{\"ns\": 50000}")));
	fails(p.c, "x-strand-set-halt-poll", args_of("{\"ns\": -1}"), "GenericError", "0..");
	fails(p.c, "x-strand-set-halt-poll", args_of("{\"ns\": \"x\"}"), "GenericError",
	      "expected: integer");
	json_object_put(ok(p.c, "x-strand-set-iothread-poll",
			   args_of("{\"id\": \"io1\", \"poll-max-ns\": 20000, \"poll-grow\": 4}")));
	json_object_put(ok(p.c, "qom-set",
			   args_of("{\"path\": \"/objects/io1\", \"property\": \"poll-shrink\", "
				   "\"value\": 3}")));
	r = ok(p.c, "query-iothreads", NULL);
	cr_assert_eq(json_object_array_length(r), 1);
	o = json_object_array_get_idx(r, 0);
	cr_assert(json_object_object_get_ex(o, "poll-max-ns", &v));
	cr_assert_eq(json_object_get_int(v), 20000);
	cr_assert(json_object_object_get_ex(o, "poll-grow", &v));
	cr_assert_eq(json_object_get_int(v), 4);
	cr_assert(json_object_object_get_ex(o, "poll-shrink", &v));
	cr_assert_eq(json_object_get_int(v), 3);
	json_object_put(r);
	json_object_put(ok(p.c, "x-strand-set-map-churn", args_of("{\"hz\": 200}")));
	sleep_ms(200);
	json_object_put(ok(p.c, "x-strand-set-map-churn", args_of("{\"hz\": 0}")));
	fails(p.c, "x-strand-set-map-lock", args_of("{\"mode\": \"mutex\"}"), "GenericError",
	      "cannot change while the VM runs");
	r = ok(p.c, "x-strand-query-tuning", NULL);
	cr_assert(json_object_object_get_ex(r, "halt-poll-ns", &v));
	cr_assert_eq(json_object_get_int(v), 50000);
	json_object_put(r);

	/* Statistics: QEMU's query-stats and strand's per-vCPU report. */
	r = ok(p.c, "query-stats",
	       args_of("{\"target\": \"vcpu\", \"providers\": [{\"provider\": \"kvm\", \"names\": "
		       "[\"exits\"]}]}"));
	cr_assert_eq(json_object_array_length(r), 2, "one result per vCPU");
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(r, 0), "stats", &a));
	cr_assert_eq(json_object_array_length(a), 1, "only the named statistic");
	json_object_put(r);
	r = ok(p.c, "x-strand-query-vcpu-stats", NULL);
	cr_assert_eq(json_object_array_length(r), 2);
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(r, 1), "run-ns", &v));
	cr_assert_gt(json_object_get_int64(v), 0);
	json_object_put(r);
	r = ok(p.c, "x-strand-query-affinity", NULL);
	cr_assert(json_object_object_get_ex(r, "iothreads", &a));
	cr_assert_eq(json_object_array_length(a), 1);
	json_object_put(r);
	/* query-cpus-fast's thread ids are the vCPU threads. */
	{
		char path[96], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", p.bg.pid,
			 (int)vcpu_tid(p.c, NULL, 1));
		f = fopen(path, "r");
		cr_assert(f, "%s", path);
		cr_assert(fgets(comm, sizeof(comm), f));
		fclose(f);
		cr_assert_str_eq(comm, "vcpu1\n");
	}
	finish_expect(&p, 0);
}

/* ---- hostile clients ---- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	return fd;
}

/* One line from a raw socket (the test fails after TMO). */
static void raw_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	uint64_t end = now_ns() + (uint64_t)TMO * 1000000ULL;

	while (n + 1 < size && now_ns() < end) {
		ssize_t k = recv(fd, buf + n, 1, MSG_DONTWAIT);

		if (k == 1) {
			if (buf[n++] == '\n')
				break;
		} else if (k == 0) {
			break;
		} else {
			sleep_ms(1);
		}
	}
	buf[n] = 0;
	cr_assert(n > 0, "no line from the monitor");
}

/* Read one reply (skipping the greeting and events) and check its error text. */
static void expect_error(struct qmp_client *c, const char *needle)
{
	for (;;) {
		json_object *m = NULL, *e, *d;

		cr_assert_eq(qmp_client_read(c, &m, TMO), 0, "no reply (expected '%s')", needle);
		if (json_object_object_get_ex(m, "event", NULL) ||
		    json_object_object_get_ex(m, "QMP", NULL)) {
			json_object_put(m);
			continue;
		}
		cr_assert(json_object_object_get_ex(m, "error", &e), "not an error: %s",
			  json_object_to_json_string(m));
		cr_assert(json_object_object_get_ex(e, "desc", &d));
		cr_assert(strstr(json_object_get_string(d), needle), "'%s' lacks '%s'",
			  json_object_get_string(d), needle);
		json_object_put(m);
		return;
	}
}

Test(monitor, hostile_clients)
{
	static const char *const extra[] = { "--guest", "idle:spin=1", NULL };
	struct vmproc p;
	struct qmp_client *h;
	struct errbuf err = { "" };
	uint64_t before;
	char *big;
	int fd;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	before = progress(p.c);

	/* A command before qmp_capabilities: QMP's CommandNotFound, with the command's id. */
	fd = raw_connect(p.sock);
	{
		static const char msg[] = "{\"execute\": \"query-status\", \"id\": 1}\n";
		char line[4096];

		raw_line(fd, line, sizeof(line)); /* the greeting */
		cr_assert(strstr(line, "\"QMP\""), "%s", line);
		cr_assert_eq(write(fd, msg, sizeof(msg) - 1), (ssize_t)sizeof(msg) - 1);
		raw_line(fd, line, sizeof(line));
		cr_assert(strstr(line, "CommandNotFound") &&
				  strstr(line, "Expecting capabilities negotiation") &&
				  strstr(line, "\"id\":1"),
			  "%s", line);
	}
	close(fd);

	/* Malformed JSON; not an object; bad members; unknown things. */
	cr_assert_eq(qmp_client_connect(&h, p.sock, TMO, &err), 0, "%s", err.msg);
	cr_assert_eq(qmp_client_send_raw(h, "{\"execute\": ]\n", 14), 0);
	expect_error(h, "JSON parse error");
	cr_assert_eq(qmp_client_send_raw(h, "[1, 2]\n", 7), 0);
	expect_error(h, "must be a JSON object");
	cr_assert_eq(qmp_client_send_raw(h, "null\n", 5), 0);
	expect_error(h, "must be a JSON object");
	cr_assert_eq(qmp_client_send_raw(h, "{\"foo\": 1}\n", 11), 0);
	expect_error(h, "unexpected");
	cr_assert_eq(qmp_client_send_raw(h, "{\"execute\": 5}\n", 15), 0);
	expect_error(h, "must be a string");
	fails(h, "no-such-command", NULL, "CommandNotFound", "has not been found");
	fails(h, "query-status", args_of("{\"bogus\": 1}"), "GenericError", "unexpected");
	fails(h, "x-strand-set-sched", args_of("{\"strategy\": 5}"), "GenericError",
	      "expected: string");
	fails(h, "x-strand-set-sched", NULL, "GenericError", "is missing");
	fails(h, "x-strand-set-sched", args_of("{\"strategy\": \"warp\"}"), "GenericError",
	      "unknown strategy");
	fails(h, "x-strand-set-credit", args_of("{\"weight\": 99999999999999}"), "GenericError",
	      "1..65535");
	fails(h, "qmp_capabilities", NULL, "CommandNotFound", "already complete");
	/* A deeply nested value is refused by the parser, not by the stack. */
	{
		char deep[4200];
		size_t n = 0;

		n += (size_t)snprintf(deep, sizeof(deep),
				      "{\"execute\": \"query-status\", \"id\": ");
		for (int i = 0; i < 2000; i++)
			deep[n++] = '[';
		deep[n++] = '\n';
		cr_assert_eq(qmp_client_send_raw(h, deep, n), 0);
		expect_error(h, "JSON parse error");
	}
	/* A command written one byte at a time is one command. */
	{
		static const char msg[] = "{\"execute\": \"query-kvm\", \"id\": 77}\n";
		json_object *m = NULL, *id;

		for (size_t i = 0; i < sizeof(msg) - 1; i++) {
			cr_assert_eq(qmp_client_send_raw(h, msg + i, 1), 0);
			if (i % 8 == 0)
				sleep_ms(1);
		}
		cr_assert_eq(qmp_client_read(h, &m, TMO), 0);
		cr_assert(json_object_object_get_ex(m, "id", &id), "%s",
			  json_object_to_json_string(m));
		cr_assert_eq(json_object_get_int(id), 77);
		json_object_put(m);
	}
	qmp_client_close(h);

	/* Over the size limit: an error, then the connection is closed. */
	big = malloc(QMP_MAX_MESSAGE_BYTES + 4096);
	memset(big, ' ', QMP_MAX_MESSAGE_BYTES + 4096);
	memcpy(big, "{\"execute\": \"query-status\", \"arguments\": {\"x\": \"", 48);
	cr_assert_eq(qmp_client_connect(&h, p.sock, TMO, &err), 0);
	{
		/* The monitor may close before it has read everything: a short send is fine. */
		int rc = qmp_client_send_raw(h, big, QMP_MAX_MESSAGE_BYTES + 4096);

		(void)rc;
	}
	expect_error(h, "exceeds");
	{
		json_object *m = NULL;

		cr_assert_eq(qmp_client_read(h, &m, TMO), -EPIPE, "not dropped");
	}
	qmp_client_close(h);
	free(big);

	/*
	 * A client that sends and never reads: it is dropped once QMP_MAX_OUTPUT_BYTES of replies
	 * wait for it, the VM and monitor go on. What is asserted is the bound, not a speed: the
	 * drop comes before the client has asked for three times what the queue and the socket
	 * buffers hold (a slow monitor, under a sanitizer on a busy host, is not a failure; a
	 * monitor that keeps queueing or stops reading is). The time limit only stops a hang.
	 */
	fd = raw_connect(p.sock);
	{
		static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
		static const char cmd[] = "{\"execute\": \"query-stats-schemas\"}\n";
		json_object *one = ok(p.c, "query-stats-schemas", NULL);
		size_t reply = strlen(json_object_to_json_string_ext(one, JSON_C_TO_STRING_PLAIN));
		int rcvbuf = 0, sndbuf = 0;
		socklen_t sl = sizeof(int);
		uint64_t t0 = now_ns(), bound;
		int sent = 0;
		bool dropped = false;

		json_object_put(one);
		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl);
		sl = sizeof(int);
		getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
		bound = 3 * ((uint64_t)QMP_MAX_OUTPUT_BYTES + (uint64_t)rcvbuf + (uint64_t)sndbuf) /
			(reply > 64 ? reply : 64);
		cr_assert_eq(write(fd, caps, sizeof(caps) - 1), (ssize_t)sizeof(caps) - 1);
		while (now_ns() - t0 < 240ULL * NSEC_PER_SEC) {
			ssize_t k = send(fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (k < 0 && (errno == EPIPE || errno == ECONNRESET)) {
				dropped = true;
				break;
			}
			if (k < 0)
				sleep_ms(1);
			else
				sent++;
			cr_assert_leq((uint64_t)sent, bound,
				      "%d commands of %zu-byte replies and not dropped", sent,
				      reply);
		}
		cr_log_info("a client that never read sent %d commands (bound %llu) before the "
			    "drop, in %.1f s",
			    sent, (unsigned long long)bound, (double)(now_ns() - t0) / 1e9);
		cr_assert(dropped, "the silent reader was never dropped (%d commands in 240 s)",
			  sent);
	}
	close(fd);

	/* 100 clients connecting and dropping, some mid-command. */
	for (int i = 0; i < 100; i++) {
		fd = raw_connect(p.sock);
		if (i % 3 == 1) {
			static const char part[] = "{\"execute\": \"qmp_capabilities\"}\n{\"exec";

			cr_assert_eq(write(fd, part, sizeof(part) - 1), (ssize_t)sizeof(part) - 1);
		}
		close(fd);
	}
	/* Still running, still answering, and it counted all of it. */
	cr_assert_str_eq(status(p.c), "running");
	sleep_ms(50);
	cr_assert_gt(progress(p.c), before, "the guest stopped making progress");
	{
		json_object *r = ok(p.c, "x-strand-query-monitor", NULL), *v;

		cr_assert(json_object_object_get_ex(r, "parse_errors", &v));
		cr_assert_geq(json_object_get_int(v), 2);
		cr_assert(json_object_object_get_ex(r, "oversize", &v));
		cr_assert_eq(json_object_get_int(v), 1);
		cr_assert(json_object_object_get_ex(r, "slow_readers", &v));
		cr_assert_eq(json_object_get_int(v), 1);
		cr_assert(json_object_object_get_ex(r, "not_negotiated", &v));
		cr_assert_eq(json_object_get_int(v), 1);
		cr_assert(json_object_object_get_ex(r, "connected", &v));
		cr_assert_eq(json_object_get_int(v), 1, "dropped sessions are gone");
		json_object_put(r);
	}
	finish_expect(&p, 0);
}

/* The console's query-chardev filename and x-strand-query-vms counters. */
static void console_state(struct qmp_client *c, char *path, size_t len, int64_t *dropped)
{
	json_object *r = ok(c, "query-chardev", NULL), *e, *f, *l, *vms, *con, *d;

	cr_assert_eq(json_object_array_length(r), 1);
	e = json_object_array_get_idx(r, 0);
	cr_assert(json_object_object_get_ex(e, "label", &l));
	cr_assert_str_eq(json_object_get_string(l), "charserial0");
	cr_assert(json_object_object_get_ex(e, "filename", &f));
	cr_assert(strncmp(json_object_get_string(f), "pty:/dev/pts/", 13) == 0, "%s",
		  json_object_get_string(f));
	snprintf(path, len, "%s", json_object_get_string(f) + 4);
	json_object_put(r);
	vms = ok(c, "x-strand-query-vms", NULL);
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(vms, 0), "console", &con));
	cr_assert(json_object_object_get_ex(con, "dropped-bytes", &d));
	*dropped = json_object_get_int64(d);
	json_object_put(vms);
}

/* Write msg to the slave, wait until want comes back (uart-echo upper-cases its input). */
static void echo_round(const char *path, const char *msg, const char *want)
{
	char got[512] = "";
	size_t n = 0;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	uint64_t end = now_ns() + 10 * NSEC_PER_SEC;

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert(isatty(fd));
	cr_assert_eq(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	while (!strstr(got, want) && now_ns() < end && n < sizeof(got) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		k = read(fd, got + n, sizeof(got) - 1 - n);
		if (k > 0)
			n += (size_t)k;
		got[n] = 0;
	}
	close(fd);
	cr_assert(strstr(got, want), "sent '%s' to %s, got back '%s'", msg, path, got);
}

/*
 * --console pty: the slave is the console; a reader may come and go (input works each time,
 * including after a hang-up), and output with no reader is dropped and counted, not queued.
 */
Test(monitor, console_pty)
{
	static const char *const extra[] = { "--guest", "uart-echo:duration_ms=60000", "--console",
					     "pty", NULL };
	char path[64];
	struct vmproc p;
	int64_t dropped;

	SKIP_WITHOUT_KVM();
	start(&p, extra);
	console_state(p.c, path, sizeof(path), &dropped);
	/* "uart-echo: ready" went out before anyone opened the slave: dropped. */
	for (int i = 0; i < 100 && dropped < 17; i++) {
		sleep_ms(20);
		console_state(p.c, path, sizeof(path), &dropped);
	}
	cr_assert_geq(dropped, 17, "the greeting with no reader was not dropped");
	echo_round(path, "abc", "ABC");
	sleep_ms(300); /* the hang-up seen, a new reader found by the poll */
	echo_round(path, "def", "DEF");
	echo_round(path, "ghi", "GHI");
	finish_expect(&p, 0);
}

Test(monitor, bad_command_line)
{
	struct run_result r;
	char path[160];

	cr_assert_eq(test_run_strand(&r, NULL, 20, "run", "--monitor", "tcp:1234", NULL), 0);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "expected unix:PATH or fd:N"), "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(test_run_strand(&r, NULL, 20, "run", "--monitor", "fd:999", NULL), 0);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "not a socket"), "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(test_run_strand(&r, NULL, 20, "run", "--monitor", "unix:/etc/hostname", NULL),
		     0);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "not a socket"), "%s", r.err);
	test_run_free(&r);
	snprintf(path, sizeof(path), "unix:/nonexistent-dir/x.sock");
	cr_assert_eq(test_run_strand(&r, NULL, 20, "run", "--monitor", path, NULL), 0);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "No such file"), "%s", r.err);
	test_run_free(&r);
}

/* ---- the shapes of the replies, beside Debian's QEMU ---- */

static const char *jtype(json_object *o)
{
	return json_type_to_name(json_object_get_type(o));
}

static json_object *by_name(json_object *arr, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *n;

		if (json_object_object_get_ex(e, "name", &n) &&
		    strcmp(json_object_get_string(n), name) == 0)
			return e;
	}
	return NULL;
}

/*
 * Same JSON types and, for objects, the same key sets, recursively. Arrays of named objects
 * (stats) are matched by name; other arrays by their first element. Returns mismatches.
 */
static unsigned same_shape(json_object *q, json_object *s, const char *path)
{
	unsigned bad = 0;
	char sub[256];

	if (json_object_get_type(q) != json_object_get_type(s) &&
	    !(json_object_is_type(q, json_type_int) && json_object_is_type(s, json_type_double))) {
		cr_log_error("%s: QEMU has %s, strand %s", path, jtype(q), jtype(s));
		return 1;
	}
	if (json_object_is_type(q, json_type_object)) {
		json_object_object_foreach(q, k, qv)
		{
			json_object *sv;

			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (!json_object_object_get_ex(s, k, &sv)) {
				cr_log_error("%s: missing in strand's reply", sub);
				bad++;
				continue;
			}
			bad += same_shape(qv, sv, sub);
		}
		json_object_object_foreach(s, k2, sv2)
		{
			(void)sv2;
			if (!json_object_object_get_ex(q, k2, NULL)) {
				cr_log_error("%s.%s: strand has it, QEMU does not", path, k2);
				bad++;
			}
		}
	} else if (json_object_is_type(q, json_type_array) && json_object_array_length(q) &&
		   json_object_array_length(s)) {
		json_object *q0 = json_object_array_get_idx(q, 0), *n;

		if (json_object_is_type(q0, json_type_object) &&
		    json_object_object_get_ex(q0, "name", &n) &&
		    by_name(s, json_object_get_string(n))) {
			unsigned matched = 0;

			for (size_t i = 0; i < json_object_array_length(q); i++) {
				json_object *qe = json_object_array_get_idx(q, i), *qn, *se;

				if (!json_object_object_get_ex(qe, "name", &qn))
					continue;
				se = by_name(s, json_object_get_string(qn));
				if (!se)
					continue; /* a stat one of them lacks: not a shape */
				matched++;
				snprintf(sub, sizeof(sub), "%s[%s]", path,
					 json_object_get_string(qn));
				bad += same_shape(qe, se, sub);
			}
			cr_assert_gt(matched, 0, "%s: no common element", path);
		} else {
			snprintf(sub, sizeof(sub), "%s[0]", path);
			bad += same_shape(q0, json_object_array_get_idx(s, 0), sub);
		}
	}
	return bad;
}

Test(monitor, reply_shapes_match_qemu)
{
	static const char *const extra[] = { "--guest",	 "idle",       "--vcpus", "2",
					     "--paused", "--iothread", "id=io1",  "--name",
					     "vm0",	 "--console",  "pty",	  NULL };
	static const char *const cmds[][2] = {
		{ "query-version", NULL },
		{ "query-status", NULL },
		{ "query-kvm", NULL },
		{ "query-name", NULL },
		{ "query-cpus-fast", NULL },
		{ "query-iothreads", NULL },
		{ "query-chardev", NULL },
		{ "query-stats", "{\"target\": \"vm\"}" },
		{ "query-stats", "{\"target\": \"vcpu\"}" },
		{ "query-stats", "{\"target\": \"vcpu\", \"providers\": [{\"provider\": \"kvm\", "
				 "\"names\": [\"exits\", \"halt_exits\"]}]}" },
		{ "query-stats-schemas", NULL },
		{ "query-commands", NULL },
		{ "stop", NULL },
		{ "cont", NULL },
		{ "qom-set",
		  "{\"path\": \"/objects/io1\", \"property\": \"poll-max-ns\", \"value\": 10}" },
		{ "qom-get", "{\"path\": \"/objects/io1\", \"property\": \"poll-max-ns\"}" },
	};
	static const char *const errs[][2] = {
		{ "no-such-command", NULL },
		{ "query-status", "{\"x\": 1}" },
		{ "query-stats", "{}" },
		{ "query-stats", "{\"target\": \"bad\"}" },
		{ "qom-set",
		  "{\"path\": \"/objects/io1\", \"property\": \"poll-max-ns\", \"value\": \"x\"}" },
	};
	char qsock[108], qmon[160], *qargv[32];
	struct test_bg qemu = { 0 };
	struct qmp_client *qc = NULL;
	struct vmproc p;
	struct errbuf err = { "" };
	unsigned bad = 0, n = 0;

	SKIP_WITHOUT_KVM();
	if (access("/usr/bin/qemu-system-x86_64", X_OK))
		cr_skip_test("needs Debian's qemu-system-x86 (/usr/bin/qemu-system-x86_64)");
	test_sock_path(qsock, sizeof(qsock), "qemu");
	snprintf(qmon, sizeof(qmon), "unix:%s,server=on,wait=off", qsock);
	/* The same machine, paused before it runs: QEMU needs no guest for its monitor. */
	qargv[n++] = "-machine";
	qargv[n++] = "microvm,accel=kvm";
	qargv[n++] = "-cpu";
	qargv[n++] = "host,-arch-capabilities"; /* MSR 0x10a: refused on PVM hosts */
	qargv[n++] = "-m";
	qargv[n++] = "64";
	qargv[n++] = "-smp";
	qargv[n++] = "2";
	qargv[n++] = "-name";
	qargv[n++] = "vm0";
	qargv[n++] = "-nodefaults";
	qargv[n++] = "-display";
	qargv[n++] = "none";
	qargv[n++] = "-S";
	qargv[n++] = "-object";
	qargv[n++] = "iothread,id=io1";
	/* libvirt's <serial type='pty'>: listed first by query-chardev, as strand's console. */
	qargv[n++] = "-chardev";
	qargv[n++] = "pty,id=charserial0";
	qargv[n++] = "-serial";
	qargv[n++] = "chardev:charserial0";
	qargv[n++] = "-qmp";
	qargv[n++] = qmon;
	qargv[n] = NULL;
	{
		/* test_bg_start runs $STRAND_BIN: point it at QEMU for this one process. */
		const char *saved = getenv("STRAND_BIN");
		char *keep = saved ? strdup(saved) : NULL;
		int rc;

		setenv("STRAND_BIN", "/usr/bin/qemu-system-x86_64", 1);
		rc = test_bg_start(&qemu, qargv);
		if (keep) {
			setenv("STRAND_BIN", keep, 1);
			free(keep);
		}
		cr_assert_eq(rc, 0);
	}
	if (qmp_client_connect(&qc, qsock, 20000, &err)) {
		char *log = test_bg_log(&qemu);

		test_bg_wait(&qemu, 1);
		cr_skip_test("QEMU did not start here (%s): %s", err.msg, log);
	}
	start(&p, extra);
	bad += same_shape(qmp_client_greeting(qc), qmp_client_greeting(p.c), "greeting");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		json_object *qr = NULL, *sr = NULL;
		struct qmp_error qe, se;
		int qrc = qmp_client_execute(
			qc, cmds[i][0], cmds[i][1] ? args_of(cmds[i][1]) : NULL, &qr, &qe, TMO);
		int src = qmp_client_execute(
			p.c, cmds[i][0], cmds[i][1] ? args_of(cmds[i][1]) : NULL, &sr, &se, TMO);

		cr_assert_eq(qrc, 0, "QEMU: %s: %s", cmds[i][0], qrc == -EREMOTEIO ? qe.desc : "");
		cr_assert_eq(src, 0, "strand: %s: %s", cmds[i][0],
			     src == -EREMOTEIO ? se.desc : "");
		bad += same_shape(qr, sr, cmds[i][0]);
		json_object_put(qr);
		json_object_put(sr);
	}
	for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
		struct qmp_error qe = { "", "" }, se = { "", "" };
		int qrc = qmp_client_execute(
			qc, errs[i][0], errs[i][1] ? args_of(errs[i][1]) : NULL, NULL, &qe, TMO);
		int src = qmp_client_execute(
			p.c, errs[i][0], errs[i][1] ? args_of(errs[i][1]) : NULL, NULL, &se, TMO);

		cr_assert_eq(qrc, -EREMOTEIO);
		cr_assert_eq(src, -EREMOTEIO);
		if (strcmp(qe.cls, se.cls) || strcmp(qe.desc, se.desc)) {
			cr_log_error("%s %s: QEMU says %s '%s', strand %s '%s'", errs[i][0],
				     errs[i][1] ? errs[i][1] : "", qe.cls, qe.desc, se.cls,
				     se.desc);
			bad++;
		}
	}
	cr_assert_eq(bad, 0, "%u differences from QEMU's replies (see the log)", bad);
	{
		struct qmp_error e;
		int rc = qmp_client_execute(qc, "quit", NULL, NULL, &e, TMO);

		(void)rc;
	}
	qmp_client_close(qc);
	test_bg_wait(&qemu, 20);
	unlink(qemu.log);
	finish_expect(&p, 0);
}
