##! Separate connections by the GENEVE VNI that udpcapd stripped from each
##! packet (id.ctx.geneve_vni in conn.log), so overlapping addresses from
##! different mirror sessions are different connections.

redef record conn_id_ctx += {
	geneve_vni: count &log &optional;
};

redef ConnKey::factory = ConnKey::CONNKEY_SHMRING_GENEVE_VNI_FIVETUPLE;
