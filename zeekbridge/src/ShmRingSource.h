// SPDX-License-Identifier: BSD-3-Clause
//
// The shmring:: packet source: Zeek's PktSrc on top of udpcap_source
// (lib/include/udpcap/source.h), which holds all of the logic. This class
// only translates between the two APIs.

#pragma once

#include <cstdint>
#include <string>
#include <sys/time.h>

#include <zeek/IntrusivePtr.h>
#include <zeek/iosource/PktSrc.h>

namespace zeek {
class VectorVal;
}

struct udpcap_source;

namespace udpcap::zeekbridge {

// Tunnel identifiers of the packet Zeek is processing right now: set when a
// packet is handed to Zeek, read by the VNI connection keys (VniConnKey.cc),
// which Zeek builds while it dispatches that packet.
struct PacketVnis {
    uint32_t vxlan = 0;
    uint32_t geneve = 0;
    bool has_vxlan = false;
    bool has_geneve = false;
};

class ShmRingSource : public zeek::iosource::PktSrc {
public:
    ShmRingSource(const std::string& path, bool is_live);
    ~ShmRingSource() override;

    static zeek::iosource::PktSrc* Instantiate(const std::string& path, bool is_live);

    static const PacketVnis& CurrentVnis() { return current_vnis; }

    // ShmRing::get_geneve_options() (shmring.bif): the GENEVE options of the
    // packet Zeek is processing, as Zeek's geneve_options_vec.
    static zeek::IntrusivePtr<zeek::VectorVal> CurrentGeneveOptions();

protected:
    void Open() override;
    void Close() override;
    bool ExtractNextPacket(zeek::Packet* pkt) override;
    void DoneWithPacket() override;
    double GetNextTimeout() override;
    bool SetFilter(int index) override;
    void Statistics(Stats* stats) override;

private:
    zeek::iosource::detail::BPF_Program* ActiveFilter();
    bool Filtered(int dlt, const struct timeval& ts, uint32_t caplen, uint32_t len, const uint8_t* data);
    void ReportAttachState();

    std::string ring;
    struct udpcap_source* src = nullptr;
    int link_type = 1; // DLT_EN10MB until the ring says otherwise
    bool attached = true;
    bool producer_gone = false; // said so for the ring we hold
    uint32_t reattaches = 0;
    int filter_index = -1;
    // Rejected by the capture filter: not in received / bytes_received.
    uint64_t filtered = 0;
    uint64_t filtered_bytes = 0;

    // One packet source per Zeek process, one packet at a time.
    static PacketVnis current_vnis;

    // The current packet's GENEVE option TLVs, copied: scripts may ask after
    // the packet went back to the ring. At most 252 bytes (6-bit length).
    struct GeneveOptions {
        uint8_t data[252];
        size_t len = 0;
    };
    static GeneveOptions current_geneve;
};

} // namespace udpcap::zeekbridge
