/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper (not a test): a deliberately slow consumer. Attaches to RING
 * in DIR and drains it at about PPS records per second for at most SECONDS,
 * then prints how many records it read. A C program rather than ctypes so
 * it also runs in the sanitizer build.
 *     slow_consumer DIR RING PPS SECONDS
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udpcap/ring.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	struct udpcap_consumer_opts opts = { .sz = sizeof(opts) };
	struct udpcap_consumer *c;
	struct udpcap_pkt pkt;
	uint64_t got = 0;
	double pps, limit, start;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: slow_consumer DIR RING PPS SECONDS\n");
		return 2;
	}
	opts.dir = argv[1];
	pps = atof(argv[3]);
	limit = atof(argv[4]);
	r = udpcap_consumer__open(argv[2], &opts, &c);
	if (r < 0) {
		fprintf(stderr, "slow_consumer: %s: %s\n", argv[2], strerror(-r));
		return 1;
	}
	start = now();
	while (now() - start < limit) {
		r = udpcap_consumer__next(c, &pkt);
		if (r == 1) {
			got++;
			if (got % 64 == 0) {
				double ahead = (double)got / pps - (now() - start);

				udpcap_consumer__release(c);
				if (ahead > 0)
					sleep_s(ahead);
			}
			continue;
		}
		udpcap_consumer__release(c);
		if (r == -EPIPE)
			break;
		sleep_s(0.01);
	}
	udpcap_consumer__close(c);
	printf("%" PRIu64 "\n", got);
	return 0;
}
