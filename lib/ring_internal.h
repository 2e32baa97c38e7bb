/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap ring: shared-memory layout and helpers. Internal, do not include
 * from outside lib/ (and not installed): the layout is an ABI between
 * processes, specified in docs/ring-format.md, and every field below is
 * reached only through the __atomic builtins, so the public header stays
 * free of it.
 *
 * Contract: single producer, single consumer, in different processes.
 * prod and cons are free-running 64-bit byte counts (they never wrap in
 * practice: 2^64 bytes); the offset of a byte in the data area is
 * index & (capacity - 1), capacity a power of two. prod - cons is the
 * number of bytes in use: 0 = empty, capacity = full. Records are 8-byte
 * aligned and never straddle the end of the data area: a PAD record fills
 * the tail instead.
 *
 * Versions (docs/ring-format.md, "Versions"): a consumer accepts every
 * minor version of its major. A minor version may only give meaning to bytes
 * that were reserved (zero) before, or add record extensions; anything else
 * bumps UDPCAP_RING_VERSION_MAJOR. Every offset below is also in the
 * document's table, and tests/lib/ring/test_ring_layout.c holds the two equal.
 */
#ifndef UDPCAP_RING_INTERNAL_H
#define UDPCAP_RING_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <udpcap/ring.h>

#define UDPCAP_RING_MAGIC 0x474e495243504455ull /* "UDPCRING" in memory order */
#define UDPCAP_RING_VERSION_MAJOR 2u
#define UDPCAP_RING_VERSION_MINOR 2u /* what this producer writes */
#define UDPCAP_RING_HDR_SIZE 4096u	  /* data area starts here */
#define UDPCAP_RING_MIN_CAPACITY (1ull << 18) /* > two largest records */
#define UDPCAP_RING_MAX_CAPACITY (1ull << 40)
#define UDPCAP_RING_WAKE_SUFFIX ".wake"

/* Each group of fields written by one side sits on its own 128-byte block
 * (two cache lines: x86 prefetches pairs), so the sides never false-share. */
struct udpcap_ring_shm {
	/* 0: immutable after create (the producer writes it before rename). */
	uint64_t magic;
	struct {
		uint16_t major; /* a consumer refuses any other */
		uint16_t minor; /* additions a consumer may ignore */
	} version;
	uint32_t hdr_size;	/* UDPCAP_RING_HDR_SIZE */
	uint64_t capacity;	/* bytes of record space, power of two */
	uint32_t max_caplen;	/* UDPCAP_RING_MAX_CAPLEN */
	uint32_t generation;	/* random, different on every create */
	int32_t producer_pid;
	uint16_t linktype;	/* ring-level hint, 0 = mixed */
	uint16_t pad0;
	uint64_t create_time_ns; /* CLOCK_REALTIME at create */
	/* 2.1: who the producer is, beyond its pid (which the kernel reuses). */
	uint64_t producer_start; /* its start time, clock ticks after boot (/proc/PID/stat) */
	uint64_t producer_pidns; /* inode of its pid namespace (/proc/self/ns/pid) */
	uint8_t reserved0[128 - 64];

	/* 128: producer-written, informational counters (mirrored from the
	 * producer's private copies; never read back by the producer). */
	uint64_t written_packets;
	uint64_t written_bytes;
	uint64_t full_packets;
	uint64_t full_bytes;
	uint64_t upstream_drops;
	uint64_t resets;
	uint64_t reset_packets;
	uint32_t closed;	/* 1: producer is gone or replaced the ring */
	uint32_t pad1;
	uint8_t reserved1[128 - 64];

	/* 256: producer index. */
	uint64_t prod;
	uint8_t reserved2[128 - 8];

	/* 384: consumer index (the producer writes it only on a reset). */
	uint64_t cons;
	uint8_t reserved3[128 - 8];

	/* 512: consumer wake-up flag and identity, written by the consumer
	 * rarely (once per sleep / attach), read by the producer per publish. */
	uint32_t sleeping;
	int32_t consumer_pid;
	uint8_t reserved4[128 - 8];

	/* 640 .. UDPCAP_RING_HDR_SIZE: reserved, zero. */
};

static_assert(offsetof(struct udpcap_ring_shm, version.major) == 8, "layout");
static_assert(offsetof(struct udpcap_ring_shm, version.minor) == 10, "layout");
static_assert(offsetof(struct udpcap_ring_shm, capacity) == 16, "layout");
static_assert(offsetof(struct udpcap_ring_shm, generation) == 28, "layout");
static_assert(offsetof(struct udpcap_ring_shm, producer_pid) == 32, "layout");
static_assert(offsetof(struct udpcap_ring_shm, create_time_ns) == 40, "layout");
static_assert(offsetof(struct udpcap_ring_shm, producer_start) == 48, "layout");
static_assert(offsetof(struct udpcap_ring_shm, producer_pidns) == 56, "layout");
static_assert(offsetof(struct udpcap_ring_shm, written_packets) == 128, "layout");
static_assert(offsetof(struct udpcap_ring_shm, reset_packets) == 176, "layout");
static_assert(offsetof(struct udpcap_ring_shm, closed) == 184, "layout");
static_assert(offsetof(struct udpcap_ring_shm, prod) == 256, "layout");
static_assert(offsetof(struct udpcap_ring_shm, cons) == 384, "layout");
static_assert(offsetof(struct udpcap_ring_shm, sleeping) == 512, "layout");
static_assert(offsetof(struct udpcap_ring_shm, consumer_pid) == 516, "layout");
static_assert(sizeof(struct udpcap_ring_shm) == 640, "layout");
static_assert(sizeof(struct udpcap_ring_shm) <= UDPCAP_RING_HDR_SIZE, "layout");

