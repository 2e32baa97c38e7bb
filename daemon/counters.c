/* SPDX-License-Identifier: BSD-3-Clause */
/* Stable drop-reason labels: they appear in logs, JSON stats and Prometheus. */
#include <stddef.h>

#include "counters.h"

const char *udpcapd_drop_name(enum udpcapd_drop drop)
{
	switch (drop) {
	case UDPCAPD_DROP_SOCKET:
		return "socket";
	case UDPCAPD_DROP_NOT_ALLOWED:
		return "not_allowed";
	case UDPCAPD_DROP_VNI_FILTERED:
		return "vni_filtered";
	case UDPCAPD_DROP_TRUNCATED:
		return "truncated";
	case UDPCAPD_DROP_RING_FULL:
		return "ring_full";
	case UDPCAPD_DROP_DUPLICATE:
		return "duplicate";
	case UDPCAPD_DROP_HANDOFF_FULL:
		return "handoff_full";
	case UDPCAPD_DROP_TAP_FULL:
		return "tap_full";
	case UDPCAPD_DROP_TAP_DOWN:
		return "tap_down";
	case UDPCAPD_DROP_TAP_NOT_ETHERNET:
		return "tap_not_ethernet";
	default:
		break;
	}
	if (drop >= UDPCAPD_DROP_DECAP_FIRST && drop < UDPCAPD_DROP__COUNT)
		return udpcap_decap_reason_str(
		    (enum udpcap_decap_reason)(drop - UDPCAPD_DROP_DECAP_FIRST + 1));
	return NULL;
}
