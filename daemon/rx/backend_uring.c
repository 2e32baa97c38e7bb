/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The io_uring receive backend: one ring per receiver thread, one
 * multishot recvmsg per socket, all drawing from one provided-buffer ring.
 *
 * liburing 2.3 has no io_uring_setup_buf_ring(), so the buffer ring is
 * mmap()ed and registered here. Every buffer is handed back right after
 * its datagram is processed, in the same pass. When the kernel still runs
 * out (a burst larger than the buffer ring between two passes), the
 * multishot ends with -ENOBUFS and no IORING_CQE_F_MORE; the socket is
 * re-armed at the top of the next pass, after the buffers were recycled.
 * Datagrams wait in the socket queue meanwhile; whatever overflows it is
 * counted as a socket drop. Nothing is lost uncounted, nothing stalls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "udpcap-build.h"
#include "log.h"
#include "rx/backend.h"
#include "rx/rx.h"
#include "udpcapd.h"

#if HAVE_IO_URING
#include <liburing.h>

#define BGID 0

struct uring_rx {
	struct io_uring ring;
	bool ring_ok;
	struct io_uring_buf_ring *br;
	size_t br_size;
	uint8_t *bufs;
	unsigned nbufs, mask;
	size_t buf_size;
	struct msghdr msgh; /* the template every multishot recvmsg was armed with */
	bool *dirty;	    /* per socket: ring needs a publish */
};

/* Buffer = io_uring_recvmsg_out + name + control + payload of UDPCAPD_MAX_PAYLOAD,
 * whole pages: address space only, ordinary datagrams touch the first page. */
static size_t buffer_size(void)
{
	size_t n = sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) +
		   UDPCAPD_CMSG_LEN + UDPCAPD_MAX_PAYLOAD;

	return (n + 4095) & ~(size_t)4095;
}

static int setup_ring(struct io_uring *ring, unsigned entries, unsigned cq_entries)
{
	struct io_uring_params p;
	int r;

	/* Kernel 6.1+: completions run only when we ask for them, on this thread. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = cq_entries;
	r = io_uring_queue_init_params(entries, ring, &p);
	if (r != -EINVAL)
		return r;
	/* Kernels before 6.1 lack DEFER_TASKRUN (5.19+ is needed anyway); can go with 6.1. */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = cq_entries;
	return io_uring_queue_init_params(entries, ring, &p);
}

static void recycle(struct uring_rx *u, unsigned bid, int offset)
{
	io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * u->buf_size, (unsigned)u->buf_size,
			      (unsigned short)bid, (int)u->mask, offset);
}

static void uring_fini(void *state)
{
	struct uring_rx *u = state;

	if (!u)
		return;
	if (u->ring_ok) {
		if (u->br)
			io_uring_unregister_buf_ring(&u->ring, BGID);
		io_uring_queue_exit(&u->ring);
	}
	if (u->br)
		munmap(u->br, u->br_size);
	if (u->bufs)
		munmap(u->bufs, u->buf_size * u->nbufs);
	free(u->dirty);
	free(u);
}

static int uring_setup(struct uring_rx *u, struct udpcapd_thread *t)
{
	struct io_uring_buf_reg reg;
	unsigned i, want = t->d->config->receive.batch * 8;
	int r;

	/* A power of two, at least 256 and at most 4096 buffers (68 KiB of address
	 * space each, about a page of memory for an ordinary datagram). */
	u->nbufs = 256;
	while (u->nbufs < want && u->nbufs < 4096)
		u->nbufs <<= 1;
	/* Tests shrink the buffer ring to run it dry on purpose. */
	if (getenv("UDPCAPD_URING_BUFFERS")) {
		unsigned long n = strtoul(getenv("UDPCAPD_URING_BUFFERS"), NULL, 10);

		if (n >= 1 && n <= 32768 && !(n & (n - 1)))
			u->nbufs = (unsigned)n;
	}
	u->mask = u->nbufs - 1;
	u->buf_size = buffer_size();
	u->dirty = calloc(t->nsocks, sizeof(*u->dirty));
	u->bufs = udpcapd_rx_bufs_map(u->buf_size * u->nbufs);
	if (!u->dirty || !u->bufs)
		return -ENOMEM;

	/* Each CQE holds a buffer, plus one end-of-multishot per socket; >= SQ size. */
	r = setup_ring(&u->ring, 64,
		       u->nbufs * 2 + t->nsocks * 2 < 128 ? 128 : u->nbufs * 2 + t->nsocks * 2);
	if (r < 0)
		return r;
	u->ring_ok = true;

	u->br_size = u->nbufs * sizeof(struct io_uring_buf);
	u->br = mmap(NULL, u->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->br == MAP_FAILED) {
		u->br = NULL;
		return -errno;
	}
	io_uring_buf_ring_init(u->br);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)u->br;
	reg.ring_entries = u->nbufs;
	reg.bgid = BGID;
	r = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (r < 0) {
		munmap(u->br, u->br_size);
		u->br = NULL;
		return r;
	}
	for (i = 0; i < u->nbufs; i++)
		recycle(u, i, (int)i);
	io_uring_buf_ring_advance(u->br, (int)u->nbufs);

	u->msgh.msg_namelen = sizeof(struct sockaddr_storage);
	u->msgh.msg_controllen = UDPCAPD_CMSG_LEN;
	for (i = 0; i < t->nsocks; i++)
		t->socks[i].rearm = true;
	return 0;
}

