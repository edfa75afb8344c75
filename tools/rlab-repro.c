// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: the report's reproducer.  No module, only bpf(2) as root: it
 * creates a real BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, fills it with SO_REUSEPORT
 * UDP sockets, closes it so that the kernel frees it in a kworker
 * (bpf_map_free_deferred() -> reuseport_array_free(), whose slot loop runs
 * in one RCU read-side section), and times grace periods meanwhile.
 *
 *   rlab-repro -s SIZE [-k SOCKS] [-H CPU] [-r REPS] [-o CSV] [-n SCENARIO]
 *              [-A ACCEL]
 *   rlab-repro -L SIZE [-k SOCKS] [-r REPS]      (or -L -s SIZE)
 *   rlab-repro -S < MESSAGES
 *
 *   -s SIZE      map slots (max_entries), K/M/G suffixes (10^3, 10^6, 10^9);
 *                refused if 8 bytes a slot and 256 MB exceed MemAvailable
 *   -k SOCKS     sockets in the map, at slots k * SIZE / SOCKS, at most 1024
 *                per port (default 1000, or SIZE if smaller); RLIMIT_NOFILE
 *                is raised to fit them
 *   -H CPU       a SCHED_FIFO busy thread pinned to CPU during each window
 *                (refused if sched_rt_runtime_us is -1); the tool's own
 *                threads then run on the other CPUs
 *   -r REPS      teardowns, or loops with -L (default 3)
 *   -o CSV       append rows to CSV (header if it is new), else stdout
 *   -n SCENARIO  scenario column (default <preempt>-t<stall timeout>)
 *   -A ACCEL     accel column (default native, or tcg if /proc/cmdline has
 *                rl.suite=)
 *   -L           measure the slot loop natively in user space instead:
 *                SIZE slots with the map's layout (struct bpf_map's size,
 *                then the pointers), 4 KiB pages (MADV_NOHUGEPAGE), all
 *                touched, SOCKS of them pointing at dummies; the loop
 *                re-reads max_entries from memory every slot and reads each
 *                slot once (relaxed atomic loads: READ_ONCE()), with one
 *                clock read on each side; prints
 *                "native: n=SIZE ns_per_slot=X (best of REPS) median Y"
 *   -S           classify the kernel messages on stdin (dmesg lines or
 *                /dev/kmsg records) and print "STALLS KIND", as in the CSV
 *
 * One teardown: the map and its sockets are made, a thread on each CPU
 * (at most 4, pinned, so that one of them runs whichever CPU the kworker
 * holds; at SCHED_FIFO 51, above the hog, so that no other load delays
 * them: they sleep but for a syscall now and then) calls
 * membarrier(MEMBARRIER_CMD_GLOBAL) back to back (each call waits for one
 * RCU grace period: synchronize_rcu()), /dev/kmsg is read from its end, and
 * the map fd is closed.  The window runs from the close until the map's
 * memory is back, by this criterion:
 *   - the loop has passed the sockets that are watched (below);
 *   - then, for arrays above 32 KiB, which are vmalloc()ed, /proc/meminfo's
 *     VmallocUsed has dropped by at least 3/4 of the array (vfree()
 *     subtracts its pages at once, after freeing them, so the drop is a
 *     step that comes after the loop); smaller arrays are kfree()d right
 *     after the loop;
 *   - with no socket to watch and no VmallocUsed to read, a fixed window
 *     of 200 ms + 20 ns a slot;
 *   - at most 60 s + 100 ns a slot (a note on stderr).
 * The loop itself is timed through the sockets: the loop clears each
 * socket's sk_user_data, and until then the kernel refuses to put the
 * socket in another map (EBUSY).  Another thread on each of those CPUs
 * offers an 8-slot probe map a socket near the start of the map (slot
 * i * SIZE / SOCKS for thread i) every 20 us (or every 1/256 of the time
 * since it started, if longer) until it is taken, then one near the end
 * (slot (SOCKS - 1 - i) * SIZE / SOCKS), so that each release is bracketed
 * in time.  duration_ns is the time between the midpoints of the tightest
 * start and end brackets, scaled to SIZE slots; it is empty if the
 * brackets are wider than a quarter of it (no thread could run while the
 * loop did; fewer than 2 sockets; tiny maps).  RLAB_DEBUG=1 in the
 * environment prints the brackets.
 *
 * Rows: the study's CSV columns then accel.  mode "kernel": duration_ns and
 * ns_per_slot as above; gp_samples counts the grace periods (membarrier
 * calls, of all the threads) that overlapped the window, that is started
 * before its end and ended after the close; gp_max_ns is the longest (both
 * empty on a machine with one CPU online, where membarrier() does not wait
 * for a grace period); the
 * stall columns count and classify the RCU stall (detected, self-detected,
 * expedited) and soft lockup reports printed in the window (empty if
 * /dev/kmsg is unreadable).  Each is followed by a row of mode "idle": the
 * same measurement over a window of the same length with no map (and the
 * hog, if any), whose duration_ns is that length.  max_section_ns and
 * sections are empty: the kernel does not report them.
 *
 * Exit status: 0 done, 1 failure, 2 bad arguments or bpf(2) refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define GROUP_SOCKS	1024	/* sockets per port, as mkmap and the module */
