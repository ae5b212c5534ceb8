/*
 * test_qmp.c - the QMP protocol engine (monitor/qmp.h) without a VM: a server on an event
 * loop, a session over a socketpair, driven one loop turn at a time. Greeting, negotiation,
 * dispatch with argument checking, ids of any type, events only to negotiated sessions,
 * input split and joined arbitrarily, JSON null, an oversized message, a slow reader, and the
 * pure message checker.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iothreads/ioloop.h"
#include "monitor/qmp.h"

static int echo(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)e;
	*ret = json_object_get(args);
	return 0;
}

static int boom(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)args;
	(void)ret;
	return qmp_err(e, "DeviceNotFound", "no such thing");
}

static const struct qmp_arg echo_args[] = {
	{ "n", QMP_INT, false },   { "s", QMP_STR, true },   { "b", QMP_BOOL, true },
	{ "d", QMP_NUMBER, true }, { "a", QMP_ARRAY, true }, { "o", QMP_OBJECT, true },
	{ NULL, 0, false },
};

static const struct qmp_cmd cmds[] = {
	{ "echo", echo, echo_args },
	{ "boom", boom, NULL },
};

struct fixture {
	struct ioloop *loop;
	struct qmp_server *srv;
	int peer; /* the test's end */
	char buf[1 << 16];
	size_t len;
};

static void turn(struct fixture *f)
{
	for (int i = 0; i < 4; i++)
		ioloop_run_once(f->loop, 0);
}

static void open_session(struct fixture *f, int *peer)
{
	int sv[2];
	char spec[32];
	struct errbuf err = { "" };

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(spec, sizeof(spec), "fd:%d", sv[1]);
	cr_assert_eq(qmp_server_add(f->srv, spec, &err), 0, "%s", err.msg);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	*peer = sv[0];
}

static void setup(struct fixture *f)
{
	struct qmp_version v = { 1, 2, 3, "test" };

	memset(f, 0, sizeof(*f));
	cr_assert_eq(ioloop_create(&f->loop, "test"), 0);
	cr_assert_eq(qmp_server_create(&f->srv, f->loop, cmds, 2, NULL, &v), 0);
	open_session(f, &f->peer);
	turn(f);
}

static void teardown(struct fixture *f)
{
	close(f->peer);
	qmp_server_destroy(f->srv);
	ioloop_destroy(f->loop);
}

