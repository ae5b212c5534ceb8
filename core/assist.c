/* assist.c - userspace completion of instructions KVM cannot emulate. See assist.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/assist.h"
#include "core/exit.h"
#include "core/memmap.h"
#include "core/vm.h"
#include "core/vcpu.h"
#include "util/log.h"

static const char *const kind_names[ASSIST_KIND_COUNT] = {
	[ASSIST_NONE] = "none",	      [ASSIST_INT3] = "int3", [ASSIST_FWAIT] = "fwait",
	[ASSIST_CLAC] = "clac",	      [ASSIST_STAC] = "stac", [ASSIST_LDMXCSR] = "ldmxcsr",
	[ASSIST_STMXCSR] = "stmxcsr",
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

/*
 * The ModRM (and SIB, displacement) of a memory operand at bytes[i..n) in 64-bit mode; REX
 * bits in rex. Returns the bytes used, 0 if this is not a memory form or is cut short.
 */
static size_t decode_modrm_mem(const uint8_t *bytes, size_t i, size_t n, uint8_t rex,
			       struct assist_mem *m)
{
	size_t start = i;
	uint8_t modrm, mod, rm;

	if (i >= n)
		return 0;
	modrm = bytes[i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return 0;
	m->index = ASSIST_REG_NONE;
	m->scale = 1;
	if (rm == 4) { /* SIB */
		uint8_t sib, base, index;

		if (i >= n)
			return 0;
		sib = bytes[i++];
		m->scale = (uint8_t)(1u << (sib >> 6));
		index = (uint8_t)(((sib >> 3) & 7) | ((rex & 2) << 2));
		base = (uint8_t)((sib & 7) | ((rex & 1) << 3));
		m->index = index == 4 ? ASSIST_REG_NONE : index; /* rsp cannot be an index */
		if ((sib & 7) == 5 && mod == 0) {
			m->base = ASSIST_REG_NONE;
			mod = 2; /* disp32 follows */
		} else {
			m->base = base;
		}
	} else if (rm == 5 && mod == 0) {
		m->base = ASSIST_REG_RIP;
		mod = 2;
	} else {
		m->base = (uint8_t)(rm | ((rex & 1) << 3));
	}
	m->disp = 0;
	if (mod == 1) {
		if (i >= n)
			return 0;
		m->disp = (int8_t)bytes[i++];
	} else if (mod == 2) {
		uint32_t d;

		if (i + 4 > n)
			return 0;
		memcpy(&d, bytes + i, 4);
		m->disp = (int32_t)d;
		i += 4;
	}
	return i - start;
}

uint64_t assist_linear(const struct assist_mem *m, const uint64_t regs[16], uint64_t rip,
		       unsigned len, uint64_t fs_base, uint64_t gs_base)
{
	uint64_t a = (uint64_t)(int64_t)m->disp;

	if (m->base == ASSIST_REG_RIP)
		a += rip + len;
	else if (m->base < 16)
		a += regs[m->base];
	if (m->index < 16)
		a += regs[m->index] * m->scale;
	if (m->seg == ASSIST_SEG_FS)
		a += fs_base;
	else if (m->seg == ASSIST_SEG_GS)
		a += gs_base;
	return a;
}

struct assist_insn assist_decode(const uint8_t *bytes, size_t n)
{
	struct assist_insn r = { ASSIST_NONE, 0, { 0 } };
	enum assist_seg seg = ASSIST_SEG_DEFAULT;
	bool sse_prefix = false, addr32 = false;
	uint8_t rex = 0;
	size_t i = 0;

