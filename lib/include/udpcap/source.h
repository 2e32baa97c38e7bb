/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: a packet source on top of the ring consumer, for long-running
 * readers such as the Zeek plugin (zeekbridge/) that must survive a daemon
 * restart without restarting themselves.
 *
 * A source owns one ring consumer and adds what every such reader needs:
 * waiting for a ring that does not exist yet, transparent re-attach when
 * the daemon replaced or closed its ring, batched release of zero-copy
 * records, a descriptor that stays the same across re-attaches, a timeout
 * for the caller's poll loop, and statistics attributed to this source.
 *
 * Not thread-safe: one thread drives a source.
 */
#ifndef UDPCAP_SOURCE_H
#define UDPCAP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <udpcap/common.h>
#include <udpcap/ring.h>

UDPCAP_BEGIN_DECLS

struct udpcap_source;

struct udpcap_source_opts {
	size_t sz;		    /* sizeof(struct udpcap_source_opts) */
	const char *dir;	    /* ring directory for bare names; NULL = default */
	bool wait_for_ring;	    /* open(): wait for a ring that does not exist yet */
	uint32_t wait_timeout_ms;   /* with wait_for_ring: give up after this; 0 = never */
	uint32_t check_interval_ms; /* idle liveness check period; 0 = 500 ms */
	int spin_us;		    /* how long an empty ring is watched before the
				     * source lets its caller sleep: 0 = the
				     * consumer's default (20), < 0 = not at all */
};

/*
 * udpcap_source__open - attach to @ring, a name ("worker-3", in opts->dir
 * or the default ring directory) or a path (contains a '/'). With
 * opts->wait_for_ring, a missing ring is waited for (checked every 100 ms)
 * instead of failing; a signal delivered to the waiting thread ends the
 * wait with -EINTR. Returns 0, or the -errno of udpcap_consumer__open()
 * (-ENOENT, -EBUSY, -EBADMSG, -EPROTO, ...); udpcap_source__strerror()
 * turns it into a message that names the ring's path.
 */
UDPCAP_API int udpcap_source__open(const char *ring, const struct udpcap_source_opts *opts,
				   struct udpcap_source **ret_src);

/*
 * Format why udpcap_source__open(@ring, @opts) failed with @err into @buf
 * (always NUL-terminated, truncated to @len). Names the full ring path and,
 * for -EBUSY, the pid of the consumer that holds the ring. Returns @buf.
 */
UDPCAP_API const char *udpcap_source__strerror(const char *ring,
					       const struct udpcap_source_opts *opts, int err,
					       char *buf, size_t len);

/*
 * udpcap_source__next - the next packet, zero copy: @ret_pkt->data stays
 * valid until udpcap_source__done() for it (and a while longer: releases
 * are batched). Returns 1 with a packet, 0 when there is none right now,
 * or a negative errno for an error the source cannot recover from.
 *
 * When the ring is empty, next() also runs the liveness check (at most
 * once per check interval): a daemon that closed or replaced its ring is
 * followed to the new ring; a ring that is gone is looked for again on
 * later idle calls, never blocking; a daemon that died without closing its
 * ring shows in udpcap_source__producer_alive(). Records that fail the bounds check are
 * skipped and counted as dropped.
 */
UDPCAP_API int udpcap_source__next(struct udpcap_source *src, struct udpcap_pkt *ret_pkt);

/*
 * Done with the oldest packet returned by next() and not yet done. The
 * ring space is given back in batches, and whenever the ring runs empty.
 */
UDPCAP_API void udpcap_source__done(struct udpcap_source *src);

/*
 * A descriptor for poll()/select(), the same for the life of the source
 * (also across re-attaches): readable when the producer woke us after
 * udpcap_source__timeout() announced that we are going to sleep.
 */
UDPCAP_API int udpcap_source__fd(const struct udpcap_source *src);

/*
 * udpcap_source__timeout - how long the caller may sleep on the fd, in
 * milliseconds: 0 while packets are pending (next() returned one last time,
 * or records arrived meanwhile), otherwise the time until the next
 * liveness check. A non-zero value means the producer has been asked to
 * wake the fd, so sleeping on it is safe (no lost wake-up). That request
 * stands until next() finds a packet, so a caller may call next() several
 * times before it sleeps (Zeek's main loop does) at no system call each.
 */
UDPCAP_API int udpcap_source__timeout(struct udpcap_source *src);

struct udpcap_source_stats {
	uint64_t received;   /* packets returned by next() since open */
	uint64_t bytes;	     /* their caplen */
	uint64_t dropped;    /* ring-full + upstream socket drops + corrupt, since open */
	uint64_t link;	     /* received + dropped: what reached us or should have */
	uint64_t corrupt;    /* records that failed the bounds check (also in dropped) */
	uint32_t reattaches; /* times the source followed the daemon to a new ring */
	bool attached;	     /* false while the ring is gone (daemon down) */
};

/*
 * Statistics since this source was opened, across re-attaches: drops the
 * producer counted before open are not ours and are not included.
 */
UDPCAP_API int udpcap_source__stats(const struct udpcap_source *src,
				    struct udpcap_source_stats *ret);

/*
 * Is the daemon that produces into the ring alive, as of the last liveness
 * check (at open and at each idle check, see udpcap_source__next())?
 * 1 yes; 0 no: it was killed or crashed, and the source stays attached to
 * its last ring until a new daemon replaces it, then follows; -ENOENT
 * while the ring is gone (not attached); -EXDEV or -ENODATA when the ring
 * cannot tell (udpcap_consumer__producer_alive()). @ret_pid (may be NULL)
 * gets the producer's pid, also when it is gone.
 */
UDPCAP_API int udpcap_source__producer_alive(const struct udpcap_source *src, pid_t *ret_pid);

/*
 * The GENEVE options of the packet next() returned last (zero copy, valid
 * until done() for it): the TLVs as on the wire, *@ret_len bytes; NULL and
 * 0 when it carried none. See udpcap_consumer__geneve_options().
 */
UDPCAP_API const uint8_t *udpcap_source__geneve_options(const struct udpcap_source *src,
							size_t *ret_len);

/* Link type of the ring (enum udpcap_linktype), 0 = mixed: use each packet's. */
UDPCAP_API uint16_t udpcap_source__linktype(const struct udpcap_source *src);

/* Path of the ring file. */
UDPCAP_API const char *udpcap_source__path(const struct udpcap_source *src);

/* Release everything and detach. NULL ok. */
UDPCAP_API void udpcap_source__close(struct udpcap_source *src);

UDPCAP_END_DECLS

#endif /* UDPCAP_SOURCE_H */
