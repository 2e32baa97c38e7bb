/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap ring, producer side. See ring_internal.h for the contract and
 * docs/ring-format.md for the format.
 *
 * The producer keeps every value it depends on in private memory (its own
 * index, the capacity, its counters) and only ever mirrors them into the
 * shared header. The two shared values it reads are the consumer index,
 * validated each time it is read, and the consumer's sleeping flag, where
 * any value merely costs one write(2) per publish.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opts_internal.h"
#include "ring_internal.h"
#include "sys_internal.h"
#include "udpcap-build.h"

struct udpcap_ring {
	struct udpcap_ring_shm *shm;
	uint8_t *data;
	size_t map_len;
	uint64_t cap, mask;
	uint64_t prod;	   /* private, including written but unpublished records */
	uint64_t prod_pub; /* last value stored to shm->prod */
	uint64_t cons;	   /* last validated consumer index */

	uint8_t *res_rec; /* reserve()d record waiting for commit(), or NULL */
	uint32_t res_caplen;

	uint64_t pend_packets, pend_bytes; /* committed, not yet published */
	struct {
		uint64_t written_packets, written_bytes;
		uint64_t full_packets, full_bytes;
		uint64_t upstream_drops, resets, reset_packets;
	} st;

	int fd, wake_fd;
	dev_t dev;
	ino_t ino;
	uint32_t generation;
	bool closed;
	char *path, *wake_path;
};

/*
 * The private counters, prod_pub and cons have one writer, the producer
 * thread; udpcap_ring__stats() may read them from another (the daemon's
 * stats thread). Relaxed atomic access keeps that free of data races; a
 * snapshot of several counters need not be consistent.
 */
#define PRIV_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define PRIV_ADD(field, v) PRIV_SET(field, (field) + (v))
#define PRIV_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Relaxed stores: informational mirrors of private counters for consumers
 * and udpcapctl; nothing orders against them. */
static void mirror_counters(struct udpcap_ring *r)
{
	struct udpcap_ring_shm *h = r->shm;

	shm_store_relaxed(&h->written_packets, r->st.written_packets);
	shm_store_relaxed(&h->written_bytes, r->st.written_bytes);
	shm_store_relaxed(&h->full_packets, r->st.full_packets);
	shm_store_relaxed(&h->full_bytes, r->st.full_bytes);
	shm_store_relaxed(&h->upstream_drops, r->st.upstream_drops);
	shm_store_relaxed(&h->resets, r->st.resets);
	shm_store_relaxed(&h->reset_packets, r->st.reset_packets);
}

static void wake(struct udpcap_ring *r)
{
	static const char b = 'w';

	/* Non-blocking, and we hold the FIFO O_RDWR ourselves, so this can
	 * neither block nor raise SIGPIPE; EAGAIN means a wake-up is already
	 * pending. */
	if (write(r->wake_fd, &b, 1) < 0) {
		/* nothing to do */
	}
}

/*
 * Count the records in [from, to) of our own data area, for reset_packets.
 * The data area is shared too (a hostile process with write access could
 * fill it with 8-byte records), so the walk is bounds-checked and bounded;
 * what it cannot walk is estimated from its size at the smallest packet
 * record. Exact in every other case.
 */
#define COUNT_WALK_MAX 65536

static uint64_t count_records(const struct udpcap_ring *r, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (unsigned steps = 0; from != to; steps++) {
		if (steps == COUNT_WALK_MAX)
			return n + (to - from + UDPCAP_REC_HDR + 7) / (UDPCAP_REC_HDR + 8);
		const struct udpcap_ring_rec *rec = (const void *)(r->data + (from & r->mask));
		uint64_t off = from & r->mask;
		uint32_t len = __atomic_load_n(&rec->len, __ATOMIC_RELAXED);

		if (len < UDPCAP_PAD_HDR || (len & 7) || len > to - from || len > r->cap - off)
			return n + (to - from + UDPCAP_REC_HDR + 7) / (UDPCAP_REC_HDR + 8);
		if (__atomic_load_n(&rec->type, __ATOMIC_RELAXED) == UDPCAP_REC_PKT)
			n++;
		from += len;
	}
	return n;
}

