// SPDX-License-Identifier: GPL-2.0
/*
 * reuseport_lab: the replica array, its real sockets and its three free paths.
 *
 * Nothing here takes the module's state mutex: the callers in main.c own the
 * array and its sockets exclusively while they call in, and hold the mutex
 * around rl_socks_create() (for its port cursor).
 */
#include <linux/in.h>
#include <linux/math64.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/sock_reuseport.h>

#include "rl.h"

/* Sockets per reuseport group: binding scans the group, so keep it small. */
#define RL_GROUP_SOCKS	1024

/* kernel_bind() takes a struct sockaddr_unsized * in newer kernels. */
#ifdef RL_HAVE_SOCKADDR_UNSIZED
#define RL_SOCKADDR	struct sockaddr_unsized
#else
#define RL_SOCKADDR	struct sockaddr
#endif

size_t rl_array_bytes(u32 size)
{
	struct rl_array *array;

	return struct_size(array, ptrs, size);
}

/*
 * bpf_map_area_alloc() of kernel/bpf/syscall.c: kmalloc up to the costly
 * order, vmalloc beyond; zeroed, accounted, no warning and no OOM kill.
 */
struct rl_array *rl_array_alloc(u32 size)
{
	const gfp_t gfp = __GFP_NOWARN | __GFP_ZERO | __GFP_ACCOUNT;
	size_t bytes = rl_array_bytes(size);
	struct rl_array *array = NULL;

	if (bytes <= (PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER))
		array = kmalloc(bytes, gfp | GFP_USER | __GFP_NORETRY);
	if (!array)
		array = __vmalloc(bytes, gfp | GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	if (!array)
		return NULL;

	array->map.map_type = BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
	array->map.key_size = sizeof(u32);
	array->map.value_size = sizeof(u64);
	array->map.max_entries = size;
	return array;
}

/*
 * The checks bpf_fd_reuseport_array_update_elem() makes of a new socket
 * (reuseport_array_update_check()).
 */
static int rl_sock_check(const struct sock *sk)
{
	if (!sock_flag(sk, SOCK_RCU_FREE) || !sk_hashed(sk) ||
	    !rcu_access_pointer(sk->sk_reuseport_cb))
		return -EINVAL;
	if (READ_ONCE(sk->sk_user_data))
		return -EBUSY;
	return 0;
}

/* A UDP socket on 127.0.0.1 with SO_REUSEPORT, bound to @port. */
static int rl_sock_create(struct socket **res, __be16 port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = port,
	};
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &sock);
	if (err)
		return err;
	sock_set_reuseport(sock->sk);
	err = kernel_bind(sock, (RL_SOCKADDR *)&addr, sizeof(addr));
	if (!err)
		err = rl_sock_check(sock->sk);
	if (err) {
		sock_release(sock);
		return err;
	}
	*res = sock;
	return 0;
}

void rl_socks_release(struct socket **socks, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++) {
		sock_release(socks[i]);
		cond_resched();
	}
}

/* A group leader must start a group, not join one it met on its port. */
static bool rl_sock_alone(struct sock *sk)
{
	struct sock_reuseport *reuse;
	bool alone;

	rcu_read_lock();
	reuse = rcu_dereference(sk->sk_reuseport_cb);
	alone = reuse && reuse->num_socks == 1;
	rcu_read_unlock();
	return alone;
}

/*
 * The next port a group leader tries: a cursor over ip_local_port_range
 * that goes on from fill to fill (under the module's mutex), so the ports
 * of earlier groups are mostly behind it.  Binding port 0 instead lets the
 * kernel pick one of our own groups' ports (udp_lib_lport_inuse() counts a
 * compatible reuseport socket as free), ever more often as groups add up.
 */
static int rl_port_cursor;

/*
 * A socket on a port of its own, the first of a new group: each port of the
 * range is tried at most once.  -EADDRINUSE when none is free.
 */
