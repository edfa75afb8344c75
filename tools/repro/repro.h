/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rlab-repro: shared declarations.  main.c runs the cases of the table in
 * cases.c; window.c times grace periods, runs the hog and reads the kernel
 * log; stall.c classifies stall reports; bracket.c times a walk through
 * entries it clears; native.c is -L; util.c the rest.  Each case_*.c is one
 * kernel path, as a struct repro_case.
 */
#ifndef RLAB_REPRO_H
#define RLAB_REPRO_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <linux/bpf.h>

#define GROUP_SOCKS	1024	/* sockets per port, as mkmap and the module */
#define PROBE_NS	20000ULL
#define MEM_POLL_NS	500000ULL
#define MAX_POLLERS	4	/* threads timing the loop */
#define HOG_PRIO	50	/* sched_set_fifo(): MAX_RT_PRIO / 2 */

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

extern const char *me;

struct opts {
	const struct repro_case *c;
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
	int scan_bad;		/* -B */
	int list;
};

/* The columns every row shares. */
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

struct stall_scan {
	int ok;			/* /dev/kmsg was read */
	unsigned int n;
	char kind[64];
	int blocked, starved, softlockup, hardlockup;
};

/* What one window measured. */
struct window {
	unsigned long long len_ns;
	unsigned long gp_samples;
	unsigned long long gp_max_ns;
	int gp_ok;
	struct stall_scan st;
};

/*
 * One teardown of one case.  The case's create() makes and fills the map
 * (untimed); arm() starts what observes the walk; trigger() makes the call
 * that starts it (timed by the caller: trigger_ns); wait() returns once the
 * walk is over (and its memory back, where that comes later), setting
 * loop_ns where it can time the walk itself; the window ends there.
 * settle() then waits for what comes after the walk (the map's memory),
 * outside the window; cleanup() frees the rest.
 */
struct run {
	const struct opts *o;
	unsigned int rep;
	unsigned long long size;	/* what the walk iterates over */
	unsigned long long filled;	/* entries in the map */
	unsigned long long t_trigger;	/* the window starts */
	unsigned long long trigger_ns;	/* the triggering call's duration */
	unsigned long long loop_ns;	/* 0: not timed */
	int timed_out;
	void *priv;
};

struct repro_case {
	const char *name;	/* -t NAME */
	const char *mode;	/* the CSV's mode column */
	const char *func;	/* the kernel function that walks (fentry) */
	int filter_arg;		/* fentry: count calls whose arg N == val */
	unsigned long long filter_val;
	const char *ctx;	/* the CSV's ctx: "worker" (a kworker), "task" */
	/* what the upstream walk does to yield: "none", "cond_resched_rcu" */
	const char *yield;
	int fills_all;		/* every element is filled: -k does not apply */
	const char *describe;	/* -l: what walks, where, protected how */
	/* the size make demo and make bench run natively (the issue's: 400M) */
	unsigned long long native_size;
	/* the largest -s the map type takes (0: max_entries' u32 limit) */
	unsigned long long max_size;
	int entries_are_fds;	/* each entry holds an open file: RLIMIT_NOFILE */
	const char *unit;	/* what size counts: "slots", "buckets" */
	/* the kernel memory a map of SIZE takes, for the MemAvailable check */
	unsigned long long (*bytes)(unsigned long long size);
	/* the walk's iterations for -s SIZE (buckets: a power of 2) */
	unsigned long long (*iterations)(unsigned long long size);
	/* refuse early (exit 2) where the kernel will not make this map */
	void (*check)(void);
	int (*create)(struct run *r);
	void (*arm)(struct run *r);
	void (*trigger)(struct run *r);
	void (*wait)(struct run *r);
	void (*settle)(struct run *r);
	void (*cleanup)(struct run *r);
};

/* cases.c: the table; case_*.c: its entries */
extern const struct repro_case *const repro_cases[];
extern const struct repro_case reuseport_case;
extern const struct repro_case perf_event_array_case;
extern const struct repro_case htab_timer_case;
extern const struct repro_case devmap_case;
extern const struct repro_case devmap_hash_case;

noreturn void bad_args(const char *why);

/* util.c */
noreturn void die(int status, const char *fmt, ...);
void *xmalloc(size_t n);
unsigned long long now_ns(void);
void sleep_ns(unsigned long long ns);
unsigned long long parse_size(const char *s);
long long parse_num(const char *s, unsigned long long max);
int plain_word(const char *s);
int read_line(const char *path, char *buf, size_t len);
long long meminfo_kb(const char *fmt);
long long vmalloc_used_kb(void);
void check_memory(unsigned long long bytes);
long sys_bpf(int cmd, union bpf_attr *attr);
int map_create(__u32 type, __u32 key, __u32 value, unsigned long long n,
	       __u32 flags);
int map_update(int map, __u32 key, __u64 value, __u32 vsize, __u64 flags);
int map_lookup(int map, __u32 key, void *value);
void raise_nofile(unsigned long long socks);
int udp_reuseport(unsigned short *port);
void wait_vfree(long long vm_before, unsigned long long bytes,
		unsigned long long t0, unsigned long long timeout, int *timed_out);
unsigned long long pow2_at_least(unsigned long long n);

/* stall.c */
void stall_line(struct stall_scan *st, const char *msg);
void stall_result(const struct stall_scan *st, char *buf, size_t len);
int scan_stdin(void);

/* window.c */
struct gp_timer;
struct hog;
int timing_cpus(int hog, int *cpus, int max);
int start_pinned(pthread_t *t, int cpu, void *(*fn)(void *), void *arg);
int hog_check(int cpu);
int kmsg_mark(void);
void kmsg_scan(int fd, struct stall_scan *st);
unsigned long long gp_latency(void);
void quiesce(unsigned long long base);
struct observer *observe_start(int hog);
void observe_stop(struct observer *ob, unsigned long long a,
		  unsigned long long b, struct window *w);

/* bracket.c: a walk timed through entries it clears */
struct poller {
	pthread_t thread;
	int cpu;
	void *arg;
	/* 1: entry i (0 start, 1 end) is cleared, 0: not yet, <0: -errno */
	int (*probe)(struct poller *p, int i);
	int fd[2];			/* the entries: sockets, ... */
	__u32 key[2];			/* ... or keys */
	unsigned long long pos[2];	/* the entries' places in the walk */
	unsigned long long lo[2], hi[2];
	int err;
	int done;
	int *stop;
};

int pollers_start(struct poller *p, int hog, int *stop,
		  void (*setup)(struct poller *p, int i, void *arg),
		  int max, void *arg);
void pollers_join(struct poller *p, int np);
int pollers_done(struct poller *p, int np);
unsigned long long walk_duration(struct poller *p, int np,
				 unsigned long long n,
				 unsigned long long t0,
				 unsigned long long *unc);

/* native.c */
int run_native(const struct opts *o);

#endif
