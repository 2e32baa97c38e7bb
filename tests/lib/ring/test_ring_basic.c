/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves the ring's single-process contract: records are invisible until
 * publish and come back byte-exact with their metadata, in order, across
 * many wrap-arounds (PAD records); a full ring returns -ENOBUFS and counts
 * packets and bytes; reserve/commit may commit less than reserved; a
 * closed ring drains then returns -EPIPE; caplen limits; a second consumer
 * is refused (-EBUSY) and named; the file has the requested mode and
 * group and carries the ring's link type; udpcap_ring_info() reads the header (and does not block on the
 * wake-up FIFO); a corrupt record gives
 * -EBADMSG and the consumer resynchronises; a corrupt consumer index makes
 * the producer reset the ring, counting the discarded records exactly, and
 * the consumer follows the reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ring_test.h"

#define SMALL (256u * 1024)

static char *dir;

static struct udpcap_pkt_meta meta_for(uint64_t seq, uint32_t len)
{
	return (struct udpcap_pkt_meta){
		.ts_ns = seq * 1000,
		.caplen = len,
		.origlen = len + (uint32_t)(seq & 3),
		.linktype = UDPCAP_LINKTYPE_EN10MB,
		.flags = (seq & 1) ? UDPCAP_PKT_F_VXLAN_VNI : UDPCAP_PKT_F_GENEVE_VNI,
		.vxlan_vni = (uint32_t)seq & 0xffffff,
		.geneve_vni = (uint32_t)(seq >> 3) & 0xffffff,
	};
}

static void write_seq(struct udpcap_ring *r, uint64_t seq, uint32_t len)
{
	uint8_t buf[UDPCAP_RING_MAX_CAPLEN];
	struct udpcap_pkt_meta m = meta_for(seq, len);

	rt_fill(buf, len, seq);
	assert_int_equal(udpcap_ring__write(r, &m, buf), 0);
}

static void expect_seq(struct udpcap_consumer *c, uint64_t seq, uint32_t len)
{
	struct udpcap_pkt_meta m = meta_for(seq, len);
	struct udpcap_pkt p;

	assert_int_equal(udpcap_consumer__next(c, &p), 1);
	assert_memory_equal(&p.meta, &m, sizeof(m));
	assert_true(rt_verify(p.data, len, seq));
	udpcap_consumer__release(c);
}

static void test_publish_and_wrap(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "wrap", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "wrap");
	struct udpcap_pkt p;
	uint64_t seq = 0, rseq = 0;

	write_seq(r, seq++, 100);
	assert_int_equal(udpcap_consumer__next(c, &p), 0); /* not published */
	udpcap_ring__publish(r);
	expect_seq(c, rseq++, 100);
	assert_int_equal(udpcap_consumer__next(c, &p), 0);

	/* About 40 laps of the ring with lengths 1..9216. */
	while (seq < 4000) {
		for (int i = 0; i < 7; i++, seq++)
			write_seq(r, seq, rt_len(seq, 9216));
		udpcap_ring__publish(r);
		while (rseq < seq)
			expect_seq(c, rseq, rt_len(rseq, 9216)), rseq++;
	}
	assert_int_equal(udpcap_consumer__next(c, &p), 0);
	/* Maximal records too. */
	write_seq(r, seq, UDPCAP_RING_MAX_CAPLEN);
	write_seq(r, seq + 1, UDPCAP_RING_MAX_CAPLEN);
	udpcap_ring__publish(r);
	expect_seq(c, seq, UDPCAP_RING_MAX_CAPLEN);
	expect_seq(c, seq + 1, UDPCAP_RING_MAX_CAPLEN);

	struct udpcap_consumer_stats cs;
	assert_int_equal(udpcap_consumer__stats(c, &cs), 0);
	assert_int_equal(cs.received, seq + 2);
	assert_int_equal(cs.dropped, 0);
	assert_int_equal(cs.corrupt, 0);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
}

