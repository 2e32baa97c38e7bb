/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the control socket serves the protocol of docs/control-protocol.md
 * over a real Unix socket, with a hand-built snapshot behind it: version,
 * stats, rings, metrics, ring filter and unknown_ring, bad and unknown
 * requests answered without dropping the client, pipelined requests in
 * order, and a last request without newline before shutdown(SHUT_WR). And
 * that it is safe to expose: the socket file is created with mode 0660 and
 * the configured group in a freshly made directory, a request over the
 * size cap and the client over the count cap are refused, a silent client
 * or one that never reads its replies does not hold up the others, stale
 * socket files are replaced but a live daemon's is not, an unknown group is
 * an error, and stop removes the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "control.h"
#include "log.h"
#include "obs_fixture.h"

struct fixture {
	char *dir;
	char path[256];
	struct udpcap_config *config;
	struct udpcapd_control *control;
};

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Read one reply line (byte by byte: the tests must not read ahead). NULL at EOF. */
static struct json_object *reply(int fd)
{
	static char line[1 << 20];
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = recv(fd, &c, 1, 0);

		assert_true(r >= 0);
		if (r == 0) {
			assert_int_equal(n, 0);
			return NULL;
		}
		if (c == '\n')
			break;
		assert_true(n < sizeof(line) - 1);
		line[n++] = c;
	}
	line[n] = '\0';
	return json_tokener_parse(line);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static bool ok(struct json_object *o)
{
	return json_object_get_boolean(get(o, "ok"));
}

static const char *error_code(struct json_object *o)
{
	assert_false(ok(o));
	return json_object_get_string(get(o, "error"));
}

static struct fixture *start(const char *group)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = obs_fixture_tmpdir();
	/* two missing directory levels: start must create them */
	snprintf(f->path, sizeof(f->path), "%s/run/udpcapd/control.sock", f->dir);
	f->config = obs_fixture_config(f->path, group, NULL);
	assert_int_equal(udpcapd_control_start(NULL, f->config, &f->control), 0);
	return f;
}

static void stop(struct fixture *f)
{
	udpcapd_control_stop(f->control);
	assert_int_equal(access(f->path, F_OK), -1); /* stop removed the socket */
	obs_fixture_config_free(f->config);
	obs_fixture_rmrf(f->dir);
	free(f->dir);
	free(f);
}

static void test_requests(void **state)
{
	struct fixture *f = start(NULL);
	struct json_object *o;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	fd = obs_fixture_unix_client(f->path);
	send_str(fd, "{\"cmd\":\"version\"}\n");
	o = reply(fd);
	assert_true(ok(o));
	assert_int_equal(json_object_get_int(get(o, "protocol")), 1);
	assert_int_equal(json_object_get_int(get(o, "pid")), getpid());
	json_object_put(o);

	send_str(fd, "{\"cmd\":\"stats\"}\n");
	o = reply(fd);
	assert_true(ok(o));
	assert_string_equal(json_object_get_string(get(o, "steering")), "ebpf");
	assert_int_equal(json_object_get_uint64(get(get(o, "totals"), "received")), 1010);
	assert_int_equal(json_object_array_length(get(o, "rings")), 2);
	json_object_put(o);

	send_str(fd, "{\"cmd\":\"rings\",\"ring\":\"worker-1\"}\n");
	o = reply(fd);
	assert_true(ok(o));
	assert_int_equal(json_object_array_length(get(o, "rings")), 1);
	json_object_put(o);

	send_str(fd, "{\"cmd\":\"stats\",\"ring\":\"worker-7\"}\n");
	o = reply(fd);
	assert_string_equal(error_code(o), "unknown_ring");
	json_object_put(o);

	/* errors keep the connection: next request still answered */
	send_str(fd, "not json\n");
	o = reply(fd);
	assert_string_equal(error_code(o), "bad_request");
	json_object_put(o);
	send_str(fd, "[1,2]\n{\"cmd\":7}\n{\"cmd\":\"stats\",\"ring\":3}\n{} {}\n");
	for (int i = 0; i < 4; i++) {
		o = reply(fd);
		assert_string_equal(error_code(o), "bad_request");
		json_object_put(o);
	}
	send_str(fd, "{\"cmd\":\"reboot\"}\n");
	o = reply(fd);
	assert_string_equal(error_code(o), "unknown_command");
	json_object_put(o);

	/* pipelined, in order; then the "metrics" page */
	send_str(fd, "{\"cmd\":\"version\"}\n{\"cmd\":\"rings\"}\n{\"cmd\":\"metrics\"}\n");
	o = reply(fd);
	assert_non_null(get(o, "version"));
	json_object_put(o);
	o = reply(fd);
	assert_int_equal(json_object_array_length(get(o, "rings")), 2);
	json_object_put(o);
	o = reply(fd);
	assert_non_null(strstr(json_object_get_string(get(o, "metrics")),
			       "udpcapd_delivered_packets_total{ring=\"worker-0\",group=\"default\"} 500\n"));
	json_object_put(o);

	/* a last request without newline, then EOF: answered, then closed */
	send_str(fd, "{\"cmd\":\"version\"}");
	shutdown(fd, SHUT_WR);
	o = reply(fd);
	assert_true(ok(o));
	json_object_put(o);
	assert_null(reply(fd));
	close(fd);

	/* the daemon cannot collect: an error reply, not a crash */
	obs_fixture_collect_result = -EIO;
	fd = obs_fixture_unix_client(f->path);
	send_str(fd, "{\"cmd\":\"stats\"}\n");
	o = reply(fd);
	assert_string_equal(error_code(o), "internal");
	json_object_put(o);
	obs_fixture_collect_result = 0;
	close(fd);
	stop(f);
}

