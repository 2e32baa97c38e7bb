/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the symmetric flow hash's properties on real packets: for 100k
 * random flows (IPv4/IPv6, 0-2 VLAN tags, IPv4 options, IPv6 extension
 * headers, first and later fragments, TCP/UDP/SCTP/ICMP, equal addresses
 * or ports), each direction built as bytes, wrapped in a random
 * encapsulation with its own VNI and run through udpcap_steer(): both
 * directions hash alike in both modes, and the parsed flow is the one
 * built. Balance: 10k random flows spread over 2, 4, 8, 16 buckets with
 * max/mean <= 1.10 (fixed seed); distinct flows give distinct hashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "common.h"
#include "pkt.h"

static uint64_t rng_state = 20261123;

static uint64_t rng(void)
{
	return pkt_rng(&rng_state);
}

static void wrap(struct pkt *out, const struct tflow *t, struct udpcap_encap *enc)
{
	struct pkt in = {.len = 0};
	int lt;

	memset(out, 0, sizeof(*out));
	memset(enc, 0, sizeof(*enc));
	enc->type = (enum udpcap_encap_type)(rng() % 5);
	switch (enc->type) {
	case UDPCAP_ENCAP_RAW:
	case UDPCAP_ENCAP_SKIP:
		lt = (int)(rng() % 3);
		lt = lt == 0 ? UDPCAP_LINKTYPE_EN10MB : lt == 1 ? UDPCAP_LINKTYPE_RAW
								: UDPCAP_LINKTYPE_PPP;
		enc->linktype = (uint16_t)lt;
		if (enc->type == UDPCAP_ENCAP_SKIP) {
			enc->skip = (uint16_t)(rng() % 40);
			pkt_zero(out, enc->skip);
		}
		pkt_flow(&in, t, lt);
		pkt_put(out, in.b, in.len);
		break;
	case UDPCAP_ENCAP_VXLAN:
		pkt_flow(&in, t, UDPCAP_LINKTYPE_EN10MB);
		pkt_vxlan(out, (uint32_t)rng() & 0xffffff, &in);
		break;
	case UDPCAP_ENCAP_GENEVE:
		if (rng() % 2) {
			pkt_flow(&in, t, UDPCAP_LINKTYPE_EN10MB);
			pkt_geneve(out, (uint32_t)rng() & 0xffffff, 0x6558, (int)(rng() % 8), &in);
		} else {
			pkt_flow(&in, t, UDPCAP_LINKTYPE_RAW);
			pkt_geneve(out, (uint32_t)rng() & 0xffffff, t->family == 6 ? 0x86dd : 0x0800,
				   (int)(rng() % 8), &in);
		}
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		pkt_flow(&in, t, UDPCAP_LINKTYPE_EN10MB);
		pkt_gwlb(out, (uint32_t)rng() & 0xffffff, (uint32_t)rng() & 0xffffff,
			 rng() % 2 ? 6 : 4, (int)(rng() % 3), &in);
		break;
	}
}

static void check_parsed(const struct pkt *p, const struct udpcap_encap *enc, const struct tflow *t)
{
	struct udpcap_decap d;
	struct udpcap_flow f;
	size_t alen = t->family == 6 ? 16 : 4;
	int ports = t->frag != TFRAG_LATER && t->proto != 1 && t->proto != 58;

	assert_int_equal(udpcap_decap(enc, p->b, p->len, &d), UDPCAP_DECAP_OK);
	assert_int_equal(udpcap_flow_parse(d.linktype, p->b + d.inner_off, d.inner_len, &f), 0);
	assert_memory_equal(f.src, t->src, alen);
	assert_memory_equal(f.dst, t->dst, alen);
	assert_int_equal(f.proto, t->proto);
	assert_int_equal(!!(f.flags & UDPCAP_FLOW_F_FRAG), t->frag != TFRAG_NONE);
	assert_int_equal(!!(f.flags & UDPCAP_FLOW_F_PORTS), ports);
	if (ports) {
		assert_int_equal(f.sport, t->sport);
		assert_int_equal(f.dport, t->dport);
	}
}

static void test_symmetry(void **state)
{
	static struct pkt a, b;
	int n = 100000;

	(void)state;
	for (int i = 0; i < n; i++) {
		struct tflow t = tflow_random(&rng_state), r = tflow_reverse(&t);
		struct udpcap_encap ea, eb;

		wrap(&a, &t, &ea);
		wrap(&b, &r, &eb);
		if (i % 10 == 0) {
			check_parsed(&a, &ea, &t);
			check_parsed(&b, &eb, &r);
		}
		for (uint32_t m = UDPCAP_HASH_5TUPLE; m <= UDPCAP_HASH_IP_PAIR; m++) {
			uint32_t ha = 1, hb = 2;

			assert_int_equal(udpcap_steer(&ea, m, a.b, a.len, &ha), UDPCAP_DECAP_OK);
			assert_int_equal(udpcap_steer(&eb, m, b.b, b.len, &hb), UDPCAP_DECAP_OK);
			if (ha != hb)
				fail_msg("flow %d mode %u: %08x != %08x", i, m, ha, hb);
		}
	}
}

static struct udpcap_flow random_parsed(int family)
{
	struct tflow t;
	struct pkt p = {.len = 0};
	struct udpcap_flow f;

	memset(&t, 0, sizeof(t));
	t.family = family;
	for (int i = 0; i < 16; i++) {
		t.src[i] = (uint8_t)rng();
		t.dst[i] = (uint8_t)rng();
	}
	t.proto = rng() % 2 ? 6 : 17;
	t.sport = (uint16_t)rng();
	t.dport = (uint16_t)rng();
	pkt_flow(&p, &t, UDPCAP_LINKTYPE_EN10MB);
	assert_int_equal(udpcap_flow_parse(UDPCAP_LINKTYPE_EN10MB, p.b, p.len, &f), 0);
	return f;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_balance(void **state)
{
	enum { FLOWS = 10000 };
	static uint32_t h[2][FLOWS];
	static const unsigned buckets[] = {2, 4, 8, 16};

	(void)state;
	for (int i = 0; i < FLOWS; i++) {
		struct udpcap_flow f = random_parsed(i % 2 ? 6 : 4);

		h[0][i] = udpcap_flow_hash(&f, UDPCAP_HASH_5TUPLE);
		h[1][i] = udpcap_flow_hash(&f, UDPCAP_HASH_IP_PAIR);
	}
	for (int m = 0; m < 2; m++) {
		int distinct = 1;

		for (unsigned k = 0; k < 4; k++) {
			unsigned count[16] = {0}, max = 0;
			double ratio;

			for (int i = 0; i < FLOWS; i++)
				count[h[m][i] % buckets[k]]++;
			for (unsigned j = 0; j < buckets[k]; j++)
				max = count[j] > max ? count[j] : max;
			ratio = (double)max * buckets[k] / FLOWS;
			printf("balance mode=%s buckets=%u max/mean=%.4f\n", m ? "ip-pair" : "5-tuple",
			       buckets[k], ratio);
			assert_true(ratio <= 1.10);
		}
		qsort(h[m], FLOWS, sizeof(h[m][0]), cmp_u32);
		for (int i = 1; i < FLOWS; i++)
			distinct += h[m][i] != h[m][i - 1];
		printf("distinct hashes mode=%s: %d of %d\n", m ? "ip-pair" : "5-tuple", distinct,
		       FLOWS);
		assert_true(distinct >= FLOWS - 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symmetry),
		cmocka_unit_test(test_balance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
