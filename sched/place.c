/*
 * place.c - the placement function (see place.h for the policies and the order of phases).
 * Pure: the topology and the request are read, the plan is written; any thread.
 *
 * State while planning: the pinned threads on each PU (load), the owner of each core (free,
 * housekeeping or a VM: the SMT rule), the floating demand promised to each node by numa
 * placements, and the memory promised to each node. Node masks inside this file are by node
 * index; the plan speaks OS numbers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/place.h"
#include "util/parse.h"

#define OWNER_FREE (-1)
#define OWNER_HK   (-2)

static const char *const policy_names[] = { "none", "compact", "scatter", "numa", "explicit" };
static const char *const class_names[] = { "vcpu", "iothread", "main" };

const char *place_policy_name(enum place_policy p)
{
	return (unsigned)p < ARRAY_SIZE(policy_names) ? policy_names[p] : "?";
}

int place_policy_parse(const char *s, enum place_policy *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(policy_names); i++)
		if (strcmp(s, policy_names[i]) == 0) {
			*out = (enum place_policy)i;
			return 0;
		}
	return -EINVAL;
}

const char *place_class_name(enum place_class c)
{
	return (unsigned)c < ARRAY_SIZE(class_names) ? class_names[c] : "?";
}

void place_vm_req_init(struct place_vm_req *vm, unsigned vcpus, unsigned iothreads)
{
	memset(vm, 0, sizeof(*vm));
	vm->vcpus = vcpus;
	vm->iothreads = iothreads;
	for (unsigned i = 0; i < PLACE_MAX_GNODES; i++)
		vm->gnode[i].host_node = -1;
}

struct vm_state {
	uint64_t home;	    /* nodes (index mask) holding its pinned threads */
	uint64_t numa_home; /* nodes chosen for its numa threads without guest nodes */
	bool gnodes_mapped;
	int gnode_node[PLACE_MAX_GNODES]; /* node index per guest node */
};

struct pstate {
	const struct topology *t;
	const struct place_request *req;
	struct place_plan *plan;
	struct errbuf *err;
	unsigned *load;	      /* per PU: pinned threads */
	int *owner;	      /* per core: OWNER_FREE, OWNER_HK or a VM */
	bool *hk;	      /* per PU: housekeeping */
	int *float_demand;    /* per node: floating threads promised by numa placements */
	uint64_t *mem_used;   /* per node: guest memory promised */
	struct vm_state *vms; /* per VM */
	bool *shared_warned;  /* per VM pair (nr_vms^2) */
	bool hk_warned;
};

static __printf(2, 3) void warn(struct place_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nr_warnings >= PLACE_MAX_WARNINGS) {
		snprintf(p->warnings[PLACE_MAX_WARNINGS - 1], PLACE_WARNING_LEN,
			 "(more warnings not shown)");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p->warnings[p->nr_warnings++], PLACE_WARNING_LEN, fmt, ap);
	va_end(ap);
}

static const char *vm_name(const struct pstate *st, unsigned vm)
{
	return st->plan->vms[vm].name;
}

static unsigned class_threads(const struct place_vm_req *v, enum place_class c)
{
	return c == PLACE_VCPU ? v->vcpus : c == PLACE_IOTHREAD ? v->iothreads : 1;
}

static const char *class_label(enum place_class c)
{
	return c == PLACE_VCPU ? "vCPU" : c == PLACE_IOTHREAD ? "iothread" : "main thread";
}

/* "vcpu3", "io1" or "main". */
static const char *thread_label(const struct place_thread *th, char *buf, unsigned len)
{
	if (th->cls == PLACE_MAIN)
		snprintf(buf, len, "main");
	else
		snprintf(buf, len, "%s%u", th->cls == PLACE_VCPU ? "vcpu" : "io", th->index);
	return buf;
}

static bool node_allowed(const struct pstate *st, unsigned vm, unsigned node)
{
	uint64_t m = st->req->vms[vm].host_nodes;

	return !m || (m & (1ULL << st->t->nodes[node].os_index));
}

/* A PU the VM's class may use at all: not housekeeping, on an allowed node, in the class list. */
static bool pu_allowed(const struct pstate *st, unsigned vm, enum place_class c, unsigned pu)
{
	const struct place_class_req *cr = &st->req->vms[vm].cls[c];

	if (st->hk[pu] || !node_allowed(st, vm, st->t->pus[pu].node))
		return false;
	if (cr->policy != PLACE_EXPLICIT && cr->nr_cpu_sets == 1 &&
	    !CPU_ISSET(st->t->pus[pu].os_index, &cr->cpu_sets[0]))
		return false;
	return true;
}

/* The SMT rule: may vm use a CPU of this core? */
static bool core_ok(const struct pstate *st, unsigned vm, unsigned core)
{
	int o = st->owner[core];

	return st->req->allow_smt_sharing || o == OWNER_FREE || o == (int)vm;
}

/* Owned by someone else (another VM or housekeeping). */
static bool core_foreign(const struct pstate *st, unsigned vm, unsigned core)
{
	int o = st->owner[core];

	return o != OWNER_FREE && o != (int)vm;
}

static void claim_core(struct pstate *st, unsigned vm, unsigned core)
{
	int o = st->owner[core];
	char cpus[64];
	cpu_set_t set;

	if (o == OWNER_FREE) {
		st->owner[core] = (int)vm;
		return;
	}
	if (o == (int)vm || o == OWNER_HK)
		return;
	/* allow_smt_sharing: say so once per pair of VMs. */
	if (st->shared_warned[(unsigned)o * st->plan->nr_vms + vm])
		return;
	st->shared_warned[(unsigned)o * st->plan->nr_vms + vm] = true;
	CPU_ZERO(&set);
	for (unsigned i = 0; i < st->t->cores[core].nr_pus; i++)
		CPU_SET(st->t->pus[st->t->cores[core].first_pu + i].os_index, &set);
	warn(st->plan, "%s and %s share core CPUs %s (SMT siblings; sharing allowed)",
	     vm_name(st, (unsigned)o), vm_name(st, vm),
	     topo_format_cpulist(&set, cpus, sizeof(cpus)));
}