/*
 * The consumer index is written by another, untrusted process. A valid one
 * is 8-aligned and lies in [last valid value, published producer index]:
 * it never moves backwards and never passes what was published. Anything
 * else resets the ring: every unread record is discarded and counted, and
 * the consumer index is set to the producer's.
 */
static void refresh_cons(struct udpcap_ring *r)
{
	/* A1: load-acquire of cons, synchronizes with the consumer's R1
	 * (store_cons(), att_start(), the compare-and-swap in flush_release()):
	 * its reads of the records before c are done before we overwrite them. */
	uint64_t c = shm_load_acquire(&r->shm->cons);

	if (c == r->cons)
		return;
	if (!(c & 7) && c - r->cons <= r->prod_pub - r->cons) {
		PRIV_SET(r->cons, c);
		return;
	}
	PRIV_ADD(r->st.resets, 1);
	PRIV_ADD(r->st.reset_packets, count_records(r, r->cons, r->prod_pub));
	PRIV_SET(r->cons, r->prod_pub);
	/* R2: store-release of cons (a reset), synchronizes with the consumer's
	 * A2 (walk(), refill(), a failed compare-and-swap in flush_release()). */
	shm_store_release(&r->shm->cons, r->prod_pub);
	mirror_counters(r);
}

static void count_full(struct udpcap_ring *r, uint32_t origlen)
{
	PRIV_ADD(r->st.full_packets, 1);
	PRIV_ADD(r->st.full_bytes, origlen);
	shm_store_relaxed(&r->shm->full_packets, r->st.full_packets);
	shm_store_relaxed(&r->shm->full_bytes, r->st.full_bytes);
}

/* Room for a record of @len bytes (a multiple of 8): where it starts, or
 * NULL (counted as one ring-full drop of @origlen bytes). */
static inline uint8_t *reserve_rec(struct udpcap_ring *r, uint64_t len, uint32_t origlen)
{
	uint64_t off, tail, need;

	off = r->prod & r->mask;
	tail = r->cap - off;
	/* A record that does not fit before the end also consumes the tail. */
	need = len <= tail ? len : tail + len;
	if (need > r->cap - (r->prod - r->cons)) {
		refresh_cons(r);
		if (need > r->cap - (r->prod - r->cons)) {
			count_full(r, origlen);
			return NULL;
		}
	}
	if (len > tail) {
		struct udpcap_ring_rec *pad = (void *)(r->data + off);

		pad->len = (uint32_t)tail;
		pad->type = UDPCAP_REC_PAD;
		pad->rsv = 0;
		r->prod += tail;
		off = 0;
	}
	return r->data + off;
}

UDPCAP_API void *udpcap_ring__reserve(struct udpcap_ring *r, uint32_t caplen, uint32_t origlen)
{
	r->res_rec = NULL;
	if (caplen > UDPCAP_RING_MAX_CAPLEN || r->closed) {
		count_full(r, origlen);
		return NULL;
	}
	r->res_rec = reserve_rec(r, udpcap_rec_len(caplen), origlen);
	if (!r->res_rec)
		return NULL;
	r->res_caplen = caplen;
	return r->res_rec + UDPCAP_REC_HDR;
}

UDPCAP_API void udpcap_ring__commit(struct udpcap_ring *r, const struct udpcap_pkt_meta *meta)
{
	struct udpcap_ring_rec *rec = (void *)r->res_rec;
	uint32_t caplen, len;

	if (!rec)
		return;
	/* Committing less than was reserved is allowed (receive into a
	 * maximal reservation, then commit what arrived). */
	caplen = meta->caplen < r->res_caplen ? meta->caplen : r->res_caplen;
	len = udpcap_rec_len(caplen);
	rec->meta = *meta;
	rec->meta.caplen = caplen;
	rec->len = len;
	rec->type = UDPCAP_REC_PKT;
	rec->rsv = 0;
	r->prod += len;
	r->pend_packets++;
	r->pend_bytes += caplen;
	r->res_rec = NULL;
}

UDPCAP_API int udpcap_ring__write(struct udpcap_ring *r, const struct udpcap_pkt_meta *meta,
				  const void *data)
{
	void *p;

	if (meta->caplen > UDPCAP_RING_MAX_CAPLEN)
		return -EINVAL;
	p = udpcap_ring__reserve(r, meta->caplen, meta->origlen);
	if (!p)
		return -ENOBUFS;
	memcpy(p, data, meta->caplen);
	udpcap_ring__commit(r, meta);
	return 0;
}

