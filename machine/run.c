/*
 * run.c - running one or several VMs: parse the groups, check the host-wide settings against
 * them, build every machine on one main loop, place their threads, start the scheduling
 * strategy, run until every VM stopped, report. Main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "machine/builder.h"
#include "machine/cli.h"
#include "machine/control.h"
#include "machine/report.h"
#include "machine/run.h"
#include "machine/stats.h"
#include "core/mguest.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/chardev.h"
#include "iothreads/ioloop.h"
#include "monitor/qmp.h"
#include "monitor/vcpu_gate.h"
#include "sched/place.h"
#include "sched/strategy.h"
#include "sched/topology.h"
#include "util/clock.h"
#include "util/cliopt.h"
#include "util/log.h"

struct stop_watch {
	struct run *r;
	unsigned vm;
};

static struct stop_watch watches[RUN_MAX_VMS];

static void stop_all(struct run *r, enum vm_stop_reason why, int status)
{
	for (unsigned i = 0; i < r->nvms; i++)
		vm_request_stop(r->m[i]->vm, why, status);
}

static void on_vm_stop(void *opaque, uint32_t events)
{
	struct stop_watch *w = opaque;
	struct run *r = w->r;
	uint64_t v;

	(void)events;
	if (read(r->m[w->vm]->vm->stop_fd, &v, sizeof(v)) < 0 || r->stop_fd_seen[w->vm])
		return;
	r->stop_fd_seen[w->vm] = true;
	control_vm_stopped(r, w->vm);
	if (++r->stopped == r->nvms)
		ioloop_stop(r->loop);
}

/*
 * After the first SIGINT/SIGTERM the main thread waits for every vCPU to leave KVM_RUN; a vCPU
 * stuck in the kernel (a long emulation on PVM, a wedged host) would make that wait endless,
 * with further signals queued unread in the signalfd. So the first one arms a plain handler:
 * a second SIGINT/SIGTERM restores the terminal and ends the process at once.
 */
static void on_second_signal(int sig)
{
	static const char msg[] = "strand: second signal: exiting without waiting for the VMs\n";

	chardev_restore_tty();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do in a signal handler */
	}
	_exit(128 + sig);
}

static void arm_second_signal(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_second_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct run *r = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	/* SIGUSR1 pauses every VM (all vCPUs parked), SIGUSR2 resumes them. */
	if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2) {
		if (control_pause(r, -1, si.ssi_signo == SIGUSR1))
			log_debug("pause: the VMs are stopping");
		log_info("%s", si.ssi_signo == SIGUSR1 ? "paused" : "resumed");
		return;
	}
	/* SIGQUIT: every vCPU's registers to stderr (a guest that seems stuck), then go on. */
	if (si.ssi_signo == SIGQUIT) {
		for (unsigned i = 0; i < r->nvms; i++) {
			struct vm *vm = r->m[i]->vm;
			bool was_paused;

			pthread_mutex_lock(&vm->park_lock);
			was_paused = vm->paused;
			pthread_mutex_unlock(&vm->park_lock);
			if (!was_paused && vm_pause(vm))
				continue; /* stopping anyway */
			for (unsigned v = 0; v < vm->nr_vcpus; v++) {
				if (r->nvms > 1)
					fprintf(stderr, "%s: ", r->cfg[i].name);
				vcpu_dump(vm->vcpus[v], stderr);
			}
			if (!was_paused)
				vm_resume(vm);
		}
		return;
	}
	log_info("signal %u: stopping", si.ssi_signo);
	control_signal_stop(r, (int)si.ssi_signo);
	stop_all(r, VM_STOP_SIGNAL, 128 + (int)si.ssi_signo);
	arm_second_signal();
}

static void on_timeout(void *opaque)
{
	struct run *r = opaque;

	log_warn("--timeout: stopping after %.3f s", (double)r->host.timeout_ns / 1e9);
	stop_all(r, VM_STOP_TIMEOUT, 124);
}

