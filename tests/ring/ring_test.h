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

/* Length of record @seq, in [1, max]. */
static inline uint32_t rt_len(uint64_t seq, uint32_t max)
{
	uint64_t s = seq * 0x9e3779b97f4a7c15ull + 1;

	return (uint32_t)(rt_rand(&s) % max) + 1;
}

/* Fill: first 8 bytes (or fewer) are the sequence number, the rest a
 * pattern derived from it; the consumer recomputes and compares. */
static inline void rt_fill(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t s = seq | 1;
	uint32_t i = 0;

	for (; i < len && i < 8; i++)
		p[i] = (uint8_t)(seq >> (8 * i));
	for (; i + 8 <= len; i += 8) {
		uint64_t v = rt_rand(&s);
		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)(seq + i);
}

static inline int rt_verify(const uint8_t *p, uint32_t len, uint64_t seq)
{
	uint8_t buf[UDPCAP_RING_MAX_CAPLEN];

	rt_fill(buf, len, seq);
	return memcmp(buf, p, len) == 0;
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

#endif /* UDPCAP_TESTS_RING_TEST_H */
