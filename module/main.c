// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport_lab: study the RCU read-side section of reuseport_array_free()
 * on a running kernel.  The user-facing contract is docs/interface.md.
 *
 * Locking: rl.lock, a mutex, serialises the commands and protects all of
 * struct rl_lab.  A teardown marks the state FREEING under the lock; from then
 * on the array and its sockets belong to that teardown alone, which runs the
 * loop and releases them without the lock (in a work item, or in the writer's
 * own context for 'sync'), then takes the lock again to record its row, go
 * back to EMPTY, bump rl.completed and wake rl.idle.  The module parameters
 * written through sysfs are read once, with READ_ONCE(), when a command
 * starts.  Removal: debugfs is removed first (an open file pins the module,
 * so no command is in flight), then the hog is stopped, a nowait teardown is
 * flushed, and what is left is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "rl.h"

/*
 * The system's unbound workqueue: system_dfl_wq where the kernel has it
 * (6.17, and backports), as system_unbound_wq is deprecated there and 7.x
 * warns once when work is queued on it; the same "events_unbound" pool.
 */
#ifdef RL_HAVE_SYSTEM_DFL_WQ
#define rl_unbound_wq	system_dfl_wq
#else
#define rl_unbound_wq	system_unbound_wq
#endif

#define CREATE_TRACE_POINTS
#include "rl_trace.h"

#define RL_RESULTS	128	/* result rows kept */
#define RL_MAX_ARGS	5	/* words in the longest command */

static const char * const rl_ctx_names[RL_NR_CTXS] = { "worker", "sync" };

enum rl_state { RL_EMPTY, RL_ALLOCATED, RL_FREEING };
static const char * const rl_state_names[] = { "empty", "allocated", "freeing" };

struct rl_result {
	u64 id;
	u32 size;
	u32 filled;
	enum rl_mode mode;
	u32 batch;
	enum rl_ctx ctx;
	struct rl_cost cost;
};

static struct rl_lab {
	struct mutex lock;		/* protects all of struct rl_lab */
	enum rl_state state;
	struct rl_array *array;		/* NULL when EMPTY */
	struct socket **socks;		/* the sockets placed in it */
	u32 filled;
	struct task_struct *hog;
	/* The teardown in flight: what it frees and how. */
	struct rl_result job;
	bool job_probe;
	bool job_keep;			/* keep the array for the next fill */
	struct work_struct work;
	u64 started;			/* teardowns started */
	atomic64_t completed;		/* and completed */
	wait_queue_head_t idle;		/* woken when one completes */
	u64 next_id;			/* of the next result row */
	struct rl_result results[RL_RESULTS];
	struct dentry *dir;
} rl;

/* Module parameters */
static unsigned int array_size;
module_param(array_size, uint, 0444);
MODULE_PARM_DESC(array_size,
		 "Slots allocated at load (0: none); the default for 'alloc'");

static unsigned int nr_socks;
module_param(nr_socks, uint, 0444);
MODULE_PARM_DESC(nr_socks,
		 "Real sockets placed at load, spread evenly (needs array_size)");

static const char *rl_mode_name(unsigned int i)
{
	return rl_modes[i].name;
}

static const char *rl_ctx_name(unsigned int i)
{
	return rl_ctx_names[i];
}

/* The mode named @s, or -EINVAL. */
static int rl_mode_match(const char *s)
{
	int i;

	for (i = 0; i < RL_NR_MODES; i++)
		if (!strcmp(s, rl_modes[i].name))
			return i;
	return -EINVAL;
}

/* A parameter that takes one of @n names, @name(0) to @name(n - 1). */
struct rl_enum {
	int val;
	const char *(*name)(unsigned int i);
	unsigned int n;
};

static int rl_enum_set(const char *val, const struct kernel_param *kp)
{
	struct rl_enum *e = kp->arg;
	unsigned int i;

	for (i = 0; i < e->n; i++) {
		if (sysfs_streq(val, e->name(i))) {
			WRITE_ONCE(e->val, i);
			return 0;
		}
	}
	return -EINVAL;
}

