/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves, without libFuzzer (so in every build), that decap + flow parse +
 * hash hold their invariants (parse_check.h: every read inside the checked
 * window, exported wrappers agree with the inline code, inner packet inside
 * the payload, symmetric hash) on: every truncation of well-formed packets
 * of every encapsulation, random byte flips of them, and random bytes.
 */
#include "parse_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "pkt.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return pkt_rng(&rng_state);
}

/* Run the checks on a copy of exactly @len bytes (ASan sees any over-read). */
static void check_copy(const uint8_t *b, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	assert_non_null(c);
	memcpy(c, b, len);
	parse_check_all(c, len);
	free(c);
}

static void test_truncations_and_flips(void **state)
{
	static struct pkt s[8];
	int n, flips = test_sanitized() ? 3000 : 20000;

	(void)state;
	n = pkt_samples(s, 8);
	for (int i = 0; i < n; i++) {
		for (size_t l = 0; l <= s[i].len; l++)
			check_copy(s[i].b, l);
		for (int k = 0; k < flips; k++) {
			struct pkt m = s[i];
			int nflip = 1 + (int)(rng() % 4);

			for (int j = 0; j < nflip; j++)
				m.b[rng() % m.len] ^= (uint8_t)(1u << (rng() % 8));
			check_copy(m.b, m.len - (rng() % 2 ? rng() % m.len : 0));
		}
	}
}

static void test_random_bytes(void **state)
{
	uint8_t b[256];
	int iters = test_sanitized() ? 20000 : 100000;

	(void)state;
	for (int k = 0; k < iters; k++) {
		size_t len = rng() % sizeof(b);

		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)rng();
		/* make the tunnel headers plausible half the time to get deeper */
		if (len > 0 && (k & 1))
			b[0] = (uint8_t)((k & 2) ? 0x08 : (b[0] & 0x3f) % 4);
		check_copy(b, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncations_and_flips),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
