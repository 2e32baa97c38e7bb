/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves udpcap_decap() on handcrafted payloads: every encapsulation (raw
 * and skip=N for each link type, VXLAN, GENEVE with Ethernet/IPv4/IPv6
 * inside, GENEVE+VXLAN over IPv4 with options and IPv6 with extension
 * headers) finds the inner packet, link type and VNI(s); every error reason
 * is produced by the payload it names; ret_* is untouched on failure; the
 * reason names are the stable labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pkt.h"

static struct pkt inner_eth(void)
{
	struct tflow f = {.family = 4, .src = {10, 0, 0, 1}, .dst = {10, 0, 0, 2}, .proto = 17,
			  .sport = 1000, .dport = 2000, .payload = 4};
	struct pkt p = {.len = 0};

	pkt_flow(&p, &f, UDPCAP_LINKTYPE_EN10MB);
	return p;
}

static enum udpcap_decap_reason dec(enum udpcap_encap_type type, const struct pkt *p,
				    struct udpcap_decap *d)
{
	struct udpcap_encap enc = {.type = type};
	struct udpcap_decap untouched;
	enum udpcap_decap_reason r;

	memset(d, 0x5a, sizeof(*d));
	memcpy(&untouched, d, sizeof(untouched));
	r = udpcap_decap(&enc, p->b, p->len, d);
	if (r != UDPCAP_DECAP_OK)
		assert_memory_equal(d, &untouched, sizeof(*d));
	return r;
}

/* Every prefix of @p with length in [from, to) gives @reason. */
static void expect_prefixes(enum udpcap_encap_type type, const struct pkt *p, size_t from,
			    size_t to, enum udpcap_decap_reason reason)
{
	static struct pkt q;
	struct udpcap_decap d;

	for (size_t l = from; l < to; l++) {
		q = *p;
		q.len = l;
		if (dec(type, &q, &d) != reason)
			fail_msg("length %zu: %s, expected %s", l,
				 udpcap_decap_reason_str(dec(type, &q, &d)),
				 udpcap_decap_reason_str(reason));
	}
}

static void test_raw_and_skip(void **state)
{
	static const uint16_t lts[] = {UDPCAP_LINKTYPE_EN10MB, UDPCAP_LINKTYPE_RAW,
				       UDPCAP_LINKTYPE_PPP};
	uint8_t b[10] = {0};
	struct udpcap_decap d;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct udpcap_encap raw = {.type = UDPCAP_ENCAP_RAW, .linktype = lts[i]};
		struct udpcap_encap skip = {.type = UDPCAP_ENCAP_SKIP, .skip = 4, .linktype = lts[i]};

		assert_int_equal(udpcap_decap(&raw, b, sizeof(b), &d), UDPCAP_DECAP_OK);
		assert_int_equal(d.inner_off, 0);
		assert_int_equal(d.inner_len, 10);
		assert_int_equal(d.linktype, lts[i]);
		assert_int_equal(d.flags, 0);
		assert_int_equal(udpcap_decap(&raw, b, 0, &d), UDPCAP_DECAP_EMPTY);

		assert_int_equal(udpcap_decap(&skip, b, sizeof(b), &d), UDPCAP_DECAP_OK);
		assert_int_equal(d.inner_off, 4);
		assert_int_equal(d.inner_len, 6);
		assert_int_equal(d.linktype, lts[i]);
		assert_int_equal(udpcap_decap(&skip, b, 4, &d), UDPCAP_DECAP_EMPTY);
		assert_int_equal(udpcap_decap(&skip, b, 3, &d), UDPCAP_DECAP_SKIP_SHORT);
		skip.skip = 0;
		assert_int_equal(udpcap_decap(&skip, b, 1, &d), UDPCAP_DECAP_OK);
		assert_int_equal(udpcap_decap(&skip, b, 0, &d), UDPCAP_DECAP_EMPTY);
	}
}

