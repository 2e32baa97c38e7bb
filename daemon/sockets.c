/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Listener sockets: per listener one SO_REUSEPORT UDP socket per ring
 * (socket i feeds ring i only), all bound before steering is attached to
 * the group. Kernel timestamps (SO_TIMESTAMPNS) and the socket's drop
 * counter (SO_RXQ_OVFL) come with every datagram.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "steer/steering.h"
#include "udpcapd.h"

static int setopt_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}

/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it SO_RCVBUF is capped by rmem_max. */
static void set_rcvbuf(int fd, uint64_t want, const char *listener, bool *warned)
{
	int v = (int)want, got = 0;
	socklen_t len = sizeof(got);

	if (setopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, v) < 0)
		setopt_int(fd, SOL_SOCKET, SO_RCVBUF, v);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		return;
	/* The kernel reports twice the size it was given (bookkeeping overhead). */
	if ((uint64_t)got / 2 < want && !*warned) {
		*warned = true;
		log_warning("listener %s: receive buffer is %d bytes, not the %llu asked for "
			    "(rcvbuf =); raise the limit with: sysctl -w net.core.rmem_max=%llu",
			    listener, got / 2, (unsigned long long)want, (unsigned long long)want);
	}
}

static unsigned addr_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					       : ((const struct sockaddr_in *)ss)->sin_port);
}

/*
 * An operator who writes listen = [::]:PORT expects what a Linux socket
 * bound to [::] does by default: IPv4 and IPv6 alike (IPv4 sources appear
 * as ::ffff:a.b.c.d, which allow-lists match against IPv4 networks; the
 * steering programs read only the UDP payload). The one exception is a
 * configuration that also listens on the same port over IPv4 in another
 * listener: then this one keeps to IPv6 and the other gets the IPv4
 * traffic, as before. Specific IPv6 addresses are IPv6 only.
 */
static bool listener_v6only(const struct udpcapd *d, const struct udpcapd_listener *l)
{
	unsigned i, port = addr_port(&l->addr);

	if (l->addr.ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&l->addr)->sin6_addr))
		return true;
	for (i = 0; i < d->nlisteners; i++)
		if (d->listeners[i].addr.ss_family == AF_INET && port &&
		    addr_port(&d->listeners[i].addr) == port)
			return true;
	return false;
}

static int open_one(struct udpcapd *d, struct udpcapd_listener *l, int *ret_fd, bool *warned)
{
	int fd, r;

	fd = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if ((r = setopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0 ||
	    (l->addr.ss_family == AF_INET6 &&
	     (r = setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, l->v6only)) < 0) ||
	    (r = setopt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1)) < 0 ||
	    (r = setopt_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1)) < 0) {
		close(fd);
		return r;
	}
	set_rcvbuf(fd, d->config->receive.rcvbuf, l->name, warned);
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Inodes of the UDP sockets bound to local port @port in /proc/net/@table. */
static size_t port_inodes(const char *table, unsigned port, unsigned long *ino, size_t max,
			  size_t n)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", table);
	f = fopen(path, "re");
	if (!f)
		return n;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned p;
		unsigned long i;
		char *colon = strchr(line, ':');

		/* "  12: 0100007F:12B5 00000000:0000 07 ... uid timeout inode" */
		if (!colon || !(colon = strchr(colon + 1, ':')) || sscanf(colon + 1, "%x", &p) != 1 ||
		    p != port ||
		    sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu", &i) != 1 || !i)
			continue;
		ino[n++] = i;
	}
	fclose(f);
	return n;
}

/*
 * Describe who holds UDP port @port of @family, from /proc: "udpcapd (pid
 * 123)", or "another process" when /proc does not tell (another network or
 * pid namespace, hidden /proc).
 */
static void port_owner(int family, unsigned port, char *buf, size_t len)
{
	unsigned long ino[16];
	size_t n = 0, i;
	struct dirent *pe;
	DIR *proc;

	snprintf(buf, len, "another process (not visible in /proc)");
	n = port_inodes("udp", port, ino, 16, n);
	if (family == AF_INET6)
		n = port_inodes("udp6", port, ino, 16, n);
	if (!n || !(proc = opendir("/proc")))
		return;
	while ((pe = readdir(proc))) {
		char path[600], link[64], comm[64] = "?";
		struct dirent *fe;
		DIR *fds;
		FILE *f;

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			unsigned long sock;
			ssize_t l;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			if (sscanf(link, "socket:[%lu]", &sock) != 1)
				continue;
			for (i = 0; i < n; i++)
				if (ino[i] == sock)
					break;
			if (i == n)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", pe->d_name);
			f = fopen(path, "re");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
			snprintf(buf, len, "%.32s (pid %.16s)", comm, pe->d_name);
			closedir(fds);
			closedir(proc);
			return;
		}
		closedir(fds);
	}
	closedir(proc);
}

/*
 * Bind each fixed listen address once without SO_REUSEPORT and let go: the
 * bind fails if any socket holds an overlapping address, so another daemon
 * (of the same user, which SO_REUSEPORT would let us join silently) or any
 * other program on the port is found before anything is created.
 */
