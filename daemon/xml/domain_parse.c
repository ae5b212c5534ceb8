/*
 * domain_parse.c - libvirt domain XML -> struct domain_def (domain.h). Any thread.
 *
 * libxml2 builds the tree with network access off, no entity substitution, no DTD loading,
 * its default size and depth limits (XML_PARSE_HUGE off) and UTF-8 forced; a DOCTYPE stops the
 * parser at once (internal subsets are where entity bombs live). The tree is then walked by
 * one function per element: each names the attributes and children it accepts, and anything
 * else is an error naming it. Cross-element rules are domain_check()'s (domain.c).
 */
#include "daemon/xml/domain.h"
#include "daemon/xml/domain_priv.h"
#include "daemon/xml/sbuf.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "util/parse.h"

#define METADATA_MAX_DEPTH 32

struct pin_tmp {
	unsigned iothread;
	struct domain_cpuset cpus;
	xmlNodePtr node;
};

/* Parser state: one document, one thread. */
struct pctx {
	struct domain_def *def;
	struct domain_error *err;
	unsigned flags;
	const char *emulator;
	xmlParserCtxtPtr xctx;
	bool doctype;		  /* a DOCTYPE was met: the parser was stopped */
	bool xml_err;		  /* the first libxml2 error is in err */
	unsigned seen;		  /* bit per top-level element (no element twice) */
	bool uuid_given;	  /* <uuid> */
	bool memory_given;	  /* <memory> */
	uint64_t current_bytes;	  /* <currentMemory>, 0 if absent */
	xmlNodePtr current_node;  /* for its message */
	bool iothreads_given;	  /* <iothreads>N</iothreads> */
	unsigned iothreads_count; /* N */
	unsigned nids;		  /* <iothreadids> ids, in def->iothread[] */
	struct pin_tmp iopin[DOMAIN_MAX_IOTHREADS];
	unsigned niopin;
	bool vcpusched_all; /* <vcpusched> without vcpus= */
	struct domain_cpuset vcpusched;
	xmlNodePtr vcpusched_node;
	unsigned cells_seen; /* bit per <cell id> */
	bool strand_seen;    /* <strand:config> */
	struct sbuf meta;    /* other applications' metadata */
	const xmlChar *meta_ns[16];
	unsigned nmeta_ns;
	/* <serial> and the <console>s that mirror it */
	bool serial_elem;
	xmlNodePtr console_serial; /* a <console> on the serial port */
	enum domain_chardev console_serial_type;
	char *console_serial_path;
	char *console_serial_pty;
};

/* ---- errors ---- */

/* "/domain/devices/disk[2]/driver/@cache: <detail>" with libvirt's prefix for code. */
static int __printf(5, 6)
	fail(struct pctx *c, int code, const xmlNode *n, const char *attr, const char *fmt, ...)
{
	char detail[384];
	xmlChar *path = n ? xmlGetNodePath(n) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	domain_err(c->err, code, "%s%s%s%s%s", path ? (const char *)path : "", attr ? "/@" : "",
		   attr ? attr : "", path || attr ? ": " : "", detail);
	xmlFree(path);
	return -EINVAL;
}

#define BAD(c, n, a, ...)	  fail(c, DOMAIN_ERR_XML_DETAIL, n, a, __VA_ARGS__)
#define UNSUPPORTED(c, n, a, ...) fail(c, DOMAIN_ERR_CONFIG_UNSUPPORTED, n, a, __VA_ARGS__)

static int nomem(struct pctx *c)
{
	return domain_err_nomem(c->err);
}

/* libxml2's structured error channel for this document: keep the first error. */
static void on_xml_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr xctx = data;
	struct pctx *c = xctx ? xctx->_private : NULL;
	char msg[256];
	size_t n;

	if (!c || !e || e->level < XML_ERR_ERROR || c->xml_err || c->doctype)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "malformed document");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* One line: libxml2 adds the offending bytes on a second one. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	domain_err(c->err, DOMAIN_ERR_XML_ERROR, "line %d: %s", e->line, msg);
	c->xml_err = true;
}

/* Errors raised outside a parser context (tree copies): never printed on stderr. */
static void on_quiet_error(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr xctx = ctx;
	struct pctx *c = xctx->_private;

	(void)name;
	(void)ext;
	(void)sys;
	c->doctype = true;
	domain_err(c->err, DOMAIN_ERR_XML_ERROR,
		   "a DOCTYPE is not allowed in domain XML (no DTDs, no entity declarations)");
	xmlStopParser(xctx);
}

/* ---- tree access ---- */

static bool is_blank(const xmlChar *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static bool name_is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

static bool in_strand_ns(const xmlNode *n)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, DOMAIN_STRAND_NS) == 0;
}

/* The value of attribute `name` (no namespace), or NULL. Valid while the document lives. */
static const char *attr_get(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->ns || strcmp((const char *)a->name, name))
			continue;
		if (!a->children)
			return "";
		if (a->children->type == XML_TEXT_NODE && !a->children->next)
			return a->children->content ? (const char *)a->children->content : "";
		return NULL;
	}
	return NULL;
}

/* Every attribute of n must be in the NULL-terminated list (and in no namespace). */
static int attrs_only(struct pctx *c, const xmlNode *n, const char *const *names)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		bool ok = false;

		if (!a->ns) {
			for (unsigned i = 0; names && names[i]; i++)
				if (strcmp((const char *)a->name, names[i]) == 0)
					ok = true;
		}
		if (ok &&
		    (!a->children || (a->children->type == XML_TEXT_NODE && !a->children->next)))
			continue;
		if (ok)
			return BAD(c, n, (const char *)a->name, "unexpected content");
		if (a->ns)
			return UNSUPPORTED(c, n, NULL, "attribute %s:%s is not supported by strand",
					   a->ns->prefix ? (const char *)a->ns->prefix : "",
					   (const char *)a->name);
		return UNSUPPORTED(c, n, (const char *)a->name,
				   "attribute not supported by strand");
	}
	return 0;
}

#define ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOATTRS	   ((const char *const *)NULL)

/*
 * The next child element of n after *it (start with *it = NULL), skipping comments, PIs and
 * blank text. Non-blank text where only elements belong is an error. Returns 1 with *it set, 0
 * at the end, or -EINVAL.
 */
static int next_child(struct pctx *c, const xmlNode *n, xmlNodePtr *it)
{
	xmlNodePtr x = *it ? (*it)->next : n->children;

	for (; x; x = x->next) {
		switch (x->type) {
		case XML_ELEMENT_NODE:
			*it = x;
			return 1;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (!is_blank(x->content))
				return BAD(c, n, NULL, "unexpected text '%.40s'",
					   (const char *)x->content);
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return BAD(c, n, NULL,
				   "unexpected content (entity references are not "
				   "allowed)");
		}
	}
	*it = NULL;
	return 0;
}

/* An element with no content (blank text and comments allowed). */
static int empty_elem(struct pctx *c, const xmlNode *n, const char *const *attrs)
{
	xmlNodePtr it = NULL;
	int r = attrs_only(c, n, attrs);

	if (r)
		return r;
	r = next_child(c, n, &it);
	if (r > 0)
		return UNSUPPORTED(c, it, NULL, "element <%s> is not supported here",
				   (const char *)it->name);
	return r;
}

/* The text of a text-only element (max bytes), malloc'd into *out; trim: strip blanks. */
static int elem_text(struct pctx *c, const xmlNode *n, size_t max, bool trim, char **out)
{
	struct sbuf b = { 0 };
	char *s;

	*out = NULL;
	for (xmlNodePtr x = n->children; x; x = x->next) {
		if (x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) {
			if (x->content)
				sbuf_puts(&b, (const char *)x->content);
			if (b.len > max) {
				sbuf_free(&b);
				return BAD(c, n, NULL, "longer than %zu bytes", max);
			}
		} else if (x->type == XML_ELEMENT_NODE) {
			sbuf_free(&b);
			return UNSUPPORTED(c, x, NULL, "element <%s> is not supported here",
					   (const char *)x->name);
		} else if (x->type != XML_COMMENT_NODE && x->type != XML_PI_NODE) {
			sbuf_free(&b);
			return BAD(c, n, NULL, "unexpected content");
		}
	}
	sbuf_puts(&b, "");
	s = sbuf_take(&b);
	if (!s)
		return nomem(c);
	if (trim) {
		size_t len = strlen(s), start = strspn(s, " \t\r\n");

		while (len > start && strchr(" \t\r\n", s[len - 1]))
			len--;
		memmove(s, s + start, len - start);
		s[len - start] = '\0';
	}
	*out = s;
	return 0;
}

/* ---- values ---- */

/* Decimal digits only (no sign, no hex, no blanks). */
static int dec_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

/* An unsigned attribute in [min, max]; absent: *v untouched and 0 returned if !required. */
static int attr_uint(struct pctx *c, const xmlNode *n, const char *name, uint64_t min, uint64_t max,
		     bool required, uint64_t *v)
{
	const char *s = attr_get(n, name);

	if (!s)
		return required ? BAD(c, n, name, "missing") : 0;
	if (dec_u64(s, v) || *v < min || *v > max)
		return BAD(c, n, name, "'%s' is not a number in %llu-%llu", s,
			   (unsigned long long)min, (unsigned long long)max);
	return 1;
}

/* A required attribute's value, or NULL with the error set. */
static const char *attr_req(struct pctx *c, const xmlNode *n, const char *name)
{
	const char *s = attr_get(n, name);

	if (!s)
		BAD(c, n, name, "missing");
	return s;
}

