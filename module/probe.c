// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport_lab: the grace-period probe and the SCHED_FIFO hog.
 */
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "rl.h"

/*
 * The probe is a chain of call_rcu() callbacks: each one measures the grace
 * period it waited for and queues the next, so a grace period is pending all
 * through the free loop, without any task having to be scheduled.  Only one
 * teardown runs at a time (main.c), so there is one probe, touched only by
 * the callback in flight until the chain has ended: the callback that sees
 * @stop clears @active instead of queueing another.
 */
static struct {
	struct rcu_head head;
	bool stop;
	bool active;
	u64 queued;
	u64 samples;
	u64 max_ns;
} rl_probe;

static void rl_probe_cb(struct rcu_head *head)
{
	u64 now = ktime_get_ns();

	rl_probe.samples++;
	rl_probe.max_ns = max(rl_probe.max_ns, now - rl_probe.queued);
	if (READ_ONCE(rl_probe.stop)) {
		WRITE_ONCE(rl_probe.active, false);
		return;
	}
	rl_probe.queued = ktime_get_ns();
	call_rcu(&rl_probe.head, rl_probe_cb);
}

void rl_probe_start(void)
{
	rl_probe.stop = false;
	rl_probe.active = true;
	rl_probe.samples = 0;
	rl_probe.max_ns = 0;
	rl_probe.queued = ktime_get_ns();
	call_rcu(&rl_probe.head, rl_probe_cb);
}

/*
 * The grace period in flight when the loop ends is waited for and counted.
 * A callback that read @stop before it was set may queue its successor after
 * rcu_barrier() has queued its own: hence the loop.
 */
void rl_probe_stop(u64 *samples, u64 *max_ns)
{
	WRITE_ONCE(rl_probe.stop, true);
	do {
		rcu_barrier();
	} while (READ_ONCE(rl_probe.active));
	*samples = rl_probe.samples;
	*max_ns = rl_probe.max_ns;
}

/*
 * The hog spins at SCHED_FIFO on one CPU.  When the RT throttle
 * (sched_rt_runtime_us) takes the CPU back, preemption does it on preemptible
 * kernels and cond_resched() on the others, as for a user-space hog.
 */
static int rl_hog_fn(void *unused)
{
	while (!kthread_should_stop()) {
		cpu_relax();
		cond_resched();
	}
	return 0;
}

struct task_struct *rl_hog_start(unsigned int cpu)
{
	struct task_struct *hog;

	hog = kthread_create_on_cpu(rl_hog_fn, NULL, cpu, "rl_hog/%u");
	if (IS_ERR(hog))
		return hog;
	sched_set_fifo(hog);
	wake_up_process(hog);
	return hog;
}

void rl_hog_stop(struct task_struct *hog)
{
	kthread_stop(hog);
}