/*
 * A packet record with one extension of @type: the packet data, padded to
 * 8, then the extension header and @ext_len bytes of value, padded to 8.
 */
int ring_write_ext(struct udpcap_ring *r, const struct udpcap_pkt_meta *meta, const void *data,
		   uint16_t type, const void *ext, uint16_t ext_len)
{
	uint32_t caplen = meta->caplen, dlen, xlen;
	struct udpcap_rec_ext xh = {.type = type, .len = ext_len};
	struct udpcap_ring_rec *rec;
	uint8_t *p;

	r->res_rec = NULL;
	if (caplen > UDPCAP_RING_MAX_CAPLEN || udpcap_ext_len(ext_len) > UDPCAP_REC_EXT_MAX)
		return -EINVAL;
	if (r->closed) {
		count_full(r, meta->origlen);
		return -ENOBUFS;
	}
	dlen = udpcap_rec_len(caplen);
	xlen = udpcap_ext_len(ext_len);
	p = reserve_rec(r, (uint64_t)dlen + xlen, meta->origlen);
	if (!p)
		return -ENOBUFS;
	rec = (void *)p;
	memcpy(p + UDPCAP_REC_HDR, data, caplen);
	/* Zero the padding: the record must not carry stale bytes. */
	memset(p + UDPCAP_REC_HDR + caplen, 0, dlen - UDPCAP_REC_HDR - caplen);
	memcpy(p + dlen, &xh, sizeof(xh));
	memcpy(p + dlen + UDPCAP_EXT_HDR, ext, ext_len);
	memset(p + dlen + UDPCAP_EXT_HDR + ext_len, 0, xlen - UDPCAP_EXT_HDR - ext_len);
	rec->meta = *meta;
	rec->len = dlen + xlen;
	rec->type = UDPCAP_REC_PKT;
	rec->rsv = 0;
	r->prod += dlen + xlen;
	r->pend_packets++;
	r->pend_bytes += caplen;
	return 0;
}

UDPCAP_API int udpcap_ring__write_geneve(struct udpcap_ring *r, const struct udpcap_pkt_meta *meta,
					 const void *data, const void *opts, uint32_t opt_len)
{
	if (!opt_len)
		return udpcap_ring__write(r, meta, data);
	if (opt_len > UDPCAP_GENEVE_OPTS_MAX)
		return -EINVAL;
	return ring_write_ext(r, meta, data, UDPCAP_EXT_GENEVE_OPTS, opts, (uint16_t)opt_len);
}

UDPCAP_API void udpcap_ring__publish(struct udpcap_ring *r)
{
	struct udpcap_ring_shm *h = r->shm;

	if (r->prod == r->prod_pub)
		return;
	/* R0: store-release of prod, synchronizes with the consumer's A0
	 * (refill(), att_start(), cons_moved(), spin_for_records(),
	 * udpcap_consumer__prepare_wait(), udpcap_consumer__wait()): the
	 * records are visible before the index that covers them. */
	shm_store_release(&h->prod, r->prod);
	PRIV_SET(r->prod_pub, r->prod);
	PRIV_ADD(r->st.written_packets, r->pend_packets);
	PRIV_ADD(r->st.written_bytes, r->pend_bytes);
	r->pend_packets = r->pend_bytes = 0;
	shm_store_relaxed(&h->written_packets, r->st.written_packets);
	shm_store_relaxed(&h->written_bytes, r->st.written_bytes);
	/*
	 * Dekker with udpcap_consumer__prepare_wait(): we store prod then load
	 * sleeping, it stores sleeping then loads prod, a full fence between
	 * each pair. At least one side sees the other's store, so either the
	 * consumer does not sleep or we wake it. The load itself is relaxed
	 * (ordered by the fence); the flag is usually 0, so the common case
	 * costs no write to the consumer's cache line.
	 */
	shm_fence();
	if (shm_load_relaxed(&h->sleeping) &&
	    __atomic_exchange_n(&h->sleeping, 0, __ATOMIC_RELAXED))
		wake(r);
}

