/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: definitions shared by every public header.
 *
 * Error convention for the whole library: functions return int, >= 0 on
 * success and -errno on failure; output parameters are named ret_* and are
 * left untouched on failure. The library never prints.
 *
 * Options structs (struct udpcap_*_opts) start with size_t sz: set it to
 * sizeof the struct and zero the rest (designated initializers do). NULL
 * options mean every default; a field past the caller's sz takes its
 * default, so programs built against an older header keep working; and
 * non-zero bytes past the fields this library knows fail with -E2BIG.
 */
#ifndef UDPCAP_COMMON_H
#define UDPCAP_COMMON_H

#ifdef __cplusplus
#define UDPCAP_BEGIN_DECLS extern "C" {
#define UDPCAP_END_DECLS }
#else
#define UDPCAP_BEGIN_DECLS
#define UDPCAP_END_DECLS
#endif

/* Exported symbols are marked; everything else is hidden (-fvisibility=hidden). */
#ifndef UDPCAP_API
#define UDPCAP_API __attribute__((visibility("default")))
#endif

/*
 * Link types of the inner packet, with the values of the pcap file format
 * (LINKTYPE_*, not the platform's DLT_*), because that is what consumers
 * write into pcap headers and hand to Zeek.
 */
enum udpcap_linktype {
	UDPCAP_LINKTYPE_EN10MB = 1,
	UDPCAP_LINKTYPE_PPP = 9,
	UDPCAP_LINKTYPE_RAW = 101,
};

#endif /* UDPCAP_COMMON_H */
