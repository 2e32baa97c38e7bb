/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that a counter snapshot renders to the documented "stats" and
 * "rings" JSON (docs/control-protocol.md): every required key with the
 * snapshot's value, every drop reason present (zeros too) under its stable
 * name, totals and per-listener/per-ring drops, fill as used/size, the
 * ring filter, and -ENOENT for an unknown ring.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "obs_fixture.h"
#include "stats_json.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static uint64_t u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(get(o, key));
}

static const char *str(struct json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

/* The drops object has exactly one key per reason, with the right counts. */
static void check_drops(struct json_object *drops, const uint64_t *want)
{
	assert_int_equal(json_object_object_length(drops), UDPCAPD_DROP__COUNT);
	for (int i = 0; i < UDPCAPD_DROP__COUNT; i++)
		assert_int_equal(u64(drops, udpcapd_drop_name((enum udpcapd_drop)i)), want[i]);
}

static void test_stats(void **state)
{
	struct json_object *o, *l, *r, *t;
	struct udpcapd_stats s;

	(void)state;
	obs_fixture_fill(&s);
	assert_int_equal(udpcapd_stats_json(&s, NULL, &o), 0);

	assert_int_equal(u64(o, "schema"), UDPCAPD_CONTROL_SCHEMA);
	assert_string_equal(str(o, "version"), "0.1.0-test");
	assert_string_equal(str(o, "steering"), "ebpf");
	assert_string_equal(str(o, "steering_why"), "eBPF program loaded");
	assert_string_equal(str(o, "backend"), "recvmmsg");
	assert_string_equal(str(o, "hash"), "5-tuple");
	assert_int_equal(u64(o, "start_time_ns"), 1700000000123456789ull);
	assert_int_equal(u64(o, "uptime_ns"), 3723ull * 1000000000ull);
	assert_int_equal(u64(get(o, "steering_unparsed"), "vxlan_no_vni"), 3);
	assert_int_equal(u64(get(o, "steering_unparsed"), "vxlan_short"), 1);
	assert_int_equal(u64(get(o, "steering_unparsed"), "geneve_short"), 0);
	assert_int_equal(json_object_object_length(get(o, "steering_unparsed")),
			 UDPCAP_DECAP__COUNT - 1);

	t = get(o, "totals");
	assert_int_equal(u64(t, "received"), 1010);
	assert_int_equal(u64(t, "delivered"), 910);
	assert_int_equal(u64(t, "bytes"), 121000);
	assert_int_equal(u64(t, "received_bytes"), 1010 * 150);
	check_drops(get(t, "drops"), s.totals.drops);
	assert_int_equal(u64(get(t, "drops"), "socket"), 7);
	assert_int_equal(u64(get(t, "drops"), "not_allowed"), 40);
	assert_int_equal(u64(get(t, "drops"), "vni_filtered"), 30);
	assert_int_equal(u64(get(t, "drops"), "truncated"), 10);
	assert_int_equal(u64(get(t, "drops"), "ring_full"), 15);
	assert_int_equal(u64(get(t, "drops"), "vxlan_no_vni"), 5);

	assert_int_equal(json_object_array_length(get(o, "listeners")), 2);
	l = json_object_array_get_idx(get(o, "listeners"), 0);
	assert_string_equal(str(l, "name"), "vxlan");
	assert_string_equal(str(l, "listen"), "127.0.0.1:4789");
	assert_string_equal(str(l, "encap"), "vxlan");
	assert_int_equal(u64(l, "received"), 1000);
	assert_int_equal(u64(l, "delivered"), 900);
	assert_int_equal(u64(l, "bytes"), 120000);
	check_drops(get(l, "drops"), s.listeners[0].c.drops);
	l = json_object_array_get_idx(get(o, "listeners"), 1);
	assert_string_equal(str(l, "name"), "geneve");
	assert_string_equal(str(l, "listen"), "[::1]:6081");

	assert_int_equal(json_object_array_length(get(o, "rings")), 2);
	r = json_object_array_get_idx(get(o, "rings"), 0);
	assert_string_equal(str(r, "name"), "worker-0");
	assert_string_equal(str(r, "path"), "/dev/shm/udpcapd-test/worker-0");
	assert_int_equal(u64(r, "delivered"), 500);
	assert_int_equal(u64(r, "bytes"), 60000);
	assert_int_equal(u64(r, "consumer_pid"), 4242);
	assert_true(json_object_get_boolean(get(r, "consumer_attached")));
	assert_true(json_object_get_double(get(r, "fill")) == 0.25);
	assert_int_equal(u64(r, "size"), 1u << 20);
	assert_int_equal(u64(r, "used"), 1u << 18);
	assert_int_equal(u64(r, "generation"), 3);
	assert_int_equal(u64(r, "full_packets"), 15);
	check_drops(get(r, "drops"), s.rings[0].c.drops);
	r = json_object_array_get_idx(get(o, "rings"), 1);
	assert_int_equal(u64(r, "consumer_pid"), 0);
	assert_false(json_object_get_boolean(get(r, "consumer_attached")));
	assert_true(json_object_get_double(get(r, "fill")) == 0);
	assert_int_equal(u64(r, "resets"), 1);

	/* one line, paths unescaped, so clients can read line by line */
	assert_null(strchr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE),
			   '\n'));
	json_object_put(o);
	udpcapd_stats_free(&s);
}

