/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket drops: the kernel's count of datagrams a socket's receive queue
 * had no room for, folded into the socket's counter cell (drop reason
 * "socket") and its ring's upstream drops, by the socket's receiver thread.
 */
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "rx.h"

void udpcapd_sock_drops_update(struct udpcapd_sock *s, uint32_t sk_drops)
{
	/* The kernel's counter only grows (mod 2^32); older values can arrive late. */
	uint32_t delta = sk_drops - s->sk_drops;

	if ((int32_t)delta <= 0)
		return;
	s->sk_drops = sk_drops;
	udpcapd_counter_add(&s->cnt->drops[UDPCAPD_DROP_SOCKET], delta);
	udpcap_ring__add_upstream_drops(s->r, delta);
}

/*
 * SO_RXQ_OVFL only arrives with a datagram; after the last one, drops are
 * only visible through SO_MEMINFO. Called when idle and before exiting.
 */
void udpcapd_sock_drops_poll(struct udpcapd_sock *s)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return;
	udpcapd_cell_write_begin(s->cnt);
	udpcapd_sock_drops_update(s, mem[SK_MEMINFO_DROPS]);
	udpcapd_cell_write_end(s->cnt);
}
