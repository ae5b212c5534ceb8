/* qmp.c - the QMP protocol engine. See qmp.h; every function runs on the server's loop thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "iothreads/ioloop.h"
#include "monitor/qmp.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

#define QMP_READ_CHUNK 65536

struct qmp_listener {
	struct qmp_server *srv;
	int fd;
	struct ioloop_fd *h;
	char path[108]; /* unlinked at destroy ("" for fd:N) */
	struct qmp_listener *next;
};

/*
 * One client. Owner: the loop thread; nothing here is shared with another thread.
 * in_bytes counts the bytes fed to the tokener for the message being parsed; skip_line is set
 * after a parse error (input is discarded up to the next newline, then parsing resumes).
 */
struct qmp_session {
	struct qmp_server *srv;
	int fd;
	struct ioloop_fd *h;
	json_tokener *tok;
	size_t in_bytes;
	bool skip_line;
	bool negotiated;
	bool dead; /* closed at the end of the current handler */
	char *out;
	size_t out_len, out_off, out_cap;
	bool want_out; /* EPOLLOUT armed */
	struct qmp_session *next;
};

struct qmp_server {
	struct ioloop *loop;
	const struct qmp_cmd *cmds;
	size_t ncmds;
	void *opaque;
	struct qmp_version version;
	struct qmp_listener *listeners;
	struct qmp_session *sessions;
	unsigned nsessions;
	struct qmp_session *dead; /* closed sessions, freed by reap() outside any handler */
	struct qmp_stats stats;
};

static void session_close(struct qmp_session *ss);
static void reap(struct qmp_server *s);

int qmp_err(struct qmp_error *e, const char *cls, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	va_start(ap, fmt);
	vsnprintf(e->desc, sizeof(e->desc), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *qmp_type_name(enum qmp_type t)
{
	switch (t) {
	case QMP_INT:
		return "integer";
	case QMP_NUMBER:
		return "number";
	case QMP_BOOL:
		return "boolean";
	case QMP_STR:
		return "string";
	case QMP_ARRAY:
		return "array";
	case QMP_OBJECT:
		return "object";
	case QMP_ANY:
	default:
		return "any";
	}
}

bool qmp_type_ok(json_object *v, enum qmp_type t)
{
	switch (t) {
	case QMP_INT:
		return json_object_is_type(v, json_type_int);
	case QMP_NUMBER:
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_double);
	case QMP_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case QMP_STR:
		return json_object_is_type(v, json_type_string);
	case QMP_ARRAY:
		return json_object_is_type(v, json_type_array);
	case QMP_OBJECT:
		return json_object_is_type(v, json_type_object);
	case QMP_ANY:
	default:
		return true;
	}
}

int64_t qmp_arg_int(json_object *args, const char *name, int64_t dflt)
{
	json_object *v;

	return json_object_object_get_ex(args, name, &v) ? json_object_get_int64(v) : dflt;
}

bool qmp_arg_bool(json_object *args, const char *name, bool dflt)
{
	json_object *v;

	return json_object_object_get_ex(args, name, &v) ? json_object_get_boolean(v) : dflt;
}

const char *qmp_arg_str(json_object *args, const char *name, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(args, name, &v) ? json_object_get_string(v) : dflt;
}

bool qmp_arg_has(json_object *args, const char *name)
{
	return json_object_object_get_ex(args, name, NULL);
}

/* ---- checking a message (pure) ---- */

static const struct qmp_cmd *find_cmd(const struct qmp_cmd *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	}
	return NULL;
}

static int check_args(const struct qmp_cmd *c, json_object *args, struct qmp_error *err)
{
	/* Unknown members first (QEMU's order), then each declared one. */
	json_object_object_foreach(args, key, val)
	{
		const struct qmp_arg *a = c->args;

		(void)val;
		while (a && a->name && strcmp(a->name, key))
			a++;
		if (!a || !a->name)
			return qmp_err(err, "GenericError", "Parameter '%.64s' is unexpected", key);
	}
	for (const struct qmp_arg *a = c->args; a && a->name; a++) {
		json_object *v;

		if (!json_object_object_get_ex(args, a->name, &v)) {
			if (!a->optional)
				return qmp_err(err, "GenericError", "Parameter '%s' is missing",
					       a->name);
			continue;
		}
		if (!qmp_type_ok(v, a->type))
			return qmp_err(err, "GenericError",
				       "Invalid parameter type for '%s', expected: %s", a->name,
				       qmp_type_name(a->type));
	}
	return 0;
}

