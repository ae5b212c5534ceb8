/* plan.c - `strand plan`: parse VM placement requests, plan them, print a table or JSON. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/plan.h"
#include "sched/place.h"
#include "sched/topology.h"
#include "util/cliopt.h"
#include "util/log.h"
#include "util/parse.h"

void plan_usage(FILE *f)
{
	fprintf(f,
		"usage: strand plan [--topology SPEC] [--housekeeping N] [--allow-smt-sharing]\n"
		"                   [--json] --vm SPEC [--vm SPEC ...]\n"
		"\n"
		"Computes where each thread of each VM would run (vCPUs, iothreads, the main\n"
		"thread) and which host nodes hold its memory, without running anything.\n"
		"Without --vm, describes the topology.\n"
		"\n"
		"  --topology SPEC      host (default), synthetic:DESC in hwloc's syntax, e.g.\n"
		"                       synthetic:\"pack:2 node:2 core:8 pu:2\", or xml:FILE as\n"
		"                       written by `lstopo FILE.xml` on another host\n"
		"  --housekeeping N     keep the first N CPUs for main threads and the host\n"
		"  --allow-smt-sharing  let VMs share the SMT siblings of a core\n"
		"  --json               print the plan as JSON\n"
		"  --help               this text\n"
		"  --vm SPEC            one VM; SPEC is VCPUS[,key=value...]:\n"
		"      vcpus=N          vCPU threads (the leading number)\n"
		"      iothreads=N      iothreads (default 0)\n"
		"      memory=SIZE      guest RAM, checked against node sizes (e.g. 16G)\n"
		"      name=NAME        the VM's name in the plan (default vm0, vm1, ...)\n"
		"      policy=P         policy of vCPUs and iothreads: none (default), compact,\n"
		"                       scatter, numa or explicit\n"
		"      vcpu-policy=P, io-policy=P, main-policy=P   one class only (the main\n"
		"                       thread defaults to none: the housekeeping CPUs)\n"
		"      nodes=LIST       host NUMA nodes the VM may use\n"
		"      vcpu-cpus=LIST, io-cpus=LIST, main-cpus=LIST   explicit CPUs: one CPU per\n"
		"                       thread in order, or LIST:LIST:... one list per thread;\n"
		"                       with another policy, the CPUs it may choose from\n"
		"      guest-nodes=N    N guest NUMA nodes, vCPUs split evenly in order, or\n"
		"      guest-nodes=VCPUS[@NODE]:VCPUS[@NODE]:...  the vCPUs of each guest node,\n"
		"                       optionally on host node NODE\n"
		"    Lists use the kernel's syntax with '+' (or ',,') between elements inside\n"
		"    SPEC: 0-3+8-11.\n"
		"\n"
		"Policies: none floats over all allowed CPUs but the housekeeping ones; compact\n"
		"fills a core's SMT siblings, then the next core, in the first node that fits;\n"
		"scatter spreads over packages, then nodes, one thread per core first; numa\n"
		"floats over the node with the most free CPUs (or, with guest nodes, each guest\n"
		"node's host node). Pinned threads of different VMs never share a core's SMT\n"
		"siblings unless --allow-smt-sharing.\n"
		"\n"
		"Example: strand plan --topology synthetic:\"pack:2 node:2 core:8 pu:2\" \\\n"
		"           --housekeeping 2 --vm 8,iothreads=2,policy=compact --vm 4,policy=scatter\n"
		"Exit status: 0 planned, 2 bad input or impossible plan, 4 topology unreadable.\n");
}

struct vm_spec {
	struct place_vm_req req;
	char name[32];
	cpu_set_t *sets[PLACE_NR_CLASSES];
};

static const char *const class_keys[PLACE_NR_CLASSES] = { "vcpu", "io", "main" };

/* "LIST" or "LIST:LIST:..." into a new array of sets. */
static int parse_sets(const char *key, const char *v, cpu_set_t **out, unsigned *n,
		      struct errbuf *err)
{
	char *copy = strdup(v), *save = NULL, *tok;
	unsigned cnt = 1;
	int ret = 0;

