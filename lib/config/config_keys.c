/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every key of udpcapd.conf, one row each (cfg_keys[] at the end): its
 * section, name, parser, storage, default, bounds, whether SIGHUP may
 * change it, and its one-line doc. Most rows use the plain parsers of
 * config_types.c; the keys with a syntax of their own have theirs here.
 * A parser returns NULL, or the error message (the dispatcher adds
 * "FILE:LINE: "). Adding a key is one field, one row and its docs
 * (docs/configuration.md, udpcapd.conf(5)); see config_rows.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_rows.h"
#include "udpcap-build.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), err)

/* ------------------------------------------------------------- [rings] */

/* Rounded up to a power of two: ring indices are masked. */
static const char *rings_size(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
			      char *err, size_t errlen)
{
	uint64_t *size = cfg_value(k, base), p = 1;
	const char *msg = cfg_size(c, k, base, v, err, errlen);

	if (msg)
		return msg;
	while (p < *size)
		p <<= 1;
	*size = p;
	return NULL;
}

static const char *absolute_path(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				 char *err, size_t errlen)
{
	if (v[0] != '/')
		return ERR("%s = '%s' must be an absolute path", k->name, v);
	return cfg_set_string(c, cfg_value(k, base), v);
}

/*
 * A ring name pattern is printf-like with exactly one "%d" ("%%" is a
 * literal percent); anything else would let the config choose arbitrary
 * format conversions. Names become file names, so no '/'.
 */
static const char *ring_pattern(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				char *err, size_t errlen)
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
	return cfg_set_string(c, cfg_value(k, base), v);
}

