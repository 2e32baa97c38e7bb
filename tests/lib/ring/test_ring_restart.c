/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that a consumer survives the producer being killed and restarted
 * under it without being restarted itself: after kill -9 of the producer
 * the consumer drains what was published; the restarted producer's
 * udpcap_ring__create() replaces the file (new inode, new generation),
 * marks the old ring closed and wakes the consumer asleep on it; the
 * consumer sees -EPIPE, check() says -ESTALE, reattach() moves it to the
 * new ring under the same wake-up descriptor number, and it receives the
 * new producer's records in order. Stats accumulate across the re-attach
 * and keep exact books for the new ring: received + dropped == offered,
 * including what the new producer dropped before the consumer arrived.
 */
#include "ring_test.h"

#define MAXLEN 1500u
#define BASE2 1000000000ull

static const char *dir;

int main(void)
{
	uint64_t n2 = test_sanitized() ? 20000 : 100000, next_seq, got1 = 0, got2 = 0;
	struct udpcap_consumer *c;
	struct udpcap_consumer_stats cs, before;
	struct udpcap_ring_info i1, i2;
	struct udpcap_pkt p;
	int ready[2], go[2], err, fd;
	pid_t p1, p2;

	dir = rt_mkdir();
	if (pipe(ready) || pipe(go))
		RT_DIE("pipe");
	p1 = rt_fork();
	if (p1 == 0) {
		struct udpcap_ring *r = rt_create(dir, "rs", 1u << 20);

		rt_signal(ready[1]);
		/* Endless, until killed. */
		for (uint64_t s = 0;; s += 64)
			rt_produce(r, s, 64, MAXLEN, 16, 1);
	}
	rt_await(ready[0]);
	c = rt_open_consumer(dir, "rs");
	fd = udpcap_consumer__fd(c);
	RT_CHECK(udpcap_ring_info("rs", dir, &i1) == 0, "info");

	next_seq = 0;
	while (got1 < 5000) {
		err = udpcap_consumer__next(c, &p);
		if (err == 0) {
			RT_CHECK(udpcap_consumer__wait(c, 30000) == 1, "producer 1 silent");
			continue;
		}
		RT_CHECK(err == 1, "next: %s", strerror(-err));
		RT_CHECK(p.meta.ts_ns == next_seq++, "seq");
		rt_check_pkt(&p, MAXLEN);
		udpcap_consumer__release(c);
		got1++;
	}
	kill(p1, SIGKILL);
	RT_CHECK(rt_wait(p1) == 128 + SIGKILL, "producer 1 did not die by SIGKILL");

	/* Drain what the dead producer published; the file is still there. */
	while ((err = udpcap_consumer__next(c, &p)) == 1) {
		RT_CHECK(p.meta.ts_ns == next_seq++, "seq");
		udpcap_consumer__release(c);
		got1++;
	}
	RT_CHECK(err == 0, "next after producer death: %d", err);
	RT_CHECK(udpcap_consumer__check(c) == 0, "nothing replaced the ring yet");

	p2 = rt_fork();
	if (p2 == 0) {
		struct udpcap_ring *r = rt_create(dir, "rs", 1u << 20);

		/* No waiting: what does not fit is the ring's to count. */
		rt_produce(r, BASE2, n2, MAXLEN, 16, 0);
		rt_await(go[0]); /* close only once the consumer checked in */
		udpcap_ring__close(r);
		udpcap_ring__free(r, false);
		exit(0);
	}
	/* Asleep on the old ring: the new producer's create must wake us. */
	err = udpcap_consumer__wait(c, 60000);
	RT_CHECK(err == 1, "not woken by the restarted producer (wait: %d)", err);
	RT_CHECK(udpcap_consumer__next(c, &p) == -EPIPE, "old ring not closed");
	RT_CHECK(udpcap_consumer__check(c) == -ESTALE, "check did not see the new ring");
	udpcap_consumer__stats(c, &before);
	RT_CHECK(udpcap_consumer__reattach(c) == 0, "reattach");
	RT_CHECK(udpcap_consumer__fd(c) == fd, "wake-up descriptor changed");
	RT_CHECK(udpcap_consumer__check(c) == 0, "check after reattach");
	rt_signal(go[1]);
	RT_CHECK(udpcap_ring_info("rs", dir, &i2) == 0, "info");
	RT_CHECK(i2.generation != i1.generation, "same generation %u", i1.generation);
	RT_CHECK(i2.producer_pid == p2, "producer pid %d", (int)i2.producer_pid);
	RT_CHECK(i2.consumer_pid == getpid(), "consumer pid %d", (int)i2.consumer_pid);

	/* Records arrive in order; drops leave gaps. */
	next_seq = BASE2;
	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			RT_CHECK(p.meta.ts_ns >= next_seq, "seq %llu want >= %llu",
				 (unsigned long long)p.meta.ts_ns, (unsigned long long)next_seq);
			rt_check_pkt(&p, MAXLEN);
			next_seq = p.meta.ts_ns + 1;
			got2++;
			udpcap_consumer__release(c);
		} else if (err == 0) {
			RT_CHECK(udpcap_consumer__wait(c, 30000) >= 0, "wait");
		} else {
			RT_CHECK(err == -EPIPE, "next: %s", strerror(-err));
			break;
		}
	}
	RT_CHECK(rt_wait(p2) == 0, "producer 2 failed");
	RT_CHECK(udpcap_ring_info("rs", dir, &i2) == 0, "info");
	udpcap_consumer__stats(c, &cs);
	fprintf(stderr, "old ring: %llu records, new ring: %llu offered, %llu received, %llu "
		"dropped (ring full); reattaches %u\n", (unsigned long long)got1,
		(unsigned long long)n2, (unsigned long long)got2,
		(unsigned long long)(cs.dropped - before.dropped), cs.reattaches);
	/* Exact books for the new ring, through the consumer's accumulating stats. */
	RT_CHECK(cs.received == got1 + got2, "received %llu", (unsigned long long)cs.received);
	RT_CHECK(got2 + i2.full_packets == n2, "new ring: %llu + %llu != %llu",
		 (unsigned long long)got2, (unsigned long long)i2.full_packets,
		 (unsigned long long)n2);
	RT_CHECK(cs.dropped - before.dropped == i2.full_packets, "dropped %llu, ring says %llu",
		 (unsigned long long)(cs.dropped - before.dropped),
		 (unsigned long long)i2.full_packets);
	RT_CHECK(cs.reattaches == 1, "reattaches %u", cs.reattaches);
	RT_CHECK(cs.corrupt == 0, "corrupt");
	udpcap_consumer__close(c);
	rt_rmdir(dir);
	return 0;
}
