/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ring - the consumer's record walker over a corrupted ring.
 *
 * One real ring (udpcap_ring__create) lives in a private /dev/shm
 * directory. Each input overwrites, through a second mapping as a hostile
 * producer would, the shared indexes and flags of the header and the bytes
 * of the data area around the consumer index; then a consumer attaches and
 * walks with next()/release() until the ring reads empty, closed, or a
 * step bound. Checked beyond ASan/UBSan: every packet handed out lies
 * inside the data area with caplen <= UDPCAP_RING_MAX_CAPLEN, and the walk
 * ends.
 *
 * Input: u64 prod, u64 cons, u8 flags (bit 0: closed, bit 1: also break
 * the geometry with the next 8 bytes, bit 2: prod := cons + data bytes
 * rounded down to 8, i.e. "all of it published"), then data bytes copied to
 * the data area at cons (wrapping).
 *
 * Run for hours: build with -Dfuzz=enabled (CC=clang), then
 *   build/fuzz/fuzz_ring -max_len=65536 -jobs=2 corpus_dir/
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <udpcap/ring.h>

#include "ring_internal.h"

#define RING_SIZE (256u << 10)
#define HDR UDPCAP_RING_HDR_SIZE
#define OFF_CAPACITY offsetof(struct udpcap_ring_shm, capacity)
#define OFF_CLOSED offsetof(struct udpcap_ring_shm, closed)
#define OFF_PROD offsetof(struct udpcap_ring_shm, prod)
#define OFF_CONS offsetof(struct udpcap_ring_shm, cons)
#define OFF_SLEEPING offsetof(struct udpcap_ring_shm, sleeping)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[128];
static uint8_t *map;
static struct udpcap_ring *ring;

static void cleanup(void)
{
	udpcap_ring__free(ring, true);
	rmdir(dir);
}

static void setup(void)
{
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .group = (gid_t)-1};
	int fd, err;

	snprintf(dir, sizeof(dir), "/dev/shm/udpcap-fuzz-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	err = udpcap_ring__create(dir, "fz", RING_SIZE, &o, &ring);
	if (err) {
		fprintf(stderr, "fuzz_ring: create: %s\n", strerror(-err));
		abort();
	}
	snprintf(path, sizeof(path), "%s/fz", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	map = mmap(NULL, HDR + RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		abort();
	atexit(cleanup);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udpcap_consumer_opts o = {.sz = sizeof(o)};
	struct udpcap_consumer *c;
	struct udpcap_pkt p;
	const uint8_t *base;
	uint64_t prod, cons, cap = RING_SIZE, ccap;
	uint8_t flags;
	int err;

	if (!map)
		setup();
	if (size < 17)
		return 0;
	prod = get64(data);
	cons = get64(data + 8);
	flags = data[16];
	data += 17, size -= 17;

	memset(map + HDR, 0, RING_SIZE);
	memcpy(map + OFF_PROD, &prod, 8);
	memcpy(map + OFF_CONS, &cons, 8);
	*(uint32_t *)(map + OFF_CLOSED) = flags & 1;
	*(uint32_t *)(map + OFF_SLEEPING) = 0;
	*(uint64_t *)(map + OFF_CAPACITY) = cap;
	if ((flags & 2) && size >= 8) {
		memcpy(map + OFF_CAPACITY, data, 8);
		data += 8, size -= 8;
	}
	if (flags & 4) {
		prod = cons + (size < RING_SIZE ? size : RING_SIZE) / 8 * 8;
		memcpy(map + OFF_PROD, &prod, 8);
	}
	for (size_t i = 0; i < size && i < RING_SIZE; i++)
		map[HDR + ((cons + i) & (cap - 1))] = data[i];

	err = udpcap_consumer__open(path, &o, &c);
	if (err)
		return 0; /* refused at attach (bad geometry): fine */
	base = ring_consumer_data(c, &ccap);
	for (int steps = 0; steps < 100000; steps++) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			if (p.meta.caplen > UDPCAP_RING_MAX_CAPLEN || p.data < base ||
			    p.data + p.meta.caplen > base + ccap) {
				fprintf(stderr, "fuzz_ring: record outside the data area\n");
				abort();
			}
			/* Touch the first and last byte handed out. */
			if (p.meta.caplen)
				(void)*(volatile const uint8_t *)(p.data + p.meta.caplen - 1);
			if (steps & 1)
				udpcap_consumer__release(c);
			continue;
		}
		if (err == -EBADMSG)
			continue;
		if (err != 0 && err != -EPIPE) {
			fprintf(stderr, "fuzz_ring: next: unexpected %d\n", err);
			abort();
		}
		break;
	}
	udpcap_consumer__close(c);
	return 0;
}
