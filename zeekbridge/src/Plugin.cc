// SPDX-License-Identifier: BSD-3-Clause
//
// Udpcap::ShmRing: `zeek -i shmring::worker-3` reads udpcapd's ring
// "worker-3" (`shmring::/path/to/ring` names a ring by path), plus the VNI
// connection-key factories.

#include "Plugin.h"

#include <zeek/conn_key/Component.h>
#include <zeek/iosource/Component.h>

#include "ShmRingSource.h"
#include "VniConnKey.h"

namespace plugin::Udpcap_ShmRing {

Plugin plugin;

zeek::plugin::Configuration Plugin::Configure() {
    using namespace udpcap::zeekbridge;

    AddComponent(new zeek::iosource::PktSrcComponent("ShmRing", "shmring", zeek::iosource::PktSrcComponent::LIVE,
                                                     ShmRingSource::Instantiate));

    // ConnKey::CONNKEY_SHMRING_*, selected by scripts/policy/frameworks/conn_key/shmring/.
    AddComponent(new zeek::conn_key::Component("SHMRING_VXLAN_VNI_FIVETUPLE", VxlanVniFactory::Instantiate));
    AddComponent(new zeek::conn_key::Component("SHMRING_GENEVE_VNI_FIVETUPLE", GeneveVniFactory::Instantiate));
    AddComponent(
        new zeek::conn_key::Component("SHMRING_GENEVE_VXLAN_VNI_FIVETUPLE", GeneveVxlanVniFactory::Instantiate));

    zeek::plugin::Configuration config;
    config.name = "Udpcap::ShmRing";
    config.description = "Packet source for udpcapd's shared-memory rings (shmring::NAME)";
    config.version.major = UDPCAP_PLUGIN_VERSION_MAJOR;
    config.version.minor = UDPCAP_PLUGIN_VERSION_MINOR;
    config.version.patch = UDPCAP_PLUGIN_VERSION_PATCH;
    return config;
}

} // namespace plugin::Udpcap_ShmRing
