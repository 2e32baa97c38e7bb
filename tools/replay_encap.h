/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl (internal, do not include outside tools/ and its tests): build
 * the UDP payload replay sends for one captured packet — VXLAN, GENEVE,
 * GENEVE carrying IPv4/UDP/VXLAN (AWS GWLB + Traffic Mirroring) or raw —
 * and the per-direction flow hash a real VTEP derives its source port from.
 * Everything built here decodes back with udpcap_decap() to the exact
 * bytes that went in (tests/system/traffic/test_replay_encap.c proves it).
 */
#ifndef UDPCAPCTL_REPLAY_ENCAP_H
#define UDPCAPCTL_REPLAY_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include <udpcap/decap.h>

#include "pcapio.h"

#define REPLAY_VNI_MAX 0xffffffu
#define REPLAY_VXLAN_PORT 4789
/* GENEVE option length is 6 bits of 4-byte words; each option here is 12 bytes */
#define REPLAY_GENEVE_OPT_SIZE 12
#define REPLAY_GENEVE_MAX_OPTS (252 / REPLAY_GENEVE_OPT_SIZE)
/* Largest header replay ever puts in front of a packet. */
#define REPLAY_MAX_HEADER (8 + 252 + 20 + 8 + 8 + 14)

/* Names and types are libudpcap's (udpcap_parse_encap, udpcap_encap_name); SKIP is not built. */
struct replay_encap {
	enum udpcap_encap_type type;
	uint32_t vni;	      /* VXLAN and GENEVE VNI */
	unsigned geneve_opts; /* GENEVE TLV options (class 0x0108 like AWS GWLB) */
	uint16_t inner_sport; /* geneve+vxlan: UDP source port of the inner VXLAN */
};

/*
 * replay_encap_build - write the UDP payload carrying @f into @buf.
 * VXLAN (and the VXLAN inside geneve+vxlan) carries Ethernet: a bare L3
 * packet gets a synthetic Ethernet header (02:00:00:00:00:01 -> :02).
 * GENEVE carries Ethernet as 0x6558 and bare IP as 0x0800/0x86DD. Raw is
 * the captured packet itself. Returns the length, or -ENOSPC if @cap is too
 * small, -EINVAL for a bad VNI/option count or a bare packet of unknown type.
 */
int replay_encap_build(const struct replay_encap *e, const struct pcapio_frame *f, uint8_t *buf,
		       size_t cap);

/*
 * replay_flow_hash - hash of the inner flow as one direction sees it
 * (addresses, protocol, ports): A->B and B->A differ, as with a real VTEP
 * (Linux vxlan picks the outer source port from such a hash). Non-IP
 * packets hash their MAC addresses.
 */
uint32_t replay_flow_hash(const struct pcapio_frame *f);

#endif /* UDPCAPCTL_REPLAY_ENCAP_H */
