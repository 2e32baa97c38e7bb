// SPDX-License-Identifier: BSD-3-Clause

#pragma once

#include <zeek/plugin/Plugin.h>

namespace plugin::Udpcap_ShmRing {

class Plugin : public zeek::plugin::Plugin {
protected:
    zeek::plugin::Configuration Configure() override;
};

extern Plugin plugin;

} // namespace plugin::Udpcap_ShmRing
