/*
 * test_cli.c - `strand run` argument parsing (machine/cli.h): valid combinations fill the
 * machine_config, and every bad input is refused with one message naming the option. No KVM,
 * no files opened.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/cli.h"
#include "core/guest/abi.h"
#include "util/log.h"

TestSuite(cli, .timeout = 30);

/* getopt permutes and split_args writes into argv: parse a private, writable copy. */
struct args {
	int argc;
	char *argv[32];
	char store[4096];
};

static int parse(struct machine_config *cfg, struct errbuf *err, ...)
{
	static struct args a;
	size_t used = 0;
	va_list ap;
	const char *s;

	memset(&a, 0, sizeof(a));
	a.argv[a.argc++] = strcpy(a.store, "run");
	used = 4;
	va_start(ap, err);
	while ((s = va_arg(ap, const char *))) {
		size_t n = strlen(s) + 1;

		cr_assert_lt(used + n, sizeof(a.store));
		cr_assert_lt(a.argc, 31);
		a.argv[a.argc++] = memcpy(a.store + used, s, n);
		used += n;
	}
	va_end(ap);
	err->msg[0] = 0;
	return cli_parse_run(a.argc, a.argv, cfg, err);
}

#define PARSE(...) parse(&cfg, &err, __VA_ARGS__, NULL)

