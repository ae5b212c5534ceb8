/*
 * remote.c - the remote program's procedures strandd answers (libvirt's remote_protocol.x
 * numbers and shapes), mapped onto the domain manager (dm.h). Loop thread only.
 *
 * Each procedure decodes its arguments with bounded decoders (a failure is libvirt's RPC
 * error, never a crash), calls dm_*, and encodes its reply. What strandd does not implement is
 * answered by rpc.c with libvirt's "not supported" error, so a client sees a clean error.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "daemon/dm.h"
#include "daemon/remote.h"
#include "daemon/rpc/rpc.h"
#include "strand-config.h"

#define VIR_FROM_RPC	    7
#define VIR_ERR_RPC	    39
#define VIR_ERR_NO_DOMAIN   42
#define VIR_ERR_INVALID_ARG 8

enum {
	P_OPEN = 1,
	P_CLOSE = 2,
	P_GET_TYPE = 3,
	P_GET_VERSION = 4,
	P_GET_MAX_VCPUS = 5,
	P_NODE_GET_INFO = 6,
	P_GET_CAPABILITIES = 7,
	P_DOMAIN_CREATE = 9,
	P_DOMAIN_CREATE_XML = 10,
	P_DOMAIN_DEFINE_XML = 11,
	P_DOMAIN_DESTROY = 12,
	P_DOMAIN_GET_XML_DESC = 14,
	P_DOMAIN_GET_AUTOSTART = 15,
	P_DOMAIN_GET_INFO = 16,
	P_DOMAIN_GET_MAX_MEMORY = 17,
	P_DOMAIN_GET_MAX_VCPUS = 18,
	P_DOMAIN_GET_OS_TYPE = 19,
	P_DOMAIN_GET_VCPUS = 20,
	P_LIST_DEFINED_DOMAINS = 21,
	P_DOMAIN_LOOKUP_BY_ID = 22,
	P_DOMAIN_LOOKUP_BY_NAME = 23,
	P_DOMAIN_LOOKUP_BY_UUID = 24,
	P_NUM_OF_DEFINED_DOMAINS = 25,
	P_DOMAIN_PIN_VCPU = 26,
	P_DOMAIN_REBOOT = 27,
	P_DOMAIN_RESUME = 28,
	P_DOMAIN_SET_AUTOSTART = 29,
	P_DOMAIN_SHUTDOWN = 33,
	P_DOMAIN_SUSPEND = 34,
	P_DOMAIN_UNDEFINE = 35,
	P_LIST_DOMAINS = 37,
	P_NUM_OF_DOMAINS = 51,
	P_DOMAIN_GET_SCHEDULER_TYPE = 56,
	P_DOMAIN_GET_SCHEDULER_PARAMETERS = 57,
	P_GET_HOSTNAME = 59,
	P_SUPPORTS_FEATURE = 60,
	P_AUTH_LIST = 66,
	P_GET_URI = 110,
	P_IS_SECURE = 149,
	P_DOMAIN_IS_ACTIVE = 150,
	P_DOMAIN_IS_PERSISTENT = 151,
	P_GET_LIB_VERSION = 157,
	P_DOMAIN_CREATE_WITH_FLAGS = 196,
	P_DOMAIN_GET_VCPUS_FLAGS = 200,
	P_DOMAIN_OPEN_CONSOLE = 201,
	P_DOMAIN_IS_UPDATED = 202,
	P_DOMAIN_GET_STATE = 212,
	P_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS = 219,
	P_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS = 223,
	P_DOMAIN_PIN_VCPU_FLAGS = 225,
	P_DOMAIN_GET_VCPU_PIN_INFO = 230,
	P_DOMAIN_UNDEFINE_FLAGS = 231,
	P_DOMAIN_DESTROY_FLAGS = 234,
	P_DOMAIN_GET_NUMA_PARAMETERS = 255,
	P_DOMAIN_SHUTDOWN_FLAGS = 258,
	P_DOMAIN_GET_CPU_STATS = 262,
	P_CONNECT_LIST_ALL_DOMAINS = 273,
	P_NODE_GET_CPU_MAP = 293,
	P_DOMAIN_PIN_EMULATOR = 279,
	P_DOMAIN_GET_EMULATOR_PIN_INFO = 280,
	P_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY = 316,
	P_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY = 317,
	P_DOMAIN_EVENT_CALLBACK_LIFECYCLE = 318,
	P_CONNECT_GET_ALL_DOMAIN_STATS = 344,
	P_DOMAIN_DEFINE_XML_FLAGS = 350,
	P_DOMAIN_GET_IOTHREAD_INFO = 351,
	P_DOMAIN_PIN_IOTHREAD = 352,
};

#define EVENT_ID_LIFECYCLE 0  /* VIR_DOMAIN_EVENT_ID_LIFECYCLE */
#define MAX_CALLBACKS	   64 /* per client */

/* VIR_DRV_FEATURE_* strandd has (libvirt_internal.h). */
#define FEATURE_TYPED_PARAM_STRING    9
#define FEATURE_PROGRAM_KEEPALIVE     10
#define FEATURE_REMOTE_EVENT_CALLBACK 14

struct remote {
	struct dm *dm;
	struct rpc_server *srv;
	const char *uri_default;
	int next_callback;
};

/* A client's event registrations (rpc_client_data). */
struct callback {
	int id, event_id;
	bool has_dom;
	uint8_t uuid[16];
};
struct client_events {
	struct callback cb[MAX_CALLBACKS];
	unsigned n;
	/* The console stream this client has open (one at most): its domain and call serial. */
	struct rpc_client *client;
	struct dm_dom *con_dom;
	uint32_t con_serial;
};

static struct remote g_remote;

/* ---- helpers ---- */

static int decode_fail(struct rpc_call *c)
{
	return rpc_call_error(c, VIR_ERR_RPC, VIR_FROM_RPC,
			      "Unable to decode message payload of procedure %d", c->hdr.proc);
}

static int dm_fail(struct rpc_call *c, const struct dm_err *e)
{
	return rpc_call_error(c, e->code ? e->code : 1, e->domain ? e->domain : DM_FROM_DOMAIN,
			      "%s", e->message[0] ? e->message : "operation failed");
}

static bool put_dom(XDR *x, struct dm_dom *d)
{
	char *name = (char *)dm_dom_name(d);
	int id = dm_dom_id(d);

	return xdr_string(x, &name, RPC_STRING_MAX) && xdr_opaque(x, (char *)dm_dom_uuid(d), 16) &&
	       xdr_int(x, &id);
}

/* remote_nonnull_domain in the arguments: found by UUID (as libvirt's driver does), else
 * by name. */
static struct dm_dom *get_dom(struct rpc_call *c)
{
	char *name = NULL;
	uint8_t uuid[16];
	int id;
	struct dm_dom *d;

