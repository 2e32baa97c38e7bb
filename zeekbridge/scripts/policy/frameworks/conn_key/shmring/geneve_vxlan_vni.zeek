##! Separate connections by both the GENEVE and the VXLAN VNI that udpcapd
##! stripped (GENEVE -> IP/UDP -> VXLAN, the AWS Gateway Load Balancer with
##! Traffic Mirroring layout): id.ctx.geneve_vni and id.ctx.vxlan_vni.
##!
##! On Zeek 9 the fields are the ones Zeek's own udp:: conn-key script
##! defines (loaded here), so both scripts load together in either order,
##! and a worker on udp:: keys its connections with that source's VNIs.

@ifdef ( PacketSource::UDP::get_geneve_options )
@load policy/frameworks/conn_key/packet_source/udp/geneve_vxlan_vni
@else
redef record conn_id_ctx += {
	geneve_vni: count &log &optional;
	vxlan_vni: count &log &optional;
};
@endif

redef ConnKey::factory = ConnKey::CONNKEY_SHMRING_GENEVE_VXLAN_VNI_FIVETUPLE;
