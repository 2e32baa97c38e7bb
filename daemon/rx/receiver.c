/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiver threads. Thread t owns rings t, t + T, t + 2T, ... and every
 * listener's socket of those rings, so each ring has exactly one producer
 * and each counter cell one writer. Threads are optionally pinned to the
 * CPUs of [receive] cpus, round robin. Each runs the configured backend
 * (rx/backend.h) through its init, run and fini.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rx/backend.h"
#include "rx/rx.h"
#include "rx/tap.h"
#include "udpcapd.h"

static const struct udpcapd_backend *backend(const struct udpcapd *d)
{
	return d->config->receive.backend == UDPCAP_BACKEND_IO_URING ? &udpcapd_backend_uring
								      : &udpcapd_backend_recvmmsg;
}

int udpcapd_backend_probe(struct udpcapd *d)
{
	const struct udpcapd_backend *b = backend(d);
	char why[256];
	int r;

	if (!b->probe || (r = b->probe(why, sizeof(why))) >= 0)
		return 0;
	log_error("backend = %s is not usable here: %s; use backend = %s", b->name, why,
		  udpcapd_backend_recvmmsg.name);
	return r;
}

/* Set-up done (0) or failed (-errno): what wait_ready() waits for. */
static void thread_ready(struct udpcapd_thread *t, int err)
{
	/* release: pairs with the acquire in wait_ready() */
	__atomic_store_n(&t->init, err < 0 ? err : 1, __ATOMIC_RELEASE);
}

/* READY only once every receiver has its backend set up. 0 or the first -errno. */
static int wait_ready(struct udpcapd *d)
{
	struct timespec pause = {.tv_nsec = 1000 * 1000};
	unsigned i;

	for (i = 0; i < d->nthreads; i++) {
		int v;

		while (!(v = __atomic_load_n(&d->threads[i].init, __ATOMIC_ACQUIRE)))
			nanosleep(&pause, NULL);
		if (v < 0)
			return v;
	}
	return 0;
}

static void *receiver_main(void *arg)
{
	struct udpcapd_thread *t = arg;
	const struct udpcapd_backend *b = backend(t->d);
	void *state = NULL;
	char name[16];
	unsigned i;
	int r;

	snprintf(name, sizeof(name), "udpcapd-rx%u", t->idx);
	pthread_setname_np(pthread_self(), name);
	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (r)
			log_warning("receiver %u: cannot pin to CPU %d: %s", t->idx, t->cpu,
				    strerror(r));
	}
	r = b->init(t, &state);
	if (r < 0)
		log_error("receiver %u: %s set-up failed: %s", t->idx, b->name, strerror(-r));
	thread_ready(t, r);
	if (r >= 0)
		r = b->run(t, state);
	/* what the sockets dropped since the last datagram */
	for (i = 0; i < t->nsocks; i++)
		udpcapd_sock_drops_poll(&t->socks[i]);
	if (b->fini)
		b->fini(state);
	if (r < 0) {
		t->error = r;
		log_error("receiver %u stopped: %s", t->idx, strerror(-r));
		/* A dead receiver would silently starve its rings: stop the daemon. */
		kill(getpid(), SIGTERM);
	}
	__atomic_store_n(&t->exited, true, __ATOMIC_RELEASE);
	return NULL;
}

static unsigned thread_count(const struct udpcapd *d)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = d->config->receive.threads;

	if (!n)
		n = cpus > 0 && (unsigned long)cpus < d->nrings ? (unsigned)cpus : d->nrings;
	if (n > d->nrings)
		n = d->nrings;
	return n ? n : 1;
}

int udpcapd_threads_start(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	unsigned i, ring, li;
	int r;

	d->nthreads = thread_count(d);
	d->threads = calloc(d->nthreads, sizeof(*d->threads));
	if (!d->threads)
		return -ENOMEM;
	r = udpcapd_groups_start(d);
	if (r < 0) {
		log_error("cannot set up the ring groups: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < d->nthreads; i++) {
		struct udpcapd_thread *t = &d->threads[i];
		unsigned rings = (d->nrings - i + d->nthreads - 1) / d->nthreads;

		t->d = d;
		t->idx = i;
		t->cpu =
		    cfg->receive.cpu_count ? cfg->receive.cpus[i % cfg->receive.cpu_count] : -1;
		t->socks = calloc((size_t)rings * d->nlisteners, sizeof(*t->socks));
		if (!t->socks)
			return -ENOMEM;
		for (ring = i; ring < d->nrings; ring += d->nthreads) {
			for (li = 0; li < d->nlisteners; li++) {
				struct udpcapd_sock *s = &t->socks[t->nsocks++];

				s->fd = d->listeners[li].fds[ring];
				s->listener = li;
				s->ring = ring;
				s->l = &d->listeners[li];
				s->cnt = udpcapd_cell(d, li, ring);
				s->r = d->rings[ring];
				s->dedup = d->dedup ? d->dedup[ring] : NULL;
				s->handoff = t->handoff;
				s->nhandoff = d->ngroups;
			}
		}
	}
	/* after the privilege drop: attaching to a TAP its user owns needs none */
	r = udpcapd_taps_open(d);
	if (r < 0) {
		if (r == -ENOMEM)
			log_error("cannot set up the TAP outputs: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < d->nthreads; i++) {
		r = pthread_create(&d->threads[i].tid, NULL, receiver_main, &d->threads[i]);
		if (r) {
			log_error("cannot start receiver thread %u: %s", i, strerror(r));
			return -r;
		}
		d->threads[i].started = true;
	}
	r = wait_ready(d);
	if (r < 0) {
		log_error("receiver set-up failed: %s", strerror(-r));
		return r;
	}
	log_info("%u receiver threads, backend %s, batch %u", d->nthreads, backend(d)->name,
		 cfg->receive.batch);
	return 0;
}

void udpcapd_threads_stop(struct udpcapd *d)
{
	unsigned i;

	/* release: receivers see the flag at their next loop pass (acquire) */
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	for (i = 0; d->threads && i < d->nthreads; i++) {
		if (d->threads[i].started)
			pthread_join(d->threads[i].tid, NULL);
		d->threads[i].started = false;
	}
	/* after the receivers: the writers drain what the receivers handed them */
	udpcapd_groups_stop(d);
}

void udpcapd_threads_free(struct udpcapd *d)
{
	unsigned i;

	udpcapd_groups_free(d);
	udpcapd_taps_close(d);
	for (i = 0; d->threads && i < d->nthreads; i++)
		free(d->threads[i].socks);
	free(d->threads);
	d->threads = NULL;
}
