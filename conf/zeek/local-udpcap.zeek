##! Additions to local.zeek for Zeek workers reading udpcapd rings
##! (zeek -i shmring::worker-N). See docs/zeek.md.

# Rings live in udpcapd's [rings] dir; only needed if it is not the default.
# redef ShmRing::ring_dir = "/dev/shm/udpcapd";

# A worker that starts before udpcapd created its ring waits for it
# instead of failing (0 secs: wait forever).
redef ShmRing::wait_for_ring = T;
redef ShmRing::wait_timeout = 120 secs;

# When mirror sessions carry overlapping address space (several VPCs, or
# several tenants behind one GWLB), keep their connections apart by the
# VNI that udpcapd stripped; conn.log then has id.ctx.vxlan_vni. Use
# geneve_vni for GENEVE, geneve_vxlan_vni for AWS GWLB + Traffic Mirroring.
# @load policy/frameworks/conn_key/shmring/vxlan_vni