	if (!copy)
		return errbuf_set(err, -ENOMEM, "out of memory");
	for (const char *p = v; *p; p++)
		cnt += *p == ':';
	*out = calloc(cnt, sizeof(**out));
	*n = 0;
	if (!*out) {
		free(copy);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (topo_parse_cpulist(tok, &(*out)[*n])) {
			ret = errbuf_set(err, -EINVAL,
					 "--vm: %s=%s: '%s' is not a CPU list (e.g. 0-3+8)", key, v,
					 tok);
			break;
		}
		(*n)++;
	}
	if (!ret && *n != cnt)
		ret = errbuf_set(err, -EINVAL, "--vm: %s=%s: empty CPU list", key, v);
	free(copy);
	return ret;
}

static int parse_gnodes(const char *v, struct place_vm_req *r, struct errbuf *err)
{
	char *copy, *save = NULL, *tok;
	uint32_t n;
	int ret = 0;

	if (parse_u32(v, &n) == 0) {
		if (n == 0 || n > PLACE_MAX_GNODES || n > r->vcpus)
			return errbuf_set(err, -EINVAL,
					  "--vm: guest-nodes=%s: 1 to %u guest nodes, at most one "
					  "per vCPU",
					  v, PLACE_MAX_GNODES);
		r->nr_gnodes = n;
		for (unsigned i = 0; i < r->vcpus; i++)
			CPU_SET(i, &r->gnode[(uint64_t)i * n / r->vcpus].vcpus);
		return 0;
	}
	copy = strdup(v);
	if (!copy)
		return errbuf_set(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *at = strchr(tok, '@');
		struct place_gnode *g;
		uint32_t node;

		if (r->nr_gnodes == PLACE_MAX_GNODES) {
			ret = errbuf_set(err, -EINVAL,
					 "--vm: guest-nodes: more than %u guest nodes",
					 PLACE_MAX_GNODES);
			break;
		}
		g = &r->gnode[r->nr_gnodes++];
		if (at) {
			*at = 0;
			if (parse_u32(at + 1, &node) || node >= TOPO_MAX_NODES) {
				ret = errbuf_set(err, -EINVAL,
						 "--vm: guest-nodes=%s: '%s' is not a host node", v,
						 at + 1);
				break;
			}
			g->host_node = (int)node;
		}
		if (topo_parse_cpulist(tok, &g->vcpus)) {
			ret = errbuf_set(err, -EINVAL,
					 "--vm: guest-nodes=%s: '%s' is not a vCPU list (e.g. "
					 "0-3:4-7@1)",
					 v, tok);
			break;
		}
	}
	free(copy);
	return ret;
}

