/*
 * test_dm.c - strandd's domain manager (daemon/dm.h) driving real `strand run` processes
 * through their monitors: define / start / suspend / resume / pin / stats / shutdown /
 * undefine, the definition files, re-attachment after the manager is closed and opened again
 * (what a restarted strandd does), a VM killed -9 (reported, not lost), transient domains and
 * the errors a client gets, with libvirt's error numbers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "iothreads/ioloop.h"
#include "monitor/vcpu_gate.h"
#include "tests/support.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/file.h"

struct ev {
	char name[64];
	int event, detail;
};

static struct ev evs[64];
static unsigned nev;
static char state_dir[PATH_MAX], run_dir[PATH_MAX];
static struct ioloop *loop;

static void on_event(void *opaque, struct dm_dom *d, int event, int detail)
{
	(void)opaque;
	if (nev < 64) {
		snprintf(evs[nev].name, sizeof(evs[nev].name), "%s", dm_dom_name(d));
		evs[nev].event = event;
		evs[nev].detail = detail;
		nev++;
	}
}

static bool saw(const char *name, int event, int detail)
{
	for (unsigned i = 0; i < nev; i++)
		if (strcmp(evs[i].name, name) == 0 && evs[i].event == event &&
		    evs[i].detail == detail)
			return true;
	return false;
}

/* Run the loop until the event came, at most timeout_s. */
static bool wait_event(const char *name, int event, int detail, double timeout_s)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);

	while (!saw(name, event, detail) && now_ns() < end) {
		int rc = ioloop_run_once(loop, 50);

		(void)rc;
	}
	return saw(name, event, detail);
}

static void setup(void)
{
	char tmpl[] = "/tmp/strand-dm-XXXXXX";

	cr_assert(mkdtemp(tmpl));
	snprintf(state_dir, sizeof(state_dir), "%s/lib", tmpl);
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmpl);
	cr_assert_eq(ioloop_create(&loop, "dm-test"), 0);
	nev = 0;
}

static void teardown(void)
{
	char cmd[PATH_MAX + 32];
	int rc;

	ioloop_destroy(loop);
	loop = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(state_dir, '/') - state_dir),
		 state_dir);
	rc = system(cmd);
	(void)rc;
}

static struct dm *open_dm(void)
{
	struct dm_opts o = {
		.state_dir = state_dir,
		.run_dir = run_dir,
		.strand_bin = getenv("STRAND_BIN"),
		.event = on_event,
	};
	struct dm_err err = { 0, 0, "" };
	struct dm *m = NULL;

	cr_assert(o.strand_bin, "STRAND_BIN is not set (run through meson test)");
	cr_assert_eq(dm_open(&m, loop, &o, &err), 0, "dm_open: %s", err.message);
	return m;
}

static char *domain_xml_full(const char *name, const char *uuid, const char *program,
			     const char *args, unsigned vcpus)
{
	char *x = NULL;
	int n = asprintf(
		&x,
		"<domain type='kvm'><name>%s</name>%s%s%s"
		"<metadata><strand:config xmlns:strand='http://strand.dev/schemas/domain/1.0'>"
		"<strand:guest program='%s'%s%s%s/></strand:config></metadata>"
		"<memory unit='MiB'>16</memory><vcpu>%u</vcpu>"
		"<os><type arch='x86_64'>hvm</type></os></domain>",
		name, uuid ? "<uuid>" : "", uuid ? uuid : "", uuid ? "</uuid>" : "", program,
		args ? " args='" : "", args ? args : "", args ? "'" : "", vcpus);

	cr_assert(n > 0);
	return x;
}

static char *domain_xml_uuid(const char *name, const char *uuid, const char *program,
			     unsigned vcpus)
{
	return domain_xml_full(name, uuid, program, NULL, vcpus);
}

static char *domain_xml_args(const char *name, const char *program, const char *args,
			     unsigned vcpus)
{
	return domain_xml_full(name, NULL, program, args, vcpus);
}

