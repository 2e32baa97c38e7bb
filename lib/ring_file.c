/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libudpcap ring: what the producer, the consumer and inspection share —
 * ring paths, header validation, the consumer lock query, and
 * udpcap_ring_info().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ring_internal.h"

int ring_path(const char *ring, const char *dir, char **ret_path)
{
	char *p;

	if (!ring || !*ring)
		return -EINVAL;
	if (strchr(ring, '/')) {
		p = strdup(ring);
	} else {
		if (!dir || !*dir)
			dir = UDPCAP_DEFAULT_RING_DIR_STR;
		if (asprintf(&p, "%s/%s", dir, ring) < 0)
			p = NULL;
	}
	if (!p)
		return -ENOMEM;
	*ret_path = p;
	return 0;
}

int ring_wake_path(const char *ring_path, char **ret_path)
{
	char *p;

	if (asprintf(&p, "%s" UDPCAP_RING_WAKE_SUFFIX, ring_path) < 0)
		return -ENOMEM;
	*ret_path = p;
	return 0;
}

/*
 * Validate the immutable part of a header against the file it came from.
 * -EBADMSG: not a ring (or torn/corrupt); -EPROTO: another major version.
 * Any minor version of our major is accepted: a newer producer only gave
 * meaning to bytes we treat as reserved, or added record extensions we skip.
 */
int ring_check_header(const struct udpcap_ring_shm *h, uint64_t file_size)
{
	uint64_t cap;

	if (file_size < UDPCAP_RING_HDR_SIZE || h->magic != UDPCAP_RING_MAGIC)
		return -EBADMSG;
	if (h->version.major != UDPCAP_RING_VERSION_MAJOR)
		return -EPROTO;
	cap = h->capacity;
	if (h->hdr_size != UDPCAP_RING_HDR_SIZE || cap < UDPCAP_RING_MIN_CAPACITY ||
	    cap > UDPCAP_RING_MAX_CAPACITY || (cap & (cap - 1)) ||
	    file_size != UDPCAP_RING_HDR_SIZE + cap || h->max_caplen != UDPCAP_RING_MAX_CAPLEN)
		return -EBADMSG;
	return 0;
}

/*
 * The consumer holds an open-file-description lock on byte 0 (exclusive even
 * between two consumers of one process, and not dropped when the process
 * closes some other descriptor of the file) and a classic POSIX lock on byte
 * 1, only so F_GETLK can name its pid (the kernel reports l_pid = -1 for OFD
 * locks). The POSIX lock can vanish if the holder closes another descriptor
 * of the file; then the pid the consumer wrote into the header stands in.
 */
pid_t ring_lock_holder(int fd, const struct udpcap_ring_shm *h)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = UDPCAP_LOCK_EXCL_START,
		.l_len = 1,
	};
	pid_t pid;

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	fl = (struct flock){
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = UDPCAP_LOCK_PID_START,
		.l_len = 1,
	};
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		return fl.l_pid;
	/* Relaxed: an informational value the consumer wrote at attach. */
	pid = h ? shm_load_relaxed(&h->consumer_pid) : 0;
	return pid > 0 ? pid : 0;
}

uint64_t ring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Random, non-zero, and different from the ring it replaces. */
uint32_t ring_new_generation(uint32_t avoid)
{
	uint32_t g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != sizeof(g))
		g = (uint32_t)ring_now_ns() ^ ((uint32_t)getpid() << 16);
	if (g == 0 || g == avoid)
		g = avoid + 1 ? avoid + 1 : 1;
	return g;
}

/*
 * Open @path read-only and map its header page, validated. The caller
 * munmap()s UDPCAP_RING_HDR_SIZE bytes and closes the fd.
 */
int ring_map_header(const char *path, int *ret_fd, const struct udpcap_ring_shm **ret_h)
{
	const struct udpcap_ring_shm *h;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* a FIFO must not block us */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < UDPCAP_RING_HDR_SIZE) {
		err = -EBADMSG;
		goto fail;
	}
	h = mmap(NULL, UDPCAP_RING_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	err = ring_check_header(h, (uint64_t)st.st_size);
	if (err) {
		munmap((void *)h, UDPCAP_RING_HDR_SIZE);
		goto fail;
	}
	*ret_fd = fd;
	*ret_h = h;
	return 0;
fail:
	close(fd);
	return err;
}

UDPCAP_API int udpcap_ring_info(const char *ring, const char *dir, struct udpcap_ring_info *ret)
{
	const struct udpcap_ring_shm *h;
	struct udpcap_ring_info info = {0};
	char *path = NULL;
	uint64_t prod, cons;
	int fd, err;

	if (!ret)
		return -EINVAL;
	err = ring_path(ring, dir, &path);
	if (err)
		return err;
	err = ring_map_header(path, &fd, &h);
	free(path);
	if (err)
		return err;
	info.capacity = h->capacity;
	info.generation = h->generation;
	info.format_version = h->version.major;
	info.format_minor = h->version.minor;
	info.producer_pid = h->producer_pid;
	info.linktype = h->linktype;
	/* Relaxed: a snapshot for display; neither side's values are trusted. */
	info.written_packets = shm_load_relaxed(&h->written_packets);
	info.full_packets = shm_load_relaxed(&h->full_packets);
	info.closed = shm_load_relaxed(&h->closed) != 0;
	prod = shm_load_relaxed(&h->prod);
	cons = shm_load_relaxed(&h->cons);
	info.used = prod - cons <= info.capacity ? prod - cons : info.capacity;
	info.consumer_pid = ring_lock_holder(fd, h);
	*ret = info;
	munmap((void *)h, UDPCAP_RING_HDR_SIZE);
	close(fd);
	return 0;
}
