/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet builders for the parse tests: real byte strings (Ethernet, VLAN,
 * IPv4 with options, IPv6 with extension headers, fragments, L4 headers,
 * VXLAN, GENEVE, GWLB) from a small flow description. Test code only.
 */
#ifndef UDPCAP_TESTS_PARSE_PKT_H
#define UDPCAP_TESTS_PARSE_PKT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <udpcap/decap.h>

#define PKT_MAX 4096

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
};

enum tfrag { TFRAG_NONE = 0, TFRAG_FIRST, TFRAG_LATER };

/* A flow to build: IPv4 (family 4) or IPv6 (family 6). */
struct tflow {
	int family;
	uint8_t src[16], dst[16]; /* IPv4: first 4 bytes */
	uint8_t proto;
	uint16_t sport, dport;
	int vlans;		  /* 0..3 tags (a third one is not parsed) */
	uint16_t vid[3];
	uint16_t tpid[3];	  /* 0x8100 or 0x88a8 */
	enum tfrag frag;
	int ip4_opt_words;	  /* IPv4 options, 32-bit words (0..10) */
	int ip6_ext;		  /* IPv6: number of hop-by-hop/dest-opt headers before L4 */
	int ip6_ext_words;	  /* extra 8-byte units per ext header */
	size_t payload;		  /* L4 payload bytes */
};

static inline void pkt_put(struct pkt *p, const void *d, size_t n)
{
	if (p->len + n > PKT_MAX)
		abort();
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static inline void pkt_u8(struct pkt *p, uint8_t v)
{
	pkt_put(p, &v, 1);
}

static inline void pkt_be16(struct pkt *p, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	pkt_put(p, b, 2);
}

static inline void pkt_be24(struct pkt *p, uint32_t v)
{
	uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	pkt_put(p, b, 3);
}

static inline void pkt_be32(struct pkt *p, uint32_t v)
{
	pkt_be16(p, (uint16_t)(v >> 16));
	pkt_be16(p, (uint16_t)v);
}

static inline void pkt_zero(struct pkt *p, size_t n)
{
	if (p->len + n > PKT_MAX)
		abort();
	memset(p->b + p->len, 0, n);
	p->len += n;
}

/* Ethernet header with fixed MACs; VLAN tags follow from the flow. */
static inline void pkt_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	pkt_put(p, macs, 12);
	pkt_be16(p, ethertype);
}

static inline uint8_t tflow_l4_proto(const struct tflow *f)
{
	return f->proto;
}

static inline size_t tflow_l4_len(const struct tflow *f)
{
	switch (f->proto) {
	case 6:
		return 20;
	case 17:
		return 8;
	case 132:
		return 12;
	case 1:
	case 58:
		return 8;
	default:
		return 4;
	}
}

/* L4 header + payload (only in unfragmented or first fragments). */
static inline void pkt_l4(struct pkt *p, const struct tflow *f)
{
	size_t hl = tflow_l4_len(f), start = p->len;

	if (f->proto == 1 || f->proto == 58) {
		pkt_u8(p, f->proto == 1 ? 8 : 128); /* echo request */
		pkt_zero(p, 7);
	} else {
		pkt_be16(p, f->sport);
		pkt_be16(p, f->dport);
		pkt_zero(p, hl - 4);
		if (f->proto == 6)
			p->b[start + 12] = 5 << 4;
		if (f->proto == 17) {
			p->b[start + 4] = (uint8_t)((8 + f->payload) >> 8);
			p->b[start + 5] = (uint8_t)(8 + f->payload);
		}
	}
	for (size_t i = 0; i < f->payload; i++)
		pkt_u8(p, (uint8_t)(i * 7));
}

static inline void pkt_ipv4(struct pkt *p, const struct tflow *f)
{
	size_t ihl = 20 + 4 * (size_t)f->ip4_opt_words;
	size_t body = f->frag == TFRAG_LATER ? 16 + f->payload : tflow_l4_len(f) + f->payload;
	uint16_t fo = 0;

	if (f->frag == TFRAG_FIRST)
		fo = 0x2000; /* MF */
	else if (f->frag == TFRAG_LATER)
		fo = 0x2000 | 185; /* MF, offset 1480 */
	pkt_u8(p, (uint8_t)(0x40 | (ihl / 4)));
	pkt_u8(p, 0);
	pkt_be16(p, (uint16_t)(ihl + body));
	pkt_be16(p, 0x1234);
	pkt_be16(p, fo);
	pkt_u8(p, 64);
	pkt_u8(p, f->proto);
	pkt_be16(p, 0);
	pkt_put(p, f->src, 4);
	pkt_put(p, f->dst, 4);
	for (int i = 0; i < f->ip4_opt_words; i++)
		pkt_be32(p, i == f->ip4_opt_words - 1 ? 0 : 0x01010101); /* NOPs, then EOL */
	if (f->frag == TFRAG_LATER) {
		pkt_zero(p, 16 + f->payload);
		return;
	}
	pkt_l4(p, f);
}

