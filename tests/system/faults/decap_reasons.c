/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper (not a test): the reference answer for the fault tests.
 * Reads datagrams from stdin, each as "ENCAP HEX\n" (HEX may be empty),
 * and prints for each the drop label udpcap_decap() gives it, or "ok".
 * A C program rather than ctypes so it also runs in the sanitizer build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udpcap/config.h>
#include <udpcap/decap.h>

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *ret_len)
{
	size_t n = strlen(s) / 2;

	if (n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*ret_len = n;
	return 0;
}

int main(void)
{
	static char line[1 << 17];
	static unsigned char buf[1 << 16];

	while (fgets(line, sizeof(line), stdin)) {
		char *hex = strchr(line, ' ');
		struct udpcap_encap enc = { .linktype = UDPCAP_LINKTYPE_EN10MB };
		struct udpcap_decap d;
		size_t len;
		enum udpcap_decap_reason r;

		if (!hex)
			return 2;
		*hex++ = '\0';
		hex[strcspn(hex, "\r\n")] = '\0';
		if (udpcap_parse_encap(line, &enc) < 0 || unhex(hex, buf, sizeof(buf), &len) < 0) {
			fprintf(stderr, "decap_reasons: bad input line for '%s'\n", line);
			return 2;
		}
		r = udpcap_decap(&enc, buf, len, &d);
		puts(r == UDPCAP_DECAP_OK ? "ok" : udpcap_decap_reason_str(r));
	}
	return 0;
}
