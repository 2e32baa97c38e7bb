/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl replay: send a pcap's packets as VXLAN/GENEVE/GENEVE+VXLAN/raw
 * UDP datagrams — the project's own traffic generator.
 *
 * The whole capture is encapsulated into memory first, so the send loop is
 * nothing but sendmmsg() over prepared buffers (the benchmark measures the
 * receiver, not this tool). Every run is bounded: --loop and --count bound
 * the packets, --max-seconds (default 60) the time.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <udpcap/config.h>

#include "sys_internal.h"
#include "ctl.h"
#include "pcapio.h"
#include "replay_encap.h"

#define MAX_DATAGRAM 65507	/* largest UDP payload over IPv4 */
/* Bytes of prepared datagrams held at once: a capture that fits is loaded
 * whole and looped from memory; a larger one is streamed in chunks of this
 * size (tests shrink it with UDPCAPCTL_REPLAY_CHUNK). */
#define MAX_LOADED (512u << 20)
#define MAX_BATCH 1024
#define DEFAULT_POOL 64
#define NSEC_PER_SEC 1000000000ull

enum src_port_mode { SRC_FLOW, SRC_RANDOM, SRC_FIXED };

struct replay_args {
	const char *file;
	const char *to;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	struct replay_encap encap;
	bool have_encap, as_is, json;
	uint64_t rate, loops, count;
	enum src_port_mode src;
	uint16_t fixed_port;
	unsigned pool, batch;
	double max_seconds;
};

struct datagram {
	uint32_t off, len;
	uint32_t hash;
};

struct loaded {
	uint8_t *buf;
	size_t used, cap;
	struct datagram *d;
	size_t n, ncap;
	uint64_t input;
	uint64_t skipped[PCAPIO_SKIP__COUNT];
	uint64_t too_big;
	int dlt;
	pcap_t *pcap;	   /* open while streaming */
	size_t limit;	   /* MAX_LOADED, or the test override */
	bool eof;	   /* the capture has been read to its end */
	bool truncated;	   /* ... and that end was a cut-off record */
	char why[PCAP_ERRBUF_SIZE + 64];
};

struct result {
	uint64_t packets, bytes, errors, attempted;
	int first_errno;
	double elapsed;
	bool timed_out, interrupted;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: udpcapctl replay FILE.pcap --to HOST:PORT --encap "
	    "vxlan|geneve|geneve+vxlan|raw\n"
	    "                        [OPTIONS]\n"
	    "       udpcapctl replay FILE.pcap --to HOST:PORT --as-is [OPTIONS]\n"
	    "\n"
	    "Send every packet of FILE (any libpcap capture: Ethernet, raw IP, Linux cooked)\n"
	    "as one UDP datagram to HOST:PORT (IPv4 or IPv6, e.g. 127.0.0.1:4789, [::1]:6081).\n"
	    "\n"
	    "  --to HOST:PORT       destination (required)\n"
	    "  --encap TYPE         vxlan | geneve | geneve+vxlan (GENEVE, IPv4/UDP, VXLAN as\n"
	    "                       AWS GWLB + Traffic Mirroring send it) | raw (the packet "
	    "itself)\n"
	    "  --as-is              FILE holds captured tunnel traffic: strip its outer\n"
	    "                       Ethernet/IP/UDP headers and send the UDP payload unchanged\n"
	    "  --vni N              VXLAN/GENEVE VNI, 0..16777215 (default 1; not with\n"
	    "                       --as-is, which keeps the captured headers)\n"
	    "  --geneve-options N   add N GENEVE options of 12 bytes, 0..%d (default 0;\n"
	    "                       3 for geneve+vxlan, like GWLB)\n"
	    "  --src-port MODE      outer UDP source port: flow (from a hash of the inner flow,\n"
	    "                       stable per direction like a real VTEP; default), random\n"
	    "                       (per packet), fixed:N\n"
	    "  --sockets N          source ports in the flow/random pool (default %d)\n"
	    "  --rate PPS           packets per second (default 0: as fast as possible)\n"
	    "  --loop N             send the capture N times (default 1)\n"
	    "  --count N            stop after N packets (default: no limit but --loop)\n"
	    "  --max-seconds S      stop after S seconds (default 60)\n"
	    "  --batch N            datagrams per sendmmsg() (default 64, max %d)\n"
	    "  --json               print the summary as one JSON object\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Exit status: 0 all sent, 1 send errors or unreadable FILE, 2 usage error.\n",
	    REPLAY_GENEVE_MAX_OPTS, DEFAULT_POOL, MAX_BATCH);
}

