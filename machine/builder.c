/*
 * builder.c - wires a machine from its configuration. Main thread. The order below is the
 * order of construction; destruction runs it backwards.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/builder.h"
#include "core/acpi.h"
#include "core/elf.h"
#include "core/msr.h"
#include "core/x86boot.h"
#include <linux/kvm_para.h>
#include "core/flat.h"
#include "core/guest/abi.h"
#include "core/guest/embedded.h"
#include "core/mguest_args.h"
#include "core/mguest.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "iothreads/ioloop.h"
#include "util/log.h"
#include "util/parse.h"
#include "strand-config.h"
#include "util/clock.h"

#define HIGH_RAM_BASE (4ULL * GiB)
#define LOW_RAM_MAX   SG_LOW_RAM_END

static int read_file(const char *path, const char *what, uint64_t max, uint8_t **out, size_t *size,
		     struct errbuf *err)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return errbuf_set(err, -EINVAL, "%s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(err, -EINVAL, "%s '%s': not a regular file", what, path);
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return errbuf_set(err, -EINVAL, "%s '%s': size %lld is not in 1..%llu bytes", what,
				  path, (long long)st.st_size, (unsigned long long)max);
	}
	/* 16-byte aligned heap memory: the ELF checker reads headers in place. */
	buf = aligned_alloc(16, ALIGN_UP((size_t)st.st_size, 16));
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return errbuf_set(err, -EINVAL, "%s '%s': read failed", what, path);
		}
		done += (size_t)n;
	}
	close(fd);
	*out = buf;
	*size = done;
	return 0;
}

/* The default kernel command line: serial console, ACPI reboot, no PCI bus to probe. */
#define LINUX_DEFAULT_CMDLINE "console=ttyS0 reboot=acpi panic=-1 pci=off quiet"

/*
 * PVM hosts: guest CPL-0 code runs in KVM's emulator, which cannot execute xsave/xrstor,
 * popcnt, cmpxchg16b, rdrand/rdseed or rd/wr{fs,gs}base, and is ~5000x slower than the CPU.
 * The pvm-safe CPU model hides those features (core/cpuid.c), but on PVM the guest kernel's
 * CPUID does not always see strand's table (XSAVE stays visible), so the command line says it
 * again: noxsave and nosmap (6.1 reads them early and still calls them "unknown" parameters),
 * nofsgsbase, clearcpuid. Measured on the Debian 6.1 kernel: without noxsave, xrstor stops it;
 * each of the others stopped it in turn. SIMD beyond SSE2 (ssse3 ... sha_ni) is cleared so the
 * kernel's crypto library and self-tests take their scalar paths: the emulator cannot run SSE
 * instructions such as movd to %xmm15 (blake2s). smap is cleared because 6.1 ignores nosmap and
 * every user access would otherwise be a clac/stac assist. The rest saves emulated time:
 *   initcall_blacklist  tracing's boot-time work is skipped: a kallsyms lookup for each of
 *                       ~40,000 ftrace records (weak-function check, 65 s), enum rewriting
 *                       of every trace event, a tracefs directory per event (minutes);
 *                       function and event tracing are unavailable in the guest
 *                       certificate loading and IMA/EVM (RSA and hashing) are skipped too:
 *                       module signatures are then not checked (Debian does not enforce them)
 *   cryptomgr.notests   no crypto self-tests (Diffie-Hellman alone takes minutes emulated)
 *   mitigations=off     no retpolines and return thunks: every call and return is cheaper
 *   init_on_alloc=0     Debian zeroes every allocated page by default: 4096 emulated
 *                       iterations of rep stosb per page
 *   tsc=reliable        no clocksource watchdog timer comparing clocks every half second
 *   lsm=capability, audit=0   no security-module hooks on every file operation
 *   nowatchdog          no lockup detector timers (the emulated kernel would trip them)
 *   hung_task_panic=0, rcupdate.rcu_cpu_stall_suppress=1   slow is not stuck here
 * The guest is a test machine here, not a hardened one: append your own options to override.
 */
#define PVM_CMDLINE                                                                              \
	"noxsave nosmap nofsgsbase nowatchdog "                                                  \
	"clearcpuid=popcnt,rdrand,rdseed,cx16,smap,ssse3,sse4_1,sse4_2,pclmulqdq,aes,sha_ni "    \
	"hung_task_panic=0 rcupdate.rcu_cpu_stall_suppress=1 "                                   \
	"mitigations=off init_on_alloc=0 tsc=reliable cryptomgr.notests lsm=capability audit=0 " \
	"initcall_blacklist=ftrace_check_for_weak_functions,trace_eval_init,event_trace_init,"   \
	"init_kprobe_trace,load_system_certificate_list,init_ima,init_evm"

/* Whether the guest gets the PVM-safe CPU model (--cpu-model, auto: on PVM hosts). */
static bool pvm_model(const struct machine *m)
{
	const char *model = m->cfg.cpu_model ? m->cfg.cpu_model : "auto";

	if (strcmp(model, "pvm-safe") == 0)
		return true;
	return strcmp(model, "auto") == 0 && kvm_detect_kind() == KVM_KIND_PVM;
}

/*
 * The initrd: the archives back to back, each starting 4-byte aligned with zeros between them
 * (the kernel skips zero padding between archives and wants a cpio header 4-byte aligned), so
 * Linux unpacks them in order into one rootfs, later files replacing earlier ones.
 */
static int load_initrds(struct machine *m, const char *const *paths, unsigned n, struct errbuf *err)
{
	uint8_t *all = NULL;
	size_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *buf, *grown;
		size_t size, at = ALIGN_UP(total, 4);
		int ret = read_file(paths[i], "--initrd", 2 * GiB, &buf, &size, err);

		if (ret) {
			free(all);
			return ret;
		}
		if (at + size > 2 * GiB) {
			free(buf);
			free(all);
			return errbuf_set(err, -EINVAL,
					  "--initrd: the archives add up to more than 2 GiB");
		}
		if (n == 1) { /* the common case: no copy */
			m->initrd = buf;
			m->initrd_size = size;
			return 0;
		}
		grown = realloc(all, at + size);
		if (!grown) {
			free(buf);
			free(all);
			return -ENOMEM;
		}
		all = grown;
		memset(all + total, 0, at - total);
		memcpy(all + at, buf, size);
		total = at + size;
		free(buf);
	}
	m->initrd = all;
	m->initrd_size = total;
	return 0;
}

