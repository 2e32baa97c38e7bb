/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: generator of the classic-BPF reuseport program (steering = cbpf).
 *
 * SO_ATTACH_REUSEPORT_CBPF needs no privilege, so this is the fallback when
 * eBPF cannot be loaded. The program is generated from the listener's
 * encapsulation, link type, hash mode and socket count; it runs with
 * offset 0 = first byte of the UDP payload and returns the index of the
 * socket in the reuseport group (bind order), always < n.
 *
 * Its hash is symmetric (A->B and B->A give the same index) and balanced,
 * but it is NOT the lib/ hash: classic BPF has no loops or stack, so it
 * mixes symmetric combinations (sum, xor) of address words and ports, then
 * applies murmur3's finaliser. See docs/steering.md for what it cannot
 * express; such packets, and any load past the end of the datagram, go to
 * socket 0.
 *
 * Internal to the daemon (also built into tests and the fuzzer).
 */
#ifndef UDPCAPD_CBPF_GEN_H
#define UDPCAPD_CBPF_GEN_H

#include <linux/filter.h>
#include <stddef.h>
#include <udpcap/decap.h>

/* Upper bound on the generated program's length; well under BPF_MAXINSNS. */
#define UDPCAPD_CBPF_MAX_INSNS 512

/* IPv6 extension headers (hop-by-hop, routing, destination options) walked. */
#define UDPCAPD_CBPF_IPV6_EXT_MAX 3

/*
 * udpcapd_cbpf_generate - build the steering program.
 * @enc: the listener's encapsulation (type, skip, inner link type)
 * @hash: 5-tuple or ip-pair
 * @n: sockets in the group, 1..UDPCAP_CONFIG_MAX_RINGS
 * @ret_insns: room for UDPCAPD_CBPF_MAX_INSNS instructions
 * @ret_len: number of instructions written
 * Returns 0, -EINVAL for a config it cannot express (unknown link type or
 * encapsulation, n out of range), -E2BIG if the program would not fit.
 */
int udpcapd_cbpf_generate(const struct udpcap_encap *enc, enum udpcap_hash_mode hash, unsigned n,
			  struct sock_filter *ret_insns, unsigned *ret_len);

/*
 * udpcapd_cbpf_validate - the kernel's classic-BPF checks, in user space:
 * length, known opcodes, no division by a constant 0, scratch memory index
 * in range and written before read on every path, jumps in range, last
 * instruction a return. Returns 0 or -EINVAL with @why saying where.
 */
int udpcapd_cbpf_validate(const struct sock_filter *insns, unsigned len, char *why, size_t why_len);

/*
 * udpcapd_cbpf_run - interpret a program over @pkt (offset 0 = UDP payload)
 * with the kernel's semantics: a load past the end ends the program with 0.
 * Only for programs that passed udpcapd_cbpf_validate().
 */
unsigned udpcapd_cbpf_run(const struct sock_filter *insns, unsigned len, const void *pkt,
			  size_t pkt_len);

#endif /* UDPCAPD_CBPF_GEN_H */
