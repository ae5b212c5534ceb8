/* qmp_client.c - a bounded, blocking QMP client. See qmp_client.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "monitor/qmp_client.h"
#include "util/clock.h"

#define QMP_CLIENT_MAX_EVENTS 4096 /* queued; older ones are dropped beyond this */

struct qmp_client {
	int fd;
	json_tokener *tok;
	size_t in_bytes;
	json_object *greeting;
	/* Messages parsed but not taken yet: replies and events in arrival order. */
	json_object **queue;
	size_t nqueue, capqueue;
	uint64_t next_id;
	bool broken;
};

static int deadline_ms(uint64_t end)
{
	uint64_t now = now_ns();

	return now >= end ? 0 : (int)((end - now) / 1000000ULL) + 1;
}

static int push(struct qmp_client *c, json_object *o)
{
	if (c->nqueue == QMP_CLIENT_MAX_EVENTS) {
		json_object_put(c->queue[0]);
		memmove(c->queue, c->queue + 1, (c->nqueue - 1) * sizeof(*c->queue));
		c->nqueue--;
	}
	if (c->nqueue == c->capqueue) {
		size_t cap = c->capqueue ? c->capqueue * 2 : 16;
		json_object **q = realloc(c->queue, cap * sizeof(*q));

		if (!q) {
			json_object_put(o);
			return -ENOMEM;
		}
		c->queue = q;
		c->capqueue = cap;
	}
	c->queue[c->nqueue++] = o;
	return 0;
}

/* Parse what arrived; messages go to the queue. */
static int feed(struct qmp_client *c, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		json_object *o = json_tokener_parse_ex(c->tok, buf + off, (int)(len - off));
		enum json_tokener_error e = json_tokener_get_error(c->tok);
		size_t used = json_tokener_get_parse_end(c->tok);

		if (e == json_tokener_continue) {
			c->in_bytes += len - off;
			if (c->in_bytes > QMP_MAX_MESSAGE_BYTES)
				return -EPROTO;
			return 0;
		}
		if (e != json_tokener_success || !o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return -EPROTO;
		}
		c->in_bytes = 0;
		off += used ? used : len - off;
		if (push(c, o))
			return -ENOMEM;
	}
	return 0;
}

/* Read once, waiting at most timeout_ms (0: do not wait). 0 nothing yet, 1 data, <0 error. */
static int read_some(struct qmp_client *c, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char buf[65536];
	ssize_t n;
	int ret;

	if (c->broken)
		return -EPIPE;
	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (ret == 0)
		return 0;
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->broken = true;
		return -EPIPE;
	}
	ret = feed(c, buf, (size_t)n);
	if (ret) {
		c->broken = true;
		return ret;
	}
	return 1;
}

int qmp_client_pump(struct qmp_client *c)
{
	int ret;

	do
		ret = read_some(c, 0);
	while (ret > 0);
	return ret;
}

static json_object *take_if(struct qmp_client *c, bool (*match)(json_object *, const void *),
			    const void *arg)
{
	for (size_t i = 0; i < c->nqueue; i++) {
		json_object *o = c->queue[i];

		if (match(o, arg)) {
			memmove(c->queue + i, c->queue + i + 1,
				(c->nqueue - i - 1) * sizeof(*c->queue));
			c->nqueue--;
			return o;
		}
	}
	return NULL;
}

static bool is_event(json_object *o, const void *arg)
{
	json_object *e;

	(void)arg;
	return json_object_object_get_ex(o, "event", &e);
}

static bool is_named_event(json_object *o, const void *arg)
{
	json_object *e;

	return json_object_object_get_ex(o, "event", &e) &&
	       json_object_is_type(e, json_type_string) &&
	       strcmp(json_object_get_string(e), arg) == 0;
}

static bool is_reply_to(json_object *o, const void *arg)
{
	json_object *id;

	return json_object_object_get_ex(o, "id", &id) && json_object_is_type(id, json_type_int) &&
	       (uint64_t)json_object_get_int64(id) == *(const uint64_t *)arg;
}

static bool is_any(json_object *o, const void *arg)
{
	(void)o;
	(void)arg;
	return true;
}

json_object *qmp_client_take_event(struct qmp_client *c)
{
	return take_if(c, is_event, NULL);
}

static int wait_for(struct qmp_client *c, bool (*match)(json_object *, const void *),
		    const void *arg, json_object **out, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ULL;

	for (;;) {
		json_object *o = take_if(c, match, arg);
		int ret;

		if (o) {
			*out = o;
			return 0;
		}
		ret = read_some(c, deadline_ms(end));
		if (ret < 0)
			return ret;
		if (ret == 0 && now_ns() >= end)
			return -ETIMEDOUT;
	}
}

