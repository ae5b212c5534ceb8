/*
 * test_linux.c - the real Linux guest (suite `linux`): Debian's cloud kernel with the project's
 * initramfs boots with 1 and 2 vCPUs, `nproc` inside equals --vcpus, a command's output and exit
 * status come back, a shell driven through a pipe works, `poweroff -f` ends strand with status
 * 0 and `reboot -f` with status 0 (documented); ext4 made on a virtio disk survives a reboot
 * and the host's e2fsck; virtio-net pings the host through a tap; QMP system_powerdown presses
 * the ACPI power button and the guest powers itself off (busybox acpid in the image runs
 * `poweroff -f`; docs/devices.md, "The ACPI power button"). Needs /dev/kvm and the image
 * (tests/linux/build-image.sh; STRAND_LINUX_DIR). On PVM hosts each boot takes minutes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/qmp_client.h"
#include "tests/support.h"

static const char *image_dir(void)
{
	static char dir[512];
	const char *d = getenv("STRAND_LINUX_DIR");

	if (!d) {
		snprintf(dir, sizeof(dir), "%s/linux",
			 getenv("STRAND_BUILD") ? getenv("STRAND_BUILD") : "build");
		d = dir;
	}
	return d;
}

#define SKIP_WITHOUT_IMAGE()                                                              \
	do {                                                                              \
		char p_[600];                                                             \
		SKIP_WITHOUT_KVM();                                                       \
		snprintf(p_, sizeof(p_), "%s/vmlinux", image_dir());                      \
		if (access(p_, R_OK))                                                     \
			cr_skip_test("no Linux image in %s (tests/linux/build-image.sh)", \
				     image_dir());                                        \
	} while (0)

static void boot(struct run_result *r, const char *vcpus, const char *cmd, const char *in)
{
	char cl[256];

	snprintf(cl, sizeof(cl), "strand.cmd=\"%s\"", cmd ? cmd : "");
	cr_assert_eq(test_run_strand(r, in, 1800, "run", "--linux", "--linux-dir", image_dir(),
				     "--vcpus", vcpus, "--memory", "256M", "--timeout", "1700s",
				     "--cmdline", cmd ? cl : "", NULL),
		     0);
}

Test(linux_boot, nproc_matches_vcpus, .timeout = 3600)
{
	static const char *counts[] = { "1", "2" };

	SKIP_WITHOUT_IMAGE();
	for (unsigned i = 0; i < 2; i++) {
		struct run_result r;
		char want[32];

		boot(&r, counts[i], "nproc", NULL);
		snprintf(want, sizeof(want), "\n%s\r\n", counts[i]);
		cr_expect(strstr(r.out, "STRAND-READY"), "%s vCPUs: no ready marker\n%s\n%s",
			  counts[i], r.out, r.err);
		cr_expect(strstr(r.out, want) || strstr(r.out, want + 0),
			  "%s vCPUs: nproc did not print %s\n%s", counts[i], counts[i], r.out);
		cr_expect(strstr(r.out, "STRAND-EXIT 0"), "no exit status\n%s", r.out);
		cr_expect_eq(r.status, 0, "poweroff -f should end strand with 0, got %d\n%s",
			     r.status, r.err);
		test_run_free(&r);
	}
}

Test(linux_boot, command_status_and_shell_through_a_pipe, .timeout = 3600)
{
	struct run_result r;

	SKIP_WITHOUT_IMAGE();
	boot(&r, "1", "sh -c 'echo strand-was-here; exit 7'", NULL);
	cr_expect(strstr(r.out, "strand-was-here"), "%s", r.out);
	cr_expect(strstr(r.out, "STRAND-EXIT 7"), "%s", r.out);
	cr_expect_eq(r.status, 0);
	test_run_free(&r);
	/* No command: a shell on the console, driven by a pipe; reboot -f ends strand with 0. */
	boot(&r, "1", NULL, "echo piped-$((6*7))\nreboot -f\n");
	cr_expect(strstr(r.out, "piped-42"), "%s", r.out);
	cr_expect_eq(r.status, 0, "reboot -f should end strand with 0, got %d", r.status);
	test_run_free(&r);
}

/*
 * ext4 on a virtio disk across two boots (needs programs.img for mkfs.ext4): the first boot
 * makes the file system, writes three files and their checksums, syncs and unmounts; the
 * second verifies them; the host then checks the image with e2fsck -fn and reads a file back
 * with debugfs.
 */