int udpcapd_sockets_probe(struct udpcapd *d)
{
	unsigned i;

	for (i = 0; i < d->nlisteners; i++) {
		struct udpcapd_listener *l = &d->listeners[i];
		unsigned port = addr_port(&l->addr);
		char owner[128];
		int fd, r = 0;

		l->v6only = listener_v6only(d, l);
		if (!port) /* the kernel picks a free one */
			continue;
		fd = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (l->addr.ss_family == AF_INET6)
			r = setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, l->v6only);
		if (r == 0 && bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0)
			r = -errno;
		close(fd);
		if (r == -EADDRINUSE) {
			format_addr(&l->addr, l->listen, sizeof(l->listen));
			port_owner(l->addr.ss_family, port, owner, sizeof(owner));
			log_error("listener %s: %s is already bound by %s; refusing to start "
				  "(two receivers on one address would split its traffic)",
				  l->name, l->listen, owner);
			return r;
		}
		/* Other errors (EACCES for a low port...) are reported by the real bind. */
	}
	return 0;
}

/*
 * Why a bind was refused, when the port is below the first unprivileged
 * one: what would allow it. "" otherwise.
 */
static const char *low_port_hint(const struct sockaddr_storage *addr, char *buf, size_t len)
{
	unsigned port = ntohs(addr->ss_family == AF_INET6
				  ? ((const struct sockaddr_in6 *)addr)->sin6_port
				  : ((const struct sockaddr_in *)addr)->sin_port);
	unsigned start = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");

	if (f) {
		if (fscanf(f, "%u", &start) != 1)
			start = 1024;
		fclose(f);
	}
	if (port >= start)
		return "";
	snprintf(buf, len,
		 " (port %u is below net.ipv4.ip_unprivileged_port_start = %u: give udpcapd "
		 "CAP_NET_BIND_SERVICE, e.g. AmbientCapabilities=CAP_NET_BIND_SERVICE in its "
		 "unit, or lower that sysctl)",
		 port, start);
	return buf;
}

/* Port 0 (tests): the first socket picks a port and the others join it. */
static void adopt_bound_port(struct udpcapd_listener *l, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&l->addr)->sin6_port =
		    ((struct sockaddr_in6 *)&ss)->sin6_port;
	else
		((struct sockaddr_in *)&l->addr)->sin_port = ((struct sockaddr_in *)&ss)->sin_port;
}

static int open_listener(struct udpcapd *d, unsigned li)
{
	struct udpcap_config_listener *cl = &d->config->listeners[li];
	struct udpcapd_listener *l = &d->listeners[li];
	char why[256] = "";
	bool warned = false;
	unsigned i;
	int r;

	l->fds = malloc(d->nrings * sizeof(*l->fds));
	if (!l->fds)
		return -ENOMEM;
	for (i = 0; i < d->nrings; i++)
		l->fds[i] = -1;
	for (i = 0; i < d->nrings; i++) {
		r = open_one(d, l, &l->fds[i], &warned);
		if (r < 0) {
			format_addr(&l->addr, l->listen, sizeof(l->listen));
			log_error("listener %s: cannot bind socket %u of %u on %s: %s%s", l->name, i,
				  d->nrings, l->listen, strerror(-r),
				  r == -EACCES ? low_port_hint(&l->addr, why, sizeof(why)) : "");
			return r;
		}
		if (i == 0)
			adopt_bound_port(l, l->fds[0]);
	}
	/* Reload compares against what is bound, not against "port 0". */
	d->config->listeners[li].addr = l->addr;
	format_addr(&l->addr, l->listen, sizeof(l->listen));

	r = udpcapd_steering_attach(d->config->steering.mode, cl, d->config->steering.hash, l->fds,
				    d->nrings, &l->steering, why, sizeof(why));
	if (r < 0) {
		log_error("listener %s: steering mode %s failed: %s", l->name,
			  udpcapd_steering_mode_name(d->config->steering.mode),
			  why[0] ? why : strerror(-r));
		return r;
	}
	log_info("listener %s: %s on %s (%s), %u sockets, steering %s (%s); allow %s, vni %s",
		 l->name, udpcap_encap_name(l->encap.type), l->listen,
		 l->addr.ss_family == AF_INET ? "IPv4"
		 : l->v6only		      ? "IPv6 only"
					      : "IPv4 and IPv6",
		 d->nrings,
		 udpcapd_steering_mode_name(udpcapd_steering_mode(l->steering)), why,
		 cl->allow_count ? "listed networks" : "any", cl->vni_count ? "listed" : "any");
	if (li == 0) {
		d->steering_mode = udpcapd_steering_mode(l->steering);
		snprintf(d->steering_why, sizeof(d->steering_why), "%s", why);
	} else if (udpcapd_steering_mode(l->steering) != d->steering_mode) {
		snprintf(d->steering_why, sizeof(d->steering_why),
			 "listeners differ; listener %s: %s", l->name, why);
	}
	return 0;
}

int udpcapd_sockets_open(struct udpcapd *d)
{
	unsigned i;
	int r;

	for (i = 0; i < d->nlisteners; i++) {
		r = open_listener(d, i);
		if (r < 0)
			return r;
	}
	return 0;
}

void udpcapd_sockets_close(struct udpcapd *d)
{
	unsigned i, j;

	for (i = 0; i < d->nlisteners; i++) {
		struct udpcapd_listener *l = &d->listeners[i];

		udpcapd_steering_free(l->steering);
		l->steering = NULL;
		for (j = 0; l->fds && j < d->nrings; j++)
			if (l->fds[j] >= 0)
				close(l->fds[j]);
		free(l->fds);
		l->fds = NULL;
	}
}
