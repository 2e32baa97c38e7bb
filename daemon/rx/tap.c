/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TAP outputs: attaching the receiver threads' queues, writing frames,
 * and telling the operator when a device stops taking them (see tap.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "rx/tap.h"
#include "udpcapd.h"

#define ETH_HLEN 14
/* SIOCGIFFLAGS has 16 bits: IFF_RUNNING (operationally up) stands for the carrier */
#define TAP_FLAGS (IFF_UP | IFF_RUNNING)
/* how often the main thread looks for lost queues and a device to attach them to again */
#define TAP_REATTACH_NS (500ull * 1000000)

int udpcapd_tap_flags(const char *ifname)
{
	struct ifreq ifr;
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? r : (int)((unsigned)ifr.ifr_flags & TAP_FLAGS);
}

static const char *user_name(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)geteuid());
	return buf;
}

/*
 * One queue of @t's device: a descriptor, or -errno with the reason logged
 * at @prio (the same failure, retried, goes to the debug level).
 */
static int attach_queue(const struct udpcap_config_tap *t, int prio)
{
	struct ifreq ifr;
	char user[64];
	int fd, r;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		udpcapd_log(prio,
			    "[tap %s]: cannot open /dev/net/tun: %s (is the tun module loaded? "
			    "under systemd the unit needs DeviceAllow=/dev/net/tun rw and, with "
			    "PrivateDevices=yes, BindPaths=/dev/net/tun)",
			    t->name, strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->interface);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		return fd;
	r = -errno;
	close(fd);
	if (r == -EPERM)
		udpcapd_log(
		    prio,
		    "[tap %s]: %s belongs to another user; udpcapd runs as %s and needs no "
		    "capability for a TAP it owns: ip tuntap del dev %s mode tap; ip tuntap "
		    "add dev %s mode tap user %s multi_queue (or udpcap-tap-setup)",
		    t->name, t->interface, user_name(user, sizeof(user)), t->interface,
		    t->interface, user);
	else if (r == -EINVAL || r == -EBUSY)
		udpcapd_log(prio,
			    "[tap %s]: %s is not a multi_queue TAP device (%s); create it with "
			    "ip tuntap add dev %s mode tap user %s multi_queue",
			    t->name, t->interface, strerror(-r), t->interface,
			    user_name(user, sizeof(user)));
	else
		udpcapd_log(prio, "[tap %s]: cannot attach a queue to %s: %s", t->name,
			    t->interface, strerror(-r));
	return r;
}

int udpcapd_taps_open(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	unsigned i, q, ti, k;
	int r;

	d->ntaps = (unsigned)cfg->tap_count;
	if (!d->ntaps)
		return 0;
	d->taps = calloc(d->ntaps, sizeof(*d->taps));
	if (!d->taps)
		return -ENOMEM;
	for (i = 0; i < d->ntaps; i++) {
		struct udpcapd_tap *tap = &d->taps[i];
		size_t cells = (size_t)d->nlisteners * d->nthreads;

		tap->cfg = &cfg->taps[i];
		tap->flags = ~0u;
		tap->fds = malloc(d->nthreads * sizeof(*tap->fds));
		for (q = 0; tap->fds && q < d->nthreads; q++)
			tap->fds[q] = -1;
		tap->last_errno = calloc(d->nthreads, sizeof(*tap->last_errno));
		tap->counters = aligned_alloc(64, sizeof(*tap->counters) * cells);
		if (!tap->fds || !tap->last_errno || !tap->counters)
			return -ENOMEM;
		memset(tap->counters, 0, sizeof(*tap->counters) * cells);
		/* A missing device would be created by TUNSETIFF with CAP_NET_ADMIN: never. */
		if (!if_nametoindex(tap->cfg->interface)) {
			log_error("[tap %s]: interface %s does not exist; create it first, as root: "
				  "udpcap-tap-setup %s (systemctl start udpcap-tap@%s)",
				  tap->cfg->name, tap->cfg->interface, tap->cfg->interface,
				  tap->cfg->interface);
			return -ENODEV;
		}
		for (q = 0; q < d->nthreads; q++) {
			r = attach_queue(tap->cfg, LOG_ERR);
			if (r < 0)
				return r;
			tap->fds[q] = r;
			tap->nqueues++;
		}
		r = udpcapd_tap_flags(tap->cfg->interface);
		log_info("tap %s: writing to %s through %u queues (%s)", tap->cfg->name,
			 tap->cfg->interface, tap->nqueues,
			 r < 0		     ? strerror(-r)
			 : !(r & IFF_UP)     ? "down: frames count as tap_down until it is up"
			 : !(r & IFF_RUNNING) ? "up, no carrier"
					       : "up");
	}
	for (ti = 0; ti < d->nthreads; ti++) {
		struct udpcapd_thread *t = &d->threads[ti];

		for (k = 0; k < t->nsocks; k++) {
			struct udpcapd_sock *s = &t->socks[k];

			s->taps = calloc(d->ntaps, sizeof(*s->taps));
			if (!s->taps)
				return -ENOMEM;
			for (i = 0; i < d->ntaps; i++) {
				struct udpcapd_tap *tap = &d->taps[i];

				s->taps[i].fd = tap->fds[ti];
				s->taps[i].cnt =
				    &tap->counters[(size_t)s->listener * d->nthreads + ti];
				s->taps[i].last_errno = &tap->last_errno[ti];
			}
			s->ntaps = d->ntaps;
		}
	}
	return 0;
}