static int rl_enum_get(char *buf, const struct kernel_param *kp)
{
	struct rl_enum *e = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%s\n", e->name(READ_ONCE(e->val)));
}

static const struct kernel_param_ops rl_enum_ops = {
	.set = rl_enum_set,
	.get = rl_enum_get,
};

static struct rl_enum rl_free_mode = {
	RL_PLAIN, rl_mode_name, RL_NR_MODES
};
module_param_cb(free_mode, &rl_enum_ops, &rl_free_mode, 0644);
__MODULE_PARM_TYPE(free_mode, "string");
MODULE_PARM_DESC(free_mode, "Default free path: plain, resched or batch");

static struct rl_enum rl_free_ctx = {
	RL_WORKER, rl_ctx_name, RL_NR_CTXS
};
module_param_cb(free_ctx, &rl_enum_ops, &rl_free_ctx, 0644);
__MODULE_PARM_TYPE(free_ctx, "string");
MODULE_PARM_DESC(free_ctx,
		 "Default teardown context: worker (the unbound system workqueue) or sync");

static int rl_parse_batch(const char *s, u32 *batch)
{
	if (kstrtou32(s, 10, batch) || !*batch || *batch > RL_BATCH_MAX)
		return -EINVAL;
	return 0;
}

static int rl_batch_set(const char *val, const struct kernel_param *kp)
{
	u32 batch;

	if (rl_parse_batch(val, &batch))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, batch);
	return 0;
}

static const struct kernel_param_ops rl_batch_ops = {
	.set = rl_batch_set,
	.get = param_get_uint,
};

static unsigned int batch_size = 1024;
module_param_cb(batch_size, &rl_batch_ops, &batch_size, 0644);
__MODULE_PARM_TYPE(batch_size, "uint");
MODULE_PARM_DESC(batch_size,
		 "Slots per RCU read-side section in batch mode (1..16777216)");

static bool gp_probe = true;
module_param(gp_probe, bool, 0644);
MODULE_PARM_DESC(gp_probe,
		 "Time grace periods (and keep one pending) during each teardown");

/* State changes, all under rl.lock */

static int rl_alloc(u32 size)
{
	lockdep_assert_held(&rl.lock);
	if (rl.state != RL_EMPTY)
		return -EEXIST;
	rl.array = rl_array_alloc(size);
	if (!rl.array)
		return -ENOMEM;
	rl.state = RL_ALLOCATED;
	return 0;
}

static int rl_fill(u32 count, enum rl_pattern pattern, u32 seed)
{
	struct socket **socks;
	u32 empty;
	int err;

	lockdep_assert_held(&rl.lock);
	if (rl.state == RL_EMPTY)
		return -ENOENT;
	if (rl.state == RL_FREEING)
		return -EBUSY;
	empty = rl.array->map.max_entries - rl.filled;
	if (count > empty)
		return -ENOSPC;

	socks = kvmalloc_array((size_t)rl.filled + count, sizeof(*socks),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!socks)
		return -ENOMEM;
	err = rl_socks_create(socks + rl.filled, count);
	if (err) {
		kvfree(socks);
		return err;
	}
	if (rl.filled)
		memcpy(socks, rl.socks, rl.filled * sizeof(*socks));
	kvfree(rl.socks);
	rl.socks = socks;
	rl_array_place(rl.array, socks + rl.filled, count, empty, pattern,
		       seed);
	rl.filled += count;
	return 0;
}

/*
 * Free what is allocated, with no probe and no result row, in bounded
 * sections: a reset or rmmod must not cause a stall of its own.
 */
static void rl_discard(void)
{
	struct rl_cost unused;

	lockdep_assert_held(&rl.lock);
	if (rl.state != RL_ALLOCATED)
		return;
	rl_array_free(rl.array, RL_BATCH, 1024, false, &unused);
	rl_socks_release(rl.socks, rl.filled);
	kvfree(rl.socks);
	kvfree(rl.array);
	rl.socks = NULL;
	rl.array = NULL;
	rl.filled = 0;
	rl.state = RL_EMPTY;
}

/*
 * The teardown proper, without rl.lock: the state is FREEING, and the array
 * and its sockets are the teardown's alone until it takes the lock again.
 * With 'keep' the array stays, every slot NULL again after the loop.
 */
