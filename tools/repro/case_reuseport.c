// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport: BPF_MAP_TYPE_REUSEPORT_SOCKARRAY.  The map's last reference
 * goes with close(); the kernel frees it in a kworker
 * (bpf_map_free_deferred() -> reuseport_array_free()), whose slot loop runs
 * over max_entries in one RCU read-side section.  The map holds SOCKS bound
 * SO_REUSEPORT UDP sockets at slots k * SIZE / SOCKS.
 *
 * The loop is timed through the sockets: it clears each socket's
 * sk_user_data, and until then the kernel refuses to put the socket in
 * another map (EBUSY).  Each poller offers an 8-slot probe map a socket near
 * the start of the map (slot i * SIZE / SOCKS for poller i), then one near
 * the end (slot (SOCKS - 1 - i) * SIZE / SOCKS): bracket.c.  The window
 * ends when the map's memory is back: for arrays above 32 KiB, which are
 * vmalloc()ed, when VmallocUsed has dropped by 3/4 of the array; smaller
 * ones are kfree()d right after the loop; with no socket to watch, after
 * 200 ms + 20 ns a slot; at most 60 s + 100 ns a slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repro.h"

#define MAP_HDR		256	/* struct reuseport_array before its ptrs[] */
#define KMALLOC_MAX	32768	/* PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER */

struct reuseport {
	int map, probe;
	int *socks;
	unsigned long long n, k;	/* slots, sockets */
	struct poller pl[MAX_POLLERS];
	int np, stop;
	long long vm_before;
};

static unsigned long long rp_bytes(unsigned long long n)
{
	return MAP_HDR + 8 * n;
}

static unsigned long long rp_iterations(unsigned long long n)
{
	return n;
}

/* the probe map, which also tells whether this machine allows the maps */
static int probe_map(void)
{
	int fd = map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, 4, 8,
			    2 * MAX_POLLERS, 0);

	if (fd == -ENOMEM || fd == -EMFILE || fd == -ENFILE)
		die(1, "BPF_MAP_CREATE: %s", strerror(-fd));
	if (fd < 0)
		die(2,
		    "this machine refuses bpf(2) for BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: BPF_MAP_CREATE: %s (needs root, CAP_BPF and CAP_NET_ADMIN, a kernel with CONFIG_BPF_SYSCALL)",
		    strerror(-fd));
	return fd;
}

static void rp_check(void)
{
	close(probe_map());
}

static int rp_create(struct run *r)
{
	unsigned long long n = r->size, k = r->o->socks, i, slot, t0, t;
	struct reuseport *rp = xmalloc(sizeof(*rp));
	unsigned short port = 0;
	int err;

	r->priv = rp;
	rp->n = n;
	rp->k = k;
	rp->probe = probe_map();
	t0 = now_ns();
	rp->map = map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, 4, 8, n, 0);
	if (rp->map < 0 && rp->map != -ENOMEM)
		die(2,
		    "this machine refuses bpf(2) for a %llu-slot BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: BPF_MAP_CREATE: %s",
		    n, strerror(-rp->map));
	if (rp->map < 0)
		die(1, "BPF_MAP_CREATE: %llu slots (%.1f MB): %s", n,
		    rp_bytes(n) / 1e6, strerror(-rp->map));
	t = now_ns();
	rp->socks = xmalloc((k ? k : 1) * sizeof(*rp->socks));
	for (i = 0; i < k; i++) {
		if (i % GROUP_SOCKS == 0)
			port = 0;
		rp->socks[i] = udp_reuseport(&port);
		slot = i * n / k;
		err = map_update(rp->map, slot, rp->socks[i], 8, BPF_NOEXIST);
		if (err)
			die(1, "BPF_MAP_UPDATE_ELEM slot %llu: %s", slot,
			    strerror(-err));
	}
	r->filled = k;
	fprintf(stderr,
		"%s: rep %u/%u: %llu slots (%.1f MB) created in %llu ms, %llu sockets placed in %llu ms\n",
		me, r->rep, r->o->reps, n, rp_bytes(n) / 1e6, (t - t0) / 1000000,
		k, (now_ns() - t) / 1000000);
	return 0;
}