	if (!rpc_xdr_string(c->in, &name, 4096) || !xdr_opaque(c->in, (char *)uuid, 16) ||
	    !xdr_int(c->in, &id)) {
		free(name);
		decode_fail(c);
		return NULL;
	}
	d = dm_lookup_uuid(g_remote.dm, uuid);
	if (!d)
		d = dm_lookup_name(g_remote.dm, name);
	if (!d)
		rpc_call_error(c, VIR_ERR_NO_DOMAIN, DM_FROM_QEMU,
			       "Domain not found: no domain with matching name '%s'", name);
	free(name);
	return d;
}

static bool put_int(XDR *x, int v)
{
	return xdr_int(x, &v);
}

static bool put_u64(XDR *x, uint64_t v)
{
	return xdr_uint64_t(x, &v);
}

static bool put_params(XDR *x, const struct dm_params *ps)
{
	unsigned n = ps->n;

	if (!xdr_u_int(x, &n))
		return false;
	for (unsigned i = 0; i < n; i++) {
		const struct dm_param *p = &ps->p[i];
		int type = (int)p->type;
		bool ok = rpc_xdr_put_string(x, p->field) && xdr_int(x, &type);

		switch (p->type) {
		case DM_P_INT:
		case DM_P_BOOLEAN:
			ok = ok && put_int(x, (int)p->i);
			break;
		case DM_P_UINT: {
			unsigned u = (unsigned)p->u;

			ok = ok && xdr_u_int(x, &u);
			break;
		}
		case DM_P_LLONG: {
			int64_t v = p->i;

			ok = ok && xdr_int64_t(x, &v);
			break;
		}
		case DM_P_ULLONG:
			ok = ok && put_u64(x, p->u);
			break;
		case DM_P_DOUBLE: {
			double d = p->d;

			ok = ok && xdr_double(x, &d);
			break;
		}
		case DM_P_STRING:
			ok = ok && rpc_xdr_put_string(x, p->s);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Typed parameters in the arguments, at most max. */
static int get_params(struct rpc_call *c, struct dm_params *ps, unsigned max)
{
	unsigned n;

	if (!xdr_u_int(c->in, &n))
		return decode_fail(c);
	if (n > max)
		return rpc_call_error(c, VIR_ERR_RPC, VIR_FROM_RPC,
				      "too many parameters: %u (at most %u)", n, max);
	for (unsigned i = 0; i < n; i++) {
		char *field = NULL, *s = NULL;
		int type;
		int64_t iv = 0;
		uint64_t uv = 0;
		bool ok = rpc_xdr_string(c->in, &field, 80) && xdr_int(c->in, &type);

		if (ok) {
			switch (type) {
			case DM_P_INT:
			case DM_P_BOOLEAN: {
				int v;

				ok = xdr_int(c->in, &v);
				iv = v;
				break;
			}
			case DM_P_UINT: {
				unsigned v;

				ok = xdr_u_int(c->in, &v);
				uv = v;
				break;
			}
			case DM_P_LLONG:
				ok = xdr_int64_t(c->in, &iv);
				break;
			case DM_P_ULLONG:
				ok = xdr_uint64_t(c->in, &uv);
				break;
			case DM_P_DOUBLE: {
				double d;

				ok = xdr_double(c->in, &d);
				iv = (int64_t)d;
				break;
			}
			case DM_P_STRING:
				ok = rpc_xdr_string(c->in, &s, 4096);
				break;
			default:
				ok = false;
			}
		}
		if (!ok || dm_params_add(ps, field ? field : "", (enum dm_ptype)type, iv, uv, s)) {
			free(field);
			free(s);
			return decode_fail(c);
		}
		free(field);
		free(s);
	}
	return 0;
}

/* ---- connection ---- */

static int p_auth_list(struct rpc_call *c, void *o)
{
	unsigned n = 1;
	int none = 0; /* REMOTE_AUTH_NONE: the socket's permissions are the authentication */

	(void)o;
	return xdr_u_int(c->out, &n) && xdr_int(c->out, &none) ? 0 : -1;
}

static int p_supports_feature(struct rpc_call *c, void *o)
{
	int f;

	(void)o;
	if (!xdr_int(c->in, &f))
		return decode_fail(c);
	return put_int(c->out, f == FEATURE_TYPED_PARAM_STRING || f == FEATURE_PROGRAM_KEEPALIVE ||
				       f == FEATURE_REMOTE_EVENT_CALLBACK) ?
		       0 :
		       -1;
}

static int p_open(struct rpc_call *c, void *o)
{
	char *name = NULL;
	unsigned flags;

	(void)o;
	if (!rpc_xdr_opt_string(c->in, &name, 4096) || !xdr_u_int(c->in, &flags)) {
		free(name);
		return decode_fail(c);
	}
	/* strand:///system, strand:///session, or no name (the default): all this daemon. */
	if (name && name[0] && strncmp(name, "strand:", 7) != 0) {
		rpc_call_error(c, 38 /* VIR_ERR_NO_CONNECT */, VIR_FROM_RPC,
			       "no connection driver available for %s (strandd serves strand:///)",
			       name);
		free(name);
		return -1;
	}
	free(name);
	rpc_client_mark_open(c->client);
	return 0;
}

static int p_close(struct rpc_call *c, void *o)
{
	(void)c;
	(void)o;
	return 0;
}

static int p_get_type(struct rpc_call *c, void *o)
{
	(void)o;
	return rpc_xdr_put_string(c->out, "STRAND") ? 0 : -1;
}

static uint64_t version_number(void)
{
	unsigned a = 0, b = 0, d = 0;

	sscanf(STRAND_VERSION, "%u.%u.%u", &a, &b, &d);
	return (uint64_t)a * 1000000 + b * 1000 + d;
}

static int p_get_version(struct rpc_call *c, void *o)
{
	(void)o;
	return put_u64(c->out, version_number()) ? 0 : -1;
}

static int p_get_lib_version(struct rpc_call *c, void *o)
{
	(void)o;
	return put_u64(c->out, version_number()) ? 0 : -1;
}

static int p_get_hostname(struct rpc_call *c, void *o)
{
	char h[256] = "";

	(void)o;
	gethostname(h, sizeof(h) - 1);
	return rpc_xdr_put_string(c->out, h) ? 0 : -1;
}

static int p_get_uri(struct rpc_call *c, void *o)
{
	(void)o;
	return rpc_xdr_put_string(c->out, g_remote.uri_default) ? 0 : -1;
}

static int p_is_secure(struct rpc_call *c, void *o)
{
	(void)o;
	return put_int(c->out, 1) ? 0 : -1; /* a local UNIX socket (ssh carries remote use) */
}

static int p_get_max_vcpus(struct rpc_call *c, void *o)
{
	char *type = NULL;

	(void)o;
	if (!rpc_xdr_opt_string(c->in, &type, 256))
		return decode_fail(c);
	free(type);
	return put_int(c->out, DOMAIN_MAX_VCPUS) ? 0 : -1;
}

static int p_node_get_info(struct rpc_call *c, void *o)
{
	struct utsname u;
	char model[32] = "";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES),
	     psz = sysconf(_SC_PAGESIZE);
	unsigned mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool ok = true;

	(void)o;
	if (f) {
		char line[256];
		double m;

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "cpu MHz : %lf", &m) == 1) {
				mhz = (unsigned)m;
				break;
			}
		fclose(f);
	}
	uname(&u);
	snprintf(model, sizeof(model), "%.31s", u.machine);
	/* char model[32]: a fixed XDR array of chars, 4 bytes each. */
	for (int i = 0; i < 32 && ok; i++) {
		char ch = model[i];

		ok = xdr_char(c->out, &ch);
	}
	ok = ok && put_u64(c->out, (uint64_t)pages * (uint64_t)psz / 1024) &&
	     put_int(c->out, (int)ncpu) && put_int(c->out, (int)mhz) && put_int(c->out, 1) &&
	     put_int(c->out, 1) && put_int(c->out, (int)ncpu) && put_int(c->out, 1);
	return ok ? 0 : -1;
}