/* Unsigned decimal in [min, max]; 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT"; HOST may be a name. 0 or -EINVAL (message printed). */
static int parse_dest(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char host[256];
	const char *port, *h = text;
	size_t hl;
	int r;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			goto bad;
		h = text + 1;
		hl = (size_t)(close - h);
		port = close + 2;
	} else {
		port = strrchr(text, ':');
		if (!port)
			goto bad;
		hl = (size_t)(port - text);
		port++;
	}
	if (hl == 0 || hl >= sizeof(host) || !*port)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	r = getaddrinfo(host, port, &hints, &res);
	if (r) {
		fprintf(stderr, "udpcapctl replay: --to %s: %s\n", text, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	fprintf(stderr, "udpcapctl replay: --to %s: expected HOST:PORT or [IPV6]:PORT\n", text);
	return -EINVAL;
}

/* libudpcap's encapsulation names, less skip=N (nothing to build for it). */
static int parse_encap(const char *s, enum udpcap_encap_type *ret)
{
	struct udpcap_encap e;

	if (udpcap_parse_encap(s, &e) || e.type == UDPCAP_ENCAP_SKIP)
		return -EINVAL;
	*ret = e.type;
	return 0;
}

static int parse_src_port(const char *s, struct replay_args *a)
{
	uint64_t v;

	if (!strcmp(s, "flow")) {
		a->src = SRC_FLOW;
		return 0;
	}
	if (!strcmp(s, "random")) {
		a->src = SRC_RANDOM;
		return 0;
	}
	if (!strncmp(s, "fixed:", 6) && !parse_u64(s + 6, 1, 65535, &v)) {
		a->src = SRC_FIXED;
		a->fixed_port = (uint16_t)v;
		return 0;
	}
	return -EINVAL;
}

enum {
	OPT_TO = 256,
	OPT_ENCAP,
	OPT_AS_IS,
	OPT_VNI,
	OPT_GENEVE_OPTS,
	OPT_SRC_PORT,
	OPT_SOCKETS,
	OPT_RATE,
	OPT_LOOP,
	OPT_COUNT,
	OPT_MAX_SECONDS,
	OPT_BATCH,
	OPT_JSON,
};

static int bad_value(const char *opt, const char *value, const char *expected)
{
	fprintf(stderr, "udpcapctl replay: %s '%s': expected %s\n", opt, value, expected);
	return -EINVAL;
}

/* Returns 0, 1 for --help (already printed), or -EINVAL (message printed). */
static int parse_args(int argc, char **argv, struct replay_args *a)
{
	static const struct option longopts[] = {
	    {"to", required_argument, NULL, OPT_TO},
	    {"encap", required_argument, NULL, OPT_ENCAP},
	    {"as-is", no_argument, NULL, OPT_AS_IS},
	    {"vni", required_argument, NULL, OPT_VNI},
	    {"geneve-options", required_argument, NULL, OPT_GENEVE_OPTS},
	    {"src-port", required_argument, NULL, OPT_SRC_PORT},
	    {"sockets", required_argument, NULL, OPT_SOCKETS},
	    {"rate", required_argument, NULL, OPT_RATE},
	    {"loop", required_argument, NULL, OPT_LOOP},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"max-seconds", required_argument, NULL, OPT_MAX_SECONDS},
	    {"batch", required_argument, NULL, OPT_BATCH},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool have_opts = false, have_vni = false;
	uint64_t v;
	char *end;
	int c;

	*a = (struct replay_args){
	    .encap = {.vni = 1},
	    .loops = 1,
	    .pool = DEFAULT_POOL,
	    .batch = 64,
	    .max_seconds = 60,
	};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TO:
			a->to = optarg;
			break;
		case OPT_ENCAP:
			if (parse_encap(optarg, &a->encap.type))
				return bad_value("--encap", optarg,
						 "vxlan, geneve, geneve+vxlan or raw");
			a->have_encap = true;
			break;
		case OPT_AS_IS:
			a->as_is = true;
			break;
		case OPT_VNI:
			if (parse_u64(optarg, 0, REPLAY_VNI_MAX, &v))
				return bad_value("--vni", optarg, "0..16777215");
			a->encap.vni = (uint32_t)v;
			have_vni = true;
			break;
		case OPT_GENEVE_OPTS:
			if (parse_u64(optarg, 0, REPLAY_GENEVE_MAX_OPTS, &v))
				return bad_value("--geneve-options", optarg, "0..21");
			a->encap.geneve_opts = (unsigned)v;
			have_opts = true;
			break;
		case OPT_SRC_PORT:
			if (parse_src_port(optarg, a))
				return bad_value("--src-port", optarg,
						 "flow, random or fixed:1..65535");
			break;
		case OPT_SOCKETS:
			if (parse_u64(optarg, 1, 1024, &v))
				return bad_value("--sockets", optarg, "1..1024");
			a->pool = (unsigned)v;
			break;
		case OPT_RATE:
			if (parse_u64(optarg, 0, 100000000, &v))
				return bad_value("--rate", optarg,
						 "packets per second, 0..100000000");
			a->rate = v;
			break;
		case OPT_LOOP:
			if (parse_u64(optarg, 1, UINT32_MAX, &v))
				return bad_value("--loop", optarg, "a count >= 1");
			a->loops = v;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, 1, UINT64_MAX / 2, &v))
				return bad_value("--count", optarg, "a count >= 1");
			a->count = v;
			break;
		case OPT_MAX_SECONDS:
			errno = 0;
			a->max_seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(a->max_seconds > 0) ||
			    a->max_seconds > 86400)
				return bad_value("--max-seconds", optarg,
						 "seconds, > 0 and <= 86400");
			break;
		case OPT_BATCH:
			if (parse_u64(optarg, 1, MAX_BATCH, &v))
				return bad_value("--batch", optarg, "1..1024");
			a->batch = (unsigned)v;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "udpcapctl replay: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "udpcapctl replay: unknown option '%s'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "udpcapctl replay: %s\n",
			optind >= argc ? "which capture? give FILE.pcap"
				       : "give exactly one FILE.pcap");
		return -EINVAL;
	}
	a->file = argv[optind];
	if (!a->to) {
		fprintf(stderr, "udpcapctl replay: --to HOST:PORT is required\n");
		return -EINVAL;
	}
	if (a->as_is == a->have_encap) {
		fprintf(stderr, "udpcapctl replay: give either --encap TYPE or --as-is\n");
		return -EINVAL;
	}
	/* --as-is sends the captured tunnel headers unchanged: nothing to set. */
	if (a->as_is && (have_vni || have_opts)) {
		fprintf(stderr,
			"udpcapctl replay: --%s applies to --encap only: --as-is sends the "
			"captured tunnel headers (and their VNI) unchanged\n",
			have_vni ? "vni" : "geneve-options");
		return -EINVAL;
	}
	if (!have_opts && a->encap.type == UDPCAP_ENCAP_GENEVE_VXLAN)
		a->encap.geneve_opts = 3;
	return parse_dest(a->to, &a->dst, &a->dst_len);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*p, ncap * elem);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

