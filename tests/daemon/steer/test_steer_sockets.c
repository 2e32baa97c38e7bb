/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves, on the real kernel, with the steering code attached to a real
 * reuseport group of loopback UDP sockets and tunnel datagrams sent from
 * 16 different outer source ports:
 * - ebpf: every datagram of every listener config lands on socket
 *   udpcap_steer() hash % n -- bit-for-bit the lib hash -- so both
 *   directions of each inner flow share a socket; undecodable ones land on
 *   socket 0 and are counted per reason;
 * - the same over an IPv6 listener on ::1;
 * - both programs read past the linear part of large (up to 59000-byte)
 *   datagrams and steer them like small ones;
 * - ebpf, hash equality on every packet of the shared pcaps (tunnel captures
 *   as captured, plain ones wrapped in VXLAN and GENEVE), and each inner
 *   flow of them (both directions) on exactly one socket;
 * - cbpf: every datagram lands where the generated program, interpreted in
 *   user space, says: the program's index i is the socket bound i-th, and
 *   both directions of a flow share it;
 * - balance of 10k random TCP flows over 4 and 8 sockets: ebpf max/mean
 *   <= 1.10 (cbpf printed);
 * - kernel: the control; how many of 500 flows it splits is printed.
 * ebpf needs CAP_BPF (skips loudly without it); cbpf and kernel run anywhere.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <errno.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cbpf_gen.h"
#include "common.h"
#include "steer_pkt.h"
#include "steer_sock.h"
#include "steering.h"

static int have_ebpf = -1;
static const char *skipped; /* why a case was skipped: the program then exits 77 */

struct rig {
	struct tgroup g;
	struct udpcapd_steering *s;
	struct udpcap_config_listener l;
	enum udpcap_hash_mode hash;
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	unsigned insn_len;
};

static int rig_open_family(struct rig *r, enum udpcap_steering mode, const struct udpcap_encap *enc,
			   enum udpcap_hash_mode hash, unsigned n, int family)
{
	char why[256] = "";
	int e;

	memset(r, 0, sizeof(*r));
	r->l.encap = *enc;
	r->hash = hash;
	snprintf(r->l.name, sizeof(r->l.name), "test");
	assert_int_equal(tgroup_open_family(&r->g, n, family), 0);
	e = udpcapd_steering_attach(mode, &r->l, hash, r->g.fds, n, &r->s, why, sizeof(why));
	if (e < 0) {
		tgroup_close(&r->g);
		printf("attach %s: %s\n", udpcapd_steering_mode_name(mode), why);
		return e;
	}
	if (mode != UDPCAP_STEERING_AUTO)
		assert_int_equal(udpcapd_steering_mode(r->s), mode);
	if (mode == UDPCAP_STEERING_CBPF)
		assert_int_equal(udpcapd_cbpf_generate(enc, hash, n, r->insns, &r->insn_len), 0);
	return 0;
}

static int rig_open(struct rig *r, enum udpcap_steering mode, const struct udpcap_encap *enc,
		    enum udpcap_hash_mode hash, unsigned n)
{
	return rig_open_family(r, mode, enc, hash, n, AF_INET);
}

static void rig_close(struct rig *r)
{
	udpcapd_steering_free(r->s);
	tgroup_close(&r->g);
}

/* The socket this mode must pick for payload @p. */
static unsigned expected(const struct rig *r, const uint8_t *p, size_t len)
{
	uint32_t h;

	if (udpcapd_steering_mode(r->s) == UDPCAP_STEERING_CBPF)
		return udpcapd_cbpf_run(r->insns, r->insn_len, p, len);
	if (udpcap_steer(&r->l.encap, r->hash, p, len, &h) != UDPCAP_DECAP_OK)
		return 0;
	return h % r->g.n;
}

static int probe_ebpf(void)
{
	if (have_ebpf < 0) {
		struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
		struct rig r;

		have_ebpf = rig_open(&r, UDPCAP_STEERING_EBPF, &enc, UDPCAP_HASH_5TUPLE, 2) == 0;
		if (have_ebpf)
			rig_close(&r);
	}
	return have_ebpf;
}

static void need_ebpf(void)
{
	if (!probe_ebpf())
		skip();
}

