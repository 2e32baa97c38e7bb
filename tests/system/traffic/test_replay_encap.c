/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that what udpcapctl replay builds is what udpcapd decodes: every
 * encapsulation (VXLAN, GENEVE with and without options, GENEVE carrying
 * bare IPv4/IPv6, GENEVE+VXLAN, raw) goes through libudpcap's
 * udpcap_decap() back to the exact bytes that went in, with the VNIs and
 * link type set; and that the --as-is outer-header strip and the
 * per-direction flow hash behave.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <udpcap/decap.h>

#include "pcapio.h"
#include "replay_encap.h"

/* Ethernet / IPv4 / TCP 10.0.0.1:1234 -> 10.0.0.2:80, 6 bytes of data. */
static const uint8_t eth_tcp4[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x2e, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10,   0,	  0,	1,
    10,	  0,	0,    2,    0x04, 0xd2, 0x00, 0x50, 0,	  0,	0,    1,    0,	  0,	0,
    0,	  0x50, 0x18, 0x20, 0x00, 0,	0,    0,    0,	  'h',	'e',  'l',  'l',  'o',	'\n',
};

/* The same with the addresses and ports swapped: the reverse direction. */
static const uint8_t eth_tcp4_rev[] = {
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x2e, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10,   0,	  0,	2,
    10,	  0,	0,    1,    0x00, 0x50, 0x04, 0xd2, 0,	  0,	0,    1,    0,	  0,	0,
    0,	  0x50, 0x18, 0x20, 0x00, 0,	0,    0,    0,	  'h',	'e',  'l',  'l',  'o',	'\n',
};

/* Bare IPv6 / UDP ::1:5353 -> ::2:53, 4 bytes of data. */
static const uint8_t ip6_udp[] = {
    0x60, 0, 0, 0, 0,	 12,   17, 64, 0, 0,  0, 0, 0,	 0,   0,   0,	0, 0,
    0,	  0, 0, 0, 0,	 1,    0,  0,  0, 0,  0, 0, 0,	 0,   0,   0,	0, 0,
    0,	  0, 0, 2, 0x14, 0xe9, 0,  53, 0, 12, 0, 0, 'a', 'b', 'c', 'd',
};

static struct pcapio_frame frame(int dlt, const uint8_t *p, size_t len)
{
	struct pcapio_frame f;

	assert_int_equal(pcapio_frame_init(dlt, p, len, &f), 0);
	return f;
}

