/*
 * cli.h - command-line parsing for `strand run`. Pure (no KVM, no files opened): every syntax
 * and range error is found here and reported as one message; the builder then checks files
 * and KVM limits. Unit-tested.
 */
#ifndef STRAND_MACHINE_CLI_H
#define STRAND_MACHINE_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "machine/config.h"
#include "util/errbuf.h"

/*
 * Parse `strand run` arguments (argv[0] is "run"). Returns 0, 1 if --help was given (usage
 * printed to stdout), or -EINVAL with err filled.
 */
int cli_parse_run(int argc, char **argv, struct machine_config *cfg, struct errbuf *err);

/*
 * With several VMs, `strand run [host options] --vm [VM options] --vm [VM options] ...`:
 * host-wide options (--sched, --topology, --housekeeping, --allow-smt-sharing, --stats,
 * --stats-json, --timeout, --log-level, --kvm) come first, each VM's after its --vm.
 */
enum cli_parse_mode {
	CLI_PARSE_ALL = 0, /* one VM: every option */
	CLI_PARSE_GLOBAL,  /* before the first --vm: host-wide options only */
	CLI_PARSE_VM,	   /* after a --vm: that VM's options only */
};
int cli_parse_run_mode(int argc, char **argv, struct machine_config *cfg, enum cli_parse_mode mode,
		       struct errbuf *err);
/* The help of `strand run`; it names every option of cli_run_options (unit-tested). */
void cli_usage_run(FILE *f);
/* The options of `strand run` (getopt_long; NULL-terminated). */
extern const struct option cli_run_options[];

/* "N" or "N,sockets=S,cores=C,threads=T". */
int cli_parse_vcpus(const char *s, struct machine_config *cfg, struct errbuf *err);

#endif
