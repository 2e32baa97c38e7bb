/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seed corpus for fuzz_decap: writes into DIR one file per outer UDP payload
 * of every PCAP given (the real tunnel captures) plus the handcrafted samples
 * of every encapsulation (pkt.h). Usage: make_seeds DIR [PCAP...]
 * A test tool, run by tests/lib/parse/run_fuzz.sh; prints how many it wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcap_udp.h"
#include "pkt.h"

static int write_seed(const char *dir, int n, const uint8_t *b, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/seed-%04d", dir, n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len) {
		fprintf(stderr, "make_seeds: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct pkt s[8];
	char err[PCAP_ERRBUF_SIZE];
	int n = 0, k;

	if (argc < 2) {
		fprintf(stderr, "usage: make_seeds DIR [PCAP...]\n");
		return 2;
	}
	k = pkt_samples(s, 8);
	for (int i = 0; i < k; i++)
		if (write_seed(argv[1], n++, s[i].b, s[i].len))
			return 1;
	for (int a = 2; a < argc; a++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *pc = pcap_open_offline(argv[a], err);

		if (!pc) {
			fprintf(stderr, "make_seeds: %s: %s\n", argv[a], err);
			return 1;
		}
		while (pcap_next_ex(pc, &h, &data) == 1) {
			const uint8_t *pl;
			uint32_t len;

			if (pcap_udp_payload(pcap_datalink(pc), data, h->caplen, &pl, &len, NULL))
				continue;
			if (write_seed(argv[1], n++, pl, len)) {
				pcap_close(pc);
				return 1;
			}
		}
		pcap_close(pc);
	}
	printf("make_seeds: %d seeds (%d handcrafted, %d from %d captures) in %s\n", n, k, n - k,
	       argc - 2, argv[1]);
	return 0;
}
