/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the control socket (JSON requests over a Unix socket, see
 * docs/control-protocol.md) and the Prometheus endpoint. Both run in their
 * own threads and read counters only through udpcapd_stats_collect().
 */
#ifndef UDPCAPD_CONTROL_H
#define UDPCAPD_CONTROL_H

#include <udpcap/config.h>

struct udpcapd;
struct udpcapd_control;
struct udpcapd_metrics;

/*
 * Bind [control] socket (mode/group from config) and serve it. 0 or -errno.
 * Start-up does it in two steps: open() binds and gives the socket its
 * group, which may need CAP_CHOWN, so it runs before the daemon drops its
 * capabilities; run() starts the serving thread after the drop, so that no
 * thread of the daemon ever holds a capability. start() does both.
 */
int udpcapd_control_open(struct udpcapd *d, const struct udpcap_config *config,
			 struct udpcapd_control **ret);
int udpcapd_control_run(struct udpcapd_control *c);
int udpcapd_control_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_control **ret);
void udpcapd_control_stop(struct udpcapd_control *c); /* NULL ok; unlinks the socket */

/* Serve GET /metrics on [metrics] listen; *ret = NULL when disabled. 0 or -errno. */
int udpcapd_metrics_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_metrics **ret);
void udpcapd_metrics_stop(struct udpcapd_metrics *m); /* NULL ok */

#endif /* UDPCAPD_CONTROL_H */
