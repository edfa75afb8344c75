// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: real kernel paths that walk a whole BPF map inside one RCU
 * read-side section, driven from user space with bpf(2) as root, no module.
 * Each case (cases.c, one case_*.c each) makes a map, triggers the walk
 * the way the kernel's users do, and says when it is over; this file runs
 * the teardowns and writes the rows.  docs/interface.md describes the
 * options, the cases and the columns.
 *
 *   rlab-repro [-t CASE] -s SIZE [-k ENTRIES] [-H CPU] [-r REPS] [-o CSV]
 *              [-n SCENARIO] [-A ACCEL]
 *   rlab-repro -l
 *   rlab-repro -L SIZE [-k SOCKS] [-r REPS]      (or -L -s SIZE)
 *   rlab-repro -S < MESSAGES
 *   rlab-repro -B < MESSAGES
 *
 * One teardown: the case's map is made and filled; a thread on each CPU
 * (at most 4, pinned, at SCHED_FIFO 51, above the hog) times grace periods
 * with membarrier(MEMBARRIER_CMD_GLOBAL) (window.c), /dev/kmsg is read from
 * its end, the walking function is timed by fentry/fexit where the kernel
 * allows it (ftime.c), and the case's trigger runs.  The window runs from
 * the trigger until the case says the walk is over (reuseport: and its
 * memory back, as it has always been measured).  Then an idle window of the same length, with no
 * map (and the hog, if any).
 *
 * Exit status: 0 done, 1 failure, 2 bad arguments or the kernel refused.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "repro.h"
#include "ftime.h"
#include "stall.h"
#include "columns.h"

/*
 * The CSV's header: CSV_HEADER, generated from tools/columns (the schema,
 * docs/interface.md) by tools/Makefile.  row() writes its 25 columns, the
 * last (gp_source) "membarrier": what gp_samples and gp_max_ns count.
 */
static_assert(CSV_COLUMNS == 25,
	      "tools/columns is not the 25 columns row() writes");
#define GP_SOURCE "membarrier"

/* the walking function's timer, or why there is none */
struct fn {
	struct ftime *ft;
	char timing[128];	/* fexit:FUNC, or none:REASON */
};

