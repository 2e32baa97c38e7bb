/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the Prometheus endpoint. libmicrohttpd serves GET /metrics from
 * its own polling thread on [metrics] listen (default 127.0.0.1:9754); each
 * scrape renders a fresh lock-free snapshot (udpcapd_stats_collect), so
 * scraping never touches the receive path. GET /healthz and /readyz answer
 * load balancers and probes (health.c). Other paths are 404, other
 * methods 405. We bind the socket ourselves so a bad address or a port in
 * use is reported with its errno instead of MHD's bare NULL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "control_prom.h"
#include "health.h"
#include "log.h"
#include "stats.h"

/* Bounds on what HTTP clients can make us hold. */
#define METRICS_MAX_CONNECTIONS 16
#define METRICS_TIMEOUT_S 10

struct udpcapd_metrics {
	struct udpcapd *d;
	struct MHD_Daemon *mhd;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return reply(conn, status, "text/plain; charset=utf-8", (void *)msg, strlen(msg),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct udpcapd_metrics *m = cls;
	struct udpcapd_stats snap;
	size_t len;
	char *text;
	int r;

	(void)version, (void)upload_data;
	/* A request body is never wanted: refuse instead of buffering it. */
	if (*upload_data_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz")) {
		r = udpcapd_health_answer(m->d, url[1] == 'r', &text, &len);
		if (r < 0)
			return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		return reply(conn, (unsigned)r, "application/json", text, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND,
				  "not found; try /metrics, /healthz or /readyz\n");
	(void)req_cls;

	r = udpcapd_stats_collect(m->d, &snap);
	if (r < 0)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot collect stats\n");
	r = udpcapd_metrics_render(&snap, &text, &len);
	udpcapd_stats_free(&snap);
	if (r < 0)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(conn, MHD_HTTP_OK, UDPCAPD_METRICS_CONTENT_TYPE, text, len,
		     MHD_RESPMEM_MUST_FREE);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics: %s", msg);
}

/* "ADDR:PORT" the socket is bound to: the real port when the config said 0. */
static const char *bound_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	const void *addr;
	unsigned port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return "?";
	if (ss.ss_family == AF_INET6) {
		addr = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		addr = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	if (!inet_ntop(ss.ss_family, addr, host, sizeof(host)))
		return "?";
	snprintf(buf, size, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
	return buf;
}

/* A bound, listening, CLOEXEC TCP socket on @listen ("ADDR:PORT"), or -errno. */
static int listen_on(const char *listen_addr)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd, one = 1, r;

	r = udpcap_parse_sockaddr(listen_addr, &addr, &addr_len);
	if (r < 0) {
		log_error("metrics: listen = %s: not an ADDR:PORT", listen_addr);
		return r;
	}
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		log_error("metrics: socket: %s", strerror(-r));
		return r;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, addr_len) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		log_error("metrics: cannot listen on %s: %s", listen_addr, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

int udpcapd_metrics_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_metrics **ret)
{
	const char *listen_addr = config->metrics.listen;
	struct udpcapd_metrics *m;
	char name[INET6_ADDRSTRLEN + 16];
	sigset_t all, old;
	int fd;

	if (!listen_addr || !listen_addr[0]) {
		log_info("metrics: disabled ([metrics] listen is empty)");
		*ret = NULL;
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->d = d;
	fd = listen_on(listen_addr);
	if (fd < 0) {
		free(m);
		return fd;
	}

	/* MHD's thread inherits our mask: keep signals for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	m->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  on_request, m, MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->mhd) {
		/* MHD may or may not have closed fd on this path; leaking one is safer. */
		log_error("metrics: cannot start the HTTP server on %s", listen_addr);
		free(m);
		return -EIO;
	}
	log_info("metrics: serving http://%s/metrics", bound_name(fd, name, sizeof(name)));
	*ret = m;
	return 0;
}

void udpcapd_metrics_stop(struct udpcapd_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd); /* joins its thread, closes the listening socket */
	free(m);
}
