/*
 * vcpu_gate.c - the shared vCPU gate (vcpu_gate.h): the file, both sides of it, and the
 * futex and signal that carry a park or a release from one process to the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "monitor/vcpu_gate.h"
#include "util/gateword.h"

static size_t gate_size(unsigned nslots)
{
	return sizeof(struct vcpu_gate_hdr) + (size_t)nslots * sizeof(struct vcpu_gate_slot);
}

int vcpu_gate_create(struct vcpu_gate *g, const char *path, unsigned nslots, int kick_signal,
		     struct errbuf *err)
{
	size_t size = gate_size(nslots);
	void *p;
	int fd, e;

	memset(g, 0, sizeof(*g));
	if (nslots == 0 || nslots > VCPU_GATE_MAX_SLOTS)
		return errbuf_set(err, -EINVAL, "--vcpu-gate: %u vCPUs (1..%u)", nslots,
				  VCPU_GATE_MAX_SLOTS);
	/* A new inode: a scheduler still mapping an old file never sees this VM's words. */
	if (unlink(path) && errno != ENOENT)
		return errbuf_set(err, -errno, "--vcpu-gate: cannot replace %s: %s", path,
				  strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errbuf_set(err, -errno, "--vcpu-gate: cannot create %s: %s", path,
				  strerror(errno));
	if (ftruncate(fd, (off_t)size)) {
		e = errno;
		close(fd);
		unlink(path);
		return errbuf_set(err, -e, "--vcpu-gate: %s: %s", path, strerror(e));
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		unlink(path);
		return errbuf_set(err, -e, "--vcpu-gate: cannot map %s: %s", path, strerror(e));
	}
	g->path = strdup(path);
	if (!g->path) {
		munmap(p, size);
		unlink(path);
		return errbuf_set(err, -ENOMEM, "--vcpu-gate: out of memory");
	}
	g->hdr = p;
	g->slots = (struct vcpu_gate_slot *)(g->hdr + 1);
	g->nslots = nslots;
	g->size = size;
	g->kick_signal = kick_signal;
	g->hdr->version = VCPU_GATE_VERSION;
	g->hdr->nslots = nslots;
	g->hdr->pid = (int32_t)getpid();
	g->hdr->kick_signal = kick_signal;
	/* The magic last: a reader that sees it sees the rest. */
	__atomic_store_n(&g->hdr->magic, VCPU_GATE_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

void vcpu_gate_set_tid(struct vcpu_gate *g, unsigned slot, pid_t tid)
{
	if (g->hdr && slot < g->nslots)
		__atomic_store_n(&g->slots[slot].tid, (int32_t)tid, __ATOMIC_RELAXED);
}

void vcpu_gate_publish(struct vcpu_gate *g)
{
	if (g->hdr)
		__atomic_store_n(&g->hdr->ready, 1, __ATOMIC_RELEASE);
}

uint32_t *vcpu_gate_word(struct vcpu_gate *g, unsigned slot)
{
	return g->hdr && slot < g->nslots ? &g->slots[slot].word : NULL;
}

int vcpu_gate_open(struct vcpu_gate *g, const char *path, int timeout_ms, struct errbuf *err)
{
	struct vcpu_gate_hdr h;
	struct timespec start, now;
	struct stat st;
	void *p;
	int fd, e;

	memset(g, 0, sizeof(*g));
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(err, -errno, "cannot open the vCPU gate %s: %s", path,
				  strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(struct vcpu_gate_hdr) ||
	    (size_t)st.st_size > gate_size(VCPU_GATE_MAX_SLOTS)) {
		close(fd);
		return errbuf_set(err, -EPROTO, "the vCPU gate %s is not a gate file", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return errbuf_set(err, -e, "cannot map the vCPU gate %s: %s", path, strerror(e));
	g->hdr = p;
	g->size = (size_t)st.st_size;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long ms;

		if (__atomic_load_n(&g->hdr->ready, __ATOMIC_ACQUIRE))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			vcpu_gate_close(g, false);
			return errbuf_set(err, -ETIMEDOUT, "the vCPU gate %s is not ready", path);
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	/* One copy of the header: the other side cannot change it under the checks. */
	memcpy(&h, g->hdr, sizeof(h));
	if (h.magic != VCPU_GATE_MAGIC || h.version != VCPU_GATE_VERSION || h.nslots == 0 ||
	    h.nslots > VCPU_GATE_MAX_SLOTS || gate_size(h.nslots) > g->size ||
	    h.kick_signal < SIGRTMIN || h.kick_signal > SIGRTMAX) {
		vcpu_gate_close(g, false);
		return errbuf_set(err, -EPROTO,
				  "the vCPU gate %s: bad header (magic, version %u, "
				  "%u slots, signal %d)",
				  path, h.version, h.nslots, h.kick_signal);
	}
	g->slots = (struct vcpu_gate_slot *)(g->hdr + 1);
	g->nslots = h.nslots;
	/* Kept from the checked copy: the signal is never re-read from the file. */
	g->kick_signal = h.kick_signal;
	return 0;
}

int vcpu_gate_set(struct vcpu_gate *g, unsigned slot, bool park, pid_t pid, pid_t tid)
{
	uint32_t *w;

	if (!g->hdr || slot >= g->nslots)
		return -EINVAL;
	w = &g->slots[slot].word;
	gateword_set(w, park);
	if (!park)
		return 0;
	if (pid <= 0 || tid <= 0)
		return -EINVAL;
	/* Out of KVM_RUN; the vCPU reads its word before it enters again. */
	if (syscall(SYS_tgkill, pid, tid, g->kick_signal))
		return -errno;
	return 0;
}

void vcpu_gate_release_all(struct vcpu_gate *g)
{
	for (unsigned i = 0; i < g->nslots; i++)
		vcpu_gate_set(g, i, false, 0, 0);
}

void vcpu_gate_close(struct vcpu_gate *g, bool unlink_file)
{
	if (g->hdr)
		munmap(g->hdr, g->size);
	if (unlink_file && g->path)
		unlink(g->path);
	free(g->path);
	memset(g, 0, sizeof(*g));
}
