/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recvmmsg receive backend: epoll over the thread's sockets, then
 * recvmmsg() batches until a socket is drained (or, with one socket, a
 * blocking recvmmsg). Under load that is one system call per batch; one
 * ring publish per batch.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rx/backend.h"
#include "rx/rx.h"
#include "udpcapd.h"

/* Batches read from one socket before looking at the others again (fairness). */
#define MAX_ROUNDS 16

struct mmsg_bufs {
	unsigned batch;
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_storage *names;
	bool want_names; /* source addresses are read only for allow-lists */
	uint8_t *ctrl;
	uint8_t *data; /* batch buffers of BUF_STRIDE bytes (udpcapd_rx_bufs_map) */
};

/* A whole datagram per slot; the address space is not memory (udpcapd.h). */
#define BUF_STRIDE ((size_t)UDPCAPD_MAX_PAYLOAD + 1)

static void bufs_free(struct mmsg_bufs *b)
{
	free(b->msgs);
	free(b->iov);
	free(b->names);
	free(b->ctrl);
	if (b->data)
		munmap(b->data, (size_t)b->batch * BUF_STRIDE);
}

static void bufs_reset(struct mmsg_bufs *b, unsigned i)
{
	struct msghdr *mh = &b->msgs[i].msg_hdr;

	mh->msg_name = b->want_names ? &b->names[i] : NULL;
	mh->msg_namelen = b->want_names ? sizeof(b->names[i]) : 0;
	mh->msg_iov = &b->iov[i];
	mh->msg_iovlen = 1;
	mh->msg_control = b->ctrl + (size_t)i * UDPCAPD_CMSG_LEN;
	mh->msg_controllen = UDPCAPD_CMSG_LEN;
	mh->msg_flags = 0;
}

static int bufs_init(struct mmsg_bufs *b, unsigned batch)
{
	unsigned i;

	memset(b, 0, sizeof(*b));
	b->batch = batch;
	b->want_names = true;
	b->msgs = calloc(batch, sizeof(*b->msgs));
	b->iov = calloc(batch, sizeof(*b->iov));
	b->names = calloc(batch, sizeof(*b->names));
	b->ctrl = calloc(batch, UDPCAPD_CMSG_LEN);
	b->data = udpcapd_rx_bufs_map((size_t)batch * BUF_STRIDE);
	if (!b->msgs || !b->iov || !b->names || !b->ctrl || !b->data) {
		bufs_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < batch; i++) {
		b->iov[i].iov_base = b->data + (size_t)i * BUF_STRIDE;
		b->iov[i].iov_len = BUF_STRIDE;
		bufs_reset(b, i);
	}
	return 0;
}

/*
 * One recvmmsg() on @s and the datagrams it returned: accounted, delivered,
 * published. Returns how many were read, 0 if none (EAGAIN, timeout).
 */
static unsigned rx_batch(struct udpcapd_thread *t, struct udpcapd_sock *s, struct mmsg_bufs *b,
			 int flags)
{
	const struct udpcapd_filter *f;
	struct udpcapd_rx_meta last = {0};
	uint64_t now = 0;
	bool big = false;
	int n, i;

	/*
	 * acquire: pairs with the release in udpcapd_filters_swap(). Held until
	 * this batch is processed; the caller's next quiescent point ends it.
	 */
	f = __atomic_load_n(&s->l->filter, __ATOMIC_ACQUIRE);
	/* Copying out source addresses costs the kernel; skip it without an allow-list. */
	if (b->want_names != (f->allow_count != 0)) {
		b->want_names = f->allow_count != 0;
		for (i = 0; i < (int)b->batch; i++)
			bufs_reset(b, (unsigned)i);
	}
	n = recvmmsg(s->fd, b->msgs, b->batch, flags, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOMEM)
			log_warning("recvmmsg on listener %s ring %u: %m", s->l->name, s->ring);
		return 0;
	}
	udpcapd_cell_write_begin(s->cnt);
	for (i = 0; i < n; i++) {
		struct msghdr *mh = &b->msgs[i].msg_hdr;
		struct udpcapd_rx_meta m = {0};
		size_t len = b->msgs[i].msg_len;
		struct cmsghdr *c;

		for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
			udpcapd_rx_cmsg(c, &m);
		if (!m.ts_ns)
			m.ts_ns = udpcapd_rx_fallback_ts(t, &now);
		if (m.has_drops)
			last = m;
		udpcapd_rx_one(s, f, b->iov[i].iov_base, len > BUF_STRIDE ? BUF_STRIDE : len,
			       mh->msg_flags & MSG_TRUNC, mh->msg_name, m.ts_ns);
		big |= len > UDPCAPD_COMMON_PAYLOAD;
		bufs_reset(b, (unsigned)i);
	}
	if (last.has_drops)
		udpcapd_sock_drops_update(s, last.sk_drops);
	udpcapd_cell_write_end(s->cnt);
	udpcapd_rx_publish(s);
	/* outside the counter batch: a system call there would hold off readers */
	for (i = 0; __builtin_expect(big, 0) && i < n; i++)
		udpcapd_rx_release_tail(b->iov[i].iov_base, b->msgs[i].msg_len);
	return (unsigned)n;
}

