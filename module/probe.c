// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport_lab: the grace-period probe and the SCHED_FIFO hog.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "rl.h"

/* Before 6.2 (no RCU_LAZY), call_rcu() never waits to request a GP. */
#ifndef RL_HAVE_CALL_RCU_HURRY
#define call_rcu_hurry call_rcu
#endif

/* The grace-period counter: low two bits the state, 0 when idle. */
#define RL_GP_STATE_MASK	3UL
#define RL_PROBE_PERIOD_NS	(1 * NSEC_PER_MSEC)

/*
 * The probe has two parts.  A chain of call_rcu_hurry() callbacks keeps a
 * grace period requested all through the free loop (else nothing would wait
 * for the loop's section, and no stall could be detected): each callback
 * queues the next.  A hard-irq hrtimer on the loop's CPU reads the grace-period
 * counter every RL_PROBE_PERIOD_NS and times each grace period from the first
 * tick that sees it in progress to the first tick that sees it over: the grace
 * period itself, to within one period, neither the callbacks' latency nor a
 * request's.  A grace period already running when the probe starts is timed
 * from that start (its length is at least that: the loop that follows holds
 * it up as much as one it starts), else a loop that stalls such a grace
 * period would report only the short one after it.  Only grace periods that
 * were running when the loop began or started later, and started before it
 * ended, count.  rl_probe_begin() reads the counter as the loop begins (plain
 * calls it inside a read-side section around its loop), and a grace period
 * that ended before that reading is not counted: between rl_probe_start()
 * and the loop a stopped vCPU that comes back to a tick can see whole grace
 * periods pass (6.1-debug, 2026-12-07: three counted for a one-slot loop).
 * rl_probe_end() reads the counter right after the loop, and a grace period
 * numbered past that reading (one the probe's own chain or anything else
 * started later) is not counted, however long it takes, though the probe
 * still runs while it waits for the one in flight.  That one, running when
 * the loop ended, is waited for and counted (the loop may have held it up).
 * A loop shorter than any grace period counts at most two (one running at
 * its start that ended during it, then the one in flight at its end), none
 * when none was running during it; so does plain however long, since a grace
 * period that starts during its section cannot end before the section does.
 *
 * Only one teardown runs at a time (main.c), so there is one probe.  The
 * chain's state is touched only by the callback in flight until the chain
 * has ended: the callback that sees @stop clears @active (release) instead
 * of queueing another.  The timer's state is read only after
 * hrtimer_cancel(), which waits for a running callback.
 */
static struct {
	struct rcu_head head;
	bool stop;
	bool active;
	struct hrtimer timer;
	bool begun;		/* the loop has begun: @begin is set */
	unsigned long begin;	/* the counter when it began */
	bool ended;		/* the loop is over: @end is set */
	unsigned long end;	/* the counter when it ended */
	unsigned long seen;	/* the counter at the last tick */
	unsigned long gp;	/* the grace period being timed, or 0 */
	u64 gp_start;		/* the first tick that saw it running */
	u64 samples;
	u64 max_ns;
} rl_probe;

static void rl_probe_cb(struct rcu_head *head)
{
	if (READ_ONCE(rl_probe.stop)) {
		/* Pairs with smp_load_acquire() in rl_probe_stop(). */
		smp_store_release(&rl_probe.active, false);
		return;
	}
	call_rcu_hurry(&rl_probe.head, rl_probe_cb);
}

static bool rl_gp_running(unsigned long seq)
{
	return seq & RL_GP_STATE_MASK;
}

/*
 * Grace period @gp (a running counter value), seen over, ran during the loop:
 * the loop had begun and the counter read then was @gp itself or before it
 * (else @gp ended before the loop began), and the loop has not ended or the
 * counter read at its end was @gp itself or past it.  Counter values compare
 * as rcu_seq's do, wrapping.
 */
static bool rl_gp_in_loop(unsigned long gp)
{
	/* Pairs with smp_store_release() in rl_probe_begin(). */
	if (!smp_load_acquire(&rl_probe.begun) ||
	    (long)(gp - rl_probe.begin) < 0)
		return false;
	/* Pairs with smp_store_release() in rl_probe_end(). */
	if (!smp_load_acquire(&rl_probe.ended))
		return true;
	return (long)(rl_probe.end - gp) >= 0;
}

static enum hrtimer_restart rl_probe_tick(struct hrtimer *timer)
{
	unsigned long seq = rcu_get_gp_seq();
	u64 now = ktime_get_ns();

	if (seq != rl_probe.seen) {
		/* The timed grace period has ended (and others may have). */
		if (rl_probe.gp && seq != rl_probe.gp) {
			if (rl_gp_in_loop(rl_probe.gp)) {
				rl_probe.samples++;
				rl_probe.max_ns = max(rl_probe.max_ns,
						      now - rl_probe.gp_start);
			}
			rl_probe.gp = 0;
		}
		if (rl_gp_running(seq)) {
			rl_probe.gp = seq;
			rl_probe.gp_start = now;
		}
		rl_probe.seen = seq;
	}
	hrtimer_forward_now(timer, ns_to_ktime(RL_PROBE_PERIOD_NS));
	return HRTIMER_RESTART;
}

