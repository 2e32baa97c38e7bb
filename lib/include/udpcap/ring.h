/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: the shared-memory packet ring between udpcapd and a consumer.
 *
 * Contract: one producer (a udpcapd receiver thread), one consumer (a Zeek
 * worker, udpcapctl dump, ...), in different processes. The ring is a file
 * in a ring directory (default /dev/shm/udpcapd), named after the ring
 * ("worker-3"). Records are variable length, 8-byte aligned, never split
 * across the wrap. The producer never blocks: a full ring drops and counts.
 * Neither side trusts the other's writes to the shared memory. The binary
 * format is specified in docs/ring-format.md.
 *
 * Nothing here makes a system call per packet: publish and release are
 * batched, and the producer signals the consumer's wake-up descriptor only
 * when the consumer announced it is going to sleep.
 *
 * Files in the ring directory: NAME (the ring), NAME.wake (the wake-up
 * FIFO, kept across producer restarts) and, briefly, .NAME.XXXXXX (a ring
 * being created). Listing tools skip dot files and *.wake.
 */
#ifndef UDPCAP_RING_H
#define UDPCAP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <udpcap/common.h>

UDPCAP_BEGIN_DECLS

#define UDPCAP_RING_MAX_CAPLEN 65535u

/* Bit 0 is reserved: producers leave it zero, consumers ignore it (caplen
 * and origlen already say whether a packet was cut). */
#define UDPCAP_PKT_F_VXLAN_VNI (1u << 1)  /* vxlan_vni is valid */
#define UDPCAP_PKT_F_GENEVE_VNI (1u << 2) /* geneve_vni is valid */

/* Per-packet metadata carried by every ring record. */
struct udpcap_pkt_meta {
	uint64_t ts_ns;	   /* kernel receive time, ns since the Unix epoch */
	uint32_t caplen;   /* bytes of packet data in the record */
	uint32_t origlen;  /* length of the packet on the wire */
	uint16_t linktype; /* enum udpcap_linktype */
	uint16_t flags;	   /* UDPCAP_PKT_F_* */
	uint32_t vxlan_vni;
	uint32_t geneve_vni;
	uint32_t reserved;
};

/* A record handed to the consumer: data points into the ring (zero copy). */
struct udpcap_pkt {
	struct udpcap_pkt_meta meta;
	const uint8_t *data;
};

/* ---------------------------------------------------------------- producer */

struct udpcap_ring;

struct udpcap_ring_create_opts {
	size_t sz;	   /* sizeof(struct udpcap_ring_create_opts) */
	gid_t group;	   /* group of the ring file; (gid_t)-1 keeps the creator's */
	mode_t mode;	   /* 0 means 0660 */
	uint16_t linktype; /* ring-level link type hint; 0 = mixed/unknown */
};

/*
 * udpcap_ring__create - create (or replace) the ring DIR/NAME of SIZE bytes
 * of record space (a power of two; rounded up, at least 256 KiB). DIR must
 * exist (NULL = /dev/shm/udpcapd); NAME must not contain '/' nor start with
 * '.'. The file is built under a temporary name and renamed over NAME, so a
 * consumer attached to a previous ring of that name keeps a valid mapping,
 * sees it closed (and is woken), and re-attaches to the new one. The
 * memory is allocated up front (-ENOSPC here, never SIGBUS later).
 * Returns 0 or -errno.
 */
UDPCAP_API int udpcap_ring__create(const char *dir, const char *name, uint64_t size,
				   const struct udpcap_ring_create_opts *opts,
				   struct udpcap_ring **ret_ring);

/*
 * udpcap_ring__write - append one record (copying @data, meta->caplen bytes).
 * Not visible to the consumer before udpcap_ring__publish().
 * Returns 0, or -ENOBUFS when the ring is full (counted in the ring header:
 * one packet, origlen bytes), or -EINVAL for caplen > UDPCAP_RING_MAX_CAPLEN
 * (not counted: a caller bug).
 */
UDPCAP_API int udpcap_ring__write(struct udpcap_ring *ring, const struct udpcap_pkt_meta *meta,
				  const void *data);

/*
 * udpcap_ring__reserve/commit - the same in two steps, so the caller can
 * build the packet in place: reserve returns where CAPLEN bytes of data go,
 * or NULL when the ring is full (the drop, of ORIGLEN bytes, is counted
 * right away); commit then writes the record header for that space.
 * meta->caplen may be less than reserved (receive into a maximal
 * reservation, commit what arrived); more is clamped. A reservation not
 * committed before the next reserve() is abandoned.
 */
UDPCAP_API void *udpcap_ring__reserve(struct udpcap_ring *ring, uint32_t caplen, uint32_t origlen);
UDPCAP_API void udpcap_ring__commit(struct udpcap_ring *ring, const struct udpcap_pkt_meta *meta);

