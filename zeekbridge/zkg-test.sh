#!/bin/sh
# zkg's test_command (zkg.meta): the plugin zkg just built loads into Zeek
# (zkg puts its build on ZEEK_PLUGIN_PATH) and its packet source runs far
# enough to name the missing ring in its error. Fails, with what it saw,
# otherwise. Usage: zkg-test.sh [ZEEK]
set -u
zeek=${1:-zeek}

out=$("$zeek" -N Udpcap::ShmRing 2>&1)
case $out in
*"Udpcap::ShmRing - "*) ;;
*)
	echo "zkg-test: Zeek does not load the plugin Udpcap::ShmRing: $out" >&2
	exit 1
	;;
esac

ring=/nonexistent/udpcap-zkg-test
out=$("$zeek" -i "shmring::$ring" 2>&1)
case $out in
*"ring $ring does not exist"*) ;;
*)
	echo "zkg-test: shmring:: did not report the missing ring $ring: $out" >&2
	exit 1
	;;
esac
echo "zkg-test: ok: Udpcap::ShmRing loads and reads rings"