static int rl_group_start(struct socket **res)
{
	int low, high, n, port, err;

	inet_get_local_port_range(&init_net, &low, &high);
	for (n = high - low + 1; n > 0; n--) {
		if (rl_port_cursor < low || rl_port_cursor > high)
			rl_port_cursor = low;
		port = rl_port_cursor++;
		if (inet_is_local_reserved_port(&init_net, port))
			continue;
		if (fatal_signal_pending(current))
			return -EINTR;
		err = rl_sock_create(res, htons(port));
		if (err == -EADDRINUSE)
			continue;
		if (err)
			return err;
		if (rl_sock_alone((*res)->sk))
			return 0;
		sock_release(*res);
		cond_resched();
	}
	return -EADDRINUSE;
}

/*
 * Create @count sockets in groups of RL_GROUP_SOCKS sharing one port.  On
 * failure none is left: the ones made so far are released.
 */
int rl_socks_create(struct socket **socks, u32 count)
{
	__be16 port = 0;
	int err = 0;
	u32 i;

	for (i = 0; i < count; i++) {
		if (i % RL_GROUP_SOCKS == 0) {
			err = rl_group_start(&socks[i]);
			port = err ? 0 : inet_sk(socks[i]->sk)->inet_sport;
		} else if (fatal_signal_pending(current)) {
			err = -EINTR;
		} else {
			err = rl_sock_create(&socks[i], port);
		}
		if (err)
			break;
		cond_resched();
	}
	if (err)
		rl_socks_release(socks, i);
	return err;
}

/* As bpf_fd_reuseport_array_update_elem() does, without SK_USER_DATA_BPF. */
static void rl_slot_set(struct rl_array *array, u32 index, struct sock *sk)
{
	uintptr_t sk_user_data;

	write_lock_bh(&sk->sk_callback_lock);
	sk_user_data = (uintptr_t)&array->ptrs[index] | SK_USER_DATA_NOCOPY;
	WRITE_ONCE(sk->sk_user_data, (void *)sk_user_data);
	rcu_assign_pointer(array->ptrs[index], sk);
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Which of the @empty empty slots receives socket @k of @count: dense takes
 * the first ones, stride spreads them evenly, random takes one at random in
 * each of @count equal strata.
 */
static u64 rl_target(u32 k, u32 count, u32 empty, enum rl_pattern pattern,
		     struct rnd_state *rnd)
{
	u64 lo, hi;

	if (pattern == RL_DENSE)
		return k;
	lo = div_u64((u64)k * empty, count);
	if (pattern == RL_STRIDE)
		return lo;
	hi = div_u64((u64)(k + 1) * empty, count);
	return lo + prandom_u32_state(rnd) % (u32)(hi - lo);
}

/*
 * Place @count sockets in the empty slots; @count <= @empty.  The targets
 * ascend: in an array with no socket (@empty is every slot) the target-th
 * empty slot is slot target, else the slots are scanned for it (O(size):
 * ~6 s for 600M slots under TCG, so only a second fill pays it).
 */
void rl_array_place(struct rl_array *array, struct socket **socks, u32 count,
		    u32 empty, enum rl_pattern pattern, u32 seed)
{
	struct rnd_state rnd;
	u64 target, seen = 0;
	u32 i, k = 0;

	if (!count)
		return;
	prandom_seed_state(&rnd, seed);
	if (empty == array->map.max_entries) {
		for (k = 0; k < count; k++)
			rl_slot_set(array, rl_target(k, count, empty, pattern,
						     &rnd), socks[k]->sk);
		return;
	}
	target = rl_target(0, count, empty, pattern, &rnd);
	for (i = 0; i < array->map.max_entries && k < count; i++) {
		if (!(i & 0xffff))
			cond_resched();
		if (rcu_access_pointer(array->ptrs[i]))
			continue;
		if (seen++ != target)
			continue;
		rl_slot_set(array, i, socks[k]->sk);
		if (++k < count)
			target = rl_target(k, count, empty, pattern, &rnd);
	}
}

bool rl_cond_resched_rcu_effective(void)
{
	/* The condition under which cond_resched_rcu() is not empty. */
	return IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP) ||
	       !IS_ENABLED(CONFIG_PREEMPT_RCU);
}

