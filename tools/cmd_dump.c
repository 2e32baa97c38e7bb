/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl dump: attach to a ring as its consumer and write what arrives
 * as a nanosecond pcap, like tcpdump -w. Runs until -c COUNT packets,
 * SIGINT/SIGTERM or --timeout; sleeps on the ring's wake-up descriptor when
 * idle; follows a restarted daemon to its new ring (udpcap_source, the same
 * logic the Zeek plugin uses).
 *
 * Like tcpdump it can roll over to a new file (-G SECONDS, -C MEGABYTES,
 * -W FILES, strftime patterns in the name), so a recorder keeps a bounded
 * history. A file is rotated only between two packets, and the packet that
 * triggers it is the new file's first: nothing is lost or written twice.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <udpcap/config.h>
#include <udpcap/ring.h>
#include <udpcap/source.h>

#include "sys_internal.h"
#include "ctl.h"
#include "udpcap-build.h"

#define SNAPLEN 65535
/* Under steady traffic there is no idle pass: look for write errors and show progress this often. */
#define ERROR_CHECK_EVERY 64
/*
 * Before arming the wake-up, an empty ring is looked at again after short
 * naps: under steady traffic the next batch is there by then, so the
 * producer almost never has to make a wake-up system call for us (each one
 * costs the daemon microseconds). Only a ring idle for NAP_COUNT * NAP_US
 * puts the dump to sleep on the descriptor.
 */
#define NAP_US 200
#define NAP_COUNT 5

struct dump_args {
	const char *ring;
	const char *out;
	const char *dir;
	const char *config; /* -f: the ring directory is its [rings] dir */
	uint64_t count;
	double timeout;	   /* seconds, 0 = none */
	uint16_t linktype; /* --linktype; 0 = the ring's */
	unsigned rotate_secs;  /* -G, 0 = never by time */
	uint64_t rotate_bytes; /* -C in bytes, 0 = never by size */
	unsigned files;	       /* -W, 0 = unbounded */
};

struct dump_state {
	const struct dump_args *a;
	struct udpcap_source *src;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint16_t linktype; /* of the file */
	char path[PATH_MAX]; /* the file being written */
	double file_opened;  /* udpcap_now_s() when it was opened */
	uint64_t file_bytes; /* its size so far */
	uint64_t file_pkts;
	unsigned files_opened;
	bool coarse_warned; /* -G names repeat: said once */
	uint64_t written;
	uint64_t other_linktype; /* records not written: another link type */
	uint64_t corrupt_seen;
	uint32_t reattaches; /* seen so far, to say "re-attached" once each */
	bool attached;
	bool producer_gone; /* said "producer gone" for the ring we hold */
	bool write_failed;
	bool reader_gone; /* -w - and the reading end closed: a normal way to stop */
	bool out_pipe;	  /* -w - into a pipe */
	bool tty;	  /* stderr is a terminal: show progress */
	bool progress_shown;
	double progress;  /* udpcap_now_s() when progress was last shown */
	double started;
};

static volatile sig_atomic_t stop_requested, report_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_requested = 1; /* tcpdump's habit: print the counts, go on */
	else
		stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udpcapctl dump RING [-w FILE|-] [-c COUNT] [-G SECONDS] [-C MEGABYTES]\n"
		"       [-W FILES] [-d RINGDIR | -f CONFIG] [--timeout SECONDS]\n"
		"\n"
		"Attach to RING (a name like worker-0, or a path) as its consumer and write its\n"
		"packets as a pcap file with nanosecond timestamps (tcpdump -r, tshark -r and\n"
		"Wireshark read it). Runs until COUNT packets, Ctrl-C/SIGTERM or the timeout.\n"
		"\n"
		"  -w FILE, --write FILE   output file; - for standard output (the default when\n"
		"                          standard output is not a terminal)\n"
		"  -c COUNT, --count COUNT stop after COUNT packets\n"
		"  -d, --dir RINGDIR       ring directory (default: the installed config's\n"
		"                          [rings] dir, else %s)\n"
		"  -f, --config FILE       take the ring directory from FILE's [rings] dir\n"
		"  --timeout SECONDS       stop after SECONDS\n"
		"  -G SECONDS              start a new file every SECONDS; FILE is a strftime\n"
		"                          pattern (e.g. rec-%%Y%%m%%d-%%H%%M%%S.pcap) expanded\n"
		"                          at each file's opening\n"
		"  -C MEGABYTES            start a new file before one would grow past\n"
		"                          MEGABYTES x 1,000,000 bytes; files are FILE, FILE1,\n"
		"                          FILE2, ... (fractions allowed)\n"
		"  -W FILES                with -C alone: keep FILES files, FILE0 .. FILE<N-1>,\n"
		"                          overwriting the oldest; with -G: stop after FILES\n"
		"                          files\n"
		"  --linktype TYPE         the file's link type: en10mb, raw, ppp or a LINKTYPE_\n"
		"                          number (default: the ring's, else the first packet's);\n"
		"                          packets of another link type are counted, not written\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage error, 4 permission denied, 5 no such\n"
		"ring, 6 another consumer holds the ring.\n",
		UDPCAP_DEFAULT_RING_DIR);
}

