/*
 * rpc.c - libvirt's remote protocol, server side (rpc.h). Loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/rpc/rpc.h"
#include "iothreads/ioloop.h"
#include "util/log.h"

#define VIR_ERR_ERROR		 2 /* virErrorLevel */
#define VIR_ERR_NO_SUPPORT	 3 /* virErrorNumber */
#define VIR_ERR_INTERNAL_ERROR	 1
#define VIR_ERR_RPC		 39
#define VIR_ERR_OPERATION_DENIED 29
#define VIR_FROM_RPC		 7     /* virErrorDomain */
#define RPC_IN_SMALL		 65536 /* a client's input buffer, until a bigger frame comes */

struct rpc_client {
	struct rpc_server *s;
	int fd;
	struct ioloop_fd *h;
	bool readonly, opened, dead, want_out;
	uid_t uid;
	pid_t pid;
	uint8_t *in; /* the frame being read (RPC_IN_SMALL bytes, grown for a bigger frame) */
	size_t in_len, in_want, in_cap;
	uint8_t *out; /* bytes waiting to be written: out[out_off..out_len) */
	size_t out_off, out_len, out_cap;
	void *data;
	rpc_stream_fn stream_fn;
	struct rpc_client *next;
};

struct rpc_listener {
	struct rpc_server *s;
	int fd;
	bool readonly;
	struct ioloop_fd *h;
	char path[108];
};

struct rpc_server {
	struct ioloop *loop;
	struct rpc_server_opts o;
	struct rpc_listener l[2];
	unsigned nl;
	struct rpc_client *clients;
	struct rpc_client *graveyard; /* dropped, freed when no handler can hold them */
	unsigned nclients;
	uint8_t *scratch;     /* one reply being encoded (RPC_MAX_MSG) */
	uint8_t *msg_scratch; /* a MESSAGE (event) sent while a reply is being encoded */
	struct rpc_stats st;
	uint64_t last_warn_ns;
};

/* ---- XDR helpers ---- */

bool rpc_xdr_string(XDR *x, char **s, unsigned max)
{
	*s = NULL;
	if (!xdr_string(x, s, max)) {
		free(*s);
		*s = NULL;
		return false;
	}
	return true;
}

bool rpc_xdr_opt_string(XDR *x, char **s, unsigned max)
{
	bool_t present;

	*s = NULL;
	if (!xdr_bool(x, &present))
		return false;
	return present ? rpc_xdr_string(x, s, max) : true;
}

bool rpc_xdr_put_string(XDR *x, const char *s)
{
	char *p = (char *)(s ? s : "");

	return xdr_string(x, &p, RPC_MAX_MSG);
}

bool rpc_xdr_put_opt_string(XDR *x, const char *s)
{
	bool_t present = s != NULL;

	if (!xdr_bool(x, &present))
		return false;
	return !s || rpc_xdr_put_string(x, s);
}

int rpc_header_decode(const uint8_t *buf, size_t len, struct rpc_header *h)
{
	XDR x;
	bool ok;

	if (len < RPC_HEADER_LEN)
		return -EINVAL;
	xdrmem_create(&x, (char *)buf + 4, (unsigned)(len - 4), XDR_DECODE);
	ok = xdr_u_int(&x, &h->prog) && xdr_u_int(&x, &h->vers) && xdr_int(&x, &h->proc) &&
	     xdr_int(&x, &h->type) && xdr_u_int(&x, &h->serial) && xdr_int(&x, &h->status);
	xdr_destroy(&x);
	return ok ? 0 : -EINVAL;
}

static bool put_header(XDR *x, const struct rpc_header *h)
{
	uint32_t len0 = 0;
	struct rpc_header c = *h;

	return xdr_u_int(x, &len0) && xdr_u_int(x, &c.prog) && xdr_u_int(x, &c.vers) &&
	       xdr_int(x, &c.proc) && xdr_int(x, &c.type) && xdr_u_int(x, &c.serial) &&
	       xdr_int(x, &c.status);
}

/* ---- output ---- */

static void client_drop(struct rpc_client *c, const char *why);

static void warn_rl(struct rpc_server *s, const char *fmt, ...) __printf(2, 3);

/* Bad input is logged at most once a second (and always counted). */
static void warn_rl(struct rpc_server *s, const char *fmt, ...)
{
	struct timespec ts;
	uint64_t now;
	char msg[256];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (now - s->last_warn_ns < 1000000000ULL)
		return;
	s->last_warn_ns = now;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("rpc: %s", msg);
}