static int uring_init(struct udpcapd_thread *t, void **ret_state)
{
	struct uring_rx *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	r = uring_setup(u, t);
	if (r < 0) {
		uring_fini(u);
		return r;
	}
	*ret_state = u;
	return 0;
}

static int arm(struct uring_rx *u, struct udpcapd_thread *t, unsigned i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	io_uring_prep_recvmsg_multishot(sqe, t->socks[i].fd, &u->msgh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, i);
	t->socks[i].rearm = false;
	return 0;
}

/* One completion: a datagram in a provided buffer, or the end of a multishot. */
static void complete(struct uring_rx *u, struct udpcapd_thread *t, struct io_uring_cqe *cqe,
		     uint64_t *now, int *recycled)
{
	struct udpcapd_sock *s;
	struct io_uring_recvmsg_out *o;
	struct udpcapd_rx_meta m = {0};
	const struct udpcapd_filter *f;
	struct cmsghdr *c;
	unsigned bid, len = 0;
	uint8_t *buf;

	if (cqe->user_data >= t->nsocks)
		return;
	s = &t->socks[cqe->user_data];
	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->rearm = true;
	if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
		if (cqe->res == -ENOBUFS)
			udpcapd_counter_add(&t->uring_enobufs, 1);
		else if (cqe->res < 0 && cqe->res != -EINTR && cqe->res != -ECANCELED)
			log_warning("io_uring recvmsg on listener %s ring %u: %s", s->l->name,
				    s->ring, strerror(-cqe->res));
		return;
	}
	bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (bid >= u->nbufs)
		return;
	buf = u->bufs + (size_t)bid * u->buf_size;
	o = cqe->res >= 0 ? io_uring_recvmsg_validate(buf, cqe->res, &u->msgh) : NULL;
	udpcapd_cell_write_begin(s->cnt);
	if (!o) {
		/* Cannot happen with our buffer sizes; still a datagram, so count it. */
		udpcapd_counter_add(&s->cnt->received, 1);
		udpcapd_rx_drop(s->cnt, UDPCAPD_DROP_TRUNCATED);
	} else {
		for (c = io_uring_recvmsg_cmsg_firsthdr(o, &u->msgh); c;
		     c = io_uring_recvmsg_cmsg_nexthdr(o, &u->msgh, c))
			udpcapd_rx_cmsg(c, &m);
		if (!m.ts_ns)
			m.ts_ns = udpcapd_rx_fallback_ts(t, now);
		if (m.has_drops)
			udpcapd_sock_drops_update(s, m.sk_drops);
		/* acquire: pairs with the release in udpcapd_filters_swap() */
		f = __atomic_load_n(&s->l->filter, __ATOMIC_ACQUIRE);
		len = io_uring_recvmsg_payload_length(o, cqe->res, &u->msgh);
		udpcapd_rx_one(s, f, io_uring_recvmsg_payload(o, &u->msgh),
			       len > UDPCAPD_MAX_PAYLOAD ? UDPCAPD_MAX_PAYLOAD : len,
			       (o->flags & MSG_TRUNC) || len > UDPCAPD_MAX_PAYLOAD,
			       io_uring_recvmsg_name(o), m.ts_ns);
		u->dirty[cqe->user_data] = true;
	}
	udpcapd_cell_write_end(s->cnt);
	/* outside the counter batch: a system call there would hold off readers */
	if (o && __builtin_expect(len > UDPCAPD_COMMON_PAYLOAD, 0))
		udpcapd_rx_release_tail(io_uring_recvmsg_payload(o, &u->msgh), len);
	recycle(u, bid, (*recycled)++);
}

