/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's rings: the ring directory locked for the daemon's lifetime
 * (so a second udpcapd on the same directory refuses to start instead of
 * replacing a live daemon's rings), rings created at start-up (replacing
 * stale rings of the same names, which only a dead daemon can have left
 * while we hold the lock), closed and drained for a bounded time at
 * shutdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "udpcapd.h"
#include "util.h"

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

static bool in_group(gid_t gid);

/*
 * The pid holding a flock() on the file @dev/@ino, from /proc/locks (in our
 * pid namespace), or 0 if it does not say.
 */
static int lock_holder(dev_t dev, ino_t ino)
{
	char line[256];
	FILE *f = fopen("/proc/locks", "re");
	int pid = 0;

	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long i;
		int p;

		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; "->" lines wait */
		if (strstr(line, "->") || !strstr(line, "FLOCK"))
			continue;
		if (sscanf(line, "%*s FLOCK %*s %*s %d %x:%x:%llu", &p, &maj, &min, &i) == 4 &&
		    maj == major(dev) && min == minor(dev) && i == (unsigned long long)ino)
			pid = p;
	}
	fclose(f);
	return pid;
}

int udpcapd_rings_lock(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	gid_t gid = (gid_t)-1;
	struct stat st;
	int fd, r;

	d->ring_gid = (gid_t)-1;
	if (cfg->rings.group) {
		r = udpcapd_group_lookup(cfg->rings.group, &gid);
		if (r < 0) {
			log_error("%s: [rings] group = %s: no such group", d->config_path,
				  cfg->rings.group);
			return r;
		}
	}
	r = udpcapd_mkdir_p(cfg->rings.dir, gid);
	if (r < 0) {
		log_error("cannot create ring directory %s: %s", cfg->rings.dir, strerror(-r));
		return r;
	}
	fd = open(cfg->rings.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		log_error("cannot open ring directory %s: %s", cfg->rings.dir, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	/* flock, not fcntl: it belongs to the open directory, so nothing else the
	 * daemon opens or closes can release it, and it dies with the process. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int pid = errno == EWOULDBLOCK ? lock_holder(st.st_dev, st.st_ino) : 0;

		r = -errno;
		if (r == -EWOULDBLOCK && pid > 0)
			log_error("ring directory %s is in use by another udpcapd (pid %d); "
				  "refusing to start. Stop that daemon, or give this one its own "
				  "[rings] dir",
				  cfg->rings.dir, pid);
		else if (r == -EWOULDBLOCK)
			log_error("ring directory %s is in use by another udpcapd (its pid is "
				  "not visible here); refusing to start",
				  cfg->rings.dir);
		else
			log_error("cannot lock ring directory %s: %s", cfg->rings.dir,
				  strerror(-r));
		close(fd);
		return r;
	}
	d->ring_dir_fd = fd;
	d->ring_dir_uid = st.st_uid;
	/* Without a configured group the rings take the directory's, as files in a
	 * setgid directory would: the group that may read them is whoever may
	 * enter the directory, whoever runs the daemon (if it may give files that
	 * group at all). */
	d->ring_gid = cfg->rings.group ? gid : in_group(st.st_gid) ? st.st_gid : (gid_t)-1;
	return 0;
}

/* May this process give its files group @gid (root, or a member)? */
static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (geteuid() == 0 || getegid() == gid)
		return true;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * Root running by hand on a directory owned by another user (the packaged
 * /dev/shm/udpcapd, udpcapd:udpcap 0750): after the capabilities are dropped,
 * uid 0 may no longer write that directory, so the rings could not be
 * removed at stop. Rings are therefore created and removed with the
 * directory owner's file-system uid, as the packaged service would; the
 * saved uid keeps that uid reachable by setfsuid() without capabilities.
 * Returns the file-system uid to restore, or -1 if nothing changed.
 */
static int as_dir_owner(struct udpcapd *d)
{
	uid_t owner = d->ring_dir_uid;

	if (geteuid() != 0 || owner == 0 || d->ring_dir_fd < 0)
		return -1;
	if (!d->ring_owner_saved) {
		if (setresuid((uid_t)-1, (uid_t)-1, owner) < 0) {
			log_warning("cannot keep the ring directory owner's uid %u: %m; rings "
				    "may be left behind at stop",
				    (unsigned)owner);
			return -1;
		}
		d->ring_owner_saved = true;
	}
	if (d->ring_gid != (gid_t)-1)
		setfsgid(d->ring_gid);
	setfsuid(owner);
	if ((uid_t)setfsuid((uid_t)-1) != owner) {
		log_warning("cannot act as the ring directory owner (uid %u)", (unsigned)owner);
		return -1;
	}
	return 0;
}

static void as_self(int saved)
{
	if (saved < 0)
		return;
	setfsuid(geteuid());
	setfsgid(getegid());
}

void udpcapd_rings_unlock(struct udpcapd *d)
{
	if (d->ring_dir_fd >= 0)
		close(d->ring_dir_fd);
	d->ring_dir_fd = -1;
}

/* Is @name one of the rings created before it (of any group)? */
static bool name_taken(const struct udpcapd *d, const struct udpcapd_group *upto, unsigned j,
		       const char *name)
{
	unsigned i, k;

	for (i = 0; i < d->nrings; i++)
		if (!strcmp(d->ring_names[i], name))
			return true;
	for (i = 0; &d->groups[i] <= upto && i < d->ngroups; i++)
		for (k = 0; k < (&d->groups[i] == upto ? j : d->groups[i].nrings); k++)
			if (!strcmp(d->groups[i].ring_names[k], name))
				return true;
	return false;
}

/* The rings of a [rings NAME] group, in the same directory. */
static int group_create(struct udpcapd *d, struct udpcapd_group *g,
			const struct udpcap_ring_create_opts *defaults)
{
	const struct udpcap_config *cfg = d->config;
	struct udpcap_ring_create_opts opts = *defaults;
	unsigned j;
	int r;

	if (g->cfg->group) {
		r = udpcapd_group_lookup(g->cfg->group, &opts.group);
		if (r < 0) {
			log_error("%s: [rings %s] group = %s: no such group", d->config_path,
				  g->cfg->name, g->cfg->group);
			return r;
		}
	}
	for (j = 0, r = 0; r >= 0 && j < g->nrings; j++) {
		r = udpcapd_ring_name(g->cfg->pattern, j, g->ring_names[j], sizeof(g->ring_names[j]));
		if (r < 0) {
			log_error("ring name from pattern %s is too long", g->cfg->pattern);
			break;
		}
		if (name_taken(d, g, j, g->ring_names[j])) {
			log_error("%s: [rings %s] ring %s has the name of another ring; give the "
				  "group another name =",
				  d->config_path, g->cfg->name, g->ring_names[j]);
			r = -EEXIST;
			break;
		}
		r = udpcap_ring__create(cfg->rings.dir, g->ring_names[j], g->cfg->size, &opts,
					&g->rings[j]);
		if (r < 0)
			log_error("cannot create ring %s/%s: %s", cfg->rings.dir, g->ring_names[j],
				  strerror(-r));
	}
	if (r >= 0)
		log_info("ring group %s: %u rings of %llu bytes (%s .. %s)", g->cfg->name,
			 g->nrings, (unsigned long long)g->cfg->size, g->ring_names[0],
			 g->ring_names[g->nrings - 1]);
	return r;
}

int udpcapd_rings_create(struct udpcapd *d)
{
	const struct udpcap_config *cfg = d->config;
	struct udpcap_ring_create_opts opts = {
	    .sz = sizeof(opts), .group = d->ring_gid, .mode = 0660, .linktype = 0};
	unsigned i;
	int r = 0, saved;

	/* A ring-level link type only if every listener produces the same one. */
	for (i = 0; i < d->nlisteners; i++) {
		const struct udpcap_encap *e = &d->listeners[i].encap;
		uint16_t lt = e->type == UDPCAP_ENCAP_GENEVE ? 0 : e->linktype;

		if (i == 0)
			opts.linktype = lt;
		else if (opts.linktype != lt)
			opts.linktype = 0;
	}
	saved = as_dir_owner(d);
	for (i = 0; i < d->nrings; i++) {
		r = udpcapd_ring_name(cfg->rings.name, i, d->ring_names[i],
				      sizeof(d->ring_names[i]));
		if (r < 0) {
			log_error("ring name from pattern %s is too long", cfg->rings.name);
			break;
		}
		r = udpcap_ring__create(cfg->rings.dir, d->ring_names[i], cfg->rings.size, &opts,
					&d->rings[i]);
		if (r < 0) {
			log_error("cannot create ring %s/%s: %s", cfg->rings.dir, d->ring_names[i],
				  strerror(-r));
			break;
		}
	}
	for (i = 0; r >= 0 && i < d->ngroups; i++)
		r = group_create(d, &d->groups[i], &opts);
	as_self(saved);
	if (r < 0)
		return r;
	log_info("%u rings of %llu bytes in %s (%s .. %s)", d->nrings,
		 (unsigned long long)cfg->rings.size, cfg->rings.dir, d->ring_names[0],
		 d->ring_names[d->nrings - 1]);
	return 0;
}

/*
 * Every ring of every group, one after the other: @k counts from 0; NULL
 * past the last. (The default group's rings come first.)
 */
static struct udpcap_ring **ring_slot(struct udpcapd *d, unsigned k)
{
	unsigned g;

	if (k < d->nrings)
		return &d->rings[k];
	k -= d->nrings;
	for (g = 0; d->groups && g < d->ngroups; g++) {
		if (k < d->groups[g].nrings)
			return d->groups[g].rings ? &d->groups[g].rings[k] : NULL;
		k -= d->groups[g].nrings;
	}
	return NULL;
}

/* Rings with a live consumer and unread records. */
static unsigned rings_pending(struct udpcapd *d)
{
	struct udpcap_ring **r;
	unsigned k, n = 0;

	for (k = 0; (r = ring_slot(d, k)); k++) {
		struct udpcap_ring_stats st;

		if (*r && udpcap_ring__stats(*r, &st) == 0 && st.used && st.consumer_pid)
			n++;
	}
	return n;
}

void udpcapd_rings_shutdown(struct udpcapd *d)
{
	struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
	unsigned k, waited = 0, pending;
	struct udpcap_ring **r;
	int saved;

	if (!d->rings)
		return;
	for (k = 0; (r = ring_slot(d, k)); k++)
		if (*r)
			udpcap_ring__close(*r);
	while ((pending = rings_pending(d)) && waited < DRAIN_MS) {
		nanosleep(&pause, NULL);
		waited += 10;
	}
	if (pending)
		log_warning("%u rings still hold unread records after %u ms; removing them",
			    pending, DRAIN_MS);
	saved = as_dir_owner(d);
	for (k = 0; (r = ring_slot(d, k)); k++) {
		udpcap_ring__free(*r, true);
		*r = NULL;
	}
	as_self(saved);
}
