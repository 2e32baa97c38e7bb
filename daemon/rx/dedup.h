/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: duplicate suppression, one table per ring (internal).
 *
 * When both ends of a conversation are mirrored, every packet arrives twice,
 * from two sessions with their own tunnel, VNI and Ethernet header, and a
 * TTL that differs by the hops between the two mirror points. The symmetric
 * inner-flow hash sends both copies to the same ring, so the ring's single
 * producer thread can recognise the second copy without a lock.
 *
 * Two packets are copies when they are the same from the IP header up,
 * except for the fields a path rewrites: IPv4 TTL, header checksum and TOS
 * byte (DSCP and ECN), IPv6 hop limit and traffic class. Ethernet, VLAN
 * tags and the tunnel are not looked at. Packets that are not IPv4/IPv6
 * (ARP, LLDP, PPP links) are never suppressed.
 *
 * The table is fixed at start-up, sized for [dedup] ring_pps packets per
 * second over window_us: it never grows. A full bucket evicts its oldest
 * entry, which can only make a later copy pass (a missed duplicate), never
 * drop a packet that was not seen before. A match consumes its entry, so
 * one copy is removed per packet: the case of two mirror points.
 */
#ifndef UDPCAPD_DEDUP_H
#define UDPCAPD_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udpcapd_dedup;

/*
 * A table for one ring: @window_ns, sized for @pps packets per second.
 * NULL when out of memory.
 */
struct udpcapd_dedup *udpcapd_dedup_new(uint64_t window_ns, uint64_t pps);
void udpcapd_dedup_free(struct udpcapd_dedup *t);

/* Entries of the table (for the log). */
size_t udpcapd_dedup_entries(const struct udpcapd_dedup *t);

/*
 * udpcapd_dedup_seen - is this packet a copy of one seen within the window?
 * @pkt, @len, @linktype: the inner packet as delivered
 * @ts_ns: its receive time
 * true: drop it as a duplicate (its entry is consumed). false: deliver it
 * (it is now in the table, unless it is not IP).
 */
bool udpcapd_dedup_seen(struct udpcapd_dedup *t, const uint8_t *pkt, size_t len,
			uint16_t linktype, uint64_t ts_ns);

#endif /* UDPCAPD_DEDUP_H */
