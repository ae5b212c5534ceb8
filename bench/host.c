/* host.c - host description for benchmark documents. Main thread. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench/host.h"
#include "core/kvm.h"

unsigned host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static bool read_first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, size, "%s", colon);
		break;
	}
	fclose(f);
}

/* Packages and cores from sysfs: distinct package ids, distinct (package, core) pairs. */
static void topology(unsigned *packages, unsigned *cores, unsigned *nodes)
{
	unsigned pkg[4096], core[4096], n = 0;
	DIR *d;
	struct dirent *e;

	*packages = *cores = *nodes = 0;
	for (unsigned cpu = 0; cpu < 4096; cpu++) {
		char path[128], buf[32];
		unsigned p, c;
		bool seen = false;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
		if (!read_first_line(path, buf, sizeof(buf)))
			continue;
		p = (unsigned)strtoul(buf, NULL, 10);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/topology/core_id", cpu);
		c = read_first_line(path, buf, sizeof(buf)) ? (unsigned)strtoul(buf, NULL, 10) :
							      cpu;
		for (unsigned i = 0; i < n; i++)
			if (pkg[i] == p && core[i] == c)
				seen = true;
		if (!seen) {
			pkg[n] = p;
			core[n++] = c;
		}
	}
	*cores = n;
	for (unsigned i = 0; i < n; i++) {
		bool seen = false;

		for (unsigned k = 0; k < i; k++)
			if (pkg[k] == pkg[i])
				seen = true;
		if (!seen)
			(*packages)++;
	}
	d = opendir("/sys/devices/system/node");
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "node", 4) && e->d_name[4] >= '0' && e->d_name[4] <= '9')
			(*nodes)++;
	if (d)
		closedir(d);
	if (!*packages)
		*packages = 1;
	if (!*cores)
		*cores = host_cpus();
	if (!*nodes)
		*nodes = 1;
}

unsigned host_cores(void)
{
	unsigned packages, cores, nodes;

	topology(&packages, &cores, &nodes);
	return cores;
}

static const char *kvm_kind_key(enum kvm_kind k)
{
	switch (k) {
	case KVM_KIND_VMX:
		return "vmx";
	case KVM_KIND_SVM:
		return "svm";
	case KVM_KIND_PVM:
		return "pvm";
	default:
		return "unknown";
	}
}

json_object *host_json(void)
{
	json_object *o = json_object_new_object(), *kvm = json_object_new_object();
	unsigned packages, cores, nodes, cpus = host_cpus();
	enum kvm_kind kind = kvm_detect_kind();
	char buf[512], topo[160];
	struct utsname u;
	double load[3];
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	cpu_model(buf, sizeof(buf));
	json_object_object_add(o, "cpu_model", json_object_new_string(buf));
	json_object_object_add(o, "cpus_online", json_object_new_int((int)cpus));
	topology(&packages, &cores, &nodes);
	json_object_object_add(o, "packages", json_object_new_int((int)packages));
	json_object_object_add(o, "cores", json_object_new_int((int)cores));
	json_object_object_add(o, "threads_per_core",
			       json_object_new_int((int)(cores ? (cpus + cores - 1) / cores : 1)));
	json_object_object_add(o, "numa_nodes", json_object_new_int((int)nodes));
	snprintf(topo, sizeof(topo), "%u package%s x %u cores x %u thread%s, %u NUMA node%s",
		 packages, packages == 1 ? "" : "s", cores / (packages ? packages : 1),
		 cores ? (cpus + cores - 1) / cores : 1, cores && cpus > cores ? "s" : "", nodes,
		 nodes == 1 ? "" : "s");
	json_object_object_add(o, "topology", json_object_new_string(topo));
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.version);
		json_object_object_add(o, "kernel", json_object_new_string(buf));
		json_object_object_add(o, "machine", json_object_new_string(u.machine));
	}
	if (pages > 0 && psize > 0)
		json_object_object_add(
			o, "memory_mib",
			json_object_new_int64((int64_t)pages * psize / (1024 * 1024)));
	json_object_object_add(kvm, "kind", json_object_new_string(kvm_kind_key(kind)));
	json_object_object_add(
		kvm, "hardware",
		json_object_new_boolean(kind == KVM_KIND_VMX || kind == KVM_KIND_SVM));
	json_object_object_add(kvm, "description", json_object_new_string(kvm_kind_name(kind)));
	if (read_first_line("/sys/module/kvm/parameters/halt_poll_ns", buf, sizeof(buf)))
		json_object_object_add(kvm, "halt_poll_ns", json_object_new_string(buf));
	json_object_object_add(o, "kvm", kvm);
	if (getloadavg(load, 3) == 3) {
		json_object *l = json_object_new_array();

		for (int i = 0; i < 3; i++)
			json_object_array_add(l, json_object_new_double(load[i]));
		json_object_object_add(o, "load_average", l);
	}
	return o;
}

static const char *jstr(json_object *o, const char *k, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : dflt;
}

void host_summary(json_object *host, char *buf, size_t len)
{
	json_object *kvm = NULL;
	char kernel[64];

	snprintf(kernel, sizeof(kernel), "%s", jstr(host, "kernel", "?"));
	/* "Linux 6.1.0-13-amd64 #1 SMP ..." -> "Linux 6.1.0-13-amd64" */
	if (strchr(kernel, ' ') && strchr(strchr(kernel, ' ') + 1, ' '))
		*strchr(strchr(kernel, ' ') + 1, ' ') = '\0';
	json_object_object_get_ex(host, "kvm", &kvm);
	snprintf(buf, len, "%s, %s CPUs (%s), KVM %s, %s", jstr(host, "cpu_model", "?"),
		 jstr(host, "cpus_online", "?"), jstr(host, "topology", "?"),
		 kvm ? jstr(kvm, "kind", "?") : "?", kernel);
}