/* An attribute from a fixed list: its index, -1 if absent, -2 (error set) if not in the list. */
static int attr_choice(struct pctx *c, const xmlNode *n, const char *name, const char *const *names,
		       bool unsupported)
{
	const char *s = attr_get(n, name);
	char list[160];
	int i;

	if (!s)
		return -1;
	i = domain_name_index(names, s);
	if (i >= 0)
		return i;
	domain_name_list(names, list, sizeof(list));
	if (unsupported)
		UNSUPPORTED(c, n, name, "'%s' is not supported by strand (%s)", s, list);
	else
		BAD(c, n, name, "'%s': expected %s", s, list);
	return -2;
}

/* on/off attribute: ON, OFF, DEFAULT if absent; -1 on error. */
static int attr_onoff(struct pctx *c, const xmlNode *n, const char *name, bool yesno,
		      enum domain_tristate *out)
{
	static const char *const onoff[] = { "on", "off", NULL };
	static const char *const yn[] = { "yes", "no", NULL };
	int i = attr_choice(c, n, name, yesno ? yn : onoff, false);

	if (i == -2)
		return -EINVAL;
	*out = i < 0 ? DOMAIN_DEFAULT : i == 0 ? DOMAIN_ON : DOMAIN_OFF;
	return 0;
}

static int attr_cpuset(struct pctx *c, const xmlNode *n, const char *name,
		       struct domain_cpuset *set)
{
	const char *s = attr_req(c, n, name);
	int r;

	if (!s)
		return -EINVAL;
	r = domain_cpuset_parse(s, set);
	if (r == -ERANGE)
		return UNSUPPORTED(c, n, name, "'%s': CPU numbers go up to %u", s,
				   DOMAIN_MAX_HOST_CPUS - 1);
	if (r)
		return BAD(c, n, name, "'%s' is not a CPU list such as 0-3,^2,8 (or selects none)",
			   s);
	return 0;
}

/* A nodeset: host NUMA nodes 0..63 as a bit mask. */
static int attr_nodeset(struct pctx *c, const xmlNode *n, const char *name, uint64_t *mask)
{
	struct domain_cpuset set;
	const char *s = attr_get(n, name);

	if (attr_cpuset(c, n, name, &set))
		return -EINVAL;
	for (unsigned i = DOMAIN_MAX_HOST_NODES; i < DOMAIN_MAX_HOST_CPUS; i++)
		if (domain_cpuset_test(&set, i))
			return UNSUPPORTED(c, n, name, "'%s': host nodes go up to %u", s,
					   DOMAIN_MAX_HOST_NODES - 1);
	*mask = set.bits[0];
	return 0;
}

/* libvirt's units: b, bytes; k, KiB (1024) and KB (1000); likewise M G T P E. */
static int unit_scale(const char *u, uint64_t *scale)
{
	static const char powers[] = "kmgtpe";
	const char *p;
	uint64_t base, s = 1;

	if (strcasecmp(u, "b") == 0 || strcasecmp(u, "byte") == 0 || strcasecmp(u, "bytes") == 0) {
		*scale = 1;
		return 0;
	}
	p = u[0] ? strchr(powers, tolower((unsigned char)u[0])) : NULL;
	if (!p)
		return -EINVAL;
	if (u[1] == '\0' || strcasecmp(u + 1, "ib") == 0)
		base = 1024;
	else if (strcasecmp(u + 1, "b") == 0)
		base = 1000;
	else
		return -EINVAL;
	for (long i = 0; i <= p - powers; i++)
		s *= base;
	*scale = s;
	return 0;
}

/* A memory size: value (decimal) in unit (default KiB) -> bytes. */
static int mem_size(struct pctx *c, const xmlNode *n, const char *unit_attr, const char *value,
		    const char *what, uint64_t *bytes)
{
	const char *unit = attr_get(n, unit_attr);
	uint64_t v, scale = 1024;

	if (unit && unit_scale(unit, &scale))
		return BAD(c, n, unit_attr, "'%s' is not a unit (KiB, MiB, GiB, KB, bytes...)",
			   unit);
	if (dec_u64(value, &v))
		return BAD(c, n, NULL, "%s '%s' is not a number", what, value);
	if (v > UINT64_MAX / scale)
		return BAD(c, n, NULL, "%s '%s' is too large", what, value);
	*bytes = v * scale;
	return 0;
}

static int abs_path(struct pctx *c, const xmlNode *n, const char *attr, const char *s)
{
	if (!s || s[0] != '/')
		return BAD(c, n, attr, "'%s' is not an absolute path", s ? s : "");
	if (strlen(s) > DOMAIN_PATH_MAX)
		return BAD(c, n, attr, "longer than %u bytes", DOMAIN_PATH_MAX);
	return 0;
}

static int set_str(struct pctx *c, char **dst, const char *s)
{
	char *p = strdup(s);

	if (!p)
		return nomem(c);
	free(*dst);
	*dst = p;
	return 0;
}

/* A text element holding an absolute path. */
static int path_elem(struct pctx *c, const xmlNode *n, char **dst)
{
	char *s;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, DOMAIN_PATH_MAX, true, &s)))
		return r;
	r = abs_path(c, n, NULL, s);
	if (!r) {
		free(*dst);
		*dst = s;
		return 0;
	}
	free(s);
	return r;
}

/* A text element holding an unsigned number in [min, max]. */
static int uint_elem_attrs(struct pctx *c, const xmlNode *n, const char *const *attrs, uint64_t min,
			   uint64_t max, uint64_t *v)
{
	char *s;
	int r;

	if ((r = attrs_only(c, n, attrs)) || (r = elem_text(c, n, 64, true, &s)))
		return r;
	if (dec_u64(s, v) || *v < min || *v > max)
		r = BAD(c, n, NULL, "'%s' is not a number in %llu-%llu", s, (unsigned long long)min,
			(unsigned long long)max);
	free(s);
	return r;
}

static int uint_elem(struct pctx *c, const xmlNode *n, uint64_t min, uint64_t max, uint64_t *v)
{
	return uint_elem_attrs(c, n, NOATTRS, min, max, v);
}

/* A signed text element (cputune quotas: -1 or 1000..2^44-1). */
static int quota_elem(struct pctx *c, const xmlNode *n, int64_t *v)
{
	uint64_t u;
	char *s;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, 64, true, &s)))
		return r;
	if (strcmp(s, "-1") == 0) {
		*v = -1;
	} else if (dec_u64(s, &u) || u < 1000 || u > 17592186044415ULL) {
		r = BAD(c, n, NULL, "'%s': expected -1 (no limit) or 1000-17592186044415 (us)", s);
	} else {
		*v = (int64_t)u;
	}
	free(s);
	return r;
}

/* ---- <name>, <uuid>, <title>, <description> ---- */

static int parse_name(struct pctx *c, const xmlNode *n)
{
	char *s;
	size_t len;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, 1024, false, &s)))
		return r;
	len = strlen(s);
	if (len == 0 || len > DOMAIN_NAME_MAX)
		r = BAD(c, n, NULL, "a name has 1 to %u characters", DOMAIN_NAME_MAX);
	else if (!(isalnum((unsigned char)s[0]) || s[0] == '_') ||
		 strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") !=
			 len)
		r = BAD(c, n, NULL,
			"'%.64s': strand's domain names are letters, digits, '_', '.', '+' and "
			"'-', starting with a letter, digit or '_'",
			s);
	else
		memcpy(c->def->name, s, len + 1);
	free(s);
	return r;
}

static int parse_uuid(struct pctx *c, const xmlNode *n)
{
	char *s;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, 64, true, &s)))
		return r;
	if (domain_uuid_parse(s, c->def->uuid))
		r = BAD(c, n, NULL,
			"'%s' is not a UUID (32 hex digits, e.g. "
			"c7a5fdbd-cdaf-9455-926a-d65c16db1809)",
			s);
	c->uuid_given = true;
	free(s);
	return r;
}

static int parse_title(struct pctx *c, const xmlNode *n)
{
	char *s;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, DOMAIN_TITLE_MAX, false, &s)))
		return r;
	if (strchr(s, '\n') || strchr(s, '\r')) {
		free(s);
		return BAD(c, n, NULL, "a title is one line");
	}
	free(c->def->title);
	c->def->title = s;
	return 0;
}

static int parse_description(struct pctx *c, const xmlNode *n)
{
	char *s;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, DOMAIN_DESC_MAX, false, &s)))
		return r;
	free(c->def->description);
	c->def->description = s;
	return 0;
}

/* ---- <metadata> ---- */

