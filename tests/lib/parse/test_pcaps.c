/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves decapsulation against real captures decoded by an independent
 * dissector: for every packet of ../shared/pcaps/tunnels-*.pcap, the outer
 * UDP payload (outer Ethernet/IP/UDP walked here) run through udpcap_decap()
 * and udpcap_flow_parse() gives the VNI(s), inner link type, inner MACs,
 * inner addresses, protocol and ports that `tshark` decodes from the same
 * packet, run here with:
 *   tshark -r FILE -T fields -E occurrence=a -E aggregator=, -E separator=/t
 *     -e frame.protocols -e eth.src ... (see TSHARK_FIELDS)
 * Nested tunnels give several values per field: the value for the inner
 * layer is picked by counting that protocol's layers in frame.protocols up
 * to the end of the encapsulation udpcapd strips. Also: both directions of
 * every conversation in a file get the same steering hash.
 * The same check runs on captures generated here from random flows (VLAN,
 * QinQ, IPv4 options, IPv6 extension headers, fragments, SCTP, ICMP) so
 * the parser is also compared with tshark where the shared captures have
 * no examples (tshark run with IP defragmentation off), and on generated
 * PPP (with and without address/control), raw IP and Ethernet captures
 * through encap raw with each link type.
 * Skips loudly when tshark or the shared captures are missing.
 */
#include <arpa/inet.h>
#include <glob.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "common.h"
#include "pkt.h"
#include "pcap_udp.h"

#define TSHARK_FIELDS                                                                        \
	"-e frame.protocols -e eth.src -e eth.dst -e ip.src -e ip.dst -e ip.proto -e ip.len " \
	"-e ipv6.src -e ipv6.dst -e udp.srcport -e udp.dstport -e tcp.srcport "              \
	"-e tcp.dstport -e sctp.srcport -e sctp.dstport -e vxlan.vni -e geneve.vni "          \
	"-e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e frame.cap_len -e frame.len"

enum {
	F_PROTOS, F_ETH_SRC, F_ETH_DST, F_IP_SRC, F_IP_DST, F_IP_PROTO, F_IP_LEN, F_IP6_SRC,
	F_IP6_DST, F_UDP_SP, F_UDP_DP, F_TCP_SP, F_TCP_DP, F_SCTP_SP, F_SCTP_DP, F_VXLAN_VNI,
	F_GENEVE_VNI, F_ARP_SRC, F_ARP_DST, F_CAPLEN, F_LEN, F__COUNT
};

#define MAX_PKTS 256
#define GEN_PKTS 200

struct expect {
	char field[F__COUNT][512];
};

static int files_checked, packets_checked;

/* The @idx-th comma-separated value of @list into @out; 0 if present. */
static int nth(const char *list, int idx, char *out, size_t outsz)
{
	const char *p = list;

	for (int i = 0; i < idx; i++) {
		p = strchr(p, ',');
		if (!p)
			return -1;
		p++;
	}
	size_t n = strcspn(p, ",");
	if (n == 0 || n >= outsz)
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static long nth_num(const char *list, int idx)
{
	char v[64];

	if (nth(list, idx, v, sizeof(v)))
		fail_msg("no value %d in \"%s\"", idx, list);
	return strtol(v, NULL, 0);
}

static int run_tshark(const char *file, struct expect *ex, int max)
{
	char cmd[4096];
	char line[8192];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.defragment:FALSE -o ipv6.defragment:FALSE "
		 "-T fields -E occurrence=a -E aggregator=, -E separator=/t "
		 TSHARK_FIELDS " 2>/dev/null",
		 file);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *tab;

		assert_true(n < max);
		line[strcspn(line, "\n")] = 0;
		memset(&ex[n], 0, sizeof(ex[n]));
		for (int i = 0; i < F__COUNT; i++) {
			tab = strchr(s, '\t');
			if (tab)
				*tab = 0;
			if (strlen(s) >= sizeof(ex[n].field[i]))
				fail_msg("%s: tshark field %d too long", file, i);
			memcpy(ex[n].field[i], s, strlen(s) + 1);
			if (!tab)
				break;
			s = tab + 1;
		}
		n++;
	}
	assert_int_equal(pclose(f), 0);
	return n;
}

struct layers {
	char tok[64][24];
	int n;
};

static void split_protos(const char *protos, struct layers *l)
{
	const char *p = protos;

	l->n = 0;
	while (*p && l->n < 64) {
		size_t k = strcspn(p, ":");
		snprintf(l->tok[l->n], sizeof(l->tok[0]), "%.*s", (int)k, p);
		l->n++;
		p += k;
		if (*p == ':')
			p++;
	}
}

