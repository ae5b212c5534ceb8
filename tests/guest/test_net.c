/*
 * test_net.c - virtio-net end to end with micro-guests. Each test runs in a network namespace
 * of its own (unshare(CLONE_NEWNET) in the test's process; Criterion forks one per test), with
 * a tap and a UDP echo responder of its own bound to 10.0.0.1 inside it: nothing touches the
 * host network. Covers net-rr over a tap under every threading preset and with two queue
 * pairs, VM-to-VM over pair=, net-stream, net-hostile, a tap deleted while the guest runs, and
 * user errors (missing tap, multiqueue on a single-queue tap, a pair with one end, vhost=on
 * without /dev/vhost-net). Needs /dev/kvm, /dev/net/tun and CAP_NET_ADMIN; skips without.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support.h"

#define ECHO_PORT 7777

static pid_t echo_pid = -1;

static void sh(const char *cmd)
{
	int st = system(cmd);

	cr_assert(st == 0, "'%s' failed (%d)", cmd, st);
}

/* A namespace of our own with lo up; skips where that is impossible. */
static void netns_enter(void)
{
	SKIP_WITHOUT_KVM();
	if (access("/dev/net/tun", R_OK | W_OK))
		cr_skip_test("needs /dev/net/tun: %s", strerror(errno));
	if (unshare(CLONE_NEWNET))
		cr_skip_test("cannot make a network namespace (unshare: %s)", strerror(errno));
	if (system("command -v ip >/dev/null"))
		cr_skip_test("needs ip(8) from iproute2");
	sh("ip link set lo up");
}

/* A tap `name` at 10.0.0.1/24 (multi_queue if asked), up, with an echo responder. */
static void tap_with_echo(const char *name, bool mq)
{
	char cmd[256];
	int s, one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };

	snprintf(cmd, sizeof(cmd),
		 "ip tuntap add dev %s mode tap%s && ip addr add 10.0.0.1/24 dev %s && "
		 "ip link set %s up",
		 name, mq ? " multi_queue" : "", name, name);
	sh(cmd);
	/* Quiet the tap: no IPv6 chatter for the guest to skip. */
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	{
		int fd = open(cmd, O_WRONLY);

		if (fd >= 0) {
			cr_assert_eq(write(fd, "1", 1), 1);
			close(fd);
		}
	}
	inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	echo_pid = fork();
	cr_assert_geq(echo_pid, 0);
	if (echo_pid == 0) {
		char buf[65536];

		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

			if (n > 0)
				sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(s);
}

static void echo_stop(void)
{
	if (echo_pid > 0) {
		kill(echo_pid, SIGKILL);
		waitpid(echo_pid, NULL, 0);
	}
	echo_pid = -1;
}

static void expect_run(const char *what, int status, const char *must_print, char *const argv[],
		       struct run_result *keep)
{
	struct run_result r;

	cr_assert_eq(test_run_strandv(&r, NULL, 120, argv), 0);
	cr_expect_eq(r.status, status, "%s: status %d (want %d)\nstdout: %s\nstderr: %s", what,
		     r.status, status, r.out, r.err);
	if (must_print)
		cr_expect(strstr(r.out, must_print) || strstr(r.err, must_print),
			  "%s: missing '%s'\nstdout: %s\nstderr: %s", what, must_print, r.out,
			  r.err);
	if (keep)
		*keep = r;
	else
		test_run_free(&r);
}

/* The value of counter `name` in the --stats line of net`nic` of VM `vm`. */
static unsigned long long stat_of(const char *out, const char *vm, unsigned nic, const char *name)
{
	char tag[64], key[64];
	const char *line, *p;

	snprintf(tag, sizeof(tag), "%s", vm);
	snprintf(key, sizeof(key), " net%u ", nic);
	for (line = out; (line = strstr(line, key)); line++) {
		const char *bol = line;

		while (bol > out && bol[-1] != '\n')
			bol--;
		if (strncmp(bol, tag, strlen(tag)) != 0)
			continue;
		snprintf(key, sizeof(key), " %s=", name);
		p = strstr(line, key);
		cr_assert(p, "no %s in the stats", name);
		return strtoull(p + strlen(key), NULL, 10);
	}
	cr_assert_fail("no net%u stats for %s in:\n%s", nic, vm, out);
	return 0;
}

