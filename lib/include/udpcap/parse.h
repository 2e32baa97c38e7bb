/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: tunnel decapsulation, inner flow extraction and the symmetric
 * flow hash, as header-only code that compiles both for user space (gcc or
 * clang, C or C++) and for `clang -O2 -target bpf`. The daemon (through
 * <udpcap/decap.h>) and the eBPF sk_reuseport steering program include this
 * same file, so their hashes can never drift apart.
 *
 * ---------------------------------------------------------------------------
 * Contract for a BPF program
 * ---------------------------------------------------------------------------
 * Before including this header, define the context type and the byte loader:
 *
 *	#define UDPCAP_PARSE_CTX struct sk_reuseport_md
 *	#define UDPCAP_PARSE_LOAD(ctx, off, dst, n) \
 *		bpf_skb_load_bytes((ctx), 8 + (off), (dst), (n))
 *	#include <udpcap/parse.h>
 *
 * - UDPCAP_PARSE_LOAD(ctx, off, dst, n) copies n bytes at UDP-payload offset
 *   off into dst and evaluates to 0 on success, non-zero on failure. Every
 *   read of this header goes through it; n is always a compile-time
 *   constant (1..28), off a scalar. In sk_reuseport programs the
 *   skb data starts at the UDP header, hence the 8.
 * - The caller passes the UDP payload length (md->len - 8 there, after
 *   checking md->len >= 8); every read is checked against it before the
 *   loader is called.
 * - Then, for one datagram:
 *
 *	struct udpcap_encap enc = { .type = UDPCAP_ENCAP_VXLAN };
 *	__u32 hash;
 *	if (udpcap_parse_steer(md, md->len - 8, &enc, UDPCAP_HASH_5TUPLE, &hash))
 *		... undecodable: pick any socket, the daemon counts the reason ...
 *	index = hash % nr_sockets;
 *
 *   or the steps udpcap_parse_decap(), udpcap_parse_flow(),
 *   udpcap_parse_hash() separately.
 * - No libc, no globals, no division, no floating point; loops have small
 *   constant bounds (VLAN tags <= 2, IPv6 extension headers <= 6), verified
 *   as bounded loops (kernel >= 5.3). A whole sk_reuseport program around
 *   udpcap_parse_steer() uses 184 bytes of stack and passes the verifier
 *   with CAP_BPF alone (tests/lib/parse/test_bpf.sh). Everything is static
 *   inline, always_inline.
 * - Headers for the BPF build: with <linux/bpf.h> add
 *   -I/usr/include/$(gcc -print-multiarch) for <asm/types.h>.
 * - Types come from compiler-predefined macros, not <stdint.h> or
 *   <linux/types.h>, so this header mixes with vmlinux.h or linux/bpf.h.
 *   The only includes are <udpcap/common.h> (plain enums and macros) and
 *   <udpcap/decap_types.h> (the types, shared with <udpcap/decap.h>).
 *
 * User space needs nothing: the default context is struct udpcap_parse_buf
 * (a pointer and a length) with a bounds-checked copy as the loader. Prefer
 * the exported wrappers in <udpcap/decap.h>.
 *
 * The hash is specified in docs/parsing.md; change it only together with
 * the steering program and the version of that document.
 */
#ifndef UDPCAP_PARSE_H
#define UDPCAP_PARSE_H

#include <udpcap/common.h>
#include <udpcap/decap_types.h>

UDPCAP_BEGIN_DECLS

/* Limits of the bounded loops (the BPF verifier needs them). */
#define UDPCAP_PARSE_VLAN_MAX 2
#define UDPCAP_PARSE_IPV6_EXT_MAX 6

#define UDPCAP_PARSE_FN static inline __attribute__((always_inline))

/*
 * Loops are left as bounded loops (verifier: kernel >= 5.3). A program for
 * an older kernel may define this as _Pragma("unroll") for the small loops;
 * the IPv6 extension header walk is never unrolled.
 */
#ifndef UDPCAP_PARSE_UNROLL
#define UDPCAP_PARSE_UNROLL
#endif

#ifndef UDPCAP_PARSE_LOAD
/* User space: the UDP payload is a plain buffer. */
struct udpcap_parse_buf {
	const udpcap_u8 *base;
	udpcap_u32 len;
};

#define UDPCAP_PARSE_CTX struct udpcap_parse_buf
#define UDPCAP_PARSE_LOAD(ctx, off, dst, n) udpcap_parse_buf_load((ctx), (off), (dst), (n))