/*
 * sizeof(struct bpf_map) on Debian's 6.1 x86_64 kernels (four cache lines),
 * and the offset of its max_entries: struct reuseport_array's ptrs[] follow.
 */
#define MAP_HDR		256
#define MAX_ENTRIES_OFF	36
#define KMALLOC_MAX	32768	/* PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER */
#define PROBE_NS	20000ULL
#define MEM_POLL_NS	500000ULL
#define MAX_POLLERS	4	/* threads timing the loop */
#define HOG_PRIO	50	/* sched_set_fifo(): MAX_RT_PRIO / 2 */
#define HEADER "scenario,kernel,preempt,stall_timeout,hog,cpus,size,filled," \
	"mode,batch,ctx,rep,duration_ns,ns_per_slot,max_section_ns,sections," \
	"gp_samples,gp_max_ns,stalls,stall_kind,accel"

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static const char *me = "rlab-repro";

struct opts {
	unsigned long long size;
	unsigned long long socks;
	int socks_set;
	int hog;		/* CPU, or -1 */
	unsigned int reps;
	int reps_set;
	const char *csv;
	const char *scenario;
	const char *accel;
	int native;
	int scan;
};

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

struct stall_scan {
	int ok;			/* /dev/kmsg was read */
	unsigned int n;
	char kind[64];
	int blocked, starved, softlockup;
};

/* What one window measured. */
struct window {
	unsigned long long len_ns;
	unsigned long gp_samples;
	unsigned long long gp_max_ns;
	int gp_ok;
	struct stall_scan st;
};

static noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static noreturn void bad_args(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", me, why);
	fprintf(stderr,
		"usage: %s -s SIZE [-k SOCKS] [-H CPU] [-r REPS] [-o CSV] [-n SCENARIO] [-A ACCEL]\n"
		"       %s -L SIZE [-k SOCKS] [-r REPS]     (or -L -s SIZE)\n"
		"       %s -S < MESSAGES\n"
		"  -s SIZE      map slots, K/M/G suffixes (10^3, 10^6, 10^9), 1 to 4294967295\n"
		"  -k SOCKS     sockets in the map (default 1000, at most SIZE)\n"
		"  -H CPU       SCHED_FIFO busy thread on CPU during each window\n"
		"  -r REPS      teardowns, or -L loops (default 3)\n"
		"  -o CSV       append rows to CSV (default stdout)\n"
		"  -n SCENARIO  scenario column (default <preempt>-t<stall timeout>)\n"
		"  -A ACCEL     accel column (default native, tcg under rl.suite=)\n"
		"  -L           time the slot loop natively in user space\n"
		"  -S           classify kernel messages on stdin: STALLS KIND\n",
		me, me, me);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die(1, "out of memory (%zu bytes)", n);
	return p;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ns(unsigned long long ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000ULL,
		.tv_nsec = ns % 1000000000ULL,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* 10M -> 10000000, as rlab-study; 0 on a malformed or out-of-range size */
static unsigned long long parse_size(const char *s)
{
	unsigned long long n = 0, m = 1;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > UINT32_MAX)
			return 0;
	}
	if (p == s)
		return 0;
	if (*p == 'k' || *p == 'K')
		m = 1000;
	else if (*p == 'M')
		m = 1000000;
	else if (*p == 'G')
		m = 1000000000;
	if (m > 1)
		p++;
	if (*p || n * m > UINT32_MAX)
		return 0;
	return n * m;
}

/* a decimal number up to max, or -1 */
static long long parse_num(const char *s, unsigned long long max)
{
	unsigned long long n = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > max)
			return -1;
	}
	if (p == s || *p)
		return -1;
	return n;
}

/* a CSV field of ours: no separators, quotes or blanks */
static int plain_word(const char *s)
{
	return *s && !strpbrk(s, ",\"\n\r\t ");
}