/* Prepare one captured packet's datagram. 0, or -errno for a fatal error. */
static int load_one(const struct replay_args *a, struct loaded *l, const uint8_t *pkt,
		    size_t caplen)
{
	struct pcapio_frame f;
	struct replay_encap e = a->encap;
	size_t off, len;
	uint32_t hash;
	int r;

	l->input++;
	if (pcapio_frame_init(l->dlt, pkt, caplen, &f)) {
		l->skipped[PCAPIO_SKIP_SHORT]++;
		return 0;
	}
	if (grow((void **)&l->buf, &l->cap, l->used + caplen + REPLAY_MAX_HEADER, 1) ||
	    grow((void **)&l->d, &l->ncap, l->n + 1, sizeof(*l->d)))
		return -ENOMEM;
	hash = replay_flow_hash(&f);
	if (a->as_is) {
		r = pcapio_udp_payload(&f, &off, &len);
		if (r) {
			l->skipped[r]++;
			return 0;
		}
		memcpy(l->buf + l->used, f.data + off, len);
		r = (int)len;
	} else {
		/* the middle UDP header of geneve+vxlan gets a per-flow port, like a VTEP's */
		e.inner_sport = (uint16_t)(49152 + hash % 16384);
		r = replay_encap_build(&e, &f, l->buf + l->used, l->cap - l->used);
		if (r == -EINVAL) {
			l->skipped[PCAPIO_SKIP_NOT_IP]++;
			return 0;
		}
		if (r < 0)
			return r;
	}
	if (r > MAX_DATAGRAM) {
		l->too_big++;
		return 0;
	}
	l->d[l->n++] =
	    (struct datagram){.off = (uint32_t)l->used, .len = (uint32_t)r, .hash = hash};
	l->used += (size_t)r;
	return 0;
}

