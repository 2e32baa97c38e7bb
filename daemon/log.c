/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging to stderr: "<N>message" when stderr is the journal (journald
 * reads the priority prefix), otherwise a timestamped line. Each line is
 * written with one write() so threads never interleave inside a line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_level = LOG_INFO;

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",	[LOG_CRIT] = "crit", [LOG_ERR] = "error",
    [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void udpcapd_log_set_level(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int udpcapd_log_parse_level(const char *name)
{
	int i;

	if (!name)
		return -1;
	if (!strcasecmp(name, "warn"))
		return LOG_WARNING;
	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (!strcasecmp(name, level_names[i]))
			return i;
	return -1;
}

static bool to_journal(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = getenv("JOURNAL_STREAM") != NULL;
	return cached;
}

static void write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(STDERR_FILENO, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report it */
		buf += w;
		len -= (size_t)w;
	}
}

void udpcapd_log(int level, const char *fmt, ...)
{
	char buf[4096];
	size_t n = 0;
	va_list ap;
	int r;

	if (level > __atomic_load_n(&log_level, __ATOMIC_RELAXED))
		return;
	if (to_journal()) {
		r = snprintf(buf, sizeof(buf), "<%d>", level);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		r = snprintf(buf, sizeof(buf),
			     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ udpcapd[%d] %s: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(),
			     level >= 0 && level <= LOG_DEBUG ? level_names[level] : "?");
	}
	if (r > 0)
		n = (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	if ((size_t)r >= sizeof(buf) - n - 1) {
		/* Long lines (the stats dump) go out whole, from the heap. */
		char *big = malloc(n + (size_t)r + 2);

		if (big) {
			memcpy(big, buf, n);
			va_start(ap, fmt);
			vsnprintf(big + n, (size_t)r + 1, fmt, ap);
			va_end(ap);
			n += (size_t)r;
			big[n++] = '\n';
			write_all(big, n);
			free(big);
			return;
		}
		r = (int)(sizeof(buf) - n - 2);
	}
	n += (size_t)r;
	buf[n++] = '\n';
	write_all(buf, n);
}
