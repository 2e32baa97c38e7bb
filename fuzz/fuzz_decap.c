/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for tunnel decapsulation, inner flow parsing and the
 * symmetric hash: every input is decapsulated as raw and skip=N (each link
 * type), VXLAN, GENEVE and GENEVE+VXLAN; each inner packet is flow-parsed
 * (from an exactly sized copy) and hashed in both modes. The invariants are
 * in tests/lib/parse/parse_check.h: reads only inside the checked window,
 * inner_off + inner_len == len, exactly one known reason, ret_* untouched on
 * failure, wrappers == inline code, hash(A->B) == hash(B->A).
 * Run as a bounded smoke by tests/lib/parse/run_fuzz.sh (suite 'fuzz').
 */
#include "parse_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_check_all(data, size);
	return 0;
}
