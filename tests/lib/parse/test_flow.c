/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves udpcap_flow_parse() on handcrafted inner packets: Ethernet with 0,
 * 1, 2 VLAN tags (802.1Q, 802.1ad; a third is not followed), IPv4 with
 * options, IPv6 with hop-by-hop/routing/dest-opt/AH/fragment headers,
 * TCP/UDP/SCTP ports, ICMP/ICMPv6, first and later fragments, raw and PPP
 * link types, ARP, other ethertypes, cut-short packets and unknown link
 * types; and that the same IP packet hashes alike whatever its link layer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pkt.h"

static const struct tflow base4 = {
	.family = 4, .src = {10, 1, 2, 3}, .dst = {172, 16, 0, 9}, .proto = 6,
	.sport = 40000, .dport = 443, .payload = 10,
};

static const struct tflow base6 = {
	.family = 6,
	.src = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34},
	.dst = {0xfe, 0x80, [15] = 0x01},
	.proto = 17, .sport = 5353, .dport = 53, .payload = 10,
};

static struct udpcap_flow parse(const struct tflow *t, int linktype)
{
	struct pkt p = {.len = 0};
	struct udpcap_flow f;

	pkt_flow(&p, t, linktype);
	assert_int_equal(udpcap_flow_parse((uint16_t)linktype, p.b, p.len, &f), 0);
	return f;
}

static void assert_flow(const struct udpcap_flow *f, const struct tflow *t, int ports, int frag)
{
	size_t alen = t->family == 6 ? 16 : 4;
	uint8_t zero[16] = {0};

	assert_int_equal(f->flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6),
			 t->family == 6 ? UDPCAP_FLOW_F_IPV6 : UDPCAP_FLOW_F_IPV4);
	assert_int_equal(f->ethertype, t->family == 6 ? 0x86dd : 0x0800);
	assert_memory_equal(f->src, t->src, alen);
	assert_memory_equal(f->dst, t->dst, alen);
	assert_memory_equal((const uint8_t *)f->src + alen, zero, 16 - alen);
	assert_memory_equal((const uint8_t *)f->dst + alen, zero, 16 - alen);
	assert_int_equal(f->proto, t->proto);
	assert_int_equal(!!(f->flags & UDPCAP_FLOW_F_PORTS), ports);
	assert_int_equal(!!(f->flags & UDPCAP_FLOW_F_FRAG), frag);
	if (ports) {
		assert_int_equal(f->sport, t->sport);
		assert_int_equal(f->dport, t->dport);
	} else {
		assert_int_equal(f->sport, 0);
		assert_int_equal(f->dport, 0);
	}
}

static void test_ipv4(void **state)
{
	static const uint8_t protos[] = {6, 17, 132, 1};
	struct tflow t = base4;

	(void)state;
	for (unsigned i = 0; i < sizeof(protos); i++) {
		t.proto = protos[i];
		for (t.ip4_opt_words = 0; t.ip4_opt_words <= 10; t.ip4_opt_words += 5) {
			struct udpcap_flow f = parse(&t, UDPCAP_LINKTYPE_EN10MB);
			assert_flow(&f, &t, t.proto != 1, 0);
			assert_int_equal(f.vlan_count, 0);
		}
	}
}

static void test_ipv6_ext(void **state)
{
	static const uint8_t protos[] = {6, 17, 132, 58};
	struct tflow t = base6;

	(void)state;
	for (unsigned i = 0; i < sizeof(protos); i++) {
		t.proto = protos[i];
		for (t.ip6_ext = 0; t.ip6_ext <= 5; t.ip6_ext++) {
			struct udpcap_flow f;

			t.ip6_ext_words = t.ip6_ext;
			f = parse(&t, UDPCAP_LINKTYPE_EN10MB);
			assert_flow(&f, &t, t.proto != 58, 0);
		}
	}
	/* seven extension headers: more than the walk follows; no ports */
	t.proto = 17;
	t.ip6_ext = 7;
	{
		struct pkt p = {.len = 0};
		struct udpcap_flow f;

		pkt_flow(&p, &t, UDPCAP_LINKTYPE_EN10MB);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
		assert_true(f.flags & UDPCAP_FLOW_F_IPV6);
		assert_false(f.flags & UDPCAP_FLOW_F_PORTS);
		assert_int_equal(f.proto, 60);
	}
}