static int parse_vm(const char *s, unsigned idx, struct vm_spec *vs, struct errbuf *err)
{
	struct opts o;
	const char *v, *unused;
	enum place_policy common = PLACE_NONE;
	bool has_common = false;
	uint32_t n;
	int ret = -EINVAL;

	memset(vs, 0, sizeof(*vs));
	place_vm_req_init(&vs->req, 0, 0);
	snprintf(vs->name, sizeof(vs->name), "vm%u", idx);
	vs->req.name = vs->name;
	if (opts_parse(&o, s, "vcpus"))
		return errbuf_set(err, -EINVAL, "--vm: cannot parse '%s'", s);
	v = opts_get(&o, "vcpus");
	if (!v || parse_u32(v, &n) || n == 0 || n > PLACE_MAX_VCPUS) {
		errbuf_set(err, ret, "--vm: '%s' is not a vCPU count (1 to %u)", v ? v : s,
			   PLACE_MAX_VCPUS);
		goto out;
	}
	vs->req.vcpus = n;
	v = opts_get(&o, "iothreads");
	if (v && (parse_u32(v, &n) || n > PLACE_MAX_IOTHREADS)) {
		errbuf_set(err, ret, "--vm: iothreads=%s: expected 0 to %u", v,
			   PLACE_MAX_IOTHREADS);
		goto out;
	}
	vs->req.iothreads = v ? n : 0;
	v = opts_get(&o, "memory");
	if (v && (parse_size(v, MiB, &vs->req.mem_bytes) || !vs->req.mem_bytes)) {
		errbuf_set(err, ret, "--vm: memory=%s is not a size (e.g. 16G)", v);
		goto out;
	}
	v = opts_get(&o, "name");
	if (v) {
		if (!*v || strlen(v) >= sizeof(vs->name)) {
			errbuf_set(err, ret, "--vm: name=%s: 1 to %zu characters", v,
				   sizeof(vs->name) - 1);
			goto out;
		}
		snprintf(vs->name, sizeof(vs->name), "%s", v);
	}
	v = opts_get(&o, "nodes");
	if (v && topo_parse_nodelist(v, &vs->req.host_nodes)) {
		errbuf_set(err, ret, "--vm: nodes=%s is not a node list (e.g. 0+2, 0-1)", v);
		goto out;
	}
	v = opts_get(&o, "policy");
	if (v) {
		if (place_policy_parse(v, &common)) {
			errbuf_set(
				err, ret,
				"--vm: policy=%s: expected none, compact, scatter, numa or explicit",
				v);
			goto out;
		}
		has_common = true;
	}
	for (unsigned c = 0; c < PLACE_NR_CLASSES; c++) {
		struct place_class_req *cr = &vs->req.cls[c];
		char key[24];
		const char *pv, *cv;

		snprintf(key, sizeof(key), "%s-policy", class_keys[c]);
		pv = opts_get(&o, key);
		snprintf(key, sizeof(key), "%s-cpus", class_keys[c]);
		cv = opts_get(&o, key);
		if (cv) {
			ret = parse_sets(key, cv, &vs->sets[c], &cr->nr_cpu_sets, err);
			if (ret)
				goto out;
			ret = -EINVAL;
			cr->cpu_sets = vs->sets[c];
		}
		if (pv) {
			if (place_policy_parse(pv, &cr->policy)) {
				errbuf_set(
					err, ret,
					"--vm: %s-policy=%s: expected none, compact, scatter, numa "
					"or explicit",
					class_keys[c], pv);
				goto out;
			}
		} else if (cv && !(has_common && c != PLACE_MAIN)) {
			cr->policy = PLACE_EXPLICIT; /* a list alone pins */
		} else if (c != PLACE_MAIN) {
			cr->policy = common;
		}
	}
	v = opts_get(&o, "guest-nodes");
	if (v) {
		ret = parse_gnodes(v, &vs->req, err);
		if (ret)
			goto out;
		ret = -EINVAL;
	}
	unused = opts_unused(&o);
	if (unused) {
		errbuf_set(err, ret,
			   "--vm: unknown key '%s' (vcpus, iothreads, memory, name, policy, "
			   "vcpu-policy, io-policy, main-policy, nodes, vcpu-cpus, io-cpus, "
			   "main-cpus, guest-nodes)",
			   unused);
		goto out;
	}
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

static void vm_spec_free(struct vm_spec *vs)
{
	for (unsigned c = 0; c < PLACE_NR_CLASSES; c++)
		free(vs->sets[c]);
}

static const char *thread_name(const struct place_thread *th, char *buf, unsigned len)
{
	if (th->cls == PLACE_MAIN)
		snprintf(buf, len, "main");
	else
		snprintf(buf, len, "%s%u", th->cls == PLACE_VCPU ? "vcpu" : "io", th->index);
	return buf;
}

/* Logical indices of the cores (or packages) of a CPU set. */
static void objs_of(const struct topology *t, const cpu_set_t *cpus, bool *cores, bool *pkgs)
{
	memset(cores, 0, t->nr_cores * sizeof(*cores));
	memset(pkgs, 0, t->nr_packages * sizeof(*pkgs));
	for (unsigned p = 0; p < t->nr_pus; p++)
		if (CPU_ISSET(t->pus[p].os_index, cpus)) {
			cores[t->pus[p].core] = true;
			pkgs[t->pus[p].package] = true;
		}
}

static json_object *json_list(const bool *bits, unsigned n)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < n; i++)
		if (bits[i])
			json_object_array_add(a, json_object_new_int((int)i));
	return a;
}

