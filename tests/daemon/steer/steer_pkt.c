/* SPDX-License-Identifier: BSD-3-Clause */
/* Steering tests: builders for synthetic tunnel payloads (see steer_pkt.h). */
#include <string.h>

#include "steer_pkt.h"

const struct tconf tconfs[] = {
    {"vxlan", {.type = UDPCAP_ENCAP_VXLAN}},
    {"geneve", {.type = UDPCAP_ENCAP_GENEVE}},
    {"geneve+vxlan", {.type = UDPCAP_ENCAP_GENEVE_VXLAN}},
    {"raw en10mb", {.type = UDPCAP_ENCAP_RAW, .linktype = UDPCAP_LINKTYPE_EN10MB}},
    {"raw raw", {.type = UDPCAP_ENCAP_RAW, .linktype = UDPCAP_LINKTYPE_RAW}},
    {"raw ppp", {.type = UDPCAP_ENCAP_RAW, .linktype = UDPCAP_LINKTYPE_PPP}},
    {"skip=16 en10mb", {.type = UDPCAP_ENCAP_SKIP, .skip = 16, .linktype = UDPCAP_LINKTYPE_EN10MB}},
    {"skip=5 raw", {.type = UDPCAP_ENCAP_SKIP, .skip = 5, .linktype = UDPCAP_LINKTYPE_RAW}},
};
const size_t tconf_count = sizeof(tconfs) / sizeof(tconfs[0]);