static void set_single(struct pstate *st, struct place_thread *th, unsigned pu)
{
	CPU_ZERO(&th->cpus);
	CPU_SET(st->t->pus[pu].os_index, &th->cpus);
	th->nodes = 1ULL << st->t->nodes[st->t->pus[pu].node].os_index;
	th->pinned = true;
}

static void set_float(struct pstate *st, struct place_thread *th, const cpu_set_t *cpus)
{
	th->cpus = *cpus;
	th->nodes = topo_nodes_of_cpus(st->t, cpus);
	th->pinned = false;
}

static unsigned first_cpu(const cpu_set_t *set)
{
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set))
			return cpu;
	return 0;
}

/* Validation of one VM's request. */

static int check_cpus(struct pstate *st, unsigned vm, enum place_class c, const cpu_set_t *set)
{
	const struct topology *t = st->t;

	if (CPU_COUNT(set) == 0)
		return errbuf_set(st->err, -EINVAL, "%s: empty %s CPU list", vm_name(st, vm),
				  class_label(c));
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		int pu;

		if (!CPU_ISSET(cpu, set))
			continue;
		pu = topo_pu_index(t, cpu);
		if (pu < 0)
			return errbuf_set(
				st->err, -EINVAL,
				"%s: CPU %u in the %s list is not in the topology (%u CPUs: "
				"%s)",
				vm_name(st, vm), cpu, class_label(c), t->nr_pus, t->source);
		if (c != PLACE_MAIN && st->req->vms[vm].cls[c].policy == PLACE_EXPLICIT &&
		    st->hk[pu])
			return errbuf_set(st->err, -EINVAL,
					  "%s: CPU %u in the %s list is a housekeeping CPU (the "
					  "first %u CPUs are kept for main threads)",
					  vm_name(st, vm), cpu, class_label(c),
					  st->req->housekeeping);
	}
	return 0;
}

static int check_node(struct pstate *st, unsigned vm, unsigned os, const char *what)
{
	char list[128];
	uint64_t all = 0;

	if (os < TOPO_MAX_NODES && topo_node_index(st->t, os) >= 0)
		return 0;
	for (unsigned i = 0; i < st->t->nr_nodes; i++)
		all |= 1ULL << st->t->nodes[i].os_index;
	return errbuf_set(st->err, -EINVAL, "%s: %s %u is not in the topology (nodes %s)",
			  vm_name(st, vm), what, os, topo_format_nodelist(all, list, sizeof(list)));
}

static int validate_vm(struct pstate *st, unsigned vm)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	cpu_set_t seen;
	int ret;

	if (v->vcpus == 0 || v->vcpus > PLACE_MAX_VCPUS)
		return errbuf_set(st->err, -EINVAL, "%s: %u vCPUs (1 to %u)", vm_name(st, vm),
				  v->vcpus, PLACE_MAX_VCPUS);
	if (v->iothreads > PLACE_MAX_IOTHREADS)
		return errbuf_set(st->err, -EINVAL, "%s: %u iothreads (at most %u)",
				  vm_name(st, vm), v->iothreads, PLACE_MAX_IOTHREADS);
	for (unsigned n = 0; n < TOPO_MAX_NODES; n++) {
		if (!(v->host_nodes & (1ULL << n)))
			continue;
		ret = check_node(st, vm, n, "host node");
		if (ret)
			return ret;
	}
	for (unsigned c = 0; c < PLACE_NR_CLASSES; c++) {
		const struct place_class_req *cr = &v->cls[c];
		unsigned n = class_threads(v, c);

		if ((unsigned)cr->policy > PLACE_EXPLICIT)
			return errbuf_set(st->err, -EINVAL, "%s: bad %s policy %d", vm_name(st, vm),
					  class_label(c), cr->policy);
		if (cr->policy == PLACE_EXPLICIT && cr->nr_cpu_sets == 0 && n)
			return errbuf_set(st->err, -EINVAL,
					  "%s: %s policy explicit needs a CPU list",
					  vm_name(st, vm), class_label(c));
		if (cr->nr_cpu_sets > 1 && (cr->policy != PLACE_EXPLICIT || cr->nr_cpu_sets != n))
			return errbuf_set(st->err, -EINVAL,
					  "%s: %u %s CPU lists for %u %ss (one list, or one per "
					  "thread with policy explicit)",
					  vm_name(st, vm), cr->nr_cpu_sets, class_label(c), n,
					  class_label(c));
		for (unsigned i = 0; i < cr->nr_cpu_sets; i++) {
			ret = check_cpus(st, vm, c, &cr->cpu_sets[i]);
			if (ret)
				return ret;
		}
	}
	if (v->nr_gnodes > PLACE_MAX_GNODES)
		return errbuf_set(st->err, -EINVAL, "%s: %u guest NUMA nodes (at most %u)",
				  vm_name(st, vm), v->nr_gnodes, PLACE_MAX_GNODES);
	CPU_ZERO(&seen);
	for (unsigned g = 0; g < v->nr_gnodes; g++) {
		const struct place_gnode *gn = &v->gnode[g];
		cpu_set_t both;

		if (CPU_COUNT(&gn->vcpus) == 0)
			return errbuf_set(st->err, -EINVAL, "%s: guest node %u has no vCPU",
					  vm_name(st, vm), g);
		for (unsigned cpu = v->vcpus; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &gn->vcpus))
				return errbuf_set(st->err, -EINVAL,
						  "%s: guest node %u names vCPU %u of %u",
						  vm_name(st, vm), g, cpu, v->vcpus);
		CPU_AND(&both, &seen, &gn->vcpus);
		if (CPU_COUNT(&both))
			return errbuf_set(st->err, -EINVAL, "%s: a vCPU is in two guest nodes",
					  vm_name(st, vm));
		CPU_OR(&seen, &seen, &gn->vcpus);
		if (gn->host_node >= 0) {
			ret = check_node(st, vm, (unsigned)gn->host_node, "host node");
			if (ret)
				return ret;
			if (!node_allowed(
				    st, vm,
				    (unsigned)topo_node_index(st->t, (unsigned)gn->host_node)))
				return errbuf_set(st->err, -EINVAL,
						  "%s: guest node %u is on host node %d, outside "
						  "the VM's host nodes",
						  vm_name(st, vm), g, gn->host_node);
		}
	}
	if (v->nr_gnodes && (unsigned)CPU_COUNT(&seen) != v->vcpus)
		for (unsigned cpu = 0; cpu < v->vcpus; cpu++)
			if (!CPU_ISSET(cpu, &seen))
				return errbuf_set(st->err, -EINVAL,
						  "%s: vCPU %u is in no guest NUMA node",
						  vm_name(st, vm), cpu);
	return 0;
}

