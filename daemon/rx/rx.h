/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: what happens to one received datagram, shared by both receive
 * backends (internal). This is the hot path: no system calls, no locks,
 * no allocation; every datagram is counted as received and then either
 * delivered into the socket's ring or counted under exactly one reason.
 */
#ifndef UDPCAPD_RX_H
#define UDPCAPD_RX_H

#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <udpcap/decap.h>

#include "log.h"
#include "rx/dedup.h"
#include "rx/groups.h"
#include "rx/tap.h"
#include "udpcapd.h"

/* Control buffer: SCM_TIMESTAMPNS + SO_RXQ_OVFL, with room to spare. */
#define UDPCAPD_CMSG_LEN (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) + 64)

struct udpcapd_rx_meta {
	uint64_t ts_ns; /* 0: no kernel timestamp */
	uint32_t sk_drops;
	bool has_drops;
};

/* One control message: the kernel timestamp or the socket's drop counter. */
static inline void udpcapd_rx_cmsg(const struct cmsghdr *c, struct udpcapd_rx_meta *m)
{
	if (c->cmsg_level != SOL_SOCKET)
		return;
	if (c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
		struct timespec ts;

		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		m->ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	} else if (c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
		memcpy(&m->sk_drops, CMSG_DATA(c), sizeof(uint32_t));
		m->has_drops = true;
	}
}

/*
 * sock_drops.c: fold the kernel's drop count of @s into its cell (owner
 * thread only, inside udpcapd_cell_write_begin/end). _poll() reads it with
 * SO_MEMINFO and brackets the update itself.
 */
void udpcapd_sock_drops_update(struct udpcapd_sock *s, uint32_t sk_drops);
void udpcapd_sock_drops_poll(struct udpcapd_sock *s);

static inline bool udpcapd_rx_allowed(const struct udpcapd_filter *f, const struct sockaddr *src)
{
	size_t i;

	for (i = 0; i < f->allow_count; i++)
		if (udpcap_cidr_match(&f->allow[i], src))
			return true;
	return false;
}

