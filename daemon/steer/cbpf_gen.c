/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classic-BPF reuseport steering program: generator, validator and a small
 * interpreter (for tests and the fuzzer). See cbpf_gen.h and
 * docs/steering.md.
 *
 * Register conventions in the generated code:
 *   X      offset of the header being parsed (relative to the UDP payload)
 *   M[0]   the running hash
 *   M[1,2] the two sides (source, destination) of a field being mixed
 *   M[3]   a saved protocol/ethertype while A is busy
 *   M[4]   IPv6: offset of the current extension header minus 40
 *   M[15]  the header offset saved while X is borrowed for arithmetic
 * Only conditional jumps with small constant offsets are used; anything
 * further goes through BPF_JA to a label, whose 32-bit offset is patched
 * when the program is complete.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "cbpf_gen.h"

#include <udpcap/config.h>

enum label {
	L_FAIL,
	L_ETH,
	L_IPV4,
	L_IPV6,
	L_V6_NOEXT,
	L_FINAL,
	L__COUNT,
};

#define MAX_FIXUPS 64

struct gen {
	struct sock_filter *insn;
	unsigned len;
	int err;
	int label_at[L__COUNT];
	struct {
		unsigned at;
		enum label label;
	} fix[MAX_FIXUPS];
	unsigned nfix;
};

/* Scratch memory cells, see the conventions above. */
enum { M_HASH = 0, M_SRC = 1, M_DST = 2, M_SAVE = 3, M_EXT = 4, M_BASE = 15 };

/* Odd multipliers: murmur3 fmix32 and golden-ratio constants. */
#define HASH_SEED 0x7f4a7c15u
#define MIX_SUM 0x9e3779b1u
#define MIX_XOR 0x85ebca77u
#define MIX_ONE 0xc2b2ae3du

static void emit(struct gen *g, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (g->len >= UDPCAPD_CBPF_MAX_INSNS) {
		g->err = -E2BIG;
		return;
	}
	g->insn[g->len++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

static void stmt(struct gen *g, uint16_t code, uint32_t k)
{
	emit(g, code, k, 0, 0);
}

static void ja(struct gen *g, enum label label)
{
	if (g->nfix >= MAX_FIXUPS) {
		g->err = -E2BIG;
		return;
	}
	g->fix[g->nfix].at = g->len;
	g->fix[g->nfix].label = label;
	g->nfix++;
	stmt(g, BPF_JMP | BPF_JA, 0);
}

static void label(struct gen *g, enum label label)
{
	g->label_at[label] = (int)g->len;
}

/* if (A == k) goto label */
static void if_eq_goto(struct gen *g, uint32_t k, enum label label)
{
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
	ja(g, label);
}

/* if (A != k) goto fail */
static void if_ne_fail(struct gen *g, uint32_t k)
{
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, k, 1, 0);
	ja(g, L_FAIL);
}

/* if (!(A & k)) goto fail */
static void if_clear_fail(struct gen *g, uint32_t k)
{
	emit(g, BPF_JMP | BPF_JSET | BPF_K, k, 1, 0);
	ja(g, L_FAIL);
}

/* X += k (clobbers A) */
static void x_add(struct gen *g, uint32_t k)
{
	stmt(g, BPF_MISC | BPF_TXA, 0);
	stmt(g, BPF_ALU | BPF_ADD | BPF_K, k);
	stmt(g, BPF_MISC | BPF_TAX, 0);
}

/* M[0] = mix(M[0], A): (h ^ v) * K, then fold the high bits down. Clobbers X. */
static void mix_a(struct gen *g, uint32_t mul)
{
	stmt(g, BPF_LDX | BPF_MEM, M_HASH);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(g, BPF_ALU | BPF_MUL | BPF_K, mul);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 15);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(g, BPF_ST, M_HASH);
}

/*
 * Mix the pair (M[1], M[2]) symmetrically: both their sum and their xor
 * are the same when source and destination swap, and together they tell
 * most pairs apart. Restores X from M[15].
 */
static void mix_pair(struct gen *g)
{
	stmt(g, BPF_LDX | BPF_MEM, M_DST);
	stmt(g, BPF_LD | BPF_MEM, M_SRC);
	stmt(g, BPF_ALU | BPF_ADD | BPF_X, 0);
	mix_a(g, MIX_SUM);
	stmt(g, BPF_LDX | BPF_MEM, M_DST);
	stmt(g, BPF_LD | BPF_MEM, M_SRC);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	mix_a(g, MIX_XOR);
	stmt(g, BPF_LDX | BPF_MEM, M_BASE);
}