static json_object *json_cpus(const cpu_set_t *set)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set))
			json_object_array_add(a, json_object_new_int((int)i));
	return a;
}

static json_object *json_nodes(uint64_t nodes)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < TOPO_MAX_NODES; i++)
		if (nodes & (1ULL << i))
			json_object_array_add(a, json_object_new_int((int)i));
	return a;
}

static json_object *json_topology(const struct topology *t)
{
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	json_object *dist = json_object_new_array();
	char list[1024];

	json_object_object_add(o, "source", json_object_new_string(t->source));
	json_object_object_add(o, "packages", json_object_new_int((int)t->nr_packages));
	json_object_object_add(o, "cores", json_object_new_int((int)t->nr_cores));
	json_object_object_add(o, "cpus", json_object_new_int((int)t->nr_pus));
	json_object_object_add(o, "smt", json_object_new_int((int)t->max_smt));
	for (unsigned n = 0; n < t->nr_nodes; n++) {
		json_object *no = json_object_new_object(), *row = json_object_new_array();
		cpu_set_t cpus;

		topo_node_cpus(t, n, &cpus);
		json_object_object_add(no, "node", json_object_new_int((int)t->nodes[n].os_index));
		json_object_object_add(
			no, "package",
			json_object_new_int((int)t->packages[t->nodes[n].package].os_index));
		json_object_object_add(
			no, "cpus",
			json_object_new_string(topo_format_cpulist(&cpus, list, sizeof(list))));
		json_object_object_add(no, "mem_bytes",
				       json_object_new_int64((int64_t)t->nodes[n].mem_bytes));
		json_object_array_add(nodes, no);
		for (unsigned m = 0; m < t->nr_nodes; m++)
			json_object_array_add(row,
					      json_object_new_int((int)topo_distance(t, n, m)));
		json_object_array_add(dist, row);
	}
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "distances", dist);
	json_object_object_add(o, "distances_derived",
			       json_object_new_boolean(t->distance_derived));
	return o;
}

static void print_json(const struct topology *t, const struct place_plan *plan, bool sharing)
{
	json_object *root = json_object_new_object();
	json_object *vms = json_object_new_array(), *warns = json_object_new_array();
	bool *cores = calloc(t->nr_cores, sizeof(*cores));
	bool *pkgs = calloc(t->nr_packages, sizeof(*pkgs));
	char list[1024];

	json_object_object_add(root, "topology", json_topology(t));
	if (plan) {
		json_object_object_add(root, "housekeeping", json_cpus(&plan->housekeeping));
		json_object_object_add(root, "allow_smt_sharing", json_object_new_boolean(sharing));
		for (unsigned v = 0; v < plan->nr_vms; v++) {
			const struct place_vm_plan *vp = &plan->vms[v];
			json_object *vo = json_object_new_object(), *ths = json_object_new_array();
			json_object *gn = json_object_new_array();

			json_object_object_add(vo, "name", json_object_new_string(vp->name));
			json_object_object_add(vo, "mem_nodes", json_nodes(vp->mem_nodes));
			for (unsigned g = 0; g < vp->nr_gnodes; g++) {
				json_object *go = json_object_new_object();

				json_object_object_add(go, "guest_node",
						       json_object_new_int((int)g));
				json_object_object_add(go, "host_node",
						       json_object_new_int(vp->gnode_host[g]));
				json_object_object_add(
					go, "mem_bytes",
					json_object_new_int64((int64_t)vp->gnode_mem_bytes[g]));
				json_object_array_add(gn, go);
			}
			json_object_object_add(vo, "guest_nodes", gn);
			for (unsigned i = 0; i < vp->nr_threads; i++) {
				const struct place_thread *th =
					&plan->threads[vp->first_thread + i];
				json_object *to = json_object_new_object();
				char name[24];

				objs_of(t, &th->cpus, cores, pkgs);
				json_object_object_add(to, "thread",
						       json_object_new_string(thread_name(
							       th, name, sizeof(name))));
				json_object_object_add(
					to, "class",
					json_object_new_string(place_class_name(th->cls)));
				json_object_object_add(to, "index",
						       json_object_new_int((int)th->index));
				json_object_object_add(
					to, "policy",
					json_object_new_string(place_policy_name(th->policy)));
				json_object_object_add(to, "pinned",
						       json_object_new_boolean(th->pinned));
				if (th->gnode >= 0)
					json_object_object_add(to, "guest_node",
							       json_object_new_int(th->gnode));
				json_object_object_add(to, "cpus", json_cpus(&th->cpus));
				json_object_object_add(to, "cpulist",
						       json_object_new_string(topo_format_cpulist(
							       &th->cpus, list, sizeof(list))));
				json_object_object_add(to, "cores", json_list(cores, t->nr_cores));
				json_object_object_add(to, "nodes", json_nodes(th->nodes));
				json_object_array_add(ths, to);
			}
			json_object_object_add(vo, "threads", ths);
			json_object_array_add(vms, vo);
		}
		for (unsigned i = 0; i < plan->nr_warnings; i++)
			json_object_array_add(warns, json_object_new_string(plan->warnings[i]));
		json_object_object_add(root, "vms", vms);
		json_object_object_add(root, "warnings", warns);
	} else {
		json_object_put(vms);
		json_object_put(warns);
	}
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	free(cores);
	free(pkgs);
}

