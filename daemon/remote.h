/*
 * remote.h - the remote program's procedures strandd serves (remote.c), for rpc_server_opts.
 */
#ifndef STRAND_DAEMON_REMOTE_H
#define STRAND_DAEMON_REMOTE_H

#include "daemon/rpc/rpc.h"

struct dm;
struct dm_dom;

/* The procedure table, bound to dm; uri is what CONNECT_GET_URI answers. */
const struct rpc_proc *remote_procs(struct dm *dm, const char *uri, unsigned *n);

/* The server events go out on (set once it exists). */
void remote_set_server(struct rpc_server *srv);
/* dm's event callback: a lifecycle event to every client registered for it. */
void remote_event(struct dm_dom *d, int event, int detail);
/* rpc_server_opts.client_gone: forget the client's event registrations. */
void remote_client_gone(struct rpc_client *c, void *opaque);

#endif
