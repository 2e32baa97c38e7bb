/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the sk_reuseport steering program (steer.bpf.c) and its
 * loader (daemon/steer/steering_ebpf.c): map sizes and counter slots.
 */
#ifndef UDPCAPD_STEER_SHARED_H
#define UDPCAPD_STEER_SHARED_H

/* Sockets per listener, = UDPCAP_CONFIG_MAX_RINGS. */
#define UDPCAPD_STEER_MAX_SOCKS 256

/*
 * Per-CPU counters: slot r (1 .. UDPCAP_DECAP__COUNT-1) counts datagrams
 * the program could not decapsulate, by enum udpcap_decap_reason; they go
 * to socket 0. Slot UDPCAPD_STEER_SELECT_FAILED counts datagrams for which
 * bpf_sk_select_reuseport() failed even for socket 0 (the kernel then used
 * its own hash). Slot 0 counts datagrams steered by the inner-flow hash.
 */
#define UDPCAPD_STEER_SELECT_FAILED UDPCAP_DECAP__COUNT
#define UDPCAPD_STEER_COUNTERS (UDPCAP_DECAP__COUNT + 1)

#endif /* UDPCAPD_STEER_SHARED_H */