static int strand_guest(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	const char *prog = attr_get(n, "program"), *file = attr_get(n, "file");
	const char *args = attr_get(n, "args");
	uint64_t v;
	int r;

	if ((r = empty_elem(c, n, ATTRS("program", "file", "args", "cpl"))))
		return r;
	if (!prog == !file)
		return BAD(c, n, NULL,
			   "give program= (an embedded micro-guest, see `strand "
			   "guests`) or file= (a micro-guest ELF), one of them");
	if (prog) {
		size_t len = strlen(prog);

		if (!len || len > DOMAIN_GUEST_NAME_MAX ||
		    strspn(prog, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
			return BAD(c, n, "program", "'%.40s' is not a micro-guest name", prog);
		c->def->guest_kind = DOMAIN_GUEST_MICRO;
	} else {
		if ((r = abs_path(c, n, "file", file)))
			return r;
		if (strchr(file, ':'))
			return UNSUPPORTED(c, n, "file", "strand run cannot take a path with ':'");
		c->def->guest_kind = DOMAIN_GUEST_FILE;
	}
	if ((r = set_str(c, &s->guest, prog ? prog : file)))
		return r;
	if (args) {
		if (strlen(args) > DOMAIN_GUEST_ARGS_MAX)
			return BAD(c, n, "args", "longer than %u bytes", DOMAIN_GUEST_ARGS_MAX);
		for (const char *p = args; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return BAD(c, n, "args", "control characters are not allowed");
		if (!*args)
			return BAD(c, n, "args", "empty (leave the attribute out)");
		if ((r = set_str(c, &s->guest_args, args)))
			return r;
	}
	if ((r = attr_uint(c, n, "cpl", 0, 3, false, &v)) < 0)
		return r;
	if (r) {
		if (v != 0 && v != 3)
			return BAD(c, n, "cpl", "expected 0 or 3");
		s->cpl = (unsigned)v;
	}
	return 0;
}

static int copy_choice(struct pctx *c, const xmlNode *n, const char *name, const char *const *names,
		       char *dst, size_t len)
{
	int i = attr_choice(c, n, name, names, false);

	if (i == -2)
		return -EINVAL;
	if (i >= 0)
		snprintf(dst, len, "%s", names[i]);
	return 0;
}

static int strand_threading(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	uint64_t v;
	int r;

	if ((r = empty_elem(c, n,
			    ATTRS("preset", "lock", "io", "map", "iomap", "iothreads", "poll_ns"))))
		return r;
	if (copy_choice(c, n, "preset", domain_presets, s->preset, sizeof(s->preset)) ||
	    copy_choice(c, n, "lock", domain_locks, s->lock, sizeof(s->lock)) ||
	    copy_choice(c, n, "io", domain_ios, s->io, sizeof(s->io)) ||
	    copy_choice(c, n, "map", domain_maps, s->map, sizeof(s->map)) ||
	    copy_choice(c, n, "iomap", domain_iomaps, s->iomap, sizeof(s->iomap)))
		return -EINVAL;
	if ((r = attr_uint(c, n, "iothreads", 1, 64, false, &v)) < 0)
		return r;
	if (r)
		s->threading_iothreads = (unsigned)v;
	if ((r = attr_uint(c, n, "poll_ns", 0, 1000000000, false, &v)) < 0)
		return r;
	if (r) {
		s->poll_ns_set = true;
		s->poll_ns = v;
	}
	s->threading = true;
	return 0;
}

/* A duration attribute ("10ms", "500us"; a bare number is ms) in [0.1 ms, 10 s]. */
static int attr_slice(struct pctx *c, const xmlNode *n, const char *name, uint64_t *ns)
{
	const char *s = attr_get(n, name);

	if (!s)
		return 0;
	if (parse_duration_ns(s, 1000000, ns) || *ns < 100000 || *ns > 10000000000ULL)
		return BAD(c, n, name, "'%s': expected a time between 0.1ms and 10s, e.g. 10ms", s);
	return 0;
}

static int strand_sched(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	const char *strategy = attr_req(c, n, "strategy");
	enum domain_tristate force;
	int r, i;

	if ((r = empty_elem(c, n, ATTRS("strategy", "slice", "skew", "force"))))
		return r;
	if (!strategy)
		return -EINVAL;
	if (strcmp(strategy, "fifo") == 0)
		return UNSUPPORTED(c, n, "strategy",
				   "'fifo' is libvirt's <cputune><vcpusched vcpus='0-N' "
				   "scheduler='fifo' priority='P'/>: use that");
	if ((i = attr_choice(c, n, "strategy", domain_strategies, false)) < 0)
		return -EINVAL;
	snprintf(s->strategy, sizeof(s->strategy), "%s", domain_strategies[i]);
	if (attr_get(n, "slice") && strcmp(strategy, "gang") && strcmp(strategy, "credit"))
		return BAD(c, n, "slice", "only for the gang and credit strategies");
	if (attr_get(n, "skew") && strcmp(strategy, "gang-relaxed"))
		return BAD(c, n, "skew", "only for the gang-relaxed strategy");
	if (attr_get(n, "force") && strcmp(strategy, "pinned"))
		return BAD(c, n, "force", "only for the pinned strategy");
	if (attr_slice(c, n, "slice", &s->slice_ns) || attr_slice(c, n, "skew", &s->skew_ns) ||
	    attr_onoff(c, n, "force", true, &force))
		return -EINVAL;
	s->force = force == DOMAIN_ON;
	return 0;
}

static int strand_placement(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	int r;

	if ((r = empty_elem(c, n, ATTRS("policy"))))
		return r;
	if (!attr_req(c, n, "policy"))
		return -EINVAL;
	return copy_choice(c, n, "policy", domain_placements, s->placement, sizeof(s->placement));
}

static int strand_halt_poll(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	int r;

	if ((r = empty_elem(c, n, ATTRS("ns"))))
		return r;
	if ((r = attr_uint(c, n, "ns", 0, 100000000, true, &s->halt_poll_ns)) < 0)
		return r;
	s->halt_poll_set = true;
	return 0;
}

static int strand_disable_exits(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	const char *v = attr_req(c, n, "exits");
	char buf[64], *save = NULL, *tok;
	int r;

	if ((r = empty_elem(c, n, ATTRS("exits"))))
		return r;
	if (!v)
		return -EINVAL;
	if (strcmp(v, "all") == 0) {
		s->disable_exits = DOMAIN_EXIT_ALL;
		return 0;
	}
	if (strlen(v) >= sizeof(buf))
		return BAD(c, n, "exits", "'%.40s': expected hlt,pause,mwait,cstate or all", v);
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i = domain_name_index(domain_exits, tok);

		if (i < 0)
			return BAD(c, n, "exits",
				   "unknown exit '%s' (hlt, pause, mwait, cstate, all)", tok);
		s->disable_exits |= 1u << i;
	}
	if (!s->disable_exits)
		return BAD(c, n, "exits", "empty");
	return 0;
}

static int strand_pv(struct pctx *c, const xmlNode *n)
{
	struct domain_strand *s = &c->def->strand;
	int r;

	if ((r = empty_elem(c, n,
			    ATTRS("clocksource", "steal-time", "eoi", "tlb-flush", "sched-yield"))))
		return r;
	if (attr_onoff(c, n, "clocksource", false, &s->pv_clocksource) ||
	    attr_onoff(c, n, "steal-time", false, &s->pv_steal_time) ||
	    attr_onoff(c, n, "eoi", false, &s->pv_eoi) ||
	    attr_onoff(c, n, "tlb-flush", false, &s->pv_tlb_flush) ||
	    attr_onoff(c, n, "sched-yield", false, &s->pv_sched_yield))
		return -EINVAL;
	return 0;
}

static int strand_map_churn(struct pctx *c, const xmlNode *n)
{
	static const char *const targets[] = { "mmio", "ram", NULL };
	struct domain_strand *s = &c->def->strand;
	int r, i;

	if ((r = empty_elem(c, n, ATTRS("hz", "target"))))
		return r;
	if ((r = attr_uint(c, n, "hz", 0, 1000000, true, &s->map_churn_hz)) < 0)
		return r;
	if ((i = attr_choice(c, n, "target", targets, false)) == -2)
		return -EINVAL;
	s->map_churn_ram = i == 1;
	s->map_churn = true;
	return 0;
}

static int parse_strand_config(struct pctx *c, const xmlNode *n)
{
	static const struct {
		const char *name;
		int (*fn)(struct pctx *, const xmlNode *);
	} knobs[] = {
		{ "guest", strand_guest },
		{ "threading", strand_threading },
		{ "sched", strand_sched },
		{ "placement", strand_placement },
		{ "halt-poll", strand_halt_poll },
		{ "disable-exits", strand_disable_exits },
		{ "pv", strand_pv },
		{ "map-churn", strand_map_churn },
	};
	unsigned seen = 0;
	xmlNodePtr it = NULL;
	int r;

	if (c->strand_seen)
		return BAD(c, n, NULL, "<strand:config> given twice");
	c->strand_seen = true;
	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		unsigned k;

		if (!in_strand_ns(it))
			return UNSUPPORTED(c, it, NULL,
					   "only strand's elements belong in "
					   "<strand:config>");
		for (k = 0; k < ARRAY_SIZE(knobs); k++)
			if (name_is(it, knobs[k].name))
				break;
		if (k == ARRAY_SIZE(knobs))
			return UNSUPPORTED(c, it, NULL,
					   "element <strand:%s> is not a strand knob (guest, "
					   "threading, sched, placement, halt-poll, disable-exits, "
					   "pv, map-churn)",
					   (const char *)it->name);
		if (seen & (1u << k))
			return BAD(c, it, NULL, "given twice");
		seen |= 1u << k;
		if ((r = knobs[k].fn(c, it)))
			return r;
	}
	return r;
}

/* Drop blank text nodes below n so that libxml2 indents the copy the same way every time. */
static int strip_blanks(struct pctx *c, xmlNodePtr n, unsigned depth)
{
	xmlNodePtr x = n->children, next;

	if (depth > METADATA_MAX_DEPTH)
		return BAD(c, n, NULL, "metadata nested deeper than %u levels", METADATA_MAX_DEPTH);
	for (; x; x = next) {
		next = x->next;
		if (x->type == XML_TEXT_NODE && is_blank(x->content)) {
			xmlUnlinkNode(x);
			xmlFreeNode(x);
		} else if (x->type == XML_ELEMENT_NODE) {
			int r = strip_blanks(c, x, depth + 1);

			if (r)
				return r;
		}
	}
	return 0;
}

/*
 * Another application's metadata element: kept, as libvirt keeps it, formatted by libxml2 (with
 * the namespace declarations it needs) and written back verbatim by the formatter.
 */
static int keep_foreign(struct pctx *c, const xmlNode *n)
{
	xmlDocPtr doc;
	xmlNodePtr copy;
	xmlBufferPtr buf;
	int r = 0;

	if (!n->ns || !n->ns->href || !*n->ns->href)
		return BAD(c, n, NULL, "elements in <metadata> need a namespace of their own");
	for (unsigned i = 0; i < c->nmeta_ns; i++)
		if (xmlStrEqual(c->meta_ns[i], n->ns->href))
			return BAD(c, n, NULL,
				   "a second element in namespace %s (one per namespace)",
				   (const char *)n->ns->href);
	if (c->nmeta_ns == ARRAY_SIZE(c->meta_ns))
		return UNSUPPORTED(c, n, NULL, "more than %zu metadata namespaces",
				   ARRAY_SIZE(c->meta_ns));
	c->meta_ns[c->nmeta_ns++] = n->ns->href;
	doc = xmlNewDoc(BAD_CAST "1.0");
	if (!doc)
		return nomem(c);
	copy = xmlDocCopyNode((xmlNodePtr)n, doc, 1);
	buf = xmlBufferCreate();
	if (!copy || !buf) {
		r = nomem(c);
		goto out;
	}
	xmlDocSetRootElement(doc, copy);
	if ((r = strip_blanks(c, copy, 0)))
		goto out;
	if (xmlNodeDump(buf, doc, copy, 2, 1) < 0) {
		r = nomem(c);
		goto out;
	}
	sbuf_puts(&c->meta, "    ");
	sbuf_add(&c->meta, (const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
	sbuf_puts(&c->meta, "\n");
	if (c->meta.oom)
		r = nomem(c);
	else if (c->meta.len > DOMAIN_METADATA_MAX)
		r = UNSUPPORTED(c, n, NULL, "more than %u bytes of metadata", DOMAIN_METADATA_MAX);
out:
	if (buf)
		xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return r;
}

static int parse_metadata(struct pctx *c, const xmlNode *n)
{
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		if (in_strand_ns(it)) {
			if (!name_is(it, "config"))
				return UNSUPPORTED(c, it, NULL,
						   "strand's knobs go inside one <strand:config> "
						   "element");
			r = parse_strand_config(c, it);
		} else {
			r = keep_foreign(c, it);
		}
		if (r)
			return r;
	}
	return r;
}

/* ---- memory ---- */

static int parse_memory(struct pctx *c, const xmlNode *n, bool current)
{
	uint64_t bytes;
	char *s;
	int r;

	if ((r = attrs_only(c, n, ATTRS("unit"))) || (r = elem_text(c, n, 64, true, &s)))
		return r;
	r = mem_size(c, n, "unit", s, current ? "currentMemory" : "memory", &bytes);
	free(s);
	if (r)
		return r;
	if (current) {
		c->current_bytes = bytes;
		c->current_node = (xmlNodePtr)n;
	} else {
		c->def->memory_bytes = bytes;
		c->memory_given = true;
	}
	return 0;
}

static int parse_memory_backing(struct pctx *c, const xmlNode *n)
{
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		if (name_is(it, "hugepages") && !it->ns) {
			xmlNodePtr page = NULL;

			if ((r = attrs_only(c, it, NOATTRS)))
				return r;
			if ((r = next_child(c, it, &page)) > 0)
				return UNSUPPORTED(c, page, NULL,
						   "strand maps guest RAM with the host's default "
						   "huge page size: leave <page> out");
			if (r)
				return r;
			c->def->hugepages = true;
		} else if (name_is(it, "allocation") && !it->ns) {
			static const char *const modes[] = { "immediate", "ondemand", NULL };
			int i;

			if ((r = empty_elem(c, it, ATTRS("mode"))))
				return r;
			if ((i = attr_choice(c, it, "mode", modes, false)) == -2)
				return -EINVAL;
			c->def->alloc = i < 0 ? DOMAIN_DEFAULT : i == 0 ? DOMAIN_ON : DOMAIN_OFF;
		} else {
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand (hugepages, "
					   "allocation)",
					   (const char *)it->name);
		}
	}
	return r;
}

/* ---- vCPUs, iothreads, cputune, numatune ---- */

static int parse_vcpu(struct pctx *c, const xmlNode *n)
{
	static const char *const placements[] = { "static", "auto", NULL };
	uint64_t v, cur;
	int r, i;

	if ((r = uint_elem_attrs(c, n, ATTRS("placement", "cpuset", "current"), 1, 65535, &v)))
		return r;
	if (v > DOMAIN_MAX_VCPUS)
		return UNSUPPORTED(c, n, NULL, "%llu vCPUs: strand runs at most %u",
				   (unsigned long long)v, DOMAIN_MAX_VCPUS);
	c->def->vcpus = (unsigned)v;
	if ((i = attr_choice(c, n, "placement", placements, false)) == -2)
		return -EINVAL;
	c->def->placement_auto = i == 1;
	if (attr_get(n, "cpuset")) {
		if ((r = attr_cpuset(c, n, "cpuset", &c->def->cpuset)))
			return r;
		c->def->has_cpuset = true;
	}
	if ((r = attr_uint(c, n, "current", 1, 65535, false, &cur)) < 0)
		return r;
	if (r && cur != v)
		return UNSUPPORTED(c, n, "current",
				   "strand has no vCPU hot-plug: current= must be "
				   "the vCPU count");
	return 0;
}

static int parse_iothreads(struct pctx *c, const xmlNode *n)
{
	uint64_t v;
	int r;

	if ((r = uint_elem(c, n, 0, 4096, &v)))
		return r;
	if (v > DOMAIN_MAX_IOTHREADS)
		return UNSUPPORTED(c, n, NULL, "%llu iothreads: strand has at most %u",
				   (unsigned long long)v, DOMAIN_MAX_IOTHREADS);
	c->iothreads_given = true;
	c->iothreads_count = (unsigned)v;
	return 0;
}

static int parse_iothreadids(struct pctx *c, const xmlNode *n)
{
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		uint64_t id;

		if (!name_is(it, "iothread") || it->ns)
			return UNSUPPORTED(c, it, NULL, "only <iothread id=> belongs here");
		if ((r = empty_elem(c, it, ATTRS("id"))))
			return r;
		if ((r = attr_uint(c, it, "id", 1, 0xffffffffu, true, &id)) < 0)
			return r;
		for (unsigned i = 0; i < c->nids; i++)
			if (c->def->iothread[i].id == id)
				return BAD(c, it, "id", "iothread %llu given twice",
					   (unsigned long long)id);
		if (c->nids == DOMAIN_MAX_IOTHREADS)
			return UNSUPPORTED(c, it, NULL, "strand has at most %u iothreads",
					   DOMAIN_MAX_IOTHREADS);
		c->def->iothread[c->nids++].id = (unsigned)id;
	}
	return r;
}