void udpcapd_taps_close(struct udpcapd *d)
{
	unsigned i, q, ti, k;

	for (ti = 0; d->threads && ti < d->nthreads; ti++)
		for (k = 0; k < d->threads[ti].nsocks; k++) {
			free(d->threads[ti].socks[k].taps);
			d->threads[ti].socks[k].taps = NULL;
			d->threads[ti].socks[k].ntaps = 0;
		}
	for (i = 0; d->taps && i < d->ntaps; i++) {
		struct udpcapd_tap *tap = &d->taps[i];

		for (q = 0; tap->fds && q < d->nthreads; q++)
			if (tap->fds[q] >= 0)
				close(tap->fds[q]);
		free(tap->fds);
		free(tap->last_errno);
		free(tap->counters);
	}
	free(d->taps);
	d->taps = NULL;
	d->ntaps = 0;
}

/*
 * The frame to write for @meta/@pkt in @iov (one or two pieces). false when
 * the packet is not Ethernet and cannot be made Ethernet.
 */
static bool frame(const struct udpcap_pkt_meta *meta, const uint8_t *pkt, uint8_t *hdr,
		  struct iovec *iov, int *ret_cnt, size_t *ret_len)
{
	if (meta->linktype == UDPCAP_LINKTYPE_EN10MB) {
		if (meta->caplen < ETH_HLEN)
			return false;
		iov[0] = (struct iovec){(void *)pkt, meta->caplen};
		*ret_cnt = 1;
		*ret_len = meta->caplen;
		return true;
	}
	if (meta->linktype != UDPCAP_LINKTYPE_RAW || !meta->caplen)
		return false;
	memset(hdr, 0, 12);
	if (pkt[0] >> 4 == 4) {
		hdr[12] = 0x08;
		hdr[13] = 0x00;
	} else if (pkt[0] >> 4 == 6) {
		hdr[12] = 0x86;
		hdr[13] = 0xdd;
	} else {
		return false;
	}
	iov[0] = (struct iovec){hdr, ETH_HLEN};
	iov[1] = (struct iovec){(void *)pkt, meta->caplen};
	*ret_cnt = 2;
	*ret_len = ETH_HLEN + (size_t)meta->caplen;
	return true;
}

void udpcapd_taps_write(const struct udpcapd_sock *s, const struct udpcap_pkt_meta *meta,
			const uint8_t *pkt)
{
	uint8_t hdr[ETH_HLEN];
	struct iovec iov[2];
	size_t len = 0;
	int cnt = 0;
	bool ok = frame(meta, pkt, hdr, iov, &cnt, &len);

	for (unsigned i = 0; i < s->ntaps; i++) {
		const struct udpcapd_tap_out *o = &s->taps[i];
		ssize_t n = 0;
		int err = 0;

		if (ok) {
			n = cnt == 1 ? write(o->fd, iov[0].iov_base, len) : writev(o->fd, iov, cnt);
			err = n < 0 ? errno : EIO; /* a short write cannot happen on a TAP */
		}
		/* the system call stays outside the counter batch */
		udpcapd_cell_write_begin(o->cnt);
		udpcapd_counter_add(&o->cnt->received, 1);
		udpcapd_counter_add(&o->cnt->received_bytes, len);
		if (!ok) {
			udpcapd_counter_add(&o->cnt->drops[UDPCAPD_DROP_TAP_NOT_ETHERNET], 1);
		} else if ((size_t)n == len) {
			udpcapd_counter_add(&o->cnt->delivered, 1);
			udpcapd_counter_add(&o->cnt->bytes, len);
		} else {
			bool full = err == EAGAIN || err == ENOBUFS || err == ENOMEM;

			udpcapd_counter_add(
			    &o->cnt->drops[full ? UDPCAPD_DROP_TAP_FULL : UDPCAPD_DROP_TAP_DOWN], 1);
			__atomic_store_n(o->last_errno, err, __ATOMIC_RELAXED);
		}
		udpcapd_cell_write_end(o->cnt);
	}
}

