/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that udpcapd.conf parsing accepts the documented keys with their
 * defaults, and rejects every class of error with the exact
 * "FILE:LINE: message" text, reporting all errors of a file at once and
 * suggesting the nearest keyword for typos. Also covers the value helpers
 * (sizes, socket addresses, CIDRs), the shipped example config, and the
 * key-by-key comparison a reload makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <errno.h>
#include <udpcap/config.h>

#define MAX_MSGS 16

struct msgs {
	unsigned n;
	char text[MAX_MSGS][512];
};

static void collect(void *ctx, const char *message)
{
	struct msgs *m = ctx;

	if (m->n < MAX_MSGS)
		snprintf(m->text[m->n], sizeof(m->text[0]), "%s", message);
	m->n++;
}

#define LISTENER "[listener vx]\nlisten = 127.0.0.1:4789\n"

/* Parse @text and expect exactly the NULL-terminated list of messages. */
static void expect_errors(const char *text, ...)
{
	struct udpcap_config *cfg = NULL;
	struct msgs m = {0};
	const char *want;
	unsigned i = 0;
	va_list ap;
	int r;

	r = udpcap_config__parse("t.conf", text, collect, &m, &cfg);
	assert_int_equal(r, -EINVAL);
	assert_null(cfg);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *))) {
		if (i >= m.n)
			fail_msg("missing message '%s' (got %u messages)", want, m.n);
		assert_string_equal(m.text[i], want);
		i++;
	}
	va_end(ap);
	if (i != m.n)
		fail_msg("unexpected extra message '%s'", m.text[i]);
}

static struct udpcap_config *parse_ok(const char *text)
{
	struct udpcap_config *cfg = NULL;
	struct msgs m = {0};
	int r;

	r = udpcap_config__parse("t.conf", text, collect, &m, &cfg);
	if (r != 0)
		fail_msg("parse failed (%d): %s", r, m.n ? m.text[0] : "(no message)");
	assert_int_equal(m.n, 0);
	assert_non_null(cfg);
	return cfg;
}

