/* exit.c - kvm_run exit decoder. Pure; called on the vCPU thread. */
#include <errno.h>
#include <string.h>

#include "core/exit.h"

#define ARRAY_SIZE_INTERNAL (sizeof(((struct kvm_run *)0)->internal.data) / sizeof(uint64_t))

static const char *const kind_names[EXIT_KIND_COUNT] = {
	[EXIT_IO] = "io",
	[EXIT_MMIO] = "mmio",
	[EXIT_HLT] = "hlt",
	[EXIT_SHUTDOWN] = "shutdown",
	[EXIT_SYSTEM_EVENT] = "system_event",
	[EXIT_INTR] = "intr",
	[EXIT_FAIL_ENTRY] = "fail_entry",
	[EXIT_INTERNAL_ERROR] = "internal_error",
	[EXIT_IRQ_WINDOW] = "irq_window",
	[EXIT_DEBUG] = "debug",
	[EXIT_UNKNOWN] = "unknown",
	[EXIT_MALFORMED] = "malformed",
};

const char *exit_kind_name(enum exit_kind kind)
{
	return (unsigned)kind < EXIT_KIND_COUNT ? kind_names[kind] : "?";
}

static int malformed(struct exit_info *out)
{
	out->kind = EXIT_MALFORMED;
	return -EINVAL;
}

int exit_decode(struct kvm_run *run, size_t run_size, struct exit_info *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint64_t bytes;

		if (run->io.size != 1 && run->io.size != 2 && run->io.size != 4)
			return malformed(out);
		if (run->io.direction != KVM_EXIT_IO_IN && run->io.direction != KVM_EXIT_IO_OUT)
			return malformed(out);
		if (run->io.count == 0)
			return malformed(out);
		bytes = (uint64_t)run->io.size * run->io.count;
		if (run->io.data_offset < sizeof(*run) || run->io.data_offset > run_size ||
		    bytes > run_size - run->io.data_offset)
			return malformed(out);
		out->kind = EXIT_IO;
		out->io.port = run->io.port;
		out->io.size = run->io.size;
		out->io.write = run->io.direction == KVM_EXIT_IO_OUT;
		out->io.count = run->io.count;
		out->io.data = (uint8_t *)run + run->io.data_offset;
		return 0;
	}
	case KVM_EXIT_MMIO:
		if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data))
			return malformed(out);
		out->kind = EXIT_MMIO;
		out->mmio.addr = run->mmio.phys_addr;
		out->mmio.len = (uint8_t)run->mmio.len;
		out->mmio.write = run->mmio.is_write != 0;
		out->mmio.data = run->mmio.data;
		return 0;
	case KVM_EXIT_HLT:
		out->kind = EXIT_HLT;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		out->kind = EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		out->kind = EXIT_SYSTEM_EVENT;
		out->system_event.type = run->system_event.type;
		return 0;
	case KVM_EXIT_INTR:
		out->kind = EXIT_INTR;
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		out->kind = EXIT_FAIL_ENTRY;
		out->fail_entry.hw_reason = run->fail_entry.hardware_entry_failure_reason;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		out->kind = EXIT_INTERNAL_ERROR;
		out->internal.suberror = run->internal.suberror;
		out->internal.ndata = run->internal.ndata;
		if (out->internal.ndata > ARRAY_SIZE_INTERNAL)
			out->internal.ndata = ARRAY_SIZE_INTERNAL;
		out->internal.data = (const uint64_t *)run->internal.data;
		return 0;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		out->kind = EXIT_IRQ_WINDOW;
		return 0;
	case KVM_EXIT_DEBUG:
		out->kind = EXIT_DEBUG;
		return 0;
	default:
		out->kind = EXIT_UNKNOWN;
		return 0;
	}
}
