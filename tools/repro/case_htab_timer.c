// SPDX-License-Identifier: GPL-2.0
/*
 * htab_timer: a BPF_MAP_TYPE_HASH with BPF_F_NO_PREALLOC whose value (in
 * BTF) holds a struct bpf_timer, SIZE elements (all of max_entries).  When
 * the last user reference goes (the last close() of its fds, with no
 * program holding it), map_release_uref runs in the closing task
 * (htab_map_free_internal_structs(); htab_map_free_timers() before 6.9),
 * which walks every bucket (max_entries rounded up to a power of 2) and
 * every element in one rcu_read_lock() section, with a cond_resched_rcu()
 * per bucket that is empty on PREEMPT_RCU=y: the upstream patch's own
 * cited precedent.
 *
 * The BTF is written with libbpf's BTF writer and loaded; the elements are
 * put in with BPF_MAP_UPDATE_BATCH (zeroed values: the timers are never
 * initialised, and the walk visits them all the same).  The walk is timed
 * as the close() that runs it (duration_ns is trigger_ns), and the window
 * ends with it; then, outside the window, the map's free in a kworker
 * (the buckets' vfree()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "repro.h"

#define ELEM_BYTES	128	/* struct htab_elem, key and value, slab-rounded */
#define BUCKET_BYTES	16	/* struct bucket */
#define BATCH		65536
#define KMALLOC_MAX	32768

struct htab {
	int map, btf;
	long long vm_before;
};

static unsigned long long ht_iterations(unsigned long long n)
{
	return pow2_at_least(n);
}

static unsigned long long ht_bytes(unsigned long long n)
{
	return ELEM_BYTES * n + BUCKET_BYTES * ht_iterations(n);
}

/*
 * BTF for key "unsigned int" and value "struct rl_val { struct bpf_timer t; }";
 * struct bpf_timer is 16 bytes, aligned to 8, as in the uapi: the kernel
 * finds the field by the struct's name.  An fd, the key and value ids.
 */
static int make_btf(__u32 *key_id, __u32 *val_id)
{
	struct btf *btf = btf__new_empty();
	int u32_id, u64_id, timer_id, id, fd;

	if (!btf)
		die(1, "btf__new_empty: %s", strerror(errno));
	u32_id = btf__add_int(btf, "unsigned int", 4, 0);
	u64_id = btf__add_int(btf, "long long unsigned int", 8, 0);
	timer_id = btf__add_struct(btf, "bpf_timer", 16);
	if (u32_id < 0 || u64_id < 0 || timer_id < 0 ||
	    btf__add_field(btf, "__opaque0", u64_id, 0, 0) ||
	    btf__add_field(btf, "__opaque1", u64_id, 64, 0))
		die(1, "writing the BTF failed");
	id = btf__add_struct(btf, "rl_val", 16);
	if (id < 0 || btf__add_field(btf, "t", timer_id, 0, 0))
		die(1, "writing the BTF failed");
	if (btf__load_into_kernel(btf))
		die(2, "this machine refuses BPF_BTF_LOAD: %s (needs CAP_BPF, CONFIG_BPF_SYSCALL)",
		    strerror(errno));
	fd = dup(btf__fd(btf));
	btf__free(btf);
	if (fd < 0)
		die(1, "dup: %s", strerror(errno));
	*key_id = u32_id;
	*val_id = id;
	return fd;
}

static void ht_check(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	__u32 key_id, val_id;
	int btf = make_btf(&key_id, &val_id), fd;

	mo.btf_fd = btf;
	mo.btf_key_type_id = key_id;
	mo.btf_value_type_id = val_id;
	mo.map_flags = BPF_F_NO_PREALLOC;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "rl_htab_timer", 4, 16, 1, &mo);
	if (fd < 0)
		die(2,
		    "this machine refuses a BPF_MAP_TYPE_HASH with a bpf_timer in its value: BPF_MAP_CREATE: %s",
		    strerror(errno));
	close(fd);
	close(btf);
}