static int p_node_get_cpu_map(struct rpc_call *c, void *o)
{
	int need_map, need_online, ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	unsigned flags, online = 0, len = 0;
	uint8_t map[DOMAIN_MAX_HOST_CPUS / 8] = { 0 };
	bool ok;

	(void)o;
	if (!xdr_int(c->in, &need_map) || !xdr_int(c->in, &need_online) ||
	    !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (ncpu > DOMAIN_MAX_HOST_CPUS)
		ncpu = DOMAIN_MAX_HOST_CPUS;
	/* The online CPUs, as /sys lists them. */
	{
		FILE *f = fopen("/sys/devices/system/cpu/online", "r");
		char buf[4096] = "";
		struct domain_cpuset set;

		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = 0;
		if (buf[0] && domain_cpuset_parse(buf, &set) == 0) {
			for (int i = 0; i < ncpu; i++)
				if (domain_cpuset_test(&set, (unsigned)i)) {
					map[i / 8] |= (uint8_t)(1u << (i % 8));
					online++;
				}
		} else {
			for (int i = 0; i < ncpu; i++)
				map[i / 8] |= (uint8_t)(1u << (i % 8));
			online = (unsigned)ncpu;
		}
	}
	if (need_map)
		len = (unsigned)(ncpu + 7) / 8;
	ok = xdr_u_int(c->out, &len) && (!len || xdr_opaque(c->out, (char *)map, len));
	ok = ok && xdr_u_int(c->out, &online) && put_int(c->out, ncpu);
	(void)need_online;
	return ok ? 0 : -1;
}

/* ---- listing and lookup ---- */

/*
 * virConnectListAllDomainsFlags: groups of bits; a group with none set does not filter, one
 * with bits set keeps the domains that match any of them. strand has no managed save,
 * snapshots or checkpoints: every domain is in NO_MANAGEDSAVE, NO_SNAPSHOT, NO_CHECKPOINT.
 */
static bool list_match(struct dm_dom *d, unsigned flags)
{
	int state, reason;
	bool act = dm_dom_active(d), pers = dm_dom_persistent(d), as = dm_dom_autostart(d);
	static const struct {
		unsigned yes, no;
	} never[] = { { 1u << 8, 1u << 9 }, { 1u << 12, 1u << 13 }, { 1u << 14, 1u << 15 } };

	dm_dom_state(d, &state, &reason);
	if ((flags & 3) && !((flags & 1 && act) || (flags & 2 && !act)))
		return false;
	if ((flags & 12) && !((flags & 4 && pers) || (flags & 8 && !pers)))
		return false;
	if ((flags & 0xf0) &&
	    !((flags & 16 && state == DM_RUNNING) || (flags & 32 && state == DM_PAUSED) ||
	      (flags & 64 && state == DM_SHUTOFF) ||
	      (flags & 128 && state != DM_RUNNING && state != DM_PAUSED && state != DM_SHUTOFF)))
		return false;
	if ((flags & 0xc00) && !((flags & 1024 && as) || (flags & 2048 && !as)))
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(never); i++) {
		if ((flags & (never[i].yes | never[i].no)) && !(flags & never[i].no))
			return false;
	}
	return true;
}

static int p_list_all_domains(struct rpc_call *c, void *o)
{
	int need;
	unsigned flags, n = 0, ret;
	struct dm_dom **all = NULL;
	size_t nall = 0;
	bool ok;

	(void)o;
	if (!xdr_int(c->in, &need) || !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (dm_list(g_remote.dm, &all, &nall))
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	for (size_t i = 0; i < nall; i++) {
		if (list_match(all[i], flags))
			all[n++] = all[i];
	}
	ret = n;
	if (!need)
		n = 0;
	ok = xdr_u_int(c->out, &n);
	for (unsigned i = 0; i < n && ok; i++)
		ok = put_dom(c->out, all[i]);
	ok = ok && xdr_u_int(c->out, &ret);
	free(all);
	return ok ? 0 : -1;
}

static int p_num_of_domains(struct rpc_call *c, void *o)
{
	(void)o;
	return put_int(c->out, (int)dm_count(g_remote.dm, true)) ? 0 : -1;
}

static int p_num_of_defined(struct rpc_call *c, void *o)
{
	struct dm_dom **all = NULL;
	size_t n = 0, k = 0;

	(void)o;
	if (dm_list(g_remote.dm, &all, &n))
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	for (size_t i = 0; i < n; i++)
		k += !dm_dom_active(all[i]);
	free(all);
	return put_int(c->out, (int)k) ? 0 : -1;
}

static int p_list_domains(struct rpc_call *c, void *o)
{
	int max;
	struct dm_dom **all = NULL;
	size_t n = 0;
	unsigned k = 0;
	bool ok;

	(void)o;
	if (!xdr_int(c->in, &max) || max < 0 || max > 16384)
		return decode_fail(c);
	if (dm_list(g_remote.dm, &all, &n))
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (dm_dom_active(all[i]) && k < (unsigned)max)
			all[k++] = all[i];
	ok = xdr_u_int(c->out, &k);
	for (unsigned i = 0; i < k && ok; i++)
		ok = put_int(c->out, dm_dom_id(all[i]));
	free(all);
	return ok ? 0 : -1;
}

static int p_list_defined(struct rpc_call *c, void *o)
{
	int max;
	struct dm_dom **all = NULL;
	size_t n = 0;
	unsigned k = 0;
	bool ok;

	(void)o;
	if (!xdr_int(c->in, &max) || max < 0 || max > 16384)
		return decode_fail(c);
	if (dm_list(g_remote.dm, &all, &n))
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!dm_dom_active(all[i]) && k < (unsigned)max)
			all[k++] = all[i];
	ok = xdr_u_int(c->out, &k);
	for (unsigned i = 0; i < k && ok; i++)
		ok = rpc_xdr_put_string(c->out, dm_dom_name(all[i]));
	free(all);
	return ok ? 0 : -1;
}

