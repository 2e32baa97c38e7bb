/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the small helpers every part of the daemon shares, so that a
 * group name, a directory or a clock means the same everywhere.
 */
#ifndef UDPCAPD_UTIL_H
#define UDPCAPD_UTIL_H

#include <stdint.h>
#include <sys/types.h>

/* Mode of every directory the daemon creates (ring directory, control
 * socket directory): the owner and the group that may read. */
#define UDPCAPD_DIR_MODE 0750

/* Group @name, or a numeric gid, -> gid. -ENOENT if there is no such group. */
int udpcapd_group_lookup(const char *name, gid_t *ret_gid);

/* mkdir -p @dir; what is created gets UDPCAPD_DIR_MODE and, unless @gid is
 * (gid_t)-1, group @gid. Existing directories are left as they are. */
int udpcapd_mkdir_p(const char *dir, gid_t gid);

/* Nanoseconds on @clock (CLOCK_MONOTONIC, CLOCK_REALTIME). */
uint64_t udpcapd_now_ns(int clock);

/* Spin-wait hint for loops that poll memory another thread writes. */
static inline void udpcapd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* UDPCAPD_UTIL_H */
