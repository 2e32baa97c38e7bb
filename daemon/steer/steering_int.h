/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd steering internals, do not include outside daemon/steer/steering*.c
 * (and their tests): one attach function per mode.
 */
#ifndef UDPCAPD_STEERING_INT_H
#define UDPCAPD_STEERING_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <udpcap/config.h>

struct udpcapd_steering_ebpf;

/*
 * Load the eBPF program for this listener, fill its socket array with
 * @fds and attach it to the group. @verbose: let libbpf print the
 * verifier log on failure (explicit steering = ebpf). 0 or -errno with
 * @why filled in.
 */
int udpcapd_steering_ebpf_attach(const struct udpcap_config_listener *listener,
				 enum udpcap_hash_mode hash, const int *fds, unsigned n,
				 bool verbose, struct udpcapd_steering_ebpf **ret, char *why,
				 size_t why_len);

/* Sum the program's per-CPU "could not parse" counters into @acc. */
void udpcapd_steering_ebpf_unparsed(const struct udpcapd_steering_ebpf *e,
				    uint64_t acc[UDPCAP_DECAP__COUNT]);

/* Times bpf_sk_select_reuseport() failed (the kernel then hashed itself). */
uint64_t udpcapd_steering_ebpf_select_failed(const struct udpcapd_steering_ebpf *e);

void udpcapd_steering_ebpf_free(struct udpcapd_steering_ebpf *e);

/* Generate and attach the classic-BPF program. 0 or -errno with @why. */
int udpcapd_steering_cbpf_attach(const struct udpcap_config_listener *listener,
				 enum udpcap_hash_mode hash, const int *fds, unsigned n, char *why,
				 size_t why_len);

#endif /* UDPCAPD_STEERING_INT_H */