static int load_linux(struct machine *m, struct errbuf *err)
{
	const struct machine_config *c = &m->cfg;
	char kpath[1024], ipath[1024];
	const char *kernel = c->kernel, *initrd[CONFIG_MAX_INITRDS + 1];
	unsigned ninitrd = 0;
	int ret;

	if (c->linux_image) {
		const char *dir = c->linux_dir ? c->linux_dir : getenv("STRAND_LINUX_DIR");

		if (!dir)
			dir = STRAND_LINUX_DIR;
		snprintf(kpath, sizeof(kpath), "%s/%s", dir,
			 c->linux_bzimage ? "vmlinuz" : "vmlinux");
		snprintf(ipath, sizeof(ipath), "%s/initramfs.img", dir);
		if (access(kpath, R_OK) || access(ipath, R_OK))
			return errbuf_set(err, -EINVAL,
					  "--linux: no guest image in %s (build it with "
					  "tests/linux/build-image.sh %s)",
					  dir, dir);
		kernel = kpath;
		initrd[ninitrd++] = ipath;
	}
	for (unsigned i = 0; i < c->ninitrd; i++)
		initrd[ninitrd++] = c->initrd[i];
	snprintf(m->kernel_path, sizeof(m->kernel_path), "%s", kernel);
	kernel = m->kernel_path;
	ret = read_file(kernel, "--kernel", 512 * MiB, &m->image, &m->image_size, err);
	if (ret)
		return ret;
	m->image_owned = true;
	m->image_name = kernel;
	ret = load_initrds(m, initrd, ninitrd, err);
	if (ret)
		return ret;
	/* A vmlinux ELF is entered through its PVH note; anything else must be a bzImage. */
	m->is_pvh = m->image_size >= 4 && memcmp(m->image, "\177ELF", 4) == 0;
	if (m->is_pvh)
		ret = pvh_parse(m->image, m->image_size, &m->pvh, err);
	else
		ret = bzimage_parse(m->image, m->image_size, &m->bz, err);
	if (ret)
		return -EINVAL;
	/*
	 * --kernel with --cmdline: the user's line replaces the defaults, but the PVM model's
	 * options still go first (without them the Debian kernel cannot boot on a PVM host).
	 */
	if (c->cmdline && !c->linux_image)
		ret = snprintf(m->cmdline, sizeof(m->cmdline), "%s%s",
			       pvm_model(m) ? PVM_CMDLINE " " : "", c->cmdline);
	else
		ret = snprintf(m->cmdline, sizeof(m->cmdline), "%s%s%s%s", LINUX_DEFAULT_CMDLINE,
			       pvm_model(m) ? " " PVM_CMDLINE : "", c->cmdline ? " " : "",
			       c->cmdline ? c->cmdline : "");
	if (ret >= (int)sizeof(m->cmdline) || (!m->is_pvh && (unsigned)ret > m->bz.cmdline_max))
		return errbuf_set(
			err, -EINVAL,
			"--cmdline: the command line is %d bytes, longer than this kernel "
			"accepts (%u)",
			ret, m->is_pvh ? (unsigned)sizeof(m->cmdline) - 1 : m->bz.cmdline_max);
	log_info("kernel command line: %s", m->cmdline);
	if (m->initrd_size && m->initrd_size + 64 * MiB > c->mem_bytes)
		return errbuf_set(
			err, -EINVAL,
			"--initrd: %zu bytes do not fit in %llu MiB of guest RAM with a kernel",
			m->initrd_size, (unsigned long long)(c->mem_bytes >> 20));
	if (kvm_detect_kind() == KVM_KIND_PVM)
		log_warn(
			"this KVM is PVM: the guest kernel runs in KVM's instruction emulator "
			"(about 12 minutes to reach user space), and on the kvm_pvm measured so far "
			"user-mode system calls never reach a non-PVM kernel (SYSCALL lands at "
			"LSTAR still in user mode, INT 0x80 raises #UD), so /init dies at its first "
			"one: docs/linux.md, 'Linux on PVM hosts'");
	return 0;
}

int machine_load_image(struct machine *m, struct errbuf *err)
{
	const struct machine_config *c = &m->cfg;
	int ret;

	if (c->kind == GUEST_LINUX)
		return load_linux(m, err);

	if (c->kind == GUEST_FLAT) {
		ret = read_file(c->flat, "--flat", FLAT_MAX_BYTES, &m->image, &m->image_size, err);
		if (ret)
			return ret;
		m->image_owned = true;
		m->image_name = c->flat;
		return 0;
	}
	if (c->guest_file) {
		ret = read_file(c->guest_file, "--guest-file", 64 * MiB, &m->image, &m->image_size,
				err);
		if (ret)
			return ret;
		m->image_owned = true;
		m->image_name = c->guest_file;
		{
			char label[4200];

			snprintf(label, sizeof(label), "--guest-file %s", c->guest_file);
			ret = mguest_args_check_image(m->image, m->image_size, label, c->guest_args,
						      err);
			if (ret)
				return ret;
		}
	} else {
		const struct embedded_guest *g = embedded_guest_find(c->guest);

		if (!g)
			return errbuf_set(
				err, -EINVAL,
				"--guest: no micro-guest called '%s' (see `strand guests`)",
				c->guest);
		m->image = (uint8_t *)g->start;
		m->image_size = (size_t)(g->end - g->start);
		m->image_name = g->name;
	}
	return 0;
}

static int check_image(struct machine *m, struct errbuf *err)
{
	struct elf_info info;
	const char *why = NULL;

	if (m->cfg.kind != GUEST_MICRO)
		return 0;
	if (elf_parse(m->image, m->image_size, &info, &why))
		return errbuf_set(err, -EINVAL, "%s: %s", m->image_name, why);
	if (info.load_min != SG_IMAGE_BASE)
		return errbuf_set(err, -EINVAL,
				  "%s: not a strand micro-guest (not linked at 0x%llx)",
				  m->image_name, (unsigned long long)SG_IMAGE_BASE);
	if (info.load_max > LOW_RAM_MAX || info.load_max > m->cfg.mem_bytes)
		return errbuf_set(err, -EINVAL, "%s: image does not fit in guest RAM",
				  m->image_name);
	return 0;
}

