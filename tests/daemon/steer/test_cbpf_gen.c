/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves, without a kernel, that the generated classic-BPF steering program
 * for every listener config (vxlan, geneve with options, geneve+vxlan, raw,
 * skip=N; Ethernet with 0-2 VLAN tags, raw IP, PPP; IPv4 with options,
 * IPv6 with extension headers, fragments) passes the kernel's classic-BPF
 * checks, is symmetric (A->B and B->A pick the same socket), always returns
 * an index < n, sends undecodable payloads to socket 0, and balances 10k
 * random flows over 4 and 8 sockets (ratio printed; the eBPF program is the
 * one held to max/mean <= 1.10, cbpf is held to 1.15 here).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cbpf_gen.h"
#include "common.h"
#include "steer_pkt.h"

static const enum udpcap_hash_mode modes[] = {UDPCAP_HASH_5TUPLE, UDPCAP_HASH_IP_PAIR};

static unsigned gen(const struct udpcap_encap *enc, enum udpcap_hash_mode mode, unsigned n,
		    struct sock_filter *insns)
{
	char why[128] = "";
	unsigned len = 0;

	assert_int_equal(udpcapd_cbpf_generate(enc, mode, n, insns, &len), 0);
	if (udpcapd_cbpf_validate(insns, len, why, sizeof(why)) < 0)
		fail_msg("invalid program: %s", why);
	return len;
}

static void test_valid_everywhere(void **state)
{
	static const unsigned ns[] = {1, 2, 3, 4, 8, 255, 256};
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];

	for (size_t c = 0; c < tconf_count; c++)
		for (size_t m = 0; m < 2; m++)
			for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
				unsigned len = gen(&tconfs[c].enc, modes[m], ns[i], insns);

				assert_true(len > 10 && len <= UDPCAPD_CBPF_MAX_INSNS);
				if (ns[i] == 8 && m == 0)
					printf("cbpf %-16s %u instructions\n", tconfs[c].name, len);
			}
}

static void test_refuses_what_it_cannot_express(void **state)
{
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_RAW, .linktype = 105};
	unsigned len;

	assert_int_equal(udpcapd_cbpf_generate(&enc, UDPCAP_HASH_5TUPLE, 4, insns, &len), -EINVAL);
	enc.linktype = UDPCAP_LINKTYPE_RAW;
	assert_int_equal(udpcapd_cbpf_generate(&enc, UDPCAP_HASH_5TUPLE, 0, insns, &len), -EINVAL);
	assert_int_equal(udpcapd_cbpf_generate(&enc, UDPCAP_HASH_5TUPLE, 257, insns, &len),
			 -EINVAL);
	enc.type = (enum udpcap_encap_type)42;
	assert_int_equal(udpcapd_cbpf_generate(&enc, UDPCAP_HASH_5TUPLE, 4, insns, &len), -EINVAL);
}