static void rl_teardown(void)
{
	struct rl_result *job = &rl.job;
	bool keep = rl.job_keep;

	trace_rl_free_begin(job->size, job->filled, job->mode, 0);
	rl_array_free(rl.array, job->mode, job->batch, rl.job_probe,
		      &job->cost);
	trace_rl_free_end(job->size, job->filled, job->mode,
			  job->cost.duration_ns);
	rl_socks_release(rl.socks, rl.filled);
	kvfree(rl.socks);
	if (!keep)
		kvfree(rl.array);

	mutex_lock(&rl.lock);
	job->id = rl.next_id++;
	rl.results[job->id % RL_RESULTS] = *job;
	rl.socks = NULL;
	rl.filled = 0;
	if (keep) {
		rl.state = RL_ALLOCATED;
	} else {
		rl.array = NULL;
		rl.state = RL_EMPTY;
	}
	atomic64_inc(&rl.completed);
	mutex_unlock(&rl.lock);
	wake_up_all(&rl.idle);
}

static void rl_work_fn(struct work_struct *work)
{
	rl_teardown();
}

/* Wait for teardown number @seq; the teardown goes on if interrupted. */
static int rl_wait(u64 seq)
{
	if (wait_event_interruptible(rl.idle,
				     atomic64_read(&rl.completed) >= seq))
		return -EINTR;
	return 0;
}

/*
 * Commands, under rl.lock.  Once it is unlocked, the writer runs a 'sync'
 * teardown when *@run is set, then waits for teardown number *@wait_for.
 */

static int rl_cmd_alloc(int argc, char **argv)
{
	u32 size = READ_ONCE(array_size);

	lockdep_assert_held(&rl.lock);
	if (argc > 2 || (argc == 2 && kstrtou32(argv[1], 10, &size)) || !size)
		return -EINVAL;
	return rl_alloc(size);
}

static int rl_cmd_fill(int argc, char **argv)
{
	enum rl_pattern pattern = RL_STRIDE;
	u32 count, seed = 1;

	lockdep_assert_held(&rl.lock);
	if (argc < 2 || argc > 3 || kstrtou32(argv[1], 10, &count) || !count)
		return -EINVAL;
	if (argc == 3) {
		const char *p = argv[2];

		if (!strcmp(p, "dense"))
			pattern = RL_DENSE;
		else if (!strcmp(p, "stride"))
			pattern = RL_STRIDE;
		else if (!strcmp(p, "random"))
			pattern = RL_RANDOM;
		else if (str_has_prefix(p, "random:") &&
			 !kstrtou32(p + 7, 10, &seed))
			pattern = RL_RANDOM;
		else
			return -EINVAL;
	}
	return rl_fill(count, pattern, seed);
}

static int rl_cmd_free(int argc, char **argv, bool *run, u64 *wait_for)
{
	enum rl_mode mode = READ_ONCE(rl_free_mode.val);
	enum rl_ctx ctx = READ_ONCE(rl_free_ctx.val);
	u32 batch = READ_ONCE(batch_size);
	bool has_mode = false, has_ctx = false, nowait = false, keep = false;
	struct rl_result *job = &rl.job;
	int i, m, c;

	lockdep_assert_held(&rl.lock);
	for (i = 1; i < argc; i++) {
		m = rl_mode_match(argv[i]);
		c = match_string(rl_ctx_names, ARRAY_SIZE(rl_ctx_names),
				 argv[i]);
		if (!has_mode && m >= 0) {
			mode = m;
			has_mode = true;
		} else if (!has_mode && str_has_prefix(argv[i], "batch:")) {
			if (rl_parse_batch(argv[i] + 6, &batch))
				return -EINVAL;
			mode = RL_BATCH;
			has_mode = true;
		} else if (!has_ctx && c >= 0) {
			ctx = c;
			has_ctx = true;
		} else if (!nowait && !strcmp(argv[i], "nowait")) {
			nowait = true;
		} else if (!keep && !strcmp(argv[i], "keep")) {
			keep = true;
		} else {
			return -EINVAL;
		}
	}
	if (rl.state == RL_EMPTY)
		return -ENOENT;
	if (rl.state == RL_FREEING)
		return -EBUSY;

	memset(job, 0, sizeof(*job));
	job->size = rl.array->map.max_entries;
	job->filled = rl.filled;
	job->mode = mode;
	job->batch = mode == RL_BATCH ? batch : 0;
	job->ctx = ctx;
	rl.job_probe = READ_ONCE(gp_probe);
	rl.job_keep = keep;
	rl.state = RL_FREEING;
	rl.started++;
	if (ctx == RL_WORKER)
		queue_work(rl_unbound_wq, &rl.work);
	*run = ctx == RL_SYNC;
	if (!nowait)
		*wait_for = rl.started;
	return 0;
}