static char *domain_xml(const char *name, const char *program, unsigned vcpus)
{
	return domain_xml_full(name, NULL, program, NULL, vcpus);
}

static struct dm_dom *define(struct dm *m, const char *name, const char *program, unsigned vcpus)
{
	char *x = domain_xml(name, program, vcpus);
	struct dm_err err = { 0, 0, "" };
	struct dm_dom *d = NULL;

	cr_assert_eq(dm_define(m, x, strlen(x), &d, &err), 0, "define %s: %s", name, err.message);
	free(x);
	return d;
}

static bool alive(pid_t pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

TestSuite(dm, .init = setup, .fini = teardown, .timeout = 240);

Test(dm, lifecycle_pins_stats_and_files)
{
	struct dm *m;
	struct dm_dom *d;
	struct dm_err err = { 0, 0, "" };
	struct dm_vcpu *v = NULL;
	struct dm_params ps = { 0 };
	struct domain_cpuset one = { 0 };
	cpu_set_t set;
	unsigned n = 0;
	char path[PATH_MAX + 32], *xml = NULL;
	int state, reason;
	bool have_state = false;

	SKIP_WITHOUT_KVM();
	m = open_dm();
	d = define(m, "vm1", "idle", 2);
	cr_expect(saw("vm1", DM_EV_DEFINED, DM_EV_DEFINED_ADDED));
	snprintf(path, sizeof(path), "%s/domains/vm1.xml", state_dir);
	cr_expect_eq(access(path, R_OK), 0, "%s was not written", path);
	cr_expect(dm_dom_persistent(d) && !dm_dom_active(d));

	/* The same name with another UUID is refused. */
	{
		char *x = domain_xml_uuid("vm1", "11111111-2222-3333-4444-555555555555", "idle", 1);
		struct dm_dom *d2 = NULL;

		cr_expect_neq(dm_define(m, x, strlen(x), &d2, &err), 0);
		cr_expect_eq(err.code, DM_ERR_OPERATION_FAILED, "code %d: %s", err.code,
			     err.message);
		cr_expect(strstr(err.message, "vm1"), "%s", err.message);
		free(x);
	}

	cr_assert_eq(dm_start(m, d, 0, &err), 0, "start: %s", err.message);
	cr_expect(dm_dom_active(d) && dm_dom_id(d) > 0);
	cr_expect(alive(dm_dom_pid(d)));
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_RUNNING);
	cr_expect(saw("vm1", DM_EV_STARTED, DM_EV_STARTED_BOOTED));
	cr_expect_neq(dm_start(m, d, 0, &err), 0, "a running domain started again");
	cr_expect_eq(err.code, DM_ERR_OPERATION_INVALID);

	cr_assert_eq(dm_vcpus(m, d, &v, &n, &err), 0, "vcpus: %s", err.message);
	cr_assert_eq(n, 2);
	cr_expect(v[0].tid > 0 && v[1].tid > 0 && v[0].tid != v[1].tid);

	/* A live pin lands on the thread. */
	domain_cpuset_set(&one, 0);
	cr_assert_eq(dm_pin_vcpu(m, d, 1, &one, DM_AFFECT_LIVE, &err), 0, "pin: %s", err.message);
	cr_assert_eq(sched_getaffinity(v[1].tid, sizeof(set), &set), 0);
	cr_expect(CPU_ISSET(0, &set) && CPU_COUNT(&set) == 1, "vCPU 1 affinity has %d CPUs",
		  CPU_COUNT(&set));
	cr_expect_neq(dm_pin_vcpu(m, d, 7, &one, DM_AFFECT_LIVE, &err), 0);
	cr_expect_eq(err.code, DM_ERR_INVALID_ARG);

	cr_assert_eq(dm_suspend(m, d, &err), 0, "suspend: %s", err.message);
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_PAUSED);
	cr_expect(saw("vm1", DM_EV_SUSPENDED, DM_EV_SUSPENDED_PAUSED));
	cr_assert_eq(dm_resume(m, d, &err), 0, "resume: %s", err.message);
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_RUNNING);
	cr_expect(saw("vm1", DM_EV_RESUMED, DM_EV_RESUMED_UNPAUSED));

	cr_assert_eq(dm_stats(m, d, 1 | 2 | 8 | 32, &ps, &err), 0, "stats: %s", err.message);
	for (unsigned i = 0; i < ps.n; i++)
		if (strcmp(ps.p[i].field, "state.state") == 0)
			have_state = ps.p[i].i == DM_RUNNING;
	cr_expect(have_state, "no state.state = running in the stats");
	dm_params_free(&ps);

	cr_assert_eq(dm_get_xml(m, d, 0, &xml, &err), 0, "xml: %s", err.message);
	cr_expect(strstr(xml, "id='"), "the live XML has no id: %s", xml);
	free(xml);
	free(v);

	/* The idle guest obeys the power button: the domain shuts off by itself. */
	cr_assert_eq(dm_shutdown(m, d, &err), 0, "shutdown: %s", err.message);
	cr_expect(wait_event("vm1", DM_EV_STOPPED, DM_EV_STOPPED_SHUTDOWN, 30),
		  "no stopped/shutdown event");
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_SHUTOFF);
	cr_expect_eq(reason, DM_SHUTOFF_SHUTDOWN);

	cr_assert_eq(dm_undefine(m, d, &err), 0, "undefine: %s", err.message);
	cr_expect_neq(access(path, F_OK), 0, "%s is still there", path);
	cr_expect_null(dm_lookup_name(m, "vm1"));
	dm_close(m);
}

