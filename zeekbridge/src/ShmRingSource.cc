// SPDX-License-Identifier: BSD-3-Clause

#include "ShmRingSource.h"

#include <pcap.h>
#include <cstring>
#include <udpcap/source.h>

#include <zeek/ID.h>
#include <zeek/RunState.h>
#include <zeek/Val.h>
#include <zeek/ZeekString.h>
#include <zeek/iosource/BPF_Program.h>
#include <zeek/iosource/Packet.h>
#include <zeek/util.h>

namespace udpcap::zeekbridge {

PacketVnis ShmRingSource::current_vnis;
ShmRingSource::GeneveOptions ShmRingSource::current_geneve;

namespace {

// Filtered packets skipped in one ExtractNextPacket() before Zeek gets a turn.
constexpr int max_filtered_per_call = 256;

// Script-level options from scripts/__load__.zeek; defaults if not loaded.
const zeek::ValPtr& Option(const char* name) {
    static const zeek::ValPtr none;
    const auto& id = zeek::id::find(name);
    return id ? id->GetVal() : none;
}

std::string StringOption(const char* name) {
    const auto& v = Option(name);
    return v ? v->AsStringVal()->ToStdString() : std::string();
}

bool BoolOption(const char* name, bool dflt) {
    const auto& v = Option(name);
    return v ? v->AsBool() : dflt;
}

uint32_t MillisecondsOption(const char* name, uint32_t dflt) {
    const auto& v = Option(name);
    if ( ! v )
        return dflt;
    double ms = v->AsInterval() * 1e3;
    return ms <= 0 ? 0 : ms >= 4e9 ? 4000000000u : static_cast<uint32_t>(ms);
}

// A watch time for udpcap_source_opts.spin_us: 0 secs (or less) = none (-1);
// the library's default if the script option is not there (0).
int SpinOption(const char* name) {
    const auto& v = Option(name);
    if ( ! v )
        return 0;
    double us = v->AsInterval() * 1e6;
    return us < 1 ? -1 : us >= 1e6 ? 1000000 : static_cast<int>(us);
}

// Ring link types are pcap LINKTYPE_ values; Zeek wants the platform's DLT_.
int ToDlt(uint16_t linktype, int dflt) {
    switch ( linktype ) {
        case 0: return dflt;
        case UDPCAP_LINKTYPE_RAW: return DLT_RAW;
        default: return linktype;
    }
}

} // namespace

ShmRingSource::ShmRingSource(const std::string& path, bool is_live) : ring(path) {}

ShmRingSource::~ShmRingSource() { udpcap_source__close(src); }

zeek::iosource::PktSrc* ShmRingSource::Instantiate(const std::string& path, bool is_live) {
    return new ShmRingSource(path, is_live);
}

void ShmRingSource::Open() {
    std::string dir = StringOption("ShmRing::ring_dir");
    udpcap_source_opts opts{};

    opts.sz = sizeof(opts);
    opts.dir = dir.empty() ? nullptr : dir.c_str();
    opts.wait_for_ring = BoolOption("ShmRing::wait_for_ring", false);
    opts.wait_timeout_ms = MillisecondsOption("ShmRing::wait_timeout", 0);
    opts.check_interval_ms = MillisecondsOption("ShmRing::check_interval", 0);
    opts.spin_us = SpinOption("ShmRing::spin");

    int r = udpcap_source__open(ring.c_str(), &opts, &src);
    if ( r < 0 ) {
        char msg[512];
        Error(udpcap_source__strerror(ring.c_str(), &opts, r, msg, sizeof(msg)));
        return;
    }

    link_type = ToDlt(udpcap_source__linktype(src), DLT_EN10MB);

    Properties props;
    props.path = ring;
    props.selectable_fd = udpcap_source__fd(src);
    props.link_type = link_type;
    props.netmask = NETMASK_UNKNOWN;
    props.is_live = true;
    Opened(props);
}

void ShmRingSource::Close() {
    udpcap_source__close(src);
    src = nullptr;
    Closed();
}

// The capture filter Zeek installed, unless it has none or one that matches everything.
zeek::iosource::detail::BPF_Program* ShmRingSource::ActiveFilter() {
    auto* code = GetBPFFilter(filter_index);
    return code && ! code->MatchesAnything() && code->GetProgram() ? code : nullptr;
}

bool ShmRingSource::Filtered(int dlt, const struct timeval& ts, uint32_t caplen, uint32_t len, const uint8_t* data) {
    auto* code = ActiveFilter();

    // The filter was compiled for the ring's link type; a packet of another
    // type (mixed rings) cannot be matched against it and is not filtered.
    if ( ! code || dlt != link_type )
        return false;

    pcap_pkthdr hdr{};
    hdr.ts = ts;
    hdr.caplen = caplen;
    hdr.len = len;
    return pcap_offline_filter(code->GetProgram(), &hdr, data) == 0;
}

bool ShmRingSource::ExtractNextPacket(zeek::Packet* pkt) {
    if ( ! src )
        return false;

    for ( int skipped = 0; skipped < max_filtered_per_call; skipped++ ) {
        udpcap_pkt p;
        int r = udpcap_source__next(src, &p);

        if ( r < 0 ) {
            Error(zeek::util::fmt("ring %s: %s", udpcap_source__path(src), strerror(-r)));
            Close();
            return false;
        }
        if ( r == 0 ) {
            ReportAttachState();
            return false;
        }

        // Zeek's packet time is a timeval (and a double): microseconds.
        struct timeval tv;
        tv.tv_sec = static_cast<time_t>(p.meta.ts_ns / 1000000000u);
        tv.tv_usec = static_cast<suseconds_t>((p.meta.ts_ns % 1000000000u) / 1000u);
        int dlt = ToDlt(p.meta.linktype, link_type);

        if ( Filtered(dlt, tv, p.meta.caplen, p.meta.origlen, p.data) ) {
            filtered++;
            filtered_bytes += p.meta.caplen;
            udpcap_source__done(src);
            continue;
        }

        current_vnis.has_vxlan = p.meta.flags & UDPCAP_PKT_F_VXLAN_VNI;
        current_vnis.vxlan = current_vnis.has_vxlan ? p.meta.vxlan_vni : 0;
        current_vnis.has_geneve = p.meta.flags & UDPCAP_PKT_F_GENEVE_VNI;
        current_vnis.geneve = current_vnis.has_geneve ? p.meta.geneve_vni : 0;

        size_t olen = 0;
        const uint8_t* opts = udpcap_source__geneve_options(src, &olen);
        current_geneve.len = opts && olen <= sizeof(current_geneve.data) ? olen : 0;
        if ( current_geneve.len )
            memcpy(current_geneve.data, opts, current_geneve.len);

        // Zero copy: p.data points into the ring until DoneWithPacket().
        pkt->Init(dlt, &tv, p.meta.caplen, p.meta.origlen, p.data);
        return true;
    }
    return false;
}

void ShmRingSource::DoneWithPacket() {
    if ( src )
        udpcap_source__done(src);
}

double ShmRingSource::GetNextTimeout() {
    if ( ! src || zeek::run_state::is_processing_suspended() )
        return -1;

    // 0 while packets are pending; otherwise the producer has been asked to
    // wake our fd, and we sleep at most until the next liveness check.
    return udpcap_source__timeout(src) / 1e3;
}

// RFC 8926 3.5: class (16 bits), critical bit and type (8), 3 reserved bits
// and the data length in 4-byte words (5), then the data. What does not
// parse ends the list, as in Zeek's own GENEVE analyzer.
zeek::IntrusivePtr<zeek::VectorVal> ShmRingSource::CurrentGeneveOptions() {
    static const auto& vec_type = zeek::id::find_type<zeek::VectorType>("geneve_options_vec");
    static const auto& rec_type = zeek::id::find_type<zeek::RecordType>("PacketAnalyzer::Geneve::Option");
    auto vec = zeek::make_intrusive<zeek::VectorVal>(vec_type);
    const uint8_t* p = current_geneve.data;
    size_t left = current_geneve.len;

    while ( left >= 4 ) {
        size_t len = (p[3] & 0x1f) * 4u;
        if ( 4 + len > left )
            break;
        auto opt = zeek::make_intrusive<zeek::RecordVal>(rec_type);
        opt->Assign(0, zeek::val_mgr->Count((p[0] << 8) | p[1]));
        opt->Assign(1, zeek::val_mgr->Bool(p[2] & 0x80));
        opt->Assign(2, zeek::val_mgr->Count(p[2] & 0x7f));
        opt->Assign(3, zeek::make_intrusive<zeek::StringVal>(len, reinterpret_cast<const char*>(p + 4)));
        vec->Append(std::move(opt));
        p += 4 + len;
        left -= 4 + len;
    }
    return vec;
}

bool ShmRingSource::SetFilter(int index) {
    filter_index = index;
    return true;
}

void ShmRingSource::Statistics(Stats* stats) {
    udpcap_source_stats st{};

    *stats = Stats();
    if ( ! src || udpcap_source__stats(src, &st) < 0 )
        return;

    stats->received = st.received - filtered;
    stats->bytes_received = st.bytes - filtered_bytes;
    stats->dropped = st.dropped;
    stats->link = st.link;
    // Only with a capture filter, or Zeek's summary would say "0 filtered".
    if ( ActiveFilter() )
        stats->filtered = filtered;
}

// Say once when the daemon's ring went away or the daemon died, and once
// when we are back.
void ShmRingSource::ReportAttachState() {
    udpcap_source_stats st{};

    if ( udpcap_source__stats(src, &st) < 0 )
        return;
    if ( st.reattaches != reattaches || ! st.attached )
        producer_gone = false;
    if ( st.attached != attached || st.reattaches != reattaches ) {
        if ( st.attached )
            Info(zeek::util::fmt("re-attached to ring %s", udpcap_source__path(src)));
        else
            Info(zeek::util::fmt("ring %s is gone (udpcapd restarting?); waiting for it", udpcap_source__path(src)));
        attached = st.attached;
        reattaches = st.reattaches;
    }
    pid_t pid = 0;
    if ( attached && ! producer_gone && udpcap_source__producer_alive(src, &pid) == 0 ) {
        Info(zeek::util::fmt("ring %s: producer gone (pid %d); waiting for a new udpcapd", udpcap_source__path(src),
                             static_cast<int>(pid)));
        producer_gone = true;
    }
}

} // namespace udpcap::zeekbridge
