/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: counter snapshot -> control-protocol JSON (schema in
 * docs/control-protocol.md). Every drop reason is always present, zero or
 * not, so a client can rely on the keys; only the daemon's snapshot is
 * read, never the hot path's counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stats_json.h"

/* Each helper creates the value and adds it, or frees it: 0 or -ENOMEM. */
static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return add(o, key, json_object_new_uint64(v));
}

/* NULL becomes JSON null, which json-c represents as a NULL object. */
static int add_str(struct json_object *o, const char *key, const char *v)
{
	if (!v)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, json_object_new_string(v));
}

/* A ratio with 6 decimals: json-c would print 17 significant digits. */
static int add_ratio(struct json_object *o, const char *key, double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.6f", v);
	return add(o, key, json_object_new_double_s(v, text));
}

static int append(struct json_object *array, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(array, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

double udpcapd_ring_fill(const struct udpcap_ring_stats *r)
{
	if (!r->capacity)
		return 0;
	if (r->used >= r->capacity)
		return 1;
	return (double)r->used / (double)r->capacity;
}

static struct json_object *drops_json(const uint64_t *drops)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (int i = 0; i < UDPCAPD_DROP__COUNT; i++) {
		if (add_u64(o, udpcapd_drop_name((enum udpcapd_drop)i), drops[i]) < 0) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* received, received_bytes, delivered, bytes, drops: shared by totals/listeners/rings. */
static int add_counters(struct json_object *o, const struct udpcapd_stats_counters *c)
{
	if (add_u64(o, "received", c->received) < 0 ||
	    add_u64(o, "received_bytes", c->received_bytes) < 0 ||
	    add_u64(o, "delivered", c->delivered) < 0 || add_u64(o, "bytes", c->bytes) < 0 ||
	    add(o, "drops", drops_json(c->drops)) < 0)
		return -ENOMEM;
	return 0;
}

static struct json_object *listener_json(const struct udpcapd_stats_listener *l)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "name", l->name) < 0 || add_str(o, "listen", l->listen) < 0 ||
	    add_str(o, "encap", l->encap) < 0 ||
	    add_str(o, "steering", l->steering ? l->steering : "none") < 0 ||
	    add_u64(o, "steering_select_failed", l->steering_select_failed) < 0 ||
	    add_counters(o, &l->c) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *ring_json(const struct udpcapd_stats_ring *r)
{
	const struct udpcap_ring_stats *rs = &r->ring;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "name", r->name) < 0 || add_str(o, "group", r->group) < 0 ||
	    add_str(o, "path", r->path) < 0 ||
	    add_counters(o, &r->c) < 0 || add_u64(o, "size", rs->capacity) < 0 ||
	    add_u64(o, "used", rs->used) < 0 || add_ratio(o, "fill", udpcapd_ring_fill(rs)) < 0 ||
	    add(o, "consumer_pid", json_object_new_int64(rs->consumer_pid)) < 0 ||
	    add(o, "consumer_attached", json_object_new_boolean(rs->consumer_pid > 0)) < 0 ||
	    add_u64(o, "generation", rs->generation) < 0 ||
	    add_u64(o, "written_packets", rs->written_packets) < 0 ||
	    add_u64(o, "written_bytes", rs->written_bytes) < 0 ||
	    add_u64(o, "full_packets", rs->full_packets) < 0 ||
	    add_u64(o, "full_bytes", rs->full_bytes) < 0 || add_u64(o, "resets", rs->resets) < 0 ||
	    add_u64(o, "reset_packets", rs->reset_packets) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *tap_json(const struct udpcapd_stats_tap *t)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "name", t->name) < 0 || add_str(o, "interface", t->interface) < 0 ||
	    add_u64(o, "queues", t->queues) < 0 ||
	    add(o, "up", json_object_new_boolean(t->up)) < 0 ||
	    add(o, "carrier", json_object_new_boolean(t->carrier)) < 0 ||
	    add_counters(o, &t->c) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int rings_array(const struct udpcapd_stats *s, const char *ring, struct json_object **ret)
{
	struct json_object *a = json_object_new_array();
	bool found = false;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < s->ring_count; i++) {
		if (ring && strcmp(ring, s->rings[i].name))
			continue;
		found = true;
		if (append(a, ring_json(&s->rings[i])) < 0) {
			json_object_put(a);
			return -ENOMEM;
		}
	}
	if (ring && !found) {
		json_object_put(a);
		return -ENOENT;
	}
	*ret = a;
	return 0;
}

static struct json_object *unparsed_json(const uint64_t *unparsed)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	/* index 0 is UDPCAP_DECAP_OK: parsed, so never an unparsed reason */
	for (int i = 1; i < UDPCAP_DECAP__COUNT; i++) {
		if (add_u64(o, udpcap_decap_reason_str((enum udpcap_decap_reason)i), unparsed[i]) <
		    0) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

int udpcapd_stats_json(const struct udpcapd_stats *s, const char *ring,
		       struct json_object **ret_obj)
{
	struct json_object *o, *a, *rings = NULL;
	int r;

	r = rings_array(s, ring, &rings);
	if (r < 0)
		return r;
	o = json_object_new_object();
	if (!o) {
		json_object_put(rings);
		return -ENOMEM;
	}
	if (add(o, "schema", json_object_new_int(UDPCAPD_CONTROL_SCHEMA)) < 0 ||
	    add_str(o, "version", s->version) < 0 ||
	    add_u64(o, "start_time_ns", s->start_time_ns) < 0 ||
	    add_u64(o, "uptime_ns", s->uptime_ns) < 0 || add_str(o, "steering", s->steering) < 0 ||
	    add_str(o, "steering_why", s->steering_why) < 0 || add_str(o, "hash", s->hash) < 0 ||
	    add(o, "steering_unparsed", unparsed_json(s->steering_unparsed)) < 0 ||
	    add_str(o, "backend", s->backend) < 0 || add_u64(o, "ts_fallbacks", s->ts_fallbacks) < 0 ||
	    add_u64(o, "uring_enobufs", s->uring_enobufs) < 0)
		goto nomem;

	a = json_object_new_object();
	if (add(o, "totals", a) < 0 || add_counters(a, &s->totals) < 0)
		goto nomem;

	a = json_object_new_array();
	if (add(o, "listeners", a) < 0)
		goto nomem;
	for (size_t i = 0; i < s->listener_count; i++)
		if (append(a, listener_json(&s->listeners[i])) < 0)
			goto nomem;

	r = add(o, "rings", rings);
	rings = NULL; /* owned by o, or freed by add() */
	if (r < 0)
		goto nomem;

	a = json_object_new_array();
	if (add(o, "taps", a) < 0)
		goto nomem;
	for (size_t i = 0; i < s->tap_count; i++)
		if (append(a, tap_json(&s->taps[i])) < 0)
			goto nomem;
	*ret_obj = o;
	return 0;
nomem:
	json_object_put(rings);
	json_object_put(o);
	return -ENOMEM;
}

int udpcapd_rings_json(const struct udpcapd_stats *s, const char *ring,
		       struct json_object **ret_obj)
{
	struct json_object *o, *rings;
	int r;

	r = rings_array(s, ring, &rings);
	if (r < 0)
		return r;
	o = json_object_new_object();
	if (!o) {
		json_object_put(rings);
		return -ENOMEM;
	}
	if (add(o, "rings", rings) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	*ret_obj = o;
	return 0;
}
