#!/bin/sh
# Configure and build the Zeek plugin with Zeek's own CMake tooling against
# the libudpcap of this meson build (called by meson.build, not by hand:
# by hand use `cmake -S zeekbridge -B build && cmake --build build`).
# Usage: build-plugin.sh CMAKE ZEEK_CONFIG SRC BUILD INCDIR LIBUDPCAP RPATH VERSION STAMP
set -eu
cmake=$1 zeek_config=$2 src=$3 build=$4 incdir=$5 lib=$6 rpath=$7 version=$8 stamp=$9

"$cmake" -S "$src" -B "$build" \
	-DZEEK_CONFIG="$zeek_config" \
	-DUDPCAP_INCLUDE_DIR="$incdir" \
	-DUDPCAP_LIBRARY="$lib" \
	-DUDPCAP_RPATH="$rpath" \
	-DUDPCAP_PLUGIN_VERSION="$version"
"$cmake" --build "$build"
touch "$stamp"
