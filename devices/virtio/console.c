/* console.c - virtio-console, single port, file or UNIX-socket backend. See console.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/memmap.h"
#include "core/vm.h"
#include "devices/virtio/console.h"
#include "iothreads/ioloop.h"
#include "util/log.h"
#include "util/parse.h"

#define RXQ 0
#define TXQ 1

static void out_write(struct vcon *c, const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&c->out_lock);
	while (n && c->out_fd >= 0) {
		ssize_t k =
			c->is_socket ? send(c->out_fd, p, n, MSG_NOSIGNAL) : write(c->out_fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			break; /* reader gone: output dropped, the guest goes on */
		}
		p += k;
		n -= (size_t)k;
		stat_add(&c->tx_bytes, (uint64_t)k);
	}
	pthread_mutex_unlock(&c->out_lock);
}

/* Transmit: copy the guest's buffers out, push them used, then write outside the queue lock. */
static void vcon_tx(struct virtio_dev *d, struct virtio_queue *q)
{
	struct vcon *c = d->priv;
	const struct memmap_table *t = memmap_read_begin(&d->vm->mem);
	struct vq_iov iov[32];
	struct vq_chain ch = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	uint8_t buf[4096];
	size_t n = 0;
	bool pushed = false;
	int ret;

	while (n < sizeof(buf) && (ret = vq_pop(&q->vq, t, &ch)) > 0) {
		for (unsigned i = 0; i < ch.n_readable && n < sizeof(buf); i++) {
			size_t take = MIN(iov[i].len, sizeof(buf) - n);

			memcpy(buf + n, iov[i].hva, take);
			n += take;
		}
		if (vq_push(&q->vq, t, ch.head, 0))
			break;
		pushed = true;
	}
	if (q->vq.broken)
		virtio_dev_needs_reset(d, q);
	if (pushed)
		virtio_queue_notify_guest(q, t);
	memmap_read_end(&d->vm->mem);
	if (n)
		out_write(c, buf, n);
	/* More than one buffer's worth: come back for the rest. */
	if (n == sizeof(buf))
		vcon_tx(d, q);
}

/* Deliver pending input into receive buffers. Receive queue lock held. */
static void vcon_rx_locked(struct vcon *c)
{
	struct virtio_dev *d = &c->dev;
	struct virtio_queue *q = &d->queues[RXQ];
	const struct memmap_table *t;
	struct vq_iov iov[32];
	struct vq_chain ch = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	size_t off = 0;
	bool pushed = false;

	if (!c->pending_len || !virtio_dev_running(d) || !q->vq.ready)
		return;
	t = memmap_read_begin(&d->vm->mem);
	while (off < c->pending_len && vq_pop(&q->vq, t, &ch) > 0) {
		uint32_t written = 0;

		for (unsigned i = ch.n_readable; i < ch.n_readable + ch.n_writable; i++) {
			size_t take = MIN(iov[i].len, c->pending_len - off);

			memcpy(iov[i].hva, c->pending + off, take);
			off += take;
			written += (uint32_t)take;
			if (off == c->pending_len)
				break;
		}
		if (vq_push(&q->vq, t, ch.head, written))
			break;
		pushed = true;
	}
	if (q->vq.broken)
		virtio_dev_needs_reset(d, q);
	if (pushed)
		virtio_queue_notify_guest(q, t);
	memmap_read_end(&d->vm->mem);
	memmove(c->pending, c->pending + off, c->pending_len - off);
	c->pending_len -= off;
	stat_add(&c->rx_bytes, off);
}

static void vcon_notify(struct virtio_dev *d, unsigned qi)
{
	struct vcon *c = d->priv;

	if (qi == TXQ)
		vcon_tx(d, &d->queues[TXQ]);
	else
		vcon_rx_locked(c); /* new receive buffers: deliver what waits */
}

static void vcon_config_read(struct virtio_dev *d, uint32_t off, void *buf, unsigned len)
{
	struct virtio_console_config cfg = { .cols = 80, .rows = 25, .max_nr_ports = 1 };

	(void)d;
	memcpy(buf, (uint8_t *)&cfg + off, len);
}

static void vcon_reset(struct virtio_dev *d)
{
	struct vcon *c = d->priv;

	virtio_queue_lock(&d->queues[RXQ]);
	c->pending_len = 0;
	virtio_queue_unlock(&d->queues[RXQ]);
}

static const struct virtio_dev_ops vcon_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.queue_notify = vcon_notify,
	.config_read = vcon_config_read,
	.reset = vcon_reset,
};

static void on_client(void *opaque, uint32_t events)
{
	struct vcon *c = opaque;
	struct virtio_queue *q = &c->dev.queues[RXQ];
	ssize_t n = 0;

	virtio_queue_enter(q);
	if (c->pending_len < sizeof(c->pending))
		n = recv(c->out_fd, c->pending + c->pending_len,
			 sizeof(c->pending) - c->pending_len, MSG_DONTWAIT);
	if (n > 0)
		c->pending_len += (size_t)n;
	vcon_rx_locked(c);
	virtio_queue_leave(q);
	if (n == 0 && (events & (EPOLLHUP | EPOLLIN)) && c->pending_len < sizeof(c->pending)) {
		/* The client hung up. */
		pthread_mutex_lock(&c->out_lock);
		ioloop_del_fd(c->loop, c->client_handler);
		c->client_handler = NULL;
		close(c->out_fd);
		c->out_fd = -1;
		pthread_mutex_unlock(&c->out_lock);
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		stat_inc(&c->rx_dropped);
	}
}

