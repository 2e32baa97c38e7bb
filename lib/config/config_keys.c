/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keyword tables of udpcapd.conf, one small table per section, and
 * the parser of each key. A parser returns NULL, or the error message
 * (the dispatcher adds "FILE:LINE: ").
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), err)

static const char *set_string(struct cfg *c, char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s) {
		c->oom = true;
		return "out of memory";
	}
	free(*dst);
	*dst = s;
	return NULL;
}

/* Index of @value in the NULL-terminated @names (any case), or -1. */
static int choose(const char *value, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcasecmp(value, names[i]))
			return i;
	return -1;
}

/* Empty means "not set" (NULL): the default applies. */
static const char *set_optional_string(struct cfg *c, char **dst, const char *value)
{
	if (*value)
		return set_string(c, dst, value);
	free(*dst);
	*dst = NULL;
	return NULL;
}

static int parse_uint(const char *value, unsigned long min, unsigned long max, unsigned *ret)
{
	unsigned long v;
	int r = cfg_parse_ulong(value, max, &v);

	if (r < 0)
		return r;
	if (v < min)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

/* ------------------------------------------------------------- [rings] */

/* [rings] and [rings NAME] share their keys; dir is the same for all groups. */
static const char *rings_count(struct cfg *c, const char *v, char *err, size_t errlen)
{
	unsigned *count = c->ring_group ? &c->ring_group->count : &c->config->rings.count;

	if (parse_uint(v, 1, UDPCAP_CONFIG_MAX_RINGS, count) < 0)
		return ERR("count = '%s' is not a number from 1 to %u", v, UDPCAP_CONFIG_MAX_RINGS);
	if (!c->ring_group)
		c->count_line = c->lineno;
	return NULL;
}

#define RING_SIZE_MIN (64ull << 10)
#define RING_SIZE_MAX (16ull << 30)

static const char *rings_size(struct cfg *c, const char *v, char *err, size_t errlen)
{
	uint64_t bytes, p = 1;

	if (udpcap_parse_size(v, &bytes) < 0)
		return ERR("size = '%s' is not a size (e.g. 64M; suffixes K, M, G)", v);
	if (bytes < RING_SIZE_MIN || bytes > RING_SIZE_MAX)
		return ERR("size = '%s' is out of range (64K to 16G)", v);
	while (p < bytes)
		p <<= 1;
	*(c->ring_group ? &c->ring_group->size : &c->config->rings.size) = p;
	return NULL;
}

static const char *rings_dir(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (c->ring_group)
		return ERR("dir = belongs in [rings]: every group's rings share that directory");
	if (v[0] != '/')
		return ERR("dir = '%s' must be an absolute path", v);
	return set_string(c, &c->config->rings.dir, v);
}

static const char *rings_group(struct cfg *c, const char *v, char *err, size_t errlen)
{
	return set_optional_string(c, c->ring_group ? &c->ring_group->group : &c->config->rings.group,
				   v);
}

/*
 * A ring name pattern is printf-like with exactly one "%d" ("%%" is a
 * literal percent); anything else would let the config choose arbitrary
 * format conversions. Names become file names, so no '/'.
 */
static const char *rings_name(struct cfg *c, const char *v, char *err, size_t errlen)
{
	unsigned d = 0;
	const char *p;

	if (!*v)
		return ERR("name is empty; use a pattern such as worker-%%d");
	if (strlen(v) > 48)
		return ERR("name = '%s' is too long (at most 48 characters)", v);
	for (p = v; *p; p++) {
		if (*p == '/')
			return ERR("name = '%s' must not contain '/'", v);
		if (!isgraph((unsigned char)*p))
			return ERR("name = '%s' must not contain spaces or control characters", v);
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
		} else if (p[1] == 'd') {
			d++;
			p++;
		} else {
			return ERR("name = '%s' may contain only one %%d conversion (found '%%%c')",
				   v, p[1] ? p[1] : ' ');
		}
	}
	if (d != 1)
		return ERR("name = '%s' must contain exactly one %%d (the ring number)", v);
	return set_string(c, c->ring_group ? &c->ring_group->pattern : &c->config->rings.name, v);
}

