// SPDX-License-Identifier: BSD-3-Clause
// Proves that udpcap/source.h compiles as C++ (-pedantic), used the way the
// Zeek plugin (zeekbridge/src/ShmRingSource.cc) uses it. Syntax only.
#include <udpcap/source.h>

int use_source(const char* ring);

int use_source(const char* ring) {
    udpcap_source_opts opts{};
    udpcap_source* src = nullptr;
    udpcap_source_stats st{};
    udpcap_pkt p{};
    char msg[256];

    opts.sz = sizeof(opts);
    opts.wait_for_ring = true;
    int r = udpcap_source__open(ring, &opts, &src);
    if ( r < 0 )
        return udpcap_source__strerror(ring, &opts, r, msg, sizeof(msg))[0];
    if ( udpcap_source__next(src, &p) == 1 && (p.meta.flags & UDPCAP_PKT_F_VXLAN_VNI) )
        udpcap_source__done(src);
    r = udpcap_source__timeout(src) + udpcap_source__fd(src) + udpcap_source__linktype(src);
    if ( udpcap_source__stats(src, &st) == 0 && st.attached )
        r += static_cast<int>(st.link);
    udpcap_source__close(src);
    return r;
}