static void test_full_counts(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "full", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "full");
	struct udpcap_ring_stats rs;
	struct udpcap_consumer_stats cs;
	struct udpcap_pkt_meta m = meta_for(1, 1000);
	uint8_t buf[1000] = {0};
	uint64_t ok = 0, full = 0;
	struct udpcap_pkt p;
	int err;

	for (int i = 0; i < 1000; i++) {
		err = udpcap_ring__write(r, &m, buf);
		assert_true(err == 0 || err == -ENOBUFS);
		err ? full++ : ok++;
	}
	udpcap_ring__publish(r);
	assert_true(ok >= SMALL / 1048 - 1 && ok <= SMALL / 1040);
	assert_int_equal(udpcap_ring__stats(r, &rs), 0);
	assert_int_equal(rs.written_packets, ok);
	assert_int_equal(rs.written_bytes, ok * 1000);
	assert_int_equal(rs.full_packets, full);
	assert_int_equal(rs.full_bytes, full * m.origlen);
	assert_int_equal(rs.capacity, SMALL);
	assert_true(rs.used > SMALL - 1048);
	assert_int_equal(rs.consumer_pid, getpid());

	udpcap_ring__add_upstream_drops(r, 5);
	assert_int_equal(udpcap_consumer__stats(c, &cs), 0);
	assert_int_equal(cs.dropped, full + 5);

	/* Draining makes room again. */
	for (uint64_t i = 0; i < ok; i++) {
		assert_int_equal(udpcap_consumer__next(c, &p), 1);
		udpcap_consumer__release(c);
	}
	assert_int_equal(udpcap_consumer__next(c, &p), 0);
	assert_int_equal(udpcap_ring__write(r, &m, buf), 0);

	m.caplen = UDPCAP_RING_MAX_CAPLEN + 1;
	assert_int_equal(udpcap_ring__write(r, &m, buf), -EINVAL);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
}

static void test_reserve_commit(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "rc", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "rc");
	struct udpcap_pkt_meta m = meta_for(7, 60);
	struct udpcap_pkt p;
	uint8_t *d = udpcap_ring__reserve(r, 9000, 9000);

	assert_non_null(d);
	rt_fill(d, 60, 7);
	udpcap_ring__commit(r, &m);
	udpcap_ring__publish(r);
	expect_seq(c, 7, 60);
	assert_int_equal(udpcap_consumer__next(c, &p), 0);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
}

static void test_close_epipe(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "cl", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "cl");
	struct udpcap_pkt p;

	write_seq(r, 1, 10);
	write_seq(r, 2, 20);
	udpcap_ring__close(r); /* publishes */
	assert_int_equal(udpcap_consumer__check(c), -ESTALE);
	expect_seq(c, 1, 10);
	expect_seq(c, 2, 20);
	assert_int_equal(udpcap_consumer__next(c, &p), -EPIPE);
	assert_int_equal(udpcap_consumer__wait(c, 1000), 1);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
	struct stat st;
	char path[256];
	snprintf(path, sizeof(path), "%s/cl", dir);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/cl.wake", dir);
	assert_int_equal(stat(path, &st), -1);
}

static void test_exclusive_and_info(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "ex", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "ex"), *c2 = NULL;
	struct udpcap_consumer_opts o = {.sz = sizeof(o), .dir = dir};
	struct udpcap_ring_info info;
	char path[256];

	assert_int_equal(udpcap_consumer__open("ex", &o, &c2), -EBUSY);
	assert_null(c2);
	assert_int_equal(udpcap_consumer__holder("ex", &o), getpid());
	/* By path, too. */
	snprintf(path, sizeof(path), "%s/ex", dir);
	assert_int_equal(udpcap_consumer__open(path, NULL, &c2), -EBUSY);
	assert_string_equal(udpcap_consumer__path(c), path);

	write_seq(r, 1, 10);
	udpcap_ring__publish(r);
	assert_int_equal(udpcap_ring_info("ex", dir, &info), 0);
	assert_int_equal(info.capacity, SMALL);
	assert_int_equal(info.written_packets, 1);
	assert_int_equal(info.used, 56); /* 40 + 10, rounded to 8 */
	assert_int_equal(info.producer_pid, getpid());
	assert_int_equal(info.consumer_pid, getpid());
	assert_false(info.closed);
	assert_int_equal(info.format_version, 2);
	assert_int_equal(info.producer_alive, 1); /* we are the producer */
	/* info() opened and closed the file: we still hold it exclusively. */
	assert_int_equal(udpcap_consumer__open("ex", &o, &c2), -EBUSY);

	udpcap_consumer__close(c);
	assert_int_equal(udpcap_consumer__holder("ex", &o), 0);
	assert_int_equal(udpcap_ring_info(path, NULL, &info), 0);
	assert_int_equal(info.consumer_pid, 0);
	/* The next consumer resumes where the last one released. */
	c = rt_open_consumer(dir, "ex");
	expect_seq(c, 1, 10);
	udpcap_consumer__close(c);

	/* The wake-up FIFO is not a ring, and looking at it must not block
	 * (udpcapctl rings lists the directory, even with no daemon). */
	assert_int_equal(udpcap_ring_info("ex.wake", dir, &info), -EBADMSG);
	assert_int_equal(udpcap_consumer__holder("ex.wake", &o), 0);
	assert_int_equal(udpcap_consumer__open("ex.wake", &o, &c2), -EBADMSG);
	assert_int_equal(udpcap_consumer__open("nonesuch", &o, &c2), -ENOENT);
	assert_int_equal(udpcap_ring_info("nonesuch", dir, &info), -ENOENT);
	udpcap_ring__free(r, true);
}