/*
 * udpcap_ring__write_geneve - udpcap_ring__write() of a packet that came
 * with GENEVE options: @opts, @opt_len bytes of option TLVs as on the wire
 * (at most 252, what the GENEVE header's 6-bit length can say), travel with
 * it for consumers to read (udpcap_consumer__geneve_options()). With
 * @opt_len 0 it is udpcap_ring__write(). Returns as udpcap_ring__write(),
 * or -EINVAL for @opt_len > 252.
 */
#define UDPCAP_GENEVE_OPTS_MAX 252u
UDPCAP_API int udpcap_ring__write_geneve(struct udpcap_ring *ring,
					 const struct udpcap_pkt_meta *meta, const void *data,
					 const void *opts, uint32_t opt_len);

/* Make written records visible and wake a sleeping consumer. Once per batch. */
UDPCAP_API void udpcap_ring__publish(struct udpcap_ring *ring);

/*
 * Account drops that happened before the ring (socket overflow attributed
 * to this ring), so a consumer's statistics show them. Adds @packets.
 */
UDPCAP_API void udpcap_ring__add_upstream_drops(struct udpcap_ring *ring, uint64_t packets);

struct udpcap_ring_stats {
	uint64_t written_packets; /* records published */
	uint64_t written_bytes;	  /* packet bytes (caplen) published */
	uint64_t full_packets;	  /* dropped: ring full */
	uint64_t full_bytes;
	uint64_t resets;	   /* consumer index found corrupt, ring reset */
	uint64_t reset_packets;	   /* unread records discarded by those resets */
	uint64_t capacity;	   /* bytes of record space */
	uint64_t used;		   /* bytes not yet released by the consumer */
	uint32_t generation;
	pid_t consumer_pid;	   /* 0 when no live consumer holds the ring */
};

/*
 * Producer-side statistics: from the producer's private copies, never from
 * values a consumer could have written (except used/consumer_pid, which
 * are validated). Cheap enough to call from a stats thread: reads only.
 */
UDPCAP_API int udpcap_ring__stats(const struct udpcap_ring *ring, struct udpcap_ring_stats *ret);

/* Path of the ring file. */
UDPCAP_API const char *udpcap_ring__path(const struct udpcap_ring *ring);

/* Mark the ring closed (the consumer drains what is left, then sees EOF). */
UDPCAP_API void udpcap_ring__close(struct udpcap_ring *ring);

/* Unmap; unlink the file if @unlink and it is still this ring's. NULL ok. */
UDPCAP_API void udpcap_ring__free(struct udpcap_ring *ring, bool unlink);

/* ---------------------------------------------------------------- consumer */

struct udpcap_consumer;

struct udpcap_consumer_opts {
	size_t sz;	 /* sizeof(struct udpcap_consumer_opts) */
	const char *dir; /* ring directory for bare names; NULL = default */
	int spin_us;	 /* how long prepare_wait() watches the ring before it lets
			  * the caller sleep: 0 = default (20), < 0 = not at all */
};

/*
 * udpcap_consumer__open - attach as the ring's only consumer. @ring is a
 * name ("worker-3", looked up in the ring directory) or a path (contains
 * a '/'). Returns 0, -ENOENT (no such ring), -EBUSY (another consumer holds
 * it; udpcap_consumer__holder() names it), -EBADMSG/-EPROTO (not a ring, or
 * another format version), or another -errno.
 */
UDPCAP_API int udpcap_consumer__open(const char *ring, const struct udpcap_consumer_opts *opts,
				     struct udpcap_consumer **ret_consumer);

/*
 * After -EBUSY from open: pid of the consumer holding @ring, or 0. The pid
 * comes from the kernel (F_GETLK) or, if the holder closed another fd of
 * the ring file, from the holder's own entry in the header.
 */
UDPCAP_API pid_t udpcap_consumer__holder(const char *ring, const struct udpcap_consumer_opts *opts);

/*
 * udpcap_consumer__next - the next record, zero copy: @ret_pkt->data stays
 * valid until udpcap_consumer__release(). Returns 1 with a packet, 0 when
 * the ring is empty, -EPIPE when the producer closed the ring and it is
 * drained (re-attach), -EBADMSG when a record header failed its bounds check
 * (the consumer skips to the producer's index and counts it in `corrupt`).
 * Records are never rewritten under a consumer that releases correctly; if
 * the ring was reset because its consumer index was found corrupt, reading
 * resumes at the producer's index (the producer counted what was skipped).
 */
UDPCAP_API int udpcap_consumer__next(struct udpcap_consumer *c, struct udpcap_pkt *ret_pkt);

/*
 * Give back every record returned so far. Batched: cheap per packet; the
 * index the producer sees is written every 64 releases (or quarter ring),
 * when the ring runs empty, before a sleep and on close.
 */
UDPCAP_API void udpcap_consumer__release(struct udpcap_consumer *c);

