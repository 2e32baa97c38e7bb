/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet source: a ring consumer that waits for its ring, follows the
 * daemon across restarts, batches releases and hands its caller one stable
 * descriptor. This is all of the Zeek plugin's logic, kept here so that it
 * is tested without Zeek.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "opts_internal.h"
#include "sys_internal.h"
#include "udpcap-build.h"
#include <udpcap/source.h>

#define SOURCE_CHECK_MS_DEFAULT 500u
#define SOURCE_WAIT_STEP_MS 100u
/* Corrupt records skipped in one next() call before yielding to the caller. */
#define SOURCE_CORRUPT_SKIPS 16
/*
 * Empty next() calls that keep a sleep announced before one clears it (a
 * read(2) of the wake-up fd). Callers like Zeek's main loop call next()
 * several times between their sleeps; a wake-up byte left over from a
 * producer that saw a stale flag must not keep the fd readable for long.
 */
#define SOURCE_EMPTY_CALLS_PER_DRAIN 16

struct udpcap_source {
	struct udpcap_consumer *c;
	char *ring; /* as given to open(): the consumer may point at it */
	char *dir;  /* likewise; NULL = default */
	int epfd;   /* the stable fd: watches the consumer's (changing) fd */
	uint64_t check_ns;
	uint64_t next_check_ns; /* CLOCK_MONOTONIC */
	uint32_t outstanding;	/* returned by next(), not done() yet */
	uint32_t empty_calls;	/* empty next() calls since the sleep was announced */
	bool pending;		/* worth calling next() again right away */
	bool waiting;		/* prepare_wait() announced a sleep */
	bool stale;		/* not the daemon's ring any more: drain, then re-attach */
	bool detached;		/* ring gone: only reattach() is valid on c */
	int producer;		/* udpcap_consumer__producer_alive() at the last check */
	pid_t producer_pid;
};

/*
 * Sleep while waiting for a ring. A signal the caller handles ends the
 * wait (-EINTR): a reader told to stop while it waits must not wait on.
 */
static int sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	return nanosleep(&ts, NULL) < 0 ? -errno : 0;
}

