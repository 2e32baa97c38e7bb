/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: TAP outputs ([tap NAME]), internal.
 *
 * Every packet a listener delivers is also written, as an Ethernet frame,
 * to each configured TAP device, so that anything that reads an interface
 * (tcpdump, Suricata's af-packet, Arkime, Zeek's af_packet) gets the
 * decapsulated traffic. The device exists beforehand, owned by udpcapd's
 * user and multi_queue: attaching a queue to it needs no capability.
 *
 * Each receiver thread attaches its own queue (its own descriptor) and
 * writes to it directly, so there is no lock and no hand-off. A write
 * enters the kernel's receive path of the device synchronously (packet
 * sockets get their copy there), so what a slow reader loses is that
 * reader's own drop count; what the device refuses is counted here:
 * tap_full (no room: EAGAIN, ENOBUFS, ENOMEM) or tap_down (the device is
 * down or gone). A packet that is not an Ethernet frame and cannot be made
 * one is counted as tap_not_ethernet; raw IPv4/IPv6 packets get a
 * synthetic Ethernet header (zero MAC addresses, the IP EtherType).
 *
 * A deleted device takes the queues with it: their writes fail (EBADFD,
 * tap_down). The main thread notices within half a second, and once a
 * device of that name exists again it attaches a new queue for each lost
 * one and puts it in place of the old descriptor with dup3(), which swaps
 * the file behind the number atomically: a receiver thread writing at that
 * moment writes to the old queue or the new one, never to a closed or
 * foreign descriptor, and the hot path never checks anything.
 *
 * Counters: one cell per (listener, receiver thread) of each TAP, written
 * only by that thread: received = packets handed to the TAP, delivered =
 * frames the kernel took, and the drops above; each cell's books are exact
 * on their own, like a ring group's.
 */
#ifndef UDPCAPD_TAP_H
#define UDPCAPD_TAP_H

#include <stdbool.h>
#include <stdint.h>
#include <udpcap/config.h>
#include <udpcap/ring.h>

#include "counters.h"

struct udpcapd;
struct udpcapd_sock;

/* One socket's way into one TAP: its thread's queue and its counter cell. */
struct udpcapd_tap_out {
	int fd;
	struct udpcapd_counters *cnt;
	int *last_errno; /* __atomic (relaxed): the last refused write, for the log */
};

struct udpcapd_tap {
	const struct udpcap_config_tap *cfg;
	unsigned nqueues;		   /* one per receiver thread */
	int *fds;			   /* [thread] */
	int *last_errno;		   /* [thread] */
	struct udpcapd_counters *counters; /* [listener * nqueues + thread] */
	/* the main thread's view, for logging changes once */
	unsigned flags;		 /* IFF_UP | IFF_RUNNING last seen; ~0u: not looked yet */
	bool lost;		 /* queues detached: the device was deleted (logged once) */
	unsigned failed_ifindex; /* the device attaching again failed on (logged once) */
	uint64_t next_check_ns;	 /* CLOCK_MONOTONIC: the next look for lost queues */
	uint64_t refused;	 /* tap_full + tap_down last seen */
	bool refusing;		 /* refused grew at the last look */
};

/*
 * Attach one queue per receiver thread to every [tap NAME] device and set
 * up the sockets' outputs. Runs without capabilities (after the drop) and
 * never creates a device. 0 or -errno, with the reason logged.
 */
int udpcapd_taps_open(struct udpcapd *d);
void udpcapd_taps_close(struct udpcapd *d);

/* Hot path: write the delivered packet @pkt to every TAP of @s. */
void udpcapd_taps_write(const struct udpcapd_sock *s, const struct udpcap_pkt_meta *meta,
			const uint8_t *pkt);

/*
 * Main thread, a few times a second: log state changes and refusals once;
 * attach the queues again once a deleted device exists again.
 */
void udpcapd_taps_tick(struct udpcapd *d);

/* IFF_UP | IFF_RUNNING (carrier) of @ifname now; -errno (-ENODEV: gone). */
int udpcapd_tap_flags(const char *ifname);

#endif /* UDPCAPD_TAP_H */
