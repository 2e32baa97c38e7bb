/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the health answers of the metrics listener (internal).
 *   GET /healthz  200 while the receiver threads are alive and serving
 *   GET /readyz   200 when ready to take traffic: the above, every listener
 *                 bound and steered, and the [health] checks that are on
 * Both answer a small JSON object whose "why" array says what failed (or
 * that every check passed). See docs/deployment.md.
 */
#ifndef UDPCAPD_HEALTH_H
#define UDPCAPD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

struct udpcapd;

int udpcapd_health_new(struct udpcapd *d);
void udpcapd_health_free(struct udpcapd *d);

/* Main thread, a few times a second: sample threads and drop counters. */
void udpcapd_health_tick(struct udpcapd *d);

/*
 * The answer to /readyz (@ready) or /healthz: the HTTP status (200 or 503)
 * and a malloc()ed JSON body, or -ENOMEM.
 */
int udpcapd_health_answer(struct udpcapd *d, bool ready, char **ret_body, size_t *ret_len);

#endif /* UDPCAPD_HEALTH_H */