static void test_validator_rejects(void **state)
{
	struct sock_filter bad_jump[] = {
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter uninit[] = {
	    BPF_STMT(BPF_LD | BPF_MEM, 3),
	    BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter no_ret[] = {
	    BPF_STMT(BPF_LD | BPF_IMM, 3),
	};
	struct sock_filter div0[] = {
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0),
	    BPF_STMT(BPF_RET | BPF_A, 0),
	};
	char why[128];

	assert_int_equal(udpcapd_cbpf_validate(bad_jump, 2, why, sizeof(why)), -EINVAL);
	assert_int_equal(udpcapd_cbpf_validate(uninit, 2, why, sizeof(why)), -EINVAL);
	assert_int_equal(udpcapd_cbpf_validate(no_ret, 1, why, sizeof(why)), -EINVAL);
	assert_int_equal(udpcapd_cbpf_validate(div0, 2, why, sizeof(why)), -EINVAL);
}

static void test_symmetric(void **state)
{
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	uint8_t a[512], b[512];
	uint64_t rng = 1;

	for (size_t c = 0; c < tconf_count; c++) {
		const struct udpcap_encap *enc = &tconfs[c].enc;

		for (size_t m = 0; m < 2; m++) {
			unsigned len = gen(enc, modes[m], 8, insns);
			unsigned nonzero = 0;

			for (int i = 0; i < 3000; i++) {
				struct tflow f;
				size_t la, lb;
				uint32_t ha, hb;
				unsigned ia, ib;

				tflow_random(&f, &rng, -1);
				la = tpkt_build(enc, &f, a, sizeof(a));
				tflow_reverse(&f);
				lb = tpkt_build(enc, &f, b, sizeof(b));
				assert_true(la > 0 && lb > 0);
				/* the builder makes what lib decodes, symmetric there too */
				assert_int_equal(udpcap_steer(enc, modes[m], a, la, &ha),
						 UDPCAP_DECAP_OK);
				assert_int_equal(udpcap_steer(enc, modes[m], b, lb, &hb),
						 UDPCAP_DECAP_OK);
				assert_int_equal(ha, hb);
				ia = udpcapd_cbpf_run(insns, len, a, la);
				ib = udpcapd_cbpf_run(insns, len, b, lb);
				if (ia != ib)
					fail_msg("%s: flow %d: A->B socket %u, B->A socket %u",
						 tconfs[c].name, i, ia, ib);
				assert_true(ia < 8);
				nonzero += ia != 0;
			}
			/* not everything fell back to socket 0 */
			assert_true(nonzero > 3000 / 2);
		}
	}
}

static void test_fallback_to_zero(void **state)
{
	static const uint8_t no_vni[16] = {0x00, 0, 0, 0, 0, 0, 1, 0};
	static const uint8_t geneve_v1[16] = {0x40, 0, 0x65, 0x58};
	static const uint8_t geneve_proto[16] = {0x00, 0, 0x12, 0x34};
	struct udpcap_encap vx = {.type = UDPCAP_ENCAP_VXLAN};
	struct udpcap_encap gn = {.type = UDPCAP_ENCAP_GENEVE};
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	struct tflow f;
	uint8_t p[512];
	uint64_t rng = 7;
	unsigned len;
	size_t n;

	len = gen(&vx, UDPCAP_HASH_5TUPLE, 8, insns);
	assert_int_equal(udpcapd_cbpf_run(insns, len, p, 0), 0);
	assert_int_equal(udpcapd_cbpf_run(insns, len, no_vni, sizeof(no_vni)), 0);
	/* cut short anywhere before the addresses: socket 0, never out of range */
	tflow_random(&f, &rng, 0);
	f.vlans = 0;
	n = tpkt_build(&vx, &f, p, sizeof(p));
	for (size_t cut = 0; cut < 8 + 14 + 20; cut++)
		assert_int_equal(udpcapd_cbpf_run(insns, len, p, cut), 0);
	for (size_t cut = 0; cut <= n; cut++)
		assert_true(udpcapd_cbpf_run(insns, len, p, cut) < 8);
	len = gen(&gn, UDPCAP_HASH_5TUPLE, 8, insns);
	assert_int_equal(udpcapd_cbpf_run(insns, len, geneve_v1, sizeof(geneve_v1)), 0);
	assert_int_equal(udpcapd_cbpf_run(insns, len, geneve_proto, sizeof(geneve_proto)), 0);
}

static void test_balance(void **state)
{
	static const unsigned ns[] = {4, 8};
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	uint8_t p[512];

	for (size_t c = 0; c < tconf_count; c++) {
		for (size_t k = 0; k < 2; k++) {
			unsigned n = ns[k], len = gen(&tconfs[c].enc, UDPCAP_HASH_5TUPLE, n, insns);
			unsigned count[8] = {0}, max = 0;
			uint64_t rng = 99 + c;
			const int flows = 10000;
			double ratio;

			for (int i = 0; i < flows; i++) {
				struct tflow f;
				size_t l;

				tflow_random(&f, &rng, -1);
				f.proto = 6; /* connections, the case that matters */
				f.frag = 0;
				l = tpkt_build(&tconfs[c].enc, &f, p, sizeof(p));
				count[udpcapd_cbpf_run(insns, len, p, l)]++;
			}
			for (unsigned i = 0; i < n; i++)
				max = count[i] > max ? count[i] : max;
			ratio = (double)max / ((double)flows / n);
			printf("cbpf balance %-16s n=%u max/mean=%.3f\n", tconfs[c].name, n, ratio);
			assert_true(ratio <= 1.15);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_everywhere),
	    cmocka_unit_test(test_refuses_what_it_cannot_express),
	    cmocka_unit_test(test_validator_rejects),
	    cmocka_unit_test(test_symmetric),
	    cmocka_unit_test(test_fallback_to_zero),
	    cmocka_unit_test(test_balance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
