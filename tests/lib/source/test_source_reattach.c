/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that udpcap_source follows the daemon across restarts without its
 * caller doing anything: after a clean close (old records drained first,
 * nothing lost), after a crash where the ring file was simply replaced
 * (caught by the idle liveness check), and after a gap with no ring at all
 * (next() keeps returning 0 without blocking until the ring is back). The
 * descriptor stays the same, statistics continue, and a packet the caller
 * still holds keeps the old ring mapped.
 */
#include "source_test.h"

static void test_clean_restart(void **state)
{
	struct test_fixture f;
	struct udpcap_source_stats st;
	struct udpcap_pkt p;
	int fd;

	test_fixture_setup(&f, "w", 1);
	fd = udpcap_source__fd(f.src);
	assert_int_equal(test_produce(f.ring, 0, 10), 10);
	test_expect_seq(f.src, 0, 4);
	/* The daemon stops with 6 records unread and comes back with a new ring. */
	test_fixture_restart(&f);
	assert_int_equal(test_produce(f.ring, 100, 10), 10);

	test_expect_seq(f.src, 4, 6);
	test_expect_seq(f.src, 100, 10);
	assert_int_equal(udpcap_source__next(f.src, &p), 0);
	assert_int_equal(udpcap_source__fd(f.src), fd);
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_int_equal(st.received, 20);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.reattaches, 1);
	assert_true(st.attached);
	test_fixture_teardown(&f);
}

static void test_crash_replace(void **state)
{
	struct test_fixture f;
	struct udpcap_source_stats st;
	struct udpcap_ring *old;

	test_fixture_setup(&f, "w", 1);
	assert_int_equal(test_produce(f.ring, 0, 5), 5);
	test_expect_seq(f.src, 0, 5);
	/* A new daemon replaces the file; the old ring is never closed. */
	old = f.ring;
	f.ring = test_ring_create(f.dir, "w");
	assert_int_equal(test_produce(f.ring, 200, 5), 5);
	test_expect_seq(f.src, 200, 5);
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_int_equal(st.received, 10);
	assert_int_equal(st.reattaches, 1);
	udpcap_ring__free(old, false);
	test_fixture_teardown(&f);
}

static void test_gone_and_back(void **state)
{
	struct pollfd pfd = {.events = POLLIN};
	struct test_fixture f;
	struct udpcap_source_stats st;
	struct udpcap_pkt p;

	test_fixture_setup(&f, "w", 1);
	assert_int_equal(test_produce(f.ring, 0, 3), 3);
	test_expect_seq(f.src, 0, 3);
	udpcap_ring__close(f.ring);
	udpcap_ring__free(f.ring, true);

	/* No ring: idle calls return 0 at once, timeout() stays finite. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(udpcap_source__next(f.src, &p), 0);
		assert_true(udpcap_source__timeout(f.src) >= 0);
		test_sleep_ms(2);
	}
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_false(st.attached);
	/* The stable fd must not report readiness for the vanished ring. */
	pfd.fd = udpcap_source__fd(f.src);
	assert_int_equal(poll(&pfd, 1, 0), 0);

	f.ring = test_ring_create(f.dir, "w");
	assert_int_equal(test_produce(f.ring, 300, 4), 4);
	test_expect_seq(f.src, 300, 4);
	assert_int_equal(udpcap_source__stats(f.src, &st), 0);
	assert_true(st.attached);
	assert_int_equal(st.received, 7);
	test_fixture_teardown(&f);
}

static void test_held_packet_keeps_old_ring(void **state)
{
	struct test_fixture f;
	struct udpcap_pkt held, p;

	test_fixture_setup(&f, "w", 1);
	assert_int_equal(test_produce(f.ring, 0, 1), 1);
	assert_int_equal(test_next_within(f.src, &held, 5000), 1);
	test_fixture_restart(&f);
	assert_int_equal(test_produce(f.ring, 400, 2), 2);

	/* While the caller holds a packet of the old ring, no re-attach. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(udpcap_source__next(f.src, &p), 0);
		test_sleep_ms(2);
	}
	test_pkt_check(&held, 0);
	udpcap_source__done(f.src);
	test_expect_seq(f.src, 400, 2);
	test_fixture_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_restart),
	    cmocka_unit_test(test_crash_replace),
	    cmocka_unit_test(test_gone_and_back),
	    cmocka_unit_test(test_held_packet_keeps_old_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