/* @flows random flows, each both ways: both on the socket the mode must pick. */
static void both_directions(struct rig *r, uint64_t *rng, int flows, const char *what)
{
	uint8_t a[512], b[512];

	for (int i = 0; i < flows; i++) {
		struct tflow f;
		size_t la, lb;
		int ia, ib;

		tflow_random(&f, rng, -1);
		la = tpkt_build(&r->l.encap, &f, a, sizeof(a));
		tflow_reverse(&f);
		lb = tpkt_build(&r->l.encap, &f, b, sizeof(b));
		ia = tgroup_deliver(&r->g, rng, a, la);
		ib = tgroup_deliver(&r->g, rng, b, lb);
		if (ia != (int)expected(r, a, la) || ib != ia)
			fail_msg("%s %s: flow %d: A->B on %d (expected %u), B->A on %d",
				 udpcapd_steering_mode_name(udpcapd_steering_mode(r->s)), what, i,
				 ia, expected(r, a, la), ib);
	}
}

/* Random flows, both directions, every config: delivered where expected. */
static void flows_all_configs(enum udpcap_steering mode)
{
	uint64_t rng = 42;

	for (size_t c = 0; c < tconf_count; c++) {
		for (int m = 0; m < 2; m++) {
			struct rig r;

			assert_int_equal(rig_open(&r, mode, &tconfs[c].enc,
						  m ? UDPCAP_HASH_IP_PAIR : UDPCAP_HASH_5TUPLE, 4),
					 0);
			both_directions(&r, &rng, 100, tconfs[c].name);
			rig_close(&r);
		}
	}
}

/* The same over an IPv6 listener ([::1]): both programs, vxlan and geneve. */
static void test_ipv6_listener(void **state)
{
	static const enum udpcap_steering modes[] = {UDPCAP_STEERING_CBPF, UDPCAP_STEERING_EBPF};
	uint64_t rng = 6;

	for (int m = 0; m < 2; m++) {
		if (modes[m] == UDPCAP_STEERING_EBPF)
			need_ebpf();
		for (size_t c = 0; c < 2; c++) {
			struct rig r;

			assert_int_equal(rig_open_family(&r, modes[m], &tconfs[c].enc,
							 UDPCAP_HASH_5TUPLE, 4, AF_INET6),
					 0);
			both_directions(&r, &rng, 100, tconfs[c].name);
			rig_close(&r);
		}
	}
}

static void test_ebpf_configs(void **state)
{
	need_ebpf();
	flows_all_configs(UDPCAP_STEERING_EBPF);
}

static void test_cbpf_configs(void **state)
{
	flows_all_configs(UDPCAP_STEERING_CBPF);
}

/*
 * Large datagrams are not linear in the skb: the program must still read
 * the inner headers (bpf_skb_load_bytes) and steer them like small ones.
 */
static void large_datagrams(enum udpcap_steering mode)
{
	static uint8_t p[60000];
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_GENEVE};
	uint64_t rng = 9;
	struct rig r;

	assert_int_equal(rig_open(&r, mode, &enc, UDPCAP_HASH_5TUPLE, 8), 0);
	for (int i = 0; i < 64; i++) {
		size_t sizes[] = {1500, 9000, 20000, 30000, 59000}, len = sizes[i % 5];
		struct tflow f;
		int got;

		tflow_random(&f, &rng, -1);
		f.geneve_opt_words = 63; /* 252 bytes of options before the inner frame */
		memset(p, 0, sizeof(p));
		assert_true(tpkt_build(&enc, &f, p, sizeof(p)) > 0);
		got = tgroup_deliver(&r.g, &rng, p, len);
		if (got != (int)expected(&r, p, len))
			fail_msg("%zu-byte datagram on socket %d, expected %u", len, got,
				 expected(&r, p, len));
	}
	rig_close(&r);
}

static void test_large_datagrams(void **state)
{
	large_datagrams(UDPCAP_STEERING_CBPF);
	need_ebpf();
	large_datagrams(UDPCAP_STEERING_EBPF);
}