/* Parse and expect -EINVAL with a message containing `needle`. */
#define BAD(needle, ...)                                                                       \
	do {                                                                                   \
		cr_expect_eq(PARSE(__VA_ARGS__), -EINVAL, "accepted: %s", #__VA_ARGS__);       \
		cr_expect(strstr(err.msg, needle), "message '%s' does not name '%s'", err.msg, \
			  needle);                                                             \
		cr_expect_null(strchr(err.msg, '\n'), "message spans lines: %s", err.msg);     \
	} while (0)

Test(cli, defaults)
{
	struct machine_config cfg;
	struct errbuf err;

	cr_assert_eq(parse(&cfg, &err, NULL), 0);
	cr_expect_eq(cfg.kind, GUEST_MICRO);
	cr_expect_str_eq(cfg.guest, "hello");
	cr_expect_null(cfg.guest_args);
	cr_expect_eq(cfg.cpl, 3);
	cr_expect_eq(cfg.vcpus, 1);
	cr_expect_not(cfg.topo_given);
	cr_expect_eq(cfg.mem_bytes, CONFIG_DEFAULT_MEM);
	cr_expect_str_eq(cfg.console, "stdio");
	cr_expect_eq(cfg.timeout_ns, 0);
	cr_expect_eq(cfg.threading.map, PUBPTR_RCU);
	cr_expect_eq(cfg.threading.lock, LOCK_DEVICE);
	cr_expect_null(cfg.results_json);
	cr_expect_not(cfg.quiet);
	cr_expect_str_eq(cfg.kvm_path, "/dev/kvm");
}

Test(cli, everything_at_once)
{
	struct machine_config cfg;
	struct errbuf err;
	enum log_level old = log_get_level();

	cr_assert_eq(PARSE("--guest", "exitlat:iters=5,mode=pio", "--guest-cpl", "0", "--vcpus",
			   "8,sockets=2,threads=2", "--memory", "1G", "--console",
			   "file:/tmp/console.txt", "--timeout", "500ms", "--map-lock", "rwlock",
			   "--big-lock", "--results-json", "/tmp/r.json", "--quiet", "--kvm",
			   "/dev/null", "--log-level", "error"),
		     0, "%s", err.msg);
	cr_expect_eq(cfg.kind, GUEST_MICRO);
	cr_expect_str_eq(cfg.guest, "exitlat");
	cr_expect_str_eq(cfg.guest_args, "iters=5,mode=pio");
	cr_expect_eq(cfg.cpl, 0);
	cr_expect_eq(cfg.vcpus, 8);
	cr_expect(cfg.topo_given);
	cr_expect_eq(cfg.topo.sockets, 2);
	cr_expect_eq(cfg.topo.cores, 2);
	cr_expect_eq(cfg.topo.threads, 2);
	cr_expect_eq(cfg.mem_bytes, 1ULL << 30);
	cr_expect_str_eq(cfg.console, "file:/tmp/console.txt");
	cr_expect_eq(cfg.timeout_ns, 500000000ULL);
	cr_expect_eq(cfg.threading.map, PUBPTR_RWLOCK);
	cr_expect_eq(cfg.threading.lock, LOCK_BIG);
	cr_expect_str_eq(cfg.results_json, "/tmp/r.json");
	cr_expect(cfg.quiet);
	cr_expect_str_eq(cfg.kvm_path, "/dev/null");
	cr_expect_eq(log_get_level(), LOG_ERROR);
	log_set_level(old);
}

Test(cli, other_guests_and_values)
{
	struct machine_config cfg;
	struct errbuf err;

	cr_assert_eq(PARSE("--flat", "/tmp/boot.bin", "--memory", "4M", "--console", "none"), 0);
	cr_expect_eq(cfg.kind, GUEST_FLAT);
	cr_expect_str_eq(cfg.flat, "/tmp/boot.bin");
	cr_expect_eq(cfg.mem_bytes, 4ULL << 20);
	cr_expect_str_eq(cfg.console, "none");
	cr_assert_eq(PARSE("--guest-file", "/tmp/g.elf:a=1", "--memory", "1T", "--timeout", "2",
			   "--map-lock", "mutex"),
		     0);
	cr_expect_eq(cfg.kind, GUEST_MICRO);
	cr_expect_str_eq(cfg.guest_file, "/tmp/g.elf");
	cr_expect_str_eq(cfg.guest_args, "a=1");
	cr_expect_eq(cfg.mem_bytes, 1ULL << 40);
	cr_expect_eq(cfg.timeout_ns, 2000000000ULL, "a bare timeout is in seconds");
	cr_expect_eq(cfg.threading.map, PUBPTR_MUTEX);
	cr_assert_eq(PARSE("--memory", "512", "--vcpus", "3", "--map-lock", "rcu"), 0);
	cr_expect_eq(cfg.mem_bytes, 512ULL << 20, "a bare size is in MiB");
	cr_expect_eq(cfg.vcpus, 3);
	cr_expect_not(cfg.topo_given);
	cr_expect_eq(cpu_topology_count(&cfg.topo), 3);
	cr_assert_eq(PARSE("--guest", "hello", "--guest-cpl", "3", "--memory", "4100K"), 0);
	cr_expect_eq(cfg.cpl, 3);
	cr_expect_eq(cfg.mem_bytes, 4100ULL << 10);
	/* The last --vcpus wins, and its topology with it. */
	cr_assert_eq(PARSE("--vcpus", "4,sockets=2", "--vcpus", "2"), 0);
	cr_expect_eq(cfg.vcpus, 2);
	cr_expect_not(cfg.topo_given);
	/* Arguments of exactly the maximum length pass. */
	{
		char g[SG_ARGS_MAX + 16];

		/* --guest-file: its table is checked on loading (embedded guests' are here). */
		snprintf(g, sizeof(g), "/g.elf:k=");
		memset(g + 9, 'v', SG_ARGS_MAX - 1 - 2);
		g[9 + SG_ARGS_MAX - 1 - 2] = 0;
		cr_expect_eq(strlen(g + 7), SG_ARGS_MAX - 1);
		cr_expect_eq(PARSE("--guest-file", g), 0, "%s", err.msg);
	}
}

Test(cli, help, .init = cr_redirect_stdout)
{
	struct machine_config cfg;
	struct errbuf err;

	cr_expect_eq(PARSE("--help"), 1);
	fflush(stdout);
	cr_expect_stdout_neq_str("");
}

Test(cli, vcpus)
{
	struct machine_config cfg;
	struct errbuf err;

	config_defaults(&cfg);
	cr_expect_eq(cli_parse_vcpus("12,sockets=2,threads=2", &cfg, &err), 0, "%s", err.msg);
	cr_expect_eq(cfg.topo.cores, 3, "cores derived from the count");
	cr_expect_eq(cfg.topo.sockets * cfg.topo.cores * cfg.topo.threads, 12);
	cr_expect_eq(cli_parse_vcpus("12,threads=2", &cfg, &err), 0);
	cr_expect_eq(cfg.topo.sockets, 1);
	cr_expect_eq(cfg.topo.cores, 6);
	cr_expect_eq(cli_parse_vcpus("1,sockets=1,cores=1,threads=1", &cfg, &err), 0);
	cr_expect(cfg.topo_given);
	cr_expect_eq(cli_parse_vcpus("4096", &cfg, &err), 0);

	BAD("--vcpus", "--vcpus", "0");
	BAD("--vcpus", "--vcpus", "x");
	BAD("--vcpus", "--vcpus", "-1");
	BAD("--vcpus", "--vcpus", "");
	BAD("--vcpus", "--vcpus", "4097");
	BAD("--vcpus", "--vcpus", "99999999999");
	BAD("is not 4 vCPUs", "--vcpus", "4,sockets=3");
	BAD("is not 8 vCPUs", "--vcpus", "8,sockets=2,cores=2,threads=1");
	BAD("is not 2 vCPUs", "--vcpus", "2,cores=3");
	BAD("sockets", "--vcpus", "4,sockets=0");
	BAD("threads", "--vcpus", "4,threads=x");
	BAD("cores", "--vcpus", "4,cores=5000");
	BAD("unknown option 'nodes'", "--vcpus", "4,nodes=2");
	BAD("--vcpus", "--vcpus", "=4");
}

Test(cli, memory)
{
	struct machine_config cfg;
	struct errbuf err;

	BAD("cannot parse", "--memory", "lots");
	BAD("cannot parse", "--memory", "");
	BAD("cannot parse", "--memory", "-1G");
	BAD("cannot parse", "--memory", "99999999999999999999");
	BAD("4 MiB minimum", "--memory", "2M");
	BAD("4 MiB minimum", "--memory", "4095K");
	BAD("4 MiB minimum", "--memory", "0");
	BAD("multiple of 4 KiB", "--memory", "4097K");
	BAD("multiple of 4 KiB", "--memory", "4096.5K");
	BAD("1 TiB maximum", "--memory", "1025G");
	BAD("1 TiB maximum", "--memory", "2T");
}

Test(cli, other_bad_input)
{
	struct machine_config cfg;
	struct errbuf err;
	char long_args[SG_ARGS_MAX + 32];

	BAD("--guest-cpl", "--guest-cpl", "2");
	BAD("--guest-cpl", "--guest-cpl", "1");
	BAD("--guest-cpl", "--guest-cpl", "03");
	BAD("--guest-cpl", "--guest-cpl", "");
	BAD("--console", "--console", "tty");
	BAD("--console", "--console", "file:");
	BAD("--console", "--console", "file");
	BAD("--console", "--console", "");
	BAD("--timeout", "--timeout", "soon");
	BAD("--timeout: the duration must be positive, got '0'", "--timeout", "0");
	BAD("--timeout: the duration must be positive, got '0s'", "--timeout", "0s");
	BAD("--timeout: the duration must be positive, got '0ms'", "--timeout", "0ms");
	BAD("--timeout", "--timeout", "1h");
	BAD("--timeout", "--timeout", "-5s");
	BAD("--map-lock", "--map-lock", "spinlock");
	BAD("--map-lock", "--map-lock", "RCU");
	BAD("--log-level", "--log-level", "verbose");
	BAD("--log-level", "--log-level", "");
	BAD("unknown option for run: --bogus", "--bogus");
	BAD("unknown option for run: -x", "-x");
	BAD("unknown option", "--big-lock=yes");
	BAD("needs a value", "--memory");
	BAD("needs a value", "--guest");
	BAD("needs a value", "--vcpus", "2", "--timeout");
	BAD("unexpected argument 'extra'", "--vcpus", "2", "extra");
	BAD("choose one guest", "--guest", "hello", "--flat", "/tmp/x");
	BAD("choose one guest", "--guest", "hello", "--guest", "exitlat");
	BAD("choose one guest", "--guest-file", "/tmp/x.elf", "--flat", "/tmp/x");
	BAD("missing program name", "--guest", ":iters=3");
	/* Embedded guests' arguments against their tables (core/mguest_args.h). */
	BAD("--guest hello: unknown argument 'nosuchkey' (it takes no arguments)", "--guest",
	    "hello:nosuchkey=1");
	BAD("iters=-5 is not valid: iters takes an integer in 1..100000000", "--guest",
	    "exitlat:iters=-5");
	BAD("iters=99999999999999999999 is out of range: iters takes an integer in 1..100000000",
	    "--guest", "exitlat:iters=99999999999999999999");
	BAD("--guest: no micro-guest called 'nosuchguest'", "--guest", "nosuchguest");
	BAD("--guest blk-io: unknown argument 'depth'", "--guest", "blk-io:depth=3");
	BAD("missing file name", "--guest-file", ":a=1");
	snprintf(long_args, sizeof(long_args), "hello:k=");
	memset(long_args + 8, 'v', SG_ARGS_MAX);
	long_args[8 + SG_ARGS_MAX] = 0;
	BAD("longer than", "--guest", long_args);
}