/* Load size-`sz` fields at X+src and X+dst into M[1], M[2] and mix them. */
static void mix_fields(struct gen *g, uint16_t sz, uint32_t src, uint32_t dst)
{
	stmt(g, BPF_LD | sz | BPF_IND, src);
	stmt(g, BPF_ST, M_SRC);
	stmt(g, BPF_LD | sz | BPF_IND, dst);
	stmt(g, BPF_ST, M_DST);
	mix_pair(g);
}

/* A holds an IP protocol: fall through to the ports code if it has ports, else FINAL. */
static void if_not_ports_final(struct gen *g)
{
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 3, 0);
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 2, 0);
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_SCTP, 1, 0);
	ja(g, L_FINAL);
}

/* The VXLAN header at X: the I flag must be set; X moves past it. */
static void vxlan_at_x(struct gen *g)
{
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	if_clear_fail(g, 0x08);
	x_add(g, 8);
}

/*
 * GENEVE at offset 0: version 0, X = 8 + options, A = protocol type.
 */
static void geneve(struct gen *g)
{
	stmt(g, BPF_LD | BPF_B | BPF_ABS, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 6);
	if_ne_fail(g, 0);
	stmt(g, BPF_LD | BPF_B | BPF_ABS, 0);
	stmt(g, BPF_ALU | BPF_AND | BPF_K, 0x3f);
	stmt(g, BPF_ALU | BPF_LSH | BPF_K, 2);
	stmt(g, BPF_ALU | BPF_ADD | BPF_K, 8);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_LD | BPF_H | BPF_ABS, 2);
}

/* AWS GWLB: GENEVE -> IPv4|IPv6 -> UDP -> VXLAN -> Ethernet. */
static void geneve_vxlan(struct gen *g)
{
	unsigned v6_at;

	geneve(g);
	/* if (A == 0x86dd) skip the IPv4 branch (patched below) */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 0);
	v6_at = g->len - 1;
	if_ne_fail(g, 0x0800);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 4);
	if_ne_fail(g, 4);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 9);
	if_ne_fail(g, 17);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	stmt(g, BPF_ALU | BPF_AND | BPF_K, 0xf);
	stmt(g, BPF_ALU | BPF_LSH | BPF_K, 2);
	stmt(g, BPF_ALU | BPF_ADD | BPF_X, 0);
	stmt(g, BPF_ALU | BPF_ADD | BPF_K, 8);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	vxlan_at_x(g);
	ja(g, L_ETH);
	if (g->len - v6_at - 1 > 255) {
		g->err = -E2BIG;
		return;
	}
	g->insn[v6_at].jt = (uint8_t)(g->len - v6_at - 1);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 4);
	if_ne_fail(g, 6);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 6);
	if_ne_fail(g, 17);
	x_add(g, 40 + 8);
	vxlan_at_x(g);
	ja(g, L_ETH);
}

/* Dispatch on A: @v4 goes to the IPv4 code, @v6 to the IPv6 code, else fail. */
static void dispatch_ip(struct gen *g, uint32_t v4, uint32_t v6)
{
	if_eq_goto(g, v4, L_IPV4);
	if_eq_goto(g, v6, L_IPV6);
	ja(g, L_FAIL);
}

/* A holds the protocol field of a @len-byte header at X: step over it, dispatch. */
static void skip_and_dispatch(struct gen *g, uint32_t len, uint32_t v4, uint32_t v6)
{
	stmt(g, BPF_ST, M_SAVE);
	x_add(g, len);
	stmt(g, BPF_LD | BPF_MEM, M_SAVE);
	dispatch_ip(g, v4, v6);
}

/* Ethernet at X, up to two VLAN tags; X moves to the L3 header. */
static void ethernet(struct gen *g)
{
	label(g, L_ETH);
	stmt(g, BPF_LD | BPF_H | BPF_IND, 12);
	for (int tag = 0; tag < 2; tag++) {
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0x8100, 2, 0);
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, 1, 0);
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0x9100, 0, 4);
		x_add(g, 4);
		stmt(g, BPF_LD | BPF_H | BPF_IND, 12);
	}
	skip_and_dispatch(g, 14, 0x0800, 0x86dd);
}

/* Bare IP at X: dispatch on the version nibble. */
static void raw_ip(struct gen *g)
{
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 4);
	dispatch_ip(g, 4, 6);
}