static int ht_create(struct run *r)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	unsigned long long n = r->o->size, i, done, t0;
	struct htab *ht = xmalloc(sizeof(*ht));
	unsigned char (*vals)[16];
	__u32 key_id, val_id, *keys, cnt;

	r->priv = ht;
	ht->btf = make_btf(&key_id, &val_id);
	mo.btf_fd = ht->btf;
	mo.btf_key_type_id = key_id;
	mo.btf_value_type_id = val_id;
	mo.map_flags = BPF_F_NO_PREALLOC;
	ht->map = bpf_map_create(BPF_MAP_TYPE_HASH, "rl_htab_timer", 4, 16, n, &mo);
	if (ht->map < 0 && errno == ENOMEM)
		die(1, "BPF_MAP_CREATE: a %llu-element hash map: %s", n,
		    strerror(errno));
	if (ht->map < 0)
		die(2,
		    "this machine refuses a BPF_MAP_TYPE_HASH with a bpf_timer in its value: BPF_MAP_CREATE: %s",
		    strerror(errno));
	keys = xmalloc(BATCH * sizeof(*keys));
	vals = xmalloc(BATCH * sizeof(*vals));
	t0 = now_ns();
	for (done = 0; done < n; done += cnt) {
		cnt = n - done < BATCH ? n - done : BATCH;
		for (i = 0; i < cnt; i++)
			keys[i] = done + i;
		if (bpf_map_update_batch(ht->map, keys, vals, &cnt, &bo))
			die(1, "BPF_MAP_UPDATE_BATCH at element %llu: %s", done,
			    strerror(errno));
	}
	free(keys);
	free(vals);
	r->filled = n;
	fprintf(stderr, "%s: rep %u/%u: %llu elements in %llu buckets put in %llu ms\n",
		me, r->rep, r->o->reps, n, r->size, (now_ns() - t0) / 1000000);
	return 0;
}

static void ht_arm(struct run *r)
{
	struct htab *ht = r->priv;

	ht->vm_before = BUCKET_BYTES * r->size > KMALLOC_MAX ? vmalloc_used_kb() : -1;
}

static void ht_trigger(struct run *r)
{
	struct htab *ht = r->priv;

	close(ht->map);
}

static void ht_wait(struct run *r)
{
	/* map_release_uref ran in close(): that is the walk */
	r->loop_ns = r->trigger_ns;
}

/*
 * The map's free, in a kworker after the release: every element again
 * (outside any read-side section) and the buckets' vfree()
 */
static void ht_settle(struct run *r)
{
	struct htab *ht = r->priv;

	wait_vfree(ht->vm_before, BUCKET_BYTES * r->size, r->t_trigger,
		   60000000000ULL + 1000 * r->size, &r->timed_out);
}

static void ht_cleanup(struct run *r)
{
	struct htab *ht = r->priv;

	close(ht->btf);
	free(ht);
}

const struct repro_case htab_timer_case = {
	.name = "htab_timer",
	.mode = "htab_timer",
	/* the walk; the map op that calls it, where it is inlined; before 6.9 */
	.func =
		"htab_free_malloced_internal_structs,htab_map_free_internal_structs,htab_free_malloced_timers,htab_map_free_timers",
	.ctx = "task",
	.yield = "cond_resched_rcu",
	.fills_all = 1,
	.filter_arg = -1,
	.describe =
		"HASH, BPF_F_NO_PREALLOC, a bpf_timer in the value: the last user reference's close() runs map_release_uref in the closing task: every bucket and element in one rcu_read_lock() section, cond_resched_rcu() per bucket",
	.unit = "buckets",
	.native_size = 10000000ULL,
	/* htab_map_alloc(): n_buckets <= U32_MAX / sizeof(struct bucket) */
	.max_size = 1ULL << 27,
	.bytes = ht_bytes,
	.iterations = ht_iterations,
	.check = ht_check,
	.create = ht_create,
	.arm = ht_arm,
	.trigger = ht_trigger,
	.wait = ht_wait,
	.settle = ht_settle,
	.cleanup = ht_cleanup,
};