/* the first line of a file, without its newline; 0 or -1 */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* "(full)" or "[full]" in /sys/kernel/debug/sched/preempt: 0 or -1 */
static int preempt_model(char *buf, size_t len)
{
	char line[256], *a, *b;

	if (read_line("/sys/kernel/debug/sched/preempt", line, sizeof(line)))
		return -1;
	a = strpbrk(line, "([");
	if (!a)
		return -1;
	b = strpbrk(a + 1, ")]");
	if (!b || b == a + 1)
		return -1;
	*b = '\0';
	snprintf(buf, len, "%s", a + 1);
	return 0;
}

/* a /proc/meminfo field ("VmallocUsed: %lld kB") in kB, or -1 */
static long long meminfo_kb(const char *fmt)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long long vmalloc_used_kb(void)
{
	return meminfo_kb("VmallocUsed: %lld kB");
}

/* refuse an array that does not fit in MemAvailable less 256 MB */
static void check_memory(unsigned long long bytes)
{
	long long avail = meminfo_kb("MemAvailable: %lld kB");

	if (avail >= 0 && (bytes >> 10) + (256 << 10) > (unsigned long long)avail)
		die(1, "%llu MB needed (and 256 MB to spare), MemAvailable is %lld MB",
		    bytes >> 20, avail >> 10);
}

/* Kernel messages */

/* one message, classified as tools/rlab-study's stall_scan, plus more */
static void stall_line(struct stall_scan *st, const char *msg)
{
	const char *k = NULL, *p;
	char flavour[32] = "rcu";
	size_t n;

	if (strstr(msg, "Tasks blocked on"))
		st->blocked = 1;
	if (strstr(msg, "kthread starved"))
		st->starved = 1;
	if (strstr(msg, "soft lockup - CPU#")) {
		st->n++;
		st->softlockup = 1;
		if (!st->kind[0])
			snprintf(st->kind, sizeof(st->kind), "softlockup");
		return;
	}
	if (strstr(msg, "detected expedited stalls on CPU"))
		k = "expedited";
	else if (strstr(msg, "self-detected stall on CPU"))
		k = "self-detected";
	else if (strstr(msg, "detected stalls on CPU") ||
		 strstr(msg, "detected stall on CPU"))
		k = "detected";
	if (!k)
		return;
	st->n++;
	for (p = msg; (p = strstr(p, "rcu_")); p++) {
		if (p != msg && p[-1] != ' ')
			continue;
		n = strcspn(p, " :");
		if (n >= sizeof(flavour))
			n = sizeof(flavour) - 1;
		memcpy(flavour, p, n);
		flavour[n] = '\0';
		break;
	}
	if (!st->kind[0] || !strcmp(st->kind, "softlockup"))
		snprintf(st->kind, sizeof(st->kind), "%s:%s", flavour, k);
}

/* "count kind" as the CSV has them */
static void stall_result(const struct stall_scan *st, char *buf, size_t len)
{
	if (!st->ok)
		snprintf(buf, len, ",");
	else if (!st->n)
		snprintf(buf, len, "0,none");
	else
		snprintf(buf, len, "%u,%s%s%s%s", st->n, st->kind,
			 st->blocked ? "+tasks-blocked" : "",
			 st->starved ? "+kthread-starved" : "",
			 st->softlockup && strcmp(st->kind, "softlockup") ?
			 "+softlockup" : "");
}

/* /dev/kmsg, non-blocking, at its end: an fd or -1 */
static int kmsg_mark(void)
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
static void kmsg_scan(int fd, struct stall_scan *st)
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

/* -S: stdin, one message a line */
static int scan_stdin(void)
{
	struct stall_scan st;
	char line[8192], out[128], *msg;

	memset(&st, 0, sizeof(st));
	st.ok = 1;
	while (fgets(line, sizeof(line), stdin)) {
		msg = line;
		if (line[0] != '[' && strchr(line, ';') &&
		    strspn(line, "0123456789,-c+") == (size_t)(strchr(line, ';') - line))
			msg = strchr(line, ';') + 1;
		msg[strcspn(msg, "\n")] = '\0';
		stall_line(&st, msg);
	}
	stall_result(&st, out, sizeof(out));
	*strchr(out, ',') = ' ';
	puts(out);
	return 0;
}

