/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: symmetric inner-flow steering of one listener's SO_REUSEPORT
 * group. fds[i] is the socket that feeds ring i; the program attached here
 * picks fds[hash % n] for every datagram, with the same hash as lib/.
 */
#ifndef UDPCAPD_STEERING_H
#define UDPCAPD_STEERING_H

#include <stddef.h>
#include <stdint.h>
#include <udpcap/config.h>

struct udpcapd_steering;

/*
 * udpcapd_steering_attach - attach steering to a bound reuseport group.
 * @requested: auto tries ebpf, then cbpf, then kernel; ebpf/cbpf fail
 *             rather than fall back.
 * @why: receives a one-line explanation of the mode chosen (for logs/stats).
 * Returns 0 and a handle (free with udpcapd_steering_free) or -errno with
 * @why saying what failed.
 */
int udpcapd_steering_attach(enum udpcap_steering requested,
			    const struct udpcap_config_listener *listener,
			    enum udpcap_hash_mode hash, const int *fds, unsigned n,
			    struct udpcapd_steering **ret, char *why, size_t why_len);

/* The mode actually in use: UDPCAP_STEERING_EBPF, _CBPF or _KERNEL. */
enum udpcap_steering udpcapd_steering_mode(const struct udpcapd_steering *s);

const char *udpcapd_steering_mode_name(enum udpcap_steering mode);

/*
 * Add the program's per-reason parse-failure counts (indexed by enum
 * udpcap_decap_reason) into @acc. No-op for modes without counters.
 */
void udpcapd_steering_unparsed(const struct udpcapd_steering *s,
			       uint64_t acc[UDPCAP_DECAP__COUNT]);

/* eBPF: socket selections that failed (the kernel hashed those); 0 otherwise. */
uint64_t udpcapd_steering_select_failed(const struct udpcapd_steering *s);

/* NULL ok. */
void udpcapd_steering_free(struct udpcapd_steering *s);

#endif /* UDPCAPD_STEERING_H */