/* Callers check lengths first; this check only guards against a bug there. */
UDPCAP_PARSE_FN int udpcap_parse_buf_load(const struct udpcap_parse_buf *b, udpcap_u32 off,
					  void *dst, udpcap_u32 n)
{
	if (off > b->len || n > b->len - off)
		return -1;
	__builtin_memcpy(dst, b->base + off, n);
	return 0;
}
#endif

#ifndef UDPCAP_PARSE_CTX
#error "UDPCAP_PARSE_LOAD is defined: define UDPCAP_PARSE_CTX (the context type) too"
#endif

/* Protocol numbers used below. */
#define UDPCAP_ETH_P_IPV4 0x0800
#define UDPCAP_ETH_P_ARP 0x0806
#define UDPCAP_ETH_P_8021Q 0x8100
#define UDPCAP_ETH_P_8021AD 0x88a8
#define UDPCAP_ETH_P_IPV6 0x86dd
#define UDPCAP_ETH_P_TEB 0x6558 /* transparent Ethernet bridging */

UDPCAP_PARSE_FN udpcap_u32 udpcap_parse_be16(const udpcap_u8 *p)
{
	return ((udpcap_u32)p[0] << 8) | p[1];
}

UDPCAP_PARSE_FN udpcap_u32 udpcap_parse_be24(const udpcap_u8 *p)
{
	return ((udpcap_u32)p[0] << 16) | ((udpcap_u32)p[1] << 8) | p[2];
}

UDPCAP_PARSE_FN udpcap_u32 udpcap_parse_be32(const udpcap_u8 *p)
{
	return ((udpcap_u32)p[0] << 24) | ((udpcap_u32)p[1] << 16) | ((udpcap_u32)p[2] << 8) |
	       p[3];
}

/*
 * Walk IPv6 extension headers starting at *off with next header *nh, up to
 * UDPCAP_PARSE_IPV6_EXT_MAX of them. On return *nh is the first header that
 * is not an extension header (or the one the walk stopped at) and *off its
 * offset. *frag is 1 for a first fragment, 2 for a later one (the walk stops
 * at its fragment header). Returns 0, or -1 if a header runs past @end.
 */
UDPCAP_PARSE_FN int udpcap_parse__ipv6_ext(UDPCAP_PARSE_CTX *ctx, udpcap_u32 *off, udpcap_u32 end,
					   udpcap_u8 *nh, udpcap_u8 *frag)
{
	udpcap_u8 e[8];
	udpcap_u32 hl;
	int i;

	for (i = 0; i < UDPCAP_PARSE_IPV6_EXT_MAX; i++) {
		udpcap_u8 h = *nh;

		/* hop-by-hop, routing, fragment, AH, destination options */
		if (h != 0 && h != 43 && h != 44 && h != 51 && h != 60)
			return 0;
		/* each of them is at least 8 bytes long */
		if (*off > end || end - *off < 8)
			return -1;
		if (UDPCAP_PARSE_LOAD(ctx, *off, e, 8))
			return -1;
		if (h == 44) {
			*frag = (udpcap_parse_be16(e + 2) & 0xfff8) ? 2 : 1;
			*nh = e[0];
			*off += 8;
			if (*frag == 2)
				return 0;
			continue;
		}
		if (h == 51)
			hl = ((udpcap_u32)e[1] + 2) << 2;
		else
			hl = ((udpcap_u32)e[1] + 1) << 3;
		if (hl > end - *off)
			return -1;
		*nh = e[0];
		*off += hl;
	}
	return 0;
}

/* VXLAN header at @off; the inner Ethernet frame follows it. */
UDPCAP_PARSE_FN int udpcap_parse__vxlan(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 len,
					struct udpcap_decap *d)
{
	udpcap_u8 h[8];

	if (off > len || len - off < 8)
		return UDPCAP_DECAP_VXLAN_SHORT;
	if (UDPCAP_PARSE_LOAD(ctx, off, h, 8))
		return UDPCAP_DECAP_VXLAN_SHORT;
	if (!(h[0] & 0x08))
		return UDPCAP_DECAP_VXLAN_NO_VNI;
	d->vxlan_vni = udpcap_parse_be24(h + 4);
	d->flags |= UDPCAP_DECAP_F_VXLAN_VNI;
	off += 8;
	if (off == len)
		return UDPCAP_DECAP_EMPTY;
	d->inner_off = off;
	d->inner_len = len - off;
	d->linktype = UDPCAP_LINKTYPE_EN10MB;
	return UDPCAP_DECAP_OK;
}