static const struct cfg_keyword rings_keys[] = {
    {"count", rings_count, false}, {"size", rings_size, false}, {"dir", rings_dir, false},
    {"group", rings_group, false}, {"name", rings_name, false}, {NULL, NULL, false},
};

/* ----------------------------------------------------------- [receive] */

static const char *receive_backend(struct cfg *c, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = {"recvmmsg", "io_uring", NULL}; /* enum order */
	int i = choose(v, names);

	if (i < 0)
		return ERR("backend = '%s' is not one of recvmmsg, io_uring", v);
	c->config->receive.backend = (enum udpcap_backend)i;
	return NULL;
}

static const char *receive_batch(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 1, 1024, &c->config->receive.batch) < 0)
		return ERR("batch = '%s' is not a number from 1 to 1024", v);
	return NULL;
}

static const char *receive_rcvbuf(struct cfg *c, const char *v, char *err, size_t errlen)
{
	uint64_t bytes;

	if (udpcap_parse_size(v, &bytes) < 0)
		return ERR("rcvbuf = '%s' is not a size (e.g. 16M; suffixes K, M, G)", v);
	/* SO_RCVBUF takes an int, and the kernel doubles it. */
	if (bytes < 4096 || bytes > (1ull << 30))
		return ERR("rcvbuf = '%s' is out of range (4K to 1G)", v);
	c->config->receive.rcvbuf = bytes;
	return NULL;
}

static const char *receive_threads(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 0, UDPCAP_CONFIG_MAX_RINGS, &c->config->receive.threads) < 0)
		return ERR("threads = '%s' is not a number from 0 (automatic) to %u", v,
			   UDPCAP_CONFIG_MAX_RINGS);
	c->threads_line = c->lineno;
	return NULL;
}

/* "0-3,6 8": ranges and single CPUs, separated by commas or spaces. */
static const char *receive_cpus(struct cfg *c, const char *v, char *err, size_t errlen)
{
	int *cpus = NULL;
	size_t n = 0;
	const char *p = v;

	while (*p) {
		unsigned long lo, hi;
		char *end;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			goto bad;
		lo = hi = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (*p && *p != ',' && !isspace((unsigned char)*p))
			goto bad;
		if (hi < lo || hi >= UDPCAP_CONFIG_MAX_CPUS) {
			free(cpus);
			return ERR("cpus = '%s': CPU range must be ascending and below %u", v,
				   UDPCAP_CONFIG_MAX_CPUS);
		}
		for (; lo <= hi; lo++) {
			int *tmp;

			if (n >= UDPCAP_CONFIG_MAX_CPUS) {
				free(cpus);
				return ERR("cpus = '%s' lists more than %u CPUs", v,
					   UDPCAP_CONFIG_MAX_CPUS);
			}
			tmp = realloc(cpus, (n + 1) * sizeof(*cpus));
			if (!tmp) {
				free(cpus);
				c->oom = true;
				return "out of memory";
			}
			cpus = tmp;
			cpus[n++] = (int)lo;
		}
	}
	free(c->config->receive.cpus);
	c->config->receive.cpus = cpus;
	c->config->receive.cpu_count = n;
	return NULL;
bad:
	free(cpus);
	return ERR("cpus = '%s' is not a CPU list (e.g. 0-3,6)", v);
}

static const char *receive_coalesce(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 0, 10000, &c->config->receive.coalesce_us) < 0)
		return ERR(
		    "coalesce_us = '%s' is not a number of microseconds from 0 (off) to 10000", v);
	return NULL;
}

static const struct cfg_keyword receive_keys[] = {
    {"backend", receive_backend, false},
    {"batch", receive_batch, false},
    {"rcvbuf", receive_rcvbuf, false},
    {"threads", receive_threads, false},
    {"cpus", receive_cpus, false},
    {"coalesce_us", receive_coalesce, false},
    {NULL, NULL, false},
};

/* ---------------------------------------------------------- [steering] */

