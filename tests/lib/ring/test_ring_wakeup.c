/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves there is no lost wake-up: thousands of times, the consumer process
 * runs the ring empty and goes to sleep on its descriptor (alternately via
 * prepare_wait/poll/finish_wait, as Zeek's IO loop does, and via wait()),
 * while the producer process publishes a single record at a random moment
 * (immediately, after a spin, a yield or a short sleep), racing the
 * consumer's way into poll(). A lost wake-up shows as a sleep that times
 * out (10 s) although a record was published: the test fails naming the
 * iteration. Run twice: with the consumer's pre-sleep watch off (the
 * handshake alone) and on (records timed around the moment it gives up). Also proves an idle consumer really sleeps: a wait on an idle
 * ring times out and uses (almost) no CPU.
 */
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "ring_test.h"

#define SLEEP_MS 10000

static const char *dir;

/*
 * Phase "nospin" (the consumer sleeps as soon as the ring is empty): every
 * 8th record waits until the consumer took the previous one (so it is
 * surely heading for sleep); the others come at random moments, mostly
 * within the few hundred nanoseconds the consumer needs from next() into
 * poll(). Phase "spin" (default ~20 us watch before sleeping): every record
 * waits for the previous one to be taken, then comes 0..40 us later, around
 * the moment the watch gives up and the Dekker handshake decides.
 */
static void producer(const char *name, uint64_t iters, int spin, volatile uint64_t *ack,
		     int ready_fd)
{
	struct udpcap_ring *r = rt_create(dir, name, 1u << 20);
	uint64_t s = 42;

	rt_pin_cpu(0);
	rt_signal(ready_fd);
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t t0 = rt_now_ns(), v = rt_rand(&s);

		while ((spin || i % 8 == 0) && __atomic_load_n(ack, __ATOMIC_ACQUIRE) < i) {
			if (rt_now_ns() - t0 > 60000000000ull)
				RT_DIE("consumer stuck before iteration %llu", (unsigned long long)i);
			sched_yield();
		}
		if (spin) {
			uint64_t until = rt_now_ns() + (v >> 8) % 40000;

			while (rt_now_ns() < until)
				;
		} else {
			switch (v % 8) {
			case 0:
				break;
			case 1:
				sched_yield();
				break;
			case 2:
				usleep((useconds_t)((v >> 8) % 50));
				break;
			default:
				for (volatile uint64_t n = (v >> 8) % 3000; n; n--)
					;
			}
		}
		rt_produce(r, i, 1, 200, 1, 1);
	}
	udpcap_ring__close(r);
	udpcap_ring__free(r, false);
	exit(0);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void race(const char *name, uint64_t iters, int spin)
{
	struct udpcap_consumer_opts o = {.sz = sizeof(o), .dir = dir, .spin_us = spin ? 0 : -1};
	uint64_t seq = 0, sleeps = 0, backouts = 0;
	volatile uint64_t *ack;
	struct udpcap_consumer *c;
	struct udpcap_pkt p;
	int ready[2], err;
	pid_t pid;

	ack = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ack == MAP_FAILED || pipe(ready))
		RT_DIE("setup: %s", strerror(errno));
	pid = rt_fork();
	if (pid == 0)
		producer(name, iters, spin, ack, ready[1]);
	rt_pin_cpu(1);
	rt_await(ready[0]);
	err = udpcap_consumer__open(name, &o, &c);
	RT_CHECK(err == 0, "open: %s", strerror(-err));

	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			RT_CHECK(p.meta.ts_ns == seq, "got %llu, want %llu",
				 (unsigned long long)p.meta.ts_ns, (unsigned long long)seq);
			rt_check_pkt(&p, 200);
			udpcap_consumer__release(c);
			seq++;
			__atomic_store_n(ack, seq, __ATOMIC_RELEASE);
			continue;
		}
		if (err == -EPIPE)
			break;
		RT_CHECK(err == 0, "next: %s", strerror(-err));
		if (seq & 1) {
			struct pollfd pfd = {.fd = udpcap_consumer__fd(c), .events = POLLIN};

			if (udpcap_consumer__prepare_wait(c)) {
				backouts++; /* a record came while we announced sleep */
				continue;
			}
			sleeps++;
			err = poll(&pfd, 1, SLEEP_MS);
			udpcap_consumer__finish_wait(c);
			RT_CHECK(err >= 0, "poll: %s", strerror(errno));
		} else {
			err = udpcap_consumer__wait(c, SLEEP_MS);
			RT_CHECK(err >= 0, "wait: %s", strerror(-err));
		}
		if (err == 0) {
			err = udpcap_consumer__next(c, &p);
			if (err == 1 || err == -EPIPE)
				RT_DIE("LOST WAKE-UP (%s) at iteration %llu: slept %d s with a record "
				       "published", name, (unsigned long long)seq, SLEEP_MS / 1000);
			RT_DIE("producer silent for %d s at iteration %llu", SLEEP_MS / 1000,
			       (unsigned long long)seq);
		}
	}
	RT_CHECK(seq == iters, "received %llu of %llu", (unsigned long long)seq,
		 (unsigned long long)iters);
	RT_CHECK(rt_wait(pid) == 0, "producer failed");
	fprintf(stderr, "%s: %llu records; via prepare_wait the consumer slept %llu times and "
		"backed out %llu times\n", name, (unsigned long long)iters,
		(unsigned long long)sleeps, (unsigned long long)backouts);
	RT_CHECK(sleeps >= iters / 50, "the consumer hardly ever slept: races not exercised");
	udpcap_consumer__close(c);
	munmap((void *)ack, 4096);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	uint64_t iters = test_sanitized() ? 10000 : 50000;
	struct udpcap_consumer *c;
	double cpu;

	dir = rt_mkdir();
	race("nospin", iters, 0);
	race("spin", iters / 10, 1);

	/* Idle: a fresh ring with nothing in it; the wait times out. */
	struct udpcap_ring *r = rt_create(dir, "idle", 1u << 20);
	c = rt_open_consumer(dir, "idle");
	cpu = cpu_s();
	RT_CHECK(udpcap_consumer__wait(c, 500) == 0, "idle wait woke up");
	cpu = cpu_s() - cpu;
	fprintf(stderr, "idle wait of 500 ms used %.1f ms CPU\n", cpu * 1e3);
	RT_CHECK(cpu < 0.25, "idle consumer is spinning (%.0f ms CPU in 500 ms)", cpu * 1e3);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
	rt_rmdir(dir);
	return 0;
}