/*
 * GENEVE header at offset 0. Fills the GENEVE fields of @d and sets
 * *ret_proto and *ret_off (first byte after the options).
 */
UDPCAP_PARSE_FN int udpcap_parse__geneve(UDPCAP_PARSE_CTX *ctx, udpcap_u32 len,
					 struct udpcap_decap *d, udpcap_u32 *ret_proto,
					 udpcap_u32 *ret_off)
{
	udpcap_u8 h[8];
	udpcap_u32 optlen;

	if (len < 8)
		return UDPCAP_DECAP_GENEVE_SHORT;
	if (UDPCAP_PARSE_LOAD(ctx, 0, h, 8))
		return UDPCAP_DECAP_GENEVE_SHORT;
	if (h[0] >> 6)
		return UDPCAP_DECAP_GENEVE_VERSION;
	optlen = ((udpcap_u32)h[0] & 0x3f) << 2;
	if (optlen > len - 8)
		return UDPCAP_DECAP_GENEVE_OPTLEN;
	d->geneve_vni = udpcap_parse_be24(h + 4);
	d->geneve_opt_off = 8;
	d->geneve_opt_len = optlen;
	d->flags |= UDPCAP_DECAP_F_GENEVE_VNI;
	*ret_proto = udpcap_parse_be16(h + 2);
	*ret_off = 8 + optlen;
	return UDPCAP_DECAP_OK;
}

/*
 * AWS GWLB with Traffic Mirroring: after GENEVE (at @off) comes an IPv4 or
 * IPv6 packet carrying UDP, whose payload is VXLAN. The outer UDP port is not
 * checked: whatever that UDP carries is decoded as VXLAN.
 */
UDPCAP_PARSE_FN int udpcap_parse__gwlb(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 len,
				       udpcap_u32 proto, struct udpcap_decap *d)
{
	udpcap_u8 h[20];
	udpcap_u8 nh, frag = 0;

	if (proto != UDPCAP_ETH_P_IPV4 && proto != UDPCAP_ETH_P_IPV6)
		return UDPCAP_DECAP_GENEVE_PROTO;
	/* 20 bytes: a whole IPv4 header, or the start of an IPv6 one */
	if (len - off < 20)
		return UDPCAP_DECAP_GWLB_IP;
	if (UDPCAP_PARSE_LOAD(ctx, off, h, 20))
		return UDPCAP_DECAP_GWLB_IP;
	if (proto == UDPCAP_ETH_P_IPV4) {
		udpcap_u32 ihl = ((udpcap_u32)h[0] & 0x0f) << 2;

		if ((h[0] >> 4) != 4 || ihl < 20 || ihl > len - off)
			return UDPCAP_DECAP_GWLB_IP;
		/* a later fragment has no UDP header at this place */
		if (h[9] != 17 || (udpcap_parse_be16(h + 6) & 0x1fff))
			return UDPCAP_DECAP_GWLB_NOT_UDP;
		off += ihl;
	} else {
		if ((h[0] >> 4) != 6 || len - off < 40)
			return UDPCAP_DECAP_GWLB_IP;
		nh = h[6];
		off += 40;
		if (udpcap_parse__ipv6_ext(ctx, &off, len, &nh, &frag))
			return UDPCAP_DECAP_GWLB_IP;
		if (nh != 17 || frag == 2)
			return UDPCAP_DECAP_GWLB_NOT_UDP;
	}
	if (len - off < 8)
		return UDPCAP_DECAP_GWLB_UDP_SHORT;
	return udpcap_parse__vxlan(ctx, off + 8, len, d);
}

/*
 * udpcap_parse_decap - strip @enc from a UDP payload of @len bytes.
 * Returns UDPCAP_DECAP_OK with @d filled in, or one enum udpcap_decap_reason
 * (then @d holds whatever was decoded before the failure).
 */
