/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: tunnel decapsulation, inner flow parsing and the symmetric
 * flow hash.
 *
 * These are thin exported wrappers around <udpcap/parse.h>, the
 * BPF-compatible header that the eBPF steering program compiles too, so the
 * daemon's hot path and the kernel's steering decision can never disagree.
 */
#ifndef UDPCAP_DECAP_H
#define UDPCAP_DECAP_H

#include <stddef.h>
#include <stdint.h>
#include <udpcap/common.h>

UDPCAP_BEGIN_DECLS

/* How a listener's UDP payload is encapsulated. */
enum udpcap_encap_type {
	UDPCAP_ENCAP_RAW = 0,	   /* the payload is the packet */
	UDPCAP_ENCAP_VXLAN,	   /* RFC 7348 */
	UDPCAP_ENCAP_GENEVE,	   /* RFC 8926 */
	UDPCAP_ENCAP_GENEVE_VXLAN, /* AWS GWLB: GENEVE, IPv4|IPv6, UDP, VXLAN */
	UDPCAP_ENCAP_SKIP,	   /* a fixed number of bytes off the front */
};

struct udpcap_encap {
	enum udpcap_encap_type type;
	uint16_t skip;	   /* bytes to strip for UDPCAP_ENCAP_SKIP */
	uint16_t linktype; /* enum udpcap_linktype of the inner packet for RAW/SKIP */
};

/*
 * Exactly one reason per undecodable payload. The names returned by
 * udpcap_decap_reason_str() are stable: they are drop-reason labels in
 * stats, JSON and Prometheus.
 */
enum udpcap_decap_reason {
	UDPCAP_DECAP_OK = 0,
	UDPCAP_DECAP_EMPTY,	     /* "empty": nothing left after the encapsulation */
	UDPCAP_DECAP_VXLAN_SHORT,    /* "vxlan_short": fewer than 8 bytes of VXLAN header */
	UDPCAP_DECAP_VXLAN_NO_VNI,   /* "vxlan_no_vni": the I flag is clear */
	UDPCAP_DECAP_GENEVE_SHORT,   /* "geneve_short": fewer than 8 bytes of GENEVE header */
	UDPCAP_DECAP_GENEVE_VERSION, /* "geneve_version": version is not 0 */
	UDPCAP_DECAP_GENEVE_OPTLEN,  /* "geneve_optlen": options run past the payload */
	UDPCAP_DECAP_GENEVE_PROTO,   /* "geneve_proto": protocol type not 0x6558/0x0800/0x86DD */
	UDPCAP_DECAP_GWLB_IP,	     /* "gwlb_ip": bad/short IPv4 or IPv6 header after GENEVE */
	UDPCAP_DECAP_GWLB_NOT_UDP,   /* "gwlb_not_udp": that IP packet does not carry UDP */
	UDPCAP_DECAP_GWLB_UDP_SHORT, /* "gwlb_udp_short": its UDP header is cut short */
	UDPCAP_DECAP_SKIP_SHORT,     /* "skip_short": payload shorter than skip=N */
	UDPCAP_DECAP__COUNT
};

#define UDPCAP_DECAP_F_VXLAN_VNI (1u << 0)  /* vxlan_vni is valid */
#define UDPCAP_DECAP_F_GENEVE_VNI (1u << 1) /* geneve_vni is valid */

/* Where the inner packet is, relative to the start of the UDP payload. */
struct udpcap_decap {
	uint32_t inner_off;
	uint32_t inner_len;
	uint16_t linktype; /* enum udpcap_linktype */
	uint16_t flags;	   /* UDPCAP_DECAP_F_* */
	uint32_t vxlan_vni;
	uint32_t geneve_vni;
	uint32_t geneve_opt_off; /* GENEVE options (TLVs), 0 length if none */
	uint32_t geneve_opt_len;
};

/*
 * udpcap_decap - strip a listener's encapsulation from one UDP payload.
 * @enc: the listener's encapsulation
 * @payload, @len: the UDP payload; any byte string is accepted
 * @ret: filled in on success only
 *
 * Returns UDPCAP_DECAP_OK or the one reason the payload cannot be decoded.
 * Never reads outside [payload, payload + len).
 */
UDPCAP_API enum udpcap_decap_reason udpcap_decap(const struct udpcap_encap *enc,
						 const void *payload, size_t len,
						 struct udpcap_decap *ret);

/* Stable name of a reason ("vxlan_no_vni"), or NULL if out of range. */
UDPCAP_API const char *udpcap_decap_reason_str(enum udpcap_decap_reason reason);

enum udpcap_hash_mode {
	UDPCAP_HASH_5TUPLE = 0, /* addresses, protocol, ports; fragments: addresses only */
	UDPCAP_HASH_IP_PAIR,	/* addresses only: keeps fragmented flows together */
};

#define UDPCAP_FLOW_F_IPV4 (1u << 0)
#define UDPCAP_FLOW_F_IPV6 (1u << 1)
#define UDPCAP_FLOW_F_PORTS (1u << 2) /* sport/dport are valid */
#define UDPCAP_FLOW_F_FRAG (1u << 3)  /* a fragment (first or not) */

/* What the symmetric hash is computed over. Addresses in network byte order. */
struct udpcap_flow {
	uint32_t src[4]; /* IPv4 uses src[0] */
	uint32_t dst[4];
	uint16_t sport; /* host byte order */
	uint16_t dport;
	uint16_t ethertype; /* innermost ethertype (after VLAN tags); 0 if unknown */
	uint8_t proto;	    /* IP protocol; 0 for non-IP */
	uint8_t flags;	    /* UDPCAP_FLOW_F_* */
	uint16_t vlan[2];   /* VLAN IDs, outermost first; 0 if absent */
	uint8_t vlan_count;
	uint8_t pad[3];
};

/*
 * udpcap_flow_parse - extract the flow of an inner packet.
 * Returns 0 (even for non-IP or cut-short packets: the fields that could be
 * read are set), or -EINVAL for an unknown link type.
 */
UDPCAP_API int udpcap_flow_parse(uint16_t linktype, const void *pkt, size_t len,
				 struct udpcap_flow *ret);

/*
 * udpcap_flow_hash - the symmetric flow hash: hash(A->B) == hash(B->A).
 * Bit for bit the value the eBPF steering program computes; the ring a
 * packet belongs to is udpcap_flow_hash() % ring_count.
 */
UDPCAP_API uint32_t udpcap_flow_hash(const struct udpcap_flow *flow, enum udpcap_hash_mode mode);

/*
 * udpcap_steer - decapsulate, parse and hash in one call: what the kernel
 * program does for a datagram. Returns the decap reason; on
 * UDPCAP_DECAP_OK *ret_hash is set.
 */
UDPCAP_API enum udpcap_decap_reason udpcap_steer(const struct udpcap_encap *enc,
						 enum udpcap_hash_mode mode, const void *payload,
						 size_t len, uint32_t *ret_hash);

UDPCAP_END_DECLS

#endif /* UDPCAP_DECAP_H */