noreturn void bad_args(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", me, why);
	fprintf(stderr,
		"usage: %s [-t CASE] -s SIZE [-k ENTRIES] [-H CPU] [-r REPS] [-o CSV] [-n SCENARIO] [-A ACCEL]\n"
		"       %s -l\n"
		"       %s -L SIZE [-k SOCKS] [-r REPS]     (or -L -s SIZE)\n"
		"       %s -S < MESSAGES\n"
		"       %s -B < MESSAGES\n"
		"  -t CASE      the kernel path (-l lists them; default reuseport)\n"
		"  -s SIZE      max_entries, K/M/G suffixes (10^3, 10^6, 10^9), 1 to 4294967295\n"
		"  -k ENTRIES   entries in the map (default 1000, at most SIZE; not htab_timer,\n"
		"               which fills every element)\n"
		"  -H CPU       SCHED_FIFO busy thread on CPU during each window, spinning\n"
		"               950 ms of every second (its own throttle)\n"
		"  -r REPS      teardowns, or -L loops (default 3)\n"
		"  -o CSV       append rows to CSV (default stdout)\n"
		"  -n SCENARIO  scenario column (default <preempt>-t<stall timeout>)\n"
		"  -A ACCEL     accel column (default rl.accel= or tcg under rl.suite=, else native)\n"
		"  -l           list the cases\n"
		"  -L           time reuseport's slot loop natively in user space\n"
		"  -S           classify kernel messages on stdin: STALLS KIND\n"
		"  -B           kernel badness on stdin: COUNT KINDS, then KIND: MESSAGE each\n",
		me, me, me, me, me);
	exit(2);
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

/* the value of WORD= on the kernel command line, if it is a plain word */
static int cmdline_word(const char *word, char *buf, size_t len)
{
	char line[4096], *p, *q;
	size_t n = strlen(word);

	if (read_line("/proc/cmdline", line, sizeof(line)))
		return -1;
	for (p = line; (p = strstr(p, word)); p += n) {
		if ((p != line && p[-1] != ' ') || p[n] != '=')
			continue;
		p += n + 1;
		q = p + strcspn(p, " ");
		*q = '\0';
		snprintf(buf, len, "%s", p);
		return plain_word(buf) ? 0 : -1;
	}
	return -1;
}

static void env_init(struct env *e, const struct opts *o, int cpus)
{
	static char accel[32];
	char model[48], suite[64], rt[16];
	struct utsname u;
	int dyn;

	/*
	 * The module's rule (module/main.c): "dynamic:" with PREEMPT_DYNAMIC
	 * (sched/preempt exists with it only), then rt on PREEMPT_RT
	 * (/sys/kernel/realtime is 1; sched/preempt names full or lazy
	 * there), else the model sched/preempt selects.  Without
	 * PREEMPT_DYNAMIC only rt can be told from user space: else empty.
	 */
	dyn = !preempt_model(model, sizeof(model));
	if (!read_line("/sys/kernel/realtime", rt, sizeof(rt)) &&
	    !strcmp(rt, "1"))
		snprintf(model, sizeof(model), "rt");
	else if (!dyn)
		snprintf(model, sizeof(model), "unknown");
	if (strcmp(model, "unknown"))
		snprintf(e->preempt, sizeof(e->preempt), "%s%s",
			 dyn ? "dynamic:" : "", model);
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
	if (!uname(&u) && plain_word(u.release))
		snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	if (o->hog >= 0)
		snprintf(e->hog, sizeof(e->hog), "%d", o->hog);
	else
		snprintf(e->hog, sizeof(e->hog), "off");
	e->cpus = cpus;
	e->accel = o->accel;
	if (!e->accel) {
		e->accel = "native";
		if (!cmdline_word("rl.accel", accel, sizeof(accel)))
			e->accel = accel;
		else if (!cmdline_word("rl.suite", suite, sizeof(suite)))
			e->accel = "tcg";
	}
}

static FILE *csv_open(const char *path)
{
	char line[sizeof(CSV_HEADER) + 2];
	struct stat sb;
	FILE *f;
	int fresh;

	if (!path) {
		puts(CSV_HEADER);
		fflush(stdout);
		return stdout;
	}
	fresh = stat(path, &sb) || !sb.st_size;
	/* rows of two schemas in one file would be read by the wrong names */
	if (!fresh && (read_line(path, line, sizeof(line)) ||
		       strcmp(line, CSV_HEADER)))
		die(1, "%s: its header is not the schema's (tools/columns): write to a new file",
		    path);
	f = fopen(path, "a");
	if (!f)
		die(1, "%s: %s", path, strerror(errno));
	if (fresh)
		fprintf(f, "%s\n", CSV_HEADER);
	fflush(f);
	return f;
}

/* "N" or "" */
static void num(char *buf, size_t len, unsigned long long v, int have)
{
	if (have)
		snprintf(buf, len, "%llu", v);
	else
		buf[0] = '\0';
}

/*
 * The case's row (mode is the case's) or its idle row: duration_ns (0:
 * not timed), the window's grace periods and stalls, the trigger and the
 * function's own time.
 */
static void row(const struct env *e, const struct run *r, int idle,
		unsigned long long dur, const struct window *w,
		const char *fn_ns, const char *fn_timing)
{
	const struct repro_case *c = r->o->c;
	char d[32], nps[32] = "", gp[64] = ",", st[128], trig[32];

	num(d, sizeof(d), dur, dur != 0);
	num(trig, sizeof(trig), r->trigger_ns, !idle);
	if (dur && !idle) {
		unsigned long long milli = dur * 1000 / r->size;

		snprintf(nps, sizeof(nps), "%llu.%03llu", milli / 1000,
			 milli % 1000);
	}
	if (w->gp_ok)
		snprintf(gp, sizeof(gp), "%lu,%llu", w->gp_samples,
			 w->gp_max_ns);
	stall_result(&w->st, st, sizeof(st));
	fprintf(e->out, "%s,%s,%s,%s,%s,%d,%llu,%llu,%s,-,%s,%u,%s,%s,,,%s,%s,%s,%s,%s,%s,%s\n",
		e->scenario, e->kernel, e->preempt, e->timeout, e->hog, e->cpus,
		r->size, idle ? 0ULL : r->filled, idle ? "idle" : c->mode,
		idle ? "" : c->ctx, r->rep, d, nps, gp, st, e->accel, trig,
		idle ? "" : fn_ns, idle ? "" : fn_timing, GP_SOURCE);
	if (fflush(e->out) || ferror(e->out))
		die(1, "writing the CSV: %s", strerror(errno));
}

/* fentry/fexit on the first of the case's functions the kernel has */
static void fn_open(struct fn *f, const struct repro_case *c)
{
	char list[256], why[32] = "no-func", msg[256] = "", *name, *save;

	f->ft = NULL;
	snprintf(list, sizeof(list), "%s", c->func);
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		f->ft = ftime_open(name, c->filter_arg, c->filter_val, why,
				   sizeof(why), msg, sizeof(msg));
		if (f->ft) {
			snprintf(f->timing, sizeof(f->timing), "fexit:%s", name);
			return;
		}
		if (strcmp(why, "no-func"))
			break;
	}
	snprintf(f->timing, sizeof(f->timing), "none:%s", why);
	fprintf(stderr, "%s: %s is not timed by fentry/fexit here (%s)%s%s\n",
		me, c->func, why, msg[0] ? ": " : "", msg);
}