int qmp_client_read(struct qmp_client *c, json_object **msg, int timeout_ms)
{
	return wait_for(c, is_any, NULL, msg, timeout_ms);
}

int qmp_client_wait_event(struct qmp_client *c, const char *name, json_object **ev, int timeout_ms)
{
	return wait_for(c, is_named_event, name, ev, timeout_ms);
}

int qmp_client_send_raw(struct qmp_client *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

				if (poll(&pfd, 1, 5000) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			c->broken = true;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int qmp_client_execute(struct qmp_client *c, const char *cmd, json_object *args, json_object **ret,
		       struct qmp_error *err, int timeout_ms)
{
	json_object *msg = json_object_new_object(), *reply = NULL, *v;
	uint64_t id = ++c->next_id;
	const char *txt;
	size_t len;
	int rc;

	if (ret)
		*ret = NULL;
	json_object_object_add(msg, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(msg, "arguments", args);
	json_object_object_add(msg, "id", json_object_new_int64((int64_t)id));
	txt = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	rc = qmp_client_send_raw(c, txt, len);
	if (!rc)
		rc = qmp_client_send_raw(c, "\n", 1);
	json_object_put(msg);
	if (rc)
		return rc;
	rc = wait_for(c, is_reply_to, &id, &reply, timeout_ms);
	if (rc)
		return rc;
	if (json_object_object_get_ex(reply, "return", &v)) {
		if (ret)
			*ret = json_object_get(v);
		json_object_put(reply);
		return 0;
	}
	if (json_object_object_get_ex(reply, "error", &v)) {
		json_object *cls = NULL, *desc = NULL;

		json_object_object_get_ex(v, "class", &cls);
		json_object_object_get_ex(v, "desc", &desc);
		if (err) {
			err->cls = "GenericError";
			if (cls && json_object_is_type(cls, json_type_string)) {
				static const char *const known[] = {
					"GenericError", "CommandNotFound", "DeviceNotFound",
					"DeviceNotActive", "KVMMissingCap"
				};

				for (size_t i = 0; i < ARRAY_SIZE(known); i++)
					if (strcmp(json_object_get_string(cls), known[i]) == 0)
						err->cls = known[i];
			}
			snprintf(err->desc, sizeof(err->desc), "%s",
				 desc ? json_object_get_string(desc) : "(no description)");
		}
		json_object_put(reply);
		return -EREMOTEIO;
	}
	json_object_put(reply);
	c->broken = true;
	return -EPROTO;
}

int qmp_client_open_fd(struct qmp_client **out, int fd, int timeout_ms, struct errbuf *err)
{
	struct qmp_client *c = calloc(1, sizeof(*c));
	struct qmp_error qe;
	json_object *g = NULL, *q;
	int ret;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!c->tok) {
		qmp_client_close(c);
		return -ENOMEM;
	}
	ret = wait_for(c, is_any, NULL, &g, timeout_ms);
	if (ret) {
		qmp_client_close(c);
		return errbuf_set(err, ret, "monitor: no greeting: %s", strerror(-ret));
	}
	if (!json_object_object_get_ex(g, "QMP", &q)) {
		json_object_put(g);
		qmp_client_close(c);
		return errbuf_set(err, -EPROTO, "monitor: the greeting is not QMP's");
	}
	c->greeting = g;
	ret = qmp_client_execute(c, "qmp_capabilities", NULL, NULL, &qe, timeout_ms);
	if (ret) {
		qmp_client_close(c);
		return errbuf_set(err, ret == -EREMOTEIO ? -EPROTO : ret,
				  "monitor: qmp_capabilities: %s",
				  ret == -EREMOTEIO ? qe.desc : strerror(-ret));
	}
	*out = c;
	return 0;
}

int qmp_client_connect(struct qmp_client **out, const char *path, int timeout_ms,
		       struct errbuf *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return errbuf_set(err, -ENAMETOOLONG, "monitor socket path too long: %s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return errbuf_set(err, -errno, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if ((errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) ||
		    now_ns() >= end) {
			int e = errno;

			close(fd);
			return errbuf_set(err, -e, "monitor %s: %s", path, strerror(e));
		}
		close(fd);
		{
			struct timespec ts = { 0, 2000000 };

			nanosleep(&ts, NULL);
		}
	}
	return qmp_client_open_fd(out, fd, deadline_ms(end), err);
}

json_object *qmp_client_greeting(struct qmp_client *c)
{
	json_object *q = NULL;

	json_object_object_get_ex(c->greeting, "QMP", &q);
	return q;
}

int qmp_client_fd(const struct qmp_client *c)
{
	return c->fd;
}

void qmp_client_close(struct qmp_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nqueue; i++)
		json_object_put(c->queue[i]);
	free(c->queue);
	json_object_put(c->greeting);
	if (c->tok)
		json_tokener_free(c->tok);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
