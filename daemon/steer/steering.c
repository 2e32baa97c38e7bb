/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: choosing the steering mode of one listener's reuseport group.
 *
 * auto tries ebpf (needs CAP_BPF at start-up), then cbpf (needs nothing),
 * then the kernel's own outer-header hash, which splits connections and is
 * only a last resort. Explicit ebpf/cbpf never fall back: a deployment that
 * asked for them would otherwise run silently without symmetric steering.
 * No logging here: @why carries the explanation to the caller, which logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steering.h"
#include "steering_int.h"

struct udpcapd_steering {
	enum udpcap_steering mode;
	struct udpcapd_steering_ebpf *ebpf;
};

static int check_args(const struct udpcap_config_listener *listener, const int *fds, unsigned n,
		      char *why, size_t why_len)
{
	if (!listener || !fds || n < 1 || n > UDPCAP_CONFIG_MAX_RINGS) {
		snprintf(why, why_len, "steering: %u sockets, need 1..%d", n,
			 UDPCAP_CONFIG_MAX_RINGS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] < 0) {
			snprintf(why, why_len, "steering: socket %u is not open", i);
			return -EBADF;
		}
	}
	return 0;
}

int udpcapd_steering_attach(enum udpcap_steering requested,
			    const struct udpcap_config_listener *listener,
			    enum udpcap_hash_mode hash, const int *fds, unsigned n,
			    struct udpcapd_steering **ret, char *why, size_t why_len)
{
	char ebpf_why[256] = "", cbpf_why[256] = "";
	struct udpcapd_steering *s;
	int r;

	r = check_args(listener, fds, n, why, why_len);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, why_len, "steering: out of memory");
		return -ENOMEM;
	}

	switch (requested) {
	case UDPCAP_STEERING_EBPF:
	case UDPCAP_STEERING_AUTO:
		r = udpcapd_steering_ebpf_attach(listener, hash, fds, n,
						 requested == UDPCAP_STEERING_EBPF, &s->ebpf,
						 ebpf_why, sizeof(ebpf_why));
		if (r >= 0) {
			s->mode = UDPCAP_STEERING_EBPF;
			snprintf(why, why_len, "ebpf: %s", ebpf_why);
			goto done;
		}
		if (requested == UDPCAP_STEERING_EBPF) {
			snprintf(why, why_len, "%s", ebpf_why);
			goto fail;
		}
		__attribute__((fallthrough));
	case UDPCAP_STEERING_CBPF:
		r = udpcapd_steering_cbpf_attach(listener, hash, fds, n, cbpf_why,
						 sizeof(cbpf_why));
		if (r >= 0) {
			s->mode = UDPCAP_STEERING_CBPF;
			if (requested == UDPCAP_STEERING_AUTO)
				snprintf(why, why_len, "cbpf (auto: %s): %s", ebpf_why, cbpf_why);
			else
				snprintf(why, why_len, "cbpf: %s", cbpf_why);
			goto done;
		}
		if (requested == UDPCAP_STEERING_CBPF) {
			snprintf(why, why_len, "%s", cbpf_why);
			goto fail;
		}
		s->mode = UDPCAP_STEERING_KERNEL;
		snprintf(why, why_len,
			 "kernel outer-header hash, connections may be split (auto: %s; %s)",
			 ebpf_why, cbpf_why);
		goto done;
	case UDPCAP_STEERING_KERNEL:
		s->mode = UDPCAP_STEERING_KERNEL;
		snprintf(why, why_len,
			 "kernel outer-header hash as configured, connections may be split");
		goto done;
	}
	snprintf(why, why_len, "steering: unknown mode %d", (int)requested);
	r = -EINVAL;
fail:
	free(s);
	return r;
done:
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
	if (s && s->ebpf)
		udpcapd_steering_ebpf_unparsed(s->ebpf, acc);
}

uint64_t udpcapd_steering_select_failed(const struct udpcapd_steering *s)
{
	return s && s->ebpf ? udpcapd_steering_ebpf_select_failed(s->ebpf) : 0;
}

void udpcapd_steering_free(struct udpcapd_steering *s)
{
	if (!s)
		return;
	udpcapd_steering_ebpf_free(s->ebpf);
	free(s);
}