static void test_ring_filter(void **state)
{
	struct json_object *o = NULL;
	struct udpcapd_stats s;

	(void)state;
	obs_fixture_fill(&s);
	assert_int_equal(udpcapd_stats_json(&s, "worker-1", &o), 0);
	assert_int_equal(json_object_array_length(get(o, "rings")), 1);
	assert_string_equal(str(json_object_array_get_idx(get(o, "rings"), 0), "name"), "worker-1");
	assert_int_equal(json_object_array_length(get(o, "listeners")), 2);
	json_object_put(o);

	o = NULL;
	assert_int_equal(udpcapd_stats_json(&s, "worker-9", &o), -ENOENT);
	assert_null(o);
	assert_int_equal(udpcapd_rings_json(&s, "nope", &o), -ENOENT);
	assert_null(o);
	udpcapd_stats_free(&s);
}

static void test_rings(void **state)
{
	struct json_object *o, *r;
	struct udpcapd_stats s;

	(void)state;
	obs_fixture_fill(&s);
	assert_int_equal(udpcapd_rings_json(&s, NULL, &o), 0);
	assert_int_equal(json_object_object_length(o), 1);
	assert_int_equal(json_object_array_length(get(o, "rings")), 2);
	r = json_object_array_get_idx(get(o, "rings"), 0);
	assert_int_equal(u64(r, "size"), 1u << 20);
	assert_int_equal(u64(r, "generation"), 3);
	assert_int_equal(u64(r, "consumer_pid"), 4242);
	json_object_put(o);

	assert_int_equal(udpcapd_rings_json(&s, "worker-0", &o), 0);
	assert_int_equal(json_object_array_length(get(o, "rings")), 1);
	json_object_put(o);
	udpcapd_stats_free(&s);
}

/* An empty daemon (no listeners, no rings, unknown modes) still renders. */
static void test_empty(void **state)
{
	struct udpcapd_stats s = {0};
	struct json_object *o;

	(void)state;
	assert_int_equal(udpcapd_stats_json(&s, NULL, &o), 0);
	assert_true(json_object_is_type(get(o, "steering"), json_type_null));
	assert_int_equal(json_object_array_length(get(o, "rings")), 0);
	assert_int_equal(json_object_array_length(get(o, "listeners")), 0);
	assert_int_equal(u64(get(get(o, "totals"), "drops"), "socket"), 0);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_ring_filter),
	    cmocka_unit_test(test_rings),
	    cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
