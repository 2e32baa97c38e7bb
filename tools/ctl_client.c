/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapctl: control-socket client. Every way of not reaching the daemon
 * gets its own message and exit status: not running (3), permission
 * denied (4); replies carrying an error map to 5 (unknown ring) or 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <udpcap/config.h>

#include "ctl.h"
#include "ctl_client.h"

#define CTL_MAX_REPLY (64u << 20) /* far above any real reply; bounds a broken peer */
#define CTL_TIMEOUT_S 30

static void on_config_error(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "udpcapctl: %s\n", message);
}

/* The socket path: -s, else -f's, else the installed config's, else the default. */
static int socket_path(const struct ctl_target *t, char *buf, size_t size)
{
	const char *config_path = t->config ? t->config : UDPCAP_DEFAULT_CONFIG;
	struct udpcap_config *config = NULL;
	const char *path = UDPCAP_DEFAULT_CONTROL_SOCKET;
	int r;

	if (t->socket) {
		path = t->socket;
	} else if (t->config || access(config_path, F_OK) == 0) {
		r = udpcap_config__load(config_path, on_config_error, NULL, &config);
		if (r < 0 && t->config) {
			fprintf(stderr, "udpcapctl: cannot use config %s\n", config_path);
			return CTL_EXIT_FAILURE;
		}
		if (r < 0)
			fprintf(stderr, "udpcapctl: ignoring %s, trying %s\n", config_path, path);
		else if (config->control.socket && config->control.socket[0])
			path = config->control.socket;
	}
	if (strlen(path) >= size || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "udpcapctl: control socket path too long: %s\n", path);
		udpcap_config__free(config);
		return CTL_EXIT_USAGE;
	}
	strcpy(buf, path);
	udpcap_config__free(config);
	return CTL_EXIT_OK;
}

bool ctl_target_option(struct ctl_target *t, int opt, const char *arg)
{
	if (opt == 'f')
		t->config = arg;
	else if (opt == 's')
		t->socket = arg;
	else
		return false;
	return true;
}

int ctl_connect(const struct ctl_target *t, struct ctl_conn *ret_conn)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_S};
	struct ctl_conn c = {.fd = -1};
	int r, err;

	r = socket_path(t, c.path, sizeof(c.path));
	if (r != CTL_EXIT_OK)
		return r;
	strcpy(sa.sun_path, c.path);
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0) {
		fprintf(stderr, "udpcapctl: socket: %s\n", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	if (connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(c.fd);
		switch (err) {
		case ENOENT:
		case ECONNREFUSED:
		case ENOTDIR:
			fprintf(stderr,
				"udpcapctl: udpcapd is not running (control socket %s: %s)\n",
				c.path, strerror(err));
			return CTL_EXIT_NOT_RUNNING;
		case EACCES:
		case EPERM:
			fprintf(stderr,
				"udpcapctl: permission denied on the control socket %s "
				"(run as root or as a member of its group)\n",
				c.path);
			return CTL_EXIT_PERMISSION;
		default:
			fprintf(stderr, "udpcapctl: cannot connect to %s: %s\n", c.path,
				strerror(err));
			return CTL_EXIT_FAILURE;
		}
	}
	/* never hang on a wedged daemon */
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*ret_conn = c;
	return CTL_EXIT_OK;
}

void ctl_close(struct ctl_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn->buf);
	conn->fd = -1;
	conn->buf = NULL;
	conn->len = conn->cap = 0;
}

static int send_all(struct ctl_conn *conn, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(conn->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "udpcapctl: sending to %s: %s\n", conn->path,
				strerror(errno));
			return CTL_EXIT_FAILURE;
		}
		data += n;
		len -= (size_t)n;
	}
	return CTL_EXIT_OK;
}

/* One reply line, without its newline, into *ret_line (malloc()ed). */
static int read_line(struct ctl_conn *conn, char **ret_line)
{
	char *nl;

	while (!conn->buf || !(nl = memchr(conn->buf, '\n', conn->len))) {
		ssize_t n;

		if (conn->cap - conn->len < 4096) {
			size_t cap = conn->cap ? conn->cap * 2 : 65536;
			char *buf;

			if (cap > CTL_MAX_REPLY) {
				fprintf(stderr, "udpcapctl: reply from %s too long\n", conn->path);
				return CTL_EXIT_FAILURE;
			}
			buf = realloc(conn->buf, cap);
			if (!buf) {
				fprintf(stderr, "udpcapctl: out of memory\n");
				return CTL_EXIT_FAILURE;
			}
			conn->buf = buf;
			conn->cap = cap;
		}
		n = recv(conn->fd, conn->buf + conn->len, conn->cap - conn->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "udpcapctl: no reply from udpcapd on %s: %s\n", conn->path,
				n == 0 ? "connection closed" : strerror(errno));
			return CTL_EXIT_FAILURE;
		}
		conn->len += (size_t)n;
	}
	*ret_line = strndup(conn->buf, (size_t)(nl - conn->buf));
	if (!*ret_line) {
		fprintf(stderr, "udpcapctl: out of memory\n");
		return CTL_EXIT_FAILURE;
	}
	conn->len -= (size_t)(nl + 1 - conn->buf);
	memmove(conn->buf, nl + 1, conn->len);
	return CTL_EXIT_OK;
}

int ctl_call(struct ctl_conn *conn, const char *cmd, const char *ring,
	     struct json_object **ret_reply, char **ret_line)
{
	struct json_object *req, *reply, *ok;
	const char *text;
	char *line = NULL;
	int r;

	req = json_object_new_object();
	if (!req)
		return CTL_EXIT_FAILURE;
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (ring)
		json_object_object_add(req, "ring", json_object_new_string(ring));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	r = send_all(conn, text, strlen(text));
	if (r == CTL_EXIT_OK)
		r = send_all(conn, "\n", 1);
	json_object_put(req);
	if (r != CTL_EXIT_OK)
		return r;
	r = read_line(conn, &line);
	if (r != CTL_EXIT_OK)
		return r;
	reply = json_tokener_parse(line);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		fprintf(stderr, "udpcapctl: unreadable reply from %s\n", conn->path);
		r = CTL_EXIT_FAILURE;
	} else if (!json_object_object_get_ex(reply, "ok", &ok) || !json_object_get_boolean(ok)) {
		fprintf(stderr, "udpcapctl: %s\n",
			ctl_str(reply, "message")[0] ? ctl_str(reply, "message")
						     : "request failed");
		r = !strcmp(ctl_str(reply, "error"), "unknown_ring") ? CTL_EXIT_UNKNOWN
								     : CTL_EXIT_FAILURE;
	}
	if (r != CTL_EXIT_OK) {
		json_object_put(reply);
		free(line);
		return r;
	}
	*ret_reply = reply;
	if (ret_line)
		*ret_line = line;
	else
		free(line);
	return CTL_EXIT_OK;
}

struct json_object *ctl_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

uint64_t ctl_u64(struct json_object *o, const char *key)
{
	struct json_object *v = ctl_get(o, key);

	return v ? json_object_get_uint64(v) : 0;
}

double ctl_double(struct json_object *o, const char *key)
{
	struct json_object *v = ctl_get(o, key);

	return v ? json_object_get_double(v) : 0;
}

const char *ctl_str(struct json_object *o, const char *key)
{
	struct json_object *v = ctl_get(o, key);
	const char *s =
	    v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

	return s ? s : "";
}

const char *ctl_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v == (double)(uint64_t)v)
		snprintf(buf, size, "%" PRIu64 "%s", (uint64_t)v, units[u]);
	else
		snprintf(buf, size, "%.1f%s", v, units[u]);
	return buf;
}
