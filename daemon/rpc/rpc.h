/*
 * rpc.h - libvirt's remote protocol, server side, for strandd: the framing of
 * docs/kbase/internals/rpc.rst (a 4-byte length that counts itself, then the XDR header
 * program / version / procedure / type / serial / status, then the XDR body), the remote
 * program (0x20008086 v1) and the keepalive program (0x6b656570 v1), libvirt's error structure,
 * and the bounded decoding helpers the procedures use. XDR primitives are libtirpc's.
 *
 * Threads: a server and its clients belong to the loop thread given to rpc_server_create; no
 * other thread may touch them.
 *
 * Hostile clients: a message longer than RPC_MAX_MSG, shorter than a header, of another
 * program or version, of a type other than CALL, or whose body does not decode, is answered
 * with libvirt's error (when its header could be read) and counted; a frame length that cannot
 * be trusted drops the client. Strings and arrays are decoded against explicit limits. A client
 * that does not read its replies is dropped once RPC_MAX_OUTQ bytes wait for it. At most
 * RPC_MAX_CLIENTS clients are served at once.
 */
#ifndef STRAND_DAEMON_RPC_RPC_H
#define STRAND_DAEMON_RPC_RPC_H

#include <rpc/xdr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/compiler.h"

struct ioloop;
struct rpc_server;
struct rpc_client;

#define RPC_REMOTE_PROGRAM    0x20008086u
#define RPC_REMOTE_VERSION    1u
#define RPC_KEEPALIVE_PROGRAM 0x6b656570u
#define RPC_KEEPALIVE_VERSION 1u
#define RPC_KEEPALIVE_PING    1
#define RPC_KEEPALIVE_PONG    2

#define RPC_MAX_MSG	      (4u << 20)  /* one message, length word included */
#define RPC_MAX_OUTQ	      (32u << 20) /* replies and events waiting for one client */
#define RPC_MAX_CLIENTS	      256
#define RPC_STRING_MAX	      (1u << 20) /* any string in a call (an XML document at most) */
#define RPC_HEADER_LEN	      28	 /* length word + 6 header words */

enum rpc_type {
	RPC_CALL = 0,
	RPC_REPLY = 1,
	RPC_MESSAGE = 2,
	RPC_STREAM = 3,
	RPC_CALL_WITH_FDS = 4,
};

enum rpc_status {
	RPC_OK = 0,
	RPC_ERROR = 1,
	RPC_CONTINUE = 2,
};

struct rpc_header {
	uint32_t prog, vers;
	int32_t proc, type;
	uint32_t serial;
	int32_t status;
};

/* Decode the header of one frame (len bytes, length word included). 0 or -EINVAL. */
int __must_check rpc_header_decode(const uint8_t *buf, size_t len, struct rpc_header *h);

/* One call being answered. */
struct rpc_call {
	struct rpc_client *client;
	struct rpc_header hdr;
	XDR *in;  /* the body, after the header */
	XDR *out; /* the reply body */
	/* Set by rpc_call_error (a handler returns its result). */
	bool failed;
	int code, domain;
	char message[512];
};

/* A procedure: fn returns 0 (the reply body is in out) or -1 after rpc_call_error. */
typedef int (*rpc_proc_fn)(struct rpc_call *call, void *opaque);

struct rpc_proc {
	int proc;
	rpc_proc_fn fn;
	bool mutating;	  /* refused on the read-only socket */
	bool before_open; /* allowed before CONNECT_OPEN */
};

struct rpc_server_opts {
	const char *rw_path; /* the read-write socket (mode 0600, or 0660 with group) */
	const char *ro_path; /* the read-only socket (0666); NULL: none */
	gid_t group;	     /* rw socket's group if not (gid_t)-1: root or that group may use it */
	const struct rpc_proc *procs;
	unsigned nprocs;
	void *opaque;
	/* A client went away: the owner drops what it kept for it (event callbacks). */
	void (*client_gone)(struct rpc_client *c, void *opaque);
};

struct rpc_stats {
	uint64_t clients, calls, bad_frames, bad_calls, unknown_procs, denied, dropped_slow,
		refused_clients;
};

int __must_check rpc_server_create(struct rpc_server **out, struct ioloop *loop,
				   const struct rpc_server_opts *o, char *err, size_t errlen);
void rpc_server_destroy(struct rpc_server *s);
void rpc_server_get_stats(const struct rpc_server *s, struct rpc_stats *out);

/*
 * Serve an already connected stream socket as a client (its peer credentials are read as for
 * an accepted one): a socket a supervisor passed down, or a test's socketpair. Takes fd.
 */
int __must_check rpc_server_adopt_fd(struct rpc_server *s, int fd, bool readonly);

/* The error the reply carries (libvirt's virErrorNumber and virErrorDomain). Returns -1. */
int rpc_call_error(struct rpc_call *call, int code, int domain, const char *fmt, ...)
	__printf(4, 5);

/* Per client. */
bool rpc_client_readonly(const struct rpc_client *c);
uid_t rpc_client_uid(const struct rpc_client *c);
pid_t rpc_client_pid(const struct rpc_client *c);
void rpc_client_set_data(struct rpc_client *c, void *data);
void *rpc_client_data(const struct rpc_client *c);
/* CONNECT_OPEN succeeded: every procedure may be called now. */
void rpc_client_mark_open(struct rpc_client *c);
/*
 * Send a MESSAGE of the remote program (an event) to c: the body is encoded by fn. Dropped
 * (and counted) when the client's queue is full.
 */
int rpc_client_send_message(struct rpc_client *c, int proc, bool (*fn)(XDR *x, void *arg),
			    void *arg);

/* Call fn for every client (fn may send to c, which may drop c, and nothing else). */
void rpc_server_foreach_client(struct rpc_server *s, void (*fn)(struct rpc_client *c, void *arg),
			       void *arg);

/*
 * Streams (libvirt's virStream, e.g. a console): after a call that opened one succeeded, the
 * client's STREAM messages for it reach the client's stream handler (header and raw body);
 * the server sends data with rpc_client_send_stream (status RPC_CONTINUE, raw bytes), the end
 * with status RPC_OK and no data, an abort with rpc_client_send_stream_error.
 */
typedef void (*rpc_stream_fn)(struct rpc_client *c, const struct rpc_header *h, const uint8_t *body,
			      size_t len);
void rpc_client_set_stream_handler(struct rpc_client *c, rpc_stream_fn fn);
int rpc_client_send_stream(struct rpc_client *c, int proc, uint32_t serial, int status,
			   const void *data, size_t len);
int rpc_client_send_stream_error(struct rpc_client *c, int proc, uint32_t serial, int code,
				 int domain, const char *msg);

/* Bounded decoders: a string is malloc'd (free it); NULL-able strings give NULL if absent. */
bool rpc_xdr_string(XDR *x, char **s, unsigned max);
bool rpc_xdr_opt_string(XDR *x, char **s, unsigned max);
/* Encoders. */
bool rpc_xdr_put_string(XDR *x, const char *s);
bool rpc_xdr_put_opt_string(XDR *x, const char *s);

#endif
