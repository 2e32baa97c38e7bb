/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drop every capability once sockets are bound, steering is attached and
 * rings exist. Capabilities are per thread, so this runs in the main thread
 * before any other thread is created: all threads inherit the empty sets.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "udpcap-build.h"
#include "log.h"
#include "udpcapd.h"

#if HAVE_LIBCAP
#include <sys/capability.h>
#endif

int udpcapd_drop_privileges(void)
{
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		log_error("prctl(PR_SET_NO_NEW_PRIVS) failed: %m");
		return r;
	}
	/* Ambient first: it cannot outlive permitted anyway, but be explicit. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		r = -errno;
		log_error("clearing ambient capabilities failed: %m");
		return r;
	}
#if HAVE_LIBCAP
	{
		cap_t none = cap_init(); /* all three sets empty */

		if (!none)
			return -ENOMEM;
		r = cap_set_proc(none) < 0 ? -errno : 0;
		cap_free(none);
		if (r < 0) {
			log_error("dropping capabilities failed: %s", strerror(-r));
			return r;
		}
	}
	log_debug("all capabilities dropped");
#else
	log_warning("built without libcap: capabilities were not dropped");
#endif
	return 0;
}
