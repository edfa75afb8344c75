// SPDX-License-Identifier: GPL-2.0
/*
 * perf_event_array: BPF_MAP_TYPE_PERF_EVENT_ARRAY.  Every release of the
 * map's file (the last close() of an fd of it) runs
 * perf_event_fd_array_release() in the closing task, which walks all
 * max_entries slots in one rcu_read_lock() section, with no yield, to drop
 * the entries that file put there.  The map holds SOCKS software perf
 * events (PERF_COUNT_SW_DUMMY, this task, any CPU) at slots k * SIZE /
 * SOCKS; where the kernel has no perf events (CONFIG_PERF_EVENTS=n), none:
 * the walk visits every slot all the same.
 *
 * The walk is timed as the close() that runs it (duration_ns is
 * trigger_ns), and the window ends with it; then, outside the window, the
 * array's vfree() (the map is freed in a kworker after the release), so
 * that the next rep has the memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "repro.h"

#define ARRAY_HDR	320	/* struct bpf_array before its ptrs[], about */
#define KMALLOC_MAX	32768

struct pea {
	int map;
	int *ev;
	unsigned long long nev;
	long long vm_before;
};

static unsigned long long pea_bytes(unsigned long long n)
{
	return ARRAY_HDR + 8 * n;
}

static unsigned long long pea_iterations(unsigned long long n)
{
	return n;
}

/* a software perf event of this task: an fd, or -errno */
static int dummy_event(void)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_DUMMY;
	a.disabled = 1;
	fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void pea_check(void)
{
	int fd = map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1, 0);

	if (fd < 0)
		die(2,
		    "this machine refuses bpf(2) for BPF_MAP_TYPE_PERF_EVENT_ARRAY: BPF_MAP_CREATE: %s (needs root, CAP_BPF, a kernel with CONFIG_BPF_SYSCALL)",
		    strerror(-fd));
	close(fd);
}

static int pea_create(struct run *r)
{
	unsigned long long n = r->size, k = r->o->socks, i, slot;
	struct pea *pe = xmalloc(sizeof(*pe));
	int err, fd;

	r->priv = pe;
	pe->map = map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, n, 0);
	if (pe->map == -ENOMEM)
		die(1, "BPF_MAP_CREATE: a %llu-slot PERF_EVENT_ARRAY: %s", n,
		    strerror(-pe->map));
	if (pe->map < 0)
		die(2,
		    "this machine refuses bpf(2) for a %llu-slot BPF_MAP_TYPE_PERF_EVENT_ARRAY: BPF_MAP_CREATE: %s",
		    n, strerror(-pe->map));
	pe->ev = xmalloc((k ? k : 1) * sizeof(*pe->ev));
	/* the file exists iff CONFIG_PERF_EVENTS */
	if (k && access("/proc/sys/kernel/perf_event_paranoid", F_OK)) {
		fprintf(stderr,
			"%s: no perf events in this kernel (CONFIG_PERF_EVENTS=n): the map stays empty, and the walk visits every slot all the same\n",
			me);
		k = 0;
	}
	for (i = 0; i < k; i++) {
		fd = dummy_event();
		if (fd < 0)
			die(1, "perf_event_open: %s", strerror(-fd));
		pe->ev[pe->nev++] = fd;
		slot = i * n / k;
		err = map_update(pe->map, slot, fd, 4, BPF_ANY);
		if (err)
			die(1, "BPF_MAP_UPDATE_ELEM slot %llu: %s", slot,
			    strerror(-err));
	}
	r->filled = pe->nev;
	return 0;
}

static void pea_arm(struct run *r)
{
	struct pea *pe = r->priv;

	pe->vm_before = pea_bytes(r->size) > KMALLOC_MAX ? vmalloc_used_kb() : -1;
}

static void pea_trigger(struct run *r)
{
	struct pea *pe = r->priv;

	close(pe->map);
}

static void pea_wait(struct run *r)
{
	/* the release ran in close(): that is the walk */
	r->loop_ns = r->trigger_ns;
}

/* the array's vfree(), in a kworker after the release */
static void pea_settle(struct run *r)
{
	struct pea *pe = r->priv;

	wait_vfree(pe->vm_before, pea_bytes(r->size), r->t_trigger,
		   60000000000ULL + 100 * r->size, &r->timed_out);
}

static void pea_cleanup(struct run *r)
{
	struct pea *pe = r->priv;
	unsigned long long i;

	for (i = 0; i < pe->nev; i++)
		close(pe->ev[i]);
	free(pe->ev);
	free(pe);
}

const struct repro_case perf_event_array_case = {
	.name = "perf_event_array",
	.mode = "perf_event_array",
	.func = "perf_event_fd_array_release",
	.ctx = "task",
	.yield = "none",
	.filter_arg = -1,
	.describe =
		"PERF_EVENT_ARRAY: the map file's release (the last close()) runs perf_event_fd_array_release() in the closing task: max_entries slots in one rcu_read_lock() section, no yield",
	.unit = "slots",
	.native_size = 400000000ULL,
	.entries_are_fds = 1,
	.bytes = pea_bytes,
	.iterations = pea_iterations,
	.check = pea_check,
	.create = pea_create,
	.arm = pea_arm,
	.trigger = pea_trigger,
	.wait = pea_wait,
	.settle = pea_settle,
	.cleanup = pea_cleanup,
};