	/* At most 14 prefix bytes fit in a 15-byte instruction. */
	while (i < n && i < 14 && is_legacy_prefix(bytes[i])) {
		if (bytes[i] == 0x64)
			seg = ASSIST_SEG_FS;
		else if (bytes[i] == 0x65)
			seg = ASSIST_SEG_GS;
		else if (bytes[i] == 0x66 || bytes[i] == 0xf2 || bytes[i] == 0xf3)
			sse_prefix = true;
		else if (bytes[i] == 0x67)
			addr32 = true;
		i++;
	}
	if (i < n && (bytes[i] & 0xf0) == 0x40) /* REX */
		rex = bytes[i++];
	if (i >= n)
		return r;
	/* ldmxcsr (0f ae /2) and stmxcsr (0f ae /3): no 66/f2/f3 prefix, a memory operand. */
	if (bytes[i] == 0x0f && i + 2 < n && bytes[i + 1] == 0xae && !sse_prefix && !addr32 &&
	    !(rex & 4) && (bytes[i + 2] >> 6) != 3 &&
	    (((bytes[i + 2] >> 3) & 7) == 2 || ((bytes[i + 2] >> 3) & 7) == 3)) {
		size_t used = decode_modrm_mem(bytes, i + 2, n, rex, &r.m);

		if (used) {
			r.kind = ((bytes[i + 2] >> 3) & 7) == 2 ? ASSIST_LDMXCSR : ASSIST_STMXCSR;
			r.len = (unsigned)(i + 2 + used);
			r.m.seg = seg;
		}
		return r;
	}
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

/*
 * Inject exception `nr` (with an error code when has_err). The event must reach KVM_RUN
 * untouched: nothing may save or restore vCPU state after this.
 */
static bool inject_exception(struct vcpu *vcpu, uint8_t nr, bool has_err, uint32_t err)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	ev.exception.injected = 1;
	ev.exception.nr = nr;
	ev.exception.has_error_code = has_err;
	ev.exception.error_code = err;
	ev.flags &= ~(__u32)KVM_VCPUEVENT_VALID_PAYLOAD;
	return ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
}

/*
 * ldmxcsr/stmxcsr: the operand through KVM's page-table walk and guest RAM, MXCSR through
 * KVM_GET/SET_FPU. Returns 1 done (advance RIP), 0 a fault was injected (do not), -1 refused
 * (an operand that is not plain RAM, or that straddles a page: the VM stops with a dump).
 */
static int mxcsr_access(struct vcpu *vcpu, const struct assist_insn *in, const struct kvm_regs *r)
{
	const uint64_t regs[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
		r->r8,	r->r9,	r->r10, r->r11, r->r12, r->r13, r->r14, r->r15
	};
	struct kvm_translation tr;
	struct kvm_sregs s;
	uint32_t v;

	if (vcpu_get_sregs(vcpu, &s))
		return -1;
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = assist_linear(&in->m, regs, r->rip, in->len, s.fs.base, s.gs.base);
	if ((tr.linear_address & 4095) > 4096 - sizeof(v) ||
	    ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
	    (in->kind == ASSIST_STMXCSR && !tr.writeable))
		return -1;
	if (in->kind == ASSIST_STMXCSR) {
		if (vcpu_get_mxcsr(vcpu, &v))
			return -1;
		return memmap_write(&vcpu->vm->mem, tr.physical_address, &v, sizeof(v)) ? -1 : 1;
	}
	if (memmap_read(&vcpu->vm->mem, tr.physical_address, &v, sizeof(v)))
		return -1;
	if (v & ~ASSIST_MXCSR_MASK)
		/* reserved bits: #GP(0), a fault (RIP stays), as the CPU does */
		return inject_exception(vcpu, 13, true, 0) ? 0 : -1;
	return vcpu_set_mxcsr(vcpu, v) ? -1 : 1;
}

bool assist_handle(void *opaque, struct vcpu *vcpu, const struct exit_info *x)
{
	struct assist_stats *st = opaque;
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
	if (in.kind == ASSIST_LDMXCSR || in.kind == ASSIST_STMXCSR) {
		int done = mxcsr_access(vcpu, &in, &r);

		if (done < 0) {
			stat_inc(&st->refused);
			return false;
		}
		if (done == 0) {
			stat_inc(&st->faults);
			return true;
		}
	}
	r.rip += in.len;
	if (in.kind == ASSIST_INT3) {
		/* #BP is a trap: the handler sees RIP after the int3 (registers first). */
		if (vcpu_set_regs(vcpu, &r) || !inject_exception(vcpu, 3, false, 0))
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
