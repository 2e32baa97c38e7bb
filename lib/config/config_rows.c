/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loops over the rows of config_keys.c that the dispatcher and the reload
 * comparison share: sections and their instances, the line that set a key,
 * defaults and freeing; and how the parser reports a problem.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_rows.h"

static void report(struct cfg *c, unsigned line, const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void report(struct cfg *c, unsigned line, const char *kind, const char *fmt, va_list ap)
{
	char msg[512];
	char full[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(full, sizeof(full), "%s:%u: %s%s", c->name, line, kind, msg);
	if (c->on_error)
		c->on_error(c->ctx, full);
}

void cfg_notice(struct cfg *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(c, line, "notice: ", fmt, ap);
	va_end(ap);
}

void cfg_error(struct cfg *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	va_start(ap, fmt);
	report(c, line, "", fmt, ap);
	va_end(ap);
}

bool cfg_section_named(const struct cfg_section *s)
{
	return strchr(s->name, ' ') != NULL;
}

size_t cfg_section_word(const struct cfg_section *s, const char **ret_word)
{
	*ret_word = s->name;
	return strcspn(s->name, " ");
}

const struct cfg_section *cfg_section_find(const char *name)
{
	const struct cfg_section *s;

	for (s = cfg_sections; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

size_t cfg_instance_count(const struct cfg_section *s, const struct udpcap_config *cfg)
{
	return *(const size_t *)((const char *)cfg + s->count);
}

void *cfg_instance(const struct cfg_section *s, const struct udpcap_config *cfg, size_t i)
{
	char *array = *(char *const *)((const char *)cfg + s->array);

	return array + i * s->size;
}

unsigned cfg_key_line(const struct cfg *c, unsigned slot, const char *section, const char *key)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k->name; k++)
		if (!strcmp(k->section, section) && !strcmp(k->name, key))
			return c->lines[slot][k - cfg_keys];
	return 0;
}

static bool keys_of(const struct cfg_key *k, const struct cfg_section *s)
{
	return !strcmp(k->section, s->name);
}

int cfg_apply_defaults(struct cfg *c, const struct cfg_section *s, void *base)
{
	const struct cfg_key *k;
	char err[512];

	for (k = cfg_keys; k->name; k++) {
		const char *msg;

		if (!keys_of(k, s) || !k->def)
			continue;
		msg = k->parse(c, k, base, k->def, err, sizeof(err));
		if (c->oom)
			return -ENOMEM;
		if (msg) /* a wrong row: test_config's defaults test shows it */
			cfg_error(c, 0, "default of [%s] %s: %s", s->name, k->name, msg);
	}
	return 0;
}

void cfg_free_values(const struct cfg_section *s, void *base)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k->name; k++) {
		void **p = cfg_value(k, base);

		if (!keys_of(k, s))
			continue;
		switch (k->type) {
		case CFG_STRING:
		case CFG_CPUS:
		case CFG_CIDRS:
		case CFG_VNIS:
			free(*p);
			*p = NULL;
			break;
		default:
			break;
		}
	}
}