/*
 * The body of the kernel's slot loop, for the resched and batch loops (always
 * inlined: the same code as written out).  rl_free_plain() spells it out, to
 * stay the kernel's function line for line.
 */
static __always_inline void rl_slot_free(struct rl_array *array, u32 i)
{
	struct sock *sk = rcu_dereference(array->ptrs[i]);

	if (sk) {
		write_lock_bh(&sk->sk_callback_lock);
		sk->sk_user_data = NULL;
		write_unlock_bh(&sk->sk_callback_lock);
		RCU_INIT_POINTER(array->ptrs[i], NULL);
	}
}

/*
 * The three free paths, side by side.  rl_free_plain() is the loop of
 * reuseport_array_free() (kernel/bpf/reuseport_array.c, v6.1) line for line;
 * rl_free_resched() adds the April 2026 patch's cond_resched_rcu();
 * rl_free_batch() ends the read-side section every @batch slots.  They are
 * noinline so each can be disassembled and compared with the kernel's.
 */
static noinline void rl_free_plain(struct rl_array *array)
{
	struct bpf_map *map = &array->map;
	struct sock *sk;
	u32 i;

	rcu_read_lock();
	for (i = 0; i < map->max_entries; i++) {
		sk = rcu_dereference(array->ptrs[i]);
		if (sk) {
			write_lock_bh(&sk->sk_callback_lock);
			sk->sk_user_data = NULL;
			write_unlock_bh(&sk->sk_callback_lock);
			RCU_INIT_POINTER(array->ptrs[i], NULL);
		}
	}
	rcu_read_unlock();
}

/* The patch's loop, where cond_resched_rcu() is empty: one section. */
static noinline void rl_free_resched(struct rl_array *array)
{
	struct bpf_map *map = &array->map;
	u32 i;

	rcu_read_lock();
	for (i = 0; i < map->max_entries; i++) {
		rl_slot_free(array, i);
		cond_resched_rcu();
	}
	rcu_read_unlock();
}

/*
 * The patch's loop where cond_resched_rcu() is effective: every slot is a
 * section of its own.  The first section of every RL_RESCHED_SAMPLE is timed
 * (two clock reads around its body, inside the section), the others run the
 * patch's loop body untouched, bounded by the chunk's end: no per-slot test
 * and no per-slot clock read.
 */
static noinline void rl_free_resched_timed(struct rl_array *array,
					   struct rl_cost *cost)
{
	struct bpf_map *map = &array->map;
	u64 start, len;
	u32 i = 0, end;

	rcu_read_lock();
	while (i < map->max_entries) {
		end = i + min_t(u32, RL_RESCHED_SAMPLE, map->max_entries - i);
		start = local_clock();
		rl_slot_free(array, i);
		len = local_clock() - start;
		if ((s64)len > 0)
			cost->max_section_ns = max(cost->max_section_ns, len);
		cond_resched_rcu();
		for (i++; i < end; i++) {
			rl_slot_free(array, i);
			cond_resched_rcu();
		}
	}
	rcu_read_unlock();
}

