/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the C tests (test programs only, not libudpcap). */
#ifndef UDPCAP_TESTS_COMMON_H
#define UDPCAP_TESTS_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* meson counts exit status 77 as SKIP: say why, loudly, on stderr and stdout. */
#define TEST_SKIP_EXIT 77
#define test_skip(...)                                                                    \
	do {                                                                              \
		fprintf(stderr, "SKIP: " __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                                    \
		printf("SKIP: " __VA_ARGS__);                                             \
		printf("\n");                                                             \
		exit(TEST_SKIP_EXIT);                                                     \
	} while (0)

/* Directory of ../shared/pcaps, or NULL (the test then skips, naming it). */
static inline const char *test_pcap_dir(void)
{
	const char *d = getenv("UDPCAP_PCAP_DIR");
	if (d && access(d, R_OK | X_OK) == 0)
		return d;
	return NULL;
}

/* 1 under ASan/UBSan: stress tests scale their counts down, not their checks. */
static inline int test_sanitized(void)
{
	const char *s = getenv("UDPCAP_SANITIZED");
	return s && s[0] == '1';
}

#endif /* UDPCAP_TESTS_COMMON_H */
