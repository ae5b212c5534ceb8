/*
 * criterion_tsan.c - lets Criterion start under ThreadSanitizer. Linked into every test program
 * (through the test-support library); empty in other builds.
 *
 * Criterion's runner creates its shared arena (BoxFort's bxf_arena_init) with mmap(MAP_FIXED)
 * at an address drawn with rand_r() from [0x200000000000, 0x600000000000). TSan's mmap refuses
 * MAP_FIXED outside its application ranges, and on x86-64 that window overlaps application
 * memory only at 0x550000000000-0x568000000000, so the runner dies at start ("Could not
 * initialize inheritable arena") almost every time: Criterion issue #274, open since 2018.
 *
 * BoxFort is the only rand_r() caller in a test program (strand does not use it), so this
 * rand_r() draws from that part of the window instead: base + r * 16 MiB lands in
 * [0x550000000000, 0x558000000000). BoxFort skips addresses already mapped (it probes with
 * msync) and draws again. Nothing about TSan's checking changes.
 */
#include <stdlib.h>

#if defined(__SANITIZE_THREAD__)
#define STRAND_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRAND_TEST_TSAN 1
#endif
#endif

#ifdef STRAND_TEST_TSAN
int rand_r(unsigned int *seed)
{
	/* BoxFort keeps the low 22 bits: 0x350000 + k puts the arena at 0x550000000000 + k * 16 MiB. */
	unsigned int k = *seed % 0x8000;

	*seed += 1;
	return (int)(0x350000 + k);
}
#endif
