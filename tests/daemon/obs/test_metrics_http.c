/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the Prometheus endpoint serves the rendered snapshot over real
 * HTTP on the configured loopback address, IPv4 or IPv6: GET /metrics is 200
 * with the 0.0.4 content type and a fresh snapshot per scrape, HEAD the same
 * without a body, other paths are 404 and other methods 405; an empty [metrics] listen turns it
 * off, and a bad address or a port in use is an error at start, not a silent no-op.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "control_prom.h"
#include "obs_fixture.h"

/* One HTTP/1.0 request to @sa; returns the whole response (headers and body). */
static char *http_to(const struct sockaddr *sa, socklen_t sa_len, const char *method,
		     const char *path)
{
	struct timeval tv = {.tv_sec = 20};
	size_t len = 0, cap = 1 << 16;
	char req[256], *buf = malloc(cap);
	int fd;
	ssize_t n;

	assert_non_null(buf);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, sa, sa_len), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	while ((n = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(n, 0);
	buf[len] = '\0';
	close(fd);
	return buf;
}

static char *http(int port, const char *method, const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	return http_to((struct sockaddr *)&sa, sizeof(sa), method, path);
}

static struct udpcapd_metrics *start(int port, struct udpcap_config **ret_config)
{
	struct udpcapd_metrics *m = NULL;
	char listen_addr[64];

	snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%d", port);
	*ret_config = obs_fixture_config(NULL, NULL, listen_addr);
	assert_int_equal(udpcapd_metrics_start(NULL, *ret_config, &m), 0);
	assert_non_null(m);
	return m;
}

static void test_scrape(void **state)
{
	int port = obs_fixture_free_port();
	struct udpcap_config *config;
	struct udpcapd_metrics *m = start(port, &config);
	unsigned before;
	char *r;

	(void)state;
	before = obs_fixture_collects;
	r = http(port, "GET", "/metrics");
	assert_int_equal(strncmp(r, "HTTP/1.", 7), 0);
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strcasestr(r, "Content-Type: " UDPCAPD_METRICS_CONTENT_TYPE "\r\n"));
	assert_non_null(strstr(r, "\r\n\r\n# HELP udpcapd_build_info "));
	assert_non_null(strstr(r, "\nudpcapd_received_packets_total{listener=\"vxlan\"} 1000\n"));
	free(r);
	r = http(port, "GET", "/metrics");
	free(r);
	assert_int_equal(obs_fixture_collects - before, 2); /* a fresh snapshot per scrape */

	r = http(port, "GET", "/");
	assert_non_null(strstr(r, " 404 "));
	free(r);
	r = http(port, "GET", "/metrics/x");
	assert_non_null(strstr(r, " 404 "));
	free(r);
	r = http(port, "POST", "/metrics");
	assert_non_null(strstr(r, " 405 "));
	free(r);

	obs_fixture_collect_result = -EIO;
	r = http(port, "GET", "/metrics");
	assert_non_null(strstr(r, " 500 "));
	free(r);
	obs_fixture_collect_result = 0;

	udpcapd_metrics_stop(m);
	obs_fixture_config_free(config);
}

/* HEAD: the headers of GET, no body. */
static void test_head(void **state)
{
	int port = obs_fixture_free_port();
	struct udpcap_config *config;
	struct udpcapd_metrics *m = start(port, &config);
	char *r;

	(void)state;
	r = http(port, "HEAD", "/metrics");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strcasestr(r, "Content-Type: " UDPCAPD_METRICS_CONTENT_TYPE "\r\n"));
	assert_null(strstr(r, "udpcapd_build_info"));
	free(r);
	udpcapd_metrics_stop(m);
	obs_fixture_config_free(config);
}

/* [::1]:PORT binds IPv6 loopback only (skipped without IPv6 on lo). */
static void test_ipv6(void **state)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct udpcapd_metrics *m = NULL;
	struct udpcap_config *config;
	socklen_t len = sizeof(sa);
	char listen_addr[64], *r;
	int fd;

	(void)state;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "SKIP: no IPv6 loopback here; [::1] endpoint not tested\n");
		if (fd >= 0)
			close(fd);
		skip();
	}
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	snprintf(listen_addr, sizeof(listen_addr), "[::1]:%u", ntohs(sa.sin6_port));
	config = obs_fixture_config(NULL, NULL, listen_addr);
	assert_int_equal(udpcapd_metrics_start(NULL, config, &m), 0);
	r = http_to((struct sockaddr *)&sa, sizeof(sa), "GET", "/metrics");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strstr(r, "\nudpcapd_ring_fill_ratio{ring=\"worker-0\",group=\"default\"} 0.250000\n"));
	free(r);
	udpcapd_metrics_stop(m);
	obs_fixture_config_free(config);
}

static void test_start_errors(void **state)
{
	struct udpcapd_metrics *m = (void *)1, *m2 = NULL;
	struct udpcap_config *config;
	int port;

	(void)state;
	config = obs_fixture_config(NULL, NULL, "");
	assert_int_equal(udpcapd_metrics_start(NULL, config, &m), 0);
	assert_null(m); /* off */
	obs_fixture_config_free(config);
	config = obs_fixture_config(NULL, NULL, NULL);
	m = (void *)1;
	assert_int_equal(udpcapd_metrics_start(NULL, config, &m), 0);
	assert_null(m);
	obs_fixture_config_free(config);

	config = obs_fixture_config(NULL, NULL, "not-an-address");
	assert_true(udpcapd_metrics_start(NULL, config, &m2) < 0);
	assert_null(m2);
	obs_fixture_config_free(config);

	port = obs_fixture_free_port();
	m = start(port, &config);
	assert_int_equal(udpcapd_metrics_start(NULL, config, &m2), -EADDRINUSE);
	assert_null(m2);
	udpcapd_metrics_stop(m);
	udpcapd_metrics_stop(NULL);
	obs_fixture_config_free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scrape),
	    cmocka_unit_test(test_head),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
