/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rlab-repro: the kernel-message vocabulary (stall.c), beyond repro.h's
 * stall_line()/stall_result()/scan_stdin(): -B, the kernel-badness scan.
 */
#ifndef RLAB_STALL_H
#define RLAB_STALL_H

/* what a message is (stall.c's table) */
enum kmsg_class {
	KMSG_NONE,
	KMSG_STALL,	/* a stall report: counted by -S and the CSV's stalls */
	KMSG_DETAIL,	/* a stall report's detail: a suffix of stall_kind */
	KMSG_BAD,	/* kernel badness: a warning, oops, lockdep, KASAN */
};

/*
 * The kind of one message, or NULL; *cls says what it is.  Stall kinds are
 * stall_kind's words before the flavour ("detected", "softlockup", ...).
 */
const char *kmsg_kind(const char *msg, enum kmsg_class *cls);

/*
 * -B: kernel messages on stdin, one a line (raw, dmesg or /dev/kmsg
 * records).  Prints "COUNT KINDS" (the badness messages and their distinct
 * kinds joined by '+', first seen first; "0 none"), then "KIND: MESSAGE"
 * for each.  A stall report is badness too, under its stall_kind.
 */
int scan_bad_stdin(void);

#endif
