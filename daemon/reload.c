/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGHUP: re-read the configuration and apply what can change without
 * rebuilding sockets and rings: allow-lists, VNI filters and the log level.
 * Any other change is refused, one log line per key; an invalid file
 * changes nothing. The running configuration stays d->config.
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

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The [rings NAME] groups: rings and their writer threads exist from start-up. */
static bool ring_groups_eq(const struct udpcap_config *o, const struct udpcap_config *n)
{
	size_t i;

	if (o->ring_group_count != n->ring_group_count)
		return false;
	for (i = 0; i < o->ring_group_count; i++) {
		const struct udpcap_config_ring_group *a = &o->ring_groups[i], *b = &n->ring_groups[i];

		if (strcmp(a->name, b->name) || a->count != b->count || a->size != b->size ||
		    !str_eq(a->group, b->group) || !str_eq(a->pattern, b->pattern))
			return false;
	}
	return true;
}

/* Log every key that changed but cannot be applied. Returns how many. */
static unsigned refuse_changes(const struct udpcap_config *o, const struct udpcap_config *n)
{
	unsigned refused = 0;
	size_t i, j;

#define REFUSE(cond, key)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			log_warning("reload: %s changed; that needs a restart, keeping the "       \
				    "running value",                                               \
				    key);                                                          \
			refused++;                                                                 \
		}                                                                                  \
	} while (0)

	REFUSE(o->rings.count != n->rings.count, "[rings] count");
	REFUSE(o->rings.size != n->rings.size, "[rings] size");
	REFUSE(!str_eq(o->rings.dir, n->rings.dir), "[rings] dir");
	REFUSE(!str_eq(o->rings.group, n->rings.group), "[rings] group");
	REFUSE(!str_eq(o->rings.name, n->rings.name), "[rings] name");
	REFUSE(!ring_groups_eq(o, n), "[rings NAME] sections");
	REFUSE(o->receive.backend != n->receive.backend, "[receive] backend");
	REFUSE(o->receive.batch != n->receive.batch, "[receive] batch");
	REFUSE(o->receive.rcvbuf != n->receive.rcvbuf, "[receive] rcvbuf");
	REFUSE(o->receive.threads != n->receive.threads, "[receive] threads");
	REFUSE(o->receive.coalesce_us != n->receive.coalesce_us, "[receive] coalesce_us");
	REFUSE(
	    o->receive.cpu_count != n->receive.cpu_count ||
		(o->receive.cpu_count && memcmp(o->receive.cpus, n->receive.cpus,
						o->receive.cpu_count * sizeof(*o->receive.cpus))),
	    "[receive] cpus");
	REFUSE(o->steering.mode != n->steering.mode, "[steering] mode");
	REFUSE(o->steering.hash != n->steering.hash, "[steering] hash");
	REFUSE(!str_eq(o->control.socket, n->control.socket), "[control] socket");
	REFUSE(!str_eq(o->control.group, n->control.group), "[control] group");
	REFUSE(o->control.mode != n->control.mode, "[control] mode");
	REFUSE(!str_eq(o->metrics.listen, n->metrics.listen), "[metrics] listen");

	for (i = 0; i < o->listener_count; i++) {
		const struct udpcap_config_listener *ol = &o->listeners[i], *nl = NULL;
		char key[128];

		for (j = 0; j < n->listener_count; j++)
			if (!strcmp(n->listeners[j].name, ol->name))
				nl = &n->listeners[j];
		if (!nl) {
			snprintf(key, sizeof(key), "[listener %s] (removed)", ol->name);
			REFUSE(true, key);
			continue;
		}
		snprintf(key, sizeof(key), "[listener %s] listen", ol->name);
		REFUSE(ol->addr_len != nl->addr_len || memcmp(&ol->addr, &nl->addr, ol->addr_len),
		       key);
		snprintf(key, sizeof(key), "[listener %s] encap", ol->name);
		REFUSE(ol->encap.type != nl->encap.type || ol->encap.skip != nl->encap.skip, key);
		snprintf(key, sizeof(key), "[listener %s] dlt", ol->name);
		REFUSE(ol->encap.linktype != nl->encap.linktype, key);
	}
	for (j = 0; j < n->listener_count; j++) {
		bool found = false;
		char key[128];

		for (i = 0; i < o->listener_count; i++)
			found |= !strcmp(n->listeners[j].name, o->listeners[i].name);
		snprintf(key, sizeof(key), "[listener %s] (added)", n->listeners[j].name);
		REFUSE(!found, key);
	}
#undef REFUSE
	return refused;
}

void udpcapd_reload(struct udpcapd *d)
{
	const struct udpcap_config_listener **from = NULL;
	struct udpcap_config *n = NULL;
	unsigned refused, i;
	size_t j;
	int r, level;

	udpcapd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
			(unsigned long long)(udpcapd_now_ns(CLOCK_MONOTONIC) / 1000),
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
	refused = refuse_changes(d->config, n);

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