Test(linux_boot, ext4_on_virtio_blk_survives_a_reboot, .timeout = 7200)
{
	char img[64], disk[128], programs[600], cmd[128];
	struct run_result r;
	int fd;

	SKIP_WITHOUT_IMAGE();
	snprintf(programs, sizeof(programs), "%s/programs.img", image_dir());
	if (access(programs, R_OK))
		cr_skip_test("no %s (tests/linux/build-image.sh builds it)", programs);
	cr_assert_eq(test_tmpfile(img, sizeof(img), "", 0), 0);
	fd = open(img, O_WRONLY);
	cr_assert(fd >= 0 && ftruncate(fd, 64 << 20) == 0);
	close(fd);
	snprintf(disk, sizeof(disk), "path=%s", img);

	cr_assert_eq(
		test_run_strand(&r, NULL, 3600, "run", "--linux", "--linux-dir", image_dir(),
				"--initrd", programs, "--disk", disk, "--memory", "512M",
				"--timeout", "3500s", "--cmdline",
				"strand.cmd=\"mkfs.ext4 -q -F /dev/vda && mount /dev/vda /mnt && "
				"for i in 1 2 3; do head -c 65536 /dev/urandom >/mnt/f$i; done "
				"&& cd /mnt && md5sum f1 f2 f3 >sums && cd / && sync && "
				"umount /mnt && echo written\"",
				NULL),
		0);
	cr_expect(strstr(r.out, "written"), "first boot did not write\n%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "STRAND-EXIT 0"), "%s", r.out);
	cr_expect_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);

	cr_assert_eq(test_run_strand(
			     &r, NULL, 3600, "run", "--linux", "--linux-dir", image_dir(), "--disk",
			     disk, "--memory", "256M", "--timeout", "3500s", "--cmdline",
			     "strand.cmd=\"mount /dev/vda /mnt && cd /mnt && md5sum -c sums\"",
			     NULL),
		     0);
	cr_expect(strstr(r.out, "f1: OK") && strstr(r.out, "f2: OK") && strstr(r.out, "f3: OK"),
		  "second boot did not verify\n%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "STRAND-EXIT 0"), "%s", r.out);
	test_run_free(&r);

	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >/dev/null 2>&1", img);
	cr_expect_eq(system(cmd), 0, "e2fsck -fn found problems in %s", img);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /f2' %s 2>/dev/null | wc -c | grep -qx 65536",
		 img);
	cr_expect_eq(system(cmd), 0, "debugfs could not read /f2 back from %s", img);
	unlink(img);
}

/*
 * virtio-net under Linux: in a network namespace of the test's own, a tap at 10.0.0.1/24; the
 * guest brings eth0 up with busybox's ip and pings the host three times (docs/devices.md,
 * "Linux"). Needs root for the namespace, /dev/net/tun and ip(8); skips otherwise.
 */
Test(linux_boot, virtio_net_pings_the_host, .timeout = 3600)
{
	struct run_result r;
	static const char cmd[] =
		"strand.cmd=\"ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0 && "
		"ping -c 3 -W 5 10.0.0.1\"";

	SKIP_WITHOUT_IMAGE();
	if (access("/dev/net/tun", R_OK | W_OK))
		cr_skip_test("needs /dev/net/tun");
	if (unshare(CLONE_NEWNET))
		cr_skip_test("cannot make a network namespace (needs root)");
	if (system("command -v ip >/dev/null") ||
	    system("ip link set lo up && ip tuntap add dev lnet0 mode tap && "
		   "ip addr add 10.0.0.1/24 dev lnet0 && ip link set lnet0 up"))
		cr_skip_test("cannot make the tap with ip(8)");
	cr_assert_eq(test_run_strand(&r, NULL, 1800, "run", "--linux", "--linux-dir", image_dir(),
				     "--vcpus", "1", "--memory", "256M", "--timeout", "1700s",
				     "--net", "tap=lnet0", "--cmdline", cmd, NULL),
		     0);
	cr_expect(strstr(r.out, "3 packets received"), "no answers to the pings\n%s\n%s", r.out,
		  r.err);
	cr_expect(strstr(r.out, "STRAND-EXIT 0"), "ping failed\n%s", r.out);
	cr_expect_eq(r.status, 0, "status %d\n%s", r.status, r.err);
	test_run_free(&r);
}

