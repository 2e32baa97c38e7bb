/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * steering = ebpf when udpcapd was built without eBPF support (-Debpf=disabled,
 * or libbpf/clang/bpftool missing): says so, so auto moves on to cbpf.
 */
#include <errno.h>
#include <stdio.h>

#include "steering_int.h"

int udpcapd_steering_ebpf_attach(const struct udpcap_config_listener *listener,
				 enum udpcap_hash_mode hash, const int *fds, unsigned n,
				 bool verbose, struct udpcapd_steering_ebpf **ret, char *why,
				 size_t why_len)
{
	snprintf(why, why_len, "udpcapd was built without eBPF steering (-Debpf)");
	return -EOPNOTSUPP;
}

void udpcapd_steering_ebpf_unparsed(const struct udpcapd_steering_ebpf *e,
				    uint64_t acc[UDPCAP_DECAP__COUNT])
{
}

uint64_t udpcapd_steering_ebpf_select_failed(const struct udpcapd_steering_ebpf *e)
{
	return 0;
}

void udpcapd_steering_ebpf_free(struct udpcapd_steering_ebpf *e)
{
}
