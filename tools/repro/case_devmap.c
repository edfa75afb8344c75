// SPDX-License-Identifier: GPL-2.0
/*
 * devmap, devmap_hash: BPF_MAP_TYPE_DEVMAP and _DEVMAP_HASH.  On every
 * NETDEV_UNREGISTER on the machine, dev_map_notification() walks every
 * DEVMAP's max_entries slots in one rcu_read_lock() section, and every
 * DEVMAP_HASH's buckets (max_entries rounded up to a power of 2) under
 * spin_lock_irqsave(), interrupts off on that CPU, all in one section too.
 *
 * The map is kept open; a child process enters a network namespace of its
 * own (unshare(CLONE_NEWNET)), puts that namespace's loopback device into
 * the map at SOCKS places (slots or keys k * ITERATIONS / SOCKS), and
 * exits: the namespace dies, and its cleanup (a kworker) unregisters the
 * loopback device, whose notifier call walks the map and removes exactly
 * those entries.  trigger_ns is the child's exit (until waitpid()), not
 * the walk; the walk is timed through the entries at its two ends, which
 * a poller looks up until they are gone (bracket.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "repro.h"

struct devmap {
	int map;
	pid_t child;
	int go;			/* the child exits when this pipe is written */
	unsigned long long k;
	__u32 *keys;
	struct poller pl[MAX_POLLERS];
	int np, stop;
	long long vm_before;
};

static unsigned long long dm_bytes(unsigned long long n)
{
	return 8 * n;
}

static unsigned long long dmh_iterations(unsigned long long n)
{
	return pow2_at_least(n);
}

static unsigned long long dmh_bytes(unsigned long long n)
{
	return 8 * dmh_iterations(n);
}

static unsigned long long dm_iterations(unsigned long long n)
{
	return n;
}

/*
 * the child: a namespace of its own, its lo in the map; 0, the errno of
 * unshare(), or that of BPF_MAP_UPDATE_ELEM plus UPDATE_FAILED
 */
#define UPDATE_FAILED	0x10000
static int child_fill(struct devmap *dm)
{
	unsigned long long i;
	int err;

	if (unshare(CLONE_NEWNET))
		return errno;
	/* a new namespace's loopback device is its ifindex 1 */
	for (i = 0; i < dm->k; i++) {
		err = map_update(dm->map, dm->keys[i], 1, 4, BPF_ANY);
		if (err)
			return UPDATE_FAILED - err;
	}
	return 0;
}

static void dm_check_type(__u32 type, const char *what)
{
	int fd = map_create(type, 4, 4, 1, 0);

	if (fd < 0)
		die(2,
		    "this machine refuses bpf(2) for BPF_MAP_TYPE_%s: BPF_MAP_CREATE: %s (needs root, CAP_BPF and CAP_NET_ADMIN, a kernel with CONFIG_BPF_SYSCALL and CONFIG_NET)",
		    what, strerror(-fd));
	close(fd);
}

static void dm_check(void)
{
	dm_check_type(BPF_MAP_TYPE_DEVMAP, "DEVMAP");
}

static void dmh_check(void)
{
	dm_check_type(BPF_MAP_TYPE_DEVMAP_HASH, "DEVMAP_HASH");
}

