/* hostcheck.c - host readiness checks. Main thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/hostcheck.h"
#include "core/kvm.h"
#include "sched/topology.h"
#include "util/cliopt.h"
#include "util/compiler.h"
#include "util/log.h"

static const char *const verdict_names[] = { "PASS", "WARN", "FAIL", "INFO" };

static __printf(4, 5) void add(struct hc_report *r, const char *name, enum hc_verdict v,
			       const char *fmt, ...)
{
	va_list ap;
	struct hc_item *it;

	if (r->n >= HC_MAX_ITEMS)
		return;
	it = &r->item[r->n++];
	it->name = name;
	it->verdict = v;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

/* First line of a small sysfs/procfs file, without the newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t size)
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

static unsigned count_dir(const char *path, const char *must_contain)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[512];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (must_contain) {
			snprintf(p, sizeof(p), "%s/%s/%s", path, e->d_name, must_contain);
			if (stat(p, &st) < 0)
				continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

static void check_kvm(const char *kvm_path, struct hc_report *r)
{
	struct kvm_sys k;
	enum kvm_kind kind = kvm_detect_kind();
	char buf[64];
	int ret = kvm_open(&k, kvm_path);

	if (ret == -ENOENT) {
		add(r, "KVM device", HC_FAIL,
		    "%s does not exist: load kvm_intel, kvm_amd or kvm_pvm", kvm_path);
		return;
	}
	if (ret == -EACCES || ret == -EPERM) {
		add(r, "KVM device", HC_FAIL, "%s: permission denied (kvm group or root needed)",
		    kvm_path);
		return;
	}
	if (ret) {
		add(r, "KVM device", HC_FAIL,
		    "%s: %s (API 12, in-kernel irqchip and "
		    "immediate_exit are required)",
		    kvm_path, strerror(-ret));
		return;
	}
	add(r, "KVM device", HC_PASS, "%s usable, API %d", kvm_path, k.api_version);
	switch (kind) {
	case KVM_KIND_VMX:
	case KVM_KIND_SVM:
		add(r, "KVM kind", HC_PASS, "%s", kvm_kind_name(kind));
		break;
	case KVM_KIND_PVM:
		add(r, "KVM kind", HC_WARN,
		    "%s: guest CPL-0 code is emulated (~5000x slower), exits cost ~9-31 us; "
		    "micro-guests run their work at CPL 3",
		    kvm_kind_name(kind));
		break;
	default:
		add(r, "KVM kind", HC_WARN, "KVM works but its vendor module is unknown");
		break;
	}
	if (kind == KVM_KIND_VMX &&
	    read_line("/sys/module/kvm_intel/parameters/ept", buf, sizeof(buf)))
		add(r, "nested paging", buf[0] == 'Y' || buf[0] == '1' ? HC_PASS : HC_WARN,
		    "EPT %s", buf[0] == 'Y' || buf[0] == '1' ? "enabled" : "disabled");
	else if (kind == KVM_KIND_SVM &&
		 read_line("/sys/module/kvm_amd/parameters/npt", buf, sizeof(buf)))
		add(r, "nested paging", buf[0] == 'Y' || buf[0] == '1' ? HC_PASS : HC_WARN,
		    "NPT %s", buf[0] == 'Y' || buf[0] == '1' ? "enabled" : "disabled");
	else if (kind == KVM_KIND_PVM)
		add(r, "nested paging", HC_WARN, "PVM uses shadow paging (no EPT/NPT)");
	else
		add(r, "nested paging", HC_WARN, "cannot tell whether EPT/NPT is enabled");
	add(r, "vCPUs", HC_INFO, "up to %d per VM (%d recommended)", k.max_vcpus, k.rec_vcpus);
	add(r, "KVM features", k.has_ioeventfd && k.has_irqfd ? HC_PASS : HC_WARN,
	    "ioeventfd %s, irqfd %s, halt polling %s, binary stats %s, disable-exits 0x%x",
	    k.has_ioeventfd ? "yes" : "no", k.has_irqfd ? "yes" : "no",
	    k.has_halt_poll ? "yes" : "no", k.has_binary_stats ? "yes" : "no",
	    (unsigned)k.disable_exits_mask);
	if (read_line("/sys/module/kvm/parameters/halt_poll_ns", buf, sizeof(buf)))
		add(r, "halt polling", HC_INFO, "host default halt_poll_ns = %s", buf);
	kvm_close(&k);
}

static void check_iommu(struct hc_report *r)
{
	unsigned n = count_dir("/sys/class/iommu", NULL);
	unsigned groups = count_dir("/sys/kernel/iommu_groups", NULL);

	if (n || groups)
		add(r, "IOMMU", HC_PASS, "%u IOMMU(s), %u groups", n, groups);
	else
		add(r, "IOMMU", HC_WARN, "no IOMMU: device passthrough (VFIO) is not possible");
}

static void check_sriov(struct hc_report *r)
{
	unsigned n = count_dir("/sys/bus/pci/devices", "sriov_totalvfs");

	if (n)
		add(r, "SR-IOV", HC_PASS, "%u SR-IOV capable PCI device(s)", n);
	else
		add(r, "SR-IOV", HC_WARN, "no SR-IOV capable PCI device");
}

static void check_tpm(struct hc_report *r)
{
	struct stat st;

	if (stat("/dev/tpm0", &st) == 0 || count_dir("/sys/class/tpm", NULL))
		add(r, "TPM", HC_PASS, "host TPM present");
	else
		add(r, "TPM", HC_WARN, "no host TPM (only matters for vTPM passthrough)");
}

static void check_hugepages(struct hc_report *r)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128], thp[128] = "?";
	long total = -1, size_kb = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "HugePages_Total: %ld", &total);
			sscanf(line, "Hugepagesize: %ld kB", &size_kb);
		}
		fclose(f);
	}
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));
	if (total > 0)
		add(r, "hugepages", HC_PASS, "%ld pages of %ld KiB reserved; THP: %s", total,
		    size_kb, thp);
	else if (strstr(thp, "[always]") || strstr(thp, "[madvise]"))
		add(r, "hugepages", HC_WARN, "none reserved (hugepages=on unavailable); THP: %s",
		    thp);
	else
		add(r, "hugepages", HC_WARN,
		    "none reserved and THP off: guest RAM uses 4 KiB pages");
}

static void check_numa(struct hc_report *r)
{
	struct topology t;
	struct errbuf err = { "" };

	if (topo_load(&t, "host", &err)) {
		add(r, "NUMA", HC_WARN, "cannot read the topology: %s", err.msg);
		return;
	}
	add(r, "NUMA", t.nr_nodes > 1 ? HC_PASS : HC_INFO,
	    "%u NUMA node(s), %u package(s), %u core(s), %u PU(s)%s", t.nr_nodes, t.nr_packages,
	    t.nr_cores, t.nr_pus,
	    t.nr_nodes > 1 ? "" : "; plan for larger hosts with strand plan --topology ...");
	topo_destroy(&t);
}

static void check_cgroup(struct hc_report *r)
{
	char buf[512];
	struct stat st;

	if (read_line("/sys/fs/cgroup/cgroup.controllers", buf, sizeof(buf))) {
		if (strstr(buf, "cpu"))
			add(r, "cgroup cpu", HC_PASS, "cgroup v2 with the cpu controller (%s)",
			    buf);
		else
			add(r, "cgroup cpu", HC_WARN, "cgroup v2 without the cpu controller");
	} else if (stat("/sys/fs/cgroup/cpu", &st) == 0 ||
		   stat("/sys/fs/cgroup/cpu,cpuacct", &st) == 0) {
		add(r, "cgroup cpu", HC_PASS, "cgroup v1 cpu controller mounted");
	} else {
		add(r, "cgroup cpu", HC_WARN, "no cgroup cpu controller found");
	}
}

static void check_isolated(struct hc_report *r)
{
	char buf[256] = "";

	if (read_line("/sys/devices/system/cpu/isolated", buf, sizeof(buf)) && buf[0])
		add(r, "isolated CPUs", HC_PASS, "isolated: %s", buf);
	else
		add(r, "isolated CPUs", HC_WARN,
		    "none: pinned vCPUs share their CPUs with host tasks (isolcpus= or cpusets help)");
}

void hostcheck_run(const char *kvm_path, struct hc_report *r)
{
	memset(r, 0, sizeof(*r));
	check_kvm(kvm_path, r);
	check_iommu(r);
	check_sriov(r);
	check_tpm(r);
	check_hugepages(r);
	check_numa(r);
	check_cgroup(r);
	check_isolated(r);
}

const struct option hostcheck_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "kvm", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void hostcheck_usage(FILE *f)
{
	fprintf(f, "usage: strand host-check [--json] [--kvm PATH]\n"
		   "Checks KVM (and its kind: hardware or PVM), nested paging, IOMMU, SR-IOV,\n"
		   "TPM, hugepages, NUMA, the cgroup cpu controller and isolated CPUs.\n"
		   "\n"
		   "  --json       print the checks as JSON\n"
		   "  --kvm PATH   the KVM device (default /dev/kvm)\n"
		   "  --help       this text\n"
		   "\n"
		   "Exit status 1 if any check fails, 2 bad usage.\n");
}

int hostcheck_main(int argc, char **argv)
{
	const char *kvm_path = "/dev/kvm";
	bool json = false, failed = false;
	struct errbuf err = { "" };
	struct hc_report r;
	struct cliopt opt;
	int c;

	cliopt_init(&opt, "host-check", argc, argv, "+", hostcheck_options);
	while ((c = cliopt_next(&opt, &err)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'k':
			kvm_path = opt.arg;
			break;
		case 'h':
			hostcheck_usage(stdout);
			return 0;
		default:
			log_error("%s (see strand host-check --help)", err.msg);
			return 2;
		}
	}
	if (opt.ind < argc) {
		log_error("host-check: unexpected argument '%s' (see strand host-check --help)",
			  argv[opt.ind]);
		return 2;
	}
	hostcheck_run(kvm_path, &r);
	for (unsigned i = 0; i < r.n; i++)
		failed |= r.item[i].verdict == HC_FAIL;
	if (json) {
		json_object *root = json_object_new_array();

		for (unsigned i = 0; i < r.n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "check", json_object_new_string(r.item[i].name));
			json_object_object_add(
				o, "verdict",
				json_object_new_string(verdict_names[r.item[i].verdict]));
			json_object_object_add(o, "detail",
					       json_object_new_string(r.item[i].detail));
			json_object_array_add(root, o);
		}
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	} else {
		for (unsigned i = 0; i < r.n; i++)
			printf("%-5s %-14s %s\n", verdict_names[r.item[i].verdict], r.item[i].name,
			       r.item[i].detail);
	}
	return failed ? 1 : 0;
}