static void test_vxlan(void **state)
{
	struct pkt in = inner_eth(), p = {.len = 0}, q;
	struct udpcap_decap d;

	(void)state;
	pkt_vxlan(&p, 0xabcdef, &in);
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &p, &d), UDPCAP_DECAP_OK);
	assert_int_equal(d.inner_off, 8);
	assert_int_equal(d.inner_len, in.len);
	assert_memory_equal(p.b + d.inner_off, in.b, in.len);
	assert_int_equal(d.linktype, UDPCAP_LINKTYPE_EN10MB);
	assert_int_equal(d.flags, UDPCAP_DECAP_F_VXLAN_VNI);
	assert_int_equal(d.vxlan_vni, 0xabcdef);

	/* GBP and other flag bits besides I do not matter */
	q = p;
	q.b[0] = 0x88;
	q.b[7] = 0xff;
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &q, &d), UDPCAP_DECAP_OK);
	assert_int_equal(d.vxlan_vni, 0xabcdef);

	q = p;
	q.b[0] = 0x00;
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &q, &d), UDPCAP_DECAP_VXLAN_NO_VNI);
	q.b[0] = 0xf7;
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &q, &d), UDPCAP_DECAP_VXLAN_NO_VNI);
	expect_prefixes(UDPCAP_ENCAP_VXLAN, &p, 0, 8, UDPCAP_DECAP_VXLAN_SHORT);
	q = p;
	q.len = 8;
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &q, &d), UDPCAP_DECAP_EMPTY);
	q.len = 9;
	assert_int_equal(dec(UDPCAP_ENCAP_VXLAN, &q, &d), UDPCAP_DECAP_OK);
	assert_int_equal(d.inner_len, 1);
}

static void test_geneve(void **state)
{
	struct pkt in = inner_eth(), ip = {.len = 0}, p, q;
	struct udpcap_decap d;
	static const struct {
		uint16_t proto;
		uint16_t linktype;
	} protos[] = {
		{0x6558, UDPCAP_LINKTYPE_EN10MB},
		{0x0800, UDPCAP_LINKTYPE_RAW},
		{0x86dd, UDPCAP_LINKTYPE_RAW},
	};

	(void)state;
	/* an IP packet for the 0x0800/0x86DD cases (content is not checked by decap) */
	pkt_put(&ip, in.b + 14, in.len - 14);
	for (unsigned i = 0; i < 3; i++) {
		for (int opt = 0; opt <= 63; opt += 21) {
			const struct pkt *inner = protos[i].linktype == UDPCAP_LINKTYPE_RAW ? &ip : &in;

			memset(&p, 0, sizeof(p));
			pkt_geneve(&p, 0x123456, protos[i].proto, opt, inner);
			assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &p, &d), UDPCAP_DECAP_OK);
			assert_int_equal(d.inner_off, 8 + 4 * opt);
			assert_int_equal(d.inner_len, inner->len);
			assert_memory_equal(p.b + d.inner_off, inner->b, inner->len);
			assert_int_equal(d.linktype, protos[i].linktype);
			assert_int_equal(d.flags, UDPCAP_DECAP_F_GENEVE_VNI);
			assert_int_equal(d.geneve_vni, 0x123456);
			assert_int_equal(d.geneve_opt_off, 8);
			assert_int_equal(d.geneve_opt_len, 4 * opt);
		}
	}
	memset(&p, 0, sizeof(p));
	pkt_geneve(&p, 7, 0x6558, 2, &in);
	/* O and C flag bits are fine */
	q = p;
	q.b[1] = 0xc0;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &q, &d), UDPCAP_DECAP_OK);
	for (int v = 1; v < 4; v++) {
		q = p;
		q.b[0] |= (uint8_t)(v << 6);
		assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &q, &d), UDPCAP_DECAP_GENEVE_VERSION);
	}
	expect_prefixes(UDPCAP_ENCAP_GENEVE, &p, 0, 8, UDPCAP_DECAP_GENEVE_SHORT);
	expect_prefixes(UDPCAP_ENCAP_GENEVE, &p, 8, 16, UDPCAP_DECAP_GENEVE_OPTLEN);
	q = p;
	q.len = 16;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &q, &d), UDPCAP_DECAP_EMPTY);
	q = p;
	q.b[0] = 0x3f; /* 252 bytes of options, more than there is */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &q, &d), UDPCAP_DECAP_GENEVE_OPTLEN);
	q = p;
	q.b[2] = 0x88; /* 0x8847 MPLS: not something we can name a link type for */
	q.b[3] = 0x47;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE, &q, &d), UDPCAP_DECAP_GENEVE_PROTO);
}

