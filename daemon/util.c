/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int udpcapd_group_lookup(const char *name, gid_t *ret_gid)
{
	char buf[4096], *end;
	struct group gr, *res = NULL;
	unsigned long v;

	if (!name || !*name)
		return -ENOENT;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (!*end && errno == 0 && name[0] >= '0' && name[0] <= '9' && v < (gid_t)-1) {
		*ret_gid = (gid_t)v;
		return 0;
	}
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	*ret_gid = res->gr_gid;
	return 0;
}

int udpcapd_mkdir_p(const char *dir, gid_t gid)
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
		if (mkdir(path, UDPCAPD_DIR_MODE) == 0) {
			if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
				log_warning("cannot give %s to group %u: %m", path, (unsigned)gid);
		} else if (errno != EEXIST) {
			return -errno;
		}
		path[i] = dir[i];
	}
	return 0;
}
