/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Not a test by itself: a ring reader driven exactly the way Zeek drives the
 * shmring packet source (next/done per packet, timeout + poll on the fd when
 * idle), for test_source_daemon.py. Usage: source_reader DIR RING OUT.
 * Until SIGTERM it writes one line per packet to OUT:
 *   P <linktype> <flags> <vxlan_vni> <geneve_vni> <caplen> <origlen> <hex data>
 * and on SIGTERM a last line
 *   S <received> <bytes> <dropped> <link> <reattaches> <attached>
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udpcap/source.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct udpcap_source_opts o = {.sz = sizeof(o),
				       .wait_for_ring = true,
				       .wait_timeout_ms = 60000,
				       .check_interval_ms = 50};
	struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: poll returns */
	struct udpcap_source_stats st;
	struct udpcap_source *src = NULL;
	char msg[512];
	FILE *out;
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: source_reader DIR RING OUT\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	o.dir = argv[1];
	r = udpcap_source__open(argv[2], &o, &src);
	if (r < 0) {
		fprintf(stderr, "source_reader: %s\n",
			udpcap_source__strerror(argv[2], &o, r, msg, sizeof(msg)));
		return 1;
	}
	out = fopen(argv[3], "we");
	if (!out) {
		perror(argv[3]);
		return 1;
	}
	while (!stop) {
		struct udpcap_pkt p;
		struct pollfd pfd = {.fd = udpcap_source__fd(src), .events = POLLIN};
		int ms;

		r = udpcap_source__next(src, &p);
		if (r < 0) {
			fprintf(stderr, "source_reader: next: %s\n", strerror(-r));
			return 1;
		}
		if (r == 1) {
			fprintf(out, "P %u %u %u %u %u %u ", p.meta.linktype, p.meta.flags,
				p.meta.vxlan_vni, p.meta.geneve_vni, p.meta.caplen, p.meta.origlen);
			for (uint32_t i = 0; i < p.meta.caplen; i++)
				fprintf(out, "%02x", p.data[i]);
			fputc('\n', out);
			udpcap_source__done(src);
			continue;
		}
		ms = udpcap_source__timeout(src);
		if (ms > 0 && poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			perror("poll");
			return 1;
		}
	}
	r = udpcap_source__stats(src, &st);
	if (r < 0)
		return 1;
	fprintf(out, "S %llu %llu %llu %llu %u %d\n", (unsigned long long)st.received,
		(unsigned long long)st.bytes, (unsigned long long)st.dropped,
		(unsigned long long)st.link, st.reattaches, st.attached);
	udpcap_source__close(src);
	return fclose(out) == 0 ? 0 : 1;
}