static void test_limits(void **state)
{
	struct fixture *f = start(NULL);
	static char big[8192];
	int idle[15], fd, hog, extra;
	struct json_object *o;

	(void)state;
	/* over the request cap: told so, then disconnected */
	fd = obs_fixture_unix_client(f->path);
	memset(big, 'x', sizeof(big));
	(void)!send(fd, big, sizeof(big), MSG_NOSIGNAL);
	o = reply(fd);
	assert_string_equal(error_code(o), "request_too_long");
	json_object_put(o);
	assert_null(reply(fd));
	close(fd);

	/* a client that sends requests but never reads its replies */
	hog = obs_fixture_unix_client(f->path);
	for (int i = 0; i < 64; i++)
		(void)!send(hog, "{\"cmd\":\"stats\"}\n", 16, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* 15 silent clients: with the hog, the cap of 16 is reached */
	for (int i = 0; i < 15; i++)
		idle[i] = obs_fixture_unix_client(f->path);
	/* the server is not stuck on any of them: it answers the 17th, with a refusal */
	extra = obs_fixture_unix_client(f->path);
	o = reply(extra);
	assert_string_equal(error_code(o), "too_many_clients");
	json_object_put(o);
	close(extra);

	/* a slot frees up: a new client is served while the hog and the idle wait */
	close(idle[0]);
	for (int tries = 0;; tries++) {
		fd = obs_fixture_unix_client(f->path);
		send_str(fd, "{\"cmd\":\"version\"}\n");
		o = reply(fd);
		if (ok(o))
			break;
		/* the close may not have been seen yet */
		assert_string_equal(error_code(o), "too_many_clients");
		json_object_put(o);
		close(fd);
		assert_true(tries < 200);
		usleep(50000);
	}
	json_object_put(o);
	close(fd);
	for (int i = 1; i < 15; i++)
		close(idle[i]);
	close(hog);
	stop(f);
}

static void test_socket_file(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct udpcapd_control *c2 = NULL;
	struct udpcap_config *config;
	struct fixture *f;
	const char *group = geteuid() == 0 ? "daemon" : NULL;
	struct group *gr = group ? getgrnam(group) : NULL;
	struct stat st;
	int fd;

	(void)state;
	f = start(gr ? group : NULL);
	assert_int_equal(lstat(f->path, &st), 0);
	if (gr)
		assert_int_equal(st.st_gid, gr->gr_gid);
	else
		fprintf(stderr, "note: not root or no group 'daemon': group not checked\n");

	/* a live daemon's socket is never taken over */
	config = obs_fixture_config(f->path, NULL, NULL);
	assert_int_equal(udpcapd_control_start(NULL, config, &c2), -EADDRINUSE);
	obs_fixture_config_free(config);
	stop(f);

	f = start(NULL);
	udpcapd_control_stop(f->control);
	/* a stale socket file (daemon killed) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(strlen(f->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(udpcapd_control_start(NULL, f->config, &f->control), 0);
	fd = obs_fixture_unix_client(f->path);
	close(fd);
	udpcapd_control_stop(f->control);

	/* a file that is not a socket is left alone */
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	assert_int_equal(udpcapd_control_start(NULL, f->config, &c2), -EEXIST);
	unlink(f->path);

	/* an unknown group is an error, not a world-usable socket */
	config = obs_fixture_config(f->path, "no-such-group-udpcap", NULL);
	assert_int_equal(udpcapd_control_start(NULL, config, &c2), -ENOENT);
	assert_int_equal(access(f->path, F_OK), -1);
	obs_fixture_config_free(config);

	/* numeric groups are accepted */
	config = obs_fixture_config(f->path, "0", NULL);
	if (geteuid() == 0) {
		assert_int_equal(udpcapd_control_start(NULL, config, &c2), 0);
		assert_int_equal(lstat(f->path, &st), 0);
		assert_int_equal(st.st_gid, 0);
		udpcapd_control_stop(c2);
	}
	obs_fixture_config_free(config);

	obs_fixture_config_free(f->config);
	obs_fixture_rmrf(f->dir);
	free(f->dir);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_socket_file),
	};

	udpcapd_log_set_level(LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