static void test_full(void **state)
{
	struct udpcap_config *cfg = parse_ok("; comment\n"
					     "# another\n"
					     "[rings]\n"
					     "count = 3 ; inline comment\n"
					     "size = 3M\n"
					     "dir = /tmp/rings\n"
					     "group = udpcap\n"
					     "name = ring%%-%d\n"
					     "[receive]\n"
					     "backend = io_uring\n"
					     "batch = 128\n"
					     "rcvbuf = 4M\n"
					     "threads = 2\n"
					     "cpus = 0-1, 3\n"
					     "coalesce_us = 0\n"
					     "[steering]\n"
					     "mode = cbpf\n"
					     "hash = ip-pair\n"
					     "[listener a]\n"
					     "  listen = 0.0.0.0:4789\n"
					     "encap = vxlan\n"
					     "allow = 10.0.0.0/8, 192.168.1.7\n"
					     "allow = fd00::/8\n"
					     "vni = 300, 100-102\n"
					     "vni = 101\n"
					     "[listener b-2]\n"
					     "listen = [::1]:6081\n"
					     "encap = skip=16\n"
					     "dlt = raw\n"
					     "[control]\n"
					     "socket = /tmp/c.sock\n"
					     "group = wheel\n"
					     "mode = 0640\n"
					     "[metrics]\n"
					     "listen = 127.0.0.1:9754\n"
					     "[log]\n"
					     "level = debug\n");
	const struct udpcap_config_listener *a, *b;

	assert_int_equal(cfg->rings.count, 3);
	assert_int_equal(cfg->rings.size, 4u << 20); /* rounded up to a power of two */
	assert_string_equal(cfg->rings.dir, "/tmp/rings");
	assert_string_equal(cfg->rings.group, "udpcap");
	assert_string_equal(cfg->rings.name, "ring%%-%d");
	assert_int_equal(cfg->receive.backend, UDPCAP_BACKEND_IO_URING);
	assert_int_equal(cfg->receive.batch, 128);
	assert_int_equal(cfg->receive.rcvbuf, 4u << 20);
	assert_int_equal(cfg->receive.threads, 2);
	assert_int_equal(cfg->receive.cpu_count, 3);
	assert_int_equal(cfg->receive.cpus[0], 0);
	assert_int_equal(cfg->receive.cpus[1], 1);
	assert_int_equal(cfg->receive.cpus[2], 3);
	assert_int_equal(cfg->receive.coalesce_us, 0);
	assert_int_equal(cfg->steering.mode, UDPCAP_STEERING_CBPF);
	assert_int_equal(cfg->steering.hash, UDPCAP_HASH_IP_PAIR);
	assert_int_equal(cfg->listener_count, 2);
	a = &cfg->listeners[0];
	b = &cfg->listeners[1];
	assert_string_equal(a->name, "a");
	assert_int_equal(a->line, 19);
	assert_int_equal(a->addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((const struct sockaddr_in *)&a->addr)->sin_port), 4789);
	assert_int_equal(a->encap.type, UDPCAP_ENCAP_VXLAN);
	assert_int_equal(a->encap.linktype, UDPCAP_LINKTYPE_EN10MB);
	assert_int_equal(a->allow_count, 3);
	assert_int_equal(a->allow[1].prefix, 32);
	assert_int_equal(a->allow[2].family, AF_INET6);
	assert_int_equal(a->vni_count, 4); /* sorted, duplicates merged */
	assert_int_equal(a->vni[0], 100);
	assert_int_equal(a->vni[1], 101);
	assert_int_equal(a->vni[2], 102);
	assert_int_equal(a->vni[3], 300);
	assert_string_equal(b->name, "b-2");
	assert_int_equal(b->addr.ss_family, AF_INET6);
	assert_int_equal(b->addr_len, sizeof(struct sockaddr_in6));
	assert_int_equal(b->encap.type, UDPCAP_ENCAP_SKIP);
	assert_int_equal(b->encap.skip, 16);
	assert_int_equal(b->encap.linktype, UDPCAP_LINKTYPE_RAW);
	assert_string_equal(cfg->control.socket, "/tmp/c.sock");
	assert_string_equal(cfg->control.group, "wheel");
	assert_int_equal(cfg->control.mode, 0640);
	assert_string_equal(cfg->metrics.listen, "127.0.0.1:9754");
	assert_string_equal(cfg->log.level, "debug");
	assert_string_equal(cfg->path, "t.conf");
	udpcap_config__free(cfg);
}

static void test_defaults(void **state)
{
	struct udpcap_config *cfg = parse_ok(LISTENER);

	assert_int_equal(cfg->rings.count, 4);
	assert_int_equal(cfg->rings.size, 64u << 20);
	assert_string_equal(cfg->rings.dir, "/dev/shm/udpcapd");
	assert_null(cfg->rings.group);
	assert_string_equal(cfg->rings.name, "worker-%d");
	assert_int_equal(cfg->receive.backend, UDPCAP_BACKEND_RECVMMSG);
	assert_int_equal(cfg->receive.batch, 64);
	assert_int_equal(cfg->receive.rcvbuf, 16u << 20);
	assert_int_equal(cfg->receive.threads, 0);
	assert_int_equal(cfg->receive.cpu_count, 0);
	assert_int_equal(cfg->receive.coalesce_us, 200);
	assert_int_equal(cfg->steering.mode, UDPCAP_STEERING_AUTO);
	assert_int_equal(cfg->steering.hash, UDPCAP_HASH_5TUPLE);
	assert_int_equal(cfg->listeners[0].encap.type, UDPCAP_ENCAP_VXLAN);
	assert_int_equal(cfg->listeners[0].allow_count, 0);
	assert_int_equal(cfg->listeners[0].vni_count, 0);
	assert_string_equal(cfg->control.socket, "/run/udpcapd/control.sock");
	assert_int_equal(cfg->control.mode, 0660);
	/* metrics on loopback unless turned off with an empty listen = */
	assert_string_equal(cfg->metrics.listen, "127.0.0.1:9754");
	assert_string_equal(cfg->log.level, "info");
	assert_false(cfg->health.require_consumers);
	assert_int_equal(cfg->dedup.window_us, 0);
	assert_int_equal(cfg->dedup.ring_pps, 1000000);
	assert_int_equal(cfg->health.max_dropping_ms, 0);
	udpcap_config__free(cfg);
}

