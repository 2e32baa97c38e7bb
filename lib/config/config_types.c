/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the rows of config_keys.c have in common: the parsers of plain
 * numbers, sizes, booleans, words and strings, whose bounds, words and
 * messages come from the row; and what equal values of each type are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_rows.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), err)

_Static_assert(sizeof(enum udpcap_backend) == sizeof(int) &&
		   sizeof(enum udpcap_steering) == sizeof(int) &&
		   sizeof(enum udpcap_hash_mode) == sizeof(int),
	       "CFG_ENUM values are stored as int");

const char *cfg_set_string(struct cfg *c, char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s) {
		c->oom = true;
		return "out of memory";
	}
	free(*dst);
	*dst = s;
	return NULL;
}

const char *cfg_optional_string(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
				char *err, size_t errlen)
{
	char **dst = cfg_value(k, base);

	(void)err;
	(void)errlen;
	if (*v)
		return cfg_set_string(c, dst, v);
	free(*dst);
	*dst = NULL;
	return NULL;
}

const char *cfg_uint(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen)
{
	unsigned long n;
	char zero[32] = "";

	(void)c;
	if (cfg_parse_ulong(v, (unsigned long)k->max, &n) < 0 || n < k->min) {
		if (!k->min && k->zero)
			snprintf(zero, sizeof(zero), " (%s)", k->zero);
		return ERR("%s = '%s' is not %s from %llu%s to %llu", k->name, v,
			   k->unit ? k->unit : "a number", k->min, zero, k->max);
	}
	*(unsigned *)cfg_value(k, base) = (unsigned)n;
	return NULL;
}

/* "64K", "16G": the largest suffix that divides @bytes. */
static const char *size_text(unsigned long long bytes, char *buf, size_t len)
{
	static const char suffix[] = " KMG";
	unsigned i = 0;

	while (i < 3 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu%.*s", bytes, i ? 1 : 0, &suffix[i]);
	return buf;
}

const char *cfg_size(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen)
{
	char lo[24], hi[24];
	uint64_t bytes;

	(void)c;
	if (udpcap_parse_size(v, &bytes) < 0)
		return ERR("%s = '%s' is not a size (e.g. %s; suffixes K, M, G)", k->name, v,
			   k->unit ? k->unit : "64M");
	if (bytes < k->min || bytes > k->max)
		return ERR("%s = '%s' is out of range (%s to %s)", k->name, v,
			   size_text(k->min, lo, sizeof(lo)), size_text(k->max, hi, sizeof(hi)));
	*(uint64_t *)cfg_value(k, base) = bytes;
	return NULL;
}

/* Index of @value in the NULL-terminated @names (any case), or -1. */
static int choose(const char *value, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcasecmp(value, names[i]))
			return i;
	return -1;
}

const char *cfg_bool(struct cfg *c, const struct cfg_key *k, void *base, const char *v, char *err,
		     size_t errlen)
{
	static const char *const names[] = {"no", "yes", "false", "true", "off", "on", "0", "1",
					    NULL};
	int i = choose(v, names);

	(void)c;
	if (i < 0)
		return ERR("%s = '%s' is not yes or no", k->name, v);
	*(bool *)cfg_value(k, base) = i % 2;
	return NULL;
}

const char *cfg_choice(struct cfg *c, const struct cfg_key *k, void *base, const char *v,
		       char *err, size_t errlen)
{
	int i = choose(v, k->names);
	size_t n = 0;

	if (i >= 0 && k->type == CFG_STRING)
		return cfg_set_string(c, cfg_value(k, base), k->names[i]);
	if (i >= 0) {
		*(int *)cfg_value(k, base) = i;
		return NULL;
	}
	n += (size_t)snprintf(err, errlen, "%s = '%s' is not one of ", k->name, v);
	for (i = 0; k->names[i] && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", k->names[i]);
	return err;
}

static bool cidrs_equal(const struct udpcap_cidr *a, const struct udpcap_cidr *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].family != b[i].family || a[i].prefix != b[i].prefix ||
		    memcmp(a[i].addr, b[i].addr, sizeof(a[i].addr)))
			return false;
	return true;
}

/* Entries of a list, bytes of an address; 0 for other values. */
static size_t length(const struct cfg_key *k, const void *base)
{
	const void *p = (const char *)base + k->len;

	switch (k->type) {
	case CFG_CPUS:
	case CFG_CIDRS:
	case CFG_VNIS:
		return *(const size_t *)p;
	case CFG_SOCKADDR:
		return *(const socklen_t *)p;
	default:
		return 0;
	}
}

bool cfg_value_equal(const struct cfg_key *k, const void *base_a, const void *base_b)
{
	const void *a = (const char *)base_a + k->offset, *b = (const char *)base_b + k->offset;
	size_t na = length(k, base_a);

	if (na != length(k, base_b))
		return false;
	switch (k->type) {
	case CFG_UINT:
		return *(const unsigned *)a == *(const unsigned *)b;
	case CFG_SIZE:
		return *(const uint64_t *)a == *(const uint64_t *)b;
	case CFG_BOOL:
		return *(const bool *)a == *(const bool *)b;
	case CFG_ENUM:
		return *(const int *)a == *(const int *)b;
	case CFG_MODE:
		return *(const mode_t *)a == *(const mode_t *)b;
	case CFG_STRING: {
		const char *sa = *(char *const *)a, *sb = *(char *const *)b;

		return (!sa && !sb) || (sa && sb && !strcmp(sa, sb));
	}
	case CFG_SOCKADDR:
		return !memcmp(a, b, na);
	case CFG_ENCAP: {
		const struct udpcap_encap *ea = a, *eb = b;

		return ea->type == eb->type && ea->skip == eb->skip;
	}
	case CFG_LINKTYPE:
		return *(const uint16_t *)a == *(const uint16_t *)b;
	case CFG_CPUS:
		return !na || !memcmp(*(int *const *)a, *(int *const *)b, na * sizeof(int));
	case CFG_CIDRS:
		return cidrs_equal(*(struct udpcap_cidr *const *)a, *(struct udpcap_cidr *const *)b,
				   na);
	case CFG_VNIS:
		return !na ||
		       !memcmp(*(uint32_t *const *)a, *(uint32_t *const *)b, na * sizeof(uint32_t));
	}
	return false;
}
