/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap ring, consumer side. See ring_internal.h for the contract and
 * docs/ring-format.md for the format.
 *
 * The consumer trusts nothing in the shared memory: the geometry is
 * validated once at attach and kept privately, the producer index is
 * validated on every refill, and every record header is bounds-checked
 * (from a single read) before anything in it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "opts_internal.h"
#include "ring_internal.h"
#include "sys_internal.h"

/* Write the consumer index back after this many released records (or a
 * quarter of the ring), and whenever the ring runs empty. */
#define RELEASE_BATCH 64u
/* How long prepare_wait() watches for records before it lets the caller sleep. */
#define SPIN_NS_DEFAULT 20000

struct ring_att {
	struct udpcap_ring_shm *shm;
	const uint8_t *data;
	size_t map_len;
	uint64_t cap, mask;
	int fd;
	dev_t dev;
	ino_t ino;
	uint32_t generation;
	uint16_t linktype;
	uint64_t drop_base; /* full + upstream + reset packets at attach */
};

struct udpcap_consumer {
	struct ring_att a;
	uint64_t pos;	  /* next record to read */
	uint64_t prod;	  /* last validated producer index, pos <= prod */
	uint64_t rel;	  /* released by the caller */
	uint64_t flushed; /* last value stored to shm->cons */
	uint32_t unflushed;
	uint64_t bad_prod; /* an unusable producer index already reported */
	int64_t spin_ns;   /* the most prepare_wait() watches (0: never) */
	int64_t spin_cur;  /* what it watches now: adapts to the traffic */
	int wake_fd;
	char *path;
	struct udpcap_consumer_stats st;
	uint64_t dropped_before; /* from earlier attachments */
	const uint8_t *ext;	 /* extensions of the packet next() returned last */
	uint32_t ext_len;
};

static uint64_t drop_counters(const struct udpcap_ring_shm *h)
{
	/* Relaxed: statistics only. */
	return shm_load_relaxed(&h->full_packets) + shm_load_relaxed(&h->upstream_drops) +
	       shm_load_relaxed(&h->reset_packets);
}

static void att_free(struct ring_att *a)
{
	if (a->shm && a->shm != MAP_FAILED)
		munmap(a->shm, a->map_len);
	if (a->fd >= 0)
		close(a->fd); /* drops both locks */
	a->shm = NULL;
	a->fd = -1;
}

/* Take the ring's consumer locks on @fd: -EBUSY if another consumer has it. */
static int take_lock(int fd)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = UDPCAP_LOCK_EXCL_START,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
	fl = (struct flock){
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = UDPCAP_LOCK_PID_START,
		.l_len = 1,
	};
	/* Best effort: only names us to udpcap_consumer__holder(). */
	(void)fcntl(fd, F_SETLK, &fl);
	return 0;
}