Test(dm, reattach_after_restart_and_destroy)
{
	struct dm *m;
	struct dm_dom *d;
	struct dm_err err = { 0, 0, "" };
	struct dm_counters c;
	pid_t pid;
	int state, reason;

	SKIP_WITHOUT_KVM();
	m = open_dm();
	d = define(m, "keep", "idle", 1);
	cr_assert_eq(dm_start(m, d, 0, &err), 0, "start: %s", err.message);
	pid = dm_dom_pid(d);
	cr_assert_eq(dm_suspend(m, d, &err), 0, "suspend: %s", err.message);
	/* The manager goes away (strandd killed or restarted): the VM does not. */
	dm_close(m);
	usleep(200 * 1000);
	cr_assert(alive(pid), "the VM died with its manager");
	m = open_dm();
	d = dm_lookup_name(m, "keep");
	cr_assert(d, "the domain is not known after re-opening");
	cr_expect(dm_dom_active(d));
	cr_expect_eq(dm_dom_pid(d), pid);
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_PAUSED, "state %d after re-attach (was paused)", state);
	dm_get_counters(m, &c);
	cr_expect_eq(c.reattached, 1);
	cr_assert_eq(dm_resume(m, d, &err), 0, "resume after re-attach: %s", err.message);
	cr_assert_eq(dm_destroy(m, d, &err), 0, "destroy: %s", err.message);
	cr_expect(saw("keep", DM_EV_STOPPED, DM_EV_STOPPED_DESTROYED));
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_SHUTOFF);
	cr_expect_eq(reason, DM_SHUTOFF_DESTROYED);
	/*
	 * Here the test process is still the VM's parent (a restarted strandd is not: init
	 * reaps it), so it reaps the VM itself to see that it ended.
	 */
	{
		int st = 0;
		pid_t w = 0;

		for (int i = 0; i < 100 && w == 0; i++) {
			w = waitpid(pid, &st, WNOHANG);
			if (w == 0)
				usleep(50 * 1000);
		}
		cr_expect_eq(w, pid, "pid %d still runs after destroy", (int)pid);
	}
	dm_close(m);
}

