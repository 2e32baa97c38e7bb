/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that udpcap_source walks a real ring record by record with the
 * producer's metadata and bytes, zero copy (the data pointer stays valid and
 * the space stays taken until done(); all of it is given back once the ring
 * runs empty), and that its statistics count only what happened since this
 * source attached: received, bytes, ring-full and upstream drops,
 * link = received + dropped.
 */
#include "source_test.h"

/* Read everything there is; returns the packets read, adds their bytes. */
static uint32_t drain(struct udpcap_source *s, uint32_t first_seq, uint64_t *bytes)
{
	struct udpcap_pkt p;
	uint32_t n = 0;

	while (udpcap_source__next(s, &p) == 1) {
		if (first_seq != UINT32_MAX)
			test_pkt_check(&p, first_seq + n);
		*bytes += p.meta.caplen;
		n++;
		udpcap_source__done(s);
	}
	return n;
}

static void test_walk(void **state)
{
	struct test_fixture f;
	struct udpcap_source_stats st;
	uint64_t bytes = 0;

	test_fixture_setup(&f, "worker-0", 0);
	assert_int_equal(udpcap_source__linktype(f.src), UDPCAP_LINKTYPE_EN10MB);
	assert_non_null(strstr(udpcap_source__path(f.src), "worker-0"));
	assert_int_equal(drain(f.src, 0, &bytes), 0);

	/* Several rounds so the walk crosses the end of the data area. */
	for (uint32_t round = 0; round < 20; round++) {
		assert_int_equal(test_produce(f.ring, round * 100, 100), 100);
		assert_int_equal(drain(f.src, round * 100, &bytes), 100);
	}
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_int_equal(st.received, 2000);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.link, 2000);
	assert_true(st.attached);
	test_fixture_teardown(&f);
}

static void test_zero_copy(void **state)
{
	struct test_fixture f;
	struct udpcap_ring_stats rs;
	struct udpcap_pkt first, p;
	uint32_t filled;
	uint64_t bytes = 0;

	test_fixture_setup(&f, "zc", 0);
	/* Fill the ring completely. */
	filled = test_produce(f.ring, 0, 2000);
	assert_true(filled > 10 && filled < 2000);

	assert_int_equal(udpcap_source__next(f.src, &first), 1);
	test_pkt_check(&first, 0);
	/* Held, not done: the producer cannot reuse its space. */
	assert_int_equal(test_produce(f.ring, 5000, 1), 0);
	/* Reading on does not disturb the held packet's bytes. */
	assert_int_equal(udpcap_source__next(f.src, &p), 1);
	test_pkt_check(&p, 1);
	test_pkt_check(&first, 0);
	udpcap_source__done(f.src);
	udpcap_source__done(f.src);

	assert_int_equal(drain(f.src, 2, &bytes), filled - 2);
	/* Running empty gives everything back. */
	assert_int_equal(udpcap_ring__stats(f.ring, &rs), 0);
	assert_int_equal(rs.used, 0);
	assert_int_equal(test_produce(f.ring, 9000, 3), 3);
	test_fixture_teardown(&f);
}

static void test_stats_since_attach(void **state)
{
	struct test_fixture f;
	struct udpcap_source_opts o;
	struct udpcap_source_stats st;
	uint32_t filled, again, got;
	uint64_t bytes = 0;

	/* Before this source attaches: overflow the ring, and 4 upstream drops. */
	test_fixture_setup(&f, "st", 0);
	udpcap_source__close(f.src);
	filled = test_produce(f.ring, 0, 2000);
	assert_true(filled < 2000);
	udpcap_ring__add_upstream_drops(f.ring, 4);

	o = test_source_opts(f.dir);
	f.src = NULL;
	assert_int_equal(udpcap_source__open("st", &o, &f.src), 0);
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_int_equal(st.received, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.link, 0);

	/* Since attach: read what is there, refill and overflow again, plus 5 upstream. */
	got = drain(f.src, UINT32_MAX, &bytes);
	assert_int_equal(got, filled);
	again = test_produce(f.ring, 10000, 2000);
	udpcap_ring__add_upstream_drops(f.ring, 5);
	got += drain(f.src, UINT32_MAX, &bytes);
	assert_int_equal(got, filled + again);

	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_int_equal(st.received, got);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.dropped, (2000 - again) + 5);
	assert_int_equal(st.link, st.received + st.dropped);
	assert_int_equal(st.corrupt, 0);
	test_fixture_teardown(&f);
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
