/*
 * cliopt.h - the one option parser of every strand command (run, plan, host-check, bench,
 * bench compare, bench ab): getopt_long from a clean state each time (a command may parse
 * several argv segments, and tests parse many), errors worded the same way for every command,
 * and the checks that keep each command's --help in step with its option table and that
 * output paths are writable before anything runs. Main thread (getopt's state is global).
 */
#ifndef STRAND_UTIL_CLIOPT_H
#define STRAND_UTIL_CLIOPT_H

#include <getopt.h>
#include <stdbool.h>

#include "util/compiler.h"
#include "util/errbuf.h"

#define CLIOPT_ERROR (-2)

struct cliopt {
	const char *cmd; /* in messages: "unknown option for CMD: --x" */
	int argc;
	char **argv;
	const struct option *longopts;
	char shortopts[64]; /* ':' added, so a missing value is told from an unknown option */
	char *arg;	    /* the value of the option just returned (NULL if none) */
	int ind;	    /* after -1: the index of the first operand */
	bool started;
};

/*
 * Prepare to parse argv (argv[0] is the command's name and is skipped). shortopts as for
 * getopt ("" or "+" to stop at the first operand, e.g. "+n:qh").
 */
void cliopt_init(struct cliopt *p, const char *cmd, int argc, char **argv, const char *shortopts,
		 const struct option *longopts);

/*
 * The next option's value (struct option.val, or the short option's character), -1 when the
 * options end (p->ind is then the first operand), or CLIOPT_ERROR with err filled: "option
 * --x needs a value", "unknown option for CMD: --x".
 */
int cliopt_next(struct cliopt *p, struct errbuf *err);

/* The option just returned as the user wrote it ("--vcpus", "-n"), for messages. */
const char *cliopt_name(const struct cliopt *p);

/*
 * The first long option of opts (NULL-terminated) that help does not mention as "--NAME"
 * (followed by anything but a letter, digit or '-'), or NULL if help names every one.
 */
const char *cliopt_missing_in_help(const struct option *opts, const char *help);

/*
 * Whether a program may write the output named by option (e.g. "--results-json") at path
 * before any work is done: a file whose directory exists and is writable (and which is not
 * itself a directory), or with is_dir a directory that exists or can be created in a
 * writable parent. Returns 0 or -EINVAL with a one-line message in err.
 */
int __must_check cliopt_check_output(const char *option, const char *path, bool is_dir,
				     struct errbuf *err);

#endif
