/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal, not installed: the clock and the spin-wait hint that libudpcap,
 * udpcapd (which links it statically) and udpcapctl share, so that "now"
 * and "spin politely" mean one thing everywhere. Header-only: no state, no
 * exported symbol.
 */
#ifndef UDPCAP_SYS_INTERNAL_H
#define UDPCAP_SYS_INTERNAL_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on @clock (CLOCK_MONOTONIC, CLOCK_REALTIME). */
static inline uint64_t udpcap_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Seconds on the monotonic clock, for intervals and rates. */
static inline double udpcap_now_s(void)
{
	return (double)udpcap_now_ns(CLOCK_MONOTONIC) / 1e9;
}

/* Spin-wait hint for loops that poll memory another thread or process writes. */
static inline void udpcap_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* UDPCAP_SYS_INTERNAL_H */
