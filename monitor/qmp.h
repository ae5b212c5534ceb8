/*
 * qmp.h - the QMP protocol engine: QEMU's machine protocol on UNIX sockets, with its framing,
 * greeting, capabilities negotiation, command dispatch with argument checking, error classes
 * and asynchronous events (docs/monitor.md). It knows nothing of VMs: the program registers a
 * command table and emits events; machine/control.c is strand run's table.
 *
 * Threads: a server belongs to one event loop (the main loop) and every call below, command
 * handlers included, runs on that loop's thread. Another thread that needs to emit an event
 * goes through ioloop_call(). Commands are executed one at a time, each whole before the
 * next; a session's socket is non-blocking, so a client that stops reading can never block
 * the loop (its output is queued up to a limit, then it is dropped).
 *
 * Hostile clients: every message is bounded (QMP_MAX_MESSAGE_BYTES, QMP_MAX_DEPTH), every
 * malformed input is answered with QMP's own error and counted (struct qmp_stats), logged
 * rate-limited; nothing a client sends can end the process except the `quit` command itself.
 */
#ifndef STRAND_MONITOR_QMP_H
#define STRAND_MONITOR_QMP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/errbuf.h"

struct ioloop;
struct qmp_server;

#define QMP_MAX_MESSAGE_BYTES (1u << 20) /* one JSON message from a client */
#define QMP_MAX_OUTPUT_BYTES  (8u << 20) /* queued for a client before it is dropped */
#define QMP_MAX_DEPTH	      64	 /* JSON nesting */
#define QMP_MAX_SESSIONS      64	 /* connected clients; more are refused at accept */

/* Argument types, as QMP names them in its errors ("expected: integer"). */
enum qmp_type {
	QMP_INT = 0, /* a JSON integer */
	QMP_NUMBER,  /* integer or double */
	QMP_BOOL,
	QMP_STR,
	QMP_ARRAY,
	QMP_OBJECT,
	QMP_ANY,
};

struct qmp_arg {
	const char *name;
	enum qmp_type type;
	bool optional;
};

/* An error reply: QMP's class ("GenericError", "CommandNotFound", "DeviceNotFound", ...). */
struct qmp_error {
	const char *cls;
	char desc[512];
};

/* Fill e (class, printf-style description); returns -EINVAL for `return qmp_err(...)`. */
int qmp_err(struct qmp_error *e, const char *cls, const char *fmt, ...) __printf(3, 4);

/*
 * A command handler: args is the checked "arguments" object (every member declared, of its
 * type; never NULL: {} when the client sent none). Return 0 and set *ret to the "return" value
 * (a new reference; NULL means {}), or a negative value with err filled.
 */
typedef int (*qmp_cmd_fn)(void *opaque, json_object *args, json_object **ret,
			  struct qmp_error *err);

struct qmp_cmd {
	const char *name;
	qmp_cmd_fn fn;
	const struct qmp_arg *args; /* terminated by { NULL }; NULL: takes no arguments */
};

struct qmp_version {
	int major, minor, micro;
	const char *package;
};

/* Counters (relaxed atomics; any thread may read them). */
struct qmp_stats {
	uint64_t sessions;	   /* accepted since start */
	uint64_t refused;	   /* connections refused: too many sessions */
	uint64_t commands;	   /* commands dispatched */
	uint64_t errors;	   /* error replies of any kind */
	uint64_t parse_errors;	   /* malformed JSON */
	uint64_t protocol_errors;  /* valid JSON that is not a QMP command */
	uint64_t not_negotiated;   /* commands before qmp_capabilities */
	uint64_t unknown_commands; /* CommandNotFound */
	uint64_t bad_arguments;	   /* unknown, missing or mistyped arguments */
	uint64_t oversize;	   /* messages over QMP_MAX_MESSAGE_BYTES (session dropped) */
	uint64_t slow_readers;	   /* sessions dropped with a full output queue */
	uint64_t events;	   /* events broadcast */
};

/*
 * Create a server on loop with the command table (copied by reference: it must outlive the
 * server) and the version for the greeting and query-version. qmp_capabilities,
 * query-commands and query-version are built in.
 */
int __must_check qmp_server_create(struct qmp_server **out, struct ioloop *loop,
				   const struct qmp_cmd *cmds, size_t ncmds, void *opaque,
				   const struct qmp_version *version);
/* Close every session and listener (events queued but unsent are lost: flush first). */
void qmp_server_destroy(struct qmp_server *s);

/*
 * Add a listener or a session from a user spec: "unix:PATH" (strand listens; a stale socket
 * at PATH is replaced, any other file there is an error) or "fd:N" (an inherited socket:
 * listening -> accept on it, connected -> one session). -EINVAL with err set for a bad spec.
 */
int qmp_server_add(struct qmp_server *s, const char *spec, struct errbuf *err);
/* Check a spec without opening anything (the CLI, before any VM state exists). */
int qmp_spec_check(const char *spec, struct errbuf *err);

/* Broadcast an event to every negotiated session. data: consumed (NULL: no "data" member). */
void qmp_server_event(struct qmp_server *s, const char *name, json_object *data);

/* Write what is queued, waiting at most timeout_ms in total (before the process exits). */
void qmp_server_flush(struct qmp_server *s, int timeout_ms);

void qmp_server_get_stats(const struct qmp_server *s, struct qmp_stats *out);
/* Sessions connected now. */
unsigned qmp_server_sessions(const struct qmp_server *s);

/* ---- helpers for handlers ---- */

/* Optional members: the value, or dflt when absent. */
int64_t qmp_arg_int(json_object *args, const char *name, int64_t dflt);
bool qmp_arg_bool(json_object *args, const char *name, bool dflt);
const char *qmp_arg_str(json_object *args, const char *name, const char *dflt);
bool qmp_arg_has(json_object *args, const char *name);

/* The text QMP uses for a type in "expected: ..." errors. */
const char *qmp_type_name(enum qmp_type t);
/* 0 if value is of type t (QMP_NUMBER accepts integers). */
bool qmp_type_ok(json_object *value, enum qmp_type t);

/*
 * Check one message against the protocol and a command table, without a session: for unit
 * tests and the fuzzer. Returns the command to run (args set to the arguments object, a
 * borrowed reference) or NULL with err filled. negotiated: whether qmp_capabilities was done.
 */
const struct qmp_cmd *qmp_check_message(json_object *msg, const struct qmp_cmd *cmds, size_t ncmds,
					bool negotiated, json_object **args, struct qmp_error *err);

#endif
