/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the small helpers every part of the daemon shares, so that a
 * group name, a directory or a clock means the same everywhere.
 */
#ifndef UDPCAPD_UTIL_H
#define UDPCAPD_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include "sys_internal.h" /* the clock and cpu_relax, shared with libudpcap */

/* Mode of every directory the daemon creates (ring directory, control
 * socket directory): the owner and the group that may read. */
#define UDPCAPD_DIR_MODE 0750

/* Group @name, or a numeric gid, -> gid. -ENOENT if there is no such group. */
int udpcapd_group_lookup(const char *name, gid_t *ret_gid);

/* mkdir -p @dir; what is created gets UDPCAPD_DIR_MODE and, unless @gid is
 * (gid_t)-1, group @gid. Existing directories are left as they are. */
int udpcapd_mkdir_p(const char *dir, gid_t gid);

#endif /* UDPCAPD_UTIL_H */