static void test_unknown(void **state)
{
	expect_errors("[receive]\nbakend = recvmmsg\n" LISTENER,
		      "t.conf:2: unknown key 'bakend' in [receive]; did you mean 'backend'?", NULL);
	expect_errors("[receive]\nzzzzzzzzz = 1\n" LISTENER,
		      "t.conf:2: unknown key 'zzzzzzzzz' in [receive]", NULL);
	expect_errors("[recieve]\nbatch = 1\nfoo = 2\n" LISTENER,
		      "t.conf:1: unknown section [recieve]; did you mean [receive]?", NULL);
	expect_errors("[nothing]\n" LISTENER, "t.conf:1: unknown section [nothing]", NULL);
	expect_errors(LISTENER "lisen = 1.2.3.4:5\n",
		      "t.conf:3: unknown key 'lisen' in [listener vx]; did you mean 'listen'?",
		      NULL);
	expect_errors("count = 4\n" LISTENER, "t.conf:1: key 'count' outside of any section", NULL);
}

static void test_all_errors_reported(void **state)
{
	expect_errors("[rings]\n"
		      "count = 0\n"
		      "size = 12Q\n"
		      "name = worker\n"
		      "[receive]\n"
		      "backend = dpdk\n"
		      "batch = 0\n"
		      "[steering]\n"
		      "mode = magic\n"
		      "hash = 4-tuple\n"
		      "[log]\n"
		      "level = loud\n",
		      "t.conf:2: count = '0' is not a number from 1 to 256",
		      "t.conf:3: size = '12Q' is not a size (e.g. 64M; suffixes K, M, G)",
		      "t.conf:4: name = 'worker' must contain exactly one %d (the ring number)",
		      "t.conf:6: backend = 'dpdk' is not one of recvmmsg, io_uring",
		      "t.conf:7: batch = '0' is not a number from 1 to 1024",
		      "t.conf:9: mode = 'magic' is not one of auto, ebpf, cbpf, kernel",
		      "t.conf:10: hash = '4-tuple' is not one of 5-tuple, ip-pair",
		      "t.conf:12: level = 'loud' is not one of error, warning, notice, info, debug",
		      "t.conf:12: no [listener NAME] section; at least one is required", NULL);
}

static void test_rings(void **state)
{
	expect_errors("[rings]\nname = w-%d-%d\n" LISTENER,
		      "t.conf:2: name = 'w-%d-%d' must contain exactly one %d (the ring number)",
		      NULL);
	expect_errors("[rings]\nname = w-%s\n" LISTENER,
		      "t.conf:2: name = 'w-%s' may contain only one %d conversion (found '%s')",
		      NULL);
	expect_errors("[rings]\nname = w-%5d\n" LISTENER,
		      "t.conf:2: name = 'w-%5d' may contain only one %d conversion (found '%5')",
		      NULL);
	expect_errors("[rings]\nname = a/%d\n" LISTENER,
		      "t.conf:2: name = 'a/%d' must not contain '/'", NULL);
	expect_errors("[rings]\ncount = 257\n" LISTENER,
		      "t.conf:2: count = '257' is not a number from 1 to 256", NULL);
	expect_errors("[rings]\ncount = 4x\n" LISTENER,
		      "t.conf:2: count = '4x' is not a number from 1 to 256", NULL);
	expect_errors("[rings]\nsize = 1K\n" LISTENER,
		      "t.conf:2: size = '1K' is out of range (64K to 16G)", NULL);
	expect_errors("[rings]\ndir = relative\n" LISTENER,
		      "t.conf:2: dir = 'relative' must be an absolute path", NULL);
	expect_errors("[rings]\ncount = 2\n[receive]\nthreads = 3\n" LISTENER,
		      "t.conf:4: threads = 3 is more than the 2 rings; a ring has one thread",
		      NULL);
}