static inline void pkt_ipv6(struct pkt *p, const struct tflow *f)
{
	size_t start = p->len, plen_at;
	uint8_t first = f->ip6_ext > 0 ? 0 : (f->frag != TFRAG_NONE ? 44 : f->proto);

	pkt_be32(p, 0x60000000);
	plen_at = p->len;
	pkt_be16(p, 0);
	pkt_u8(p, first);
	pkt_u8(p, 64);
	pkt_put(p, f->src, 16);
	pkt_put(p, f->dst, 16);
	for (int i = 0; i < f->ip6_ext; i++) {
		uint8_t next = i + 1 < f->ip6_ext ? 60 : (f->frag != TFRAG_NONE ? 44 : f->proto);
		pkt_u8(p, next);
		pkt_u8(p, (uint8_t)f->ip6_ext_words);
		pkt_be16(p, 0x0104); /* PadN */
		pkt_zero(p, 4 + 8 * (size_t)f->ip6_ext_words);
	}
	if (f->frag != TFRAG_NONE) {
		pkt_u8(p, f->proto);
		pkt_u8(p, 0);
		pkt_be16(p, f->frag == TFRAG_LATER ? (uint16_t)(1448 | 1) : 1);
		pkt_be32(p, 0xabcdef01);
	}
	if (f->frag == TFRAG_LATER)
		pkt_zero(p, 16 + f->payload);
	else
		pkt_l4(p, f);
	p->b[plen_at] = (uint8_t)((p->len - start - 40) >> 8);
	p->b[plen_at + 1] = (uint8_t)(p->len - start - 40);
}

/* The inner packet of @f for @linktype (EN10MB: with the flow's VLAN tags). */
static inline void pkt_flow(struct pkt *p, const struct tflow *f, int linktype)
{
	uint16_t et = f->family == 6 ? 0x86dd : 0x0800;

	if (linktype == UDPCAP_LINKTYPE_EN10MB) {
		pkt_eth(p, f->vlans ? f->tpid[0] : et);
		for (int i = 0; i < f->vlans; i++) {
			pkt_be16(p, f->vid[i]);
			pkt_be16(p, i + 1 < f->vlans ? f->tpid[i + 1] : et);
		}
	} else if (linktype == UDPCAP_LINKTYPE_PPP) {
		pkt_be16(p, 0xff03);
		pkt_be16(p, f->family == 6 ? 0x0057 : 0x0021);
	}
	if (f->family == 6)
		pkt_ipv6(p, f);
	else
		pkt_ipv4(p, f);
}

/* The same flow in the other direction. */
static inline struct tflow tflow_reverse(const struct tflow *f)
{
	struct tflow r = *f;

	memcpy(r.src, f->dst, 16);
	memcpy(r.dst, f->src, 16);
	r.sport = f->dport;
	r.dport = f->sport;
	return r;
}

/* Encapsulations: each writes its header into @p, then appends @inner. */
static inline void pkt_vxlan(struct pkt *p, uint32_t vni, const struct pkt *inner)
{
	pkt_be32(p, 0x08000000);
	pkt_be24(p, vni);
	pkt_u8(p, 0);
	pkt_put(p, inner->b, inner->len);
}

static inline void pkt_geneve(struct pkt *p, uint32_t vni, uint16_t proto, int opt_words,
			      const struct pkt *inner)
{
	pkt_u8(p, (uint8_t)(opt_words & 0x3f));
	pkt_u8(p, 0);
	pkt_be16(p, proto);
	pkt_be24(p, vni);
	pkt_u8(p, 0);
	for (int i = 0; i < opt_words; i++)
		pkt_be32(p, 0xa5a5a5a5u + (uint32_t)i);
	pkt_put(p, inner->b, inner->len);
}

/*
 * AWS GWLB + Traffic Mirroring: GENEVE (proto IPv4/IPv6), IP (family 4 with
 * @ext option words, or 6 with @ext dest-opt headers), UDP to 4789, VXLAN.
 */
static inline void pkt_gwlb(struct pkt *p, uint32_t gvni, uint32_t xvni, int family, int ext,
			    const struct pkt *inner)
{
	struct pkt ip = {.len = 0}, vx = {.len = 0};
	struct tflow t = {
		.family = family,
		.src = {10, 0, 0, 1},
		.dst = {10, 0, 0, 2},
		.proto = 17,
		.sport = 40000,
		.dport = 4789,
	};

	if (family == 6) {
		t.src[0] = 0xfd;
		t.dst[0] = 0xfd;
		t.ip6_ext = ext;
	} else {
		t.ip4_opt_words = ext;
	}
	pkt_vxlan(&vx, xvni, inner);
	t.payload = 0;
	if (family == 6)
		pkt_ipv6(&ip, &t);
	else
		pkt_ipv4(&ip, &t);
	/* pkt_l4 wrote an empty UDP; append VXLAN as its payload, fix the lengths */
	pkt_put(&ip, vx.b, vx.len);
	{
		size_t udp_at = family == 6 ? 40 + 8 * (size_t)ext : 20 + 4 * (size_t)ext;
		size_t tot = family == 6 ? ip.len - 40 : ip.len;

		ip.b[family == 6 ? 4 : 2] = (uint8_t)(tot >> 8);
		ip.b[family == 6 ? 5 : 3] = (uint8_t)tot;
		ip.b[udp_at + 4] = (uint8_t)((ip.len - udp_at) >> 8);
		ip.b[udp_at + 5] = (uint8_t)(ip.len - udp_at);
	}
	pkt_geneve(p, gvni, family == 6 ? 0x86dd : 0x0800, 2, &ip);
}

