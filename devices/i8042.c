/* i8042.c - PS/2 controller command port and reset line. vCPU threads, under the region lock. */
#include <string.h>

#include "core/vm.h"
#include "devices/i8042.h"
#include "util/log.h"

#define I8042_DATA     0x60
#define I8042_CMD      0x64

#define STATUS_OBF     0x01
#define STATUS_SYS     0x04
#define STATUS_CMD     0x08

#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_DIS    0xa7
#define CMD_AUX_EN     0xa8
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_KBD_DIS    0xad
#define CMD_KBD_EN     0xae
#define CMD_READ_OUTP  0xd0
#define CMD_WRITE_OUTP 0xd1
#define CMD_RESET      0xfe

static void put_out(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->status |= STATUS_OBF;
}

static void reset(struct i8042 *k)
{
	k->resets++;
	vm_request_stop(k->vm, VM_STOP_RESET, 0);
}

uint64_t i8042_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size)
{
	struct i8042 *k = opaque;

	(void)vcpu;
	(void)size;
	if (offset == 0) { /* 0x60: data */
		k->status &= (uint8_t)~STATUS_OBF;
		return k->out;
	}
	if (offset == 4) /* 0x64: status */
		return k->status;
	return 0xff;
}

void i8042_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v = (uint8_t)value;

	(void)vcpu;
	(void)size;
	if (offset == 0) { /* data: the argument of a pending command, or to the (absent) kbd */
		if (k->pending_cmd == CMD_WRITE_CTR)
			k->ctr = v;
		else if (k->pending_cmd == CMD_WRITE_OUTP && !(v & 1))
			reset(k); /* output port bit 0 low: CPU reset */
		k->pending_cmd = 0;
		k->status &= (uint8_t)~STATUS_CMD;
		return;
	}
	if (offset != 4)
		return;
	k->status |= STATUS_CMD;
	switch (v) {
	case CMD_READ_CTR:
		put_out(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
		k->pending_cmd = v;
		break;
	case CMD_SELF_TEST:
		put_out(k, 0x55);
		break;
	case CMD_KBD_TEST:
	case CMD_AUX_TEST:
		put_out(k, 0x00);
		break;
	case CMD_READ_OUTP:
		put_out(k, 0x01);
		break;
	case CMD_KBD_DIS:
	case CMD_KBD_EN:
	case CMD_AUX_DIS:
	case CMD_AUX_EN:
		break;
	case CMD_RESET:
		reset(k);
		break;
	default:
		/* 0xf0-0xff pulse output lines: bit 0 clear in the low nibble means reset. */
		if ((v & 0xf0) == 0xf0 && !(v & 1))
			reset(k);
		break;
	}
}

static const struct as_ops i8042_ops = {
	.read = i8042_read,
	.write = i8042_write,
	.min_access = 1,
	.max_access = 1,
};

int i8042_init(struct i8042 *k, struct vm *vm, pthread_mutex_t *big_lock)
{
	int ret;

	memset(k, 0, sizeof(*k));
	k->vm = vm;
	k->status = STATUS_SYS;
	k->ctr = 0x44; /* translate, system flag; no interrupts */
	pthread_mutex_init(&k->own_lock, NULL);
	if (!vm)
		return 0;
	/* Ports 0x60 and 0x64 as one 5-byte region; 0x61-0x63 read as all-ones. */
	ret = as_register(&vm->pio, I8042_DATA, 5, &i8042_ops, k,
			  big_lock ? big_lock : &k->own_lock, "i8042");
	return ret;
}

void i8042_destroy(struct i8042 *k)
{
	if (k->vm && as_unregister(&k->vm->pio, I8042_DATA))
		log_debug("i8042: not registered");
	pthread_mutex_destroy(&k->own_lock);
}
