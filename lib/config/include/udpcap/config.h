/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap: udpcapd.conf (INI) parsing and validation.
 *
 * One row per key (lib/config/config_keys.c); every error is reported as "FILE:LINE: what
 * is wrong" through a caller-supplied callback (the library never prints),
 * and parsing goes on so that all errors are shown at once. Unknown
 * sections and keys are errors, with the nearest keyword suggested.
 */
#ifndef UDPCAP_CONFIG_H
#define UDPCAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <udpcap/common.h>
#include <udpcap/decap.h>

UDPCAP_BEGIN_DECLS

#define UDPCAP_CONFIG_MAX_LISTENERS 64
#define UDPCAP_CONFIG_MAX_RINGS 256
#define UDPCAP_CONFIG_MAX_RING_GROUPS 8
#define UDPCAP_CONFIG_MAX_TAPS 8
#define UDPCAP_CONFIG_MAX_ALLOW 256
#define UDPCAP_CONFIG_MAX_VNI 1024
#define UDPCAP_CONFIG_MAX_CPUS 1024

enum udpcap_backend {
	UDPCAP_BACKEND_RECVMMSG = 0,
	UDPCAP_BACKEND_IO_URING,
};

enum udpcap_steering {
	UDPCAP_STEERING_AUTO = 0,
	UDPCAP_STEERING_EBPF,
	UDPCAP_STEERING_CBPF,
	UDPCAP_STEERING_KERNEL,
};

struct udpcap_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

struct udpcap_config_listener {
	char name[64];			  /* from "[listener NAME]" */
	struct sockaddr_storage addr;	  /* listen = */
	socklen_t addr_len;
	struct udpcap_encap encap;	  /* encap = + dlt = */
	struct udpcap_cidr *allow;	  /* allow = ; NULL/0 = any */
	size_t allow_count;
	uint32_t *vni;			  /* vni = ; sorted; NULL/0 = any */
	size_t vni_count;
	unsigned line;			  /* where the section starts */
};

/*
 * A [rings NAME] section: another group of rings on the same traffic. Every
 * delivered packet also goes into one ring of each group, chosen by the same
 * flow hash modulo the group's count.
 */
struct udpcap_config_ring_group {
	char name[32];	/* NAME */
	unsigned count; /* default 1 */
	uint64_t size;	/* bytes; default [rings] size */
	char *group;	/* NULL = [rings] group */
	char *pattern;	/* name =, one %d; default NAME-%d */
	unsigned line;	/* where the section starts */
};

/*
 * A [tap NAME] section: every delivered packet is also written, as an
 * Ethernet frame, to a TAP device that exists beforehand (one queue per
 * receiver thread), for tools that read an interface.
 */
struct udpcap_config_tap {
	char name[32];	 /* NAME */
	char *interface; /* interface =: an existing multi_queue TAP; required */
	unsigned line;	 /* where the section starts */
};

struct udpcap_config {
	char *path;

	struct {
		unsigned count;		/* default 4 */
		uint64_t size;		/* bytes, default 64M */
		char *dir;		/* default /dev/shm/udpcapd */
		char *group;		/* NULL = the daemon's own group */
		char *name;		/* printf pattern with one %d, default worker-%d */
	} rings;

	struct {
		enum udpcap_backend backend;
		unsigned batch;		/* default 64 */
		uint64_t rcvbuf;	/* bytes, default 16M */
		unsigned threads;	/* 0 = min(rings, CPUs) */
		int *cpus;		/* CPU list for pinning; NULL/0 = none */
		size_t cpu_count;
		unsigned coalesce_us;	/* after a short batch, wait this long; default 200, 0 = off */
	} receive;

	struct {
		enum udpcap_steering mode;
		enum udpcap_hash_mode hash;
	} steering;

	struct udpcap_config_listener *listeners;
	size_t listener_count;

