/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl rings: each ring with size, fill, consumer pid and generation,
 * as the daemon reports them, or with --dir straight from the ring headers
 * (udpcap_ring_info) when no daemon is running.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udpcap/ring.h>

#include "ctl.h"
#include "ctl_client.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udpcapctl rings [OPTIONS] [NAME]\n"
		"\n"
		"Rings of the running udpcapd (or only NAME; exit 5 if there is none) with\n"
		"size, fill, consumer pid, producer (with --dir: its pid, gone(PID) when it\n"
		"died without closing the ring, PID? when it cannot be told) and generation.\n"
		"\n"
		"Options:\n" CTL_TARGET_HELP
		"  -d, --dir DIR       read the ring headers in DIR directly, without a daemon\n"
		"      --json          print JSON (schema: control-protocol.md)\n"
		"  -h, --help          this help\n");
}

static void print_head(void)
{
	printf("%-16s %9s %9s %7s %9s %12s %10s %14s  %s\n", "RING", "SIZE", "USED", "FILL",
	       "CONSUMER", "PRODUCER", "GENERATION", "DELIVERED", "PATH");
}

/* @producer: "live" (the daemon answered), or "PID", "gone(PID)", "PID?". */
static void print_row(const char *name, uint64_t size, uint64_t used, uint64_t consumer,
		      const char *producer, uint64_t generation, uint64_t delivered,
		      const char *path)
{
	char s[32], u[32], pid[24] = "-";

	if (consumer)
		snprintf(pid, sizeof(pid), "%" PRIu64, consumer);
	printf("%-16s %9s %9s %6.1f%% %9s %12s %10" PRIu64 " %14" PRIu64 "  %s\n", name,
	       ctl_format_size(size, s, sizeof(s)), ctl_format_size(used, u, sizeof(u)),
	       size ? 100.0 * (double)used / (double)size : 0.0, pid, producer, generation,
	       delivered, path);
}

static int from_daemon(const struct ctl_target *target, const char *ring, bool json)
{
	struct json_object *reply, *rings;
	struct ctl_conn conn;
	char *line;
	int r;

	r = ctl_connect(target, &conn);
	if (r != CTL_EXIT_OK)
		return r;
	r = ctl_call(&conn, "rings", ring, &reply, &line);
	ctl_close(&conn);
	if (r != CTL_EXIT_OK)
		return r;
	rings = ctl_get(reply, "rings");
	if (json) {
		/* The daemon that answered is the producer of its rings. */
		for (size_t i = 0; rings && i < json_object_array_length(rings); i++)
			json_object_object_add(json_object_array_get_idx(rings, i),
					       "producer_alive", json_object_new_boolean(1));
		printf("%s\n", rings ? json_object_to_json_string_ext(
					    reply, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE)
				      : line);
	} else {
		print_head();
		for (size_t i = 0; rings && i < json_object_array_length(rings); i++) {
			struct json_object *o = json_object_array_get_idx(rings, i);

			print_row(ctl_str(o, "name"), ctl_u64(o, "size"), ctl_u64(o, "used"),
				  ctl_u64(o, "consumer_pid"), "live", ctl_u64(o, "generation"),
				  ctl_u64(o, "delivered"), ctl_str(o, "path"));
		}
	}
	free(line);
	json_object_put(reply);
	return CTL_EXIT_OK;
}

