// SPDX-License-Identifier: GPL-2.0
/*
 * rlfuzz: a seeded random command fuzzer for reuseport_lab's control file.
 *
 *   rlfuzz SEED COMMANDS WRITERS READERS
 *
 * WRITERS processes share COMMANDS writes, drawn from the command grammar
 * (valid commands with random arguments, and malformed ones); READERS
 * processes read status and results until the writers are done.  Every
 * outcome must be one the contract allows for that command in some state;
 * a malformed command must give EINVAL.  Prints the counts; exits 1 on any
 * violation or failed read.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR "/sys/kernel/debug/reuseport_lab/"

struct stats {
	long cmds, ok, errs, bad, reads, readfail;
};

enum { A_OK = 1, A_EINVAL = 2, A_EEXIST = 4, A_ENOENT = 8, A_ENOSPC = 16,
	A_EBUSY = 32 };

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245 + 12345;
	return (*s >> 8) & 0xffffff;
}

static const char *const modes[] = {
	"", " plain", " resched", " batch", " batch:1", " batch:64",
};

static const char *const ctxs[] = { "", " worker", " sync" };

static const char *const pats[] = {
	"", " dense", " stride", " random", " random:9",
};

static const char *const junk[] = {
	"", " ", "alloc 0", "alloc -5", "alloc 1x", "alloc 4294967296",
	"fill", "fill 0", "fill 5 zigzag", "free fast", "free batch:0",
	"free sync sync", "hog", "hog x", "hog 4096", "wait 1", "reset 1",
	"ALLOC 10", "free batch:16777217", "fill 1 random:", "alloc 1 2 3",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One command and the outcomes the contract allows for it. */
static int pick(unsigned int *s, char *cmd, size_t len)
{
	unsigned int r = rnd(s) % 100;

	if (r < 20) {
		snprintf(cmd, len, "alloc %u", 1 + rnd(s) % 20000);
		return A_OK | A_EEXIST;
	}
	if (r < 40) {
		snprintf(cmd, len, "fill %u%s", 1 + rnd(s) % 8,
			 pats[rnd(s) % N(pats)]);
		return A_OK | A_ENOENT | A_ENOSPC | A_EBUSY;
	}
	if (r < 60) {
		snprintf(cmd, len, "free%s%s%s", modes[rnd(s) % N(modes)],
			 ctxs[rnd(s) % N(ctxs)], rnd(s) % 2 ? " nowait" : "");
		return A_OK | A_ENOENT | A_EBUSY;
	}
	if (r < 65) {
		snprintf(cmd, len, "wait");
		return A_OK;
	}
	if (r < 67) {
		snprintf(cmd, len, "hog %u", rnd(s) % 2);
		return A_OK | A_EBUSY;
	}
	if (r < 69) {
		snprintf(cmd, len, "hog off");
		return A_OK;
	}
	if (r < 70) {
		snprintf(cmd, len, "reset");
		return A_OK;
	}
	if (r < 85) {
		snprintf(cmd, len, "%s", junk[rnd(s) % N(junk)]);
		return A_EINVAL;
	}
	/* random bytes */
	for (r = 0; r < 1 + rnd(s) % 12; r++)
		cmd[r] = 1 + rnd(s) % 255;
	cmd[r] = 0;
	if (!strncmp(cmd, "wait", 4) || !strncmp(cmd, "reset", 5))
		cmd[0] = '#';
	return A_EINVAL;
}

static int outcome(int ret, int err)
{
	if (!ret)
		return A_OK;
	switch (err) {
	case EINVAL: return A_EINVAL;
	case EEXIST: return A_EEXIST;
	case ENOENT: return A_ENOENT;
	case ENOSPC: return A_ENOSPC;
	case EBUSY: return A_EBUSY;
	}
	return 0;
}

static void writer(unsigned int seed, long n, struct stats *st)
{
	char cmd[64];
	int fd, allowed, got;
	ssize_t w;

	fd = open(DIR "control", O_WRONLY);
	if (fd < 0)
		exit(2);
	while (n--) {
		allowed = pick(&seed, cmd, sizeof(cmd));
		w = write(fd, cmd, strlen(cmd));
		got = outcome(w < 0, errno);
		__sync_fetch_and_add(&st->cmds, 1);
		__sync_fetch_and_add(got == A_OK ? &st->ok : &st->errs, 1);
		if (!(got & allowed)) {
			__sync_fetch_and_add(&st->bad, 1);
			fprintf(stderr, "rlfuzz: '%s' -> %s\n", cmd,
				w < 0 ? strerror(errno) : "OK");
		}
	}
	/* leave no hog behind */
	w = write(fd, "hog off", 7);
	close(fd);
}

static void reader(int *done, struct stats *st)
{
	static const char *const files[] = { DIR "status", DIR "results" };
	char buf[16384];
	unsigned int i = 0;
	int fd;

	while (!__atomic_load_n(done, __ATOMIC_RELAXED)) {
		fd = open(files[i++ % 2], O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			__sync_fetch_and_add(&st->readfail, 1);
		if (fd >= 0)
			close(fd);
		__sync_fetch_and_add(&st->reads, 1);
	}
}

int main(int argc, char **argv)
{
	struct stats *st;
	int *done, i, w, r, status, fail = 0;
	unsigned int seed;
	long n;

	if (argc != 5)
		return 2;
	seed = strtoul(argv[1], NULL, 10);
	n = strtol(argv[2], NULL, 10);
	w = atoi(argv[3]);
	r = atoi(argv[4]);
	st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		return 2;
	done = (int *)(st + 1);

	for (i = 0; i < r; i++)
		if (!fork()) {
			reader(done, st);
			_exit(0);
		}
	for (i = 0; i < w; i++)
		if (!fork()) {
			writer(seed * 7919 + i, n / w + (i < n % w), st);
			_exit(0);
		}
	for (i = 0; i < w; i++) {
		wait(&status);
		fail |= !WIFEXITED(status) || WEXITSTATUS(status);
	}
	__atomic_store_n(done, 1, __ATOMIC_RELAXED);
	while (wait(&status) > 0)
		fail |= !WIFEXITED(status) || WEXITSTATUS(status);

	printf("rlfuzz: seed %u: %ld commands (%ld ok, %ld errno), ", seed,
	       st->cmds, st->ok, st->errs);
	printf("%ld violations, %ld reads, %ld failed\n", st->bad, st->reads,
	       st->readfail);
	return fail || st->bad || st->readfail;
}