static void flush_out(struct rpc_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_drop(c, "write failed");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->dead)
		return;
	if ((c->out_len > 0) != c->want_out) {
		c->want_out = c->out_len > 0;
		if (ioloop_mod_fd(c->s->loop, c->h, EPOLLIN | (c->want_out ? EPOLLOUT : 0)))
			client_drop(c, "epoll");
	}
}

/* Queue a complete frame (its length word is filled here). */
static int queue_frame(struct rpc_client *c, uint8_t *frame, size_t len)
{
	uint32_t be = htonl((uint32_t)len);

	if (c->dead)
		return -EPIPE;
	memcpy(frame, &be, 4);
	if (c->out_len - c->out_off + len > RPC_MAX_OUTQ) {
		c->s->st.dropped_slow++;
		warn_rl(c->s, "client (pid %d) does not read its replies: dropped", (int)c->pid);
		client_drop(c, "output queue full");
		return -ENOBUFS;
	}
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;
		uint8_t *p;

		if (c->out_off) { /* compact first */
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			client_drop(c, "out of memory");
			return -ENOMEM;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, frame, len);
	c->out_len += len;
	flush_out(c);
	return 0;
}

static bool put_error(XDR *x, int code, int domain, const char *message)
{
	int level = VIR_ERR_ERROR, zero = 0;
	bool_t absent = 0;

	return xdr_int(x, &code) && xdr_int(x, &domain) && rpc_xdr_put_opt_string(x, message) &&
	       xdr_int(x, &level) && xdr_bool(x, &absent) /* dom */ &&
	       rpc_xdr_put_opt_string(x, message) /* str1 */ && xdr_bool(x, &absent) &&
	       xdr_bool(x, &absent) && xdr_int(x, &zero) && xdr_int(x, &zero) &&
	       xdr_bool(x, &absent) /* net */;
}

static void send_error(struct rpc_client *c, const struct rpc_header *req, int code, int domain,
		       const char *msg)
{
	struct rpc_header h = *req;
	XDR x;

	h.type = RPC_REPLY;
	h.status = RPC_ERROR;
	xdrmem_create(&x, (char *)c->s->scratch, RPC_MAX_MSG, XDR_ENCODE);
	if (put_header(&x, &h) && put_error(&x, code, domain, msg))
		(void)queue_frame(c, c->s->scratch, xdr_getpos(&x));
	xdr_destroy(&x);
}

int rpc_call_error(struct rpc_call *call, int code, int domain, const char *fmt, ...)
{
	va_list ap;

	call->failed = true;
	call->code = code;
	call->domain = domain;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
	return -1;
}

int rpc_client_send_message(struct rpc_client *c, int proc, bool (*fn)(XDR *x, void *arg),
			    void *arg)
{
	struct rpc_header h = {
		RPC_REMOTE_PROGRAM, RPC_REMOTE_VERSION, proc, RPC_MESSAGE, 0, RPC_OK
	};
	XDR x;
	int ret = -EMSGSIZE;

	if (c->dead)
		return -EPIPE;
	xdrmem_create(&x, (char *)c->s->msg_scratch, RPC_MAX_MSG, XDR_ENCODE);
	if (put_header(&x, &h) && fn(&x, arg))
		ret = queue_frame(c, c->s->msg_scratch, xdr_getpos(&x));
	xdr_destroy(&x);
	return ret;
}

void rpc_client_set_stream_handler(struct rpc_client *c, rpc_stream_fn fn)
{
	c->stream_fn = fn;
}

int rpc_client_send_stream(struct rpc_client *c, int proc, uint32_t serial, int status,
			   const void *data, size_t len)
{
	struct rpc_header h = {
		RPC_REMOTE_PROGRAM, RPC_REMOTE_VERSION, proc, RPC_STREAM, serial, status
	};
	XDR x;
	size_t pos;
	int ret = -EMSGSIZE;

	if (c->dead)
		return -EPIPE;
	if (len > RPC_MAX_MSG - RPC_HEADER_LEN)
		return -EMSGSIZE;
	xdrmem_create(&x, (char *)c->s->msg_scratch, RPC_MAX_MSG, XDR_ENCODE);
	if (put_header(&x, &h)) {
		pos = xdr_getpos(&x);
		if (len)
			memcpy(c->s->msg_scratch + pos, data, len); /* raw bytes, not XDR */
		ret = queue_frame(c, c->s->msg_scratch, pos + len);
	}
	xdr_destroy(&x);
	return ret;
}