static int vcpupin_cmp(const void *a, const void *b)
{
	const struct domain_vcpupin *x = a, *y = b;

	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

static int add_vcpupin(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	struct domain_vcpupin *p;
	uint64_t v;
	int r;

	if ((r = empty_elem(c, n, ATTRS("vcpu", "cpuset"))))
		return r;
	if ((r = attr_uint(c, n, "vcpu", 0, DOMAIN_MAX_VCPUS - 1, true, &v)) < 0)
		return r;
	if (d->nvcpupin == DOMAIN_MAX_VCPUS)
		return BAD(c, n, NULL, "more than %u <vcpupin>", DOMAIN_MAX_VCPUS);
	if ((d->nvcpupin & (d->nvcpupin - 1)) == 0) {
		size_t cap = d->nvcpupin ? d->nvcpupin * 2u : 4u;

		p = realloc(d->vcpupin, cap * sizeof(*p));
		if (!p)
			return nomem(c);
		d->vcpupin = p;
	}
	p = &d->vcpupin[d->nvcpupin];
	p->vcpu = (unsigned)v;
	if ((r = attr_cpuset(c, n, "cpuset", &p->cpus)))
		return r;
	d->nvcpupin++;
	return 0;
}

static int parse_cputune(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	unsigned seen = 0;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		static const char *const once[] = {
			"shares",	"period",      "quota", "global_period",
			"global_quota", "emulatorpin", NULL
		};
		int k = it->ns ? -1 : domain_name_index(once, (const char *)it->name);
		uint64_t v = 0;

		if (k >= 0) {
			if (seen & (1u << k))
				return BAD(c, it, NULL, "given twice");
			seen |= 1u << k;
		}
		if (it->ns) {
			r = UNSUPPORTED(c, it, NULL, "not supported by strand");
		} else if (name_is(it, "shares")) {
			r = uint_elem(c, it, 0, 262144, &v);
			d->shares = (unsigned)v;
			d->shares_set = true;
		} else if (name_is(it, "period")) {
			r = uint_elem(c, it, 1000, 1000000, &d->period_us);
		} else if (name_is(it, "global_period")) {
			r = uint_elem(c, it, 1000, 1000000, &d->global_period_us);
		} else if (name_is(it, "quota")) {
			r = quota_elem(c, it, &d->quota_us);
		} else if (name_is(it, "global_quota")) {
			r = quota_elem(c, it, &d->global_quota_us);
		} else if (name_is(it, "vcpupin")) {
			r = add_vcpupin(c, it);
		} else if (name_is(it, "emulatorpin")) {
			r = empty_elem(c, it, ATTRS("cpuset"));
			if (!r)
				r = attr_cpuset(c, it, "cpuset", &d->emulatorpin);
			d->has_emulatorpin = true;
		} else if (name_is(it, "iothreadpin")) {
			struct pin_tmp *p = &c->iopin[c->niopin];

			if (c->niopin == ARRAY_SIZE(c->iopin))
				return BAD(c, it, NULL, "more than %u <iothreadpin>",
					   DOMAIN_MAX_IOTHREADS);
			if ((r = empty_elem(c, it, ATTRS("iothread", "cpuset"))))
				return r;
			if ((r = attr_uint(c, it, "iothread", 1, 0xffffffffu, true, &v)) < 0)
				return r;
			p->iothread = (unsigned)v;
			p->node = it;
			r = attr_cpuset(c, it, "cpuset", &p->cpus);
			c->niopin++;
		} else if (name_is(it, "vcpusched")) {
			const char *sched = attr_get(it, "scheduler");

			if (c->vcpusched_node)
				return UNSUPPORTED(c, it, NULL,
						   "strand runs every vCPU of a domain "
						   "under one scheduler: one "
						   "<vcpusched>");
			if ((r = empty_elem(c, it, ATTRS("vcpus", "scheduler", "priority"))))
				return r;
			if (!sched)
				return BAD(c, it, "scheduler", "missing");
			if (strcmp(sched, "fifo"))
				return UNSUPPORTED(c, it, "scheduler",
						   "'%s' is not supported by strand (fifo)", sched);
			if ((r = attr_uint(c, it, "priority", 1, 98, true, &v)) < 0)
				return r;
			d->fifo = true;
			d->fifo_priority = (unsigned)v;
			c->vcpusched_node = it;
			c->vcpusched_all = !attr_get(it, "vcpus");
			r = c->vcpusched_all ? 0 : attr_cpuset(c, it, "vcpus", &c->vcpusched);
		} else {
			r = UNSUPPORTED(c, it, NULL,
					"element <%s> is not supported by strand (shares, period, "
					"quota, global_period, global_quota, vcpupin, emulatorpin, "
					"iothreadpin, vcpusched)",
					(const char *)it->name);
		}
		if (r)
			return r;
	}
	if (r)
		return r;
	if (d->nvcpupin > 1) {
		qsort(d->vcpupin, d->nvcpupin, sizeof(*d->vcpupin), vcpupin_cmp);
		for (unsigned i = 1; i < d->nvcpupin; i++)
			if (d->vcpupin[i].vcpu == d->vcpupin[i - 1].vcpu)
				return BAD(c, n, NULL, "<vcpupin vcpu='%u'> given twice",
					   d->vcpupin[i].vcpu);
	}
	return 0;
}

