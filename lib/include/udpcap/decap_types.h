/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: the types of tunnel decapsulation, inner flows and the flow
 * hash, shared by <udpcap/decap.h> (the exported functions) and
 * <udpcap/parse.h> (the header-only code the eBPF steering program
 * compiles). Like parse.h it uses compiler-predefined types only, so it
 * mixes with vmlinux.h or linux/bpf.h in a BPF build.
 */
#ifndef UDPCAP_DECAP_TYPES_H
#define UDPCAP_DECAP_TYPES_H

#include <udpcap/common.h>

typedef __UINT8_TYPE__ udpcap_u8;
typedef __UINT16_TYPE__ udpcap_u16;
typedef __UINT32_TYPE__ udpcap_u32;

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
	udpcap_u16 skip;     /* bytes to strip for UDPCAP_ENCAP_SKIP */
	udpcap_u16 linktype; /* enum udpcap_linktype of the inner packet for RAW/SKIP */
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
	udpcap_u32 inner_off;
	udpcap_u32 inner_len;
	udpcap_u16 linktype; /* enum udpcap_linktype */
	udpcap_u16 flags;    /* UDPCAP_DECAP_F_* */
	udpcap_u32 vxlan_vni;
	udpcap_u32 geneve_vni;
	udpcap_u32 geneve_opt_off; /* GENEVE options (TLVs), 0 length if none */
	udpcap_u32 geneve_opt_len;
};

enum udpcap_hash_mode {
	UDPCAP_HASH_5TUPLE = 0, /* addresses, protocol, ports; fragments: addresses only */
	UDPCAP_HASH_IP_PAIR,	/* addresses only: keeps fragmented flows together */
};

#define UDPCAP_FLOW_F_IPV4 (1u << 0)
#define UDPCAP_FLOW_F_IPV6 (1u << 1)
#define UDPCAP_FLOW_F_PORTS (1u << 2) /* sport/dport are valid */
#define UDPCAP_FLOW_F_FRAG (1u << 3)  /* a fragment (first or not) */

/*
 * What the symmetric hash is computed over. Addresses in network byte order.
 * For ARP over IPv4 src[0]/dst[0] hold the sender/target protocol addresses
 * (no UDPCAP_FLOW_F_IPV4 flag), so both directions of an exchange hash alike.
 */
struct udpcap_flow {
	udpcap_u32 src[4]; /* IPv4 uses src[0] */
	udpcap_u32 dst[4];
	udpcap_u16 sport;     /* host byte order */
	udpcap_u16 dport;
	udpcap_u16 ethertype; /* innermost ethertype (after VLAN tags); 0 if unknown */
	udpcap_u8 proto;      /* IP protocol; 0 for non-IP */
	udpcap_u8 flags;      /* UDPCAP_FLOW_F_* */
	udpcap_u16 vlan[2];   /* VLAN IDs, outermost first; 0 if absent */
	udpcap_u8 vlan_count;
	udpcap_u8 pad[3];
};

UDPCAP_END_DECLS

#endif /* UDPCAP_DECAP_TYPES_H */
