/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the control socket's time limits (set here to 300 ms instead of
 * 10 s): a client that connects and says nothing, one that sends
 * half a request, and one that never reads its replies are all disconnected;
 * a client that keeps sending requests is not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control.h"
#include "obs_fixture.h"

/* Read and discard until the server closes; fails if it never does (30 s). */
static void wait_closed(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	assert_true(n == 0 || errno == ECONNRESET);
}

static void test_timeouts(void **state)
{
	char *dir = obs_fixture_tmpdir(), path[256], line[64];
	struct udpcapd_control *c = NULL;
	struct udpcap_config *config;
	int silent, half, deaf, chatty;

	(void)state;
	udpcapd_control_timeout_ms = 300;
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	config = obs_fixture_config(path, NULL, NULL);
	assert_int_equal(udpcapd_control_start(NULL, config, &c), 0);

	silent = obs_fixture_unix_client(path);
	half = obs_fixture_unix_client(path);
	assert_int_equal(send(half, "{\"cmd\":", 7, MSG_NOSIGNAL), 7);
	/* a never-reading client: more replies than the socket buffers hold */
	deaf = obs_fixture_unix_client(path);
	{
		int small = 4096;

		setsockopt(deaf, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	for (int i = 0; i < 200; i++)
		(void)!send(deaf, "{\"cmd\":\"stats\"}\n", 16, MSG_NOSIGNAL | MSG_DONTWAIT);

	/* a client that keeps asking (for over 3 limits) stays connected */
	chatty = obs_fixture_unix_client(path);
	for (time_t end = time(NULL) + 2; time(NULL) < end;) {
		assert_int_equal(send(chatty, "{\"cmd\":\"version\"}\n", 18, MSG_NOSIGNAL), 18);
		for (size_t n = 0;;) {
			assert_int_equal(recv(chatty, line + n, 1, 0), 1);
			if (line[n] == '\n')
				break;
			n = n + 1 < sizeof(line) - 1 ? n + 1 : n;
		}
	}

	wait_closed(silent);
	wait_closed(half);
	wait_closed(deaf);
	close(silent);
	close(half);
	close(deaf);
	close(chatty);
	udpcapd_control_stop(c);
	obs_fixture_config_free(config);
	obs_fixture_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