static int open_kvm(struct machine *m, struct errbuf *err)
{
	int ret = kvm_open(&m->kvm, m->cfg.kvm_path);

	if (ret == -ENOENT)
		return errbuf_set(err, -EINVAL, "%s: no such device (is the kvm module loaded?)",
				  m->cfg.kvm_path);
	if (ret == -EACCES || ret == -EPERM)
		return errbuf_set(
			err, -EINVAL,
			"%s: permission denied (add yourself to the kvm group, or run as root)",
			m->cfg.kvm_path);
	if (ret == -ENODEV)
		return errbuf_set(
			err, -EINVAL,
			"%s: not a usable KVM (needs API 12, in-kernel irqchip, immediate_exit)",
			m->cfg.kvm_path);
	if (ret)
		return errbuf_set(err, -EINVAL, "%s: %s", m->cfg.kvm_path, strerror(-ret));
	m->kvm_open = true;
	if ((int)m->cfg.vcpus > m->kvm.max_vcpus)
		return errbuf_set(err, -EINVAL, "--vcpus %u: this KVM supports at most %d vCPUs",
				  m->cfg.vcpus, m->kvm.max_vcpus);
	return 0;
}

static int check_memory(struct machine *m, struct errbuf *err)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
	char a[32], b[32];

	if (host && m->cfg.mem_bytes > host)
		return errbuf_set(err, -EINVAL, "--memory %s is more than this host has (%s)",
				  fmt_size(m->cfg.mem_bytes, a, sizeof(a)),
				  fmt_size(host, b, sizeof(b)));
	if (m->cfg.kind == GUEST_FLAT && m->cfg.mem_bytes < MiB)
		return errbuf_set(err, -EINVAL, "--flat needs at least 1 MiB of guest RAM");
	if (m->cfg.numa_set && numa_mem_check(&m->cfg.numa, err))
		return -EINVAL;
	for (unsigned i = 0; i < m->cfg.gnuma.nr_nodes; i++) {
		const struct gnuma_node *n = &m->cfg.gnuma.node[i];
		struct numa_mem_opts o = m->cfg.numa;

		if (n->host_node < 0)
			continue;
		o.size_bytes = n->mem_bytes;
		o.policy = NUMA_MEM_BIND;
		o.host_nodes = 1ULL << n->host_node;
		if (numa_mem_check(&o, err)) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			return errbuf_set(err, -EINVAL, "--numa node=%u,host-node=%d: %s", i,
					  n->host_node, why);
		}
	}
	return 0;
}

/*
 * Bind the pieces of [gpa, gpa + size) (mapped at hva, not yet touched) that belong to guest
 * NUMA nodes backed by a host node to that node; prealloc follows --memory.
 */
static int bind_guest_nodes(struct machine *m, gpa_t gpa, uint64_t size, uint8_t *hva,
			    struct errbuf *err)
{
	struct gnuma_range rg[2 * GNUMA_MAX_NODES];
	unsigned n = gnuma_ranges(&m->cfg.gnuma, LOW_RAM_MAX, HIGH_RAM_BASE, rg, ARRAY_SIZE(rg));

	for (unsigned i = 0; i < n; i++) {
		const struct gnuma_node *gn = &m->cfg.gnuma.node[rg[i].node];
		uint64_t lo = MAX(rg[i].gpa, gpa), hi = MIN(rg[i].gpa + rg[i].size, gpa + size);
		struct numa_mem_opts o = m->cfg.numa;

		if (gn->host_node < 0 || lo >= hi)
			continue;
		o.policy = NUMA_MEM_BIND;
		o.host_nodes = 1ULL << gn->host_node;
		o.size_bytes = hi - lo;
		if (numa_mem_apply(hva + (lo - gpa), hi - lo, &o, err)) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg);
			return errbuf_set(err, -EINVAL, "--numa node=%u,host-node=%d: %s",
					  rg[i].node, gn->host_node, why);
		}
	}
	return 0;
}

/*
 * One RAM region: plain anonymous memory, or placed by --memory's NUMA and huge page options
 * and by --numa host-node= per guest node.
 */
static int add_ram_region(struct machine *m, gpa_t gpa, uint64_t size, const char *name,
			  struct errbuf *err)
{
	struct numa_mem_opts o = m->cfg.numa;
	bool bind_nodes = gnuma_has_host_nodes(&m->cfg.gnuma);
	struct numa_mem_region r;
	int ret;

	if (!m->cfg.numa_set && !bind_nodes)
		return memmap_add_ram(&m->vm->mem, gpa, size, name, 0, NULL);
	if (!m->cfg.numa_set)
		o = (struct numa_mem_opts){ 0 };
	o.size_bytes = size;
	if (bind_nodes)
		o.prealloc = false; /* after each piece has its node */
	ret = numa_mem_map(&o, &r, err);
	if (!ret && bind_nodes)
		ret = bind_guest_nodes(m, gpa, size, r.hva, err);
	if (!ret)
		ret = memmap_add(&m->vm->mem, gpa, size, r.hva, name, MEMMAP_F_OWNED, NULL);
	if (ret)
		munmap(r.hva, r.len_bytes);
	return ret;
}

/* Guest RAM: below 3 GiB at 0, the rest from 4 GiB (the hole is MMIO). */
static int add_ram(struct machine *m, struct errbuf *err)
{
	uint64_t low = MIN(m->cfg.mem_bytes, LOW_RAM_MAX);
	int ret = add_ram_region(m, 0, low, "ram-low", err);

	if (ret || m->cfg.mem_bytes <= low)
		return ret;
	return add_ram_region(m, HIGH_RAM_BASE, m->cfg.mem_bytes - low, "ram-high", err);
}

/* Micro-guest prints; with several VMs each chunk is tagged with its VM's name. */
static void console_print(void *opaque, const char *s, size_t len)
{
	struct machine *m = opaque;

	if (m->tag_output) {
		char tag[24];
		int n = snprintf(tag, sizeof(tag), "[%s] ", m->cfg.name);

		chardev_write(&m->console, tag, (size_t)n);
	}
	chardev_write(&m->console, s, len);
}

static void console_quit(void *opaque)
{
	struct machine *m = opaque;

	vm_request_stop(m->vm, VM_STOP_SIGNAL, 128 + SIGINT);
}

static size_t console_can_accept(void *opaque)
{
	struct machine *m = opaque;

	return serial_can_accept(&m->com1);
}