/* Read @s until it is empty (or MAX_ROUNDS batches). Returns datagrams read. */
static unsigned drain(struct udpcapd_thread *t, struct udpcapd_sock *s, struct mmsg_bufs *b)
{
	unsigned rounds, n, total = 0;

	for (rounds = 0; rounds < MAX_ROUNDS; rounds++) {
		n = rx_batch(t, s, b, MSG_DONTWAIT);
		total += n;
		if (n < b->batch)
			break;
	}
	return total;
}

/* A short batch: let datagrams accumulate ([receive] coalesce_us). */
static void coalesce(const struct udpcapd_thread *t)
{
	struct timespec ts = {.tv_nsec = (long)t->d->config->receive.coalesce_us * 1000};

	if (ts.tv_nsec)
		nanosleep(&ts, NULL);
}

struct mmsg_rx {
	struct mmsg_bufs b;
	int ep;			 /* several sockets: epoll over them; else -1 */
	struct epoll_event *evs; /* [nsocks] */
};

static void mmsg_fini(void *state)
{
	struct mmsg_rx *m = state;

	if (!m)
		return;
	if (m->ep >= 0)
		close(m->ep);
	free(m->evs);
	bufs_free(&m->b);
	free(m);
}

/*
 * A thread with a single socket (one listener, one ring per thread: the
 * common case) blocks in recvmmsg() itself, like a bare receiver: one
 * system call per wake-up instead of epoll_wait() plus recvmmsg(). The
 * socket is only this thread's, so clearing O_NONBLOCK affects no one
 * else; SO_RCVTIMEO bounds the wait so that shutdown stays prompt.
 */
static int single_init(struct udpcapd_sock *s)
{
	struct timeval tv = {.tv_usec = UDPCAPD_IDLE_MS * 1000};
	int fl = fcntl(s->fd, F_GETFL);

	if (fl < 0 || fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int epoll_init(struct mmsg_rx *m, struct udpcapd_thread *t)
{
	unsigned i;

	m->ep = epoll_create1(EPOLL_CLOEXEC);
	if (m->ep < 0)
		return -errno;
	m->evs = calloc(t->nsocks, sizeof(*m->evs));
	if (!m->evs)
		return -ENOMEM;
	for (i = 0; i < t->nsocks; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->socks[i]};

		if (epoll_ctl(m->ep, EPOLL_CTL_ADD, t->socks[i].fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static int mmsg_init(struct udpcapd_thread *t, void **ret_state)
{
	struct mmsg_rx *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->ep = -1;
	r = bufs_init(&m->b, t->d->config->receive.batch);
	if (r >= 0)
		r = t->nsocks == 1 ? single_init(&t->socks[0]) : epoll_init(m, t);
	if (r < 0) {
		mmsg_fini(m);
		return r;
	}
	*ret_state = m;
	return 0;
}

static int run_single(struct udpcapd_thread *t, struct mmsg_bufs *b)
{
	struct udpcapd_sock *s = &t->socks[0];

	while (!udpcapd_rx_stopping(t)) {
		unsigned n = rx_batch(t, s, b, MSG_WAITFORONE);

		if (!n)
			udpcapd_sock_drops_poll(s);
		else if (n < b->batch)
			coalesce(t);
		udpcapd_rx_quiescent(t);
	}
	return 0;
}

static int mmsg_run(struct udpcapd_thread *t, void *state)
{
	struct mmsg_rx *m = state;
	unsigned i, got;

	if (m->ep < 0)
		return run_single(t, &m->b);
	while (!udpcapd_rx_stopping(t)) {
		int n = epoll_wait(m->ep, m->evs, (int)t->nsocks, UDPCAPD_IDLE_MS);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			for (i = 0; i < t->nsocks; i++)
				udpcapd_sock_drops_poll(&t->socks[i]);
		for (i = 0, got = 0; i < (unsigned)(n > 0 ? n : 0); i++)
			got += drain(t, m->evs[i].data.ptr, &m->b);
		if (got && got < m->b.batch)
			coalesce(t);
		udpcapd_rx_quiescent(t);
	}
	return 0;
}

const struct udpcapd_backend udpcapd_backend_recvmmsg = {
    .name = "recvmmsg",
    .init = mmsg_init,
    .run = mmsg_run,
    .fini = mmsg_fini,
};
