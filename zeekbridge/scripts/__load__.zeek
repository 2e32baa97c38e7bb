##! Udpcap::ShmRing: read udpcapd's shared-memory rings with
##! ``zeek -i shmring::NAME`` (a ring in ``ring_dir``) or
##! ``zeek -i shmring::/path/to/ring``.
##!
##! VNI-aware connection keys: ``@load policy/frameworks/conn_key/shmring/vxlan_vni``
##! (or ``geneve_vni``, ``geneve_vxlan_vni``).

module ShmRing;

export {
	## Directory of rings named without a path. Empty: libudpcap's
	## default, /dev/shm/udpcapd (udpcapd's ``ring_dir``).
	const ring_dir = "" &redef;

	## If the ring does not exist when Zeek starts, wait for udpcapd to
	## create it instead of failing at once.
	const wait_for_ring = F &redef;

	## With wait_for_ring: fail after this long; 0 secs waits forever.
	const wait_timeout = 60 secs &redef;

	## How often an idle worker checks that its ring is still udpcapd's
	## current one (it follows a restarted udpcapd to the new ring
	## without restarting Zeek). 0 secs: libudpcap's default (500 msecs).
	const check_interval = 0 secs &redef;

	## How long a worker that found its ring empty keeps looking at it
	## before it sleeps until udpcapd wakes it. Zeek's main loop already
	## looks again several times before it sleeps, so by default the
	## worker does not watch on its own (0 secs).
	const spin = 0 secs &redef;
}
