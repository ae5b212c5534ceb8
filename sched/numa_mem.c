/*
 * numa_mem.c - guest RAM memory policy, huge pages and preallocation. See numa_mem.h.
 *
 * mbind, get_mempolicy and move_pages are called as raw system calls, with the constants from
 * libnuma's <numaif.h>: linking libnuma's own wrappers pulls in its constructor (numa_init
 * reads sysfs at every start-up), and strand must not pay for that when no policy is asked.
 * Called by the builder (main thread); the queries by any thread.
 */
#include <errno.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched/numa_mem.h"
#include "sched/topology.h"
#include "util/log.h"
#include "util/parse.h"

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES (1 << 15)
#endif
#ifndef MPOL_F_RELATIVE_NODES
#define MPOL_F_RELATIVE_NODES (1 << 14)
#endif
#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13)
#endif

/* Node masks handed to the kernel: room for 1024 nodes, though strand names at most 64. */
#define MASK_LONGS 16
#define MASK_BITS  (MASK_LONGS * 64)

static const char *const policy_names[] = { "default", "bind", "interleave", "preferred" };
static const char *const huge_names[] = { "default", "on", "thp", "off" };

const char *numa_mem_policy_name(enum numa_mem_policy p)
{
	return (unsigned)p < ARRAY_SIZE(policy_names) ? policy_names[p] : "?";
}

const char *numa_mem_huge_name(enum numa_mem_huge h)
{
	return (unsigned)h < ARRAY_SIZE(huge_names) ? huge_names[h] : "?";
}

static int name_index(const char *s, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int numa_mem_parse(const char *s, struct numa_mem_opts *o, struct errbuf *err)
{
	struct opts op;
	const char *v, *unused;
	int ret = -EINVAL, i;

	memset(o, 0, sizeof(*o));
	if (opts_parse(&op, s, "size"))
		return errbuf_set(err, -EINVAL, "--memory: cannot parse '%s'", s);
	v = opts_get(&op, "size");
	if (!v || parse_size(v, MiB, &o->size_bytes) || o->size_bytes == 0) {
		errbuf_set(err, ret, "--memory: '%s' is not a size (e.g. 512M, 2G)", v ? v : s);
		goto out;
	}
	v = opts_get(&op, "policy");
	if (v) {
		i = name_index(v, policy_names, ARRAY_SIZE(policy_names));
		if (i < 0) {
			errbuf_set(err, ret,
				   "--memory: policy=%s: expected bind, interleave, preferred or "
				   "default",
				   v);
			goto out;
		}
		o->policy = (enum numa_mem_policy)i;
	}
	v = opts_get(&op, "host-nodes");
	if (v) {
		if (topo_parse_nodelist(v, &o->host_nodes)) {
			errbuf_set(err, ret,
				   "--memory: host-nodes=%s: expected a node list such as 0, 0-1 "
				   "or 0+2 (nodes 0 to %u)",
				   v, TOPO_MAX_NODES - 1);
			goto out;
		}
		if (o->policy == NUMA_MEM_DEFAULT && !opts_get(&op, "policy"))
			o->policy = NUMA_MEM_BIND;
	}
	if (o->policy != NUMA_MEM_DEFAULT && !o->host_nodes) {
		errbuf_set(err, ret, "--memory: policy=%s needs host-nodes=LIST",
			   numa_mem_policy_name(o->policy));
		goto out;
	}
	if (o->policy == NUMA_MEM_DEFAULT && o->host_nodes) {
		errbuf_set(err, ret, "--memory: policy=default takes no host-nodes");
		goto out;
	}
	v = opts_get(&op, "hugepages");
	if (v) {
		i = name_index(v, huge_names, ARRAY_SIZE(huge_names));
		if (i <= 0) {
			errbuf_set(err, ret, "--memory: hugepages=%s: expected on, thp or off", v);
			goto out;
		}
		o->huge = (enum numa_mem_huge)i;
	}
	v = opts_get(&op, "prealloc");
	if (v && parse_bool(v, &o->prealloc)) {
		errbuf_set(err, ret, "--memory: prealloc=%s: expected on or off", v);
		goto out;
	}
	unused = opts_unused(&op);
	if (unused) {
		errbuf_set(err, ret,
			   "--memory: unknown option '%s' (size, policy, host-nodes, hugepages, "
			   "prealloc)",
			   unused);
		goto out;
	}
	ret = 0;
out:
	opts_free(&op);
	return ret;
}

void numa_mem_hugepages(uint64_t *page_bytes, uint64_t *free_pages)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long long v;

	*page_bytes = 0;
	*free_pages = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			*free_pages = v;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			*page_bytes = v * 1024;
	}
	fclose(f);
}

