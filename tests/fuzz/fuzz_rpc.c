/*
 * fuzz_rpc.c - libFuzzer target: strandd's remote-protocol server (daemon/rpc) with its real
 * procedure table (daemon/remote.c) on a hostile client.
 *
 * The input is what a client writes on the socket, cut into separate writes at every
 * "\xff\xfe" pair (so the framing sees frames split and joined anywhere). The first byte
 * chooses the socket kind (read-only or read-write). The server runs on a domain manager over
 * an empty temporary directory whose VMM is /bin/false: a define parses and stores XML, a
 * start fails at once. Replies are read and thrown away. A memory error is an ASan report, a
 * hang a libFuzzer timeout, a leak an LSan report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/remote.h"
#include "daemon/rpc/rpc.h"
#include "iothreads/ioloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ioloop *loop;
static struct dm *dm;
static struct rpc_server *srv;

static void setup(void)
{
	static char top[] = "/tmp/fuzz-rpc-XXXXXX";
	/* dm and the server keep these pointers: static. */
	static char st[64], run[64], sock[80];
	char err[256];
	struct dm_opts o = { 0 };
	struct dm_err e;
	struct rpc_server_opts ro = { 0 };
	unsigned n;

	if (!mkdtemp(top))
		abort();
	snprintf(st, sizeof(st), "%s/lib", top);
	snprintf(run, sizeof(run), "%s/run", top);
	snprintf(sock, sizeof(sock), "%s/sock", top);
	o.state_dir = st;
	o.run_dir = run;
	o.strand_bin = "/bin/false";
	o.event = NULL;
	if (ioloop_create(&loop, "fuzz") || dm_open(&dm, loop, &o, &e))
		abort();
	ro.rw_path = sock;
	ro.group = (gid_t)-1;
	ro.procs = remote_procs(dm, "strand:///system", &n);
	ro.nprocs = n;
	ro.client_gone = remote_client_gone;
	if (rpc_server_create(&srv, loop, &ro, err, sizeof(err)))
		abort();
	remote_set_server(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	char sink[65536];

	if (!loop)
		setup();
	if (size < 1 || size > 256 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (rpc_server_adopt_fd(srv, sv[0], data[0] & 1)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	data++;
	size--;
	while (size) {
		size_t n = 0;

		while (n + 1 < size && !(data[n] == 0xff && data[n + 1] == 0xfe))
			n++;
		if (n + 1 >= size)
			n = size;
		if (n && send(sv[1], data, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			break;
		data += n;
		size -= n;
		if (size >= 2) {
			data += 2;
			size -= 2;
		}
		for (int turns = 0; turns < 4 && ioloop_run_once(loop, 0) > 0; turns++)
			while (recv(sv[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
				;
	}
	/* The client goes away; the server must notice and forget it. */
	close(sv[1]);
	for (int turns = 0; turns < 8 && ioloop_run_once(loop, 0) > 0; turns++)
		;
	return 0;
}