static const char *const mem_modes[] = { "strict", "preferred", "interleave", NULL };

static int parse_numatune(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	bool mem_seen = false;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		if (!it->ns && name_is(it, "memory")) {
			static const char *const pl[] = { "static", "auto", NULL };
			int mode, place;

			if (mem_seen)
				return BAD(c, it, NULL, "given twice");
			mem_seen = true;
			if ((r = empty_elem(c, it, ATTRS("mode", "nodeset", "placement"))))
				return r;
			if ((mode = attr_choice(c, it, "mode", mem_modes, true)) == -2 ||
			    (place = attr_choice(c, it, "placement", pl, false)) == -2)
				return -EINVAL;
			d->mem_mode = (enum domain_mem_mode)(mode < 0 ? 1 : mode + 1);
			d->mem_placement_auto = place == 1;
			if (place == 1 && attr_get(it, "nodeset"))
				return BAD(c, it, "nodeset", "not with placement='auto'");
			if (attr_get(it, "nodeset") &&
			    attr_nodeset(c, it, "nodeset", &d->mem_nodeset))
				return -EINVAL;
		} else if (!it->ns && name_is(it, "memnode")) {
			uint64_t cell, mask;
			int mode;

			if ((r = empty_elem(c, it, ATTRS("cellid", "mode", "nodeset"))))
				return r;
			if ((r = attr_uint(c, it, "cellid", 0, 0xffffffffu, true, &cell)) < 0)
				return r;
			if (cell >= DOMAIN_MAX_CELLS)
				return UNSUPPORTED(c, it, "cellid",
						   "strand has at most %u guest NUMA cells",
						   DOMAIN_MAX_CELLS);
			if ((mode = attr_choice(c, it, "mode", mem_modes, true)) == -2)
				return -EINVAL;
			if (mode < 0)
				return BAD(c, it, "mode", "missing");
			if (mode != 0)
				return UNSUPPORTED(c, it, "mode",
						   "strand binds a guest cell's memory to one host "
						   "node: mode='strict' only");
			if (attr_nodeset(c, it, "nodeset", &mask))
				return -EINVAL;
			if (mask & (mask - 1))
				return UNSUPPORTED(
					c, it, "nodeset",
					"strand binds a guest cell to a single host node");
			if (d->cell[cell].memnode)
				return BAD(c, it, NULL, "cell %llu given twice",
					   (unsigned long long)cell);
			d->cell[cell].memnode = true;
			d->cell[cell].host_node = (unsigned)__builtin_ctzll(mask);
		} else {
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand (memory, "
					   "memnode)",
					   (const char *)it->name);
		}
	}
	return r;
}

/* ---- <os>, <features>, <cpu>, <clock>, lifecycle ---- */

static int parse_os(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	unsigned seen = 0;
	xmlNodePtr it = NULL;
	bool type = false;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		static const char *const kids[] = { "type", "kernel", "initrd", "cmdline", NULL };
		int k = it->ns ? -1 : domain_name_index(kids, (const char *)it->name);
		char *s;

		if (k < 0)
			return UNSUPPORTED(
				c, it, NULL,
				"element <%s> is not supported by strand (type, kernel, "
				"initrd, cmdline: strand boots a kernel or a micro-guest "
				"directly, without firmware)",
				(const char *)it->name);
		if (seen & (1u << k))
			return BAD(c, it, NULL, "given twice");
		seen |= 1u << k;
		switch (k) {
		case 0: {
			const char *arch = attr_get(it, "arch"), *machine = attr_get(it, "machine");

			if ((r = attrs_only(c, it, ATTRS("arch", "machine"))) ||
			    (r = elem_text(c, it, 16, true, &s)))
				return r;
			r = strcmp(s, "hvm") ? UNSUPPORTED(c, it, NULL,
							   "'%s': strand runs hvm "
							   "guests",
							   s) :
					       0;
			free(s);
			if (r)
				return r;
			if (arch && strcmp(arch, "x86_64"))
				return UNSUPPORTED(c, it, "arch", "'%s': strand runs x86_64", arch);
			if (machine && strcmp(machine, "strand"))
				return UNSUPPORTED(c, it, "machine",
						   "'%s': strand has one machine type, 'strand'",
						   machine);
			type = true;
			break;
		}
		case 1:
			if ((r = path_elem(c, it, &d->kernel)))
				return r;
			d->guest_kind = d->guest_kind ? d->guest_kind : DOMAIN_GUEST_KERNEL;
			break;
		case 2:
			if ((r = path_elem(c, it, &d->initrd)))
				return r;
			break;
		case 3:
			if ((r = attrs_only(c, it, NOATTRS)) ||
			    (r = elem_text(c, it, DOMAIN_CMDLINE_MAX, false, &s)))
				return r;
			if (strchr(s, '\n') || strchr(s, '\r')) {
				free(s);
				return BAD(c, it, NULL, "a kernel command line is one line");
			}
			free(d->cmdline);
			d->cmdline = s;
			break;
		}
	}
	if (r)
		return r;
	if (!type)
		return BAD(c, n, NULL, "<type>hvm</type> is missing");
	return 0;
}

static int feature_state(struct pctx *c, const xmlNode *n, bool optional, enum domain_tristate *out)
{
	int r;

	if ((r = empty_elem(c, n, ATTRS("state"))) || (r = attr_onoff(c, n, "state", false, out)))
		return r;
	if (*out == DOMAIN_DEFAULT) {
		if (!optional)
			return BAD(c, n, "state", "missing (on or off)");
		*out = DOMAIN_ON;
	}
	return 0;
}

static int parse_features(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	unsigned seen = 0;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		static const char *const kids[] = { "acpi", "apic", "pvspinlock", "kvm", NULL };
		int k = it->ns ? -1 : domain_name_index(kids, (const char *)it->name);

		if (k < 0)
			return UNSUPPORTED(c, it, NULL,
					   "feature <%s> is not supported by strand (acpi, apic, "
					   "pvspinlock, kvm)",
					   (const char *)it->name);
		if (seen & (1u << k))
			return BAD(c, it, NULL, "given twice");
		seen |= 1u << k;
		if (k == 0) {
			r = empty_elem(c, it, NOATTRS);
			d->acpi = true;
		} else if (k == 1) {
			r = empty_elem(c, it, NOATTRS);
			d->apic = true;
		} else if (k == 2) {
			r = feature_state(c, it, true, &d->pvspinlock);
		} else {
			static const char *const kvm[] = { "hint-dedicated", "poll-control",
							   "pv-ipi", NULL };
			enum domain_tristate *dst[] = { &d->hint_dedicated, &d->poll_control,
							&d->pv_ipi };
			xmlNodePtr f = NULL;

			if ((r = attrs_only(c, it, NOATTRS)))
				return r;
			while ((r = next_child(c, it, &f)) > 0) {
				int j = f->ns ? -1 : domain_name_index(kvm, (const char *)f->name);

				if (j < 0)
					return UNSUPPORTED(c, f, NULL,
							   "KVM feature <%s> is not supported by "
							   "strand (hint-dedicated, poll-control, "
							   "pv-ipi)",
							   (const char *)f->name);
				if (*dst[j] != DOMAIN_DEFAULT)
					return BAD(c, f, NULL, "given twice");
				if ((r = feature_state(c, f, false, dst[j])))
					return r;
			}
		}
		if (r)
			return r;
	}
	return r;
}