/* Grace periods: membarrier(MEMBARRIER_CMD_GLOBAL) back to back */

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
static int timing_cpus(int hog, int *cpus, int max)
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
static int start_pinned(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
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

/* The hog: a SCHED_FIFO busy thread on one CPU */

struct hog {
	pthread_t thread;
	int stop;
	int on;
	unsigned long long spins;
};

static void *hog_fn(void *arg)
{
	struct hog *h = arg;

	while (!READ_ONCE(h->stop))
		h->spins++;
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
 * -H CPU: refuse without RT throttling, keep our own threads off the CPU.
 * Returns the number of online CPUs.
 */
static int hog_check(int cpu)
{
	cpu_set_t set;
	char line[64];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpu < 0)
		return n;
	if (cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) ||
	    !CPU_ISSET(cpu, &set)) {
		fprintf(stderr, "%s: -H %d: no such online CPU (or not allowed to this process)\n",
			me, cpu);
		bad_args(NULL);
	}
	if (!read_line("/proc/sys/kernel/sched_rt_runtime_us", line,
		       sizeof(line)) && !strcmp(line, "-1"))
		die(1,
		    "-H %d: /proc/sys/kernel/sched_rt_runtime_us is -1 (RT throttling off): a SCHED_FIFO busy thread would starve CPU %d forever; refusing",
		    cpu, cpu);
	if (CPU_COUNT(&set) > 1) {
		CPU_CLR(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die(1, "sched_setaffinity: %s", strerror(errno));
	}
	return n;
}

/* bpf(2) */

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* a REUSEPORT_SOCKARRAY of n slots: an fd, or -errno */
static int map_create(unsigned long long n)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
	attr.key_size = sizeof(__u32);
	attr.value_size = sizeof(__u64);
	attr.max_entries = n;
	fd = bpf(BPF_MAP_CREATE, &attr);
	return fd < 0 ? -errno : fd;
}

/* 0 or -errno */
static int map_update(int map, __u32 key, int sock, __u64 flags)
{
	union bpf_attr attr;
	__u64 val = sock;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&val;
	attr.flags = flags;
	return bpf(BPF_MAP_UPDATE_ELEM, &attr) ? -errno : 0;
}

/* the probe map, which also tells whether this machine allows the maps */
static int probe_map(void)
{
	int fd = map_create(2 * MAX_POLLERS);

	if (fd == -ENOMEM || fd == -EMFILE || fd == -ENFILE)
		die(1, "BPF_MAP_CREATE: %s", strerror(-fd));
	if (fd < 0)
		die(2,
		    "this machine refuses bpf(2) for BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: BPF_MAP_CREATE: %s (needs root, CAP_BPF and CAP_NET_ADMIN, a kernel with CONFIG_BPF_SYSCALL)",
		    strerror(-fd));
	return fd;
}

/* a bound SO_REUSEPORT UDP socket on 127.0.0.1:*port (0: a new port) */
static int udp_reuseport(unsigned short *port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(*port),
	};
	socklen_t len = sizeof(a);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die(1, "UDP socket on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(a.sin_port);
	return fd;
}

