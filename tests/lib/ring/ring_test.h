/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the ring tests: private ring directories, verifiable
 * packet contents, child processes that cannot outlive the test. */
#ifndef UDPCAP_TESTS_RING_TEST_H
#define UDPCAP_TESTS_RING_TEST_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <udpcap/ring.h>

#include "common.h"

#define RT_DIE(...)                                                                       \
	do {                                                                              \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                           \
		fprintf(stderr, __VA_ARGS__);                                             \
		fprintf(stderr, "\n");                                                    \
		exit(1);                                                                  \
	} while (0)
#define RT_CHECK(cond, ...)                                                               \
	do {                                                                              \
		if (!(cond))                                                              \
			RT_DIE("check failed: " #cond ": " __VA_ARGS__);                  \
	} while (0)

/* A fresh ring directory on tmpfs (like the real one), removed by rt_rmdir. */
static inline char *rt_mkdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/dev/shm/udpcap-ringtest-XXXXXX");
	if (!mkdtemp(dir))
		RT_DIE("mkdtemp: %s", strerror(errno));
	return dir;
}

static inline void rt_rmdir(const char *dir)
{
	char p[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static inline uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: deterministic per-record contents both sides can recompute. */
static inline uint64_t rt_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Length of record @seq, in [1, max], log-uniform-ish: every length
 * occurs, small ones most (mean ~ max / 13), as on real links. */
static inline uint32_t rt_len(uint64_t seq, uint32_t max)
{
	uint64_t s = seq * 0x9e3779b97f4a7c15ull + 1;
	uint64_t v = rt_rand(&s);
	uint32_t bits = (uint32_t)(v % 15);

	return (uint32_t)((v >> 8) % (bits ? (1ull << bits) : 1) % max) + 1;
}

/* Random bytes both sides derive the same way: record contents are a
 * window of this pool chosen by the sequence number. */
#define RT_POOL 65536u
static inline const uint8_t *rt_pool(void)
{
	static uint8_t pool[RT_POOL + UDPCAP_RING_MAX_CAPLEN + 1]; /* multiple of 8 */
	static int done;

	if (!done) {
		uint64_t s = 0x1234567;
		for (size_t i = 0; i < sizeof(pool); i += 8) {
			uint64_t v = rt_rand(&s);
			memcpy(pool + i, &v, 8);
		}
		done = 1;
	}
	return pool;
}

static inline const uint8_t *rt_window(uint64_t seq)
{
	return rt_pool() + ((seq * 2654435761u) % RT_POOL);
}

/* Fill: the first 8 bytes (or fewer) are the sequence number, the rest the
 * pool window of that sequence number. */
static inline void rt_fill(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint32_t i = 0;

	for (; i < len && i < 8; i++)
		p[i] = (uint8_t)(seq >> (8 * i));
	if (len > 8)
		memcpy(p + 8, rt_window(seq) + 8, len - 8);
}

static inline int rt_verify(const uint8_t *p, uint32_t len, uint64_t seq)
{
	for (uint32_t i = 0; i < len && i < 8; i++)
		if (p[i] != (uint8_t)(seq >> (8 * i)))
			return 0;
	return len <= 8 || memcmp(p + 8, rt_window(seq) + 8, len - 8) == 0;
}

/* Read the sequence number from a record (little endian, up to 8 bytes). */
static inline uint64_t rt_seq_of(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* fork() a child that dies with the parent (tests never leak processes). */
static inline pid_t rt_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		RT_DIE("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* Wait for @pid; returns its exit status, or 128+signal. */
static inline int rt_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			RT_DIE("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline struct udpcap_consumer *rt_open_consumer(const char *dir, const char *name)
{
	struct udpcap_consumer_opts o = {.sz = sizeof(o), .dir = dir};
	struct udpcap_consumer *c = NULL;
	int err = udpcap_consumer__open(name, &o, &c);

	if (err)
		RT_DIE("consumer open %s/%s: %s", dir, name, strerror(-err));
	return c;
}

static inline struct udpcap_ring *rt_create(const char *dir, const char *name, uint64_t size)
{
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .group = (gid_t)-1};
	struct udpcap_ring *r = NULL;
	int err = udpcap_ring__create(dir, name, size, &o, &r);

	if (err)
		RT_DIE("ring create %s/%s: %s", dir, name, strerror(-err));
	return r;
}

static inline struct udpcap_pkt_meta rt_meta(uint64_t seq, uint32_t len)
{
	return (struct udpcap_pkt_meta){
		.ts_ns = seq,
		.caplen = len,
		.origlen = len + 14,
		.linktype = UDPCAP_LINKTYPE_EN10MB,
		.flags = UDPCAP_PKT_F_VXLAN_VNI,
		.vxlan_vni = (uint32_t)(seq & 0xffffff),
	};
}

/*
 * Produce records seq0 .. seq0+n-1 (lengths rt_len(seq, maxlen)), publishing
 * every @batch. With @retry a full ring is waited out (zero loss tests),
 * for at most 120 s of no progress; without, the drop is the ring's to
 * count. Returns how many were written.
 */
static inline uint64_t rt_produce(struct udpcap_ring *r, uint64_t seq0, uint64_t n,
				  uint32_t maxlen, unsigned batch, int retry)
{
	uint64_t written = 0, stuck_since = 0;
	unsigned pending = 0;

	for (uint64_t seq = seq0; seq < seq0 + n;) {
		uint32_t len = rt_len(seq, maxlen);
		struct udpcap_pkt_meta m = rt_meta(seq, len);
		uint8_t *d = udpcap_ring__reserve(r, len, m.origlen);

		if (!d && retry) {
			udpcap_ring__publish(r);
			pending = 0;
			if (!stuck_since)
				stuck_since = rt_now_ns();
			else if (rt_now_ns() - stuck_since > 120000000000ull)
				RT_DIE("producer: ring full for 120 s at seq %llu",
				       (unsigned long long)seq);
			sched_yield();
			continue;
		}
		stuck_since = 0;
		if (d) {
			rt_fill(d, len, seq);
			udpcap_ring__commit(r, &m);
			written++;
		}
		seq++;
		if (++pending >= batch) {
			udpcap_ring__publish(r);
			pending = 0;
		}
	}
	udpcap_ring__publish(r);
	return written;
}

/* Check one delivered record against what rt_produce() wrote. */
static inline void rt_check_pkt(const struct udpcap_pkt *p, uint32_t maxlen)
{
	uint64_t seq = p->meta.ts_ns;
	uint32_t len = rt_len(seq, maxlen);
	struct udpcap_pkt_meta m = rt_meta(seq, len);

	if (memcmp(&p->meta, &m, sizeof(m)))
		RT_DIE("seq %llu: metadata differs (caplen %u, want %u)", (unsigned long long)seq,
		       p->meta.caplen, len);
	if (!rt_verify(p->data, len, seq))
		RT_DIE("seq %llu: packet bytes differ", (unsigned long long)seq);
}

/* Run on the @n-th CPU we may use (if there is one): races between the
 * two sides need them truly parallel. */
static inline void rt_pin_cpu(int n)
{
	cpu_set_t allowed, one;
	int seen = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || seen++ != n)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		return;
	}
}

/*
 * Read until the producer closes the ring (-EPIPE), requiring consecutive
 * sequence numbers from @next_seq and intact records. Returns the sequence
 * number after the last record.
 */
static inline uint64_t rt_drain_in_order(struct udpcap_consumer *c, uint64_t next_seq,
					 uint32_t maxlen)
{
	struct udpcap_pkt p;
	int err;

	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			RT_CHECK(p.meta.ts_ns == next_seq, "seq %llu want %llu",
				 (unsigned long long)p.meta.ts_ns, (unsigned long long)next_seq);
			rt_check_pkt(&p, maxlen);
			next_seq++;
			udpcap_consumer__release(c);
		} else if (err == 0) {
			RT_CHECK(udpcap_consumer__wait(c, 30000) >= 0, "wait");
		} else {
			RT_CHECK(err == -EPIPE, "next: %s", strerror(-err));
			return next_seq;
		}
	}
}

/* One byte through a pipe: start/ready handshakes between processes. */
static inline void rt_signal(int fd)
{
	if (write(fd, "x", 1) != 1)
		RT_DIE("pipe write: %s", strerror(errno));
}

static inline void rt_await(int fd)
{
	char b;

	if (read(fd, &b, 1) != 1)
		RT_DIE("pipe read: peer died");
}

#endif /* UDPCAP_TESTS_RING_TEST_H */
