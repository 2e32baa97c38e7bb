// SPDX-License-Identifier: BSD-3-Clause
/*
 * Proves that <udpcap/decap.h> and the inline code of <udpcap/parse.h>
 * compile as C++ (the Zeek plugin is C++) and compute the documented hash
 * there too: a VXLAN payload carrying IPv4 TCP 10.0.0.1:1234 -> 10.0.0.2:80
 * steers to the known answer of docs/parsing.md (0xf6a4d489), in both
 * directions. Header-only: does not link libudpcap.
 */
#include <cstdio>
#include <cstring>
#include <udpcap/decap.h>
#include <udpcap/parse.h>

static unsigned build(unsigned char *b, const unsigned char *src, const unsigned char *dst,
		      unsigned sport, unsigned dport)
{
	unsigned n = 0;
	const unsigned char vxlan[8] = {0x08, 0, 0, 0, 0, 0, 42, 0};
	std::memcpy(b, vxlan, 8);
	n = 8;
	std::memset(b + n, 0x02, 12); // MACs
	n += 12;
	b[n++] = 0x08;
	b[n++] = 0x00;
	const unsigned char ip[12] = {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0};
	std::memcpy(b + n, ip, 12);
	n += 12;
	std::memcpy(b + n, src, 4);
	n += 4;
	std::memcpy(b + n, dst, 4);
	n += 4;
	b[n++] = (unsigned char)(sport >> 8);
	b[n++] = (unsigned char)sport;
	b[n++] = (unsigned char)(dport >> 8);
	b[n++] = (unsigned char)dport;
	std::memset(b + n, 0, 16);
	return n + 16;
}

int main()
{
	const unsigned char a[4] = {10, 0, 0, 1}, z[4] = {10, 0, 0, 2};
	unsigned char fwd[128], rev[128];
	struct udpcap_parse_buf bf, br;
	struct udpcap_encap enc;
	udpcap_u32 hf = 0, hr = 0;

	std::memset(&enc, 0, sizeof(enc));
	enc.type = UDPCAP_ENCAP_VXLAN;
	bf.base = fwd;
	bf.len = build(fwd, a, z, 1234, 80);
	br.base = rev;
	br.len = build(rev, z, a, 80, 1234);
	if (udpcap_parse_steer(&bf, bf.len, &enc, UDPCAP_HASH_5TUPLE, &hf) != UDPCAP_DECAP_OK ||
	    udpcap_parse_steer(&br, br.len, &enc, UDPCAP_HASH_5TUPLE, &hr) != UDPCAP_DECAP_OK) {
		std::printf("FAIL: decap\n");
		return 1;
	}
	std::printf("C++ hash %08x / %08x (expected f6a4d489)\n", hf, hr);
	return hf == 0xf6a4d489u && hr == hf ? 0 : 1;
}
