/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_bench - cross-process throughput of the udpcap ring.
 *
 * For 64, 1500 and 9000 byte records: a producer process writes as fast as
 * it can (udpcap_ring__write, publish every 32 records, waiting out a full
 * ring by spinning), a consumer process reads every record through
 * next()/release() and touches its first bytes (as a packet parser would);
 * it sleeps on its descriptor when the ring runs empty. Prints Mpps and
 * GB/s, the ratio against memcpy() of the same record sizes into a buffer
 * of the ring's size measured in the same run, and the consumer's CPU time
 * per record (CLOCK_PROCESS_CPUTIME_ID of the consumer process).
 *
 * Usage: ring_bench [-t seconds per size] [-s ring bytes] [-d ring dir]
 *                   [-S only this record size] [-p: pin the sides to CPUs 0, 1]
 * Targets (2 cores): >= 20 Mpps at 64 B, >= 0.5 x memcpy at 1500 B,
 * consumer <= 30 ns per record.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <udpcap/ring.h>

struct result {
	uint64_t records, bytes, sum;
	double consumer_cpu_s, producer_cpu_s;
	double consumer_wait_cpu_s; /* of consumer_cpu_s: inside wait() (spin, poll) */
	double wall_s;
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *loadavg(void)
{
	static char buf[64] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "ring_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* memcpy of @size-byte chunks into a @span-byte buffer, wrapping: GB/s. */
static double memcpy_gbps(uint32_t size, uint64_t span, double seconds)
{
	uint8_t *dst = malloc(span + size), *src = malloc(size);
	uint64_t off = 0, bytes = 0;
	double t0, t;

	if (!dst || !src)
		die("malloc", ENOMEM);
	memset(dst, 1, span + size);
	memset(src, 2, size);
	t0 = now_s(CLOCK_MONOTONIC);
	do {
		for (int i = 0; i < 4096; i++) {
			memcpy(dst + off, src, size);
			/* Keep the compiler from dropping the copies. */
			__asm__ volatile("" : : "r"(dst) : "memory");
			off += (size + 7) & ~7u;
			if (off >= span)
				off = 0;
		}
		bytes += 4096ull * size;
		t = now_s(CLOCK_MONOTONIC);
	} while (t - t0 < seconds);
	free(dst);
	free(src);
	return (double)bytes / (t - t0) / 1e9;
}

/* Producer and consumer each on a CPU of their own, as in production. */
static int pin_cpus;

static void pin(int nth)
{
	cpu_set_t set;
	int seen = 0;

	if (!pin_cpus || sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set) && seen++ == nth) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

static void consumer(const char *dir, int out_fd, int ready_fd)
{
	struct udpcap_consumer_opts o = {.sz = sizeof(o), .dir = dir};
	struct udpcap_consumer *c;
	struct udpcap_pkt p;
	struct result res = {0};
	double cpu0, t0 = 0;
	int err;

	err = udpcap_consumer__open("bench", &o, &c);
	if (err)
		die("consumer open", -err);
	if (write(ready_fd, "r", 1) != 1)
		die("pipe", errno);
	cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (;;) {
		err = udpcap_consumer__next(c, &p);
		if (err == 1) {
			if (!res.records)
				t0 = now_s(CLOCK_MONOTONIC);
			res.records++;
			res.bytes += p.meta.caplen;
			res.sum += p.data[0];
			udpcap_consumer__release(c);
		} else if (err == 0) {
			double w = now_s(CLOCK_PROCESS_CPUTIME_ID);

			udpcap_consumer__wait(c, 1000);
			res.consumer_wait_cpu_s += now_s(CLOCK_PROCESS_CPUTIME_ID) - w;
		} else if (err == -EPIPE) {
			break;
		} else {
			die("next", -err);
		}
	}
	res.wall_s = now_s(CLOCK_MONOTONIC) - t0;
	res.consumer_cpu_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	udpcap_consumer__close(c);
	if (write(out_fd, &res, sizeof(res)) != sizeof(res))
		die("pipe", errno);
	exit(0);
}

static struct result run(const char *dir, uint64_t ring_size, uint32_t size, double seconds)
{
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .group = (gid_t)-1};
	struct udpcap_pkt_meta m = {.caplen = size, .origlen = size, .linktype = 1};
	struct udpcap_ring *r;
	struct udpcap_ring_stats st;
	struct result res;
	uint8_t *pkt = calloc(1, size);
	int out[2], ready[2], err;
	uint64_t sent = 0;
	double t0, pcpu;
	pid_t pid;
	char b;

	err = udpcap_ring__create(dir, "bench", ring_size, &o, &r);
	if (err)
		die("ring create", -err);
	if (!pkt || pipe(out) || pipe(ready))
		die("setup", errno);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(1);
		consumer(dir, out[1], ready[1]);
	}
	if (read(ready[0], &b, 1) != 1)
		die("consumer died", EPIPE);
	pin(0);
	t0 = now_s(CLOCK_MONOTONIC);
	pcpu = now_s(CLOCK_THREAD_CPUTIME_ID);
	while (now_s(CLOCK_MONOTONIC) - t0 < seconds) {
		for (int i = 0; i < 1024;) {
			pkt[0] = (uint8_t)sent;
			if (udpcap_ring__write(r, &m, pkt) == 0) {
				sent++;
				if (++i % 32 == 0)
					udpcap_ring__publish(r);
			} else {
				udpcap_ring__publish(r);
				__builtin_ia32_pause();
			}
		}
	}
	pcpu = now_s(CLOCK_THREAD_CPUTIME_ID) - pcpu;
	udpcap_ring__close(r);
	if (read(out[0], &res, sizeof(res)) != sizeof(res))
		die("consumer result", EPIPE);
	waitpid(pid, NULL, 0);
	res.producer_cpu_s = pcpu;
	udpcap_ring__stats(r, &st);
	if (res.records != sent || st.written_packets != sent)
		fprintf(stderr, "ring_bench: sent %llu, received %llu!\n", (unsigned long long)sent,
			(unsigned long long)res.records);
	udpcap_ring__free(r, true);
	free(pkt);
	close(out[0]), close(out[1]), close(ready[0]), close(ready[1]);
	return res;
}