/* Split argv at "--vm": segment 0 (host options, or the one VM), then one per VM. */
static int parse(struct run *r, int argc, char **argv, struct errbuf *err)
{
	int starts[RUN_MAX_VMS + 1], n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--vm") == 0) {
			if (n == RUN_MAX_VMS)
				return errbuf_set(err, -EINVAL, "--vm: at most %d VMs",
						  RUN_MAX_VMS);
			starts[n++] = i;
		}
	}
	if (n == 0) {
		int ret = cli_parse_run(argc, argv, &r->cfg[0], err);

		if (ret)
			return ret;
		r->host = r->cfg[0];
		r->nvms = 1;
		if (!r->cfg[0].name[0])
			snprintf(r->cfg[0].name, sizeof(r->cfg[0].name), "vm0");
		return 0;
	}
	{
		int ret = cli_parse_run_mode(starts[0], argv, &r->host, CLI_PARSE_GLOBAL, err);

		if (ret)
			return ret;
	}
	for (int k = 0; k < n; k++) {
		int end = k + 1 < n ? starts[k + 1] : argc;
		/* Each segment is parsed as an argv of its own: "--vm" stands in for argv[0]. */
		int ret = cli_parse_run_mode(end - starts[k], argv + starts[k], &r->cfg[k],
					     CLI_PARSE_VM, err);

		if (ret)
			return ret;
		r->cfg[k].timeout_ns = r->host.timeout_ns;
		r->cfg[k].quiet |= r->host.quiet;
		if (strcmp(r->cfg[k].console, "stdio") == 0)
			r->cfg[k].console = r->host.console;
		r->cfg[k].kvm_path = r->host.kvm_path;
		r->cfg[k].sched = r->host.sched;
		r->cfg[k].stats = r->host.stats;
		if (!r->cfg[k].name[0])
			snprintf(r->cfg[k].name, sizeof(r->cfg[k].name), "vm%d", k);
		/* Only the first VM reads the terminal. */
		if (k > 0 && strcmp(r->cfg[k].console, "stdio") == 0)
			r->cfg[k].console_no_input = true;
	}
	r->nvms = (unsigned)n;
	return 0;
}

unsigned run_total_vcpus(const struct run *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nvms; i++)
		n += r->cfg[i].vcpus;
	return n;
}

/* Every --net pair=NAME has its two ends in this run (user input, before any VM). */
static int check_net_pairs(const struct run *r, struct errbuf *err)
{
	static char names[RUN_MAX_VMS * CONFIG_MAX_NETS][32];
	const char *list[RUN_MAX_VMS * CONFIG_MAX_NETS];
	unsigned queues[RUN_MAX_VMS * CONFIG_MAX_NETS], n = 0;

	for (unsigned i = 0; i < r->nvms; i++) {
		for (unsigned k = 0; k < r->cfg[i].nnets; k++) {
			struct vnet_opts o;

			if (vnet_parse_opts(r->cfg[i].nets[k], &o, err))
				return -EINVAL;
			snprintf(names[n], sizeof(names[n]), "%s", o.name);
			list[n] = o.backend == VNET_PAIR ? names[n] : NULL;
			queues[n++] = o.queues;
		}
	}
	return vnet_check_pairs(list, queues, n, err);
}

/* Host-wide settings against the VMs, before anything is built. */
int run_check_sched(const struct run *r, const struct sched_config *s, const struct topology *t,
		    bool live, struct errbuf *err)
{
	unsigned cpus = t->nr_pus > r->host.housekeeping ? t->nr_pus - r->host.housekeeping : 0;

	if (s->kind == SCHED_KIND_PINNED && run_total_vcpus(r) > cpus && !s->force)
		return errbuf_set(err, -EINVAL,
				  "--sched pinned: %u vCPUs on %u CPUs is overcommit; dedicated "
				  "pinning needs a CPU each (pinned:force to allow it)",
				  run_total_vcpus(r), cpus);
	for (unsigned i = 0; i < r->nvms; i++) {
		if (r->cfg[i].disable_exits && s->kind != SCHED_KIND_PINNED)
			return errbuf_set(
				err, -EINVAL,
				"--disable-exits needs dedicated CPUs: use --sched pinned "
				"(with exits disabled a vCPU never gives its CPU back)");
		if (r->cfg[i].disable_exits && s->force)
			return errbuf_set(
				err, -EINVAL,
				"--disable-exits cannot share CPUs (--sched pinned:force)");
		if (!live && (r->cfg[i].weight != 256 || r->cfg[i].cap_pct) &&
		    s->kind != SCHED_KIND_CREDIT)
			return errbuf_set(err, -EINVAL,
					  "--weight and --cap apply to --sched credit only");
	}
	if (s->kind == SCHED_KIND_FIFO) {
		char buf[32] = "";
		int fd = open("/proc/sys/kernel/sched_rt_runtime_us", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			ssize_t k = read(fd, buf, sizeof(buf) - 1);

			buf[k > 0 ? k : 0] = '\0';
			close(fd);
		}
		if (atoi(buf) < 0)
			return errbuf_set(
				err, -EINVAL,
				"--sched fifo: the kernel's RT throttling is off "
				"(sched_rt_runtime_us = -1): SCHED_FIFO vCPUs could starve the host");
		if (!t->nr_pus) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);

			cpus = n > 0 ? (unsigned)n : 1;
		}
		if (run_total_vcpus(r) > cpus)
			log_warn(
				"--sched fifo: %u vCPUs on %u CPUs: a SCHED_FIFO vCPU that busy-waits "
				"keeps its CPU until it blocks, so a VM can hold every CPU until it "
				"ends, and vCPUs waiting for siblings queued behind each other "
				"livelock (RT throttling runs only non-RT tasks); share CPUs with "
				"gang or credit",
				run_total_vcpus(r), cpus);
	}
	return 0;
}