static void test_gwlb_ok(void **state)
{
	struct pkt in = inner_eth(), p;
	struct udpcap_decap d;

	(void)state;
	for (int family = 4; family <= 6; family += 2) {
		for (int ext = 0; ext <= 3; ext++) {
			size_t iplen = family == 4 ? 20 + 4 * (size_t)ext : 40 + 8 * (size_t)ext;

			memset(&p, 0, sizeof(p));
			pkt_gwlb(&p, 0x1092, 4242, family, ext, &in);
			assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &p, &d), UDPCAP_DECAP_OK);
			assert_int_equal(d.flags,
					 UDPCAP_DECAP_F_GENEVE_VNI | UDPCAP_DECAP_F_VXLAN_VNI);
			assert_int_equal(d.geneve_vni, 0x1092);
			assert_int_equal(d.vxlan_vni, 4242);
			assert_int_equal(d.geneve_opt_len, 8);
			assert_int_equal(d.inner_off, 16 + iplen + 8 + 8);
			assert_int_equal(d.inner_len, in.len);
			assert_memory_equal(p.b + d.inner_off, in.b, in.len);
			assert_int_equal(d.linktype, UDPCAP_LINKTYPE_EN10MB);
		}
	}
}

static void test_gwlb_errors(void **state)
{
	struct pkt in = inner_eth(), p4, p6, q;
	struct udpcap_decap d;
	const size_t ip4 = 16, ip6 = 16; /* GENEVE header + 8 bytes of options */

	(void)state;
	memset(&p4, 0, sizeof(p4));
	memset(&p6, 0, sizeof(p6));
	pkt_gwlb(&p4, 1, 2, 4, 1, &in);	 /* IPv4 with 4 bytes of options */
	pkt_gwlb(&p6, 1, 2, 6, 2, &in); /* IPv6 with two dest-opt headers of 8 */

	/* GENEVE errors come first */
	q = p4;
	q.len = 5;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GENEVE_SHORT);
	q = p4;
	q.b[2] = 0x65; /* 0x6558: Ethernet is not the GWLB layout */
	q.b[3] = 0x58;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GENEVE_PROTO);

	/* the IP header */
	expect_prefixes(UDPCAP_ENCAP_GENEVE_VXLAN, &p4, ip4, ip4 + 24, UDPCAP_DECAP_GWLB_IP);
	q = p4;
	q.b[ip4] = 0x44; /* IHL 4 < 5 */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_IP);
	q = p4;
	q.b[ip4] = 0x65; /* version 6 while GENEVE says IPv4 */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_IP);
	q = p4;
	q.b[ip4] = 0x4f; /* 60-byte header, longer than the payload left */
	q.len = ip4 + 50;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_IP);
	expect_prefixes(UDPCAP_ENCAP_GENEVE_VXLAN, &p6, ip6, ip6 + 56, UDPCAP_DECAP_GWLB_IP);
	q = p6;
	q.b[ip6 + 41] = 200; /* first extension header claims 1608 bytes */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_IP);

	/* not UDP */
	q = p4;
	q.b[ip4 + 9] = 6;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
	q = p4;
	q.b[ip4 + 7] = 0x10; /* a later fragment */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
	q = p4;
	q.b[ip4 + 6] = 0x20; /* a first fragment still starts with the UDP header */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_OK);
	q = p6;
	q.b[ip6 + 40 + 8] = 6; /* second ext header says TCP follows */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
	q = p6;
	q.b[ip6 + 40 + 8] = 59; /* no next header */
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
	{
		/* seven extension headers: more than the walk follows */
		struct pkt ip = {.len = 0}, g = {.len = 0};
		struct tflow t = {.family = 6, .proto = 17, .ip6_ext = 7, .dport = 4789};

		pkt_ipv6(&ip, &t);
		pkt_vxlan(&ip, 9, &in);
		pkt_geneve(&g, 1, 0x86dd, 0, &ip);
		assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &g, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
		t.ip6_ext = 6;
		memset(&ip, 0, sizeof(ip));
		memset(&g, 0, sizeof(g));
		pkt_ipv6(&ip, &t);
		pkt_vxlan(&ip, 9, &in);
		pkt_geneve(&g, 1, 0x86dd, 0, &ip);
		assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &g, &d), UDPCAP_DECAP_OK);
		assert_int_equal(d.vxlan_vni, 9);
	}
	{
		/* IPv6 later fragment: no UDP header there */
		struct pkt ip = {.len = 0}, g = {.len = 0};
		struct tflow t = {.family = 6, .proto = 17, .frag = TFRAG_LATER, .payload = 30};

		pkt_ipv6(&ip, &t);
		pkt_geneve(&g, 1, 0x86dd, 0, &ip);
		assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &g, &d), UDPCAP_DECAP_GWLB_NOT_UDP);
	}

	/* the UDP header, then the VXLAN header */
	expect_prefixes(UDPCAP_ENCAP_GENEVE_VXLAN, &p4, ip4 + 24, ip4 + 32,
			UDPCAP_DECAP_GWLB_UDP_SHORT);
	expect_prefixes(UDPCAP_ENCAP_GENEVE_VXLAN, &p6, ip6 + 56, ip6 + 64,
			UDPCAP_DECAP_GWLB_UDP_SHORT);
	expect_prefixes(UDPCAP_ENCAP_GENEVE_VXLAN, &p4, ip4 + 32, ip4 + 40,
			UDPCAP_DECAP_VXLAN_SHORT);
	q = p4;
	q.b[ip4 + 32] = 0;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_VXLAN_NO_VNI);
	q = p4;
	q.len = ip4 + 40;
	assert_int_equal(dec(UDPCAP_ENCAP_GENEVE_VXLAN, &q, &d), UDPCAP_DECAP_EMPTY);
}