/* Open the capture (again, for another --loop pass of a streamed one). */
static int load_open(const struct replay_args *a, struct loaded *l)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";

	if (l->pcap)
		pcap_close(l->pcap);
	l->eof = false;
	l->pcap = pcap_open_offline(a->file, errbuf);
	if (!l->pcap) {
		fprintf(stderr, "udpcapctl replay: %s\n", errbuf);
		return CTL_EXIT_FAILURE;
	}
	l->dlt = pcap_datalink(l->pcap);
	if (!pcapio_dlt_supported(l->dlt)) {
		fprintf(stderr,
			"udpcapctl replay: %s: link type %s is not supported (Ethernet, raw IP, "
			"Linux cooked and BSD loopback are)\n",
			a->file, pcap_datalink_val_to_name(l->dlt) ?: "?");
		return CTL_EXIT_FAILURE;
	}
	return 0;
}

/*
 * Replace what is loaded with the next chunk of the capture: up to l->limit
 * bytes of datagrams, or @want datagrams (0: no limit). A cut-off end of
 * the file ends the capture like its real end, noted in l->truncated.
 * Returns 0, or a CTL_EXIT_* status after printing why.
 */
static int load_chunk(const struct replay_args *a, struct loaded *l, uint64_t want)
{
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int r;

	l->used = 0;
	l->n = 0;
	while (!l->eof && !(l->n && l->used >= l->limit) && !(want && l->n >= want)) {
		r = pcap_next_ex(l->pcap, &h, &pkt);
		if (r == 1) {
			r = load_one(a, l, pkt, h->caplen);
			if (r) {
				fprintf(stderr, "udpcapctl replay: %s: packet %" PRIu64 ": %s\n",
					a->file, l->input, strerror(-r));
				return CTL_EXIT_FAILURE;
			}
		} else if (r == PCAP_ERROR_BREAK) {
			l->eof = true;
		} else {
			/* libpcap says "truncated dump file" for a record cut short */
			l->eof = l->truncated = true;
			snprintf(l->why, sizeof(l->why), "%s", pcap_geterr(l->pcap));
		}
	}
	return 0;
}