/* Placement of every vCPU and iothread, from this host's topology. */
static int compute_placement(struct run *r, const struct topology *t, struct errbuf *err)
{
	struct place_vm_req vms[RUN_MAX_VMS];
	struct place_request req = { .nr_vms = r->nvms,
				     .vms = vms,
				     .housekeeping = r->host.housekeeping,
				     .allow_smt_sharing = r->host.allow_smt };
	bool needed = r->host.sched.kind == SCHED_KIND_PINNED;
	int ret;

	for (unsigned i = 0; i < r->nvms; i++) {
		const struct machine_config *c = &r->cfg[i];
		enum place_policy p = c->placement;

		place_vm_req_init(&vms[i], c->vcpus, r->m[i]->niothreads);
		vms[i].name = c->name;
		vms[i].mem_bytes = c->mem_bytes;
		/* Guest nodes bound to host nodes: their vCPUs float over those nodes' CPUs. */
		for (unsigned g = 0; g < c->gnuma.nr_nodes; g++)
			vms[i].gnode[g] =
				(struct place_gnode){ .vcpus = c->gnuma.node[g].vcpus,
						      .host_node = c->gnuma.node[g].host_node,
						      .mem_bytes = c->gnuma.node[g].mem_bytes };
		vms[i].nr_gnodes = c->gnuma.nr_nodes;
		if (p == PLACE_NONE && gnuma_has_host_nodes(&c->gnuma))
			p = PLACE_NUMA;
		if (r->host.sched.kind == SCHED_KIND_PINNED && p == PLACE_NONE)
			p = PLACE_COMPACT; /* dedicated: one CPU per vCPU */
		if (p != PLACE_NONE)
			needed = true;
		vms[i].cls[PLACE_VCPU].policy = p;
		vms[i].cls[PLACE_IOTHREAD].policy = p == PLACE_EXPLICIT ? PLACE_NONE : p;
		if (c->placement_cpus_set) {
			vms[i].cls[PLACE_VCPU].nr_cpu_sets = 1;
			vms[i].cls[PLACE_VCPU].cpu_sets = &c->placement_cpus;
		}
	}
	if (!needed && !r->host.housekeeping)
		return 0;
	if (r->host.sched.force)
		req.allow_smt_sharing = true;
	ret = place_compute(t, &req, &r->plan, err);
	if (ret)
		return ret;
	r->have_plan = true;
	for (unsigned w = 0; w < r->plan.nr_warnings; w++)
		log_warn("placement: %s", r->plan.warnings[w]);
	return 0;
}

static struct thread_placement *placements(struct run *r, unsigned vm, enum place_class cls,
					   unsigned n)
{
	struct thread_placement *pl = calloc(MAX(n, 1u), sizeof(*pl));

	for (unsigned i = 0; pl && i < n; i++) {
		const struct place_thread *th =
			r->have_plan ? place_plan_find(&r->plan, vm, cls, i) : NULL;

		if (th)
			place_to_thread(th, &pl[i]);
		if (cls == PLACE_VCPU && r->host.sched.kind == SCHED_KIND_FIFO) {
			pl[i].policy = SCHED_FIFO;
			pl[i].priority = r->host.sched.fifo_prio;
		}
	}
	return pl;
}

static void sched_gate(void *opaque, bool park)
{
	struct vcpu *v = opaque;

	if (park)
		vm_vcpu_park_set(v->vm, v, VCPU_PARK_SCHED);
	else
		vm_vcpu_park_clear(v->vm, v, VCPU_PARK_SCHED);
}