/* the function's longest call since the reset, waiting up to 1 s for one */
static void fn_result(struct fn *f, char *buf, size_t len)
{
	unsigned long long calls = 0, sum, max = 0, t0 = now_ns();

	buf[0] = '\0';
	if (!f->ft)
		return;
	while (!ftime_read(f->ft, &calls, &sum, &max) && !calls &&
	       now_ns() - t0 < 1000000000ULL)
		sleep_ns(MEM_POLL_NS);
	if (calls)
		snprintf(buf, len, "%llu", max);
}

static void one_teardown(const struct opts *o, const struct env *e,
			 struct fn *f, unsigned int rep)
{
	const struct repro_case *c = o->c;
	struct run r = { .o = o, .rep = rep, .size = c->iterations(o->size) };
	struct window w, idle;
	struct observer *ob;
	char loop[64], fn_ns[32];
	unsigned long long t0, t, base, l;
	int i;

	check_memory(c->bytes(o->size));
	/* a grace period's latency before anything: the best of 3 */
	for (base = 0, i = 0; i < 3; i++) {
		l = gp_latency();
		if (!base || (l && l < base))
			base = l;
	}
	c->create(&r);
	ob = observe_start(o->hog);
	if (c->arm)
		c->arm(&r);
	if (f->ft)
		ftime_reset(f->ft);
	r.t_trigger = now_ns();
	c->trigger(&r);
	r.trigger_ns = now_ns() - r.t_trigger;
	c->wait(&r);
	t = now_ns();
	observe_stop(ob, r.t_trigger, t, &w);
	fn_result(f, fn_ns, sizeof(fn_ns));
	if (c->settle)
		c->settle(&r);
	if (r.timed_out)
		fprintf(stderr,
			"%s: rep %u: the walk was not over within the time allowed; window cut there\n",
			me, rep);
	c->cleanup(&r);

	/* the idle baseline: the same window, no map, once things are quiet */
	sleep_ns(10000000);
	quiesce(base);
	ob = observe_start(o->hog);
	t0 = now_ns();
	sleep_ns(w.len_ns);
	observe_stop(ob, t0, now_ns(), &idle);

	if (r.loop_ns)
		snprintf(loop, sizeof(loop), "%.3f ms", r.loop_ns / 1e6);
	else
		snprintf(loop, sizeof(loop), "not timed");
	fprintf(stderr,
		"%s: %s rep %u/%u: window %.1f ms, walk %s, trigger %.3f ms, %s %s%s, gp max %.1f ms over %lu (idle %.1f ms over %lu), stalls %u\n",
		me, c->name, rep, o->reps, w.len_ns / 1e6, loop,
		r.trigger_ns / 1e6, f->timing, fn_ns[0] ? fn_ns : "-",
		fn_ns[0] ? " ns" : "", w.gp_max_ns / 1e6, w.gp_samples,
		idle.gp_max_ns / 1e6, idle.gp_samples, w.st.n);
	row(e, &r, 0, r.loop_ns, &w, fn_ns, f->timing);
	row(e, &r, 1, idle.len_ns, &idle, "", "");
}

