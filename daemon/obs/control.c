/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udpcapd: the control socket (protocol in docs/control-protocol.md).
 *
 * A Unix stream socket served by one thread with poll(): every client
 * socket is non-blocking, so a slow or silent client costs a slot, never
 * the daemon's time. What a client can make us hold is capped: at most
 * CONTROL_MAX_CLIENTS connections, CONTROL_MAX_REQUEST bytes of pending
 * request, one reply in flight per client, and CONTROL_TIMEOUT_MS to send
 * a complete request or to take the reply. Replies render a lock-free
 * snapshot (udpcapd_stats_collect), never the hot path's structures.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "udpcap-build.h"
#include "control.h"
#include "control_prom.h"
#include "log.h"
#include "stats.h"
#include "stats_json.h"
#include "util.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_MAX_REQUEST 4096 /* bytes of one request line, newline included */
/* a variable only so that tests can make the limit short enough to test */
unsigned udpcapd_control_timeout_ms = 10000;
#define CONTROL_LINGER_MS 1000 /* draining a refused client before close */
#define CONTROL_PROTOCOL 1

struct control_client {
	int fd;
	bool eof;     /* the client shut down its sending side */
	bool discard; /* refused: reply sent, input drained until EOF, then close */
	size_t in_len;
	char in[CONTROL_MAX_REQUEST];
	char *out; /* reply being sent, or NULL */
	size_t out_len, out_off;
	uint64_t deadline_ms; /* for the next request, or for taking the reply */
};

struct udpcapd_control {
	struct udpcapd *d;
	char *path;
	dev_t dev; /* of our socket file: unlink only if it is still ours */
	ino_t ino;
	int listen_fd;
	int stop_fd;
	pthread_t thread;
	bool running; /* thread started (udpcapd_control_run) */
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

static uint64_t now_ms(void)
{
	return udpcap_now_ns(CLOCK_MONOTONIC) / 1000000u;
}

/* ------------------------------------------------------------ requests */

static struct json_object *error_reply(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct json_object *error_reply(const char *code, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[256];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

static struct json_object *version_reply(void)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "version", json_object_new_string(UDPCAP_VERSION));
	json_object_object_add(o, "protocol", json_object_new_int(CONTROL_PROTOCOL));
	json_object_object_add(o, "schema", json_object_new_int(UDPCAPD_CONTROL_SCHEMA));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	return o;
}

/* "stats" and "rings": render a snapshot, optionally of one ring. */
static struct json_object *snapshot_reply(struct udpcapd_control *c, const char *cmd,
					  const char *ring)
{
	struct json_object *o = NULL;
	struct udpcapd_stats snap;
	int r;

	r = udpcapd_stats_collect(c->d, &snap);
	if (r < 0)
		return error_reply("internal", "cannot collect stats: %s", strerror(-r));
	if (!strcmp(cmd, "stats"))
		r = udpcapd_stats_json(&snap, ring, &o);
	else
		r = udpcapd_rings_json(&snap, ring, &o);
	udpcapd_stats_free(&snap);
	if (r == -ENOENT)
		return error_reply("unknown_ring", "no ring named '%s'", ring);
	if (r < 0)
		return error_reply("internal", "%s", strerror(-r));
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	return o;
}

/* "metrics": the Prometheus page as a string, for clients without HTTP. */
static struct json_object *metrics_reply(struct udpcapd_control *c)
{
	struct udpcapd_stats snap;
	struct json_object *o;
	size_t len;
	char *text;
	int r;

	r = udpcapd_stats_collect(c->d, &snap);
	if (r < 0)
		return error_reply("internal", "cannot collect stats: %s", strerror(-r));
	r = udpcapd_metrics_render(&snap, &text, &len);
	udpcapd_stats_free(&snap);
	if (r < 0)
		return error_reply("internal", "%s", strerror(-r));
	o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "ok", json_object_new_boolean(true));
		json_object_object_add(o, "metrics", json_object_new_string_len(text, (int)len));
	}
	free(text);
	return o;
}

static struct json_object *handle_request(struct udpcapd_control *c, const char *line, size_t len)
{
	struct json_object *req, *v, *reply;
	const char *cmd, *ring = NULL;
	enum json_tokener_error jerr;
	struct json_tokener *tok;

