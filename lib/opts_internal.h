/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to libudpcap, not installed: the one rule for options structs
 * (libbpf's OPTS_VALID). Every struct udpcap_*_opts starts with size_t sz,
 * the caller's sizeof, so the struct can grow without breaking callers
 * built against an older header, nor being fooled by a newer one:
 *  - NULL options mean every default;
 *  - sz must at least cover sz itself (-EINVAL);
 *  - a field past the caller's sz takes its default;
 *  - bytes past what this library knows must be zero (-E2BIG): a newer
 *    caller is asking for something this version cannot do.
 */
#ifndef UDPCAP_OPTS_INTERNAL_H
#define UDPCAP_OPTS_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Copy @opts (NULL ok) into @ret, @size bytes zeroed first; 0, -EINVAL or -E2BIG. */
static inline int udpcap_opts_copy(void *ret, size_t size, const void *opts)
{
	const unsigned char *p = opts;
	size_t sz, i;

	memset(ret, 0, size);
	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(sz))
		return -EINVAL;
	for (i = size; i < sz; i++)
		if (p[i])
			return -E2BIG;
	memcpy(ret, opts, sz < size ? sz : size);
	return 0;
}

#define UDPCAP_OPTS_COPY(ret, opts) udpcap_opts_copy((ret), sizeof(*(ret)), (opts))

/* Field @f of a copied options struct @o, or @def if the caller's struct has none. */
#define UDPCAP_OPTS_GET(o, f, def)                                                                 \
	((o)->sz >= offsetof(__typeof__(*(o)), f) + sizeof((o)->f) ? (o)->f : (def))

#endif /* UDPCAP_OPTS_INTERNAL_H */
