/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two configurations compared key by key, for SIGHUP: a loop over the rows
 * of config_keys.c, so a new key is checked as soon as it has its row. And
 * the rows themselves, for tools and the documentation test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_rows.h"

struct diff {
	udpcap_config_change_fn fn;
	void *ctx;
	unsigned refused;
};

static void changed(struct diff *d, bool reloadable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void changed(struct diff *d, bool reloadable, const char *fmt, ...)
{
	char key[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	d->refused += !reloadable;
	if (d->fn)
		d->fn(d->ctx, key, reloadable);
}

/* The instance of @s in @cfg called @name, or NULL. */
static const void *instance_named(const struct cfg_section *s, const struct udpcap_config *cfg,
				  const char *name)
{
	size_t i;

	for (i = 0; i < cfg_instance_count(s, cfg); i++) {
		const char *inst = cfg_instance(s, cfg, i);

		if (!strcmp(inst, name)) /* instances start with their name */
			return inst;
	}
	return NULL;
}

/* Whether every key of @s is the same in @a and @b; with a @label, each change is reported. */
static bool rows_equal(const struct cfg_section *s, const void *a, const void *b,
		       struct diff *d, const char *label)
{
	const struct cfg_key *k;
	bool equal = true;

	for (k = cfg_keys; k->name; k++) {
		if (strcmp(k->section, s->name) || cfg_value_equal(k, a, b))
			continue;
		equal = false;
		if (label)
			changed(d, k->flags & CFG_RELOADABLE, "%s %s", label, k->name);
	}
	return equal;
}

/* Instances matched by name; added and removed ones are changes no reload makes. */
static void diff_instances(const struct cfg_section *s, const struct udpcap_config *o,
			   const struct udpcap_config *n, struct diff *d)
{
	const char *word;
	int len = (int)cfg_section_word(s, &word);
	bool same = cfg_instance_count(s, o) == cfg_instance_count(s, n);
	char label[128];
	size_t i;

	for (i = 0; i < cfg_instance_count(s, o); i++) {
		const char *a = cfg_instance(s, o, i);
		const void *b = instance_named(s, n, a);

		snprintf(label, sizeof(label), "[%.*s %s]", len, word, a);
		if (!b) {
			same = false;
			if (!s->whole)
				changed(d, false, "%s (removed)", label);
			continue;
		}
		same &= rows_equal(s, a, b, d, s->whole ? NULL : label);
	}
	for (i = 0; i < cfg_instance_count(s, n); i++) {
		const char *b = cfg_instance(s, n, i);

		if (!instance_named(s, o, b) && !s->whole)
			changed(d, false, "[%.*s %s] (added)", len, word, b);
	}
	if (s->whole && !same)
		changed(d, false, "%s", s->whole);
}

unsigned udpcap_config__diff(const struct udpcap_config *old, const struct udpcap_config *new,
			     udpcap_config_change_fn fn, void *ctx)
{
	struct diff d = {.fn = fn, .ctx = ctx};
	const struct cfg_section *s;

	for (s = cfg_sections; s->name; s++) {
		char label[64];

		if (cfg_section_named(s)) {
			diff_instances(s, old, new, &d);
			continue;
		}
		snprintf(label, sizeof(label), "[%s]", s->name);
		rows_equal(s, old, new, &d, label);
	}
	return d.refused;
}

int udpcap_config__key(size_t i, struct udpcap_config_key_info *ret_info)
{
	const struct cfg_key *k;
	size_t n = 0;

	for (k = cfg_keys; k->name && n < i; k++)
		n++;
	if (!k->name)
		return -ENOENT;
	*ret_info = (struct udpcap_config_key_info){
	    .section = k->section,
	    .name = k->name,
	    .default_value = k->def,
	    .doc = k->doc,
	    .reloadable = k->flags & CFG_RELOADABLE,
	};
	return 0;
}