static const struct repro_case *find_case(const char *name)
{
	int i;

	for (i = 0; repro_cases[i]; i++)
		if (!strcmp(repro_cases[i]->name, name))
			return repro_cases[i];
	return NULL;
}

static int list_cases(void)
{
	const struct repro_case *c;
	int i;

	for (i = 0; (c = repro_cases[i]); i++) {
		printf("%-17s mode %-17s %-7s %3llu bytes/iteration yield %-16s",
		       c->name, c->mode, c->unit,
		       c->bytes(1 << 20) / c->iterations(1 << 20) + 1, c->yield);
		printf(" %s native-size %llu\n  %s\n", c->func, c->native_size,
		       c->describe);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .hog = -1, .reps = 3, .socks = 1000 };
	struct env e;
	struct fn f;
	long long v;
	unsigned int r;
	int c, cpus;

	o.c = repro_cases[0];
	opterr = 0;
	while ((c = getopt(argc, argv, ":t:s:k:H:r:o:n:A:lLSB")) != -1) {
		switch (c) {
		case 't':
			o.c = find_case(optarg);
			if (!o.c)
				bad_args("-t: no such case (-l lists them)");
			break;
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
				bad_args("-n: the scenario must be one word (a-z, 0-9, ._:+~/=-)");
			o.scenario = optarg;
			break;
		case 'A':
			if (!plain_word(optarg))
				bad_args("-A: the accel must be one word (a-z, 0-9, ._:+~/=-)");
			o.accel = optarg;
			break;
		case 'l':
			o.list = 1;
			break;
		case 'L':
			o.native = 1;
			break;
		case 'S':
			o.scan = 1;
			break;
		case 'B':
			o.scan_bad = 1;
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
	if (o.list && argc != 2)
		bad_args("-l takes no other option");
	if (o.list)
		return list_cases();
	if ((o.native || o.scan || o.scan_bad) &&
	    (o.hog >= 0 || o.csv || o.scenario || o.accel || o.c != repro_cases[0]))
		bad_args("-t, -H, -o, -n and -A do not apply to -L, -S and -B");
	if (o.scan && (o.native || o.size || o.socks_set || o.reps_set || o.scan_bad))
		bad_args("-S takes no other option");
	if (o.scan_bad && (o.native || o.size || o.socks_set || o.reps_set))
		bad_args("-B takes no other option");
	if (o.scan)
		return scan_stdin();
	if (o.scan_bad)
		return scan_bad_stdin();
	if (!o.size)
		bad_args("-s SIZE is needed");
	if (o.c->fills_all && o.socks_set)
		bad_args("-k does not apply to this case: it fills every element");
	if (o.c->max_size && o.size > o.c->max_size)
		bad_args("-s: more than this map type takes (rlab-repro -l)");
	if (o.c->fills_all)
		o.socks = o.size;
	if (!o.socks_set && o.socks > o.size)
		o.socks = o.size;
	if (o.socks > o.size)
		bad_args("-k: more sockets than slots");
	if (o.native)
		return run_native(&o);

	cpus = hog_check(o.hog);
	if (cpus < 0)
		bad_args(NULL);
	env_init(&e, &o, cpus);
	check_memory(o.c->bytes(o.size));
	o.c->check();
	raise_nofile(o.c->entries_are_fds ? o.socks : 0);
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
	fn_open(&f, o.c);
	e.out = csv_open(o.csv);
	for (r = 1; r <= o.reps; r++)
		one_teardown(&o, &e, &f, r);
	ftime_close(f.ft);
	if (e.out != stdout && fclose(e.out))
		die(1, "%s: %s", o.csv, strerror(errno));
	return 0;
}