/* NAME of a [listener NAME], [rings NAME] or [tap NAME]: letters, digits, '-', '_', '.' */
static bool section_name_ok(const char *name)
{
	const char *p;

	for (p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* [rings NAME]: another ring group; its keys are [rings]'s (but dir). */
static const char *ring_group_name(const char *arg, char *err, size_t errlen)
{
	size_t max = sizeof(((struct udpcap_config_ring_group *)0)->name) - 1;

	if (!section_name_ok(arg) || strlen(arg) > max)
		return ERR("ring group name '%s' must be 1 to %zu letters, digits, '-', '_' or '.'",
			   arg, max);
	if (!strcmp(arg, "default"))
		return "[rings default] is the unnamed [rings] section; name the group otherwise";
	return NULL;
}

/* [tap NAME]: a TAP output. */
static const char *tap_name(const char *arg, char *err, size_t errlen)
{
	size_t max = sizeof(((struct udpcap_config_tap *)0)->name) - 1;

	if (!section_name_ok(arg) || strlen(arg) > max)
		return ERR("tap name '%s' must be 1 to %zu letters, digits, '-', '_' or '.'", arg,
			   max);
	return NULL;
}

/* What the kernel accepts as an interface name (dev_valid_name(), IFNAMSIZ). */
static const char *tap_interface(struct cfg *c, const struct cfg_key *k, void *base,
				 const char *v, char *err, size_t errlen)
{
	const char *p;

	if (!*v)
		return ERR("interface is empty; name the TAP device, e.g. interface = udpcap0");
	if (strlen(v) > 15)
		return ERR("interface = '%s' is too long (an interface name has at most 15 "
			   "characters)",
			   v);
	if (!strcmp(v, ".") || !strcmp(v, ".."))
		return ERR("interface = '%s' is not an interface name", v);
	for (p = v; *p; p++)
		if (*p == '/' || *p == ':' || !isgraph((unsigned char)*p))
			return ERR("interface = '%s' must not contain '/', ':', spaces or control "
				   "characters",
				   v);
	return cfg_set_string(c, cfg_value(k, base), v);
}

/* ----------------------------------------------------------- [receive] */

/* "0-3,6 8": ranges and single CPUs, separated by commas or spaces. */
static const char *cpu_list(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
			    char *err, size_t errlen)
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
	free(*(int **)cfg_value(k, base));
	*(int **)cfg_value(k, base) = cpus;
	*(size_t *)((char *)base + k->len) = n;
	return NULL;
bad:
	free(cpus);
	return ERR("cpus = '%s' is not a CPU list (e.g. 0-3,6)", v);
}

/* ------------------------------------------------------ [listener NAME] */

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

static const char *socket_address(struct cfg *c, const struct cfg_key *k, void *base,
				  const char *v, char *err, size_t errlen)
{
	(void)c;
	if (udpcap_parse_sockaddr(v, cfg_value(k, base), (socklen_t *)((char *)base + k->len)) < 0)
		return sockaddr_problem(k->name, v, err, errlen);
	return NULL;
}

static const char *listener_encap(struct cfg *c, const struct cfg_key *k, void *base,
				  const char *v, char *err, size_t errlen)
{
	struct udpcap_encap e, *dst = cfg_value(k, base);

	(void)c;
	if (udpcap_parse_encap(v, &e) < 0)
		return ERR("encap = '%s' is not one of vxlan, geneve, geneve+vxlan, raw, "
			   "skip=N (N up to 9216)",
			   v);
	e.linktype = dst->linktype; /* dlt = may come before encap = */
	*dst = e;
	return NULL;
}

static const char *listener_dlt(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				char *err, size_t errlen)
{
	(void)c;
	if (udpcap_parse_linktype(v, cfg_value(k, base)) < 0)
		return ERR("dlt = '%s' is not one of en10mb, raw, ppp", v);
	return NULL;
}

static const char *listener_allow(struct cfg *c, const struct cfg_key *k, void *base,
				  const char *v, char *err, size_t errlen)
{
	struct udpcap_cidr **allow = cfg_value(k, base);
	size_t *count = (size_t *)((char *)base + k->len);
	char *copy = strdup(v), *tok, *save = NULL;
	const char *ret = NULL;

	if (!copy) {
		c->oom = true;
		return "out of memory";
	}
	for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct udpcap_cidr cidr, *tmp;
		int r;

		if (*count >= UDPCAP_CONFIG_MAX_ALLOW) {
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
		tmp = realloc(*allow, (*count + 1) * sizeof(*tmp));
		if (!tmp) {
			c->oom = true;
			ret = "out of memory";
			break;
		}
		*allow = tmp;
		(*allow)[(*count)++] = cidr;
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
static const char *listener_vni(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				char *err, size_t errlen)
{
	uint32_t **vni = cfg_value(k, base);
	size_t *count = (size_t *)((char *)base + k->len);
	const char *p = v;
	size_t i, out;

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
		if (hi - lo + 1 + *count > UDPCAP_CONFIG_MAX_VNI)
			return ERR("vni = lists more than %u VNIs", UDPCAP_CONFIG_MAX_VNI);
		{
			uint32_t *tmp = realloc(*vni, (*count + hi - lo + 1) * sizeof(*tmp));

			if (!tmp) {
				c->oom = true;
				return "out of memory";
			}
			*vni = tmp;
		}
		for (; lo <= hi; lo++)
			(*vni)[(*count)++] = (uint32_t)lo;
	}
	if (*count) {
		qsort(*vni, *count, sizeof(**vni), cmp_u32);
		for (i = 1, out = 1; i < *count; i++)
			if ((*vni)[i] != (*vni)[out - 1])
				(*vni)[out++] = (*vni)[i];
		*count = out;
	}
	return NULL;
}

static const char *listener_name(const char *arg, char *err, size_t errlen)
{
	size_t max = sizeof(((struct udpcap_config_listener *)0)->name) - 1;

	if (!section_name_ok(arg))
		return ERR("listener name '%s' may contain only letters, digits, '-', '_' and '.'",
			   arg);
	if (strlen(arg) > max)
		return ERR("listener name '%s' is too long (max %zu)", arg, max);
	return NULL;
}

/* ----------------------------------------------------------- [control] */

static const char *control_socket(struct cfg *c, const struct cfg_key *k, void *base,
				  const char *v, char *err, size_t errlen)
{
	if (v[0] == '/' && strlen(v) >= 108)
		return ERR("socket = '%s' is too long for a Unix socket path (max 107)", v);
	return absolute_path(c, k, base, v, err, errlen);
}

static const char *file_mode(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
			     char *err, size_t errlen)
{
	unsigned long m;
	char *end;

	(void)c;
	if (!isdigit((unsigned char)*v))
		return ERR("%s = '%s' is not an octal file mode (e.g. 0660)", k->name, v);
	m = strtoul(v, &end, 8);
	if (*end || m > 0777)
		return ERR("%s = '%s' is not an octal file mode (e.g. 0660)", k->name, v);
	*(mode_t *)cfg_value(k, base) = (mode_t)m;
	return NULL;
}

/* ----------------------------------------------------------- [metrics] */

/* ADDRESS:PORT kept as text; empty turns the endpoint off. */
static const char *optional_address(struct cfg *c, const struct cfg_key *k, void *base,
				    const char *v, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (*v && udpcap_parse_sockaddr(v, &ss, &len) < 0)
		return sockaddr_problem(k->name, v, err, errlen);
	return cfg_optional_string(c, k, base, v, err, errlen);
}

/* ---------------------------------------------------------- the rows */

#define CONF(field) offsetof(struct udpcap_config, field)
#define LISTENER(field) offsetof(struct udpcap_config_listener, field)
#define GROUP(field) offsetof(struct udpcap_config_ring_group, field)
#define TAP(field) offsetof(struct udpcap_config_tap, field)

static const char *const backends[] = {"recvmmsg", "io_uring", NULL}; /* enum order */
static const char *const steerings[] = {"auto", "ebpf", "cbpf", "kernel", NULL};
static const char *const hashes[] = {"5-tuple", "ip-pair", NULL};
static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};

const struct cfg_key cfg_keys[] = {
    {.section = "rings", .name = "count", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(rings.count), .def = "4", .min = 1, .max = UDPCAP_CONFIG_MAX_RINGS,
     .doc = "number of rings, one per consumer; every listener opens one socket per ring"},
    {.section = "rings", .name = "size", .parse = rings_size, .type = CFG_SIZE,
     .offset = CONF(rings.size), .def = "64M", .min = 64ull << 10, .max = 16ull << 30,
     .unit = "64M", .doc = "bytes of record space per ring, rounded up to a power of two"},
    {.section = "rings", .name = "dir", .parse = absolute_path, .type = CFG_STRING,
     .offset = CONF(rings.dir), .def = UDPCAP_DEFAULT_RING_DIR,
     .doc = "directory of the ring files, shared with the consumers"},
    {.section = "rings", .name = "group", .parse = cfg_optional_string, .type = CFG_STRING,
     .offset = CONF(rings.group),
     .doc = "group of the ring files; empty = the ring directory's group"},
    {.section = "rings", .name = "name", .parse = ring_pattern, .type = CFG_STRING,
     .offset = CONF(rings.name), .def = "worker-%d",
     .doc = "ring names: a pattern with exactly one %d, the ring number"},

    {.section = "rings NAME", .name = "count", .parse = cfg_uint, .type = CFG_UINT,
     .offset = GROUP(count), .def = "1", .min = 1, .max = UDPCAP_CONFIG_MAX_RINGS,
     .doc = "rings of this group"},
    {.section = "rings NAME", .name = "size", .parse = rings_size, .type = CFG_SIZE,
     .offset = GROUP(size), .min = 64ull << 10, .max = 16ull << 30, .unit = "64M",
     .doc = "bytes per ring; unset = [rings] size"},
    {.section = "rings NAME", .name = "group", .parse = cfg_optional_string, .type = CFG_STRING,
     .offset = GROUP(group), .doc = "group of the ring files; unset = [rings] group"},
    {.section = "rings NAME", .name = "name", .parse = ring_pattern, .type = CFG_STRING,
     .offset = GROUP(pattern), .doc = "ring names, one %d; unset = NAME-%d"},

    {.section = "receive", .name = "backend", .parse = cfg_choice, .type = CFG_ENUM,
     .offset = CONF(receive.backend), .def = "recvmmsg", .names = backends,
     .doc = "how receiver threads read their sockets"},
    {.section = "receive", .name = "batch", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(receive.batch), .def = "64", .min = 1, .max = 1024,
     .doc = "datagrams per receive call and records per ring publish"},
    {.section = "receive", .name = "rcvbuf", .parse = cfg_size, .type = CFG_SIZE,
     .offset = CONF(receive.rcvbuf), .def = "16M", .min = 4096,
     .max = 1ull << 30, /* SO_RCVBUF takes an int, and the kernel doubles it */
     .unit = "16M", .doc = "receive buffer of every socket"},
    {.section = "receive", .name = "threads", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(receive.threads), .def = "0", .max = UDPCAP_CONFIG_MAX_RINGS,
     .zero = "automatic", .doc = "receiver threads; 0 = min(rings, online CPUs)"},
    {.section = "receive", .name = "cpus", .parse = cpu_list, .type = CFG_CPUS,
     .offset = CONF(receive.cpus), .len = CONF(receive.cpu_count),
     .doc = "CPUs to pin receiver threads to, round robin; empty = no pinning"},
    {.section = "receive", .name = "coalesce_us", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(receive.coalesce_us), .def = "200", .max = 10000,
     .unit = "a number of microseconds", .zero = "off",
     .doc = "after a short batch, wait this long before reading again"},

    {.section = "steering", .name = "mode", .parse = cfg_choice, .type = CFG_ENUM,
     .offset = CONF(steering.mode), .def = "auto", .names = steerings,
     .doc = "how the kernel chooses the socket (= ring) of each datagram"},
    {.section = "steering", .name = "hash", .parse = cfg_choice, .type = CFG_ENUM,
     .offset = CONF(steering.hash), .def = "5-tuple", .names = hashes,
     .doc = "what the symmetric inner-flow hash covers"},

    {.section = "listener NAME", .name = "listen", .parse = socket_address,
     .type = CFG_SOCKADDR, .offset = LISTENER(addr), .len = LISTENER(addr_len),
     .doc = "ADDRESS:PORT to bind; required"},
    {.section = "listener NAME", .name = "encap", .parse = listener_encap, .type = CFG_ENCAP,
     .offset = LISTENER(encap), .def = "vxlan", .doc = "what the UDP payload carries"},
    {.section = "listener NAME", .name = "dlt", .parse = listener_dlt, .type = CFG_LINKTYPE,
     .offset = LISTENER(encap.linktype), .def = "en10mb",
     .doc = "link type of the inner packet for raw and skip=N"},
    {.section = "listener NAME", .name = "allow", .parse = listener_allow, .type = CFG_CIDRS,
     .offset = LISTENER(allow), .len = LISTENER(allow_count),
     .flags = CFG_RELOADABLE | CFG_REPEATABLE,
     .doc = "outer source networks accepted; empty = any"},
    {.section = "listener NAME", .name = "vni", .parse = listener_vni, .type = CFG_VNIS,
     .offset = LISTENER(vni), .len = LISTENER(vni_count),
     .flags = CFG_RELOADABLE | CFG_REPEATABLE, .doc = "VNIs accepted; empty = any"},

    {.section = "control", .name = "socket", .parse = control_socket, .type = CFG_STRING,
     .offset = CONF(control.socket), .def = UDPCAP_DEFAULT_CONTROL_SOCKET,
     .doc = "Unix socket answering udpcapctl"},
    {.section = "control", .name = "group", .parse = cfg_optional_string, .type = CFG_STRING,
     .offset = CONF(control.group), .doc = "group of the socket; empty = the daemon's group"},
    {.section = "control", .name = "mode", .parse = file_mode, .type = CFG_MODE,
     .offset = CONF(control.mode), .def = "0660", .doc = "octal permissions of the socket"},

    /* loopback only by default; "listen =" (empty) turns the endpoint off */
    {.section = "metrics", .name = "listen", .parse = optional_address, .type = CFG_STRING,
     .offset = CONF(metrics.listen), .def = UDPCAP_DEFAULT_METRICS_LISTEN,
     .doc = "ADDRESS:PORT of the Prometheus endpoint; empty = off"},

    {.section = "log", .name = "level", .parse = cfg_choice, .type = CFG_STRING,
     .offset = CONF(log.level), .def = "info", .names = levels, .flags = CFG_RELOADABLE,
     .doc = "least severe message logged"},

    {.section = "health", .name = "require_consumers", .parse = cfg_bool, .type = CFG_BOOL,
     .offset = CONF(health.require_consumers), .def = "no",
     .doc = "/readyz wants a consumer on every ring"},
    {.section = "health", .name = "max_dropping_ms", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(health.max_dropping_ms), .def = "0", .max = 3600000,
     .unit = "a number of milliseconds", .zero = "off",
     .doc = "/readyz fails once a ring has dropped for this long"},

    {.section = "dedup", .name = "window_us", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(dedup.window_us), .def = "0", .max = 1000000,
     .unit = "a number of microseconds", .zero = "off",
     .doc = "copies arriving within this long of each other are duplicates"},
    {.section = "dedup", .name = "ring_pps", .parse = cfg_uint, .type = CFG_UINT,
     .offset = CONF(dedup.ring_pps), .def = "1000000", .min = 1000, .max = 100000000,
     .unit = "a packet rate", .doc = "the packet rate one ring's table is sized for"},

    {.section = "tap NAME", .name = "interface", .parse = tap_interface, .type = CFG_STRING,
     .offset = TAP(interface),
     .doc = "the TAP device to write every delivered frame to; required"},

    {.name = NULL},
};

_Static_assert(sizeof(cfg_keys) / sizeof(cfg_keys[0]) <= CFG_MAX_ROWS, "raise CFG_MAX_ROWS");

/* Instance structs start with their name: the reload check matches them by it. */
_Static_assert(offsetof(struct udpcap_config_listener, name) == 0 &&
		   offsetof(struct udpcap_config_ring_group, name) == 0 &&
		   offsetof(struct udpcap_config_tap, name) == 0,
	       "named section instances start with their name");

const struct cfg_section cfg_sections[] = {
    {.name = "rings"},
    {.name = "rings NAME", .array = CONF(ring_groups), .count = CONF(ring_group_count),
     .size = sizeof(struct udpcap_config_ring_group), .line = GROUP(line),
     .max = UDPCAP_CONFIG_MAX_RING_GROUPS, .many = "[rings NAME] groups",
     .name_ok = ring_group_name,
     /* their rings and writer threads are built together at start-up */
     .whole = "[rings NAME] sections", .twin = "rings",
     .twin_note = "every group's rings share that directory"},
    {.name = "receive"},
    {.name = "steering"},
    {.name = "listener NAME", .array = CONF(listeners), .count = CONF(listener_count),
     .size = sizeof(struct udpcap_config_listener), .line = LISTENER(line),
     .max = UDPCAP_CONFIG_MAX_LISTENERS, .many = "listeners", .name_ok = listener_name},
    {.name = "control"},
    {.name = "metrics"},
    {.name = "log"},
    {.name = "health"},
    {.name = "dedup"},
    /* each receiver thread attaches a queue of every TAP at start-up */
    {.name = "tap NAME", .array = CONF(taps), .count = CONF(tap_count),
     .size = sizeof(struct udpcap_config_tap), .line = TAP(line),
     .max = UDPCAP_CONFIG_MAX_TAPS, .many = "[tap NAME] sections", .name_ok = tap_name},
    {.name = NULL},
};
