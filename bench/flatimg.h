/*
 * flatimg.h - the flat real-mode guest used to compare VMMs byte for byte, and the 64 KiB
 * firmware image that makes QEMU run it. Hand-encoded (no assembler), position independent:
 *
 *   66 b9 NN NN NN NN   mov ecx, N
 *   67 e3 05            jecxz done          (addr32: tests ecx)
 *   e6 80         l:    out 0x80, al        (one PIO exit)
 *   67 e2 fb            addr32 loop l
 *   ba f8 03      done: mov dx, 0x3f8
 *   b0 44               mov al, 'D'
 *   ee                  out dx, al          (the first byte on the VMM's stdout)
 *   fa                  cli
 *   f4            h:    hlt
 *   eb fd               jmp h
 *
 * strand loads it with --flat; QEMU gets it as -bios: at offset 0 of the image, with
 * `jmp 0` (e9 0d 00) at the reset vector (offset 0xfff0). Pure; any thread.
 */
#ifndef STRAND_BENCH_FLATIMG_H
#define STRAND_BENCH_FLATIMG_H

#include <stddef.h>
#include <stdint.h>

#define FLATIMG_GUEST_SIZE 24
#define FLATIMG_BIOS_SIZE  65536

void flatimg_guest(uint8_t out[FLATIMG_GUEST_SIZE], uint32_t loops);
void flatimg_bios(uint8_t out[FLATIMG_BIOS_SIZE], uint32_t loops);
/* Write the guest (bios false) or the firmware image for `loops` to path; 0 or -errno. */
int flatimg_write(const char *path, uint32_t loops, int bios);

#endif
