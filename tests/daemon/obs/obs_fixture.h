/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit-test stand-in for the daemon's counters: a hand-built snapshot with
 * known values, and udpcapd_stats_collect()/udpcapd_stats_free() that hand
 * out copies of it, so the control socket and the metrics server run for
 * real without a data path behind them.
 */
#ifndef UDPCAP_TESTS_OBS_FIXTURE_H
#define UDPCAP_TESTS_OBS_FIXTURE_H

#include <udpcap/config.h>

#include "stats.h"

/*
 * The fixture: listeners "vxlan" and "geneve", rings "worker-0" (consumer
 * 4242, a quarter full) and "worker-1" (no consumer); every drop reason the
 * daemon knows by name is non-zero somewhere. Balanced: for each listener
 * received == delivered + sum(drops) - drops[socket].
 */
void obs_fixture_fill(struct udpcapd_stats *s);

/* What the next collect returns: a negative errno makes it fail. */
extern int obs_fixture_collect_result;
/* Number of collects so far. */
extern unsigned obs_fixture_collects;

/* A config with only the [control] and [metrics] fields set (free with ..._free). */
struct udpcap_config *obs_fixture_config(const char *socket, const char *group,
					 const char *metrics_listen);
void obs_fixture_config_free(struct udpcap_config *c);

/* A connected Unix stream client of @path, 30 s receive timeout (asserts). */
int obs_fixture_unix_client(const char *path);

/* A free TCP port on 127.0.0.1 (bound then released: tests only). */
int obs_fixture_free_port(void);

/* A fresh temporary directory (mkdtemp) to remove with obs_fixture_rmrf(). */
char *obs_fixture_tmpdir(void);
void obs_fixture_rmrf(const char *dir);

#endif /* UDPCAP_TESTS_OBS_FIXTURE_H */