Test(net, tap_rr_every_preset)
{
	static const char *presets[] = {
		"strand", "inline",	      "qemu-classic",	     "firecracker",
		"qemu",	  "cloud-hypervisor", "strand,poll_ns=50000"
	};

	netns_enter();
	tap_with_echo("stap0", false);
	for (unsigned i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		char *argv[] = {
			"run",	   "--timeout",	       "60s",	"--threading", (char *)presets[i],
			"--guest", "net-rr:count=100", "--net", "tap=stap0",   NULL
		};

		expect_run(presets[i], 0, "net-rr: 100 round trips of 64 bytes", argv, NULL);
	}
	echo_stop();
}

Test(net, user_errors_exit_2)
{
	static const struct {
		const char *net, *msg;
	} cases[] = {
		{ "tap=nosuch0", "no such interface" },
		{ "tap=stap0,queues=2", "created without multi_queue" },
		{ "tap=lo", "not a tap interface" },
		{ "pair=alone", "only one VM has this end" },
		{ "tap=stap0,vhost=on", "/dev/vhost-net" }, /* absent here; see vhost_rr */
		{ "tap=stap0,queues=9", "queues=9" },
		{ "tap=stap0,mac=01:00:00:00:00:01", "unicast" },
		{ "tap=stap0,colour=red", "unknown option 'colour'" },
		{ "pair=x,vhost=on", "vhost=on needs tap" },
		{ "tap=stap0,pair=x", "exactly one of" },
	};

	netns_enter();
	tap_with_echo("stap0", false);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "run", "--guest", "net-rr", "--net", (char *)cases[i].net, NULL };

		expect_run(cases[i].net, 2, cases[i].msg, argv, NULL);
	}
	echo_stop();
}

Test(net, stats_count_frames)
{
	struct run_result r;
	char *argv[] = { "run",	  "--stats",   "--guest", "net-rr:count=50,payload=200",
			 "--net", "tap=stap0", NULL };

	netns_enter();
	tap_with_echo("stap0", false);
	expect_run("stats", 0, "net-rr: 50 round trips of 200 bytes", argv, &r);
	cr_expect_geq(stat_of(r.out, "vm0", 0, "tx_packets"), 50);
	cr_expect_geq(stat_of(r.out, "vm0", 0, "rx_packets"), 50);
	cr_expect_eq(stat_of(r.out, "vm0", 0, "needs_reset"), 0);
	test_run_free(&r);
	echo_stop();
}

Test(net, pair_rr_vm_to_vm)
{
	static const char *presets[] = { "strand", "qemu-classic", "inline" };

	SKIP_WITHOUT_KVM();
	for (unsigned i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		struct run_result r;
		char *argv[] = { "run",
				 "--timeout",
				 "90s",
				 "--stats",
				 "--vm",
				 "--name",
				 "a",
				 "--threading",
				 (char *)presets[i],
				 "--guest",
				 "net-rr:count=50,ip=10.0.0.1,peer=10.0.0.2",
				 "--net",
				 "pair=p0",
				 "--vm",
				 "--name",
				 "b",
				 "--threading",
				 (char *)presets[i],
				 "--guest",
				 "net-rr:role=echo,ip=10.0.0.2",
				 "--net",
				 "pair=p0",
				 NULL };

		expect_run(presets[i], 0, "net-rr: 50 round trips of 64 bytes", argv, &r);
		cr_expect_geq(stat_of(r.out, "a", 0, "tx_packets"), 50);
		cr_expect_geq(stat_of(r.out, "b", 0, "rx_packets"), 50);
		cr_expect_eq(stat_of(r.out, "a", 0, "needs_reset"), 0);
		test_run_free(&r);
	}
}

Test(net, pair_ends_must_match)
{
	char *argv[] = { "run",	 "--vm",    "--guest", "net-rr", "--net",	    "pair=p",
			 "--vm", "--guest", "net-rr",  "--net",	 "pair=p,queues=2", NULL };
	char *three[] = { "run",    "--vm", "--net", "pair=p", "--vm", "--net",
			  "pair=p", "--vm", "--net", "pair=p", NULL };

	SKIP_WITHOUT_KVM();
	expect_run("queues differ", 2, "queues=1 and queues=2", argv, NULL);
	expect_run("three ends", 2, "3 ends", three, NULL);
}