static int p_lookup_by_name(struct rpc_call *c, void *o)
{
	char *name = NULL;
	struct dm_dom *d;

	(void)o;
	if (!rpc_xdr_string(c->in, &name, 4096))
		return decode_fail(c);
	d = dm_lookup_name(g_remote.dm, name);
	if (!d) {
		rpc_call_error(c, VIR_ERR_NO_DOMAIN, DM_FROM_QEMU,
			       "Domain not found: no domain with matching name '%s'", name);
		free(name);
		return -1;
	}
	free(name);
	return put_dom(c->out, d) ? 0 : -1;
}

static int p_lookup_by_uuid(struct rpc_call *c, void *o)
{
	uint8_t uuid[16];
	struct dm_dom *d;

	(void)o;
	if (!xdr_opaque(c->in, (char *)uuid, 16))
		return decode_fail(c);
	d = dm_lookup_uuid(g_remote.dm, uuid);
	if (!d)
		return rpc_call_error(c, VIR_ERR_NO_DOMAIN, DM_FROM_QEMU,
				      "Domain not found: no domain with matching uuid");
	return put_dom(c->out, d) ? 0 : -1;
}

static int p_lookup_by_id(struct rpc_call *c, void *o)
{
	int id;
	struct dm_dom *d;

	(void)o;
	if (!xdr_int(c->in, &id))
		return decode_fail(c);
	d = dm_lookup_id(g_remote.dm, id);
	if (!d)
		return rpc_call_error(c, VIR_ERR_NO_DOMAIN, DM_FROM_QEMU,
				      "Domain not found: no domain with matching id %d", id);
	return put_dom(c->out, d) ? 0 : -1;
}

/* ---- lifecycle ---- */

static int p_define_xml(struct rpc_call *c, void *o)
{
	char *xml = NULL;
	struct dm_dom *d;
	struct dm_err e = { 0, 0, "" };
	int ret;

	(void)o;
	if (!rpc_xdr_string(c->in, &xml, RPC_STRING_MAX))
		return decode_fail(c);
	ret = dm_define(g_remote.dm, xml, strlen(xml), &d, &e);
	free(xml);
	if (ret)
		return dm_fail(c, &e);
	return put_dom(c->out, d) ? 0 : -1;
}

static int p_define_xml_flags(struct rpc_call *c, void *o)
{
	char *xml = NULL;
	unsigned flags;
	struct dm_dom *d;
	struct dm_err e = { 0, 0, "" };
	int ret;

	(void)o;
	if (!rpc_xdr_string(c->in, &xml, RPC_STRING_MAX) || !xdr_u_int(c->in, &flags)) {
		free(xml);
		return decode_fail(c);
	}
	/* VIR_DOMAIN_DEFINE_VALIDATE (1): strandd always validates (and refuses what it lacks). */
	ret = dm_define(g_remote.dm, xml, strlen(xml), &d, &e);
	free(xml);
	if (ret)
		return dm_fail(c, &e);
	return put_dom(c->out, d) ? 0 : -1;
}

static int p_create_xml(struct rpc_call *c, void *o)
{
	char *xml = NULL;
	unsigned flags;
	struct dm_dom *d;
	struct dm_err e = { 0, 0, "" };
	int ret;

	(void)o;
	if (!rpc_xdr_string(c->in, &xml, RPC_STRING_MAX) || !xdr_u_int(c->in, &flags)) {
		free(xml);
		return decode_fail(c);
	}
	ret = dm_create_xml(g_remote.dm, xml, strlen(xml), flags & DM_START_PAUSED, &d, &e);
	free(xml);
	if (ret)
		return dm_fail(c, &e);
	return put_dom(c->out, d) ? 0 : -1;
}

static int p_create(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };

	(void)o;
	if (!d)
		return -1;
	return dm_start(g_remote.dm, d, 0, &e) ? dm_fail(c, &e) : 0;
}

static int p_create_with_flags(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	unsigned flags;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (dm_start(g_remote.dm, d, flags & DM_START_PAUSED, &e))
		return dm_fail(c, &e);
	return put_dom(c->out, d) ? 0 : -1;
}

/* Procedures of the shape (dom) or (dom, flags) -> void. */
static int simple(struct rpc_call *c, bool with_flags,
		  int (*fn)(struct dm *m, struct dm_dom *d, struct dm_err *e))
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	unsigned flags = 0;

	if (!d)
		return -1;
	if (with_flags && !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	return fn(g_remote.dm, d, &e) ? dm_fail(c, &e) : 0;
}

static int p_destroy(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, false, dm_destroy);
}

static int p_destroy_flags(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, true, dm_destroy);
}

static int p_shutdown(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, false, dm_shutdown);
}

static int p_shutdown_flags(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, true, dm_shutdown);
}

static int p_reboot(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, true, dm_reboot);
}

static int p_suspend(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, false, dm_suspend);
}

static int p_resume(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, false, dm_resume);
}

static int p_undefine(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, false, dm_undefine);
}

static int p_undefine_flags(struct rpc_call *c, void *o)
{
	(void)o;
	return simple(c, true, dm_undefine);
}

/* ---- domain queries ---- */

static int p_get_xml_desc(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	unsigned flags;
	char *xml = NULL;
	bool ok;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (dm_get_xml(g_remote.dm, d, flags & DM_XML_INACTIVE, &xml, &e))
		return dm_fail(c, &e);
	ok = rpc_xdr_put_string(c->out, xml);
	free(xml);
	return ok ? 0 : -1;
}

static int p_get_info(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	uint64_t maxk, memk, cpu;
	unsigned vcpus;
	int state, reason;

	(void)o;
	if (!d)
		return -1;
	dm_info(g_remote.dm, d, &maxk, &memk, &vcpus, &cpu);
	dm_dom_state(d, &state, &reason);
	/* unsigned char state, unsigned short nrVirtCpu: 4 bytes each in XDR. */
	return xdr_u_int(c->out, (unsigned *)&state) && put_u64(c->out, maxk) &&
			       put_u64(c->out, memk) && xdr_u_int(c->out, &vcpus) &&
			       put_u64(c->out, cpu) ?
		       0 :
		       -1;
}

static int p_get_state(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	unsigned flags;
	int state, reason;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	dm_dom_state(d, &state, &reason);
	return put_int(c->out, state) && put_int(c->out, reason) ? 0 : -1;
}

static int p_is_active(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_int(c->out, dm_dom_active(d)) ? 0 : -1;
}

static int p_is_persistent(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_int(c->out, dm_dom_persistent(d)) ? 0 : -1;
}

static int p_is_updated(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_int(c->out, 0) ? 0 : -1;
}

