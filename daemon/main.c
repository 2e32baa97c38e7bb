/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: command line, start-up order, the main thread's signal loop
 * and shutdown.
 *
 * Start-up: config -> ring directory locked, listen addresses checked free
 * -> sockets bound and steering attached -> rings ->
 * drop all capabilities (before any thread exists, so every thread runs
 * without) -> control socket and metrics -> receiver threads -> READY.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rx/dedup.h"
#include "rx/tap.h"
#include "obs/control.h"
#include "obs/health.h"
#include "obs/metrics.h"
#include "obs/stats.h"
#include "udpcap-build.h"
#include "udpcapd.h"

/* How often STATUS= is refreshed for systemctl status. */
#define STATUS_INTERVAL_NS (10ull * 1000 * 1000 * 1000)
/* How often the data path is sampled for /healthz and /readyz. */
#define HEALTH_TICK_MS 200

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpcapd [OPTIONS]\n"
		"Receive VXLAN/GENEVE/raw UDP tunnel traffic and feed shared-memory rings.\n\n"
		"  -c, --config FILE    configuration file (default %s)\n"
		"  -t, --check-config   validate the configuration and exit\n"
		"      --ready-fd N     when ready, write the bound listeners, rings and TAPs\n"
		"                       to descriptor N, then \"READY\", and close it\n"
		"  -V, --version        print the version and exit\n"
		"  -h, --help           print this help and exit\n\n"
		"Runs in the foreground. Signals: SIGTERM/SIGINT stop, SIGHUP reloads\n"
		"allow-lists, VNI filters and the log level, SIGUSR1 logs all counters.\n",
		UDPCAP_DEFAULT_CONFIG);
}

static void print_config_error(void *ctx, const char *message)
{
	(void)ctx;
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", strstr(message, ": notice: ") ? LOG_NOTICE : LOG_ERR,
			message);
	else
		fprintf(stderr, "%s\n", message);
}

static void write_ready(struct udpcapd *d)
{
	unsigned i;
	FILE *f;

	if (d->ready_fd < 0)
		return;
	f = fdopen(d->ready_fd, "w");
	if (!f) {
		log_warning("--ready-fd %d: %m", d->ready_fd);
		return;
	}
	for (i = 0; i < d->nlisteners; i++)
		fprintf(f, "listener %s %s\n", d->listeners[i].name, d->listeners[i].listen);
	for (i = 0; i < d->nrings; i++)
		fprintf(f, "ring %s %s\n", d->ring_names[i], udpcap_ring__path(d->rings[i]));
	for (i = 0; i < d->ngroups; i++)
		for (unsigned j = 0; j < d->groups[i].nrings; j++)
			fprintf(f, "ring %s %s %s\n", d->groups[i].ring_names[j],
				udpcap_ring__path(d->groups[i].rings[j]), d->groups[i].cfg->name);
	for (i = 0; i < d->ntaps; i++)
		fprintf(f, "tap %s %s %u\n", d->taps[i].cfg->name, d->taps[i].cfg->interface,
			d->taps[i].nqueues);
	fprintf(f, "READY\n");
	fclose(f);
	d->ready_fd = -1;
}

static void notify_status(struct udpcapd *d)
{
	struct udpcapd_stats s;
	uint64_t drops = 0;
	unsigned i;

	if (udpcapd_stats_collect(d, &s) < 0)
		return;
	for (i = 0; i < UDPCAPD_DROP__COUNT; i++)
		drops += s.totals.drops[i];
	udpcapd_notifyf("STATUS=running: %u listeners, %u rings, steering %s; received %llu, "
			"delivered %llu, dropped %llu",
			d->nlisteners, d->nrings, s.steering, (unsigned long long)s.totals.received,
			(unsigned long long)s.totals.delivered, (unsigned long long)drops);
	udpcapd_stats_free(&s);
}

