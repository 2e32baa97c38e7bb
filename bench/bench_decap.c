/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet cost of the daemon's parse work: udpcap_decap(),
 * udpcap_flow_parse(), udpcap_flow_hash() and udpcap_steer() on VXLAN,
 * GENEVE and GENEVE+VXLAN payloads (IPv4 TCP and IPv6 UDP inside), printed
 * in ns and as a ratio to a baseline measured in the same run: copying the
 * inner packet once (what the daemon does anyway to put it into a ring).
 * Usage: bench_decap [iterations]  (default 5000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkt.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint32_t sink;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	struct tflow f4 = {.family = 4, .src = {10, 1, 2, 3}, .dst = {192, 168, 9, 9}, .proto = 6,
			   .sport = 1234, .dport = 80, .payload = 100};
	struct tflow f6 = {.family = 6, .src = {0x20, 1, 0xd, 0xb8, [15] = 1},
			   .dst = {0x20, 1, 0xd, 0xb8, [15] = 2}, .proto = 17, .sport = 53,
			   .dport = 5353, .vlans = 1, .tpid = {0x8100}, .payload = 100};
	const struct tflow *flows[2] = {&f4, &f6};
	static uint8_t copy[PKT_MAX];

	if (n <= 0)
		n = 5000000;
	for (int k = 0; k < 2; k++) {
		struct pkt in = {.len = 0}, vx = {.len = 0}, gn = {.len = 0}, gw = {.len = 0};
		struct udpcap_encap evx = {.type = UDPCAP_ENCAP_VXLAN};
		struct udpcap_encap egn = {.type = UDPCAP_ENCAP_GENEVE};
		struct udpcap_encap egw = {.type = UDPCAP_ENCAP_GENEVE_VXLAN};
		struct udpcap_decap d;
		struct udpcap_flow f;
		const char *name = k ? "ipv6-udp-vlan" : "ipv4-tcp";
		double t, base;
		uint32_t h;

		pkt_flow(&in, flows[k], UDPCAP_LINKTYPE_EN10MB);
		pkt_vxlan(&vx, 5, &in);
		pkt_geneve(&gn, 6, 0x6558, 2, &in);
		pkt_gwlb(&gw, 7, 8, 4, 0, &in);

		t = now();
		for (long i = 0; i < n; i++) {
			vx.b[30] = (uint8_t)i;
			memcpy(copy, vx.b + 8, in.len);
			sink += copy[i & 63];
		}
		base = (now() - t) / (double)n * 1e9;
		printf("%-14s baseline memcpy of %zu B inner packet: %6.1f ns\n", name, in.len, base);

#define BENCH(label, stmt)                                                                   \
	do {                                                                                 \
		t = now();                                                                   \
		for (long i = 0; i < n; i++) {                                               \
			stmt;                                                                \
		}                                                                            \
		double ns = (now() - t) / (double)n * 1e9;                                   \
		printf("%-14s %-34s %6.1f ns  %5.2fx baseline\n", name, label, ns, ns / base); \
	} while (0)

		BENCH("udpcap_decap vxlan", (vx.b[30] = (uint8_t)i, sink += udpcap_decap(&evx, vx.b, vx.len, &d)));
		BENCH("udpcap_decap geneve", (gn.b[30] = (uint8_t)i, sink += udpcap_decap(&egn, gn.b, gn.len, &d)));
		BENCH("udpcap_decap geneve+vxlan", (gw.b[30] = (uint8_t)i, sink += udpcap_decap(&egw, gw.b, gw.len, &d)));
		BENCH("udpcap_flow_parse", (in.b[40] = (uint8_t)i, sink += (uint32_t)udpcap_flow_parse(1, in.b, in.len, &f) + f.sport));
		BENCH("udpcap_flow_hash 5-tuple", (f.sport = (uint16_t)i, sink += udpcap_flow_hash(&f, UDPCAP_HASH_5TUPLE)));
		BENCH("udpcap_steer vxlan", (vx.b[40] = (uint8_t)i, udpcap_steer(&evx, UDPCAP_HASH_5TUPLE, vx.b, vx.len, &h), sink += h));
		BENCH("udpcap_steer geneve+vxlan", (gw.b[40] = (uint8_t)i, udpcap_steer(&egw, UDPCAP_HASH_5TUPLE, gw.b, gw.len, &h), sink += h));
	}
	return 0;
}