int rpc_client_send_stream_error(struct rpc_client *c, int proc, uint32_t serial, int code,
				 int domain, const char *msg)
{
	struct rpc_header h = { RPC_REMOTE_PROGRAM, RPC_REMOTE_VERSION, proc, RPC_STREAM, serial,
				RPC_ERROR };
	XDR x;
	int ret = -EMSGSIZE;

	if (c->dead)
		return -EPIPE;
	xdrmem_create(&x, (char *)c->s->msg_scratch, RPC_MAX_MSG, XDR_ENCODE);
	if (put_header(&x, &h) && put_error(&x, code, domain, msg))
		ret = queue_frame(c, c->s->msg_scratch, xdr_getpos(&x));
	xdr_destroy(&x);
	return ret;
}

/* ---- dispatch ---- */

static const struct rpc_proc *find_proc(const struct rpc_server *s, int proc)
{
	for (unsigned i = 0; i < s->o.nprocs; i++)
		if (s->o.procs[i].proc == proc)
			return &s->o.procs[i];
	return NULL;
}

static void keepalive(struct rpc_client *c, const struct rpc_header *h)
{
	struct rpc_header pong = { RPC_KEEPALIVE_PROGRAM,
				   RPC_KEEPALIVE_VERSION,
				   RPC_KEEPALIVE_PONG,
				   RPC_MESSAGE,
				   0,
				   RPC_OK };
	XDR x;

	if (h->proc != RPC_KEEPALIVE_PING || h->type != RPC_MESSAGE)
		return; /* a PONG to our (never sent) PING, or noise: nothing to answer */
	xdrmem_create(&x, (char *)c->s->scratch, RPC_MAX_MSG, XDR_ENCODE);
	if (put_header(&x, &pong))
		(void)queue_frame(c, c->s->scratch, xdr_getpos(&x));
	xdr_destroy(&x);
}

static void dispatch(struct rpc_client *c, const uint8_t *frame, size_t len)
{
	struct rpc_server *s = c->s;
	struct rpc_header h;
	const struct rpc_proc *p;
	struct rpc_call call;
	XDR in, out;
	int rc;

	if (rpc_header_decode(frame, len, &h)) {
		s->st.bad_frames++;
		client_drop(c, "undecodable header");
		return;
	}
	if (h.prog == RPC_KEEPALIVE_PROGRAM && h.vers == RPC_KEEPALIVE_VERSION) {
		keepalive(c, &h);
		return;
	}
	if (h.type == RPC_STREAM && c->stream_fn && h.prog == RPC_REMOTE_PROGRAM) {
		c->stream_fn(c, &h, frame + RPC_HEADER_LEN, len - RPC_HEADER_LEN);
		return;
	}
	if (h.type != RPC_CALL) {
		/* Replies from a client, or a stream it has not opened. */
		s->st.bad_calls++;
		warn_rl(s, "client (pid %d) sent a message of type %d (procedure %d)", (int)c->pid,
			h.type, h.proc);
		if (h.type == RPC_CALL_WITH_FDS)
			send_error(c, &h, VIR_ERR_RPC, VIR_FROM_RPC,
				   "strandd does not accept file descriptors");
		return;
	}
	if (h.prog != RPC_REMOTE_PROGRAM || h.vers != RPC_REMOTE_VERSION) {
		s->st.bad_calls++;
		send_error(c, &h, VIR_ERR_RPC, VIR_FROM_RPC,
			   h.prog != RPC_REMOTE_PROGRAM ? "unknown program" :
							  "unsupported protocol version");
		return;
	}
	s->st.calls++;
	p = find_proc(s, h.proc);
	if (!p) {
		char m[96];

		s->st.unknown_procs++;
		snprintf(m, sizeof(m), "this function is not supported by strandd: procedure %d",
			 h.proc);
		send_error(c, &h, VIR_ERR_NO_SUPPORT, VIR_FROM_RPC, m);
		return;
	}
	if (!c->opened && !p->before_open) {
		s->st.bad_calls++;
		send_error(c, &h, VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC,
			   "internal error: connection not open");
		return;
	}
	if (c->readonly && p->mutating) {
		s->st.denied++;
		send_error(c, &h, VIR_ERR_OPERATION_DENIED, VIR_FROM_RPC,
			   "operation forbidden: read only access prevents this call");
		return;
	}
	xdrmem_create(&in, (char *)frame + RPC_HEADER_LEN, (unsigned)(len - RPC_HEADER_LEN),
		      XDR_DECODE);
	xdrmem_create(&out, (char *)s->scratch, RPC_MAX_MSG, XDR_ENCODE);
	h.type = RPC_REPLY;
	h.status = RPC_OK;
	if (!put_header(&out, &h)) {
		xdr_destroy(&in);
		xdr_destroy(&out);
		return;
	}
	call = (struct rpc_call){ .client = c, .hdr = h, .in = &in, .out = &out };
	rc = p->fn(&call, s->o.opaque);
	xdr_destroy(&in);
	if (c->dead) {
		xdr_destroy(&out);
		return;
	}
	if (rc || call.failed) {
		if (!call.failed)
			rpc_call_error(&call, VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC,
				       "internal error: procedure %d failed", h.proc);
		if (call.code == VIR_ERR_RPC)
			s->st.bad_calls++;
		xdr_destroy(&out);
		send_error(c, &h, call.code, call.domain, call.message);
		return;
	}
	(void)queue_frame(c, s->scratch, xdr_getpos(&out));
	xdr_destroy(&out);
}

