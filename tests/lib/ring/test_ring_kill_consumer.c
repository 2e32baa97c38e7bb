/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that a consumer killed with SIGKILL mid-stream releases the ring by
 * itself and a new consumer resumes where it stopped: while the first
 * consumer (another process) lives, a second open gets -EBUSY and
 * udpcap_consumer__holder() and udpcap_ring_info() name its pid; after
 * kill -9 the ring shows no consumer, a new one attaches, and it receives
 * every remaining record in order, re-delivering at most one release batch
 * the dead consumer had not given back. The producer (a third process)
 * never notices beyond "no consumer".
 */
#include <sys/mman.h>

#include "ring_test.h"

#define MAXLEN 1500u

int main(void)
{
	uint64_t n = test_sanitized() ? 300000 : 2000000;
	struct udpcap_consumer_opts o = {.sz = sizeof(o)};
	volatile uint64_t *seen;
	struct udpcap_consumer *c = NULL;
	struct udpcap_ring_info info;
	struct udpcap_pkt p;
	uint64_t first, next_seq, last;
	int ready[2], go[2], err;
	pid_t prod, cons, holder;

	o.dir = rt_mkdir();
	seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED || pipe(ready) || pipe(go))
		RT_DIE("setup: %s", strerror(errno));
	seen[0] = UINT64_MAX;

	prod = rt_fork();
	if (prod == 0) {
		struct udpcap_ring *r = rt_create(o.dir, "kc", 1u << 20);

		rt_signal(ready[1]);
		rt_await(go[0]);
		rt_produce(r, 0, n, MAXLEN, 32, 1);
		udpcap_ring__close(r);
		udpcap_ring__free(r, false);
		exit(0);
	}
	rt_await(ready[0]);

	cons = rt_fork();
	if (cons == 0) {
		/* The first consumer: reads and verifies until killed. */
		struct udpcap_consumer *c1 = rt_open_consumer(o.dir, "kc");
		uint64_t want = 0;

		rt_signal(go[1]);
		for (;;) {
			err = udpcap_consumer__next(c1, &p);
			if (err == 1) {
				RT_CHECK(p.meta.ts_ns == want, "c1: seq %llu want %llu",
					 (unsigned long long)p.meta.ts_ns, (unsigned long long)want);
				rt_check_pkt(&p, MAXLEN);
				__atomic_store_n(&seen[0], want, __ATOMIC_RELEASE);
				want++;
				udpcap_consumer__release(c1);
				/* Be slower than the producer: the ring stays busy. */
				if (want % 1024 == 0)
					usleep(100);
			} else if (err == 0) {
				udpcap_consumer__wait(c1, 1000);
			} else {
				RT_DIE("c1: next: %s (the test should have killed us)",
				       strerror(-err));
			}
		}
	}
	/* Let the first consumer get a quarter through. */
	for (uint64_t t0 = rt_now_ns();;) {
		uint64_t s = __atomic_load_n(&seen[0], __ATOMIC_ACQUIRE);

		if (s != UINT64_MAX && s >= n / 4)
			break;
		RT_CHECK(rt_now_ns() - t0 < 120000000000ull, "consumer 1 made no progress");
		usleep(1000);
	}
	err = udpcap_consumer__open("kc", &o, &c);
	RT_CHECK(err == -EBUSY, "second consumer: %s", strerror(-err));
	holder = udpcap_consumer__holder("kc", &o);
	RT_CHECK(holder == cons, "holder %d, consumer is %d", (int)holder, (int)cons);
	fprintf(stderr, "second consumer refused: ring kc is held by pid %d\n", (int)holder);
	RT_CHECK(udpcap_ring_info("kc", o.dir, &info) == 0, "info");
	RT_CHECK(info.consumer_pid == cons, "info consumer_pid %d", (int)info.consumer_pid);
	RT_CHECK(info.producer_pid == prod, "info producer_pid %d", (int)info.producer_pid);

	kill(cons, SIGKILL);
	RT_CHECK(rt_wait(cons) == 128 + SIGKILL, "consumer 1 did not die by SIGKILL");
	last = __atomic_load_n(&seen[0], __ATOMIC_ACQUIRE);
	RT_CHECK(udpcap_ring_info("kc", o.dir, &info) == 0, "info");
	RT_CHECK(info.consumer_pid == 0, "dead consumer still shown as %d", (int)info.consumer_pid);
	RT_CHECK(udpcap_consumer__holder("kc", &o) == 0, "dead consumer still holds the ring");

	c = rt_open_consumer(o.dir, "kc");
	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1)
			break;
		RT_CHECK(err == 0, "next: %s", strerror(-err));
		udpcap_consumer__wait(c, 1000);
	}
	first = p.meta.ts_ns;
	fprintf(stderr, "consumer 1 saw up to %llu when killed; consumer 2 resumes at %llu\n",
		(unsigned long long)last, (unsigned long long)first);
	RT_CHECK(first <= last + 1 && first + 65 >= last + 1,
		 "resumed at %llu, dead consumer had seen %llu", (unsigned long long)first,
		 (unsigned long long)last);
	/* The record in hand is @first: check it, then the rest. */
	rt_check_pkt(&p, MAXLEN);
	udpcap_consumer__release(c);
	next_seq = rt_drain_in_order(c, first + 1, MAXLEN);
	RT_CHECK(next_seq == n, "ended at %llu of %llu", (unsigned long long)next_seq,
		 (unsigned long long)n);
	RT_CHECK(rt_wait(prod) == 0, "producer failed");
	udpcap_consumer__close(c);
	rt_rmdir(o.dir);
	return 0;
}