static void console_receive(void *opaque, const uint8_t *buf, size_t n)
{
	struct machine *m = opaque;

	serial_receive(&m->com1, buf, n);
}

static const struct chardev_input_ops machine_console_ops = {
	.can_accept = console_can_accept,
	.receive = console_receive,
	.quit = console_quit,
};

/* Never ACPI_GED_GSI (9): the power button's GED has it (core/acpi.h). */
uint32_t machine_virtio_gsi(unsigned i)
{
	static const uint8_t gsis[SG_MAX_DEVICES] = { 16, 17, 18, 19, 20, 21, 22, 23,
						      5,  6,  7,  10, 11, 12, 14, 15 };

	return i < SG_MAX_DEVICES ? gsis[i] : 0;
}

static struct iothread *find_iothread(struct machine *m, const char *name)
{
	for (unsigned i = 0; i < m->niothreads; i++) {
		if (strcmp(m->iothreads[i].opts.name, name) == 0)
			return &m->iothreads[i];
	}
	return NULL;
}

/*
 * The iothreads: those given with --iothread, or, when the model puts I/O on iothreads and
 * none were given, as many as the mapping needs (one per device or per queue, or
 * --threading iothreads=N), named io0, io1, ...
 */
static int create_iothreads(struct machine *m, struct errbuf *err)
{
	const struct threading_config *t = &m->cfg.threading;
	unsigned want = 0;
	int ret;

	for (unsigned i = 0; i < m->cfg.niothreads; i++) {
		struct iothread_opts o;

		if (iothread_parse_opts(m->cfg.iothreads[i], &o, err))
			return -EINVAL;
		ret = iothread_create(&m->iothreads[m->niothreads], &o);
		if (ret)
			return errbuf_set(err, ret, "--iothread %s: %s", o.name, strerror(-ret));
		if (!o.poll_ns)
			m->iothreads[m->niothreads].opts.poll_ns = t->poll_ns;
		m->niothreads++;
	}
	if (m->niothreads || t->io != IO_IOTHREAD)
		return 0;
	if (t->iothreads) {
		want = t->iothreads;
	} else if (t->iomap == IOMAP_QUEUE) {
		for (unsigned i = 0; i < m->ndisks_open; i++)
			want += m->disks[i].opts.queues;
		for (unsigned i = 0; i < m->nnets_open; i++)
			want += m->nets[i].nqp; /* one per queue pair */
		want += m->cfg.rng + (m->vcon_open ? 1 : 0);
	} else {
		want = m->ndisks_open + m->nnets_open + m->cfg.rng + (m->vcon_open ? 1 : 0);
	}
	want = MIN(MAX(want, 1u), (unsigned)ARRAY_SIZE(m->iothreads));
	for (unsigned i = 0; i < want; i++) {
		struct iothread_opts o = { .poll_ns = t->poll_ns };

		snprintf(o.name, sizeof(o.name), "%sio%u", m->cfg.thread_prefix, i);
		ret = iothread_create(&m->iothreads[i], &o);
		if (ret)
			return errbuf_set(err, ret, "iothread: %s", strerror(-ret));
		m->niothreads = i + 1;
	}
	return 0;
}

/*
 * Where queue q of device dev (its global queue number gq) is processed: the iothreads the
 * device names (queues round robin), else the threading model's choice.
 */
static struct ioloop *queue_loop(struct machine *m, const char *explicit_map, unsigned dev,
				 unsigned q, unsigned gq)
{
	const struct threading_config *t = &m->cfg.threading;

	if (explicit_map && *explicit_map) {
		char names[64], *save = NULL, *tok;
		struct iothread *list[16];
		unsigned n = 0;

		snprintf(names, sizeof(names), "%s", explicit_map);
		for (tok = strtok_r(names, ":", &save); tok && n < 16;
		     tok = strtok_r(NULL, ":", &save))
			list[n++] = find_iothread(m, tok);
		return n ? list[q % n]->loop : NULL;
	}
	switch (t->io) {
	case IO_MAIN:
		return m->loop;
	case IO_IOTHREAD:
		if (!m->niothreads)
			return m->loop;
		return m->iothreads[(t->iomap == IOMAP_QUEUE ? gq : dev) % m->niothreads].loop;
	case IO_VCPU:
	default:
		return NULL;
	}
}

