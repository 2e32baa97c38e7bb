/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compile/verifier check of <udpcap/parse.h> as an sk_reuseport program,
 * following the header's BPF contract. The encapsulation and hash mode come
 * from an ordinary array map, not .rodata, so the verifier has to accept
 * every encapsulation's path, not just one. Built and loaded by
 * test_bpf.sh; not part of the product (the steering program is).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define UDPCAP_PARSE_CTX struct sk_reuseport_md
#define UDPCAP_PARSE_LOAD(ctx, off, dst, n) bpf_skb_load_bytes((ctx), 8 + (off), (dst), (n))
#include <udpcap/parse.h>

struct parse_cfg {
	__u32 encap;
	__u32 skip;
	__u32 linktype;
	__u32 mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} out SEC(".maps");

SEC("sk_reuseport")
int parse_check(struct sk_reuseport_md *md)
{
	struct udpcap_encap enc;
	struct parse_cfg *c;
	__u32 k = 0, hash = 0, len = md->len;
	int r;

	c = bpf_map_lookup_elem(&cfg, &k);
	if (!c || len < 8)
		return SK_PASS;
	enc.type = (enum udpcap_encap_type)c->encap;
	enc.skip = (__u16)c->skip;
	enc.linktype = (__u16)c->linktype;
	r = udpcap_parse_steer(md, len - 8, &enc, c->mode, &hash);
	k = r ? 1 : 0;
	bpf_map_update_elem(&out, &k, r ? (__u32 *)&r : &hash, BPF_ANY);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