UDPCAP_PARSE_FN int udpcap_parse_decap(UDPCAP_PARSE_CTX *ctx, udpcap_u32 len,
				       const struct udpcap_encap *enc, struct udpcap_decap *d)
{
	udpcap_u32 off = 0, proto = 0;
	int r;

	__builtin_memset(d, 0, sizeof(*d));
	switch (enc->type) {
	case UDPCAP_ENCAP_RAW:
	case UDPCAP_ENCAP_SKIP:
		if (enc->type == UDPCAP_ENCAP_SKIP) {
			off = enc->skip;
			if (len < off)
				return UDPCAP_DECAP_SKIP_SHORT;
		}
		if (len == off)
			return UDPCAP_DECAP_EMPTY;
		d->inner_off = off;
		d->inner_len = len - off;
		d->linktype = enc->linktype;
		return UDPCAP_DECAP_OK;
	case UDPCAP_ENCAP_VXLAN:
		return udpcap_parse__vxlan(ctx, 0, len, d);
	case UDPCAP_ENCAP_GENEVE:
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		r = udpcap_parse__geneve(ctx, len, d, &proto, &off);
		if (r)
			return r;
		if (enc->type == UDPCAP_ENCAP_GENEVE_VXLAN)
			return udpcap_parse__gwlb(ctx, off, len, proto, d);
		if (proto == UDPCAP_ETH_P_TEB)
			d->linktype = UDPCAP_LINKTYPE_EN10MB;
		else if (proto == UDPCAP_ETH_P_IPV4 || proto == UDPCAP_ETH_P_IPV6)
			d->linktype = UDPCAP_LINKTYPE_RAW;
		else
			return UDPCAP_DECAP_GENEVE_PROTO;
		if (off == len)
			return UDPCAP_DECAP_EMPTY;
		d->inner_off = off;
		d->inner_len = len - off;
		return UDPCAP_DECAP_OK;
	}
	/* not an encapsulation this header knows: nothing can be decoded */
	return UDPCAP_DECAP_EMPTY;
}

/* TCP, UDP, DCCP, SCTP, UDP-Lite: ports in the first four bytes. */
UDPCAP_PARSE_FN void udpcap_parse__ports(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 end,
					 struct udpcap_flow *f)
{
	udpcap_u8 p[4];
	udpcap_u8 proto = f->proto;

	if (proto != 6 && proto != 17 && proto != 33 && proto != 132 && proto != 136)
		return;
	if (off > end || end - off < 4)
		return;
	if (UDPCAP_PARSE_LOAD(ctx, off, p, 4))
		return;
	f->sport = (udpcap_u16)udpcap_parse_be16(p);
	f->dport = (udpcap_u16)udpcap_parse_be16(p + 2);
	f->flags |= UDPCAP_FLOW_F_PORTS;
}

UDPCAP_PARSE_FN void udpcap_parse__ipv4(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 end,
					struct udpcap_flow *f)
{
	udpcap_u8 h[20];
	udpcap_u32 ihl, frag;

	if (off > end || end - off < 20)
		return;
	if (UDPCAP_PARSE_LOAD(ctx, off, h, 20))
		return;
	ihl = ((udpcap_u32)h[0] & 0x0f) << 2;
	if ((h[0] >> 4) != 4 || ihl < 20)
		return;
	__builtin_memcpy(&f->src[0], h + 12, 4);
	__builtin_memcpy(&f->dst[0], h + 16, 4);
	f->proto = h[9];
	f->flags |= UDPCAP_FLOW_F_IPV4;
	/* MF or an offset: a fragment (DF alone is not) */
	frag = udpcap_parse_be16(h + 6) & 0x3fff;
	if (frag)
		f->flags |= UDPCAP_FLOW_F_FRAG;
	if ((frag & 0x1fff) || ihl > end - off)
		return;
	udpcap_parse__ports(ctx, off + ihl, end, f);
}

UDPCAP_PARSE_FN void udpcap_parse__ipv6(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 end,
					struct udpcap_flow *f)
{
	udpcap_u8 h[8];
	udpcap_u8 nh, frag = 0;
	int r;

	if (off > end || end - off < 40)
		return;
	if (UDPCAP_PARSE_LOAD(ctx, off, h, 8))
		return;
	if ((h[0] >> 4) != 6)
		return;
	if (UDPCAP_PARSE_LOAD(ctx, off + 8, f->src, 16) ||
	    UDPCAP_PARSE_LOAD(ctx, off + 24, f->dst, 16)) {
		__builtin_memset(f->src, 0, sizeof(f->src));
		__builtin_memset(f->dst, 0, sizeof(f->dst));
		return;
	}
	f->flags |= UDPCAP_FLOW_F_IPV6;
	nh = h[6];
	off += 40;
	r = udpcap_parse__ipv6_ext(ctx, &off, end, &nh, &frag);
	f->proto = nh;
	if (frag)
		f->flags |= UDPCAP_FLOW_F_FRAG;
	if (r || frag == 2)
		return;
	udpcap_parse__ports(ctx, off, end, f);
}

