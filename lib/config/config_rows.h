/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to the lib/config sources, do not include elsewhere: the rows that
 * describe every key of udpcapd.conf (config_keys.c), the plain value types
 * most rows use (config_types.c), the loops over the rows (config_rows.c)
 * that the dispatcher (config.c) and the reload comparison (config_diff.c)
 * share, and the parser state.
 *
 * Adding a key: add its field to struct udpcap_config (or to the instance
 * struct of a named section), one row to cfg_keys[] in config_keys.c, and
 * its line to docs/configuration.md and udpcapd.conf(5). The row gives the
 * default, the bounds, the doc line and whether SIGHUP may change the key;
 * parsing, defaults, freeing and the reload check all loop over the rows.
 */
#ifndef UDPCAP_CONFIG_ROWS_H
#define UDPCAP_CONFIG_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <udpcap/config.h>

#define CFG_MAX_ROWS 48
#define CFG_MAX_INSTANCES UDPCAP_CONFIG_MAX_LISTENERS

struct cfg;
struct cfg_key;

/*
 * Parses @value into the key's storage inside @base (struct udpcap_config,
 * or the instance of a named section); returns NULL or the error message,
 * written into @err if it needs formatting (the dispatcher adds "FILE:LINE: ").
 */
typedef const char *(*cfg_parse_fn)(struct cfg *c, const struct cfg_key *k, void *base,
				    const char *value, char *err, size_t errlen);

/* How a value is stored: what comparing and freeing it means. */
enum cfg_type {
	CFG_UINT,     /* unsigned */
	CFG_SIZE,     /* uint64_t bytes */
	CFG_BOOL,     /* bool */
	CFG_ENUM,     /* an int-sized enum; .names in enum order */
	CFG_MODE,     /* mode_t */
	CFG_STRING,   /* char *, NULL = not set */
	CFG_SOCKADDR, /* struct sockaddr_storage; .len: its socklen_t */
	CFG_ENCAP,    /* struct udpcap_encap: type and skip (the link type is dlt's) */
	CFG_LINKTYPE, /* uint16_t */
	CFG_CPUS,     /* int *; .len: the size_t count */
	CFG_CIDRS,    /* struct udpcap_cidr *; .len: the size_t count */
	CFG_VNIS,     /* uint32_t *, sorted; .len: the size_t count */
};

#define CFG_RELOADABLE (1u << 0) /* SIGHUP applies a change to it */
#define CFG_REPEATABLE (1u << 1) /* lines accumulate: allow =, vni = */

/* One key: everything about it, in one place. */
struct cfg_key {
	const char *section; /* a cfg_sections[] name: "rings", "listener NAME" */
	const char *name;
	cfg_parse_fn parse;
	enum cfg_type type;
	size_t offset;		  /* of the value in its base struct */
	size_t len;		  /* of the count (lists) or length (addresses) */
	const char *def;	  /* default, as the file would spell it; NULL = zero */
	unsigned long long min, max; /* bounds of numbers and sizes */
	const char *const *names; /* words accepted, CFG_ENUM in enum order */
	const char *unit;	  /* in messages: "a number of microseconds"; sizes: "64M" */
	const char *zero;	  /* what 0 means, if min is 0: "off" */
	unsigned flags;		  /* CFG_RELOADABLE, CFG_REPEATABLE */
	const char *doc;	  /* one line */
};

/* A section: "[name]", or "[word NAME]" with many instances. */
struct cfg_section {
	const char *name; /* "receive", "listener NAME" */
	/*
	 * Named sections only. Each instance struct starts with its char
	 * name[] and has an unsigned for the line of its header (at .line);
	 * the instances sit in an array of at most .max (.many in the message),
	 * calloc'ed with struct udpcap_config: the pointer at .array, the count
	 * at .count, .size bytes each. .name_ok returns NULL, or why a NAME
	 * is wrong (formatted into @err if need be).
	 */
	size_t array, count, size, line;
	unsigned max;
	const char *many;
	const char *(*name_ok)(const char *name, char *err, size_t errlen);
	/* Reload refuses any change to these instances under this one name
	 * (they are built together at start-up); NULL: each instance by its name. */
	const char *whole;
	/* A key of this section's unnamed twin that is only valid there, and why. */
	const char *twin, *twin_note;
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

	/* the section being read: NULL before the first one or after a wrong one */
	const struct cfg_section *section;
	void *base;	/* where its keys go: the config, or the named instance */
	unsigned slot;	/* the instance's index; 0 for singleton sections */
	bool bad_section;
	unsigned section_seen[16]; /* first line of each singleton section */
	/* line of each key (row index) of each instance; 0 = not set */
	unsigned lines[CFG_MAX_INSTANCES][CFG_MAX_ROWS];
};

extern const struct cfg_section cfg_sections[];
extern const struct cfg_key cfg_keys[];

/* "[rings NAME]" -> "rings": the word of a section's header. */
size_t cfg_section_word(const struct cfg_section *s, const char **ret_word);
bool cfg_section_named(const struct cfg_section *s);
const struct cfg_section *cfg_section_find(const char *name);

/* Named sections: how many instances @cfg has, and the @i-th. */
size_t cfg_instance_count(const struct cfg_section *s, const struct udpcap_config *cfg);
void *cfg_instance(const struct cfg_section *s, const struct udpcap_config *cfg, size_t i);

/* Where the value of row @k lives in @base. */
static inline void *cfg_value(const struct cfg_key *k, void *base)
{
	return (char *)base + k->offset;
}

/* The line that set key @section/@key of instance @slot, 0 if the default holds. */
unsigned cfg_key_line(const struct cfg *c, unsigned slot, const char *section, const char *key);

/* Sets every key of @s in @base to its default. 0 or -ENOMEM. */
int cfg_apply_defaults(struct cfg *c, const struct cfg_section *s, void *base);
/* Frees what the keys of @s own in @base. */
void cfg_free_values(const struct cfg_section *s, void *base);
bool cfg_value_equal(const struct cfg_key *k, const void *a, const void *b);

/* The parsers most rows use; the row gives bounds, words and messages. */
const char *cfg_uint(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen);
const char *cfg_size(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen);
const char *cfg_bool(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen);
/* One of .names: stored as the enum (CFG_ENUM) or as the word (CFG_STRING). */
const char *cfg_choice(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
		       char *err, size_t errlen);
/* Empty means "not set" (NULL). */
const char *cfg_optional_string(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				char *err, size_t errlen);
/* Replaces the string at @dst with a copy of @value; NULL or "out of memory". */
const char *cfg_set_string(struct cfg *c, char **dst, const char *value);

/* Decimal digits only, no sign or blanks, at most @max. 0, -EINVAL or -ERANGE. */
int cfg_parse_ulong(const char *text, unsigned long max, unsigned long *ret);

void cfg_error(struct cfg *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Something the reader should know that is not an error: "FILE:LINE: notice: ...". */
void cfg_notice(struct cfg *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* UDPCAP_CONFIG_ROWS_H */
