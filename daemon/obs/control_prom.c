/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: counter snapshot -> Prometheus text exposition format 0.0.4.
 *
 * One HELP and one TYPE line per family, then its samples. Every drop
 * reason is exported, zeros included, so series exist before the first
 * drop and rate() works from the start. Drops are exported twice, in two
 * families that must not be added together: per listener (the main one,
 * whose sum is the total) and per ring (to find the slow consumer).
 */
#include <errno.h>
#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_prom.h"
#include "stats_json.h"

static const char *const steering_modes[] = {"ebpf", "cbpf", "kernel"};
static const char *const backends[] = {"recvmmsg", "io_uring"};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

/* name{key="value"[,key2="value2"]} value */
static void sample(FILE *f, const char *name, const char *key, const char *value, const char *key2,
		   const char *value2, uint64_t v)
{
	fputs(name, f);
	if (key) {
		fprintf(f, "{%s=", key);
		label_value(f, value);
		if (key2) {
			fprintf(f, ",%s=", key2);
			label_value(f, value2);
		}
		fputc('}', f);
	}
	fprintf(f, " %" PRIu64 "\n", v);
}

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* A "mode in use" gauge: one series per known value, 1 for the active one. */
static void one_of(FILE *f, const char *name, const char *key, const char *const *known,
		   size_t count, const char *active)
{
	bool listed = false;

	for (size_t i = 0; i < count; i++) {
		sample(f, name, key, known[i], NULL, NULL, is(known[i], active));
		listed |= is(known[i], active);
	}
	if (active && !listed)
		sample(f, name, key, active, NULL, NULL, 1);
}

static void render_daemon(FILE *f, const struct udpcapd_stats *s)
{
	family(f, "udpcapd_build_info", "gauge", "udpcapd version, always 1.");
	sample(f, "udpcapd_build_info", "version", s->version, NULL, NULL, 1);

	family(f, "udpcapd_start_time_seconds", "gauge",
	       "Start time of udpcapd since the Unix epoch in seconds.");
	fprintf(f, "udpcapd_start_time_seconds %" PRIu64 ".%03" PRIu64 "\n",
		s->start_time_ns / 1000000000u, s->start_time_ns % 1000000000u / 1000000u);

	family(f, "udpcapd_steering_mode", "gauge",
	       "Flow steering in use (1) among ebpf, cbpf and kernel (0).");
	one_of(f, "udpcapd_steering_mode", "mode", steering_modes,
	       sizeof(steering_modes) / sizeof(steering_modes[0]), s->steering);

	family(f, "udpcapd_receive_backend", "gauge",
	       "Receive backend in use (1) among recvmmsg and io_uring (0).");
	one_of(f, "udpcapd_receive_backend", "backend", backends,
	       sizeof(backends) / sizeof(backends[0]), s->backend);

	family(f, "udpcapd_timestamp_fallbacks_total", "counter",
	       "Datagrams that came without a kernel timestamp (SO_TIMESTAMPNS); "
	       "stamped with the clock instead.");
	fprintf(f, "udpcapd_timestamp_fallbacks_total %" PRIu64 "\n", s->ts_fallbacks);
	family(f, "udpcapd_uring_enobufs_total", "counter",
	       "io_uring multishot receives that ended because every buffer was in use "
	       "(re-armed; datagrams wait in the socket meanwhile).");
	fprintf(f, "udpcapd_uring_enobufs_total %" PRIu64 "\n", s->uring_enobufs);

	family(f, "udpcapd_steering_unparsed_packets_total", "counter",
	       "Datagrams the steering program could not parse (still delivered, "
	       "steered by the outer header), by reason.");
	for (int i = 1; i < UDPCAP_DECAP__COUNT; i++)
		sample(f, "udpcapd_steering_unparsed_packets_total", "reason",
		       udpcap_decap_reason_str((enum udpcap_decap_reason)i), NULL, NULL,
		       s->steering_unparsed[i]);
}

/*
 * Listeners and rings both start with their name; a family is rendered over
 * either array with the element size as stride, so one loop serves all.
 */
static_assert(offsetof(struct udpcapd_stats_listener, name) == 0, "name first");
static_assert(offsetof(struct udpcapd_stats_ring, name) == 0, "name first");

struct items {
	const char *label; /* "listener" or "ring" */
	const char *base;
	size_t stride, count;
	size_t counters; /* offset of the struct udpcapd_stats_counters */
	size_t group;	 /* offset of the ring's group name; 0: none */
};

