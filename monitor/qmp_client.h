/*
 * qmp_client.h - a QMP client: connect to a monitor socket (strand's or QEMU's), negotiate,
 * run commands with a time limit, and collect the asynchronous events that arrive meanwhile.
 * Used by strandd (one client per running domain), `strand bench` and the tests.
 *
 * Threads: a client belongs to one thread at a time; nothing is shared. Every call that waits
 * is bounded by its timeout: a VM process that stops answering can never hang the caller.
 * The server's replies are untrusted input: size-limited (QMP_MAX_MESSAGE_BYTES), parsed with
 * json-c, and anything that is not a QMP message ends the connection with -EPROTO.
 */
#ifndef STRAND_MONITOR_QMP_CLIENT_H
#define STRAND_MONITOR_QMP_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "monitor/qmp.h"
#include "util/compiler.h"
#include "util/errbuf.h"

struct qmp_client;

/*
 * Connect to the UNIX socket at path (retrying until timeout_ms while it does not exist yet
 * or refuses), read the greeting and run qmp_capabilities. 0, or -errno with err set.
 */
int __must_check qmp_client_connect(struct qmp_client **out, const char *path, int timeout_ms,
				    struct errbuf *err);
/* The same over a connected socket (the client owns fd from now on, even on failure). */
int __must_check qmp_client_open_fd(struct qmp_client **out, int fd, int timeout_ms,
				    struct errbuf *err);
void qmp_client_close(struct qmp_client *c);

/* The greeting's "QMP" object (borrowed). */
json_object *qmp_client_greeting(struct qmp_client *c);

/*
 * Run cmd with args (consumed; NULL: none) and wait at most timeout_ms for its reply.
 * 0: *ret is the "return" value (a new reference; may be NULL if ret is NULL).
 * -EREMOTEIO: the server answered an error; *err has its class and description.
 * -ETIMEDOUT, -EPIPE (connection closed), -EPROTO (not QMP): the connection is unusable.
 */
int __must_check qmp_client_execute(struct qmp_client *c, const char *cmd, json_object *args,
				    json_object **ret, struct qmp_error *err, int timeout_ms);

/* Send raw bytes (tests of hostile input). */
int __must_check qmp_client_send_raw(struct qmp_client *c, const void *buf, size_t len);
/* Read the next message of any kind (reply or event), waiting at most timeout_ms. */
int __must_check qmp_client_read(struct qmp_client *c, json_object **msg, int timeout_ms);

/*
 * Events: read what the socket holds now without waiting (call it when the fd is readable),
 * then take queued events one by one (NULL when none). 0, or a negative errno as above.
 */
int __must_check qmp_client_pump(struct qmp_client *c);
json_object *qmp_client_take_event(struct qmp_client *c);
/* Wait up to timeout_ms for an event called name (others stay queued). */
int __must_check qmp_client_wait_event(struct qmp_client *c, const char *name, json_object **ev,
				       int timeout_ms);
int qmp_client_fd(const struct qmp_client *c);

#endif
