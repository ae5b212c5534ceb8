/*
 * strandd - strand's management daemon (libvirt's role): domains as libvirt XML, one
 * `strand run` per running domain driven over its QMP monitor, served to libvirt's own
 * clients (virsh, python3-libvirt) over libvirt's remote protocol. docs/management.md.
 *
 * One thread: the loop serves the RPC clients and the VM monitors; a VM that stops answering
 * delays a call by at most DM_QMP_TIMEOUT_MS.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/remote.h"
#include "daemon/rpc/rpc.h"
#include "iothreads/ioloop.h"
#include "strand-config.h"
#include "util/file.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: strandd [options]\n"
		"strand's management daemon: libvirt's remote protocol for virsh and\n"
		"python3-libvirt (URI strand:///system, or strand+unix:///system?socket=PATH).\n"
		"\n"
		"  --session          a daemon for this user: sockets and VMs under\n"
		"                     $XDG_RUNTIME_DIR/strand, definitions under\n"
		"                     $XDG_DATA_HOME/strand (or ~/.local/share/strand)\n"
		"  --socket PATH      the read-write socket (default /run/strand/strand-sock)\n"
		"  --socket-ro PATH   the read-only socket (default /run/strand/strand-sock-ro;\n"
		"                     'none': no read-only socket)\n"
		"  --state-dir DIR    persistent definitions: DIR/domains/NAME.xml\n"
		"                     (default /var/lib/strand)\n"
		"  --run-dir DIR      state files, monitors and logs of running VMs\n"
		"                     (default /run/strand)\n"
		"  --group NAME       members of this group may use the read-write socket\n"
		"  --strand PATH      the strand binary (default: next to strandd, else $PATH)\n"
		"  --sched STRATEGY   how domains share the host's CPUs: host (the host\n"
		"                     scheduler, default), gang[:slice], gang-relaxed[:skew] or\n"
		"                     credit[:tslice] (strandd's controller gates every\n"
		"                     domain's vCPUs; cpu_shares and quotas are credit's weight\n"
		"                     and cap, live with schedinfo --live)\n"
		"  --verbose          log every VM start and stop\n"
		"  --help             this text\n");
}

static struct ioloop *g_loop;

static void on_dm_event(void *opaque, struct dm_dom *d, int event, int detail)
{
	(void)opaque;
	remote_event(d, event, detail);
}

static void on_signal(void *opaque, uint32_t events)
{
	int fd = *(int *)opaque;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		log_info("signal %u: stopping (the VMs keep running)", si.ssi_signo);
		ioloop_stop(g_loop);
	}
}

/* The strand binary: --strand, else beside strandd (installed) or in the build tree. */
static int find_strand(const char *given, char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	ssize_t n;
	const char *cands[] = { "/strand", "/../machine/strand" };

	if (given) {
		if (!realpath(given, out) || access(out, X_OK)) {
			fprintf(stderr, "strandd: --strand %s: not an executable file\n", given);
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		for (unsigned i = 0; i < 2; i++) {
			char p[PATH_MAX + 32];

			snprintf(p, sizeof(p), "%s%s", self, cands[i]);
			if (access(p, X_OK) == 0 && realpath(p, out))
				return 0;
		}
	}
	{
		const char *path = getenv("PATH");
		char *dup = path ? strdup(path) : NULL, *save = NULL;

		for (char *d = dup ? strtok_r(dup, ":", &save) : NULL; d;
		     d = strtok_r(NULL, ":", &save)) {
			char p[PATH_MAX + 16];

			snprintf(p, sizeof(p), "%s/strand", d);
			if (access(p, X_OK) == 0 && realpath(p, out)) {
				free(dup);
				return 0;
			}
		}
		free(dup);
	}
	(void)len;
	fprintf(stderr, "strandd: cannot find the strand binary: give --strand PATH\n");
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", no_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-ro", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "group", required_argument, NULL, 'g' },
		{ "strand", required_argument, NULL, 'b' },
		{ "sched", required_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *sock_ro = NULL, *state_dir = NULL, *run_dir = NULL,
		   *strand = NULL, *group = NULL, *sched = "host";
	char sbuf[PATH_MAX + 32], robuf[PATH_MAX + 32], stbuf[PATH_MAX], rubuf[PATH_MAX],
		bin[PATH_MAX];
	bool session = false, verbose = false;
	struct dm_opts dmo = { 0 };
	struct dm *dm = NULL;
	struct dm_err err = { 0, 0, "" };
	struct rpc_server_opts ro = { 0 };
	struct rpc_server *srv = NULL;
	char rerr[256] = "";
	sigset_t sigs;
	int sfd, c, ret;
	const struct rpc_proc *procs;
	unsigned nprocs;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			session = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'r':
			sock_ro = optarg;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'R':
			run_dir = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'b':
			strand = optarg;
			break;
		case 'x':
			sched = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "strandd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	{
		struct errbuf eb = { "" };

		if (sched_parse(sched, &dmo.sched, &eb)) {
			fprintf(stderr, "strandd: --sched %s: %s\n", sched, eb.msg);
			return 2;
		}
	}
	if (session) {
		const char *xdg = getenv("XDG_RUNTIME_DIR"), *data = getenv("XDG_DATA_HOME"),
			   *home = getenv("HOME");

		if (!xdg || !xdg[0]) {
			fprintf(stderr, "strandd: --session needs XDG_RUNTIME_DIR\n");
			return 2;
		}
		snprintf(rubuf, sizeof(rubuf), "%s/strand", xdg);
		if (data && data[0])
			snprintf(stbuf, sizeof(stbuf), "%s/strand", data);
		else
			snprintf(stbuf, sizeof(stbuf), "%s/.local/share/strand", home ? home : "/");
	} else {
		snprintf(rubuf, sizeof(rubuf), "/run/strand");
		snprintf(stbuf, sizeof(stbuf), "/var/lib/strand");
	}
	if (!run_dir)
		run_dir = rubuf;
	if (!state_dir)
		state_dir = stbuf;
	if (!sock) {
		snprintf(sbuf, sizeof(sbuf), "%s/strand-sock", run_dir);
		sock = sbuf;
	}
	if (!sock_ro) {
		snprintf(robuf, sizeof(robuf), "%s/strand-sock-ro", run_dir);
		sock_ro = robuf;
	} else if (strcmp(sock_ro, "none") == 0) {
		sock_ro = NULL;
	}
	ro.group = (gid_t)-1;
	if (group) {
		struct group *g = getgrnam(group);

		if (!g) {
			fprintf(stderr, "strandd: --group %s: no such group\n", group);
			return 2;
		}
		ro.group = g->gr_gid;
	}
	if (find_strand(strand, bin, sizeof(bin)))
		return 2;
	log_set_level(verbose ? LOG_INFO : LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ioloop_create(&g_loop, "strandd") || sfd < 0 ||
	    ioloop_add_fd(g_loop, sfd, EPOLLIN, on_signal, &sfd, NULL)) {
		fprintf(stderr, "strandd: cannot set up its event loop\n");
		return 1;
	}
	ret = file_mkdirs(run_dir, 0755);
	if (ret) {
		fprintf(stderr, "strandd: cannot create %s: %s\n", run_dir, strerror(-ret));
		return 1;
	}
	dmo.state_dir = state_dir;
	dmo.run_dir = run_dir;
	dmo.strand_bin = bin;
	dmo.event = on_dm_event;
	if (dm_open(&dm, g_loop, &dmo, &err)) {
		fprintf(stderr, "strandd: %s\n", err.message);
		return 1;
	}
	procs = remote_procs(dm, session ? "strand:///session" : "strand:///system", &nprocs);
	ro.rw_path = sock;
	ro.ro_path = sock_ro;
	ro.procs = procs;
	ro.nprocs = nprocs;
	ro.client_gone = remote_client_gone;
	if (rpc_server_create(&srv, g_loop, &ro, rerr, sizeof(rerr))) {
		fprintf(stderr, "strandd: %s\n", rerr[0] ? rerr : "cannot listen");
		dm_close(dm);
		return 1;
	}
	remote_set_server(srv);
	dm_autostart(dm); /* from the loop, once it runs */
	log_info("listening on %s%s%s; %zu domains, %zu running", sock, sock_ro ? " and " : "",
		 sock_ro ? sock_ro : "", dm_count(dm, false), dm_count(dm, true));
	ret = ioloop_run(g_loop);
	remote_set_server(NULL);
	rpc_server_destroy(srv);
	dm_close(dm); /* the VMs keep running; a new strandd re-attaches */
	ioloop_destroy(g_loop);
	return ret < 0 ? 1 : 0;
}