/* One sample of an item: its name label, its group (rings), maybe one more label. */
static void sample_item(FILE *f, const char *name, const struct items *it, const char *item,
			const char *key2, const char *value2, uint64_t v)
{
	fprintf(f, "%s{%s=", name, it->label);
	label_value(f, item);
	if (it->group) {
		fputs(",group=", f);
		label_value(f, item + it->group);
	}
	if (key2) {
		fprintf(f, ",%s=", key2);
		label_value(f, value2);
	}
	fprintf(f, "} %" PRIu64 "\n", v);
}

/* A family with one sample per item: the uint64_t at @off in each. */
struct u64_family {
	const char *name, *type, *help;
	size_t off;
};

#define LISTENER(field) offsetof(struct udpcapd_stats_listener, field)
#define RING(field) offsetof(struct udpcapd_stats_ring, field)

static const struct u64_family listener_families[] = {
    {"udpcapd_received_packets_total", "counter", "Datagrams read from the listener's sockets.",
     LISTENER(c.received)},
    {"udpcapd_received_bytes_total", "counter",
     "UDP payload bytes read from the listener's sockets.", LISTENER(c.received_bytes)},
};

static const struct u64_family ring_families[] = {
    {"udpcapd_delivered_packets_total", "counter",
     "Packets written into the ring for its consumer.", RING(c.delivered)},
    {"udpcapd_delivered_bytes_total", "counter",
     "Packet bytes (captured length) written into the ring.", RING(c.bytes)},
    {"udpcapd_ring_size_bytes", "gauge", "Record space of the ring.", RING(ring.capacity)},
    {"udpcapd_ring_used_bytes", "gauge", "Bytes of the ring not yet released by the consumer.",
     RING(ring.used)},
    {"udpcapd_ring_resets_total", "counter",
     "Times the producer found the consumer's index corrupt and reset the ring.",
     RING(ring.resets)},
};

static void render_u64(FILE *f, const struct items *it, const struct u64_family *fam, size_t n)
{
	for (; n--; fam++) {
		family(f, fam->name, fam->type, fam->help);
		for (size_t k = 0; k < it->count; k++) {
			const char *item = it->base + k * it->stride;
			uint64_t v;

			memcpy(&v, item + fam->off, sizeof(v));
			sample_item(f, fam->name, it, item, NULL, NULL, v);
		}
	}
}

/* Every drop reason of every item, zeros included. */
static void render_drops(FILE *f, const struct items *it, const char *name, const char *help)
{
	family(f, name, "counter", help);
	for (size_t k = 0; k < it->count; k++) {
		const char *item = it->base + k * it->stride;
		const struct udpcapd_stats_counters *c = (const void *)(item + it->counters);

		for (int i = 0; i < UDPCAPD_DROP__COUNT; i++)
			sample_item(f, name, it, item, "reason",
				    udpcapd_drop_name((enum udpcapd_drop)i), c->drops[i]);
	}
}

static void render_listeners(FILE *f, const struct udpcapd_stats *s)
{
	const struct items it = {"listener", (const char *)s->listeners, sizeof(*s->listeners),
				 s->listener_count, LISTENER(c), 0};

	render_u64(f, &it, listener_families,
		   sizeof(listener_families) / sizeof(listener_families[0]));
	render_drops(f, &it, "udpcapd_dropped_packets_total",
		     "Datagrams dropped, by listener and reason (socket = kernel receive "
		     "queue overflow, never received).");

	family(f, "udpcapd_listener_steering_mode", "gauge",
	       "Flow steering in use on the listener (1) among ebpf, cbpf and kernel (0).");
	for (size_t k = 0; k < s->listener_count; k++)
		for (size_t i = 0; i < sizeof(steering_modes) / sizeof(steering_modes[0]); i++)
			sample(f, "udpcapd_listener_steering_mode", "listener", s->listeners[k].name,
			       "mode", steering_modes[i], is(steering_modes[i], s->listeners[k].steering));
	family(f, "udpcapd_steering_select_failed_total", "counter",
	       "eBPF steering: datagrams whose socket selection failed, so the kernel's "
	       "own hash placed them (0 in other modes).");
	for (size_t k = 0; k < s->listener_count; k++)
		sample(f, "udpcapd_steering_select_failed_total", "listener", s->listeners[k].name,
		       NULL, NULL, s->listeners[k].steering_select_failed);
}

