/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Duplicate suppression (see dedup.h for what counts as a copy).
 *
 * A packet is identified by a 64-bit hash of its normalised bytes, keyed
 * with secrets drawn from getrandom() when the table is made: whoever sends
 * the mirrored traffic cannot build two different packets with one hash
 * and so hide the second one from the consumer. Two different packets
 * within one window share a hash with odds of about entries / 2^64.
 *
 * Buckets of four 16-byte slots are one cache line: a lookup touches one
 * line, and the window's packets fit when the table is twice their number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dedup.h"

#define SLOTS 4
/* Twice the window's packets; at most 2^20 buckets (64 MiB) per ring. */
#define MIN_BUCKETS 64u
#define MAX_BUCKETS (1u << 20)

struct slot {
	uint64_t hash; /* 0 = empty */
	uint64_t ts_ns;
};

struct bucket {
	struct slot s[SLOTS];
} __attribute__((aligned(64)));

struct udpcapd_dedup {
	uint64_t window_ns;
	uint64_t mask;
	uint64_t secret[3];
	struct bucket *buckets;
};

struct udpcapd_dedup *udpcapd_dedup_new(uint64_t window_ns, uint64_t pps)
{
	struct udpcapd_dedup *t = calloc(1, sizeof(*t));
	uint64_t want = pps * window_ns / 1000000000u * 2 / SLOTS + 1, n = MIN_BUCKETS;
	size_t got = 0;

	if (!t)
		return NULL;
	while (n < want && n < MAX_BUCKETS)
		n <<= 1;
	t->window_ns = window_ns;
	t->mask = n - 1;
	while (got < sizeof(t->secret)) {
		ssize_t r = getrandom((uint8_t *)t->secret + got, sizeof(t->secret) - got, 0);

		if (r < 0 && errno != EINTR) {
			free(t);
			return NULL;
		}
		got += r > 0 ? (size_t)r : 0;
	}
	t->secret[0] |= 1; /* odd: multiplying by it loses no bit */
	t->buckets = aligned_alloc(64, n * sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	memset(t->buckets, 0, n * sizeof(*t->buckets));
	return t;
}

void udpcapd_dedup_free(struct udpcapd_dedup *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t);
}

size_t udpcapd_dedup_entries(const struct udpcapd_dedup *t)
{
	return (size_t)(t->mask + 1) * SLOTS;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the header masks below are for little-endian loads"
#endif
/*
 * Every field a path rewrites lies in the first 16 bytes of the IP header,
 * so two masks on its first two 8-byte words normalise it and the rest is
 * hashed as it is, without a copy. IPv4: TOS (byte 1), TTL (8), checksum
 * (10-11). IPv6: traffic class (low nibble of byte 0, high nibble of 1),
 * hop limit (7).
 */
static const uint64_t mask4[2] = {~0xff00ull, ~0xffff00ffull};
static const uint64_t mask6[2] = {~(0xff00000000000000ull | 0xf00f), ~0ull};

/*
 * The hash of the packet from its IP header to the end of the IP packet
 * (Ethernet padding excluded), normalised; 0 if it is not IPv4/IPv6.
 */
static uint64_t packet_hash(const struct udpcapd_dedup *t, const uint8_t *pkt, size_t len,
			    uint16_t linktype)
{
	const uint64_t *m;
	size_t off = 0, end, n;
	unsigned et = 0, tags;
	const uint8_t *p;
	uint64_t h1, h2;

	if (linktype == 1 /* EN10MB */) {
		if (len < 14)
			return 0;
		et = be16(pkt + 12);
		off = 14;
		/* 802.1Q, 802.1ad, and the older 0x9100 QinQ tag */
		for (tags = 0; tags < 4 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); tags++) {
			if (len - off < 4)
				return 0;
			et = be16(pkt + off + 2);
			off += 4;
		}
	} else if (linktype == 101 /* RAW */) {
		if (len < 1)
			return 0;
		et = (pkt[0] >> 4) == 4 ? 0x0800 : (pkt[0] >> 4) == 6 ? 0x86dd : 0;
	}
	pkt += off;
	len -= off;
	if (et == 0x0800) {
		if (len < 20 || (pkt[0] >> 4) != 4 || (pkt[0] & 15) < 5)
			return 0;
		end = be16(pkt + 2);
		if (end < (size_t)(pkt[0] & 15) * 4)
			return 0;
		m = mask4;
	} else if (et == 0x86dd) {
		if (len < 40 || (pkt[0] >> 4) != 6)
			return 0;
		end = 40 + be16(pkt + 4); /* a jumbogram (0) runs to the end */
		if (end == 40)
			end = len;
		m = mask6;
	} else {
		return 0;
	}
	if (end > len)
		end = len; /* cut short by the mirror: both copies alike */
	/* two independent multiply chains, so that they overlap in the CPU */
	h1 = mix((rd64(pkt) & m[0]) ^ t->secret[1], (rd64(pkt + 8) & m[1]) ^ t->secret[2] ^ end);
	h2 = t->secret[0];
	for (p = pkt + 16, n = end - 16; n > 32; p += 32, n -= 32) {
		h1 = mix(rd64(p) ^ t->secret[1], rd64(p + 8) ^ h1);
		h2 = mix(rd64(p + 16) ^ t->secret[2], rd64(p + 24) ^ h2);
	}
	if (n > 16) {
		h1 = mix(rd64(p) ^ t->secret[1], rd64(p + 8) ^ h1);
		n -= 16;
	}
	/* the last 16 bytes, overlapping what came before (end >= 20) */
	if (n)
		h2 = mix(rd64(pkt + end - 16) ^ t->secret[2], rd64(pkt + end - 8) ^ h2);
	h1 = mix(h1 ^ h2 ^ t->secret[0], end ^ t->secret[1]);
	return h1 ? h1 : 1;
}

bool udpcapd_dedup_seen(struct udpcapd_dedup *t, const uint8_t *pkt, size_t len,
			uint16_t linktype, uint64_t ts_ns)
{
	uint64_t h = packet_hash(t, pkt, len, linktype), oldest = UINT64_MAX;
	struct bucket *b;
	struct slot *put = NULL;
	unsigned i;

	if (!h)
		return false;
	b = &t->buckets[(h >> 32 ^ h) & t->mask];
	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &b->s[i];
		/* copies read from two sockets may be seen out of timestamp order */
		uint64_t age = ts_ns > s->ts_ns ? ts_ns - s->ts_ns : s->ts_ns - ts_ns;

		if (s->hash == h && age <= t->window_ns) {
			s->hash = 0;
			return true;
		}
		if (!s->hash || age > t->window_ns) {
			put = s;
			oldest = 0;
		} else if (oldest && s->ts_ns < oldest) {
			/* full: the oldest entry goes, which can only miss a copy */
			put = s;
			oldest = s->ts_ns;
		}
	}
	put->hash = h;
	put->ts_ns = ts_ns;
	return false;
}