static void close_pool(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* Sockets of the destination's family, each on its own source port. */
static int open_pool(const struct replay_args *a, unsigned n, int **ret)
{
	struct sockaddr_storage src = {.ss_family = a->dst.ss_family};
	int *fds = calloc(n, sizeof(*fds));
	int one = 1, sndbuf = 4 << 20;

	if (!fds)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	if (a->src == SRC_FIXED) {
		if (src.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&src)->sin6_port = htons(a->fixed_port);
		else
			((struct sockaddr_in *)&src)->sin_port = htons(a->fixed_port);
	}
	for (unsigned i = 0; i < n; i++) {
		fds[i] = socket(a->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			goto fail;
		/* best effort: a bigger send buffer only saves blocking */
		setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		if (a->src == SRC_FIXED)
			setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fds[i], (struct sockaddr *)&src, a->dst_len) < 0)
			goto fail;
	}
	*ret = fds;
	return 0;
fail:
	fprintf(stderr, "udpcapctl replay: source socket%s: %s\n",
		a->src == SRC_FIXED ? " (--src-port fixed)" : "", strerror(errno));
	close_pool(fds, n);
	return -errno;
}

static void sleep_until(double t)
{
	struct timespec ts = {.tv_sec = (time_t)t};

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !stop_requested)
		;
}

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct sender {
	const struct replay_args *a;
	const struct loaded *l;
	double start; /* of the whole replay: pacing and --max-seconds span chunks */
	double progress; /* when progress was last shown (stderr a terminal) */
	bool progress_shown;
	int *fds;
	unsigned nfds;
	uint64_t rng;
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	unsigned sock[MAX_BATCH];
};

/* Send datagrams [i, i + k): consecutive ones sharing a socket go in one sendmmsg(). */
static void send_batch(struct sender *s, size_t i, unsigned k, struct result *res)
{
	const struct replay_args *a = s->a;
	unsigned j, run, done;
	int m;

	for (j = 0; j < k; j++) {
		const struct datagram *d = &s->l->d[i + j];

		s->iov[j] = (struct iovec){.iov_base = s->l->buf + d->off, .iov_len = d->len};
		s->msgs[j] = (struct mmsghdr){.msg_hdr = {
						  .msg_name = (void *)&a->dst,
						  .msg_namelen = a->dst_len,
						  .msg_iov = &s->iov[j],
						  .msg_iovlen = 1,
					      }};
		if (a->src == SRC_FIXED)
			s->sock[j] = 0;
		else if (a->src == SRC_FLOW)
			s->sock[j] = d->hash % s->nfds;
		else
			s->sock[j] = (unsigned)(xorshift64(&s->rng) % s->nfds);
	}
	for (j = 0; j < k; j += done) {
		for (run = 1; j + run < k && s->sock[j + run] == s->sock[j]; run++)
			;
		m = sendmmsg(s->fds[s->sock[j]], &s->msgs[j], run, 0);
		if (m < 0) {
			if (errno == EINTR && !stop_requested) {
				done = 0;
				continue;
			}
			/* count the datagram that failed and go on with the next */
			if (!res->first_errno)
				res->first_errno = errno;
			res->errors++;
			done = 1;
			continue;
		}
		done = (unsigned)m;
		for (unsigned x = 0; x < done; x++) {
			res->packets++;
			res->bytes += s->msgs[j + x].msg_len;
		}
		if (done == 0)
			done = 1, res->errors++;
	}
	res->attempted += k;
}