/* Undecodable payloads: socket 0, counted by reason (ebpf). */
static void test_ebpf_unparsed(void **state)
{
	static const uint8_t no_vni[20] = {0x00};
	static const uint8_t short_vx[5] = {0x08};
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
	uint64_t acc[UDPCAP_DECAP__COUNT] = {0}, rng = 5;
	struct rig r;

	need_ebpf();
	assert_int_equal(rig_open(&r, UDPCAP_STEERING_EBPF, &enc, UDPCAP_HASH_5TUPLE, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tgroup_deliver(&r.g, &rng, no_vni, sizeof(no_vni)), 0);
	assert_int_equal(tgroup_deliver(&r.g, &rng, short_vx, sizeof(short_vx)), 0);
	udpcapd_steering_unparsed(r.s, acc);
	assert_int_equal(acc[UDPCAP_DECAP_VXLAN_NO_VNI], 3);
	assert_int_equal(acc[UDPCAP_DECAP_VXLAN_SHORT], 1);
	assert_int_equal(acc[UDPCAP_DECAP_OK], 0);
	rig_close(&r);
}

/* ---- shared pcaps ---- */

struct flowmap {
	struct {
		uint8_t key[40];
		int idx;
	} e[4096];
	size_t n;
	unsigned checked, flows, split;
};

/* Canonical (direction-free) key of the inner flow, via lib. */
static int flow_key(const struct udpcap_encap *enc, const uint8_t *p, size_t len, uint8_t key[40])
{
	struct udpcap_decap d;
	struct udpcap_flow f;
	uint8_t a[18], b[18];

	if (udpcap_decap(enc, p, len, &d) != UDPCAP_DECAP_OK)
		return -1;
	if (udpcap_flow_parse(d.linktype, p + d.inner_off, d.inner_len, &f) < 0 ||
	    !(f.flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6)))
		return -1;
	memcpy(a, f.src, 16), memcpy(a + 16, &f.sport, 2);
	memcpy(b, f.dst, 16), memcpy(b + 16, &f.dport, 2);
	memset(key, 0, 40);
	key[0] = f.proto;
	if (memcmp(a, b, 18) < 0)
		memcpy(key + 2, a, 18), memcpy(key + 20, b, 18);
	else
		memcpy(key + 2, b, 18), memcpy(key + 20, a, 18);
	return 0;
}

static void flowmap_add(struct flowmap *m, const uint8_t key[40], int idx)
{
	for (size_t i = 0; i < m->n; i++) {
		if (memcmp(m->e[i].key, key, 40) == 0) {
			if (m->e[i].idx != idx && m->e[i].idx >= 0) {
				m->split++;
				m->e[i].idx = -1;
			}
			return;
		}
	}
	if (m->n < sizeof(m->e) / sizeof(m->e[0])) {
		memcpy(m->e[m->n].key, key, 40);
		m->e[m->n++].idx = idx;
	}
}

/* The UDP payload of an outer Ethernet/IP/UDP frame, or NULL. */
static const uint8_t *udp_payload(const uint8_t *p, size_t caplen, size_t *ret_len)
{
	size_t off = 14, l4;
	unsigned et;

	if (caplen < 14)
		return NULL;
	et = (unsigned)p[12] << 8 | p[13];
	while ((et == 0x8100 || et == 0x88a8) && caplen >= off + 4) {
		et = (unsigned)p[off + 2] << 8 | p[off + 3];
		off += 4;
	}
	if (et == 0x0800 && caplen >= off + 20 && p[off + 9] == 17)
		l4 = off + (size_t)(p[off] & 0xf) * 4;
	else if (et == 0x86dd && caplen >= off + 40 && p[off + 6] == 17)
		l4 = off + 40;
	else
		return NULL;
	if (caplen < l4 + 8)
		return NULL;
	*ret_len = caplen - l4 - 8;
	return p + l4 + 8;
}

static void send_pcap_packet(struct rig *r, struct flowmap *m, uint64_t *rng, const uint8_t *p,
			     size_t len)
{
	uint8_t key[40];
	unsigned want = expected(r, p, len);
	int got = tgroup_deliver(&r->g, rng, p, len);

	if (got != (int)want)
		fail_msg("pcap packet of %zu bytes: socket %d, lib hash says %u", len, got, want);
	m->checked++;
	if (flow_key(&r->l.encap, p, len, key) == 0)
		flowmap_add(m, key, got);
}