/* RLIMIT_NOFILE for SOCKS sockets and a few more fds */
static void raise_nofile(unsigned long long socks)
{
	rlim_t need = socks + 64;
	struct rlimit rl, old;

	/* kernels before 5.11 charge maps to RLIMIT_MEMLOCK: best effort */
	rl.rlim_cur = RLIM_INFINITY;
	rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_MEMLOCK, &rl);

	if (getrlimit(RLIMIT_NOFILE, &old))
		die(1, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (old.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	rl.rlim_max = old.rlim_max >= need ? old.rlim_max : need;
	if (!setrlimit(RLIMIT_NOFILE, &rl))
		return;
	die(1,
	    "RLIMIT_NOFILE: -k %llu needs %llu open files; the limit is %llu (hard %llu) and raising it failed: %s",
	    socks, (unsigned long long)need, (unsigned long long)old.rlim_cur,
	    (unsigned long long)old.rlim_max, strerror(errno));
}

/* The row */

struct env {
	char scenario[128];
	char kernel[128];
	char preempt[64];
	char timeout[32];
	char hog[16];
	int cpus;
	const char *accel;
	FILE *out;
};

static void env_init(struct env *e, const struct opts *o, int cpus)
{
	char model[48], line[4096];
	struct utsname u;

	if (preempt_model(model, sizeof(model)))
		snprintf(model, sizeof(model), "unknown");
	/* the file exists with PREEMPT_DYNAMIC only: as the module says */
	if (strcmp(model, "unknown"))
		snprintf(e->preempt, sizeof(e->preempt), "dynamic:%s", model);
	else
		e->preempt[0] = '\0';
	if (read_line("/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout",
		      e->timeout, sizeof(e->timeout)) || !plain_word(e->timeout))
		e->timeout[0] = '\0';
	if (o->scenario)
		snprintf(e->scenario, sizeof(e->scenario), "%s", o->scenario);
	else
		snprintf(e->scenario, sizeof(e->scenario), "%s-t%s", model,
			 e->timeout[0] ? e->timeout : "unknown");
	e->kernel[0] = '\0';
	if (!uname(&u))
		snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	if (o->hog >= 0)
		snprintf(e->hog, sizeof(e->hog), "%d", o->hog);
	else
		snprintf(e->hog, sizeof(e->hog), "off");
	e->cpus = cpus;
	e->accel = o->accel;
	if (!e->accel) {
		e->accel = "native";
		if (!read_line("/proc/cmdline", line, sizeof(line)) &&
		    strstr(line, "rl.suite="))
			e->accel = "tcg";
	}
}

static FILE *csv_open(const char *path)
{
	struct stat sb;
	FILE *f;
	int fresh;

	if (!path) {
		puts(HEADER);
		fflush(stdout);
		return stdout;
	}
	fresh = stat(path, &sb) || !sb.st_size;
	f = fopen(path, "a");
	if (!f)
		die(1, "%s: %s", path, strerror(errno));
	if (fresh)
		fprintf(f, "%s\n", HEADER);
	fflush(f);
	return f;
}

/*
 * mode kernel or idle; duration_ns (0: unknown), filled, the window's
 * grace periods and stalls
 */
static void row(const struct env *e, unsigned long long size,
		unsigned long long filled, const char *mode, unsigned int rep,
		unsigned long long dur, const struct window *w)
{
	char d[32] = "", nps[32] = "", gp[64] = ",", st[128];
	int kernel = !strcmp(mode, "kernel");

	if (dur)
		snprintf(d, sizeof(d), "%llu", dur);
	if (dur && kernel) {
		unsigned long long milli = dur * 1000 / size;

		snprintf(nps, sizeof(nps), "%llu.%03llu", milli / 1000,
			 milli % 1000);
	}
	if (w->gp_ok)
		snprintf(gp, sizeof(gp), "%lu,%llu", w->gp_samples,
			 w->gp_max_ns);
	stall_result(&w->st, st, sizeof(st));
	fprintf(e->out, "%s,%s,%s,%s,%s,%d,%llu,%llu,%s,-,%s,%u,%s,%s,,,%s,%s,%s\n",
		e->scenario, e->kernel, e->preempt, e->timeout, e->hog, e->cpus,
		size, filled, mode, kernel ? "worker" : "", rep, d, nps, gp, st,
		e->accel);
	if (fflush(e->out) || ferror(e->out))
		die(1, "writing the CSV: %s", strerror(errno));
}

/* One teardown */

/*
 * A poller offers two sockets of the map, one near its start and one near
 * its end, to the probe map until the kernel takes them, that is until the
 * loop has cleared their sk_user_data.  Each release is bracketed: after
 * the start of the last refused offer (lo), before the end of the accepted
 * one (hi).  One poller per CPU, each with its own sockets, so that one of
 * them runs whichever CPU the kworker takes.
 */
struct poller {
	pthread_t thread;
	int cpu;
	int probe;
	int sock[2];
	unsigned int key[2];
	unsigned long long lo[2], hi[2];
	int err;		/* -errno of a failed offer */
	int done;
	int *stop;
};

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	unsigned long long t0, start = now_ns();
	int i = 0, r;

	while (i < 2 && !READ_ONCE(*p->stop)) {
		t0 = now_ns();
		r = map_update(p->probe, p->key[i], p->sock[i], BPF_ANY);
		if (!r) {
			p->hi[i] = now_ns();
			i++;
			continue;
		}
		if (r != -EBUSY) {
			p->err = r;
			break;
		}
		WRITE_ONCE(p->lo[i], t0);
		/* 20 us, or 1/256 of the time so far: a bounded share of a CPU */
		sleep_ns(t0 - start > 256 * PROBE_NS ? (t0 - start) / 256 : PROBE_NS);
	}
	WRITE_ONCE(p->done, 1);
	return NULL;
}

/*
 * Start a poller on each timing CPU (one per 2 sockets); return how many,
 * once each has been refused once.
 */
static int pollers_start(struct poller *p, int probe, const int *socks,
			 unsigned long long k, int hog, int *stop)
{
	int cpus[MAX_POLLERS], np = 0, n, i;

	n = timing_cpus(hog, cpus, MAX_POLLERS);
	for (i = 0; i < n && 2 * (unsigned long long)(np + 1) <= k; i++) {
		memset(&p[np], 0, sizeof(p[np]));
		p[np].cpu = cpus[i];
		p[np].probe = probe;
		p[np].sock[0] = socks[np];
		p[np].sock[1] = socks[k - 1 - np];
		p[np].key[0] = 2 * np;
		p[np].key[1] = 2 * np + 1;
		p[np].stop = stop;
		if (start_pinned(&p[np].thread, cpus[i], poller_fn, &p[np]))
			break;
		np++;
	}
	for (i = 0; i < np; i++)
		while (!READ_ONCE(p[i].lo[0]) && !READ_ONCE(p[i].done))
			sleep_ns(PROBE_NS);
	return np;
}