/* 1: the loop has released socket i of the poller (the probe map took it) */
static int rp_probe(struct poller *p, int i)
{
	struct reuseport *rp = p->arg;
	int err = map_update(rp->probe, p->key[i], p->fd[i], 8, BPF_ANY);

	if (!err)
		return 1;
	return err == -EBUSY ? 0 : err;
}

static void rp_setup(struct poller *p, int i, void *arg)
{
	struct reuseport *rp = arg;
	unsigned long long k = rp->k;

	p->arg = rp;
	p->probe = rp_probe;
	p->fd[0] = rp->socks[i];
	p->fd[1] = rp->socks[k - 1 - i];
	p->key[0] = 2 * i;
	p->key[1] = 2 * i + 1;
	p->pos[0] = i * rp->n / k;
	p->pos[1] = (k - 1 - i) * rp->n / k;
}

static void rp_arm(struct run *r)
{
	struct reuseport *rp = r->priv;
	int max = rp->k / 2 < MAX_POLLERS ? rp->k / 2 : MAX_POLLERS;

	rp->np = pollers_start(rp->pl, r->o->hog, &rp->stop, rp_setup, max, rp);
	rp->vm_before = rp_bytes(r->size) > KMALLOC_MAX ? vmalloc_used_kb() : -1;
}

static void rp_trigger(struct run *r)
{
	struct reuseport *rp = r->priv;

	close(rp->map);
}

static void rp_wait(struct run *r)
{
	struct reuseport *rp = r->priv;
	unsigned long long n = r->size, unc = 0;
	unsigned long long timeout = 60000000000ULL + 100 * n;
	unsigned long long fixed = 200000000ULL + 20 * n;

	/* the loop: until every poller has seen its two sockets released */
	while (!pollers_done(rp->pl, rp->np)) {
		if (now_ns() - r->t_trigger > timeout) {
			r->timed_out = 1;
			break;
		}
		sleep_ns(MEM_POLL_NS);
	}
	/* the memory */
	if (rp->vm_before > 0)
		wait_vfree(rp->vm_before, rp_bytes(n), r->t_trigger, timeout,
			   &r->timed_out);
	else if (!rp->np)
		while (now_ns() - r->t_trigger < fixed)
			sleep_ns(MEM_POLL_NS);
	WRITE_ONCE(rp->stop, 1);
	pollers_join(rp->pl, rp->np);
	if (!r->timed_out)
		r->loop_ns = walk_duration(rp->pl, rp->np, n, r->t_trigger, &unc);
	if (rp->np && !r->loop_ns && unc)
		fprintf(stderr,
			"%s: rep %u: the loop is not timed: its ends are known to +-%.3f ms only\n",
			me, r->rep, unc / 1e6);
}

static void rp_cleanup(struct run *r)
{
	struct reuseport *rp = r->priv;
	unsigned long long i;

	for (i = 0; i < r->filled; i++)
		close(rp->socks[i]);
	free(rp->socks);
	close(rp->probe);
	free(rp);
}

const struct repro_case reuseport_case = {
	.name = "reuseport",
	.mode = "kernel",
	.func = "reuseport_array_free",
	.ctx = "worker",
	.yield = "none",
	.filter_arg = -1,
	.describe =
		"REUSEPORT_SOCKARRAY: close() drops the last reference; a kworker's reuseport_array_free() walks max_entries slots in one rcu_read_lock() section",
	.unit = "slots",
	.native_size = 400000000ULL,
	.entries_are_fds = 1,
	.bytes = rp_bytes,
	.iterations = rp_iterations,
	.check = rp_check,
	.create = rp_create,
	.arm = rp_arm,
	.trigger = rp_trigger,
	.wait = rp_wait,
	.cleanup = rp_cleanup,
};