/* ARP for IPv4 over Ethernet: sender and target protocol addresses. */
UDPCAP_PARSE_FN void udpcap_parse__arp(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 end,
				       struct udpcap_flow *f)
{
	udpcap_u8 a[28];

	if (off > end || end - off < 28)
		return;
	if (UDPCAP_PARSE_LOAD(ctx, off, a, 28))
		return;
	if (udpcap_parse_be16(a) != 1 || udpcap_parse_be16(a + 2) != UDPCAP_ETH_P_IPV4 ||
	    a[4] != 6 || a[5] != 4)
		return;
	__builtin_memcpy(&f->src[0], a + 14, 4);
	__builtin_memcpy(&f->dst[0], a + 24, 4);
}

/*
 * udpcap_parse_flow - extract the flow of the inner packet at [off, off+len)
 * of the context, a packet of link type @linktype (enum udpcap_linktype).
 * @f is always cleared first; whatever could be read is set, so cut-short
 * and non-IP packets still give a (deterministic) flow.
 * Returns 0, or -1 for an unknown link type.
 */
UDPCAP_PARSE_FN int udpcap_parse_flow(UDPCAP_PARSE_CTX *ctx, udpcap_u32 off, udpcap_u32 len,
				      udpcap_u32 linktype, struct udpcap_flow *f)
{
	udpcap_u8 b[4] = {0, 0, 0, 0};
	udpcap_u32 end = off + len;
	udpcap_u32 et = 0;
	int i;

	__builtin_memset(f, 0, sizeof(*f));
	if (end < off)
		return 0;
	if (linktype == UDPCAP_LINKTYPE_EN10MB) {
		if (len < 14 || UDPCAP_PARSE_LOAD(ctx, off + 12, b, 2))
			return 0;
		et = udpcap_parse_be16(b);
		off += 14;
		UDPCAP_PARSE_UNROLL
		for (i = 0; i < UDPCAP_PARSE_VLAN_MAX; i++) {
			if (et != UDPCAP_ETH_P_8021Q && et != UDPCAP_ETH_P_8021AD)
				break;
			if (end - off < 4 || UDPCAP_PARSE_LOAD(ctx, off, b, 4)) {
				et = 0;
				break;
			}
			f->vlan[i] = (udpcap_u16)(udpcap_parse_be16(b) & 0x0fff);
			f->vlan_count = (udpcap_u8)(i + 1);
			et = udpcap_parse_be16(b + 2);
			off += 4;
		}
	} else if (linktype == UDPCAP_LINKTYPE_RAW) {
		if (len < 1 || UDPCAP_PARSE_LOAD(ctx, off, b, 1))
			return 0;
		if ((b[0] >> 4) == 4)
			et = UDPCAP_ETH_P_IPV4;
		else if ((b[0] >> 4) == 6)
			et = UDPCAP_ETH_P_IPV6;
	} else if (linktype == UDPCAP_LINKTYPE_PPP) {
		/* RFC 1662 address/control 0xff 0x03 may be omitted (ACFC) */
		if (len < 2 || UDPCAP_PARSE_LOAD(ctx, off, b, 2))
			return 0;
		if (b[0] == 0xff && b[1] == 0x03) {
			off += 2;
			if (end - off < 2 || UDPCAP_PARSE_LOAD(ctx, off, b, 2))
				return 0;
		}
		/* an odd first byte is a one-byte (compressed, PFC) protocol */
		if (b[0] & 1) {
			et = b[0];
			off += 1;
		} else {
			et = udpcap_parse_be16(b);
			off += 2;
		}
		if (et == 0x21)
			et = UDPCAP_ETH_P_IPV4;
		else if (et == 0x57)
			et = UDPCAP_ETH_P_IPV6;
		else
			et = 0;
	} else {
		return -1;
	}
	f->ethertype = (udpcap_u16)et;
	if (et == UDPCAP_ETH_P_IPV4)
		udpcap_parse__ipv4(ctx, off, end, f);
	else if (et == UDPCAP_ETH_P_IPV6)
		udpcap_parse__ipv6(ctx, off, end, f);
	else if (et == UDPCAP_ETH_P_ARP)
		udpcap_parse__arp(ctx, off, end, f);
	return 0;
}

