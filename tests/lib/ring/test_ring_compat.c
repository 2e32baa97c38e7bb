/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the ring format's minor-version rule (docs/ring-format.md,
 * "Versions"): this library's consumer, which knows the producer's current
 * minor version N, reads a ring whose producer claims N+1 and uses what
 * N+1 may add -- non-zero bytes in every reserved byte of the producer's
 * header blocks and record extensions of a type nobody knows, up to the
 * largest allowed -- and gets every packet, meta and data intact, with
 * nothing counted as corrupt. A record whose extensions exceed the limit is
 * refused as corrupt, and a ring of another major version is refused by
 * both the consumer and udpcap_ring_info() with -EPROTO. The other way
 * round, a ring of minor 0 (no producer liveness fields) is read by this
 * consumer, which then reports the producer's liveness as unknown.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "ring_internal.h"
#include "ring_test.h"

#define N 3000u
#define MAXLEN 1500u
#define UNKNOWN_EXT 0x7ffeu

static void fill(uint8_t *h, size_t off, size_t len)
{
	memset(h + off, 0xa5, len);
}

/* Extension value length for record @seq: none for a third of them. */
static uint16_t ext_len_of(uint64_t seq)
{
	if (seq % 3 == 0)
		return 0xffff; /* no extension */
	if (seq % 97 == 1)
		return (uint16_t)(UDPCAP_REC_EXT_MAX - UDPCAP_EXT_HDR); /* the largest */
	return (uint16_t)(seq * 7 % 301);
}

