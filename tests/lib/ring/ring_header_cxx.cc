// SPDX-License-Identifier: BSD-3-Clause
// Proves the public ring header compiles as C++ (the Zeek plugin includes
// it): extern "C", no _Atomic, plain structs usable from C++.
#include <udpcap/ring.h>

int main()
{
	udpcap_pkt p{};
	udpcap_consumer_opts o{};
	o.sz = sizeof(o);
	udpcap_consumer *c = nullptr;
	if (udpcap_consumer__open("x", &o, &c) == 0)
		udpcap_consumer__close(c);
	return static_cast<int>(p.meta.caplen);
}
