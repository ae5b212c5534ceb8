/* sink.c - do-nothing devices: port 0x80 and the micro-guest test sinks. Any thread. */
#include <string.h>

#include "core/guest/abi.h"
#include "core/vm.h"
#include "devices/sink.h"
#include "util/log.h"

static uint64_t sink_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct sink *s = opaque;

	(void)vcpu;
	(void)offset;
	(void)size;
	stat_inc(&s->reads);
	return 0;
}

static void sink_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value,
		       unsigned size)
{
	struct sink *s = opaque;

	(void)vcpu;
	(void)offset;
	(void)value;
	(void)size;
	stat_inc(&s->writes);
}

static uint64_t post_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	(void)sink_read(opaque, vcpu, offset, size);
	return ~0ULL;
}

static const struct as_ops sink_ops = { .read = sink_read, .write = sink_write };
static const struct as_ops post_ops = { .read = post_read, .write = sink_write };

int sink_init_post(struct sink *s, struct vm *vm, pthread_mutex_t *big_lock)
{
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->port = 0x80;
	return as_register(&vm->pio, 0x80, 1, &post_ops, s, big_lock, "post");
}

int sink_init_test(struct sink *s, struct vm *vm, pthread_mutex_t *big_lock)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->vm = vm;
	ret = as_register(&vm->pio, SG_PORT_SINK, 4, &sink_ops, s, big_lock, "sink");
	if (ret)
		return ret;
	s->port = SG_PORT_SINK;
	ret = as_register(&vm->mmio, SG_MMIO_SINK, 4096, &sink_ops, s, big_lock, "sink");
	if (ret)
		return ret;
	s->mmio = SG_MMIO_SINK;
	return 0;
}

void sink_destroy(struct sink *s)
{
	if (s->port && as_unregister(&s->vm->pio, s->port))
		log_debug("sink: port not registered");
	if (s->mmio && as_unregister(&s->vm->mmio, s->mmio))
		log_debug("sink: mmio not registered");
	s->port = s->mmio = 0;
}