uint64_t trand(uint64_t *s)
{
	/* splitmix64: reproducible across runs and machines */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void tflow_random(struct tflow *f, uint64_t *rng, int v6)
{
	static const uint8_t protos[] = {6, 6, 6, 17, 17, 132, 1};
	uint64_t r = trand(rng);

	memset(f, 0, sizeof(*f));
	f->v6 = v6 < 0 ? (int)(r & 1) : v6;
	for (int i = 0; i < 16; i += 8) {
		uint64_t a = trand(rng), b = trand(rng);

		memcpy(f->src + i, &a, 8);
		memcpy(f->dst + i, &b, 8);
	}
	r = trand(rng);
	f->proto = protos[r % sizeof(protos)];
	f->sport = (uint16_t)(r >> 8);
	f->dport = (uint16_t)(r >> 24);
	f->vlans = (int)((r >> 40) % 3);
	f->v6_ext = (int)((r >> 42) % 3);
	f->v4_opts = (int)((r >> 44) % 3);
	f->geneve_opt_words = (int)((r >> 46) % 8);
	f->gwlb_v6 = (int)((r >> 49) & 1);
	f->frag = ((r >> 50) & 15) == 0 ? 1 + (int)((r >> 54) & 1) : 0;
}

void tflow_reverse(struct tflow *f)
{
	uint8_t a[16];
	uint16_t p = f->sport;

	memcpy(a, f->src, 16);
	memcpy(f->src, f->dst, 16);
	memcpy(f->dst, a, 16);
	f->sport = f->dport;
	f->dport = p;
}

struct w {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct w *w, const void *d, size_t n)
{
	if (w->len + n > w->cap) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put8(struct w *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put16(struct w *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 2);
}

static void put32(struct w *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

static void fill(struct w *w, uint8_t v, size_t n)
{
	while (n--)
		put8(w, v);
}

/* L4 header and payload (4-byte sequence number last). */
static void l4(struct w *w, const struct tflow *f)
{
	if (f->frag == 2) {
		fill(w, 0xab, 16);
	} else if (f->proto == 6) {
		put16(w, f->sport), put16(w, f->dport);
		put32(w, 1000), put32(w, 0);
		put16(w, 0x5010), put16(w, 512), put32(w, 0);
	} else if (f->proto == 17) {
		put16(w, f->sport), put16(w, f->dport), put16(w, 8 + 12), put16(w, 0);
	} else if (f->proto == 132) {
		put16(w, f->sport), put16(w, f->dport), put32(w, 7), put32(w, 0);
	} else {
		put32(w, 0x08000000);
	}
	put32(w, 0xdeadbeef), put32(w, 0x01020304);
	put32(w, f->seq);
}

static void ipv4(struct w *w, const struct tflow *f, uint8_t proto_override)
{
	size_t start = w->len;
	uint16_t fragoff = f->frag == 1 ? 0x2000 : f->frag == 2 ? 0x0010 : 0x4000;

	put8(w, (uint8_t)(0x45 + f->v4_opts));
	put8(w, 0), put16(w, 0);
	put16(w, 0x1234), put16(w, fragoff);
	put8(w, 64), put8(w, proto_override ? proto_override : f->proto), put16(w, 0);
	put(w, f->src, 4), put(w, f->dst, 4);
	fill(w, 1, (size_t)f->v4_opts * 4); /* NOP options */
	(void)start;
}

static void ipv6(struct w *w, const struct tflow *f, uint8_t proto_override)
{
	uint8_t proto = proto_override ? proto_override : f->proto;
	int ext = proto_override ? 0 : f->v6_ext;
	uint8_t first = ext ? 0 : (f->frag && !proto_override ? 44 : proto);

	put32(w, 0x60000000), put16(w, 0), put8(w, first), put8(w, 64);
	put(w, f->src, 16), put(w, f->dst, 16);
	for (int i = 0; i < ext; i++) {
		/* hop-by-hop first, then destination options; 16 bytes each */
		uint8_t next = i + 1 < ext ? 60 : (f->frag ? 44 : proto);

		put8(w, next), put8(w, 1), fill(w, 0, 14);
	}
	if (f->frag && !proto_override)
		put8(w, proto), put8(w, 0), put16(w, f->frag == 2 ? 0x0010 : 0x0001),
		    put32(w, 0x4242);
}

static void ip(struct w *w, const struct tflow *f)
{
	if (f->v6)
		ipv6(w, f, 0);
	else
		ipv4(w, f, 0);
	l4(w, f);
}

static void ethernet(struct w *w, const struct tflow *f)
{
	static const uint16_t tpid[2] = {0x88a8, 0x8100};
	uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};

	put(w, mac_a, 6), put(w, mac_b, 6);
	for (int i = 0; i < f->vlans; i++)
		put16(w, f->vlans == 1 ? 0x8100 : tpid[i]), put16(w, (uint16_t)(100 + i));
	put16(w, f->v6 ? 0x86dd : 0x0800);
	ip(w, f);
}

static void inner(struct w *w, const struct tflow *f, uint16_t linktype)
{
	if (linktype == UDPCAP_LINKTYPE_EN10MB) {
		ethernet(w, f);
	} else if (linktype == UDPCAP_LINKTYPE_PPP) {
		put16(w, 0xff03), put16(w, f->v6 ? 0x0057 : 0x0021);
		ip(w, f);
	} else {
		ip(w, f);
	}
}

static void geneve_hdr(struct w *w, const struct tflow *f, uint16_t proto)
{
	put8(w, (uint8_t)f->geneve_opt_words), put8(w, 0), put16(w, proto);
	put32(w, 0x00abcd00);
	for (int i = 0; i < f->geneve_opt_words; i++)
		put32(w, 0x01080100u + (uint32_t)i);
}

static void vxlan_hdr(struct w *w)
{
	put32(w, 0x08000000), put32(w, 0x00001200);
}

size_t tpkt_build(const struct udpcap_encap *enc, const struct tflow *f, uint8_t *out, size_t cap)
{
	struct w w = {.p = out, .cap = cap};
	struct tflow mid = {0};

	switch (enc->type) {
	case UDPCAP_ENCAP_VXLAN:
		vxlan_hdr(&w);
		ethernet(&w, f);
		break;
	case UDPCAP_ENCAP_GENEVE:
		/* alternate Ethernet and bare IP inside, by flow */
		if ((f->sport ^ f->dport) & 1) {
			geneve_hdr(&w, f, 0x6558);
			ethernet(&w, f);
		} else {
			geneve_hdr(&w, f, f->v6 ? 0x86dd : 0x0800);
			ip(&w, f);
		}
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		/* the GWLB hop: fixed endpoints, like a real appliance tunnel */
		mid.v6 = f->gwlb_v6;
		memset(mid.src, 10, 16), memset(mid.dst, 20, 16);
		geneve_hdr(&w, f, mid.v6 ? 0x86dd : 0x0800);
		if (mid.v6)
			ipv6(&w, &mid, 17);
		else
			ipv4(&w, &mid, 17);
		put16(&w, 40000), put16(&w, 4789), put16(&w, 0), put16(&w, 0);
		vxlan_hdr(&w);
		ethernet(&w, f);
		break;
	case UDPCAP_ENCAP_SKIP:
		fill(&w, 0x5a, enc->skip);
		inner(&w, f, enc->linktype);
		break;
	case UDPCAP_ENCAP_RAW:
		inner(&w, f, enc->linktype);
		break;
	}
	return w.err ? 0 : w.len;
}

uint32_t tpkt_seq(const uint8_t *p, size_t len)
{
	if (len < 4)
		return UINT32_MAX;
	return (uint32_t)p[len - 4] << 24 | (uint32_t)p[len - 3] << 16 | (uint32_t)p[len - 2] << 8 |
	       p[len - 1];
}
