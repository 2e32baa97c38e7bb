/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: a plain-data snapshot of every counter, taken without locks.
 * The control socket (JSON) and the Prometheus endpoint render this; they
 * never touch the hot path's structures themselves.
 */
#ifndef UDPCAPD_STATS_H
#define UDPCAPD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <udpcap/ring.h>
#include "counters.h"

struct udpcapd;

struct udpcapd_stats_counters {
	uint64_t received;
	uint64_t delivered;
	uint64_t bytes;
	uint64_t received_bytes;
	uint64_t drops[UDPCAPD_DROP__COUNT];
};

struct udpcapd_stats_listener {
	char name[64];
	char listen[80];   /* "0.0.0.0:4789" */
	char encap[32];	   /* "vxlan" */
	const char *steering; /* this listener's mode: "ebpf" | "cbpf" | "kernel" (NULL: unknown) */
	/* eBPF: datagrams whose socket selection failed (the kernel then hashed them) */
	uint64_t steering_select_failed;
	struct udpcapd_stats_counters c;
};

struct udpcapd_stats_ring {
	char name[64];
	char group[32]; /* "default", or the NAME of [rings NAME] */
	char path[256];
	struct udpcapd_stats_counters c; /* summed over listeners */
	struct udpcap_ring_stats ring;	 /* from libudpcap */
};

/* A [tap NAME] output: received = handed to it, delivered = written. */
struct udpcapd_stats_tap {
	char name[32];
	char interface[16];
	unsigned queues;
	bool up;      /* the interface is administratively up */
	bool carrier; /* and has carrier */
	struct udpcapd_stats_counters c; /* summed over listeners and queues */
};

struct udpcapd_stats {
	char version[32];
	uint64_t start_time_ns;	 /* CLOCK_REALTIME at start-up */
	uint64_t uptime_ns;
	const char *steering;	 /* mode in use: "ebpf" | "cbpf" | "kernel" */
	char steering_why[160];	 /* why that mode (auto fallbacks) */
	const char *backend;	 /* "recvmmsg" | "io_uring" */
	const char *hash;	 /* "5-tuple" | "ip-pair" */
	uint64_t ts_fallbacks;	 /* datagrams without a kernel timestamp (clock used) */
	uint64_t uring_enobufs;	 /* io_uring: multishot receives ended for want of buffers */
	/* packets the steering program could not parse (still delivered somewhere) */
	uint64_t steering_unparsed[UDPCAP_DECAP__COUNT];
	struct udpcapd_stats_counters totals;
	size_t listener_count;
	struct udpcapd_stats_listener *listeners;
	size_t ring_count;
	struct udpcapd_stats_ring *rings;
	size_t tap_count;
	struct udpcapd_stats_tap *taps;
};

/* Take a snapshot. 0 or -errno; free with udpcapd_stats_free(). */
int udpcapd_stats_collect(struct udpcapd *d, struct udpcapd_stats *ret);

/* Inline: the obs unit tests render hand-built snapshots without stats.c. */
static inline void udpcapd_stats_free(struct udpcapd_stats *stats)
{
	if (!stats)
		return;
	free(stats->listeners);
	free(stats->rings);
	free(stats->taps);
	stats->listeners = NULL;
	stats->rings = NULL;
	stats->taps = NULL;
}

#endif /* UDPCAPD_STATS_H */