static void on_config_error(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "%s\n", message);
}

/*
 * Without -d, the ring directory of -f CONFIG, else of the installed config
 * when it exists (as stats finds the daemon), else libudpcap's default.
 * 0, or an exit status after a message.
 */
static int ring_dir_of(const struct dump_args *a, struct udpcap_config **ret)
{
	const char *path = a->config ? a->config : UDPCAP_DEFAULT_CONFIG;

	*ret = NULL;
	if (a->dir || (!a->config && access(path, F_OK) != 0))
		return 0;
	if (udpcap_config__load(path, on_config_error, NULL, ret) < 0) {
		if (!a->config) { /* the installed one is unusable: fall back, say so */
			fprintf(stderr, "udpcapctl dump: ignoring %s\n", path);
			return 0;
		}
		fprintf(stderr, "udpcapctl dump: cannot use config %s\n", path);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* A link type name libudpcap knows (en10mb, raw, ppp), or a LINKTYPE_ number. */
static int parse_linktype(const char *s, uint16_t *ret)
{
	unsigned long v;
	char *end;

	if (!udpcap_parse_linktype(s, ret))
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* -G/-C/-W make sense only together with a named file (message printed). */
static int check_rotation_args(const struct dump_args *a)
{
	if (!a->rotate_secs && !a->rotate_bytes) {
		if (a->files) {
			fprintf(stderr, "udpcapctl dump: -W needs -C or -G\n");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(a->out, "-")) {
		fprintf(stderr, "udpcapctl dump: -G and -C write files: give -w FILE, not -\n");
		return -EINVAL;
	}
	/* every file would truncate the one before */
	if (a->rotate_secs && !a->rotate_bytes && !strchr(a->out, '%')) {
		fprintf(stderr,
			"udpcapctl dump: -G %u: -w '%s' has no strftime pattern (e.g. "
			"%%Y%%m%%d-%%H%%M%%S), each file would overwrite the last\n",
			a->rotate_secs, a->out);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 for --help, or -EINVAL (message printed). */
static int parse_args(int argc, char **argv, struct dump_args *a)
{
	static const struct option longopts[] = {
	    {"write", required_argument, NULL, 'w'},
	    {"count", required_argument, NULL, 'c'},
	    {"dir", required_argument, NULL, 'd'},
	    {"config", required_argument, NULL, 'f'},
	    {"timeout", required_argument, NULL, 't'},
	    {"linktype", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	unsigned long long v;
	char *end;
	int opt;

	*a = (struct dump_args){0};
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":w:c:d:f:G:C:W:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			a->out = optarg;
			break;
		case 'c':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || v == 0) {
				fprintf(stderr, "udpcapctl dump: -c '%s': expected a count >= 1\n",
					optarg);
				return -EINVAL;
			}
			a->count = v;
			break;
		case 'G':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || v == 0 || v > 31536000) {
				fprintf(stderr,
					"udpcapctl dump: -G '%s': expected whole seconds >= 1\n",
					optarg);
				return -EINVAL;
			}
			a->rotate_secs = (unsigned)v;
			break;
		case 'C': {
			double mb;

			errno = 0;
			mb = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(mb * 1e6 >= 1) || mb > 1e9) {
				fprintf(stderr,
					"udpcapctl dump: -C '%s': expected megabytes > 0 (e.g. 100 "
					"or 0.5)\n",
					optarg);
				return -EINVAL;
			}
			a->rotate_bytes = (uint64_t)(mb * 1e6);
			break;
		}
		case 'W':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || v == 0 || v > 1000000) {
				fprintf(stderr,
					"udpcapctl dump: -W '%s': expected a file count 1..1000000\n",
					optarg);
				return -EINVAL;
			}
			a->files = (unsigned)v;
			break;
		case 'd':
			a->dir = optarg;
			break;
		case 'f':
			a->config = optarg;
			break;
		case 't':
			errno = 0;
			a->timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(a->timeout > 0) ||
			    a->timeout > 31536000) {
				fprintf(stderr,
					"udpcapctl dump: --timeout '%s': expected seconds > 0\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			if (parse_linktype(optarg, &a->linktype)) {
				fprintf(
				    stderr,
				    "udpcapctl dump: --linktype '%s': expected en10mb, raw, ppp or "
				    "a number 1..65535\n",
				    optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "udpcapctl dump: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "udpcapctl dump: unknown option '%s'\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "udpcapctl dump: %s\n",
			optind >= argc ? "which ring? give RING (e.g. worker-0)"
				       : "give exactly one RING");
		return -EINVAL;
	}
	a->ring = argv[optind];
	if (a->dir && a->config) {
		fprintf(stderr, "udpcapctl dump: give -d DIR or -f CONFIG, not both\n");
		return -EINVAL;
	}
	if (!a->out) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "udpcapctl dump: not writing a pcap to a terminal; "
					"use -w FILE (or -w - to force)\n");
			return -EINVAL;
		}
		a->out = "-";
	}
	return check_rotation_args(a);
}

/* The pcap file's DLT for a ring's LINKTYPE_* (libpcap maps DLT_RAW back to 101). */
static int linktype_to_dlt(uint16_t linktype)
{
	switch (linktype) {
	case UDPCAP_LINKTYPE_EN10MB:
		return DLT_EN10MB;
	case UDPCAP_LINKTYPE_PPP:
		return DLT_PPP;
	case UDPCAP_LINKTYPE_RAW:
		return DLT_RAW;
	default:
		return linktype;
	}
}

static unsigned decimal_width(unsigned v)
{
	unsigned w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

/*
 * The name of the next file, as tcpdump makes it: the -w pattern through
 * strftime() (with -G), then with -C a sequence number (from 0, padded and
 * wrapping at FILES with -W; the first file has none without -W).
 */
static int next_name(const struct dump_state *s, char *buf, size_t len)
{
	const struct dump_args *a = s->a;
	char base[PATH_MAX];
	unsigned seq = s->files_opened;
	int n;

	if (a->rotate_secs) {
		time_t t = time(NULL);
		struct tm tm;

		if (!localtime_r(&t, &tm))
			return -EINVAL;
		/* the pattern is the user's, as in tcpdump -G */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = (int)strftime(base, sizeof(base), a->out, &tm);
#pragma GCC diagnostic pop
		if (!n)
			return -ENAMETOOLONG;
	} else if (snprintf(base, sizeof(base), "%s", a->out) >= (int)sizeof(base)) {
		return -ENAMETOOLONG;
	}
	if (!a->rotate_bytes)
		n = snprintf(buf, len, "%s", base);
	else if (a->files)
		n = snprintf(buf, len, "%s%0*u", base, (int)decimal_width(a->files - 1),
			     a->rotate_secs ? seq : seq % a->files);
	else if (seq)
		n = snprintf(buf, len, "%s%u", base, seq);
	else
		n = snprintf(buf, len, "%s", base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Opens the next file (the first, or the one a rotation starts). */
static int open_file(struct dump_state *s, const char *path)
{
	s->dumper = pcap_dump_open(s->dead, path);
	if (!s->dumper) {
		/* libpcap's message names the file */
		fprintf(stderr, "udpcapctl dump: %s\n", pcap_geterr(s->dead));
		return -EIO;
	}
	if (path != s->path)
		snprintf(s->path, sizeof(s->path), "%s", path);
	s->file_opened = udpcap_now_s();
	s->file_bytes = 24; /* the pcap file header */
	s->file_pkts = 0;
	s->files_opened++;
	fprintf(stderr, "udpcapctl dump: writing %s, link-type %s, snapshot length %d bytes\n",
		strcmp(path, "-") ? path : "to standard output",
		pcap_datalink_val_to_name(linktype_to_dlt(s->linktype)) ?: "?", SNAPLEN);
	return 0;
}

static int open_output(struct dump_state *s, uint16_t linktype)
{
	char path[PATH_MAX];

	s->linktype = linktype;
	s->dead = pcap_open_dead_with_tstamp_precision(linktype_to_dlt(linktype), SNAPLEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!s->dead) {
		fprintf(stderr, "udpcapctl dump: out of memory\n");
		return -ENOMEM;
	}
	if (next_name(s, path, sizeof(path))) {
		fprintf(stderr, "udpcapctl dump: -w '%s': file name too long\n", s->a->out);
		return -ENAMETOOLONG;
	}
	return open_file(s, path);
}

/* Exit status for udpcap_source__open()'s error; the message names the ring's path. */
static int open_error(const struct dump_args *a, const struct udpcap_source_opts *o, int r)
{
	char msg[PATH_MAX + 256];

	fprintf(stderr, "udpcapctl dump: %s\n",
		udpcap_source__strerror(a->ring, o, r, msg, sizeof(msg)));
	if (r == -ENOENT)
		fprintf(stderr,
			"udpcapctl dump: looked in %s; a daemon with another [rings] dir: "
			"-f ITS_CONFIG or -d DIR ('udpcapctl rings' lists the rings)\n",
			o->dir ? o->dir : UDPCAP_DEFAULT_RING_DIR);
	switch (r) {
	case -ENOENT:
		return CTL_EXIT_UNKNOWN;
	case -EBUSY:
		return CTL_EXIT_BUSY;
	case -EACCES:
	case -EPERM:
		return CTL_EXIT_PERMISSION;
	default:
		return CTL_EXIT_FAILURE;
	}
}

/* 0, or -EIO after a write error (reported once); a closed pipe only stops. */
static int flush(struct dump_state *s)
{
	if (s->dumper && !s->write_failed && !s->reader_gone &&
	    (pcap_dump_flush(s->dumper) || ferror(pcap_dump_file(s->dumper)))) {
		if (errno == EPIPE) {
			s->reader_gone = true;
			stop_requested = 1;
			return 0;
		}
		fprintf(stderr, "udpcapctl dump: writing %s: %s\n", s->path, strerror(errno));
		s->write_failed = true;
	}
	return s->write_failed ? -EIO : 0;
}

static bool time_due(const struct dump_state *s)
{
	return s->a->rotate_secs && udpcap_now_s() - s->file_opened >= s->a->rotate_secs;
}

/* Whether a packet of @caplen must go into a new file. */
static bool rotation_due(const struct dump_state *s, uint32_t caplen)
{
	uint64_t rec = 16 + (caplen > SNAPLEN ? SNAPLEN : caplen);

	if (time_due(s))
		return true;
	/* a file holds at least one packet, however large */
	return s->a->rotate_bytes && s->file_pkts && s->file_bytes + rec > s->a->rotate_bytes;
}

/* -G with -W: the last file's time is up; stop before taking another packet. */
static bool files_done(const struct dump_state *s)
{
	return s->dumper && s->a->rotate_secs && s->a->files && s->files_opened >= s->a->files &&
	       time_due(s);
}

/* Closes the current file and opens the next; 0 or -EIO (message printed). */
static int rotate(struct dump_state *s)
{
	char path[PATH_MAX];

	if (next_name(s, path, sizeof(path))) {
		fprintf(stderr, "udpcapctl dump: -w '%s': file name too long\n", s->a->out);
		return -EIO;
	}
	if (!s->a->rotate_bytes && !strcmp(path, s->path)) {
		/* the pattern is coarser than -G: reopening would truncate the file */
		if (!s->coarse_warned)
			fprintf(stderr,
				"udpcapctl dump: warning: -w '%s' gives the same name again after "
				"%u s; writing on into %s\n",
				s->a->out, s->a->rotate_secs, path);
		s->coarse_warned = true;
		s->file_opened = udpcap_now_s();
		return 0;
	}
	if (flush(s))
		return -EIO;
	pcap_dump_close(s->dumper);
	s->dumper = NULL;
	return open_file(s, path);
}

/* 0, or -errno when the output could not be opened (message printed). */
static int write_pkt(struct dump_state *s, const struct udpcap_pkt *p)
{
	struct pcap_pkthdr h;

	/* a ring of mixed link types: the first packet decides the file's */
	if (!s->dumper && open_output(s, p->meta.linktype))
		return -EIO;
	if (p->meta.linktype != s->linktype) {
		if (!s->other_linktype++)
			fprintf(stderr,
				"udpcapctl dump: warning: ring '%s' carries link type %u packets; "
				"the file is link type %u: not writing those (counted)\n",
				s->a->ring, p->meta.linktype, s->linktype);
		return 0;
	}
	if (s->file_pkts && rotation_due(s, p->meta.caplen) && rotate(s))
		return -EIO;
	/* a nanosecond-precision pcap_t takes nanoseconds in tv_usec */
	h.ts.tv_sec = (time_t)(p->meta.ts_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(p->meta.ts_ns % 1000000000ull);
	h.caplen = p->meta.caplen > SNAPLEN ? SNAPLEN : p->meta.caplen;
	h.len = p->meta.origlen < h.caplen ? h.caplen : p->meta.origlen;
	pcap_dump((u_char *)s->dumper, &h, p->data);
	s->file_bytes += 16 + h.caplen;
	s->file_pkts++;
	s->written++;
	return 0;
}

/*
 * On a terminal, once a second: what was captured and what udpcap dropped,
 * on one line that rewrites itself (cleared before the final summary).
 */
static void show_progress(struct dump_state *s)
{
	struct udpcap_source_stats st = {0};
	double t;

	if (!s->tty)
		return;
	t = udpcap_now_s();
	if (t - s->progress < 1)
		return;
	udpcap_source__stats(s->src, &st);
	fprintf(stderr, "\r%" PRIu64 " packets captured, %" PRIu64 " dropped by udpcap, %.0f pps  ",
		s->written, st.dropped, t > s->started ? (double)s->written / (t - s->started) : 0);
	s->progress = t;
	s->progress_shown = true;
}

static void end_progress(struct dump_state *s)
{
	if (s->progress_shown)
		fputc('\n', stderr);
	s->progress_shown = false;
}

/*
 * Say what the source did while we were not looking: skipped corrupt
 * records, lost the ring (daemon stopped), followed the daemon to a new one.
 */
static void report_source_state(struct dump_state *s)
{
	struct udpcap_source_stats st;

	if (udpcap_source__stats(s->src, &st) < 0)
		return;
	if (st.corrupt > s->corrupt_seen) {
		end_progress(s);
		fprintf(stderr, "udpcapctl dump: ring '%s': %" PRIu64 " corrupt record(s) skipped\n",
			s->a->ring, st.corrupt - s->corrupt_seen);
		s->corrupt_seen = st.corrupt;
	}
	if (s->attached && !st.attached) {
		end_progress(s);
		fprintf(stderr, "udpcapctl dump: ring '%s' is gone (udpcapd restarting?); waiting for it\n",
			s->a->ring);
	}
	if (st.reattaches > s->reattaches) {
		end_progress(s);
		fprintf(stderr, "udpcapctl dump: re-attached to ring '%s'\n", s->a->ring);
	}
	if (st.reattaches > s->reattaches || !st.attached)
		s->producer_gone = false;
	s->attached = st.attached;
	s->reattaches = st.reattaches;
	if (st.attached && !s->producer_gone) {
		pid_t pid = 0;

		if (udpcap_source__producer_alive(s->src, &pid) == 0) {
			end_progress(s);
			fprintf(stderr,
				"udpcapctl dump: ring '%s': producer gone (pid %d); waiting for a "
				"new udpcapd\n",
				s->a->ring, (int)pid);
			s->producer_gone = true;
		}
	}
}

/*
 * Sleep on the source's descriptor (and, for -w - into a pipe, on the
 * pipe's write end, which polls POLLERR once the reader is gone) at most
 * @ms; the stop signals are deliverable only here.
 */
static void sleep_on_source(struct dump_state *s, int ms, const sigset_t *waitmask)
{
	struct pollfd pfd[2] = {
	    {.fd = udpcap_source__fd(s->src), .events = POLLIN},
	    {.fd = s->out_pipe ? STDOUT_FILENO : -1},
	};
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	if (ppoll(pfd, 2, &ts, waitmask) > 0 && (pfd[1].revents & (POLLERR | POLLHUP)))
		s->reader_gone = true;
}

/* Returns 0 when done (count, signal, timeout, reader gone), -errno on failure. */
static int capture(struct dump_state *s, const sigset_t *waitmask)
{
	const struct dump_args *a = s->a;
	double deadline = a->timeout ? udpcap_now_s() + a->timeout : 0;
	struct udpcap_pkt p;
	unsigned naps = 0;
	int r;

	while (!stop_requested && !s->reader_gone && !files_done(s) &&
	       (!a->count || s->written + s->other_linktype < a->count)) {
		if (report_requested) {
			struct udpcap_source_stats st = {0};

			report_requested = 0;
			udpcap_source__stats(s->src, &st);
			end_progress(s);
			fprintf(stderr, "%" PRIu64 " packets captured, %" PRIu64 " dropped by udpcap\n",
				s->written, st.dropped);
		}
		r = udpcap_source__next(s->src, &p);
		if (r == 1) {
			naps = 0;
			r = write_pkt(s, &p);
			udpcap_source__done(s->src);
			if (r)
				return -EIO;
			if ((s->written + s->other_linktype) % ERROR_CHECK_EVERY == 0) {
				if (s->dumper && ferror(pcap_dump_file(s->dumper)) && flush(s))
					return -EIO;
				show_progress(s);
			}
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "udpcapctl dump: ring '%s': %s\n", a->ring, strerror(-r));
			return r;
		}
		/* idle: flush what we have, nap, then sleep on the wake-up descriptor */
		show_progress(s);
		report_source_state(s);
		if (flush(s))
			return -EIO;
		if ((deadline && udpcap_now_s() >= deadline) || files_done(s))
			break;
		if (naps < NAP_COUNT) {
			struct timespec nap = {.tv_nsec = NAP_US * 1000};

			naps++;
			ppoll(NULL, 0, &nap, waitmask);
			continue;
		}
		naps = 0;
		r = udpcap_source__timeout(s->src);
		if (deadline) {
			double left_ms = (deadline - udpcap_now_s()) * 1e3 + 1;

			if (left_ms < r)
				r = left_ms < 0 ? 0 : (int)left_ms;
		}
		if (s->dumper && a->rotate_secs && a->files) {
			double left_ms = (s->file_opened + a->rotate_secs - udpcap_now_s()) * 1e3 + 1;

			if (left_ms < r)
				r = left_ms < 0 ? 0 : (int)left_ms;
		}
		sleep_on_source(s, r, waitmask);
	}
	report_source_state(s);
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct dump_args a;
	struct dump_state s = {.a = &a};
	struct udpcap_source_opts o = {.sz = sizeof(o)};
	struct udpcap_source_stats st = {0};
	sigset_t block, waitmask;
	struct udpcap_config *config = NULL;
	uint16_t linktype;
	int r, status = CTL_EXIT_OK;

	r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	r = ring_dir_of(&a, &config);
	if (r)
		return r;
	o.dir = a.dir ? a.dir : config ? config->rings.dir : NULL;

	/* the stop signals only interrupt ppoll(): no lost wake-up between check and sleep */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(a.out, "-")) {
		struct stat fst;

		s.out_pipe = !fstat(STDOUT_FILENO, &fst) && S_ISFIFO(fst.st_mode);
	}
	r = udpcap_source__open(a.ring, &o, &s.src);
	if (r)
		return open_error(&a, &o, r);
	fprintf(stderr, "udpcapctl dump: listening on ring '%s' (%s)\n", a.ring,
		udpcap_source__path(s.src));
	s.attached = true;
	linktype = a.linktype ? a.linktype : udpcap_source__linktype(s.src);
	if (linktype && open_output(&s, linktype)) {
		status = CTL_EXIT_FAILURE;
		goto out;
	}

	s.tty = isatty(STDERR_FILENO);
	s.started = s.progress = udpcap_now_s();
	if (capture(&s, &waitmask))
		status = CTL_EXIT_FAILURE;
	end_progress(&s);
	/* nothing arrived on a ring of mixed link types: an empty Ethernet capture */
	if (!s.dumper && open_output(&s, UDPCAP_LINKTYPE_EN10MB))
		status = CTL_EXIT_FAILURE;
	if (flush(&s))
		status = CTL_EXIT_FAILURE;
	udpcap_source__stats(s.src, &st);
	fprintf(stderr, "%" PRIu64 " packets captured, %" PRIu64 " dropped by udpcap\n", s.written,
		st.dropped);
	if (a.rotate_secs || a.rotate_bytes)
		fprintf(stderr, "%u files written\n", s.files_opened);
	if (s.other_linktype)
		fprintf(stderr,
			"%" PRIu64 " packets not written: link type differs from the file's\n",
			s.other_linktype);
	if (st.corrupt)
		fprintf(stderr, "%" PRIu64 " corrupt records skipped\n", st.corrupt);
out:
	if (s.dumper)
		pcap_dump_close(s.dumper);
	if (s.dead)
		pcap_close(s.dead);
	udpcap_source__close(s.src);
	udpcap_config__free(config);
	return status;
}