/* Hop-by-hop, routing, AH in front of TCP, written by hand. */
static void test_ipv6_hbh_routing_ah(void **state)
{
	struct pkt p = {.len = 0};
	struct udpcap_flow f;
	uint8_t l4[4] = {0x1f, 0x90, 0xc3, 0x50}; /* 8080 -> 50000 */

	(void)state;
	pkt_eth(&p, 0x86dd);
	pkt_be32(&p, 0x60000000);
	pkt_be16(&p, 8 + 24 + 16 + 20);
	pkt_u8(&p, 0); /* hop-by-hop */
	pkt_u8(&p, 64);
	pkt_put(&p, base6.src, 16);
	pkt_put(&p, base6.dst, 16);
	pkt_u8(&p, 43); /* -> routing */
	pkt_u8(&p, 0);
	pkt_zero(&p, 6);
	pkt_u8(&p, 51); /* -> AH */
	pkt_u8(&p, 2);	/* 24 bytes */
	pkt_zero(&p, 22);
	pkt_u8(&p, 6); /* -> TCP */
	pkt_u8(&p, 2); /* (2 + 2) * 4 = 16 bytes */
	pkt_zero(&p, 14);
	pkt_put(&p, l4, 4);
	pkt_zero(&p, 16);
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
	assert_int_equal(f.proto, 6);
	assert_true(f.flags & UDPCAP_FLOW_F_PORTS);
	assert_int_equal(f.sport, 8080);
	assert_int_equal(f.dport, 50000);
}

static void test_fragments(void **state)
{
	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct tflow t = fam == 4 ? base4 : base6;
		struct udpcap_flow first, later, whole;

		whole = parse(&t, UDPCAP_LINKTYPE_EN10MB);
		t.frag = TFRAG_FIRST;
		t.ip6_ext = fam == 6 ? 1 : 0;
		first = parse(&t, UDPCAP_LINKTYPE_EN10MB);
		assert_flow(&first, &t, 1, 1);
		t.frag = TFRAG_LATER;
		later = parse(&t, UDPCAP_LINKTYPE_EN10MB);
		assert_flow(&later, &t, 0, 1);
		/* all fragments of a datagram stay together in both modes */
		for (uint32_t m = UDPCAP_HASH_5TUPLE; m <= UDPCAP_HASH_IP_PAIR; m++)
			assert_int_equal(udpcap_flow_hash(&first, m), udpcap_flow_hash(&later, m));
		assert_int_equal(udpcap_flow_hash(&first, UDPCAP_HASH_IP_PAIR),
				 udpcap_flow_hash(&whole, UDPCAP_HASH_IP_PAIR));
	}
	{
		/* DF alone is not a fragment */
		struct pkt p = {.len = 0};
		struct udpcap_flow f;

		pkt_flow(&p, &base4, UDPCAP_LINKTYPE_EN10MB);
		p.b[14 + 6] = 0x40;
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
		assert_flow(&f, &base4, 1, 0);
	}
}

static void test_vlans(void **state)
{
	struct tflow t = base4;
	struct udpcap_flow f;

	(void)state;
	t.vlans = 1;
	t.vid[0] = 100;
	t.tpid[0] = 0x8100;
	f = parse(&t, UDPCAP_LINKTYPE_EN10MB);
	assert_flow(&f, &t, 1, 0);
	assert_int_equal(f.vlan_count, 1);
	assert_int_equal(f.vlan[0], 100);

	t = base6;
	t.vlans = 2;
	t.vid[0] = 4094;
	t.vid[1] = 7;
	t.tpid[0] = 0x88a8;
	t.tpid[1] = 0x8100;
	f = parse(&t, UDPCAP_LINKTYPE_EN10MB);
	assert_flow(&f, &t, 1, 0);
	assert_int_equal(f.vlan_count, 2);
	assert_int_equal(f.vlan[0], 4094);
	assert_int_equal(f.vlan[1], 7);

	/* priority bits are not part of the ID */
	{
		struct pkt p = {.len = 0};

		t = base4;
		t.vlans = 1;
		t.vid[0] = 0xe00a;
		t.tpid[0] = 0x8100;
		pkt_flow(&p, &t, UDPCAP_LINKTYPE_EN10MB);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
		assert_int_equal(f.vlan[0], 10);
	}

	/* a third tag is not followed: non-IP, ethertype 0x8100 */
	t = base4;
	t.vlans = 3;
	t.vid[0] = 1;
	t.vid[1] = 2;
	t.vid[2] = 3;
	t.tpid[0] = 0x88a8;
	t.tpid[1] = 0x8100;
	t.tpid[2] = 0x8100;
	{
		struct pkt p = {.len = 0};

		pkt_flow(&p, &t, UDPCAP_LINKTYPE_EN10MB);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
		assert_int_equal(f.vlan_count, 2);
		assert_int_equal(f.ethertype, 0x8100);
		assert_int_equal(f.flags, 0);
	}

	/* VLAN header cut short */
	{
		struct pkt p = {.len = 0};

		pkt_eth(&p, 0x8100);
		pkt_be16(&p, 5);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
		assert_int_equal(f.ethertype, 0);
		assert_int_equal(f.vlan_count, 0);
	}
}

