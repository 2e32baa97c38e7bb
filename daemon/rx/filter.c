/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-listener filters (allow-list, VNI list) and their replacement on
 * reload without locks on the hot path.
 *
 * RCU-like: a receiver thread loads listener->filter (acquire) at the start
 * of a batch and drops it at the end of the batch; after each pass through
 * its loop it bumps its quiescent counter (release). The main thread swaps
 * the pointer (release, pairs with that acquire), then waits until every
 * running thread's counter has moved: from then on no thread can still
 * hold the old pointer, and it is freed. A thread waits at most
 * UDPCAPD_IDLE_MS in its loop, so the grace period is short.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "udpcapd.h"

static void *memdup(const void *src, size_t len)
{
	void *p = len ? malloc(len) : NULL;

	if (p)
		memcpy(p, src, len);
	return p;
}

struct udpcapd_filter *udpcapd_filter_new(const struct udpcap_config_listener *l)
{
	struct udpcapd_filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->allow = memdup(l->allow, l->allow_count * sizeof(*l->allow));
	f->allow_count = f->allow ? l->allow_count : 0;
	f->vni = memdup(l->vni, l->vni_count * sizeof(*l->vni));
	f->vni_count = f->vni ? l->vni_count : 0;
	if (f->allow_count != l->allow_count || f->vni_count != l->vni_count) {
		udpcapd_filter_free(f);
		return NULL;
	}
	return f;
}

void udpcapd_filter_free(struct udpcapd_filter *f)
{
	if (!f)
		return;
	free(f->allow);
	free(f->vni);
	free(f);
}

/* Wait until every running receiver passed a quiescent point. true if so. */
static bool grace_period(struct udpcapd *d)
{
	uint64_t *seen = calloc(d->nthreads ? d->nthreads : 1, sizeof(*seen));
	struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
	unsigned i, waited_ms = 0;
	bool ok = false;

	if (!seen)
		return false;
	for (i = 0; i < d->nthreads; i++)
		seen[i] = __atomic_load_n(&d->threads[i].quiescent, __ATOMIC_ACQUIRE);
	for (;;) {
		bool all = true;

		for (i = 0; i < d->nthreads && all; i++) {
			struct udpcapd_thread *t = &d->threads[i];

			if (!t->started || __atomic_load_n(&t->exited, __ATOMIC_ACQUIRE))
				continue;
			if (__atomic_load_n(&t->quiescent, __ATOMIC_ACQUIRE) == seen[i])
				all = false;
		}
		if (all) {
			ok = true;
			break;
		}
		/* Far beyond any idle timeout: a thread is stuck; leak rather than free. */
		if (waited_ms >= 10000)
			break;
		nanosleep(&pause, NULL);
		waited_ms += 2;
	}
	free(seen);
	return ok;
}

int udpcapd_filters_swap(struct udpcapd *d, const struct udpcap_config_listener *const *from)
{
	struct udpcapd_filter **old, **fresh;
	unsigned i;
	int ret = 0;

	old = calloc(d->nlisteners, sizeof(*old));
	fresh = calloc(d->nlisteners, sizeof(*fresh));
	if (!old || !fresh) {
		ret = -ENOMEM;
		goto out;
	}
	/* Build all first: a failed reload changes nothing. */
	for (i = 0; i < d->nlisteners; i++) {
		if (!from[i])
			continue;
		fresh[i] = udpcapd_filter_new(from[i]);
		if (!fresh[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < d->nlisteners; i++) {
		if (!from[i])
			continue;
		/* release: the new filter's contents are visible before its address */
		old[i] = __atomic_exchange_n(&d->listeners[i].filter, fresh[i], __ATOMIC_ACQ_REL);
		fresh[i] = NULL;
	}
	if (!grace_period(d)) {
		log_error("a receiver thread did not pass a quiescent point; "
			  "keeping the old filters allocated");
		goto out_keep_old;
	}
	for (i = 0; i < d->nlisteners; i++)
		udpcapd_filter_free(old[i]);
out_keep_old:
	free(old);
	old = NULL;
out:
	if (fresh)
		for (i = 0; i < d->nlisteners; i++)
			udpcapd_filter_free(fresh[i]);
	free(fresh);
	free(old);
	return ret;
}
