/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd_stats_collect(): a lock-free snapshot of every counter cell
 * (relaxed loads; each cell has one writer), summed per listener, per ring
 * and in total. udpcapd_stats_log(): the same as one log line (SIGUSR1).
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rx/groups.h"
#include "rx/tap.h"
#include "stats.h"
#include "steer/steering.h"
#include "udpcap-build.h"
#include "udpcapd.h"

static void add_cell(struct udpcapd_stats_counters *acc, const struct udpcapd_counters *c)
{
	unsigned i;

	acc->received += c->received;
	acc->delivered += c->delivered;
	acc->bytes += c->bytes;
	acc->received_bytes += c->received_bytes;
	for (i = 0; i < UDPCAPD_DROP__COUNT; i++)
		acc->drops[i] += c->drops[i];
}

/* Rings of all groups, the default one's first. */
static size_t group_ring_count(const struct udpcapd *d)
{
	size_t n = d->nrings;

	for (unsigned g = 0; g < d->ngroups; g++)
		n += d->groups[g].nrings;
	return n;
}

/*
 * The rings of the other groups, each with its own books: the writer
 * thread's cell (received = taken from a hand-off queue, delivered or
 * ring_full), plus the packets a full hand-off queue refused, which count
 * as received and dropped (handoff_full) at once. These rings' counters are
 * not part of the listener totals, which count each datagram once.
 */
static void collect_groups(struct udpcapd *d, struct udpcapd_stats_ring *out)
{
	for (unsigned gi = 0; gi < d->ngroups; gi++) {
		const struct udpcapd_group *g = &d->groups[gi];

		for (unsigned j = 0; j < g->nrings; j++, out++) {
			snprintf(out->name, sizeof(out->name), "%s", g->ring_names[j]);
			snprintf(out->group, sizeof(out->group), "%s", g->cfg->name);
			for (unsigned li = 0; li < d->nlisteners; li++) {
				struct udpcapd_counters c;
				size_t cell = (size_t)li * g->nrings + j;

				udpcapd_cell_read(&g->counters[cell], &c);
				for (unsigned t = 0; g->handoff && t < d->nthreads; t++) {
					uint64_t full = udpcapd_counter_get(&g->handoff[t].full[cell]);

					c.received += full;
					c.drops[UDPCAPD_DROP_HANDOFF_FULL] += full;
				}
				add_cell(&out->c, &c);
			}
			if (g->rings && g->rings[j]) {
				snprintf(out->path, sizeof(out->path), "%s",
					 udpcap_ring__path(g->rings[j]));
				udpcap_ring__stats(g->rings[j], &out->ring);
			}
		}
	}
}

/*
 * The TAP outputs, each with its own books like a ring group: received =
 * packets handed to it, delivered = frames the device took.
 */
static void collect_taps(struct udpcapd *d, struct udpcapd_stats_tap *out)
{
	for (unsigned i = 0; i < d->ntaps; i++, out++) {
		const struct udpcapd_tap *tap = &d->taps[i];
		int f = udpcapd_tap_flags(tap->cfg->interface);

		snprintf(out->name, sizeof(out->name), "%s", tap->cfg->name);
		snprintf(out->interface, sizeof(out->interface), "%s", tap->cfg->interface);
		out->queues = tap->nqueues;
		out->up = f >= 0 && (f & IFF_UP);
		out->carrier = f >= 0 && (f & IFF_RUNNING);
		for (size_t c = 0; tap->counters && c < (size_t)d->nlisteners * tap->nqueues; c++) {
			struct udpcapd_counters cell;

			udpcapd_cell_read(&tap->counters[c], &cell);
			add_cell(&out->c, &cell);
		}
	}
}