static void on_accept(void *opaque, uint32_t events)
{
	struct vcon *c = opaque;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)events;
	if (fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	if (c->out_fd >= 0) {
		pthread_mutex_unlock(&c->out_lock);
		close(fd); /* one client at a time */
		return;
	}
	c->out_fd = fd;
	pthread_mutex_unlock(&c->out_lock);
	if (ioloop_add_fd(c->loop, fd, EPOLLIN | EPOLLRDHUP, on_client, c, &c->client_handler))
		log_warn("virtio-console: cannot watch the client");
}

int vcon_open(struct vcon *c, const char *spec, struct errbuf *err)
{
	struct opts o;
	const char *file, *sock, *bad;
	int ret = -EINVAL;

	memset(c, 0, sizeof(*c));
	c->out_fd = c->listen_fd = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	if (opts_parse(&o, spec, NULL))
		return errbuf_set(err, -EINVAL, "--virtio-console: cannot parse '%s'", spec);
	file = opts_get(&o, "file");
	sock = opts_get(&o, "socket");
	c->wait_client = true;
	{
		const char *w = opts_get(&o, "wait");

		if (w && (!sock || parse_bool(w, &c->wait_client))) {
			errbuf_set(
				err, ret,
				"--virtio-console: wait=%s: expected on or off, with socket=", w);
			goto out;
		}
	}
	if ((bad = opts_unused(&o))) {
		errbuf_set(err, ret, "--virtio-console: unknown option '%s'", bad);
		goto out;
	}
	if (!!file == !!sock) {
		errbuf_set(err, ret,
			   "--virtio-console: give exactly one of file=PATH or socket=PATH");
		goto out;
	}
	if (file) {
		c->out_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			errbuf_set(err, ret, "--virtio-console file=%s: %s", file, strerror(errno));
			goto out;
		}
		snprintf(c->path, sizeof(c->path), "%s", file);
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct stat st;

		if (strlen(sock) >= sizeof(sa.sun_path)) {
			errbuf_set(err, ret, "--virtio-console socket=%s: path too long", sock);
			goto out;
		}
		if (stat(sock, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			errbuf_set(err, ret,
				   "--virtio-console socket=%s: exists and is not a socket", sock);
			goto out;
		}
		unlink(sock);
		strcpy(sa.sun_path, sock);
		c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(c->listen_fd, 1)) {
			errbuf_set(err, ret, "--virtio-console socket=%s: %s", sock,
				   strerror(errno));
			goto out;
		}
		c->is_socket = true;
		snprintf(c->path, sizeof(c->path), "%s", sock);
	}
	ret = 0;
out:
	opts_free(&o);
	return ret;
}

int vcon_init(struct vcon *c, struct vm *vm, uint64_t base, uint32_t gsi, pthread_mutex_t *big_lock,
	      struct ioloop *main_loop)
{
	struct virtio_dev_config cfg = {
		.name = "virtio-console",
		.base = base,
		.gsi = gsi,
		.nqueues = 2,
		.queue_size = 64,
		.config_size = sizeof(struct virtio_console_config),
		.big_lock = big_lock,
	};
	int ret = virtio_dev_init(&c->dev, vm, &vcon_ops, &cfg, c);

	if (ret)
		return ret;
	c->loop = main_loop;
	if (c->is_socket)
		ret = ioloop_add_fd(main_loop, c->listen_fd, EPOLLIN, on_accept, c,
				    &c->listen_handler);
	return ret;
}

int vcon_wait_client(struct vcon *c, struct errbuf *err)
{
	sigset_t pending;
	int fd;

	if (!c->is_socket || !c->wait_client)
		return 0;
	log_warn("virtio-console: waiting for a client on %s", c->path);
	for (;;) {
		struct pollfd p = { c->listen_fd, POLLIN, 0 };

		if (poll(&p, 1, 100) > 0)
			break;
		/* Process signals are blocked (the main loop takes them later): look for them. */
		sigpending(&pending);
		if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
		    sigismember(&pending, SIGHUP))
			return errbuf_set(err, -EINTR,
					  "virtio-console: interrupted while waiting for a "
					  "client on %s",
					  c->path);
	}
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errbuf_set(err, -errno, "virtio-console: accept: %s", strerror(errno));
	c->out_fd = fd;
	return ioloop_add_fd(c->loop, fd, EPOLLIN | EPOLLRDHUP, on_client, c, &c->client_handler);
}

void vcon_destroy(struct vcon *c)
{
	if (c->client_handler)
		ioloop_del_fd(c->loop, c->client_handler);
	if (c->listen_handler)
		ioloop_del_fd(c->loop, c->listen_handler);
	if (c->dev.queues)
		virtio_dev_destroy(&c->dev);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	pthread_mutex_destroy(&c->out_lock);
}