const struct qmp_cmd *qmp_check_message(json_object *msg, const struct qmp_cmd *cmds, size_t ncmds,
					bool negotiated, json_object **args, struct qmp_error *err)
{
	static const struct qmp_cmd caps = { "qmp_capabilities", NULL, NULL };
	json_object *exec = NULL, *a = NULL;
	const struct qmp_cmd *c;
	const char *name;

	*args = NULL;
	if (!json_object_is_type(msg, json_type_object)) {
		qmp_err(err, "GenericError", "QMP input must be a JSON object");
		return NULL;
	}
	json_object_object_foreach(msg, key, val)
	{
		if (strcmp(key, "execute") == 0) {
			exec = val;
		} else if (strcmp(key, "arguments") == 0) {
			a = val;
		} else if (strcmp(key, "exec-oob") == 0) {
			qmp_err(err, "GenericError",
				"QMP input member 'exec-oob' is not supported (no 'oob' capability)");
			return NULL;
		} else if (strcmp(key, "id") != 0) {
			qmp_err(err, "GenericError", "QMP input member '%.64s' is unexpected", key);
			return NULL;
		}
	}
	if (!exec) {
		qmp_err(err, "GenericError", "QMP input lacks member 'execute'");
		return NULL;
	}
	if (!json_object_is_type(exec, json_type_string)) {
		qmp_err(err, "GenericError", "QMP input member 'execute' must be a string");
		return NULL;
	}
	if (a && !json_object_is_type(a, json_type_object)) {
		qmp_err(err, "GenericError", "QMP input member 'arguments' must be an object");
		return NULL;
	}
	name = json_object_get_string(exec);
	if (strcmp(name, "qmp_capabilities") == 0) {
		if (negotiated) {
			qmp_err(err, "CommandNotFound",
				"Capabilities negotiation is already complete, command ignored");
			return NULL;
		}
		c = &caps;
	} else if (!negotiated) {
		qmp_err(err, "CommandNotFound",
			"Expecting capabilities negotiation with 'qmp_capabilities'");
		return NULL;
	} else {
		c = find_cmd(cmds, ncmds, name);
		if (!c) {
			qmp_err(err, "CommandNotFound", "The command %.128s has not been found",
				name);
			return NULL;
		}
	}
	*args = a;
	if (a && c != &caps && check_args(c, a, err))
		return NULL;
	if (!a && c != &caps && c->args) {
		for (const struct qmp_arg *x = c->args; x->name; x++) {
			if (!x->optional) {
				qmp_err(err, "GenericError", "Parameter '%s' is missing", x->name);
				return NULL;
			}
		}
	}
	return c;
}

/* ---- output ---- */

static void session_want_out(struct qmp_session *ss, bool on)
{
	if (ss->want_out == on || ss->dead)
		return;
	if (ioloop_mod_fd(ss->srv->loop, ss->h, EPOLLIN | (on ? EPOLLOUT : 0)) == 0)
		ss->want_out = on;
}