/* Check that every iothread a disk or NIC names exists (user input, before the VM). */
static int check_disk_iothreads(struct machine *m, struct errbuf *err)
{
	for (unsigned i = 0; i < m->nnets_open; i++) {
		char names[64], *save = NULL, *tok;

		if (!m->nets[i].opts.iothread[0])
			continue;
		snprintf(names, sizeof(names), "%s", m->nets[i].opts.iothread);
		for (tok = strtok_r(names, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			if (!find_iothread(m, tok))
				return errbuf_set(err, -EINVAL,
						  "--net %s: iothread=%s: no --iothread id=%s",
						  m->nets[i].opts.name, tok, tok);
		}
	}
	for (unsigned i = 0; i < m->ndisks_open; i++) {
		char names[64], *save = NULL, *tok;

		if (!m->disks[i].opts.iothread[0])
			continue;
		snprintf(names, sizeof(names), "%s", m->disks[i].opts.iothread);
		for (tok = strtok_r(names, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			if (!find_iothread(m, tok))
				return errbuf_set(err, -EINVAL,
						  "--disk %s: iothread=%s: no --iothread id=%s",
						  m->disks[i].opts.path, tok, tok);
		}
	}
	return 0;
}

/* Claim the next virtio-mmio slot for a device of type id. */
static struct sg_device *next_virtio_slot(struct machine *m, uint32_t id)
{
	struct sg_device *d = &m->devtab[m->ndev];

	d->virtio_id = id;
	d->base = MACHINE_VIRTIO_BASE + m->ndev * MACHINE_VIRTIO_STRIDE;
	d->gsi = machine_virtio_gsi(m->ndev);
	m->ndev++;
	return d;
}

static int add_virtio(struct machine *m, pthread_mutex_t *big, struct errbuf *err)
{
	unsigned dev = 0, gq = 0;
	int ret;

	for (unsigned i = 0; i < m->ndisks_open; i++, dev++) {
		struct sg_device *d = next_virtio_slot(m, VIRTIO_ID_BLOCK);
		struct ioloop *loops[64];

		for (unsigned q = 0; q < m->disks[i].opts.queues; q++, gq++)
			loops[q] = queue_loop(m, m->disks[i].opts.iothread, dev, q, gq);
		ret = vblk_init(&m->disks[i], m->vm, d->base, d->gsi, big, loops, m->loop, err);
		m->ndisks_up = i + 1;
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < m->nnets_open; i++, dev++) {
		struct sg_device *d = next_virtio_slot(m, VIRTIO_ID_NET);
		struct vnet *n = &m->nets[i];
		struct ioloop *loops[2 * VNET_MAX_PAIRS + 1];

		/* A queue pair's receive and transmit queues share a loop; control: pair 0's. */
		for (unsigned q = 0; q < n->nqp; q++, gq++)
			loops[2 * q] = loops[2 * q + 1] =
				queue_loop(m, n->opts.iothread, dev, q, gq);
		loops[2 * n->nqp] = loops[0];
		ret = vnet_init(n, m->vm, d->base, d->gsi, big, loops, m->loop, err);
		m->nnets_up = i + 1;
		if (ret)
			return ret;
	}
	if (m->cfg.rng) {
		struct sg_device *d = next_virtio_slot(m, VIRTIO_ID_RNG);

		ret = vrng_init(&m->rng, m->vm, d->base, d->gsi, big,
				queue_loop(m, NULL, dev++, 0, gq++));
		if (ret)
			return errbuf_set(err, ret, "virtio-rng: %s", strerror(-ret));
		m->rng_up = true;
	}
	if (m->vcon_open) {
		struct sg_device *d = next_virtio_slot(m, VIRTIO_ID_CONSOLE);

		ret = vcon_init(&m->vcon, m->vm, d->base, d->gsi, big, m->loop);
		m->vcon_up = true;
		if (ret)
			return errbuf_set(err, ret, "virtio-console: %s", strerror(-ret));
		ret = vcon_wait_client(&m->vcon, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* KVM's own knobs for this VM: halt polling, exits handled in the guest (before the vCPUs). */
static int apply_kvm_knobs(struct machine *m, struct errbuf *err)
{
	const struct machine_config *c = &m->cfg;
	int ret;

	if (c->halt_poll_set) {
		if (!m->kvm.has_halt_poll)
			return errbuf_set(err, -EINVAL,
					  "--halt-poll: this KVM has no KVM_CAP_HALT_POLL");
		ret = vm_enable_cap(m->vm, KVM_CAP_HALT_POLL, c->halt_poll_ns);
		if (ret)
			return errbuf_set(err, -EINVAL, "--halt-poll %llu: refused by KVM: %s",
					  (unsigned long long)c->halt_poll_ns, strerror(-ret));
	}
	if (c->disable_exits) {
		if ((c->disable_exits & (uint32_t)m->kvm.disable_exits_mask) != c->disable_exits)
			return errbuf_set(
				err, -EINVAL,
				"--disable-exits: this KVM can disable only mask %#x, asked %#x",
				m->kvm.disable_exits_mask, c->disable_exits);
		ret = vm_enable_cap(m->vm, KVM_CAP_X86_DISABLE_EXITS, c->disable_exits);
		if (ret)
			return errbuf_set(err, -EINVAL, "--disable-exits: refused by KVM: %s",
					  strerror(-ret));
	}
	return 0;
}

static int add_devices(struct machine *m, struct errbuf *err)
{
	pthread_mutex_t *big = m->cfg.threading.lock == LOCK_BIG ? &m->vm->big_lock : NULL;
	int ret;

	ret = serial_init(&m->com1, m->vm, &m->console, SERIAL_COM1_BASE, SERIAL_COM1_IRQ, big);
	if (!ret)
		ret = i8042_init(&m->kbd, m->vm, big);
	if (!ret)
		ret = sink_init_post(&m->post, m->vm, big);
	if (!ret && m->cfg.kind == GUEST_MICRO)
		ret = sink_init_test(&m->testsink, m->vm, big);
	if (!ret && m->cfg.kind == GUEST_MICRO) {
		ret = storm_init(&m->storm, m->vm, m->cfg.vcpus, big);
		m->storm_up = true;
	}
	if (!ret && m->cfg.kind == GUEST_LINUX) {
		ret = acpi_pm_init(&m->pm, m->vm, ACPI_PM_DEFAULT_PORT, big);
		m->pm_up = !ret;
	}
	if (!ret && m->cfg.kind == GUEST_LINUX) {
		/* The power button (QMP system_powerdown): the DSDT declares it, load_linux_guest. */
		ret = ged_init(&m->ged, m->vm, ACPI_GED_DEFAULT_PORT, ACPI_GED_GSI, big);
		m->ged_up = !ret;
	}
	if (ret)
		return errbuf_set(err, ret, "registering devices failed: %s", strerror(-ret));
	m->devices_up = true;
	return add_virtio(m, big, err);
}

/* The --numa topology as micro-guests get it from SG_CALL_NUMA. */
static void numa_info(const struct machine *m, struct sg_numa_info *info)
{
	const struct gnuma *g = &m->cfg.gnuma;
	struct gnuma_range rg[2 * GNUMA_MAX_NODES];
	unsigned n = gnuma_ranges(g, LOW_RAM_MAX, HIGH_RAM_BASE, rg, ARRAY_SIZE(rg));

	memset(info, 0, sizeof(*info));
	info->nr_nodes = g->nr_nodes;
	info->nr_ranges = n;
	for (unsigned i = 0; i < SG_MAX_NUMA_NODES; i++) {
		info->host_node[i] = i < g->nr_nodes ? g->node[i].host_node : -1;
		for (unsigned j = 0; j < SG_MAX_NUMA_NODES; j++)
			info->distance[i][j] = g->distance[i][j];
	}
	for (unsigned i = 0; i < n; i++)
		info->ranges[i] = (struct sg_numa_range){ .base = rg[i].gpa,
							  .size = rg[i].size,
							  .node = rg[i].node };
	for (unsigned v = 0; v < m->cfg.vcpus && v < SG_MAX_VCPUS; v++)
		info->vcpu_node[v] = (uint16_t)gnuma_vcpu_node(g, v);
}

/* Linux: ACPI tables describing this machine, the kernel and initrd, vCPU 0's entry state. */
static int load_linux_guest(struct machine *m, struct errbuf *err)
{
	struct acpi_virtio_mmio vio[SG_MAX_DEVICES];
	uint32_t apic_ids[SG_MAX_VCPUS];
	uint32_t cpu_node[SG_MAX_VCPUS];
	struct gnuma_range rg[2 * GNUMA_MAX_NODES];
	struct acpi_numa_mem numa_mem[2 * GNUMA_MAX_NODES];
	uint8_t dist[GNUMA_MAX_NODES * GNUMA_MAX_NODES];
	struct acpi_numa numa;
	struct acpi_tables tables;
	struct x86boot_entry entry;
	struct x86boot_args args;
	struct vcpu *bsp = m->vm->vcpus[0];
	struct kvm_sregs s;
	struct kvm_regs r;
	struct acpi_config ac = {
		.nr_vcpus = m->vm->nr_vcpus,
		.apic_ids = apic_ids,
		.com1_port = SERIAL_COM1_BASE,
		.com1_irq = SERIAL_COM1_IRQ,
		.virtio = vio,
		.nr_virtio = m->ndev,
		.pm_port = ACPI_PM_DEFAULT_PORT,
		.ged_port = ACPI_GED_DEFAULT_PORT,
		.ged_gsi = ACPI_GED_GSI,
	};
	int ret;

	if (m->vm->nr_vcpus > SG_MAX_VCPUS)
		return errbuf_set(err, -EINVAL, "--vcpus: at most %d for Linux guests",
				  SG_MAX_VCPUS);
	for (unsigned i = 0; i < m->vm->nr_vcpus; i++)
		apic_ids[i] = m->vm->vcpus[i]->apic_id;
	for (unsigned i = 0; i < m->ndev; i++)
		vio[i] = (struct acpi_virtio_mmio){ .base = m->devtab[i].base,
						    .size = 0x200,
						    .gsi = m->devtab[i].gsi,
						    .level = false };
	if (m->cfg.gnuma.nr_nodes) {
		const struct gnuma *g = &m->cfg.gnuma;

		numa = (struct acpi_numa){ .nr_nodes = g->nr_nodes,
					   .cpu_node = cpu_node,
					   .mem = numa_mem,
					   .nr_mem = gnuma_ranges(g, LOW_RAM_MAX, HIGH_RAM_BASE, rg,
								  ARRAY_SIZE(rg)),
					   .distance = dist };
		for (unsigned i = 0; i < m->vm->nr_vcpus; i++)
			cpu_node[i] = gnuma_vcpu_node(g, i);
		for (unsigned i = 0; i < numa.nr_mem; i++)
			numa_mem[i] = (struct acpi_numa_mem){ .base = rg[i].gpa,
							      .size = rg[i].size,
							      .node = rg[i].node };
		for (unsigned i = 0; i < g->nr_nodes; i++)
			for (unsigned j = 0; j < g->nr_nodes; j++)
				dist[i * g->nr_nodes + j] = g->distance[i][j];
		ac.numa = &numa;
	}
	ret = acpi_install(&m->vm->mem, &ac, ACPI_TABLES_GPA, ACPI_TABLES_MAX, &tables, err);
	if (ret)
		return ret;
	args = (struct x86boot_args){ .cmdline = m->cmdline,
				      .initrd = m->initrd,
				      .initrd_size = m->initrd_size,
				      .rsdp_gpa = tables.rsdp_gpa };
	if (m->is_pvh)
		ret = pvh_load(&m->vm->mem, m->image, m->image_size, &args, &entry, err);
	else
		ret = bzimage_load(&m->vm->mem, m->image, m->image_size, &args, &entry, err);
	if (ret)
		return ret == -EFAULT || ret == -ENOMEM ? ret : -EINVAL;
	for (unsigned i = 0; i < m->vm->nr_vcpus; i++) {
		ret = vcpu_reset_msrs(m->vm->vcpus[i]);
		if (ret < 0)
			return errbuf_set(err, ret, "cannot set MSRs: %s", strerror(-ret));
	}
	/* vCPU 0 enters the kernel; the others wait for INIT/SIPI as on a PC. */
	ret = vcpu_get_sregs(bsp, &s);
	if (!ret) {
		x86boot_sregs(&entry, &s);
		ret = vcpu_set_sregs(bsp, &s);
	}
	if (!ret) {
		memset(&r, 0, sizeof(r));
		x86boot_regs(&entry, &r);
		ret = vcpu_set_regs(bsp, &r);
	}
	if (ret)
		return errbuf_set(err, ret, "cannot set the boot vCPU's registers: %s",
				  strerror(-ret));
	log_info("%s: %s entry at %#llx, initrd %#llx (%llu bytes), ACPI RSDP %#llx", m->image_name,
		 m->is_pvh ? "PVH" : "64-bit", (unsigned long long)entry.rip,
		 (unsigned long long)entry.initrd_gpa, (unsigned long long)entry.initrd_size,
		 (unsigned long long)tables.rsdp_gpa);
	return 0;
}

/* Whether the guest has KVM's PV steal time (this KVM offers it and --pv did not remove it). */
static bool steal_time_on(const struct machine *m)
{
	const struct kvm_cpuid_entry2 *e = kvm_cpuid_find(m->kvm.cpuid, 0x40000001, 0);
	uint32_t bit = 1u << KVM_FEATURE_STEAL_TIME;

	return e && (e->eax & bit) && !(m->cfg.pv_clear & bit);
}

static int load_guest(struct machine *m, struct errbuf *err)
{
	const char *why = "?";
	int ret;

	if (m->cfg.kind == GUEST_LINUX)
		return load_linux_guest(m, err);

	if (m->cfg.kind == GUEST_FLAT) {
		ret = flat_setup(m->vm, m->image, m->image_size);
		if (ret)
			return errbuf_set(err, ret, "%s: cannot load the flat image: %s",
					  m->image_name, strerror(-ret));
		return 0;
	}
	{
		struct sg_numa_info *numa = NULL;
		struct mguest_opts o = {
			.name = m->image_name,
			.image = m->image,
			.image_size = m->image_size,
			.args = m->cfg.guest_args,
			.cpl = m->cfg.cpl,
			.print = console_print,
			.print_opaque = m,
			.ndevices = m->ndev,
			.devices = m->devtab,
			.steal_time = steal_time_on(m),
		};

		if (m->cfg.gnuma.nr_nodes) {
			numa = malloc(sizeof(*numa));
			if (!numa)
				return errbuf_set(err, -ENOMEM, "out of memory");
			numa_info(m, numa);
			o.numa = numa;
		}
		ret = mguest_setup(m->vm, &o, &m->mg, &why);
		free(numa);
	}
	if (ret == -ENOMEM || ret == -E2BIG || ret == -ENOEXEC || ret == -EINVAL)
		return errbuf_set(err, -EINVAL, "%s: %s", m->image_name, why);
	if (ret)
		return errbuf_set(err, ret, "%s: %s: %s", m->image_name, why, strerror(-ret));
	return 0;
}

int machine_build(const struct machine_config *cfg, struct machine **out, struct errbuf *err)
{
	return machine_build_shared(cfg, NULL, out, err);
}

int machine_build_shared(const struct machine_config *cfg, struct ioloop *loop,
			 struct machine **out, struct errbuf *err)
{
	struct machine *m = calloc(1, sizeof(*m));
	struct vm_opts vo;
	const char *why = NULL;
	int ret;

	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->sigfd = -1;
	m->start_ns = now_ns();

	/* 1. Everything the user gave us, checked before any VM state exists. */
	ret = machine_load_image(m, err);
	if (!ret)
		ret = check_image(m, err);
	if (!ret)
		ret = check_memory(m, err);
	if (!ret)
		ret = open_kvm(m, err);
	for (unsigned i = 0; !ret && i < cfg->ndisks; i++) {
		struct vblk_opts bo;

		ret = vblk_parse_opts(cfg->disks[i], &bo, err);
		if (!ret)
			ret = vblk_open_image(&m->disks[i], &bo, err);
		if (!ret)
			m->ndisks_open = i + 1;
	}
	for (unsigned i = 0; !ret && i < cfg->nnets; i++) {
		struct vnet_opts no;

		ret = vnet_parse_opts(cfg->nets[i], &no, err);
		if (!ret) {
			ret = vnet_open(&m->nets[i], &no, err);
			m->nnets_open = i + 1; /* its fds are closed by vnet_destroy either way */
		}
	}
	if (!ret && cfg->vconsole) {
		ret = vcon_open(&m->vcon, cfg->vconsole, err);
		if (!ret)
			m->vcon_open = true;
	}
	if (!ret && cfg->map_churn)
		ret = churn_parse(cfg->map_churn, &m->churn_hz, &m->churn_target, err);
	if (!ret)
		ret = create_iothreads(m, err);
	if (!ret)
		ret = check_disk_iothreads(m, err);
	if (!ret && cfg->ndisks + cfg->nnets + cfg->rng + !!cfg->vconsole > SG_MAX_DEVICES)
		ret = errbuf_set(err, -EINVAL, "too many virtio devices (at most %d)",
				 SG_MAX_DEVICES);
	if (!ret) {
		ret = chardev_open(&m->console, cfg->console, &why);
		if (ret)
			ret = errbuf_set(err, -EINVAL, "--console %s: %s%s%s", cfg->console, why,
					 ret != -EINVAL ? ": " : "",
					 ret != -EINVAL ? strerror(-ret) : "");
		else
			m->console_open = true;
		/* As QEMU says it (a supervisor asks query-chardev instead). */
		if (!ret && m->console.kind == CHARDEV_PTY && !cfg->quiet)
			fprintf(stderr,
				"strand: %s: char device redirected to %s (label charserial0)\n",
				cfg->name, m->console.pty_path);
	}
	if (ret)
		goto fail;

	/* 2. The VM, its RAM and its vCPUs. */
	memset(&vo, 0, sizeof(vo));
	vo.map_mode = cfg->threading.map;
	vo.create_pit = true;
	ret = vm_create(&m->kvm, &vo, &m->vm);
	if (ret) {
		errbuf_set(err, ret, "cannot create the VM: %s", strerror(-ret));
		goto fail;
	}
	err->msg[0] = '\0';
	ret = add_ram(m, err);
	if (ret) {
		if (!err->msg[0])
			errbuf_set(err, ret, "cannot allocate guest RAM: %s", strerror(-ret));
		goto fail;
	}
	ret = apply_kvm_knobs(m, err);
	if (ret)
		goto fail;
	{
		/* The CPU model: on PVM hosts hide what KVM cannot emulate at guest CPL 0. */
		struct cpuid_opts copts = { 0 };
		const char *model = cfg->cpu_model ? cfg->cpu_model : "auto";

		copts.pvm_safe = strcmp(model, "pvm-safe") == 0 ||
				 (strcmp(model, "auto") == 0 && m->kvm.kind == KVM_KIND_PVM);
		copts.pv_clear = cfg->pv_clear;
		copts.pv_hints_set = cfg->pv_hints;
		ret = vm_create_vcpus(m->vm, cfg->vcpus, cfg->topo_given ? &cfg->topo : NULL,
				      &copts);
	}
	if (ret) {
		errbuf_set(err, ret, "cannot create %u vCPUs: %s", cfg->vcpus, strerror(-ret));
		goto fail;
	}

	snprintf(m->vm->thread_prefix, sizeof(m->vm->thread_prefix), "%s", m->cfg.thread_prefix);

	/* Instructions KVM's emulator gives up on (PVM hosts) are completed here if safe. */
	m->vm->hooks.internal_error = assist_handle;
	m->vm->hooks.opaque = &m->assists;

	/* 3. The main loop (console input, signals, stop; device completions), devices, guest. */
	if (loop) {
		m->loop = loop; /* several VMs share one main loop (run.c) */
	} else {
		ret = ioloop_create(&m->loop, "strand");
		if (ret) {
			errbuf_set(err, ret, "cannot create the main loop: %s", strerror(-ret));
			goto fail;
		}
		m->loop_owned = true;
	}
	ret = add_devices(m, err);
	if (!ret)
		ret = load_guest(m, err);
	if (ret)
		goto fail;

	*out = m;
	return 0;
fail:
	machine_destroy(m);
	return ret;
}

static void on_stop(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint64_t v;

	(void)events;
	if (read(m->vm->stop_fd, &v, sizeof(v)) < 0)
		log_debug("stop eventfd: %s", strerror(errno));
	ioloop_stop(m->loop);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGCHLD || si.ssi_signo == SIGWINCH || si.ssi_signo == SIGPIPE)
		return;
	log_info("signal %u: stopping the VM", si.ssi_signo);
	vm_request_stop(m->vm, VM_STOP_SIGNAL, 128 + (int)si.ssi_signo);
}

static void on_timeout(void *opaque)
{
	struct machine *m = opaque;

	log_warn("--timeout: stopping the VM after %.3f s",
		 (double)m->cfg.timeout_ns / (double)NSEC_PER_SEC);
	vm_request_stop(m->vm, VM_STOP_TIMEOUT, 124);
}

int machine_start(struct machine *m, const struct thread_placement *const *vcpu_pl,
		  const struct thread_placement *const *io_pl, bool console_input)
{
	int ret;

	if (console_input) {
		ret = chardev_attach_input(&m->console, m->loop, &machine_console_ops, m);
		if (ret)
			log_warn("console input unavailable: %s", strerror(-ret));
	}
	for (unsigned i = 0; i < m->niothreads; i++) {
		ret = iothread_start(&m->iothreads[i], io_pl ? io_pl[i] : NULL);
		if (ret) {
			log_error("cannot start iothread %s: %s", m->iothreads[i].opts.name,
				  strerror(-ret));
			return ret;
		}
	}
	/* vhost-net's kernel workers are our threads too: placed as the first iothread. */
	for (unsigned i = 0; i < m->nnets_up; i++) {
		const struct thread_placement *pl = io_pl && m->niothreads ? io_pl[0] : NULL;
		int tids[VNET_MAX_PAIRS];
		unsigned k = vnet_vhost_workers(&m->nets[i], tids, VNET_MAX_PAIRS);

		for (unsigned w = 0; w < k && pl && pl->has_cpus; w++) {
			if (sched_setaffinity(tids[w], sizeof(pl->cpus), &pl->cpus))
				log_warn("vhost worker %d: cannot place it: %s", tids[w],
					 strerror(errno));
		}
	}
	ret = vm_start(m->vm, vcpu_pl);
	if (ret) {
		log_error("cannot start the vCPU threads: %s", strerror(-ret));
		return ret;
	}
	m->running = true;
	if (m->churn_hz && churn_start(&m->churn, m->vm, m->churn_hz, m->churn_target))
		log_warn("--map-churn: cannot start the churn thread");
	return 0;
}

int machine_finish(struct machine *m)
{
	churn_stop(&m->churn);
	vm_join(m->vm);
	for (unsigned i = 0; i < m->niothreads; i++)
		iothread_stop(&m->iothreads[i]);
	m->stop_ns = now_ns();
	m->running = false;
	chardev_detach_input(&m->console);
	chardev_restore_tty();
	return vm_exit_status(m->vm);
}

int machine_run(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0 || ioloop_add_fd(m->loop, m->sigfd, EPOLLIN, on_signal, m, NULL) ||
	    ioloop_add_fd(m->loop, m->vm->stop_fd, EPOLLIN, on_stop, m, NULL)) {
		log_error("cannot set up the main loop: %s", strerror(errno));
		return 4;
	}
	if (m->cfg.timeout_ns &&
	    ioloop_timer_add(m->loop, m->cfg.timeout_ns, 0, on_timeout, m, NULL)) {
		log_error("cannot arm --timeout");
		return 4;
	}
	if (machine_start(m, NULL, NULL, true)) {
		vm_join(m->vm);
		return 4;
	}
	ioloop_run(m->loop);
	return machine_finish(m);
}

/* What KVM's emulator gave up on and strand completed (PVM hosts), once at the end. */
static void log_assists(const struct machine *m)
{
	char line[256];
	int len = 0;

	for (unsigned k = 1; k < ASSIST_KIND_COUNT; k++) {
		uint64_t n = __atomic_load_n(&m->assists.done[k], __ATOMIC_RELAXED);

		if (n && len < 200)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %s %llu",
					assist_kind_name((enum assist_kind)k),
					(unsigned long long)n);
	}
	if (m->assists.faults && len < 200)
		len += snprintf(line + len, sizeof(line) - (size_t)len, " faults %llu",
				(unsigned long long)m->assists.faults);
	if (m->assists.refused && len < 200)
		len += snprintf(line + len, sizeof(line) - (size_t)len, " refused %llu",
				(unsigned long long)m->assists.refused);
	if (len)
		log_info("%s: instructions completed for KVM's emulator:%s", m->cfg.name, line);
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	/* Reverse order of construction: nothing runs once the vCPUs are joined. */
	if (m->vm)
		vm_join(m->vm);
	log_assists(m);
	for (unsigned i = 0; i < m->niothreads; i++)
		iothread_stop(&m->iothreads[i]);
	if (m->mg)
		mguest_free(m->mg);
	if (m->console_open)
		chardev_detach_input(&m->console);
	for (unsigned i = 0; i < m->ndisks_open; i++) {
		if (i < m->ndisks_up)
			vblk_destroy(&m->disks[i]);
		else if (m->disks[i].fd >= 0)
			close(m->disks[i].fd);
	}
	for (unsigned i = 0; i < m->nnets_open; i++)
		vnet_destroy(&m->nets[i]);
	if (m->rng_up)
		vrng_destroy(&m->rng);
	if (m->vcon_up || m->vcon_open)
		vcon_destroy(&m->vcon);
	if (m->storm_up)
		storm_destroy(&m->storm);
	if (m->pm_up)
		acpi_pm_destroy(&m->pm);
	if (m->ged_up)
		ged_destroy(&m->ged);
	if (m->devices_up) {
		serial_destroy(&m->com1);
		i8042_destroy(&m->kbd);
		sink_destroy(&m->post);
		if (m->testsink.vm)
			sink_destroy(&m->testsink);
	}
	/* Device handlers are gone from the loops; now the loops themselves. */
	for (unsigned i = 0; i < m->niothreads; i++)
		iothread_destroy(&m->iothreads[i]);
	if (m->loop_owned)
		ioloop_destroy(m->loop);
	if (m->sigfd >= 0)
		close(m->sigfd);
	vm_destroy(m->vm);
	if (m->console_open)
		chardev_close(&m->console);
	if (m->kvm_open)
		kvm_close(&m->kvm);
	if (m->image_owned)
		free(m->image);
	free(m->initrd);
	free(m);
}