static void run_pcap_file(const char *dir, const char *name, unsigned n, struct flowmap *total)
{
	static const struct udpcap_encap vx = {.type = UDPCAP_ENCAP_VXLAN};
	static const struct udpcap_encap gn = {.type = UDPCAP_ENCAP_GENEVE};
	static const struct udpcap_encap gv = {.type = UDPCAP_ENCAP_GENEVE_VXLAN};
	char path[4096], err[PCAP_ERRBUF_SIZE];
	int tunnel = strncmp(name, "tunnels-", 8) == 0;
	const struct udpcap_encap *enc = strstr(name, "geneve-vxlan") ? &gv
					 : strstr(name, "geneve")     ? &gn
								      : &vx;
	struct pcap_pkthdr *h;
	const uint8_t *p;
	uint64_t rng = 11;
	static struct flowmap m;
	pcap_t *pc;

	for (int wrap = 0; wrap < (tunnel ? 1 : 2); wrap++) {
		struct rig r;

		if (!tunnel)
			enc = wrap ? &gn : &vx;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		pc = pcap_open_offline(path, err);
		if (!pc)
			fail_msg("%s: %s", path, err);
		assert_int_equal(rig_open(&r, UDPCAP_STEERING_EBPF, enc, UDPCAP_HASH_5TUPLE, n), 0);
		memset(&m, 0, sizeof(m));
		while (pcap_next_ex(pc, &h, &p) == 1) {
			uint8_t buf[9216];
			size_t len = 0;
			const uint8_t *pl;

			if (tunnel) {
				pl = udp_payload(p, h->caplen, &len);
				if (!pl)
					continue;
				send_pcap_packet(&r, &m, &rng, pl, len);
				continue;
			}
			if (h->caplen + 64 > sizeof(buf) || pcap_datalink(pc) != DLT_EN10MB)
				continue;
			/* wrap the frame as a mirroring source would */
			memset(buf, 0, 8);
			if (wrap)
				buf[2] = 0x65, buf[3] = 0x58, buf[6] = 1;
			else
				buf[0] = 0x08, buf[6] = 1;
			memcpy(buf + 8, p, h->caplen);
			send_pcap_packet(&r, &m, &rng, buf, 8 + h->caplen);
		}
		pcap_close(pc);
		rig_close(&r);
		printf("ebpf pcap n=%u %-40s %-6s %4u packets, %3zu flows, split %u\n", n, name,
		       tunnel ? ""
		       : wrap ? "geneve"
			      : "vxlan",
		       m.checked, m.n, m.split);
		assert_int_equal(m.split, 0);
		total->checked += m.checked;
		total->flows += (unsigned)m.n;
	}
}

static void test_ebpf_pcaps_hash_equality(void **state)
{
	const char *dir = test_pcap_dir();
	struct flowmap total = {0};
	struct dirent **names;
	int k;

	need_ebpf();
	if (!dir) {
		printf("SKIP: shared pcaps not found (UDPCAP_PCAP_DIR=%s)\n",
		       getenv("UDPCAP_PCAP_DIR") ? getenv("UDPCAP_PCAP_DIR") : "unset");
		skipped = "the shared pcaps are missing: hash equality on them not checked";
		skip();
	}
	k = scandir(dir, &names, NULL, alphasort);
	assert_true(k > 0);
	for (int i = 0; i < k; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		if (l > 5 && strcmp(name + l - 5, ".pcap") == 0)
			/* a power of two and not: % must not be a mask anywhere */
			for (unsigned n = 4; n <= 7; n += 3)
				run_pcap_file(dir, name, n, &total);
		free(names[i]);
	}
	free(names);
	printf("ebpf pcaps: %u packets on socket udpcap_steer() %% n (n = 4, 7), %u flows, none "
	       "split\n",
	       total.checked, total.flows);
	assert_true(total.checked > 1000);
}

/* ---- balance ---- */

struct bal {
	struct rig *r;
	const uint32_t *want; /* by seq */
	size_t nwant;
	unsigned count[TGROUP_MAX];
	unsigned wrong;
};

