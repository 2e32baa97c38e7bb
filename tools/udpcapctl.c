/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl: command-line front end of udpcap. Dispatches to one file per
 * subcommand (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "udpcap-build.h"
#include "ctl.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "stats", cmd_stats, "counters per listener and ring, every drop reason" },
	{ "rings", cmd_rings, "rings with size, fill, consumer and generation" },
	{ "dump", cmd_dump, "attach to a ring and write its packets as pcap" },
	{ "replay", cmd_replay, "send a pcap's packets as VXLAN/GENEVE/raw UDP traffic" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: udpcapctl [--version] [--help] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\nRun 'udpcapctl COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("udpcapctl %s\n", UDPCAP_VERSION);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "udpcapctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