Test(dm, killed_vm_is_reported_crashed)
{
	struct dm *m;
	struct dm_dom *d;
	struct dm_err err = { 0, 0, "" };
	struct dm_counters c;
	int state, reason;

	SKIP_WITHOUT_KVM();
	m = open_dm();
	d = define(m, "victim", "idle", 1);
	cr_assert_eq(dm_start(m, d, 0, &err), 0, "start: %s", err.message);
	cr_assert_eq(kill(dm_dom_pid(d), SIGKILL), 0);
	cr_expect(wait_event("victim", DM_EV_STOPPED, DM_EV_STOPPED_FAILED, 20),
		  "no stopped/failed event for a VM killed -9");
	dm_dom_state(d, &state, &reason);
	cr_expect_eq(state, DM_SHUTOFF);
	cr_expect_eq(reason, DM_SHUTOFF_CRASHED);
	dm_get_counters(m, &c);
	cr_expect_eq(c.crashed, 1);
	/* It starts again. */
	cr_assert_eq(dm_start(m, d, 0, &err), 0, "restart: %s", err.message);
	cr_assert_eq(dm_destroy(m, d, &err), 0, "destroy: %s", err.message);
	dm_close(m);
}

Test(dm, transient_domain_and_errors)
{
	struct dm *m;
	struct dm_dom *d = NULL;
	struct dm_err err = { 0, 0, "" };
	char *x;
	static const char bad[] = "<domain type='kvm'><name>x</name><memory>";

	SKIP_WITHOUT_KVM();
	m = open_dm();
	x = domain_xml("temp", "idle", 1);
	cr_assert_eq(dm_create_xml(m, x, strlen(x), 0, &d, &err), 0, "create: %s", err.message);
	free(x);
	cr_expect(dm_dom_active(d) && !dm_dom_persistent(d));
	cr_assert_eq(dm_destroy(m, d, &err), 0, "destroy: %s", err.message);
	cr_expect_null(dm_lookup_name(m, "temp"), "a destroyed transient domain is still listed");

	cr_expect_neq(dm_define(m, bad, sizeof(bad) - 1, &d, &err), 0);
	cr_expect_eq(err.code, DM_ERR_XML_ERROR, "code %d: %s", err.code, err.message);

	/* A program strand does not have: the start fails with strand's own words. */
	d = define(m, "nosuch", "no-such-guest", 1);
	cr_expect_neq(dm_start(m, d, 0, &err), 0);
	cr_expect_eq(err.code, DM_ERR_OPERATION_FAILED, "code %d: %s", err.code, err.message);
	cr_expect(strstr(err.message, "no-such-guest"), "%s", err.message);
	cr_expect(!dm_dom_active(d));
	cr_expect_neq(dm_suspend(m, d, &err), 0);
	cr_expect_eq(err.code, DM_ERR_OPERATION_INVALID);
	dm_close(m);
}

Test(dm, unsupported_strategy_is_refused)
{
	struct dm_opts o = {
		.state_dir = state_dir,
		.run_dir = run_dir,
		.strand_bin = getenv("STRAND_BIN"),
		.sched = { .kind = SCHED_KIND_FIFO },
	};
	struct dm_err err = { 0, 0, "" };
	struct dm *m = NULL;

	cr_expect_neq(dm_open(&m, loop, &o, &err), 0);
	cr_expect_eq(err.code, DM_ERR_CONFIG_UNSUPPORTED);
	cr_expect(strstr(err.message, "fifo"), "%s", err.message);
}

/*
 * Gang across two domain processes: the controller in the manager samples their vCPU threads
 * and gates them through each VM's monitor; both domains keep making progress.
 */
