/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exported decapsulation, flow parsing and hashing: thin wrappers that bind
 * the header-only code of <udpcap/parse.h> (shared with the eBPF steering
 * program) to a plain buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <udpcap/decap.h>
#include <udpcap/parse.h>

/* decap.h's types come from parse.h; they must stay what decap.h promised. */
_Static_assert(sizeof(udpcap_u32) == sizeof(uint32_t), "udpcap_u32 is 32 bits");
_Static_assert(sizeof(struct udpcap_decap) == 28, "struct udpcap_decap layout");
_Static_assert(sizeof(struct udpcap_flow) == 48, "struct udpcap_flow layout");

static const char *const reason_names[UDPCAP_DECAP__COUNT] = {
	[UDPCAP_DECAP_OK] = "ok",
	[UDPCAP_DECAP_EMPTY] = "empty",
	[UDPCAP_DECAP_VXLAN_SHORT] = "vxlan_short",
	[UDPCAP_DECAP_VXLAN_NO_VNI] = "vxlan_no_vni",
	[UDPCAP_DECAP_GENEVE_SHORT] = "geneve_short",
	[UDPCAP_DECAP_GENEVE_VERSION] = "geneve_version",
	[UDPCAP_DECAP_GENEVE_OPTLEN] = "geneve_optlen",
	[UDPCAP_DECAP_GENEVE_PROTO] = "geneve_proto",
	[UDPCAP_DECAP_GWLB_IP] = "gwlb_ip",
	[UDPCAP_DECAP_GWLB_NOT_UDP] = "gwlb_not_udp",
	[UDPCAP_DECAP_GWLB_UDP_SHORT] = "gwlb_udp_short",
	[UDPCAP_DECAP_SKIP_SHORT] = "skip_short",
};

/* UDP payloads are at most 64 KiB; a longer buffer is only read that far. */
static struct udpcap_parse_buf buf_of(const void *p, size_t len)
{
	struct udpcap_parse_buf b = {
		.base = p,
		.len = len > UINT32_MAX ? UINT32_MAX : (udpcap_u32)len,
	};
	return b;
}

enum udpcap_decap_reason udpcap_decap(const struct udpcap_encap *enc, const void *payload,
				      size_t len, struct udpcap_decap *ret)
{
	struct udpcap_parse_buf b = buf_of(payload, len);
	struct udpcap_decap d;
	int r;

	r = udpcap_parse_decap(&b, b.len, enc, &d);
	if (r == UDPCAP_DECAP_OK)
		*ret = d;
	return (enum udpcap_decap_reason)r;
}

const char *udpcap_decap_reason_str(enum udpcap_decap_reason reason)
{
	if ((unsigned)reason >= UDPCAP_DECAP__COUNT)
		return NULL;
	return reason_names[reason];
}

int udpcap_flow_parse(uint16_t linktype, const void *pkt, size_t len, struct udpcap_flow *ret)
{
	struct udpcap_parse_buf b = buf_of(pkt, len);
	struct udpcap_flow f;

	if (udpcap_parse_flow(&b, 0, b.len, linktype, &f) < 0)
		return -EINVAL;
	*ret = f;
	return 0;
}

uint32_t udpcap_flow_hash(const struct udpcap_flow *flow, enum udpcap_hash_mode mode)
{
	return udpcap_parse_hash(flow, mode);
}

enum udpcap_decap_reason udpcap_steer(const struct udpcap_encap *enc, enum udpcap_hash_mode mode,
				      const void *payload, size_t len, uint32_t *ret_hash)
{
	struct udpcap_parse_buf b = buf_of(payload, len);
	uint32_t h;
	int r;

	r = udpcap_parse_steer(&b, b.len, enc, mode, &h);
	if (r == UDPCAP_DECAP_OK)
		*ret_hash = h;
	return (enum udpcap_decap_reason)r;
}
