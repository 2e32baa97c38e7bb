##! Separate connections by the GENEVE VNI that udpcapd stripped from each
##! packet (id.ctx.geneve_vni in conn.log), so overlapping addresses from
##! different mirror sessions are different connections.
##!
##! On Zeek 9 the field is the one Zeek's own udp:: conn-key script defines
##! (loaded here), so both scripts load together in either order, and a
##! worker on udp:: keys its connections with that source's VNIs.

@ifdef ( PacketSource::UDP::get_geneve_options )
@load policy/frameworks/conn_key/packet_source/udp/geneve_vni
@else
redef record conn_id_ctx += {
	geneve_vni: count &log &optional;
};
@endif

redef ConnKey::factory = ConnKey::CONNKEY_SHMRING_GENEVE_VNI_FIVETUPLE;