/* Node capacity: free CPUs (no pinned thread, usable by vm without sharing) minus promises. */
static int node_capacity(const struct pstate *st, unsigned vm, unsigned node)
{
	int cap = 0;

	for (unsigned p = 0; p < st->t->nr_pus; p++) {
		const struct topo_pu *pu = &st->t->pus[p];

		if (pu->node == node && !st->hk[p] && st->load[p] == 0 &&
		    !core_foreign(st, vm, pu->core))
			cap++;
	}
	return cap - st->float_demand[node];
}

static bool node_usable(const struct pstate *st, unsigned vm, unsigned node)
{
	if (!node_allowed(st, vm, node))
		return false;
	for (unsigned p = 0; p < st->t->nr_pus; p++)
		if (st->t->pus[p].node == node && !st->hk[p] && core_ok(st, vm, st->t->pus[p].core))
			return true;
	return false;
}

static bool mem_fits(const struct pstate *st, unsigned node, uint64_t bytes)
{
	uint64_t have = st->t->nodes[node].mem_bytes;

	return !bytes || !have ||
	       (st->mem_used[node] <= have && have - st->mem_used[node] >= bytes);
}

/* Smallest distance from node n to any node in mask (index mask); 0 if mask is empty. */
static unsigned dist_to(const struct topology *t, unsigned n, uint64_t mask)
{
	unsigned best = ~0u;

	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (mask & (1ULL << i))
			best = MIN(best, topo_distance(t, n, i));
	return best == ~0u ? 0 : best;
}

/*
 * The best node for `need` threads and `mem` bytes among usable ones not in `exclude`, near
 * `near` (index mask): one that fits first, then nearest, then most free CPUs, then lowest.
 */
static int pick_node(const struct pstate *st, unsigned vm, unsigned need, uint64_t mem,
		     uint64_t near, uint64_t exclude)
{
	int best = -1, best_cap = 0;
	bool best_fits = false;
	unsigned best_dist = 0;

	for (unsigned n = 0; n < st->t->nr_nodes; n++) {
		int cap;
		bool fits;
		unsigned d;

		if ((exclude & (1ULL << n)) || !node_usable(st, vm, n))
			continue;
		cap = node_capacity(st, vm, n);
		fits = cap >= (int)need && mem_fits(st, n, mem);
		d = dist_to(st->t, n, near);
		if (best < 0 || (fits && !best_fits) ||
		    (fits == best_fits && (d < best_dist || (d == best_dist && cap > best_cap)))) {
			best = (int)n;
			best_fits = fits;
			best_dist = d;
			best_cap = cap;
		}
	}
	return best;
}

static uint64_t gnode_mem(const struct place_vm_req *v, unsigned g)
{
	bool any = false;

	for (unsigned i = 0; i < v->nr_gnodes; i++)
		any |= v->gnode[i].mem_bytes != 0;
	return any ? v->gnode[g].mem_bytes : v->mem_bytes / v->nr_gnodes;
}

static bool floating(enum place_policy p)
{
	return p == PLACE_NONE || p == PLACE_NUMA;
}

/* Guest NUMA nodes to host nodes: distinct, near each other, with room. */
static int map_gnodes(struct pstate *st, unsigned vm)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	struct vm_state *vs = &st->vms[vm];
	uint64_t used = 0;
	unsigned nused = 0, order[PLACE_MAX_GNODES];
	bool shared = false;

	if (vs->gnodes_mapped || !v->nr_gnodes)
		return 0;
	vs->gnodes_mapped = true;
	for (unsigned g = 0; g < v->nr_gnodes; g++) {
		unsigned need = (unsigned)CPU_COUNT(&v->gnode[g].vcpus);
		int n;

		if (v->gnode[g].host_node >= 0) {
			n = topo_node_index(st->t, (unsigned)v->gnode[g].host_node);
		} else if (v->cls[PLACE_VCPU].policy == PLACE_EXPLICIT) {
			/* Where its first vCPU was put. */
			const struct place_thread *th = place_plan_find(
				st->plan, vm, PLACE_VCPU, first_cpu(&v->gnode[g].vcpus));

			n = (int)st->t->pus[topo_pu_index(st->t, first_cpu(&th->cpus))].node;
		} else {
			n = pick_node(st, vm, need, gnode_mem(v, g), used, used);
			if (n < 0 && nused) {
				n = (int)order[g % nused];
				shared = true;
			}
			if (n < 0)
				return errbuf_set(st->err, -EBUSY,
						  "%s: no host node has a CPU left for guest node "
						  "%u without sharing cores with other VMs",
						  vm_name(st, vm), g);
		}
		if (!(used & (1ULL << n)))
			order[nused++] = (unsigned)n;
		else
			shared = true;
		used |= 1ULL << n;
		vs->gnode_node[g] = n;
		st->mem_used[n] += gnode_mem(v, g);
		if (floating(v->cls[PLACE_VCPU].policy))
			st->float_demand[n] += (int)need;
	}
	if (shared)
		warn(st->plan, "%s: %u guest NUMA nodes share %u host node%s", vm_name(st, vm),
		     v->nr_gnodes, nused, nused == 1 ? "" : "s");
	return 0;
}

