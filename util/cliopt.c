/* cliopt.c - option parsing, help coverage and output-path checks shared by every command. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cliopt.h"

void cliopt_init(struct cliopt *p, const char *cmd, int argc, char **argv, const char *shortopts,
		 const struct option *longopts)
{
	const char *s = shortopts ? shortopts : "";
	bool plus = s[0] == '+';

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->longopts = longopts;
	snprintf(p->shortopts, sizeof(p->shortopts), "%s:%s", plus ? "+" : "", s + plus);
}

int cliopt_next(struct cliopt *p, struct errbuf *err)
{
	int c;

	if (!p->started) {
		/* 0, not 1: GNU getopt then also forgets where an earlier scan stopped ("-xy"). */
		optind = 0;
		opterr = 0;
		p->started = true;
	}
	c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	p->arg = optarg;
	p->ind = optind;
	if (c == -1)
		return -1;
	if (c == ':')
		return errbuf_set(err, CLIOPT_ERROR, "option %s needs a value", cliopt_name(p));
	if (c == '?') {
		const char *word = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";

		/* A long option (unknown, or a flag given a value) as written; else -X. */
		if (optopt && optopt < 256 && strncmp(word, "--", 2) != 0)
			return errbuf_set(err, CLIOPT_ERROR, "unknown option for %s: -%c", p->cmd,
					  optopt);
		return errbuf_set(err, CLIOPT_ERROR, "unknown option for %s: %s", p->cmd, word);
	}
	return c;
}

const char *cliopt_name(const struct cliopt *p)
{
	int i = p->ind - 1;

	/* "--opt value" leaves optind past the value; "--opt=value" and flags do not. */
	if (p->arg && i > 0 && p->argv[i] == p->arg)
		i--;
	return i >= 0 && i < p->argc ? p->argv[i] : "?";
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

const char *cliopt_missing_in_help(const struct option *opts, const char *help)
{
	for (; opts->name; opts++) {
		size_t n = strlen(opts->name);
		const char *p = help;
		bool found = false;

		while (!found && (p = strstr(p, "--"))) {
			p += 2;
			found = strncmp(p, opts->name, n) == 0 && !is_name_char(p[n]);
		}
		if (!found)
			return opts->name;
	}
	return NULL;
}

int cliopt_check_output(const char *option, const char *path, bool is_dir, struct errbuf *err)
{
	char buf[4096];
	const char *dir;
	struct stat st;

	if (!path[0])
		return errbuf_set(err, -EINVAL, "%s: an empty path", option);
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errbuf_set(err, -EINVAL, "%s: path too long", option);
	if (stat(path, &st) == 0) {
		if (is_dir && !S_ISDIR(st.st_mode))
			return errbuf_set(err, -EINVAL, "%s %s: not a directory", option, path);
		if (!is_dir && S_ISDIR(st.st_mode))
			return errbuf_set(err, -EINVAL, "%s %s: is a directory", option, path);
		if (access(path, W_OK) != 0)
			return errbuf_set(err, -EINVAL, "%s %s: not writable (%s)", option, path,
					  strerror(errno));
		if (is_dir)
			return 0;
	}
	/* A new file or directory (or a file replaced through a temporary beside it). */
	dir = dirname(buf);
	if (stat(dir, &st) != 0)
		return errbuf_set(err, -EINVAL, "%s %s: directory %s does not exist", option, path,
				  dir);
	if (!S_ISDIR(st.st_mode))
		return errbuf_set(err, -EINVAL, "%s %s: %s is not a directory", option, path, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return errbuf_set(err, -EINVAL, "%s %s: directory %s is not writable (%s)", option,
				  path, dir, strerror(errno));
	return 0;
}
