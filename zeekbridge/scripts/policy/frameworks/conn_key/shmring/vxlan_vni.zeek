##! Separate connections by the VXLAN VNI that udpcapd stripped from each
##! packet (id.ctx.vxlan_vni in conn.log), so overlapping addresses from
##! different mirror sessions are different connections.

redef record conn_id_ctx += {
	vxlan_vni: count &log &optional;
};

redef ConnKey::factory = ConnKey::CONNKEY_SHMRING_VXLAN_VNI_FIVETUPLE;
