/*
 * host.h - a description of the host a benchmark ran on, for the JSON document: CPU model,
 * CPUs, cores, packages, NUMA nodes, kernel, KVM kind (hardware or PVM), memory, load.
 * Read from /proc and /sys; main thread.
 */
#ifndef STRAND_BENCH_HOST_H
#define STRAND_BENCH_HOST_H

#include <json-c/json.h>

json_object *host_json(void);
/* Online CPUs (at least 1). */
unsigned host_cpus(void);
/* Cores (distinct package and core ids in sysfs; the CPUs when sysfs has none). */
unsigned host_cores(void);
/* One line for reports: "AMD EPYC, 2 CPUs (1 package x 2 cores x 1 thread), PVM, Linux 6.1". */
void host_summary(json_object *host, char *buf, size_t len);

#endif
