/* SPDX-License-Identifier: BSD-3-Clause */
/* Scaffolding (issue: observability replaces this file): no control socket yet. */
#include <stddef.h>

#include "control.h"
#include "log.h"

int udpcapd_control_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_control **ret)
{
	(void)d, (void)config;
	log_warning("control socket not built yet");
	*ret = NULL;
	return 0;
}

void udpcapd_control_stop(struct udpcapd_control *c)
{
	(void)c;
}

int udpcapd_metrics_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_metrics **ret)
{
	(void)d, (void)config;
	*ret = NULL;
	return 0;
}

void udpcapd_metrics_stop(struct udpcapd_metrics *m)
{
	(void)m;
}