/*
 * Well-formed samples of every encapsulation and link type (test and fuzz
 * seeds). Fills up to @max entries of @s, returns how many.
 */
static inline int pkt_samples(struct pkt *s, int max)
{
	struct tflow f4 = {.family = 4, .src = {10, 1, 2, 3}, .dst = {192, 168, 9, 9}, .proto = 6,
			   .sport = 1234, .dport = 80, .vlans = 2, .vid = {5, 6},
			   .tpid = {0x88a8, 0x8100}, .ip4_opt_words = 3, .payload = 5};
	struct tflow f6 = {.family = 6, .src = {0x20, 1, 0xd, 0xb8, [15] = 1},
			   .dst = {0x20, 1, 0xd, 0xb8, [15] = 2}, .proto = 17, .sport = 53,
			   .dport = 5353, .ip6_ext = 2, .ip6_ext_words = 1, .frag = TFRAG_FIRST,
			   .payload = 3};
	struct pkt in4 = {.len = 0}, in6 = {.len = 0}, raw6 = {.len = 0}, ppp4 = {.len = 0};
	int n = 0;

	if (max < 8)
		return 0;
	pkt_flow(&in4, &f4, UDPCAP_LINKTYPE_EN10MB);
	pkt_flow(&in6, &f6, UDPCAP_LINKTYPE_EN10MB);
	pkt_flow(&raw6, &f6, UDPCAP_LINKTYPE_RAW);
	pkt_flow(&ppp4, &f4, UDPCAP_LINKTYPE_PPP);
	memset(s, 0, sizeof(*s) * 8);
	s[n++] = in4;
	s[n++] = raw6;
	s[n++] = ppp4;
	pkt_vxlan(&s[n++], 77, &in6);
	pkt_geneve(&s[n++], 88, 0x6558, 3, &in4);
	pkt_geneve(&s[n++], 89, 0x86dd, 0, &raw6);
	pkt_gwlb(&s[n++], 1, 2, 4, 2, &in4);
	pkt_gwlb(&s[n++], 3, 4, 6, 2, &in6);
	return n;
}

/* splitmix64: the tests' deterministic random numbers (fixed seeds). */
static inline uint64_t pkt_rng(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * A random flow: IPv4 or IPv6, often shared address prefixes, sometimes the
 * same host at both ends or equal ports, TCP/UDP/SCTP/ICMP(v6), 0-2 VLAN
 * tags, IPv4 options, IPv6 extension headers, 1 in 5 a first or later
 * fragment.
 */
static inline struct tflow tflow_random(uint64_t *rs)
{
	static const uint8_t p4[] = {6, 17, 132, 1}, p6[] = {6, 17, 132, 58};
	struct tflow t;

	memset(&t, 0, sizeof(t));
	t.family = pkt_rng(rs) % 2 ? 6 : 4;
	for (int i = 0; i < (t.family == 6 ? 16 : 4); i++) {
		t.src[i] = (uint8_t)pkt_rng(rs);
		t.dst[i] = (pkt_rng(rs) % 8) ? (uint8_t)pkt_rng(rs) : t.src[i];
	}
	if (pkt_rng(rs) % 50 == 0)
		memcpy(t.dst, t.src, 16); /* same host both ends: ports decide */
	t.proto = t.family == 6 ? p6[pkt_rng(rs) % 4] : p4[pkt_rng(rs) % 4];
	t.sport = (uint16_t)pkt_rng(rs);
	t.dport = pkt_rng(rs) % 20 ? (uint16_t)pkt_rng(rs) : t.sport;
	t.vlans = (int)(pkt_rng(rs) % 3);
	for (int i = 0; i < t.vlans; i++) {
		t.vid[i] = (uint16_t)(pkt_rng(rs) % 4096);
		t.tpid[i] = i == 0 && t.vlans == 2 ? 0x88a8 : 0x8100;
	}
	t.frag = pkt_rng(rs) % 5 == 0 ? (enum tfrag)(1 + pkt_rng(rs) % 2) : TFRAG_NONE;
	t.ip4_opt_words = (int)(pkt_rng(rs) % 4);
	t.ip6_ext = (int)(pkt_rng(rs) % 3);
	t.ip6_ext_words = (int)(pkt_rng(rs) % 2);
	t.payload = pkt_rng(rs) % 24;
	return t;
}

#endif /* UDPCAP_TESTS_PARSE_PKT_H */
