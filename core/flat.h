/*
 * flat.h - raw flat binaries: the file is loaded at guest-physical 0x10000 and vCPU 0 starts in
 * real mode at CS:IP 1000:0000 (kvmtool's convention), so identical bytes run under strand,
 * kvmtool and QEMU. Other vCPUs wait for INIT/SIPI as on a PC. Main thread, before vm_start.
 */
#ifndef STRAND_CORE_FLAT_H
#define STRAND_CORE_FLAT_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

#define FLAT_LOAD_GPA  0x10000ULL
#define FLAT_MAX_BYTES (0xa0000ULL - FLAT_LOAD_GPA) /* below the legacy VGA hole */

struct vm;

/* -E2BIG if the image does not fit below 640 KiB; -EFAULT if RAM does not cover it. */
int __must_check flat_setup(struct vm *vm, const uint8_t *image, size_t size);

#endif
