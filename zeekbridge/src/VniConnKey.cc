// SPDX-License-Identifier: BSD-3-Clause

#include "VniConnKey.h"

#include <cstring>

#include <zeek/ID.h>
#include <zeek/Val.h>
#include <zeek/conn_key/Manager.h>
#include <zeek/iosource/Manager.h>
#include <zeek/packet_analysis/protocol/ip/conn_key/IPBasedConnKey.h>

#include "ShmRingSource.h"

namespace udpcap::zeekbridge {

namespace {

// Offset of an optional count field in conn_id_ctx, -1 if the script that
// adds it was not loaded (then the VNI still separates connections, it is
// just not logged).
int CtxOffset(const char* field) {
    int off = zeek::id::conn_id_ctx->FieldOffset(field);
    if ( off >= 0 && zeek::id::conn_id_ctx->GetFieldType(off)->Tag() != zeek::TYPE_COUNT )
        off = -1;
    return off;
}

int VxlanOffset() {
    static int off = CtxOffset("vxlan_vni");
    return off;
}

int GeneveOffset() {
    static int off = CtxOffset("geneve_vni");
    return off;
}

class VniConnKey : public zeek::IPBasedConnKey {
public:
    explicit VniConnKey(unsigned kinds) : kinds(kinds) {
        // The whole struct is the session key: no uninitialized padding.
        memset(static_cast<void*>(&key), 0, sizeof(key));
    }

    zeek::detail::PackedConnTuple& PackedTuple() override { return key.tuple; }
    const zeek::detail::PackedConnTuple& PackedTuple() const override { return key.tuple; }

    // From a conn_id value (lookup_connection() and friends).
    void SetFromCtx(const zeek::RecordVal& ctx) {
        int off;
        if ( (kinds & VNI_VXLAN) && (off = VxlanOffset()) >= 0 && ctx.HasField(off) ) {
            key.vxlan_vni = static_cast<uint32_t>(ctx.GetFieldAs<zeek::CountVal>(off));
            key.present |= VNI_VXLAN;
        }
        if ( (kinds & VNI_GENEVE) && (off = GeneveOffset()) >= 0 && ctx.HasField(off) ) {
            key.geneve_vni = static_cast<uint32_t>(ctx.GetFieldAs<zeek::CountVal>(off));
            key.present |= VNI_GENEVE;
        }
    }

protected:
    zeek::session::detail::Key DoSessionKey() const override {
        return {reinterpret_cast<const void*>(&key), sizeof(key), zeek::session::detail::Key::CONNECTION_KEY_TYPE};
    }

    // Zeek builds the key while it dispatches the packet that the shmring
    // source just handed over, so the source's current record is this packet's.
    void DoInit(const zeek::Packet& pkt) override {
        const auto& v = ShmRingSource::CurrentVnis();
        if ( (kinds & VNI_VXLAN) && v.has_vxlan ) {
            key.vxlan_vni = v.vxlan;
            key.present |= VNI_VXLAN;
        }
        if ( (kinds & VNI_GENEVE) && v.has_geneve ) {
            key.geneve_vni = v.geneve;
            key.present |= VNI_GENEVE;
        }
    }

    void DoPopulateConnIdVal(zeek::RecordVal& conn_id, zeek::RecordVal& ctx) override {
        zeek::IPBasedConnKey::DoPopulateConnIdVal(conn_id, ctx);
        if ( conn_id.GetType() != zeek::id::conn_id )
            return;
        if ( (key.present & VNI_VXLAN) && VxlanOffset() >= 0 )
            ctx.Assign(VxlanOffset(), static_cast<zeek_uint_t>(key.vxlan_vni));
        if ( (key.present & VNI_GENEVE) && GeneveOffset() >= 0 )
            ctx.Assign(GeneveOffset(), static_cast<zeek_uint_t>(key.geneve_vni));
    }

private:
    unsigned kinds;

    struct {
        zeek::detail::PackedConnTuple tuple;
        uint32_t vxlan_vni;
        uint32_t geneve_vni;
        uint32_t present; // VniKind bits: a VNI of 0 differs from no VNI
    } __attribute__((packed, aligned)) key;
};

} // namespace

template<unsigned Kinds>
const zeek::conn_key::Factory* VniFactory<Kinds>::Delegate() const {
    if ( decided )
        return delegate.get();
    auto* src = zeek::iosource_mgr ? zeek::iosource_mgr->GetPktSrc() : nullptr;
    if ( ! src )
        return nullptr;
    decided = true;
    if ( dynamic_cast<ShmRingSource*>(src) )
        return nullptr;
    const char* name = Kinds == VNI_VXLAN  ? "PACKETSOURCE_UDP_VXLAN_VNI_FIVETUPLE" :
                       Kinds == VNI_GENEVE ? "PACKETSOURCE_UDP_GENEVE_VNI_FIVETUPLE" :
                                             "PACKETSOURCE_UDP_GENEVE_VXLAN_VNI_FIVETUPLE";
    if ( auto* c = zeek::conn_key_mgr->Lookup(name) )
        delegate = c->Factory()();
    return delegate.get();
}

template<unsigned Kinds>
zeek::ConnKeyPtr VniFactory<Kinds>::DoNewConnKey() const {
    if ( auto* d = Delegate() )
        return d->NewConnKey();
    return std::make_unique<VniConnKey>(Kinds);
}

template<unsigned Kinds>
zeek::expected<zeek::ConnKeyPtr, std::string> VniFactory<Kinds>::DoConnKeyFromVal(const zeek::Val& v) const {
    if ( auto* d = Delegate() )
        return d->ConnKeyFromVal(v);
    // Fills the five-tuple into a key made by DoNewConnKey() above.
    auto ck = zeek::conn_key::fivetuple::Factory::DoConnKeyFromVal(v);
    if ( ! ck.has_value() )
        return ck;

    static const int ctx_offset = zeek::id::conn_id->FieldOffset("ctx");
    const auto* ctx = v.AsRecordVal()->GetFieldAs<zeek::RecordVal>(ctx_offset);
    if ( ctx )
        static_cast<VniConnKey*>(ck.value().get())->SetFromCtx(*ctx);
    return ck;
}

template class VniFactory<VNI_VXLAN>;
template class VniFactory<VNI_GENEVE>;
template class VniFactory<VNI_VXLAN | VNI_GENEVE>;

} // namespace udpcap::zeekbridge
