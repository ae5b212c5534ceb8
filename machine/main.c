/*
 * main.c - the strand command: run, guests, host-check, plan, bench. The main thread blocks the process
 * signals before creating any thread (they arrive through the main loop's signalfd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "machine/builder.h"
#include "machine/cli.h"
#include "machine/hostcheck.h"
#include "machine/plan.h"
#include "machine/report.h"
#include "machine/run.h"
#include "core/guest/embedded.h"
#include "core/mguest.h"
#include "core/mguest_args.h"
#include "core/vm.h"
#include "sched/thread.h"
#include "strand-config.h"
#include "util/log.h"
#include "util/rcu.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: strand COMMAND [options]\n"
		"\n"
		"Commands:\n"
		"  run          run a VM (default: the hello micro-guest); strand run --help\n"
		"  guests       list the embedded micro-guests; strand guests NAME: one guest's\n"
		"               arguments (name, type, range, default, help)\n"
		"  host-check   check that this host is ready (KVM kind, NUMA, hugepages, ...)\n"
		"  plan         show where VM threads and memory would be placed, on this host\n"
		"               or any topology; strand plan --help\n"
		"  bench        benchmarks, comparisons, the A/B gate; strand bench --help\n"
		"  version      print the version\n"
		"\n"
		"Environment: STRAND_LOG=error|warn|info|debug sets the log level.\n");
}

static int cmd_guests(int argc, char **argv)
{
	const struct embedded_guest *g;
	struct mguest_args t;
	const char *why = "";
	int ret;

	if (argc > 2) {
		log_error("guests: one guest name at most (see strand guests)");
		return 2;
	}
	if (argc == 1) {
		for (unsigned i = 0; i < embedded_guest_count; i++)
			printf("%-14s %s\n", embedded_guests[i].name,
			       embedded_guests[i].description);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: strand guests [NAME]\n"
		       "  without NAME: list the embedded micro-guests\n"
		       "  with NAME: its description and arguments (name, type, range, default,\n"
		       "  help), given as strand run --guest NAME:key=value,...\n");
		return 0;
	}
	g = embedded_guest_find(argv[1]);
	if (!g) {
		log_error("guests: no micro-guest called '%s' (see `strand guests`)", argv[1]);
		return 2;
	}
	ret = mguest_args_read(g->start, (size_t)(g->end - g->start), &t, &why);
	if (ret) {
		log_error("guests: %s: %s", g->name,
			  ret == -ENOENT ? "no argument table" :
			  ret == -ENOMEM ? "out of memory" :
					   why);
		return 4;
	}
	printf("%s - %s\n\n", g->name, g->description);
	mguest_args_print(&t, stdout);
	mguest_args_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("STRAND_LOG");
	enum log_level lvl;

	thread_block_process_signals();
	rcu_thread_online();
	if (env && log_parse_level(env, &lvl) == 0)
		log_set_level(lvl);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "guests") == 0)
		return cmd_guests(argc - 1, argv + 1);
	if (strcmp(argv[1], "host-check") == 0)
		return hostcheck_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "plan") == 0)
		return plan_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "bench") == 0)
		return bench_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("strand %s (%s)\n", STRAND_VERSION, STRAND_GIT_REV);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	log_error("unknown command '%s' (see strand --help)", argv[1]);
	return 2;
}
