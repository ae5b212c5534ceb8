/*
 * test_threading.c - the threading models: every preset runs every micro-guest with the same
 * results (only speed differs); the stress guest (storm, virtio-blk with data checks, RAM
 * hot-plug, window moves) runs under every preset with --map-churn; a hostile RAM removal
 * under in-flight DMA neither crashes nor corrupts (run under ASan in CI). Needs /dev/kvm.
 * STRAND_STRESS_MS sets the stress duration per preset (default 20000).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"

static const char *const presets[] = { "qemu-classic",	   "qemu",   "firecracker",
				       "cloud-hypervisor", "strand", "inline" };

static void image(char *path, size_t size)
{
	int fd;

	cr_assert_eq(test_tmpfile(path, size, NULL, 0), 0);
	fd = open(path, O_RDWR);
	cr_assert_eq(ftruncate(fd, 16 << 20), 0);
	close(fd);
}

static void run_ok(const char *preset, char *const extra[], const char *must_print)
{
	char *argv[32] = { "run", "--threading", (char *)preset };
	struct run_result r;
	int n = 3;

	for (int i = 0; extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(test_run_strandv(&r, NULL, 300, argv), 0);
	cr_expect_eq(r.status, 0, "%s %s: status %d\nstdout: %s\nstderr: %s", preset, extra[1],
		     r.status, r.out, r.err);
	if (must_print)
		cr_expect(strstr(r.out, must_print), "%s %s: no '%s' in %s", preset, extra[1],
			  must_print, r.out);
	test_run_free(&r);
}

Test(threading, every_preset_runs_every_guest, .timeout = 900)
{
	char img[256], disk[300];

	SKIP_WITHOUT_KVM();
	image(img, sizeof(img));
	snprintf(disk, sizeof(disk), "path=%s,queues=2", img);
	for (unsigned p = 0; p < sizeof(presets) / sizeof(presets[0]); p++) {
		char *hello[] = { "--guest", "hello", "--vcpus", "2", NULL };
		char *exitlat[] = { "--guest", "exitlat:iters=100", "--vcpus", "2", NULL };
		char *spin[] = { "--guest", "smp-spin:duration_ms=100", "--vcpus", "2", NULL };
		char *blk[] = { "--guest", "blk-io:mode=verify,ops=100,qd=8",
				"--vcpus", "2",
				"--disk",  disk,
				NULL };
		char *storm[] = { "--guest", "mmio-storm:duration_ms=100,work_ns=1000", "--vcpus",
				  "2", NULL };
		char *window[] = { "--guest", "window:moves=20", "--vcpus", "2", NULL };
		char *memplug[] = { "--guest", "memplug:rounds=3", "--vcpus", "2", "--disk", disk,
				    NULL };

		run_ok(presets[p], hello, "all 2 vCPUs reported in");
		run_ok(presets[p], exitlat, "mmio_exit");
		run_ok(presets[p], spin, "acquisitions");
		run_ok(presets[p], blk, "verified 100 blocks");
		run_ok(presets[p], storm, "exits_per_s");
		run_ok(presets[p], window, "window: 20 moves");
		run_ok(presets[p], memplug, "memplug: 3 rounds");
	}
	unlink(img);
}

Test(threading, stress_every_preset_with_map_churn, .timeout = 1200)
{
	const char *ms = getenv("STRAND_STRESS_MS");
	char img[256], disk[300], guest[64];

	SKIP_WITHOUT_KVM();
	image(img, sizeof(img));
	snprintf(disk, sizeof(disk), "path=%s", img);
	snprintf(guest, sizeof(guest), "stress:duration_ms=%s", ms ? ms : "20000");
	for (unsigned p = 0; p < sizeof(presets) / sizeof(presets[0]); p++) {
		char *args[] = { "--guest", guest,	   "--vcpus", "4", "--disk",
				 disk,	    "--map-churn", "1000",    NULL };

		run_ok(presets[p], args, "stress: storm");
	}
	unlink(img);
}

Test(threading, hot_remove_under_dma_is_safe, .timeout = 300)
{
	char img[256], disk[300];

	SKIP_WITHOUT_KVM();
	image(img, sizeof(img));
	snprintf(disk, sizeof(disk), "path=%s", img);
	for (unsigned p = 0; p < sizeof(presets) / sizeof(presets[0]); p++) {
		char *args[] = { "--guest", "memplug:rounds=10,hostile=1",
				 "--vcpus", "2",
				 "--disk",  disk,
				 NULL };

		run_ok(presets[p], args, "memplug: 10 rounds");
	}
	unlink(img);
}

Test(threading, bad_threading_input)
{
	static const char *bad[][3] = {
		{ "--threading", "bogus", "unknown preset" },
		{ "--threading", "strand,lock=maybe", "lock=maybe" },
		{ "--threading", "io=disk", "io=disk" },
		{ "--iothread", "id=", "id=" },
		{ "--map-churn", "fast", "--map-churn" },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r;

		cr_assert_eq(test_run_strand(&r, NULL, 30, "run", bad[i][0], bad[i][1], NULL), 0);
		cr_expect_eq(r.status, 2, "%s %s: status %d", bad[i][0], bad[i][1], r.status);
		cr_expect(strstr(r.err, bad[i][2]), "%s %s: stderr %s", bad[i][0], bad[i][1],
			  r.err);
		test_run_free(&r);
	}
	{
		struct run_result r;

		SKIP_WITHOUT_KVM();
		cr_assert_eq(test_run_strand(&r, NULL, 30, "run", "--disk",
					     "path=null:1M,iothread=nope", NULL),
			     0);
		cr_expect_eq(r.status, 2);
		cr_expect(strstr(r.err, "no --iothread id=nope"), "stderr %s", r.err);
		test_run_free(&r);
	}
}
