/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves, across two processes, that the ring delivers in order and intact
 * and keeps exact books: (1) a producer writes 10 M records (1 M under
 * sanitizers) of random lengths 1..9216 with sequence numbers and content
 * derived from them, waiting out a full ring; the consumer sees every one,
 * in order, byte-exact: zero loss. (2) A deliberately slow consumer on a
 * small ring with a producer that never waits: every record either arrives
 * intact and in order or is counted as dropped, and
 * delivered + dropped == produced exactly (upstream drops included), with
 * the gaps in the sequence numbers equal to the drops.
 */
#include "ring_test.h"

#define MAXLEN 9216u

static const char *dir;

/* Child: create the ring, wait for the consumer, produce, close. */
static void producer(const char *name, uint64_t size, uint64_t n, int retry, uint64_t upstream,
		     int ready_fd, int go_fd)
{
	struct udpcap_ring *r = rt_create(dir, name, size);
	struct udpcap_ring_stats st;
	uint64_t w;

	rt_signal(ready_fd);
	rt_await(go_fd);
	if (retry) {
		w = rt_produce(r, 0, n, MAXLEN, 32, 1);
	} else {
		/* Paced, so the slow consumer gets a fair share and drops still
		 * happen at every fill level. */
		for (uint64_t i = w = 0; i < n; i += 256) {
			w += rt_produce(r, i, n - i < 256 ? n - i : 256, MAXLEN, 32, 0);
			usleep(20);
		}
	}
	udpcap_ring__add_upstream_drops(r, upstream);
	udpcap_ring__stats(r, &st);
	RT_CHECK(st.written_packets == w, "%llu", (unsigned long long)st.written_packets);
	if (!retry)
		RT_CHECK(st.written_packets + st.full_packets == n, "written %llu full %llu",
			 (unsigned long long)st.written_packets,
			 (unsigned long long)st.full_packets);
	RT_CHECK(st.resets == 0, "resets");
	fprintf(stderr, "producer %s: written %llu, ring full %llu (%llu bytes)\n", name,
		(unsigned long long)st.written_packets, (unsigned long long)st.full_packets,
		(unsigned long long)st.full_bytes);
	udpcap_ring__close(r);
	udpcap_ring__free(r, false);
	exit(0);
}

/* Parent: consume until the producer closes; returns received. */
static void run(const char *name, uint64_t size, uint64_t n, int retry, uint64_t upstream,
		unsigned slow_every)
{
	int ready[2], go[2];
	struct udpcap_consumer *c;
	struct udpcap_consumer_stats cs;
	struct udpcap_pkt p;
	uint64_t next_seq = 0, gaps = 0, recv = 0, t0 = rt_now_ns();
	pid_t pid;
	int err;

	if (pipe(ready) || pipe(go))
		RT_DIE("pipe");
	pid = rt_fork();
	if (pid == 0)
		producer(name, size, n, retry, upstream, ready[1], go[0]);
	rt_await(ready[0]);
	c = rt_open_consumer(dir, name);
	rt_signal(go[1]);
	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			uint64_t seq = p.meta.ts_ns;

			if (seq < next_seq || seq >= n)
				RT_DIE("order: got seq %llu, expected >= %llu",
				       (unsigned long long)seq, (unsigned long long)next_seq);
			if (retry && seq != next_seq)
				RT_DIE("loss: got seq %llu, expected %llu", (unsigned long long)seq,
				       (unsigned long long)next_seq);
			gaps += seq - next_seq;
			next_seq = seq + 1;
			rt_check_pkt(&p, MAXLEN);
			udpcap_consumer__release(c);
			if (slow_every && ++recv % slow_every == 0)
				usleep(200);
			continue;
		}
		if (err == -EPIPE)
			break;
		if (err == 0) {
			err = udpcap_consumer__wait(c, 30000);
			if (err < 0)
				RT_DIE("wait: %s", strerror(-err));
			if (err == 0 && udpcap_consumer__check(c) == 0)
				RT_DIE("no records and no close for 30 s (lost wake-up?)");
			continue;
		}
		RT_DIE("next: %s", strerror(-err));
	}
	RT_CHECK(rt_wait(pid) == 0, "producer failed");
	udpcap_consumer__stats(c, &cs);
	gaps += n - next_seq;
	fprintf(stderr,
		"%s: produced %llu (+%llu upstream), received %llu (%llu bytes), dropped %llu, %.1f s\n",
		name,
		(unsigned long long)n, (unsigned long long)upstream,
		(unsigned long long)cs.received, (unsigned long long)cs.bytes,
		(unsigned long long)cs.dropped, (double)(rt_now_ns() - t0) / 1e9);
	RT_CHECK(cs.corrupt == 0, "corrupt %llu", (unsigned long long)cs.corrupt);
	if (retry) {
		RT_CHECK(cs.received == n, "received %llu", (unsigned long long)cs.received);
	} else {
		RT_CHECK(cs.received + cs.dropped == n + upstream, "received %llu + dropped %llu",
			 (unsigned long long)cs.received, (unsigned long long)cs.dropped);
		RT_CHECK(gaps + upstream == cs.dropped, "gaps %llu", (unsigned long long)gaps);
		RT_CHECK(cs.dropped > upstream, "the slow consumer never made the ring overflow");
	}
	udpcap_consumer__close(c);
}

int main(void)
{
	uint64_t n = test_sanitized() ? 1000000 : 10000000;

	dir = rt_mkdir();
	run("keepup", 8u << 20, n, 1, 0, 0);
	run("slow", 256u << 10, n / 10, 0, 12345, 64);
	rt_rmdir(dir);
	return 0;
}