/* [rings NAME]: more groups, defaults from [rings] (even when it comes later), own names */
static void test_ring_groups(void **state)
{
	struct udpcap_config *cfg = NULL;
	struct msgs m = {0};

	assert_int_equal(udpcap_config__parse("t.conf",
					      "[rings ids]\ncount = 3\n"
					      "[rings rec]\nsize = 100K\nname = rec%d\ngroup = pcap\n"
					      "[rings]\nsize = 1M\ngroup = zeek\n" LISTENER,
					      collect, &m, &cfg),
			 0);
	assert_int_equal(cfg->ring_group_count, 2);
	assert_string_equal(cfg->ring_groups[0].name, "ids");
	assert_int_equal(cfg->ring_groups[0].count, 3);
	assert_int_equal(cfg->ring_groups[0].size, 1 << 20);
	assert_string_equal(cfg->ring_groups[0].pattern, "ids-%d");
	assert_string_equal(cfg->ring_groups[0].group, "zeek");
	assert_int_equal(cfg->ring_groups[1].count, 1);
	assert_int_equal(cfg->ring_groups[1].size, 128 << 10);
	assert_string_equal(cfg->ring_groups[1].pattern, "rec%d");
	assert_string_equal(cfg->ring_groups[1].group, "pcap");
	assert_int_equal(cfg->rings.count, 4);
	assert_int_equal(m.n, 0);
	udpcap_config__free(cfg);

	expect_errors("[rings a]\ndir = /x\n" LISTENER,
		      "t.conf:2: dir = belongs in [rings]: every group's rings share that directory",
		      NULL);
	expect_errors("[rings a]\n[rings a]\n" LISTENER,
		      "t.conf:2: duplicate [rings a] (first at line 1)", NULL);
	expect_errors("[rings default]\n" LISTENER,
		      "t.conf:1: [rings default] is the unnamed [rings] section; name the group "
		      "otherwise",
		      NULL);
	expect_errors("[rings a b]\n" LISTENER,
		      "t.conf:1: ring group name 'a b' must be 1 to 31 letters, digits, '-', '_' or "
		      "'.'",
		      NULL);
	expect_errors("[rings a]\nname = worker-%d\n" LISTENER,
		      "t.conf:1: [rings a] name = worker-%d is [rings]'s too; each group needs its "
		      "own ring names",
		      NULL);
	expect_errors("[rings a]\n[rings b]\nname = a-%d\n" LISTENER,
		      "t.conf:2: [rings b] name = a-%d is [rings a]'s too; each group needs its "
		      "own ring names",
		      NULL);
}

/* [tap NAME]: one interface each, never shared, named as the kernel allows */
static void test_taps(void **state)
{
	struct udpcap_config *cfg = parse_ok("[tap ids]\ninterface = udpcap0\n"
					     "[tap arkime]\ninterface = udpcap-ark.1\n" LISTENER);

	assert_int_equal(cfg->tap_count, 2);
	assert_string_equal(cfg->taps[0].name, "ids");
	assert_string_equal(cfg->taps[0].interface, "udpcap0");
	assert_int_equal(cfg->taps[0].line, 1);
	assert_string_equal(cfg->taps[1].interface, "udpcap-ark.1");
	udpcap_config__free(cfg);

	expect_errors("[tap]\ninterface = udpcap0\n" LISTENER,
		      "t.conf:1: [tap] needs a name: [tap NAME]", NULL);
	expect_errors("[tap a]\n" LISTENER,
		      "t.conf:1: [tap a] has no interface = (the TAP device to write to)", NULL);
	expect_errors("[tap a]\ninterface = udpcap0\n[tap a]\ninterface = udpcap1\n" LISTENER,
		      "t.conf:3: duplicate [tap a] (first at line 1)", NULL);
	expect_errors("[tap a]\ninterface = udpcap0\n[tap b]\ninterface = udpcap0\n" LISTENER,
		      "t.conf:3: [tap b] interface = udpcap0 is [tap a]'s too (line 1); each "
		      "interface gets every frame once",
		      NULL);
	expect_errors("[tap a]\ninterface = a-very-long-name0\n" LISTENER,
		      "t.conf:2: interface = 'a-very-long-name0' is too long (an interface name "
		      "has at most 15 characters)",
		      "t.conf:1: [tap a] has no interface = (the TAP device to write to)", NULL);
	expect_errors("[tap a]\ninterface = eth0:1\n" LISTENER,
		      "t.conf:2: interface = 'eth0:1' must not contain '/', ':', spaces or control "
		      "characters",
		      "t.conf:1: [tap a] has no interface = (the TAP device to write to)", NULL);
	expect_errors("[tap a]\ninterfaces = udpcap0\n" LISTENER,
		      "t.conf:2: unknown key 'interfaces' in [tap a]; did you mean 'interface'?",
		      "t.conf:1: [tap a] has no interface = (the TAP device to write to)", NULL);
}

