/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scaffolding (issue: steering replaces this file): only the kernel's
 * own outer-header reuseport hash, and it says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "steering.h"

struct udpcapd_steering {
	enum udpcap_steering mode;
};

int udpcapd_steering_attach(enum udpcap_steering requested,
			    const struct udpcap_config_listener *listener,
			    enum udpcap_hash_mode hash, const int *fds, unsigned n,
			    struct udpcapd_steering **ret, char *why, size_t why_len)
{
	struct udpcapd_steering *s;

	(void)listener, (void)hash, (void)fds, (void)n;
	if (requested == UDPCAP_STEERING_EBPF || requested == UDPCAP_STEERING_CBPF) {
		snprintf(why, why_len, "steering mode %s is not built yet",
			 udpcapd_steering_mode_name(requested));
		return -EOPNOTSUPP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mode = UDPCAP_STEERING_KERNEL;
	snprintf(why, why_len, "kernel outer-header hash (ebpf/cbpf not built yet)");
	*ret = s;
	return 0;
}

enum udpcap_steering udpcapd_steering_mode(const struct udpcapd_steering *s)
{
	return s ? s->mode : UDPCAP_STEERING_KERNEL;
}

const char *udpcapd_steering_mode_name(enum udpcap_steering mode)
{
	switch (mode) {
	case UDPCAP_STEERING_AUTO:
		return "auto";
	case UDPCAP_STEERING_EBPF:
		return "ebpf";
	case UDPCAP_STEERING_CBPF:
		return "cbpf";
	case UDPCAP_STEERING_KERNEL:
		return "kernel";
	}
	return "unknown";
}

void udpcapd_steering_unparsed(const struct udpcapd_steering *s, uint64_t acc[UDPCAP_DECAP__COUNT])
{
	(void)s, (void)acc;
}

void udpcapd_steering_free(struct udpcapd_steering *s)
{
	free(s);
}