int udpcapd_stats_collect(struct udpcapd *d, struct udpcapd_stats *ret)
{
	struct udpcapd_stats s;
	unsigned li, ri;

	memset(&s, 0, sizeof(s));
	s.listeners = calloc(d->nlisteners ? d->nlisteners : 1, sizeof(*s.listeners));
	s.rings = calloc(group_ring_count(d) + 1, sizeof(*s.rings));
	s.taps = calloc(d->ntaps + 1, sizeof(*s.taps));
	if (!s.listeners || !s.rings || !s.taps) {
		udpcapd_stats_free(&s);
		return -ENOMEM;
	}
	snprintf(s.version, sizeof(s.version), "%s", UDPCAP_VERSION);
	s.start_time_ns = d->start_realtime_ns;
	s.uptime_ns = udpcap_now_ns(CLOCK_MONOTONIC) - d->start_monotonic_ns;
	s.steering = udpcapd_steering_mode_name(d->steering_mode);
	snprintf(s.steering_why, sizeof(s.steering_why), "%s", d->steering_why);
	s.backend = d->config->receive.backend == UDPCAP_BACKEND_IO_URING ? "io_uring" : "recvmmsg";
	s.hash = d->config->steering.hash == UDPCAP_HASH_IP_PAIR ? "ip-pair" : "5-tuple";
	s.listener_count = d->nlisteners;
	s.ring_count = group_ring_count(d);
	for (li = 0; li < d->nthreads; li++) {
		s.ts_fallbacks += __atomic_load_n(&d->threads[li].ts_fallbacks, __ATOMIC_RELAXED);
		s.uring_enobufs += __atomic_load_n(&d->threads[li].uring_enobufs, __ATOMIC_RELAXED);
	}
	for (li = 0; li < d->nlisteners; li++) {
		struct udpcapd_stats_listener *sl = &s.listeners[li];
		const struct udpcapd_listener *l = &d->listeners[li];

		snprintf(sl->name, sizeof(sl->name), "%s", l->name);
		snprintf(sl->listen, sizeof(sl->listen), "%s", l->listen);
		snprintf(sl->encap, sizeof(sl->encap), "%s", udpcap_encap_name(l->encap.type));
		if (l->encap.type == UDPCAP_ENCAP_SKIP)
			snprintf(sl->encap, sizeof(sl->encap), "skip=%u", l->encap.skip);
		if (l->steering) {
			udpcapd_steering_unparsed(l->steering, s.steering_unparsed);
			sl->steering = udpcapd_steering_mode_name(udpcapd_steering_mode(l->steering));
			sl->steering_select_failed = udpcapd_steering_select_failed(l->steering);
		}
		for (ri = 0; ri < d->nrings; ri++) {
			struct udpcapd_counters c;

			/* one consistent copy per cell, so every sum keeps the invariants */
			udpcapd_cell_read(udpcapd_cell(d, li, ri), &c);
			add_cell(&sl->c, &c);
			add_cell(&s.rings[ri].c, &c);
			add_cell(&s.totals, &c);
		}
	}
	for (ri = 0; ri < d->nrings; ri++) {
		struct udpcapd_stats_ring *sr = &s.rings[ri];

		snprintf(sr->name, sizeof(sr->name), "%s", d->ring_names[ri]);
		snprintf(sr->group, sizeof(sr->group), "default");
		if (d->rings && d->rings[ri]) {
			snprintf(sr->path, sizeof(sr->path), "%s", udpcap_ring__path(d->rings[ri]));
			udpcap_ring__stats(d->rings[ri], &sr->ring);
		}
	}
	collect_groups(d, s.rings + d->nrings);
	s.tap_count = d->ntaps;
	collect_taps(d, s.taps);
	*ret = s;
	return 0;
}

struct linebuf {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct linebuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->buf)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			char *tmp = realloc(b->buf, b->cap * 2 + (size_t)n);

			if (!tmp) {
				free(b->buf);
				b->buf = NULL;
				return;
			}
			b->buf = tmp;
			b->cap = b->cap * 2 + (size_t)n;
		}
	}
}

static void put_counters(struct linebuf *b, const char *scope,
			 const struct udpcapd_stats_counters *c)
{
	unsigned i;

	put(b, " %s.received=%llu %s.delivered=%llu %s.bytes=%llu %s.received_bytes=%llu", scope,
	    (unsigned long long)c->received, scope, (unsigned long long)c->delivered, scope,
	    (unsigned long long)c->bytes, scope, (unsigned long long)c->received_bytes);
	for (i = 0; i < UDPCAPD_DROP__COUNT; i++)
		put(b, " %s.drop.%s=%llu", scope, udpcapd_drop_name((enum udpcapd_drop)i),
		    (unsigned long long)c->drops[i]);
}

/*
 * One line, "stats key=value ...", for operators and tests:
 * total.*, listener.NAME.*, ring.NAME.* (plus ring.NAME.full/written from the ring),
 * tap.NAME.* (delivered = written to the device; plus up, carrier, queues).
 */
void udpcapd_stats_log(struct udpcapd *d)
{
	struct linebuf b = {.buf = malloc(4096), .cap = 4096};
	struct udpcapd_stats s;
	char scope[128];
	size_t i;

	if (!b.buf || udpcapd_stats_collect(d, &s) < 0) {
		free(b.buf);
		log_error("stats: out of memory");
		return;
	}
	put(&b,
	    "stats uptime_ms=%llu backend=%s steering=%s hash=%s ts_fallbacks=%llu "
	    "uring_enobufs=%llu",
	    (unsigned long long)(s.uptime_ns / 1000000), s.backend, s.steering, s.hash,
	    (unsigned long long)s.ts_fallbacks, (unsigned long long)s.uring_enobufs);
	put_counters(&b, "total", &s.totals);
	for (i = 0; i < s.listener_count; i++) {
		snprintf(scope, sizeof(scope), "listener.%s", s.listeners[i].name);
		put(&b, " %s.listen=%s %s.steering=%s %s.steering_select_failed=%llu", scope,
		    s.listeners[i].listen, scope,
		    s.listeners[i].steering ? s.listeners[i].steering : "none", scope,
		    (unsigned long long)s.listeners[i].steering_select_failed);
		put_counters(&b, scope, &s.listeners[i].c);
	}
	for (i = 0; i < s.ring_count; i++) {
		snprintf(scope, sizeof(scope), "ring.%s", s.rings[i].name);
		put_counters(&b, scope, &s.rings[i].c);
		put(&b, " %s.written=%llu %s.full=%llu %s.used=%llu", scope,
		    (unsigned long long)s.rings[i].ring.written_packets, scope,
		    (unsigned long long)s.rings[i].ring.full_packets, scope,
		    (unsigned long long)s.rings[i].ring.used);
	}
	for (i = 0; i < s.tap_count; i++) {
		snprintf(scope, sizeof(scope), "tap.%s", s.taps[i].name);
		put(&b, " %s.interface=%s %s.queues=%u %s.up=%d %s.carrier=%d", scope,
		    s.taps[i].interface, scope, s.taps[i].queues, scope, s.taps[i].up, scope,
		    s.taps[i].carrier);
		put_counters(&b, scope, &s.taps[i].c);
	}
	if (b.buf)
		log_notice("%s", b.buf);
	free(b.buf);
	udpcapd_stats_free(&s);
}
