/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bare_recv: the benchmark's baseline - the least a UDP receiver can do.
 * One socket, one thread, recvmmsg() in batches into 9216-byte buffers
 * (udpcapd's datagram limit), counting packets and nothing else.
 *
 * Usage: bare_recv HOST PORT [RCVBUF_BYTES [BATCH [COALESCE_US]]]
 * COALESCE_US > 0: after a batch shorter than BATCH, sleep that long before
 * the next recvmmsg(), as udpcapd's [receive] coalesce_us does - the baseline
 * for what the daemon adds per packet when both batch alike.
 * Prints "ready PORT" once bound; on SIGINT/SIGTERM prints one JSON line
 * {"packets":N,"bytes":B,"socket_drops":D} and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 9216
#define MAX_BATCH 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static uint8_t bufs[MAX_BATCH][BUF_SIZE];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static char ctrl[MAX_BATCH][64];
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: EINTR ends the wait */
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	uint64_t packets = 0, bytes = 0;
	uint32_t drops = 0;
	int fd, rcvbuf, batch = 64, one = 1, coalesce_us = 0;

	if (argc < 3) {
		fprintf(stderr,
			"usage: bare_recv HOST PORT [RCVBUF_BYTES [BATCH [COALESCE_US]]]\n");
		return 2;
	}
	rcvbuf = argc > 3 ? atoi(argv[3]) : 16 << 20;
	if (argc > 4)
		batch = atoi(argv[4]);
	if (argc > 5)
		coalesce_us = atoi(argv[5]);
	if (batch < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "bare_recv: batch 1..%d\n", MAX_BATCH);
		return 2;
	}
	if (inet_pton(AF_INET6, argv[1], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)atoi(argv[2]));
		sl = sizeof(struct sockaddr_in6);
	} else if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)atoi(argv[2]));
		sl = sizeof(struct sockaddr_in);
	} else {
		fprintf(stderr, "bare_recv: bad address %s\n", argv[1]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		perror("bare_recv: socket/bind");
		return 1;
	}
	/* the same receive buffer udpcapd asks for; FORCE needs CAP_NET_ADMIN */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* the kernel's drop count rides along with the data, no extra syscall */
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	for (int i = 0; i < batch; i++) {
		iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = BUF_SIZE};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready %s\n", argv[2]);
	fflush(stdout);

	while (!stop) {
		int n;

		for (int i = 0; i < batch; i++) {
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(fd, msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("bare_recv: recvmmsg");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &msgs[i].msg_hdr;

			bytes += msgs[i].msg_len;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&drops, CMSG_DATA(c), sizeof(drops));
		}
		packets += (uint64_t)n;
		if (coalesce_us > 0 && n < batch) {
			struct timespec ts = {.tv_nsec = coalesce_us * 1000L};

			nanosleep(&ts, NULL);
		}
	}
	printf("{\"packets\":%lu,\"bytes\":%lu,\"socket_drops\":%u}\n", (unsigned long)packets,
	       (unsigned long)bytes, drops);
	close(fd);
	return 0;
}
