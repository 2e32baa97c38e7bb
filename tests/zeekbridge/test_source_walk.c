/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that udpcap_source walks a real ring record by record with the
 * producer's metadata and bytes, zero copy (the data pointer stays valid and
 * the space stays taken until done() and the batched release), and that its
 * statistics count only what happened since this source attached:
 * received, bytes, ring-full and upstream drops, link = received + dropped.
 */
#include "source_test.h"

static void test_walk(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "worker-0");
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	struct udpcap_source_stats st;
	struct udpcap_pkt p;
	uint64_t bytes = 0;

	assert_int_equal(udpcap_source__open("worker-0", &o, &s), 0);
	assert_int_equal(udpcap_source__linktype(s), UDPCAP_LINKTYPE_EN10MB);
	assert_non_null(strstr(udpcap_source__path(s), "worker-0"));
	assert_int_equal(udpcap_source__next(s, &p), 0);

	/* Several rounds so the walk crosses the end of the data area. */
	for (uint32_t round = 0, seq = 0; round < 20; round++) {
		uint32_t n = test_produce(ring, seq, 100);

		assert_int_equal(n, 100);
		for (uint32_t i = 0; i < n; i++, seq++) {
			assert_int_equal(udpcap_source__next(s, &p), 1);
			test_pkt_check(&p, seq);
			bytes += p.meta.caplen;
			udpcap_source__done(s);
		}
		assert_int_equal(udpcap_source__next(s, &p), 0);
	}
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_int_equal(st.received, 2000);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.link, 2000);
	assert_true(st.attached);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_zero_copy(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "zc");
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	struct udpcap_ring_stats rs;
	struct udpcap_pkt p, first;
	uint32_t filled;

	assert_int_equal(udpcap_source__open("zc", &o, &s), 0);
	/* Fill the ring completely. */
	filled = test_produce(ring, 0, 2000);
	assert_true(filled > 10 && filled < 2000);

	assert_int_equal(udpcap_source__next(s, &first), 1);
	test_pkt_check(&first, 0);
	/* Held, not done: the producer cannot reuse its space. */
	assert_int_equal(test_produce(ring, 5000, 1), 0);
	test_pkt_check(&first, 0);

	/* Walk the rest; each packet is held until its done(). */
	udpcap_source__done(s);
	for (uint32_t i = 1; i < filled; i++) {
		assert_int_equal(udpcap_source__next(s, &p), 1);
		test_pkt_check(&p, i);
		/* The previous packet is not done yet, its bytes are intact too. */
		if (i == 1)
			test_pkt_check(&first, 0);
		udpcap_source__done(s);
	}
	/* Running empty gives everything back. */
	assert_int_equal(udpcap_source__next(s, &p), 0);
	assert_int_equal(udpcap_ring__stats(ring, &rs), 0);
	assert_int_equal(rs.used, 0);
	assert_int_equal(test_produce(ring, 9000, 3), 3);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_stats_since_attach(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "st");
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	struct udpcap_source_stats st;
	struct udpcap_pkt p;
	uint32_t filled, again, got = 0;
	uint64_t bytes = 0;

	/* Before anyone attaches: fill the ring and overflow it, and 4 upstream drops. */
	filled = test_produce(ring, 0, 2000);
	assert_true(filled < 2000);
	udpcap_ring__add_upstream_drops(ring, 4);

	assert_int_equal(udpcap_source__open("st", &o, &s), 0);
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_int_equal(st.received, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.link, 0);

	/* Since attach: read what is there, refill and overflow again, plus 5 upstream. */
	while (udpcap_source__next(s, &p) == 1) {
		bytes += p.meta.caplen;
		got++;
		udpcap_source__done(s);
	}
	assert_int_equal(got, filled);
	again = test_produce(ring, 10000, 2000);
	udpcap_ring__add_upstream_drops(ring, 5);
	while (udpcap_source__next(s, &p) == 1) {
		bytes += p.meta.caplen;
		got++;
		udpcap_source__done(s);
	}
	assert_int_equal(got, filled + again);

	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_int_equal(st.received, got);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.dropped, (2000 - again) + 5);
	assert_int_equal(st.link, st.received + st.dropped);
	assert_int_equal(st.corrupt, 0);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_stats_since_attach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