static int p_get_autostart(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_int(c->out, dm_dom_autostart(d)) ? 0 : -1;
}

static int p_set_autostart(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	int on;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_int(c->in, &on))
		return decode_fail(c);
	if (dm_set_autostart(g_remote.dm, d, on != 0, &e))
		return dm_fail(c, &e);
	return 0;
}

static int p_get_os_type(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && rpc_xdr_put_string(c->out, "hvm") ? 0 : -1;
}

static int p_get_max_memory(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_u64(c->out, dm_dom_def(d)->memory_bytes / 1024) ? 0 : -1;
}

static int p_get_max_vcpus_dom(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);

	(void)o;
	return d && put_int(c->out, (int)dm_dom_def(d)->vcpus) ? 0 : -1;
}

static int p_get_vcpus_flags(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	unsigned flags;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	return put_int(c->out, (int)dm_dom_def(d)->vcpus) ? 0 : -1;
}

/* A cpumap of maplen bytes from a cpuset. */
static void cpumap_of(const struct domain_cpuset *set, uint8_t *map, int maplen)
{
	memset(map, 0, (size_t)maplen);
	for (int b = 0; b < maplen * 8 && b < DOMAIN_MAX_HOST_CPUS; b++)
		if (domain_cpuset_test(set, (unsigned)b))
			map[b / 8] |= (uint8_t)(1u << (b % 8));
}

static int p_get_vcpus(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_vcpu *v = NULL;
	unsigned n = 0, ninfo, nmap;
	int maxinfo, maplen;
	uint8_t *maps;
	bool ok;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_int(c->in, &maxinfo) || !xdr_int(c->in, &maplen))
		return decode_fail(c);
	if (maxinfo < 0 || maxinfo > 16384 || maplen < 0 || maplen > 256 ||
	    (int64_t)maxinfo * maplen > (1 << 20))
		return rpc_call_error(c, VIR_ERR_INVALID_ARG, VIR_FROM_RPC,
				      "invalid argument: maxinfo %d or maplen %d out of range",
				      maxinfo, maplen);
	if (dm_vcpus(g_remote.dm, d, &v, &n, &e))
		return dm_fail(c, &e);
	ninfo = n < (unsigned)maxinfo ? n : (unsigned)maxinfo;
	ok = xdr_u_int(c->out, &ninfo);
	for (unsigned i = 0; i < ninfo && ok; i++) {
		int state = v[i].state, cpu = v[i].cpu;

		ok = xdr_u_int(c->out, &v[i].number) && xdr_int(c->out, &state) &&
		     put_u64(c->out, v[i].cpu_ns) && xdr_int(c->out, &cpu);
	}
	/* cpumaps: one opaque<>, maplen bytes per vCPU reported (padded once, at its end) */
	nmap = ninfo * (unsigned)maplen;
	maps = calloc(nmap ? nmap : 1, 1);
	ok = ok && maps;
	for (unsigned i = 0; i < ninfo && ok; i++)
		cpumap_of(&v[i].affinity, maps + (size_t)i * (unsigned)maplen, maplen);
	ok = ok && xdr_bytes(c->out, (char **)&maps, &nmap, nmap);
	free(maps);
	free(v);
	return ok ? 0 : -1;
}

static int decode_cpumap(struct rpc_call *c, struct domain_cpuset *set)
{
	char *map = NULL;
	unsigned len = 0;

	if (!xdr_bytes(c->in, &map, &len, 2048))
		return decode_fail(c);
	memset(set, 0, sizeof(*set));
	for (unsigned b = 0; b < len * 8 && b < DOMAIN_MAX_HOST_CPUS; b++)
		if ((uint8_t)map[b / 8] & (1u << (b % 8)))
			domain_cpuset_set(set, b);
	free(map);
	return 0;
}

static int pin_vcpu(struct rpc_call *c, bool with_flags)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct domain_cpuset set;
	unsigned vcpu, flags = DM_AFFECT_LIVE;

	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &vcpu) || decode_cpumap(c, &set))
		return c->failed ? -1 : decode_fail(c);
	if (with_flags && !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	return dm_pin_vcpu(g_remote.dm, d, vcpu, &set, flags, &e) ? dm_fail(c, &e) : 0;
}

static int p_pin_vcpu(struct rpc_call *c, void *o)
{
	(void)o;
	return pin_vcpu(c, false);
}

static int p_pin_vcpu_flags(struct rpc_call *c, void *o)
{
	(void)o;
	return pin_vcpu(c, true);
}

static int p_get_vcpu_pin_info(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	int ncpumaps, maplen;
	unsigned flags, n, total;
	struct domain_cpuset *pins;
	uint8_t *maps;
	bool ok;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_int(c->in, &ncpumaps) || !xdr_int(c->in, &maplen) || !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (ncpumaps < 0 || ncpumaps > 16384 || maplen <= 0 || maplen > 256)
		return rpc_call_error(c, VIR_ERR_INVALID_ARG, VIR_FROM_RPC,
				      "invalid argument: ncpumaps %d or maplen %d out of range",
				      ncpumaps, maplen);
	n = dm_dom_def(d)->vcpus;
	if (n > (unsigned)ncpumaps)
		n = (unsigned)ncpumaps;
	pins = calloc(n ? n : 1, sizeof(*pins));
	if (!pins)
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	if (dm_vcpu_pins(g_remote.dm, d, flags, pins, n, &e)) {
		free(pins);
		return dm_fail(c, &e);
	}
	total = n * (unsigned)maplen;
	maps = calloc(total ? total : 1, 1);
	ok = maps != NULL;
	for (unsigned i = 0; i < n && ok; i++)
		cpumap_of(&pins[i], maps + (size_t)i * (unsigned)maplen, maplen);
	ok = ok && xdr_bytes(c->out, (char **)&maps, &total, total);
	free(maps);
	free(pins);
	return ok && put_int(c->out, (int)n) ? 0 : -1;
}

static int p_pin_emulator(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct domain_cpuset set;
	unsigned flags;

	(void)o;
	if (!d)
		return -1;
	if (decode_cpumap(c, &set))
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	return dm_pin_emulator(g_remote.dm, d, &set, flags, &e) ? dm_fail(c, &e) : 0;
}

