/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: definitions shared by every public header.
 *
 * Error convention for the whole library: functions return int, >= 0 on
 * success and -errno on failure; output parameters are named ret_* and are
 * left untouched on failure. The library never prints.
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