static void render_rings(FILE *f, const struct udpcapd_stats *s)
{
	const struct items it = {"ring",	 (const char *)s->rings, sizeof(*s->rings),
				 s->ring_count, RING(c),	 RING(group)};
	const struct udpcapd_stats_ring *r;

	render_u64(f, &it, ring_families, sizeof(ring_families) / sizeof(ring_families[0]));
	render_drops(f, &it, "udpcapd_ring_dropped_packets_total",
		     "The drops of udpcapd_dropped_packets_total attributed to the ring they "
		     "were steered to, by reason (do not add the two families).");

	family(f, "udpcapd_ring_fill_ratio", "gauge", "Used bytes over size of the ring, 0 to 1.");
	for (r = s->rings; r < s->rings + s->ring_count; r++) {
		fputs("udpcapd_ring_fill_ratio{ring=", f);
		label_value(f, r->name);
		fputs(",group=", f);
		label_value(f, r->group);
		fprintf(f, "} %.6f\n", udpcapd_ring_fill(&r->ring));
	}
	family(f, "udpcapd_ring_consumer_attached", "gauge",
	       "1 when a live consumer holds the ring, else 0.");
	for (r = s->rings; r < s->rings + s->ring_count; r++)
		sample(f, "udpcapd_ring_consumer_attached", "ring", r->name, "group", r->group,
		       r->ring.consumer_pid > 0);
	family(f, "udpcapd_ring_generation", "gauge",
	       "Generation of the ring file; changes when the ring is re-created.");
	for (r = s->rings; r < s->rings + s->ring_count; r++)
		sample(f, "udpcapd_ring_generation", "ring", r->name, "group", r->group,
		       r->ring.generation);
}

/* The TAP outputs: their own books, like a ring group's (never part of the listener sums). */
static void render_taps(FILE *f, const struct udpcapd_stats *s)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} fams[] = {
	    {"udpcapd_tap_received_packets_total", "counter",
	     "Packets handed to the TAP output (every packet a listener delivered).",
	     offsetof(struct udpcapd_stats_tap, c.received)},
	    {"udpcapd_tap_written_packets_total", "counter",
	     "Frames the TAP device took (its readers' own drops are theirs to count).",
	     offsetof(struct udpcapd_stats_tap, c.delivered)},
	    {"udpcapd_tap_written_bytes_total", "counter", "Bytes of the frames written to the TAP.",
	     offsetof(struct udpcapd_stats_tap, c.bytes)},
	};
	const struct udpcapd_stats_tap *t;

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family(f, fams[k].name, fams[k].type, fams[k].help);
		for (t = s->taps; t < s->taps + s->tap_count; t++) {
			uint64_t v;

			memcpy(&v, (const char *)t + fams[k].off, sizeof(v));
			sample(f, fams[k].name, "tap", t->name, "interface", t->interface, v);
		}
	}
	family(f, "udpcapd_tap_dropped_packets_total", "counter",
	       "Packets not written to the TAP, by reason (tap_full, tap_down, "
	       "tap_not_ethernet; every reason listed).");
	for (t = s->taps; t < s->taps + s->tap_count; t++)
		for (int i = 0; i < UDPCAPD_DROP__COUNT; i++) {
			fputs("udpcapd_tap_dropped_packets_total{tap=", f);
			label_value(f, t->name);
			fputs(",interface=", f);
			label_value(f, t->interface);
			fputs(",reason=", f);
			label_value(f, udpcapd_drop_name((enum udpcapd_drop)i));
			fprintf(f, "} %" PRIu64 "\n", t->c.drops[i]);
		}
	family(f, "udpcapd_tap_up", "gauge",
	       "1 when the TAP interface is up and has carrier, else 0.");
	for (t = s->taps; t < s->taps + s->tap_count; t++)
		sample(f, "udpcapd_tap_up", "tap", t->name, "interface", t->interface,
		       t->up && t->carrier);
	family(f, "udpcapd_tap_queues", "gauge",
	       "Queues of the TAP device udpcapd writes through (one per receiver thread).");
	for (t = s->taps; t < s->taps + s->tap_count; t++)
		sample(f, "udpcapd_tap_queues", "tap", t->name, "interface", t->interface, t->queues);
}

int udpcapd_metrics_render(const struct udpcapd_stats *s, char **ret_text, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	render_daemon(f, s);
	render_listeners(f, s);
	render_rings(f, s);
	render_taps(f, s);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return -ENOMEM;
	}
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret_text = text;
	*ret_len = len;
	return 0;
}