	tok = json_tokener_new_ex(8); /* requests are flat: bound the parser's depth */
	if (!tok)
		return NULL;
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (req && jerr == json_tokener_success && json_tokener_get_parse_end(tok) < len &&
	    strspn(line + json_tokener_get_parse_end(tok), " \t\r") !=
		len - json_tokener_get_parse_end(tok))
		jerr = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return error_reply("bad_request", "a request is one JSON object per line: %s",
				   jerr == json_tokener_success	   ? "not an object"
				   : jerr == json_tokener_continue ? "incomplete JSON"
								   : json_tokener_error_desc(jerr));
	}
	if (!json_object_object_get_ex(req, "cmd", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		reply = error_reply("bad_request", "missing \"cmd\" string");
		goto out;
	}
	cmd = json_object_get_string(v);
	if (json_object_object_get_ex(req, "ring", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			reply = error_reply("bad_request", "\"ring\" must be a string");
			goto out;
		}
		ring = json_object_get_string(v);
	}
	if (!strcmp(cmd, "version"))
		reply = version_reply();
	else if (!strcmp(cmd, "stats") || !strcmp(cmd, "rings"))
		reply = snapshot_reply(c, cmd, ring);
	else if (!strcmp(cmd, "metrics"))
		reply = metrics_reply(c);
	else
		reply = error_reply("unknown_command",
				    "unknown cmd '%.64s' (version, stats, rings, metrics)", cmd);
out:
	json_object_put(req);
	return reply;
}

/* ------------------------------------------------------------- clients */

static void client_close(struct control_client *cl)
{
	if (cl->fd < 0)
		return;
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* Queue @reply (consumed) as one line. false when it cannot be rendered. */
static bool client_queue(struct control_client *cl, struct json_object *reply)
{
	const char *text;
	size_t len;

	if (!reply)
		reply = error_reply("internal", "out of memory");
	if (!reply)
		return false;
	text = json_object_to_json_string_length(
	    reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	cl->out = text ? malloc(len + 1) : NULL;
	if (cl->out) {
		memcpy(cl->out, text, len);
		cl->out[len] = '\n';
		cl->out_len = len + 1;
		cl->out_off = 0;
	}
	json_object_put(reply);
	return cl->out != NULL;
}

/* Send what the socket takes. false when the client is gone. */
static bool client_flush(struct control_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		cl->out_off += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->deadline_ms = now_ms() + udpcapd_control_timeout_ms;
	return true;
}

/* Answer the first complete request in the input buffer, if any. */
static bool client_process(struct udpcapd_control *c, struct control_client *cl)
{
	char *nl = memchr(cl->in, '\n', cl->in_len);
	size_t line_len;

	if (!nl && !(cl->eof && cl->in_len))
		return true;
	line_len = nl ? (size_t)(nl - cl->in) : cl->in_len;
	if (!client_queue(cl, handle_request(c, cl->in, line_len)))
		return false;
	line_len = nl ? line_len + 1 : line_len;
	memmove(cl->in, cl->in + line_len, cl->in_len - line_len);
	cl->in_len -= line_len;
	cl->deadline_ms = now_ms() + udpcapd_control_timeout_ms;
	return client_flush(cl);
}

/* Answer buffered requests until one reply is left pending (the client reads slowly). */
static bool client_process_all(struct udpcapd_control *c, struct control_client *cl)
{
	while (!cl->out && !cl->discard && cl->in_len) {
		size_t before = cl->in_len;

		if (!client_process(c, cl))
			return false;
		if (cl->in_len == before)
			break; /* no complete request yet */
	}
	return true;
}

/* Read what is there. false when the client must be dropped. */
static bool client_read(struct udpcapd_control *c, struct control_client *cl)
{
	ssize_t n;

	if (cl->discard) {
		n = recv(cl->fd, cl->in, sizeof(cl->in), MSG_DONTWAIT);
		return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
	}
	if (cl->in_len == sizeof(cl->in)) {
		/*
		 * No newline within the cap: say so and hang up. Closing with
		 * unread input would make the kernel reset the connection and
		 * lose the reply, so drain first, briefly.
		 */
		if (!client_queue(cl, error_reply("request_too_long",
						  "a request line is at most %d bytes",
						  CONTROL_MAX_REQUEST)) ||
		    !client_flush(cl))
			return false;
		shutdown(cl->fd, SHUT_WR);
		cl->discard = true;
		cl->in_len = 0;
		cl->deadline_ms = now_ms() + CONTROL_LINGER_MS;
		return true;
	}
	n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		cl->eof = true;
	cl->in_len += (size_t)n;
	return true;
}

/* One poll() event of a client; false to drop it. */
static bool client_event(struct udpcapd_control *c, struct control_client *cl, short revents)
{
	if (revents & (POLLERR | POLLNVAL))
		return false;
	if (cl->out)
		return client_flush(cl) && !(revents & POLLHUP && cl->out);
	if (revents & (POLLIN | POLLHUP)) {
		if (!client_read(c, cl))
			return false;
		if (!cl->discard && cl->in_len == sizeof(cl->in) &&
		    !memchr(cl->in, '\n', cl->in_len))
			return client_read(c, cl); /* too long: reply, then drain */
	}
	return true;
}

static void accept_clients(struct udpcapd_control *c)
{
	for (;;) {
		struct control_client *cl = NULL;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning("control: accept: %s", strerror(errno));
			return;
		}
		for (size_t i = 0; i < CONTROL_MAX_CLIENTS && !cl; i++)
			if (c->clients[i].fd < 0)
				cl = &c->clients[i];
		if (!cl) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too_many_clients\","
						   "\"message\":\"too many control clients\"}\n";
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			log_debug("control: client refused, %d already connected",
				  CONTROL_MAX_CLIENTS);
			continue;
		}
		cl->fd = fd;
		cl->deadline_ms = now_ms() + udpcapd_control_timeout_ms;
	}
}