int run_start_sched(struct run *r, unsigned ncpus)
{
	struct sched_ctl *s = &r->sched;
	unsigned k = 0;

	memset(s, 0, sizeof(*s));
	s->cfg = r->host.sched;
	s->ncpus = ncpus;
	s->nvms = r->nvms;
	s->vms = calloc(r->nvms, sizeof(*s->vms));
	s->nvcpus = run_total_vcpus(r);
	s->vcpus = calloc(s->nvcpus, sizeof(*s->vcpus));
	if (!s->vms || !s->vcpus) {
		free(s->vms);
		free(s->vcpus);
		s->vms = NULL;
		s->vcpus = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < r->nvms; i++) {
		struct vm *vm = r->m[i]->vm;

		s->vms[i].weight = r->cfg[i].weight;
		s->vms[i].cap_pct = r->cfg[i].cap_pct;
		s->vms[i].weight_req = r->cfg[i].weight;
		s->vms[i].cap_req = r->cfg[i].cap_pct;
		s->vms[i].nvcpus = vm->nr_vcpus;
		for (unsigned j = 0; j < vm->nr_vcpus; j++, k++) {
			s->vcpus[k].vm = i;
			s->vcpus[k].tid = vm->vcpus[j]->thread.tid;
			s->vcpus[k].gate = sched_gate;
			s->vcpus[k].opaque = vm->vcpus[j];
		}
	}
	if (sched_ctl_start(s, NULL)) {
		free(s->vms);
		free(s->vcpus);
		s->vms = NULL;
		s->vcpus = NULL;
		return -EAGAIN;
	}
	r->sched_started = true;
	return 0;
}

void run_stop_sched(struct run *r)
{
	struct sched_ctl *s = &r->sched;

	if (!r->sched_started)
		return;
	sched_ctl_stop(s);
	r->sched_started = false;
	/* Keep the parked time and CPU use of this strategy for the report. */
	for (unsigned k = 0; k < s->nvcpus && r->parked_carry_ns; k++)
		r->parked_carry_ns[k] += s->vcpus[k].parked_total_ns;
}

static int start_sched(struct run *r, const struct topology *t)
{
	unsigned ncpus =
		t->nr_pus > r->host.housekeeping ? t->nr_pus - r->host.housekeeping : t->nr_pus;

	r->parked_carry_ns = calloc(MAX(run_total_vcpus(r), 1u), sizeof(uint64_t));
	if (!r->parked_carry_ns)
		return -ENOMEM;
	return run_start_sched(r, ncpus);
}

/*
 * Whether this run needs the host's topology: a strategy other than the host scheduler,
 * housekeeping CPUs, or a placement. Loading it maps hwloc and its plug-ins (libxml2, ICU:
 * megabytes of RSS and milliseconds of start-up), which a plain run does not pay for.
 */
static bool needs_topology(const struct run *r)
{
	if (r->host.sched.kind != SCHED_KIND_HOST || r->host.housekeeping)
		return true;
	for (unsigned i = 0; i < r->nvms; i++) {
		const struct machine_config *c = &r->cfg[i];

		if (c->placement != PLACE_NONE || c->placement_cpus_set ||
		    gnuma_has_host_nodes(&c->gnuma))
			return true;
	}
	return false;
}

/*
 * --vcpu-gate: the shared file (monitor/vcpu_gate.h), one slot per vCPU in run order, each
 * vCPU's ext_gate its slot's word. Before the vCPUs start; published once their tids exist.
 */
static int gate_create(struct run *r, struct errbuf *err)
{
	unsigned k = 0;
	int ret;

	if (!r->host.vcpu_gate)
		return 0;
	ret = vcpu_gate_create(&r->gate, r->host.vcpu_gate, run_total_vcpus(r), THREAD_KICK_SIGNAL,
			       err);
	if (ret)
		return ret;
	for (unsigned i = 0; i < r->nvms; i++)
		for (unsigned j = 0; j < r->m[i]->vm->nr_vcpus; j++, k++)
			r->m[i]->vm->vcpus[j]->ext_gate = vcpu_gate_word(&r->gate, k);
	return 0;
}

static void gate_publish(struct run *r)
{
	unsigned k = 0;

	if (!r->gate.hdr)
		return;
	for (unsigned i = 0; i < r->nvms; i++)
		for (unsigned j = 0; j < r->m[i]->vm->nr_vcpus; j++, k++)
			vcpu_gate_set_tid(&r->gate, k, r->m[i]->vm->vcpus[j]->thread.tid);
	vcpu_gate_publish(&r->gate);
}