static void test_receive(void **state)
{
	expect_errors("[receive]\nrcvbuf = 2G\ncpus = 3-1\n" LISTENER,
		      "t.conf:2: rcvbuf = '2G' is out of range (4K to 1G)",
		      "t.conf:3: cpus = '3-1': CPU range must be ascending and below 1024", NULL);
	expect_errors("[receive]\ncoalesce_us = 20000\n" LISTENER,
		      "t.conf:2: coalesce_us = '20000' is not a number of microseconds from 0 "
		      "(off) to 10000",
		      NULL);
	expect_errors("[dedup]\nwindow_us = 2000000\nring_pps = 10\n" LISTENER,
		      "t.conf:2: window_us = '2000000' is not a number of microseconds from 0 "
		      "(off) to 1000000",
		      "t.conf:3: ring_pps = '10' is not a packet rate from 1000 to 100000000", NULL);
	expect_errors("[health]\nrequire_consumers = maybe\nmax_dropping_ms = -1\n" LISTENER,
		      "t.conf:2: require_consumers = 'maybe' is not yes or no",
		      "t.conf:3: max_dropping_ms = '-1' is not a number of milliseconds from 0 "
		      "(off) to 3600000",
		      NULL);
	{
		struct udpcap_config *cfg = parse_ok("[health]\nrequire_consumers = Yes\n"
						     "max_dropping_ms = 30000\n" LISTENER);

		udpcap_config__free(cfg);
		cfg = parse_ok("[dedup]\nwindow_us = 1000\nring_pps = 200000\n" LISTENER);
		assert_int_equal(cfg->dedup.window_us, 1000);
		assert_int_equal(cfg->dedup.ring_pps, 200000);
		udpcap_config__free(cfg);
		cfg = parse_ok("[health]\nrequire_consumers = Yes\n"
			       "max_dropping_ms = 30000\n" LISTENER);
		assert_true(cfg->health.require_consumers);
		assert_int_equal(cfg->health.max_dropping_ms, 30000);
		udpcap_config__free(cfg);
	}
	expect_errors("[receive]\ncpus = one\n" LISTENER,
		      "t.conf:2: cpus = 'one' is not a CPU list (e.g. 0-3,6)", NULL);
}

static void test_listeners(void **state)
{
	expect_errors("[listener]\nlisten = 1.2.3.4:5\n",
		      "t.conf:1: [listener] needs a name: [listener NAME]",
		      "t.conf:2: no [listener NAME] section; at least one is required", NULL);
	expect_errors("[listener a b]\n",
		      "t.conf:1: listener name 'a b' may contain only "
		      "letters, digits, '-', '_' and '.'",
		      "t.conf:1: no [listener NAME] section; at least one is required", NULL);
	expect_errors("[listener a]\nencap = vxlan\n",
		      "t.conf:1: [listener a] has no listen = ADDRESS:PORT", NULL);
	/* one precise message for a wrong listen =, not a second "has no listen" */
	expect_errors("[listener a]\nlisten = 1.2.3.4\n",
		      "t.conf:2: listen = '1.2.3.4' is not ADDRESS:PORT: the port is missing", NULL);
	expect_errors("[listener a]\nlisten = ::1:4789\n",
		      "t.conf:2: listen = '::1:4789' is not ADDRESS:PORT: IPv6 needs brackets, "
		      "[ADDRESS]:PORT",
		      NULL);
	expect_errors("[listener a]\nlisten = 127.0.0.1:70000\n",
		      "t.conf:2: listen = '127.0.0.1:70000': port 70000 is out of range (0 to 65535)",
		      NULL);
	expect_errors("[listener a]\nlisten = 127.0.0.1:x1\n",
		      "t.conf:2: listen = '127.0.0.1:x1': port 'x1' is not a number", NULL);
	expect_errors("[listener a]\nlisten = 127.0.0.300:1\n",
		      "t.conf:2: listen = '127.0.0.300:1': '127.0.0.300' is not an IPv4 address",
		      NULL);
	expect_errors("[listener a]\nlisten = [::g]:1\n",
		      "t.conf:2: listen = '[::g]:1': '::g' is not an IPv6 address", NULL);
	expect_errors("[listener a]\nlisten = [::1]\n",
		      "t.conf:2: listen = '[::1]' is not ADDRESS:PORT: write IPv6 as [ADDRESS]:PORT",
		      NULL);
	expect_errors("[listener a]\nlisten = 0.0.0.0:4789\n"
		      "[listener b]\nlisten = [::]:4789\n"
		      "[listener c]\nlisten = 0.0.0.0:4789\n",
		      "t.conf:6: [listener c] listens on the same address as [listener a] (line 2)",
		      NULL);
	expect_errors("[listener a]\nlisten = 0.0.0.0:1\n[listener a]\nlisten = 0.0.0.0:2\n",
		      "t.conf:3: duplicate [listener a] (first at line 1)", NULL);
}

