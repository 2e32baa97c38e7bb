// SPDX-License-Identifier: BSD-3-Clause
//
// Connection keys that add the tunnel identifiers of the ring record (the
// VXLAN and/or GENEVE VNI udpcapd stripped) to Zeek's five-tuple, so that
// overlapping addresses from different mirror sessions stay different
// connections. Selected from script land with
//   @load policy/frameworks/conn_key/shmring/vxlan_vni (or geneve_vni,
//   geneve_vxlan_vni)
// which extend conn_id_ctx and set ConnKey::factory.

#pragma once

#include <zeek/conn_key/Factory.h>
#include <zeek/packet_analysis/protocol/ip/conn_key/fivetuple/Factory.h>

namespace udpcap::zeekbridge {

enum VniKind : unsigned {
    VNI_VXLAN = 1u << 0,
    VNI_GENEVE = 1u << 1,
};

// In a Zeek that is not reading a ring (Zeek 9's udp:: source feeds it),
// the factory hands over to that source's own factory for the same VNIs
// (ConnKey::CONNKEY_PACKETSOURCE_UDP_*), so a site that loads both sources'
// conn-key scripts keys and logs connections the same on either source.
template<unsigned Kinds>
class VniFactory : public zeek::conn_key::fivetuple::Factory {
public:
    static zeek::conn_key::FactoryPtr Instantiate() { return std::make_unique<VniFactory<Kinds>>(); }

protected:
    zeek::ConnKeyPtr DoNewConnKey() const override;
    zeek::expected<zeek::ConnKeyPtr, std::string> DoConnKeyFromVal(const zeek::Val& v) const override;

private:
    const zeek::conn_key::Factory* Delegate() const;

    // Decided once the packet source is open (none yet: not decided).
    mutable bool decided = false;
    mutable zeek::conn_key::FactoryPtr delegate;
};

using VxlanVniFactory = VniFactory<VNI_VXLAN>;
using GeneveVniFactory = VniFactory<VNI_GENEVE>;
using GeneveVxlanVniFactory = VniFactory<VNI_VXLAN | VNI_GENEVE>;

} // namespace udpcap::zeekbridge
