/*
 * report.h - micro-guest results: a readable summary on stdout and a JSON document.
 * Main thread, after the VM stopped.
 */
#ifndef STRAND_MACHINE_REPORT_H
#define STRAND_MACHINE_REPORT_H

#include <stdio.h>

#include "util/errbuf.h"

struct machine;
struct mguest;

void report_print(const struct mguest *g, FILE *f);
int report_write_json(struct machine *m, int exit_status, const char *path, struct errbuf *err);
/* Several VMs in one document: results named "VM.name", "vms" with each VM's exit. */
int report_write_json_multi(struct machine *const *m, unsigned n, int exit_status, const char *path,
			    struct errbuf *err);

#endif