static void test_encap(void **state)
{
	expect_errors(LISTENER "encap = nvgre\n",
		      "t.conf:3: encap = 'nvgre' is not one of vxlan, geneve, geneve+vxlan, raw, "
		      "skip=N (N up to 9216)",
		      NULL);
	expect_errors(LISTENER "encap = skip=99999\n",
		      "t.conf:3: encap = 'skip=99999' is not one of vxlan, geneve, geneve+vxlan, "
		      "raw, skip=N (N up to 9216)",
		      NULL);
	expect_errors(LISTENER "dlt = tokenring\n",
		      "t.conf:3: dlt = 'tokenring' is not one of en10mb, raw, ppp", NULL);
	expect_errors(LISTENER "dlt = raw\nencap = vxlan\n",
		      "t.conf:3: dlt = raw does not fit encap = vxlan, which always carries "
		      "Ethernet (en10mb)",
		      NULL);
	expect_errors(LISTENER "encap = geneve+vxlan\ndlt = ppp\n",
		      "t.conf:4: dlt = ppp does not fit encap = geneve+vxlan, which always "
		      "carries Ethernet (en10mb)",
		      NULL);
	expect_errors(LISTENER "vni = 5\nencap = skip=4\n",
		      "t.conf:3: vni = does not apply to encap = skip, which carries no VNI "
		      "(every datagram would be dropped)",
		      NULL);
	/* geneve + dlt, as the seed plugin's configs have it: accepted with a notice */
	{
		struct udpcap_config *cfg = NULL;
		struct msgs m = {0};

		assert_int_equal(udpcap_config__parse("t.conf", LISTENER "encap = geneve\ndlt = raw\n",
						      collect, &m, &cfg),
				 0);
		assert_int_equal(m.n, 1);
		assert_string_equal(m.text[0], "t.conf:4: notice: dlt = raw is ignored for encap = "
						"geneve: each packet's GENEVE protocol type decides "
						"its link type");
		assert_int_equal(cfg->listeners[0].encap.type, UDPCAP_ENCAP_GENEVE);
		assert_int_equal(cfg->listeners[0].encap.linktype, UDPCAP_LINKTYPE_EN10MB);
		udpcap_config__free(cfg);
	}
	/* raw and skip take their link type from dlt, in either order */
	{
		struct udpcap_config *cfg = parse_ok(LISTENER "dlt = ppp\nencap = raw\n");

		assert_int_equal(cfg->listeners[0].encap.type, UDPCAP_ENCAP_RAW);
		assert_int_equal(cfg->listeners[0].encap.linktype, UDPCAP_LINKTYPE_PPP);
		udpcap_config__free(cfg);
	}
}