static int dm_create_type(struct run *r, __u32 type, const char *what)
{
	unsigned long long n = r->o->size, it = r->size, k = r->o->socks, i;
	struct devmap *dm = xmalloc(sizeof(*dm));
	int res[2], go[2], err = 0;
	char c;

	r->priv = dm;
	dm->map = map_create(type, 4, 4, n, 0);
	if (dm->map == -ENOMEM)
		die(1, "BPF_MAP_CREATE: a %llu-entry %s: %s", n, what,
		    strerror(-dm->map));
	if (dm->map < 0)
		die(2,
		    "this machine refuses bpf(2) for a %llu-entry BPF_MAP_TYPE_%s: BPF_MAP_CREATE: %s",
		    n, what, strerror(-dm->map));
	dm->k = k;
	dm->keys = xmalloc((k ? k : 1) * sizeof(*dm->keys));
	for (i = 0; i < k; i++)
		dm->keys[i] = i * it / k;
	if (pipe(res) || pipe(go))
		die(1, "pipe: %s", strerror(errno));
	dm->child = fork();
	if (dm->child < 0)
		die(1, "fork: %s", strerror(errno));
	if (!dm->child) {
		close(res[0]);
		close(go[1]);
		err = child_fill(dm);
		if (write(res[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		/* wait for the word, then let the namespace go */
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(res[1]);
	close(go[0]);
	dm->go = go[1];
	if (read(res[0], &err, sizeof(err)) != sizeof(err))
		die(1, "the namespace child died");
	close(res[0]);
	if (err & UPDATE_FAILED)
		die(1, "BPF_MAP_UPDATE_ELEM of the namespace's lo into the %s: %s",
		    what, strerror(err - UPDATE_FAILED));
	if (err == EPERM || err == EINVAL)
		die(2,
		    "this machine refuses a network namespace (unshare(CLONE_NEWNET): %s): needs root and CONFIG_NET_NS",
		    strerror(err));
	if (err)
		die(1, "unshare(CLONE_NEWNET): %s", strerror(err));
	r->filled = k;
	return 0;
}

static int dm_create(struct run *r)
{
	return dm_create_type(r, BPF_MAP_TYPE_DEVMAP, "DEVMAP");
}

static int dmh_create(struct run *r)
{
	return dm_create_type(r, BPF_MAP_TYPE_DEVMAP_HASH, "DEVMAP_HASH");
}

/* 1: the walk has removed entry i of the poller */
static int dm_probe(struct poller *p, int i)
{
	struct devmap *dm = p->arg;
	__u32 val;
	int err = map_lookup(dm->map, p->key[i], &val);

	if (err == -ENOENT)
		return 1;
	return err;
}

static void dm_setup(struct poller *p, int i, void *arg)
{
	struct devmap *dm = arg;

	p->arg = dm;
	p->probe = dm_probe;
	p->key[0] = dm->keys[i];
	p->key[1] = dm->keys[dm->k - 1 - i];
	p->pos[0] = p->key[0];
	p->pos[1] = p->key[1];
}

static void dm_arm(struct run *r)
{
	struct devmap *dm = r->priv;
	int max = dm->k / 2 < MAX_POLLERS ? dm->k / 2 : MAX_POLLERS;

	dm->np = pollers_start(dm->pl, r->o->hog, &dm->stop, dm_setup, max, dm);
}

static void dm_trigger(struct run *r)
{
	struct devmap *dm = r->priv;
	int status;

	if (write(dm->go, "x", 1) != 1)
		die(1, "the namespace child: %s", strerror(errno));
	while (waitpid(dm->child, &status, 0) < 0)
		if (errno != EINTR)
			die(1, "waitpid: %s", strerror(errno));
	close(dm->go);
}

static void dm_wait(struct run *r)
{
	struct devmap *dm = r->priv;
	unsigned long long timeout = 60000000000ULL + 100 * r->size;
	unsigned long long fixed = 200000000ULL + 20 * r->size, unc = 0;

	while (!pollers_done(dm->pl, dm->np)) {
		if (now_ns() - r->t_trigger > timeout) {
			r->timed_out = 1;
			break;
		}
		sleep_ns(MEM_POLL_NS);
	}
	if (!dm->np)
		while (now_ns() - r->t_trigger < fixed)
			sleep_ns(MEM_POLL_NS);
	WRITE_ONCE(dm->stop, 1);
	pollers_join(dm->pl, dm->np);
	if (!r->timed_out)
		r->loop_ns = walk_duration(dm->pl, dm->np, r->size,
					   r->t_trigger, &unc);
	if (dm->np && !r->loop_ns && unc)
		fprintf(stderr,
			"%s: rep %u: the walk is not timed: its ends are known to +-%.3f ms only\n",
			me, r->rep, unc / 1e6);
}

/* the map goes after the window: its free must be over before the next rep */
static void dm_cleanup(struct run *r)
{
	struct devmap *dm = r->priv;
	int timed_out = 0;
	long long vm = vmalloc_used_kb();

	close(dm->map);
	wait_vfree(vm, r->o->c->bytes(r->o->size), now_ns(),
		   60000000000ULL + 100 * r->size, &timed_out);
	free(dm->keys);
	free(dm);
}

const struct repro_case devmap_case = {
	.name = "devmap",
	.mode = "devmap",
	.func = "dev_map_notification",
	.ctx = "worker",
	.yield = "none",
	.filter_arg = 1,
	.filter_val = 6,	/* NETDEV_UNREGISTER */
	.describe =
		"DEVMAP: every NETDEV_UNREGISTER (here: a network namespace's lo, as the namespace dies) runs dev_map_notification(): every DEVMAP's max_entries slots in one rcu_read_lock() section, in the namespace cleanup's kworker",
	.unit = "slots",
	.native_size = 400000000ULL,
	.bytes = dm_bytes,
	.iterations = dm_iterations,
	.check = dm_check,
	.create = dm_create,
	.arm = dm_arm,
	.trigger = dm_trigger,
	.wait = dm_wait,
	.cleanup = dm_cleanup,
};

const struct repro_case devmap_hash_case = {
	.name = "devmap_hash",
	.mode = "devmap_hash",
	.func = "dev_map_notification",
	.ctx = "worker",
	.yield = "none",
	.filter_arg = 1,
	.filter_val = 6,	/* NETDEV_UNREGISTER */
	.describe =
		"DEVMAP_HASH: every NETDEV_UNREGISTER runs dev_map_notification() -> dev_map_hash_remove_netdev(): all buckets (max_entries rounded up to a power of 2) under spin_lock_irqsave(), interrupts off, in the kworker",
	.unit = "buckets",
	.native_size = 400000000ULL,
	.max_size = 1ULL << 31,	/* dev_map_init_map() */
	.bytes = dmh_bytes,
	.iterations = dmh_iterations,
	.check = dmh_check,
	.create = dmh_create,
	.arm = dm_arm,
	.trigger = dm_trigger,
	.wait = dm_wait,
	.cleanup = dm_cleanup,
};