static int alloc_state(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	unsigned i;

	d->nrings = cfg->rings.count;
	d->nlisteners = (unsigned)cfg->listener_count;
	d->rings = calloc(d->nrings, sizeof(*d->rings));
	d->ring_names = calloc(d->nrings, sizeof(*d->ring_names));
	d->listeners = calloc(d->nlisteners, sizeof(*d->listeners));
	d->counters = aligned_alloc(64, sizeof(*d->counters) * d->nlisteners * d->nrings);
	if (!d->rings || !d->ring_names || !d->listeners || !d->counters)
		return -ENOMEM;
	memset(d->counters, 0, sizeof(*d->counters) * d->nlisteners * d->nrings);
	d->ngroups = (unsigned)cfg->ring_group_count;
	d->groups = calloc(d->ngroups ? d->ngroups : 1, sizeof(*d->groups));
	if (!d->groups)
		return -ENOMEM;
	for (i = 0; i < d->ngroups; i++) {
		struct udpcapd_group *g = &d->groups[i];
		size_t cells = (size_t)d->nlisteners * cfg->ring_groups[i].count;

		g->d = d;
		g->cfg = &cfg->ring_groups[i];
		g->nrings = g->cfg->count;
		g->rings = calloc(g->nrings, sizeof(*g->rings));
		g->ring_names = calloc(g->nrings, sizeof(*g->ring_names));
		g->counters = aligned_alloc(64, sizeof(*g->counters) * cells);
		if (!g->rings || !g->ring_names || !g->counters)
			return -ENOMEM;
		memset(g->counters, 0, sizeof(*g->counters) * cells);
	}
	for (i = 0; i < d->nlisteners; i++) {
		const struct udpcap_config_listener *cl = &cfg->listeners[i];
		struct udpcapd_listener *l = &d->listeners[i];

		snprintf(l->name, sizeof(l->name), "%s", cl->name);
		l->encap = cl->encap;
		l->addr = cl->addr;
		l->addr_len = cl->addr_len;
		l->filter = udpcapd_filter_new(cl);
		if (!l->filter)
			return -ENOMEM;
	}
	return 0;
}

/* [dedup]: one table per ring, owned by the ring's receiver thread. */
static int dedup_create(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	unsigned i;

	if (!cfg->dedup.window_us)
		return 0;
	d->dedup = calloc(d->nrings, sizeof(*d->dedup));
	if (!d->dedup)
		return -ENOMEM;
	for (i = 0; i < d->nrings; i++) {
		d->dedup[i] = udpcapd_dedup_new((uint64_t)cfg->dedup.window_us * 1000,
						cfg->dedup.ring_pps);
		if (!d->dedup[i])
			return -ENOMEM;
	}
	log_info("dedup: copies within %u us dropped as 'duplicate'; %zu entries per ring "
		 "(for %u packets/s)",
		 cfg->dedup.window_us, udpcapd_dedup_entries(d->dedup[0]), cfg->dedup.ring_pps);
	return 0;
}

static void free_state(struct udpcapd *d)
{
	unsigned i;

	for (i = 0; d->dedup && i < d->nrings; i++)
		udpcapd_dedup_free(d->dedup[i]);
	free(d->dedup);
	d->dedup = NULL;

	udpcapd_threads_free(d);
	udpcapd_sockets_close(d);
	for (i = 0; d->listeners && i < d->nlisteners; i++)
		udpcapd_filter_free(d->listeners[i].filter);
	free(d->listeners);
	free(d->rings);
	free(d->ring_names);
	free(d->counters);
	for (i = 0; d->groups && i < d->ngroups; i++) {
		free(d->groups[i].rings);
		free(d->groups[i].ring_names);
		free(d->groups[i].counters);
	}
	free(d->groups);
}

