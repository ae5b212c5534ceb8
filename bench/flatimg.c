/* flatimg.c - the flat comparison guest and QEMU firmware image. Pure; any thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/flatimg.h"

void flatimg_guest(uint8_t out[FLATIMG_GUEST_SIZE], uint32_t loops)
{
	static const uint8_t code[FLATIMG_GUEST_SIZE] = {
		0x66, 0xb9, 0,	  0, 0, 0, /* mov ecx, N */
		0x67, 0xe3, 0x05,	   /* jecxz +5 */
		0xe6, 0x80,		   /* out 0x80, al */
		0x67, 0xe2, 0xfb,	   /* addr32 loop -5 */
		0xba, 0xf8, 0x03,	   /* mov dx, 0x3f8 */
		0xb0, 0x44,		   /* mov al, 'D' */
		0xee,			   /* out dx, al */
		0xfa,			   /* cli */
		0xf4,			   /* hlt */
		0xeb, 0xfd,		   /* jmp hlt */
	};

	memcpy(out, code, sizeof(code));
	for (int i = 0; i < 4; i++)
		out[2 + i] = (uint8_t)(loops >> (8 * i));
}

void flatimg_bios(uint8_t out[FLATIMG_BIOS_SIZE], uint32_t loops)
{
	memset(out, 0, FLATIMG_BIOS_SIZE);
	flatimg_guest(out, loops);
	/* Reset vector, CS base 0xffff0000, IP 0xfff0: jmp near to IP 0 (0xfff3 + 0x000d). */
	out[0xfff0] = 0xe9;
	out[0xfff1] = 0x0d;
	out[0xfff2] = 0x00;
}

int flatimg_write(const char *path, uint32_t loops, int bios)
{
	uint8_t *buf = malloc(FLATIMG_BIOS_SIZE);
	size_t len = bios ? FLATIMG_BIOS_SIZE : FLATIMG_GUEST_SIZE;
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	if (bios)
		flatimg_bios(buf, loops);
	else
		flatimg_guest(buf, loops);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		ret = -errno;
	else {
		if (write(fd, buf, len) != (ssize_t)len)
			ret = -EIO;
		close(fd);
	}
	free(buf);
	return ret;
}
