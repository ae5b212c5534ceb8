/*
 * hwloc_lazy.c - hwloc, loaded on first use.
 *
 * strand does not link libhwloc: a VM that needs no topology should not pay for mapping
 * hwloc and what it drags in (libudev, libm): ~460 KiB of RSS and ~0.5 ms of start-up, measured
 * against the targets in docs/performance.md. This file defines the hwloc functions strand
 * calls; each resolves the real one with dlsym the first time and then calls it. Code
 * elsewhere in sched/ uses the ordinary hwloc API (and hwloc's inline helpers, which call
 * these). If the library cannot be loaded, hwloc_topology_init fails with ENOSYS and nothing
 * else is reached. To call another hwloc function, add one HWLOC_LAZY line below.
 *
 * Any thread: the resolved pointers are published with release/acquire atomics.
 */
#include <dlfcn.h>
#include <errno.h>
#include <hwloc.h>
#include <hwloc/distances.h>
#include <pthread.h>

#include "util/log.h"

/* The soname of the hwloc 2.x ABI strand is compiled against (HWLOC_API_VERSION 0x20000+). */
#define HWLOC_SONAME "libhwloc.so.15"

static void *hwloc_handle;
static pthread_once_t hwloc_once = PTHREAD_ONCE_INIT;

static void hwloc_open(void)
{
	hwloc_handle = dlopen(HWLOC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!hwloc_handle)
		log_warn("cannot load %s: %s (topology features unavailable)", HWLOC_SONAME,
			 dlerror());
}

static void *hwloc_sym(const char *name)
{
	void *p;

	pthread_once(&hwloc_once, hwloc_open);
	if (!hwloc_handle)
		return NULL;
	p = dlsym(hwloc_handle, name);
	if (!p)
		log_error("%s has no symbol %s", HWLOC_SONAME, name);
	return p;
}

/*
 * Define `ret name(params)` forwarding `args` to the library's function; `fail` is returned if
 * the library or the symbol is missing (errno ENOSYS).
 */