static void rl_hog_off(void)
{
	lockdep_assert_held(&rl.lock);
	if (rl.hog)
		rl_hog_stop(rl.hog);
	rl.hog = NULL;
}

static int rl_cmd_hog(int argc, char **argv)
{
	struct task_struct *hog;
	u32 cpu;

	lockdep_assert_held(&rl.lock);
	if (argc != 2)
		return -EINVAL;
	if (!strcmp(argv[1], "off")) {
		rl_hog_off();
		return 0;
	}
	if (kstrtou32(argv[1], 10, &cpu) || cpu >= nr_cpu_ids)
		return -EINVAL;
	if (rl.hog)
		return -EBUSY;
	/* The CPU stays online until the hog is bound to it. */
	cpus_read_lock();
	hog = cpu_online(cpu) ? rl_hog_start(cpu) : ERR_PTR(-EINVAL);
	cpus_read_unlock();
	if (IS_ERR(hog))
		return PTR_ERR(hog);
	rl.hog = hog;
	return 0;
}

/*
 * Drops and retakes rl.lock while a teardown runs.  Only a fatal signal
 * interrupts the wait.  The hog is stopped first, so that it does not slow
 * the teardown down, and again once the lock is held for good: another
 * writer may have started one while the lock was dropped.
 */
static int rl_cmd_reset(void)
{
	lockdep_assert_held(&rl.lock);
	rl_hog_off();
	while (rl.state == RL_FREEING) {
		u64 seq = rl.started;
		int err;

		mutex_unlock(&rl.lock);
		err = wait_event_killable(rl.idle,
					  atomic64_read(&rl.completed) >= seq);
		mutex_lock(&rl.lock);
		if (err)
			return -EINTR;
	}
	rl_hog_off();
	rl_discard();
	memset(rl.results, 0, sizeof(rl.results));
	rl.next_id = 1;
	return 0;
}

static int rl_command(char *cmd, bool *run, u64 *wait_for)
{
	char *argv[RL_MAX_ARGS], *tok;
	int argc = 0;

	lockdep_assert_held(&rl.lock);
	while ((tok = strsep(&cmd, " \t\n\v\f\r"))) {
		if (!*tok)
			continue;
		if (argc == RL_MAX_ARGS)
			return -EINVAL;
		argv[argc++] = tok;
	}
	if (!argc)
		return -EINVAL;

	if (!strcmp(argv[0], "alloc"))
		return rl_cmd_alloc(argc, argv);
	if (!strcmp(argv[0], "fill"))
		return rl_cmd_fill(argc, argv);
	if (!strcmp(argv[0], "free"))
		return rl_cmd_free(argc, argv, run, wait_for);
	if (!strcmp(argv[0], "hog"))
		return rl_cmd_hog(argc, argv);
	if (argc != 1)
		return -EINVAL;
	if (!strcmp(argv[0], "wait")) {
		*wait_for = rl.started;
		return 0;
	}
	if (!strcmp(argv[0], "reset"))
		return rl_cmd_reset();
	return -EINVAL;
}

static ssize_t rl_control_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	bool run = false;
	u64 wait_for = 0;
	char *buf;
	int err;

	if (!len || len >= PAGE_SIZE)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (strlen(buf) != len) {	/* a NUL byte inside */
		kfree(buf);
		return -EINVAL;
	}

	if (mutex_lock_interruptible(&rl.lock)) {
		kfree(buf);
		return -EINTR;
	}
	err = rl_command(strim(buf), &run, &wait_for);
	mutex_unlock(&rl.lock);
	kfree(buf);

	if (run)
		rl_teardown();
	if (!err && wait_for)
		err = rl_wait(wait_for);
	return err ? err : len;
}

