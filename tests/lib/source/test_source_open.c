/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves udpcap_source's start-up behaviour: a missing ring fails with
 * -ENOENT and a message naming its full path; with wait_for_ring the open
 * waits until the daemon creates the ring (or gives up after the timeout,
 * saying so); a ring already read by another process fails with -EBUSY and
 * a message naming that process; a signal ends the wait (-EINTR); a ring
 * can be opened by path; malformed options are refused.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "source_test.h"

static void test_missing_ring(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	char want[4096], msg[512];

	assert_int_equal(udpcap_source__open("worker-9", &o, &s), -ENOENT);
	assert_null(s);
	udpcap_source__strerror("worker-9", &o, -ENOENT, msg, sizeof(msg));
	snprintf(want, sizeof(want), "ring %s/worker-9 does not exist", dir);
	assert_non_null(strstr(msg, want));

	/* Without a dir: the default ring directory is named. */
	udpcap_source__strerror("worker-9", NULL, -ENOENT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "/worker-9"));
	assert_non_null(strstr(msg, "does not exist"));

	/* Gave up waiting: says how long. */
	o.wait_for_ring = true;
	o.wait_timeout_ms = 150;
	assert_int_equal(udpcap_source__open("worker-9", &o, &s), -ENOENT);
	udpcap_source__strerror("worker-9", &o, -ENOENT, msg, sizeof(msg));
	assert_non_null(strstr(msg, "did not appear within 150 ms"));

	/* Truncation keeps the buffer terminated. */
	udpcap_source__strerror("worker-9", &o, -ENOENT, msg, 8);
	assert_int_equal(strlen(msg), 7);
	test_ring_dir_remove(dir);
}

struct late {
	const char *dir;
	struct udpcap_ring *ring;
};

static void *create_late(void *arg)
{
	struct late *l = arg;
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .group = (gid_t)-1};

	test_sleep_ms(300);
	if (udpcap_ring__create(l->dir, "late", TEST_RING_SIZE, &o, &l->ring) == 0)
		test_produce(l->ring, 0, 3);
	return NULL;
}

static void test_wait_for_ring(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	struct late l = {.dir = dir};
	struct udpcap_pkt p;
	pthread_t t;

	o.wait_for_ring = true;
	o.wait_timeout_ms = 60000;
	assert_int_equal(pthread_create(&t, NULL, create_late, &l), 0);
	assert_int_equal(udpcap_source__open("late", &o, &s), 0);
	pthread_join(t, NULL);
	assert_non_null(l.ring);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(test_next_within(s, &p, 5000), 1);
		test_pkt_check(&p, i);
		udpcap_source__done(s);
	}
	udpcap_source__close(s);
	udpcap_ring__free(l.ring, true);
	test_ring_dir_remove(dir);
}

static void on_signal(int sig)
{
	(void)sig;
}

static int wait_over;

/*
 * A signal that lands between two sleeps of the wait (not inside one) is
 * handled without interrupting anything, so keep signalling until the wait
 * has ended, as a supervisor repeating its stop request would.
 */
static void *signal_later(void *arg)
{
	test_sleep_ms(300);
	for (int i = 0; i < 600 && !__atomic_load_n(&wait_over, __ATOMIC_ACQUIRE); i++) {
		pthread_kill(*(pthread_t *)arg, SIGUSR1);
		test_sleep_ms(100);
	}
	return NULL;
}

static void test_wait_interrupted(void **state)
{
	struct sigaction sa = {.sa_handler = on_signal}, old;
	char *dir = test_ring_dir();
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	pthread_t self = pthread_self(), t;
	char msg[512];
	int r;

	/* Waiting forever, but a handled signal (a stop request) ends it. */
	o.wait_for_ring = true;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, signal_later, &self), 0);
	r = udpcap_source__open("never", &o, &s);
	__atomic_store_n(&wait_over, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(r, -EINTR);
	sigaction(SIGUSR1, &old, NULL);
	assert_null(s);
	udpcap_source__strerror("never", &o, -EINTR, msg, sizeof(msg));
	assert_non_null(strstr(msg, "interrupted while waiting for ring"));
	test_ring_dir_remove(dir);
}

static void test_busy(void **state)
{
	char *dir = test_ring_dir();
	struct udpcap_ring *ring = test_ring_create(dir, "b");
	struct udpcap_source_opts o = test_source_opts(dir);
	struct udpcap_source *s = NULL;
	char want[64], msg[512];
	int ready[2], hold[2], status;
	char c = 0;
	pid_t child;

	/* Another process holds the ring (a lock held by us would not conflict). */
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct udpcap_source *cs = NULL;
		int r = udpcap_source__open("b", &o, &cs);

		c = r == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(2);
		udpcap_source__close(cs);
		_exit(r == 0 ? 0 : 1);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');

	assert_int_equal(udpcap_source__open("b", &o, &s), -EBUSY);
	udpcap_source__strerror("b", &o, -EBUSY, msg, sizeof(msg));
	snprintf(want, sizeof(want), "by pid %d", (int)child);
	assert_non_null(strstr(msg, want));
	assert_non_null(strstr(msg, dir));

	assert_int_equal(write(hold[1], &c, 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	close(ready[1]);
	close(hold[0]);
	close(hold[1]);

	/* Once the holder is gone the ring is free again, here by path. */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/b", dir);
		assert_int_equal(udpcap_source__open(path, NULL, &s), 0);
		assert_string_equal(udpcap_source__path(s), path);
		udpcap_source__close(s);
	}
	udpcap_ring__free(ring, true);
	test_ring_dir_remove(dir);
}

static void test_bad_opts(void **state)
{
	struct {
		struct udpcap_source_opts o;
		uint64_t newer_field;
	} big = {.o = {.sz = sizeof(big)}, .newer_field = 1};
	struct udpcap_source_opts small = {.sz = 1};
	struct udpcap_source *s = NULL;

	assert_int_equal(udpcap_source__open("x", &small, &s), -EINVAL);
	assert_int_equal(udpcap_source__open("x", &big.o, &s), -E2BIG);
	assert_int_equal(udpcap_source__open("", NULL, &s), -EINVAL);
	assert_int_equal(udpcap_source__open(NULL, NULL, &s), -EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_ring),
	    cmocka_unit_test(test_wait_for_ring),
	    cmocka_unit_test(test_wait_interrupted),
	    cmocka_unit_test(test_busy),
	    cmocka_unit_test(test_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
