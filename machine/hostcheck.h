/*
 * hostcheck.h - `strand host-check`: is this host ready for strand's experiments? In the spirit
 * of libvirt's virt-host-validate: each check says PASS, WARN or FAIL with a reason; the exit
 * status is 1 if any check failed. Main thread.
 */
#ifndef STRAND_MACHINE_HOSTCHECK_H
#define STRAND_MACHINE_HOSTCHECK_H

#include <getopt.h>
#include <stdio.h>

enum hc_verdict {
	HC_PASS = 0,
	HC_WARN,
	HC_FAIL,
	HC_INFO,
};

struct hc_item {
	const char *name;
	enum hc_verdict verdict;
	char detail[256];
};

#define HC_MAX_ITEMS 24

struct hc_report {
	unsigned n;
	struct hc_item item[HC_MAX_ITEMS];
};

/* Run every check (kvm_path: the KVM device). */
void hostcheck_run(const char *kvm_path, struct hc_report *r);
int hostcheck_main(int argc, char **argv);
/* The help of `strand host-check`, naming every option of hostcheck_options (unit-tested). */
void hostcheck_usage(FILE *f);
extern const struct option hostcheck_options[];

#endif