int main(void)
{
	char *dir = rt_mkdir(), path[256];
	struct udpcap_ring *r = rt_create(dir, "cp", 1u << 20);
	struct udpcap_consumer_opts o = {.sz = sizeof(o), .dir = dir};
	struct udpcap_consumer *c = NULL;
	struct udpcap_consumer_stats cs;
	struct udpcap_ring_info info;
	static uint8_t buf[UDPCAP_RING_MAX_CAPLEN], ext[UDPCAP_REC_EXT_MAX];
	struct udpcap_ring_shm *h;
	uint64_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/cp", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	/* The whole file, as a newer producer (or a forger) sees it. */
	h = fd < 0 ? MAP_FAILED
		   : mmap(NULL, UDPCAP_RING_HDR_SIZE + (1u << 20), PROT_READ | PROT_WRITE, MAP_SHARED,
			  fd, 0);
	RT_CHECK(h != MAP_FAILED, "map %s: %s", path, strerror(errno));
	RT_CHECK(h->version.major == UDPCAP_RING_VERSION_MAJOR, "major %u", h->version.major);
	RT_CHECK(h->version.minor == UDPCAP_RING_VERSION_MINOR, "minor %u", h->version.minor);

	/* What a producer of the next minor version may do to the header. */
	h->version.minor = UDPCAP_RING_VERSION_MINOR + 1;
	fill((uint8_t *)h, offsetof(struct udpcap_ring_shm, reserved0), sizeof(h->reserved0));
	fill((uint8_t *)h, offsetof(struct udpcap_ring_shm, reserved1), sizeof(h->reserved1));
	fill((uint8_t *)h, offsetof(struct udpcap_ring_shm, reserved2), sizeof(h->reserved2));
	fill((uint8_t *)h, sizeof(*h), UDPCAP_RING_HDR_SIZE - sizeof(*h));
	memset(ext, 0x5a, sizeof(ext));

	/* ... and to the records, with a consumer attached before and after. */
	RT_CHECK(udpcap_consumer__open("cp", &o, &c) == 0, "open against minor N+1");
	for (uint64_t seq = 0; seq < N; seq++) {
		uint32_t len = rt_len(seq, MAXLEN);
		struct udpcap_pkt_meta m = rt_meta(seq, len);
		uint16_t x = ext_len_of(seq);

		rt_fill(buf, len, seq);
		if (x == 0xffff)
			RT_CHECK(udpcap_ring__write(r, &m, buf) == 0, "write %llu",
				 (unsigned long long)seq);
		else
			RT_CHECK(ring_write_ext(r, &m, buf, UNKNOWN_EXT, ext, x) == 0,
				 "write_ext %llu (%u)", (unsigned long long)seq, x);
		if (seq % 16 == 15)
			udpcap_ring__publish(r);
		/* Read as we go: the ring is smaller than everything written. */
		for (struct udpcap_pkt p; udpcap_consumer__next(c, &p) == 1;) {
			RT_CHECK(p.meta.ts_ns == got, "packet %llu came as %llu",
				 (unsigned long long)got, (unsigned long long)p.meta.ts_ns);
			rt_check_pkt(&p, MAXLEN);
			udpcap_consumer__release(c);
			got++;
		}
		if (seq == N / 2) {
			/* A consumer that attaches to the N+1 ring mid-stream. */
			udpcap_consumer__close(c);
			RT_CHECK(udpcap_consumer__open("cp", &o, &c) == 0, "re-open");
		}
	}
	udpcap_ring__publish(r);
	for (struct udpcap_pkt p; udpcap_consumer__next(c, &p) == 1; got++) {
		rt_check_pkt(&p, MAXLEN);
		udpcap_consumer__release(c);
	}
	RT_CHECK(got == N, "read %llu of %u packets", (unsigned long long)got, N);
	RT_CHECK(udpcap_consumer__stats(c, &cs) == 0 && cs.corrupt == 0 && cs.dropped == 0,
		 "corrupt %llu dropped %llu", (unsigned long long)cs.corrupt,
		 (unsigned long long)cs.dropped);
	RT_CHECK(udpcap_ring_info("cp", dir, &info) == 0, "info");
	RT_CHECK(info.format_version == UDPCAP_RING_VERSION_MAJOR &&
		     info.format_minor == UDPCAP_RING_VERSION_MINOR + 1,
		 "info says %u.%u", info.format_version, info.format_minor);

	/* Extensions beyond the limit are not a compatible addition. */
	{
		struct udpcap_pkt_meta m = rt_meta(N, 100);
		uint32_t len = udpcap_rec_len(100) + UDPCAP_REC_EXT_MAX;
		uint64_t cap = h->capacity, off = h->prod & (cap - 1);
		struct udpcap_ring_rec *rec;
		struct udpcap_pkt p;

		RT_CHECK(ring_write_ext(r, &m, buf, UNKNOWN_EXT, ext,
					(uint16_t)(UDPCAP_REC_EXT_MAX - UDPCAP_EXT_HDR + 1)) ==
			     -EINVAL,
			 "oversized extension accepted by the producer");
		RT_CHECK(ring_write_ext(r, &m, buf, UNKNOWN_EXT, ext,
					(uint16_t)(UDPCAP_REC_EXT_MAX - UDPCAP_EXT_HDR)) == 0,
			 "write");
		/* Forge it before it is published: 8 bytes less data, so 8 bytes
		 * more extension than allowed. */
		if (off + len > cap)
			off = 0;
		rec = (void *)((uint8_t *)h + UDPCAP_RING_HDR_SIZE + off);
		RT_CHECK(rec->len == len && rec->meta.caplen == 100, "record not where expected");
		rec->meta.caplen = 92;
		udpcap_ring__publish(r);
		RT_CHECK(udpcap_consumer__next(c, &p) == -EBADMSG, "oversized extension accepted");
		RT_CHECK(udpcap_consumer__stats(c, &cs) == 0 && cs.corrupt == 1, "corrupt %llu",
			 (unsigned long long)cs.corrupt);
	}

	/* 2.2: GENEVE options ride in an extension; this consumer finds them,
	 * and only in the records that carry them (an unknown extension, as
	 * an older consumer sees this one, is no options). */
	{
		static const uint8_t opts[] = {0x01, 0x08, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8,
					       0x01, 0x08, 0x83, 0x00};
		struct udpcap_pkt_meta m = rt_meta(N + 1, 64);
		const uint8_t *o_got;
		struct udpcap_pkt p;
		size_t len;

		rt_fill(buf, 64, N + 1);
		RT_CHECK(udpcap_ring__write_geneve(r, &m, buf, opts, sizeof(opts)) == 0, "geneve");
		RT_CHECK(udpcap_ring__write_geneve(r, &m, buf, NULL, 0) == 0, "geneve, no options");
		RT_CHECK(ring_write_ext(r, &m, buf, UNKNOWN_EXT, opts, sizeof(opts)) == 0, "ext");
		RT_CHECK(udpcap_ring__write_geneve(r, &m, buf, ext, UDPCAP_GENEVE_OPTS_MAX + 4) ==
			     -EINVAL,
			 "more options than GENEVE can carry");
		udpcap_ring__publish(r);
		RT_CHECK(udpcap_consumer__next(c, &p) == 1, "geneve record");
		RT_CHECK(p.meta.caplen == 64 && rt_verify(p.data, 64, N + 1), "geneve packet");
		o_got = udpcap_consumer__geneve_options(c, &len);
		RT_CHECK(o_got && len == sizeof(opts) && !memcmp(o_got, opts, len),
			 "options read back");
		RT_CHECK(udpcap_consumer__next(c, &p) == 1, "record without options");
		RT_CHECK(!udpcap_consumer__geneve_options(c, &len) && len == 0, "no options");
		RT_CHECK(udpcap_consumer__next(c, &p) == 1 && rt_verify(p.data, 64, N + 1),
			 "record with an unknown extension");
		RT_CHECK(!udpcap_consumer__geneve_options(c, &len) && len == 0, "unknown is none");
		udpcap_consumer__release(c);
	}

	/* Another major version: refused, never guessed at. */
	udpcap_consumer__close(c);
	h->version.major = UDPCAP_RING_VERSION_MAJOR + 1;
	RT_CHECK(udpcap_consumer__open("cp", &o, &c) == -EPROTO, "major + 1 not refused");
	RT_CHECK(udpcap_ring_info("cp", dir, &info) == -EPROTO, "info: major + 1 not refused");
	h->version.major = UDPCAP_RING_VERSION_MAJOR;
	RT_CHECK(udpcap_consumer__open("cp", &o, &c) == 0, "open after restoring the major");
	RT_CHECK(udpcap_consumer__producer_alive(c, NULL) == 1, "we are the producer");

	/* A ring of the first minor (2.0) carries no liveness fields: this
	 * consumer reads it and says it cannot tell, rather than "gone". */
	h->version.minor = 0;
	h->producer_start = 0;
	h->producer_pidns = 0;
	RT_CHECK(udpcap_consumer__producer_alive(c, NULL) == -ENODATA, "2.0 ring: liveness");
	RT_CHECK(udpcap_ring_info("cp", dir, &info) == 0 && info.producer_alive == -1 &&
		     info.format_minor == 0,
		 "2.0 ring: info");

	udpcap_consumer__close(c);
	munmap(h, UDPCAP_RING_HDR_SIZE + (1u << 20));
	close(fd);
	udpcap_ring__free(r, true);
	rt_rmdir(dir);
	printf("compat: %u packets (2/3 with unknown extensions) read from a minor %u+1 ring\n", N,
	       UDPCAP_RING_VERSION_MINOR);
	return 0;
}