UDPCAP_API void udpcap_ring__add_upstream_drops(struct udpcap_ring *r, uint64_t packets)
{
	PRIV_ADD(r->st.upstream_drops, packets);
	shm_store_relaxed(&r->shm->upstream_drops, r->st.upstream_drops);
}

UDPCAP_API int udpcap_ring__stats(const struct udpcap_ring *r, struct udpcap_ring_stats *ret)
{
	/* Relaxed: a snapshot, validated like any consumer value. */
	uint64_t c = shm_load_relaxed(&r->shm->cons);
	uint64_t valid = PRIV_GET(r->cons), pub = PRIV_GET(r->prod_pub);

	if ((c & 7) || c - valid > pub - valid)
		c = valid;
	*ret = (struct udpcap_ring_stats){
		.written_packets = PRIV_GET(r->st.written_packets),
		.written_bytes = PRIV_GET(r->st.written_bytes),
		.full_packets = PRIV_GET(r->st.full_packets),
		.full_bytes = PRIV_GET(r->st.full_bytes),
		.resets = PRIV_GET(r->st.resets),
		.reset_packets = PRIV_GET(r->st.reset_packets),
		.capacity = r->cap,
		.used = pub - c,
		.generation = r->generation,
		.consumer_pid = ring_lock_holder(r->fd, r->shm),
	};
	return 0;
}

UDPCAP_API const char *udpcap_ring__path(const struct udpcap_ring *r)
{
	return r->path;
}

UDPCAP_API void udpcap_ring__close(struct udpcap_ring *r)
{
	if (r->closed)
		return;
	udpcap_ring__publish(r);
	r->closed = true;
	/* R3: store-release of closed, synchronizes with the consumer's A3
	 * (walk(), udpcap_consumer__prepare_wait(), udpcap_consumer__wait()):
	 * everything published is visible once closed is. */
	shm_store_release(&r->shm->closed, 1u);
	wake(r);
}

UDPCAP_API void udpcap_ring__free(struct udpcap_ring *r, bool unlink_file)
{
	struct stat st;

	if (!r)
		return;
	udpcap_ring__close(r);
	if (unlink_file && stat(r->path, &st) == 0 && st.st_dev == r->dev && st.st_ino == r->ino) {
		unlink(r->path);
		unlink(r->wake_path);
	}
	munmap(r->shm, r->map_len);
	close(r->wake_fd);
	close(r->fd);
	free(r->path);
	free(r->wake_path);
	free(r);
}

/* ------------------------------------------------------------------ create */

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < NAME_MAX - 16 && name[0] != '.' && !strchr(name, '/');
}

/* The wake-up FIFO outlives producer restarts: reusing it keeps a consumer
 * that sleeps on it reachable while a new ring replaces the old. */