static void send_str(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* The next line the server wrote to fd, as JSON (NULL if none within the loop turns). */
static json_object *next_msg_fd(struct fixture *f, int fd)
{
	static char pending[1 << 16];
	static size_t plen;
	static int pfd = -1;

	if (pfd != fd) {
		plen = 0;
		pfd = fd;
	}
	for (int tries = 0; tries < 50; tries++) {
		char *nl = memchr(pending, '\n', plen);
		ssize_t k;

		if (nl) {
			json_object *o;

			*nl = 0;
			o = json_tokener_parse(pending);
			memmove(pending, nl + 1, plen - (size_t)(nl + 1 - pending));
			plen -= (size_t)(nl + 1 - pending);
			cr_assert(o, "not JSON from the server");
			return o;
		}
		turn(f);
		k = read(fd, pending + plen, sizeof(pending) - 1 - plen);
		if (k > 0)
			plen += (size_t)k;
	}
	return NULL;
}

static json_object *next_msg(struct fixture *f)
{
	return next_msg_fd(f, f->peer);
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
	json_object *x, *y;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (!b)
		return json_object_get_string(x);
	if (!json_object_object_get_ex(x, b, &y))
		return NULL;
	return json_object_get_string(y);
}

static void negotiate(struct fixture *f)
{
	json_object *g = next_msg(f), *r;

	cr_assert(g && json_object_object_get_ex(g, "QMP", NULL));
	json_object_put(g);
	send_str(f->peer, "{\"execute\": \"qmp_capabilities\"}\n");
	r = next_msg(f);
	cr_assert(r && json_object_object_get_ex(r, "return", NULL));
	json_object_put(r);
}

/* Send a line, expect an error whose desc contains needle (and class cls if given). */
static void expect_err(struct fixture *f, const char *line, const char *cls, const char *needle)
{
	json_object *r;

	send_str(f->peer, line);
	r = next_msg(f);
	cr_assert(r, "no reply to %s", line);
	cr_assert(str_at(r, "error", "desc"), "not an error: %s", json_object_to_json_string(r));
	cr_assert(strstr(str_at(r, "error", "desc"), needle), "%s: '%s' lacks '%s'", line,
		  str_at(r, "error", "desc"), needle);
	if (cls)
		cr_assert_str_eq(str_at(r, "error", "class"), cls);
	json_object_put(r);
}

Test(qmp, greeting_and_negotiation)
{
	struct fixture f;
	json_object *g, *r, *v;

	setup(&f);
	g = next_msg(&f);
	cr_assert(g);
	cr_assert(json_object_object_get_ex(g, "QMP", &v));
	cr_assert(json_object_object_get_ex(v, "capabilities", NULL));
	cr_assert_str_eq(str_at(v, "version", "package"), "test");
	json_object_put(g);
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": 1}}\n", "CommandNotFound",
		   "Expecting capabilities negotiation");
	expect_err(&f,
		   "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}\n",
		   "GenericError", "not available");
	send_str(f.peer, "{\"execute\": \"qmp_capabilities\", \"id\": \"x\"}\n");
	r = next_msg(&f);
	cr_assert_str_eq(str_at(r, "id", NULL), "x");
	json_object_put(r);
	expect_err(&f, "{\"execute\": \"qmp_capabilities\"}\n", "CommandNotFound",
		   "already complete");
	send_str(f.peer, "{\"execute\": \"query-commands\"}\n");
	r = next_msg(&f);
	cr_assert(json_object_object_get_ex(r, "return", &v));
	cr_assert_eq(json_object_array_length(v), 5, "3 built-ins and 2 commands");
	json_object_put(r);
	teardown(&f);
}

Test(qmp, dispatch_and_argument_checks)
{
	struct fixture f;
	json_object *r, *v;

	setup(&f);
	negotiate(&f);
	send_str(f.peer,
		 "{\"execute\": \"echo\", \"arguments\": {\"n\": 5, \"s\": \"x\", \"d\": 2, "
		 "\"a\": [], \"o\": {}}, \"id\": [1, {\"k\": 2}]}\n");
	r = next_msg(&f);
	cr_assert(json_object_object_get_ex(r, "return", &v));
	cr_assert(json_object_object_get_ex(v, "n", NULL));
	cr_assert(json_object_object_get_ex(r, "id", &v));
	cr_assert(json_object_is_type(v, json_type_array), "the id comes back as it was");
	json_object_put(r);
	expect_err(&f, "{\"execute\": \"echo\"}\n", "GenericError", "Parameter 'n' is missing");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {}}\n", "GenericError",
		   "Parameter 'n' is missing");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": 1, \"zz\": 1}}\n",
		   "GenericError", "Parameter 'zz' is unexpected");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": \"1\"}}\n", "GenericError",
		   "Invalid parameter type for 'n', expected: integer");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": 1, \"b\": 1}}\n",
		   "GenericError", "expected: boolean");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": 1.5}}\n", "GenericError",
		   "expected: integer");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": {\"n\": 1, \"a\": {}}}\n",
		   "GenericError", "expected: array");
	expect_err(&f, "{\"execute\": \"echo\", \"arguments\": [1]}\n", "GenericError",
		   "'arguments' must be an object");
	expect_err(&f, "{\"execute\": \"boom\", \"id\": 3}\n", "DeviceNotFound", "no such thing");
	expect_err(&f, "{\"execute\": \"nope\"}\n", "CommandNotFound",
		   "The command nope has not been found");
	expect_err(&f, "{\"exec-oob\": \"echo\"}\n", "GenericError", "exec-oob");
	expect_err(&f, "{\"arguments\": {}}\n", "GenericError", "lacks member 'execute'");
	expect_err(&f, "{\"execute\": \"echo\", \"extra\": 1}\n", "GenericError",
		   "member 'extra' is unexpected");
	teardown(&f);
}

