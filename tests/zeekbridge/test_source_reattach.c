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

#define TRIES 5000 /* idle calls, 1 ms apart: generous, not a timing check */

static struct udpcap_source *open_fast(const char *dir, const char *name)
{
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;

	o.check_interval_ms = 1;
	assert_int_equal(udpcap_source__open(name, &o, &s), 0);
	return s;
}

static void expect_seq(struct udpcap_source *s, uint32_t first, uint32_t n)
{
	struct udpcap_pkt p;

	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(test_next_within(s, &p, TRIES), 1);
		test_pkt_check(&p, first + i);
		udpcap_source__done(s);
	}
}

static void test_clean_restart(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "w");
	struct udpcap_source *s = open_fast(dir, "w");
	struct udpcap_source_stats st;
	struct udpcap_pkt p;
	int fd = udpcap_source__fd(s);

	assert_int_equal(test_produce(ring, 0, 10), 10);
	expect_seq(s, 0, 4);
	/* The daemon stops with 6 records unread and comes back with a new ring. */
	udpcap_ring__close(ring);
	udpcap_ring__free(ring, true);
	ring = test_ring_create(dir, "w");
	assert_int_equal(test_produce(ring, 100, 10), 10);

	expect_seq(s, 4, 6);
	expect_seq(s, 100, 10);
	assert_int_equal(udpcap_source__next(s, &p), 0);
	assert_int_equal(udpcap_source__fd(s), fd);
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_int_equal(st.received, 20);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.reattaches, 1);
	assert_true(st.attached);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_crash_replace(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *old = test_ring_create(dir, "w");
	struct udpcap_source *s = open_fast(dir, "w");
	struct udpcap_source_stats st;
	struct udpcap_ring *ring;

	assert_int_equal(test_produce(old, 0, 5), 5);
	expect_seq(s, 0, 5);
	/* A new daemon replaces the file; the old ring is never closed. */
	ring = test_ring_create(dir, "w");
	assert_int_equal(test_produce(ring, 200, 5), 5);
	expect_seq(s, 200, 5);
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_int_equal(st.received, 10);
	assert_int_equal(st.reattaches, 1);

	udpcap_source__close(s);
	udpcap_ring__free(old, false);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_gone_and_back(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "w");
	struct udpcap_source *s = open_fast(dir, "w");
	struct udpcap_source_stats st;
	struct udpcap_pkt p;

	assert_int_equal(test_produce(ring, 0, 3), 3);
	expect_seq(s, 0, 3);
	udpcap_ring__close(ring);
	udpcap_ring__free(ring, true);

	/* No ring: idle calls return 0 at once, timeout() stays finite. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(udpcap_source__next(s, &p), 0);
		assert_true(udpcap_source__timeout(s) >= 0);
		test_sleep_ms(2);
	}
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_false(st.attached);
	/* The stable fd must not report readiness for the vanished ring. */
	{
		struct pollfd pfd = { .fd = udpcap_source__fd(s), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 0), 0);
	}

	ring = test_ring_create(dir, "w");
	assert_int_equal(test_produce(ring, 300, 4), 4);
	expect_seq(s, 300, 4);
	assert_int_equal(udpcap_source__stats(s, &st), 0);
	assert_true(st.attached);
	assert_int_equal(st.received, 7);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_held_packet_keeps_old_ring(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "w");
	struct udpcap_source *s = open_fast(dir, "w");
	struct udpcap_pkt held, p;

	assert_int_equal(test_produce(ring, 0, 1), 1);
	assert_int_equal(test_next_within(s, &held, TRIES), 1);
	udpcap_ring__close(ring);
	udpcap_ring__free(ring, true);
	ring = test_ring_create(dir, "w");
	assert_int_equal(test_produce(ring, 400, 2), 2);

	/* While the caller holds a packet of the old ring, no re-attach. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(udpcap_source__next(s, &p), 0);
		test_sleep_ms(2);
	}
	test_pkt_check(&held, 0);
	udpcap_source__done(s);
	expect_seq(s, 400, 2);

	udpcap_source__close(s);
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
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
