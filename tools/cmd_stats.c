/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl stats: where packets go, per listener and per ring: received,
 * delivered, bytes, every non-zero drop reason (socket overflow included),
 * steering mode and its parse failures, consumer and fill; then totals.
 * --json prints the daemon's reply as is; --watch prints rates per second
 * between samples.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sys_internal.h"
#include "ctl.h"
#include "ctl_client.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: udpcapctl stats [OPTIONS]\n"
	    "\n"
	    "Counters of the running udpcapd per listener, per ring and per TAP output:\n"
	    "received, delivered, bytes, each drop reason, steering mode, consumer and ring\n"
	    "fill, TAP state.\n"
	    "\n"
	    "Options:\n" CTL_TARGET_HELP
	    "      --json          print the daemon's JSON reply (schema: control-protocol.md)\n"
	    "      --watch SECONDS sample every SECONDS and print rates per second, until\n"
	    "                      Ctrl-C\n"
	    "  -c, --count N       with --watch: stop after N rate samples\n"
	    "  -r, --ring NAME     only this ring (exit 5 if there is none)\n"
	    "  -h, --help          this help\n");
}

/* Rate of @key between @prev and @cur per second (0 if it went down: a restart). */
static double rate_of(struct json_object *cur, struct json_object *prev, const char *key,
		      double secs)
{
	uint64_t now = ctl_u64(cur, key), before = prev ? ctl_u64(prev, key) : 0;

	return now >= before ? (double)(now - before) / secs : 0;
}

/* One column: the exact counter, or its rate when watching (secs > 0). */
static void print_counter(struct json_object *cur, struct json_object *prev, const char *key,
			  double secs, int width)
{
	if (secs > 0)
		printf(" %*.1f", width, rate_of(cur, prev, key, secs));
	else
		printf(" %*" PRIu64, width, ctl_u64(cur, key));
}

/* " reason=N" (or " reason=R/s") for each non-zero member of @obj; @none if none. */
static void print_reasons(struct json_object *obj, struct json_object *pobj, double secs,
			  const char *none)
{
	bool any = false;

	if (obj && json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, reason, v)
		{
			(void)v;
			if (secs > 0 && rate_of(obj, pobj, reason, secs) != 0)
				printf(" %s=%.1f/s", reason, rate_of(obj, pobj, reason, secs));
			else if (secs <= 0 && ctl_u64(obj, reason))
				printf(" %s=%" PRIu64, reason, ctl_u64(obj, reason));
			else
				continue;
			any = true;
		}
	}
	printf("%s\n", any ? "" : none);
}

static struct json_object *find_named(struct json_object *array, const char *name)
{
	size_t n = array ? json_object_array_length(array) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(array, i);

		if (!strcmp(ctl_str(o, "name"), name))
			return o;
	}
	return NULL;
}

static void print_header(struct json_object *s, struct json_object *prev, double secs)
{
	uint64_t up = ctl_u64(s, "uptime_ns") / 1000000000u;

	printf("udpcapd %s, up %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
	       ", steering %s (hash %s), backend %s\n",
	       ctl_str(s, "version"), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
	       ctl_str(s, "steering"), ctl_str(s, "hash"), ctl_str(s, "backend"));
	if (ctl_str(s, "steering_why")[0])
		printf("steering: %s\n", ctl_str(s, "steering_why"));
	printf("steering could not parse:");
	print_reasons(ctl_get(s, "steering_unparsed"), ctl_get(prev, "steering_unparsed"), secs,
		      " none");
	printf("\n");
}

/* LABEL RECEIVED DELIVERED BYTES DROPS: a listener or the totals. */
static void print_listener_row(const char *label, struct json_object *cur, struct json_object *prev,
			       double secs)
{
	printf("%-16s", label);
	print_counter(cur, prev, "received", secs, 14);
	print_counter(cur, prev, "delivered", secs, 14);
	print_counter(cur, prev, "bytes", secs, 16);
	print_reasons(ctl_get(cur, "drops"), ctl_get(prev, "drops"), secs, " -");
}

