/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's rings: created at start-up (replacing stale rings of the
 * same names), closed and drained for a bounded time at shutdown.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "udpcapd.h"

/* How long consumers get to drain closed rings at shutdown. */
#define DRAIN_MS 2000

/* Expand "worker-%d" (validated: exactly one %d, "%%" literal) without printf. */
int udpcapd_ring_name(const char *pattern, unsigned i, char *buf, size_t len)
{
	size_t n = 0;
	const char *p;
	char num[16];

	snprintf(num, sizeof(num), "%u", i);
	for (p = pattern; *p; p++) {
		const char *add = p;
		size_t alen = 1;

		if (p[0] == '%' && p[1] == 'd') {
			add = num;
			alen = strlen(num);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			p++;
		}
		if (n + alen >= len)
			return -ENAMETOOLONG;
		memcpy(buf + n, add, alen);
		n += alen;
	}
	buf[n] = '\0';
	return 0;
}

static int resolve_group(const char *name, gid_t *ret)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int r;

	r = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*ret = gr.gr_gid;
	return 0;
}

/* mkdir -p with 0750 for what we create; existing directories keep their mode. */
static int make_dir(const char *dir, gid_t gid)
{
	char path[4096];
	size_t i, len = strlen(dir);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0750) == 0) {
			if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
				log_warning("cannot give %s to group %u: %m", path, (unsigned)gid);
		} else if (errno != EEXIST) {
			return -errno;
		}
		path[i] = dir[i];
	}
	return 0;
}

int udpcapd_rings_create(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	struct udpcap_ring_create_opts opts = {
	    .sz = sizeof(opts), .group = (gid_t)-1, .mode = 0660, .linktype = 0};
	unsigned i;
	int r;

	if (cfg->rings.group) {
		r = resolve_group(cfg->rings.group, &opts.group);
		if (r < 0) {
			log_error("%s: [rings] group = %s: no such group", d->config_path,
				  cfg->rings.group);
			return r;
		}
	}
	/* A ring-level link type only if every listener produces the same one. */
	for (i = 0; i < d->nlisteners; i++) {
		const struct udpcap_encap *e = &d->listeners[i].encap;
		uint16_t lt = e->type == UDPCAP_ENCAP_GENEVE ? 0 : e->linktype;

		if (i == 0)
			opts.linktype = lt;
		else if (opts.linktype != lt)
			opts.linktype = 0;
	}
	r = make_dir(cfg->rings.dir, opts.group);
	if (r < 0) {
		log_error("cannot create ring directory %s: %s", cfg->rings.dir, strerror(-r));
		return r;
	}
	for (i = 0; i < d->nrings; i++) {
		r = udpcapd_ring_name(cfg->rings.name, i, d->ring_names[i],
				      sizeof(d->ring_names[i]));
		if (r < 0) {
			log_error("ring name from pattern %s is too long", cfg->rings.name);
			return r;
		}
		r = udpcap_ring__create(cfg->rings.dir, d->ring_names[i], cfg->rings.size, &opts,
					&d->rings[i]);
		if (r < 0) {
			log_error("cannot create ring %s/%s: %s", cfg->rings.dir, d->ring_names[i],
				  strerror(-r));
			return r;
		}
	}
	log_info("%u rings of %llu bytes in %s (%s .. %s)", d->nrings,
		 (unsigned long long)cfg->rings.size, cfg->rings.dir, d->ring_names[0],
		 d->ring_names[d->nrings - 1]);
	return 0;
}

/* Rings with a live consumer and unread records. */
static unsigned rings_pending(struct udpcapd *d)
{
	unsigned i, n = 0;

	for (i = 0; i < d->nrings; i++) {
		struct udpcap_ring_stats st;

		if (d->rings[i] && udpcap_ring__stats(d->rings[i], &st) == 0 && st.used &&
		    st.consumer_pid)
			n++;
	}
	return n;
}

void udpcapd_rings_shutdown(struct udpcapd *d)
{
	struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
	unsigned i, waited = 0, pending;

	if (!d->rings)
		return;
	for (i = 0; i < d->nrings; i++)
		if (d->rings[i])
			udpcap_ring__close(d->rings[i]);
	while ((pending = rings_pending(d)) && waited < DRAIN_MS) {
		nanosleep(&pause, NULL);
		waited += 10;
	}
	if (pending)
		log_warning("%u rings still hold unread records after %u ms; removing them",
			    pending, DRAIN_MS);
	for (i = 0; i < d->nrings; i++) {
		udpcap_ring__free(d->rings[i], true);
		d->rings[i] = NULL;
	}
}