static int count_tok(const struct layers *l, int upto, const char *name)
{
	int c = 0;

	for (int i = 0; i < upto; i++)
		c += strcmp(l->tok[i], name) == 0;
	return c;
}

static void check_addr(int family, const char *list, int idx, const uint32_t *got)
{
	char v[64];
	uint8_t want[16] = {0};

	if (nth(list, idx, v, sizeof(v)))
		fail_msg("tshark has no address %d in \"%s\"", idx, list);
	assert_int_equal(inet_pton(family, v, want), 1);
	assert_memory_equal(got, want, family == AF_INET6 ? 16 : 4);
}

static void check_mac(const char *list, int idx, const uint8_t *got)
{
	char v[64];
	unsigned m[6];

	if (nth(list, idx, v, sizeof(v)))
		fail_msg("tshark has no MAC %d in \"%s\"", idx, list);
	assert_int_equal(sscanf(v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]),
			 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(got[i], m[i]);
}

/* One packet: our decap + flow against tshark's fields. */
static void check_packet(const char *name, int pktno, const struct udpcap_encap *enc,
			 const uint8_t *pl, uint32_t pllen, const struct expect *ex,
			 struct udpcap_flow *ret_flow)
{
	struct udpcap_decap d;
	struct udpcap_flow f;
	struct layers l;
	int end = -1, first_geneve = -1;
	enum udpcap_decap_reason r;

	split_protos(ex->field[F_PROTOS], &l);
	for (int i = 0; i < l.n && end < 0 && enc->type != UDPCAP_ENCAP_RAW; i++) {
		if (!strcmp(l.tok[i], "geneve") && first_geneve < 0) {
			first_geneve = i;
			if (enc->type == UDPCAP_ENCAP_GENEVE)
				end = i;
		}
		if (!strcmp(l.tok[i], "vxlan") && (enc->type == UDPCAP_ENCAP_VXLAN ||
						   (enc->type == UDPCAP_ENCAP_GENEVE_VXLAN &&
						    first_geneve >= 0)))
			end = i;
	}
	if ((end < 0 && enc->type != UDPCAP_ENCAP_RAW) || end + 1 >= l.n)
		fail_msg("%s #%d: tshark sees no inner packet in %s", name, pktno,
			 ex->field[F_PROTOS]);

	r = udpcap_decap(enc, pl, pllen, &d);
	if (r != UDPCAP_DECAP_OK)
		fail_msg("%s #%d: decap failed: %s", name, pktno, udpcap_decap_reason_str(r));
	assert_int_equal(d.inner_off + d.inner_len, pllen);

	/* VNIs */
	if (enc->type == UDPCAP_ENCAP_GENEVE || enc->type == UDPCAP_ENCAP_GENEVE_VXLAN) {
		assert_true(d.flags & UDPCAP_DECAP_F_GENEVE_VNI);
		assert_int_equal(d.geneve_vni, nth_num(ex->field[F_GENEVE_VNI], 0));
	}
	if (enc->type == UDPCAP_ENCAP_VXLAN || enc->type == UDPCAP_ENCAP_GENEVE_VXLAN) {
		assert_true(d.flags & UDPCAP_DECAP_F_VXLAN_VNI);
		assert_int_equal(d.vxlan_vni, nth_num(ex->field[F_VXLAN_VNI], 0));
	}
	if (enc->type == UDPCAP_ENCAP_VXLAN)
		assert_false(d.flags & UDPCAP_DECAP_F_GENEVE_VNI);
	if (enc->type == UDPCAP_ENCAP_GENEVE)
		assert_false(d.flags & UDPCAP_DECAP_F_VXLAN_VNI);

	/* inner link layer */
	const char *first = l.tok[end + 1];
	if (!strcmp(first, "eth")) {
		assert_int_equal(d.linktype, UDPCAP_LINKTYPE_EN10MB);
		check_mac(ex->field[F_ETH_DST], count_tok(&l, end + 1, "eth"), pl + d.inner_off);
		check_mac(ex->field[F_ETH_SRC], count_tok(&l, end + 1, "eth"), pl + d.inner_off + 6);
	} else if (!strcmp(first, "ip") || !strcmp(first, "ipv6") || !strcmp(first, "raw")) {
		assert_int_equal(d.linktype, UDPCAP_LINKTYPE_RAW);
	} else if (!strcmp(first, "ppp")) {
		assert_int_equal(d.linktype, UDPCAP_LINKTYPE_PPP);
	} else {
		fail_msg("%s #%d: unexpected inner layer %s", name, pktno, first);
	}

