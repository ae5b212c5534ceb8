/*
 * file.h - files that must never be seen half-written: a temporary file beside the target,
 * written, fsync'd, renamed over the target, and the directory fsync'd, so that after a crash
 * (or a kill -9 at any point) the path holds the old contents or the new ones, never a mix.
 * And reading a whole (small) file. Any thread; the caller serialises writers of one path.
 */
#ifndef STRAND_UTIL_FILE_H
#define STRAND_UTIL_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/compiler.h"

/* Replace path's contents with data (mode for a new file). 0 or -errno. */
int __must_check file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Make path a symlink to target, atomically (a temporary link renamed over path). 0 or -errno. */
int __must_check file_symlink_atomic(const char *target, const char *path);
/* Remove path and fsync its directory; a missing path is 0. 0 or -errno. */
int __must_check file_remove(const char *path);
/* Read at most max bytes of path into a malloc'd, NUL-terminated buffer. -EFBIG if larger. */
int __must_check file_read_all(const char *path, size_t max, char **out, size_t *len);
/* mkdir -p with mode for each created level. 0 or -errno. */
int __must_check file_mkdirs(const char *path, mode_t mode);

#endif
