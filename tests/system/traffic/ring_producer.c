/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper (not a test): a ring producer driven line by line on stdin,
 * so test_dump.py can check udpcapctl dump against packets it knows,
 * without a daemon. Usage: ring_producer DIR NAME [LINKTYPE]
 *
 *   write N      append N packets (numbered on from the last), publish
 *   restart      close and replace the ring, as a restarted daemon does
 *   stats        print "written W full F"
 *   quit         close, unlink, exit
 *
 * Packet k is an Ethernet frame (type 0x88B5, local experimental) of
 * 60 + k % 200 bytes whose payload starts with k as 8 big-endian bytes;
 * its timestamp is 1700000000 s + k * 1001 ns. Every command answers one
 * line ("ok ..." or "error ...").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <udpcap/ring.h>

#define RING_SIZE (1u << 20)

static int create(const char *dir, const char *name, uint16_t linktype, struct udpcap_ring **ret)
{
	struct udpcap_ring_create_opts o = {
	    .sz = sizeof(o), .group = (gid_t)-1, .mode = 0600, .linktype = linktype};

	return udpcap_ring__create(dir, name, RING_SIZE, &o, ret);
}

static int write_one(struct udpcap_ring *r, uint64_t k, uint16_t linktype)
{
	uint8_t pkt[260] = {0};
	struct udpcap_pkt_meta m = {
	    .ts_ns = 1700000000ull * 1000000000ull + k * 1001,
	    .caplen = 60 + (uint32_t)(k % 200),
	    .linktype = linktype,
	};

	m.origlen = m.caplen;
	memcpy(pkt, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5", 14);
	for (int i = 0; i < 8; i++)
		pkt[14 + i] = (uint8_t)(k >> (56 - 8 * i));
	return udpcap_ring__write(r, &m, pkt);
}

int main(int argc, char **argv)
{
	struct udpcap_ring *r = NULL;
	struct udpcap_ring_stats st;
	uint16_t linktype = UDPCAP_LINKTYPE_EN10MB;
	uint64_t next = 0, n;
	char line[128];
	int err;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ring_producer DIR NAME [LINKTYPE]\n");
		return 2;
	}
	if (argc == 4)
		linktype = (uint16_t)atoi(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = create(argv[1], argv[2], linktype, &r);
	if (err) {
		printf("error create: %s\n", strerror(-err));
		return 1;
	}
	printf("ok ready %s\n", udpcap_ring__path(r));
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "write %" SCNu64, &n) == 1) {
			uint64_t full = 0;

			for (uint64_t i = 0; i < n; i++)
				if (write_one(r, next++, linktype))
					full++;
			udpcap_ring__publish(r);
			printf("ok wrote %" PRIu64 " full %" PRIu64 "\n", n, full);
		} else if (!strncmp(line, "restart", 7)) {
			struct udpcap_ring *old = r;

			udpcap_ring__close(old);
			err = create(argv[1], argv[2], linktype, &r);
			udpcap_ring__free(old, false);
			if (err) {
				printf("error create: %s\n", strerror(-err));
				return 1;
			}
			printf("ok restarted\n");
		} else if (!strncmp(line, "stats", 5)) {
			udpcap_ring__stats(r, &st);
			printf("ok written %" PRIu64 " full %" PRIu64 " consumer %d\n",
			       st.written_packets, st.full_packets, (int)st.consumer_pid);
		} else if (!strncmp(line, "quit", 4)) {
			break;
		} else {
			printf("error unknown command\n");
		}
	}
	udpcap_ring__close(r);
	udpcap_ring__free(r, true);
	return 0;
}