static void bal_rx(void *ctx, unsigned idx, const uint8_t *p, size_t len)
{
	struct bal *b = ctx;
	uint32_t seq = tpkt_seq(p, len);

	if (seq >= b->nwant || b->want[seq] != idx)
		b->wrong++;
	b->count[idx]++;
}

static double balance(enum udpcap_steering mode, unsigned n, int flows)
{
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
	static uint32_t want[10000];
	struct bal b = {.want = want, .nwant = (size_t)flows};
	uint64_t rng = 1234 + n;
	unsigned max = 0;
	uint8_t p[512];
	struct rig r;
	size_t got = 0;

	assert_true((size_t)flows <= sizeof(want) / sizeof(want[0]));
	assert_int_equal(rig_open(&r, mode, &enc, UDPCAP_HASH_5TUPLE, n), 0);
	b.r = &r;
	for (int i = 0; i < flows; i += 200) {
		int batch = flows - i < 200 ? flows - i : 200;

		for (int j = i; j < i + batch; j++) {
			struct tflow f;
			size_t l;

			tflow_random(&f, &rng, -1);
			f.proto = 6;
			f.frag = 0;
			f.seq = (uint32_t)j;
			l = tpkt_build(&enc, &f, p, sizeof(p));
			want[j] = expected(&r, p, l);
			assert_int_equal(tgroup_send(&r.g, &rng, p, l), 0);
		}
		got += tgroup_drain(&r.g, (size_t)batch, bal_rx, &b);
	}
	rig_close(&r);
	assert_int_equal(got, (size_t)flows);
	assert_int_equal(b.wrong, 0);
	for (unsigned i = 0; i < n; i++)
		max = b.count[i] > max ? b.count[i] : max;
	return (double)max / ((double)flows / n);
}

static void test_balance(void **state)
{
	int flows = test_sanitized() ? 4000 : 10000;

	for (unsigned n = 4; n <= 8; n += 4) {
		double c = balance(UDPCAP_STEERING_CBPF, n, flows);

		printf("balance %d flows over %u sockets: cbpf max/mean %.3f\n", flows, n, c);
		if (probe_ebpf()) {
			double e = balance(UDPCAP_STEERING_EBPF, n, flows);

			printf("balance %d flows over %u sockets: ebpf max/mean %.3f\n", flows, n,
			       e);
			assert_true(e <= 1.10);
		}
	}
	if (!have_ebpf)
		printf("ebpf balance not measured: no CAP_BPF\n");
}

/* The control: the kernel's outer-header hash splits connections. */
static void test_kernel_splits(void **state)
{
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
	uint8_t a[512], b[512];
	uint64_t rng = 77;
	unsigned split = 0;
	struct rig r;

	assert_int_equal(rig_open(&r, UDPCAP_STEERING_KERNEL, &enc, UDPCAP_HASH_5TUPLE, 4), 0);
	for (int i = 0; i < 500; i++) {
		struct tflow f;
		size_t la, lb;
		int ia, ib;

		tflow_random(&f, &rng, -1);
		la = tpkt_build(&enc, &f, a, sizeof(a));
		tflow_reverse(&f);
		lb = tpkt_build(&enc, &f, b, sizeof(b));
		ia = tgroup_deliver(&r.g, &rng, a, la);
		ib = tgroup_deliver(&r.g, &rng, b, lb);
		assert_true(ia >= 0 && ib >= 0);
		split += ia != ib;
	}
	rig_close(&r);
	printf("kernel hash: %u of 500 flows split across sockets\n", split);
	assert_true(split > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cbpf_configs),  cmocka_unit_test(test_ebpf_configs),
	    cmocka_unit_test(test_ipv6_listener), cmocka_unit_test(test_large_datagrams),
	    cmocka_unit_test(test_ebpf_unparsed), cmocka_unit_test(test_ebpf_pcaps_hash_equality),
	    cmocka_unit_test(test_balance),	  cmocka_unit_test(test_kernel_splits),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	if (r == 0 && !probe_ebpf())
		test_skip("eBPF steering could not be attached (no CAP_BPF?): ebpf cases skipped");
	if (r == 0 && skipped)
		test_skip("%s", skipped);
	return r;
}