/* Which guest node an iothread belongs to (round robin), and a vCPU's. */
static int thread_gnode(const struct place_vm_req *v, const struct place_thread *th)
{
	if (!v->nr_gnodes)
		return -1;
	if (th->cls == PLACE_VCPU) {
		for (unsigned g = 0; g < v->nr_gnodes; g++)
			if (CPU_ISSET(th->index, &v->gnode[g].vcpus))
				return (int)g;
		return -1;
	}
	return th->cls == PLACE_IOTHREAD ? (int)(th->index % v->nr_gnodes) : 0;
}

/* Housekeeping: the first N CPUs in logical order, and their cores. */
static int place_housekeeping(struct pstate *st)
{
	const struct topology *t = st->t;
	unsigned n = st->req->housekeeping;
	char a[64], b[64];
	cpu_set_t rest;

	CPU_ZERO(&st->plan->housekeeping);
	if (n >= t->nr_pus)
		return errbuf_set(st->err, -EINVAL,
				  "%u housekeeping CPUs leave no CPU for VMs (the topology has %u)",
				  n, t->nr_pus);
	for (unsigned p = 0; p < n; p++) {
		st->hk[p] = true;
		st->owner[t->pus[p].core] = OWNER_HK;
		CPU_SET(t->pus[p].os_index, &st->plan->housekeeping);
	}
	if (!n || st->req->allow_smt_sharing)
		return 0;
	CPU_ZERO(&rest);
	for (unsigned p = n; p < t->nr_pus && t->pus[p].core == t->pus[n - 1].core; p++)
		CPU_SET(t->pus[p].os_index, &rest);
	if (CPU_COUNT(&rest))
		warn(st->plan,
		     "housekeeping CPU%s %s leave%s CPU %s on the same core unused by pinned "
		     "threads (use whole cores, or allow SMT sharing)",
		     n == 1 ? "" : "s", topo_format_cpulist(&st->plan->housekeeping, a, sizeof(a)),
		     n == 1 ? "s" : "", topo_format_cpulist(&rest, b, sizeof(b)));
	return 0;
}

/* Explicit lists: taken as given, checked against the SMT rule. */
static int place_explicit(struct pstate *st, unsigned vm, enum place_class c)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	const struct place_class_req *cr = &v->cls[c];
	struct place_vm_plan *vp = &st->plan->vms[vm];
	unsigned n = class_threads(v, c), list[CPU_SETSIZE], nlist = 0;
	char lbl[24];

	if (cr->policy != PLACE_EXPLICIT || !n)
		return 0;
	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &cr->cpu_sets[0]))
			list[nlist++] = cpu;
	if (cr->nr_cpu_sets == 1 && nlist < n)
		warn(st->plan, "%s: %u %ss on %u explicit CPUs (overcommit)", vm_name(st, vm), n,
		     class_label(c), nlist);
	for (unsigned i = 0; i < vp->nr_threads; i++) {
		struct place_thread *th = &st->plan->threads[vp->first_thread + i];
		cpu_set_t one;
		const cpu_set_t *set = &one;

		if (th->cls != c)
			continue;
		if (cr->nr_cpu_sets == 1) {
			CPU_ZERO(&one);
			CPU_SET(list[th->index % nlist], &one);
		} else {
			set = &cr->cpu_sets[th->index];
		}
		for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			unsigned pu, core;

			if (!CPU_ISSET(cpu, set))
				continue;
			pu = (unsigned)topo_pu_index(st->t, cpu);
			core = st->t->pus[pu].core;
			if (st->owner[core] >= 0 && st->owner[core] != (int)vm &&
			    !st->req->allow_smt_sharing)
				return errbuf_set(st->err, -EBUSY,
						  "%s %s: CPU %u is on a core pinned to %s "
						  "(SMT sharing between VMs is not allowed)",
						  vm_name(st, vm),
						  thread_label(th, lbl, sizeof(lbl)), cpu,
						  vm_name(st, (unsigned)st->owner[core]));
			if (st->owner[core] == OWNER_HK && !st->hk[pu] && c != PLACE_MAIN &&
			    !st->req->allow_smt_sharing && !st->hk_warned) {
				st->hk_warned = true;
				warn(st->plan,
				     "%s %s: CPU %u shares a core with a housekeeping CPU",
				     vm_name(st, vm), thread_label(th, lbl, sizeof(lbl)), cpu);
			}
			claim_core(st, vm, core);
			if (CPU_COUNT(set) == 1) {
				st->load[pu]++;
				st->vms[vm].home |= 1ULL << st->t->pus[pu].node;
			}
		}
		if (CPU_COUNT(set) == 1)
			set_single(st, th, (unsigned)topo_pu_index(st->t, first_cpu(set)));
		else
			set_float(st, th, set);
	}
	return 0;
}

/* Compact and scatter: one CPU per thread, in the policy's order of preference. */