/* PPP at X: optional ff 03 address/control, then a 2-byte protocol. */
static void ppp(struct gen *g)
{
	stmt(g, BPF_LD | BPF_H | BPF_IND, 0);
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0xff03, 0, 3);
	x_add(g, 2);
	stmt(g, BPF_LD | BPF_H | BPF_IND, 0);
	skip_and_dispatch(g, 2, 0x0021, 0x0057);
}

static void ipv4(struct gen *g, bool ports)
{
	label(g, L_IPV4);
	stmt(g, BPF_STX, M_BASE);
	mix_fields(g, BPF_W, 12, 16);
	if (!ports) {
		ja(g, L_FINAL);
		return;
	}
	/* fragments (MF or an offset): addresses only */
	stmt(g, BPF_LD | BPF_H | BPF_IND, 6);
	emit(g, BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 1);
	ja(g, L_FINAL);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 9);
	stmt(g, BPF_ST, M_SAVE);
	mix_a(g, MIX_ONE);
	stmt(g, BPF_LDX | BPF_MEM, M_BASE);
	stmt(g, BPF_LD | BPF_MEM, M_SAVE);
	if_not_ports_final(g);
	stmt(g, BPF_LD | BPF_B | BPF_IND, 0);
	stmt(g, BPF_ALU | BPF_AND | BPF_K, 0xf);
	stmt(g, BPF_ALU | BPF_LSH | BPF_K, 2);
	stmt(g, BPF_ALU | BPF_ADD | BPF_X, 0);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_STX, M_BASE);
	mix_fields(g, BPF_H, 0, 2);
	ja(g, L_FINAL);
}

static void ipv6(struct gen *g, bool ports)
{
	label(g, L_IPV6);
	stmt(g, BPF_STX, M_BASE);
	for (uint32_t w = 0; w < 4; w++)
		mix_fields(g, BPF_W, 8 + 4 * w, 24 + 4 * w);
	if (!ports) {
		ja(g, L_FINAL);
		return;
	}
	/* X + 40 is the current header; walk hop-by-hop/routing/dest-opts */
	stmt(g, BPF_LD | BPF_B | BPF_IND, 6);
	for (int i = 0; i < UDPCAPD_CBPF_IPV6_EXT_MAX; i++) {
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 43, 2, 0);
		emit(g, BPF_JMP | BPF_JEQ | BPF_K, 60, 1, 0);
		ja(g, L_V6_NOEXT);
		stmt(g, BPF_LD | BPF_B | BPF_IND, 40 + 1);
		stmt(g, BPF_ALU | BPF_ADD | BPF_K, 1);
		stmt(g, BPF_ALU | BPF_LSH | BPF_K, 3);
		stmt(g, BPF_ALU | BPF_ADD | BPF_X, 0);
		stmt(g, BPF_ST, M_EXT);
		stmt(g, BPF_LD | BPF_B | BPF_IND, 40);
		stmt(g, BPF_LDX | BPF_MEM, M_EXT);
	}
	label(g, L_V6_NOEXT);
	/* fragment header: addresses only, like IPv4 fragments */
	emit(g, BPF_JMP | BPF_JEQ | BPF_K, 44, 0, 1);
	ja(g, L_FINAL);
	stmt(g, BPF_STX, M_EXT);
	stmt(g, BPF_ST, M_SAVE);
	mix_a(g, MIX_ONE);
	stmt(g, BPF_LD | BPF_MEM, M_SAVE);
	if_not_ports_final(g);
	stmt(g, BPF_LDX | BPF_MEM, M_EXT);
	stmt(g, BPF_STX, M_BASE);
	mix_fields(g, BPF_H, 40, 42);
	ja(g, L_FINAL);
}

/* murmur3 fmix32 of M[0], then % n. */
static void final(struct gen *g, unsigned n)
{
	label(g, L_FINAL);
	stmt(g, BPF_LD | BPF_MEM, M_HASH);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 16);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(g, BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6bu);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 13);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(g, BPF_ALU | BPF_MUL | BPF_K, 0xc2b2ae35u);
	stmt(g, BPF_MISC | BPF_TAX, 0);
	stmt(g, BPF_ALU | BPF_RSH | BPF_K, 16);
	stmt(g, BPF_ALU | BPF_XOR | BPF_X, 0);
	stmt(g, BPF_ALU | BPF_MOD | BPF_K, n);
	stmt(g, BPF_RET | BPF_A, 0);
	/* anything that cannot be parsed: a deterministic socket */
	label(g, L_FAIL);
	stmt(g, BPF_RET | BPF_K, 0);
}