static const struct file_operations rl_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = rl_control_write,
	.llseek = noop_llseek,
};

/* The value of rcupdate.rcu_cpu_stall_timeout now, or -1. */
static int rl_stall_timeout(void)
{
	char buf[16] = "";
	struct file *f;
	loff_t pos = 0;
	int val;

	f = filp_open("/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout",
		      O_RDONLY, 0);
	if (IS_ERR(f))
		return -1;
	if (kernel_read(f, buf, sizeof(buf) - 1, &pos) <= 0 ||
	    kstrtoint(strim(buf), 10, &val))
		val = -1;
	filp_close(f, NULL);
	return val;
}

static const char *rl_preempt_model(void)
{
	if (preempt_model_rt())
		return "rt";
#ifdef RL_HAVE_PREEMPT_MODEL_LAZY
	if (preempt_model_lazy())
		return "lazy";
#endif
	if (preempt_model_full())
		return "full";
	if (preempt_model_voluntary())
		return "voluntary";
	return "none";
}

static char rl_yn(bool b)
{
	return b ? 'y' : 'n';
}

static int rl_status_show(struct seq_file *m, void *v)
{
	int timeout = (long)m->private;
	u32 size = 0;

	if (mutex_lock_interruptible(&rl.lock))
		return -EINTR;
	/* A teardown may have freed the array already: see its job. */
	if (rl.state == RL_FREEING)
		size = rl.job.size;
	else if (rl.state == RL_ALLOCATED)
		size = rl.array->map.max_entries;
	seq_printf(m, "state: %s\n", rl_state_names[rl.state]);
	seq_printf(m, "size: %u\n", size);
	seq_printf(m, "filled: %u\n", rl.filled);
	seq_printf(m, "bytes: %zu\n", size ? rl_array_bytes(size) : 0);
	seq_printf(m, "free_mode: %s\n",
		   rl_mode_name(READ_ONCE(rl_free_mode.val)));
	seq_printf(m, "batch_size: %u\n", READ_ONCE(batch_size));
	seq_printf(m, "free_ctx: %s\n",
		   rl_ctx_names[READ_ONCE(rl_free_ctx.val)]);
	seq_printf(m, "gp_probe: %c\n", rl_yn(READ_ONCE(gp_probe)));
	if (!rl.hog)
		seq_puts(m, "hog: off\n");
	else if (rl_hog_parked())
		seq_puts(m, "hog: parked\n");
	else
		seq_printf(m, "hog: %u\n", task_cpu(rl.hog));
	mutex_unlock(&rl.lock);

	seq_printf(m, "preempt: %s%s\n",
		   IS_ENABLED(CONFIG_PREEMPT_DYNAMIC) ? "dynamic:" : "",
		   rl_preempt_model());
	seq_printf(m, "preempt_rcu: %c\n",
		   rl_yn(IS_ENABLED(CONFIG_PREEMPT_RCU)));
	seq_printf(m, "debug_atomic_sleep: %c\n",
		   rl_yn(IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP)));
	seq_printf(m, "cond_resched_rcu: %s\n",
		   rl_cond_resched_rcu_effective() ? "effective" : "no-op");
	seq_printf(m, "hz: %d\n", HZ);
	if (timeout < 0)
		seq_puts(m, "rcu_cpu_stall_timeout: unknown\n");
	else
		seq_printf(m, "rcu_cpu_stall_timeout: %d\n", timeout);
	return 0;
}

/*
 * The stall timeout is read at open, outside the seq_file's lock: reading
 * the sysfs file takes another seq_file lock of the same class (lockdep
 * reports recursive locking).
 */
static int rl_status_open(struct inode *inode, struct file *file)
{
	return single_open(file, rl_status_show,
			   (void *)(long)rl_stall_timeout());
}