static void print_topology(const struct topology *t)
{
	char buf[1024], sz[32];

	printf("topology  %s: %s\n", t->source, topo_summary(t, buf, sizeof(buf)));
	for (unsigned n = 0; n < t->nr_nodes; n++) {
		cpu_set_t cpus;

		topo_node_cpus(t, n, &cpus);
		printf("  node %-3u package %-3u %-9s CPUs %s\n", t->nodes[n].os_index,
		       t->packages[t->nodes[n].package].os_index,
		       t->nodes[n].mem_bytes ? fmt_size(t->nodes[n].mem_bytes, sz, sizeof(sz)) :
					       "?",
		       topo_format_cpulist(&cpus, buf, sizeof(buf)));
	}
	if (t->nr_nodes > 1) {
		printf("  distances%s:",
		       t->distance_derived ? " (assumed: none in the topology)" : "");
		for (unsigned n = 0; n < t->nr_nodes; n++) {
			printf("\n   ");
			for (unsigned m = 0; m < t->nr_nodes; m++)
				printf(" %3u", topo_distance(t, n, m));
		}
		printf("\n");
	}
}

static void print_table(const struct topology *t, const struct place_plan *plan)
{
	bool *cores = calloc(t->nr_cores, sizeof(*cores));
	bool *pkgs = calloc(t->nr_packages, sizeof(*pkgs));
	char a[1024], b[1024], c[256], name[24];

	print_topology(t);
	printf("housekeeping CPUs: %s\n\n",
	       CPU_COUNT(&plan->housekeeping) ?
		       topo_format_cpulist(&plan->housekeeping, a, sizeof(a)) :
		       "none");
	printf("%-10s %-8s %-9s %-14s %-12s %s\n", "VM", "THREAD", "POLICY", "CPUS", "CORES",
	       "NODES");
	for (unsigned i = 0; i < plan->nr_threads; i++) {
		const struct place_thread *th = &plan->threads[i];

		objs_of(t, &th->cpus, cores, pkgs);
		printf("%-10s %-8s %-9s %-14s %-12s %s\n", plan->vms[th->vm].name,
		       thread_name(th, name, sizeof(name)), place_policy_name(th->policy),
		       topo_format_cpulist(&th->cpus, a, sizeof(a)),
		       topo_format_list(cores, t->nr_cores, b, sizeof(b)),
		       topo_format_nodelist(th->nodes, c, sizeof(c)));
	}
	printf("\nmemory:\n");
	for (unsigned v = 0; v < plan->nr_vms; v++) {
		const struct place_vm_plan *vp = &plan->vms[v];

		if (vp->nr_gnodes) {
			printf("  %-10s", vp->name);
			for (unsigned g = 0; g < vp->nr_gnodes; g++)
				printf(" guest node %u -> host node %d%s", g, vp->gnode_host[g],
				       g + 1 < vp->nr_gnodes ? "," : "");
			printf("\n");
		} else if (vp->mem_nodes) {
			printf("  %-10s host node%s %s\n", vp->name,
			       __builtin_popcountll(vp->mem_nodes) > 1 ? "s" : "",
			       topo_format_nodelist(vp->mem_nodes, a, sizeof(a)));
		} else {
			printf("  %-10s not bound (kernel default: local to the faulting CPU)\n",
			       vp->name);
		}
	}
	for (unsigned i = 0; i < plan->nr_warnings; i++)
		printf("%s%s\n", i ? "         " : "\nwarning: ", plan->warnings[i]);
	free(cores);
	free(pkgs);
}

