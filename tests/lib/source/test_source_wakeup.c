/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves udpcap_source's sleep protocol, the one Zeek's main loop follows:
 * timeout() is 0 while packets are pending and finite otherwise; once it
 * announced a sleep the fd stays quiet on an idle ring (no busy loop),
 * becomes readable when the producer publishes, and is quiet again after
 * next() took the packet; the same fd keeps working after a re-attach.
 */
#include <pthread.h>

#include "source_test.h"

#define CHECK_MS 10000u

struct later {
	struct udpcap_ring *ring;
	uint32_t seq;
};

static void *produce_later(void *arg)
{
	struct later *l = arg;

	test_sleep_ms(200);
	test_produce(l->ring, l->seq, 1);
	return NULL;
}

static int fd_ready(struct udpcap_source *s, int ms)
{
	struct pollfd pfd = {.fd = udpcap_source__fd(s), .events = POLLIN};
	int r = poll(&pfd, 1, ms);

	assert_true(r >= 0);
	return r;
}

/* Drain, announce the sleep, and prove a publish wakes the fd. */
static void sleep_and_wake(struct udpcap_source *s, struct udpcap_ring *ring, uint32_t seq)
{
	struct later l = {.ring = ring, .seq = seq};
	struct udpcap_pkt p;
	pthread_t t;
	int ms;

	assert_int_equal(udpcap_source__next(s, &p), 0);
	ms = udpcap_source__timeout(s);
	assert_true(ms > 0 && ms <= (int)CHECK_MS);
	/* Idle ring: nothing wakes us. */
	assert_int_equal(fd_ready(s, 100), 0);

	assert_int_equal(pthread_create(&t, NULL, produce_later, &l), 0);
	assert_int_equal(fd_ready(s, 60000), 1);
	pthread_join(t, NULL);
	assert_int_equal(udpcap_source__next(s, &p), 1);
	test_pkt_check(&p, seq);
	udpcap_source__done(s);
	/* The wake-up was consumed: the fd does not stay readable. */
	assert_int_equal(fd_ready(s, 0), 0);
	assert_int_equal(udpcap_source__timeout(s), 0);
}

static void test_sleep_protocol(void **state)
{
	struct test_fixture f;
	struct udpcap_pkt p;
	int fd;

	test_fixture_setup(&f, "w", CHECK_MS);
	fd = udpcap_source__fd(f.src);
	assert_true(fd >= 0);

	/* Records already there: do not sleep. */
	assert_int_equal(test_produce(f.ring, 0, 2), 2);
	assert_int_equal(udpcap_source__timeout(f.src), 0);
	assert_int_equal(udpcap_source__next(f.src, &p), 1);
	udpcap_source__done(f.src);
	assert_int_equal(udpcap_source__timeout(f.src), 0);
	assert_int_equal(udpcap_source__next(f.src, &p), 1);
	udpcap_source__done(f.src);

	sleep_and_wake(f.src, f.ring, 10);
	sleep_and_wake(f.src, f.ring, 11);

	/* After the daemon restarts, the same fd wakes us for the new ring. */
	test_fixture_restart(&f);
	assert_int_equal(test_produce(f.ring, 20, 1), 1);
	test_expect_seq(f.src, 20, 1);
	assert_int_equal(udpcap_source__fd(f.src), fd);
	sleep_and_wake(f.src, f.ring, 21);
	test_fixture_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sleep_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
