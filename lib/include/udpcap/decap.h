/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: tunnel decapsulation, inner flow parsing and the symmetric
 * flow hash.
 *
 * These are thin exported wrappers around the header-only code that the
 * eBPF steering program compiles too (lib/include/udpcap/parse.h, not
 * installed), so the daemon's hot path and the kernel's steering decision
 * can never disagree.
 */
#ifndef UDPCAP_DECAP_H
#define UDPCAP_DECAP_H

#include <stddef.h>
#include <stdint.h>
#include <udpcap/common.h>
#include <udpcap/decap_types.h>

UDPCAP_BEGIN_DECLS

/*
 * The types (enum udpcap_encap_type, struct udpcap_encap, enum
 * udpcap_decap_reason, struct udpcap_decap, enum udpcap_hash_mode,
 * struct udpcap_flow and their flag macros) are defined in
 * <udpcap/decap_types.h>, shared with the BPF program.
 */

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