static void print_table(struct json_object *s, struct json_object *prev, double secs)
{
	struct json_object *listeners = ctl_get(s, "listeners"), *rings = ctl_get(s, "rings");
	const char *rate = secs > 0 ? "/s" : "";
	char received[16], delivered[16], bytes[16];

	snprintf(received, sizeof(received), "RECEIVED%s", rate);
	snprintf(delivered, sizeof(delivered), "DELIVERED%s", rate);
	snprintf(bytes, sizeof(bytes), "BYTES%s", rate);

	print_header(s, prev, secs);
	printf("%-16s %14s %14s %16s  DROPS%s\n", "LISTENER", received, delivered, bytes, rate);
	for (size_t i = 0; listeners && i < json_object_array_length(listeners); i++) {
		struct json_object *l = json_object_array_get_idx(listeners, i);

		print_listener_row(ctl_str(l, "name"), l,
				   find_named(ctl_get(prev, "listeners"), ctl_str(l, "name")),
				   secs);
	}
	print_listener_row("TOTAL", ctl_get(s, "totals"), ctl_get(prev, "totals"), secs);

	printf("\n%-16s %14s %16s %7s %9s  DROPS%s\n", "RING", delivered, bytes, "FILL", "CONSUMER",
	       rate);
	for (size_t i = 0; rings && i < json_object_array_length(rings); i++) {
		struct json_object *r = json_object_array_get_idx(rings, i);
		struct json_object *p = find_named(ctl_get(prev, "rings"), ctl_str(r, "name"));
		char pid[16] = "-";

		if (ctl_u64(r, "consumer_pid"))
			snprintf(pid, sizeof(pid), "%" PRIu64, ctl_u64(r, "consumer_pid"));
		printf("%-16s", ctl_str(r, "name"));
		print_counter(r, p, "delivered", secs, 14);
		print_counter(r, p, "bytes", secs, 16);
		printf(" %6.1f%% %9s", 100 * ctl_double(r, "fill"), pid);
		print_reasons(ctl_get(r, "drops"), ctl_get(p, "drops"), secs, " -");
	}

	/* TAP outputs: what was written to the device (its readers count their own drops) */
	struct json_object *taps = ctl_get(s, "taps");

	if (!taps || !json_object_array_length(taps))
		return;
	snprintf(delivered, sizeof(delivered), "WRITTEN%s", rate);
	printf("\n%-16s %-16s %14s %16s %-10s DROPS%s\n", "TAP", "INTERFACE", delivered, bytes,
	       "STATE", rate);
	for (size_t i = 0; i < json_object_array_length(taps); i++) {
		struct json_object *t = json_object_array_get_idx(taps, i);
		struct json_object *p = find_named(ctl_get(prev, "taps"), ctl_str(t, "name"));
		struct json_object *up = ctl_get(t, "up"), *carrier = ctl_get(t, "carrier");

		printf("%-16s %-16s", ctl_str(t, "name"), ctl_str(t, "interface"));
		print_counter(t, p, "delivered", secs, 14);
		print_counter(t, p, "bytes", secs, 16);
		printf(" %-10s", !json_object_get_boolean(up)	    ? "down"
				: !json_object_get_boolean(carrier) ? "no-carrier"
								    : "up");
		print_reasons(ctl_get(t, "drops"), ctl_get(p, "drops"), secs, " -");
	}
}

/* Sleep @secs unless interrupted by Ctrl-C: false when interrupted. */
static bool nap(double secs)
{
	struct timespec ts = {.tv_sec = (time_t)secs,
			      .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};

	while (!interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return !interrupted;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'f'}, {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},	      {"watch", required_argument, NULL, 'W'},
	    {"count", required_argument, NULL, 'c'},  {"ring", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},	      {},
	};
	struct json_object *cur = NULL, *prev = NULL;
	struct ctl_target target = {};
	const char *ring = NULL;
	double watch = 0, t_prev = 0;
	long count = -1;
	bool json = false;
	struct ctl_conn conn;
	char *end, *line;
	int opt, r;

	optind = 1;
	/* -c is a count and -w a file in every command: --watch has no short form */
	while ((opt = getopt_long(argc, argv, "f:s:c:r:h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'W':
			watch = strtod(optarg, &end);
			if (*end || !(watch >= 0.01 && watch <= 86400)) {
				fprintf(stderr,
					"udpcapctl stats: --watch wants seconds (0.01 to 86400), "
					"not '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(
				    stderr,
				    "udpcapctl stats: --count wants a positive number, not '%s'\n",
				    optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'r':
			ring = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			if (ctl_target_option(&target, opt, optarg))
				break;
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "udpcapctl stats: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (target.config && target.socket) {
		fprintf(stderr, "udpcapctl stats: -f and -s exclude each other\n");
		return CTL_EXIT_USAGE;
	}
	if (count > 0 && watch == 0) {
		fprintf(stderr, "udpcapctl stats: --count needs --watch\n");
		return CTL_EXIT_USAGE;
	}

	r = ctl_connect(&target, &conn);
	if (r != CTL_EXIT_OK)
		return r;
	if (watch > 0) {
		struct sigaction sa = {.sa_handler = on_sigint};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	/* watching: the first sample prints totals, each later one rates */
	for (long n = 0; count < 0 || n <= count; n++) {
		double t;

		if (n > 0 && !nap(watch))
			break;
		r = ctl_call(&conn, "stats", ring, &cur, &line);
		if (r != CTL_EXIT_OK)
			break;
		t = udpcap_now_s();
		if (json) {
			printf("%s\n", line);
		} else {
			if (n > 0)
				printf("\n--- rates over %.2f s ---\n", t - t_prev);
			print_table(cur, prev, n > 0 ? t - t_prev : 0);
		}
		fflush(stdout);
		free(line);
		json_object_put(prev);
		prev = cur;
		cur = NULL;
		t_prev = t;
		if (watch == 0)
			break;
	}
	json_object_put(prev);
	ctl_close(&conn);
	return r;
}
