/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet cost of [dedup] (daemon/rx/dedup.c) as the receive path pays
 * it: 142-byte Ethernet/IPv4/UDP frames (100 B payload, the data-path
 * benchmark's), 8192 different packets, each arriving twice (the second
 * copy with another TTL and checksum, 64 packets later, as from a second
 * mirror point), timestamps 1 us apart. Printed in ns per packet and as a
 * ratio to a baseline measured in the same run: copying the packet once
 * (what the daemon does anyway to put it into a ring). Tables are sized as
 * the daemon sizes them, for 1 Mpps over a 1 ms and a 20 ms window.
 * Times are this thread's CPU time: the machine may be shared.
 * Usage: bench_dedup [rounds]  (default 300)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rx/dedup.h"

#define PACKETS 8192
#define LEN 142
#define LAG 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint32_t sink;
static uint8_t frames[PACKETS][2][LEN];

static void build(void)
{
	for (unsigned i = 0; i < PACKETS; i++) {
		uint8_t *f = frames[i][0];

		memset(f, 0, LEN);
		f[12] = 0x08;			/* IPv4 */
		f[14] = 0x45;
		f[16] = 0, f[17] = LEN - 14;	/* total length */
		f[18] = (uint8_t)(i >> 8), f[19] = (uint8_t)i; /* ID */
		f[22] = 64;			/* TTL */
		f[23] = 17;
		f[26] = 10, f[27] = 1, f[28] = (uint8_t)(i >> 8), f[29] = (uint8_t)i;
		f[30] = 10, f[31] = 2, f[32] = 0, f[33] = 1;
		f[34] = 0x27, f[35] = 0x10, f[36] = 0, f[37] = 80;
		f[38] = 0, f[39] = LEN - 34;
		for (unsigned k = 42; k < LEN; k++)
			f[k] = (uint8_t)(i * 7 + k);
		memcpy(frames[i][1], f, LEN);
		frames[i][1][22] = 61;		/* three hops further */
		frames[i][1][24] = 0x5a;	/* and another checksum */
		frames[i][1][0] = 0x02;		/* and another Ethernet header */
	}
}

/* The arrival order: packet i, and the copy of packet i - LAG. */
static const uint8_t *arrival(unsigned n)
{
	unsigned i = n / 2;

	if (n & 1)
		return frames[(i + PACKETS - LAG) % PACKETS][1];
	return frames[i % PACKETS][0];
}

int main(int argc, char **argv)
{
	static const unsigned windows_us[] = {1000, 20000};
	long rounds = argc > 1 ? atol(argv[1]) : 300;
	static uint8_t copy[LEN];
	unsigned long total;
	double t, base;

	if (rounds <= 0)
		rounds = 300;
	build();
	total = (unsigned long)rounds * PACKETS * 2;
	t = now();
	for (unsigned long n = 0; n < total; n++) {
		memcpy(copy, arrival((unsigned)(n % (2 * PACKETS))), LEN);
		sink += copy[n & 63];
	}
	base = (now() - t) * 1e9 / (double)total;
	printf("baseline (copy the packet once): %.1f ns/packet\n", base);
	for (unsigned w = 0; w < sizeof(windows_us) / sizeof(windows_us[0]); w++) {
		struct udpcapd_dedup *d = udpcapd_dedup_new(windows_us[w] * 1000ull, 1000000);
		unsigned long dups = 0;

		if (!d) {
			fprintf(stderr, "bench_dedup: out of memory\n");
			return 1;
		}
		t = now();
		for (unsigned long n = 0; n < total; n++) {
			const uint8_t *p = arrival((unsigned)(n % (2 * PACKETS)));

			memcpy(copy, p, LEN);
			sink += copy[n & 63];
			dups += udpcapd_dedup_seen(d, p, LEN, 1, 1000000000ull + n * 1000);
		}
		t = (now() - t) * 1e9 / (double)total - base;
		printf("dedup window_us=%-6u table %7zu entries: %.1f ns/packet over the baseline "
		       "(%.2fx it), %lu of %lu removed\n",
		       windows_us[w], udpcapd_dedup_entries(d), t, (t + base) / base, dups, total);
		/* the first LAG copies come before their originals */
		if (dups + LAG < total / 2 || dups > total / 2) {
			fprintf(stderr, "bench_dedup: %lu removed, expected %lu to %lu\n", dups,
				total / 2 - LAG, total / 2);
			return 1;
		}
		udpcapd_dedup_free(d);
	}
	return 0;
}
