/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering tests: synthetic inner flows and their encapsulation, so every
 * listener config (vxlan, geneve with options, geneve+vxlan, raw, skip=N;
 * Ethernet with VLAN tags, raw IP, PPP; IPv4 and IPv6 with extension
 * headers) can be sent in both directions.
 */
#ifndef STEER_PKT_H
#define STEER_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <udpcap/decap.h>

struct tflow {
	int v6;
	uint8_t proto; /* 6, 17, 132, or e.g. 1 (no ports) */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int vlans;	      /* 0..2 (Ethernet only) */
	int v6_ext;	      /* IPv6 extension headers before L4: 0..2 */
	int v4_opts;	      /* IPv4 option words: 0..2 */
	int frag;	      /* 0 none, 1 first fragment, 2 later fragment */
	int geneve_opt_words; /* GENEVE options, 4-byte words */
	int gwlb_v6;	      /* GENEVE+VXLAN: the middle IP header is IPv6 */
	uint32_t seq;	      /* carried in the inner payload */
};

struct tconf {
	const char *name;
	struct udpcap_encap enc;
};

/* Every listener config the steering programs must handle. */
extern const struct tconf tconfs[];
extern const size_t tconf_count;

uint64_t trand(uint64_t *state);

/* A random flow; @v6 < 0 picks the family at random too. */
void tflow_random(struct tflow *f, uint64_t *rng, int v6);

/* The same flow in the other direction (addresses and ports swapped). */
void tflow_reverse(struct tflow *f);

/*
 * The UDP payload a mirroring source would send for @f under @enc.
 * Returns its length (0 if @cap is too small).
 */
size_t tpkt_build(const struct udpcap_encap *enc, const struct tflow *f, uint8_t *out, size_t cap);

/* The sequence number of a payload built by tpkt_build (its last 4 bytes). */
uint32_t tpkt_seq(const uint8_t *pkt, size_t len);

#endif /* STEER_PKT_H */
