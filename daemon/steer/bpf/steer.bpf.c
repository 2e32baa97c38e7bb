/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sk_reuseport steering program: pick the socket of a listener's reuseport
 * group by the symmetric inner-flow hash, computed by <udpcap/parse.h> -- the
 * very code libudpcap's udpcap_steer() runs -- so socket = udpcap_steer()
 * hash % ring_count, bit for bit.
 *
 * Here the skb data starts at the UDP header and large datagrams are not
 * linear, so every read is bpf_skb_load_bytes() at 8 + payload offset.
 * Written for the unprivileged verifier rules that apply with CAP_BPF alone
 * (no CAP_PERFMON): only constant stack offsets, no packet pointers at all.
 * Every path selects a socket: returning without one would make the kernel
 * silently fall back to its outer-header hash.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define UDPCAP_PARSE_CTX struct sk_reuseport_md
#define UDPCAP_PARSE_LOAD(ctx, off, dst, n) bpf_skb_load_bytes((ctx), 8 + (off), (dst), (n))
#include <udpcap/parse.h>

#include "steer_shared.h"

/* Tunables, set by the loader before load; the verifier prunes the rest. */
const volatile __u32 cfg_encap = UDPCAP_ENCAP_VXLAN;
const volatile __u32 cfg_skip = 0;
const volatile __u32 cfg_linktype = UDPCAP_LINKTYPE_EN10MB;
const volatile __u32 cfg_hash_mode = UDPCAP_HASH_5TUPLE;
const volatile __u32 cfg_ring_count = 1;

/* index i = the socket that feeds ring i */
struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, UDPCAPD_STEER_MAX_SOCKS);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UDPCAPD_STEER_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		*c += 1;
}

SEC("sk_reuseport")
int udpcap_steer(struct sk_reuseport_md *md)
{
	struct udpcap_encap enc = {
	    .type = (enum udpcap_encap_type)cfg_encap,
	    .skip = (__u16)cfg_skip,
	    .linktype = (__u16)cfg_linktype,
	};
	__u32 len = md->len, hash = 0, key = 0, n = cfg_ring_count;
	int r;

	if (len < 8) {
		r = UDPCAP_DECAP_EMPTY;
	} else {
		r = udpcap_parse_steer(md, len - 8, &enc, cfg_hash_mode, &hash);
	}
	if (r == UDPCAP_DECAP_OK && n > 0)
		key = hash % n;
	count(r == UDPCAP_DECAP_OK ? 0 : (__u32)r);
	if (bpf_sk_select_reuseport(md, &socks, &key, 0) == 0)
		return SK_PASS;
	/* that socket is gone (closed mid-run?): socket 0, else the kernel's hash */
	key = 0;
	if (bpf_sk_select_reuseport(md, &socks, &key, 0) != 0)
		count(UDPCAPD_STEER_SELECT_FAILED);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
