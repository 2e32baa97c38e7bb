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
 *
 * The writer brackets each batch of updates with udpcapd_cell_write_begin/
 * end (a sequence count, odd while writing), and udpcapd_cell_read() retries
 * until it copied the cell between two batches, so every snapshot satisfies
 * the two equations above exactly, not just once traffic stops.
 */
#ifndef UDPCAPD_COUNTERS_H
#define UDPCAPD_COUNTERS_H

#include <stdint.h>
#include <time.h>
#include <udpcap/decap.h>

#include "util.h"

enum udpcapd_drop {
	UDPCAPD_DROP_SOCKET = 0,   /* "socket": kernel receive queue overflow */
	UDPCAPD_DROP_NOT_ALLOWED,  /* "not_allowed": source outside allow = */
	UDPCAPD_DROP_VNI_FILTERED, /* "vni_filtered": VNI not in vni = */
	UDPCAPD_DROP_TRUNCATED,	   /* "truncated": the kernel cut the datagram (MSG_TRUNC) */
	UDPCAPD_DROP_RING_FULL,	   /* "ring_full": consumer too slow or absent */
	UDPCAPD_DROP_DUPLICATE,	   /* "duplicate": a second mirrored copy ([dedup] window_us) */
	UDPCAPD_DROP_HANDOFF_FULL, /* "handoff_full": a ring group's writer fell behind */
	UDPCAPD_DROP_TAP_FULL,	   /* "tap_full": a TAP device had no room for the frame */
	UDPCAPD_DROP_TAP_DOWN,	   /* "tap_down": a TAP device is down or gone */
	UDPCAPD_DROP_TAP_NOT_ETHERNET, /* "tap_not_ethernet": no Ethernet frame for a TAP */
	UDPCAPD_DROP_DECAP_FIRST,  /* + (enum udpcap_decap_reason - 1): decap errors */
	UDPCAPD_DROP__COUNT = UDPCAPD_DROP_DECAP_FIRST + UDPCAP_DECAP__COUNT - 1,
};

struct udpcapd_counters {
	uint64_t seq;		 /* odd while the owner is updating the cell */
	uint64_t received;	 /* datagrams read from the socket */
	uint64_t delivered;	 /* records written into the ring */
	uint64_t bytes;		 /* delivered packet bytes (caplen) */
	uint64_t received_bytes; /* UDP payload bytes read */
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

/* Writer (owner thread only): open a batch of updates. Pairs with udpcapd_cell_read(). */
static inline void udpcapd_cell_write_begin(struct udpcapd_counters *c)
{
	__atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELAXED);
	/* release fence: the odd count is visible before any counter store */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void udpcapd_cell_write_end(struct udpcapd_counters *c)
{
	/* release: every counter store of the batch before the even count */
	__atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
}

/*
 * Reader: a consistent copy of @c (between two write batches). The writer
 * can be preempted mid-batch for as long as the scheduler likes, so after
 * a short spin the reader sleeps between tries instead of giving up; it
 * still never hangs: after about two seconds it returns the last copy,
 * which may be torn (never uninitialised).
 */
static inline void udpcapd_cell_read(const struct udpcapd_counters *c, struct udpcapd_counters *ret)
{
	static const struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000};
	unsigned tries, i;

	*ret = (struct udpcapd_counters){0};
	for (tries = 0; tries < 200000; tries++) {
		/* acquire: pairs with the release in udpcapd_cell_write_end() */
		uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1) {
			if (tries < 1000)
				udpcap_cpu_relax();
			else
				nanosleep(&pause, NULL);
			continue;
		}
		ret->seq = s1;
		ret->received = udpcapd_counter_get(&c->received);
		ret->delivered = udpcapd_counter_get(&c->delivered);
		ret->bytes = udpcapd_counter_get(&c->bytes);
		ret->received_bytes = udpcapd_counter_get(&c->received_bytes);
		for (i = 0; i < UDPCAPD_DROP__COUNT; i++)
			ret->drops[i] = udpcapd_counter_get(&c->drops[i]);
		/* acquire fence: the copies above complete before re-reading seq */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s1)
			return;
	}
}

#endif /* UDPCAPD_COUNTERS_H */