/* ---- clients ---- */

static void client_free(struct rpc_client *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

static void client_drop(struct rpc_client *c, const char *why)
{
	struct rpc_server *s = c->s;
	struct rpc_client **pp;

	if (c->dead)
		return;
	c->dead = true;
	(void)why;
	if (s->o.client_gone)
		s->o.client_gone(c, s->o.opaque);
	ioloop_del_fd(s->loop, c->h);
	close(c->fd);
	for (pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nclients--;
	/* Freed once the handler that is running for it (if any) has returned. */
	c->next = s->graveyard;
	s->graveyard = c;
}

static void bury(struct rpc_server *s)
{
	while (s->graveyard) {
		struct rpc_client *c = s->graveyard;

		s->graveyard = c->next;
		client_free(c);
	}
}

static void on_client(void *opaque, uint32_t events)
{
	struct rpc_client *c = opaque;
	struct rpc_server *s = c->s;

	bury(s);
	if (c->dead)
		return;
	if (events & EPOLLOUT)
		flush_out(c);
	if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int rounds = 0; rounds < 64 && !c->dead; rounds++) {
		size_t want = c->in_want ? c->in_want : 4;
		ssize_t n = recv(c->fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_drop(c, n == 0 ? "closed" : "read error");
			return;
		}
		c->in_len += (size_t)n;
		if (c->in_len < want)
			continue;
		if (!c->in_want) {
			uint32_t be, len;

			memcpy(&be, c->in, 4);
			len = ntohl(be);
			if (len < RPC_HEADER_LEN || len > RPC_MAX_MSG) {
				s->st.bad_frames++;
				warn_rl(s,
					"client (pid %d) sent a frame of %u bytes (%u..%u "
					"accepted): dropped",
					(int)c->pid, len, RPC_HEADER_LEN, RPC_MAX_MSG);
				client_drop(c, "bad frame length");
				return;
			}
			if (len > c->in_cap) {
				uint8_t *p = realloc(c->in, len);

				if (!p) {
					client_drop(c, "out of memory");
					return;
				}
				c->in = p;
				c->in_cap = len;
			}
			c->in_want = len;
			continue;
		}
		dispatch(c, c->in, c->in_len);
		if (c->dead)
			return;
		c->in_len = 0;
		c->in_want = 0;
		if (c->in_cap > RPC_IN_SMALL) {
			uint8_t *p = realloc(c->in, RPC_IN_SMALL);

			if (p) {
				c->in = p;
				c->in_cap = RPC_IN_SMALL;
			}
		}
	}
}

static int add_client(struct rpc_server *s, int fd, bool readonly, const struct ucred *cr)
{
	struct rpc_client *c = calloc(1, sizeof(*c));

	if (c)
		c->in = malloc(RPC_IN_SMALL);
	if (!c || !c->in) {
		free(c);
		return -ENOMEM;
	}
	c->in_cap = RPC_IN_SMALL;
	c->s = s;
	c->fd = fd;
	c->readonly = readonly;
	c->uid = cr->uid;
	c->pid = cr->pid;
	if (ioloop_add_fd(s->loop, fd, EPOLLIN, on_client, c, &c->h)) {
		client_free(c);
		return -ENOMEM;
	}
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	s->st.clients++;
	return 0;
}

static void on_accept(void *opaque, uint32_t events)
{
	struct rpc_listener *l = opaque;
	struct rpc_server *s = l->s;

	(void)events;
	bury(s);
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t crl = sizeof(cr);

		if (fd < 0)
			return;
		if (s->nclients >= RPC_MAX_CLIENTS) {
			s->st.refused_clients++;
			warn_rl(s, "%u clients already: a new one is refused", s->nclients);
			close(fd);
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl)) {
			close(fd);
			continue;
		}
		/* The rw socket: root, strandd's own user, or the configured group (the
		 * socket's mode already keeps others out; this holds if it was changed). */
		if (!l->readonly && cr.uid != 0 && cr.uid != geteuid() &&
		    (s->o.group == (gid_t)-1 || cr.gid != s->o.group)) {
			s->st.denied++;
			warn_rl(s, "uid %u may not use the read-write socket", (unsigned)cr.uid);
			close(fd);
			continue;
		}
		if (add_client(s, fd, l->readonly, &cr))
			close(fd);
	}
}

