// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: a walk timed through entries it clears.  A case puts two
 * entries of its own in the map, one near the start of the walk and one
 * near its end; a poller thread on each timing CPU asks the kernel, every
 * 20 us (or every 1/256 of the time since it started, if longer), whether
 * the walk has cleared its first entry yet, then its second.  Each clearing
 * is bracketed in time: after the start of the last "not yet" (lo), before
 * the end of the first "cleared" (hi).  One poller per CPU, each with its
 * own entries, so that one of them runs whichever CPU the walk holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repro.h"

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	unsigned long long t0, start = now_ns();
	int i = 0, r;

	while (i < 2 && !READ_ONCE(*p->stop)) {
		t0 = now_ns();
		r = p->probe(p, i);
		if (r > 0) {
			p->hi[i] = now_ns();
			i++;
			continue;
		}
		if (r < 0) {
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
 * Start a poller on each timing CPU, at most max; setup(p, i, arg) gives
 * poller i its probe and entries.  Returns how many, once each has been
 * told "not yet" once (or has finished).
 */
int pollers_start(struct poller *p, int hog, int *stop,
		  void (*setup)(struct poller *p, int i, void *arg),
		  int max, void *arg)
{
	int cpus[MAX_POLLERS], np = 0, n, i;

	n = timing_cpus(hog, cpus, MAX_POLLERS);
	for (i = 0; i < n && np < max; i++) {
		memset(&p[np], 0, sizeof(p[np]));
		p[np].cpu = cpus[i];
		p[np].stop = stop;
		setup(&p[np], np, arg);
		if (start_pinned(&p[np].thread, cpus[i], poller_fn, &p[np]))
			break;
		np++;
	}
	for (i = 0; i < np; i++)
		while (!READ_ONCE(p[i].lo[0]) && !READ_ONCE(p[i].done))
			sleep_ns(PROBE_NS);
	return np;
}

int pollers_done(struct poller *p, int np)
{
	int i, done = 0;

	for (i = 0; i < np; i++)
		done += READ_ONCE(p[i].done);
	return done == np;
}

void pollers_join(struct poller *p, int np)
{
	int i;

	for (i = 0; i < np; i++) {
		pthread_join(p[i].thread, NULL);
		if (p[i].err)
			fprintf(stderr, "%s: a poller's probe failed: %s: the walk is not timed\n",
				me, strerror(-p[i].err));
	}
}

/*
 * The walk's duration from the tightest brackets of a start and an end
 * entry, scaled to n iterations; 0 if the brackets are wider than a
 * quarter of it (no poller could run while the walk did).
 */
unsigned long long walk_duration(struct poller *p, int np,
				 unsigned long long n,
				 unsigned long long t0,
				 unsigned long long *unc)
{
	unsigned long long w, wa = ~0ULL, wb = ~0ULL, ma = 0, mb = 0;
	unsigned long long sa = 0, sb = 0, lo;
	double scale, dur;
	int i, j;

	for (i = 0; i < np; i++) {
		if (p[i].err)
			continue;
		for (j = 0; j < 2; j++) {
			if (!p[i].hi[j])
				continue;
			lo = p[i].lo[j] > t0 ? p[i].lo[j] : t0;
			w = p[i].hi[j] - lo;
			if (j == 0 && w < wa) {
				wa = w;
				ma = lo + w / 2;
				sa = p[i].pos[0];
			}
			if (j == 1 && w < wb) {
				wb = w;
				mb = lo + w / 2;
				sb = p[i].pos[1];
			}
		}
	}
	if (getenv("RLAB_DEBUG"))
		for (i = 0; i < np; i++)
			fprintf(stderr, "p%d cpu%d a [%lld %lld] b [%lld %lld] us\n", i, p[i].cpu,
				((long long)p[i].lo[0] - (long long)t0) / 1000,
				((long long)p[i].hi[0] - (long long)t0) / 1000,
				((long long)p[i].lo[1] - (long long)t0) / 1000,
				((long long)p[i].hi[1] - (long long)t0) / 1000);
	*unc = 0;
	if (wa == ~0ULL || wb == ~0ULL || sb <= sa || mb <= ma)
		return 0;
	scale = (double)n / (sb - sa);
	dur = (mb - ma) * scale;
	*unc = (wa + wb) / 2 * scale;
	return *unc * 4 > dur ? 0 : (unsigned long long)dur;
}