Test(net, multiqueue_tap_and_pair)
{
	char *tap[] = { "run",
			"--timeout",
			"60s",
			"--vcpus",
			"2",
			"--guest",
			"net-rr:count=50,queues=2",
			"--net",
			"tap=stap1,queues=2",
			NULL };
	char *pair[] = { "run",
			 "--timeout",
			 "90s",
			 "--vm",
			 "--vcpus",
			 "2",
			 "--guest",
			 "net-rr:count=50,queues=2,ip=10.0.0.1,peer=10.0.0.2",
			 "--net",
			 "pair=mq,queues=2",
			 "--vm",
			 "--vcpus",
			 "2",
			 "--guest",
			 "net-rr:role=echo,queues=2,ip=10.0.0.2",
			 "--net",
			 "pair=mq,queues=2",
			 NULL };
	struct run_result r;

	netns_enter();
	tap_with_echo("stap1", true);
	expect_run("tap queues=2", 0, "net-rr: 100 round trips", tap, NULL);
	/* One iothread per queue pair, and the inline model, on the same two pairs. */
	for (unsigned i = 0; i < 2; i++) {
		char *argv[] = { "run",
				 "--timeout",
				 "60s",
				 "--threading",
				 i ? "inline" : "cloud-hypervisor",
				 "--vcpus",
				 "2",
				 "--guest",
				 "net-rr:count=50,queues=2",
				 "--net",
				 "tap=stap1,queues=2",
				 NULL };

		expect_run(argv[4], 0, "net-rr: 100 round trips", argv, NULL);
	}
	echo_stop();
	expect_run("pair queues=2", 0, "net-rr: 100 round trips", pair, &r);
	test_run_free(&r);
}

Test(net, hostile_every_case)
{
	static const char *presets[] = { "strand", "inline", "qemu-classic" };

	netns_enter();
	tap_with_echo("stap0", false);
	for (unsigned i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		struct run_result r;
		char *argv[] = { "run",		"--timeout",	    "90s",     "--stats",
				 "--threading", (char *)presets[i], "--guest", "net-hostile",
				 "--net",	"tap=stap0",	    NULL };

		expect_run(presets[i], 0, "net-hostile: 12 cases passed", argv, &r);
		cr_expect_eq(stat_of(r.out, "vm0", 0, "tx_oversize"), 1);
		cr_expect_geq(stat_of(r.out, "vm0", 0, "tx_bad_hdr"), 6);
		cr_expect_eq(stat_of(r.out, "vm0", 0, "rx_bad_chain"), 2);
		cr_expect_geq(stat_of(r.out, "vm0", 0, "needs_reset"), 8);
		test_run_free(&r);
	}
	echo_stop();
}

/* The tap goes away under a running guest: link down, frames dropped and counted, no crash. */
Test(net, tap_deleted_while_running)
{
	struct test_bg bg;
	char *argv[] = { "run",	    "--timeout", "60s",
			 "--stats", "--guest",	 "net-stream:count=3000000,burst=64",
			 "--net",   "tap=stap0", NULL };
	char *log;
	int st;

	netns_enter();
	tap_with_echo("stap0", false);
	cr_assert_eq(test_bg_start(&bg, argv), 0);
	usleep(1500 * 1000);
	sh("ip link del stap0");
	st = test_bg_wait(&bg, 90);
	log = test_bg_log(&bg);
	cr_expect_eq(st, 0, "status %d\n%s", st, log);
	cr_expect(strstr(log, "is gone"), "no link-down message\n%s", log);
	cr_expect_eq(stat_of(log, "vm0", 0, "link_down"), 1);
	cr_expect_gt(stat_of(log, "vm0", 0, "tx_dropped"), 0);
	free(log);
	echo_stop();
}

Test(net, stream_over_pair)
{
	char *argv[] = { "run",
			 "--timeout",
			 "90s",
			 "--vm",
			 "--name",
			 "a",
			 "--guest",
			 "net-stream:count=5000,ip=10.0.0.1,peer=10.0.0.2",
			 "--net",
			 "pair=s",
			 "--vm",
			 "--name",
			 "b",
			 "--guest",
			 "net-stream:role=sink,ip=10.0.0.2",
			 "--net",
			 "pair=s",
			 NULL };

	SKIP_WITHOUT_KVM();
	expect_run("stream", 0, "packets_per_s", argv, NULL);
}

/* The kernel's vhost-net data path: only where /dev/vhost-net exists (not on this host). */
Test(net, vhost_rr)
{
	char *argv[] = { "run",	  "--timeout",		"60s", "--guest", "net-rr:count=100",
			 "--net", "tap=stap0,vhost=on", NULL };

	if (access("/dev/vhost-net", R_OK | W_OK))
		cr_skip_test("needs /dev/vhost-net (%s): vhost=on is then refused with exit 2, "
			     "which user_errors_exit_2 checks",
			     strerror(errno));
	netns_enter();
	tap_with_echo("stap0", false);
	expect_run("vhost", 0, "net-rr: 100 round trips of 64 bytes", argv, NULL);
	echo_stop();
}
