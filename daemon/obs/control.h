/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the control socket (JSON requests over a Unix socket, see
 * docs/control-protocol.md). It runs in its own thread and reads counters
 * only through udpcapd_stats_collect().
 */
#ifndef UDPCAPD_CONTROL_H
#define UDPCAPD_CONTROL_H

#include <udpcap/config.h>

struct udpcapd;
struct udpcapd_control;

/* How long a client may take to send a request or take a reply. */
extern unsigned udpcapd_control_timeout_ms;

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

#endif /* UDPCAPD_CONTROL_H */