static void test_filters(void **state)
{
	expect_errors(LISTENER "allow = 10.0.0.0/33\n",
		      "t.conf:3: allow = '10.0.0.0/33' is not an address or CIDR (10.0.0.0/8, "
		      "fd00::/8)",
		      NULL);
	expect_errors(LISTENER "allow = 10.0.0.1/8\n",
		      "t.conf:3: allow = '10.0.0.1/8' has host bits set after the prefix length",
		      NULL);
	expect_errors(LISTENER "allow = example.com\n",
		      "t.conf:3: allow = 'example.com' is not an address or CIDR (10.0.0.0/8, "
		      "fd00::/8)",
		      NULL);
	expect_errors(LISTENER "vni = 16777216\n",
		      "t.conf:3: vni = '16777216': a VNI is 0 to 16777215", NULL);
	expect_errors(LISTENER "vni = 9-3\n", "t.conf:3: vni = '9-3': range 9-3 is descending",
		      NULL);
	expect_errors(LISTENER "vni = 1, two\n",
		      "t.conf:3: vni = '1, two' is not a list of VNIs (e.g. 100, 200-210)", NULL);
	expect_errors(LISTENER "vni = 0-2000\n", "t.conf:3: vni = lists more than 1024 VNIs", NULL);
	{
		struct udpcap_config *cfg = parse_ok(LISTENER "vni = 0, 16777215\n");

		assert_int_equal(cfg->listeners[0].vni_count, 2);
		assert_int_equal(cfg->listeners[0].vni[1], 16777215);
		udpcap_config__free(cfg);
	}
}

static void test_syntax(void **state)
{
	char longline[400];

	expect_errors("[rings]\ncount = 2\ncount = 3\n" LISTENER,
		      "t.conf:3: duplicate key 'count' (first at line 2)", NULL);
	expect_errors("[rings]\n[rings]\n" LISTENER,
		      "t.conf:2: duplicate section [rings] (first at line 1)", NULL);
	expect_errors("[rings\n" LISTENER, "t.conf:1: section header has no closing ']'", NULL);
	expect_errors("[rings]\njust words\n" LISTENER,
		      "t.conf:2: expected 'key = value' or '[section]'", NULL);
	expect_errors("[receive x]\n" LISTENER,
		      "t.conf:1: section [receive] takes no name "
		      "(found 'x')",
		      NULL);
	snprintf(longline, sizeof(longline), LISTENER "allow = %0300d\n", 0);
	expect_errors(longline,
		      "t.conf:3: line is too long (max 198 characters); split allow = and vni = "
		      "lists over several lines",
		      NULL);
	expect_errors("[control]\nsocket = rel\nmode = 999\n[metrics]\nlisten = nope\n" LISTENER,
		      "t.conf:2: socket = 'rel' must be an absolute path",
		      "t.conf:3: mode = '999' is not an octal file mode (e.g. 0660)",
		      "t.conf:5: listen = 'nope' is not ADDRESS:PORT: the port is missing",
		      NULL);
}

static void test_load(void **state)
{
	struct udpcap_config *cfg = NULL;
	struct msgs m = {0};
	char path[4096];
	const char *src = getenv("UDPCAP_SOURCE_ROOT");

	assert_int_equal(udpcap_config__load("/nonexistent/u.conf", collect, &m, &cfg), -ENOENT);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.text[0],
			    "/nonexistent/u.conf: cannot open: No such file or directory");
	assert_null(cfg);

	/* The shipped example documents every key and must be valid. */
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/conf/udpcapd.conf", src);
	m.n = 0;
	assert_int_equal(udpcap_config__load(path, collect, &m, &cfg), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(cfg->listener_count, 1);
	assert_string_equal(cfg->metrics.listen, "127.0.0.1:9754");
	assert_string_equal(cfg->log.level, "info");
	udpcap_config__free(cfg);
	udpcap_config__free(NULL);
}

struct changes {
	unsigned n;
	char key[8][96];
	bool reloadable[8];
};

static void on_change(void *ctx, const char *key, bool reloadable)
{
	struct changes *ch = ctx;

	if (ch->n < 8) {
		snprintf(ch->key[ch->n], sizeof(ch->key[0]), "%s", key);
		ch->reloadable[ch->n] = reloadable;
	}
	ch->n++;
}