static long sys_get_mempolicy(int *mode, unsigned long *mask, unsigned long maxnode,
			      const void *addr, unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

/* Nodes this process may allocate from (its cpuset's mems). */
static int mems_allowed(uint64_t *out)
{
	unsigned long mask[MASK_LONGS] = { 0 };

	if (sys_get_mempolicy(NULL, mask, MASK_BITS, NULL, MPOL_F_MEMS_ALLOWED) < 0)
		return -errno;
	*out = mask[0];
	return 0;
}

int numa_mem_check(const struct numa_mem_opts *o, struct errbuf *err)
{
	char a[128], b[128], sz[32];
	uint64_t allowed = 0;
	int ret;

	if (o->policy != NUMA_MEM_DEFAULT) {
		ret = mems_allowed(&allowed);
		if (ret == -ENOSYS)
			return errbuf_set(err, ret,
					  "--memory: policy=%s: this kernel has no NUMA support",
					  numa_mem_policy_name(o->policy));
		if (ret)
			return errbuf_set(err, ret, "--memory: cannot read the allowed nodes: %s",
					  strerror(-ret));
		if (o->host_nodes & ~allowed)
			return errbuf_set(
				err, -EINVAL,
				"--memory: host-nodes=%s: node%s %s not available for memory "
				"here (nodes %s)",
				topo_format_nodelist(o->host_nodes, a, sizeof(a)),
				__builtin_popcountll(o->host_nodes & ~allowed) == 1 ? "" : "s",
				topo_format_nodelist(o->host_nodes & ~allowed, b, sizeof(b)),
				topo_format_nodelist(allowed, sz, sizeof(sz)));
	}
	if (o->huge == NUMA_HUGE_ON) {
		uint64_t page, free_pages, need;

		numa_mem_hugepages(&page, &free_pages);
		if (!page)
			return errbuf_set(
				err, -ENOSYS,
				"--memory: hugepages=on: this kernel has no hugetlb pages");
		if (!IS_ALIGNED(o->size_bytes, page))
			return errbuf_set(
				err, -EINVAL,
				"--memory: hugepages=on: the size is not a multiple of the "
				"%s huge page",
				fmt_size(page, sz, sizeof(sz)));
		need = o->size_bytes / page;
		if (free_pages < need)
			return errbuf_set(
				err, -ENOMEM,
				"--memory: hugepages=on: %s needs %llu free %s huge pages, "
				"the host has %llu (reserve them: sysctl vm.nr_hugepages=%llu)",
				fmt_size(o->size_bytes, a, sizeof(a)), (unsigned long long)need,
				fmt_size(page, sz, sizeof(sz)), (unsigned long long)free_pages,
				(unsigned long long)need);
	}
	return 0;
}

static int do_mbind(void *hva, uint64_t len, const struct numa_mem_opts *o, struct errbuf *err)
{
	unsigned long mask[MASK_LONGS] = { o->host_nodes };
	int mode;
	char list[128];

	switch (o->policy) {
	case NUMA_MEM_BIND:
		mode = MPOL_BIND;
		break;
	case NUMA_MEM_INTERLEAVE:
		mode = MPOL_INTERLEAVE;
		break;
	case NUMA_MEM_PREFERRED:
		mode = __builtin_popcountll(o->host_nodes) > 1 ? MPOL_PREFERRED_MANY :
								 MPOL_PREFERRED;
		break;
	default:
		return 0;
	}
	/* maxnode counts one more than the bits the kernel reads (as libnuma passes it). */
	if (syscall(SYS_mbind, hva, len, mode, mask, MASK_BITS + 1, MPOL_MF_MOVE) == 0)
		return 0;
	if (errno == EINVAL && mode == MPOL_PREFERRED_MANY)
		return errbuf_set(err, -EINVAL,
				  "--memory: policy=preferred over several nodes (%s) needs Linux "
				  "5.15 or later; name one node",
				  topo_format_nodelist(o->host_nodes, list, sizeof(list)));
	return errbuf_set(err, -errno, "--memory: mbind(%s, nodes %s): %s",
			  numa_mem_policy_name(o->policy),
			  topo_format_nodelist(o->host_nodes, list, sizeof(list)), strerror(errno));
}

static bool thp_disabled(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char buf[128] = "";

	if (!f)
		return true;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[never]") != NULL;
}

static int prealloc(void *hva, uint64_t len, uint64_t page, struct errbuf *err)
{
	char sz[32];

	if (madvise(hva, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return errbuf_set(err, -errno, "--memory: prealloc of %s failed: %s",
				  fmt_size(len, sz, sizeof(sz)), strerror(errno));
	/* Before Linux 5.14: write one byte per page (the memory is fresh and zero). */
	for (uint64_t off = 0; off < len; off += page)
		((volatile char *)hva)[off] = 0;
	return 0;
}

int numa_mem_apply(void *hva, uint64_t len, const struct numa_mem_opts *o, struct errbuf *err)
{
	long page = sysconf(_SC_PAGESIZE);
	int ret;

	if (!IS_ALIGNED((uintptr_t)hva, (uintptr_t)page) || !IS_ALIGNED(len, (uint64_t)page))
		return errbuf_set(err, -EINVAL, "numa_mem_apply: range not page aligned");
	ret = do_mbind(hva, len, o, err);
	if (ret)
		return ret;
	if (o->huge == NUMA_HUGE_THP || o->huge == NUMA_HUGE_OFF) {
		int advice = o->huge == NUMA_HUGE_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE;

		if (madvise(hva, len, advice) < 0)
			return errbuf_set(err, -errno, "--memory: hugepages=%s: madvise: %s",
					  numa_mem_huge_name(o->huge),
					  errno == EINVAL ? "transparent huge pages unsupported" :
							    strerror(errno));
		if (o->huge == NUMA_HUGE_THP && thp_disabled())
			log_warn("--memory: hugepages=thp: THP is disabled on this host "
				 "(transparent_hugepage/enabled is [never]); 4 KiB pages are used");
	}
	if (o->prealloc)
		return prealloc(hva, len, (uint64_t)page, err);
	return 0;
}

int numa_mem_map(const struct numa_mem_opts *o, struct numa_mem_region *r, struct errbuf *err)
{
	uint64_t huge = 0, free_pages, align = 0, len = o->size_bytes;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char sz[32];
	void *p;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = numa_mem_check(o, err);
	if (ret)
		return ret;
	r->page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
	if (o->huge == NUMA_HUGE_ON) {
		numa_mem_hugepages(&huge, &free_pages);
		flags = (flags & ~MAP_NORESERVE) | MAP_HUGETLB;
		r->page_bytes = huge;
		r->hugetlb = true;
	} else if (o->huge == NUMA_HUGE_THP) {
		align = 2 * MiB; /* a THP-aligned start lets every 2 MiB of RAM be one page */
	}
	if (!IS_ALIGNED(len, r->page_bytes))
		return errbuf_set(err, -EINVAL, "--memory: %s is not a multiple of the page size",
				  fmt_size(len, sz, sizeof(sz)));
	p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return errbuf_set(err, -errno, "--memory: cannot map %s%s: %s",
				  fmt_size(len, sz, sizeof(sz)), r->hugetlb ? " of huge pages" : "",
				  strerror(errno));
	if (align) {
		uintptr_t start = ALIGN_UP((uintptr_t)p, (uintptr_t)align);
		uintptr_t head = start - (uintptr_t)p;

		if (head)
			munmap(p, head);
		if (align - head)
			munmap((char *)start + len, align - head);
		p = (void *)start;
	}
	r->hva = p;
	r->len_bytes = len;
	ret = numa_mem_apply(p, len, o, err);
	if (ret)
		numa_mem_unmap(r);
	return ret;
}

void numa_mem_unmap(struct numa_mem_region *r)
{
	if (r->hva)
		munmap(r->hva, r->len_bytes);
	memset(r, 0, sizeof(*r));
}

int numa_mem_query_nodes(const void *hva, uint64_t page_bytes, unsigned long n, int *nodes)
{
	enum { CHUNK = 512 };
	void *pages[CHUNK];

	for (unsigned long done = 0; done < n;) {
		unsigned long k = MIN(n - done, (unsigned long)CHUNK);

		for (unsigned long i = 0; i < k; i++)
			pages[i] = (char *)hva + (done + i) * page_bytes;
		if (syscall(SYS_move_pages, 0, k, pages, NULL, nodes + done, 0) < 0)
			return -errno;
		done += k;
	}
	return 0;
}

int numa_mem_query_policy(const void *hva, enum numa_mem_policy *policy, uint64_t *nodes)
{
	unsigned long mask[MASK_LONGS] = { 0 };
	int mode;

	if (sys_get_mempolicy(&mode, mask, MASK_BITS, hva, MPOL_F_ADDR) < 0)
		return -errno;
	mode &= ~(MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING);
	switch (mode) {
	case MPOL_BIND:
		*policy = NUMA_MEM_BIND;
		break;
	case MPOL_INTERLEAVE:
		*policy = NUMA_MEM_INTERLEAVE;
		break;
	case MPOL_PREFERRED:
	case MPOL_PREFERRED_MANY:
		*policy = NUMA_MEM_PREFERRED;
		break;
	default:
		*policy = NUMA_MEM_DEFAULT;
		break;
	}
	*nodes = mask[0];
	return 0;
}