struct cand {
	unsigned pu;
	uint64_t key;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void compact_keys(struct pstate *st, unsigned vm, struct cand *cand, unsigned m, unsigned n)
{
	const struct topology *t = st->t;
	uint64_t home = st->vms[vm].home;
	unsigned base[TOPO_MAX_NODES], pos[TOPO_MAX_NODES];
	int cap[TOPO_MAX_NODES];
	unsigned nn = t->nr_nodes, start;
	int s = -1;

	/* Nodes by distance from the VM's other pinned threads (none yet: in order). */
	for (unsigned i = 0; i < nn; i++) {
		base[i] = i;
		cap[i] = -st->float_demand[i];
	}
	for (unsigned i = 1; i < nn; i++)
		for (unsigned j = i;
		     j > 0 && dist_to(t, base[j], home) < dist_to(t, base[j - 1], home); j--) {
			unsigned x = base[j];

			base[j] = base[j - 1];
			base[j - 1] = x;
		}
	for (unsigned j = 0; j < m; j++) {
		const struct topo_pu *pu = &t->pus[cand[j].pu];

		if (st->load[cand[j].pu] == 0 && !core_foreign(st, vm, pu->core))
			cap[pu->node]++;
	}
	/* Start in the first node where the whole group fits, else the first with room. */
	for (unsigned i = 0; i < nn && s < 0; i++)
		if (cap[base[i]] >= (int)n)
			s = (int)base[i];
	for (unsigned i = 0; i < nn && s < 0; i++)
		if (cap[base[i]] > 0)
			s = (int)base[i];
	start = s < 0 ? base[0] : (unsigned)s;
	/* Then the nodes nearest to it (same package first with SLIT-like distances). */
	for (unsigned i = 0; i < nn; i++) {
		unsigned before = 0;

		for (unsigned j = 0; j < nn; j++) {
			unsigned dj = topo_distance(t, start, base[j]);
			unsigned di = topo_distance(t, start, base[i]);

			if (base[j] == start)
				dj = 0;
			if (base[i] == start)
				di = 0;
			if (dj < di || (dj == di && j < i))
				before++;
		}
		pos[base[i]] = before;
	}
	for (unsigned j = 0; j < m; j++) {
		const struct topo_pu *pu = &t->pus[cand[j].pu];
		uint64_t penalty = core_foreign(st, vm, pu->core);

		cand[j].key = penalty << 40 | (uint64_t)pos[pu->node] << 24 | cand[j].pu;
	}
}

static void scatter_keys(struct pstate *st, unsigned vm, struct cand *cand, unsigned m)
{
	const struct topology *t = st->t;
	unsigned node_rank[TOPO_MAX_NODES], next_core[TOPO_MAX_NODES] = { 0 };
	unsigned cur_core = ~0u, free_rank = 0, busy = 0, core_rank = 0;

	/* Rank of each node inside its package. */
	for (unsigned i = 0; i < t->nr_nodes; i++) {
		node_rank[i] = 0;
		for (unsigned j = 0; j < i; j++)
			if (t->nodes[j].package == t->nodes[i].package)
				node_rank[i]++;
	}
	/* Candidates are in logical order, so a core's PUs are consecutive. */
	for (unsigned j = 0; j < m; j++) {
		unsigned p = cand[j].pu;
		const struct topo_pu *pu = &t->pus[p];
		uint64_t level, penalty = core_foreign(st, vm, pu->core);

		if (pu->core != cur_core) {
			const struct topo_core *c = &t->cores[pu->core];
			bool any_free = false;

			cur_core = pu->core;
			free_rank = 0;
			busy = 0;
			for (unsigned k = 0; k < c->nr_pus; k++)
				busy += st->load[c->first_pu + k] > 0;
			for (unsigned k = j; k < m && t->pus[cand[k].pu].core == cur_core; k++)
				any_free |= st->load[cand[k].pu] == 0;
			core_rank = any_free ? next_core[pu->node]++ : 0xfff;
		}
		level = busy + (st->load[p] == 0 ? free_rank++ : 0);
		cand[j].key = level << 50 | penalty << 49 | (uint64_t)core_rank << 36 |
			      (uint64_t)node_rank[pu->node] << 28 | (uint64_t)pu->package << 16 | p;
	}
}

/*
 * Place n threads of one class of vm (ths) with compact or scatter, on nodes in region (index
 * mask; 0: any allowed node).
 */
static int place_group(struct pstate *st, unsigned vm, enum place_class c, enum place_policy pol,
		       struct place_thread **ths, unsigned n, uint64_t region)
{
	const struct topology *t = st->t;
	struct cand *cand;
	unsigned m = 0, m_free = 0, over = 0;
	bool blocked = false;
	int ret = 0;

	if (!n)
		return 0;
	cand = calloc(t->nr_pus, sizeof(*cand));
	if (!cand)
		return errbuf_set(st->err, -ENOMEM, "placement: out of memory");
	for (unsigned p = 0; p < t->nr_pus; p++) {
		const struct topo_pu *pu = &t->pus[p];

		if (!pu_allowed(st, vm, c, p) || (region && !(region & (1ULL << pu->node))))
			continue;
		if (st->owner[pu->core] >= 0 && st->owner[pu->core] != (int)vm)
			blocked = true;
		if (!core_ok(st, vm, pu->core))
			continue;
		cand[m++].pu = p;
		m_free += st->load[p] == 0;
	}
	if (!m) {
		ret = blocked ?
			      errbuf_set(st->err, -EBUSY,
					 "%s: no CPU left for its %s %ss without sharing cores "
					 "with other VMs (allow SMT sharing, or use other nodes)",
					 vm_name(st, vm), place_policy_name(pol), class_label(c)) :
			      errbuf_set(st->err, -EINVAL,
					 "%s: no CPU for its %ss: housekeeping, host nodes and "
					 "CPU lists leave none",
					 vm_name(st, vm), class_label(c));
		goto out;
	}
	if (pol == PLACE_COMPACT)
		compact_keys(st, vm, cand, m, n);
	else
		scatter_keys(st, vm, cand, m);
	qsort(cand, m, sizeof(*cand), cmp_cand);
	for (unsigned i = 0; i < n; i++) {
		unsigned best = 0, p;

		for (unsigned j = 1; j < m; j++)
			if (st->load[cand[j].pu] < st->load[cand[best].pu])
				best = j;
		p = cand[best].pu;
		if (st->load[p]) {
			if (blocked && !st->req->allow_smt_sharing) {
				ret = errbuf_set(st->err, -EBUSY,
						 "%s: %u %s %ss do not fit on the %u CPUs left "
						 "without sharing cores with other VMs (allow SMT "
						 "sharing, or ask for fewer)",
						 vm_name(st, vm), n, place_policy_name(pol),
						 class_label(c), m_free);
				goto out;
			}
			over++;
		}
		set_single(st, ths[i], p);
		st->load[p]++;
		claim_core(st, vm, t->pus[p].core);
		st->vms[vm].home |= 1ULL << t->pus[p].node;
	}
	if (over)
		warn(st->plan, "%s: %u %s %ss on %u CPUs (overcommit: %u share a CPU)",
		     vm_name(st, vm), n, place_policy_name(pol), class_label(c), m_free, over);
out:
	free(cand);
	return ret;
}

/* Threads of class c of vm, optionally only those of guest node g (g < 0: all). */
static unsigned class_members(struct pstate *st, unsigned vm, enum place_class c, int g,
			      struct place_thread **out)
{
	const struct place_vm_plan *vp = &st->plan->vms[vm];
	unsigned n = 0;