/* Send what is loaded, @loops times. False once the replay must stop. */
static bool run(struct sender *s, struct result *res, uint64_t loops)
{
	const struct replay_args *a = s->a;
	unsigned per_batch = a->batch;
	double start = s->start, t;
	bool go_on = false;
	bool tty = isatty(STDERR_FILENO);

	/* pace in steps of about a millisecond */
	if (a->rate && a->rate / 1000 < per_batch)
		per_batch = a->rate / 1000 ? (unsigned)(a->rate / 1000) : 1;
	for (uint64_t loop = 0; loop < loops && !res->timed_out; loop++) {
		for (size_t i = 0; i < s->l->n;) {
			unsigned k = per_batch;

			if (stop_requested) {
				res->interrupted = true;
				goto out;
			}
			if (a->count && res->attempted >= a->count)
				goto out;
			t = udpcap_now_s();
			if (t - start >= a->max_seconds) {
				res->timed_out = true;
				goto out;
			}
			if (a->count && a->count - res->attempted < k)
				k = (unsigned)(a->count - res->attempted);
			if (s->l->n - i < k)
				k = (unsigned)(s->l->n - i);
			if (a->rate)
				sleep_until(start + (double)res->attempted / (double)a->rate);
			/* progress on a terminal, once a second */
			if (tty && t - s->progress >= 1) {
				fprintf(stderr, "\r%" PRIu64 " packets sent, %.0f pps  ", res->packets,
					t > start ? (double)res->packets / (t - start) : 0);
				s->progress = t;
				s->progress_shown = true;
			}
			send_batch(s, i, k, res);
			i += k;
		}
	}
	go_on = !(a->count && res->attempted >= a->count);
out:
	res->elapsed = udpcap_now_s() - start;
	return go_on;
}