#define UDPCAP_PARSE_HASH_SEED 0x75647063u /* "udpc" */

UDPCAP_PARSE_FN udpcap_u32 udpcap_parse__rotl(udpcap_u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One MurmurHash3 (x86_32) block round. */
UDPCAP_PARSE_FN udpcap_u32 udpcap_parse__mix(udpcap_u32 h, udpcap_u32 k)
{
	k *= 0xcc9e2d51u;
	k = udpcap_parse__rotl(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = udpcap_parse__rotl(h, 13);
	return h * 5 + 0xe6546b64u;
}

/*
 * udpcap_parse_hash - the symmetric flow hash (docs/parsing.md, "Hash"):
 * MurmurHash3 x86_32, seed UDPCAP_PARSE_HASH_SEED, over ten 32-bit words:
 *   w0..w3  lower endpoint address, w4..w7 higher endpoint address (each
 *           word the big-endian value of 4 address bytes; IPv4 in w0/w4,
 *           the rest 0), endpoints ordered by (address words, port),
 *   w8      lower endpoint port << 16 | higher endpoint port,
 *   w9      ethertype << 16 | IP protocol.
 * Ports and protocol count only in UDPCAP_HASH_5TUPLE for non-fragments
 * (ports only when the flow has them); so A->B and B->A hash alike, and all
 * fragments of a datagram with them.
 */
UDPCAP_PARSE_FN udpcap_u32 udpcap_parse_hash(const struct udpcap_flow *f, udpcap_u32 mode)
{
	const udpcap_u8 *sb = (const udpcap_u8 *)f->src;
	const udpcap_u8 *db = (const udpcap_u8 *)f->dst;
	udpcap_u32 a[4], b[4];
	udpcap_u32 pa = 0, pb = 0, proto = 0, h = UDPCAP_PARSE_HASH_SEED;
	int c = 0, swap, i;

	if (mode == UDPCAP_HASH_5TUPLE && !(f->flags & UDPCAP_FLOW_F_FRAG)) {
		proto = f->proto;
		if (f->flags & UDPCAP_FLOW_F_PORTS) {
			pa = f->sport;
			pb = f->dport;
		}
	}
	UDPCAP_PARSE_UNROLL
	for (i = 0; i < 4; i++) {
		a[i] = udpcap_parse_be32(sb + 4 * i);
		b[i] = udpcap_parse_be32(db + 4 * i);
		if (!c && a[i] != b[i])
			c = a[i] < b[i] ? -1 : 1;
	}
	swap = c > 0 || (c == 0 && pa > pb);
	UDPCAP_PARSE_UNROLL
	for (i = 0; i < 4; i++)
		h = udpcap_parse__mix(h, swap ? b[i] : a[i]);
	UDPCAP_PARSE_UNROLL
	for (i = 0; i < 4; i++)
		h = udpcap_parse__mix(h, swap ? a[i] : b[i]);
	h = udpcap_parse__mix(h, swap ? (pb << 16 | pa) : (pa << 16 | pb));
	h = udpcap_parse__mix(h, (udpcap_u32)f->ethertype << 16 | proto);
	/* finalisation: length in bytes, then fmix32 */
	h ^= 40;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * udpcap_parse_steer - decapsulate, parse the inner flow and hash it: the
 * whole steering decision. Returns UDPCAP_DECAP_OK with *ret_hash set, or
 * the decap reason (then *ret_hash is untouched). An inner packet of an
 * unknown link type hashes as an empty flow.
 */
UDPCAP_PARSE_FN int udpcap_parse_steer(UDPCAP_PARSE_CTX *ctx, udpcap_u32 len,
				       const struct udpcap_encap *enc, udpcap_u32 mode,
				       udpcap_u32 *ret_hash)
{
	struct udpcap_decap d;
	struct udpcap_flow f;
	int r;

	r = udpcap_parse_decap(ctx, len, enc, &d);
	if (r)
		return r;
	udpcap_parse_flow(ctx, d.inner_off, d.inner_len, d.linktype, &f);
	*ret_hash = udpcap_parse_hash(&f, mode);
	return UDPCAP_DECAP_OK;
}

UDPCAP_END_DECLS

#endif /* UDPCAP_PARSE_H */