Test(qmp, framing)
{
	struct fixture f;
	json_object *r;
	const char *msg = "{\"execute\": \"echo\", \"arguments\": {\"n\": 42}, \"id\": 9}";

	setup(&f);
	negotiate(&f);
	/* One byte at a time, without a newline at the end. */
	for (const char *p = msg; *p; p++) {
		cr_assert_eq(write(f.peer, p, 1), 1);
		turn(&f);
	}
	r = next_msg(&f);
	cr_assert(r && json_object_object_get_ex(r, "return", NULL));
	json_object_put(r);
	/* Three in one write, no separators between the last two. */
	send_str(f.peer, "{\"execute\": \"query-version\"}\n{\"execute\": \"query-version\"}"
			 "{\"execute\": \"query-version\"}\r\n");
	for (int i = 0; i < 3; i++) {
		r = next_msg(&f);
		cr_assert(r && json_object_object_get_ex(r, "return", NULL), "reply %d", i);
		json_object_put(r);
	}
	/* Garbage, then a valid command on the next line: the session recovers. */
	expect_err(&f, "{\"execute\": ]]] garbage\n", "GenericError", "JSON parse error");
	send_str(f.peer, "{\"execute\": \"query-version\"}\n");
	r = next_msg(&f);
	cr_assert(r && json_object_object_get_ex(r, "return", NULL));
	json_object_put(r);
	/*
	 * A bad line that arrives after the newline of the previous message, with the next
	 * command in the same read: one error for the bad line, then the command (the
	 * resynchronisation once stopped at that earlier newline and reported the line twice).
	 */
	send_str(f.peer, "{\"execute\": \"query-version\"}");
	r = next_msg(&f);
	cr_assert(r && json_object_object_get_ex(r, "return", NULL));
	json_object_put(r);
	send_str(f.peer, "\n{\"execute\": ]\n{\"execute\": \"echo\", \"id\": 5}\n");
	r = next_msg(&f);
	cr_assert(r && strstr(str_at(r, "error", "desc"), "JSON parse error"), "%s",
		  json_object_to_json_string(r));
	json_object_put(r);
	r = next_msg(&f);
	cr_assert(r && json_object_object_get_ex(r, "id", NULL), "not the echo reply: %s",
		  r ? json_object_to_json_string(r) : "(none)");
	json_object_put(r);
	/* A raw newline inside a string ends the line: parsing resumes after it. */
	send_str(f.peer, "{\"execute\": \"ab\ncd\"}\n{\"execute\": \"echo\", \"id\": 6}\n");
	r = next_msg(&f);
	cr_assert(r && str_at(r, "error", "desc"), "%s", r ? json_object_to_json_string(r) : "-");
	json_object_put(r);
	for (int k = 0; k < 2; k++) {
		r = next_msg(&f);
		cr_assert(r, "no reply %d", k);
		if (json_object_object_get_ex(r, "id", NULL)) {
			json_object_put(r);
			break;
		}
		/* "cd\"}" is a line of its own: one error for it */
		cr_assert(str_at(r, "error", "desc"), "%s", json_object_to_json_string(r));
		json_object_put(r);
	}
	expect_err(&f, "null\n", "GenericError", "must be a JSON object");
	expect_err(&f, "42\n", "GenericError", "must be a JSON object");
	expect_err(&f, "\"s\"\n", "GenericError", "must be a JSON object");
	teardown(&f);
}