/* Write as much as the socket takes now. Returns -1 if the session must close. */
static int session_flush(struct qmp_session *ss)
{
	while (ss->out_off < ss->out_len) {
		ssize_t n = send(ss->fd, ss->out + ss->out_off, ss->out_len - ss->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		ss->out_off += (size_t)n;
	}
	if (ss->out_off == ss->out_len)
		ss->out_off = ss->out_len = 0;
	session_want_out(ss, ss->out_len != 0);
	return 0;
}

static void session_send(struct qmp_session *ss, json_object *obj)
{
	size_t len;
	const char *txt;

	if (ss->dead)
		return;
	txt = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	if (ss->out_len + len + 2 > QMP_MAX_OUTPUT_BYTES) {
		stat_inc(&ss->srv->stats.slow_readers);
		log_warn("monitor: a client does not read its replies (%zu bytes queued): dropped",
			 ss->out_len);
		session_close(ss);
		return;
	}
	if (ss->out_off && ss->out_off == ss->out_len)
		ss->out_off = ss->out_len = 0;
	if (ss->out_len + len + 2 > ss->out_cap) {
		size_t cap = ss->out_cap ? ss->out_cap : 4096;
		char *p;

		while (cap < ss->out_len + len + 2)
			cap *= 2;
		p = realloc(ss->out, cap);
		if (!p) {
			session_close(ss);
			return;
		}
		ss->out = p;
		ss->out_cap = cap;
	}
	memcpy(ss->out + ss->out_len, txt, len);
	memcpy(ss->out + ss->out_len + len, "\r\n", 2);
	ss->out_len += len + 2;
	if (session_flush(ss))
		session_close(ss);
}

static void send_error(struct qmp_session *ss, const struct qmp_error *e, json_object *id)
{
	json_object *o = json_object_new_object(), *eo = json_object_new_object();

	stat_inc(&ss->srv->stats.errors);
	json_object_object_add(eo, "class", json_object_new_string(e->cls));
	json_object_object_add(eo, "desc", json_object_new_string(e->desc));
	json_object_object_add(o, "error", eo);
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	session_send(ss, o);
	json_object_put(o);
}

static json_object *greeting(const struct qmp_server *s)
{
	json_object *g = json_object_new_object(), *q = json_object_new_object();
	json_object *v = json_object_new_object(), *n = json_object_new_object();

	json_object_object_add(n, "micro", json_object_new_int(s->version.micro));
	json_object_object_add(n, "minor", json_object_new_int(s->version.minor));
	json_object_object_add(n, "major", json_object_new_int(s->version.major));
	json_object_object_add(v, "qemu", n);
	json_object_object_add(v, "package", json_object_new_string(s->version.package));
	json_object_object_add(q, "version", v);
	json_object_object_add(q, "capabilities", json_object_new_array());
	json_object_object_add(g, "QMP", q);
	return g;
}

/* ---- dispatch ---- */

static int builtin(struct qmp_server *s, const char *name, json_object **ret)
{
	if (strcmp(name, "query-version") == 0) {
		json_object *g = greeting(s), *q, *v;

		json_object_object_get_ex(g, "QMP", &q);
		json_object_object_get_ex(q, "version", &v);
		*ret = json_object_get(v);
		json_object_put(g);
		return 1;
	}
	if (strcmp(name, "query-commands") == 0) {
		static const char *const builtins[] = { "qmp_capabilities", "query-version",
							"query-commands" };
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(builtins[i]));
			json_object_array_add(a, o);
		}
		for (size_t i = 0; i < s->ncmds; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(s->cmds[i].name));
			json_object_array_add(a, o);
		}
		*ret = a;
		return 1;
	}
	return 0;
}

/* The built-in commands join the table for checking. */
static const struct qmp_cmd builtin_cmds[] = {
	{ "query-version", NULL, NULL },
	{ "query-commands", NULL, NULL },
};

static void dispatch(struct qmp_session *ss, json_object *msg)
{
	struct qmp_server *s = ss->srv;
	struct qmp_error err = { "GenericError", "" };
	json_object *id = NULL, *args = NULL, *ret = NULL, *empty = NULL;
	const struct qmp_cmd *c;
	int rc;

	if (json_object_is_type(msg, json_type_object))
		json_object_object_get_ex(msg, "id", &id);
	c = qmp_check_message(msg, builtin_cmds, ARRAY_SIZE(builtin_cmds), ss->negotiated, &args,
			      &err);
	if (!c && ss->negotiated && strcmp(err.cls, "CommandNotFound") == 0) {
		json_object *e;

		/* Not a built-in: the program's table. */
		if (json_object_object_get_ex(msg, "execute", &e) &&
		    json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), "qmp_capabilities"))
			c = qmp_check_message(msg, s->cmds, s->ncmds, true, &args, &err);
	}
	if (!c) {
		if (strstr(err.desc, "capabilities negotiation with"))
			stat_inc(&s->stats.not_negotiated);
		else if (strcmp(err.cls, "CommandNotFound") == 0)
			stat_inc(&s->stats.unknown_commands);
		else if (strncmp(err.desc, "QMP input", 9) == 0)
			stat_inc(&s->stats.protocol_errors);
		else
			stat_inc(&s->stats.bad_arguments);
		log_debug("monitor: %s", err.desc);
		send_error(ss, &err, id);
		return;
	}
	stat_inc(&s->stats.commands);
	if (!args)
		args = empty = json_object_new_object();
	if (strcmp(c->name, "qmp_capabilities") == 0) {
		json_object *en;

		/* QEMU accepts "enable": [] and refuses capabilities it does not offer. */
		json_object_object_foreach(args, key, val)
		{
			if (strcmp(key, "enable")) {
				qmp_err(&err, "GenericError", "Parameter '%.64s' is unexpected",
					key);
				goto fail;
			}
			(void)val;
		}
		if (json_object_object_get_ex(args, "enable", &en) &&
		    (!json_object_is_type(en, json_type_array) ||
		     json_object_array_length(en) > 0)) {
			qmp_err(&err, "GenericError", "Capability '%s' not available",
				json_object_is_type(en, json_type_array) ?
					json_object_get_string(json_object_array_get_idx(en, 0)) :
					"?");
			goto fail;
		}
		ss->negotiated = true;
		rc = 0;
	} else if (builtin(s, c->name, &ret)) {
		rc = 0;
	} else {
		rc = c->fn(s->opaque, args, &ret, &err);
	}
	if (rc) {
		stat_inc(&s->stats.bad_arguments);
		goto fail;
	}
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "return", ret ? ret : json_object_new_object());
		if (id)
			json_object_object_add(o, "id", json_object_get(id));
		session_send(ss, o);
		json_object_put(o);
	}
	json_object_put(empty);
	return;