#define HWLOC_LAZY(ret, name, params, args, fail)                          \
	ret name params                                                    \
	{                                                                  \
		static ret(*fp_) params;                                   \
		ret(*f_) params = __atomic_load_n(&fp_, __ATOMIC_ACQUIRE); \
		if (!f_) {                                                 \
			f_ = (ret(*) params)hwloc_sym(#name);              \
			if (!f_) {                                         \
				errno = ENOSYS;                            \
				return fail;                               \
			}                                                  \
			__atomic_store_n(&fp_, f_, __ATOMIC_RELEASE);      \
		}                                                          \
		return f_ args;                                            \
	}

#define HWLOC_LAZY_VOID(name, params, args)                                 \
	void name params                                                    \
	{                                                                   \
		static void(*fp_) params;                                   \
		void(*f_) params = __atomic_load_n(&fp_, __ATOMIC_ACQUIRE); \
		if (!f_) {                                                  \
			f_ = (void(*) params)hwloc_sym(#name);              \
			if (!f_)                                            \
				return;                                     \
			__atomic_store_n(&fp_, f_, __ATOMIC_RELEASE);       \
		}                                                           \
		f_ args;                                                    \
	}

/* Topology. */
HWLOC_LAZY(unsigned, hwloc_get_api_version, (void), (), 0)
HWLOC_LAZY(int, hwloc_topology_init, (hwloc_topology_t * t), (t), -1)
HWLOC_LAZY(int, hwloc_topology_load, (hwloc_topology_t t), (t), -1)
HWLOC_LAZY_VOID(hwloc_topology_destroy, (hwloc_topology_t t), (t))
HWLOC_LAZY(int, hwloc_topology_set_synthetic, (hwloc_topology_t t, const char *d), (t, d), -1)
HWLOC_LAZY(int, hwloc_topology_set_xml, (hwloc_topology_t t, const char *p), (t, p), -1)
HWLOC_LAZY(int, hwloc_topology_set_flags, (hwloc_topology_t t, unsigned long f), (t, f), -1)
HWLOC_LAZY(int, hwloc_topology_set_all_types_filter,
	   (hwloc_topology_t t, enum hwloc_type_filter_e f), (t, f), -1)
HWLOC_LAZY(int, hwloc_topology_set_type_filter,
	   (hwloc_topology_t t, hwloc_obj_type_t ty, enum hwloc_type_filter_e f), (t, ty, f), -1)
HWLOC_LAZY(int, hwloc_topology_get_depth, (hwloc_topology_t t), (t), -1)
HWLOC_LAZY(int, hwloc_get_type_depth, (hwloc_topology_t t, hwloc_obj_type_t ty), (t, ty),
	   HWLOC_TYPE_DEPTH_UNKNOWN)
HWLOC_LAZY(hwloc_obj_type_t, hwloc_get_depth_type, (hwloc_topology_t t, int d), (t, d),
	   HWLOC_OBJ_TYPE_MAX)
HWLOC_LAZY(unsigned, hwloc_get_nbobjs_by_depth, (hwloc_topology_t t, int d), (t, d), 0)
HWLOC_LAZY(hwloc_obj_t, hwloc_get_obj_by_depth, (hwloc_topology_t t, int d, unsigned i), (t, d, i),
	   NULL)
HWLOC_LAZY(const char *, hwloc_obj_type_string, (hwloc_obj_type_t ty), (ty), "?")
HWLOC_LAZY(hwloc_const_cpuset_t, hwloc_topology_get_topology_cpuset, (hwloc_topology_t t), (t),
	   NULL)
HWLOC_LAZY(hwloc_const_nodeset_t, hwloc_topology_get_topology_nodeset, (hwloc_topology_t t), (t),
	   NULL)

/* Bitmaps. */
HWLOC_LAZY(hwloc_bitmap_t, hwloc_bitmap_alloc, (void), (), NULL)
HWLOC_LAZY_VOID(hwloc_bitmap_free, (hwloc_bitmap_t b), (b))
HWLOC_LAZY(int, hwloc_bitmap_first, (hwloc_const_bitmap_t b), (b), -1)
HWLOC_LAZY(int, hwloc_bitmap_next, (hwloc_const_bitmap_t b, int prev), (b, prev), -1)
HWLOC_LAZY(int, hwloc_bitmap_last, (hwloc_const_bitmap_t b), (b), -1)
HWLOC_LAZY(int, hwloc_bitmap_weight, (hwloc_const_bitmap_t b), (b), -1)
HWLOC_LAZY(int, hwloc_bitmap_isset, (hwloc_const_bitmap_t b, unsigned i), (b, i), 0)
HWLOC_LAZY(int, hwloc_bitmap_iszero, (hwloc_const_bitmap_t b), (b), 1)
HWLOC_LAZY(int, hwloc_bitmap_set, (hwloc_bitmap_t b, unsigned i), (b, i), -1)
HWLOC_LAZY_VOID(hwloc_bitmap_zero, (hwloc_bitmap_t b), (b))
HWLOC_LAZY(int, hwloc_bitmap_list_snprintf, (char *buf, size_t n, hwloc_const_bitmap_t b),
	   (buf, n, b), -1)
HWLOC_LAZY(int, hwloc_bitmap_list_sscanf, (hwloc_bitmap_t b, const char *s), (b, s), -1)

/* Distances (SLIT-like matrices between NUMA nodes). */
HWLOC_LAZY(int, hwloc_distances_get_by_type,
	   (hwloc_topology_t t, hwloc_obj_type_t ty, unsigned *nr, struct hwloc_distances_s **d,
	    unsigned long kind, unsigned long flags),
	   (t, ty, nr, d, kind, flags), -1)
HWLOC_LAZY_VOID(hwloc_distances_release, (hwloc_topology_t t, struct hwloc_distances_s *d), (t, d))