/* One JSON object on stdout (json-c: file names may hold any byte). */
static void report_json(const struct replay_args *a, const struct loaded *l, const struct result *r,
			uint64_t skipped, double pps)
{
	struct json_object *o = json_object_new_object(), *why = json_object_new_object();
	const struct {
		const char *key;
		uint64_t v;
	} counts[] = {
	    {"input_packets", l->input}, {"datagrams", l->n},	{"packets", r->packets},
	    {"bytes", r->bytes},	 {"errors", r->errors}, {"skipped", skipped},
	};

	if (!o || !why) {
		json_object_put(o);
		json_object_put(why);
		fprintf(stderr, "udpcapctl replay: out of memory\n");
		return;
	}
	json_object_object_add(o, "file", json_object_new_string(a->file));
	json_object_object_add(o, "to", json_object_new_string(a->to));
	json_object_object_add(
	    o, "encap",
	    json_object_new_string(a->as_is ? "as-is" : udpcap_encap_name(a->encap.type)));
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_object_object_add(o, counts[i].key, json_object_new_uint64(counts[i].v));
	json_object_object_add(o, "elapsed_s", json_object_new_double(r->elapsed));
	json_object_object_add(o, "pps", json_object_new_double(pps));
	json_object_object_add(o, "timed_out", json_object_new_boolean(r->timed_out));
	json_object_object_add(o, "interrupted", json_object_new_boolean(r->interrupted));
	for (int i = 1; i < PCAPIO_SKIP__COUNT; i++)
		json_object_object_add(why, pcapio_skip_name(i),
				       json_object_new_uint64(l->skipped[i]));
	json_object_object_add(why, "too_big", json_object_new_uint64(l->too_big));
	json_object_object_add(o, "skipped_by_reason", why);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void report(const struct replay_args *a, const struct loaded *l, const struct result *r)
{
	double pps = r->elapsed > 0 ? (double)r->packets / r->elapsed : 0;
	uint64_t skipped = l->too_big;
	bool first = true;

	for (int i = 1; i < PCAPIO_SKIP__COUNT; i++)
		skipped += l->skipped[i];
	if (a->json) {
		report_json(a, l, r, skipped, pps);
		return;
	}
	printf("sent %" PRIu64 " packets (%" PRIu64 " bytes) to %s as %s in %.3f s, %.0f pps; "
	       "%" PRIu64 " errors\n",
	       r->packets, r->bytes, a->to, a->as_is ? "as-is" : udpcap_encap_name(a->encap.type),
	       r->elapsed, pps, r->errors);
	if (skipped) {
		printf("skipped %" PRIu64 " of %" PRIu64 " captured packets (", skipped, l->input);
		for (int i = 1; i < PCAPIO_SKIP__COUNT; i++) {
			if (l->skipped[i]) {
				printf("%s%s %" PRIu64, first ? "" : ", ", pcapio_skip_name(i),
				       l->skipped[i]);
				first = false;
			}
		}
		if (l->too_big)
			printf("%stoo_big %" PRIu64, first ? "" : ", ", l->too_big);
		printf(")\n");
	}
}

int cmd_replay(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct replay_args a;
	struct loaded l = {0};
	struct result res = {0};
	struct sender *s = NULL;
	int status, r;

	r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	l.limit = MAX_LOADED;
	if (getenv("UDPCAPCTL_REPLAY_CHUNK"))
		l.limit = (size_t)strtoull(getenv("UDPCAPCTL_REPLAY_CHUNK"), NULL, 10) ?: MAX_LOADED;
	status = load_open(&a, &l);
	if (!status)
		status = load_chunk(&a, &l, a.loops == 1 ? a.count : 0);
	if (status)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s) {
		status = CTL_EXIT_FAILURE;
		goto out;
	}
	s->a = &a;
	s->l = &l;
	s->nfds = a.src == SRC_FIXED ? 1 : a.pool;
	if (getrandom(&s->rng, sizeof(s->rng), 0) != sizeof(s->rng) || !s->rng)
		s->rng = (uint64_t)time(NULL) | 1;
	if (open_pool(&a, s->nfds, &s->fds)) {
		status = CTL_EXIT_FAILURE;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s->start = s->progress = udpcap_now_s();
	if (l.eof) {
		/* all of it in memory: loop from there */
		if (l.n)
			run(s, &res, a.loops);
	} else {
		/* larger than memory allows: stream it, reading it again for each pass */
		struct loaded first = l;
		bool go_on = true;

		for (uint64_t pass = 0; go_on && pass < a.loops; pass++) {
			if (pass && (status = load_open(&a, &l)) == 0)
				status = load_chunk(&a, &l, 0);
			while (!status && (go_on = run(s, &res, 1)) && !l.eof)
				status = load_chunk(&a, &l, 0);
			if (pass == 0)
				first = l; /* the report counts the capture once */
			if (status)
				break;
		}
		memcpy(l.skipped, first.skipped, sizeof(l.skipped));
		l.input = first.input;
		l.too_big = first.too_big;
	}
	if (s->progress_shown)
		fputc('\n', stderr);
	report(&a, &l, &res);
	if (res.timed_out)
		fprintf(stderr, "udpcapctl replay: stopped after --max-seconds %g\n",
			a.max_seconds);
	if (status)
		goto close;
	if (l.truncated)
		fprintf(stderr,
			"udpcapctl replay: %s is truncated after %" PRIu64
			" packets (%s); sent what it holds\n",
			a.file, l.input, l.why);
	if (a.as_is && !res.packets && !res.errors) {
		fprintf(stderr,
			"udpcapctl replay: --as-is found no UDP datagram to send in %s (%" PRIu64
			" packets read); is it a capture of tunnel traffic?\n",
			a.file, l.input);
		status = CTL_EXIT_FAILURE;
		goto close;
	}
	status = CTL_EXIT_OK;
	if (res.errors) {
		fprintf(stderr,
			"udpcapctl replay: %" PRIu64 " datagrams not sent (first error: %s)\n",
			res.errors, strerror(res.first_errno ? res.first_errno : EIO));
		status = CTL_EXIT_FAILURE;
	}
	if (l.truncated)
		status = CTL_EXIT_FAILURE;
close:
	close_pool(s->fds, s->nfds);
out:
	if (l.pcap)
		pcap_close(l.pcap);
	free(s);
	free(l.buf);
	free(l.d);
	return status;
}
