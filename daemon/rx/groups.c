/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring groups beyond the default one: the hand-off queues from the
 * receiver threads and each group's writer thread (see groups.h for why).
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rx/groups.h"
#include "udpcapd.h"

/*
 * The writer's wake-ups are most of a group's cost (each is a few
 * microseconds of scheduler work on the core the receivers need), so it
 * batches like the receivers do: after a pass that found little, it lets
 * records accumulate for COALESCE_NS; with nothing at all, it naps NAP_NS at
 * a time, and after NAPS empty naps sleeps on the futex, which a receiver's
 * publish wakes (a system call only then). The latency a group adds is
 * bounded by NAP_NS; the queues absorb the records meanwhile. (Measured with
bench/datapath.py: 50 us naps without coalescing cost a second group twice
the CPU per packet of these values.)
 */
#define WRITER_COALESCE_NS 200000
#define WRITER_FEW 64
#define WRITER_NAPS 100
#define WRITER_NAP_NS 1000000
#define WRITER_SLEEP_MS UDPCAPD_IDLE_MS

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

void udpcapd_handoff_publish(struct udpcapd_handoff *q)
{
	struct udpcapd_group *g = q->g;

	if (!q->dirty)
		return;
	q->dirty = false;
	/* release: the records are written before the writer can see them */
	__atomic_store_n(&q->pub, q->head, __ATOMIC_RELEASE);
	/* pairs with the writer's fence between "sleeping = 1" and its last look */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&g->sleeping, __ATOMIC_RELAXED)) {
		__atomic_store_n(&g->sleeping, 0, __ATOMIC_RELAXED);
		futex(&g->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

/* Move what @q holds into the group's rings. Returns records moved. */
static unsigned drain(struct udpcapd_group *g, struct udpcapd_handoff *q)
{
	/* acquire: pairs with the receiver's release in udpcapd_handoff_publish() */
	uint64_t pub = __atomic_load_n(&q->pub, __ATOMIC_ACQUIRE);
	uint64_t tail = q->tail;
	unsigned n = 0;

	while (tail != pub) {
		uint64_t off = tail & (UDPCAPD_HANDOFF_BYTES - 1);
		const struct udpcapd_handoff_rec *rec =
		    (const struct udpcapd_handoff_rec *)(q->buf + off);
		struct udpcapd_counters *cnt;

		if (!rec->len) {
			tail += UDPCAPD_HANDOFF_BYTES - off;
			continue;
		}
		cnt = &g->counters[(size_t)rec->listener * g->nrings + rec->ring];
		udpcapd_cell_write_begin(cnt);
		udpcapd_counter_add(&cnt->received, 1);
		udpcapd_counter_add(&cnt->received_bytes, rec->meta.caplen);
		if (udpcap_ring__write(g->rings[rec->ring], &rec->meta,
				       (const uint8_t *)(rec + 1)) < 0) {
			udpcapd_counter_add(&cnt->drops[UDPCAPD_DROP_RING_FULL], 1);
		} else {
			udpcapd_counter_add(&cnt->delivered, 1);
			udpcapd_counter_add(&cnt->bytes, rec->meta.caplen);
		}
		udpcapd_cell_write_end(cnt);
		tail += rec->len;
		n++;
	}
	/* release: the receiver may reuse the bytes once it sees this tail */
	__atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
	return n;
}

static bool queues_pending(const struct udpcapd_group *g)
{
	unsigned i;

	for (i = 0; i < g->d->nthreads; i++)
		if (__atomic_load_n(&g->handoff[i].pub, __ATOMIC_ACQUIRE) != g->handoff[i].tail)
			return true;
	return false;
}

/*
 * The packets the hand-off queues refused, into each ring's header as
 * upstream drops, so the ring's consumer (Zeek's "dropped") sees them.
 */
static void report_handoff_drops(struct udpcapd_group *g, uint64_t *reported)
{
	for (unsigned j = 0; j < g->nrings; j++) {
		uint64_t sum = 0;

		for (unsigned t = 0; t < g->d->nthreads; t++)
			for (unsigned l = 0; l < g->d->nlisteners; l++)
				sum += udpcapd_counter_get(
				    &g->handoff[t].full[(size_t)l * g->nrings + j]);
		if (sum != reported[j]) {
			udpcap_ring__add_upstream_drops(g->rings[j], sum - reported[j]);
			reported[j] = sum;
		}
	}
}

static void *writer_main(void *arg)
{
	struct udpcapd_group *g = arg;
	uint64_t *reported = calloc(g->nrings, sizeof(*reported));
	unsigned i, n, idle = 0, passes = 0;

	for (;;) {
		/* acquire: once set, the receivers are joined and published all they had */
		bool stopping = __atomic_load_n(&g->stop, __ATOMIC_ACQUIRE);

		for (i = 0, n = 0; i < g->d->nthreads; i++)
			n += drain(g, &g->handoff[i]);
		if (reported && (!n || ++passes % 256 == 0))
			report_handoff_drops(g, reported);
		if (n) {
			for (i = 0; i < g->nrings; i++)
				udpcap_ring__publish(g->rings[i]);
			idle = 0;
			if (n < WRITER_FEW && !stopping) {
				struct timespec nap = {.tv_nsec = WRITER_COALESCE_NS};

				nanosleep(&nap, NULL);
			}
			continue;
		}
		if (stopping)
			break;
		if (++idle <= WRITER_NAPS) {
			struct timespec nap = {.tv_nsec = WRITER_NAP_NS};

			nanosleep(&nap, NULL);
			continue;
		}
		__atomic_store_n(&g->sleeping, 1, __ATOMIC_RELAXED);
		/* pairs with the fence in udpcapd_handoff_publish(): one of us sees the other */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!queues_pending(g) && !__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
			struct timespec ts = {.tv_nsec = WRITER_SLEEP_MS * 1000000L};

			futex(&g->sleeping, FUTEX_WAIT_PRIVATE, 1, &ts);
		}
		__atomic_store_n(&g->sleeping, 0, __ATOMIC_RELAXED);
		idle = 0;
	}
	free(reported);
	return NULL;
}

int udpcapd_groups_start(struct udpcapd *d)
{
	unsigned gi, t;
	int r;

	for (t = 0; t < d->nthreads; t++) {
		d->threads[t].handoff = calloc(d->ngroups ? d->ngroups : 1,
					       sizeof(*d->threads[t].handoff));
		if (!d->threads[t].handoff)
			return -ENOMEM;
	}
	for (gi = 0; gi < d->ngroups; gi++) {
		struct udpcapd_group *g = &d->groups[gi];

		g->d = d;
		g->handoff = calloc(d->nthreads, sizeof(*g->handoff));
		if (!g->handoff)
			return -ENOMEM;
		for (t = 0; t < d->nthreads; t++) {
			struct udpcapd_handoff *q = &g->handoff[t];

			q->g = g;
			q->nrings = g->nrings;
			q->hash = d->config->steering.hash;
			q->full = calloc((size_t)d->nlisteners * g->nrings, sizeof(*q->full));
			q->buf = mmap(NULL, UDPCAPD_HANDOFF_BYTES, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (q->buf == MAP_FAILED)
				q->buf = NULL;
			if (!q->full || !q->buf)
				return -ENOMEM;
			d->threads[t].handoff[gi] = q;
		}
		r = pthread_create(&g->tid, NULL, writer_main, g);
		if (r) {
			log_error("cannot start the writer thread of ring group %s: %s",
				  g->cfg->name, strerror(r));
			return -r;
		}
		g->started = true;
	}
	if (d->ngroups)
		log_info("%u more ring groups, each written by its own thread", d->ngroups);
	return 0;
}

void udpcapd_groups_stop(struct udpcapd *d)
{
	unsigned gi;

	for (gi = 0; gi < d->ngroups; gi++) {
		struct udpcapd_group *g = &d->groups[gi];

		if (!g->started)
			continue;
		/* release: everything the joined receivers published is visible */
		__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
		__atomic_store_n(&g->sleeping, 0, __ATOMIC_RELAXED);
		futex(&g->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL);
		pthread_join(g->tid, NULL);
		g->started = false;
	}
}

void udpcapd_groups_free(struct udpcapd *d)
{
	unsigned gi, t;

	for (gi = 0; d->groups && gi < d->ngroups; gi++) {
		struct udpcapd_group *g = &d->groups[gi];

		for (t = 0; g->handoff && t < d->nthreads; t++) {
			free(g->handoff[t].full);
			if (g->handoff[t].buf)
				munmap(g->handoff[t].buf, UDPCAPD_HANDOFF_BYTES);
		}
		free(g->handoff);
		g->handoff = NULL;
	}
	for (t = 0; d->threads && t < d->nthreads; t++) {
		free(d->threads[t].handoff);
		d->threads[t].handoff = NULL;
	}
}