static void test_link_types(void **state)
{
	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		const struct tflow *t = fam == 4 ? &base4 : &base6;
		struct udpcap_flow e = parse(t, UDPCAP_LINKTYPE_EN10MB);
		struct udpcap_flow r = parse(t, UDPCAP_LINKTYPE_RAW);
		struct udpcap_flow p = parse(t, UDPCAP_LINKTYPE_PPP);
		struct pkt q = {.len = 0};
		struct udpcap_flow c;

		assert_flow(&r, t, 1, 0);
		assert_flow(&p, t, 1, 0);
		assert_memory_equal(&e, &r, sizeof(e));
		assert_memory_equal(&e, &p, sizeof(e));

		/* PPP without address/control, and with a compressed protocol */
		pkt_be16(&q, fam == 4 ? 0x0021 : 0x0057);
		pkt_flow(&q, t, UDPCAP_LINKTYPE_RAW);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_PPP, q.b, q.len, &c), 0);
		assert_memory_equal(&e, &c, sizeof(e));
		memset(&q, 0, sizeof(q));
		pkt_be16(&q, 0xff03);
		pkt_u8(&q, fam == 4 ? 0x21 : 0x57);
		pkt_flow(&q, t, UDPCAP_LINKTYPE_RAW);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_PPP, q.b, q.len, &c), 0);
		assert_memory_equal(&e, &c, sizeof(e));
	}
	{
		/* PPP LCP, raw with a bad version nibble: not IP */
		uint8_t lcp[] = {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4};
		uint8_t junk[40] = {0x50};
		struct udpcap_flow f;

		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_PPP, lcp, sizeof(lcp), &f), 0);
		assert_int_equal(f.ethertype, 0);
		assert_int_equal(f.flags, 0);
		assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_RAW, junk, sizeof(junk), &f), 0);
		assert_int_equal(f.ethertype, 0);
		assert_int_equal(f.flags, 0);
	}
}

static void test_unknown_linktype(void **state)
{
	uint8_t b[64] = {0};
	struct udpcap_flow f, g;

	(void)state;
	memset(&f, 0x77, sizeof(f));
	g = f;
	assert_int_equal(udpcap_flow_parse(105, b, sizeof(b), &f), -EINVAL);
	assert_memory_equal(&f, &g, sizeof(f));
}

static void test_arp_and_other(void **state)
{
	struct pkt req = {.len = 0}, rep = {.len = 0}, lldp = {.len = 0};
	static const uint8_t a[4] = {192, 168, 56, 11}, b[4] = {192, 168, 56, 12};
	struct udpcap_flow fq, fr, fl, fl2;

	(void)state;
	/* ARP request a -> b, reply b -> a */
	for (int i = 0; i < 2; i++) {
		struct pkt *p = i ? &rep : &req;

		pkt_eth(p, 0x0806);
		pkt_be16(p, 1);
		pkt_be16(p, 0x0800);
		pkt_u8(p, 6);
		pkt_u8(p, 4);
		pkt_be16(p, i ? 2 : 1);
		pkt_zero(p, 6);
		pkt_put(p, i ? b : a, 4);
		pkt_zero(p, 6);
		pkt_put(p, i ? a : b, 4);
	}
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, req.b, req.len, &fq), 0);
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, rep.b, rep.len, &fr), 0);
	assert_int_equal(fq.ethertype, 0x0806);
	assert_int_equal(fq.flags, 0);
	assert_memory_equal(&fq.src[0], a, 4);
	assert_memory_equal(&fq.dst[0], b, 4);
	for (uint32_t m = UDPCAP_HASH_5TUPLE; m <= UDPCAP_HASH_IP_PAIR; m++)
		assert_int_equal(udpcap_flow_hash(&fq, m), udpcap_flow_hash(&fr, m));

	/* any other ethertype: deterministic, over the ethertype */
	pkt_eth(&lldp, 0x88cc);
	pkt_zero(&lldp, 30);
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, lldp.b, lldp.len, &fl), 0);
	lldp.b[20] = 0x55;
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, lldp.b, lldp.len, &fl2), 0);
	assert_int_equal(fl.ethertype, 0x88cc);
	assert_int_equal(fl.flags, 0);
	assert_int_equal(udpcap_flow_hash(&fl, UDPCAP_HASH_5TUPLE),
			 udpcap_flow_hash(&fl2, UDPCAP_HASH_5TUPLE));
	assert_int_not_equal(udpcap_flow_hash(&fl, UDPCAP_HASH_5TUPLE),
			     udpcap_flow_hash(&fq, UDPCAP_HASH_5TUPLE));
}

/* Every prefix parses; ports appear exactly when their 4 bytes are there. */
static void test_truncated(void **state)
{
	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct tflow t = fam == 4 ? base4 : base6;
		struct pkt p = {.len = 0};
		size_t l4_at;

		t.vlans = 1;
		t.tpid[0] = 0x8100;
		t.ip4_opt_words = 2;
		t.ip6_ext = 2;
		pkt_flow(&p, &t, UDPCAP_LINKTYPE_EN10MB);
		l4_at = 18 + (fam == 4 ? 28 : 40 + 16);
		for (size_t l = 0; l <= p.len; l++) {
			struct udpcap_flow f;

			assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, l, &f), 0);
			assert_int_equal(!!(f.flags & UDPCAP_FLOW_F_PORTS), l >= l4_at + 4);
			assert_int_equal(!!(f.flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6)),
					 l >= 18 + (fam == 4 ? 20 : 40));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_hbh_routing_ah),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_vlans),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_unknown_linktype),
		cmocka_unit_test(test_arp_and_other),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
