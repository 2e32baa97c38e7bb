/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for udpcapd.conf parsing: any byte string, as config
 * text, must either be rejected with at least one "NAME:LINE: ..." message
 * or yield a configuration that satisfies the validator's promises; never
 * a crash, leak or out-of-bounds access.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <udpcap/config.h>

struct seen {
	unsigned n;
};

static void on_error(void *ctx, const char *message)
{
	struct seen *s = ctx;

	if (strncmp(message, "fuzz.conf:", 10) != 0)
		abort(); /* every message names the file and a line */
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udpcap_config *cfg = NULL;
	struct seen s = {0};
	char *text = malloc(size + 1);
	size_t i;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = udpcap_config__parse("fuzz.conf", text, on_error, &s, &cfg);
	if (r == 0) {
		if (s.n || !cfg || cfg->rings.count < 1 || cfg->rings.count > 256 ||
		    cfg->listener_count < 1 || (cfg->rings.size & (cfg->rings.size - 1)) ||
		    (cfg->receive.threads > cfg->rings.count))
			abort();
		for (i = 0; i < cfg->listener_count; i++) {
			const struct udpcap_config_listener *l = &cfg->listeners[i];
			size_t j;

			if (!l->addr_len || !l->name[0])
				abort();
			for (j = 1; j < l->vni_count; j++)
				if (l->vni[j - 1] >= l->vni[j] || l->vni[j] > 0xffffff)
					abort();
		}
		udpcap_config__free(cfg);
	} else if (r == -EINVAL && !s.n) {
		abort(); /* rejected without saying why */
	}
	free(text);
	return 0;
}