/* Build, decode with the daemon's decoder, and check the inner bytes. */
static struct udpcap_decap roundtrip(const struct replay_encap *e, enum udpcap_encap_type lib_type,
				     const struct pcapio_frame *f, const uint8_t *want,
				     size_t want_len, uint16_t want_linktype)
{
	uint8_t buf[2048];
	struct udpcap_encap enc = {.type = lib_type, .linktype = UDPCAP_LINKTYPE_EN10MB};
	struct udpcap_decap d;
	int n;

	n = replay_encap_build(e, f, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(udpcap_decap(&enc, buf, (size_t)n, &d), UDPCAP_DECAP_OK);
	assert_int_equal(d.inner_len, want_len);
	assert_int_equal(d.inner_off + d.inner_len, n);
	assert_memory_equal(buf + d.inner_off, want, want_len);
	assert_int_equal(d.linktype, want_linktype);
	return d;
}

static void test_vxlan(void **state)
{
	struct pcapio_frame f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct replay_encap e = {.type = UDPCAP_ENCAP_VXLAN, .vni = 0xabcdef};
	struct udpcap_decap d;

	(void)state;
	d = roundtrip(&e, UDPCAP_ENCAP_VXLAN, &f, eth_tcp4, sizeof(eth_tcp4),
		      UDPCAP_LINKTYPE_EN10MB);
	assert_int_equal(d.inner_off, 8);
	assert_true(d.flags & UDPCAP_DECAP_F_VXLAN_VNI);
	assert_int_equal(d.vxlan_vni, 0xabcdef);
}

static void test_geneve_options(void **state)
{
	struct pcapio_frame f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct udpcap_decap d;

	(void)state;
	for (unsigned opts = 0; opts <= REPLAY_GENEVE_MAX_OPTS; opts++) {
		struct replay_encap e = {
		    .type = UDPCAP_ENCAP_GENEVE, .vni = 7, .geneve_opts = opts};

		d = roundtrip(&e, UDPCAP_ENCAP_GENEVE, &f, eth_tcp4, sizeof(eth_tcp4),
			      UDPCAP_LINKTYPE_EN10MB);
		assert_int_equal(d.inner_off, 8 + opts * REPLAY_GENEVE_OPT_SIZE);
		assert_int_equal(d.geneve_opt_len, opts * REPLAY_GENEVE_OPT_SIZE);
		assert_true(d.flags & UDPCAP_DECAP_F_GENEVE_VNI);
		assert_int_equal(d.geneve_vni, 7);
	}
}

static void test_geneve_bare_ip(void **state)
{
	struct pcapio_frame f6 = frame(DLT_RAW, ip6_udp, sizeof(ip6_udp));
	/* the IPv4 packet inside eth_tcp4, as a raw-IP capture would hold it */
	struct pcapio_frame f4 = frame(DLT_RAW, eth_tcp4 + 14, sizeof(eth_tcp4) - 14);
	struct replay_encap e = {.type = UDPCAP_ENCAP_GENEVE, .vni = 1};
	uint8_t buf[256];

	(void)state;
	assert_int_equal(f6.ethertype, PCAPIO_ETH_P_IPV6);
	roundtrip(&e, UDPCAP_ENCAP_GENEVE, &f6, ip6_udp, sizeof(ip6_udp), UDPCAP_LINKTYPE_RAW);
	assert_int_equal(replay_encap_build(&e, &f6, buf, sizeof(buf)), 8 + sizeof(ip6_udp));
	assert_int_equal(buf[2] << 8 | buf[3], 0x86DD);
	roundtrip(&e, UDPCAP_ENCAP_GENEVE, &f4, eth_tcp4 + 14, sizeof(eth_tcp4) - 14,
		  UDPCAP_LINKTYPE_RAW);
	replay_encap_build(&e, &f4, buf, sizeof(buf));
	assert_int_equal(buf[2] << 8 | buf[3], 0x0800);
}

/* VXLAN carries Ethernet: a raw-IP capture gets a made-up Ethernet header. */
static void test_vxlan_bare_ip(void **state)
{
	struct pcapio_frame f = frame(DLT_RAW, ip6_udp, sizeof(ip6_udp));
	struct replay_encap e = {.type = UDPCAP_ENCAP_VXLAN, .vni = 5};
	uint8_t buf[256];
	int n;

	(void)state;
	n = replay_encap_build(&e, &f, buf, sizeof(buf));
	assert_int_equal(n, 8 + 14 + sizeof(ip6_udp));
	assert_int_equal(buf[8 + 12] << 8 | buf[8 + 13], 0x86DD);
	assert_memory_equal(buf + 8 + 14, ip6_udp, sizeof(ip6_udp));
}

static void test_geneve_vxlan(void **state)
{
	struct pcapio_frame f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct replay_encap e = {
	    .type = UDPCAP_ENCAP_GENEVE_VXLAN, .vni = 99, .geneve_opts = 3, .inner_sport = 50000};
	struct udpcap_decap d;

	(void)state;
	d = roundtrip(&e, UDPCAP_ENCAP_GENEVE_VXLAN, &f, eth_tcp4, sizeof(eth_tcp4),
		      UDPCAP_LINKTYPE_EN10MB);
	assert_int_equal(d.inner_off, 8 + 36 + 20 + 8 + 8);
	assert_true(d.flags & UDPCAP_DECAP_F_VXLAN_VNI);
	assert_true(d.flags & UDPCAP_DECAP_F_GENEVE_VNI);
	assert_int_equal(d.vxlan_vni, 99);
	assert_int_equal(d.geneve_vni, 99);
}

static void test_raw(void **state)
{
	struct pcapio_frame f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct replay_encap e = {.type = UDPCAP_ENCAP_RAW};

	(void)state;
	roundtrip(&e, UDPCAP_ENCAP_RAW, &f, eth_tcp4, sizeof(eth_tcp4), UDPCAP_LINKTYPE_EN10MB);
}

static void test_errors(void **state)
{
	struct pcapio_frame f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct replay_encap e = {.type = UDPCAP_ENCAP_VXLAN};
	static const uint8_t junk[] = {0x00, 1, 2, 3};
	struct pcapio_frame j = frame(DLT_RAW, junk, sizeof(junk));
	uint8_t buf[256];

	(void)state;
	assert_int_equal(replay_encap_build(&e, &f, buf, sizeof(eth_tcp4) + 7), -ENOSPC);
	e.vni = REPLAY_VNI_MAX + 1;
	assert_int_equal(replay_encap_build(&e, &f, buf, sizeof(buf)), -EINVAL);
	e.vni = 0;
	e.type = UDPCAP_ENCAP_GENEVE;
	e.geneve_opts = REPLAY_GENEVE_MAX_OPTS + 1;
	assert_int_equal(replay_encap_build(&e, &f, buf, sizeof(buf)), -EINVAL);
	e.geneve_opts = 0;
	/* a bare packet that is not IP cannot be given an Ethernet type */
	assert_int_equal(replay_encap_build(&e, &j, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pcapio_frame_init(DLT_EN10MB, eth_tcp4, 13, &f), -EINVAL);
	assert_int_equal(pcapio_frame_init(DLT_IEEE802_11, eth_tcp4, 40, &f), -EPROTONOSUPPORT);
	/* skip=N is a receive-side setting: nothing to build */
	e.type = UDPCAP_ENCAP_SKIP;
	assert_int_equal(replay_encap_build(&e, &f, buf, sizeof(buf)), -EINVAL);
}

static void test_flow_hash_direction(void **state)
{
	struct pcapio_frame a = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	struct pcapio_frame b = frame(DLT_EN10MB, eth_tcp4_rev, sizeof(eth_tcp4_rev));
	struct pcapio_frame a_raw = frame(DLT_RAW, eth_tcp4 + 14, sizeof(eth_tcp4) - 14);
	uint8_t other[sizeof(eth_tcp4)];

	(void)state;
	assert_int_not_equal(replay_flow_hash(&a), replay_flow_hash(&b));
	/* only the flow counts, not the link layer or the payload */
	assert_int_equal(replay_flow_hash(&a), replay_flow_hash(&a_raw));
	memcpy(other, eth_tcp4, sizeof(other));
	other[sizeof(other) - 1] = 'X';
	a_raw = frame(DLT_EN10MB, other, sizeof(other));
	assert_int_equal(replay_flow_hash(&a), replay_flow_hash(&a_raw));
	other[34 + 1] ^= 1; /* source port */
	a_raw = frame(DLT_EN10MB, other, sizeof(other));
	assert_int_not_equal(replay_flow_hash(&a), replay_flow_hash(&a_raw));
}

/* Linux cooked (v1, v2) and BSD loopback captures give the bare IP packet. */
static void test_linktypes(void **state)
{
	uint8_t sll[16 + sizeof(ip6_udp)] = {0}, sll2[20 + sizeof(ip6_udp)] = {0};
	uint8_t null[4 + sizeof(ip6_udp)] = {30, 0, 0, 0};
	struct pcapio_frame f;
	size_t off, len;

	(void)state;
	sll[14] = 0x86, sll[15] = 0xdd;
	memcpy(sll + 16, ip6_udp, sizeof(ip6_udp));
	sll2[0] = 0x86, sll2[1] = 0xdd;
	memcpy(sll2 + 20, ip6_udp, sizeof(ip6_udp));
	memcpy(null + 4, ip6_udp, sizeof(ip6_udp));
	f = frame(DLT_LINUX_SLL, sll, sizeof(sll));
	assert_false(f.eth);
	assert_int_equal(f.ethertype, PCAPIO_ETH_P_IPV6);
	assert_int_equal(f.len, sizeof(ip6_udp));
	assert_memory_equal(f.data, ip6_udp, sizeof(ip6_udp));
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(f.data + off, "abcd", 4);
	f = frame(276 /* DLT_LINUX_SLL2 */, sll2, sizeof(sll2));
	assert_int_equal(f.ethertype, PCAPIO_ETH_P_IPV6);
	assert_memory_equal(f.data, ip6_udp, sizeof(ip6_udp));
	f = frame(DLT_NULL, null, sizeof(null));
	assert_int_equal(f.ethertype, PCAPIO_ETH_P_IPV6);
	assert_memory_equal(f.data, ip6_udp, sizeof(ip6_udp));
	assert_int_equal(pcapio_frame_init(DLT_LINUX_SLL, sll, 15, &f), -EINVAL);
	assert_true(pcapio_dlt_supported(DLT_RAW));
	assert_false(pcapio_dlt_supported(DLT_IEEE802_11));
}

/* --as-is: Ethernet, VLAN tag, IPv6 with a hop-by-hop header, UDP, payload. */
static void test_udp_payload(void **state)
{
	uint8_t p[14 + 4 + 40 + 8 + 8 + 5] = {0};
	uint8_t *ip = p + 18, *hbh = ip + 40, *udp = hbh + 8;
	struct pcapio_frame f;
	size_t off, len;

	(void)state;
	p[12] = 0x81, p[13] = 0x00, p[16] = 0x86, p[17] = 0xdd;
	ip[0] = 0x60, ip[5] = 8 + 8 + 5, ip[6] = 0 /* hop-by-hop */;
	hbh[0] = 17, hbh[1] = 0;
	udp[5] = 8 + 5;
	memcpy(udp + 8, "hello", 5);
	f = frame(DLT_EN10MB, p, sizeof(p));
	assert_int_equal(f.l3_off, 18);
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), 0);
	assert_int_equal(off, sizeof(p) - 5);
	assert_int_equal(len, 5);
	/* a capture cut short replays what it holds */
	f = frame(DLT_EN10MB, p, sizeof(p) - 2);
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), 0);
	assert_int_equal(len, 3);
	hbh[0] = 6;
	f = frame(DLT_EN10MB, p, sizeof(p));
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), PCAPIO_SKIP_NOT_UDP);
	hbh[0] = 44;
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), PCAPIO_SKIP_FRAGMENT);
	f = frame(DLT_EN10MB, eth_tcp4, sizeof(eth_tcp4));
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), PCAPIO_SKIP_NOT_UDP);
	f = frame(DLT_EN10MB, p, 20);
	assert_int_equal(pcapio_udp_payload(&f, &off, &len), PCAPIO_SKIP_SHORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vxlan),	   cmocka_unit_test(test_geneve_options),
	    cmocka_unit_test(test_geneve_bare_ip), cmocka_unit_test(test_vxlan_bare_ip),
	    cmocka_unit_test(test_geneve_vxlan),   cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_errors),	   cmocka_unit_test(test_flow_hash_direction),
	    cmocka_unit_test(test_udp_payload),	   cmocka_unit_test(test_linktypes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