static int p_get_emulator_pin_info(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct domain_cpuset set;
	int maplen;
	unsigned flags, len;
	uint8_t map[256];

	(void)o;
	if (!d)
		return -1;
	if (!xdr_int(c->in, &maplen) || !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (maplen <= 0 || maplen > 256)
		return rpc_call_error(c, VIR_ERR_INVALID_ARG, VIR_FROM_RPC,
				      "invalid argument: maplen %d out of range", maplen);
	if (dm_emulator_pin(g_remote.dm, d, flags, &set, &e))
		return dm_fail(c, &e);
	cpumap_of(&set, map, maplen);
	len = (unsigned)maplen;
	return xdr_u_int(c->out, &len) && xdr_opaque(c->out, (char *)map, len) &&
			       put_int(c->out, 1) ?
		       0 :
		       -1;
}

/* ---- scheduler, NUMA, CPU stats ---- */

static int p_get_scheduler_type(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	unsigned n;
	const char *t;

	(void)o;
	if (!d)
		return -1;
	t = dm_sched_type(g_remote.dm, &n);
	return rpc_xdr_put_string(c->out, t) && put_int(c->out, (int)n) ? 0 : -1;
}

static int get_sched(struct rpc_call *c, bool with_flags)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_params ps = { 0 };
	int nparams;
	unsigned flags = 0;
	bool ok;

	if (!d)
		return -1;
	if (!xdr_int(c->in, &nparams) || (with_flags && !xdr_u_int(c->in, &flags)))
		return decode_fail(c);
	if (dm_sched_get(g_remote.dm, d, flags, &ps, &e))
		return dm_fail(c, &e);
	if (nparams >= 0 && (unsigned)nparams < ps.n)
		ps.n = (unsigned)nparams; /* the client asked for fewer (their order is fixed) */
	ok = put_params(c->out, &ps);
	dm_params_free(&ps);
	return ok ? 0 : -1;
}

static int p_get_sched_params(struct rpc_call *c, void *o)
{
	(void)o;
	return get_sched(c, false);
}

static int p_get_sched_params_flags(struct rpc_call *c, void *o)
{
	(void)o;
	return get_sched(c, true);
}

static int p_set_sched_params_flags(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_params ps = { 0 };
	unsigned flags;
	int ret;

	(void)o;
	if (!d)
		return -1;
	if (get_params(c, &ps, 16)) {
		dm_params_free(&ps);
		return -1;
	}
	if (!xdr_u_int(c->in, &flags)) {
		dm_params_free(&ps);
		return decode_fail(c);
	}
	ret = dm_sched_set(g_remote.dm, d, ps.p, ps.n, flags, &e);
	dm_params_free(&ps);
	return ret ? dm_fail(c, &e) : 0;
}

/* Procedures that answer (params<>, int nparams): nparams 0 asks only for the count. */
static int params_reply(struct rpc_call *c, struct dm_params *ps, int nparams)
{
	struct dm_params none = { 0 };
	bool ok;

	ok = put_params(c->out, nparams == 0 ? &none : ps) && put_int(c->out, (int)ps->n);
	dm_params_free(ps);
	return ok ? 0 : -1;
}

static int p_get_numa_params(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_params ps = { 0 };
	int nparams;
	unsigned flags;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_int(c->in, &nparams) || !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (dm_numa_get(g_remote.dm, d, flags, &ps, &e))
		return dm_fail(c, &e);
	return params_reply(c, &ps, nparams);
}

static int p_get_cpu_stats(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_params ps = { 0 };
	unsigned nparams, ncpus, flags;
	int start;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &nparams) || !xdr_int(c->in, &start) || !xdr_u_int(c->in, &ncpus) ||
	    !xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (start != -1)
		return rpc_call_error(c, DM_ERR_OPERATION_UNSUPPORTED, DM_FROM_DOMAIN,
				      "Operation not supported: per-CPU statistics need cgroup "
				      "accounting strandd does not keep; ask for the total "
				      "(start_cpu -1)");
	if (dm_cpu_stats(g_remote.dm, d, &ps, &e))
		return dm_fail(c, &e);
	/* ret: params<>, int nparams (per CPU; 1 CPU: the total) */
	return params_reply(c, &ps, (int)nparams);
}

/* ---- iothreads ---- */

static int p_get_iothread_info(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct dm_iothread *t = NULL;
	unsigned flags, n = 0, maplen;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint8_t map[DOMAIN_MAX_HOST_CPUS / 8];
	bool ok;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	if (dm_iothreads(g_remote.dm, d, flags, &t, &n, &e))
		return dm_fail(c, &e);
	maplen = (unsigned)((ncpu > 0 ? ncpu : 1) + 7) / 8;
	if (maplen > sizeof(map))
		maplen = sizeof(map);
	ok = xdr_u_int(c->out, &n);
	for (unsigned i = 0; i < n && ok; i++) {
		cpumap_of(&t[i].affinity, map, (int)maplen);
		ok = xdr_u_int(c->out, &t[i].id) && xdr_u_int(c->out, &maplen) &&
		     xdr_opaque(c->out, (char *)map, maplen);
	}
	ok = ok && xdr_u_int(c->out, &n);
	free(t);
	return ok ? 0 : -1;
}

static int p_pin_iothread(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct domain_cpuset set;
	unsigned id, flags;

	(void)o;
	if (!d)
		return -1;
	if (!xdr_u_int(c->in, &id) || decode_cpumap(c, &set))
		return c->failed ? -1 : decode_fail(c);
	if (!xdr_u_int(c->in, &flags))
		return decode_fail(c);
	return dm_pin_iothread(g_remote.dm, d, id, &set, flags, &e) ? dm_fail(c, &e) : 0;
}

/* ---- statistics of many domains ---- */

static int p_get_all_domain_stats(struct rpc_call *c, void *o)
{
	struct dm_dom **doms = NULL;
	size_t n = 0;
	unsigned ndoms, stats, flags;
	bool ok = true;
	int ret = 0;

	(void)o;
	if (!xdr_u_int(c->in, &ndoms))
		return decode_fail(c);
	if (ndoms > DM_MAX_DOMAINS)
		return rpc_call_error(c, VIR_ERR_RPC, VIR_FROM_RPC,
				      "too many domains: %u (at most %u)", ndoms, DM_MAX_DOMAINS);
	if (ndoms) {
		doms = calloc(ndoms, sizeof(*doms));
		if (!doms)
			return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
		for (unsigned i = 0; i < ndoms; i++) {
			doms[i] = get_dom(c);
			if (!doms[i]) {
				free(doms);
				return -1;
			}
		}
		n = ndoms;
	} else if (dm_list(g_remote.dm, &doms, &n)) {
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	}
	if (!xdr_u_int(c->in, &stats) || !xdr_u_int(c->in, &flags)) {
		free(doms);
		return decode_fail(c);
	}
	if (!stats)
		stats = 1 | 2 | 8 | 32; /* what strandd has: state, cpu-total, vcpu, block */
	{
		/* VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE 1, INACTIVE 2 (filters, list form) */
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			bool act = dm_dom_active(doms[i]);

			if (!ndoms && (flags & 3) && !((flags & 1 && act) || (flags & 2 && !act)))
				continue;
			doms[k++] = doms[i];
		}
		n = k;
	}
	{
		unsigned cnt = (unsigned)n;

		ok = xdr_u_int(c->out, &cnt);
	}
	for (size_t i = 0; i < n && ok; i++) {
		struct dm_params ps = { 0 };
		struct dm_err e = { 0, 0, "" };

		ret = dm_stats(g_remote.dm, doms[i], stats, &ps, &e);
		if (ret) {
			dm_params_free(&ps);
			free(doms);
			return dm_fail(c, &e);
		}
		ok = put_dom(c->out, doms[i]) && put_params(c->out, &ps);
		dm_params_free(&ps);
	}
	free(doms);
	return ok ? 0 : -1;
}

