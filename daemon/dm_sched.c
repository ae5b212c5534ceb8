/*
 * dm_sched.c - the strategy strandd runs across the processes of its domains (dm_priv.h).
 *
 * Today strandd shares the host's CPUs between domains with the host scheduler only (each
 * domain's own pins and <vcpusched> still apply inside its process). The cross-process
 * controllers (gang, gang-relaxed, credit with the domains' shares and quotas) are not built
 * yet: strandd refuses those strategies at start with a message that says so, rather than
 * accepting a strategy it would not enforce. In-process groups (`strand run --sched gang --vm
 * ... --vm ...`) run every strategy. The monitor already has what the controller will use to
 * steer a domain's vCPUs from outside (x-strand-vcpu-gate, docs/monitor.md).
 */
#include "daemon/dm.h"
#include "daemon/dm_priv.h"

#include <errno.h>
#include <stdio.h>

int dm_sched_init(struct dm *m, struct dm_err *err)
{
	if (m->opts.sched.kind == SCHED_KIND_HOST)
		return 0;
	if (err) {
		err->code = DM_ERR_CONFIG_UNSUPPORTED;
		err->domain = DM_FROM_DOMAIN;
		snprintf(err->message, sizeof(err->message),
			 "unsupported configuration: strandd --sched %s: strategies across domain "
			 "processes are not implemented yet (strandd runs --sched host; strand run "
			 "--vm groups run %s in one process)",
			 sched_kind_name(m->opts.sched.kind), sched_kind_name(m->opts.sched.kind));
	}
	return -ENOTSUP;
}

void dm_sched_fini(struct dm *m)
{
	(void)m;
}

void dm_sched_add(struct dm *m, struct dm_dom *d)
{
	(void)m;
	(void)d;
}

void dm_sched_remove(struct dm *m, struct dm_dom *d)
{
	(void)m;
	(void)d;
}

void dm_sched_update(struct dm *m, struct dm_dom *d)
{
	(void)m;
	(void)d;
}

int64_t dm_sched_cpu_ns(struct dm *m, struct dm_dom *d)
{
	(void)m;
	(void)d;
	return -1;
}
