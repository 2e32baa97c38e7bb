/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * steering = cbpf: attach the generated classic-BPF program with
 * SO_ATTACH_REUSEPORT_CBPF, which needs no privilege. Its return value is
 * an index into the group's socket array, which is in bind order: the
 * caller must have bound fds[0..n-1] in that order (the daemon does).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cbpf_gen.h"
#include "steering_int.h"

int udpcapd_steering_cbpf_attach(const struct udpcap_config_listener *listener,
				 enum udpcap_hash_mode hash, const int *fds, unsigned n, char *why,
				 size_t why_len)
{
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	struct sock_fprog prog = {.filter = insns};
	char invalid[128];
	unsigned len;
	int r;

	r = udpcapd_cbpf_generate(&listener->encap, hash, n, insns, &len);
	if (r < 0) {
		snprintf(why, why_len,
			 "cannot generate a classic-BPF program for encap %d, dlt %u: %s",
			 (int)listener->encap.type, listener->encap.linktype, strerror(-r));
		return r;
	}
	r = udpcapd_cbpf_validate(insns, len, invalid, sizeof(invalid));
	if (r < 0) {
		snprintf(why, why_len, "generated classic-BPF program is invalid: %s", invalid);
		return r;
	}
	prog.len = (unsigned short)len;
	if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0) {
		r = -errno;
		snprintf(why, why_len, "SO_ATTACH_REUSEPORT_CBPF: %s", strerror(-r));
		return r;
	}
	snprintf(why, why_len, "classic-BPF symmetric hash over %u sockets (%u instructions)", n,
		 len);
	return 0;
}