/* ---- events ---- */

static struct client_events *client_state(struct rpc_client *cl)
{
	struct client_events *ce = rpc_client_data(cl);

	if (!ce) {
		ce = calloc(1, sizeof(*ce));
		if (ce) {
			ce->client = cl;
			rpc_client_set_data(cl, ce);
		}
	}
	return ce;
}

/* ---- the serial console (libvirt streams) ---- */

/* dm: what the guest wrote, or (len 0) the end of the console. */
static void console_out(void *opaque, const void *data, size_t len)
{
	struct client_events *ce = opaque;
	struct rpc_client *cl = ce->client;
	uint32_t serial = ce->con_serial;

	if (len) {
		/* -ENOBUFS: the client does not read and was dropped (client_gone has run) */
		(void)rpc_client_send_stream(cl, P_DOMAIN_OPEN_CONSOLE, serial, RPC_CONTINUE, data,
					     len);
		return;
	}
	/* The end: an empty data packet is the client's EOF; it then finishes the stream. */
	ce->con_dom = NULL;
	(void)rpc_client_send_stream(cl, P_DOMAIN_OPEN_CONSOLE, serial, RPC_CONTINUE, NULL, 0);
}

/*
 * rpc: the client's STREAM messages: input for the guest, finish (status OK) or abort
 * (ERROR), each answered, also after the console ended on our side (its EOF was sent).
 */
static void console_in(struct rpc_client *cl, const struct rpc_header *h, const uint8_t *body,
		       size_t len)
{
	struct client_events *ce = rpc_client_data(cl);
	struct dm_dom *d = ce ? ce->con_dom : NULL;

	if (!ce || h->serial != ce->con_serial || h->proc != P_DOMAIN_OPEN_CONSOLE)
		return; /* not the stream that is open: nothing to do */
	if (h->status == RPC_CONTINUE) {
		if (d)
			(void)dm_console_write(d, body, len);
		return;
	}
	if (d)
		dm_console_close(d, ce);
	ce->con_dom = NULL;
	ce->con_serial = 0;
	rpc_client_set_stream_handler(cl, NULL);
	if (h->status == RPC_OK)
		(void)rpc_client_send_stream(cl, P_DOMAIN_OPEN_CONSOLE, h->serial, RPC_OK, NULL, 0);
	else
		(void)rpc_client_send_stream_error(cl, P_DOMAIN_OPEN_CONSOLE, h->serial,
						   VIR_ERR_RPC, VIR_FROM_RPC,
						   "stream aborted at client request");
}

static int p_open_console(struct rpc_call *c, void *o)
{
	struct dm_dom *d = get_dom(c);
	struct dm_err e = { 0, 0, "" };
	struct client_events *ce;
	char *dev = NULL;
	unsigned flags;

	(void)o;
	if (!d)
		return -1;
	if (!rpc_xdr_opt_string(c->in, &dev, 256) || !xdr_u_int(c->in, &flags)) {
		free(dev);
		return decode_fail(c);
	}
	if (dev && strcmp(dev, "serial0") && strcmp(dev, "console0")) {
		rpc_call_error(c, DM_ERR_OPERATION_FAILED, DM_FROM_DOMAIN,
			       "operation failed: cannot find character device %s (strand has "
			       "serial0)",
			       dev);
		free(dev);
		return -1;
	}
	free(dev);
	ce = client_state(c->client);
	if (!ce)
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	if (ce->con_dom || ce->con_serial)
		return rpc_call_error(c, DM_ERR_OPERATION_FAILED, DM_FROM_DOMAIN,
				      "operation failed: this connection has a console open "
				      "already");
	/* VIR_DOMAIN_CONSOLE_FORCE (1): take the console from whoever holds it. */
	if (dm_console_open(g_remote.dm, d, flags & 1, console_out, ce, &e))
		return dm_fail(c, &e);
	ce->con_dom = d;
	ce->con_serial = c->hdr.serial;
	rpc_client_set_stream_handler(c->client, console_in);
	return 0;
}

static int p_event_register(struct rpc_call *c, void *o)
{
	struct client_events *ce = rpc_client_data(c->client);
	int event_id;
	bool_t has_dom;
	struct callback cb = { 0 };

	(void)o;
	if (!xdr_int(c->in, &event_id) || !xdr_bool(c->in, &has_dom))
		return decode_fail(c);
	if (has_dom) {
		struct dm_dom *d = get_dom(c);

		if (!d)
			return -1;
		cb.has_dom = true;
		memcpy(cb.uuid, dm_dom_uuid(d), 16);
	}
	if (event_id != EVENT_ID_LIFECYCLE)
		return rpc_call_error(c, DM_ERR_NO_SUPPORT, DM_FROM_DOMAIN,
				      "this function is not supported by the connection driver: "
				      "strandd sends lifecycle events only (event %d)",
				      event_id);
	if (!ce)
		ce = client_state(c->client);
	if (!ce)
		return rpc_call_error(c, DM_ERR_NO_MEMORY, DM_FROM_DOMAIN, "out of memory");
	if (ce->n == MAX_CALLBACKS)
		return rpc_call_error(c, DM_ERR_OPERATION_FAILED, DM_FROM_DOMAIN,
				      "operation failed: %d event callbacks on one connection "
				      "already",
				      MAX_CALLBACKS);
	cb.id = ++g_remote.next_callback;
	cb.event_id = event_id;
	ce->cb[ce->n++] = cb;
	return put_int(c->out, cb.id) ? 0 : -1;
}

static int p_event_deregister(struct rpc_call *c, void *o)
{
	struct client_events *ce = rpc_client_data(c->client);
	int id;

	(void)o;
	if (!xdr_int(c->in, &id))
		return decode_fail(c);
	for (unsigned i = 0; ce && i < ce->n; i++) {
		if (ce->cb[i].id == id) {
			ce->cb[i] = ce->cb[--ce->n];
			return 0;
		}
	}
	return rpc_call_error(c, DM_ERR_INVALID_ARG, DM_FROM_DOMAIN,
			      "invalid argument: no event callback %d on this connection", id);
}

struct lifecycle_msg {
	int callback;
	struct dm_dom *d;
	int event, detail;
};

static bool put_lifecycle(XDR *x, void *arg)
{
	struct lifecycle_msg *m = arg;

	return put_int(x, m->callback) && put_dom(x, m->d) && put_int(x, m->event) &&
	       put_int(x, m->detail);
}

