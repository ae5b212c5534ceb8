/*
 * floor.c - strand-kvm-floor: the raw KVM exit floor. A bare KVM_RUN loop with no VMM around
 * it: one vCPU in real mode, no irqchip, no devices, no threads; the guest does N port writes
 * (or N MMIO writes) and halts. The loop handles each exit with nothing but a switch, so the
 * time per exit is the lowest any userspace VMM can reach on this host.
 *
 * usage: strand-kvm-floor [--mode pio|mmio] [--iters N] [--repeat R] [--json]
 * Prints ns per exit for each repetition, then the median.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CODE_GPA 0x10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void die(const char *what)
{
	fprintf(stderr, "strand-kvm-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	/*
	 * Real mode, CS=DS=0x1000 except the MMIO loop uses DS=0:
	 *   pio:  mov cx, N; l: out 0x80, al; loop l; hlt
	 *   mmio: xor ax,ax; mov ds,ax; mov cx, N; l: mov [0], al; loop l; hlt
	 */
	uint8_t pio_code[] = { 0xb9, 0, 0, 0xe6, 0x80, 0xe2, 0xfc, 0xf4 };
	uint8_t mmio_code[] = { 0x31, 0xc0, 0x8e, 0xd8, 0xb9, 0,   0,
				0xa2, 0x00, 0x00, 0xe2, 0xfb, 0xf4 };
	unsigned iters = 20000, repeat = 10;
	int mmio = 0, json = 0;
	double *res;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			mmio = !strcmp(argv[++i], "mmio");
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			fprintf(stderr,
				"usage: strand-kvm-floor [--mode pio|mmio] [--iters N (<=65535)] "
				"[--repeat R] [--json]\n");
			return 2;
		}
	}
	if (iters == 0 || iters > 65535 || repeat == 0) {
		fprintf(stderr, "strand-kvm-floor: --iters must be 1..65535, --repeat >= 1\n");
		return 2;
	}
	res = calloc(repeat, sizeof(double));
	pio_code[1] = mmio_code[5] = (uint8_t)iters;
	pio_code[2] = mmio_code[6] = (uint8_t)(iters >> 8);

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	void *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = CODE_GPA,
		.memory_size = 0x10000,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run =
		mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	for (unsigned r = 0; r < repeat; r++) {
		struct kvm_sregs s;
		struct kvm_regs regs = { .rip = 0, .rflags = 2 };
		uint64_t t0 = 0, exits = 0;

		memcpy(mem, mmio ? mmio_code : pio_code,
		       mmio ? sizeof(mmio_code) : sizeof(pio_code));
		if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
			die("KVM_GET_SREGS");
		s.cs.base = CODE_GPA;
		s.cs.selector = CODE_GPA >> 4;
		s.ds.base = CODE_GPA;
		s.ds.selector = CODE_GPA >> 4;
		if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
			die("KVM_SET_(S)REGS");
		for (;;) {
			if (ioctl(vcpu, KVM_RUN, 0) < 0) {
				if (errno == EINTR)
					continue;
				die("KVM_RUN");
			}
			if (run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO) {
				/* Time from the first exit: entry costs are not part of the loop. */
				if (exits++ == 0)
					t0 = now_ns();
				continue;
			}
			if (run->exit_reason == KVM_EXIT_HLT)
				break;
			fprintf(stderr, "strand-kvm-floor: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
		if (exits != iters) {
			fprintf(stderr, "strand-kvm-floor: %llu exits, expected %u\n",
				(unsigned long long)exits, iters);
			return 1;
		}
		/* iters-1 round trips between the first and the last exit, plus the one to hlt. */
		res[r] = (double)(now_ns() - t0) / (double)iters;
	}
	if (json) {
		printf("{\"mode\": \"%s\", \"iters\": %u, \"ns_per_exit\": [",
		       mmio ? "mmio" : "pio", iters);
		for (unsigned r = 0; r < repeat; r++)
			printf("%s%.1f", r ? ", " : "", res[r]);
		printf("]}\n");
	} else {
		for (unsigned r = 0; r < repeat; r++)
			printf("%s exit: %.1f ns\n", mmio ? "mmio" : "pio", res[r]);
	}
	qsort(res, repeat, sizeof(double), cmp_double);
	if (!json)
		printf("median: %.1f ns per %s exit (%u exits x %u runs)\n", res[repeat / 2],
		       mmio ? "mmio" : "pio", iters, repeat);
	free(res);
	return 0;
}
