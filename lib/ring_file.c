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
#include "sys_internal.h"
#include "udpcap-build.h"

int ring_path(const char *ring, const char *dir, char **ret_path)
{
	char *p;

	if (!ring || !*ring)
		return -EINVAL;
	if (strchr(ring, '/')) {
		p = strdup(ring);
	} else {
		if (!dir || !*dir)
			dir = UDPCAP_DEFAULT_RING_DIR;
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

int ring_proc_start(pid_t pid, uint64_t *ret_start, bool *ret_dead)
{
	char path[64], buf[1024], *p, state;
	unsigned long long start;
	ssize_t n;
	int fd;

	*ret_start = 0;
	*ret_dead = false;
	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ESRCH)
			return -errno;
		*ret_dead = true;
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		/* The process exited between open and read. */
		*ret_dead = true;
		return 0;
	}
	buf[n] = '\0';
	/* The name (field 2) may hold anything, spaces and ')' included:
	 * fields 3 on start after its last ')'. Field 22 is the start time. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				  "%*d %*d %*d %llu",
			 &state, &start) != 2)
		return -EBADMSG;
	if (state == 'Z' || state == 'X') {
		*ret_dead = true;
		return 0;
	}
	*ret_start = start;
	return 0;
}

uint64_t ring_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/*
 * The pid alone cannot say it: the kernel reuses pids, and a pid means
 * nothing in another pid namespace. So the producer also wrote its start
 * time and namespace at create; they never change afterwards.
 */
int ring_producer_alive(const struct udpcap_ring_shm *h, pid_t *ret_pid)
{
	/* Relaxed: written once before the ring was published by rename(). */
	pid_t pid = shm_load_relaxed(&h->producer_pid);
	uint64_t start = shm_load_relaxed(&h->producer_start);
	uint64_t ns = shm_load_relaxed(&h->producer_pidns), now;
	bool dead;
	int r;

	if (ret_pid)
		*ret_pid = pid > 0 ? pid : 0;
	if (h->version.minor < 1 || !start || !ns)
		return -ENODATA;
	if (pid <= 0)
		return 0;
	if (ns != ring_pidns())
		return -EXDEV;
	r = ring_proc_start(pid, &now, &dead);
	if (r < 0)
		return r;
	return !dead && now == start;
}

/* Random, non-zero, and different from the ring it replaces. */
uint32_t ring_new_generation(uint32_t avoid)
{
	uint32_t g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != sizeof(g))
		g = (uint32_t)udpcap_now_ns(CLOCK_REALTIME) ^ ((uint32_t)getpid() << 16);
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
	int fd, err, info_alive;

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
	info_alive = ring_producer_alive(h, NULL);
	info.producer_alive = (int8_t)(info_alive < 0 ? -1 : info_alive);
	*ret = info;
	munmap((void *)h, UDPCAP_RING_HDR_SIZE);
	close(fd);
	return 0;
}
