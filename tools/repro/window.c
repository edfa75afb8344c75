// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: what every window measures.  Grace periods: a thread pinned
 * to each CPU (at most MAX_POLLERS) calls membarrier(MEMBARRIER_CMD_GLOBAL)
 * back to back; each call waits for one synchronize_rcu(), so a call's
 * duration is the latency of a grace period requested at its start (one
 * to two grace periods), and a call that overlaps a read-side section
 * lasts at least until the section ends.  The hog: a SCHED_FIFO busy
 * thread on one CPU, 950 ms of every second.  Stalls: /dev/kmsg read from its end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "repro.h"

struct gp_sample {
	unsigned long long start, end;
};

struct gp_timer {
	pthread_t thread;
	int stop;
	int err;		/* errno of a failed call, or 0 */
	unsigned long done;	/* calls completed */
	struct gp_sample *s;
	size_t n, cap;
};

struct hog {
	pthread_t thread;
	int stop;
	int on;
	unsigned long long spins;
};

/* one window's instruments */
struct observer {
	struct hog h;
	struct gp_timer g[MAX_POLLERS];
	int ng;
	int kfd;
};

static void *gp_fn(void *arg)
{
	struct gp_timer *g = arg;
	struct gp_sample *s;
	unsigned long long t0, t1;

	while (!READ_ONCE(g->stop)) {
		t0 = now_ns();
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0)) {
			WRITE_ONCE(g->err, errno);
			break;
		}
		t1 = now_ns();
		if (g->n == g->cap) {
			g->cap = g->cap ? 2 * g->cap : 1024;
			s = realloc(g->s, g->cap * sizeof(*s));
			if (!s) {
				WRITE_ONCE(g->err, ENOMEM);
				break;
			}
			g->s = s;
		}
		g->s[g->n].start = t0;
		g->s[g->n].end = t1;
		g->n++;
		WRITE_ONCE(g->done, g->done + 1);
	}
	return NULL;
}

/*
 * The CPUs the timing threads run on: those we may use and the hog's; how
 * many (at most max)
 */
