/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: what /healthz and /readyz answer.
 *
 * An open port proves nothing about packets flowing, so both answers are
 * built from the data path itself. The main thread samples it a few times
 * a second (udpcapd_health_tick): whether each receiver thread still passes
 * its quiescent point (it does at least every UDPCAPD_IDLE_MS, traffic or
 * not), and, per ring, whether the drops that mean "this collector cannot
 * keep up" (ring_full, socket) grew since the last sample. The metrics
 * thread reads those samples under a mutex that nothing on the receive
 * path ever takes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "steer/steering.h"
#include "udpcapd.h"

/* A receiver or the main loop that has not moved for this long is stuck. */
#define HEALTH_STALL_NS (5ull * 1000 * 1000 * 1000)

struct health_thread {
	uint64_t quiescent; /* last value seen */
	uint64_t moved_ns;  /* when it last changed */
};

struct health_ring {
	uint64_t drops;	      /* ring_full + socket, summed over listeners */
	uint64_t dropping_ns; /* since when every sample saw new drops; 0 = not dropping */
};

struct udpcapd_health {
	pthread_mutex_t lock;
	uint64_t tick_ns; /* last sample, 0 = none yet */
	struct health_thread *threads;
	unsigned nthreads;
	struct health_ring *rings;
};

int udpcapd_health_new(struct udpcapd *d)
{
	struct udpcapd_health *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->rings = calloc(d->nrings ? d->nrings : 1, sizeof(*h->rings));
	if (!h->rings) {
		free(h);
		return -ENOMEM;
	}
	pthread_mutex_init(&h->lock, NULL);
	d->health = h;
	return 0;
}

void udpcapd_health_free(struct udpcapd *d)
{
	struct udpcapd_health *h = d->health;

	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->threads);
	free(h->rings);
	free(h);
	d->health = NULL;
}

static uint64_t ring_overload_drops(struct udpcapd *d, unsigned ring)
{
	uint64_t sum = 0;
	unsigned li;

	for (li = 0; li < d->nlisteners; li++) {
		const struct udpcapd_counters *c = udpcapd_cell(d, li, ring);

		sum += udpcapd_counter_get(&c->drops[UDPCAPD_DROP_RING_FULL]) +
		       udpcapd_counter_get(&c->drops[UDPCAPD_DROP_SOCKET]);
	}
	return sum;
}

void udpcapd_health_tick(struct udpcapd *d)
{
	struct udpcapd_health *h = d->health;
	uint64_t now = udpcap_now_ns(CLOCK_MONOTONIC);
	unsigned i;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	if (!h->threads && d->threads && __atomic_load_n(&d->serving, __ATOMIC_ACQUIRE)) {
		h->threads = calloc(d->nthreads, sizeof(*h->threads));
		h->nthreads = h->threads ? d->nthreads : 0;
		for (i = 0; i < h->nthreads; i++)
			h->threads[i].moved_ns = now;
	}
	for (i = 0; i < h->nthreads; i++) {
		uint64_t q = __atomic_load_n(&d->threads[i].quiescent, __ATOMIC_ACQUIRE);

		if (q != h->threads[i].quiescent) {
			h->threads[i].quiescent = q;
			h->threads[i].moved_ns = now;
		}
	}
	for (i = 0; i < d->nrings; i++) {
		struct health_ring *r = &h->rings[i];
		uint64_t drops = ring_overload_drops(d, i);

		if (h->tick_ns && drops != r->drops) {
			/* dropping since the previous sample at the latest */
			if (!r->dropping_ns)
				r->dropping_ns = h->tick_ns;
		} else {
			r->dropping_ns = 0;
		}
		r->drops = drops;
	}
	h->tick_ns = now;
	pthread_mutex_unlock(&h->lock);
}

