/* SPDX-License-Identifier: BSD-3-Clause */
/* udpcapctl rings: scaffolding until its issue lands; refuses to pretend. */
#include <stdio.h>

#include "ctl.h"

int cmd_rings(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "udpcapctl rings: not built yet\n");
	return CTL_EXIT_FAILURE;
}
