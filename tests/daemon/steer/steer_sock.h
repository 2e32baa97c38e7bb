/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering tests: a real reuseport group of loopback UDP sockets, senders
 * with distinct (random) outer source ports, and delivery checks.
 */
#ifndef STEER_SOCK_H
#define STEER_SOCK_H

#include <stddef.h>
#include <stdint.h>

#define TGROUP_MAX 8
#define TSENDERS 16

struct tgroup {
	int fds[TGROUP_MAX]; /* bound in this order: kernel index i */
	unsigned n;
	uint16_t port;
	int senders[TSENDERS]; /* each on its own ephemeral source port */
};

/* Bind n sockets to one ephemeral 127.0.0.1 port, in order. 0 or -errno. */
int tgroup_open(struct tgroup *g, unsigned n);

/* The same on ::1 for AF_INET6. */
int tgroup_open_family(struct tgroup *g, unsigned n, int family);
void tgroup_close(struct tgroup *g);

/* Send @p from a random sender. 0 or -errno. */
int tgroup_send(struct tgroup *g, uint64_t *rng, const void *p, size_t len);

/*
 * Send @p and wait for it: returns the index of the socket that received
 * it (checking the bytes), or -1 if no socket did within a few seconds.
 */
int tgroup_deliver(struct tgroup *g, uint64_t *rng, const void *p, size_t len);

/*
 * Receive until @expect datagrams arrived or a few seconds passed; calls
 * @fn(ctx, socket index, datagram) for each. Returns the number received.
 */
size_t tgroup_drain(struct tgroup *g, size_t expect,
		    void (*fn)(void *ctx, unsigned idx, const uint8_t *p, size_t len), void *ctx);

#endif /* STEER_SOCK_H */