Test(dm, gang_across_domains)
{
	struct dm_opts o = {
		.state_dir = state_dir,
		.run_dir = run_dir,
		.strand_bin = getenv("STRAND_BIN"),
		.event = on_event,
	};
	struct dm_err err = { 0, 0, "" };
	struct errbuf eb = { "" };
	struct dm *m = NULL;
	struct dm_dom *d[2];
	struct dm_counters c;
	uint64_t end;

	SKIP_WITHOUT_KVM();
	cr_assert_eq(sched_parse("gang:20ms", &o.sched, &eb), 0, "%s", eb.msg);
	cr_assert_eq(dm_open(&m, loop, &o, &err), 0, "dm_open: %s", err.message);
	for (int i = 0; i < 2; i++) {
		char name[8], *x;

		snprintf(name, sizeof(name), "g%d", i);
		x = domain_xml_args(name, "idle", "spin=1", 2);
		cr_assert_eq(dm_create_xml(m, x, strlen(x), 0, &d[i], &err), 0, "create: %s",
			     err.message);
		free(x);
	}
	end = now_ns() + 1500000000ULL;
	while (now_ns() < end) {
		int rc = ioloop_run_once(loop, 50);

		(void)rc;
	}
	dm_get_counters(m, &c);
	cr_expect_gt(c.sched_ticks, 10, "the controller ticked %llu times",
		     (unsigned long long)c.sched_ticks);
	cr_expect_gt(c.sched_gates, 4, "the controller gated %llu times",
		     (unsigned long long)c.sched_gates);
	cr_expect_eq(c.sched_gate_errors, 0, "%llu gate calls failed",
		     (unsigned long long)c.sched_gate_errors);
	cr_expect_eq(c.sched_shared_gates, 2,
		     "%u domains steered through their shared gate, %u "
		     "through their monitor",
		     c.sched_shared_gates, c.sched_monitor_gates);
	for (int i = 0; i < 2; i++) {
		struct dm_vcpu *v = NULL;
		unsigned n = 0;

		cr_assert_eq(dm_vcpus(m, d[i], &v, &n, &err), 0, "%s", err.message);
		for (unsigned j = 0; j < n; j++)
			cr_expect_gt(v[j].cpu_ns, 50000000ULL, "g%d vCPU %u ran only %llu ns", i, j,
				     (unsigned long long)v[j].cpu_ns);
		free(v);
	}

	/*
	 * A strandd killed mid-slice leaves vCPUs parked at their gates (here set by hand after
	 * a clean close, which released them): the next one releases them when it re-attaches,
	 * even one without a strategy of its own.
	 */
	{
		char path[PATH_MAX + 16];
		struct vcpu_gate g;
		struct dm_vcpu *v = NULL;
		unsigned n = 0;
		pid_t pid = dm_dom_pid(d[0]);
		uint64_t before, after;

		cr_assert_eq(dm_vcpus(m, d[0], &v, &n, &err), 0, "%s", err.message);
		cr_assert_eq(n, 2);
		dm_close(m);
		snprintf(path, sizeof(path), "%s/g0.gate", run_dir);
		cr_assert_eq(vcpu_gate_open(&g, path, 1000, &eb), 0, "%s", eb.msg);
		cr_assert_eq(vcpu_gate_set(&g, 0, true, pid, v[0].tid), 0);
		vcpu_gate_close(&g, false);
		free(v);
		o.sched.kind = SCHED_KIND_HOST;
		cr_assert_eq(dm_open(&m, loop, &o, &err), 0, "dm_open again: %s", err.message);
		d[0] = dm_lookup_name(m, "g0");
		d[1] = dm_lookup_name(m, "g1");
		cr_assert(d[0] && d[1]);
		cr_assert_eq(dm_vcpus(m, d[0], &v, &n, &err), 0, "%s", err.message);
		before = v[0].cpu_ns;
		free(v);
		end = now_ns() + 1000000000ULL;
		while (now_ns() < end) {
			int rc = ioloop_run_once(loop, 50);

			(void)rc;
		}
		cr_assert_eq(dm_vcpus(m, d[0], &v, &n, &err), 0, "%s", err.message);
		after = v[0].cpu_ns;
		free(v);
		cr_expect_gt(after, before + 50000000ULL,
			     "g0 vCPU 0 stayed parked after the restart (%llu -> %llu ns)",
			     (unsigned long long)before, (unsigned long long)after);
	}
	for (int i = 0; i < 2; i++)
		cr_expect_eq(dm_destroy(m, d[i], &err), 0, "destroy: %s", err.message);
	dm_close(m);
}
