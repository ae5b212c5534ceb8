/*
 * fuzz_qmp.c - libFuzzer target: the QMP engine (monitor/qmp.h) on hostile clients.
 *
 * The input is what a client sends, cut into separate writes at every 0xff byte (so framing
 * sees messages split and joined anywhere). A server with a small command table of every
 * argument type serves it over a socketpair, one loop turn per write; its replies are read
 * and thrown away. Every JSON value the input holds is also checked against strand run's real
 * command table (argument names and types). Any memory error is an ASan report, a hang a
 * libFuzzer timeout, a leak an LSan report.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iothreads/ioloop.h"
#include "machine/control.h"
#include "monitor/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int echo(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)e;
	*ret = json_object_get(args);
	return 0;
}

static int fail(void *opaque, json_object *args, json_object **ret, struct qmp_error *e)
{
	(void)opaque;
	(void)args;
	(void)ret;
	return qmp_err(e, "GenericError", "refused");
}

static const struct qmp_arg args[] = {
	{ "i", QMP_INT, true },	 { "n", QMP_NUMBER, true }, { "b", QMP_BOOL, true },
	{ "s", QMP_STR, false }, { "a", QMP_ARRAY, true },  { "o", QMP_OBJECT, true },
	{ "x", QMP_ANY, true },	 { NULL, 0, false },
};

static const struct qmp_cmd cmds[] = {
	{ "echo", echo, args },
	{ "fail", fail, NULL },
};

static void drain(int fd)
{
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_version v = { 0, 1, 0, "fuzz" };
	struct ioloop *loop;
	struct qmp_server *srv;
	struct errbuf err = { "" };
	json_tokener *tok;
	char spec[32];
	size_t start = 0;
	int sv[2];

	if (ioloop_create(&loop, "fuzz"))
		return 0;
	if (qmp_server_create(&srv, loop, cmds, 2, NULL, &v) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	snprintf(spec, sizeof(spec), "fd:%d", sv[1]);
	if (qmp_server_add(srv, spec, &err))
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* Negotiate half the time, so both modes are explored. */
	if (size && (data[0] & 1)) {
		static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";

		if (write(sv[0], caps, sizeof(caps) - 1) < 0)
			abort();
	}
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != 0xff)
			continue;
		if (i > start && send(sv[0], data + start, i - start, MSG_NOSIGNAL) < 0)
			break;
		start = i + 1;
		for (int k = 0; k < 3; k++)
			ioloop_run_once(loop, 0);
		drain(sv[0]);
	}
	close(sv[0]);
	for (int k = 0; k < 3; k++)
		ioloop_run_once(loop, 0);
	qmp_server_destroy(srv);
	ioloop_destroy(loop);

	/* The real table's argument checks on every JSON value in the input. */
	tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	for (size_t off = 0; off < size;) {
		json_object *o =
			json_tokener_parse_ex(tok, (const char *)data + off, (int)(size - off));
		size_t used = json_tokener_get_parse_end(tok);
		json_object *a;
		struct qmp_error e;

		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_tokener_reset(tok);
			off += used ? used : 1;
			continue;
		}
		off += used ? used : 1;
		qmp_check_message(o, control_commands_table, control_command_count, true, &a, &e);
		json_object_put(o);
	}
	json_tokener_free(tok);
	return 0;
}