	assert_int_equal(udpcap_flow_parse(d.linktype, pl + d.inner_off, d.inner_len, &f), 0);

	/* inner network layer: the first ip/ipv6/arp after the encapsulation */
	int net = -1;
	for (int i = end + 1; i < l.n && net < 0; i++)
		if (!strcmp(l.tok[i], "ip") || !strcmp(l.tok[i], "ipv6") || !strcmp(l.tok[i], "arp"))
			net = i;
	if (net < 0) {
		assert_int_equal(f.flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6), 0);
		*ret_flow = f;
		return;
	}
	int k = count_tok(&l, net, l.tok[net]);
	if (!strcmp(l.tok[net], "arp")) {
		assert_int_equal(f.ethertype, 0x0806);
		check_addr(AF_INET, ex->field[F_ARP_SRC], k, f.src);
		check_addr(AF_INET, ex->field[F_ARP_DST], k, f.dst);
		*ret_flow = f;
		return;
	}
	int v6 = !strcmp(l.tok[net], "ipv6");
	assert_int_equal(f.flags & (UDPCAP_FLOW_F_IPV4 | UDPCAP_FLOW_F_IPV6),
			 v6 ? UDPCAP_FLOW_F_IPV6 : UDPCAP_FLOW_F_IPV4);
	check_addr(v6 ? AF_INET6 : AF_INET, ex->field[v6 ? F_IP6_SRC : F_IP_SRC], k, f.src);
	check_addr(v6 ? AF_INET6 : AF_INET, ex->field[v6 ? F_IP6_DST : F_IP_DST], k, f.dst);
	if (!v6) {
		assert_int_equal(f.proto, nth_num(ex->field[F_IP_PROTO], k));
		/* the whole inner IP packet is inside the inner frame unless capture cut it */
		if (nth_num(ex->field[F_CAPLEN], 0) == nth_num(ex->field[F_LEN], 0))
			assert_true(d.inner_len >= nth_num(ex->field[F_IP_LEN], k));
	}

	/* transport: the layer right after the network layer */
	int l4 = net + 1;
	while (l4 < l.n && !strncmp(l.tok[l4], "ipv6.", 5))
		l4++;
	static const struct {
		const char *tok;
		int proto, sp, dp;
	} l4s[] = {
		{"udp", 17, F_UDP_SP, F_UDP_DP},
		{"tcp", 6, F_TCP_SP, F_TCP_DP},
		{"sctp", 132, F_SCTP_SP, F_SCTP_DP},
	};
	int found = 0;
	for (unsigned i = 0; l4 < l.n && i < sizeof(l4s) / sizeof(l4s[0]); i++) {
		if (strcmp(l.tok[l4], l4s[i].tok))
			continue;
		int j = count_tok(&l, l4, l4s[i].tok);
		found = 1;
		assert_int_equal(f.proto, l4s[i].proto);
		assert_true(f.flags & UDPCAP_FLOW_F_PORTS);
		assert_int_equal(f.sport, nth_num(ex->field[l4s[i].sp], j));
		assert_int_equal(f.dport, nth_num(ex->field[l4s[i].dp], j));
	}
	if (!found)
		assert_false(f.flags & UDPCAP_FLOW_F_PORTS);
	if (l4 < l.n && !strcmp(l.tok[l4], "icmp"))
		assert_int_equal(f.proto, 1);
	if (l4 < l.n && !strcmp(l.tok[l4], "icmpv6"))
		assert_int_equal(f.proto, 58);
	*ret_flow = f;
}

static int is_reverse(const struct udpcap_flow *a, const struct udpcap_flow *b)
{
	return !memcmp(a->src, b->dst, 16) && !memcmp(a->dst, b->src, 16) &&
	       a->sport == b->dport && a->dport == b->sport && a->proto == b->proto &&
	       a->ethertype == b->ethertype && memcmp(a->src, a->dst, 16);
}

