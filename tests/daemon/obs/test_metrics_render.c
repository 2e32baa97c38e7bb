/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that a counter snapshot renders to a valid Prometheus text page
 * (format 0.0.4): HELP and TYPE once per family before its samples, the
 * documented names and labels with the snapshot's values, every drop
 * reason per listener and per ring, label values escaped, and that
 * `promtool check metrics` accepts the page (that one check is skipped,
 * loudly, when promtool is not installed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "control_prom.h"
#include "obs_fixture.h"

static char *render(struct udpcapd_stats *s)
{
	size_t len;
	char *text;

	assert_int_equal(udpcapd_metrics_render(s, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

/* @line must be a whole line of @text. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("missing line: %s", line);
}

static void test_samples(void **state)
{
	struct udpcapd_stats s;
	char *t;

	(void)state;
	obs_fixture_fill(&s);
	t = render(&s);
	has_line(t, "udpcapd_build_info{version=\"0.1.0-test\"} 1");
	has_line(t, "udpcapd_start_time_seconds 1700000000.123");
	has_line(t, "udpcapd_steering_mode{mode=\"ebpf\"} 1");
	has_line(t, "udpcapd_steering_mode{mode=\"cbpf\"} 0");
	has_line(t, "udpcapd_steering_mode{mode=\"kernel\"} 0");
	has_line(t, "udpcapd_receive_backend{backend=\"recvmmsg\"} 1");
	has_line(t, "udpcapd_steering_unparsed_packets_total{reason=\"vxlan_no_vni\"} 3");
	has_line(t, "udpcapd_steering_unparsed_packets_total{reason=\"geneve_short\"} 0");
	has_line(t, "udpcapd_received_packets_total{listener=\"vxlan\"} 1000");
	has_line(t, "udpcapd_received_packets_total{listener=\"geneve\"} 10");
	has_line(t, "udpcapd_received_bytes_total{listener=\"vxlan\"} 150000");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"socket\"} 7");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"not_allowed\"} 40");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"vni_filtered\"} 30");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"truncated\"} 10");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"ring_full\"} 15");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"vxlan\",reason=\"vxlan_no_vni\"} 5");
	has_line(t, "udpcapd_dropped_packets_total{listener=\"geneve\",reason=\"ring_full\"} 0");
	has_line(t, "udpcapd_delivered_packets_total{ring=\"worker-0\",group=\"default\"} 500");
	has_line(t, "udpcapd_delivered_packets_total{ring=\"worker-1\",group=\"default\"} 410");
	has_line(t, "udpcapd_delivered_bytes_total{ring=\"worker-0\",group=\"default\"} 60000");
	has_line(t,
		 "udpcapd_ring_dropped_packets_total{ring=\"worker-0\",group=\"default\",reason=\"ring_full\"} 15");
	has_line(t,
		 "udpcapd_ring_dropped_packets_total{ring=\"worker-1\",group=\"default\",reason=\"truncated\"} 10");
	has_line(t, "udpcapd_ring_size_bytes{ring=\"worker-0\",group=\"default\"} 1048576");
	has_line(t, "udpcapd_ring_used_bytes{ring=\"worker-0\",group=\"default\"} 262144");
	has_line(t, "udpcapd_ring_fill_ratio{ring=\"worker-0\",group=\"default\"} 0.250000");
	has_line(t, "udpcapd_ring_fill_ratio{ring=\"worker-1\",group=\"default\"} 0.000000");
	has_line(t, "udpcapd_ring_consumer_attached{ring=\"worker-0\",group=\"default\"} 1");
	has_line(t, "udpcapd_ring_consumer_attached{ring=\"worker-1\",group=\"default\"} 0");
	has_line(t, "udpcapd_ring_generation{ring=\"worker-0\",group=\"default\"} 3");
	has_line(t, "udpcapd_ring_resets_total{ring=\"worker-1\",group=\"default\"} 1");
	has_line(t, "udpcapd_tap_received_packets_total{tap=\"ids\",interface=\"udpcap0\"} 925");
	has_line(t, "udpcapd_tap_written_packets_total{tap=\"ids\",interface=\"udpcap0\"} 920");
	has_line(t,
		 "udpcapd_tap_dropped_packets_total{tap=\"ids\",interface=\"udpcap0\",reason=\"tap_full\"} 3");
	has_line(t,
		 "udpcapd_tap_dropped_packets_total{tap=\"ids\",interface=\"udpcap0\",reason=\"tap_not_ethernet\"} 2");
	has_line(t,
		 "udpcapd_tap_dropped_packets_total{tap=\"ids\",interface=\"udpcap0\",reason=\"tap_down\"} 0");
	has_line(t, "udpcapd_tap_up{tap=\"ids\",interface=\"udpcap0\"} 1");
	has_line(t, "udpcapd_tap_queues{tap=\"ids\",interface=\"udpcap0\"} 2");
	free(t);
	udpcapd_stats_free(&s);
}

/* Every sample's family was announced by one HELP and one TYPE line before it. */
static void test_families(void **state)
{
	char *t, *line, *save = NULL, fam[128] = "";
	struct udpcapd_stats s;
	int families = 0;

	(void)state;
	obs_fixture_fill(&s);
	t = render(&s);
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			assert_string_not_equal(name, fam); /* one HELP per family */
			snprintf(fam, sizeof(fam), "%s", name);
			families++;
			continue;
		}
		if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
			assert_string_equal(name, fam);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
			/* counters end in _total, as Prometheus wants */
			assert_true(strcmp(type, "counter") ||
				    !strcmp(name + strlen(name) - 6, "_total"));
			continue;
		}
		assert_int_equal(strncmp(line, fam, strlen(fam)), 0);
		assert_true(line[strlen(fam)] == '{' || line[strlen(fam)] == ' ');
		assert_int_equal(strncmp(line, "udpcapd_", 8), 0);
	}
	assert_int_equal(families, 27);
	free(t);
	udpcapd_stats_free(&s);
}

static void test_escaping(void **state)
{
	struct udpcapd_stats s;
	char *t;

	(void)state;
	obs_fixture_fill(&s);
	snprintf(s.listeners[1].name, sizeof(s.listeners[1].name), "a\"b\\c\nd");
	s.steering = "something-new";
	t = render(&s);
	has_line(t, "udpcapd_received_packets_total{listener=\"a\\\"b\\\\c\\nd\"} 10");
	/* an unknown mode in use still shows as the active one */
	has_line(t, "udpcapd_steering_mode{mode=\"something-new\"} 1");
	has_line(t, "udpcapd_steering_mode{mode=\"ebpf\"} 0");
	free(t);
	udpcapd_stats_free(&s);
}

static int promtool(const char *text)
{
	char path[] = "/tmp/udpcap-obs-metrics-XXXXXX";
	int fd, status;
	pid_t pid;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, 0);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_promtool(void **state)
{
	struct udpcapd_stats s;
	char *t;
	int r;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: promtool not installed (Debian package 'prometheus'); "
				"the page was not checked by promtool\n");
		skip();
	}
	obs_fixture_fill(&s);
	t = render(&s);
	r = promtool(t);
	if (r != 0)
		fprintf(stderr, "promtool rejected:\n%s\n", t);
	assert_int_equal(r, 0);
	free(t);
	udpcapd_stats_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_samples),
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