void rl_probe_start(void)
{
	rl_probe.stop = false;
	rl_probe.active = true;
	rl_probe.begun = false;
	rl_probe.ended = false;
	rl_probe.samples = 0;
	rl_probe.max_ns = 0;
	rl_probe.gp = 0;
	rl_probe.seen = rcu_get_gp_seq();
	/* One running now started unseen: time it from here. */
	if (rl_gp_running(rl_probe.seen)) {
		rl_probe.gp = rl_probe.seen;
		rl_probe.gp_start = ktime_get_ns();
	}
#ifdef RL_HAVE_HRTIMER_SETUP
	hrtimer_setup(&rl_probe.timer, rl_probe_tick, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
#else
	hrtimer_init(&rl_probe.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	rl_probe.timer.function = rl_probe_tick;
#endif
	hrtimer_start(&rl_probe.timer, ns_to_ktime(RL_PROBE_PERIOD_NS),
		      HRTIMER_MODE_REL_HARD);
	call_rcu_hurry(&rl_probe.head, rl_probe_cb);
}

/*
 * The loop begins: grace periods that have ended by now are not counted.
 * Called by each mode (array.c) right before its loop, in the loop's
 * context; harmless when the probe is off (rl_probe_start() resets it).
 */
void rl_probe_begin(void)
{
	rl_probe.begin = rcu_get_gp_seq();
	/* Pairs with smp_load_acquire() in rl_gp_in_loop(). */
	smp_store_release(&rl_probe.begun, true);
}

/*
 * The loop has ended: grace periods that start from now on are not counted.
 * Called right after the loop, in the loop's context; the tick may run on
 * another CPU (the task may have migrated), hence the release.
 */
void rl_probe_end(void)
{
	rl_probe.end = rcu_get_gp_seq();
	/* Pairs with smp_load_acquire() in rl_gp_in_loop(). */
	smp_store_release(&rl_probe.ended, true);
}

/*
 * The grace period in flight when the loop ends is waited for, and timed by
 * the next tick after its end.  A callback that read @stop before it was set
 * may queue its successor after rcu_barrier() has queued its own: hence the
 * loop.
 */
void rl_probe_stop(u64 *samples, u64 *max_ns)
{
	synchronize_rcu();
	usleep_range(2 * RL_PROBE_PERIOD_NS / NSEC_PER_USEC,
		     3 * RL_PROBE_PERIOD_NS / NSEC_PER_USEC);
	hrtimer_cancel(&rl_probe.timer);

	WRITE_ONCE(rl_probe.stop, true);
	do {
		rcu_barrier();
		/* Pairs with smp_store_release() in rl_probe_cb(). */
	} while (smp_load_acquire(&rl_probe.active));
	*samples = rl_probe.samples;
	*max_ns = rl_probe.max_ns;
}

/*
 * The hog spins at SCHED_FIFO on one CPU.  When the RT throttle
 * (sched_rt_runtime_us) takes the CPU back, preemption does it on preemptible
 * kernels and cond_resched() on the others, as for a user-space hog.  It also
 * throttles itself, to the default RT bandwidth's share: it spins at most
 * RL_HOG_SPIN_NS of every RL_HOG_PERIOD_NS and sleeps the rest, so that it
 * cannot own its CPU whatever sched_rt_runtime_us says (-1, or equal to the
 * period, which throttles nothing where there is no RT_GROUP_SCHED).  If its
 * CPU goes offline, hotplug moves it elsewhere (kthread_create_on_cpu() binds
 * it but does not make it per-CPU): there it would spin on a CPU nobody asked
 * for, maybe the teardown's, so it parks instead: it sleeps until stopped and
 * status says so.
 */
#define RL_HOG_PERIOD_NS	(1000 * NSEC_PER_MSEC)
#define RL_HOG_SPIN_NS		(950 * NSEC_PER_MSEC)

static bool rl_hog_left;

/*
 * The rest of the period, or until kthread_stop(): always the whole rest,
 * even when the spin was held off (preempted, throttled) for part of it.
 */
static void rl_hog_rest(void)
{
	ktime_t t = ns_to_ktime(RL_HOG_PERIOD_NS - RL_HOG_SPIN_NS);

	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_hrtimeout(&t, HRTIMER_MODE_REL);
	__set_current_state(TASK_RUNNING);
}

static int rl_hog_fn(void *data)
{
	unsigned int cpu = (unsigned long)data;
	u64 period = ktime_get_ns();

	while (!kthread_should_stop()) {
		if (raw_smp_processor_id() != cpu) {
			WRITE_ONCE(rl_hog_left, true);
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		if (ktime_get_ns() - period >= RL_HOG_SPIN_NS) {
			rl_hog_rest();
			period = ktime_get_ns();
			continue;
		}
		cpu_relax();
		cond_resched();
	}
	return 0;
}

struct task_struct *rl_hog_start(unsigned int cpu)
{
	struct task_struct *hog;

	hog = kthread_create_on_cpu(rl_hog_fn, (void *)(unsigned long)cpu, cpu,
				    "rl_hog/%u");
	if (IS_ERR(hog))
		return hog;
	WRITE_ONCE(rl_hog_left, false);
	sched_set_fifo(hog);
	wake_up_process(hog);
	return hog;
}

/* The hog's CPU went offline and it no longer spins. */
bool rl_hog_parked(void)
{
	return READ_ONCE(rl_hog_left);
}

void rl_hog_stop(struct task_struct *hog)
{
	kthread_stop(hog);
}
