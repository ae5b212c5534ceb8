/* kvmstats.c - KVM binary statistics reader. See kvmstats.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/kvmstats.h"

int kvm_stats_open(struct kvm_stats *s, int kvm_obj_fd)
{
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *raw = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -errno;
	if (pread(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		ret = -EIO;
		goto err;
	}
	/* Bound what a (buggy) kernel could make us allocate. */
	if (h.num_desc == 0 || h.num_desc > 4096 || h.name_size == 0 || h.name_size > 256) {
		ret = -EINVAL;
		goto err;
	}
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	raw = malloc(desc_size * h.num_desc);
	s->desc = calloc(h.num_desc, sizeof(*s->desc));
	s->values = calloc(h.num_desc, sizeof(*s->values));
	if (!raw || !s->desc || !s->values) {
		ret = -ENOMEM;
		goto err;
	}
	if (pread(s->fd, raw, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t)(desc_size * h.num_desc)) {
		ret = -EIO;
		goto err;
	}
	for (unsigned i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d =
			(const struct kvm_stats_desc *)(raw + i * desc_size);

		s->desc[i].flags = d->flags;
		s->desc[i].exponent = d->exponent;
		s->desc[i].size = d->size;
		s->desc[i].offset = d->offset;
		memcpy(s->desc[i].name, d->name,
		       MIN((size_t)h.name_size, sizeof(s->desc[i].name) - 1));
	}
	s->n = h.num_desc;
	s->data_offset = h.data_offset;
	for (unsigned i = 0; i < s->n; i++)
		s->block_size =
			MAX(s->block_size, s->desc[i].offset + 8ULL * MAX(s->desc[i].size, 1));
	s->block = malloc(s->block_size);
	if (!s->block) {
		ret = -ENOMEM;
		goto err;
	}
	free(raw);
	return 0;
err:
	free(raw);
	free(s->desc);
	free(s->values);
	free(s->block);
	close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	return ret;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0 && s->desc)
		close(s->fd);
	free(s->desc);
	free(s->values);
	free(s->block);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int kvm_stats_read(struct kvm_stats *s)
{
	if (pread(s->fd, s->block, s->block_size, (off_t)s->data_offset) != (ssize_t)s->block_size)
		return -EIO;
	for (unsigned i = 0; i < s->n; i++)
		memcpy(&s->values[i], s->block + s->desc[i].offset, sizeof(uint64_t));
	return 0;
}

int kvm_stats_find(const struct kvm_stats *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (strcmp(s->desc[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

uint64_t kvm_stats_get(const struct kvm_stats *s, const char *name)
{
	int i = kvm_stats_find(s, name);

	return i < 0 ? 0 : s->values[i];
}