/* Watch the consumer's current wake-up fd; it may be a new file after a re-attach. */
static int source_watch(struct udpcap_source *src)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = udpcap_consumer__fd(src->c);

	if (fd < 0)
		return fd;
	/* A closed fd left the set by itself; a reused number must be re-added. */
	epoll_ctl(src->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev.data.fd = fd;
	if (epoll_ctl(src->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* While detached the old fd must not keep the stable fd readable (a hang-up would spin). */
static void source_unwatch(struct udpcap_source *src)
{
	int fd = udpcap_consumer__fd(src->c);

	if (fd >= 0)
		epoll_ctl(src->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/*
 * Give consumed records back, but never one the caller still holds (the
 * consumer releases everything returned so far). Cheap: the consumer
 * batches the stores the producer sees, and flushes when the ring runs
 * empty or before a sleep.
 */
static void source_release(struct udpcap_source *src)
{
	if (src->detached || src->outstanding)
		return;
	udpcap_consumer__release(src->c);
}

static void source_finish_wait(struct udpcap_source *src)
{
	if (!src->waiting)
		return;
	src->waiting = false;
	src->empty_calls = 0;
	if (!src->detached)
		udpcap_consumer__finish_wait(src->c);
}

int udpcap_source__open(const char *ring, const struct udpcap_source_opts *opts,
			struct udpcap_source **ret_src)
{
	struct udpcap_consumer_opts copts = {.sz = sizeof(copts)};
	struct udpcap_source_opts o;
	struct udpcap_source *src;
	uint64_t deadline;
	int r;

	if (!ring || !*ring || !ret_src)
		return -EINVAL;
	r = UDPCAP_OPTS_COPY(&o, opts);
	if (r < 0)
		return r;

	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->epfd = -1;
	src->ring = strdup(ring);
	src->dir = o.dir ? strdup(o.dir) : NULL;
	if (!src->ring || (o.dir && !src->dir)) {
		r = -ENOMEM;
		goto err;
	}
	src->check_ns = (uint64_t)(o.check_interval_ms ?: SOURCE_CHECK_MS_DEFAULT) * 1000000u;
	copts.dir = src->dir;
	copts.spin_us = o.spin_us;

	deadline = udpcap_now_ns(CLOCK_MONOTONIC) + (uint64_t)o.wait_timeout_ms * 1000000u;
	for (;;) {
		uint64_t now;

		r = udpcap_consumer__open(src->ring, &copts, &src->c);
		if (r != -ENOENT || !o.wait_for_ring)
			break;
		now = udpcap_now_ns(CLOCK_MONOTONIC);
		if (o.wait_timeout_ms && now >= deadline)
			break;
		if (o.wait_timeout_ms && deadline - now < SOURCE_WAIT_STEP_MS * 1000000ull)
			r = sleep_ms((uint32_t)((deadline - now) / 1000000u) + 1);
		else
			r = sleep_ms(SOURCE_WAIT_STEP_MS);
		if (r < 0)
			break;
	}
	if (r < 0)
		goto err;

	src->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (src->epfd < 0) {
		r = -errno;
		goto err;
	}
	r = source_watch(src);
	if (r < 0)
		goto err;
	src->producer = udpcap_consumer__producer_alive(src->c, &src->producer_pid);
	src->next_check_ns = udpcap_now_ns(CLOCK_MONOTONIC) + src->check_ns;
	*ret_src = src;
	return 0;
err:
	udpcap_source__close(src);
	return r;
}

/*
 * The ring is empty, or closed and drained (@closed): is it still the
 * daemon's? If not, follow the daemon to its new ring. Returns 1 when the
 * caller should read again right away (re-attached, or records may still
 * be in the old ring), 0 when nothing changed or the ring is not back yet,
 * or a fatal -errno from the liveness check.
 */
static int source_follow(struct udpcap_source *src, bool closed)
{
	int r;

	if (!src->detached && !closed && !src->stale) {
		r = udpcap_consumer__check(src->c);
		if (r == 0) {
			/*
			 * Still the current ring; but a producer killed by a signal
			 * leaves it looking open. Nothing to do about it but say so:
			 * a new producer replaces the ring and check() sees that.
			 */
			src->producer =
			    udpcap_consumer__producer_alive(src->c, &src->producer_pid);
			return 0;
		}
		if (r != -ESTALE && r != -ENOENT)
			return r;
		/*
		 * The daemon may have published a last batch between our empty
		 * read and this check: read the old ring once more, re-attach
		 * when that comes up empty too.
		 */
		src->stale = true;
		return 1;
	}
	src->stale = false;
	source_release(src);
	r = udpcap_consumer__reattach(src->c);
	if (r < 0) {
		/*
		 * Not back yet (-ENOENT), half created, or briefly taken by
		 * another reader: stay detached and try again on a later idle
		 * call. The caller sees it in udpcap_source__stats().attached.
		 */
		if (!src->detached)
			source_unwatch(src);
		src->detached = true;
		src->producer = -ENOENT;
		return 0;
	}
	src->detached = false;
	src->waiting = false;
	src->producer = udpcap_consumer__producer_alive(src->c, &src->producer_pid);
	r = source_watch(src);
	if (r < 0)
		return r;
	return 1;
}

int udpcap_source__next(struct udpcap_source *src, struct udpcap_pkt *ret_pkt)
{
	struct udpcap_pkt pkt;
	bool closed = false;
	uint64_t now;
	int r;

	if (!src->detached) {
		for (int skips = 0;; skips++) {
			r = udpcap_consumer__next(src->c, &pkt);
			if (r != -EBADMSG)
				break;
			/* Counted by the consumer; give the caller a turn now and then. */
			if (skips == SOURCE_CORRUPT_SKIPS) {
				src->pending = true;
				return 0;
			}
		}
		if (r == 1) {
			/* Awake again: the producer need not wake us any more. */
			source_finish_wait(src);
			src->outstanding++;
			src->pending = true;
			*ret_pkt = pkt;
			return 1;
		}
		if (r == -EPIPE)
			closed = true;
		else if (r < 0)
			return r;
	}

	/*
	 * Still empty: the sleep announced by timeout() stands (the producer
	 * wakes the fd when it publishes), so an idle caller's calls cost no
	 * system call, only now and then the drain of a stale wake-up.
	 */
	if (src->waiting && ++src->empty_calls >= SOURCE_EMPTY_CALLS_PER_DRAIN)
		source_finish_wait(src);
	src->pending = false;
	/* Re-attaching unmaps the old ring: not while the caller holds a packet. */
	if (src->outstanding)
		return 0;

	now = udpcap_now_ns(CLOCK_MONOTONIC);
	if (!closed && !src->stale && now < src->next_check_ns)
		return 0;
	src->next_check_ns = now + src->check_ns;
	r = source_follow(src, closed);
	if (r < 0)
		return r;
	if (r == 1)
		src->pending = true;
	return 0;
}

void udpcap_source__done(struct udpcap_source *src)
{
	if (!src->outstanding)
		return;
	src->outstanding--;
	source_release(src);
}

int udpcap_source__fd(const struct udpcap_source *src)
{
	return src->epfd;
}

int udpcap_source__timeout(struct udpcap_source *src)
{
	uint64_t now, ms;

	if (src->pending)
		return 0;
	if (!src->detached && !src->waiting) {
		/* The producer may be waiting for space: give it back before sleeping. */
		source_release(src);
		src->waiting = true;
		if (udpcap_consumer__prepare_wait(src->c) != 0) {
			src->pending = true;
			return 0;
		}
	}
	now = udpcap_now_ns(CLOCK_MONOTONIC);
	if (now >= src->next_check_ns)
		return 0;
	/* Round up: waking a little late is fine, waking early would spin. */
	ms = (src->next_check_ns - now + 999999u) / 1000000u;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int udpcap_source__stats(const struct udpcap_source *src, struct udpcap_source_stats *ret)
{
	struct udpcap_consumer_stats cs;
	int r;

	r = udpcap_consumer__stats(src->c, &cs);
	if (r < 0)
		return r;
	ret->received = cs.received;
	ret->bytes = cs.bytes;
	ret->corrupt = cs.corrupt;
	ret->dropped = cs.dropped + cs.corrupt;
	ret->link = ret->received + ret->dropped;
	ret->reattaches = cs.reattaches;
	ret->attached = !src->detached;
	return 0;
}

int udpcap_source__producer_alive(const struct udpcap_source *src, pid_t *ret_pid)
{
	if (ret_pid)
		*ret_pid = src->producer_pid;
	return src->producer;
}

const uint8_t *udpcap_source__geneve_options(const struct udpcap_source *src, size_t *ret_len)
{
	*ret_len = 0;
	if (src->detached || !src->outstanding)
		return NULL;
	return udpcap_consumer__geneve_options(src->c, ret_len);
}

uint16_t udpcap_source__linktype(const struct udpcap_source *src)
{
	return udpcap_consumer__linktype(src->c);
}

const char *udpcap_source__path(const struct udpcap_source *src)
{
	return udpcap_consumer__path(src->c);
}

void udpcap_source__close(struct udpcap_source *src)
{
	if (!src)
		return;
	udpcap_consumer__close(src->c);
	if (src->epfd >= 0)
		close(src->epfd);
	free(src->ring);
	free(src->dir);
	free(src);
}

const char *udpcap_source__strerror(const char *ring, const struct udpcap_source_opts *opts,
				    int err, char *buf, size_t len)
{
	struct udpcap_consumer_opts copts = {.sz = sizeof(copts)};
	struct udpcap_source_opts o;
	char path[PATH_MAX];
	char hint[PATH_MAX + 64];
	char ebuf[128];
	pid_t holder;

	if (!buf || !len)
		return buf;
	if (!ring)
		ring = "(null)";
	if (UDPCAP_OPTS_COPY(&o, opts) < 0)
		memset(&o, 0, sizeof(o));
	copts.dir = o.dir;
	if (strchr(ring, '/'))
		snprintf(path, sizeof(path), "%s", ring);
	else
		snprintf(path, sizeof(path), "%s/%s", o.dir ? o.dir : UDPCAP_DEFAULT_RING_DIR,
			 ring);

	switch (-err) {
	case ENOENT:
		/* A bare name is udpcapd's [rings] name; a path names its [rings] dir. */
		if (strchr(ring, '/'))
			snprintf(hint, sizeof(hint), "is udpcapd running with [rings] dir there?");
		else
			snprintf(hint, sizeof(hint), "is udpcapd running with a ring named \"%s\"?",
				 ring);
		if (o.wait_for_ring && o.wait_timeout_ms)
			snprintf(buf, len, "ring %s did not appear within %u ms (%s)", path,
				 o.wait_timeout_ms, hint);
		else
			snprintf(buf, len, "ring %s does not exist (%s)", path, hint);
		break;
	case EBUSY:
		holder = udpcap_consumer__holder(ring, &copts);
		if (holder > 0)
			snprintf(buf, len,
				 "ring %s is already being read by pid %d (a ring has exactly one "
				 "consumer)",
				 path, (int)holder);
		else
			snprintf(buf, len,
				 "ring %s is already being read by another process (a ring has "
				 "exactly one consumer)",
				 path);
		break;
	case EBADMSG:
		snprintf(buf, len, "%s is not a udpcap ring (bad header)", path);
		break;
	case EPROTO:
		snprintf(buf, len,
			 "ring %s has another major format version (udpcapd and libudpcap differ)", path);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "no permission to read ring %s (join the ring's group)", path);
		break;
	case EINTR:
		snprintf(buf, len, "interrupted while waiting for ring %s", path);
		break;
	default:
		snprintf(buf, len, "cannot attach to ring %s: %s", path,
			 strerror_r(err < 0 ? -err : err, ebuf, sizeof(ebuf)));
		break;
	}
	return buf;
}