static const char *steering_mode(struct cfg *c, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = {"auto", "ebpf", "cbpf", "kernel",
					    NULL}; /* enum order */
	int i = choose(v, names);

	if (i < 0)
		return ERR("mode = '%s' is not one of auto, ebpf, cbpf, kernel", v);
	c->config->steering.mode = (enum udpcap_steering)i;
	return NULL;
}

static const char *steering_hash(struct cfg *c, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = {"5-tuple", "ip-pair", NULL};
	static const enum udpcap_hash_mode modes[] = {UDPCAP_HASH_5TUPLE, UDPCAP_HASH_IP_PAIR};
	int i = choose(v, names);

	if (i < 0)
		return ERR("hash = '%s' is not one of 5-tuple, ip-pair", v);
	c->config->steering.hash = modes[i];
	return NULL;
}

static const struct cfg_keyword steering_keys[] = {
    {"mode", steering_mode, false},
    {"hash", steering_hash, false},
    {NULL, NULL, false},
};

/* ------------------------------------------------------ [listener NAME] */

static struct cfg_listener_lines *listener_lines(struct cfg *c)
{
	return &c->lines[c->listener - c->config->listeners];
}

/*
 * What exactly is wrong with an ADDRESS:PORT that udpcap_parse_sockaddr()
 * refused: the port, the address, or the brackets IPv6 needs.
 */
static const char *sockaddr_problem(const char *key, const char *v, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	char host[INET6_ADDRSTRLEN + 1];
	const char *addr = v, *port, *end;
	unsigned long p;
	size_t n;
	int family = AF_INET, r;

	if (v[0] == '[') {
		end = strchr(v, ']');
		if (!end || end[1] != ':')
			return ERR("%s = '%s' is not ADDRESS:PORT: write IPv6 as [ADDRESS]:PORT",
				   key, v);
		addr = v + 1;
		port = end + 2;
		family = AF_INET6;
	} else {
		end = strrchr(v, ':');
		if (!end)
			return ERR("%s = '%s' is not ADDRESS:PORT: the port is missing", key, v);
		if (strchr(v, ':') != end)
			return ERR("%s = '%s' is not ADDRESS:PORT: IPv6 needs brackets, "
				   "[ADDRESS]:PORT",
				   key, v);
		port = end + 1;
	}
	n = (size_t)(end - addr);
	r = cfg_parse_ulong(port, 65535, &p);
	if (r == -ERANGE)
		return ERR("%s = '%s': port %s is out of range (0 to 65535)", key, v, port);
	if (r < 0)
		return ERR("%s = '%s': port '%s' is not a number", key, v, port);
	host[0] = '\0';
	if (n < sizeof(host)) {
		memcpy(host, addr, n);
		host[n] = '\0';
	}
	if (!host[0] || inet_pton(family, host, buf) != 1)
		return ERR("%s = '%s': '%.*s' is not an %s address", key, v, (int)n, addr,
			   family == AF_INET6 ? "IPv6" : "IPv4");
	return ERR("%s = '%s' is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)", key, v);
}

static const char *listener_listen(struct cfg *c, const char *v, char *err, size_t errlen)
{
	struct udpcap_config_listener *l = c->listener;

	/* set even when wrong: one message for the line, not a second "has no listen" */
	listener_lines(c)->listen = c->lineno;
	if (udpcap_parse_sockaddr(v, &l->addr, &l->addr_len) < 0)
		return sockaddr_problem("listen", v, err, errlen);
	return NULL;
}

static const char *listener_encap(struct cfg *c, const char *v, char *err, size_t errlen)
{
	struct udpcap_encap e;
	uint16_t linktype = c->listener->encap.linktype;

	if (udpcap_parse_encap(v, &e) < 0)
		return ERR("encap = '%s' is not one of vxlan, geneve, geneve+vxlan, raw, "
			   "skip=N (N up to 9216)",
			   v);
	e.linktype = linktype; /* dlt = may come before encap = */
	c->listener->encap = e;
	listener_lines(c)->encap = c->lineno;
	return NULL;
}

