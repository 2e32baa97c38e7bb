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

static int udp_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

int tgroup_open(struct tgroup *g, unsigned n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1, rcvbuf = 4 << 20;

	memset(g, 0, sizeof(*g));
	for (unsigned i = 0; i < TGROUP_MAX; i++)
		g->fds[i] = -1;
	for (unsigned i = 0; i < TSENDERS; i++)
		g->senders[i] = -1;
	if (n < 1 || n > TGROUP_MAX)
		return -EINVAL;
	g->n = n;
	for (unsigned i = 0; i < n; i++) {
		g->fds[i] = udp_socket();
		if (g->fds[i] < 0)
			goto fail;
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
			goto fail;
		/* root may exceed rmem_max; others get what they get */
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(g->fds[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (bind(g->fds[i], (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
		if (i == 0) {
			if (getsockname(g->fds[0], (struct sockaddr *)&a, &alen) < 0)
				goto fail;
			g->port = ntohs(a.sin_port);
		}
	}
	for (unsigned i = 0; i < TSENDERS; i++) {
		struct sockaddr_in s = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		g->senders[i] = udp_socket();
		if (g->senders[i] < 0 || bind(g->senders[i], (struct sockaddr *)&s, sizeof(s)) < 0)
			goto fail;
		if (connect(g->senders[i], (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	return 0;
fail:
	n = (unsigned)-errno;
	tgroup_close(g);
	return (int)n;
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
		pfd[i] = (struct pollfd){ .fd = g->fds[i], .events = POLLIN };
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
	struct one o = { .p = p, .len = len, .idx = -1 };

	if (tgroup_send(g, rng, p, len) < 0)
		return -1;
	tgroup_drain(g, 1, match_one, &o);
	return o.wrong ? -1 : o.idx;
}
