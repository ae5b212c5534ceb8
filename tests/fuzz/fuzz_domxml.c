/*
 * fuzz_domxml.c - libFuzzer target: the domain XML loader (daemon/xml). Any input is parsed and
 * checked; whatever is accepted must format (inactive and live), parse back, format to the same
 * text (the canonical form is a fixed point) and build a strand run argv. A broken invariant
 * aborts, which libFuzzer reports as a finding. Seeds: the XML files in docs/examples.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/xml/argv.h"
#include "daemon/xml/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct domain_def *d, unsigned flags)
{
	struct domain_parse_opts o = { .flags = flags };
	struct domain_def *again;
	struct domain_error e;
	char *x, *y;

	if (domain_format(d, flags, &x, &e))
		abort();
	if (domain_parse(x, strlen(x), &o, &again, &e))
		abort(); /* we wrote something we refuse */
	if (domain_format(again, flags, &y, &e))
		abort();
	if (strcmp(x, y))
		abort(); /* not canonical */
	free(x);
	free(y);
	domain_def_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain_parse_opts o = { .flags = size && (data[0] & 1) ? DOMAIN_XML_LIVE : 0 };
	struct domain_def *d;
	struct domain_error e;
	struct domain_argv a;

	if (domain_parse((const char *)data, size, &o, &d, &e)) {
		if (!memchr(e.message, '\0', sizeof(e.message)) || !e.code)
			abort();
		return 0;
	}
	roundtrip(d, 0);
	roundtrip(d, DOMAIN_XML_LIVE);
	if (domain_argv_build(d, "strand", &a, &e) == 0)
		domain_argv_free(&a);
	domain_def_free(d);
	return 0;
}