static int att_open(const char *path, struct ring_att *ret)
{
	struct ring_att a = {.fd = -1, .shm = MAP_FAILED};
	struct udpcap_ring_shm hdr = {0};
	struct stat st;
	int err;

	a.fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not block us */
	if (a.fd < 0)
		return -errno;
	if (fstat(a.fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < UDPCAP_RING_HDR_SIZE) {
		err = -EBADMSG;
		goto fail;
	}
	err = take_lock(a.fd);
	if (err)
		goto fail;
	a.map_len = (size_t)st.st_size;
	a.shm = mmap(NULL, a.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	if (a.shm == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	/* Validate a private copy: the producer could change the shared one
	 * between our check and our use. */
	memcpy(&hdr, a.shm, offsetof(struct udpcap_ring_shm, written_packets));
	err = ring_check_header(&hdr, (uint64_t)st.st_size);
	if (err)
		goto fail;
	/* We never write records: make a stray write fault here, not corrupt. */
	if (mprotect((uint8_t *)a.shm + UDPCAP_RING_HDR_SIZE, a.map_len - UDPCAP_RING_HDR_SIZE,
		     PROT_READ) < 0) {
		err = -errno;
		goto fail;
	}
	a.data = (const uint8_t *)a.shm + UDPCAP_RING_HDR_SIZE;
	a.cap = hdr.capacity;
	a.mask = a.cap - 1;
	a.dev = st.st_dev;
	a.ino = st.st_ino;
	a.generation = hdr.generation;
	a.linktype = hdr.linktype;
	a.drop_base = drop_counters(a.shm);
	*ret = a;
	return 0;
fail:
	att_free(&a);
	return err;
}

/* Where reading starts: the shared consumer index if it is plausible (a
 * consumer before us released up to there), else the producer's. */
static void att_start(struct udpcap_consumer *c)
{
	struct udpcap_ring_shm *h = c->a.shm;
	/* A0: load-acquire of prod, synchronizes with R0 in udpcap_ring__publish(). */
	uint64_t p = shm_load_acquire(&h->prod) & ~7ull;
	/* Relaxed: validated below; we are its only legitimate writer now. */
	uint64_t s = shm_load_relaxed(&h->cons);

	if ((s & 7) || p - s > c->a.cap) {
		s = p;
		c->st.corrupt++;
	}
	c->pos = c->prod = c->rel = c->flushed = s;
	c->unflushed = 0;
	c->bad_prod = 0;
	/* R1: store-release of cons, synchronizes with A1 in the producer's
	 * refresh_cons(). */
	shm_store_release(&h->cons, s);
	/* Relaxed: informational, read by ring_lock_holder() as a fallback. */
	shm_store_relaxed(&h->consumer_pid, (int32_t)getpid());
	shm_store_relaxed(&h->sleeping, 0u);
}

static void store_cons(struct udpcap_consumer *c)
{
	/* R1: store-release of cons, synchronizes with A1 in the producer's
	 * refresh_cons(): our reads of the released records are done before
	 * it reuses them. */
	shm_store_release(&c->a.shm->cons, c->rel);
	c->flushed = c->rel;
	c->unflushed = 0;
}

/*
 * The shared consumer index @v is not what we last stored: the producer
 * reset the ring (it moves the index forward to its own, having counted
 * what we skip) or something scribbled on it. Follow a plausible forward
 * move; put ours back otherwise (the producer then resets and counts).
 */
static void cons_moved(struct udpcap_consumer *c, uint64_t v)
{
	/* A0: load-acquire of prod, synchronizes with R0 in udpcap_ring__publish(). */
	uint64_t p = shm_load_acquire(&c->a.shm->prod);

	if (!(v & 7) && !(p & 7) && v - c->pos <= p - c->pos && p - v <= c->a.cap) {
		c->pos = c->rel = c->flushed = v;
		c->prod = p;
		c->unflushed = 0;
		return;
	}
	store_cons(c);
}

static void flush_release(struct udpcap_consumer *c)
{
	uint64_t seen = c->flushed;

	/* A compare-and-swap, so a reset by the producer is noticed rather than
	 * overwritten. On success it is R1, synchronizing with A1 in the
	 * producer's refresh_cons() (our reads of the released records are
	 * done); on failure A2, synchronizing with R2, the store of a reset in
	 * refresh_cons(). */
	if (__atomic_compare_exchange_n(&c->a.shm->cons, &seen, c->rel, false, __ATOMIC_RELEASE,
					__ATOMIC_ACQUIRE)) {
		c->flushed = c->rel;
		c->unflushed = 0;
		return;
	}
	cons_moved(c, seen);
}

/* Resynchronise after a bad producer index or record: skip to @to. */
static int corrupt(struct udpcap_consumer *c, uint64_t to)
{
	c->st.corrupt++;
	c->pos = c->prod = c->rel = to;
	flush_release(c);
	return -EBADMSG;
}

/*
 * Called when everything up to the last known producer index was read.
 * Returns > 0 if new records are there, 0 if the ring is empty, -EBADMSG.
 */
static int refill(struct udpcap_consumer *c)
{
	struct udpcap_ring_shm *h = c->a.shm;
	uint64_t p, s;

	/* A2: load-acquire of cons, synchronizes with R2 (a reset) in the
	 * producer's refresh_cons(); otherwise it reads our own last store. */
	s = shm_load_acquire(&h->cons);
	if (s != c->flushed)
		cons_moved(c, s);
	else if (c->rel != c->flushed)
		flush_release(c);
	/* A0: load-acquire of prod, synchronizes with R0 in
	 * udpcap_ring__publish(): the records below p are visible. */
	p = shm_load_acquire(&h->prod);
	if (p & 7) {
		/* Nowhere to skip to: report it once, then read as empty until
		 * the producer publishes a usable index. */
		if (p == c->bad_prod)
			return 0;
		c->bad_prod = p;
		c->st.corrupt++;
		return -EBADMSG;
	}
	if (p - c->pos > c->a.cap)
		return corrupt(c, p);
	c->prod = p;
	return p != c->pos;
}

/* The record walker: next() without touching received/bytes. */
static int walk(struct udpcap_consumer *c, struct udpcap_pkt *ret_pkt)
{
	for (;;) {
		const struct udpcap_ring_rec *rec;
		struct udpcap_pkt_meta meta;
		uint64_t off, avail;
		uint32_t len, type;
		uint64_t s;
		int r;

		/* A2: load-acquire of cons, synchronizes with R2 (a reset) in
		 * the producer's refresh_cons(). Usually our own cache line, so
		 * cheap: it keeps us from reading records a reset gave back. */
		s = shm_load_acquire(&c->a.shm->cons);
		if (__builtin_expect(s != c->flushed, 0))
			cons_moved(c, s);
		if (c->pos == c->prod) {
			r = refill(c);
			if (r < 0)
				return r;
			if (r == 0) {
				/* A3: load-acquire of closed, synchronizes with R3
				 * in udpcap_ring__close() or a replacing
				 * udpcap_ring__create(). */
				if (!shm_load_acquire(&c->a.shm->closed))
					return 0;
				r = refill(c);
				if (r <= 0)
					return r < 0 ? r : -EPIPE;
			}
		}
		off = c->pos & c->a.mask;
		avail = c->prod - c->pos;
		rec = (const void *)(c->a.data + off);
		/* One read of each field: the producer could rewrite it. */
		len = __atomic_load_n(&rec->len, __ATOMIC_RELAXED);
		type = __atomic_load_n(&rec->type, __ATOMIC_RELAXED);
		if (len < UDPCAP_PAD_HDR || (len & 7) || len > avail || len > c->a.cap - off)
			return corrupt(c, c->prod);
		if (type == UDPCAP_REC_PAD) {
			if (off + len != c->a.cap)
				return corrupt(c, c->prod);
			if (c->rel == c->pos)
				c->rel += len; /* nothing held before it */
			c->pos += len;
			continue;
		}
		if (type != UDPCAP_REC_PKT || len < UDPCAP_REC_HDR)
			return corrupt(c, c->prod);
		memcpy(&meta, &rec->meta, sizeof(meta));
		/* Extensions (bytes past the padded data) are skipped unless
		 * asked for: a newer producer may add kinds we do not know. */
		if (meta.caplen > UDPCAP_RING_MAX_CAPLEN || udpcap_rec_len(meta.caplen) > len ||
		    len - udpcap_rec_len(meta.caplen) > UDPCAP_REC_EXT_MAX)
			return corrupt(c, c->prod);
		c->pos += len;
		c->unflushed++;
		c->ext = (const uint8_t *)rec + udpcap_rec_len(meta.caplen);
		c->ext_len = len - udpcap_rec_len(meta.caplen);
		ret_pkt->meta = meta;
		ret_pkt->data = (const uint8_t *)rec + UDPCAP_REC_HDR;
		return 1;
	}
}

UDPCAP_API int udpcap_consumer__next(struct udpcap_consumer *c, struct udpcap_pkt *ret_pkt)
{
	int r = walk(c, ret_pkt);

	if (r == 1) {
		c->st.received++;
		c->st.bytes += ret_pkt->meta.caplen;
	}
	return r;
}

UDPCAP_API void udpcap_consumer__release(struct udpcap_consumer *c)
{
	c->rel = c->pos;
	if (c->unflushed >= RELEASE_BATCH || c->rel - c->flushed >= c->a.cap / 4)
		flush_release(c);
}

UDPCAP_API int udpcap_consumer__fd(const struct udpcap_consumer *c)
{
	return c->wake_fd;
}

/* Would next() find something at producer index @p? (An index already
 * reported unusable does not count: it must not keep us from sleeping.) */
static bool readable(const struct udpcap_consumer *c, uint64_t p)
{
	return p != c->pos && !((p & 7) && p == c->bad_prod);
}

/*
 * Before announcing sleep, watch the producer index for a while: under
 * steady traffic the next batch usually lands within microseconds, and
 * catching it here saves both sides a system call (the producer's write(2)
 * to the FIFO, our poll(2) and read(2)). The watch adapts: each one that
 * ends empty-handed halves the next (down to a quarter-microsecond probe),
 * each that catches records doubles it (up to spin_ns). So sparse traffic
 * (say one packet per 100 us) costs no spinning, and an idle consumer pays
 * a few probes and then sleeps.
 */
#define SPIN_NS_PROBE 250

static bool spin_for_records(struct udpcap_consumer *c)
{
	uint64_t t0;

	if (c->spin_ns <= 0)
		return false;
	t0 = udpcap_now_ns(CLOCK_MONOTONIC);
	for (;;) {
		for (int i = 0; i < 32; i++) {
			/* A0: synchronizes with R0 in udpcap_ring__publish(). */
			if (readable(c, shm_load_acquire(&c->a.shm->prod))) {
				c->spin_cur = c->spin_cur * 2 < c->spin_ns ? c->spin_cur * 2
									     : c->spin_ns;
				return true;
			}
			udpcap_cpu_relax();
		}
		if ((int64_t)(udpcap_now_ns(CLOCK_MONOTONIC) - t0) > c->spin_cur) {
			c->spin_cur = c->spin_cur / 2 > SPIN_NS_PROBE ? c->spin_cur / 2
								       : SPIN_NS_PROBE;
			return false;
		}
	}
}

UDPCAP_API int udpcap_consumer__prepare_wait(struct udpcap_consumer *c)
{
	struct udpcap_ring_shm *h = c->a.shm;
	uint64_t p;

	if (c->pos != c->prod)
		return 1;
	if (c->rel != c->flushed)
		flush_release(c);
	if (spin_for_records(c))
		return 1;
	/*
	 * Dekker with udpcap_ring__publish(): store sleeping, full fence, load
	 * prod; the producer stores prod, full fence, loads sleeping. Either
	 * we see its new prod here, or it sees our flag and writes the FIFO.
	 */
	shm_store_relaxed(&h->sleeping, 1u);
	shm_fence();
	/* A0: synchronizes with R0 in udpcap_ring__publish(). */
	p = shm_load_acquire(&h->prod);
	/* A3: synchronizes with R3 (udpcap_ring__close(), a replacing create). */
	if (readable(c, p) || shm_load_acquire(&h->closed)) {
		shm_store_relaxed(&h->sleeping, 0u);
		return 1;
	}
	return 0;
}

UDPCAP_API void udpcap_consumer__finish_wait(struct udpcap_consumer *c)
{
	char buf[64];

	/* Relaxed: a stale 1 costs the producer one spare write(2). */
	shm_store_relaxed(&c->a.shm->sleeping, 0u);
	while (read(c->wake_fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * A wake-up byte can be stale (the producer saw our flag while we were
 * already backing out of a sleep), so a readable fd alone proves nothing:
 * sleep again for the rest of the timeout. Returns 1 when there is
 * something to read (or the ring closed), 0 on timeout or signal.
 */
UDPCAP_API int udpcap_consumer__wait(struct udpcap_consumer *c, int timeout_ms)
{
	struct pollfd pfd = {.fd = c->wake_fd, .events = POLLIN};
	int64_t deadline = timeout_ms >= 0 ? (int64_t)(udpcap_now_ns(CLOCK_MONOTONIC) / 1000000) + timeout_ms : 0;
	int r, left = timeout_ms;

	for (;;) {
		if (udpcap_consumer__prepare_wait(c))
			return 1;
		r = poll(&pfd, 1, left);
		udpcap_consumer__finish_wait(c);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		/* A0 and A3, as in prepare_wait(). */
		if (readable(c, shm_load_acquire(&c->a.shm->prod)) ||
		    shm_load_acquire(&c->a.shm->closed))
			return 1;
		if (r == 0)
			return 0;
		if (timeout_ms >= 0) {
			int64_t rest = deadline - (int64_t)(udpcap_now_ns(CLOCK_MONOTONIC) / 1000000);

			if (rest <= 0)
				return 0;
			left = (int)rest;
		}
	}
}

UDPCAP_API int udpcap_consumer__check(struct udpcap_consumer *c)
{
	struct stat st;

	if (stat(c->path, &st) < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	if (st.st_dev != c->a.dev || st.st_ino != c->a.ino)
		return -ESTALE;
	/* Relaxed: a hint; next() re-checks with acquire. */
	if (shm_load_relaxed(&c->a.shm->closed))
		return -ESTALE;
	return 0;
}

static int open_wake(const char *ring_path, int *ret_fd)
{
	char *wpath;
	struct stat st;
	int fd, err = 0;

	err = ring_wake_path(ring_path, &wpath);
	if (err)
		return err;
	/* O_RDWR: with a writer of our own the FIFO never reports POLLHUP, so
	 * a dead producer cannot make poll() spin. */
	fd = open(wpath, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	free(wpath);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	*ret_fd = fd;
	return 0;
}

UDPCAP_API int udpcap_consumer__open(const char *ring, const struct udpcap_consumer_opts *opts,
				     struct udpcap_consumer **ret_consumer)
{
	struct udpcap_consumer_opts o;
	struct udpcap_consumer *c;
	const char *dir;
	int spin_us, err;

	if (!ret_consumer)
		return -EINVAL;
	err = UDPCAP_OPTS_COPY(&o, opts);
	if (err)
		return err;
	dir = UDPCAP_OPTS_GET(&o, dir, NULL);
	spin_us = UDPCAP_OPTS_GET(&o, spin_us, 0);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->spin_ns = spin_us == 0 ? SPIN_NS_DEFAULT : (int64_t)spin_us * 1000;
	c->spin_cur = c->spin_ns;
	c->a.fd = c->wake_fd = -1;
	err = ring_path(ring, dir, &c->path);
	if (err)
		goto fail;
	err = att_open(c->path, &c->a);
	if (err)
		goto fail;
	err = open_wake(c->path, &c->wake_fd);
	if (err)
		goto fail;
	att_start(c);
	*ret_consumer = c;
	return 0;
fail:
	udpcap_consumer__close(c);
	return err;
}

UDPCAP_API pid_t udpcap_consumer__holder(const char *ring, const struct udpcap_consumer_opts *opts)
{
	struct udpcap_consumer_opts o;
	const struct udpcap_ring_shm *h;
	char *path;
	pid_t pid;
	int fd;

	if (UDPCAP_OPTS_COPY(&o, opts) < 0)
		return 0;
	if (ring_path(ring, UDPCAP_OPTS_GET(&o, dir, NULL), &path))
		return 0;
	if (ring_map_header(path, &fd, &h)) {
		free(path);
		return 0;
	}
	pid = ring_lock_holder(fd, h);
	munmap((void *)h, UDPCAP_RING_HDR_SIZE);
	close(fd);
	free(path);
	return pid;
}

static uint64_t dropped_now(const struct udpcap_consumer *c)
{
	uint64_t now = drop_counters(c->a.shm);

	return c->dropped_before + (now > c->a.drop_base ? now - c->a.drop_base : 0);
}

UDPCAP_API int udpcap_consumer__reattach(struct udpcap_consumer *c)
{
	struct udpcap_pkt pkt;
	struct ring_att n;
	uint64_t budget, leftover;
	struct stat st;
	int wfd = -1, err, r;

	if (stat(c->path, &st) < 0)
		return -errno;
	if (st.st_dev == c->a.dev && st.st_ino == c->a.ino)
		return shm_load_relaxed(&c->a.shm->closed) ? -ENOENT : 0;
	err = att_open(c->path, &n);
	if (err)
		return err;
	err = open_wake(c->path, &wfd);
	if (err) {
		att_free(&n);
		return err;
	}
	/* Keep the descriptor number: callers registered it in their loop. */
	if (dup3(wfd, c->wake_fd, O_CLOEXEC) < 0) {
		err = -errno;
		close(wfd);
		att_free(&n);
		return err;
	}
	close(wfd);

	/* What the old ring still held can never be read now: count it. The
	 * walk is bounded: each step consumes at least 8 bytes or resyncs. */
	for (budget = c->a.cap / 8 + 2, leftover = 0; budget--;) {
		r = walk(c, &pkt);
		if (r == 0 || r == -EPIPE)
			break;
		leftover += r == 1;
		c->rel = c->pos;
	}
	c->dropped_before = dropped_now(c) + leftover;
	att_free(&c->a);
	/* A new ring's drops all happened while we were its consumer-to-be. */
	if (n.generation != c->a.generation)
		n.drop_base = 0;
	c->a = n;
	att_start(c);
	c->st.reattaches++;
	return 0;
}

UDPCAP_API int udpcap_consumer__stats(const struct udpcap_consumer *c,
				      struct udpcap_consumer_stats *ret)
{
	*ret = c->st;
	ret->dropped = dropped_now(c);
	return 0;
}

const uint8_t *ring_consumer_data(const struct udpcap_consumer *c, uint64_t *ret_capacity)
{
	*ret_capacity = c->a.cap;
	return c->a.data;
}

UDPCAP_API int udpcap_consumer__producer_alive(const struct udpcap_consumer *c, pid_t *ret_pid)
{
	return ring_producer_alive(c->a.shm, ret_pid);
}

/*
 * The extensions were bounds-checked as a whole with their record; each
 * one's header is read once and checked against what is left, since the
 * producer could rewrite it meanwhile.
 */
UDPCAP_API const uint8_t *udpcap_consumer__geneve_options(const struct udpcap_consumer *c,
							  size_t *ret_len)
{
	const uint8_t *p = c->ext;
	uint32_t left = c->ext_len;

	*ret_len = 0;
	while (left >= UDPCAP_EXT_HDR) {
		struct udpcap_rec_ext x;

		memcpy(&x, p, sizeof(x));
		if (UDPCAP_EXT_HDR + (uint32_t)x.len > left)
			return NULL;
		if (x.type == UDPCAP_EXT_GENEVE_OPTS) {
			if (x.len > UDPCAP_GENEVE_OPTS_MAX)
				return NULL;
			*ret_len = x.len;
			return x.len ? p + UDPCAP_EXT_HDR : NULL;
		}
		if (udpcap_ext_len(x.len) >= left)
			return NULL;
		p += udpcap_ext_len(x.len);
		left -= udpcap_ext_len(x.len);
	}
	return NULL;
}

UDPCAP_API uint16_t udpcap_consumer__linktype(const struct udpcap_consumer *c)
{
	return c->a.linktype;
}

UDPCAP_API const char *udpcap_consumer__path(const struct udpcap_consumer *c)
{
	return c->path;
}

UDPCAP_API void udpcap_consumer__close(struct udpcap_consumer *c)
{
	if (!c)
		return;
	if (c->a.shm && c->a.shm != MAP_FAILED) {
		/* Let the next consumer resume after what we gave back. */
		if (c->rel != c->flushed)
			flush_release(c);
		shm_store_relaxed(&c->a.shm->sleeping, 0u);
	}
	att_free(&c->a);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c->path);
	free(c);
}