static int open_signalfd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* Blocked here, before any thread starts, so every thread inherits the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* The main loop: signals, watchdog, status. Returns the exit status. */
static int main_loop(struct udpcapd *d, int sfd)
{
	unsigned wd_ms = udpcapd_watchdog_interval_ms();
	uint64_t last_wd = udpcap_now_ns(CLOCK_MONOTONIC), last_status = last_wd;
	int timeout = wd_ms && wd_ms < HEALTH_TICK_MS ? (int)wd_ms : HEALTH_TICK_MS;

	for (;;) {
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;
		uint64_t now;
		unsigned i;

		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			log_error("poll: %m");
			return 1;
		}
		now = udpcap_now_ns(CLOCK_MONOTONIC);
		udpcapd_health_tick(d);
		udpcapd_taps_tick(d);
		if (wd_ms && now - last_wd >= (uint64_t)wd_ms * 1000000) {
			udpcapd_notify("WATCHDOG=1");
			last_wd = now;
		}
		if (now - last_status >= STATUS_INTERVAL_NS) {
			notify_status(d);
			last_status = now;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				for (i = 0; i < d->nthreads; i++)
					if (d->threads[i].error)
						return 1;
				log_notice("%s received, stopping", strsignal((int)si.ssi_signo));
				return 0;
			case SIGHUP:
				udpcapd_reload(d);
				break;
			case SIGUSR1:
				udpcapd_stats_log(d);
				break;
			default:
				break;
			}
		}
	}
}

