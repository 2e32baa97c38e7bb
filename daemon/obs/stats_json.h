/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: render a counter snapshot (stats.h) as the JSON objects of the
 * control protocol. The schema is stable and specified field by field in
 * docs/control-protocol.md; add fields, never rename or remove them.
 * Internal to the daemon (and its tests), not installed.
 */
#ifndef UDPCAPD_STATS_JSON_H
#define UDPCAPD_STATS_JSON_H

#include <json-c/json.h>

#include "stats.h"

/* Version of the reply schema; bumped only for incompatible changes. */
#define UDPCAPD_CONTROL_SCHEMA 1

/*
 * Body of the "stats" reply: steering, totals, listeners, rings. With
 * @ring, "rings" holds only that ring. Returns 0, -ENOENT for an unknown
 * @ring, -ENOMEM.
 */
int udpcapd_stats_json(const struct udpcapd_stats *s, const char *ring,
		       struct json_object **ret_obj);

/* Body of the "rings" reply: {"rings": [...]}, filtered by @ring like above. */
int udpcapd_rings_json(const struct udpcapd_stats *s, const char *ring,
		       struct json_object **ret_obj);

/* Fill of a ring, used / capacity in [0, 1]; 0 for a zero capacity. */
double udpcapd_ring_fill(const struct udpcap_ring_stats *r);

#endif /* UDPCAPD_STATS_JSON_H */
