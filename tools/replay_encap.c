/* SPDX-License-Identifier: BSD-3-Clause */
/* udpcapctl replay: tunnel headers and the per-direction flow hash. */
#include <errno.h>
#include <string.h>

#include "replay_encap.h"

#define VXLAN_HLEN 8
#define GENEVE_HLEN 8
#define ETH_HLEN 14
#define IPV4_HLEN 20
#define UDP_HLEN 8
#define GWLB_OPT_CLASS 0x0108 /* Amazon's GENEVE option class */

static const uint8_t synth_eth_src[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t synth_eth_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
/* the geneve+vxlan middle IPv4 header: a mirror target inside a VPC */
static const uint8_t gwlb_ip_src[4] = {10, 255, 0, 1};
static const uint8_t gwlb_ip_dst[4] = {10, 255, 0, 2};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static size_t vxlan_header(uint8_t *p, uint32_t vni)
{
	memset(p, 0, VXLAN_HLEN);
	p[0] = 0x08; /* I: the VNI is valid */
	put24(p + 4, vni);
	return VXLAN_HLEN;
}

/* GENEVE with @opts 12-byte options (4 header + 8 data each), class 0x0108. */
static size_t geneve_header(uint8_t *p, uint32_t vni, unsigned opts, uint16_t proto)
{
	size_t optlen = (size_t)opts * REPLAY_GENEVE_OPT_SIZE;
	uint8_t *o = p + GENEVE_HLEN;

	p[0] = (uint8_t)(optlen / 4); /* version 0 */
	p[1] = 0;
	put16(p + 2, proto);
	put24(p + 4, vni);
	p[7] = 0;
	for (unsigned i = 0; i < opts; i++, o += REPLAY_GENEVE_OPT_SIZE) {
		put16(o, GWLB_OPT_CLASS);
		o[2] = (uint8_t)(i + 1); /* type */
		o[3] = (REPLAY_GENEVE_OPT_SIZE - 4) / 4;
		memset(o + 4, 0, 8);
		o[11] = (uint8_t)i;
	}
	return GENEVE_HLEN + optlen;
}

static uint16_t ipv4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < IPV4_HLEN; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 + UDP (checksum 0, allowed for IPv4) to the VXLAN port, for @payload bytes. */
static size_t gwlb_ipv4_udp(uint8_t *p, size_t payload, uint16_t sport)
{
	uint8_t *udp = p + IPV4_HLEN;

	memset(p, 0, IPV4_HLEN + UDP_HLEN);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(IPV4_HLEN + UDP_HLEN + payload));
	put16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, gwlb_ip_src, 4);
	memcpy(p + 16, gwlb_ip_dst, 4);
	put16(p + 10, ipv4_checksum(p));
	put16(udp, sport);
	put16(udp + 2, REPLAY_VXLAN_PORT);
	put16(udp + 4, (uint16_t)(UDP_HLEN + payload));
	return IPV4_HLEN + UDP_HLEN;
}

static size_t synth_eth(uint8_t *p, uint16_t ethertype)
{
	memcpy(p, synth_eth_dst, 6);
	memcpy(p + 6, synth_eth_src, 6);
	put16(p + 12, ethertype);
	return ETH_HLEN;
}

int replay_encap_build(const struct replay_encap *e, const struct pcapio_frame *f, uint8_t *buf,
		       size_t cap)
{
	/* the Ethernet frame VXLAN carries: the captured one, or one made up */
	size_t eth_len = f->len + (f->eth ? 0 : ETH_HLEN);
	size_t hdr, need, off = 0;

	if (e->vni > REPLAY_VNI_MAX || e->geneve_opts > REPLAY_GENEVE_MAX_OPTS)
		return -EINVAL;
	if (!f->eth && e->type != UDPCAP_ENCAP_RAW && f->ethertype != PCAPIO_ETH_P_IPV4 &&
	    f->ethertype != PCAPIO_ETH_P_IPV6)
		return -EINVAL;

	switch (e->type) {
	case UDPCAP_ENCAP_RAW:
		hdr = 0;
		need = f->len;
		break;
	case UDPCAP_ENCAP_VXLAN:
		hdr = VXLAN_HLEN;
		need = hdr + eth_len;
		break;
	case UDPCAP_ENCAP_GENEVE:
		hdr = GENEVE_HLEN + (size_t)e->geneve_opts * REPLAY_GENEVE_OPT_SIZE;
		need = hdr + f->len;
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		hdr = GENEVE_HLEN + (size_t)e->geneve_opts * REPLAY_GENEVE_OPT_SIZE + IPV4_HLEN +
		      UDP_HLEN + VXLAN_HLEN;
		need = hdr + eth_len;
		if (need - GENEVE_HLEN - (size_t)e->geneve_opts * REPLAY_GENEVE_OPT_SIZE > 0xffff)
			return -ENOSPC; /* the middle IPv4 length would overflow */
		break;
	default:
		return -EINVAL;
	}
	if (need > cap)
		return -ENOSPC;

	switch (e->type) {
	case UDPCAP_ENCAP_RAW:
		break;
	case UDPCAP_ENCAP_VXLAN:
		off = vxlan_header(buf, e->vni);
		break;
	case UDPCAP_ENCAP_GENEVE:
		off = geneve_header(buf, e->vni, e->geneve_opts,
				    f->eth ? PCAPIO_ETH_P_TEB : f->ethertype);
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		off = geneve_header(buf, e->vni, e->geneve_opts, PCAPIO_ETH_P_IPV4);
		off += gwlb_ipv4_udp(buf + off, VXLAN_HLEN + eth_len, e->inner_sport);
		off += vxlan_header(buf + off, e->vni);
		break;
	default: /* refused above */
		break;
	}
	if (e->type != UDPCAP_ENCAP_RAW && e->type != UDPCAP_ENCAP_GENEVE && !f->eth)
		off += synth_eth(buf + off, f->ethertype);
	memcpy(buf + off, f->data, f->len);
	return (int)(off + f->len);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t replay_flow_hash(const struct pcapio_frame *f)
{
	const uint8_t *ip = f->data + f->l3_off;
	size_t len = f->l3_off <= f->len ? f->len - f->l3_off : 0;
	uint32_t h = 2166136261u;
	size_t l4 = 0;
	uint8_t proto = 0;

	if (f->ethertype == PCAPIO_ETH_P_IPV4 && len >= 20) {
		h = fnv1a(h, ip + 12, 8);
		proto = ip[9];
		if (!((ip[6] << 8 | ip[7]) & 0x3fff))
			l4 = (size_t)(ip[0] & 0x0f) * 4;
	} else if (f->ethertype == PCAPIO_ETH_P_IPV6 && len >= 40) {
		h = fnv1a(h, ip + 8, 32);
		proto = ip[6];
		l4 = 40;
	} else {
		return fnv1a(h, f->data, f->eth && f->len >= 12 ? 12 : 0);
	}
	h = fnv1a(h, &proto, 1);
	if (l4 && (proto == 6 || proto == 17 || proto == 132) && l4 + 4 <= len)
		h = fnv1a(h, ip + l4, 4);
	return h;
}