	for (unsigned i = 0; i < vp->nr_threads; i++) {
		struct place_thread *th = &st->plan->threads[vp->first_thread + i];

		if (th->cls == c && (g < 0 || thread_gnode(&st->req->vms[vm], th) == g))
			out[n++] = th;
	}
	return n;
}

static int place_pinned(struct pstate *st, unsigned vm, struct place_thread **ths)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	int ret = 0;

	/* Guest nodes of VMs with pinned threads are mapped now; floating ones in their phase. */
	for (unsigned c = 0; c < PLACE_NR_CLASSES && !ret; c++)
		if (!floating(v->cls[c].policy))
			ret = map_gnodes(st, vm);
	for (unsigned c = 0; c < PLACE_NR_CLASSES && !ret; c++) {
		enum place_policy pol = v->cls[c].policy;

		if (pol != PLACE_COMPACT && pol != PLACE_SCATTER)
			continue;
		if (!v->nr_gnodes) {
			unsigned n = class_members(st, vm, c, -1, ths);

			ret = place_group(st, vm, c, pol, ths, n, 0);
			continue;
		}
		for (unsigned g = 0; g < v->nr_gnodes && !ret; g++) {
			unsigned n = class_members(st, vm, c, (int)g, ths);

			ret = place_group(st, vm, c, pol, ths, n,
					  1ULL << st->vms[vm].gnode_node[g]);
		}
	}
	/* Its memory goes where its pinned vCPUs are (guest nodes promised theirs already). */
	if (!ret && !v->nr_gnodes && !floating(v->cls[PLACE_VCPU].policy)) {
		uint64_t home = st->vms[vm].home;
		unsigned k = (unsigned)__builtin_popcountll(home);

		for (unsigned n = 0; n < st->t->nr_nodes && k; n++)
			if (home & (1ULL << n))
				st->mem_used[n] += v->mem_bytes / k;
	}
	return ret;
}

/* Floating: numa and none. */

static int choose_numa_home(struct pstate *st, unsigned vm)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	struct vm_state *vs = &st->vms[vm];
	unsigned need = 0, left;
	int first, total;
	uint64_t chosen;
	unsigned nchosen = 1;
	char list[64];

	if (vs->numa_home)
		return 0;
	if (v->cls[PLACE_VCPU].policy == PLACE_NUMA)
		need += v->vcpus;
	if (v->cls[PLACE_IOTHREAD].policy == PLACE_NUMA)
		need += v->iothreads;
	need = MAX(need, 1u);
	first = pick_node(st, vm, need, v->mem_bytes, 0, 0);
	if (first < 0)
		return errbuf_set(st->err, -EBUSY,
				  "%s: no NUMA node has a CPU left without sharing cores with "
				  "other VMs (allow SMT sharing, or use other nodes)",
				  vm_name(st, vm));
	chosen = 1ULL << first;
	total = MAX(node_capacity(st, vm, (unsigned)first), 0);
	while (total < (int)need) {
		int n = pick_node(st, vm, 1, 0, chosen, chosen);

		if (n < 0)
			break;
		chosen |= 1ULL << n;
		total += MAX(node_capacity(st, vm, (unsigned)n), 0);
		nchosen++;
	}
	/* Promise the threads and the memory to the chosen nodes. */
	left = need;
	for (unsigned n = 0; n < st->t->nr_nodes; n++) {
		int take;

		if (!(chosen & (1ULL << n)))
			continue;
		take = MIN((int)left, MAX(node_capacity(st, vm, n), 0));
		st->float_demand[n] += take;
		left -= (unsigned)take;
		st->mem_used[n] += v->mem_bytes / nchosen;
	}
	st->float_demand[first] += (int)left;
	vs->numa_home = chosen;
	if (nchosen > 1) {
		uint64_t os = 0;

		for (unsigned n = 0; n < st->t->nr_nodes; n++)
			if (chosen & (1ULL << n))
				os |= 1ULL << st->t->nodes[n].os_index;
		warn(st->plan,
		     "%s: %u numa threads do not fit in one node; they float over nodes %s",
		     vm_name(st, vm), need, topo_format_nodelist(os, list, sizeof(list)));
	}
	return 0;
}