static const char *listener_dlt(struct cfg *c, const char *v, char *err, size_t errlen)
{
	uint16_t linktype;

	if (udpcap_parse_linktype(v, &linktype) < 0)
		return ERR("dlt = '%s' is not one of en10mb, raw, ppp", v);
	c->listener->encap.linktype = linktype;
	listener_lines(c)->dlt = c->lineno;
	return NULL;
}

static const char *listener_allow(struct cfg *c, const char *v, char *err, size_t errlen)
{
	struct udpcap_config_listener *l = c->listener;
	char *copy = strdup(v), *tok, *save = NULL;
	const char *ret = NULL;

	if (!copy) {
		c->oom = true;
		return "out of memory";
	}
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct udpcap_cidr cidr, *tmp;
		int r;

		if (l->allow_count >= UDPCAP_CONFIG_MAX_ALLOW) {
			ret = ERR("allow = lists more than %u networks", UDPCAP_CONFIG_MAX_ALLOW);
			break;
		}
		r = udpcap_parse_cidr(tok, &cidr);
		if (r == -EDOM) {
			ret = ERR("allow = '%s' has host bits set after the prefix length", tok);
			break;
		}
		if (r < 0) {
			ret = ERR("allow = '%s' is not an address or CIDR (10.0.0.0/8, fd00::/8)",
				  tok);
			break;
		}
		tmp = realloc(l->allow, (l->allow_count + 1) * sizeof(*tmp));
		if (!tmp) {
			c->oom = true;
			ret = "out of memory";
			break;
		}
		l->allow = tmp;
		l->allow[l->allow_count++] = cidr;
	}
	free(copy);
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

#define VNI_MAX ((1ul << 24) - 1)

/* "100, 200-210": VNIs and ranges; kept sorted and unique for bsearch. */
static const char *listener_vni(struct cfg *c, const char *v, char *err, size_t errlen)
{
	struct udpcap_config_listener *l = c->listener;
	const char *p = v;
	size_t i, out;

	listener_lines(c)->vni = c->lineno;
	while (*p) {
		unsigned long lo, hi;
		char *end;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return ERR("vni = '%s' is not a list of VNIs (e.g. 100, 200-210)", v);
		errno = 0;
		lo = hi = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				return ERR("vni = '%s' is not a list of VNIs (e.g. 100, 200-210)",
					   v);
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (*p && *p != ',' && !isspace((unsigned char)*p))
			return ERR("vni = '%s' is not a list of VNIs (e.g. 100, 200-210)", v);
		if (errno || lo > VNI_MAX || hi > VNI_MAX)
			return ERR("vni = '%s': a VNI is 0 to %lu", v, VNI_MAX);
		if (hi < lo)
			return ERR("vni = '%s': range %lu-%lu is descending", v, lo, hi);
		if (hi - lo + 1 + l->vni_count > UDPCAP_CONFIG_MAX_VNI)
			return ERR("vni = lists more than %u VNIs", UDPCAP_CONFIG_MAX_VNI);
		{
			uint32_t *tmp =
			    realloc(l->vni, (l->vni_count + hi - lo + 1) * sizeof(*tmp));

			if (!tmp) {
				c->oom = true;
				return "out of memory";
			}
			l->vni = tmp;
		}
		for (; lo <= hi; lo++)
			l->vni[l->vni_count++] = (uint32_t)lo;
	}
	if (l->vni_count) {
		qsort(l->vni, l->vni_count, sizeof(*l->vni), cmp_u32);
		for (i = 1, out = 1; i < l->vni_count; i++)
			if (l->vni[i] != l->vni[out - 1])
				l->vni[out++] = l->vni[i];
		l->vni_count = out;
	}
	return NULL;
}

static const struct cfg_keyword listener_keys[] = {
    {"listen", listener_listen, false}, {"encap", listener_encap, false},
    {"dlt", listener_dlt, false},	{"allow", listener_allow, true},
    {"vni", listener_vni, true},	{NULL, NULL, false},
};

/* ----------------------------------------------------------- [control] */

