/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: render a counter snapshot (stats.h) in the Prometheus text
 * exposition format 0.0.4. Metric names are listed in docs/metrics.md.
 * Internal to the daemon (and its tests), not installed.
 */
#ifndef UDPCAPD_CONTROL_PROM_H
#define UDPCAPD_CONTROL_PROM_H

#include <stddef.h>

#include "stats.h"

#define UDPCAPD_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* 0 and a malloc()ed, NUL-terminated page of *ret_len bytes, or -ENOMEM. */
int udpcapd_metrics_render(const struct udpcapd_stats *s, char **ret_text, size_t *ret_len);

#endif /* UDPCAPD_CONTROL_PROM_H */