fail:
	json_object_put(ret);
	json_object_put(empty);
	send_error(ss, &err, id);
}

/* ---- input ---- */

static void parse_input(struct qmp_session *ss, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len && !ss->dead) {
		json_object *o;
		enum json_tokener_error e;
		size_t used, chunk;

		if (ss->skip_line) {
			const char *nl = memchr(buf + off, '\n', len - off);

			if (!nl)
				return;
			off = (size_t)(nl - buf) + 1;
			ss->skip_line = false;
			continue;
		}
		chunk = len - off;
		if (chunk > INT32_MAX)
			chunk = INT32_MAX;
		o = json_tokener_parse_ex(ss->tok, buf + off, (int)chunk);
		e = json_tokener_get_error(ss->tok);
		used = json_tokener_get_parse_end(ss->tok);
		if (e == json_tokener_continue) {
			ss->in_bytes += chunk;
			if (ss->in_bytes > QMP_MAX_MESSAGE_BYTES) {
				struct qmp_error err;

				stat_inc(&ss->srv->stats.oversize);
				log_guest("monitor: a message over %u bytes: client dropped",
					  QMP_MAX_MESSAGE_BYTES);
				qmp_err(&err, "GenericError",
					"JSON parse error, message exceeds %u bytes",
					QMP_MAX_MESSAGE_BYTES);
				send_error(ss, &err, NULL);
				session_flush(ss);
				session_close(ss);
			}
			return;
		}
		if (e != json_tokener_success) {
			struct qmp_error err;

			stat_inc(&ss->srv->stats.parse_errors);
			log_guest("monitor: malformed JSON from a client (%s)",
				  json_tokener_error_desc(e));
			qmp_err(&err, "GenericError", "JSON parse error, %s",
				json_tokener_error_desc(e));
			json_tokener_reset(ss->tok);
			ss->in_bytes = 0;
			send_error(ss, &err, NULL);
			/*
			 * Resynchronise after the newline that ends the offending line: the first
			 * one at or after the character the parser stopped at (a newline before it,
			 * such as the one that ended the previous message, is not this line's).
			 */
			{
				size_t at = off + (used ? used - 1 : 0);
				const char *nl = at < len ? memchr(buf + at, '\n', len - at) : NULL;

				if (nl)
					off = (size_t)(nl - buf) + 1;
				else
					ss->skip_line = true;
			}
			if (ss->skip_line)
				return;
			continue;
		}
		ss->in_bytes = 0;
		off += used ? used : chunk;
		if (!o) {
			/* A JSON null: valid JSON, not a command. */
			struct qmp_error err;

			stat_inc(&ss->srv->stats.protocol_errors);
			qmp_err(&err, "GenericError", "QMP input must be a JSON object");
			send_error(ss, &err, NULL);
			continue;
		}
		dispatch(ss, o);
		json_object_put(o);
	}
}

static void session_free(struct qmp_session *ss)
{
	json_tokener_free(ss->tok);
	free(ss->out);
	free(ss);
}

/* Free the sessions closed since the last call. Only at the top of a loop callback. */
static void reap(struct qmp_server *s)
{
	while (s->dead) {
		struct qmp_session *ss = s->dead;

		s->dead = ss->next;
		session_free(ss);
	}
}

