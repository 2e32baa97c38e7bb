/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl: one file per subcommand; each takes argv from the subcommand
 * name on and returns the process exit status.
 *
 * Exit statuses (documented in udpcapctl(8)):
 *   0 success, 1 runtime failure, 2 usage error,
 *   3 daemon not running (no control socket / connection refused),
 *   4 permission denied on the control socket or ring,
 *   5 unknown ring or listener, 6 ring busy (another consumer holds it).
 */
#ifndef UDPCAPCTL_CTL_H
#define UDPCAPCTL_CTL_H

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILURE = 1,
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_NOT_RUNNING = 3,
	CTL_EXIT_PERMISSION = 4,
	CTL_EXIT_UNKNOWN = 5,
	CTL_EXIT_BUSY = 6,
};

int cmd_replay(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_rings(int argc, char **argv);

#endif /* UDPCAPCTL_CTL_H */