static struct json_object *info_json(const char *name, const char *path,
				     const struct udpcap_ring_info *in)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "size", json_object_new_uint64(in->capacity));
	json_object_object_add(o, "used", json_object_new_uint64(in->used));
	json_object_object_add(
	    o, "fill",
	    json_object_new_double(in->capacity ? (double)in->used / (double)in->capacity : 0));
	json_object_object_add(o, "consumer_pid", json_object_new_int64(in->consumer_pid));
	json_object_object_add(o, "producer_pid", json_object_new_int64(in->producer_pid));
	/* null: the ring cannot tell (another pid namespace, format 2.0). */
	json_object_object_add(o, "producer_alive",
			       in->producer_alive < 0 ? NULL
						      : json_object_new_boolean(in->producer_alive));
	json_object_object_add(o, "generation", json_object_new_uint64(in->generation));
	json_object_object_add(o, "format_version", json_object_new_uint64(in->format_version));
	json_object_object_add(o, "format_minor", json_object_new_uint64(in->format_minor));
	json_object_object_add(o, "written_packets", json_object_new_uint64(in->written_packets));
	json_object_object_add(o, "full_packets", json_object_new_uint64(in->full_packets));
	json_object_object_add(o, "linktype", json_object_new_int(in->linktype));
	json_object_object_add(o, "closed", json_object_new_boolean(in->closed));
	return o;
}

/* --dir: every ring file in @dir (or only @ring), read without attaching. */
static int from_dir(const char *dir, const char *ring, bool json)
{
	struct json_object *rings = json_object_new_array();
	int status = CTL_EXIT_OK, n, k;
	struct dirent **names = NULL;
	bool found = false;

	/* in natural order, worker-2 before worker-10, as the daemon lists them */
	n = rings ? scandir(dir, &names, NULL, versionsort) : -1;
	if (n < 0) {
		int err = rings ? errno : ENOMEM;

		fprintf(stderr, "udpcapctl rings: %s: %s\n", dir, strerror(err));
		json_object_put(rings);
		return err == EACCES ? CTL_EXIT_PERMISSION : CTL_EXIT_FAILURE;
	}
	if (!json)
		print_head();
	for (k = 0; k < n; k++) {
		const struct dirent *de = names[k];
		struct udpcap_ring_info info;
		char path[4096];
		int r;

		if (de->d_name[0] == '.' || (ring && strcmp(ring, de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = udpcap_ring_info(de->d_name, dir, &info);
		if (r == -EBADMSG || r == -EPROTO || r == -EINVAL || r == -ENODEV) {
			if (ring) {
				fprintf(stderr, "udpcapctl rings: %s is not a ring (%s)\n", path,
					strerror(-r));
				status = CTL_EXIT_UNKNOWN;
			}
			found |= ring != NULL;
			continue;
		}
		found = true;
		if (r < 0) {
			fprintf(stderr, "udpcapctl rings: %s: %s\n", path, strerror(-r));
			status =
			    r == -EACCES || r == -EPERM ? CTL_EXIT_PERMISSION : CTL_EXIT_FAILURE;
			continue;
		}
		if (json) {
			json_object_array_add(rings, info_json(de->d_name, path, &info));
		} else {
			char prod[32];

			snprintf(prod, sizeof(prod),
				 info.producer_alive > 0 ? "%d" : info.producer_alive ? "%d?" : "gone(%d)",
				 (int)info.producer_pid);
			print_row(de->d_name, info.capacity, info.used, (uint64_t)info.consumer_pid,
				  prod, info.generation, info.written_packets, path);
		}
	}
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	if (ring && !found) {
		fprintf(stderr, "udpcapctl rings: no ring named '%s' in %s\n", ring, dir);
		status = CTL_EXIT_UNKNOWN;
	}
	if (json && status == CTL_EXIT_OK) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "rings", json_object_get(rings));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	json_object_put(rings);
	return status;
}

int cmd_rings(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'f'}, {"socket", required_argument, NULL, 's'},
	    {"dir", required_argument, NULL, 'd'},    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	      {},
	};
	struct ctl_target target = {};
	const char *dir = NULL, *ring = NULL;
	bool json = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:s:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			if (ctl_target_option(&target, opt, optarg))
				break;
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		ring = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "udpcapctl rings: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if ((target.config && target.socket) || (dir && (target.config || target.socket))) {
		fprintf(stderr, "udpcapctl rings: use one of -f, -s and --dir\n");
		return CTL_EXIT_USAGE;
	}
	return dir ? from_dir(dir, ring, json) : from_daemon(&target, ring, json);
}
