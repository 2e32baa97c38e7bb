/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value parsers shared by udpcapd.conf and the command-line tools: sizes,
 * socket addresses, CIDRs, encapsulations and link types. Each accepts
 * exactly one spelling per value and rejects trailing garbage.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <udpcap/config.h>

#include "config_rows.h"

int udpcap_parse_size(const char *text, uint64_t *ret_bytes)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	default:
		break;
	}
	/* "64MB", "64MiB" are common enough to accept. */
	if (mul > 1 && (*end == 'B' || *end == 'b'))
		end++;
	else if (mul > 1 && !strcmp(end, "iB"))
		end += 2;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret_bytes = v * mul;
	return 0;
}

int cfg_parse_ulong(const char *text, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int parse_port(const char *text, uint16_t *ret)
{
	unsigned long v;

	if (cfg_parse_ulong(text, 65535, &v) < 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int udpcap_parse_sockaddr(const char *text, struct sockaddr_storage *ret_addr, socklen_t *ret_len)
{
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port;
	uint16_t p;
	size_t n;

	if (!text)
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - text - 1);
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, n);
		host[n] = '\0';
		port = close + 2;
		if (parse_port(port, &p) < 0 || inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*ret_addr = ss;
		*ret_len = sizeof(*sin6);
		return 0;
	}
	colon = strrchr(text, ':');
	if (!colon || strchr(text, ':') != colon)
		return -EINVAL; /* IPv6 needs brackets */
	n = (size_t)(colon - text);
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (parse_port(colon + 1, &p) < 0 || inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*ret_len = sizeof(*sin);
	}
	*ret_addr = ss;
	return 0;
}

int udpcap_parse_cidr(const char *text, struct udpcap_cidr *ret_cidr)
{
	struct udpcap_cidr c;
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;
	unsigned long prefix;
	unsigned max, i;
	size_t n;

	if (!text)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	slash = strchr(text, '/');
	n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = max;
	if (slash) {
		char *end;

		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || *end || prefix > max)
			return -EINVAL;
	}
	c.prefix = (uint8_t)prefix;
	/* Host bits beyond the prefix are almost always a typo: refuse them. */
	for (i = 0; i < max / 8; i++) {
		unsigned bit = i * 8;
		uint8_t mask;

		if (bit >= prefix)
			mask = 0;
		else if (bit + 8 <= prefix)
			mask = 0xff;
		else
			mask = (uint8_t)(0xff << (8 - (prefix - bit)));
		if (c.addr[i] & ~mask)
			return -EDOM;
	}
	*ret_cidr = c;
	return 0;
}

bool udpcap_cidr_match(const struct udpcap_cidr *cidr, const struct sockaddr *addr)
{
	const uint8_t *a;
	unsigned full, rest;

	if (addr->sa_family == AF_INET && cidr->family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)addr)->sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;

		if (cidr->family == AF_INET6)
			a = in6->s6_addr;
		else if (IN6_IS_ADDR_V4MAPPED(in6))
			a = in6->s6_addr + 12; /* ::ffff:10.0.0.1 is 10.0.0.1 */
		else
			return false;
	} else {
		return false;
	}
	full = cidr->prefix / 8;
	rest = cidr->prefix % 8;
	if (memcmp(a, cidr->addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a[full] ^ cidr->addr[full]) & mask)
			return false;
	}
	return true;
}

int udpcap_parse_encap(const char *text, struct udpcap_encap *ret_encap)
{
	struct udpcap_encap e = {.linktype = UDPCAP_LINKTYPE_EN10MB};

	if (!text)
		return -EINVAL;
	if (!strcasecmp(text, "vxlan")) {
		e.type = UDPCAP_ENCAP_VXLAN;
	} else if (!strcasecmp(text, "geneve")) {
		e.type = UDPCAP_ENCAP_GENEVE;
	} else if (!strcasecmp(text, "geneve+vxlan")) {
		e.type = UDPCAP_ENCAP_GENEVE_VXLAN;
	} else if (!strcasecmp(text, "raw")) {
		e.type = UDPCAP_ENCAP_RAW;
	} else if (!strncasecmp(text, "skip=", 5)) {
		unsigned long v;
		char *end;

		if (!isdigit((unsigned char)text[5]))
			return -EINVAL;
		errno = 0;
		v = strtoul(text + 5, &end, 10);
		if (errno || *end || v > 9216)
			return -EINVAL;
		e.type = UDPCAP_ENCAP_SKIP;
		e.skip = (uint16_t)v;
	} else {
		return -EINVAL;
	}
	*ret_encap = e;
	return 0;
}

static const struct {
	const char *name;
	uint16_t linktype;
} linktypes[] = {
    {"en10mb", UDPCAP_LINKTYPE_EN10MB},
    {"ethernet", UDPCAP_LINKTYPE_EN10MB},
    {"raw", UDPCAP_LINKTYPE_RAW},
    {"ppp", UDPCAP_LINKTYPE_PPP},
};

int udpcap_parse_linktype(const char *text, uint16_t *ret_linktype)
{
	size_t i;

	if (!text)
		return -EINVAL;
	for (i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++) {
		if (!strcasecmp(text, linktypes[i].name)) {
			*ret_linktype = linktypes[i].linktype;
			return 0;
		}
	}
	return -EINVAL;
}

const char *udpcap_linktype_name(uint16_t linktype)
{
	switch (linktype) {
	case UDPCAP_LINKTYPE_EN10MB:
		return "en10mb";
	case UDPCAP_LINKTYPE_RAW:
		return "raw";
	case UDPCAP_LINKTYPE_PPP:
		return "ppp";
	}
	return "unknown";
}

const char *udpcap_encap_name(enum udpcap_encap_type type)
{
	switch (type) {
	case UDPCAP_ENCAP_RAW:
		return "raw";
	case UDPCAP_ENCAP_VXLAN:
		return "vxlan";
	case UDPCAP_ENCAP_GENEVE:
		return "geneve";
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		return "geneve+vxlan";
	case UDPCAP_ENCAP_SKIP:
		return "skip";
	}
	return "unknown";
}