/*
 * The loop's duration from the tightest brackets of a start and an end
 * release, scaled to SIZE slots; 0 if the brackets are wider than a quarter
 * of it (the pollers could not run while the loop did).
 */
static unsigned long long loop_duration(struct poller *p, int np,
					unsigned long long n,
					unsigned long long k,
					unsigned long long t_close,
					unsigned long long *unc)
{
	unsigned long long w, wa = ~0ULL, wb = ~0ULL, ma = 0, mb = 0;
	unsigned long long sa = 0, sb = 0, lo;
	double scale, dur;
	int i, j;

	for (i = 0; i < np; i++) {
		for (j = 0; j < 2; j++) {
			if (!p[i].hi[j])
				continue;
			lo = p[i].lo[j] > t_close ? p[i].lo[j] : t_close;
			w = p[i].hi[j] - lo;
			if (j == 0 && w < wa) {
				wa = w;
				ma = lo + w / 2;
				sa = i * n / k;
			}
			if (j == 1 && w < wb) {
				wb = w;
				mb = lo + w / 2;
				sb = (k - 1 - i) * n / k;
			}
		}
	}
	if (getenv("RLAB_DEBUG"))
		for (i = 0; i < np; i++)
			fprintf(stderr, "p%d cpu%d a [%lld %lld] b [%lld %lld] us\n", i, p[i].cpu,
				((long long)p[i].lo[0] - (long long)t_close) / 1000,
				((long long)p[i].hi[0] - (long long)t_close) / 1000,
				((long long)p[i].lo[1] - (long long)t_close) / 1000,
				((long long)p[i].hi[1] - (long long)t_close) / 1000);
	*unc = 0;
	if (wa == ~0ULL || wb == ~0ULL || sb <= sa || mb <= ma)
		return 0;
	scale = (double)n / (sb - sa);
	dur = (mb - ma) * scale;
	*unc = (wa + wb) / 2 * scale;
	return *unc * 4 > dur ? 0 : (unsigned long long)dur;
}

