/*
 * domain_priv.h - what domain.c, domain_parse.c, domain_format.c and argv.c share inside
 * libdomxml: the error helper and the tables of strand's knob values. Not for other modules.
 */
#ifndef STRAND_DAEMON_XML_DOMAIN_PRIV_H
#define STRAND_DAEMON_XML_DOMAIN_PRIV_H

#include "daemon/xml/domain.h"

/* Fill err (if not NULL) with code, its domain and libvirt's message prefix; return -EINVAL. */
int __printf(3, 4) domain_err(struct domain_error *err, int code, const char *fmt, ...);
int domain_err_nomem(struct domain_error *err);

/* Index of s in a NULL-terminated table, or -1. */
int domain_name_index(const char *const *names, const char *s);
/* "a, b or c" for messages. */
const char *domain_name_list(const char *const *names, char *buf, size_t len);

/*
 * strand's knob values, as `strand run` spells them (machine/threading.c, sched/strategy.c,
 * sched/place.c): tests/unit/test_domxml.c checks these tables against the real parsers.
 */
extern const char *const domain_presets[];
extern const char *const domain_locks[];
extern const char *const domain_ios[];
extern const char *const domain_maps[];
extern const char *const domain_iomaps[];
extern const char *const domain_strategies[]; /* <strand:sched strategy=> (not fifo) */
extern const char *const domain_placements[]; /* <strand:placement policy=> */
extern const char *const domain_exits[];      /* order of DOMAIN_EXIT_* bits */

/* A duration as "10ms", "250us" or "7ns" (the largest exact unit), for XML and argv alike. */
const char *domain_duration_format(uint64_t ns, char *buf, size_t len);

#endif
