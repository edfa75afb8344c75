// SPDX-License-Identifier: GPL-2.0
/*
 * rlctl: write one command to reuseport_lab's control file in one write(2)
 * and print the outcome: "OK" or the errno's name (EINVAL, EEXIST, ...).
 * Exit status 0 on success, 1 on an errno, 2 on misuse.
 *
 *   rlctl WORD...        the words joined by single spaces
 *   rlctl -x HEX         raw bytes, given in hex (binary input, NUL bytes);
 *                        an odd number of digits is misuse
 *   rlctl -p LEN WORD... the command padded with spaces to LEN bytes
 *   rlctl -t WORD...     as the first form, and print the write's wall time
 *                        in ns after the outcome
 *   rlctl -d MS WORD...  as the first form, the write MS ms (1..60000) after
 *                        rlctl started: the grace periods that the exits
 *                        and execs before it caused are over by then
 *   rlctl -F N WORD...   fail the Nth fault-injectable call of the write
 *                        (/proc/thread-self/fail-nth) and print
 *                        "injected" or "clean" after the outcome
 *   rlctl -F N -r FILE   the same for open + read to EOF + close of FILE
 *                        (status, results: their seq_file buffers)
 *   rlctl -F N -L KO [PARAM...]
 *                        the same for loading module KO (finit_module(2)
 *                        with the PARAMs): the loader's allocations and the
 *                        module's init
 *                        With -r and -L, a clean run also prints how many
 *                        fault-injectable calls it made.
 *
 * CONTROL in the environment overrides the control file's path.  SIGUSR1
 * interrupts the write without killing rlctl, which then prints EINTR.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	int err;
	const char *name;
} names[] = {
	{ EINVAL, "EINVAL" }, { EEXIST, "EEXIST" }, { ENOENT, "ENOENT" },
	{ ENOSPC, "ENOSPC" }, { ENOMEM, "ENOMEM" }, { EBUSY, "EBUSY" },
	{ EINTR, "EINTR" }, { EFAULT, "EFAULT" }, { E2BIG, "E2BIG" },
	{ EPERM, "EPERM" }, { EACCES, "EACCES" }, { EADDRINUSE, "EADDRINUSE" },
	{ ERANGE, "ERANGE" },
};

static const char *errname(int err)
{
	static char other[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "E%d", err);
	return other;
}

/*
 * /proc/thread-self/fail-nth, opened before it is armed: nothing between the
 * arming and the control write may allocate.  fail_nth(N) arms it (0
 * disarms); fail_read() is 1 when the armed fault was injected; fail_left()
 * is how many fault-injectable calls were still to come.
 */
static int nth_fd = -1;

static void fail_nth(long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	if (pwrite(nth_fd, buf, strlen(buf), 0) < 0) {
		perror("fail-nth");
		exit(2);
	}
}

static long fail_left(void)
{
	char buf[32] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static int fail_read(void)
{
	return fail_left() == 0;
}

/* Outcome of an armed open + read to EOF + close, or an armed module load. */
static int armed_other(long nth, char **argv, int argc)
{
	char buf[4096], params[1024] = "";
	int fd, err = 0, i;
	long left;
	ssize_t n;

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		perror("fail-nth");
		return 2;
	}
	if (!strcmp(argv[0], "-L")) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			perror(argv[1]);
			return 2;
		}
		for (i = 2; i < argc; i++) {
			if (strlen(params) + strlen(argv[i]) + 2 > sizeof(params))
				return 2;
			if (i > 2)
				strcat(params, " ");
			strcat(params, argv[i]);
		}
		fail_nth(nth);
		if (syscall(SYS_finit_module, fd, params, 0))
			err = errno;
	} else {
		fail_nth(nth);
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			err = errno;
		} else {
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				;
			if (n < 0)
				err = errno;
			close(fd);
		}
	}
	left = fail_left();
	fail_nth(0);
	if (left == 0)
		printf("%s injected\n", err ? errname(err) : "OK");
	else
		printf("%s clean %ld\n", err ? errname(err) : "OK", nth - left);
	return err != 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	const char *path = getenv("CONTROL");
	size_t len = 0, pad = 0, i;
	char *buf;
	ssize_t n;
	int fd, a = 1, timed = 0, injected = 0, err;
	long nth = 0, delay = 0;
	struct timespec t0, t1;

	struct sigaction sa = { .sa_handler = on_usr1 };

	sigaction(SIGUSR1, &sa, NULL);
	if (!path)
		path = "/sys/kernel/debug/reuseport_lab/control";
	if (argc > 4 && !strcmp(argv[1], "-F") &&
	    (!strcmp(argv[3], "-r") || !strcmp(argv[3], "-L")))
		return armed_other(strtol(argv[2], NULL, 10), argv + 3, argc - 3);
	if (argc > 2 && !strcmp(argv[1], "-x")) {
		const char *h = argv[2];

		if (strlen(h) % 2) {
			fprintf(stderr, "rlctl: -x: odd number of hex digits\n");
			return 2;
		}
		buf = malloc(strlen(h) / 2 + 1);
		if (!buf) {
			perror("rlctl");
			return 2;
		}
		for (i = 0; h[2 * i]; i++) {
			int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return 2;
			buf[len++] = hi << 4 | lo;
		}
	} else {
		if (argc > 2 && !strcmp(argv[1], "-t")) {
			timed = 1;
			a = 2;
		} else if (argc > 3 && !strcmp(argv[1], "-F")) {
			nth = strtol(argv[2], NULL, 10);
			a = 3;
		} else if (argc > 2 && !strcmp(argv[1], "-p")) {
			pad = strtoul(argv[2], NULL, 10);
			a = 3;
		} else if (argc > 3 && !strcmp(argv[1], "-d")) {
			char *end;

			delay = strtol(argv[2], &end, 10);
			if (*end || end == argv[2] || delay < 1 || delay > 60000) {
				fprintf(stderr, "rlctl: -d: 1 to 60000 ms\n");
				return 2;
			}
			a = 3;
		}
		for (i = a; i < (size_t)argc; i++)
			len += strlen(argv[i]) + 1;
		if (pad < len)
			pad = len;
		buf = malloc(pad + 1);
		if (!buf) {
			perror("rlctl");
			return 2;
		}
		buf[0] = 0;
		for (i = a; i < (size_t)argc; i++) {
			if (i > (size_t)a)
				strcat(buf, " ");
			strcat(buf, argv[i]);
		}
		len = strlen(buf);
		while (len < pad)
			buf[len++] = ' ';
	}

	fd = open(path, O_WRONLY);
	if (fd < 0) {
		perror(path);
		return 2;
	}
	if (nth) {
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (nth_fd < 0) {
			perror("fail-nth");
			return 2;
		}
		fail_nth(nth);
	}
	if (delay) {
		struct timespec d = { delay / 1000, delay % 1000 * 1000000L };

		while (nanosleep(&d, &d) && errno == EINTR)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = write(fd, buf, len);
	err = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (nth) {
		injected = fail_read();
		fail_nth(0);
	}
	if (n >= 0 && n != (ssize_t)len) {
		printf("SHORT %zd\n", n);
		return 1;
	}
	printf("%s", n < 0 ? errname(err) : "OK");
	if (nth)
		printf(" %s", injected ? "injected" : "clean");
	if (timed && n >= 0)
		printf(" %lld", (t1.tv_sec - t0.tv_sec) * 1000000000LL +
		       t1.tv_nsec - t0.tv_nsec);
	putchar('\n');
	return n < 0;
}