static void test_unknown_encap(void **state)
{
	struct udpcap_encap enc = {.type = (enum udpcap_encap_type)99};
	struct udpcap_decap d;
	uint8_t b[64] = {0};

	(void)state;
	assert_int_equal(udpcap_decap(&enc, b, sizeof(b), &d), UDPCAP_DECAP_EMPTY);
}

static void test_reason_names(void **state)
{
	static const char *const names[UDPCAP_DECAP__COUNT] = {
		"ok",	       "empty",		 "vxlan_short",	  "vxlan_no_vni",
		"geneve_short", "geneve_version", "geneve_optlen", "geneve_proto",
		"gwlb_ip",     "gwlb_not_udp",	 "gwlb_udp_short", "skip_short",
	};

	(void)state;
	for (int r = 0; r < UDPCAP_DECAP__COUNT; r++)
		assert_string_equal(udpcap_decap_reason_str((enum udpcap_decap_reason)r), names[r]);
	assert_null(udpcap_decap_reason_str(UDPCAP_DECAP__COUNT));
	assert_null(udpcap_decap_reason_str((enum udpcap_decap_reason)-1));
}

static void test_steer_matches_steps(void **state)
{
	struct pkt in = inner_eth(), p = {.len = 0};
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
	struct udpcap_decap d;
	struct udpcap_flow f;
	uint32_t h = 7;

	(void)state;
	pkt_vxlan(&p, 5, &in);
	assert_int_equal(udpcap_steer(&enc, UDPCAP_HASH_5TUPLE, p.b, p.len, &h), UDPCAP_DECAP_OK);
	assert_int_equal(udpcap_decap(&enc, p.b, p.len, &d), UDPCAP_DECAP_OK);
	assert_int_equal(udpcap_flow_parse(d.linktype, p.b + d.inner_off, d.inner_len, &f), 0);
	assert_int_equal(h, udpcap_flow_hash(&f, UDPCAP_HASH_5TUPLE));
	h = 7;
	p.b[0] = 0;
	assert_int_equal(udpcap_steer(&enc, UDPCAP_HASH_5TUPLE, p.b, p.len, &h),
			 UDPCAP_DECAP_VXLAN_NO_VNI);
	assert_int_equal(h, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_and_skip),	 cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_geneve),		 cmocka_unit_test(test_gwlb_ok),
		cmocka_unit_test(test_gwlb_errors),	 cmocka_unit_test(test_unknown_encap),
		cmocka_unit_test(test_reason_names),	 cmocka_unit_test(test_steer_matches_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
