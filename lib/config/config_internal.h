/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to lib/config*.c, do not include elsewhere: the parser state
 * that the section keyword tables (config_keys.c) and the dispatcher
 * (config.c) share.
 */
#ifndef UDPCAP_CONFIG_INTERNAL_H
#define UDPCAP_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <udpcap/config.h>

#define CFG_MAX_KEYS 8

struct cfg;

/* Parses one value into c->config; returns NULL or the error message. */
typedef const char *(*cfg_parse_fn)(struct cfg *c, const char *value, char *err, size_t errlen);

struct cfg_keyword {
	const char *name;
	cfg_parse_fn parse;
	bool repeatable; /* allow =, vni = accumulate over several lines */
};

struct cfg_section {
	const char *name;
	const struct cfg_keyword *keys;
	bool named; /* "[listener NAME]": many instances */
};

/* Where a listener's keys were set, for checks that span keys. */
struct cfg_listener_lines {
	unsigned listen, encap, dlt, vni;
};

struct cfg {
	struct udpcap_config *config;
	const char *name; /* file name in messages */
	udpcap_config_error_fn on_error;
	void *ctx;
	unsigned errors;
	bool oom;

	/* line reader feeding inih */
	const char *pos;
	unsigned lineno;

	/* the section being read: NULL before the first one or after an unknown one */
	const struct cfg_section *section;
	struct udpcap_config_listener *listener;
	struct udpcap_config_ring_group *ring_group; /* in [rings NAME] */
	bool bad_section;		  /* the last header was reported as wrong */
	unsigned key_lines[CFG_MAX_KEYS]; /* line of each key of this section instance */
	unsigned section_seen[16];	  /* first line of each singleton section */
	unsigned threads_line, count_line;
	struct cfg_listener_lines lines[UDPCAP_CONFIG_MAX_LISTENERS];
};

extern const struct cfg_section cfg_sections[];

/* Decimal digits only, no sign or blanks, at most @max. 0, -EINVAL or -ERANGE. */
int cfg_parse_ulong(const char *text, unsigned long max, unsigned long *ret);

void cfg_error(struct cfg *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Something the reader should know that is not an error: "FILE:LINE: notice: ...". */
void cfg_notice(struct cfg *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* UDPCAP_CONFIG_INTERNAL_H */