int timing_cpus(int hog, int *cpus, int max)
{
	cpu_set_t set;
	int n = 0, cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	if (hog >= 0)
		CPU_SET(hog, &set);
	for (cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	return n;
}

/*
 * A timing thread bound to cpu, at a SCHED_FIFO priority above the hog's,
 * so that neither the hog nor other load delays it (it sleeps most of the
 * time); without the right to, at the default policy.
 */
int start_pinned(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
	struct sched_param sp = { .sched_priority = HOG_PRIO + 1 };
	pthread_attr_t attr;
	cpu_set_t one;
	int err;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	err = pthread_create(t, &attr, fn, arg);
	if (err == EPERM) {
		pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
		err = pthread_create(t, &attr, fn, arg);
	}
	pthread_attr_destroy(&attr);
	return err;
}

/*
 * Start timing, one thread per CPU (so that one runs whichever CPU the
 * kworker holds); returns how many, once each has seen a grace period.
 */
static int gp_start(struct gp_timer *g, int hog)
{
	int cpus[MAX_POLLERS], n, i, err;

	/*
	 * On one CPU membarrier(MEMBARRIER_CMD_GLOBAL) returns at once
	 * (kernel/sched/membarrier.c: synchronize_rcu() only if more than one
	 * CPU is online): it measures nothing there.
	 */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	n = timing_cpus(hog, cpus, MAX_POLLERS);
	for (i = 0; i < n; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		err = start_pinned(&g[i].thread, cpus[i], gp_fn, &g[i]);
		if (err)
			die(1, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < n; i++)
		while (!READ_ONCE(g[i].done) && !READ_ONCE(g[i].err))
			sleep_ns(100000);
	return n;
}

/* stop timing, count the grace periods that overlapped [a, b] */
static void gp_stop(struct gp_timer *g, int n, unsigned long long a,
		    unsigned long long b, struct window *w)
{
	size_t i;
	int j;

	for (j = 0; j < n; j++)
		WRITE_ONCE(g[j].stop, 1);
	w->gp_ok = n > 0;
	w->gp_samples = 0;
	w->gp_max_ns = 0;
	for (j = 0; j < n; j++) {
		pthread_join(g[j].thread, NULL);
		if (g[j].err)
			w->gp_ok = 0;
		for (i = 0; i < g[j].n; i++) {
			if (g[j].s[i].start >= b || g[j].s[i].end <= a)
				continue;
			w->gp_samples++;
			if (g[j].s[i].end - g[j].s[i].start > w->gp_max_ns)
				w->gp_max_ns = g[j].s[i].end - g[j].s[i].start;
		}
		if (g[j].err && g[j].err != ENOMEM)
			fprintf(stderr,
				"%s: membarrier(MEMBARRIER_CMD_GLOBAL): %s: no grace-period timing\n",
				me, strerror(g[j].err));
		free(g[j].s);
	}
}

/*
 * The hog throttles itself, whatever sched_rt_runtime_us says (-1, or the
 * period itself, is no throttling): it spins HOG_RUN_NS of every
 * HOG_PERIOD_NS, the default RT bandwidth's share, and sleeps the rest,
 * so it cannot own its CPU.  Always the whole rest, even when the spin was
 * held off (throttled, preempted, the vCPU not running) for part of it: a
 * hog that found its period over when it looked would not sleep at all.
 * The clock is read once per HOG_SPINS spins.
 */
#define HOG_PERIOD_NS	1000000000ULL
#define HOG_RUN_NS	950000000ULL
#define HOG_SPINS	4096

static void *hog_fn(void *arg)
{
	struct hog *h = arg;
	unsigned long long start = now_ns(), t;
	unsigned int i;

	pthread_setname_np(pthread_self(), "rlab-repro-hog");
	while (!READ_ONCE(h->stop)) {
		for (i = 0; i < HOG_SPINS; i++)
			WRITE_ONCE(h->spins, h->spins + 1);
		t = now_ns();
		if (t - start < HOG_RUN_NS)
			continue;
		sleep_ns(HOG_PERIOD_NS - HOG_RUN_NS);
		start = now_ns();
	}
	return NULL;
}

static void hog_start(struct hog *h, int cpu)
{
	struct sched_param sp = { .sched_priority = HOG_PRIO };
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	memset(h, 0, sizeof(*h));
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	err = pthread_create(&h->thread, &attr, hog_fn, h);
	pthread_attr_destroy(&attr);
	if (err)
		die(1, "-H %d: cannot start a SCHED_FIFO thread on CPU %d: %s",
		    cpu, cpu, strerror(err));
	h->on = 1;
}

static void hog_stop(struct hog *h)
{
	if (!h->on)
		return;
	WRITE_ONCE(h->stop, 1);
	pthread_join(h->thread, NULL);
	h->on = 0;
}

/*
 * -H CPU: a CPU we may use; keep our own threads off it (the hog throttles
 * itself: RT throttling need not be on).
 * Returns the number of online CPUs, or -1 (said why) when CPU is not one.
 */
int hog_check(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpu < 0)
		return n;
	if (cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) ||
	    !CPU_ISSET(cpu, &set)) {
		fprintf(stderr, "%s: -H %d: no such online CPU (or not allowed to this process)\n",
			me, cpu);
		return -1;
	}
	if (CPU_COUNT(&set) > 1) {
		CPU_CLR(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die(1, "sched_setaffinity: %s", strerror(errno));
	}
	return n;
}

/* /dev/kmsg, non-blocking, at its end: an fd or -1 */
int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the records since kmsg_mark(); closes fd */
void kmsg_scan(int fd, struct stall_scan *st)
{
	char rec[8192], *msg;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return;
	st->ok = 1;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			st->ok = 0;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		stall_line(st, msg);
	}
	close(fd);
}

/* one grace period's latency now, by membarrier(); 0 where it cannot tell */
unsigned long long gp_latency(void)
{
	unsigned long long t0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	t0 = now_ns();
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	return now_ns() - t0;
}

/*
 * Until three grace periods in a row take no more than twice base (what
 * one took before the map was made), at most 10 s: what a teardown leaves
 * behind (RCU callbacks of freed entries, a kworker's free of the map)
 * stays out of the idle window that follows.
 */
void quiesce(unsigned long long base)
{
	unsigned long long t0 = now_ns();
	int quiet = 0;

	if (!base)
		return;
	while (quiet < 3 && now_ns() - t0 < 10000000000ULL)
		quiet = gp_latency() <= 2 * base ? quiet + 1 : 0;
}

/* the hog, grace-period timing and the kernel log, from now */
struct observer *observe_start(int hog)
{
	struct observer *ob = xmalloc(sizeof(*ob));

	hog_start(&ob->h, hog);
	ob->ng = gp_start(ob->g, hog);
	ob->kfd = kmsg_mark();
	return ob;
}

/* stop them; the grace periods that overlapped [a, b] and the stalls */
void observe_stop(struct observer *ob, unsigned long long a,
		  unsigned long long b, struct window *w)
{
	gp_stop(ob->g, ob->ng, a, b, w);
	hog_stop(&ob->h);
	kmsg_scan(ob->kfd, &w->st);
	w->len_ns = b - a;
	free(ob);
}
