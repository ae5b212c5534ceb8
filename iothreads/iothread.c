/* iothread.c - I/O threads running an event loop each. Main thread creates/starts/stops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iothreads/ioloop.h"
#include "iothreads/iothread.h"
#include "sched/topology.h"
#include "util/parse.h"

int iothread_parse_opts(const char *spec, struct iothread_opts *o, struct errbuf *err)
{
	struct opts kv;
	const char *v;
	int ret = -EINVAL;

	memset(o, 0, sizeof(*o));
	if (opts_parse(&kv, spec, "id"))
		return errbuf_set(err, -EINVAL, "--iothread: cannot parse '%s'", spec);
	v = opts_get(&kv, "id");
	if (!v || !*v || strlen(v) > 12 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v)) {
		errbuf_set(err, ret, "--iothread: id= must be 1-12 letters, digits, '-' or '_'");
		goto out;
	}
	snprintf(o->name, sizeof(o->name), "%s", v);
	if ((v = opts_get(&kv, "poll_ns")) && parse_duration_ns(v, 1, &o->poll_ns)) {
		errbuf_set(err, ret, "--iothread %s: bad poll_ns '%s'", o->name, v);
		goto out;
	}
	if ((v = opts_get(&kv, "cpus"))) {
		if (topo_parse_cpulist(v, &o->cpus) || !CPU_COUNT(&o->cpus)) {
			errbuf_set(err, ret, "--iothread %s: bad cpus '%s' (e.g. 0-3+6)", o->name,
				   v);
			goto out;
		}
		o->has_cpus = true;
	}
	if ((v = opts_unused(&kv))) {
		errbuf_set(err, ret, "--iothread: unknown option '%s'", v);
		goto out;
	}
	ret = 0;
out:
	opts_free(&kv);
	return ret;
}

int iothread_create(struct iothread *t, const struct iothread_opts *o)
{
	char name[24];

	memset(t, 0, sizeof(*t));
	t->opts = *o;
	snprintf(name, sizeof(name), "io-%s", o->name);
	return ioloop_create(&t->loop, name);
}

static void *iothread_main(void *arg)
{
	struct iothread *t = arg;

	t->result = ioloop_run(t->loop);
	return NULL;
}

int iothread_start(struct iothread *t, const struct thread_placement *pl)
{
	struct thread_placement own;
	char name[32];
	int ret;

	if (!pl && t->opts.has_cpus) {
		memset(&own, 0, sizeof(own));
		own.has_cpus = true;
		own.cpus = t->opts.cpus;
		pl = &own;
	}
	ioloop_set_poll_ns(t->loop, t->opts.poll_ns);
	snprintf(name, sizeof(name), "io-%s", t->opts.name);
	ret = thread_spawn(&t->thread, name, pl, true, iothread_main, t);
	if (!ret)
		t->running = true;
	return ret;
}

void iothread_stop(struct iothread *t)
{
	if (!t->running)
		return;
	ioloop_stop(t->loop);
	thread_join(&t->thread, NULL);
	t->running = false;
}

void iothread_destroy(struct iothread *t)
{
	iothread_stop(t);
	ioloop_destroy(t->loop);
	t->loop = NULL;
}