static const struct file_operations rl_status_fops = {
	.owner = THIS_MODULE,
	.open = rl_status_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static void rl_result_show(struct seq_file *m, const struct rl_result *r)
{
	u64 milli = div_u64(r->cost.duration_ns * 1000, r->size);
	u32 frac;
	u64 whole = div_u64_rem(milli, 1000, &frac);

	seq_printf(m, "%llu %u %u %s ", r->id, r->size, r->filled,
		   rl_mode_name(r->mode));
	if (r->mode == RL_BATCH)
		seq_printf(m, "%u ", r->batch);
	else
		seq_puts(m, "- ");
	seq_printf(m, "%s %d %llu %llu.%03u %llu %llu %llu %llu\n",
		   rl_ctx_names[r->ctx], r->cost.cpu, r->cost.duration_ns,
		   whole, frac, r->cost.max_section_ns,
		   r->cost.sections, r->cost.gp_samples, r->cost.gp_max_ns);
}

static int rl_results_show(struct seq_file *m, void *v)
{
	u64 id;

	if (mutex_lock_interruptible(&rl.lock))
		return -EINTR;
	seq_puts(m, "id size filled mode batch ctx cpu duration_ns ns_per_slot max_section_ns sections gp_samples gp_max_ns\n");
	id = rl.next_id > RL_RESULTS ? rl.next_id - RL_RESULTS : 1;
	for (; id < rl.next_id; id++)
		rl_result_show(m, &rl.results[id % RL_RESULTS]);
	mutex_unlock(&rl.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rl_results);

static int __init rl_init(void)
{
	struct dentry *d;
	int err = 0;

	mutex_init(&rl.lock);
	init_waitqueue_head(&rl.idle);
	INIT_WORK(&rl.work, rl_work_fn);
	rl.next_id = 1;

	if (nr_socks > array_size) {
		pr_err("nr_socks=%u needs array_size >= nr_socks (array_size=%u)\n",
		       nr_socks, array_size);
		return -EINVAL;
	}
	/* Nobody else can see the state yet: the lock is for lockdep. */
	mutex_lock(&rl.lock);
	if (array_size) {
		err = rl_alloc(array_size);
		if (err) {
			mutex_unlock(&rl.lock);
			pr_err("array_size=%u: cannot allocate %zu bytes (%d)\n",
			       array_size, rl_array_bytes(array_size), err);
			return err;
		}
	}
	if (nr_socks) {
		err = rl_fill(nr_socks, RL_STRIDE, 1);
		if (err) {
			pr_err("nr_socks=%u: cannot create the sockets (%d)\n",
			       nr_socks, err);
			goto out_discard;
		}
	}
	mutex_unlock(&rl.lock);

	rl.dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(rl.dir)) {
		err = PTR_ERR(rl.dir);
		pr_err("cannot create the debugfs directory (%d)\n", err);
		goto out_discard_locked;
	}
	/* The files are the module's only interface: no files, no module. */
	d = debugfs_create_file("control", 0200, rl.dir, NULL, &rl_control_fops);
	if (!IS_ERR(d))
		d = debugfs_create_file("status", 0400, rl.dir, NULL, &rl_status_fops);
	if (!IS_ERR(d))
		d = debugfs_create_file("results", 0400, rl.dir, NULL, &rl_results_fops);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		pr_err("cannot create the debugfs files (%d)\n", err);
		debugfs_remove_recursive(rl.dir);
		goto out_discard_locked;
	}
	return 0;

out_discard_locked:
	mutex_lock(&rl.lock);
out_discard:
	rl_discard();
	mutex_unlock(&rl.lock);
	return err;
}

static void __exit rl_exit(void)
{
	debugfs_remove_recursive(rl.dir);
	mutex_lock(&rl.lock);
	rl_hog_off();
	mutex_unlock(&rl.lock);
	flush_work(&rl.work);
	mutex_lock(&rl.lock);
	rl_discard();
	mutex_unlock(&rl.lock);
}

module_init(rl_init);
module_exit(rl_exit);

MODULE_DESCRIPTION("Replica of reuseport_array_free() to study its RCU read-side section");
MODULE_AUTHOR("reuseport_lab developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