/*
 * Descriptor that becomes readable when the producer wakes the consumer.
 * The number stays the same across udpcap_consumer__reattach() (poll and
 * select users need not care); the file behind it may change, so epoll
 * users delete and re-add it after a re-attach.
 */
UDPCAP_API int udpcap_consumer__fd(const struct udpcap_consumer *c);

/*
 * Sleep protocol: call prepare_wait() before poll()ing the fd. It returns
 * 0 if it is safe to sleep, 1 if records arrived meanwhile or the ring is
 * closed (don't sleep). It first watches the ring for up to 20 us
 * (opts.spin_us; adaptive: shorter after watches that caught nothing),
 * which under steady traffic saves both sides their system calls. After waking (or
 * timing out), finish_wait() clears the announcement and drains the fd.
 * A wake-up can be spurious (a stale byte); a lost one cannot happen.
 * wait() does all three and sleeps through spurious wake-ups: it returns
 * 1 when there is something to read (or the ring closed), 0 on timeout
 * (timeout_ms < 0: none) or signal, or -errno.
 */
UDPCAP_API int udpcap_consumer__prepare_wait(struct udpcap_consumer *c);
UDPCAP_API void udpcap_consumer__finish_wait(struct udpcap_consumer *c);
UDPCAP_API int udpcap_consumer__wait(struct udpcap_consumer *c, int timeout_ms);

/*
 * Is the ring we hold still the producer's current ring? 0 if so, -ESTALE
 * if the daemon restarted (file replaced) or closed it. Cheap (one stat);
 * call on idle timeouts, not per packet.
 */
UDPCAP_API int udpcap_consumer__check(struct udpcap_consumer *c);

/*
 * Re-attach to the current ring of the same name. 0 or -errno (-ENOENT: the
 * path still holds the old, closed ring, or nothing: not yet). Records left
 * unread in the old ring are counted as dropped. 0 without doing anything
 * when the path still holds the ring we are attached to and it is open.
 */
UDPCAP_API int udpcap_consumer__reattach(struct udpcap_consumer *c);

struct udpcap_consumer_stats {
	uint64_t received;	/* records returned by next() since open */
	uint64_t bytes;		/* their caplen */
	uint64_t dropped;	/* ring-full + upstream drops + records discarded by
				 * resets since open, plus records left unread in a
				 * ring we re-attached away from (across re-attaches;
				 * a new ring's drops count from its creation) */
	uint64_t corrupt;	/* records that failed the bounds check */
	uint32_t reattaches;
};

UDPCAP_API int udpcap_consumer__stats(const struct udpcap_consumer *c,
				      struct udpcap_consumer_stats *ret);

/*
 * Does the process that produces into the ring we hold still live? 1 yes,
 * 0 no (killed or crashed: no record will come until a new producer
 * replaces the ring; udpcap_consumer__check() then says -ESTALE), or
 * -EXDEV (it is in another pid namespace) / -ENODATA (its ring format
 * predates 2.1) when the ring cannot tell. @ret_pid (may be NULL) gets
 * its pid. Reads /proc: call on idle timeouts, not per packet.
 */
UDPCAP_API int udpcap_consumer__producer_alive(const struct udpcap_consumer *c, pid_t *ret_pid);

/*
 * The GENEVE options of the packet next() returned last, zero copy (valid
 * as long as its data): the option TLVs of the GENEVE header udpcapd
 * removed, as on the wire (RFC 8926 3.5: class, type, length in 4-byte
 * words, data), *@ret_len bytes. NULL and 0 when it carried none: no
 * options on the wire, another encapsulation, or a producer older than
 * ring format 2.2.
 */
UDPCAP_API const uint8_t *udpcap_consumer__geneve_options(const struct udpcap_consumer *c,
							  size_t *ret_len);

UDPCAP_API uint16_t udpcap_consumer__linktype(const struct udpcap_consumer *c);
UDPCAP_API const char *udpcap_consumer__path(const struct udpcap_consumer *c);

/* NULL ok. */
UDPCAP_API void udpcap_consumer__close(struct udpcap_consumer *c);

/* ------------------------------------------------------------- inspection */

struct udpcap_ring_info {
	uint64_t capacity;
	uint64_t used;
	uint64_t written_packets;
	uint64_t full_packets;
	uint32_t generation;
	uint16_t format_version; /* major: a consumer reads only its own */
	uint16_t format_minor;	 /* additions within the major */
	pid_t producer_pid;
	pid_t consumer_pid; /* 0 when no live consumer */
	uint16_t linktype;
	bool closed;
	int8_t producer_alive; /* 1: producer_pid lives; 0: it is gone (killed, crashed);
				* -1: cannot tell (another pid namespace, or a ring
				* of format 2.0) */
};

/* Read a ring's header without attaching (udpcapctl rings). */
UDPCAP_API int udpcap_ring_info(const char *ring, const char *dir, struct udpcap_ring_info *ret);

UDPCAP_END_DECLS

#endif /* UDPCAP_RING_H */