Test(qmp, events_reach_negotiated_sessions_only)
{
	struct fixture f;
	json_object *r;
	int other;
	struct qmp_stats st;

	setup(&f);
	negotiate(&f);
	open_session(&f, &other); /* greeted, not negotiated */
	turn(&f);
	r = next_msg_fd(&f, other);
	cr_assert(r && json_object_object_get_ex(r, "QMP", NULL));
	json_object_put(r);
	qmp_server_event(f.srv, "TEST", json_object_new_int(7));
	r = next_msg(&f);
	cr_assert_str_eq(str_at(r, "event", NULL), "TEST");
	cr_assert(json_object_object_get_ex(r, "timestamp", NULL));
	json_object_put(r);
	cr_assert_null(next_msg_fd(&f, other), "an event before negotiation");
	close(other);
	turn(&f);
	cr_assert_eq(qmp_server_sessions(f.srv), 1, "a closed client is gone");
	qmp_server_get_stats(f.srv, &st);
	cr_assert_eq(st.events, 1);
	cr_assert_eq(st.sessions, 2);
	teardown(&f);
}

Test(qmp, oversize_message_drops_the_session)
{
	struct fixture f;
	json_object *r;
	char chunk[4096];
	struct qmp_stats st;
	size_t sent = 0;

	setup(&f);
	negotiate(&f);
	send_str(f.peer, "{\"execute\": \"echo\", \"arguments\": {\"s\": \"");
	memset(chunk, 'a', sizeof(chunk));
	while (sent <= QMP_MAX_MESSAGE_BYTES) {
		ssize_t k = send(f.peer, chunk, sizeof(chunk), MSG_NOSIGNAL);

		if (k > 0)
			sent += (size_t)k;
		turn(&f);
		if (k < 0 && qmp_server_sessions(f.srv) == 0)
			break;
	}
	turn(&f);
	r = next_msg(&f);
	cr_assert(r && strstr(str_at(r, "error", "desc"), "exceeds"));
	json_object_put(r);
	cr_assert_eq(qmp_server_sessions(f.srv), 0);
	qmp_server_get_stats(f.srv, &st);
	cr_assert_eq(st.oversize, 1);
	teardown(&f);
}

Test(qmp, slow_reader_is_dropped)
{
	struct fixture f;
	struct qmp_stats st;
	const char *cmd = "{\"execute\": \"query-commands\"}\n";

	setup(&f);
	negotiate(&f);
	/* Never read: replies pile up in the server until its output limit. */
	for (int i = 0; i < 200000 && qmp_server_sessions(f.srv); i++) {
		if (send(f.peer, cmd, strlen(cmd), MSG_NOSIGNAL) < 0 && errno != EAGAIN)
			break;
		turn(&f);
	}
	qmp_server_get_stats(f.srv, &st);
	cr_assert_eq(qmp_server_sessions(f.srv), 0, "a client that never reads must be dropped");
	cr_assert_eq(st.slow_readers, 1);
	teardown(&f);
}

Test(qmp, check_message_is_pure)
{
	struct qmp_error e;
	json_object *args, *m;

	m = json_tokener_parse("{\"execute\": \"echo\", \"arguments\": {\"n\": 1}}");
	cr_assert_eq(qmp_check_message(m, cmds, 2, true, &args, &e), &cmds[0]);
	cr_assert_null(qmp_check_message(m, cmds, 2, false, &args, &e));
	cr_assert_str_eq(e.cls, "CommandNotFound");
	json_object_put(m);
	m = json_tokener_parse("[]");
	cr_assert_null(qmp_check_message(m, cmds, 2, true, &args, &e));
	json_object_put(m);
	cr_assert_str_eq(qmp_type_name(QMP_NUMBER), "number");
}

Test(qmp, specs)
{
	struct errbuf err = { "" };

	cr_assert_eq(qmp_spec_check("tcp:1", &err), -EINVAL);
	cr_assert(strstr(err.msg, "unix:PATH or fd:N"));
	cr_assert_eq(qmp_spec_check("unix:", &err), -EINVAL);
	cr_assert_eq(qmp_spec_check("fd:x", &err), -EINVAL);
	cr_assert_eq(qmp_spec_check("unix:/tmp/strand-test-spec.sock", &err), 0);
}
