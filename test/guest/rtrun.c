// SPDX-License-Identifier: GPL-2.0
/*
 * rtrun: run a program at SCHED_FIFO on one CPU (Debian's busybox-static
 * has taskset but no chrt).
 *
 *   rtrun PRIO CPU PROG [ARG...]   PRIO 1..99, CPU 0..1023
 *
 * Exit status: PROG's; 2 on misuse; 125 if the policy or the affinity
 * cannot be set, 126 or 127 if PROG cannot be run or is not found (as
 * env(1)), with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int number(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return (errno || end == s || *end || *v < lo || *v > hi) ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;
	long prio, cpu;
	int err;

	if (argc < 4 || number(argv[1], 1, 99, &prio) ||
	    number(argv[2], 0, CPU_SETSIZE - 1, &cpu)) {
		fprintf(stderr, "usage: rtrun PRIO(1..99) CPU PROG [ARG...]\n");
		return 2;
	}
	/*
	 * The policy first: after the affinity change, on its new CPU, the
	 * task never runs as a normal task (the fair server could run it
	 * there, not an RT task below the CPU's running one).
	 */
	sp.sched_priority = prio;
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		fprintf(stderr, "rtrun: SCHED_FIFO %ld: %s\n",
			prio, strerror(errno));
		return 125;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "rtrun: CPU %ld: %s\n", cpu, strerror(errno));
		return 125;
	}
	execvp(argv[3], argv + 3);
	err = errno;
	fprintf(stderr, "rtrun: %s: %s\n", argv[3], strerror(err));
	return err == ENOENT ? 127 : 126;
}
