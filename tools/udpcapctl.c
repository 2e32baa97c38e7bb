/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl: command-line front end of udpcap. Dispatches to one file per
 * subcommand (cmd_*.c). Options that say where the daemon is (-f CONFIG,
 * -s SOCKET, -d DIR) may also come before the command, as with systemctl
 * and git; they are handed to the command as if given after it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
	fprintf(out, "Usage: udpcapctl [--version] [--help] [-f CONFIG | -s SOCKET | -d DIR] COMMAND "
		     "[ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\nRun 'udpcapctl COMMAND --help' for a command's options.\n");
}

/* Levenshtein distance, for "did you mean" (short words only). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32], i, j;

	if (la >= 32 || lb >= 32)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			diag = tmp;
		}
	}
	return row[lb];
}

/* A global option taking a value: -f, -s, -d or their long forms. */
static bool global_option(const char *arg)
{
	static const char *const opts[] = {"-f", "-s", "-d", "--config", "--socket", "--dir"};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t n = strlen(opts[i]);

		if (!strncmp(arg, opts[i], n) &&
		    (!arg[n] || (opts[i][1] == '-' && arg[n] == '=') || (opts[i][1] != '-')))
			return true;
	}
	return false;
}

static void freep(void *p)
{
	free(*(void **)p);
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
	__attribute__((cleanup(freep))) char **nargv = NULL;
	int first = 1;

	/* global options before the command: move them after it */
	while (first < argc && argv[first][0] == '-' && global_option(argv[first])) {
		const char *a = argv[first];
		bool inline_value = (a[1] != '-' && a[2]) || strchr(a, '=');

		first += inline_value ? 1 : 2;
	}
	if (first > argc) {
		fprintf(stderr, "udpcapctl: %s needs a value\n", argv[argc - 1]);
		return CTL_EXIT_USAGE;
	}
	if (first > 1 && first < argc) {
		int k = 0;

		nargv = calloc((size_t)argc + 1, sizeof(*nargv));

		if (!nargv)
			return CTL_EXIT_FAILURE;
		nargv[k++] = argv[0];
		nargv[k++] = argv[first];
		for (int i = 1; i < first; i++)
			nargv[k++] = argv[i];
		for (int i = first + 1; i < argc; i++)
			nargv[k++] = argv[i];
		argv = nargv;
	} else if (first > 1) {
		fprintf(stderr, "udpcapctl: which command? %s alone does nothing\n", argv[1]);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	return dispatch(argc, argv);
}

static int dispatch(int argc, char **argv)
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
	{
		size_t best = 3, bi = 0;

		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
			size_t dd = distance(argv[1], subcommands[i].name);

			if (dd < best)
				best = dd, bi = i;
		}
		/* one or two letters off: a typo of that command */
		if (best < 3) {
			fprintf(stderr, "Did you mean 'udpcapctl %s'?\n", subcommands[bi].name);
			return CTL_EXIT_USAGE;
		}
	}
	usage(stderr);
	return CTL_EXIT_USAGE;
}
