/* SPDX-License-Identifier: BSD-3-Clause */
/* Steering tests: loopback reuseport groups (see steer_sock.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "steer_pkt.h"
#include "steer_sock.h"

static int udp_socket(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

/* Loopback address of @family with @port (network order). */
static socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = port;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = port;
	return sizeof(*a);
}

int tgroup_open(struct tgroup *g, unsigned n)
{
	return tgroup_open_family(g, n, AF_INET);
}

int tgroup_open_family(struct tgroup *g, unsigned n, int family)
{
	struct sockaddr_storage a, s;
	socklen_t alen = loopback(family, 0, &a), got = sizeof(a);
	int one = 1, rcvbuf = 4 << 20, err;

	memset(g, 0, sizeof(*g));
	for (unsigned i = 0; i < TGROUP_MAX; i++)
		g->fds[i] = -1;
	for (unsigned i = 0; i < TSENDERS; i++)
		g->senders[i] = -1;
	if (n < 1 || n > TGROUP_MAX)
		return -EINVAL;
	g->n = n;
	for (unsigned i = 0; i < n; i++) {
		g->fds[i] = udp_socket(family);
		if (g->fds[i] < 0)
			goto fail;
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
			goto fail;
		/* root may exceed rmem_max; others get what they get */
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(g->fds[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (bind(g->fds[i], (struct sockaddr *)&a, alen) < 0)
			goto fail;
		if (i == 0) {
			if (getsockname(g->fds[0], (struct sockaddr *)&a, &got) < 0)
				goto fail;
			g->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
							   : ((struct sockaddr_in *)&a)->sin_port);
		}
	}
	for (unsigned i = 0; i < TSENDERS; i++) {
		socklen_t slen = loopback(family, 0, &s);

		g->senders[i] = udp_socket(family);
		if (g->senders[i] < 0 || bind(g->senders[i], (struct sockaddr *)&s, slen) < 0)
			goto fail;
		if (connect(g->senders[i], (struct sockaddr *)&a, alen) < 0)
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	tgroup_close(g);
	return err;
}

void tgroup_close(struct tgroup *g)
{
	for (unsigned i = 0; i < TGROUP_MAX; i++)
		if (g->fds[i] >= 0)
			close(g->fds[i]), g->fds[i] = -1;
	for (unsigned i = 0; i < TSENDERS; i++)
		if (g->senders[i] >= 0)
			close(g->senders[i]), g->senders[i] = -1;
}

int tgroup_send(struct tgroup *g, uint64_t *rng, const void *p, size_t len)
{
	int s = g->senders[trand(rng) % TSENDERS];

	for (int tries = 0; tries < 1000; tries++) {
		if (send(s, p, len, 0) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		usleep(1000);
	}
	return -EAGAIN;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

size_t tgroup_drain(struct tgroup *g, size_t expect,
		    void (*fn)(void *ctx, unsigned idx, const uint8_t *p, size_t len), void *ctx)
{
	static uint8_t buf[65536];
	struct pollfd pfd[TGROUP_MAX];
	long deadline = now_ms() + 5000;
	size_t got = 0;

	for (unsigned i = 0; i < g->n; i++)
		pfd[i] = (struct pollfd){.fd = g->fds[i], .events = POLLIN};
	while (got < expect && now_ms() < deadline) {
		if (poll(pfd, g->n, 200) <= 0)
			continue;
		for (unsigned i = 0; i < g->n; i++) {
			ssize_t r;

			while ((r = recv(g->fds[i], buf, sizeof(buf), 0)) >= 0) {
				got++;
				fn(ctx, i, buf, (size_t)r);
			}
		}
	}
	return got;
}

struct one {
	const void *p;
	size_t len;
	int idx;
	int wrong;
};

static void match_one(void *ctx, unsigned idx, const uint8_t *p, size_t len)
{
	struct one *o = ctx;

	if (len == o->len && memcmp(p, o->p, len) == 0 && o->idx < 0)
		o->idx = (int)idx;
	else
		o->wrong++;
}

int tgroup_deliver(struct tgroup *g, uint64_t *rng, const void *p, size_t len)
{
	struct one o = {.p = p, .len = len, .idx = -1};

	if (tgroup_send(g, rng, p, len) < 0)
		return -1;
	tgroup_drain(g, 1, match_one, &o);
	return o.wrong ? -1 : o.idx;
}
