/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: a receive backend, how a receiver thread reads its sockets
 * (internal). The receiver (receiver.c) drives it: probe() once at
 * start-up, then on each receiver thread init(), run() until the daemon
 * stops, fini(). A backend never calls back into the receiver: its set-up
 * result is init()'s return value, and run() ends when
 * udpcapd_rx_stopping() says so. Per datagram it uses rx.h.
 */
#ifndef UDPCAPD_RX_BACKEND_H
#define UDPCAPD_RX_BACKEND_H

#include <stddef.h>

#include "udpcapd.h"

struct udpcapd_backend {
	const char *name; /* as in [receive] backend = */
	/* Can this kernel and build run it? 0, or -errno and why in @why. NULL: always. */
	int (*probe)(char *why, size_t len);
	/* Sets up what thread @t needs to receive on its sockets: 0 and *ret_state, or -errno. */
	int (*init)(struct udpcapd_thread *t, void **ret_state);
	/* Receives until the daemon stops: 0, or -errno if it cannot go on. */
	int (*run)(struct udpcapd_thread *t, void *state);
	/* Frees what init() set up; NULL ok. */
	void (*fini)(void *state);
};

extern const struct udpcapd_backend udpcapd_backend_recvmmsg;
extern const struct udpcapd_backend udpcapd_backend_uring;

#endif /* UDPCAPD_RX_BACKEND_H */