const struct option plan_options[] = {
	{ "topology", required_argument, NULL, 't' },
	{ "housekeeping", required_argument, NULL, 'k' },
	{ "allow-smt-sharing", no_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "vm", required_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int plan_main(int argc, char **argv)
{
	struct cliopt o;
	struct place_request req = { 0 };
	struct vm_spec *vms = NULL;
	struct place_vm_req *reqs = NULL;
	struct topology topo;
	struct place_plan plan;
	struct errbuf err = { "" };
	const char *spec = "host";
	bool json = false, loaded = false;
	unsigned nvms = 0;
	uint32_t hk;
	int c, ret, status = 2;

	cliopt_init(&o, "plan", argc, argv, "+", plan_options);
	vms = calloc(PLACE_MAX_VMS, sizeof(*vms));
	reqs = calloc(PLACE_MAX_VMS, sizeof(*reqs));
	if (!vms || !reqs) {
		log_error("plan: out of memory");
		status = 4;
		goto out;
	}
	while ((c = cliopt_next(&o, &err)) != -1) {
		switch (c) {
		case 't':
			spec = o.arg;
			break;
		case 'k':
			if (parse_u32(o.arg, &hk) || hk > CPU_SETSIZE) {
				log_error("plan: --housekeeping %s: expected a CPU count", o.arg);
				goto out;
			}
			req.housekeeping = hk;
			break;
		case 's':
			req.allow_smt_sharing = true;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			if (nvms == PLACE_MAX_VMS) {
				log_error("plan: more than %u VMs", PLACE_MAX_VMS);
				goto out;
			}
			if (parse_vm(o.arg, nvms, &vms[nvms], &err)) {
				vm_spec_free(&vms[nvms]);
				log_error("plan: %s", err.msg);
				goto out;
			}
			nvms++;
			break;
		case 'h':
			plan_usage(stdout);
			status = 0;
			goto out;
		default:
			log_error("%s (see strand plan --help)", err.msg);
			goto out;
		}
	}
	if (o.ind < argc) {
		log_error("plan: unexpected argument '%s' (see strand plan --help)", argv[o.ind]);
		goto out;
	}
	ret = topo_load(&topo, spec, &err);
	if (ret) {
		log_error("plan: %s", err.msg);
		status = ret == -ENOSYS || ret == -ENOMEM ? 4 : 2;
		goto out;
	}
	loaded = true;
	if (!nvms) {
		if (json)
			print_json(&topo, NULL, false);
		else
			print_topology(&topo);
		status = 0;
		goto out;
	}
	for (unsigned i = 0; i < nvms; i++)
		reqs[i] = vms[i].req;
	req.nr_vms = nvms;
	req.vms = reqs;
	ret = place_compute(&topo, &req, &plan, &err);
	if (ret) {
		log_error("plan: %s", err.msg);
		status = ret == -ENOMEM ? 4 : 2;
		goto out;
	}
	if (json)
		print_json(&topo, &plan, req.allow_smt_sharing);
	else
		print_table(&topo, &plan);
	place_plan_free(&plan);
	status = 0;
out:
	fflush(stdout);
	if (loaded)
		topo_destroy(&topo);
	for (unsigned i = 0; vms && i < nvms; i++)
		vm_spec_free(&vms[i]);
	free(vms);
	free(reqs);
	return status;
}