/* Link layer at X for RAW/SKIP listeners. */
static int link_layer(struct gen *g, uint16_t linktype)
{
	switch (linktype) {
	case UDPCAP_LINKTYPE_EN10MB:
		ja(g, L_ETH);
		return 0;
	case UDPCAP_LINKTYPE_RAW:
		raw_ip(g);
		return 0;
	case UDPCAP_LINKTYPE_PPP:
		ppp(g);
		return 0;
	}
	return -EINVAL;
}

static int resolve(struct gen *g)
{
	for (unsigned i = 0; i < g->nfix; i++) {
		int to = g->label_at[g->fix[i].label];

		if (to < 0 || (unsigned)to <= g->fix[i].at)
			return -EINVAL;
		g->insn[g->fix[i].at].k = (uint32_t)to - g->fix[i].at - 1;
	}
	return 0;
}

int udpcapd_cbpf_generate(const struct udpcap_encap *enc, enum udpcap_hash_mode hash, unsigned n,
			  struct sock_filter *ret_insns, unsigned *ret_len)
{
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	struct gen g = {.insn = insns};
	bool ports = hash == UDPCAP_HASH_5TUPLE;
	int r = 0;

	if (n < 1 || n > UDPCAP_CONFIG_MAX_RINGS)
		return -EINVAL;
	if (hash != UDPCAP_HASH_5TUPLE && hash != UDPCAP_HASH_IP_PAIR)
		return -EINVAL;
	for (int i = 0; i < L__COUNT; i++)
		g.label_at[i] = -1;

	stmt(&g, BPF_LD | BPF_IMM, HASH_SEED);
	stmt(&g, BPF_ST, M_HASH);
	switch (enc->type) {
	case UDPCAP_ENCAP_RAW:
		stmt(&g, BPF_LDX | BPF_IMM, 0);
		r = link_layer(&g, enc->linktype);
		break;
	case UDPCAP_ENCAP_SKIP:
		stmt(&g, BPF_LDX | BPF_IMM, enc->skip);
		r = link_layer(&g, enc->linktype);
		break;
	case UDPCAP_ENCAP_VXLAN:
		stmt(&g, BPF_LDX | BPF_IMM, 0);
		vxlan_at_x(&g);
		ja(&g, L_ETH);
		break;
	case UDPCAP_ENCAP_GENEVE:
		geneve(&g);
		if_eq_goto(&g, 0x6558, L_ETH);
		dispatch_ip(&g, 0x0800, 0x86dd);
		break;
	case UDPCAP_ENCAP_GENEVE_VXLAN:
		geneve_vxlan(&g);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		return r;
	ethernet(&g);
	ipv4(&g, ports);
	ipv6(&g, ports);
	final(&g, n);
	if (g.err)
		return g.err;
	r = resolve(&g);
	if (r < 0)
		return r;
	memcpy(ret_insns, insns, g.len * sizeof(insns[0]));
	*ret_len = g.len;
	return 0;
}

/* The opcodes the kernel's classic-BPF checker accepts (no ancillary loads). */
static bool code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

int udpcapd_cbpf_validate(const struct sock_filter *insns, unsigned len, char *why, size_t why_len)
{
	uint16_t masks[BPF_MAXINSNS], memvalid = 0;

	if (len == 0 || len > BPF_MAXINSNS) {
		snprintf(why, why_len, "program length %u not in 1..%d", len, BPF_MAXINSNS);
		return -EINVAL;
	}
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];

