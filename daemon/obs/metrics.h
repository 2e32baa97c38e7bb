/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the Prometheus endpoint (GET /metrics, docs/metrics.md) and the
 * health checks beside it. It runs in libmicrohttpd's thread and reads
 * counters only through udpcapd_stats_collect().
 */
#ifndef UDPCAPD_METRICS_H
#define UDPCAPD_METRICS_H

#include <udpcap/config.h>

struct udpcapd;
struct udpcapd_metrics;

/* Serve GET /metrics on [metrics] listen; *ret = NULL when disabled. 0 or -errno. */
int udpcapd_metrics_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_metrics **ret);
void udpcapd_metrics_stop(struct udpcapd_metrics *m); /* NULL ok */

#endif /* UDPCAPD_METRICS_H */
