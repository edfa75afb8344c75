// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro -L: reuseport_array_free()'s slot loop natively in user space,
 * on SIZE slots with the map's layout (a struct bpf_map header, then the
 * pointers), 4 KiB pages (MADV_NOHUGEPAGE), all touched, SOCKS of them
 * pointing at dummies.  The loop re-reads max_entries from memory every
 * slot and reads each slot once (relaxed atomic loads: READ_ONCE()), with
 * one clock read on each side.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "repro.h"

/*
 * sizeof(struct bpf_map) on Debian's 6.1 x86_64 kernels (four cache lines),
 * and the offset of its max_entries: struct reuseport_array's ptrs[] follow.
 * Only the replica's layout: 6.12 and 7.2 differ (0x250 and 0x260 bytes),
 * which moves the array by a cache line or two and changes nothing a slot.
 */
#define MAP_HDR		256
#define MAX_ENTRIES_OFF	36

struct fake_sock {
	void *sk_user_data;
	char pad[56];
};

/*
 * reuseport_array_free()'s loop, with the bound re-read from the header on
 * every iteration as the kernel does; the lock and unlock are left out.
 */
static __attribute__((noipa)) unsigned int slot_loop(unsigned char *map)
{
	unsigned int *max = (unsigned int *)(map + MAX_ENTRIES_OFF);
	struct fake_sock **ptrs = (struct fake_sock **)(map + MAP_HDR);
	struct fake_sock *sk;
	unsigned int i, found = 0;

	for (i = 0; i < READ_ONCE(*max); i++) {
		sk = READ_ONCE(ptrs[i]);
		if (sk) {
			sk->sk_user_data = NULL;
			WRITE_ONCE(ptrs[i], NULL);
			found++;
		}
	}
	return found;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

int run_native(const struct opts *o)
{
	unsigned long long n = o->size, k = o->socks, i, t0;
	size_t bytes = MAP_HDR + 8 * n;
	struct fake_sock *socks, **ptrs;
	unsigned long long *ns;
	unsigned char *map;
	unsigned int r, found;

	check_memory(bytes);
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die(1, "mmap %zu bytes: %s", bytes, strerror(errno));
	if (madvise(map, bytes, MADV_NOHUGEPAGE))
		fprintf(stderr, "%s: madvise(MADV_NOHUGEPAGE): %s\n", me,
			strerror(errno));
	memset(map, 0, bytes);	/* every page present */
	*(unsigned int *)(map + MAX_ENTRIES_OFF) = n;
	ptrs = (struct fake_sock **)(map + MAP_HDR);
	socks = xmalloc((k ? k : 1) * sizeof(*socks));
	ns = xmalloc(o->reps * sizeof(*ns));
	for (r = 0; r < o->reps; r++) {
		for (i = 0; i < k; i++) {
			socks[i].sk_user_data = map;
			ptrs[i * n / k] = &socks[i];
		}
		t0 = now_ns();
		found = slot_loop(map);
		ns[r] = now_ns() - t0;
		if (found != k)
			die(1, "the loop found %u sockets of %llu", found, k);
	}
	qsort(ns, o->reps, sizeof(*ns), cmp_ull);
	printf("native: n=%llu ns_per_slot=%.3f (best of %u) median %.3f\n",
	       n, (double)ns[0] / n, o->reps,
	       (double)ns[o->reps / 2] / n);
	free(ns);
	free(socks);
	munmap(map, bytes);
	return 0;
}