static int parse_cell(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	struct domain_cell *cl;
	xmlNodePtr it = NULL;
	uint64_t id, bytes;
	const char *mem;
	int r;

	if ((r = attrs_only(c, n, ATTRS("id", "cpus", "memory", "unit"))))
		return r;
	if ((r = attr_uint(c, n, "id", 0, 0xffffffffu, true, &id)) < 0)
		return r;
	if (id >= DOMAIN_MAX_CELLS)
		return UNSUPPORTED(c, n, "id", "strand has at most %u guest NUMA cells",
				   DOMAIN_MAX_CELLS);
	if (c->cells_seen & (1u << id))
		return BAD(c, n, "id", "cell %llu given twice", (unsigned long long)id);
	c->cells_seen |= 1u << id;
	cl = &d->cell[id];
	if (attr_cpuset(c, n, "cpus", &cl->vcpus))
		return -EINVAL;
	if (!(mem = attr_req(c, n, "memory")))
		return -EINVAL;
	if ((r = mem_size(c, n, "unit", mem, "memory", &bytes)))
		return r;
	cl->mem_bytes = bytes;
	while ((r = next_child(c, n, &it)) > 0) {
		xmlNodePtr s = NULL;

		if (it->ns || !name_is(it, "distances"))
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand "
					   "(distances)",
					   (const char *)it->name);
		if ((r = attrs_only(c, it, NOATTRS)))
			return r;
		while ((r = next_child(c, it, &s)) > 0) {
			uint64_t sid, val;

			if (s->ns || !name_is(s, "sibling"))
				return UNSUPPORTED(c, s, NULL,
						   "only <sibling id= value=> belongs "
						   "here");
			if ((r = empty_elem(c, s, ATTRS("id", "value"))))
				return r;
			if ((r = attr_uint(c, s, "id", 0, DOMAIN_MAX_CELLS - 1, true, &sid)) < 0 ||
			    (r = attr_uint(c, s, "value", 10, 255, true, &val)) < 0)
				return r;
			if (cl->distance[sid])
				return BAD(c, s, NULL, "sibling %llu given twice",
					   (unsigned long long)sid);
			cl->distance[sid] = (uint8_t)val;
		}
		if (r)
			return r;
	}
	return r;
}

static int parse_cpu(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	const char *mode = attr_get(n, "mode");
	bool topo = false, numa = false;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, ATTRS("mode"))))
		return r;
	if (mode && strcmp(mode, "host-passthrough"))
		return UNSUPPORTED(c, n, "mode",
				   "'%s': strand offers host-passthrough, or its "
				   "own model by default",
				   mode);
	d->cpu_host_passthrough = mode != NULL;
	while ((r = next_child(c, n, &it)) > 0) {
		if (!it->ns && name_is(it, "topology")) {
			uint64_t s, dies = 1, co, th;

			if (topo)
				return BAD(c, it, NULL, "given twice");
			topo = true;
			if ((r = empty_elem(c, it, ATTRS("sockets", "dies", "cores", "threads"))))
				return r;
			if ((r = attr_uint(c, it, "sockets", 1, 4096, true, &s)) < 0 ||
			    (r = attr_uint(c, it, "dies", 1, 4096, false, &dies)) < 0 ||
			    (r = attr_uint(c, it, "cores", 1, 4096, true, &co)) < 0 ||
			    (r = attr_uint(c, it, "threads", 1, 4096, true, &th)) < 0)
				return r;
			if (dies != 1)
				return UNSUPPORTED(c, it, "dies",
						   "strand's topology has no dies "
						   "level: dies='1' only");
			d->topo_given = true;
			d->sockets = (unsigned)s;
			d->cores = (unsigned)co;
			d->threads = (unsigned)th;
		} else if (!it->ns && name_is(it, "numa")) {
			xmlNodePtr cell = NULL;

			if (numa)
				return BAD(c, it, NULL, "given twice");
			numa = true;
			if ((r = attrs_only(c, it, NOATTRS)))
				return r;
			while ((r = next_child(c, it, &cell)) > 0) {
				if (cell->ns || !name_is(cell, "cell"))
					return UNSUPPORTED(c, cell, NULL,
							   "element <%s> is not supported by "
							   "strand (cell)",
							   (const char *)cell->name);
				if ((r = parse_cell(c, cell)))
					return r;
			}
			if (r)
				return r;
		} else {
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand (topology, "
					   "numa)",
					   (const char *)it->name);
		}
	}
	return r;
}

static int parse_clock(struct pctx *c, const xmlNode *n)
{
	const char *off = attr_get(n, "offset");
	int r;

	if ((r = empty_elem(c, n, ATTRS("offset"))))
		return r;
	if (!off || strcmp(off, "utc"))
		return UNSUPPORTED(c, n, "offset", "strand's guests keep UTC: offset='utc' only");
	c->def->clock_utc = true;
	return 0;
}

static int parse_lifecycle(struct pctx *c, const xmlNode *n, enum domain_lifecycle *out)
{
	static const char *const acts[] = { "destroy", "restart", NULL };
	char *s;
	int r, i;

	if ((r = attrs_only(c, n, NOATTRS)) || (r = elem_text(c, n, 32, true, &s)))
		return r;
	i = domain_name_index(acts, s);
	if (i < 0)
		r = UNSUPPORTED(c, n, NULL,
				"'%s': strandd can destroy or restart a domain (a strand process "
				"ends with its guest)",
				s);
	else
		*out = (enum domain_lifecycle)i;
	free(s);
	return r;
}

/* ---- <devices> ---- */

static int parse_disk(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	const char *type = attr_get(n, "type"), *dev = attr_get(n, "device");
	struct domain_disk *k;
	bool src = false, tgt = false, drv = false, ro = false, ser = false;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, ATTRS("type", "device"))))
		return r;
	if (type && strcmp(type, "file"))
		return UNSUPPORTED(c, n, "type", "'%s': strand's disks are files (type='file')",
				   type);
	if (dev && strcmp(dev, "disk"))
		return UNSUPPORTED(c, n, "device",
				   "'%s': strand has virtio-blk disks "
				   "(device='disk')",
				   dev);
	if (d->ndisks == DOMAIN_MAX_DISKS)
		return UNSUPPORTED(c, n, NULL, "strand has at most %u disks", DOMAIN_MAX_DISKS);
	k = &d->disk[d->ndisks++];
	while ((r = next_child(c, n, &it)) > 0) {
		if (it->ns) {
			return UNSUPPORTED(c, it, NULL, "not supported by strand");
		} else if (name_is(it, "driver")) {
			static const char *const names[] = { "qemu", "strand", NULL };
			static const char *const ios[] = { "native", "io_uring", "threads", NULL };
			static const char *const caches[] = { "default", "none", "writeback",
							      NULL };
			const char *fmt = attr_get(it, "type");
			uint64_t v;
			int i;

			if (drv)
				return BAD(c, it, NULL, "given twice");
			drv = true;
			if ((r = empty_elem(
				     c, it,
				     ATTRS("name", "type", "cache", "io", "iothread", "queues"))))
				return r;
			if ((i = attr_choice(c, it, "name", names, true)) == -2)
				return -EINVAL;
			k->driver_strand = i == 1;
			if (fmt && strcmp(fmt, "raw"))
				return UNSUPPORTED(c, it, "type", "'%s': strand reads raw images",
						   fmt);
			if ((i = attr_choice(c, it, "io", ios, true)) == -2)
				return -EINVAL;
			k->io = (enum domain_disk_io)(i + 1);
			if ((i = attr_choice(c, it, "cache", caches, true)) == -2)
				return -EINVAL;
			k->cache = (enum domain_disk_cache)(i < 0 ? 0 : i);
			if ((r = attr_uint(c, it, "iothread", 1, 0xffffffffu, false, &v)) < 0)
				return r;
			if (r)
				k->iothread = (unsigned)v;
			if ((r = attr_uint(c, it, "queues", 1, 64, false, &v)) < 0)
				return r;
			if (r)
				k->queues = (unsigned)v;
		} else if (name_is(it, "source")) {
			const char *file = attr_get(it, "file");

			if (src)
				return BAD(c, it, NULL, "given twice");
			src = true;
			if ((r = empty_elem(c, it, ATTRS("file"))))
				return r;
			if (!file)
				return BAD(c, it, "file", "missing");
			if ((r = abs_path(c, it, "file", file)) || (r = set_str(c, &k->path, file)))
				return r;
		} else if (name_is(it, "target")) {
			const char *tdev = attr_get(it, "dev"), *bus = attr_get(it, "bus");
			size_t len;

			if (tgt)
				return BAD(c, it, NULL, "given twice");
			tgt = true;
			if ((r = empty_elem(c, it, ATTRS("dev", "bus"))))
				return r;
			if (!tdev)
				return BAD(c, it, "dev", "missing");
			len = strlen(tdev);
			if (len < 3 || len >= sizeof(k->target) || strncmp(tdev, "vd", 2) ||
			    strspn(tdev + 2, "abcdefghijklmnopqrstuvwxyz") != len - 2)
				return UNSUPPORTED(
					c, it, "dev",
					"'%.20s': strand's disks are virtio disks vda, vdb, "
					"...",
					tdev);
			if (bus && strcmp(bus, "virtio"))
				return UNSUPPORTED(c, it, "bus",
						   "'%s': strand's disks are on virtio", bus);
			memcpy(k->target, tdev, len + 1);
		} else if (name_is(it, "readonly")) {
			if (ro)
				return BAD(c, it, NULL, "given twice");
			ro = true;
			if ((r = empty_elem(c, it, NOATTRS)))
				return r;
			k->readonly = true;
		} else if (name_is(it, "serial")) {
			char *s;
			size_t len;

			if (ser)
				return BAD(c, it, NULL, "given twice");
			ser = true;
			if ((r = attrs_only(c, it, NOATTRS)) ||
			    (r = elem_text(c, it, 256, true, &s)))
				return r;
			len = strlen(s);
			if (!len || len > DOMAIN_SERIAL_MAX ||
			    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_.+- ") != len)
				r = BAD(c, it, NULL, "'%.32s': 1 to %u letters, digits or _.+- ", s,
					DOMAIN_SERIAL_MAX);
			else
				memcpy(k->serial, s, len + 1);
			free(s);
			if (r)
				return r;
		} else {
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand (driver, "
					   "source, target, readonly, serial)",
					   (const char *)it->name);
		}
	}
	if (r)
		return r;
	if (!src)
		return BAD(c, n, NULL, "<source file=> is missing");
	if (!tgt)
		return BAD(c, n, NULL, "<target dev=> is missing");
	return 0;
}