static int run_all(struct run *r)
{
	static const struct topology none; /* nr_pus 0: nothing reads it on this path */
	const struct topology *t = &none;
	struct errbuf err = { "" };
	sigset_t set;
	int status = 0, ret;

	if (needs_topology(r)) {
		ret = topo_host(&t, &err);
		if (ret) {
			log_error("%s", err.msg);
			return 4;
		}
	}
	ret = run_check_sched(r, &r->host.sched, t, false, &err);
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	ret = ioloop_create(&r->loop, "strand");
	if (ret) {
		log_error("cannot create the main loop: %s", strerror(-ret));
		return 4;
	}
	ret = check_net_pairs(r, &err);
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	/* The monitor's sockets exist before any VM does: a client may connect at once. */
	ret = control_start(r, &err);
	if (ret) {
		log_error("%s", err.msg);
		return ret == -EINVAL ? 2 : 4;
	}
	for (unsigned i = 0; i < r->nvms; i++) {
		/* Threads named per VM ("vm1.vcpu0"), so top, perf and /proc tell them apart. */
		if (r->nvms > 1) {
			/* Through a local: GCC 12's -Wrestrict (sanitizer builds) sees one object. */
			char prefix[sizeof(r->cfg[i].thread_prefix)];

			snprintf(prefix, sizeof(prefix), "%.6s.", r->cfg[i].name);
			memcpy(r->cfg[i].thread_prefix, prefix, sizeof(prefix));
		}
		ret = machine_build_shared(&r->cfg[i], r->loop, &r->m[i], &err);
		if (ret) {
			log_error("%s%s%s", r->nvms > 1 ? r->cfg[i].name : "",
				  r->nvms > 1 ? ": " : "", err.msg);
			return ret == -EINVAL ? 2 : 4;
		}
		r->m[i]->tag_output = r->nvms > 1;
	}
	ret = compute_placement(r, t, &err);
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	ret = gate_create(r, &err);
	if (ret) {
		log_error("%s", err.msg);
		return 4;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGQUIT);
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sigfd < 0 || ioloop_add_fd(r->loop, r->sigfd, EPOLLIN, on_signal, r, NULL)) {
		log_error("cannot watch signals: %s", strerror(errno));
		return 4;
	}
	for (unsigned i = 0; i < r->nvms; i++) {
		watches[i] = (struct stop_watch){ r, i };
		if (ioloop_add_fd(r->loop, r->m[i]->vm->stop_fd, EPOLLIN, on_vm_stop, &watches[i],
				  NULL))
			return 4;
	}
	if (r->host.timeout_ns &&
	    ioloop_timer_add(r->loop, r->host.timeout_ns, 0, on_timeout, r, NULL))
		return 4;
	r->start_ns = now_ns();
	for (unsigned i = 0; i < r->nvms; i++) {
		const struct thread_placement *vp[SG_MAX_VCPUS], *ip[16];

		r->vcpu_pl[i] = placements(r, i, PLACE_VCPU, r->cfg[i].vcpus);
		r->io_pl[i] = placements(r, i, PLACE_IOTHREAD, r->m[i]->niothreads);
		for (unsigned j = 0; j < r->cfg[i].vcpus && j < SG_MAX_VCPUS; j++)
			vp[j] = r->vcpu_pl[i] ? &r->vcpu_pl[i][j] : NULL;
		for (unsigned j = 0; j < r->m[i]->niothreads && j < 16; j++)
			ip[j] = r->io_pl[i] ? &r->io_pl[i][j] : NULL;
		if (r->host.start_paused) {
			vm_pause_nowait(r->m[i]->vm);
			r->paused[i] = true;
		}
		ret = machine_start(r->m[i], vp, ip, !r->cfg[i].console_no_input);
		if (ret) {
			stop_all(r, VM_STOP_HOST_ERROR, 4);
			status = ret == -EPERM ? 2 : 4;
			if (ret == -EPERM)
				log_error("a placement or priority was refused (SCHED_FIFO needs "
					  "CAP_SYS_NICE)");
			break;
		}
	}
	if (!status)
		gate_publish(r);
	if (!status && (start_sched(r, t) || control_base_affinity(r))) {
		log_error("cannot start the scheduling strategy");
		stop_all(r, VM_STOP_HOST_ERROR, 4);
	}
	r->state = r->host.start_paused ? RUN_PRELAUNCH : RUN_RUNNING;
	if (!status)
		ioloop_run(r->loop);
	run_stop_sched(r);
	/* The report shows the time parked under every strategy the run had. */
	for (unsigned k = 0; r->parked_carry_ns && k < r->sched.nvcpus; k++)
		r->sched.vcpus[k].parked_total_ns = r->parked_carry_ns[k];
	for (unsigned i = 0; i < r->nvms; i++) {
		int s;

		if (!r->m[i]->running) {
			vm_join(r->m[i]->vm);
			continue;
		}
		s = machine_finish(r->m[i]);
		if (s && !status)
			status = s;
	}
	control_finish(r);
	return status;
}

