/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the daemon's run-time state, shared by its files (internal).
 *
 * Ownership: the main thread builds everything before the receiver threads
 * start and tears it down after they are joined. While they run, a socket,
 * its counter cell and its ring belong to exactly one receiver thread; the
 * only thing the main thread changes under them is a listener's filter
 * pointer (see filter.c for the grace period that makes that safe).
 */
#ifndef UDPCAPD_H
#define UDPCAPD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <udpcap/config.h>
#include <udpcap/ring.h>

#include "counters.h"
#include "util.h"

struct udpcapd_dedup;
struct udpcapd_tap;
struct udpcapd_tap_out;

/*
 * Every datagram is received whole: a receive buffer holds the largest UDP
 * payload there is (65527 B over IPv6 without jumbograms). Only the first
 * UDPCAPD_COMMON_PAYLOAD bytes of a buffer are touched by ordinary traffic;
 * buffers are mapped without reserving memory and the pages a larger
 * datagram touched beyond that are given back once it is delivered
 * (udpcapd_rx_release_tail), so memory use does not grow with the limit.
 * "truncated" counts only what the kernel itself reports cut (MSG_TRUNC).
 */
#define UDPCAPD_MAX_PAYLOAD 65535
#define UDPCAPD_COMMON_PAYLOAD 9216
/* How long a receiver waits before re-checking for shutdown (and socket drops). */
#define UDPCAPD_IDLE_MS 100
/* What a listener accepts; immutable once published, replaced whole on reload. */
struct udpcapd_filter {
	struct udpcap_cidr *allow; /* NULL/0 = any source */
	size_t allow_count;
	uint32_t *vni; /* sorted; NULL/0 = any VNI */
	size_t vni_count;
};

struct udpcapd_listener {
	char name[64];
	char listen[80]; /* bound address, "127.0.0.1:4789" (actual port) */
	struct udpcap_encap encap;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	/* listen = [::]:PORT receives IPv4 too (IPV6_V6ONLY off), unless another
	 * listener holds the port on IPv4; set by udpcapd_sockets_probe() */
	bool v6only;
	int *fds; /* one per ring */
	struct udpcapd_steering *steering;
	struct udpcapd_filter *filter; /* __atomic: release by main, acquire by receivers */
};

/*
 * A [rings NAME] group: its rings are written only by its writer thread,
 * fed by one hand-off queue per receiver thread (rx/groups.h).
 */
struct udpcapd_group {
	struct udpcapd *d;
	const struct udpcap_config_ring_group *cfg;
	unsigned nrings;
	struct udpcap_ring **rings;
	char (*ring_names)[64];
	/* counters[listener * nrings + ring]: the writer thread's cells */
	struct udpcapd_counters *counters;
	struct udpcapd_handoff *handoff; /* [receiver thread] */
	pthread_t tid;
	bool started;
	bool stop;	   /* __atomic: the receivers are gone; drain and exit */
	uint32_t sleeping; /* __atomic: futex word, 1 while the writer sleeps */
};

/* One socket: (listener, ring). Owned by one receiver thread. */
struct udpcapd_sock {
	int fd;
	unsigned listener;
	unsigned ring;
	struct udpcapd_listener *l;
	struct udpcapd_counters *cnt;
	struct udpcap_ring *r;
	struct udpcapd_dedup *dedup; /* the ring's table; NULL = [dedup] off */
	uint32_t sk_drops; /* last kernel drop count seen (SO_RXQ_OVFL / SO_MEMINFO) */
	bool rearm;	   /* io_uring: multishot ended, submit again */
	/* the owning thread's hand-off queues, one per extra ring group */
	struct udpcapd_handoff *const *handoff;
	unsigned nhandoff;
	/* [tap NAME] outputs: this thread's queue of each device (rx/tap.h) */
	struct udpcapd_tap_out *taps;
	unsigned ntaps;
};

struct udpcapd_thread {
	struct udpcapd *d;
	pthread_t tid;
	bool started;
	unsigned idx;
	int cpu; /* -1: not pinned */
	struct udpcapd_sock *socks;
	unsigned nsocks;
	struct udpcapd_handoff **handoff; /* [group] */
	uint64_t quiescent;	/* __atomic: bumped when holding no filter pointer */
	uint64_t ts_fallbacks;	/* __atomic: datagrams without a kernel timestamp */
	uint64_t uring_enobufs; /* __atomic: multishot ended for want of buffers, re-armed */
	bool exited;		/* __atomic */
	int init;		/* __atomic: 0 starting, 1 receiving, -errno set-up failed */
	int error;		/* backend failure (-errno), for the log */
};