static void one_teardown(const struct opts *o, const struct env *e,
			 unsigned int rep)
{
	unsigned long long n = o->size, k = o->socks, i;
	unsigned long long bytes = MAP_HDR + 8 * n, slot;
	unsigned long long t0, t_close, t_end, t, dur = 0, unc = 0;
	unsigned long long timeout, fixed;
	long long vm_before = -1, vm_need = 0, vm;
	struct poller pl[MAX_POLLERS];
	unsigned short port = 0;
	char loop[64];
	int map, probe, kfd, timed_out = 0, err, np, ng, done, stop = 0, j;
	struct gp_timer g[MAX_POLLERS];
	struct window w, idle;
	struct hog h;
	int *socks;

	probe = probe_map();
	check_memory(bytes);
	t0 = now_ns();
	map = map_create(n);
	if (map < 0 && map != -ENOMEM)
		die(2,
		    "this machine refuses bpf(2) for a %llu-slot BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: BPF_MAP_CREATE: %s",
		    n, strerror(-map));
	if (map < 0)
		die(1, "BPF_MAP_CREATE: %llu slots (%.1f MB): %s", n,
		    bytes / 1e6, strerror(-map));
	t = now_ns();
	socks = xmalloc((k ? k : 1) * sizeof(*socks));
	for (i = 0; i < k; i++) {
		if (i % GROUP_SOCKS == 0)
			port = 0;
		socks[i] = udp_reuseport(&port);
		slot = i * n / k;
		err = map_update(map, slot, socks[i], BPF_NOEXIST);
		if (err)
			die(1, "BPF_MAP_UPDATE_ELEM slot %llu: %s", slot,
			    strerror(-err));
	}
	fprintf(stderr,
		"%s: rep %u/%u: %llu slots (%.1f MB) created in %llu ms, %llu sockets placed in %llu ms\n",
		me, rep, o->reps, n, bytes / 1e6, (t - t0) / 1000000, k,
		(now_ns() - t) / 1000000);

	hog_start(&h, o->hog);
	ng = gp_start(g, o->hog);
	np = pollers_start(pl, probe, socks, k, o->hog, &stop);
	/* the end of the window: see the top of the file */
	timeout = 60000000000ULL + 100 * n;
	fixed = 200000000ULL + 20 * n;
	if (bytes > KMALLOC_MAX) {
		vm_before = vmalloc_used_kb();
		if (vm_before <= 0)
			vm_before = -1;
		vm_need = (bytes >> 10) * 3 / 4;
	}
	kfd = kmsg_mark();
	t_close = now_ns();
	close(map);
	/* the loop: until every poller has seen its two sockets released */
	for (;;) {
		t = now_ns();
		for (done = 0, j = 0; j < np; j++)
			done += READ_ONCE(pl[j].done);
		if (done == np)
			break;
		if (t - t_close > timeout) {
			timed_out = 1;
			break;
		}
		sleep_ns(MEM_POLL_NS);
	}
	/* the memory */
	while (!timed_out) {
		t = now_ns();
		if (t - t_close > timeout) {
			timed_out = 1;
			break;
		}
		if (vm_before > 0) {
			vm = vmalloc_used_kb();
			if (vm >= 0 && vm + vm_need <= vm_before)
				break;
		} else if (np || t - t_close >= fixed) {
			break;
		}
		sleep_ns(MEM_POLL_NS);
	}
	t_end = now_ns();
	WRITE_ONCE(stop, 1);
	gp_stop(g, ng, t_close, t_end, &w);
	hog_stop(&h);
	kmsg_scan(kfd, &w.st);
	for (j = 0; j < np; j++) {
		pthread_join(pl[j].thread, NULL);
		if (pl[j].err)
			fprintf(stderr,
				"%s: the probe map: BPF_MAP_UPDATE_ELEM: %s: the loop is not timed\n",
				me, strerror(-pl[j].err));
	}
	if (timed_out)
		fprintf(stderr,
			"%s: rep %u: the map was not freed within %llu s; window cut there\n",
			me, rep, timeout / 1000000000ULL);
	else
		dur = loop_duration(pl, np, n, k, t_close, &unc);
	if (np && !dur && unc)
		fprintf(stderr,
			"%s: rep %u: the loop is not timed: its ends are known to +-%.3f ms only\n",
			me, rep, unc / 1e6);
	w.len_ns = t_end - t_close;

	for (i = 0; i < k; i++)
		close(socks[i]);
	free(socks);
	close(probe);

	/* the idle baseline: the same window, no map */
	sleep_ns(10000000);
	hog_start(&h, o->hog);
	ng = gp_start(g, o->hog);
	kfd = kmsg_mark();
	t0 = now_ns();
	sleep_ns(w.len_ns);
	t = now_ns();
	gp_stop(g, ng, t0, t, &idle);
	hog_stop(&h);
	kmsg_scan(kfd, &idle.st);
	idle.len_ns = w.len_ns;

	if (dur)
		snprintf(loop, sizeof(loop), "%.3f ms +-%.3f", dur / 1e6,
			 unc / 1e6);
	else
		snprintf(loop, sizeof(loop), "not timed");
	fprintf(stderr,
		"%s: rep %u/%u: window %.1f ms, loop %s, gp max %.1f ms over %lu (idle %.1f ms over %lu), stalls %u\n",
		me, rep, o->reps, w.len_ns / 1e6, loop, w.gp_max_ns / 1e6,
		w.gp_samples, idle.gp_max_ns / 1e6, idle.gp_samples, w.st.n);
	row(e, n, k, "kernel", rep, dur, &w);
	row(e, n, 0, "idle", rep, idle.len_ns, &idle);
}

/* -L: the slot loop in user space */

struct fake_sock {
	void *sk_user_data;
	char pad[56];
};

/*
 * reuseport_array_free()'s loop, with the bound re-read from the header on
 * every iteration as the kernel does; the lock and unlock are left out.
 */
