/* SPDX-License-Identifier: BSD-3-Clause */
/* io_uring backend: not written yet; start-up refuses backend = io_uring clearly. */
#include <errno.h>
#include <stdio.h>

#include "udpcapd.h"

int udpcapd_uring_probe(char *why, size_t len)
{
	snprintf(why, len, "the io_uring backend is not implemented yet");
	return -EOPNOTSUPP;
}

int udpcapd_uring_run(struct udpcapd_thread *t)
{
	(void)t;
	return -EOPNOTSUPP;
}
