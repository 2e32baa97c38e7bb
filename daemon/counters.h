/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: per (listener, ring) packet counters.
 *
 * Every datagram read from a socket is counted as received and then ends
 * in exactly one place: delivered into its ring, or one drop reason.
 * Kernel receive-queue overflows (SO_RXQ_OVFL deltas) are counted under
 * UDPCAPD_DROP_SOCKET; they were never received. So, over a run:
 *     sent == received + drops[socket]
 *     received == delivered + sum(drops) - drops[socket]
 *
 * Each cell has exactly one writer, the receiver thread owning the socket
 * of (listener, ring); readers (stats, metrics) load with relaxed atomics
 * and never take a lock, so scraping cannot perturb the hot path. Cells are
 * cache-line aligned so two threads never write the same line.
 */
#ifndef UDPCAPD_COUNTERS_H
#define UDPCAPD_COUNTERS_H

#include <stdint.h>
#include <udpcap/decap.h>

enum udpcapd_drop {
	UDPCAPD_DROP_SOCKET = 0,   /* "socket": kernel receive queue overflow */
	UDPCAPD_DROP_NOT_ALLOWED,  /* "not_allowed": source outside allow = */
	UDPCAPD_DROP_VNI_FILTERED, /* "vni_filtered": VNI not in vni = */
	UDPCAPD_DROP_TRUNCATED,	   /* "truncated": datagram over the 9216 B payload limit */
	UDPCAPD_DROP_RING_FULL,	   /* "ring_full": consumer too slow or absent */
	UDPCAPD_DROP_DECAP_FIRST,  /* + (enum udpcap_decap_reason - 1): decap errors */
	UDPCAPD_DROP__COUNT = UDPCAPD_DROP_DECAP_FIRST + UDPCAP_DECAP__COUNT - 1,
};

struct udpcapd_counters {
	uint64_t received;  /* datagrams read from the socket */
	uint64_t delivered; /* records written into the ring */
	uint64_t bytes;	    /* delivered packet bytes (caplen) */
	uint64_t received_bytes;
	uint64_t drops[UDPCAPD_DROP__COUNT];
} __attribute__((aligned(64)));

/* Stable label of a drop reason ("ring_full", "vxlan_no_vni", ...). */
const char *udpcapd_drop_name(enum udpcapd_drop drop);

static inline enum udpcapd_drop udpcapd_drop_from_decap(enum udpcap_decap_reason reason)
{
	return (enum udpcapd_drop)(UDPCAPD_DROP_DECAP_FIRST + (int)reason - 1);
}

/* Single-writer increment: a relaxed load/store pair, no lock prefix needed. */
static inline void udpcapd_counter_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t udpcapd_counter_get(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif /* UDPCAPD_COUNTERS_H */
