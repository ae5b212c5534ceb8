/* flat.c - real-mode flat binary loader. Main thread. */
#include <errno.h>
#include <string.h>

#include "core/flat.h"
#include "core/msr.h"
#include "core/vcpu.h"
#include "core/vm.h"

static void real_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

int flat_setup(struct vm *vm, const uint8_t *image, size_t size)
{
	struct vcpu *bsp = vm->vcpus[0];
	struct kvm_sregs s;
	struct kvm_regs r;
	int ret;

	if (size == 0 || size > FLAT_MAX_BYTES)
		return -E2BIG;
	ret = memmap_write(&vm->mem, FLAT_LOAD_GPA, image, size);
	if (ret)
		return ret;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_reset_msrs(vm->vcpus[i]);
		if (ret < 0)
			return ret;
	}
	ret = vcpu_get_sregs(bsp, &s);
	if (ret)
		return ret;
	real_seg(&s.cs, 0x1000, 0xb);
	real_seg(&s.ds, 0x1000, 0x3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	ret = vcpu_set_sregs(bsp, &s);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.rip = 0;
	r.rsp = 0xfff0;
	r.rflags = 0x2;
	return vcpu_set_regs(bsp, &r);
}
