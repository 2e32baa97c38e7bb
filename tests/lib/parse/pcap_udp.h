/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: find the UDP payload of a captured outer packet (Ethernet
 * with up to two VLAN tags, or raw IP; IPv4 with options or IPv6 with
 * extension headers; UDP). Walked here independently of libudpcap, so the
 * tests do not check the parser with itself. Test code only.
 */
#ifndef UDPCAP_TESTS_PARSE_PCAP_UDP_H
#define UDPCAP_TESTS_PARSE_PCAP_UDP_H

#include <pcap/pcap.h>
#include <stdint.h>

static inline uint16_t pcap_udp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * @dlt: pcap_datalink() value; @pkt/@caplen: the captured bytes.
 * On success sets *ret_payload and *ret_len (bounded by both the capture and the
 * UDP length) and, if non-NULL, *ret_dport; returns 0. -1 if not UDP.
 */
static inline int pcap_udp_payload(int dlt, const uint8_t *pkt, uint32_t caplen,
				   const uint8_t **ret_payload, uint32_t *ret_len,
				   uint16_t *ret_dport)
{
	uint32_t off = 0, udplen;
	uint16_t et;
	uint8_t proto;

	if (dlt == DLT_EN10MB) {
		if (caplen < 14)
			return -1;
		et = pcap_udp_be16(pkt + 12);
		off = 14;
		for (int i = 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++) {
			if (caplen < off + 4)
				return -1;
			et = pcap_udp_be16(pkt + off + 2);
			off += 4;
		}
	} else if (dlt == DLT_RAW || dlt == 101 /* LINKTYPE_RAW */) {
		if (caplen < 1)
			return -1;
		et = (pkt[0] >> 4) == 6 ? 0x86dd : 0x0800;
	} else {
		return -1;
	}
	if (et == 0x0800) {
		uint32_t ihl;

		if (caplen < off + 20 || (pkt[off] >> 4) != 4)
			return -1;
		ihl = (uint32_t)(pkt[off] & 0x0f) * 4;
		if (ihl < 20 || (pcap_udp_be16(pkt + off + 6) & 0x1fff))
			return -1;
		proto = pkt[off + 9];
		off += ihl;
	} else if (et == 0x86dd) {
		if (caplen < off + 40)
			return -1;
		proto = pkt[off + 6];
		off += 40;
		while (proto == 0 || proto == 43 || proto == 60) {
			if (caplen < off + 8)
				return -1;
			proto = pkt[off];
			off += ((uint32_t)pkt[off + 1] + 1) * 8;
		}
	} else {
		return -1;
	}
	if (proto != 17 || caplen < off + 8)
		return -1;
	udplen = pcap_udp_be16(pkt + off + 4);
	if (ret_dport)
		*ret_dport = pcap_udp_be16(pkt + off + 2);
	off += 8;
	*ret_payload = pkt + off;
	*ret_len = caplen - off;
	if (udplen >= 8 && udplen - 8 < *ret_len)
		*ret_len = udplen - 8;
	return 0;
}

#endif /* UDPCAP_TESTS_PARSE_PCAP_UDP_H */
