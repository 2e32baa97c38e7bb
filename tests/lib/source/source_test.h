/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers for the udpcap_source tests: a private ring directory and a producer. */
#ifndef UDPCAP_TESTS_SOURCE_TEST_H
#define UDPCAP_TESTS_SOURCE_TEST_H

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <udpcap/ring.h>
#include <udpcap/source.h>

#include "common.h"

#define TEST_RING_SIZE (1u << 17)

static inline int test_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh ring directory of our own (never the daemon's). */
static inline char *test_ring_dir(void)
{
	char tmpl[] = "/tmp/udpcap-source-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static inline void test_ring_dir_remove(char *dir)
{
	nftw(dir, test_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static inline struct udpcap_ring *test_ring_create(const char *dir, const char *name)
{
	struct udpcap_ring_create_opts o = {
	    .sz = sizeof(o), .group = (gid_t)-1, .linktype = UDPCAP_LINKTYPE_EN10MB};
	struct udpcap_ring *r = NULL;

	assert_int_equal(udpcap_ring__create(dir, name, TEST_RING_SIZE, &o, &r), 0);
	assert_non_null(r);
	return r;
}

/* Packet @seq: caplen 60 + seq % 200, bytes derived from seq, VNIs from seq. */
static inline uint32_t test_pkt_len(uint32_t seq)
{
	return 60 + seq % 200;
}

static inline void test_pkt_fill(uint32_t seq, struct udpcap_pkt_meta *m, uint8_t *buf)
{
	uint32_t len = test_pkt_len(seq);

	memset(m, 0, sizeof(*m));
	m->ts_ns = 1700000000123456789ull + (uint64_t)seq * 1000;
	m->caplen = len;
	m->origlen = len + (seq % 3 == 0 ? 10 : 0);
	m->linktype = UDPCAP_LINKTYPE_EN10MB;
	m->flags = UDPCAP_PKT_F_VXLAN_VNI | (m->origlen > len ? UDPCAP_PKT_F_GENEVE_VNI : 0);
	m->vxlan_vni = 1000 + seq;
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 7 + i);
}

/* Write and publish packets first..first+n-1; returns how many fitted. */
static inline uint32_t test_produce(struct udpcap_ring *r, uint32_t first, uint32_t n)
{
	uint8_t buf[512];
	struct udpcap_pkt_meta m;
	uint32_t ok = 0;

	for (uint32_t s = first; s < first + n; s++) {
		test_pkt_fill(s, &m, buf);
		if (udpcap_ring__write(r, &m, buf) == 0)
			ok++;
	}
	udpcap_ring__publish(r);
	return ok;
}

/* Assert that @p is packet @seq, byte for byte. */
static inline void test_pkt_check(const struct udpcap_pkt *p, uint32_t seq)
{
	uint8_t buf[512];
	struct udpcap_pkt_meta m;

	test_pkt_fill(seq, &m, buf);
	assert_int_equal(p->meta.ts_ns, m.ts_ns);
	assert_int_equal(p->meta.caplen, m.caplen);
	assert_int_equal(p->meta.origlen, m.origlen);
	assert_int_equal(p->meta.linktype, m.linktype);
	assert_int_equal(p->meta.flags, m.flags);
	assert_int_equal(p->meta.vxlan_vni, m.vxlan_vni);
	assert_memory_equal(p->data, buf, m.caplen);
}

static inline void test_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * Call next() until it yields a packet, sleeping 1 ms between idle calls;
 * at most @tries idle calls (a generous bound, not a timing assertion).
 */
static inline int test_next_within(struct udpcap_source *s, struct udpcap_pkt *p, int tries)
{
	for (int i = 0; i < tries; i++) {
		int r = udpcap_source__next(s, p);

		if (r != 0)
			return r;
		test_sleep_ms(1);
	}
	return 0;
}

static inline struct udpcap_source_opts test_source_opts(const char *dir)
{
	struct udpcap_source_opts o = {.sz = sizeof(o), .dir = dir};

	return o;
}

/* What most tests start from: a ring directory, ring @name, a source on it. */
struct test_fixture {
	char *dir;
	const char *name;
	struct udpcap_ring *ring;
	struct udpcap_source *src;
};

/* @check_ms: the source's liveness check period, 0 for the default. */
static inline void test_fixture_setup(struct test_fixture *f, const char *name, uint32_t check_ms)
{
	struct udpcap_source_opts o;

	f->dir = test_ring_dir();
	f->name = name;
	f->ring = test_ring_create(f->dir, name);
	o = test_source_opts(f->dir);
	o.check_interval_ms = check_ms;
	f->src = NULL;
	assert_int_equal(udpcap_source__open(name, &o, &f->src), 0);
}

/* The daemon stops cleanly (closes and removes its ring) and starts again. */
static inline void test_fixture_restart(struct test_fixture *f)
{
	udpcap_ring__close(f->ring);
	udpcap_ring__free(f->ring, true);
	f->ring = test_ring_create(f->dir, f->name);
}

static inline void test_fixture_teardown(struct test_fixture *f)
{
	udpcap_source__close(f->src);
	udpcap_ring__free(f->ring, true);
	test_ring_dir_remove(f->dir);
}

/* Expect packets first..first+n-1 (waiting for each), done() with each. */
static inline void test_expect_seq(struct udpcap_source *s, uint32_t first, uint32_t n)
{
	struct udpcap_pkt p;

	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(test_next_within(s, &p, 5000), 1);
		test_pkt_check(&p, first + i);
		udpcap_source__done(s);
	}
}

#endif /* UDPCAP_TESTS_SOURCE_TEST_H */