/* Wait until the log of a background strand holds needle; false after timeout_s. */
static bool log_has(const struct test_bg *bg, const char *needle, unsigned timeout_s)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	for (unsigned i = 0; i < timeout_s * 5; i++) {
		char *log = test_bg_log(bg);
		bool found = strstr(log, needle) != NULL;

		free(log);
		if (found)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/*
 * virsh shutdown for a Linux guest: QMP system_powerdown sets the power-button event of
 * strand's Generic Event Device and raises its interrupt (GSI 9); Linux's evged runs the DSDT's
 * _EVT, which notifies \_SB.PWRB; the button driver (button.ko, loaded by /init) reports
 * KEY_POWER through evdev.ko; busybox acpid runs /etc/acpi/PWRF/00000080, which prints
 * STRAND-POWER-BUTTON and runs `poweroff -f`; Linux writes S5 to the ACPI sleep control register
 * and strand ends with status 0 after SHUTDOWN (reason guest-shutdown). The command prints
 * waiting-for-the-42 (computed, so the kernel's echo of its command line cannot match) and would
 * sleep for 20 minutes: the VM must end long before, and without STRAND-EXIT. The button is pressed
 * again every 20 s in case acpid was not listening yet (presses only ever power off).
 */
Test(linux_boot, system_powerdown_powers_the_guest_off, .timeout = 3600)
{
	char sock[108], mon[128], dir[600], *log;
	char *argv[] = { "run",		"--linux",
			 "--linux-dir", dir,
			 "--vcpus",	"1",
			 "--memory",	"256M",
			 "--timeout",	"3000s",
			 "--monitor",	mon,
			 "--cmdline",	"strand.cmd=\"echo waiting-for-the-$((6*7)); sleep 1200\"",
			 NULL };
	struct errbuf err = { "" };
	struct qmp_client *c = NULL;
	json_object *ev = NULL, *data, *reason;
	struct qmp_error e;
	struct test_bg bg;
	int rc = -ETIMEDOUT, st;

	SKIP_WITHOUT_IMAGE();
	snprintf(dir, sizeof(dir), "%s", image_dir());
	test_sock_path(sock, sizeof(sock), "linux-qmp");
	snprintf(mon, sizeof(mon), "unix:%s", sock);
	cr_assert_eq(test_bg_start(&bg, argv), 0);
	if (qmp_client_connect(&c, sock, 60000, &err)) {
		log = test_bg_log(&bg);
		test_bg_wait(&bg, 1);
		cr_assert_fail("cannot connect to the monitor: %s\n%s", err.msg, log);
	}
	if (!log_has(&bg, "waiting-for-the-42", 2400)) {
		log = test_bg_log(&bg);
		qmp_client_close(c);
		test_bg_wait(&bg, 1);
		cr_assert_fail("the guest never reached its command\n%s", log);
	}
	for (int press = 0; press < 6 && rc == -ETIMEDOUT; press++) {
		rc = qmp_client_execute(c, "system_powerdown", NULL, NULL, &e, 10000);
		cr_assert_eq(rc, 0, "system_powerdown: %d %s", rc, rc == -EREMOTEIO ? e.desc : "");
		rc = qmp_client_wait_event(c, "SHUTDOWN", &ev, 20000);
	}
	log = test_bg_log(&bg);
	cr_assert_eq(rc, 0, "no SHUTDOWN after 6 presses of the power button\n%s", log);
	cr_assert(json_object_object_get_ex(ev, "data", &data));
	cr_assert(json_object_object_get_ex(data, "reason", &reason));
	cr_expect_str_eq(json_object_get_string(reason), "guest-shutdown", "%s", log);
	json_object_put(ev);
	qmp_client_close(c);
	st = test_bg_wait(&bg, 60);
	free(log);
	log = test_bg_log(&bg);
	cr_expect_eq(st, 0, "strand ended with %d after the guest powered off\n%s", st, log);
	cr_expect(strstr(log, "STRAND-POWER-BUTTON"), "acpid did not run the button's action\n%s",
		  log);
	cr_expect_null(strstr(log, "STRAND-EXIT"), "the command ended instead\n%s", log);
	free(log);
	unlink(bg.log);
}