#define UDPCAP_REC_PKT 0x50u /* 'P' */
#define UDPCAP_REC_PAD 0x5au /* 'Z' */

/*
 * Record header. len is the whole record: header, data rounded up to 8,
 * then extensions (at most UDPCAP_REC_EXT_MAX bytes; a consumer skips the
 * ones it does not know). A PAD record carries only len and type and runs
 * to the end of the data area. meta follows the public struct
 * udpcap_pkt_meta byte for byte.
 */
struct udpcap_ring_rec {
	uint32_t len;
	uint16_t type;	/* UDPCAP_REC_* */
	uint16_t rsv;	/* zero */
	struct udpcap_pkt_meta meta;
};

static_assert(sizeof(struct udpcap_pkt_meta) == 32, "layout");
static_assert(offsetof(struct udpcap_pkt_meta, caplen) == 8, "layout");
static_assert(offsetof(struct udpcap_pkt_meta, linktype) == 16, "layout");
static_assert(offsetof(struct udpcap_pkt_meta, vxlan_vni) == 20, "layout");
static_assert(offsetof(struct udpcap_pkt_meta, reserved) == 28, "layout");
static_assert(offsetof(struct udpcap_ring_rec, meta) == 8, "layout");
static_assert(sizeof(struct udpcap_ring_rec) == 40, "layout");
static_assert(sizeof(struct udpcap_ring_rec) + UDPCAP_RING_MAX_CAPLEN + 7 <=
		      UDPCAP_RING_MIN_CAPACITY / 2, "a maximal record fits twice");

#define UDPCAP_REC_HDR ((uint32_t)sizeof(struct udpcap_ring_rec))
#define UDPCAP_PAD_HDR 8u

/*
 * Record extension: after the packet data (padded to 8) come zero or more
 * of these, each padded to 8, filling the record to len. Types are only
 * ever added (with a minor version); a consumer skips unknown ones.
 */
struct udpcap_rec_ext {
	uint16_t type; /* UDPCAP_EXT_* */
	uint16_t len;  /* bytes of value that follow */
};

#define UDPCAP_REC_EXT_MAX 4096u /* bytes of extensions in one record */

/* 2.2: the GENEVE options (TLVs) of the header the producer removed, as on the wire. */
#define UDPCAP_EXT_GENEVE_OPTS 1u
#define UDPCAP_EXT_HDR ((uint32_t)sizeof(struct udpcap_rec_ext))

static_assert(sizeof(struct udpcap_rec_ext) == 4, "layout");
static_assert(sizeof(struct udpcap_ring_rec) + UDPCAP_RING_MAX_CAPLEN + 7 + UDPCAP_REC_EXT_MAX <=
		      UDPCAP_RING_MIN_CAPACITY / 2, "a maximal record with extensions fits twice");

static inline uint32_t udpcap_ext_len(uint32_t value_len)
{
	return (UDPCAP_EXT_HDR + value_len + 7u) & ~7u;
}

static inline uint32_t udpcap_rec_len(uint32_t caplen)
{
	return (UDPCAP_REC_HDR + caplen + 7u) & ~7u;
}

/* Plain-integer access to shared fields through the __atomic builtins. */
#define shm_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define shm_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define shm_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define shm_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define shm_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* ring_file.c: paths, locks, header validation shared by both sides. */
int ring_path(const char *ring, const char *dir, char **ret_path);
int ring_wake_path(const char *ring_path, char **ret_path);
int ring_check_header(const struct udpcap_ring_shm *h, uint64_t file_size);
int ring_map_header(const char *path, int *ret_fd, const struct udpcap_ring_shm **ret_h);
/* pid of the live consumer holding the ring open on @fd, 0 if none. */
pid_t ring_lock_holder(int fd, const struct udpcap_ring_shm *h);
uint32_t ring_new_generation(uint32_t avoid);
/* Start time of process @pid in clock ticks after boot; 0 and *@ret_dead
 * when it is gone or a zombie; -errno when /proc cannot tell. */
int ring_proc_start(pid_t pid, uint64_t *ret_start, bool *ret_dead);
/* Inode of our pid namespace, 0 if unknown. */
uint64_t ring_pidns(void);
/* Does the producer of @h live? 1 yes, 0 no (*@ret_pid says which pid),
 * -EXDEV: another pid namespace; -ENODATA: the ring predates 2.1. */
int ring_producer_alive(const struct udpcap_ring_shm *h, pid_t *ret_pid);

/* ring.c (hidden): write a packet record carrying one extension of @type.
 * 0, -ENOBUFS (ring full, counted) or -EINVAL. */
int ring_write_ext(struct udpcap_ring *r, const struct udpcap_pkt_meta *meta, const void *data,
		   uint16_t type, const void *ext, uint16_t ext_len);

/* For tests and fuzzers (hidden): where the consumer mapped the data area. */
const uint8_t *ring_consumer_data(const struct udpcap_consumer *c, uint64_t *ret_capacity);

/* Byte ranges of the consumer lock in the ring file (see ring-format.md). */
#define UDPCAP_LOCK_EXCL_START 0  /* OFD lock: exclusivity, survives close() of other fds */
#define UDPCAP_LOCK_PID_START 1	  /* POSIX lock: names the holder's pid via F_GETLK */

#endif /* UDPCAP_RING_INTERNAL_H */
