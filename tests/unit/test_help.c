/*
 * test_help.c - every command's --help names every long option of that command's option table
 * (the struct option array getopt_long parses), so help and parser cannot drift apart; and
 * the shared parser (util/cliopt.h) words its errors the same way for every command. No KVM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/compare.h"
#include "machine/cli.h"
#include "machine/hostcheck.h"
#include "machine/plan.h"
#include "util/cliopt.h"

TestSuite(help, .timeout = 30);

static const struct {
	const char *cmd;
	const struct option *opts;
	void (*usage)(FILE *f);
} commands[] = {
	{ "run", cli_run_options, cli_usage_run },
	{ "plan", plan_options, plan_usage },
	{ "host-check", hostcheck_options, hostcheck_usage },
	{ "bench", bench_options, bench_usage },
	{ "bench ab", bench_ab_options, ab_usage },
	{ "bench compare", compare_options, compare_usage },
	{ "bench report", bench_report_options, bench_report_usage },
};

static char *help_of(void (*usage)(FILE *f))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	usage(f);
	fclose(f);
	return buf;
}

Test(help, every_option_of_every_command_is_in_its_help)
{
	for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char *text = help_of(commands[i].usage);
		const char *missing = cliopt_missing_in_help(commands[i].opts, text);
		unsigned n = 0;

		while (commands[i].opts[n].name)
			n++;
		cr_expect_gt(n, 2, "%s: an empty option table", commands[i].cmd);
		cr_expect_null(missing, "strand %s --help does not mention --%s", commands[i].cmd,
			       missing ? missing : "");
		cr_expect(strstr(text, "usage: strand "), "%s: no usage line", commands[i].cmd);
		free(text);
	}
}

/* The options issue 10 found missing from `strand run --help`, by name. */
Test(help, run_help_lists_the_scheduling_options)
{
	static const char *const names[] = {
		"--sched",  "--placement", "--vm",	   "--halt-poll",    "--disable-exits",
		"--pv",	    "--stats",	   "--stats-json", "--monitor",	     "--paused",
		"--weight", "--cap",	   "--topology",   "--housekeeping", "--allow-smt-sharing",
		"--name"
	};
	char *text = help_of(cli_usage_run);

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect(strstr(text, names[i]), "strand run --help lacks %s", names[i]);
	free(text);
}

/* The checker itself: a prefix or a longer option does not count as a mention. */
Test(help, missing_in_help_matches_whole_names)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 1 },
		{ "stats-json", required_argument, NULL, 2 },
		{ NULL, 0, NULL, 0 },
	};

	cr_expect_null(cliopt_missing_in_help(opts, "  --stats-json FILE\n  --stats  print\n"));
	cr_expect_str_eq(cliopt_missing_in_help(opts, "  --stats-json FILE\n"), "stats");
	cr_expect_str_eq(cliopt_missing_in_help(opts, "  --stats, --statsjson\n"), "stats-json");
	cr_expect_null(cliopt_missing_in_help(opts, "--stats-json, --stats."));
}

Test(help, parser_errors_are_worded_alike)
{
	static const struct option opts[] = {
		{ "value", required_argument, NULL, 'v' },
		{ "flag", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct {
		char *argv[6];
		int want[4];
		const char *msg;
	} cases[] = {
		{ { "cmd", "--value", "1", "--flag", NULL }, { 'v', 'f', -1 }, NULL },
		{ { "cmd", "--value=2", "op", NULL }, { 'v', -1 }, NULL },
		{ { "cmd", "--nope", NULL }, { CLIOPT_ERROR }, "unknown option for cmd: --nope" },
		{ { "cmd", "-z", NULL }, { CLIOPT_ERROR }, "unknown option for cmd: -z" },
		{ { "cmd", "--flag=1", NULL },
		  { CLIOPT_ERROR },
		  "unknown option for cmd: --flag=1" },
		{ { "cmd", "--value", NULL }, { CLIOPT_ERROR }, "option --value needs a value" },
	};

	/* Twice: each parse starts from a clean getopt state. */
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct errbuf err = { "" };
			struct cliopt p;
			int argc = 0;

			while (cases[i].argv[argc])
				argc++;
			cliopt_init(&p, "cmd", argc, cases[i].argv, "+", opts);
			for (unsigned k = 0;; k++) {
				int c = cliopt_next(&p, &err);

				cr_expect_eq(c, cases[i].want[k], "case %u, option %u: %d", i, k,
					     c);
				if (c == 'v')
					cr_expect_str_eq(cliopt_name(&p),
							 k ? "--value" : cases[i].argv[1]);
				if (c == -1 || c == CLIOPT_ERROR || c != cases[i].want[k])
					break;
			}
			if (cases[i].msg)
				cr_expect_str_eq(err.msg, cases[i].msg);
		}
	}
}

Test(help, output_paths)
{
	struct errbuf err = { "" };

	cr_expect_eq(cliopt_check_output("--x", "/tmp/strand-help-test.json", false, &err), 0, "%s",
		     err.msg);
	cr_expect_eq(cliopt_check_output("--x", "/tmp", true, &err), 0, "%s", err.msg);
	cr_expect_eq(cliopt_check_output("--x", "/tmp/new-dir", true, &err), 0, "%s", err.msg);
	cr_expect_eq(cliopt_check_output("--x", "rel.json", false, &err), 0, "%s", err.msg);
	cr_expect_eq(cliopt_check_output("--x", "/tmp", false, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "--x /tmp: is a directory");
	cr_expect_eq(cliopt_check_output("--x", "/no/such/f.json", false, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "--x /no/such/f.json: directory /no/such does not exist");
	cr_expect_eq(cliopt_check_output("--x", "/etc/passwd/x", false, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "--x /etc/passwd/x: /etc/passwd is not a directory");
	cr_expect_eq(cliopt_check_output("--x", "/etc/passwd", true, &err), -EINVAL);
	cr_expect_eq(cliopt_check_output("--x", "", false, &err), -EINVAL);
}
