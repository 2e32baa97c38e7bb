/* SPDX-License-Identifier: BSD-3-Clause */
/* udpcapctl: link-type handling and outer-header stripping for replay. */
#include <errno.h>
#include <pcap/pcap.h>

#include "pcapio.h"

#define ETH_HLEN 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool pcapio_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

/* An IP packet without a link header: the version nibble says which. */
static uint16_t ip_ethertype(const uint8_t *p, size_t len)
{
	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		return PCAPIO_ETH_P_IPV4;
	case 6:
		return PCAPIO_ETH_P_IPV6;
	default:
		return 0;
	}
}

/* Ethernet with any number of 802.1Q/802.1ad tags. */
static void eth_init(struct pcapio_frame *f)
{
	size_t off = 12;
	uint16_t type;

	f->eth = true;
	while (off + 2 <= f->len) {
		type = be16(f->data + off);
		if (type != 0x8100 && type != 0x88A8 && type != 0x9100) {
			f->ethertype = type;
			f->l3_off = off + 2;
			return;
		}
		off += 4;
	}
}

int pcapio_frame_init(int dlt, const uint8_t *pkt, size_t caplen, struct pcapio_frame *ret)
{
	struct pcapio_frame f = {.data = pkt, .len = caplen};

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return -EINVAL;
		eth_init(&f);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		f.ethertype = ip_ethertype(pkt, caplen);
		break;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return -EINVAL;
		f.data += SLL_HLEN;
		f.len -= SLL_HLEN;
		f.ethertype = be16(pkt + 14);
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return -EINVAL;
		f.data += SLL2_HLEN;
		f.len -= SLL2_HLEN;
		f.ethertype = be16(pkt);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/* the address family is in the capturing host's byte order: trust the IP header */
		if (caplen < 4)
			return -EINVAL;
		f.data += 4;
		f.len -= 4;
		f.ethertype = ip_ethertype(f.data, f.len);
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	*ret = f;
	return 0;
}

const char *pcapio_skip_name(enum pcapio_skip why)
{
	static const char *const names[PCAPIO_SKIP__COUNT] = {
	    [PCAPIO_SKIP_NOT_IP] = "not_ip",
	    [PCAPIO_SKIP_NOT_UDP] = "not_udp",
	    [PCAPIO_SKIP_FRAGMENT] = "fragment",
	    [PCAPIO_SKIP_SHORT] = "short",
	};
	return why > 0 && why < PCAPIO_SKIP__COUNT ? names[why] : "unknown";
}

/* IPv4: the UDP header's offset (from @ip) or a skip reason. */
static int ipv4_udp(const uint8_t *ip, size_t len, size_t *ret_off, size_t *ret_iplen)
{
	size_t ihl, total;

	if (len < 20 || (ip[0] >> 4) != 4)
		return PCAPIO_SKIP_SHORT;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return PCAPIO_SKIP_SHORT;
	if (ip[9] != 17)
		return PCAPIO_SKIP_NOT_UDP;
	if (be16(ip + 6) & 0x3fff) /* MF or a fragment offset */
		return PCAPIO_SKIP_FRAGMENT;
	total = be16(ip + 2); /* 0 in captures of TSO send paths: unknown */
	if (total && total < ihl)
		return PCAPIO_SKIP_SHORT;
	*ret_off = ihl;
	*ret_iplen = total;
	return 0;
}

/* IPv6 with hop-by-hop, routing and destination-options headers skipped. */
static int ipv6_udp(const uint8_t *ip, size_t len, size_t *ret_off, size_t *ret_iplen)
{
	size_t off = 40;
	uint8_t next;

	if (len < 40 || (ip[0] >> 4) != 6)
		return PCAPIO_SKIP_SHORT;
	next = ip[6];
	for (;;) {
		switch (next) {
		case 17:
			*ret_off = off;
			*ret_iplen = 40 + (size_t)be16(ip + 4);
			return 0;
		case 0:
		case 43:
		case 60:
			if (off + 8 > len)
				return PCAPIO_SKIP_SHORT;
			next = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
			break;
		case 44:
			return PCAPIO_SKIP_FRAGMENT;
		default:
			return PCAPIO_SKIP_NOT_UDP;
		}
	}
}

int pcapio_udp_payload(const struct pcapio_frame *f, size_t *ret_off, size_t *ret_len)
{
	const uint8_t *ip = f->data + f->l3_off;
	size_t iplen, udp_off, ip_total, udp_len, end;
	int r;

	if (f->ethertype != PCAPIO_ETH_P_IPV4 && f->ethertype != PCAPIO_ETH_P_IPV6)
		return PCAPIO_SKIP_NOT_IP;
	if (f->l3_off > f->len)
		return PCAPIO_SKIP_SHORT;
	iplen = f->len - f->l3_off;
	if (f->ethertype == PCAPIO_ETH_P_IPV4)
		r = ipv4_udp(ip, iplen, &udp_off, &ip_total);
	else
		r = ipv6_udp(ip, iplen, &udp_off, &ip_total);
	if (r)
		return r;
	if (udp_off + 8 > iplen)
		return PCAPIO_SKIP_SHORT;
	udp_len = be16(ip + udp_off + 4);
	if (udp_len < 8)
		return PCAPIO_SKIP_SHORT;
	/* end of the datagram as the headers say, cut to what was captured */
	end = udp_off + udp_len;
	if (ip_total && end > ip_total)
		end = ip_total;
	if (end > iplen)
		end = iplen;
	if (end < udp_off + 8)
		return PCAPIO_SKIP_SHORT;
	*ret_off = f->l3_off + udp_off + 8;
	*ret_len = end - (udp_off + 8);
	return 0;
}