static void *control_thread(void *arg)
{
	struct udpcapd_control *c = arg;
	struct pollfd pfd[2 + CONTROL_MAX_CLIENTS];
	struct control_client *polled[CONTROL_MAX_CLIENTS];

	for (;;) {
		uint64_t now = now_ms(), next = UINT64_MAX;
		size_t n = 2;
		int timeout, r;

		pfd[0] = (struct pollfd){.fd = c->stop_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct control_client *cl = &c->clients[i];

			if (cl->fd < 0)
				continue;
			/* pipelined requests already buffered, or a last unterminated one */
			if (!client_process_all(c, cl)) {
				client_close(cl);
				continue;
			}
			if (cl->deadline_ms <= now || (cl->eof && !cl->out && !cl->in_len)) {
				client_close(cl);
				continue;
			}
			next = cl->deadline_ms < next ? cl->deadline_ms : next;
			polled[n - 2] = cl;
			pfd[n++] = (struct pollfd){
			    .fd = cl->fd,
			    .events = cl->out ? POLLOUT : POLLIN,
			};
		}
		timeout = next == UINT64_MAX ? -1 : (int)(next - now);
		r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("control: poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (pfd[0].revents)
			break;
		for (size_t i = 2; i < n; i++)
			if (pfd[i].revents && !client_event(c, polled[i - 2], pfd[i].revents))
				client_close(polled[i - 2]);
		if (pfd[1].revents)
			accept_clients(c);
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_close(&c->clients[i]);
	return NULL;
}

/* ------------------------------------------------------------ the socket */

/* mkdir -p the directory part of @path, for group @gid. */
static int make_parent_dirs(const char *path, gid_t gid)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return udpcapd_mkdir_p(dir, gid);
}

/* A socket file at @path: remove it if nobody answers, -EADDRINUSE if someone does. */
static int remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	/* non-blocking: a live daemon with a full backlog answers EAGAIN, not a hang */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? errno : 0;
	close(fd);
	if (r == 0 || r == EAGAIN)
		return -EADDRINUSE;
	if (r != ECONNREFUSED)
		return -r;
	return unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

static int bind_socket(struct udpcapd_control *c, mode_t mode, gid_t gid)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		log_error("control: socket path too long (max %zu bytes): %s",
			  sizeof(sa.sun_path) - 1, c->path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->path);
	r = make_parent_dirs(c->path, gid);
	if (r < 0) {
		log_error("control: cannot create the directory of %s: %s", c->path, strerror(-r));
		return r;
	}
	r = remove_stale(&sa);
	if (r == -EADDRINUSE)
		log_error("control: %s: another udpcapd is answering on it", c->path);
	else if (r == -EEXIST)
		log_error("control: %s exists and is not a socket", c->path);
	else if (r < 0)
		log_error("control: %s: %s", c->path, strerror(-r));
	if (r < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Linux creates the socket file with the socket inode's mode (minus
	 * umask): restricting it before bind() leaves no window in which the
	 * file is more open than @mode. chmod() afterwards restores the bits
	 * the umask took.
	 */
	if (fchmod(fd, mode) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		log_error("control: bind %s: %s", c->path, strerror(-r));
		goto fail;
	}
	if (gid != (gid_t)-1 && lchown(c->path, (uid_t)-1, gid) < 0) {
		r = -errno;
		/* without CAP_CHOWN only a group the daemon's user belongs to works */
		log_error("control: cannot give %s to group %u: %s%s", c->path, (unsigned)gid,
			  strerror(-r),
			  r == -EPERM ? " (the daemon's user must be a member of [control] group)"
				      : "");
		unlink(c->path);
		goto fail;
	}
	if (chmod(c->path, mode) < 0 || lstat(c->path, &st) < 0) {
		r = -errno;
		log_error("control: cannot set the mode of %s: %s", c->path, strerror(-r));
		unlink(c->path);
		goto fail;
	}
	if (listen(fd, CONTROL_MAX_CLIENTS) < 0) {
		r = -errno;
		unlink(c->path);
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->listen_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int udpcapd_control_open(struct udpcapd *d, const struct udpcap_config *config,
			 struct udpcapd_control **ret)
{
	const char *path = config->control.socket;
	gid_t gid = (gid_t)-1;
	struct udpcapd_control *c;
	int r;

	if (!path || !path[0])
		path = UDPCAP_DEFAULT_CONTROL_SOCKET;
	if (config->control.group && config->control.group[0] &&
	    udpcapd_group_lookup(config->control.group, &gid) < 0) {
		log_error("control: group '%s' ([control] group) does not exist",
			  config->control.group);
		return -ENOENT;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->listen_fd = c->stop_fd = -1;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->path = strdup(path);
	if (!c->path) {
		r = -ENOMEM;
		goto fail;
	}
	r = bind_socket(c, config->control.mode ? config->control.mode : 0660, gid);
	if (r < 0)
		goto fail;
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0) {
		r = -errno;
		goto fail_unlink;
	}
	*ret = c;
	return 0;
fail_unlink:
	unlink(c->path);
fail:
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	free(c->path);
	free(c);
	return r;
}

int udpcapd_control_run(struct udpcapd_control *c)
{
	sigset_t all, old;
	int r;

	/* the thread inherits our mask: leave signals to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&c->thread, NULL, control_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		log_error("control: cannot start its thread: %s", strerror(-r));
		return r;
	}
	c->running = true;
	log_info("control: listening on %s", c->path);
	return 0;
}

int udpcapd_control_start(struct udpcapd *d, const struct udpcap_config *config,
			  struct udpcapd_control **ret)
{
	struct udpcapd_control *c = NULL;
	int r;

	r = udpcapd_control_open(d, config, &c);
	if (r < 0)
		return r;
	r = udpcapd_control_run(c);
	if (r < 0) {
		udpcapd_control_stop(c);
		return r;
	}
	*ret = c;
	return 0;
}

void udpcapd_control_stop(struct udpcapd_control *c)
{
	uint64_t one = 1;
	struct stat st;

	if (!c)
		return;
	if (c->running) {
		(void)!write(c->stop_fd, &one, sizeof(one));
		pthread_join(c->thread, NULL);
	}
	/* a successor daemon may already have replaced the file: leave that one */
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	close(c->listen_fd);
	close(c->stop_fd);
	free(c->path);
	free(c);
}