/* CPUs of a floating thread. Returns -EBUSY/-EINVAL with a message if there are none. */
static int float_set(struct pstate *st, unsigned vm, struct place_thread *th, cpu_set_t *out)
{
	const struct topology *t = st->t;
	const struct place_vm_req *v = &st->req->vms[vm];
	const struct place_class_req *cr = &v->cls[th->cls];
	uint64_t nodes = ~0ULL;
	bool blocked = false;
	cpu_set_t hk;
	char lbl[24];
	int ret;

	CPU_ZERO(out);
	CPU_ZERO(&hk);
	if (th->policy == PLACE_NUMA) {
		if (v->nr_gnodes) {
			nodes = 1ULL << st->vms[vm].gnode_node[thread_gnode(v, th)];
		} else if (st->vms[vm].home) {
			nodes = st->vms[vm].home;
		} else {
			ret = choose_numa_home(st, vm);
			if (ret)
				return ret;
			nodes = st->vms[vm].numa_home;
		}
	}
	if (th->cls == PLACE_MAIN && th->policy == PLACE_NONE && cr->nr_cpu_sets == 1) {
		*out = cr->cpu_sets[0];
		return 0;
	}
	for (unsigned p = 0; p < t->nr_pus; p++) {
		const struct topo_pu *pu = &t->pus[p];

		if (!(nodes & (1ULL << pu->node)))
			continue;
		if (st->hk[p] && node_allowed(st, vm, pu->node))
			CPU_SET(pu->os_index, &hk);
		if (!pu_allowed(st, vm, th->cls, p))
			continue;
		if (!core_ok(st, vm, pu->core)) {
			blocked = true;
			continue;
		}
		CPU_SET(pu->os_index, out);
	}
	/* The main thread floats over the housekeeping CPUs when there are some. */
	if (th->cls == PLACE_MAIN && CPU_COUNT(&hk) && cr->nr_cpu_sets == 0)
		*out = hk;
	if (CPU_COUNT(out))
		return 0;
	if (blocked)
		return errbuf_set(st->err, -EBUSY,
				  "%s %s: no CPU left to float on without sharing cores with other "
				  "VMs (allow SMT sharing, or use other nodes)",
				  vm_name(st, vm), thread_label(th, lbl, sizeof(lbl)));
	return errbuf_set(st->err, -EINVAL,
			  "%s %s: no CPU to float on: housekeeping, host nodes and CPU lists "
			  "leave none",
			  vm_name(st, vm), thread_label(th, lbl, sizeof(lbl)));
}

static int place_floating(struct pstate *st, unsigned vm)
{
	const struct place_vm_req *v = &st->req->vms[vm];
	const struct place_vm_plan *vp = &st->plan->vms[vm];
	/* Threads and CPUs per (class, guest node + 1), for the overcommit warning. */
	unsigned count[PLACE_NR_CLASSES][PLACE_MAX_GNODES + 1] = { { 0 } };
	unsigned width[PLACE_NR_CLASSES][PLACE_MAX_GNODES + 1] = { { 0 } };
	int ret = map_gnodes(st, vm);

	if (ret)
		return ret;
	for (unsigned i = 0; i < vp->nr_threads; i++) {
		struct place_thread *th = &st->plan->threads[vp->first_thread + i];
		cpu_set_t set;
		unsigned k;

		if (!floating(th->policy))
			continue;
		ret = float_set(st, vm, th, &set);
		if (ret)
			return ret;
		set_float(st, th, &set);
		k = (unsigned)(th->policy == PLACE_NUMA ? thread_gnode(v, th) + 1 : 0);
		count[th->cls][k]++;
		width[th->cls][k] = (unsigned)CPU_COUNT(&set);
	}
	for (unsigned c = 0; c < PLACE_MAIN; c++)
		for (unsigned k = 0; k <= PLACE_MAX_GNODES; k++)
			if (count[c][k] > width[c][k])
				warn(st->plan, "%s: %u floating %ss over %u CPUs (overcommit)",
				     vm_name(st, vm), count[c][k], class_label(c), width[c][k]);
	return 0;
}

/* Memory nodes and the warnings about memory. */
static void place_memory(struct pstate *st, unsigned vm)
{
	const struct topology *t = st->t;
	const struct place_vm_req *v = &st->req->vms[vm];
	struct place_vm_plan *vp = &st->plan->vms[vm];
	enum place_policy pol = v->cls[PLACE_VCPU].policy;
	uint64_t mem = 0;
	char a[32], b[32], list[64];

	vp->nr_gnodes = v->nr_gnodes;
	if (v->nr_gnodes) {
		for (unsigned g = 0; g < v->nr_gnodes; g++) {
			const struct topo_node *n = &t->nodes[st->vms[vm].gnode_node[g]];

			vp->gnode_host[g] = (int)n->os_index;
			vp->gnode_mem_bytes[g] = gnode_mem(v, g);
			vp->mem_nodes |= 1ULL << n->os_index;
			if (n->mem_bytes && vp->gnode_mem_bytes[g] > n->mem_bytes)
				warn(st->plan,
				     "%s: guest node %u has %s of memory, host node %u %s",
				     vm_name(st, vm), g,
				     fmt_size(vp->gnode_mem_bytes[g], a, sizeof(a)), n->os_index,
				     fmt_size(n->mem_bytes, b, sizeof(b)));
		}
		return;
	}
	/* Where the vCPUs are; floating everywhere: the VM's nodes if it has some, else none. */
	if (pol == PLACE_NUMA) {
		for (unsigned n = 0; n < t->nr_nodes; n++)
			if ((st->vms[vm].numa_home | st->vms[vm].home) & (1ULL << n))
				vp->mem_nodes |= 1ULL << t->nodes[n].os_index;
	} else if (pol != PLACE_NONE) {
		for (unsigned i = 0; i < vp->nr_threads; i++) {
			const struct place_thread *th = &st->plan->threads[vp->first_thread + i];

			if (th->cls == PLACE_VCPU)
				vp->mem_nodes |= th->nodes;
		}
	} else {
		vp->mem_nodes = v->host_nodes;
	}
	if (!v->mem_bytes || !vp->mem_nodes)
		return;
	for (unsigned n = 0; n < t->nr_nodes; n++) {
		if (!(vp->mem_nodes & (1ULL << t->nodes[n].os_index)))
			continue;
		if (!t->nodes[n].mem_bytes)
			return; /* unknown: nothing to say */
		mem += t->nodes[n].mem_bytes;
	}
	if (v->mem_bytes > mem)
		warn(st->plan, "%s: %s of memory on node%s %s, which ha%s %s", vm_name(st, vm),
		     fmt_size(v->mem_bytes, a, sizeof(a)),
		     __builtin_popcountll(vp->mem_nodes) == 1 ? "" : "s",
		     topo_format_nodelist(vp->mem_nodes, list, sizeof(list)),
		     __builtin_popcountll(vp->mem_nodes) == 1 ? "s" : "ve",
		     fmt_size(mem, b, sizeof(b)));
}