/* "16G", "4.1T": bytes in the largest unit they reach, for messages. */
static const char *size_text(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = (double)bytes;
	int u = -1;

	while (u < 4 && v >= 1024) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

/*
 * What the file alone cannot tell: the groups it names exist here, and the
 * rings fit the ring directory's filesystem (on tmpfs, rings larger than
 * the filesystem would be created and then kill the daemon with SIGBUS
 * once written). Reports each problem as "FILE: what"; returns how many.
 */
static unsigned host_checks(const struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	char dir[4096], a[32], b[32], c[32];
	struct statvfs vfs;
	unsigned problems = 0;
	uint64_t need, have;
	gid_t gid;

	if (cfg->rings.group && udpcapd_group_lookup(cfg->rings.group, &gid) < 0) {
		fprintf(stderr, "%s: [rings] group = %s: no such group on this host\n",
			d->config_path, cfg->rings.group);
		problems++;
	}
	if (cfg->control.group && udpcapd_group_lookup(cfg->control.group, &gid) < 0) {
		fprintf(stderr, "%s: [control] group = %s: no such group on this host\n",
			d->config_path, cfg->control.group);
		problems++;
	}
	/* the directory may not exist yet: its nearest existing parent's filesystem */
	snprintf(dir, sizeof(dir), "%s", cfg->rings.dir);
	while (statvfs(dir, &vfs) < 0) {
		char *slash = strrchr(dir, '/');

		if (errno != ENOENT || !slash)
			return problems;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	/* each ring file is its record space plus a header page */
	need = (uint64_t)cfg->rings.count * (cfg->rings.size + (uint64_t)sysconf(_SC_PAGESIZE));
	have = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	if (need > have) {
		fprintf(stderr,
			"%s: [rings] count x size = %u x %s = %s does not fit in %s, whose "
			"filesystem holds %s\n",
			d->config_path, cfg->rings.count, size_text(cfg->rings.size, a, sizeof(a)),
			size_text(need, b, sizeof(b)), cfg->rings.dir,
			size_text(have, c, sizeof(c)));
		problems++;
	}
	return problems;
}

static int run(struct udpcapd *d)
{
	struct udpcapd_control *control = NULL;
	struct udpcapd_metrics *metrics = NULL;
	int sfd = -1, r, status = 1;

	d->start_realtime_ns = udpcap_now_ns(CLOCK_REALTIME);
	d->start_monotonic_ns = udpcap_now_ns(CLOCK_MONOTONIC);
	udpcapd_log_set_level(udpcapd_log_parse_level(d->config->log.level));
	log_info("udpcapd %s starting with %s", UDPCAP_VERSION, d->config_path);

	sfd = open_signalfd();
	if (sfd < 0) {
		log_error("cannot set up signal handling: %s", strerror(-sfd));
		goto out;
	}
	if (alloc_state(d) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (udpcapd_backend_probe(d) < 0)
		goto out;
	/* Refuse before touching anything when another daemon owns the ring
	 * directory or a listen address. */
	if (udpcapd_rings_lock(d) < 0 || udpcapd_sockets_probe(d) < 0)
		goto out;
	if (udpcapd_sockets_open(d) < 0 || udpcapd_rings_create(d) < 0)
		goto out;
	if (dedup_create(d) < 0 || udpcapd_health_new(d) < 0) {
		log_error("out of memory");
		goto out;
	}
	/* the control socket's group may need CAP_CHOWN: bind it before the drop,
	 * serve it after, so that no thread ever holds a capability */
	r = udpcapd_control_open(d, d->config, &control);
	if (r < 0) {
		log_error("control socket %s: %s", d->config->control.socket, strerror(-r));
		goto out;
	}
	if (udpcapd_drop_privileges() < 0)
		goto out;
	r = udpcapd_control_run(control);
	if (r < 0)
		goto out;
	r = udpcapd_metrics_start(d, d->config, &metrics);
	if (r < 0) {
		log_error("metrics on %s: %s", d->config->metrics.listen, strerror(-r));
		goto out;
	}
	if (udpcapd_threads_start(d) < 0)
		goto out;

	/* release: pairs with the acquire in health.c */
	__atomic_store_n(&d->serving, true, __ATOMIC_RELEASE);
	udpcapd_health_tick(d);
	write_ready(d);
	udpcapd_notify("READY=1");
	notify_status(d);
	log_notice("ready: %u listeners, %u rings", d->nlisteners, d->nrings);

	status = main_loop(d, sfd);
	udpcapd_notify("STOPPING=1\nSTATUS=stopping");
out:
	__atomic_store_n(&d->serving, false, __ATOMIC_RELEASE);
	udpcapd_metrics_stop(metrics);
	udpcapd_control_stop(control);
	udpcapd_threads_stop(d);
	if (d->nthreads)
		udpcapd_stats_log(d);
	udpcapd_rings_shutdown(d);
	udpcapd_health_free(d);
	udpcapd_rings_unlock(d);
	free_state(d);
	if (sfd >= 0)
		close(sfd);
	if (status == 0)
		log_info("stopped");
	return status;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},	{"check-config", no_argument, NULL, 't'},
	    {"ready-fd", required_argument, NULL, 'R'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
	};
	struct udpcapd d = {.config_path = UDPCAP_DEFAULT_CONFIG, .ready_fd = -1, .ring_dir_fd = -1};
	bool check = false;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "c:tVh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'R': {
			char *end;
			long fd = strtol(optarg, &end, 10);

			if (*end || end == optarg || fd < 3 || fd > 65535) {
				fprintf(stderr,
					"udpcapd: --ready-fd '%s' is not a descriptor "
					"number (3 or above)\n",
					optarg);
				return 2;
			}
			d.ready_fd = (int)fd;
			break;
		}
		case 'V':
			printf("udpcapd %s\n", UDPCAP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'udpcapd --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"udpcapd: unexpected argument '%s'\n"
			"Try 'udpcapd --help' for more information.\n",
			argv[optind]);
		return 2;
	}

	r = udpcap_config__load(d.config_path, print_config_error, NULL, &d.config);
	if (r < 0) {
		if (r == -EINVAL)
			fprintf(stderr, "udpcapd: %s: configuration is not valid\n", d.config_path);
		return 1;
	}
	if (host_checks(&d) > 0) {
		fprintf(stderr, "udpcapd: %s: configuration does not fit this host\n",
			d.config_path);
		udpcap_config__free(d.config);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", d.config_path);
		udpcap_config__free(d.config);
		return 0;
	}
	status = run(&d);
	udpcap_config__free(d.config);
	return status;
}