/* Unlink and close; the memory waits on s->dead (a caller up the stack may still use ss). */
static void session_close(struct qmp_session *ss)
{
	struct qmp_server *s = ss->srv;

	if (ss->dead)
		return;
	ss->dead = true;
	ioloop_del_fd(s->loop, ss->h);
	/*
	 * Discard what the client sent and we will not read: closing a UNIX socket with unread
	 * input resets the connection, and the client would lose the replies and events (a
	 * SHUTDOWN) still in its receive queue.
	 */
	shutdown(ss->fd, SHUT_WR);
	for (int i = 0; i < 64; i++) {
		char sink[4096];

		if (recv(ss->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	}
	close(ss->fd);
	ss->fd = -1;
	for (struct qmp_session **p = &s->sessions; *p; p = &(*p)->next) {
		if (*p == ss) {
			*p = ss->next;
			break;
		}
	}
	s->nsessions--;
	ss->next = s->dead;
	s->dead = ss;
}

static void on_session(void *opaque, uint32_t events)
{
	struct qmp_session *ss = opaque;
	char buf[QMP_READ_CHUNK];

	if (events & EPOLLOUT) {
		if (session_flush(ss)) {
			session_close(ss);
			goto out;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(ss->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			goto out;
		if (n <= 0) {
			session_close(ss);
			goto out;
		}
		parse_input(ss, buf, (size_t)n);
	}
out:
	reap(ss->srv);
}

static int session_start(struct qmp_server *s, int fd)
{
	struct qmp_session *ss;
	json_object *g;

	if (s->nsessions >= QMP_MAX_SESSIONS) {
		stat_inc(&s->stats.refused);
		log_guest("monitor: %u clients connected already: connection refused",
			  s->nsessions);
		close(fd);
		return -EMFILE;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss) {
		close(fd);
		return -ENOMEM;
	}
	ss->srv = s;
	ss->fd = fd;
	ss->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!ss->tok) {
		close(fd);
		free(ss);
		return -ENOMEM;
	}
	json_tokener_set_flags(ss->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (ioloop_add_fd(s->loop, fd, EPOLLIN, on_session, ss, &ss->h)) {
		session_free(ss);
		close(fd);
		return -ENOMEM;
	}
	ss->next = s->sessions;
	s->sessions = ss;
	s->nsessions++;
	stat_inc(&s->stats.sessions);
	g = greeting(s);
	session_send(ss, g);
	json_object_put(g);
	return 0;
}

static void on_listener(void *opaque, uint32_t events)
{
	struct qmp_listener *l = opaque;
	int fd;

	(void)events;
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_guest("monitor: accept: %s", strerror(errno));
		return;
	}
	session_start(l->srv, fd);
	reap(l->srv);
}

/* ---- server ---- */

int qmp_server_create(struct qmp_server **out, struct ioloop *loop, const struct qmp_cmd *cmds,
		      size_t ncmds, void *opaque, const struct qmp_version *version)
{
	struct qmp_server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->cmds = cmds;
	s->ncmds = ncmds;
	s->opaque = opaque;
	s->version = *version;
	*out = s;
	return 0;
}

static int parse_fd_spec(const char *spec, int *fd, struct errbuf *err)
{
	uint32_t n;

	*fd = -1;
	if (parse_u32(spec + 3, &n) || n > 65535)
		return errbuf_set(err, -EINVAL,
				  "--monitor %s: expected fd:N with a descriptor number", spec);
	*fd = (int)n;
	return 0;
}

int qmp_spec_check(const char *spec, struct errbuf *err)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sa;
		const char *path = spec + 5;
		struct stat st;

		if (!*path)
			return errbuf_set(err, -EINVAL, "--monitor unix: needs a path");
		if (strlen(path) >= sizeof(sa.sun_path))
			return errbuf_set(err, -EINVAL,
					  "--monitor %s: a socket path has at most %zu characters",
					  spec, sizeof(sa.sun_path) - 1);
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			return errbuf_set(err, -EINVAL,
					  "--monitor %s: %s exists and is not a socket", spec,
					  path);
		return 0;
	}
	if (strncmp(spec, "fd:", 3) == 0) {
		int fd = -1, type;
		socklen_t len = sizeof(type);
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);

		if (parse_fd_spec(spec, &fd, err))
			return -EINVAL;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
			return errbuf_set(err, -EINVAL,
					  "--monitor %s: descriptor %d is not a socket", spec, fd);
		if (type != SOCK_STREAM || getsockname(fd, (struct sockaddr *)&ss, &slen) < 0 ||
		    ss.ss_family != AF_UNIX)
			return errbuf_set(err, -EINVAL,
					  "--monitor %s: descriptor %d is not a UNIX stream socket",
					  spec, fd);
		return 0;
	}
	return errbuf_set(err, -EINVAL, "--monitor: expected unix:PATH or fd:N, got '%s'", spec);
}

