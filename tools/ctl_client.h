/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl: client side of the control socket (docs/control-protocol.md).
 * Finds the socket (-s, -f CONFIG, the installed config, the built-in
 * default), sends one-line JSON requests and maps every failure to a
 * message on stderr and an exit status of ctl.h.
 */
#ifndef UDPCAPCTL_CTL_CLIENT_H
#define UDPCAPCTL_CTL_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "udpcap-build.h"

/* How to find the daemon: at most one of the two is set. */
struct ctl_target {
	const char *config; /* -f CONFIG */
	const char *socket; /* -s SOCKET */
};

struct ctl_conn {
	int fd;
	char path[108];
	char *buf; /* received, not yet consumed */
	size_t len, cap;
};

/* Help text for -f/-s shared by the subcommands. */
#define CTL_TARGET_HELP                                                                            \
	"  -f, --config FILE   find the daemon through FILE's [control] socket\n"                  \
	"  -s, --socket PATH   the daemon's control socket\n"                                      \
	"                      (default: the installed config's, "                                 \
	"else " UDPCAP_DEFAULT_CONTROL_SOCKET ")\n"

/* Takes -f/-s (getopt's @opt and @arg) into @t: true if @opt was one of them. */
bool ctl_target_option(struct ctl_target *t, int opt, const char *arg);

/* Connect to the daemon. CTL_EXIT_OK, or an exit status after a message. */
int ctl_connect(const struct ctl_target *t, struct ctl_conn *ret_conn);

/*
 * Send {"cmd": CMD[, "ring": RING]} and read the reply line. With an
 * "ok": true reply: CTL_EXIT_OK, *ret_reply (json_object_put it) and, when
 * @ret_line is given, the raw line (free it). Otherwise a message and the
 * exit status (unknown_ring -> CTL_EXIT_UNKNOWN).
 */
int ctl_call(struct ctl_conn *conn, const char *cmd, const char *ring,
	     struct json_object **ret_reply, char **ret_line);

void ctl_close(struct ctl_conn *conn);

/* Accessors tolerant of missing keys (0 / "" / NULL). */
uint64_t ctl_u64(struct json_object *o, const char *key);
double ctl_double(struct json_object *o, const char *key);
const char *ctl_str(struct json_object *o, const char *key);
struct json_object *ctl_get(struct json_object *o, const char *key);

/* "64MiB", "1.5GiB", "512B" into @buf. */
const char *ctl_format_size(uint64_t bytes, char *buf, size_t size);

#endif /* UDPCAPCTL_CTL_CLIENT_H */