static const char *control_socket(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return ERR("socket = '%s' must be an absolute path", v);
	if (strlen(v) >= 108)
		return ERR("socket = '%s' is too long for a Unix socket path (max 107)", v);
	return set_string(c, &c->config->control.socket, v);
}

static const char *control_group(struct cfg *c, const char *v, char *err, size_t errlen)
{
	return set_optional_string(c, &c->config->control.group, v);
}

static const char *control_mode(struct cfg *c, const char *v, char *err, size_t errlen)
{
	unsigned long m;
	char *end;

	if (!isdigit((unsigned char)*v))
		return ERR("mode = '%s' is not an octal file mode (e.g. 0660)", v);
	m = strtoul(v, &end, 8);
	if (*end || m > 0777)
		return ERR("mode = '%s' is not an octal file mode (e.g. 0660)", v);
	c->config->control.mode = (mode_t)m;
	return NULL;
}

static const struct cfg_keyword control_keys[] = {
    {"socket", control_socket, false},
    {"group", control_group, false},
    {"mode", control_mode, false},
    {NULL, NULL, false},
};

/* ----------------------------------------------------------- [metrics] */

static const char *metrics_listen(struct cfg *c, const char *v, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (*v && udpcap_parse_sockaddr(v, &ss, &len) < 0)
		return sockaddr_problem("listen", v, err, errlen);
	return set_optional_string(c, &c->config->metrics.listen, v);
}

static const struct cfg_keyword metrics_keys[] = {
    {"listen", metrics_listen, false},
    {NULL, NULL, false},
};

/* --------------------------------------------------------------- [log] */

static const char *log_level(struct cfg *c, const char *v, char *err, size_t errlen)
{
	static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};
	int i = choose(v, levels);

	if (i < 0)
		return ERR("level = '%s' is not one of error, warning, notice, info, debug", v);
	return set_string(c, &c->config->log.level, levels[i]);
}

static const struct cfg_keyword log_keys[] = {
    {"level", log_level, false},
    {NULL, NULL, false},
};

/* ------------------------------------------------------------ [health] */

static int parse_bool(const char *value, bool *ret)
{
	static const char *const names[] = {"no", "yes", "false", "true", "off", "on", "0", "1",
					    NULL};
	int i = choose(value, names);

	if (i < 0)
		return -EINVAL;
	*ret = i % 2;
	return 0;
}

static const char *health_consumers(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_bool(v, &c->config->health.require_consumers) < 0)
		return ERR("require_consumers = '%s' is not yes or no", v);
	return NULL;
}

static const char *health_dropping(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 0, 3600000, &c->config->health.max_dropping_ms) < 0)
		return ERR("max_dropping_ms = '%s' is not a number of milliseconds from 0 (off) "
			   "to 3600000",
			   v);
	return NULL;
}

static const struct cfg_keyword health_keys[] = {
    {"require_consumers", health_consumers, false},
    {"max_dropping_ms", health_dropping, false},
    {NULL, NULL, false},
};

/* ------------------------------------------------------------- [dedup] */

static const char *dedup_window(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 0, 1000000, &c->config->dedup.window_us) < 0)
		return ERR("window_us = '%s' is not a number of microseconds from 0 (off) to "
			   "1000000",
			   v);
	return NULL;
}

static const char *dedup_ring_pps(struct cfg *c, const char *v, char *err, size_t errlen)
{
	if (parse_uint(v, 1000, 100000000, &c->config->dedup.ring_pps) < 0)
		return ERR("ring_pps = '%s' is not a packet rate from 1000 to 100000000", v);
	return NULL;
}

static const struct cfg_keyword dedup_keys[] = {
    {"window_us", dedup_window, false},
    {"ring_pps", dedup_ring_pps, false},
    {NULL, NULL, false},
};

const struct cfg_section cfg_sections[] = {
    {"rings", rings_keys, false},	{"receive", receive_keys, false},
    {"steering", steering_keys, false}, {"listener", listener_keys, true},
    {"control", control_keys, false},	{"metrics", metrics_keys, false},
    {"log", log_keys, false},		{"health", health_keys, false},
    {"dedup", dedup_keys, false},	{NULL, NULL, false},
};