static void event_to_client(struct rpc_client *c, void *arg)
{
	struct client_events *ce = rpc_client_data(c);
	struct lifecycle_msg *m = arg;

	for (unsigned i = 0; ce && i < ce->n; i++) {
		const struct callback *cb = &ce->cb[i];

		if (cb->event_id != EVENT_ID_LIFECYCLE ||
		    (cb->has_dom && memcmp(cb->uuid, dm_dom_uuid(m->d), 16)))
			continue;
		m->callback = cb->id;
		if (rpc_client_send_message(c, P_DOMAIN_EVENT_CALLBACK_LIFECYCLE, put_lifecycle,
					    m) == -ENOBUFS)
			return; /* c was dropped */
	}
}

void remote_event(struct dm_dom *d, int event, int detail)
{
	struct lifecycle_msg m = { 0, d, event, detail };

	if (g_remote.srv)
		rpc_server_foreach_client(g_remote.srv, event_to_client, &m);
}

void remote_client_gone(struct rpc_client *c, void *opaque)
{
	struct client_events *ce = rpc_client_data(c);

	(void)opaque;
	if (ce && ce->con_dom)
		dm_console_close(ce->con_dom, ce);
	free(ce);
	rpc_client_set_data(c, NULL);
}

void remote_set_server(struct rpc_server *srv)
{
	g_remote.srv = srv;
}

/* ---- the table ---- */

#define RO(p, f)                   \
	{                          \
		p, f, false, false \
	}
#define RW(p, f)                  \
	{                         \
		p, f, true, false \
	}
#define PRE(p, f)                 \
	{                         \
		p, f, false, true \
	}

static const struct rpc_proc procs[] = {
	PRE(P_AUTH_LIST, p_auth_list),
	PRE(P_SUPPORTS_FEATURE, p_supports_feature),
	PRE(P_OPEN, p_open),
	PRE(P_CLOSE, p_close),
	RO(P_GET_TYPE, p_get_type),
	RO(P_GET_VERSION, p_get_version),
	RO(P_GET_LIB_VERSION, p_get_lib_version),
	RO(P_GET_HOSTNAME, p_get_hostname),
	RO(P_GET_URI, p_get_uri),
	RO(P_IS_SECURE, p_is_secure),
	RO(P_GET_MAX_VCPUS, p_get_max_vcpus),
	RO(P_NODE_GET_INFO, p_node_get_info),
	RO(P_CONNECT_LIST_ALL_DOMAINS, p_list_all_domains),
	RO(P_NODE_GET_CPU_MAP, p_node_get_cpu_map),
	RO(P_NUM_OF_DOMAINS, p_num_of_domains),
	RO(P_NUM_OF_DEFINED_DOMAINS, p_num_of_defined),
	RO(P_LIST_DOMAINS, p_list_domains),
	RO(P_LIST_DEFINED_DOMAINS, p_list_defined),
	RO(P_DOMAIN_LOOKUP_BY_NAME, p_lookup_by_name),
	RO(P_DOMAIN_LOOKUP_BY_UUID, p_lookup_by_uuid),
	RO(P_DOMAIN_LOOKUP_BY_ID, p_lookup_by_id),
	RW(P_DOMAIN_DEFINE_XML, p_define_xml),
	RW(P_DOMAIN_CREATE_XML, p_create_xml),
	RW(P_DOMAIN_CREATE, p_create),
	RW(P_DOMAIN_CREATE_WITH_FLAGS, p_create_with_flags),
	RW(P_DOMAIN_DESTROY, p_destroy),
	RW(P_DOMAIN_DESTROY_FLAGS, p_destroy_flags),
	RW(P_DOMAIN_SHUTDOWN, p_shutdown),
	RW(P_DOMAIN_SHUTDOWN_FLAGS, p_shutdown_flags),
	RW(P_DOMAIN_REBOOT, p_reboot),
	RW(P_DOMAIN_SUSPEND, p_suspend),
	RW(P_DOMAIN_RESUME, p_resume),
	RW(P_DOMAIN_UNDEFINE, p_undefine),
	RW(P_DOMAIN_UNDEFINE_FLAGS, p_undefine_flags),
	RO(P_DOMAIN_GET_XML_DESC, p_get_xml_desc),
	RO(P_DOMAIN_GET_INFO, p_get_info),
	RO(P_DOMAIN_GET_STATE, p_get_state),
	RO(P_DOMAIN_IS_ACTIVE, p_is_active),
	RO(P_DOMAIN_IS_PERSISTENT, p_is_persistent),
	RO(P_DOMAIN_IS_UPDATED, p_is_updated),
	RO(P_DOMAIN_GET_AUTOSTART, p_get_autostart),
	RW(P_DOMAIN_SET_AUTOSTART, p_set_autostart),
	RO(P_DOMAIN_GET_OS_TYPE, p_get_os_type),
	RO(P_DOMAIN_GET_MAX_MEMORY, p_get_max_memory),
	RO(P_DOMAIN_GET_MAX_VCPUS, p_get_max_vcpus_dom),
	RO(P_DOMAIN_GET_VCPUS_FLAGS, p_get_vcpus_flags),
	RO(P_DOMAIN_GET_VCPUS, p_get_vcpus),
	RW(P_DOMAIN_PIN_VCPU, p_pin_vcpu),
	RW(P_DOMAIN_PIN_VCPU_FLAGS, p_pin_vcpu_flags),
	RO(P_DOMAIN_GET_VCPU_PIN_INFO, p_get_vcpu_pin_info),
	RW(P_DOMAIN_PIN_EMULATOR, p_pin_emulator),
	RO(P_DOMAIN_GET_EMULATOR_PIN_INFO, p_get_emulator_pin_info),
	RO(P_DOMAIN_GET_SCHEDULER_TYPE, p_get_scheduler_type),
	RO(P_DOMAIN_GET_SCHEDULER_PARAMETERS, p_get_sched_params),
	RO(P_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, p_get_sched_params_flags),
	RW(P_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, p_set_sched_params_flags),
	RO(P_DOMAIN_GET_NUMA_PARAMETERS, p_get_numa_params),
	RO(P_DOMAIN_GET_CPU_STATS, p_get_cpu_stats),
	RW(P_DOMAIN_DEFINE_XML_FLAGS, p_define_xml_flags),
	RO(P_DOMAIN_GET_IOTHREAD_INFO, p_get_iothread_info),
	RW(P_DOMAIN_PIN_IOTHREAD, p_pin_iothread),
	RO(P_CONNECT_GET_ALL_DOMAIN_STATS, p_get_all_domain_stats),
	RO(P_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, p_event_register),
	RO(P_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, p_event_deregister),
	RW(P_DOMAIN_OPEN_CONSOLE, p_open_console),
};

const struct rpc_proc *remote_procs(struct dm *dm, const char *uri, unsigned *n)
{
	g_remote.dm = dm;
	g_remote.uri_default = uri;
	*n = sizeof(procs) / sizeof(procs[0]);
	return procs;
}