static int uring_run(struct udpcapd_thread *t, void *state)
{
	unsigned i, batch = t->d->config->receive.batch;
	unsigned coalesce_us = t->d->config->receive.coalesce_us;
	struct uring_rx *u = state;
	bool busy = false;
	int r;

	while (!udpcapd_rx_stopping(t)) {
		/*
		 * Idle: wait for one completion, up to UDPCAPD_IDLE_MS. Busy (the
		 * last pass found datagrams): wait for a batch, at most
		 * [receive] coalesce_us, so a moderate rate costs one wake-up per
		 * batch rather than per datagram (with DEFER_TASKRUN the kernel
		 * does not even wake this thread before that).
		 */
		struct __kernel_timespec ts = {.tv_nsec = busy ? coalesce_us * 1000ll
							       : UDPCAPD_IDLE_MS * 1000000ll};
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int recycled = 0;
		uint64_t now = 0;

		for (i = 0; i < t->nsocks; i++)
			if (t->socks[i].rearm && (r = arm(u, t, i)) < 0)
				return r;
		r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, busy && coalesce_us ? batch : 1,
						     &ts, NULL);
		if (r < 0 && r != -ETIME && r != -EINTR) {
			log_error("receiver %u: io_uring wait: %s", t->idx, strerror(-r));
			return r;
		}
		if (!io_uring_cq_ready(&u->ring)) {
			busy = false;
			for (i = 0; i < t->nsocks; i++)
				udpcapd_sock_drops_poll(&t->socks[i]);
			udpcapd_rx_quiescent(t);
			continue;
		}
		busy = true;
		io_uring_for_each_cqe(&u->ring, head, cqe)
		{
			complete(u, t, cqe, &now, &recycled);
			seen++;
		}
		/*
		 * Buffers back (store-release of the tail), then the CQ slots.
		 * Not io_uring_buf_ring_cq_advance(): in 2.3 it bumps the tail
		 * without a release barrier.
		 */
		io_uring_buf_ring_advance(u->br, recycled);
		io_uring_cq_advance(&u->ring, seen);
		for (i = 0; i < t->nsocks; i++) {
			if (u->dirty[i]) {
				u->dirty[i] = false;
				udpcapd_rx_publish(&t->socks[i]);
			}
		}
		udpcapd_rx_quiescent(t);
	}
	return 0;
}

static int uring_probe(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_buf_reg reg;
	void *br;
	int r;

	r = io_uring_queue_init(4, &ring, 0);
	if (r < 0) {
		snprintf(why, len, "io_uring_queue_init: %s", strerror(-r));
		return r;
	}
	br = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED) {
		r = -errno;
		snprintf(why, len, "mmap: %s", strerror(-r));
		io_uring_queue_exit(&ring);
		return r;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = 4;
	reg.bgid = BGID;
	r = io_uring_register_buf_ring(&ring, &reg, 0);
	if (r < 0)
		snprintf(why, len,
			 "provided buffer rings are not supported (kernel 5.19+, multishot "
			 "recvmsg 6.0+): %s",
			 strerror(-r));
	else
		io_uring_unregister_buf_ring(&ring, BGID);
	munmap(br, 4096);
	io_uring_queue_exit(&ring);
	return r < 0 ? r : 0;
}

const struct udpcapd_backend udpcapd_backend_uring = {
    .name = "io_uring",
    .probe = uring_probe,
    .init = uring_init,
    .run = uring_run,
    .fini = uring_fini,
};

#else /* !HAVE_IO_URING */

static int uring_probe(char *why, size_t len)
{
	snprintf(why, len, "udpcapd was built without liburing");
	return -EOPNOTSUPP;
}

static int uring_init(struct udpcapd_thread *t, void **ret_state)
{
	(void)t;
	(void)ret_state;
	return -EOPNOTSUPP;
}

const struct udpcapd_backend udpcapd_backend_uring = {
    .name = "io_uring",
    .probe = uring_probe,
    .init = uring_init,
};

#endif