static int parse_rng(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	const char *model = attr_get(n, "model");
	bool backend = false;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, ATTRS("model"))))
		return r;
	if (d->rng)
		return UNSUPPORTED(c, n, NULL, "strand has one virtio-rng device");
	if (!model || strcmp(model, "virtio"))
		return UNSUPPORTED(c, n, "model", "'%s': model='virtio' only", model ? model : "");
	while ((r = next_child(c, n, &it)) > 0) {
		const char *bm = attr_get(it, "model");
		char *s;

		if (it->ns || !name_is(it, "backend"))
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand "
					   "(backend)",
					   (const char *)it->name);
		if (backend)
			return BAD(c, it, NULL, "given twice");
		backend = true;
		if (bm && strcmp(bm, "builtin") && strcmp(bm, "random"))
			return UNSUPPORTED(c, it, "model",
					   "'%s': strand's rng draws from getrandom "
					   "(random with /dev/urandom, or builtin)",
					   bm);
		if ((r = attrs_only(c, it, ATTRS("model"))))
			return r;
		if (bm && strcmp(bm, "builtin") == 0) {
			if ((r = empty_elem(c, it, ATTRS("model"))))
				return r;
			d->rng = DOMAIN_RNG_BUILTIN;
			continue;
		}
		if (!bm || strcmp(bm, "random"))
			return UNSUPPORTED(c, it, "model",
					   "'%s': strand's rng draws from getrandom "
					   "(random with /dev/urandom, or builtin)",
					   bm ? bm : "");
		if ((r = elem_text(c, it, DOMAIN_PATH_MAX, true, &s)))
			return r;
		r = s[0] && strcmp(s, "/dev/urandom") ?
			    UNSUPPORTED(c, it, NULL,
					"'%s': strand's rng draws from getrandom, as /dev/urandom "
					"does: no other source",
					s) :
			    0;
		free(s);
		if (r)
			return r;
		d->rng = DOMAIN_RNG_RANDOM;
	}
	if (r)
		return r;
	if (!backend)
		return BAD(c, n, NULL, "<backend> is missing");
	return 0;
}

/*
 * A character device's source and target. serial: <serial> (types pty, file, null), target
 * isa-serial port 0. console: <console> whose target is the serial (the same types) or virtio
 * (file, or unix with mode='bind').
 */
static int parse_chardev(struct pctx *c, const xmlNode *n, bool console)
{
	static const char *const types[] = { "pty", "file", "null", "unix", NULL };
	struct domain_def *d = c->def;
	const char *tty = attr_get(n, "tty");
	enum domain_chardev type;
	bool virtio = false, src = false, tgt = false;
	const char *path = NULL;
	xmlNodePtr it = NULL, src_node = NULL;
	int r, i;

	if ((r = attrs_only(c, n, console ? ATTRS("type", "tty") : ATTRS("type"))))
		return r;
	if ((i = attr_choice(c, n, "type", types, true)) == -2)
		return -EINVAL;
	if (i < 0)
		return BAD(c, n, "type", "missing");
	type = (enum domain_chardev)(i + 1);
	while ((r = next_child(c, n, &it)) > 0) {
		if (!it->ns && name_is(it, "source")) {
			if (src)
				return BAD(c, it, NULL, "given twice");
			src = true;
			src_node = it;
			if ((r = empty_elem(c, it, ATTRS("path", "mode"))))
				return r;
			path = attr_get(it, "path");
			if (attr_get(it, "mode") &&
			    (type != DOMAIN_CHR_UNIX || strcmp(attr_get(it, "mode"), "bind")))
				return UNSUPPORTED(c, it, "mode",
						   "strand listens (mode='bind' with type='unix')");
			if (path && (r = abs_path(c, it, "path", path)))
				return r;
		} else if (!it->ns && name_is(it, "target")) {
			const char *tt = attr_get(it, "type");
			uint64_t port;
			xmlNodePtr m = NULL;

			if (tgt)
				return BAD(c, it, NULL, "given twice");
			tgt = true;
			if ((r = attrs_only(c, it, ATTRS("type", "port"))))
				return r;
			if ((r = attr_uint(c, it, "port", 0, 0, false, &port)) < 0)
				return UNSUPPORTED(c, it, "port", "strand has port 0 only");
			if (console) {
				if (tt && strcmp(tt, "serial") && strcmp(tt, "virtio"))
					return UNSUPPORTED(
						c, it, "type",
						"'%s': a console is on the serial port or "
						"virtio",
						tt);
				virtio = tt && strcmp(tt, "virtio") == 0;
			} else if (tt && strcmp(tt, "isa-serial")) {
				return UNSUPPORTED(c, it, "type",
						   "'%s': strand has one 16550A UART (isa-serial)",
						   tt);
			}
			while ((r = next_child(c, it, &m)) > 0) {
				const char *mn = attr_get(m, "name");

				if (console || m->ns || !name_is(m, "model"))
					return UNSUPPORTED(c, m, NULL, "not supported by strand");
				if ((r = empty_elem(c, m, ATTRS("name"))))
					return r;
				if (!mn || strcmp(mn, "isa-serial"))
					return UNSUPPORTED(c, m, "name", "'%s': isa-serial only",
							   mn ? mn : "");
			}
			if (r)
				return r;
		} else {
			return UNSUPPORTED(c, it, NULL,
					   "element <%s> is not supported by strand "
					   "(source, target)",
					   (const char *)it->name);
		}
	}
	if (r)
		return r;
	if (virtio) {
		if (type != DOMAIN_CHR_FILE && type != DOMAIN_CHR_UNIX)
			return UNSUPPORTED(c, n, "type",
					   "a virtio console is a file or a UNIX "
					   "socket (type='file' or 'unix')");
	} else if (type == DOMAIN_CHR_UNIX) {
		return UNSUPPORTED(c, n, "type",
				   "'unix' is for a virtio console (<target "
				   "type='virtio'/>)");
	}
	if ((type == DOMAIN_CHR_FILE || type == DOMAIN_CHR_UNIX) && !path)
		return BAD(c, src_node ? src_node : n, "path", "missing");
	if (type == DOMAIN_CHR_NULL && path)
		return BAD(c, src_node, "path", "not for type='null'");
	if (type == DOMAIN_CHR_PTY) {
		/* A pty's path is runtime state: kept in live XML, dropped by define. */
		if (tty && (r = abs_path(c, n, "tty", tty)))
			return r;
		if (!path)
			path = tty;
		if (!(c->flags & DOMAIN_XML_LIVE))
			path = NULL;
	} else if (tty) {
		return BAD(c, n, "tty", "only for type='pty'");
	}
	if (virtio) {
		if (d->vconsole)
			return UNSUPPORTED(c, n, NULL, "strand has one virtio console");
		d->vconsole = type;
		return set_str(c, &d->vconsole_path, path);
	}
	if (console) {
		if (c->console_serial)
			return UNSUPPORTED(c, n, NULL, "one <console> on the serial port");
		c->console_serial = (xmlNodePtr)n;
		c->console_serial_type = type;
		if (path && type == DOMAIN_CHR_PTY)
			return set_str(c, &c->console_serial_pty, path);
		if (path)
			return set_str(c, &c->console_serial_path, path);
		return 0;
	}
	if (c->serial_elem)
		return UNSUPPORTED(c, n, NULL, "strand has one serial port");
	c->serial_elem = true;
	d->serial = type;
	if (path && type == DOMAIN_CHR_PTY)
		return set_str(c, &d->serial_pty, path);
	if (path)
		return set_str(c, &d->serial_path, path);
	return 0;
}

static int parse_devices(struct pctx *c, const xmlNode *n)
{
	struct domain_def *d = c->def;
	xmlNodePtr it = NULL;
	int r;

	if ((r = attrs_only(c, n, NOATTRS)))
		return r;
	while ((r = next_child(c, n, &it)) > 0) {
		if (it->ns) {
			r = UNSUPPORTED(c, it, NULL, "not supported by strand");
		} else if (name_is(it, "emulator")) {
			if (d->emulator)
				return BAD(c, it, NULL, "given twice");
			r = path_elem(c, it, &d->emulator);
			if (!r && c->emulator && strcmp(d->emulator, c->emulator))
				r = UNSUPPORTED(c, it, NULL, "'%s': this strandd runs %s",
						d->emulator, c->emulator);
		} else if (name_is(it, "disk")) {
			r = parse_disk(c, it);
		} else if (name_is(it, "rng")) {
			r = parse_rng(c, it);
		} else if (name_is(it, "serial")) {
			r = parse_chardev(c, it, false);
		} else if (name_is(it, "console")) {
			r = parse_chardev(c, it, true);
		} else if (name_is(it, "memballoon")) {
			const char *model = attr_get(it, "model");

			if (d->memballoon_none)
				return BAD(c, it, NULL, "given twice");
			if ((r = empty_elem(c, it, ATTRS("model"))))
				return r;
			if (!model || strcmp(model, "none"))
				return UNSUPPORTED(c, it, "model",
						   "'%s': strand has no balloon (model='none')",
						   model ? model : "");
			d->memballoon_none = true;
		} else if (name_is(it, "interface")) {
			r = UNSUPPORTED(c, it, NULL, "strand has no network devices yet");
		} else {
			r = UNSUPPORTED(c, it, NULL,
					"device <%s> is not supported by strand (emulator, disk, "
					"serial, console, rng, memballoon)",
					(const char *)it->name);
		}
		if (r)
			return r;
	}
	return r;
}

/* ---- <domain> ---- */

static const char *const top_names[] = {
	"name",	    "uuid",	   "title",	    "description",
	"metadata", "memory",	   "currentMemory", "memoryBacking",
	"vcpu",	    "iothreads",   "iothreadids",   "cputune",
	"numatune", "os",	   "features",	    "cpu",
	"clock",    "on_poweroff", "on_reboot",	    "on_crash",
	"devices",  NULL,
};

