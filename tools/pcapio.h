/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl (internal, do not include outside tools/ and its tests): the
 * view of one captured packet that replay works on, whatever the capture's
 * link type, and the outer Ethernet/IP/UDP strip for --as-is.
 */
#ifndef UDPCAPCTL_PCAPIO_H
#define UDPCAPCTL_PCAPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPIO_ETH_P_IPV4 0x0800
#define PCAPIO_ETH_P_IPV6 0x86DD
#define PCAPIO_ETH_P_TEB 0x6558 /* transparent Ethernet bridging */

/*
 * One captured packet as replay sees it: either a whole Ethernet frame
 * (@eth) or a bare layer-3 packet of @ethertype (raw IP, Linux cooked
 * capture, BSD loopback captures). @l3_off is where the layer-3 header
 * starts inside @data (after Ethernet and VLAN tags); @ethertype is 0 when
 * it could not be determined (then @l3_off is meaningless).
 */
struct pcapio_frame {
	const uint8_t *data;
	size_t len;
	bool eth;
	uint16_t ethertype;
	size_t l3_off;
};

/*
 * pcapio_frame_init - interpret @caplen bytes captured with libpcap link
 * type @dlt (pcap_datalink()). Returns 0, or -EPROTONOSUPPORT for a link
 * type replay does not handle, or -EINVAL for a packet too short for its
 * link-layer header.
 */
int pcapio_frame_init(int dlt, const uint8_t *pkt, size_t caplen, struct pcapio_frame *ret);

/* Whether replay can read captures of libpcap link type @dlt. */
bool pcapio_dlt_supported(int dlt);

/* Why pcapio_udp_payload() refused a packet (replay counts each). */
enum pcapio_skip {
	PCAPIO_SKIP_NOT_IP = 1, /* not IPv4/IPv6 */
	PCAPIO_SKIP_NOT_UDP,	/* IP, but not carrying UDP */
	PCAPIO_SKIP_FRAGMENT,	/* an IP fragment: the UDP payload is not whole */
	PCAPIO_SKIP_SHORT,	/* IP or UDP header cut short by the capture */
	PCAPIO_SKIP__COUNT,
};

const char *pcapio_skip_name(enum pcapio_skip why);

/*
 * pcapio_udp_payload - locate the UDP payload of @f (the outer headers of
 * a captured tunnel packet). The payload ends at the UDP length or at the
 * end of the capture, whichever comes first (truncated captures replay
 * what they hold). Returns 0 and sets ret_off and ret_len (relative to
 * f->data), or a positive enum pcapio_skip.
 */
int pcapio_udp_payload(const struct pcapio_frame *f, size_t *ret_off, size_t *ret_len);

#endif /* UDPCAPCTL_PCAPIO_H */