/*
 * The slot loop is plain's, bounded by the end of the batch: no per-slot
 * instruction is added (a countdown in the loop cost +25% under TCG), and the
 * bound is re-read once per section.  Two clock reads per section, none per
 * slot: the section is timed from rcu_read_lock() to rcu_read_unlock() with
 * local_clock(), the TSC: ktime_get() reads the clocksource, the HPET where
 * the TSC is unstable (the lab's TCG guests boot with tsc=unstable), an MMIO
 * exit of ~1 us under TCG against ~4 us for a 1024-slot section.  With
 * sched_clock unstable, local_clock() is the CPU's GTOD time at its last
 * tick plus the TSC's delta since, but never more than a tick past that
 * time (kernel/sched/clock.c's clamp): on a CPU whose tick comes late it
 * stops there until the tick comes.  A section that starts on such a CPU
 * reads long, one that ends on one reads short, by up to how late the
 * tick was: a tick or more on a vCPU the host held off.  A negative span
 * counts as 0.
 */
static noinline void rl_free_batch(struct rl_array *array, u32 batch,
				   struct rl_cost *cost)
{
	struct bpf_map *map = &array->map;
	u64 start, len;
	u32 i = 0, end;

	while (i < map->max_entries) {
		end = i + min(batch, map->max_entries - i);
		rcu_read_lock();
		start = local_clock();
		for (; i < end; i++)
			rl_slot_free(array, i);
		len = local_clock() - start;
		rcu_read_unlock();
		if ((s64)len < 0)
			len = 0;
		cost->max_section_ns = max(cost->max_section_ns, len);
		cost->sections++;
		cond_resched();
	}
}

/*
 * The modes' loops, as the mode table calls them, each marked for the probe
 * as it begins (probe.c).  plain's mark is taken inside a read-side section
 * around its loop (nested: the loop's own is the same section, a few
 * instructions shorter), so that no grace period can start and end between
 * the mark and the loop: the probe's bound of two for plain holds whatever
 * happens to the CPU before the loop.
 */
static void rl_mode_plain(struct rl_array *array, u32 batch,
			  struct rl_cost *cost)
{
	rcu_read_lock();
	rl_probe_begin();
	rl_free_plain(array);
	rcu_read_unlock();
}

static void rl_mode_resched(struct rl_array *array, u32 batch,
			    struct rl_cost *cost)
{
	rl_probe_begin();
	if (rl_cond_resched_rcu_effective()) {
		rl_free_resched_timed(array, cost);
		/* One section per slot, one in RL_RESCHED_SAMPLE timed. */
		cost->sections = array->map.max_entries;
	} else {
		rl_free_resched(array);
	}
}

static void rl_mode_batch(struct rl_array *array, u32 batch,
			  struct rl_cost *cost)
{
	rl_probe_begin();
	rl_free_batch(array, batch, cost);
}

#define RL_MODE_OPS(x, e0, n0, f0, e1, n1, f1, e2, n2, f2)	{	\
	[e0] = { .name = #n0, .free = f0 },				\
	[e1] = { .name = #n1, .free = f1 },				\
	[e2] = { .name = #n2, .free = f2 },				\
}

const struct rl_mode_ops rl_modes[RL_NR_MODES] = RL_MODES(RL_MODE_OPS, 0);

/*
 * Run one free loop and measure it.  The probe, when asked for, keeps a
 * grace period pending all along (so that a stall can be detected at all)
 * and times each one that started before the loop ended.
 */
void rl_array_free(struct rl_array *array, enum rl_mode mode, u32 batch,
		   bool probe, struct rl_cost *cost)
{
	u64 t0;

	memset(cost, 0, sizeof(*cost));
	/* the callers parse the mode from the table: no default to fall to */
	if (WARN_ON_ONCE(mode >= RL_NR_MODES))
		return;
	if (probe)
		rl_probe_start();
	cost->cpu = raw_smp_processor_id();
	t0 = ktime_get_ns();
	rl_modes[mode].free(array, batch, cost);
	cost->duration_ns = ktime_get_ns() - t0;
	if (probe) {
		rl_probe_end();
		rl_probe_stop(&cost->gp_samples, &cost->gp_max_ns);
	}
	if (!cost->sections) {
		cost->sections = 1;
		cost->max_section_ns = cost->duration_ns;
	}
}
