/*
 * cli.h - command-line parsing for `strand run`. Pure (no KVM, no files opened): every syntax
 * and range error is found here and reported as one message; the builder then checks files
 * and KVM limits. Unit-tested.
 */
#ifndef STRAND_CLI_CLI_H
#define STRAND_CLI_CLI_H

#include "core/cli/config.h"
#include "util/errbuf.h"

/*
 * Parse `strand run` arguments (argv[0] is "run"). Returns 0, 1 if --help was given (usage
 * printed to stdout), or -EINVAL with err filled.
 */
int cli_parse_run(int argc, char **argv, struct machine_config *cfg, struct errbuf *err);
void cli_usage_run(void);

/* "N" or "N,sockets=S,cores=C,threads=T". */
int cli_parse_vcpus(const char *s, struct machine_config *cfg, struct errbuf *err);

#endif