		if (!code_allowed(f->code)) {
			snprintf(why, why_len, "insn %u: opcode 0x%04x not allowed", pc, f->code);
			return -EINVAL;
		}
		if ((f->code == (BPF_ALU | BPF_DIV | BPF_K) ||
		     f->code == (BPF_ALU | BPF_MOD | BPF_K)) &&
		    f->k == 0) {
			snprintf(why, why_len, "insn %u: division by constant 0", pc);
			return -EINVAL;
		}
		if ((f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM) ||
		     f->code == BPF_ST || f->code == BPF_STX) &&
		    f->k >= BPF_MEMWORDS) {
			snprintf(why, why_len, "insn %u: scratch cell %u out of range", pc, f->k);
			return -EINVAL;
		}
		if (f->code == (BPF_JMP | BPF_JA) && f->k >= len - pc - 1) {
			snprintf(why, why_len, "insn %u: jump past the end", pc);
			return -EINVAL;
		}
		if (is_cond_jump(f->code) && (pc + f->jt + 1 >= len || pc + f->jf + 1 >= len)) {
			snprintf(why, why_len, "insn %u: conditional jump past the end", pc);
			return -EINVAL;
		}
	}
	if (BPF_CLASS(insns[len - 1].code) != BPF_RET) {
		snprintf(why, why_len, "last insn %u is not a return", len - 1);
		return -EINVAL;
	}
	/* Scratch memory written before read: the kernel's check_load_and_stores(). */
	memset(masks, 0xff, len * sizeof(masks[0]));
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];

		memvalid &= masks[pc];
		if (f->code == BPF_ST || f->code == BPF_STX) {
			memvalid |= (uint16_t)(1u << f->k);
		} else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
			if (!(memvalid & (1u << f->k))) {
				snprintf(why, why_len, "insn %u: reads M[%u] before it is written",
					 pc, f->k);
				return -EINVAL;
			}
		} else if (f->code == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + f->k] &= memvalid;
			memvalid = 0xffff;
		} else if (is_cond_jump(f->code)) {
			masks[pc + 1 + f->jt] &= memvalid;
			masks[pc + 1 + f->jf] &= memvalid;
			memvalid = 0xffff;
		}
	}
	return 0;
}

/* Big-endian load of `size` bytes at `off`, or false if it runs past the end. */
static bool load(const uint8_t *p, size_t len, uint64_t off, unsigned size, uint32_t *ret)
{
	uint32_t v = 0;

	if (off + size > len)
		return false;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[off + i];
	*ret = v;
	return true;
}

static unsigned load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	}
	return 1;
}

static bool alu(uint16_t code, uint32_t *a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_ADD:
		*a += v;
		break;
	case BPF_SUB:
		*a -= v;
		break;
	case BPF_MUL:
		*a *= v;
		break;
	case BPF_DIV:
		if (!v)
			return false;
		*a /= v;
		break;
	case BPF_MOD:
		if (!v)
			return false;
		*a %= v;
		break;
	case BPF_AND:
		*a &= v;
		break;
	case BPF_OR:
		*a |= v;
		break;
	case BPF_XOR:
		*a ^= v;
		break;
	case BPF_LSH:
		*a = v < 32 ? *a << v : 0;
		break;
	case BPF_RSH:
		*a = v < 32 ? *a >> v : 0;
		break;
	case BPF_NEG:
		*a = -*a;
		break;
	}
	return true;
}

static bool jump_taken(uint16_t code, uint32_t a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ:
		return a == v;
	case BPF_JGT:
		return a > v;
	case BPF_JGE:
		return a >= v;
	}
	return (a & v) != 0;
}

unsigned udpcapd_cbpf_run(const struct sock_filter *insns, unsigned len, const void *pkt,
			  size_t pkt_len)
{
	const uint8_t *p = pkt;
	uint32_t a = 0, x = 0, v, mem[BPF_MEMWORDS] = {0};

	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];
		uint16_t code = f->code;

		switch (BPF_CLASS(code)) {
		case BPF_LD:
			if (BPF_MODE(code) == BPF_IMM)
				a = f->k;
			else if (BPF_MODE(code) == BPF_MEM)
				a = mem[f->k % BPF_MEMWORDS];
			else if (BPF_MODE(code) == BPF_LEN)
				a = (uint32_t)pkt_len;
			else if (!load(p, pkt_len,
				       (uint64_t)f->k + (BPF_MODE(code) == BPF_IND ? x : 0),
				       load_size(code), &a))
				return 0;
			break;
		case BPF_LDX:
			if (BPF_MODE(code) == BPF_IMM)
				x = f->k;
			else if (BPF_MODE(code) == BPF_MEM)
				x = mem[f->k % BPF_MEMWORDS];
			else if (BPF_MODE(code) == BPF_LEN)
				x = (uint32_t)pkt_len;
			else if (load(p, pkt_len, f->k, 1, &v))
				x = (v & 0xf) << 2;
			else
				return 0;
			break;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU:
			if (!alu(code, &a, BPF_SRC(code) == BPF_X ? x : f->k))
				return 0;
			break;
		case BPF_JMP:
			if (BPF_OP(code) == BPF_JA)
				pc += f->k;
			else
				pc += jump_taken(code, a, BPF_SRC(code) == BPF_X ? x : f->k)
					  ? f->jt
					  : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0;
}