static void test_mode_group(void **state)
{
	struct group *g = getgrnam("nogroup");
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .mode = 0, .group = (gid_t)-1};
	struct udpcap_ring *r = NULL;
	struct stat st;
	char path[256];

	if (!g)
		g = getgrnam("daemon");
	if (g && geteuid() == 0)
		o.group = g->gr_gid;
	else
		fprintf(stderr, "note: not root or no nogroup/daemon group: group not changed\n");
	o.linktype = UDPCAP_LINKTYPE_RAW;
	assert_int_equal(udpcap_ring__create(dir, "mg", SMALL, &o, &r), 0);
	struct udpcap_consumer *c = rt_open_consumer(dir, "mg");
	assert_int_equal(udpcap_consumer__linktype(c), UDPCAP_LINKTYPE_RAW);
	udpcap_consumer__close(c);
	snprintf(path, sizeof(path), "%s/mg", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	if (o.group != (gid_t)-1)
		assert_int_equal(st.st_gid, o.group);
	snprintf(path, sizeof(path), "%s/mg.wake", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	if (o.group != (gid_t)-1)
		assert_int_equal(st.st_gid, o.group);
	udpcap_ring__free(r, true);

	assert_int_equal(udpcap_ring__create(dir, "a/b", SMALL, &o, &r), -EINVAL);
	assert_int_equal(udpcap_ring__create(dir, ".hidden", SMALL, &o, &r), -EINVAL);
}

static void test_corrupt_record(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "cr", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "cr");
	struct udpcap_consumer_stats cs;
	struct udpcap_pkt p;
	char path[256];
	uint8_t *map;
	int fd;

	write_seq(r, 1, 10);
	write_seq(r, 2, 10);
	udpcap_ring__publish(r);
	snprintf(path, sizeof(path), "%s/cr", dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	map = mmap(NULL, 4096 + SMALL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	/* Record 0's caplen lies: claims more than its length. */
	*(uint32_t *)(map + 4096 + 8 + 8) = 5000;
	assert_int_equal(udpcap_consumer__next(c, &p), -EBADMSG);
	assert_int_equal(udpcap_consumer__next(c, &p), 0); /* skipped to prod */
	write_seq(r, 3, 10);
	udpcap_ring__publish(r);
	expect_seq(c, 3, 10);
	assert_int_equal(udpcap_consumer__stats(c, &cs), 0);
	assert_int_equal(cs.corrupt, 1);
	munmap(map, 4096 + SMALL);
	close(fd);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
}

static void test_reset_on_corrupt_cons(void **state)
{
	struct udpcap_ring *r = rt_create(dir, "rst", SMALL);
	struct udpcap_consumer *c = rt_open_consumer(dir, "rst");
	struct udpcap_consumer_stats cs;
	struct udpcap_ring_stats rs;
	struct udpcap_pkt p;
	uint64_t n = 0, bogus = 12345; /* not a multiple of 8 */
	char path[256];
	uint8_t *map;
	int fd;

	/* Fill the ring; the consumer reads one record and holds it. */
	while (udpcap_ring__write(r, &(struct udpcap_pkt_meta){.caplen = 100, .origlen = 100},
				  (uint8_t[100]){0}) == 0)
		n++;
	udpcap_ring__publish(r);
	assert_int_equal(udpcap_consumer__next(c, &p), 1);
	udpcap_consumer__release(c);
	snprintf(path, sizeof(path), "%s/rst", dir);
	fd = open(path, O_RDWR);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	memcpy(map + 384, &bogus, 8); /* the consumer index */

	/* The next write (larger than the records that filled the ring) finds
	 * it full, reads the bogus index: reset. */
	write_seq(r, 1, 200);
	udpcap_ring__publish(r);
	assert_int_equal(udpcap_ring__stats(r, &rs), 0);
	assert_int_equal(rs.resets, 1);
	assert_int_equal(rs.reset_packets, n); /* nothing was released yet */
	assert_int_equal(rs.full_packets, 1); /* the write that ended the filling */
	/* The consumer follows the reset and gets the new record. */
	expect_seq(c, 1, 200);
	assert_int_equal(udpcap_consumer__next(c, &p), 0);
	assert_int_equal(udpcap_consumer__stats(c, &cs), 0);
	assert_int_equal(cs.received, 2);
	assert_int_equal(cs.dropped, n + 1); /* reset discards + the full drop */
	munmap(map, 4096);
	close(fd);
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_and_wrap), cmocka_unit_test(test_full_counts),
		cmocka_unit_test(test_reserve_commit),	 cmocka_unit_test(test_close_epipe),
		cmocka_unit_test(test_exclusive_and_info), cmocka_unit_test(test_mode_group),
		cmocka_unit_test(test_corrupt_record), cmocka_unit_test(test_reset_on_corrupt_cons),
	};
	int rc;

	dir = rt_mkdir();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rt_rmdir(dir);
	return rc;
}
