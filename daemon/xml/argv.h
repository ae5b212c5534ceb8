/*
 * argv.h - struct domain_def -> the `strand run` command line that builds this machine, and
 * the tunings strandd applies through the VM's QMP monitor before the guest runs (what
 * `strand run` cannot say on its command line: a pin per vCPU, the emulator thread's pin).
 * docs/management.md "Domain XML" has the mapping. Pure; any thread.
 *
 * The daemon appends its own options (--monitor, and whatever start-paused switch the monitor
 * provides) to argv: getopt_long takes options in any order. Everything the XML can say that
 * `strand run` cannot was refused by domain_parse(); nothing is dropped here.
 */
#ifndef STRAND_DAEMON_XML_ARGV_H
#define STRAND_DAEMON_XML_ARGV_H

#include "daemon/xml/domain.h"

enum domain_tuning_kind {
	DOMAIN_TUNE_VCPU_PIN,	  /* vCPU `vcpu` may run on `cpus` (libvirt's vcpupin) */
	DOMAIN_TUNE_EMULATOR_PIN, /* strand's main thread (libvirt's emulatorpin) */
};

struct domain_tuning {
	enum domain_tuning_kind kind;
	unsigned vcpu; /* DOMAIN_TUNE_VCPU_PIN */
	struct domain_cpuset cpus;
	char *cpulist; /* the same set as text, "0-3,8" (malloc'd, freed with the argv) */
};

struct domain_argv {
	char **argv; /* argv[0] = the strand binary, "run", options...; NULL-terminated */
	unsigned argc;
	struct domain_tuning *tunings; /* in order: vCPU pins by vCPU, then the emulator pin */
	unsigned ntunings;
};

/*
 * Build the command line for def, which domain_parse() or domain_check() accepted. strand_bin
 * is the binary the daemon runs (argv[0]). Returns 0, or -ENOMEM / -EINVAL with err.
 */
int __must_check domain_argv_build(const struct domain_def *def, const char *strand_bin,
				   struct domain_argv *out, struct domain_error *err);
/*
 * DOMAIN_ARGV_HOST_SCHED: strandd runs a strategy across domains (gang, gang-relaxed, credit
 * with the domains' <shares> and quotas): those are left off the VM's own command line.
 */
#define DOMAIN_ARGV_HOST_SCHED (1u << 0)
int __must_check domain_argv_build_flags(const struct domain_def *def, const char *strand_bin,
					 unsigned flags, struct domain_argv *out,
					 struct domain_error *err);
void domain_argv_free(struct domain_argv *a);

/* The whole command line as one shell-quoted string (malloc'd), for logs and tests. */
char *domain_argv_join(const struct domain_argv *a);

#endif
