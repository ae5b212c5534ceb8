/*
 * place.h - thread placement: a pure function from (topology, request, policies) to a plan.
 *
 * A request names one or more VMs, each with its vCPUs, iothreads and main thread (the three
 * thread classes), optional guest NUMA nodes, and a policy per class:
 *
 *   none      float over every allowed CPU except the housekeeping ones (the main thread floats
 *             over the housekeeping CPUs when there are some);
 *   compact   one CPU per thread, filling a core's SMT siblings, then the next core, staying in
 *             the first node (then package) where the whole group fits;
 *   scatter   one CPU per thread, spread over packages first, then NUMA nodes, one thread per
 *             core before any core gets a second;
 *   numa      float over one NUMA node chosen by free capacity (CPUs, then memory), or over
 *             the nearest few when the VM does not fit in one; with guest NUMA nodes, each
 *             guest node's vCPUs float over the host node it is mapped to;
 *   explicit  the CPUs listed: one list is split one CPU per thread, in order; several lists
 *             (one per thread) are taken as they are.
 *
 * SMT: the CPUs of one core are never given to pinned threads of two different VMs (nor to a VM
 * and the housekeeping CPUs), and floating threads avoid cores pinned by other VMs, unless
 * allow_smt_sharing. Housekeeping CPUs (the first N CPUs in logical order) are kept out of
 * every vCPU and iothread placement. Phases, each in VM order: housekeeping, explicit lists,
 * compact and scatter, then the floating policies (numa, none); guest nodes are mapped to host
 * nodes when their VM is first placed. The result is deterministic.
 *
 * Nodes and CPUs are OS numbers throughout (what numactl and taskset show). Impossible
 * requests fail with a negative errno and a message in the errbuf; questionable ones
 * (overcommit, guest nodes sharing a host node, memory beyond a node's size) give warnings in
 * the plan. Pure: no system calls, any thread.
 */
#ifndef STRAND_SCHED_PLACE_H
#define STRAND_SCHED_PLACE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/thread.h"
#include "sched/topology.h"
#include "util/compiler.h"
#include "util/errbuf.h"

enum place_policy {
	PLACE_NONE = 0,
	PLACE_COMPACT,
	PLACE_SCATTER,
	PLACE_NUMA,
	PLACE_EXPLICIT,
};

enum place_class {
	PLACE_VCPU = 0,
	PLACE_IOTHREAD,
	PLACE_MAIN,
	PLACE_NR_CLASSES,
};

#define PLACE_MAX_VMS	    64
#define PLACE_MAX_VCPUS	    CPU_SETSIZE
#define PLACE_MAX_IOTHREADS 256
#define PLACE_MAX_GNODES    16
#define PLACE_MAX_WARNINGS  16
#define PLACE_WARNING_LEN   200

struct place_class_req {
	enum place_policy policy;
	/*
	 * CPU lists (OS numbers). explicit: one list = one CPU per thread in order, or one list
	 * per thread. Other policies: at most one list, the CPUs this class may use.
	 */
	unsigned nr_cpu_sets;
	const cpu_set_t *cpu_sets;
};

struct place_gnode {
	cpu_set_t vcpus;    /* vCPU numbers of this guest node */
	int host_node;	    /* OS number of the host node to use; -1: chosen */
	uint64_t mem_bytes; /* its memory (0: the VM's memory split evenly) */
};

struct place_vm_req {
	const char *name; /* NULL: "vmN" */
	unsigned vcpus;
	unsigned iothreads;
	uint64_t mem_bytes;  /* guest RAM, for node capacity (0: not considered) */
	uint64_t host_nodes; /* mask of node OS numbers the VM may use; 0: all */
	unsigned nr_gnodes;  /* guest NUMA nodes (0: none) */
	struct place_gnode gnode[PLACE_MAX_GNODES];
	struct place_class_req cls[PLACE_NR_CLASSES];
};

struct place_request {
	unsigned nr_vms;
	const struct place_vm_req *vms;
	unsigned housekeeping; /* CPUs kept for main threads (and the rest of the host) */
	bool allow_smt_sharing;
};

struct place_thread {
	unsigned vm;
	enum place_class cls;
	unsigned index; /* vCPU or iothread number; 0 for main */
	enum place_policy policy;
	bool pinned;	/* one CPU, chosen for this thread alone */
	int gnode;	/* guest node of a vCPU, -1 if none */
	cpu_set_t cpus; /* where it may run (OS numbers) */
	uint64_t nodes; /* host nodes (OS numbers) of those CPUs */
};

struct place_vm_plan {
	char name[32];
	unsigned first_thread; /* its threads: plan.threads[first_thread .. + nr_threads) */
	unsigned nr_threads;
	uint64_t mem_nodes; /* host nodes for its RAM (OS numbers); 0: no binding */
	unsigned nr_gnodes;
	int gnode_host[PLACE_MAX_GNODES];	    /* host node (OS number) of each guest node */
	uint64_t gnode_mem_bytes[PLACE_MAX_GNODES]; /* memory of each guest node */
};

struct place_plan {
	unsigned nr_threads;
	struct place_thread *threads;
	unsigned nr_vms;
	struct place_vm_plan *vms;
	cpu_set_t housekeeping;
	unsigned nr_warnings;
	char warnings[PLACE_MAX_WARNINGS][PLACE_WARNING_LEN];
};

/*
 * Compute the plan for req on t. 0, or -EINVAL (the request is malformed or names what the
 * topology lacks), -EBUSY (it cannot fit without SMT sharing between VMs, which was not
 * allowed), -ENOMEM; err says why, naming the VM and thread. On error *plan is empty.
 */
int __must_check place_compute(const struct topology *t, const struct place_request *req,
			       struct place_plan *plan, struct errbuf *err);
void place_plan_free(struct place_plan *plan);

/* The plan entry of thread (vm, cls, index), or NULL. */
const struct place_thread *place_plan_find(const struct place_plan *plan, unsigned vm,
					   enum place_class cls, unsigned index);

/*
 * The thread_placement that applies a plan entry (its CPU affinity); thread_spawn applies it
 * in the new thread before the thread touches guest memory. Scheduling policy and nice are left
 * at their defaults for the caller to set.
 */
void place_to_thread(const struct place_thread *th, struct thread_placement *out);

const char *place_policy_name(enum place_policy p);
int __must_check place_policy_parse(const char *s, enum place_policy *out);
const char *place_class_name(enum place_class c);

/* Defaults for a VM request: policy none for every class, no lists, no guest nodes. */
void place_vm_req_init(struct place_vm_req *vm, unsigned vcpus, unsigned iothreads);

#endif