int rpc_server_adopt_fd(struct rpc_server *s, int fd, bool readonly)
{
	struct ucred cr = { 0, 0, 0 };
	socklen_t crl = sizeof(cr);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl))
		cr = (struct ucred){ 0, geteuid(), getegid() };
	if (s->nclients >= RPC_MAX_CLIENTS)
		return -EMFILE;
	return add_client(s, fd, readonly, &cr);
}

bool rpc_client_readonly(const struct rpc_client *c)
{
	return c->readonly;
}

uid_t rpc_client_uid(const struct rpc_client *c)
{
	return c->uid;
}

pid_t rpc_client_pid(const struct rpc_client *c)
{
	return c->pid;
}

void rpc_client_set_data(struct rpc_client *c, void *data)
{
	c->data = data;
}

void *rpc_client_data(const struct rpc_client *c)
{
	return c->data;
}

void rpc_client_mark_open(struct rpc_client *c)
{
	c->opened = true;
}

/* ---- server ---- */

static int listen_on(struct rpc_server *s, const char *path, bool ro, char *err, size_t errlen)
{
	struct rpc_listener *l = &s->l[s->nl];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat stt;
	int fd;

	if (!path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long (%zu bytes at most)", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &stt) == 0) {
		int probe;

		if (!S_ISSOCK(stt.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			close(fd);
			return -EEXIST;
		}
		/* A socket nobody answers on is stale; one that answers is another daemon's. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "%s: another strandd is listening there", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		int e = errno;

		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (chmod(path, ro ? 0666 : (s->o.group != (gid_t)-1 ? 0660 : 0600)) ||
	    (!ro && s->o.group != (gid_t)-1 && chown(path, (uid_t)-1, s->o.group))) {
		int e = errno;

		snprintf(err, errlen, "cannot set the mode of %s: %s", path, strerror(e));
		close(fd);
		unlink(path);
		return -e;
	}
	l->s = s;
	l->fd = fd;
	l->readonly = ro;
	snprintf(l->path, sizeof(l->path), "%s", path);
	if (ioloop_add_fd(s->loop, fd, EPOLLIN, on_accept, l, &l->h)) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	s->nl++;
	return 0;
}

int rpc_server_create(struct rpc_server **out, struct ioloop *loop, const struct rpc_server_opts *o,
		      char *err, size_t errlen)
{
	struct rpc_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->o = *o;
	s->scratch = malloc(RPC_MAX_MSG);
	s->msg_scratch = malloc(RPC_MAX_MSG);
	if (!s->scratch || !s->msg_scratch) {
		free(s->scratch);
		free(s->msg_scratch);
		free(s);
		return -ENOMEM;
	}
	ret = listen_on(s, o->rw_path, false, err, errlen);
	if (!ret && o->ro_path)
		ret = listen_on(s, o->ro_path, true, err, errlen);
	if (ret) {
		rpc_server_destroy(s);
		return ret;
	}
	*out = s;
	return 0;
}

void rpc_server_destroy(struct rpc_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_drop(s->clients, "server going away");
	bury(s);
	for (unsigned i = 0; i < s->nl; i++) {
		ioloop_del_fd(s->loop, s->l[i].h);
		close(s->l[i].fd);
		unlink(s->l[i].path);
	}
	free(s->scratch);
	free(s->msg_scratch);
	free(s);
}

void rpc_server_foreach_client(struct rpc_server *s, void (*fn)(struct rpc_client *c, void *arg),
			       void *arg)
{
	for (struct rpc_client *c = s->clients, *next; c; c = next) {
		next = c->next;
		fn(c, arg);
	}
}

void rpc_server_get_stats(const struct rpc_server *s, struct rpc_stats *out)
{
	*out = s->st;
}
