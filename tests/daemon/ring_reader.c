/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper (not a test): attach to a ring as its consumer and print
 * every record as one line, "ts_ns caplen origlen linktype flags vxlan_vni
 * geneve_vni HEXDATA", until MAX records or TIMEOUT_MS without a record;
 * then "END count". "ATTACHED" goes to stderr once it holds the ring.
 * Usage: ring_reader DIR NAME MAX TIMEOUT_MS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <udpcap/ring.h>

int main(int argc, char **argv)
{
	struct udpcap_consumer_opts opts = {.sz = sizeof(opts)};
	struct udpcap_consumer *c;
	unsigned long max, timeout_ms, n = 0;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: ring_reader DIR NAME MAX TIMEOUT_MS\n");
		return 2;
	}
	opts.dir = argv[1];
	max = strtoul(argv[3], NULL, 10);
	timeout_ms = strtoul(argv[4], NULL, 10);
	r = udpcap_consumer__open(argv[2], &opts, &c);
	if (r < 0) {
		fprintf(stderr, "ring_reader: open %s/%s: %s\n", argv[1], argv[2], strerror(-r));
		return 1;
	}
	/* Tell a test that waits for it that we hold the ring now. */
	fprintf(stderr, "ATTACHED\n");
	fflush(stderr);
	while (n < max) {
		struct udpcap_pkt p;
		uint32_t i;

		r = udpcap_consumer__next(c, &p);
		if (r == 0) {
			udpcap_consumer__release(c);
			r = udpcap_consumer__wait(c, (int)timeout_ms);
			if (r == 0) {
				/* Woken or timed out: one more look, then give up if still empty.
				 */
				r = udpcap_consumer__next(c, &p);
				if (r == 0)
					break;
			} else if (r < 0 && r != -EINTR) {
				break;
			} else {
				continue;
			}
		}
		if (r < 0)
			break;
		printf("%llu %u %u %u %u %u %u ", (unsigned long long)p.meta.ts_ns, p.meta.caplen,
		       p.meta.origlen, p.meta.linktype, p.meta.flags, p.meta.vxlan_vni,
		       p.meta.geneve_vni);
		for (i = 0; i < p.meta.caplen; i++)
			printf("%02x", p.data[i]);
		printf("\n");
		n++;
	}
	udpcap_consumer__release(c);
	printf("END %lu\n", n);
	udpcap_consumer__close(c);
	return 0;
}
