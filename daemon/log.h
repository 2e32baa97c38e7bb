/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: logging. One line per event on stderr, prefixed with the
 * syslog priority ("<3>") when stderr is the journal, so journald keeps
 * the level. The library never logs; the daemon logs once, at the edge.
 */
#ifndef UDPCAPD_LOG_H
#define UDPCAPD_LOG_H

#include <syslog.h>

void udpcapd_log_set_level(int level);	  /* LOG_ERR .. LOG_DEBUG */
int udpcapd_log_parse_level(const char *name); /* "info" -> LOG_INFO, -1 if unknown */
void udpcapd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) udpcapd_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) udpcapd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) udpcapd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) udpcapd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) udpcapd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* UDPCAPD_LOG_H */
