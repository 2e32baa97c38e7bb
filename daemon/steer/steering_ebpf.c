/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * steering = ebpf: load bpf/steer.bpf.c through its libbpf skeleton, one
 * instance per listener (its own socket array and counters), fill the
 * REUSEPORT_SOCKARRAY with the group's sockets and attach the program with
 * SO_ATTACH_REUSEPORT_EBPF. Loading needs CAP_BPF; afterwards the program
 * lives as long as the group and the map fds we keep need no capability.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steering_int.h"
#include "bpf/steer_shared.h"
#include "steer/bpf/steer.skel.h"

struct udpcapd_steering_ebpf {
	struct udpcap_steer_bpf *skel;
};

_Static_assert(UDPCAPD_STEER_MAX_SOCKS == UDPCAP_CONFIG_MAX_RINGS,
	       "the socket array must hold every ring");

/* libbpf is global; attach runs once per listener at start-up, single-threaded. */
static bool libbpf_verbose;

__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level,
							      const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void set_rodata(struct udpcap_steer_bpf *skel, const struct udpcap_config_listener *l,
		       enum udpcap_hash_mode hash, unsigned n)
{
	skel->rodata->cfg_encap = l->encap.type;
	skel->rodata->cfg_skip = l->encap.skip;
	skel->rodata->cfg_linktype = l->encap.linktype;
	skel->rodata->cfg_hash_mode = hash;
	skel->rodata->cfg_ring_count = n;
}

int udpcapd_steering_ebpf_attach(const struct udpcap_config_listener *listener,
				 enum udpcap_hash_mode hash, const int *fds, unsigned n,
				 bool verbose, struct udpcapd_steering_ebpf **ret, char *why,
				 size_t why_len)
{
	struct udpcapd_steering_ebpf *e;
	int r, map_fd, prog_fd;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
	e->skel = udpcap_steer_bpf__open();
	if (!e->skel) {
		r = -errno;
		snprintf(why, why_len, "cannot open the eBPF object: %s", strerror(-r));
		goto fail;
	}
	set_rodata(e->skel, listener, hash, n);
	r = udpcap_steer_bpf__load(e->skel);
	if (r < 0) {
		snprintf(why, why_len, "cannot load the eBPF program: %s%s", strerror(-r),
			 r == -EPERM ? " (needs CAP_BPF at start-up)" : "");
		goto fail;
	}
	map_fd = bpf_map__fd(e->skel->maps.socks);
	for (unsigned i = 0; i < n; i++) {
		__u64 fd = (__u64)fds[i];

		if (bpf_map_update_elem(map_fd, &i, &fd, BPF_NOEXIST) < 0) {
			r = -errno;
			snprintf(why, why_len, "cannot put socket %u into the socket array: %s", i,
				 strerror(-r));
			goto fail;
		}
	}
	prog_fd = bpf_program__fd(e->skel->progs.udpcap_steer);
	if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog_fd, sizeof(prog_fd)) <
	    0) {
		r = -errno;
		snprintf(why, why_len, "SO_ATTACH_REUSEPORT_EBPF: %s", strerror(-r));
		goto fail;
	}
	snprintf(why, why_len, "sk_reuseport program, lib inner-flow hash %% %u sockets", n);
	*ret = e;
	return 0;
fail:
	udpcapd_steering_ebpf_free(e);
	return r;
}

/* Per-CPU slot @slot summed over CPUs. */
static uint64_t counter(const struct udpcapd_steering_ebpf *e, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u64 *v;

	if (ncpu <= 0)
		return 0;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.counters), &slot, v) == 0)
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

void udpcapd_steering_ebpf_unparsed(const struct udpcapd_steering_ebpf *e,
				    uint64_t acc[UDPCAP_DECAP__COUNT])
{
	for (__u32 r = 1; r < UDPCAP_DECAP__COUNT; r++)
		acc[r] += counter(e, r);
}

uint64_t udpcapd_steering_ebpf_select_failed(const struct udpcapd_steering_ebpf *e)
{
	return counter(e, UDPCAPD_STEER_SELECT_FAILED);
}

void udpcapd_steering_ebpf_free(struct udpcapd_steering_ebpf *e)
{
	if (!e)
		return;
	udpcap_steer_bpf__destroy(e->skel);
	free(e);
}
