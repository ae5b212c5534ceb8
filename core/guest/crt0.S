/*
 * crt0.S - micro-guest entry and the CPL-0 part of the kit: exception, interrupt and service
 * stubs. Everything here at CPL 0 is emulated instruction by instruction on PVM hosts, so it is
 * kept to a handful of instructions per path.
 */
#include "core/guest/abi.h"

	.section .strand.hdr, "a"
	.globl __strand_hdr
__strand_hdr:
	.long SG_IMAGE_MAGIC
	.short SG_ABI_VERSION
	.short 48
	.quad _start
	.quad sg_isr_table
	.long 16
	.long 0
	.quad __image_end

	.section .text.entry, "ax"
	.globl _start
_start:
	/* rdi = vCPU index, rsi = boot info, rsp = stack top, gs base = per-vCPU area */
	xor %ebp, %ebp
	and $~15, %rsp
	call sg_start
1:	ud2
	jmp 1b

/* 256 stubs of 16 bytes: push a zero error code where the CPU pushes none, then the vector. */
	.text
	.align 16
	.globl sg_isr_table
sg_isr_table:
	vec = 0
	.rept 256
	.align 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp sg_isr_common
	vec = vec + 1
	.endr

/*
 * SYSCALL entry (LSTAR: right after the 256 stubs). Micro-guests use it as a probe of the CPU's
 * syscall path: it returns with rax = the CS it ran with, through iretq since the kit's GDT
 * does not have SYSRET's layout. SYSCALL left rcx = return rip, r11 = rflags, and the stack is
 * still the caller's.
 */
	.align 16
	.globl sg_syscall_entry
sg_syscall_entry:
	mov %rsp, %r10
	pushq $SG_SEL_UDATA
	push %r10
	push %r11
	pushq $SG_SEL_UCODE
	push %rcx
	mov %cs, %eax
	iretq

	.align 16
sg_isr_common:
	cmpq $32, (%rsp)
	jb sg_exception
	cmpq $SG_VEC_SERVICE, (%rsp)
	je sg_service
	/* Interrupt: count it in the per-vCPU area, EOI unless spurious, return. */
	push %rax
	mov 8(%rsp), %rax
	incq %gs:SG_PERCPU_OFF_IRQ_TOTAL
	mov %rax, %gs:SG_PERCPU_OFF_LAST_VECTOR
	incq %gs:SG_PERCPU_OFF_IRQ_COUNT(,%rax,8)
	cmp $SG_VEC_SPURIOUS, %eax
	je 1f
	mov $0xfee000b0, %eax
	movl $0, (%rax)
1:	pop %rax
	add $16, %rsp
	iretq

sg_exception:
	/* The host reads the frame at rsp (below 4 GiB), reports and stops the VM. */
	mov $SG_PORT_EXCEPTION, %dx
	mov %esp, %eax
	out %eax, %dx
2:	cli
	hlt
	jmp 2b

sg_service:
	cmp $SG_SVC_HALT, %eax
	jne 3f
	sti
	hlt
	cli
	add $16, %rsp
	iretq
3:	cmp $SG_SVC_WRMSR, %eax
	jne 4f
	mov %edi, %eax
	wrmsr
	add $16, %rsp
	iretq
4:	rdmsr
	add $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