/* A JSON string (names come from the config: quote what JSON needs quoted). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* One reason in the "why" array (the caller opened it). */
static void why(FILE *f, unsigned *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void why(FILE *f, unsigned *n, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((*n)++)
		fputc(',', f);
	json_str(f, buf);
}

/* Liveness: the reasons it fails, appended to the open "why" array. */
static void check_alive(struct udpcapd *d, struct udpcapd_health *h, uint64_t now, FILE *f,
			unsigned *n)
{
	unsigned i;

	if (!__atomic_load_n(&d->serving, __ATOMIC_ACQUIRE)) {
		why(f, n, "not serving: starting or stopping");
		return;
	}
	if (!h->tick_ns || now - h->tick_ns > HEALTH_STALL_NS)
		why(f, n, "main thread has not sampled the data path for over %llu s",
		    HEALTH_STALL_NS / 1000000000ull);
	for (i = 0; i < d->nthreads; i++) {
		if (__atomic_load_n(&d->threads[i].exited, __ATOMIC_ACQUIRE))
			why(f, n, "receiver %u has exited", i);
		else if (i < h->nthreads && now - h->threads[i].moved_ns > HEALTH_STALL_NS)
			why(f, n, "receiver %u has not made progress for %llu ms", i,
			    (unsigned long long)((now - h->threads[i].moved_ns) / 1000000));
	}
}

static void check_ready(struct udpcapd *d, struct udpcapd_health *h, uint64_t now, FILE *f,
			unsigned *n)
{
	const struct udpcap_config *cfg = d->config;
	unsigned i, li;

	for (li = 0; li < d->nlisteners; li++) {
		const struct udpcapd_listener *l = &d->listeners[li];

		if (!l->fds)
			why(f, n, "listener %s is not bound", l->name);
		else if (!l->steering)
			why(f, n, "listener %s has no steering program attached", l->name);
	}
	for (i = 0; i < d->nrings; i++) {
		struct udpcap_ring_stats rs;
		uint64_t since = h->rings[i].dropping_ns;

		if (cfg->health.require_consumers &&
		    (!d->rings || !d->rings[i] || udpcap_ring__stats(d->rings[i], &rs) < 0 ||
		     rs.consumer_pid <= 0))
			why(f, n, "ring %s has no consumer attached", d->ring_names[i]);
		if (cfg->health.max_dropping_ms && since &&
		    now - since >= (uint64_t)cfg->health.max_dropping_ms * 1000000)
			why(f, n, "ring %s has been dropping (ring_full or socket) for %llu ms",
			    d->ring_names[i], (unsigned long long)((now - since) / 1000000));
	}
}

int udpcapd_health_answer(struct udpcapd *d, bool ready, char **ret_body, size_t *ret_len)
{
	struct udpcapd_health *h = d->health;
	uint64_t now = udpcap_now_ns(CLOCK_MONOTONIC);
	char *body = NULL;
	size_t len = 0;
	unsigned n = 0;
	bool ok;
	FILE *f;

	f = open_memstream(&body, &len);
	if (!f)
		return -ENOMEM;
	fputs("{\"why\":[", f);
	if (h) {
		pthread_mutex_lock(&h->lock);
		check_alive(d, h, now, f, &n);
		if (ready)
			check_ready(d, h, now, f, &n);
		pthread_mutex_unlock(&h->lock);
	} else {
		why(f, &n, "not serving: starting");
	}
	ok = !n;
	if (ok)
		why(f, &n, ready ? "every listener bound and steered, every check passed"
				 : "every receiver thread is serving");
	fprintf(f, "],\"%s\":%s,\"threads\":%u,\"listeners\":%u,\"rings\":%u,\"steering\":",
		ready ? "ready" : "alive", ok ? "true" : "false", d->nthreads, d->nlisteners,
		d->nrings);
	json_str(f, udpcapd_steering_mode_name(d->steering_mode));
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(body);
		return -ENOMEM;
	}
	*ret_body = body;
	*ret_len = len;
	return ok ? 200 : 503;
}