static int parse_top(struct pctx *c, const xmlNode *n, int k)
{
	struct domain_def *d = c->def;

	switch (k) {
	case 0:
		return parse_name(c, n);
	case 1:
		return parse_uuid(c, n);
	case 2:
		return parse_title(c, n);
	case 3:
		return parse_description(c, n);
	case 4:
		return parse_metadata(c, n);
	case 5:
		return parse_memory(c, n, false);
	case 6:
		return parse_memory(c, n, true);
	case 7:
		return parse_memory_backing(c, n);
	case 8:
		return parse_vcpu(c, n);
	case 9:
		return parse_iothreads(c, n);
	case 10:
		return parse_iothreadids(c, n);
	case 11:
		return parse_cputune(c, n);
	case 12:
		return parse_numatune(c, n);
	case 13:
		return parse_os(c, n);
	case 14:
		return parse_features(c, n);
	case 15:
		return parse_cpu(c, n);
	case 16:
		return parse_clock(c, n);
	case 17:
		return parse_lifecycle(c, n, &d->on_poweroff);
	case 18:
		return parse_lifecycle(c, n, &d->on_reboot);
	case 19:
		return parse_lifecycle(c, n, &d->on_crash);
	default:
		return parse_devices(c, n);
	}
}

/* Put together what several elements describe: iothreads, pins, cells, consoles, memory. */
static int finish(struct pctx *c, const xmlNode *root)
{
	struct domain_def *d = c->def;
	int r;

	if (!d->name[0])
		return BAD(c, root, NULL, "<name> is missing");
	if (!(c->seen & (1u << 13)))
		return BAD(c, root, NULL, "<os> is missing (<os><type>hvm</type></os>)");
	if (!c->uuid_given && (r = domain_uuid_generate(d->uuid)))
		return domain_err(c->err, DOMAIN_ERR_INTERNAL, "cannot generate a UUID: %s",
				  strerror(-r));
	/* iothreads: <iothreads>N fills ids 1, 2, ... around those <iothreadids> lists. */
	if (c->iothreads_given && c->iothreads_count < c->nids)
		return BAD(c, root, NULL, "<iothreads>%u</iothreads> but <iothreadids> lists %u",
			   c->iothreads_count, c->nids);
	d->niothreads = c->nids;
	for (unsigned id = 1; c->iothreads_given && d->niothreads < c->iothreads_count; id++)
		if (!domain_iothread_find(d, id))
			d->iothread[d->niothreads++].id = id;
	for (unsigned i = 0; i < c->niopin; i++) {
		struct domain_iothread *t =
			(struct domain_iothread *)domain_iothread_find(d, c->iopin[i].iothread);

		if (!t)
			return BAD(c, c->iopin[i].node, "iothread",
				   "no iothread %u (see "
				   "<iothreads>)",
				   c->iopin[i].iothread);
		if (t->pinned)
			return BAD(c, c->iopin[i].node, NULL, "iothread %u pinned twice", t->id);
		t->pinned = true;
		t->cpus = c->iopin[i].cpus;
	}
	/* vcpusched: strand's fifo strategy covers the whole VM. */
	if (c->vcpusched_node && !c->vcpusched_all) {
		for (unsigned v = 0; v < DOMAIN_MAX_HOST_CPUS; v++)
			if (domain_cpuset_test(&c->vcpusched, v) != (v < d->vcpus))
				return UNSUPPORTED(
					c, c->vcpusched_node, "vcpus",
					"strand runs every vCPU under the fifo strategy: "
					"vcpus='0-%u' (or leave it out)",
					d->vcpus - 1);
	}
	/* cells: dense ids */
	if (c->cells_seen) {
		d->ncells = 32u - (unsigned)__builtin_clz(c->cells_seen);
		if (c->cells_seen != (1u << d->ncells) - 1)
			return BAD(c, root, NULL, "<cpu><numa>: cell ids are 0 to %u, without gaps",
				   d->ncells - 1);
	}
	if (!c->memory_given) {
		if (!d->ncells)
			return BAD(c, root, NULL, "<memory> is missing");
		for (unsigned i = 0; i < d->ncells; i++)
			d->memory_bytes += d->cell[i].mem_bytes;
	}
	if (c->current_node && c->current_bytes != d->memory_bytes)
		return UNSUPPORTED(c, c->current_node, NULL,
				   "strand has no balloon: <currentMemory> must equal <memory>");
	/* A <console> on the serial port is the serial (libvirt writes both). */
	if (c->console_serial) {
		if (!c->serial_elem) {
			d->serial = c->console_serial_type;
			if (c->console_serial_path &&
			    (r = set_str(c, &d->serial_path, c->console_serial_path)))
				return r;
			if (c->console_serial_pty && !d->serial_pty &&
			    (r = set_str(c, &d->serial_pty, c->console_serial_pty)))
				return r;
		} else if (c->console_serial_type != d->serial ||
			   (d->serial == DOMAIN_CHR_FILE &&
			    strcmp(c->console_serial_path, d->serial_path))) {
			return UNSUPPORTED(c, c->console_serial, NULL,
					   "this <console> is the serial port and must match "
					   "<serial>");
		} else if (c->console_serial_pty && !d->serial_pty &&
			   (r = set_str(c, &d->serial_pty, c->console_serial_pty))) {
			return r;
		}
	}
	if (c->meta.len) {
		d->foreign_metadata = sbuf_take(&c->meta);
		if (!d->foreign_metadata)
			return nomem(c);
	}
	return 0;
}

static int parse_root(struct pctx *c, const xmlNode *root)
{
	const char *type = attr_get(root, "type");
	xmlNodePtr it = NULL;
	uint64_t id;
	int r;

	if (root->ns || !name_is(root, "domain"))
		return BAD(c, root, NULL, "the root element must be <domain> (no namespace)");
	if ((r = attrs_only(c, root, ATTRS("type", "id"))))
		return r;
	if (!type)
		return BAD(c, root, "type", "missing (type='kvm')");
	if (strcmp(type, "kvm"))
		return UNSUPPORTED(c, root, "type", "'%s': strand runs KVM domains (type='kvm')",
				   type);
	if ((r = attr_uint(c, root, "id", 1, 0x7fffffff, false, &id)) < 0)
		return r;
	if (r && (c->flags & DOMAIN_XML_LIVE))
		c->def->id = (int)id;
	while ((r = next_child(c, root, &it)) > 0) {
		int k;

		if (it->ns) {
			if (in_strand_ns(it))
				return UNSUPPORTED(
					c, it, NULL,
					"strand's elements go inside <metadata><strand:"
					"config>: libvirt's schema admits no others here");
			return UNSUPPORTED(c, it, NULL,
					   "element in namespace %s is not supported "
					   "by strand",
					   (const char *)it->ns->href);
		}
		k = domain_name_index(top_names, (const char *)it->name);
		if (k < 0)
			return UNSUPPORTED(c, it, NULL, "element <%s> is not supported by strand",
					   (const char *)it->name);
		if (c->seen & (1u << k))
			return BAD(c, it, NULL, "element <%s> given twice", (const char *)it->name);
		c->seen |= 1u << k;
		if ((r = parse_top(c, it, k)))
			return r;
	}
	if (r)
		return r;
	return finish(c, root);
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

int domain_parse(const char *xml, size_t len, const struct domain_parse_opts *opts,
		 struct domain_def **out, struct domain_error *err)
{
	struct pctx c = { .err = err };
	xmlStructuredErrorFunc old_handler;
	void *old_ctx;
	xmlDocPtr doc = NULL;
	int ret;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	while (xml && len && xml[len - 1] == '\0')
		len--; /* a terminator counted in len */
	if (!xml || len == 0)
		return domain_err(err, DOMAIN_ERR_XML_ERROR, "empty document");
	if (len > DOMAIN_XML_MAX)
		return domain_err(err, DOMAIN_ERR_XML_ERROR,
				  "the document has %zu bytes, more than the %u accepted", len,
				  DOMAIN_XML_MAX);
	/*
	 * Before anything of libxml2's is touched, even its per-thread error handler: its
	 * global state is set up once, by the first caller (TSan saw two threads race here).
	 */
	pthread_once(&xml_once, xml_init);
	old_handler = xmlStructuredError;
	old_ctx = xmlStructuredErrorContext;
	c.flags = opts ? opts->flags : 0;
	c.emulator = opts ? opts->emulator : NULL;
	c.def = domain_def_new();
	c.xctx = xmlNewParserCtxt();
	if (!c.def || !c.xctx) {
		ret = domain_err_nomem(err);
		goto out;
	}
	xmlSetStructuredErrorFunc(NULL, on_quiet_error);
	c.xctx->_private = &c;
	c.xctx->sax->serror = on_xml_error;
	c.xctx->sax->internalSubset = on_doctype;
	doc = xmlCtxtReadMemory(c.xctx, xml, (int)len, NULL, "UTF-8",
				XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING);
	if (c.doctype) {
		ret = -EINVAL;
		goto out;
	}
	if (!doc || !c.xctx->wellFormed) {
		if (!c.xml_err)
			domain_err(err, DOMAIN_ERR_XML_ERROR, "the document is not well formed");
		ret = -EINVAL;
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		ret = domain_err(err, DOMAIN_ERR_XML_ERROR, "a DTD is not allowed in domain XML");
		goto out;
	}
	if (!xmlDocGetRootElement(doc)) {
		ret = domain_err(err, DOMAIN_ERR_XML_ERROR, "no root element");
		goto out;
	}
	ret = parse_root(&c, xmlDocGetRootElement(doc));
	if (!ret)
		ret = domain_check(c.def, err);
out:
	xmlSetStructuredErrorFunc(old_ctx, old_handler);
	if (doc)
		xmlFreeDoc(doc);
	if (c.xctx)
		xmlFreeParserCtxt(c.xctx);
	sbuf_free(&c.meta);
	free(c.console_serial_path);
	free(c.console_serial_pty);
	if (ret) {
		domain_def_free(c.def);
		return ret;
	}
	*out = c.def;
	return 0;
}