static uint64_t refused(const struct udpcapd *d, const struct udpcapd_tap *tap)
{
	uint64_t sum = 0;

	for (size_t c = 0; c < (size_t)d->nlisteners * tap->nqueues; c++)
		sum += udpcapd_counter_get(&tap->counters[c].drops[UDPCAPD_DROP_TAP_FULL]) +
		       udpcapd_counter_get(&tap->counters[c].drops[UDPCAPD_DROP_TAP_DOWN]);
	return sum;
}

static int last_errno(const struct udpcapd_tap *tap)
{
	for (unsigned q = 0; q < tap->nqueues; q++) {
		int e = __atomic_load_n(&tap->last_errno[q], __ATOMIC_RELAXED);

		if (e)
			return e;
	}
	return EIO;
}

/* false once @fd's queue lost its device (deleted): TUNGETIFF says EBADFD */
static bool queue_attached(int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	return ioctl(fd, TUNGETIFF, &ifr) == 0 || errno != EBADFD;
}

/* A new queue in place of each lost one (see tap.h): 0 or -errno, logged at @prio. */
static int reattach(struct udpcapd_tap *tap, int prio)
{
	for (unsigned q = 0; q < tap->nqueues; q++) {
		int fd, r;

		if (queue_attached(tap->fds[q]))
			continue;
		fd = attach_queue(tap->cfg, prio);
		if (fd < 0)
			return fd;
		r = dup3(fd, tap->fds[q], O_CLOEXEC) < 0 ? -errno : 0;
		close(fd);
		if (r < 0) {
			udpcapd_log(prio, "tap %s: cannot put a new queue in place: %s",
				    tap->cfg->name, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* At most every TAP_REATTACH_NS: queues lost with a deleted device, attached again. */
static void check_queues(struct udpcapd_tap *tap, uint64_t now)
{
	const char *name = tap->cfg->name, *ifname = tap->cfg->interface;
	unsigned q, lost = 0, ifindex;
	int prio;

	if (now < tap->next_check_ns)
		return;
	tap->next_check_ns = now + TAP_REATTACH_NS;
	for (q = 0; q < tap->nqueues; q++)
		lost += !queue_attached(tap->fds[q]);
	if (!lost)
		return;
	if (!tap->lost)
		log_warning("tap %s: %s was deleted; its frames are counted as tap_down until it "
			    "exists again (udpcap-tap-setup %s), then udpcapd attaches to it",
			    name, ifname, ifname);
	tap->lost = true;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return;
	/* a device that refuses us: said once, retried quietly (its owner may change) */
	prio = ifindex == tap->failed_ifindex ? LOG_DEBUG : LOG_WARNING;
	if (reattach(tap, prio) < 0) {
		tap->failed_ifindex = ifindex;
		return;
	}
	log_notice("tap %s: %s exists again: %u queues attached, writing to it", name, ifname,
		   lost);
	tap->lost = false;
	tap->failed_ifindex = 0;
}

void udpcapd_taps_tick(struct udpcapd *d)
{
	uint64_t now = udpcap_now_ns(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < d->ntaps; i++) {
		struct udpcapd_tap *tap = &d->taps[i];
		const char *name = tap->cfg->name, *ifname = tap->cfg->interface;
		int f;
		uint64_t n;

		check_queues(tap, now);
		f = udpcapd_tap_flags(ifname);
		n = refused(d, tap);
		if (f >= 0 && (unsigned)f != tap->flags) {
			if (!(f & IFF_UP))
				log_warning(
				    "tap %s: %s is down; its frames are counted as tap_down "
				    "until it is up",
				    name, ifname);
			else if (!(f & IFF_RUNNING) && !tap->lost)
				log_warning(
				    "tap %s: %s has no carrier (frames are still written and "
				    "reach its readers)",
				    name, ifname);
			else if (tap->flags != ~0u)
				log_notice("tap %s: %s is up", name, ifname);
			tap->flags = (unsigned)f;
		}
		if (n != tap->refused && !tap->refusing)
			log_warning("tap %s: %s refuses frames (%s); %llu so far, counted as "
				    "tap_full or tap_down",
				    name, ifname, strerror(last_errno(tap)), (unsigned long long)n);
		else if (n == tap->refused && tap->refusing)
			log_notice("tap %s: %s takes frames again (%llu refused in all)", name,
				   ifname, (unsigned long long)n);
		tap->refusing = n != tap->refused;
		tap->refused = n;
	}
}