static __attribute__((noipa)) unsigned int slot_loop(unsigned char *map)
{
	unsigned int *max = (unsigned int *)(map + MAX_ENTRIES_OFF);
	struct fake_sock **ptrs = (struct fake_sock **)(map + MAP_HDR);
	struct fake_sock *sk;
	unsigned int i, found = 0;

	for (i = 0; i < READ_ONCE(*max); i++) {
		sk = READ_ONCE(ptrs[i]);
		if (sk) {
			sk->sk_user_data = NULL;
			WRITE_ONCE(ptrs[i], NULL);
			found++;
		}
	}
	return found;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int run_native(const struct opts *o)
{
	unsigned long long n = o->size, k = o->socks, i, t0;
	size_t bytes = MAP_HDR + 8 * n;
	struct fake_sock *socks, **ptrs;
	unsigned long long *ns;
	unsigned char *map;
	unsigned int r, found;

	check_memory(bytes);
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die(1, "mmap %zu bytes: %s", bytes, strerror(errno));
	if (madvise(map, bytes, MADV_NOHUGEPAGE))
		fprintf(stderr, "%s: madvise(MADV_NOHUGEPAGE): %s\n", me,
			strerror(errno));
	memset(map, 0, bytes);	/* every page present */
	*(unsigned int *)(map + MAX_ENTRIES_OFF) = n;
	ptrs = (struct fake_sock **)(map + MAP_HDR);
	socks = xmalloc((k ? k : 1) * sizeof(*socks));
	ns = xmalloc(o->reps * sizeof(*ns));
	for (r = 0; r < o->reps; r++) {
		for (i = 0; i < k; i++) {
			socks[i].sk_user_data = map;
			ptrs[i * n / k] = &socks[i];
		}
		t0 = now_ns();
		found = slot_loop(map);
		ns[r] = now_ns() - t0;
		if (found != k)
			die(1, "the loop found %u sockets of %llu", found, k);
	}
	qsort(ns, o->reps, sizeof(*ns), cmp_ull);
	printf("native: n=%llu ns_per_slot=%.3f (best of %u) median %.3f\n",
	       n, (double)ns[0] / n, o->reps,
	       (double)ns[o->reps / 2] / n);
	free(ns);
	free(socks);
	munmap(map, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .hog = -1, .reps = 3, .socks = 1000 };
	struct env e;
	long long v;
	unsigned int r;
	int c, cpus;

	opterr = 0;
	while ((c = getopt(argc, argv, ":s:k:H:r:o:n:A:LS")) != -1) {
		switch (c) {
		case 's':
			o.size = parse_size(optarg);
			if (!o.size)
				bad_args("-s: bad size (1 to 4294967295 slots, K/M/G suffixes)");
			break;
		case 'k':
			v = parse_num(optarg, UINT32_MAX);
			if (v < 0)
				bad_args("-k: bad socket count");
			o.socks = v;
			o.socks_set = 1;
			break;
		case 'H':
			v = parse_num(optarg, CPU_SETSIZE - 1);
			if (v < 0)
				bad_args("-H: bad CPU number");
			o.hog = v;
			break;
		case 'r':
			v = parse_num(optarg, 1000000);
			if (v < 1)
				bad_args("-r: bad repetition count (1 to 1000000)");
			o.reps = v;
			o.reps_set = 1;
			break;
		case 'o':
			if (!*optarg)
				bad_args("-o: empty file name");
			o.csv = optarg;
			break;
		case 'n':
			if (!plain_word(optarg))
				bad_args("-n: the scenario must be one word, no commas or quotes");
			o.scenario = optarg;
			break;
		case 'A':
			if (!plain_word(optarg))
				bad_args("-A: the accel must be one word, no commas or quotes");
			o.accel = optarg;
			break;
		case 'L':
			o.native = 1;
			break;
		case 'S':
			o.scan = 1;
			break;
		case ':':
			fprintf(stderr, "%s: -%c needs an argument\n", me, optopt);
			bad_args(NULL);
			break;
		default:
			fprintf(stderr, "%s: unknown option -%c\n", me, optopt);
			bad_args(NULL);
		}
	}
	/* -L SIZE: the size as an operand */
	if (o.native && !o.size && optind == argc - 1) {
		o.size = parse_size(argv[optind++]);
		if (!o.size)
			bad_args("-L: bad size (1 to 4294967295 slots, K/M/G suffixes)");
	}
	if (optind < argc)
		bad_args("unexpected arguments");
	if ((o.native || o.scan) &&
	    (o.hog >= 0 || o.csv || o.scenario || o.accel))
		bad_args("-H, -o, -n and -A do not apply to -L and -S");
	if (o.scan && (o.native || o.size || o.socks_set || o.reps_set))
		bad_args("-S takes no other option");
	if (o.scan)
		return scan_stdin();
	if (!o.size)
		bad_args("-s SIZE is needed");
	if (!o.socks_set && o.socks > o.size)
		o.socks = o.size;
	if (o.socks > o.size)
		bad_args("-k: more sockets than slots");
	if (o.native)
		return run_native(&o);

	cpus = hog_check(o.hog);
	env_init(&e, &o, cpus);
	check_memory(MAP_HDR + 8 * o.size);
	close(probe_map());
	raise_nofile(o.socks);
	/* the probes' 20 us sleeps */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	v = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		fprintf(stderr,
			"%s: one CPU online: membarrier(MEMBARRIER_CMD_GLOBAL) does not wait for a grace period there: no grace-period timing\n",
			me);
	else if (v < 0 || !(v & MEMBARRIER_CMD_GLOBAL))
		fprintf(stderr,
			"%s: membarrier(MEMBARRIER_CMD_GLOBAL) is not available: no grace-period timing\n",
			me);
	e.out = csv_open(o.csv);
	for (r = 1; r <= o.reps; r++)
		one_teardown(&o, &e, r);
	if (e.out != stdout && fclose(e.out))
		die(1, "%s: %s", o.csv, strerror(errno));
	return 0;
}
