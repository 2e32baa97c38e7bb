/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd.conf: the dispatcher around libinih. inih splits lines into
 * "key = value"; this file feeds it lines (counting them, since Debian's
 * inih is built without INI_HANDLER_LINENO), tracks sections itself (inih
 * does not report empty ones), routes each key to its section's keyword
 * table, reports every error as "FILE:LINE: message", and validates what
 * spans keys once the whole file is read.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_rows.h"
#include "udpcap-build.h"

#define CFG_MAX_FILE (1u << 20)

/* Edit distance, for "did you mean". Names are short: a 2-row table. */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[2][65], i, j;
	size_t la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[0][j] = j;
	for (i = 1; i <= la; i++) {
		unsigned *cur = row[i & 1], *prev = row[(i - 1) & 1];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[la & 1][lb];
}

/* Keeps @name in *@best if it is closer to @word than what is there. */
static void closer(const char *word, const char *name, size_t len, const char **best,
		   size_t *best_len, unsigned *best_d)
{
	char buf[65];
	unsigned d;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	d = distance(word, buf);
	if (d < *best_d) {
		*best_d = d;
		*best = name;
		*best_len = len;
	}
}

/* Writes into @buf the section word or key closest to @word, or returns NULL if none is close. */
static const char *nearest(const char *word, const struct cfg_section *in, char *buf, size_t len)
{
	const char *best = NULL;
	size_t best_len = 0;
	unsigned best_d = 99;

	if (in) {
		const struct cfg_key *k;

		for (k = cfg_keys; k->name; k++)
			if (!strcmp(k->section, in->name))
				closer(word, k->name, strlen(k->name), &best, &best_len, &best_d);
	} else {
		const struct cfg_section *s;

		for (s = cfg_sections; s->name; s++) {
			const char *w;
			size_t n = cfg_section_word(s, &w);

			closer(word, w, n, &best, &best_len, &best_d);
		}
	}
	if (!best || best_d > 2 + best_len / 4)
		return NULL;
	snprintf(buf, len, "%.*s", (int)best_len, best);
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* [word NAME]: a new instance of a named section, its keys at their defaults. */
static void instance_begin(struct cfg *c, const struct cfg_section *s, const char *arg)
{
	size_t *count = (size_t *)((char *)c->config + s->count), i;
	const char *word;
	int len = (int)cfg_section_word(s, &word);
	char *inst, err[256];
	const char *msg = s->name_ok(arg, err, sizeof(err));

	if (msg) {
		cfg_error(c, c->lineno, "%s", msg);
		return;
	}
	for (i = 0; i < *count; i++) {
		inst = cfg_instance(s, c->config, i);
		if (!strcmp(inst, arg)) {
			cfg_error(c, c->lineno, "duplicate [%.*s %s] (first at line %u)", len, word,
				  arg, *(unsigned *)(inst + s->line));
			return;
		}
	}
	if (*count >= s->max) {
		cfg_error(c, c->lineno, "too many %s (max %u)", s->many, s->max);
		return;
	}
	inst = cfg_instance(s, c->config, (*count)++);
	memset(inst, 0, s->size);
	memcpy(inst, arg, strlen(arg) + 1); /* name_ok checked its length */
	*(unsigned *)(inst + s->line) = c->lineno;
	c->slot = (unsigned)*count - 1;
	c->base = inst;
	c->section = s;
	c->bad_section = false;
	if (cfg_apply_defaults(c, s, inst) < 0)
		c->oom = true;
}

static void section_begin(struct cfg *c, char *inside)
{
	const struct cfg_section *s, *plain = NULL, *named = NULL;
	char *word = trim(inside), *arg, near[65];
	unsigned idx;

	c->section = NULL;
	c->base = NULL;
	c->slot = 0;
	c->bad_section = true;

	arg = word + strcspn(word, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg = trim(arg);
	}
	for (s = cfg_sections; s->name; s++) {
		const char *w;
		size_t n = cfg_section_word(s, &w);

		if (n == strlen(word) && !strncasecmp(w, word, n)) {
			if (cfg_section_named(s))
				named = s;
			else
				plain = s;
		}
	}
	if (!plain && !named) {
		if (nearest(word, NULL, near, sizeof(near)))
			cfg_error(c, c->lineno, "unknown section [%s]; did you mean [%s]?", word,
				  near);
		else
			cfg_error(c, c->lineno, "unknown section [%s]", word);
		return;
	}
	if (*arg && named) {
		instance_begin(c, named, arg);
		return;
	}
	if (*arg) {
		cfg_error(c, c->lineno, "section [%s] takes no name (found '%s')", plain->name, arg);
		return;
	}
	if (!plain) {
		cfg_error(c, c->lineno, "[%s] needs a name: [%s NAME]", word, word);
		return;
	}
	idx = (unsigned)(plain - cfg_sections);
	if (c->section_seen[idx]) {
		cfg_error(c, c->lineno, "duplicate section [%s] (first at line %u)", plain->name,
			  c->section_seen[idx]);
		return;
	}
	c->section_seen[idx] = c->lineno;
	c->section = plain;
	c->base = c->config;
	c->bad_section = false;
}

/*
 * inih's line reader: hands out one line of the text at a time, counting
 * lines, and sees each section header first. Leading blanks are removed
 * so an indented line is an ordinary line, not an inih continuation.
 */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg *c = stream;
	const char *start = c->pos, *eol;
	size_t len;
	char *line;

	if (!start || !*start)
		return NULL;
	eol = strchr(start, '\n');
	len = eol ? (size_t)(eol - start) : strlen(start);
	c->pos = eol ? eol + 1 : start + len;
	c->lineno++;
	while (len && (*start == ' ' || *start == '\t')) {
		start++;
		len--;
	}
	if (len >= (size_t)num - 1) {
		cfg_error(c, c->lineno,
			  "line is too long (max %d characters); split allow = "
			  "and vni = lists over several lines",
			  num - 2);
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, start, len);
	str[len] = '\n';
	str[len + 1] = '\0';

	line = str;
	if (*line == '[') {
		char *close = strchr(line, ']');
		char *rest;

		if (!close) {
			cfg_error(c, c->lineno, "section header has no closing ']'");
			c->section = NULL;
			c->base = NULL;
			c->bad_section = true;
			str[0] = '\n';
			str[1] = '\0';
			return str;
		}
		rest = trim(close + 1);
		if (*rest && *rest != '\n' && *rest != ';' && *rest != '#') {
			cfg_error(c, c->lineno, "unexpected text after section header");
		}
		*close = '\0';
		{
			char inside[256];

			snprintf(inside, sizeof(inside), "%s", line + 1);
			*close = ']';
			section_begin(c, inside);
		}
	} else if (*line != ';' && *line != '#' && *line != '\n' && *line != '\r' &&
		   !strpbrk(line, "=:")) {
		cfg_error(c, c->lineno, "expected 'key = value' or '[section]'");
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
}

static const struct cfg_key *key_find(const struct cfg_section *s, const char *name)
{
	const struct cfg_key *k;

	for (k = cfg_keys; k->name; k++)
		if (!strcmp(k->section, s->name) && !strcasecmp(k->name, name))
			return k;
	return NULL;
}

/* A key this section does not have: maybe its unnamed twin's, or a typo. */
static void unknown_key(struct cfg *c, const char *name)
{
	const struct cfg_section *s = c->section, *twin = s->twin ? cfg_section_find(s->twin) : NULL;
	char where[128], near[65];
	const char *w;
	size_t n = cfg_section_word(s, &w);

	if (twin && key_find(twin, name)) {
		cfg_error(c, c->lineno, "%s = belongs in [%s]: %s", name, twin->name,
			  s->twin_note);
		return;
	}
	if (cfg_section_named(s))
		snprintf(where, sizeof(where), "[%.*s %s]", (int)n, w, (const char *)c->base);
	else
		snprintf(where, sizeof(where), "[%s]", s->name);
	if (nearest(name, s, near, sizeof(near)))
		cfg_error(c, c->lineno, "unknown key '%s' in %s; did you mean '%s'?", name, where,
			  near);
	else
		cfg_error(c, c->lineno, "unknown key '%s' in %s", name, where);
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg *c = user;
	const struct cfg_key *k;
	unsigned *line;
	char err[512];
	const char *msg;

	(void)section; /* sections are tracked by cfg_reader */
	if (!c->section) {
		/* After a bad section header (already reported) stay quiet. */
		if (!c->bad_section)
			cfg_error(c, c->lineno, "key '%s' outside of any section", name);
		return 1;
	}
	k = key_find(c->section, name);
	if (!k) {
		unknown_key(c, name);
		return 1;
	}
	line = &c->lines[c->slot][k - cfg_keys];
	if (*line && !(k->flags & CFG_REPEATABLE)) {
		cfg_error(c, c->lineno, "duplicate key '%s' (first at line %u)", k->name, *line);
		return 1;
	}
	/* set even when wrong: one message for the line, not a second "has no listen" */
	*line = c->lineno;
	msg = k->parse(c, k, c->base, value, err, sizeof(err));
	if (msg)
		cfg_error(c, c->lineno, "%s", msg);
	return 1;
}

/* Same address and port; port 0 (the kernel picks one, for tests) never clashes. */
static bool sockaddr_equal(const struct udpcap_config_listener *a,
			   const struct udpcap_config_listener *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->addr;

	if (a->addr.ss_family == AF_INET ? !a4->sin_port : !a6->sin6_port)
		return false;
	return a->addr_len == b->addr_len && !memcmp(&a->addr, &b->addr, a->addr_len);
}

/*
 * Defaults of [rings NAME] that depend on [rings] (which may come later):
 * size and group from there, names NAME-%d. Ring names must differ between
 * groups: they are the files consumers open.
 */
static void ring_groups_finish(struct cfg *c)
{
	struct udpcap_config *cfg = c->config;
	size_t i, j;

	for (i = 0; i < cfg->ring_group_count; i++) {
		struct udpcap_config_ring_group *g = &cfg->ring_groups[i];

		if (!g->size)
			g->size = cfg->rings.size;
		if (!g->group && cfg->rings.group && !(g->group = strdup(cfg->rings.group)))
			c->oom = true;
		if (!g->pattern) {
			size_t n = strlen(g->name) + 8;

			g->pattern = malloc(n);
			if (!g->pattern) {
				c->oom = true;
				continue;
			}
			snprintf(g->pattern, n, "%s-%%d", g->name);
		}
		if (!strcmp(g->pattern, cfg->rings.name))
			cfg_error(c, g->line,
				  "[rings %s] name = %s is [rings]'s too; each group needs its own "
				  "ring names",
				  g->name, g->pattern);
		for (j = 0; j < i; j++)
			if (cfg->ring_groups[j].pattern && !strcmp(g->pattern, cfg->ring_groups[j].pattern))
				cfg_error(c, g->line,
					  "[rings %s] name = %s is [rings %s]'s too; each group needs "
					  "its own ring names",
					  g->name, g->pattern, cfg->ring_groups[j].name);
	}
}

/* Every [tap NAME] names its interface, and no two the same one (each
 * frame would be written there twice). */
static void taps_finish(struct cfg *c)
{
	struct udpcap_config *cfg = c->config;
	size_t i, j;

	for (i = 0; i < cfg->tap_count; i++) {
		const struct udpcap_config_tap *t = &cfg->taps[i];

		if (!t->interface) {
			cfg_error(c, t->line,
				  "[tap %s] has no interface = (the TAP device to write to)",
				  t->name);
			continue;
		}
		for (j = 0; j < i; j++)
			if (cfg->taps[j].interface && !strcmp(cfg->taps[j].interface, t->interface))
				cfg_error(c, t->line,
					  "[tap %s] interface = %s is [tap %s]'s too (line %u); "
					  "each interface gets every frame once",
					  t->name, t->interface, cfg->taps[j].name, cfg->taps[j].line);
	}
}

static void cfg_validate(struct cfg *c)
{
	struct udpcap_config *cfg = c->config;
	size_t i, j;

	if (!cfg->listener_count)
		cfg_error(c, c->lineno ? c->lineno : 1,
			  "no [listener NAME] section; at least one is required");
	for (i = 0; i < cfg->listener_count; i++) {
		struct udpcap_config_listener *l = &cfg->listeners[i];
		unsigned listen = cfg_key_line(c, (unsigned)i, "listener NAME", "listen");
		unsigned dlt = cfg_key_line(c, (unsigned)i, "listener NAME", "dlt");
		unsigned vni = cfg_key_line(c, (unsigned)i, "listener NAME", "vni");

		if (!listen) {
			cfg_error(c, l->line, "[listener %s] has no listen = ADDRESS:PORT",
				  l->name);
			continue;
		}
		for (j = 0; j < i; j++) {
			unsigned other = cfg_key_line(c, (unsigned)j, "listener NAME", "listen");

			if (other && sockaddr_equal(&cfg->listeners[j], l))
				cfg_error(c, listen,
					  "[listener %s] listens on the same address as "
					  "[listener %s] (line %u)",
					  l->name, cfg->listeners[j].name, other);
		}
		switch (l->encap.type) {
		case UDPCAP_ENCAP_VXLAN:
		case UDPCAP_ENCAP_GENEVE_VXLAN:
			if (dlt && l->encap.linktype != UDPCAP_LINKTYPE_EN10MB)
				cfg_error(c, dlt,
					  "dlt = %s does not fit encap = %s, which always "
					  "carries Ethernet (en10mb)",
					  udpcap_linktype_name(l->encap.linktype),
					  udpcap_encap_name(l->encap.type));
			l->encap.linktype = UDPCAP_LINKTYPE_EN10MB;
			break;
		case UDPCAP_ENCAP_GENEVE:
			/* the seed plugin's configs write one: accepted, and said why it
			 * changes nothing */
			if (dlt)
				cfg_notice(c, dlt,
					   "dlt = %s is ignored for encap = geneve: each packet's "
					   "GENEVE protocol type decides its link type",
					   udpcap_linktype_name(l->encap.linktype));
			l->encap.linktype = UDPCAP_LINKTYPE_EN10MB;
			break;
		case UDPCAP_ENCAP_RAW:
		case UDPCAP_ENCAP_SKIP:
			if (l->vni_count)
				cfg_error(c, vni,
					  "vni = does not apply to encap = %s, which carries no "
					  "VNI (every datagram would be dropped)",
					  udpcap_encap_name(l->encap.type));
			break;
		}
	}
	ring_groups_finish(c);
	taps_finish(c);
	if (cfg->receive.threads > cfg->rings.count)
		cfg_error(c, cfg_key_line(c, 0, "receive", "threads"),
			  "threads = %u is more than the %u rings; a ring has one thread",
			  cfg->receive.threads, cfg->rings.count);
}

/* Every singleton section's keys at their defaults, room for the named ones. */
static int config_defaults(struct cfg *c)
{
	struct udpcap_config *cfg = c->config;
	const struct cfg_section *s;

	cfg->listeners = calloc(UDPCAP_CONFIG_MAX_LISTENERS, sizeof(*cfg->listeners));
	cfg->ring_groups = calloc(UDPCAP_CONFIG_MAX_RING_GROUPS, sizeof(*cfg->ring_groups));
	cfg->taps = calloc(UDPCAP_CONFIG_MAX_TAPS, sizeof(*cfg->taps));
	if (!cfg->listeners || !cfg->ring_groups || !cfg->taps)
		return -ENOMEM;
	for (s = cfg_sections; s->name; s++)
		if (!cfg_section_named(s) && cfg_apply_defaults(c, s, cfg) < 0)
			return -ENOMEM;
	return 0;
}

void udpcap_config__free(struct udpcap_config *config)
{
	const struct cfg_section *s;
	size_t i;

	if (!config)
		return;
	for (s = cfg_sections; s->name; s++) {
		if (!cfg_section_named(s)) {
			cfg_free_values(s, config);
			continue;
		}
		if (!*(void **)((char *)config + s->array))
			continue;
		for (i = 0; i < cfg_instance_count(s, config); i++)
			cfg_free_values(s, cfg_instance(s, config, i));
		free(*(void **)((char *)config + s->array));
	}
	free(config->path);
	free(config);
}

int udpcap_config__parse(const char *name, const char *text, udpcap_config_error_fn on_error,
			 void *ctx, struct udpcap_config **ret_config)
{
	struct cfg *c;
	struct udpcap_config *cfg;
	int r, ret;

	if (!name || !text)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	cfg = calloc(1, sizeof(*cfg));
	if (!c || !cfg) {
		ret = -ENOMEM;
		goto out;
	}
	c->config = cfg;
	c->name = name;
	c->on_error = on_error;
	c->ctx = ctx;
	if (config_defaults(c) < 0 || !(cfg->path = strdup(name))) {
		ret = -ENOMEM;
		goto out;
	}
	c->pos = text;
	/* Skip a UTF-8 byte order mark ourselves so that line 1 is still line 1. */
	if (!strncmp(text, "\xEF\xBB\xBF", 3))
		c->pos += 3;

	r = ini_parse_stream(cfg_reader, c, cfg_handler, c);
	if (r > 0 && !c->errors)
		cfg_error(c, (unsigned)r, "syntax error");
	if (r < 0 && !c->errors) {
		ret = -ENOMEM;
		goto out;
	}
	if (!c->oom)
		cfg_validate(c);
	if (c->oom) {
		ret = -ENOMEM;
		goto out;
	}
	if (c->errors) {
		ret = -EINVAL;
		goto out;
	}
	*ret_config = cfg;
	cfg = NULL;
	ret = 0;
out:
	udpcap_config__free(cfg);
	free(c);
	return ret;
}

int udpcap_config__load(const char *path, udpcap_config_error_fn on_error, void *ctx,
			struct udpcap_config **ret_config)
{
	char msg[512];
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(msg, sizeof(msg), "%s: cannot open: %s", path, strerror(-ret));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(msg, sizeof(msg), "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > CFG_MAX_FILE) {
		ret = -EFBIG;
		snprintf(msg, sizeof(msg), "%s: larger than %u bytes", path, CFG_MAX_FILE);
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		snprintf(msg, sizeof(msg), "%s: out of memory", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(msg, sizeof(msg), "%s: read error: %s", path, strerror(-ret));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	close(fd);
	if (strlen(text) != len) {
		/* A NUL would silently end the text: report the line it is on. */
		unsigned line = 1;
		size_t i;

		for (i = 0; i < len && text[i]; i++)
			line += text[i] == '\n';
		free(text);
		snprintf(msg, sizeof(msg), "%s:%u: line contains a NUL byte", path, line);
		if (on_error)
			on_error(ctx, msg);
		return -EINVAL;
	}
	ret = udpcap_config__parse(path, text, on_error, ctx, ret_config);
	free(text);
	return ret;
fail:
	if (fd >= 0)
		close(fd);
	free(text);
	if (on_error)
		on_error(ctx, msg);
	return ret;
}