static void check_file(const char *path)
{
	static struct expect ex[MAX_PKTS];
	static struct udpcap_flow flows[MAX_PKTS];
	static uint32_t hashes[MAX_PKTS][2];
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct udpcap_encap enc = {.type = UDPCAP_ENCAP_VXLAN};
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int n, i = 0, rc, reversed = 0;

	if (strstr(name, "geneve-vxlan"))
		enc.type = UDPCAP_ENCAP_GENEVE_VXLAN;
	else if (strstr(name, "geneve"))
		enc.type = UDPCAP_ENCAP_GENEVE;
	else if (!strncmp(name, "link-", 5))
		enc.type = UDPCAP_ENCAP_RAW; /* no tunnel: the capture's packets themselves */

	n = run_tshark(path, ex, MAX_PKTS);
	pc = pcap_open_offline(path, err);
	if (!pc)
		fail_msg("%s: %s", path, err);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		const uint8_t *pl = NULL;
		uint32_t pllen = 0;

		assert_true(i < n);
		if (enc.type == UDPCAP_ENCAP_RAW) {
			int dlt = pcap_datalink(pc);

			enc.linktype = dlt == DLT_PPP	   ? UDPCAP_LINKTYPE_PPP
				       : dlt == DLT_EN10MB ? UDPCAP_LINKTYPE_EN10MB
							   : UDPCAP_LINKTYPE_RAW;
			pl = data;
			pllen = h->caplen;
		} else if (pcap_udp_payload(pcap_datalink(pc), data, h->caplen, &pl, &pllen,
					    NULL)) {
			fail_msg("%s #%d: no outer UDP", name, i + 1);
		}
		check_packet(name, i + 1, &enc, pl, pllen, &ex[i], &flows[i]);
		for (uint32_t m = 0; m < 2; m++)
			assert_int_equal(udpcap_steer(&enc, m, pl, pllen, &hashes[i][m]),
					 UDPCAP_DECAP_OK);
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(pc);
	assert_int_equal(i, n);
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++)
			if (is_reverse(&flows[a], &flows[b])) {
				reversed++;
				assert_int_equal(hashes[a][0], hashes[b][0]);
				assert_int_equal(hashes[a][1], hashes[b][1]);
			}
	printf("%s: %d packets match tshark; %d reverse-direction pairs hash alike\n", name, n,
	       reversed);
	files_checked++;
	packets_checked += n;
}

/* Outer Ethernet/IPv4/UDP to @dport around @payload. */
static void gen_outer(struct pkt *o, uint16_t dport, const struct pkt *payload)
{
	static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {192, 0, 2, 2};

	memset(o, 0, sizeof(*o));
	pkt_eth(o, 0x0800);
	pkt_be16(o, 0x4500);
	pkt_be16(o, (uint16_t)(28 + payload->len));
	pkt_be32(o, 0);
	pkt_be16(o, 0x4011);
	pkt_be16(o, 0);
	pkt_put(o, a, 4);
	pkt_put(o, b, 4);
	pkt_be16(o, 40000);
	pkt_be16(o, dport);
	pkt_be16(o, (uint16_t)(8 + payload->len));
	pkt_be16(o, 0);
	pkt_put(o, payload->b, payload->len);
}

/*
 * Our own captures, decoded by tshark like the real ones: GEN_PKTS random
 * flows (VLAN/QinQ, IPv4 options, IPv6 extension headers, fragments,
 * TCP/UDP/SCTP/ICMP) in VXLAN, in GENEVE (Ethernet or raw IP inside) and in
 * GENEVE+VXLAN over IPv4 with options or IPv6 with extension headers.
 */
static void gen_captures(const char *dir)
{
	static const char *const names[3] = {"tunnels-vxlan-gen.pcap", "tunnels-geneve-gen.pcap",
					     "tunnels-geneve-vxlan-gen.pcap"};
	uint64_t rs = 4789;

	for (int k = 0; k < 3; k++) {
		char path[4096];
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *dump;

		snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
		assert_non_null(dead);
		dump = pcap_dump_open(dead, path);
		assert_non_null(dump);
		struct tflow prev;

		memset(&prev, 0, sizeof(prev));
		for (int i = 0; i < GEN_PKTS; i++) {
			/* odd packets answer the one before: the reverse direction */
			struct tflow t = i % 4 == 1 ? tflow_reverse(&prev) : tflow_random(&rs);
			struct pkt in = {.len = 0}, tun = {.len = 0}, o;
			struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + i}};
			uint32_t vni = (uint32_t)pkt_rng(&rs) & 0xffffff;

			if (k == 1 && i % 2) {
				pkt_flow(&in, &t, UDPCAP_LINKTYPE_RAW);
				pkt_geneve(&tun, vni, t.family == 6 ? 0x86dd : 0x0800,
					   (int)(pkt_rng(&rs) % 6), &in);
			} else {
				pkt_flow(&in, &t, UDPCAP_LINKTYPE_EN10MB);
				if (k == 0)
					pkt_vxlan(&tun, vni, &in);
				else if (k == 1)
					pkt_geneve(&tun, vni, 0x6558, (int)(pkt_rng(&rs) % 6), &in);
				else
					pkt_gwlb(&tun, vni, (uint32_t)pkt_rng(&rs) & 0xffffff,
						 i % 2 ? 6 : 4, (int)(pkt_rng(&rs) % 3), &in);
			}
			prev = t;
			gen_outer(&o, k == 0 ? 4789 : 6081, &tun);
			h.caplen = h.len = (uint32_t)o.len;
			pcap_dump((u_char *)dump, &h, o.b);
		}
		pcap_dump_close(dump);
		pcap_close(dead);
	}
}