static inline bool udpcapd_rx_vni_ok(const struct udpcapd_filter *f, const struct udpcap_decap *dc)
{
	size_t lo = 0, hi = f->vni_count;
	uint32_t vni;

	if (dc->flags & UDPCAP_DECAP_F_VXLAN_VNI)
		vni = dc->vxlan_vni;
	else if (dc->flags & UDPCAP_DECAP_F_GENEVE_VNI)
		vni = dc->geneve_vni;
	else
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->vni[mid] == vni)
			return true;
		if (f->vni[mid] < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static inline void udpcapd_rx_drop(struct udpcapd_counters *cnt, enum udpcapd_drop why)
{
	udpcapd_counter_add(&cnt->drops[why], 1);
}

/*
 * Every delivered packet also goes to one ring of each other group: the
 * flow hash modulo that group's count picks it, so no group splits a
 * connection whatever its count. The copy goes into this thread's hand-off
 * queue of the group; a full queue is that group's loss alone.
 */
static inline void udpcapd_rx_fanout(struct udpcapd_sock *s, const struct udpcap_pkt_meta *meta,
				     const uint8_t *pkt)
{
	struct udpcap_flow flow;
	uint32_t h = 0;
	unsigned i;

	if (udpcap_flow_parse(meta->linktype, pkt, meta->caplen, &flow) == 0)
		h = udpcap_flow_hash(&flow, s->handoff[0]->hash);
	for (i = 0; i < s->nhandoff; i++) {
		struct udpcapd_handoff *q = s->handoff[i];
		unsigned ring = h % q->nrings;

		if (__builtin_expect(!udpcapd_handoff_push(q, s->listener, ring, meta, pkt), 0))
			udpcapd_counter_add(&q->full[(size_t)s->listener * q->nrings + ring], 1);
	}
}

/* End of a batch: the default ring and every hand-off queue publish what they got. */
static inline void udpcapd_rx_publish(struct udpcapd_sock *s)
{
	unsigned i;

	udpcap_ring__publish(s->r);
	for (i = 0; i < s->nhandoff; i++)
		udpcapd_handoff_publish(s->handoff[i]);
}

/*
 * udpcapd_rx_one - account and deliver one datagram of socket @s.
 * @payload, @len: what was read (the whole datagram)
 * @truncated: the kernel cut it (MSG_TRUNC; cannot happen with our buffers)
 */
static inline void udpcapd_rx_one(struct udpcapd_sock *s, const struct udpcapd_filter *f,
				  const uint8_t *payload, size_t len, bool truncated,
				  const struct sockaddr *src, uint64_t ts_ns)
{
	struct udpcapd_counters *cnt = s->cnt;
	struct udpcap_pkt_meta meta;
	struct udpcap_decap dc;
	enum udpcap_decap_reason r;

	udpcapd_counter_add(&cnt->received, 1);
	udpcapd_counter_add(&cnt->received_bytes, len);
	if (__builtin_expect(truncated, 0)) {
		udpcapd_rx_drop(cnt, UDPCAPD_DROP_TRUNCATED);
		return;
	}
	if (f->allow_count && !udpcapd_rx_allowed(f, src)) {
		udpcapd_rx_drop(cnt, UDPCAPD_DROP_NOT_ALLOWED);
		return;
	}
	r = udpcap_decap(&s->l->encap, payload, len, &dc);
	if (__builtin_expect(r != UDPCAP_DECAP_OK, 0)) {
		udpcapd_rx_drop(cnt, (unsigned)r < UDPCAP_DECAP__COUNT
					 ? udpcapd_drop_from_decap(r)
					 : udpcapd_drop_from_decap(UDPCAP_DECAP_EMPTY));
		return;
	}
	if (f->vni_count && !udpcapd_rx_vni_ok(f, &dc)) {
		udpcapd_rx_drop(cnt, UDPCAPD_DROP_VNI_FILTERED);
		return;
	}
	if (s->dedup && udpcapd_dedup_seen(s->dedup, payload + dc.inner_off, dc.inner_len,
					   dc.linktype, ts_ns)) {
		udpcapd_rx_drop(cnt, UDPCAPD_DROP_DUPLICATE);
		return;
	}
	meta.ts_ns = ts_ns;
	meta.caplen = dc.inner_len;
	meta.origlen = dc.inner_len;
	meta.linktype = dc.linktype;
	meta.flags =
	    (uint16_t)(((dc.flags & UDPCAP_DECAP_F_VXLAN_VNI) ? UDPCAP_PKT_F_VXLAN_VNI : 0) |
		       ((dc.flags & UDPCAP_DECAP_F_GENEVE_VNI) ? UDPCAP_PKT_F_GENEVE_VNI : 0));
	meta.vxlan_vni = dc.vxlan_vni;
	meta.geneve_vni = dc.geneve_vni;
	meta.reserved = 0;
	if (s->nhandoff)
		udpcapd_rx_fanout(s, &meta, payload + dc.inner_off);
	if (s->ntaps)
		udpcapd_taps_write(s, &meta, payload + dc.inner_off);
	/* GENEVE options travel in the record; VXLAN and raw pay one test. */
	if (__builtin_expect(
		(dc.geneve_opt_len
		     ? udpcap_ring__write_geneve(s->r, &meta, payload + dc.inner_off,
						 payload + dc.geneve_opt_off, dc.geneve_opt_len)
		     : udpcap_ring__write(s->r, &meta, payload + dc.inner_off)) < 0,
		0)) {
		udpcapd_rx_drop(cnt, UDPCAPD_DROP_RING_FULL);
		return;
	}
	udpcapd_counter_add(&cnt->delivered, 1);
	udpcapd_counter_add(&cnt->bytes, dc.inner_len);
}

/*
 * Receive buffers: @len bytes of address space, no memory reserved (pages
 * appear as the kernel writes them). NULL on failure. Free with munmap().
 */
static inline uint8_t *udpcapd_rx_bufs_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : (uint8_t *)p;
}

/*
 * After a datagram longer than UDPCAPD_COMMON_PAYLOAD at @payload (@len
 * bytes) is delivered: give back the whole pages it touched beyond that, so
 * a burst of large datagrams does not leave every buffer resident. Only
 * pages inside the datagram, never a neighbouring buffer's. Rare path.
 */
static inline void udpcapd_rx_release_tail(const uint8_t *payload, size_t len)
{
	const uintptr_t page = 4096;
	uintptr_t start = ((uintptr_t)payload + UDPCAPD_COMMON_PAYLOAD + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)payload + len) & ~(page - 1);

	if (len > UDPCAPD_COMMON_PAYLOAD && end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

/* Kernel timestamp missing (should not happen): use the clock, count it. */
static inline uint64_t udpcapd_rx_fallback_ts(struct udpcapd_thread *t, uint64_t *cached)
{
	if (!*cached)
		*cached = udpcap_now_ns(CLOCK_REALTIME);
	if (!udpcapd_counter_get(&t->ts_fallbacks))
		log_warning("receiver %u: a datagram came without its kernel timestamp "
			    "(SO_TIMESTAMPNS); using the clock (counted as ts_fallbacks)",
			    t->idx);
	udpcapd_counter_add(&t->ts_fallbacks, 1);
	return *cached;
}

/* End of a pass through a receiver's loop: it holds no filter pointer now. */
static inline void udpcapd_rx_quiescent(struct udpcapd_thread *t)
{
	/* release: pairs with the acquire in filter.c's grace period */
	__atomic_store_n(&t->quiescent, t->quiescent + 1, __ATOMIC_RELEASE);
}

static inline bool udpcapd_rx_stopping(const struct udpcapd_thread *t)
{
	return __atomic_load_n(&t->d->stop, __ATOMIC_ACQUIRE);
}

#endif /* UDPCAPD_RX_H */