static int plan_alloc(struct pstate *st)
{
	const struct place_request *req = st->req;
	struct place_plan *plan = st->plan;
	unsigned n = 0;

	for (unsigned v = 0; v < req->nr_vms; v++)
		n += req->vms[v].vcpus + req->vms[v].iothreads + 1;
	plan->threads = calloc(n, sizeof(*plan->threads));
	plan->vms = calloc(req->nr_vms, sizeof(*plan->vms));
	st->load = calloc(st->t->nr_pus, sizeof(*st->load));
	st->owner = calloc(st->t->nr_cores, sizeof(*st->owner));
	st->hk = calloc(st->t->nr_pus, sizeof(*st->hk));
	st->float_demand = calloc(st->t->nr_nodes, sizeof(*st->float_demand));
	st->mem_used = calloc(st->t->nr_nodes, sizeof(*st->mem_used));
	st->vms = calloc(req->nr_vms, sizeof(*st->vms));
	st->shared_warned = calloc((size_t)req->nr_vms * req->nr_vms, sizeof(*st->shared_warned));
	if (!plan->threads || !plan->vms || !st->load || !st->owner || !st->hk ||
	    !st->float_demand || !st->mem_used || !st->vms || !st->shared_warned)
		return errbuf_set(st->err, -ENOMEM, "placement: out of memory");
	for (unsigned c = 0; c < st->t->nr_cores; c++)
		st->owner[c] = OWNER_FREE;
	plan->nr_vms = req->nr_vms;
	for (unsigned v = 0; v < req->nr_vms; v++) {
		const struct place_vm_req *vr = &req->vms[v];
		struct place_vm_plan *vp = &plan->vms[v];

		if (vr->name)
			snprintf(vp->name, sizeof(vp->name), "%s", vr->name);
		else
			snprintf(vp->name, sizeof(vp->name), "vm%u", v);
		vp->first_thread = plan->nr_threads;
		for (unsigned c = 0; c < PLACE_NR_CLASSES; c++)
			for (unsigned i = 0; i < class_threads(vr, c); i++) {
				struct place_thread *th = &plan->threads[plan->nr_threads++];

				th->vm = v;
				th->cls = c;
				th->index = i;
				th->policy = vr->cls[c].policy;
				th->gnode = c == PLACE_VCPU ? thread_gnode(vr, th) : -1;
			}
		vp->nr_threads = plan->nr_threads - vp->first_thread;
	}
	return 0;
}

int place_compute(const struct topology *t, const struct place_request *req,
		  struct place_plan *plan, struct errbuf *err)
{
	struct pstate st = { .t = t, .req = req, .plan = plan, .err = err };
	struct place_thread **ths = NULL;
	unsigned total = 0;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!req->nr_vms || !req->vms)
		return errbuf_set(err, -EINVAL, "placement: no VM to place");
	if (req->nr_vms > PLACE_MAX_VMS)
		return errbuf_set(err, -EINVAL, "placement: %u VMs (at most %u)", req->nr_vms,
				  PLACE_MAX_VMS);
	for (unsigned v = 0; v < req->nr_vms; v++)
		if (req->vms[v].vcpus > PLACE_MAX_VCPUS ||
		    req->vms[v].iothreads > PLACE_MAX_IOTHREADS)
			return errbuf_set(err, -EINVAL, "vm%u: too many threads", v);
	ret = plan_alloc(&st);
	if (ret)
		goto out;
	ret = place_housekeeping(&st);
	for (unsigned v = 0; v < req->nr_vms && !ret; v++)
		ret = validate_vm(&st, v);
	ths = calloc(PLACE_MAX_VCPUS, sizeof(*ths));
	if (!ret && !ths)
		ret = errbuf_set(err, -ENOMEM, "placement: out of memory");
	for (unsigned v = 0; v < req->nr_vms && !ret; v++)
		for (unsigned c = 0; c < PLACE_NR_CLASSES && !ret; c++)
			ret = place_explicit(&st, v, c);
	for (unsigned v = 0; v < req->nr_vms && !ret; v++)
		ret = place_pinned(&st, v, ths);
	for (unsigned v = 0; v < req->nr_vms && !ret; v++)
		ret = place_floating(&st, v);
	for (unsigned v = 0; v < req->nr_vms && !ret; v++) {
		place_memory(&st, v);
		total += req->vms[v].vcpus + req->vms[v].iothreads;
	}
	if (!ret && total > t->nr_pus - req->housekeeping)
		warn(plan, "overcommit: %u vCPUs and iothreads on %u CPUs", total,
		     t->nr_pus - req->housekeeping);
out:
	free(ths);
	free(st.load);
	free(st.owner);
	free(st.hk);
	free(st.float_demand);
	free(st.mem_used);
	free(st.vms);
	free(st.shared_warned);
	if (ret)
		place_plan_free(plan);
	return ret;
}

void place_plan_free(struct place_plan *plan)
{
	free(plan->threads);
	free(plan->vms);
	memset(plan, 0, sizeof(*plan));
}

const struct place_thread *place_plan_find(const struct place_plan *plan, unsigned vm,
					   enum place_class cls, unsigned index)
{
	const struct place_vm_plan *vp;

	if (vm >= plan->nr_vms)
		return NULL;
	vp = &plan->vms[vm];
	for (unsigned i = 0; i < vp->nr_threads; i++) {
		const struct place_thread *th = &plan->threads[vp->first_thread + i];

		if (th->cls == cls && th->index == index)
			return th;
	}
	return NULL;
}

void place_to_thread(const struct place_thread *th, struct thread_placement *out)
{
	memset(out, 0, sizeof(*out));
	out->policy = SCHED_OTHER;
	out->has_cpus = CPU_COUNT(&th->cpus) > 0;
	out->cpus = th->cpus;
}
