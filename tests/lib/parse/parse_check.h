/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invariants of decap + flow parse + hash for ONE arbitrary byte string,
 * shared by the libFuzzer target (fuzz/fuzz_decap.c) and the deterministic
 * robustness test (tests/lib/parse/test_robust.c). Test code only.
 *
 * The inline code of <udpcap/parse.h> is compiled here with a strict
 * loader that aborts when a read leaves the window the caller allowed (the
 * whole payload for decap, the inner packet for the flow parse): parse.h
 * must check every length before loading, as the BPF program relies on.
 * The exported wrappers (default loader) must agree with it.
 *
 * Include this before any other udpcap header.
 */
#ifndef UDPCAP_TESTS_PARSE_CHECK_H
#define UDPCAP_TESTS_PARSE_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strict_ctx {
	const uint8_t *base;
	uint32_t lo, hi; /* reads must stay inside [lo, hi) */
};

#define PARSE_CHECK(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

static inline int strict_load(struct strict_ctx *c, uint32_t off, void *dst, uint32_t n)
{
	PARSE_CHECK(off >= c->lo && off <= c->hi && n <= c->hi - off);
	memcpy(dst, c->base + off, n);
	return 0;
}

#define UDPCAP_PARSE_CTX struct strict_ctx
#define UDPCAP_PARSE_LOAD(ctx, off, dst, n) strict_load((ctx), (off), (dst), (n))
#include <udpcap/decap.h>
#include <udpcap/parse.h>

static inline struct udpcap_flow parse_check_reverse(const struct udpcap_flow *f)
{
	struct udpcap_flow r = *f;

	memcpy(r.src, f->dst, sizeof(r.src));
	memcpy(r.dst, f->src, sizeof(r.dst));
	r.sport = f->dport;
	r.dport = f->sport;
	return r;
}

/* Flow invariants for the inner packet @pkt of @len bytes (exactly sized buffer). */
static inline void parse_check_flow(uint16_t linktype, const uint8_t *pkt, uint32_t len)
{
	struct strict_ctx c = {.base = pkt, .lo = 0, .hi = len};
	struct udpcap_flow f, g, r;
	int rc;

	rc = udpcap_parse_flow(&c, 0, len, linktype, &f);
	PARSE_CHECK(rc == 0);
	PARSE_CHECK(udpcap_flow_parse(linktype, pkt, len, &g) == 0);
	PARSE_CHECK(memcmp(&f, &g, sizeof(f)) == 0);
	PARSE_CHECK(!((f.flags & UDPCAP_FLOW_F_IPV4) && (f.flags & UDPCAP_FLOW_F_IPV6)));
	if (f.flags & (UDPCAP_FLOW_F_PORTS | UDPCAP_FLOW_F_FRAG))
		PARSE_CHECK(f.flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6));
	PARSE_CHECK(f.vlan_count <= UDPCAP_PARSE_VLAN_MAX);
	PARSE_CHECK(f.pad[0] == 0 && f.pad[1] == 0 && f.pad[2] == 0);
	r = parse_check_reverse(&f);
	for (uint32_t mode = UDPCAP_HASH_5TUPLE; mode <= UDPCAP_HASH_IP_PAIR; mode++) {
		uint32_t h = udpcap_parse_hash(&f, mode);
		PARSE_CHECK(h == udpcap_flow_hash(&f, (enum udpcap_hash_mode)mode));
		PARSE_CHECK(h == udpcap_parse_hash(&r, mode));
	}
}