/*
 * Per-record CPU cost on each side without the other running: fill the
 * ring from this process, then drain it, lap after lap (both sides in one
 * process, so no waiting and no cache-line ping-pong is measured). This is
 * what each side costs on its own core; the wall-clock run above also pays
 * for scheduling on a busy machine.
 */
static void solo_costs(const char *dir, uint64_t ring_size, uint32_t size, double seconds,
		       double *ret_prod_ns, double *ret_cons_ns)
{
	struct udpcap_ring_create_opts o = {.sz = sizeof(o), .group = (gid_t)-1};
	struct udpcap_consumer_opts co = {.sz = sizeof(co), .dir = dir};
	struct udpcap_pkt_meta m = {.caplen = size, .origlen = size, .linktype = 1};
	uint8_t *pkt = calloc(1, size);
	struct udpcap_consumer *c;
	struct udpcap_ring *r;
	struct udpcap_pkt p;
	uint64_t np = 0, nc = 0, sum = 0;
	double tp = 0, tc = 0, t0, t1, start;
	int err;

	err = udpcap_ring__create(dir, "solo", ring_size, &o, &r);
	if (!err)
		err = udpcap_consumer__open("solo", &co, &c);
	if (err || !pkt)
		die("solo setup", err ? -err : ENOMEM);
	start = now_s(CLOCK_MONOTONIC);
	while (now_s(CLOCK_MONOTONIC) - start < seconds) {
		t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
		for (int i = 1;; i++) {
			if (udpcap_ring__write(r, &m, pkt))
				break;
			np++;
			if (i % 32 == 0)
				udpcap_ring__publish(r);
		}
		udpcap_ring__publish(r);
		t1 = now_s(CLOCK_THREAD_CPUTIME_ID);
		tp += t1 - t0;
		while (udpcap_consumer__next(c, &p) == 1) {
			sum += p.data[0];
			udpcap_consumer__release(c);
			nc++;
		}
		tc += now_s(CLOCK_THREAD_CPUTIME_ID) - t1;
	}
	*ret_prod_ns = tp * 1e9 / (double)np;
	*ret_cons_ns = tc * 1e9 / (double)nc;
	if (sum == 1)
		fprintf(stderr, " ");
	udpcap_consumer__close(c);
	udpcap_ring__free(r, true);
	free(pkt);
}

