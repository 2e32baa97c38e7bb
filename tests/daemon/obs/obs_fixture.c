/* SPDX-License-Identifier: BSD-3-Clause */
/* Hand-built counter snapshot and stats stubs for the obs unit tests. */
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.h"
#include "obs_fixture.h"

int obs_fixture_collect_result;
unsigned obs_fixture_collects;

static void counters(struct udpcapd_stats_counters *c, uint64_t received, uint64_t delivered,
		     uint64_t bytes)
{
	memset(c, 0, sizeof(*c));
	c->received = received;
	c->received_bytes = received * 150;
	c->delivered = delivered;
	c->bytes = bytes;
}

static void add(struct udpcapd_stats_counters *to, const struct udpcapd_stats_counters *from)
{
	to->received += from->received;
	to->received_bytes += from->received_bytes;
	to->delivered += from->delivered;
	to->bytes += from->bytes;
	for (int i = 0; i < UDPCAPD_DROP__COUNT; i++)
		to->drops[i] += from->drops[i];
}

void obs_fixture_fill(struct udpcapd_stats *s)
{
	struct udpcapd_stats_listener *l = calloc(2, sizeof(*l));
	struct udpcapd_stats_ring *r = calloc(2, sizeof(*r));

	if (!l || !r)
		abort();
	memset(s, 0, sizeof(*s));
	snprintf(s->version, sizeof(s->version), "0.1.0-test");
	s->start_time_ns = 1700000000123456789ull;
	s->uptime_ns = 3723ull * 1000000000ull;
	s->steering = "ebpf";
	snprintf(s->steering_why, sizeof(s->steering_why), "eBPF program loaded");
	s->backend = "recvmmsg";
	s->hash = "5-tuple";
	s->steering_unparsed[UDPCAP_DECAP_VXLAN_NO_VNI] = 3;
	s->steering_unparsed[UDPCAP_DECAP_VXLAN_SHORT] = 1;

	snprintf(l[0].name, sizeof(l[0].name), "vxlan");
	snprintf(l[0].listen, sizeof(l[0].listen), "127.0.0.1:4789");
	snprintf(l[0].encap, sizeof(l[0].encap), "vxlan");
	counters(&l[0].c, 1000, 900, 120000);
	l[0].c.drops[UDPCAPD_DROP_SOCKET] = 7;
	l[0].c.drops[UDPCAPD_DROP_NOT_ALLOWED] = 40;
	l[0].c.drops[UDPCAPD_DROP_VNI_FILTERED] = 30;
	l[0].c.drops[UDPCAPD_DROP_TRUNCATED] = 10;
	l[0].c.drops[UDPCAPD_DROP_RING_FULL] = 15;
	l[0].c.drops[udpcapd_drop_from_decap(UDPCAP_DECAP_VXLAN_NO_VNI)] = 5;
	snprintf(l[1].name, sizeof(l[1].name), "geneve");
	snprintf(l[1].listen, sizeof(l[1].listen), "[::1]:6081");
	snprintf(l[1].encap, sizeof(l[1].encap), "geneve");
	counters(&l[1].c, 10, 10, 1000);

	/* the same packets by ring: worker-0 took socket/not_allowed/ring_full */
	snprintf(r[0].name, sizeof(r[0].name), "worker-0");
	snprintf(r[0].group, sizeof(r[0].group), "default");
	snprintf(r[0].path, sizeof(r[0].path), "/dev/shm/udpcapd-test/worker-0");
	counters(&r[0].c, 555, 500, 60000);
	r[0].c.drops[UDPCAPD_DROP_SOCKET] = 7;
	r[0].c.drops[UDPCAPD_DROP_NOT_ALLOWED] = 40;
	r[0].c.drops[UDPCAPD_DROP_RING_FULL] = 15;
	r[0].ring = (struct udpcap_ring_stats){.written_packets = 500,
					       .written_bytes = 60000,
					       .full_packets = 15,
					       .full_bytes = 2250,
					       .capacity = 1u << 20,
					       .used = 1u << 18,
					       .generation = 3,
					       .consumer_pid = 4242};
	snprintf(r[1].name, sizeof(r[1].name), "worker-1");
	snprintf(r[1].group, sizeof(r[1].group), "default");
	snprintf(r[1].path, sizeof(r[1].path), "/dev/shm/udpcapd-test/worker-1");
	counters(&r[1].c, 455, 410, 61000);
	r[1].c.drops[UDPCAPD_DROP_VNI_FILTERED] = 30;
	r[1].c.drops[UDPCAPD_DROP_TRUNCATED] = 10;
	r[1].c.drops[udpcapd_drop_from_decap(UDPCAP_DECAP_VXLAN_NO_VNI)] = 5;
	r[1].ring = (struct udpcap_ring_stats){.written_packets = 410,
					       .written_bytes = 61000,
					       .capacity = 1u << 20,
					       .generation = 3,
					       .resets = 1};

	add(&s->totals, &l[0].c);
	add(&s->totals, &l[1].c);
	s->listeners = l;
	s->listener_count = 2;
	s->rings = r;
	s->ring_count = 2;

	/* a TAP output: every packet the listeners delivered, 3 refused, 2 not Ethernet */
	s->taps = calloc(1, sizeof(*s->taps));
	if (!s->taps)
		abort();
	snprintf(s->taps[0].name, sizeof(s->taps[0].name), "ids");
	snprintf(s->taps[0].interface, sizeof(s->taps[0].interface), "udpcap0");
	s->taps[0].queues = 2;
	s->taps[0].up = true;
	s->taps[0].carrier = true;
	counters(&s->taps[0].c, 925, 920, 110000);
	s->taps[0].c.drops[UDPCAPD_DROP_TAP_FULL] = 3;
	s->taps[0].c.drops[UDPCAPD_DROP_TAP_NOT_ETHERNET] = 2;
	s->tap_count = 1;
}

int udpcapd_stats_collect(struct udpcapd *d, struct udpcapd_stats *ret)
{
	(void)d;
	__atomic_add_fetch(&obs_fixture_collects, 1, __ATOMIC_RELAXED);
	if (obs_fixture_collect_result < 0)
		return obs_fixture_collect_result;
	obs_fixture_fill(ret);
	return 0;
}

/* The health answers need the data path; here they are a fixed "ready". */
int udpcapd_health_answer(struct udpcapd *d, bool ready, char **ret_body, size_t *ret_len)
{
	static const char body[] = "{\"why\":[\"fixture\"]}\n";

	(void)d, (void)ready;
	*ret_body = strdup(body);
	if (!*ret_body)
		return -ENOMEM;
	*ret_len = sizeof(body) - 1;
	return 200;
}

struct udpcap_config *obs_fixture_config(const char *socket, const char *group,
					 const char *metrics_listen)
{
	struct udpcap_config *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->control.socket = socket ? strdup(socket) : NULL;
	c->control.group = group ? strdup(group) : NULL;
	c->control.mode = 0660;
	c->metrics.listen = metrics_listen ? strdup(metrics_listen) : NULL;
	return c;
}

void obs_fixture_config_free(struct udpcap_config *c)
{
	if (!c)
		return;
	free(c->control.socket);
	free(c->control.group);
	free(c->metrics.listen);
	free(c);
}

int obs_fixture_unix_client(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 30};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "connect %s: %s\n", path, strerror(errno));
		abort();
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int obs_fixture_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

char *obs_fixture_tmpdir(void)
{
	char *dir = strdup("/tmp/udpcap-obs-XXXXXX");

	if (!dir || !mkdtemp(dir))
		abort();
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void obs_fixture_rmrf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