/* Decap invariants for @enc on @data of @len bytes (exactly sized buffer). */
static inline void parse_check_encap(const struct udpcap_encap *enc, const uint8_t *data,
				     uint32_t len)
{
	struct strict_ctx c = {.base = data, .lo = 0, .hi = len};
	struct udpcap_decap d, e;
	uint32_t h5 = 0xdeadbeef, hs = 0xdeadbeef;
	int r;

	r = udpcap_parse_decap(&c, len, enc, &d);
	PARSE_CHECK(r >= 0 && r < UDPCAP_DECAP__COUNT);
	PARSE_CHECK(udpcap_decap_reason_str((enum udpcap_decap_reason)r) != NULL);
	memset(&e, 0xa5, sizeof(e));
	PARSE_CHECK((int)udpcap_decap(enc, data, len, &e) == r);
	PARSE_CHECK((int)udpcap_steer(enc, UDPCAP_HASH_5TUPLE, data, len, &h5) == r);
	if (r != UDPCAP_DECAP_OK) {
		/* ret_* untouched on failure */
		struct udpcap_decap f;
		memset(&f, 0xa5, sizeof(f));
		PARSE_CHECK(memcmp(&e, &f, sizeof(e)) == 0 && h5 == 0xdeadbeef);
		return;
	}
	PARSE_CHECK(memcmp(&d, &e, sizeof(d)) == 0);
	PARSE_CHECK(d.inner_len > 0 && d.inner_off <= len && d.inner_len <= len - d.inner_off);
	PARSE_CHECK(d.inner_off + d.inner_len == len);
	PARSE_CHECK(d.vxlan_vni < (1u << 24) && d.geneve_vni < (1u << 24));
	PARSE_CHECK(d.linktype == UDPCAP_LINKTYPE_EN10MB || d.linktype == UDPCAP_LINKTYPE_RAW ||
		    d.linktype == UDPCAP_LINKTYPE_PPP || enc->type == UDPCAP_ENCAP_RAW ||
		    enc->type == UDPCAP_ENCAP_SKIP);
	switch (enc->type) {
	case UDPCAP_ENCAP_VXLAN:
		PARSE_CHECK(d.flags == UDPCAP_DECAP_F_VXLAN_VNI && d.inner_off == 8);
		break;
	case UDPCAP_ENCAP_GENEVE:
		PARSE_CHECK(d.flags == UDPCAP_DECAP_F_GENEVE_VNI);
		PARSE_CHECK(d.geneve_opt_off == 8 && d.inner_off == 8 + d.geneve_opt_len);
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		PARSE_CHECK(d.flags == (UDPCAP_DECAP_F_GENEVE_VNI | UDPCAP_DECAP_F_VXLAN_VNI));
		PARSE_CHECK(d.linktype == UDPCAP_LINKTYPE_EN10MB);
		PARSE_CHECK(d.inner_off >= 8 + d.geneve_opt_len + 20 + 8 + 8);
		break;
	default:
		PARSE_CHECK(d.flags == 0 && d.linktype == enc->linktype);
		break;
	}
	PARSE_CHECK((int)udpcap_steer(enc, UDPCAP_HASH_IP_PAIR, data, len, &hs) == r);

	/* the inner packet alone, in an exactly sized buffer so ASan sees over-reads */
	uint8_t *inner = malloc(d.inner_len);
	PARSE_CHECK(inner != NULL);
	memcpy(inner, data + d.inner_off, d.inner_len);
	{
		struct udpcap_flow f;
		struct strict_ctx w = {.base = data, .lo = d.inner_off, .hi = len};
		int rc = udpcap_parse_flow(&w, d.inner_off, d.inner_len, d.linktype, &f);

		if (rc == 0) {
			parse_check_flow(d.linktype, inner, d.inner_len);
			PARSE_CHECK(h5 == udpcap_parse_hash(&f, UDPCAP_HASH_5TUPLE));
			PARSE_CHECK(hs == udpcap_parse_hash(&f, UDPCAP_HASH_IP_PAIR));
		} else {
			struct udpcap_flow z;
			memset(&z, 0, sizeof(z));
			PARSE_CHECK(h5 == udpcap_parse_hash(&z, UDPCAP_HASH_5TUPLE));
		}
	}
	free(inner);
}

/* Every encapsulation and link type over one input; skip=N derived from it. */
static inline void parse_check_all(const uint8_t *data, size_t size)
{
	static const uint16_t lts[] = {UDPCAP_LINKTYPE_EN10MB, UDPCAP_LINKTYPE_RAW,
				       UDPCAP_LINKTYPE_PPP};
	uint32_t len = size > 65535 ? 65535 : (uint32_t)size;
	struct udpcap_encap enc;

	for (unsigned i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		memset(&enc, 0, sizeof(enc));
		enc.type = UDPCAP_ENCAP_RAW;
		enc.linktype = lts[i];
		parse_check_encap(&enc, data, len);
		enc.type = UDPCAP_ENCAP_SKIP;
		enc.skip = len ? data[0] % 48 : 3;
		parse_check_encap(&enc, data, len);
		if (len)
			parse_check_flow(lts[i], data, len);
	}
	memset(&enc, 0, sizeof(enc));
	enc.type = UDPCAP_ENCAP_VXLAN;
	parse_check_encap(&enc, data, len);
	enc.type = UDPCAP_ENCAP_GENEVE;
	parse_check_encap(&enc, data, len);
	enc.type = UDPCAP_ENCAP_GENEVE_VXLAN;
	parse_check_encap(&enc, data, len);
}

#endif /* UDPCAP_TESTS_PARSE_CHECK_H */
