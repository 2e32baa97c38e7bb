/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the classic-BPF steering program generator. The input
 * picks a listener config (encapsulation, skip, link type, hash mode,
 * socket count, valid or not) and a UDP payload. Every program generated
 * must pass the kernel's classic-BPF checks (udpcapd_cbpf_validate), fit
 * UDPCAPD_CBPF_MAX_INSNS, return a socket index < n for the payload, and
 * agree with libpcap's independent interpreter (bpf_filter) on it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * libpcap's interpreter; declared here because <pcap/bpf.h> redefines the
 * BPF_* macros of <linux/filter.h>. struct bpf_insn has sock_filter's layout.
 */
unsigned int bpf_filter(const struct sock_filter *insns, const unsigned char *pkt,
			unsigned int wirelen, unsigned int buflen);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t linktypes[] = {UDPCAP_LINKTYPE_EN10MB, UDPCAP_LINKTYPE_RAW,
					     UDPCAP_LINKTYPE_PPP, 105};
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	struct udpcap_encap enc;
	enum udpcap_hash_mode hash;
	unsigned n, len, ours, theirs;
	char why[128];

	if (size < 6)
		return 0;
	enc.type = (enum udpcap_encap_type)(data[0] % 6);
	enc.skip = (uint16_t)(data[1] | (data[2] & 0x3) << 8);
	enc.linktype = linktypes[data[3] & 3];
	hash = (enum udpcap_hash_mode)((data[3] >> 2) % 3);
	n = (unsigned)data[4] + (data[5] & 1); /* 0..256 */
	data += 6, size -= 6;

	if (udpcapd_cbpf_generate(&enc, hash, n, insns, &len) < 0)
		return 0;
	if (len > UDPCAPD_CBPF_MAX_INSNS || udpcapd_cbpf_validate(insns, len, why, sizeof(why))) {
		fprintf(stderr, "invalid program for encap %d dlt %u n %u: %s\n", enc.type,
			enc.linktype, n, why);
		abort();
	}
	ours = udpcapd_cbpf_run(insns, len, data, size);
	theirs = bpf_filter(insns, data, (unsigned int)size, (unsigned int)size);
	if (ours >= n || ours != theirs) {
		fprintf(stderr, "encap %d dlt %u n %u: socket %u, libpcap says %u\n", enc.type,
			enc.linktype, n, ours, theirs);
		abort();
	}
	return 0;
}
