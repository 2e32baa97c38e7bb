/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: ring groups ([rings NAME]) beyond the default one (internal).
 *
 * The default group's ring i is written by the receiver thread that owns
 * socket i. Another group may have any count, so its ring j can get packets
 * from every socket: writing it directly would give it several writers.
 * Instead each receiver thread has one single-producer single-consumer
 * hand-off queue per group; the receiver copies each delivered packet
 * (with its ring j = flow hash % count, chosen by the receiver) into it, and
 * one writer thread per group drains its queues into the group's rings. So
 * every ring, of every group, has exactly one writer, nothing takes a lock,
 * and a group whose consumer stalls only fills its own rings (counted
 * ring_full there) or its own queues (counted handoff_full there): the
 * receivers never wait.
 */
#ifndef UDPCAPD_GROUPS_H
#define UDPCAPD_GROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <udpcap/decap.h>
#include <udpcap/ring.h>

#include "counters.h"

/* Bytes of one hand-off queue (a receiver thread into one group). */
#define UDPCAPD_HANDOFF_BYTES (4u << 20)

struct udpcapd_handoff_rec {
	uint32_t len; /* whole record, 8-aligned; 0: skip to the start of the buffer */
	uint16_t listener;
	uint16_t ring;
	struct udpcap_pkt_meta meta;
	/* meta.caplen bytes of packet follow */
};

struct udpcapd_group;

struct udpcapd_handoff {
	/* the receiver's side */
	uint64_t head __attribute__((aligned(64))); /* next write position */
	uint64_t tail_seen;			     /* the writer's tail, last loaded */
	bool dirty;				     /* written since the last publish */
	/* handoff_full per (listener, ring of the group); the receiver's counters */
	uint64_t *full;
	/* published head: release by the receiver, acquire by the writer */
	uint64_t pub __attribute__((aligned(64)));
	/* consumed: release by the writer, acquire by the receiver */
	uint64_t tail __attribute__((aligned(64)));
	uint8_t *buf;
	unsigned nrings; /* of the group */
	enum udpcap_hash_mode hash;
	struct udpcapd_group *g;
};

static inline uint32_t udpcapd_handoff_len(uint32_t caplen)
{
	return (uint32_t)((sizeof(struct udpcapd_handoff_rec) + caplen + 7) & ~(size_t)7);
}

/* Copy one packet into @q for ring @ring; false when the queue is full. */
static inline bool udpcapd_handoff_push(struct udpcapd_handoff *q, unsigned listener,
					unsigned ring, const struct udpcap_pkt_meta *meta,
					const uint8_t *data)
{
	uint32_t len = udpcapd_handoff_len(meta->caplen);
	uint64_t off = q->head & (UDPCAPD_HANDOFF_BYTES - 1);
	uint64_t need = len + (off + len > UDPCAPD_HANDOFF_BYTES ? UDPCAPD_HANDOFF_BYTES - off : 0);
	struct udpcapd_handoff_rec *rec;

	if (q->head + need - q->tail_seen > UDPCAPD_HANDOFF_BYTES) {
		/* acquire: the writer is done with the bytes before its tail */
		q->tail_seen = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		if (q->head + need - q->tail_seen > UDPCAPD_HANDOFF_BYTES)
			return false;
	}
	if (off + len > UDPCAPD_HANDOFF_BYTES) {
		((struct udpcapd_handoff_rec *)(q->buf + off))->len = 0;
		q->head += UDPCAPD_HANDOFF_BYTES - off;
		off = 0;
	}
	rec = (struct udpcapd_handoff_rec *)(q->buf + off);
	rec->len = len;
	rec->listener = (uint16_t)listener;
	rec->ring = (uint16_t)ring;
	rec->meta = *meta;
	memcpy(rec + 1, data, meta->caplen);
	q->head += len;
	q->dirty = true;
	return true;
}

/* Receiver, at the end of a batch: make the batch's records visible, wake the writer. */
void udpcapd_handoff_publish(struct udpcapd_handoff *q);

#endif /* UDPCAPD_GROUPS_H */