	struct {
		char *socket;		/* default /run/udpcapd/control.sock */
		char *group;		/* NULL = the daemon's own group */
		mode_t mode;		/* default 0660 */
	} control;

	struct {
		char *listen;		/* "ADDR:PORT"; NULL or "" = off */
	} metrics;

	struct {
		char *level;		/* error|warning|notice|info|debug, default info */
	} log;

	struct {
		bool require_consumers;	/* /readyz wants a consumer on every ring; default no */
		unsigned max_dropping_ms; /* /readyz fails after a ring drops this long; 0 = off */
	} health;

	struct {
		unsigned window_us;	/* duplicates within this window are dropped; 0 = off */
		unsigned ring_pps;	/* rate one ring's table is sized for; default 1000000 */
	} dedup;

	struct udpcap_config_ring_group *ring_groups; /* [rings NAME] sections */
	size_t ring_group_count;

	struct udpcap_config_tap *taps; /* [tap NAME] sections */
	size_t tap_count;
};

/* Receives each error message, already formatted as "FILE:LINE: what", and
 * each notice (accepted, but worth saying) as "FILE:LINE: notice: what". */
typedef void (*udpcap_config_error_fn)(void *ctx, const char *message);

/*
 * udpcap_config__load - parse and validate FILE. Returns 0 and a config to
 * free with udpcap_config__free(), or -EINVAL after reporting every error
 * through @on_error, or -errno if the file cannot be read (also reported).
 */
int udpcap_config__load(const char *path, udpcap_config_error_fn on_error, void *ctx,
			struct udpcap_config **ret_config);

/* The same from a string (tests, fuzzing); @name is used in messages. */
int udpcap_config__parse(const char *name, const char *text, udpcap_config_error_fn on_error,
			 void *ctx, struct udpcap_config **ret_config);

/* NULL ok. */
void udpcap_config__free(struct udpcap_config *config);

/* Receives each key that differs, as "[rings] count" or "[listener NAME] vni",
 * and whether a reload may change it. */
typedef void (*udpcap_config_change_fn)(void *ctx, const char *key, bool reloadable);

/*
 * udpcap_config__diff - compare every key of @old and @new (what SIGHUP
 * does), calling @fn for each one that differs. Instances of named sections
 * are matched by name; one added or removed is a change no reload makes.
 * Returns the number of changes a reload cannot apply.
 */
unsigned udpcap_config__diff(const struct udpcap_config *old, const struct udpcap_config *new,
			     udpcap_config_change_fn fn, void *ctx);

/* One key of udpcapd.conf, as its row in the parser's table describes it. */
struct udpcap_config_key_info {
	const char *section;	   /* "rings", "listener NAME" */
	const char *name;	   /* "count" */
	const char *default_value; /* as the file spells it; NULL: none or derived */
	const char *doc;	   /* one line */
	bool reloadable;	   /* SIGHUP applies a change */
};

/* The @i-th key (from 0) in @ret_info; -ENOENT past the last. */
int udpcap_config__key(size_t i, struct udpcap_config_key_info *ret_info);

/* Helpers shared by the config and the command-line tools. */
int udpcap_parse_size(const char *text, uint64_t *ret_bytes); /* "64M" */
int udpcap_parse_sockaddr(const char *text, struct sockaddr_storage *ret_addr,
			  socklen_t *ret_len); /* "[::]:6081" */
int udpcap_parse_cidr(const char *text, struct udpcap_cidr *ret_cidr);
bool udpcap_cidr_match(const struct udpcap_cidr *cidr, const struct sockaddr *addr);
int udpcap_parse_encap(const char *text, struct udpcap_encap *ret_encap); /* "skip=16" */
int udpcap_parse_linktype(const char *text, uint16_t *ret_linktype);	  /* "en10mb" */
const char *udpcap_linktype_name(uint16_t linktype);
const char *udpcap_encap_name(enum udpcap_encap_type type);

UDPCAP_END_DECLS

#endif /* UDPCAP_CONFIG_H */