static int add_listener(struct qmp_server *s, int fd, const char *path)
{
	struct qmp_listener *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->srv = s;
	l->fd = fd;
	if (path)
		snprintf(l->path, sizeof(l->path), "%s", path);
	if (ioloop_add_fd(s->loop, fd, EPOLLIN, on_listener, l, &l->h)) {
		free(l);
		return -ENOMEM;
	}
	l->next = s->listeners;
	s->listeners = l;
	return 0;
}

int qmp_server_add(struct qmp_server *s, const char *spec, struct errbuf *err)
{
	int ret = qmp_spec_check(spec, err), fd = -1;

	if (ret)
		return ret;
	if (spec[0] == 'u') {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct stat st;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", spec + 5);
		if (stat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sa.sun_path); /* a stale socket, as QEMU replaces it */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return errbuf_set(err, -errno, "--monitor %s: socket: %s", spec,
					  strerror(errno));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
			ret = -errno;
			close(fd);
			return errbuf_set(err, ret == -ENOENT || ret == -EACCES ? -EINVAL : ret,
					  "--monitor %s: %s", spec, strerror(-ret));
		}
		ret = add_listener(s, fd, sa.sun_path);
		if (ret) {
			close(fd);
			unlink(sa.sun_path);
		}
		return ret;
	} else {
		int listening = 0;
		socklen_t len = sizeof(listening);

		parse_fd_spec(spec, &fd, err);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
			return add_listener(s, fd, NULL);
		return session_start(s, fd);
	}
}

void qmp_server_event(struct qmp_server *s, const char *name, json_object *data)
{
	json_object *o = json_object_new_object(), *ts = json_object_new_object();
	struct timeval tv;

	gettimeofday(&tv, NULL);
	json_object_object_add(ts, "seconds", json_object_new_int64(tv.tv_sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(tv.tv_usec));
	json_object_object_add(o, "timestamp", ts);
	json_object_object_add(o, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(o, "data", data);
	stat_inc(&s->stats.events);
	for (struct qmp_session *ss = s->sessions, *next; ss; ss = next) {
		next = ss->next;
		if (ss->negotiated)
			session_send(ss, o);
	}
	json_object_put(o);
}

void qmp_server_flush(struct qmp_server *s, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ULL;

	for (;;) {
		struct pollfd pfd[QMP_MAX_SESSIONS];
		unsigned n = 0;
		uint64_t now = now_ns();

		for (struct qmp_session *ss = s->sessions; ss && n < QMP_MAX_SESSIONS;
		     ss = ss->next) {
			if (ss->out_len > ss->out_off)
				pfd[n++] = (struct pollfd){ .fd = ss->fd, .events = POLLOUT };
		}
		if (!n || now >= end)
			return;
		if (poll(pfd, n, (int)((end - now) / 1000000ULL) + 1) <= 0)
			return;
		for (struct qmp_session *ss = s->sessions, *next; ss; ss = next) {
			next = ss->next;
			if (ss->out_len > ss->out_off && session_flush(ss))
				session_close(ss);
		}
		reap(s);
	}
}

void qmp_server_get_stats(const struct qmp_server *s, struct qmp_stats *out)
{
	const uint64_t *src = (const uint64_t *)&s->stats;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

unsigned qmp_server_sessions(const struct qmp_server *s)
{
	return s->nsessions;
}

void qmp_server_destroy(struct qmp_server *s)
{
	if (!s)
		return;
	while (s->sessions)
		session_close(s->sessions);
	reap(s);
	while (s->listeners) {
		struct qmp_listener *l = s->listeners;

		s->listeners = l->next;
		ioloop_del_fd(s->loop, l->h);
		close(l->fd);
		if (l->path[0])
			unlink(l->path);
		free(l);
	}
	free(s);
}
