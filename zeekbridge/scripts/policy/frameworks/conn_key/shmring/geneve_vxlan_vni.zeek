##! Separate connections by both the GENEVE and the VXLAN VNI that udpcapd
##! stripped (GENEVE -> IP/UDP -> VXLAN, the AWS Gateway Load Balancer with
##! Traffic Mirroring layout): id.ctx.geneve_vni and id.ctx.vxlan_vni.

redef record conn_id_ctx += {
	geneve_vni: count &log &optional;
	vxlan_vni: count &log &optional;
};

redef ConnKey::factory = ConnKey::CONNKEY_SHMRING_GENEVE_VXLAN_VNI_FIVETUPLE;