static int open_wake_fifo(const char *path, mode_t mode, gid_t group, int *ret_fd)
{
	struct stat st;
	int fd;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		fd = -1, errno = EEXIST;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EEXIST;
	}
	if (fd < 0) {
		/* Something else squats the name: replace it. */
		if (errno != EEXIST || unlink(path) < 0 || mkfifo(path, 0600) < 0)
			return -errno;
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
	}
	if (fchmod(fd, mode) < 0 || (group != (gid_t)-1 && fchown(fd, (uid_t)-1, group) < 0)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/* Map the header of the ring being replaced, to mark it closed after the
 * rename; NULL if there is none (or it is not a ring we understand). */
static struct udpcap_ring_shm *map_old_ring(const char *path)
{
	struct udpcap_ring_shm *h;
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	h = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size >= UDPCAP_RING_HDR_SIZE)
		h = mmap(NULL, UDPCAP_RING_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return NULL;
	if (ring_check_header(h, (uint64_t)st.st_size)) {
		munmap(h, UDPCAP_RING_HDR_SIZE);
		return NULL;
	}
	return h;
}

static uint64_t round_capacity(uint64_t size)
{
	uint64_t cap = UDPCAP_RING_MIN_CAPACITY;

	while (cap < size && cap < UDPCAP_RING_MAX_CAPACITY)
		cap <<= 1;
	return cap;
}

UDPCAP_API int udpcap_ring__create(const char *dir, const char *name, uint64_t size,
				   const struct udpcap_ring_create_opts *opts,
				   struct udpcap_ring **ret_ring)
{
	struct udpcap_ring_create_opts o;
	struct udpcap_ring_shm *old = NULL, *h;
	struct udpcap_ring *r;
	char *tmp = NULL;
	gid_t group;
	mode_t mode;
	uint16_t linktype;
	struct stat st;
	int err;

	if (!name || !valid_name(name) || !ret_ring || size > UDPCAP_RING_MAX_CAPACITY)
		return -EINVAL;
	err = UDPCAP_OPTS_COPY(&o, opts);
	if (err)
		return err;
	group = UDPCAP_OPTS_GET(&o, group, (gid_t)-1);
	mode = UDPCAP_OPTS_GET(&o, mode, 0) ?: 0660;
	linktype = UDPCAP_OPTS_GET(&o, linktype, 0);
	if (!dir || !*dir)
		dir = UDPCAP_DEFAULT_RING_DIR;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = r->wake_fd = -1;
	r->shm = MAP_FAILED;
	r->cap = round_capacity(size);
	r->mask = r->cap - 1;
	r->map_len = UDPCAP_RING_HDR_SIZE + r->cap;
	if (asprintf(&r->path, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/.%s.XXXXXX", dir, name) < 0) {
		r->path = NULL, tmp = NULL;
		err = -ENOMEM;
		goto fail;
	}
	err = ring_wake_path(r->path, &r->wake_path);
	if (err)
		goto fail;

	r->fd = mkostemp(tmp, O_CLOEXEC);
	if (r->fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	if (fchmod(r->fd, mode) < 0 || (group != (gid_t)-1 && fchown(r->fd, (uid_t)-1, group) < 0)) {
		err = -errno;
		goto fail;
	}
	/* Allocate now: a full /dev/shm must fail here, not SIGBUS later. */
	err = posix_fallocate(r->fd, 0, (off_t)r->map_len);
	if (err == EOPNOTSUPP || err == EINVAL)
		err = ftruncate(r->fd, (off_t)r->map_len) < 0 ? errno : 0;
	if (err) {
		err = -err;
		goto fail;
	}
	r->shm = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
	if (r->shm == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->data = (uint8_t *)r->shm + UDPCAP_RING_HDR_SIZE;
	err = open_wake_fifo(r->wake_path, mode, group, &r->wake_fd);
	if (err)
		goto fail;

	old = map_old_ring(r->path);
	h = r->shm;
	h->version.major = UDPCAP_RING_VERSION_MAJOR;
	h->version.minor = UDPCAP_RING_VERSION_MINOR;
	h->hdr_size = UDPCAP_RING_HDR_SIZE;
	h->capacity = r->cap;
	h->max_caplen = UDPCAP_RING_MAX_CAPLEN;
	h->generation = r->generation = ring_new_generation(old ? old->generation : 0);
	h->producer_pid = getpid();
	h->linktype = linktype;
	h->create_time_ns = udpcap_now_ns(CLOCK_REALTIME);
	{
		uint64_t start;
		bool dead;

		/* Without them consumers cannot tell us from a reused pid: they
		 * then say "cannot tell" rather than guess. */
		if (ring_proc_start(getpid(), &start, &dead) == 0)
			h->producer_start = start;
		h->producer_pidns = ring_pidns();
	}
	/* Nobody can see the file before the rename (which orders it), so this
	 * release has no acquire partner; it only keeps the store whole. */
	shm_store_release(&h->magic, UDPCAP_RING_MAGIC);
	if (fstat(r->fd, &st) < 0 || rename(tmp, r->path) < 0) {
		err = -errno;
		goto fail;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	if (old) {
		/* R3 (as in udpcap_ring__close()), synchronizes with A3. The
		 * wake-up below reaches a consumer asleep on the old ring
		 * through the shared FIFO. */
		shm_store_release(&old->closed, 1u);
		munmap(old, UDPCAP_RING_HDR_SIZE);
		wake(r);
	}
	free(tmp);
	*ret_ring = r;
	return 0;
fail:
	if (old)
		munmap(old, UDPCAP_RING_HDR_SIZE);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (r->shm != MAP_FAILED)
		munmap(r->shm, r->map_len);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->wake_path);
	free(r);
	return err;
}