/* Every file the run will write, checked before any VM exists (not after it ran). */
static int check_outputs(const struct run *r, struct errbuf *err)
{
	if (r->host.results_json &&
	    cliopt_check_output("--results-json", r->host.results_json, false, err))
		return -EINVAL;
	if (r->host.stats_json &&
	    cliopt_check_output("--stats-json", r->host.stats_json, false, err))
		return -EINVAL;
	if (r->host.vcpu_gate && cliopt_check_output("--vcpu-gate", r->host.vcpu_gate, false, err))
		return -EINVAL;
	for (unsigned i = 0; i < r->nvms; i++) {
		const struct machine_config *c = &r->cfg[i];

		if (c->results_json &&
		    cliopt_check_output("--results-json", c->results_json, false, err))
			return -EINVAL;
		if (strncmp(c->console, "file:", 5) == 0 &&
		    cliopt_check_output("--console", c->console + 5, false, err))
			return -EINVAL;
	}
	return 0;
}

int run_main(int argc, char **argv)
{
	static struct run r;
	struct errbuf err = { "" };
	int ret, status;

	memset(&r, 0, sizeof(r));
	r.sigfd = -1;
	ret = parse(&r, argc, argv, &err);
	if (ret == 1)
		return 0;
	if (!ret)
		ret = check_outputs(&r, &err);
	if (ret) {
		log_error("%s", err.msg);
		return 2;
	}
	status = run_all(&r);
	if (r.nvms > 1 && r.host.results_json && r.m[r.nvms - 1] &&
	    report_write_json_multi(r.m, r.nvms, status, r.host.results_json, &err)) {
		log_error("%s", err.msg);
		if (!status)
			status = 4;
	}
	for (unsigned i = 0; i < r.nvms && r.m[i]; i++) {
		struct machine *m = r.m[i];

		if (m->mg && !r.cfg[i].quiet) {
			if (r.nvms > 1)
				printf("== %s\n", r.cfg[i].name);
			report_print(m->mg, stdout);
		}
		if (r.cfg[i].results_json && m->vm &&
		    report_write_json(m, vm_exit_status(m->vm), r.cfg[i].results_json, &err)) {
			log_error("%s", err.msg);
			if (!status)
				status = 4;
		}
	}
	if (r.host.stats && r.nvms && r.m[0] && r.m[0]->vm) {
		/* --quiet with --stats-json: the file only. */
		if (!(r.host.quiet && r.host.stats_json))
			stats_print(r.m, r.nvms, r.sched.vcpus ? &r.sched : NULL,
				    now_ns() - r.start_ns, stdout);
		if (r.host.stats_json &&
		    stats_write_json(r.m, r.nvms, r.sched.vcpus ? &r.sched : NULL,
				     now_ns() - r.start_ns, r.host.stats_json, &err)) {
			log_error("%s", err.msg);
			if (!status)
				status = 4;
		}
	}
	fflush(stdout);
	for (unsigned i = 0; i < r.nvms; i++) {
		if (r.m[i] && r.m[i]->vm)
			log_info("%s: %s (exit status %d)", r.cfg[i].name,
				 vm_stop_reason_name(r.m[i]->vm->stop_reason),
				 vm_exit_status(r.m[i]->vm));
		machine_destroy(r.m[i]);
		free(r.vcpu_pl[i]);
		free(r.io_pl[i]);
	}
	if (r.have_plan)
		place_plan_free(&r.plan);
	free(r.sched.vms);
	free(r.sched.vcpus);
	free(r.parked_carry_ns);
	for (unsigned i = 0; i < r.nvms; i++)
		free(r.vcpu_base[i]);
	vcpu_gate_close(&r.gate, true);
	control_destroy(&r);
	ioloop_destroy(r.loop);
	if (r.sigfd >= 0)
		close(r.sigfd);
	return status;
}
