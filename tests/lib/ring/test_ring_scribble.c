/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that neither side trusts the other's shared memory: a hostile
 * consumer process scribbles random values over the whole shared header
 * (consumer and producer indexes, sleeping flag, counters, geometry) and
 * now and then over records, while it keeps calling next()/release()/
 * prepare_wait() itself. The producer process writes records throughout:
 * it must neither crash nor hang, must count the corrupt consumer indexes
 * as resets, and its own books must stay exact (written + ring-full ==
 * offered). The scribbling consumer must not crash either (it gets
 * -EBADMSG and resynchronises). Runs under ASan/UBSan in the sanitizer
 * build.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "ring_test.h"

#define SIZE (256u << 10)
#define MAXLEN 2000u

static const char *dir;

static void scribbler(volatile uint32_t *stop, int ready_fd)
{
	struct udpcap_consumer *c = rt_open_consumer(dir, "sc");
	uint64_t s = (uint64_t)getpid() * 7919, ops = 0, bad = 0, got = 0;
	struct udpcap_pkt p;
	char path[256];
	uint8_t *m;
	int fd, err;

	snprintf(path, sizeof(path), "%s/sc", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	m = mmap(NULL, 4096 + SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || m == MAP_FAILED)
		RT_DIE("scribbler map: %s", strerror(errno));
	rt_signal(ready_fd);
	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		uint64_t v = rt_rand(&s), what = v % 16;

		v = rt_rand(&s);
		if (what < 5) /* the consumer index, the producer's one input */
			__atomic_store_n((uint64_t *)(m + 384), what ? v : v & ~7ull,
					 __ATOMIC_RELAXED);
		else if (what < 9) /* anywhere in the header */
			__atomic_store_n((uint64_t *)(m + (rt_rand(&s) % 512) * 8), v,
					 __ATOMIC_RELAXED);
		else if (what == 9) /* a record */
			__atomic_store_n((uint64_t *)(m + 4096 + (rt_rand(&s) % (SIZE / 8)) * 8), v,
					 __ATOMIC_RELAXED);
		for (int i = 0; i < 8; i++) {
			err = udpcap_consumer__next(c, &p);
			if (err == 1) {
				got++;
				/* Read what we were handed: it must be mapped. */
				volatile uint8_t x = p.data[p.meta.caplen ? p.meta.caplen - 1 : 0];
				(void)x;
			} else if (err == -EBADMSG) {
				bad++;
			} else {
				break;
			}
			udpcap_consumer__release(c);
		}
		if (what == 15 && udpcap_consumer__prepare_wait(c) == 0)
			udpcap_consumer__finish_wait(c);
		ops++;
	}
	fprintf(stderr, "scribbler: %llu rounds, %llu records read, %llu -EBADMSG\n",
		(unsigned long long)ops, (unsigned long long)got, (unsigned long long)bad);
	munmap(m, 4096 + SIZE);
	close(fd);
	udpcap_consumer__close(c);
	exit(0);
}

int main(void)
{
	uint64_t n = test_sanitized() ? 400000 : 3000000, w = 0;
	struct udpcap_ring_stats st;
	volatile uint32_t *stop;
	struct udpcap_ring *r;
	int ready[2];
	pid_t pid;

	dir = rt_mkdir();
	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stop == MAP_FAILED || pipe(ready))
		RT_DIE("setup: %s", strerror(errno));
	r = rt_create(dir, "sc", SIZE);
	pid = rt_fork();
	if (pid == 0)
		scribbler(stop, ready[1]);
	rt_await(ready[0]);

	/* The producer is this process: it must come through. */
	for (uint64_t i = 0; i < n; i += 1024) {
		w += rt_produce(r, i, n - i < 1024 ? n - i : 1024, MAXLEN, 32, 0);
		udpcap_ring__add_upstream_drops(r, 1);
		usleep(100); /* give the scribbler time to interleave */
	}
	udpcap_ring__stats(r, &st);
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	RT_CHECK(rt_wait(pid) == 0, "scribbling consumer crashed");
	fprintf(stderr, "producer: offered %llu, written %llu, ring full %llu, resets %llu "
		"(%llu records discarded), used %llu/%llu\n", (unsigned long long)n,
		(unsigned long long)st.written_packets, (unsigned long long)st.full_packets,
		(unsigned long long)st.resets, (unsigned long long)st.reset_packets,
		(unsigned long long)st.used, (unsigned long long)st.capacity);
	RT_CHECK(st.written_packets == w, "written %llu, counted %llu", (unsigned long long)w,
		 (unsigned long long)st.written_packets);
	RT_CHECK(st.written_packets + st.full_packets == n, "books do not balance");
	RT_CHECK(st.resets > 0, "no reset counted although the consumer index was scribbled");
	RT_CHECK(st.used <= st.capacity, "used %llu", (unsigned long long)st.used);
	udpcap_ring__free(r, true);
	rt_rmdir(dir);
	return 0;
}