int main(int argc, char **argv)
{
	uint32_t sizes[3] = {64, 1500, 9000}, nsizes = 3;
	char dir[] = "/dev/shm/udpcap-bench-XXXXXX";
	uint64_t ring_size = 4u << 20;
	double seconds = 2;
	const char *parent = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "t:s:d:S:ph")) != -1) {
		switch (opt) {
		case 'p':
			pin_cpus = 1;
			break;
		case 'S':
			sizes[0] = (uint32_t)atoi(optarg);
			nsizes = 1;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 's':
			ring_size = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			parent = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-t seconds] [-s ring_bytes] [-d dir] [-S record_size] [-p]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	char *d = dir;
	char buf[4096];
	if (parent) {
		snprintf(buf, sizeof(buf), "%s/udpcap-bench-XXXXXX", parent);
		d = buf;
	}
	if (!mkdtemp(d))
		die("mkdtemp", errno);

	printf("udpcap ring, producer and consumer in two processes, ring %llu KiB, %.1f s each; "
	       "load average now %s\n", (unsigned long long)(ring_size >> 10), seconds, loadavg());
	printf("%7s %7s %7s %11s %6s %9s %6s %11s %11s %9s | %10s %10s %9s %6s\n", "record",
	       "Mpps", "GB/s", "memcpy(L3)", "ratio", "memcpy(RAM)", "ratio", "prod ns/rec",
	       "cons ns/rec", "cons busy",
	       "solo: prod", "cons ns/rec", "Mpps/core", "ratio");
	for (uint32_t i = 0; i < nsizes; i++) {
		double mc = memcpy_gbps(sizes[i], ring_size, seconds / 2);
		double mram = memcpy_gbps(sizes[i], 256u << 20, seconds / 2);
		struct result r = run(d, ring_size, sizes[i], seconds);
		double gbps = (double)r.bytes / r.wall_s / 1e9, pns, cns, worst;

		solo_costs(d, ring_size, sizes[i], seconds / 2, &pns, &cns);
		worst = pns > cns ? pns : cns;
		printf("%6uB %7.2f %7.2f %11.2f %6.2f %11.2f %6.2f %11.1f %11.1f %9.1f | %10.1f %10.1f "
		       "%9.2f %6.2f\n", sizes[i], (double)r.records / r.wall_s / 1e6, gbps, mc,
		       gbps / mc, mram, gbps / mram, r.producer_cpu_s * 1e9 / (double)r.records,
		       r.consumer_cpu_s * 1e9 / (double)r.records,
		       (r.consumer_cpu_s - r.consumer_wait_cpu_s) * 1e9 / (double)r.records, pns, cns,
		       1e3 / worst, (double)sizes[i] / worst / mc);
		fflush(stdout);
	}
	printf("Mpps, GB/s: wall clock, cross-process. ratio: ring GB/s over memcpy GB/s of the same\n"
	       "record size into a ring-sized buffer (L3) and into 256 MiB (RAM). cons busy: consumer\n"
	       "CPU per record outside wait() (its pre-sleep watch and sleeps). prod/cons ns/rec: consumer process CPU time per\n"
	       "record (includes its sleeps' system calls and pre-sleep spinning). solo: CPU ns per\n"
	       "record of each side alone; Mpps/core and its ratio: what the slower side sustains\n"
	       "on a core of its own.\n");
	rmdir(d);
	return 0;
}
