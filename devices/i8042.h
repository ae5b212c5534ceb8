/*
 * i8042.h - the PS/2 controller's command port, enough for firmware-less guests: status and
 * data ports, self tests, the command byte, and the reset line (0xfe to port 0x64, or
 * pulsing output-port bit 0), which ends the VM with VM_STOP_RESET. No keyboard is attached.
 *
 * Threads: vCPU threads, under `lock` (own or big lock) taken by the dispatch.
 */
#ifndef STRAND_DEVICES_I8042_H
#define STRAND_DEVICES_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

struct vm;
struct vcpu;

struct i8042 {
	struct vm *vm;
	pthread_mutex_t own_lock;
	uint8_t status;	     /* [lock] */
	uint8_t ctr;	     /* [lock] command byte */
	uint8_t out;	     /* [lock] output buffer */
	uint8_t pending_cmd; /* [lock] command awaiting a data byte */
	uint64_t resets;     /* [lock] */
};

int __must_check i8042_init(struct i8042 *k, struct vm *vm, pthread_mutex_t *big_lock);
void i8042_destroy(struct i8042 *k);

uint64_t i8042_read(void *opaque, struct vcpu *vcpu, uint64_t offset, unsigned size);
void i8042_write(void *opaque, struct vcpu *vcpu, uint64_t offset, uint64_t value, unsigned size);

#endif
