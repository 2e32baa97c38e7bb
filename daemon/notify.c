/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sd_notify(3) to systemd when NOTIFY_SOCKET is set (libsystemd does
 * nothing otherwise): READY/RELOADING/STOPPING, STATUS= lines, WATCHDOG=1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "udpcap-build.h"
#include "log.h"
#include "udpcapd.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

void udpcapd_notify(const char *state)
{
#if HAVE_LIBSYSTEMD
	int r = sd_notify(0, state);

	if (r < 0)
		log_warning("sd_notify(%s) failed: %d", state, r);
#else
	(void)state;
#endif
}

void udpcapd_notifyf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	udpcapd_notify(buf);
}

unsigned udpcapd_watchdog_interval_ms(void)
{
#if HAVE_LIBSYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		return (unsigned)(usec / 2000);
#endif
	return 0;
}
