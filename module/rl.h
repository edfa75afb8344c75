/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reuseport_lab: a replica of BPF_MAP_TYPE_REUSEPORT_SOCKARRAY's teardown.
 */
#ifndef _REUSEPORT_LAB_H
#define _REUSEPORT_LAB_H

#include <linux/bpf.h>
#include <linux/types.h>

struct socket;
struct task_struct;

/*
 * The mode table, the one list of the free modes: for each, in enum order,
 * its enum value, its name (the control word, the parameter's value, the
 * results column, the tracepoints' symbol) and its loop (array.c).  The
 * enum, the ops table (array.c) and the tracepoints' __print_symbolic()
 * (rl_trace.h) are expanded from it.  RL_MODES(m, x) is one call of m, x
 * first, then the table row after row: the m's take three rows, and adding a
 * mode means adding a row here and an argument triple to each m.
 */
#define RL_MODES(m, x)						\
	m(x,							\
	  RL_PLAIN, plain, rl_mode_plain,			\
	  RL_RESCHED, resched, rl_mode_resched,			\
	  RL_BATCH, batch, rl_mode_batch)

#define RL_MODE_ENUM(x, e0, n0, f0, e1, n1, f1, e2, n2, f2)	\
	enum rl_mode { e0, e1, e2, RL_NR_MODES }
RL_MODES(RL_MODE_ENUM, 0);

enum rl_ctx { RL_WORKER, RL_SYNC, RL_NR_CTXS };
enum rl_pattern { RL_DENSE, RL_STRIDE, RL_RANDOM };

#define RL_BATCH_MAX	BIT(24)

/*
 * resched times one section in every RL_RESCHED_SAMPLE (a power of two):
 * two clock reads per 1024 slots, none in the other iterations.
 */
#define RL_RESCHED_SAMPLE	1024

/*
 * The layout of struct reuseport_array (kernel/bpf/reuseport_array.c): the
 * real struct bpf_map as header, whose max_entries the free loop re-reads on
 * every iteration, then the slots.  Only max_entries, map_type, key_size and
 * value_size are set; nothing else in the header is used.
 */
struct rl_array {
	struct bpf_map map;
	struct sock __rcu *ptrs[];
};

/* What one run of a free loop cost. */
struct rl_cost {
	u64 duration_ns;	/* the free loop alone */
	u64 max_section_ns;	/* longest timed RCU read-side section */
	u64 sections;		/* read-side sections the loop used */
	u64 gp_samples;		/* grace periods the probe saw complete */
	u64 gp_max_ns;		/* the longest of them */
	int cpu;		/* CPU the loop started on */
};

/*
 * A free mode, refscale's ops-table shape: its name (the control word, the
 * parameter's value, the results column) and its loop.  The loop fills
 * max_section_ns and sections; one that leaves sections 0 ran the whole loop
 * as one section.  @batch is the section length, for batch only.
 */
struct rl_mode_ops {
	const char *name;
	void (*free)(struct rl_array *array, u32 batch, struct rl_cost *cost);
};

extern const struct rl_mode_ops rl_modes[RL_NR_MODES];

/* array.c */
struct rl_array *rl_array_alloc(u32 size);
size_t rl_array_bytes(u32 size);
int rl_socks_create(struct socket **socks, u32 count);
void rl_socks_release(struct socket **socks, u32 count);
void rl_array_place(struct rl_array *array, struct socket **socks, u32 count,
		    u32 empty, enum rl_pattern pattern, u32 seed);
void rl_array_free(struct rl_array *array, enum rl_mode mode, u32 batch,
		   bool probe, struct rl_cost *cost);
bool rl_cond_resched_rcu_effective(void);

/*
 * The grace-period counter (rcu_state.gp_seq): exported by kernel/rcu/tree.c
 * for rcutorture and declared only in kernel/rcu/rcu.h.
 */
unsigned long rcu_get_gp_seq(void);

/* probe.c */
struct task_struct *rl_hog_start(unsigned int cpu);
void rl_hog_stop(struct task_struct *hog);
bool rl_hog_parked(void);
void rl_probe_start(void);
void rl_probe_begin(void);
void rl_probe_end(void);
void rl_probe_stop(u64 *samples, u64 *max_ns);

#endif /* _REUSEPORT_LAB_H */