struct udpcapd {
	/*
	 * The start-up configuration (with bound ports filled in before the
	 * threads start). Never changed afterwards, not even by a reload,
	 * so other threads may read it without locks.
	 */
	struct udpcap_config *config;
	const char *config_path;
	int ready_fd;

	/* The ring directory, flock()ed for the daemon's lifetime; its owner and
	 * the group rings are given ((gid_t)-1: the daemon's). */
	int ring_dir_fd;
	uid_t ring_dir_uid;
	gid_t ring_gid;
	bool ring_owner_saved; /* root: the saved uid is ring_dir_uid (rings.c) */
	unsigned nrings;
	struct udpcap_ring **rings;
	struct udpcapd_dedup **dedup; /* one per ring, NULL when [dedup] is off */
	char (*ring_names)[64];

	unsigned nlisteners;
	struct udpcapd_listener *listeners;

	unsigned ngroups; /* [rings NAME] groups */
	struct udpcapd_group *groups;

	unsigned ntaps; /* [tap NAME] outputs (rx/tap.h) */
	struct udpcapd_tap *taps;

	/* counters[listener * nrings + ring] */
	struct udpcapd_counters *counters;

	unsigned nthreads;
	struct udpcapd_thread *threads;
	bool stop; /* __atomic */
	/* __atomic: receivers running and not stopping (what /healthz needs first) */
	bool serving;
	struct udpcapd_health *health; /* health.c: samples for /healthz and /readyz */

	uint64_t start_realtime_ns;
	uint64_t start_monotonic_ns;
	enum udpcap_steering steering_mode;
	char steering_why[160];
};

static inline struct udpcapd_counters *udpcapd_cell(struct udpcapd *d, unsigned listener,
						    unsigned ring)
{
	return &d->counters[(size_t)listener * d->nrings + ring];
}

/* sockets.c: bind every listener's sockets and attach steering. 0 or -errno (logged). */
int udpcapd_sockets_open(struct udpcapd *d);
/* Fail (logged, naming the holder from /proc) if a listen address is bound. */
int udpcapd_sockets_probe(struct udpcapd *d);
void udpcapd_sockets_close(struct udpcapd *d);

/* rings.c: lock (and create) the ring directory before anything else is
 * touched: 0, or -errno with the holder named in the log. */
int udpcapd_rings_lock(struct udpcapd *d);
void udpcapd_rings_unlock(struct udpcapd *d);
int udpcapd_rings_create(struct udpcapd *d);
void udpcapd_rings_shutdown(struct udpcapd *d);
int udpcapd_ring_name(const char *pattern, unsigned i, char *buf, size_t len);

/* rx/groups.c: allocated before the receivers start, writers stopped after them. */
int udpcapd_groups_start(struct udpcapd *d);
void udpcapd_groups_stop(struct udpcapd *d);
void udpcapd_groups_free(struct udpcapd *d);

/* filter.c */
struct udpcapd_filter *udpcapd_filter_new(const struct udpcap_config_listener *l);
void udpcapd_filter_free(struct udpcapd_filter *f);
/*
 * Publish new filters built from @from[i] for listener i (NULL: keep its
 * filter) and free the old ones after a grace period.
 */
int udpcapd_filters_swap(struct udpcapd *d, const struct udpcap_config_listener *const *from);

/* rx/receiver.c */
/* Can this kernel run the configured receive backend? 0, or -errno (logged). */
int udpcapd_backend_probe(struct udpcapd *d);
int udpcapd_threads_start(struct udpcapd *d);
void udpcapd_threads_stop(struct udpcapd *d);
void udpcapd_threads_free(struct udpcapd *d);

/* stats.c */
void udpcapd_stats_log(struct udpcapd *d);

/* privs.c */
int udpcapd_drop_privileges(void);

/* notify.c: sd_notify when NOTIFY_SOCKET is set; no-ops otherwise. */
void udpcapd_notify(const char *state);
void udpcapd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Watchdog ping interval in ms (half of WATCHDOG_USEC), 0 if none. */
unsigned udpcapd_watchdog_interval_ms(void);

/* reload.c */
void udpcapd_reload(struct udpcapd *d);

#endif /* UDPCAPD_H */