/* What SIGHUP compares: every key by its row, listeners by name. */
static void test_diff(void **state)
{
	struct udpcap_config *a = parse_ok("[health]\nmax_dropping_ms = 10\n"
					   "[listener vx]\nlisten = 127.0.0.1:4789\nvni = 1\n"
					   "[listener gone]\nlisten = 127.0.0.1:1\n");
	struct udpcap_config *b = parse_ok("[health]\nmax_dropping_ms = 20\n"
					   "[listener vx]\nlisten = 127.0.0.1:4789\nvni = 2\n"
					   "[listener new]\nlisten = 127.0.0.1:2\n[rings r]\n");
	struct changes ch = {0};

	assert_int_equal(udpcap_config__diff(a, a, on_change, &ch), 0);
	assert_int_equal(ch.n, 0);
	assert_int_equal(udpcap_config__diff(a, b, on_change, &ch), 4);
	assert_int_equal(ch.n, 5);
	assert_string_equal(ch.key[0], "[rings NAME] sections");
	assert_string_equal(ch.key[1], "[listener vx] vni");
	assert_true(ch.reloadable[1]);
	assert_string_equal(ch.key[2], "[listener gone] (removed)");
	assert_string_equal(ch.key[3], "[listener new] (added)");
	assert_string_equal(ch.key[4], "[health] max_dropping_ms");
	assert_false(ch.reloadable[4]);
	udpcap_config__free(a);
	udpcap_config__free(b);
}

static void test_values(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct udpcap_cidr c;
	struct udpcap_encap e;
	uint64_t v;
	socklen_t len;
	uint16_t lt;

	assert_int_equal(udpcap_parse_size("64M", &v), 0);
	assert_int_equal(v, 64u << 20);
	assert_int_equal(udpcap_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(udpcap_parse_size("512k", &v), 0);
	assert_int_equal(v, 512u << 10);
	assert_int_equal(udpcap_parse_size("7", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(udpcap_parse_size("M", &v), -EINVAL);
	assert_int_equal(udpcap_parse_size("-1", &v), -EINVAL);
	assert_int_equal(udpcap_parse_size("99999999999999G", &v), -ERANGE);

	assert_int_equal(udpcap_parse_sockaddr("[fe80::1]:1", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(udpcap_parse_sockaddr("1.2.3.4:", &ss, &len), -EINVAL);
	assert_int_equal(udpcap_parse_sockaddr("[::1]6081", &ss, &len), -EINVAL);

	assert_int_equal(udpcap_parse_cidr("10.1.0.0/16", &c), 0);
	inet_pton(AF_INET, "10.1.200.3", &sin.sin_addr);
	assert_true(udpcap_cidr_match(&c, (struct sockaddr *)&sin));
	inet_pton(AF_INET, "10.2.0.1", &sin.sin_addr);
	assert_false(udpcap_cidr_match(&c, (struct sockaddr *)&sin));
	/* an IPv4-mapped source on a dual-stack socket matches the IPv4 network */
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &sin6.sin6_addr);
	assert_true(udpcap_cidr_match(&c, (struct sockaddr *)&sin6));
	assert_int_equal(udpcap_parse_cidr("fd00::/9", &c), 0);
	inet_pton(AF_INET6, "fd7f::1", &sin6.sin6_addr);
	assert_true(udpcap_cidr_match(&c, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "fd80::1", &sin6.sin6_addr);
	assert_false(udpcap_cidr_match(&c, (struct sockaddr *)&sin6));
	assert_false(udpcap_cidr_match(&c, (struct sockaddr *)&sin));
	assert_int_equal(udpcap_parse_cidr("0.0.0.0/0", &c), 0);
	assert_true(udpcap_cidr_match(&c, (struct sockaddr *)&sin));

	assert_int_equal(udpcap_parse_encap("GENEVE+VXLAN", &e), 0);
	assert_int_equal(e.type, UDPCAP_ENCAP_GENEVE_VXLAN);
	assert_string_equal(udpcap_encap_name(e.type), "geneve+vxlan");
	assert_int_equal(udpcap_parse_linktype("ppp", &lt), 0);
	assert_int_equal(lt, UDPCAP_LINKTYPE_PPP);
	assert_string_equal(udpcap_linktype_name(UDPCAP_LINKTYPE_RAW), "raw");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),      cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_unknown),   cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_rings),     cmocka_unit_test(test_ring_groups),
	    cmocka_unit_test(test_taps),
	    cmocka_unit_test(test_receive),
	    cmocka_unit_test(test_listeners), cmocka_unit_test(test_encap),
	    cmocka_unit_test(test_filters),   cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_load),      cmocka_unit_test(test_values),
	    cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
