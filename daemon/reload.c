/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGHUP: re-read the configuration and apply what can change without
 * rebuilding sockets and rings: the keys whose row in lib/config/config_keys.c
 * is reloadable (allow-lists, VNI filters, the log level). Any other change
 * is refused, one log line per key; an invalid file changes nothing. The
 * running configuration stays d->config.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "udpcapd.h"

static void log_config_error(void *ctx, const char *message)
{
	(void)ctx;
	if (strstr(message, ": notice: "))
		log_notice("%s", message);
	else
		log_error("%s", message);
}

/* A key that differs in the new file: refused by name unless a reload applies it. */
static void on_change(void *ctx, const char *key, bool reloadable)
{
	(void)ctx;
	if (reloadable)
		log_debug("reload: %s changed", key);
	else
		log_warning("reload: %s changed; that needs a restart, keeping the running value",
			    key);
}

void udpcapd_reload(struct udpcapd *d)
{
	const struct udpcap_config_listener **from = NULL;
	struct udpcap_config *n = NULL;
	unsigned refused, i;
	size_t j;
	int r, level;

	udpcapd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
			(unsigned long long)(udpcap_now_ns(CLOCK_MONOTONIC) / 1000),
			d->config_path);
	log_info("reload: reading %s", d->config_path);
	r = udpcap_config__load(d->config_path, log_config_error, NULL, &n);
	if (r < 0) {
		log_error("reload: %s is not valid; keeping the running configuration",
			  d->config_path);
		udpcapd_notify("READY=1\nSTATUS=reload failed: invalid configuration, "
			       "running with the previous one");
		return;
	}
	refused = udpcap_config__diff(d->config, n, on_change, NULL);

	from = calloc(d->nlisteners, sizeof(*from));
	if (!from) {
		log_error("reload: out of memory");
		goto out;
	}
	for (i = 0; i < d->nlisteners; i++)
		for (j = 0; j < n->listener_count; j++)
			if (!strcmp(n->listeners[j].name, d->listeners[i].name))
				from[i] = &n->listeners[j];
	r = udpcapd_filters_swap(d, from);
	if (r < 0) {
		log_error("reload: cannot install the new filters: %s", strerror(-r));
		goto out;
	}
	for (i = 0; i < d->nlisteners; i++)
		if (from[i])
			log_info("reload: listener %s: %zu allowed networks%s, %zu VNIs%s",
				 d->listeners[i].name, from[i]->allow_count,
				 from[i]->allow_count ? "" : " (any source)", from[i]->vni_count,
				 from[i]->vni_count ? "" : " (any VNI)");
	level = udpcapd_log_parse_level(n->log.level);
	if (level >= 0)
		udpcapd_log_set_level(level);
	log_debug("reload: debug logging is on");
	log_notice("reload: applied allow-lists, VNI filters and log level %s%s", n->log.level,
		   refused ? "; some changes were refused (see above)" : "");
out:
	udpcapd_notify(refused ? "READY=1\nSTATUS=running; reload applied filters, refused "
				 "changes that need a restart"
			       : "READY=1\nSTATUS=running; reloaded");
	free(from);
	udpcap_config__free(n);
}
