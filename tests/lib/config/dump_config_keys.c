/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prints every key of udpcapd.conf from the parser's rows, one line each:
 * SECTION <tab> KEY <tab> reloadable|restart <tab> DEFAULT <tab> DOC.
 * docs_truth compares docs/configuration.md with it.
 */
#include <stdio.h>
#include <udpcap/config.h>

int main(void)
{
	struct udpcap_config_key_info k;
	size_t i;

	for (i = 0; udpcap_config__key(i, &k) == 0; i++)
		printf("%s\t%s\t%s\t%s\t%s\n", k.section, k.name,
		       k.reloadable ? "reloadable" : "restart",
		       k.default_value ? k.default_value : "", k.doc);
	return i ? 0 : 1;
}
