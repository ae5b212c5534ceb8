/* assist.c - userspace completion of instructions KVM cannot emulate. See assist.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/assist.h"
#include "core/exit.h"
#include "core/vcpu.h"
#include "util/log.h"

static const char *const kind_names[ASSIST_KIND_COUNT] = {
	[ASSIST_NONE] = "none", [ASSIST_INT3] = "int3", [ASSIST_FWAIT] = "fwait",
	[ASSIST_CLAC] = "clac", [ASSIST_STAC] = "stac",
};

const char *assist_kind_name(enum assist_kind k)
{
	return (unsigned)k < ASSIST_KIND_COUNT ? kind_names[k] : "?";
}

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65: /* segments */
	case 0x66:
	case 0x67:
	case 0xf0:
	case 0xf2:
	case 0xf3:
		return true;
	default:
		return false;
	}
}

struct assist_insn assist_decode(const uint8_t *bytes, size_t n)
{
	struct assist_insn r = { ASSIST_NONE, 0 };
	size_t i = 0;

	/* At most 14 prefix bytes fit in a 15-byte instruction. */
	while (i < n && i < 14 && is_legacy_prefix(bytes[i]))
		i++;
	if (i < n && (bytes[i] & 0xf0) == 0x40) /* REX */
		i++;
	if (i >= n)
		return r;
	if (bytes[i] == 0xcc) {
		r.kind = ASSIST_INT3;
		r.len = (unsigned)i + 1;
	} else if (bytes[i] == 0xcd && i + 1 < n && bytes[i + 1] == 3) {
		r.kind = ASSIST_INT3;
		r.len = (unsigned)i + 2;
	} else if (bytes[i] == 0x9b) {
		r.kind = ASSIST_FWAIT;
		r.len = (unsigned)i + 1;
	} else if (bytes[i] == 0x0f && i + 2 < n && bytes[i + 1] == 0x01 &&
		   (bytes[i + 2] == 0xca || bytes[i + 2] == 0xcb)) {
		r.kind = bytes[i + 2] == 0xca ? ASSIST_CLAC : ASSIST_STAC;
		r.len = (unsigned)i + 3;
	}
	return r;
}

/* KVM_INTERNAL_ERROR_EMULATION with instruction bytes: data[0] flags, then size and bytes. */
static bool insn_bytes(const struct exit_info *x, const uint8_t **bytes, size_t *n)
{
	const uint8_t *raw = (const uint8_t *)x->internal.data;

	if (x->internal.suberror != KVM_INTERNAL_ERROR_EMULATION || x->internal.ndata < 3 ||
	    !(x->internal.data[0] & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return false;
	*n = MIN((size_t)raw[8], (size_t)15);
	*bytes = raw + 9;
	return *n > 0;
}

bool assist_handle(void *opaque, struct vcpu *vcpu, const struct exit_info *x)
{
	struct assist_stats *st = opaque;
	struct kvm_vcpu_events ev;
	struct assist_insn in;
	struct kvm_regs r;
	const uint8_t *bytes;
	size_t n;

	if (!insn_bytes(x, &bytes, &n))
		return false;
	in = assist_decode(bytes, n);
	if (in.kind == ASSIST_NONE) {
		stat_inc(&st->refused);
		return false;
	}
	if (vcpu_get_regs(vcpu, &r))
		return false;
	r.rip += in.len;
	if (in.kind == ASSIST_INT3) {
		/*
		 * #BP is a trap: the handler sees RIP after the int3. The injected event must
		 * reach KVM_RUN untouched: nothing may save or restore vCPU state in between.
		 */
		if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
			return false;
		ev.exception.injected = 1;
		ev.exception.nr = 3;
		ev.exception.has_error_code = 0;
		ev.exception.error_code = 0;
		ev.flags &= ~(__u32)KVM_VCPUEVENT_VALID_PAYLOAD;
		if (vcpu_set_regs(vcpu, &r) || ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
			return false;
	} else {
		if (in.kind == ASSIST_CLAC)
			r.rflags &= ~(1ULL << 18);
		else if (in.kind == ASSIST_STAC)
			r.rflags |= 1ULL << 18;
		if (vcpu_set_regs(vcpu, &r))
			return false;
	}
	stat_inc(&st->done[in.kind]);
	stat_inc(&vcpu->stats.assists);
	log_debug("vcpu%u: completed %s at %#llx for KVM", vcpu->index, assist_kind_name(in.kind),
		  (unsigned long long)(r.rip - in.len));
	return true;
}
