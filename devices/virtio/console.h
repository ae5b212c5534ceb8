/*
 * console.h - virtio-console with one port (no multiport): transmitq output goes to a file
 * or to the client of a UNIX socket strand listens on; receiveq input comes from that client.
 *
 * Threads: transmit on whichever thread processes the queue (mmio.h); the socket (listen,
 * accept, input) is served by the main loop. Output writes happen after the queue's used
 * ring is updated, outside any lock but out_lock. [L] fields are under the receive queue's
 * lock (virtio_queue_enter on queue 0).
 */
#ifndef STRAND_DEVICES_VIRTIO_CONSOLE_H
#define STRAND_DEVICES_VIRTIO_CONSOLE_H

#include <linux/virtio_console.h>

#include "devices/virtio/mmio.h"
#include "util/errbuf.h"

struct ioloop;
struct ioloop_fd;

struct vcon {
	struct virtio_dev dev;
	bool is_socket;
	bool wait_client; /* socket: wait for a client before the VM runs */
	char path[256];
	int out_fd;	     /* file, or the connected client; -1 when none */
	int listen_fd;	     /* socket mode */
	struct ioloop *loop; /* main loop (socket events) */
	struct ioloop_fd *listen_handler, *client_handler;
	pthread_mutex_t out_lock;		 /* serialises writes to out_fd; leaf lock */
	uint8_t pending[4096];			 /* [L] input read but not yet delivered */
	size_t pending_len;			 /* [L] */
	uint64_t tx_bytes, rx_bytes, rx_dropped; /* relaxed atomics */
};

/*
 * "file=PATH" or "socket=PATH[,wait=on|off]". Opens the file or the listening socket (user
 * errors). With wait=on (the default, as QEMU's server sockets) vcon_wait_client blocks until
 * a client connects, so nothing the guest writes early is lost.
 */
int vcon_open(struct vcon *c, const char *spec, struct errbuf *err);
/* Wait for the socket client if asked (main thread, before the VM starts). -EINTR on a signal. */
int vcon_wait_client(struct vcon *c, struct errbuf *err);
int __must_check vcon_init(struct vcon *c, struct vm *vm, uint64_t base, uint32_t gsi,
			   pthread_mutex_t *big_lock, struct ioloop *main_loop);
void vcon_destroy(struct vcon *c);

#endif