/*
 * No tunnel: the flows as PPP (with and without the 0xff03 address/control
 * bytes), raw IP and Ethernet captures, for listeners with raw/skip=N.
 */
static void gen_link_captures(const char *dir)
{
	static const struct {
		const char *name;
		int dlt, linktype;
	} files[3] = {
		{"link-ppp.pcap", DLT_PPP, UDPCAP_LINKTYPE_PPP},
		{"link-raw.pcap", DLT_RAW, UDPCAP_LINKTYPE_RAW},
		{"link-eth.pcap", DLT_EN10MB, UDPCAP_LINKTYPE_EN10MB},
	};
	uint64_t rs = 9;

	for (int k = 0; k < 3; k++) {
		char path[4096];
		pcap_t *dead = pcap_open_dead(files[k].dlt, 65535);
		pcap_dumper_t *dump;
		struct tflow prev;

		snprintf(path, sizeof(path), "%s/%s", dir, files[k].name);
		assert_non_null(dead);
		dump = pcap_dump_open(dead, path);
		assert_non_null(dump);
		memset(&prev, 0, sizeof(prev));
		for (int i = 0; i < GEN_PKTS / 2; i++) {
			struct tflow t = i % 4 == 1 ? tflow_reverse(&prev) : tflow_random(&rs);
			struct pkt p = {.len = 0};
			struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + i}};

			if (files[k].linktype == UDPCAP_LINKTYPE_PPP && i % 2) {
				pkt_be16(&p, t.family == 6 ? 0x0057 : 0x0021); /* no 0xff03 */
				pkt_flow(&p, &t, UDPCAP_LINKTYPE_RAW);
			} else {
				pkt_flow(&p, &t, files[k].linktype);
			}
			prev = t;
			h.caplen = h.len = (uint32_t)p.len;
			pcap_dump((u_char *)dump, &h, p.b);
		}
		pcap_dump_close(dump);
		pcap_close(dead);
	}
}

static void test_generated_captures(void **state)
{
	char dir[] = "/tmp/udpcap-parse-gen.XXXXXX";
	char pattern[4096], cmd[4200];
	glob_t g;

	(void)state;
	assert_non_null(mkdtemp(dir));
	gen_captures(dir);
	gen_link_captures(dir);
	snprintf(pattern, sizeof(pattern), "%s/*.pcap", dir);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 6);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_file(g.gl_pathv[i]);
	globfree(&g);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_tunnel_captures(void **state)
{
	const char *dir = *state;
	char pattern[4096];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/tunnels-*.pcap", dir);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_file(g.gl_pathv[i]);
	printf("%d files, %d packets\n", files_checked, packets_checked);
	assert_true(g.gl_pathc >= 9);
	globfree(&g);
}

int main(void)
{
	const char *dir = test_pcap_dir();

	if (system("tshark -v >/dev/null 2>&1") != 0)
		test_skip("tshark not found: cannot compare with an independent dissector");
	if (!dir) {
		/* our own captures still run; the shared ones are reported missing */
		fprintf(stderr, "WARNING: UDPCAP_PCAP_DIR (%s) not readable: shared captures "
			"missing, only generated ones checked\n",
			getenv("UDPCAP_PCAP_DIR") ? getenv("UDPCAP_PCAP_DIR") : "unset");
		const struct CMUnitTest gen_only[] = {
			cmocka_unit_test(test_generated_captures),
		};
		int r = cmocka_run_group_tests(gen_only, NULL, NULL);
		if (r)
			return r;
		test_skip("UDPCAP_PCAP_DIR not readable: the shared tunnel captures are missing");
	}

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_tunnel_captures, (void *)dir),
		cmocka_unit_test(test_generated_captures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
