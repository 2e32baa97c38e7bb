/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the privilege model of steering, in forked children running as
 * nobody:nogroup:
 * - with only CAP_BPF, steering = auto attaches ebpf, and after dropping
 *   CAP_BPF too the program keeps steering every flow (both directions) to
 *   udpcap_steer() hash % n and its counters can still be read;
 * - with no capability at all, explicit ebpf fails with a message naming
 *   CAP_BPF, and auto ends in cbpf, which steers both directions of every
 *   flow to one socket (the one the generated program says).
 * Needs root to set the children up; skips loudly otherwise.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cbpf_gen.h"
#include "common.h"
#include "steer_pkt.h"
#include "steer_sock.h"
#include "steering.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static void become_nobody(const char *caps)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");
	gid_t gid = gr ? gr->gr_gid : 65534;
	cap_t c;

	CHECK(pw, "no user nobody");
	CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0, "PR_SET_KEEPCAPS: %m");
	CHECK(setgroups(0, NULL) == 0, "setgroups: %m");
	CHECK(setresgid(gid, gid, gid) == 0, "setresgid: %m");
	CHECK(setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == 0, "setresuid: %m");
	c = cap_from_text(caps);
	CHECK(c && cap_set_proc(c) == 0, "cap_set_proc(%s): %m", caps);
	cap_free(c);
}

static void print_capeff(const char *who)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "Uid:", 4) == 0)
			printf("%s: %s", who, line);
	if (f)
		fclose(f);
}

/* Both directions of 200 flows: same socket, the one @mode must pick. */
static void check_steering(struct tgroup *g, const struct udpcap_config_listener *l,
			   enum udpcap_steering mode)
{
	struct sock_filter insns[UDPCAPD_CBPF_MAX_INSNS];
	uint8_t a[512], b[512];
	unsigned insn_len = 0, used = 0;
	uint64_t rng = 3;

	CHECK(udpcapd_cbpf_generate(&l->encap, UDPCAP_HASH_5TUPLE, g->n, insns, &insn_len) == 0,
	      "generate");
	for (int i = 0; i < 200; i++) {
		struct tflow f;
		size_t la, lb;
		unsigned want;
		uint32_t h;
		int ia, ib;

		tflow_random(&f, &rng, -1);
		la = tpkt_build(&l->encap, &f, a, sizeof(a));
		tflow_reverse(&f);
		lb = tpkt_build(&l->encap, &f, b, sizeof(b));
		if (mode == UDPCAP_STEERING_EBPF) {
			CHECK(udpcap_steer(&l->encap, UDPCAP_HASH_5TUPLE, a, la, &h) == 0, "steer");
			want = h % g->n;
		} else {
			want = udpcapd_cbpf_run(insns, insn_len, a, la);
		}
		ia = tgroup_deliver(g, &rng, a, la);
		ib = tgroup_deliver(g, &rng, b, lb);
		CHECK(ia == (int)want && ib == ia, "flow %d: A->B on %d, B->A on %d, expected %u",
		      i, ia, ib, want);
		used |= 1u << ia;
	}
	CHECK(__builtin_popcount(used) == (int)g->n, "only %d of %u sockets used",
	      __builtin_popcount(used), g->n);
}

/* As nobody with @caps: open 4 sockets and attach @mode. Returns attach's result. */
static int attach_as_nobody(const char *caps, const char *who, enum udpcap_steering mode,
			    const struct udpcap_config_listener *l, struct tgroup *g,
			    struct udpcapd_steering **s, char *why, size_t why_len)
{
	int r;

	become_nobody(caps);
	print_capeff(who);
	CHECK(tgroup_open(g, 4) == 0, "sockets");
	r = udpcapd_steering_attach(mode, l, UDPCAP_HASH_5TUPLE, g->fds, g->n, s, why, why_len);
	printf("%s: %s -> %s (%s)\n", who, udpcapd_steering_mode_name(mode),
	       r == 0 ? udpcapd_steering_mode_name(udpcapd_steering_mode(*s)) : "error", why);
	return r;
}

static void child_cap_bpf(void)
{
	struct udpcap_config_listener l = {.encap = {.type = UDPCAP_ENCAP_GENEVE}};
	uint64_t acc[UDPCAP_DECAP__COUNT] = {0};
	struct udpcapd_steering *s = NULL;
	char why[256] = "";
	struct tgroup g;
	cap_t none;
	int r;

	r = attach_as_nobody("cap_bpf=ep", "CAP_BPF child", UDPCAP_STEERING_AUTO, &l, &g, &s, why,
			     sizeof(why));
	CHECK(r == 0 && udpcapd_steering_mode(s) == UDPCAP_STEERING_EBPF, "auto is not ebpf: %s",
	      why);
	/* the daemon drops every capability after start-up */
	none = cap_init();
	CHECK(none && cap_set_proc(none) == 0, "drop all: %m");
	cap_free(none);
	print_capeff("CAP_BPF child, after drop");
	check_steering(&g, &l, UDPCAP_STEERING_EBPF);
	udpcapd_steering_unparsed(s, acc);
	udpcapd_steering_free(s);
	tgroup_close(&g);
	_exit(0);
}

static void child_no_caps(void)
{
	struct udpcap_config_listener l = {.encap = {.type = UDPCAP_ENCAP_VXLAN}};
	struct udpcapd_steering *s = NULL;
	char why[256] = "";
	struct tgroup g;
	int r;

	r = attach_as_nobody("=", "no-caps child", UDPCAP_STEERING_EBPF, &l, &g, &s, why,
			     sizeof(why));
	CHECK(r < 0 && strstr(why, "CAP_BPF"), "explicit ebpf without CAP_BPF: %d %s", r, why);
	r = udpcapd_steering_attach(UDPCAP_STEERING_AUTO, &l, UDPCAP_HASH_5TUPLE, g.fds, g.n, &s,
				    why, sizeof(why));
	printf("no-caps child: auto -> %s (%s)\n",
	       r == 0 ? udpcapd_steering_mode_name(udpcapd_steering_mode(s)) : "error", why);
	CHECK(r == 0 && udpcapd_steering_mode(s) == UDPCAP_STEERING_CBPF, "auto is not cbpf: %s",
	      why);
	check_steering(&g, &l, UDPCAP_STEERING_CBPF);
	udpcapd_steering_free(s);
	tgroup_close(&g);
	_exit(0);
}

static int run(void (*fn)(void), const char *name)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		fn();
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("%s: FAILED\n", name);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

int main(void)
{
	int fails = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		test_skip("needs root to set up unprivileged children (uid %u)", geteuid());
	fails += run(child_cap_bpf, "nobody with only CAP_BPF runs ebpf");
	fails += run(child_no_caps, "nobody without capabilities falls back to cbpf");
	return fails ? 1 : 0;
}
