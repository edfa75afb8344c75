/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftime: time one kernel function's own duration with a BPF fentry/fexit
 * pair (BTF + BPF trampolines), per call, matched by thread.
 *
 * Every function that can fail writes a short reason token into why
 * ([a-z0-9-]+, fit for a CSV field) and, if msg is not NULL, a sentence into
 * msg.  Nothing is printed on stderr (libbpf's own messages are muted while
 * ftime runs).  Tokens:
 *
 *   no-btf         /sys/kernel/btf/vmlinux missing or unreadable
 *   no-func        FUNC is not a BTF_KIND_FUNC in vmlinux BTF (not built,
 *                  renamed, or static and inlined everywhere)
 *   bad-arg        filter_arg is not an integer argument of FUNC
 *   eperm          bpf(2) refused (EPERM/EACCES without a verifier log):
 *                  needs CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN
 *   trampoline-eperm  EPERM at BPF_PROG_LOAD with the capabilities
 *                  present, also for a probe with no target at all: the
 *                  kernel refuses fentry/fexit by policy (patch or LSM)
 *   no-jit         net.core.bpf_jit_enable is 0 and loading or attaching
 *                  failed (trampolines call JITed code)
 *   no-addr        FUNC is in BTF but the kernel found no address for it
 *   denied         the verifier says tracing FUNC "is rejected" (its deny
 *                  list, or fexit on a __noreturn function; logged since
 *                  6.17, older kernels give load-einval with no log)
 *   verifier       the verifier rejected the program (log tail in msg)
 *   no-trampoline  attach returned ENOTSUPP (524) or EOPNOTSUPP: this
 *                  kernel/arch has no BPF trampoline for FUNC
 *   busy           attach returned EBUSY (text poke conflict at FUNC)
 *   map-create     a map could not be created (errno in msg)
 *   load-ERR       prog load failed otherwise, no verifier log; ERR is the
 *                  errno name in lower case (einval, e2big, ...) or eNNN
 *   attach-ERR     attach failed otherwise, ERR as above
 *   nomem          out of memory in user space
 *   bug            a program outgrew ftime.c's instruction buffer
 */
#ifndef RLAB_FTIME_H
#define RLAB_FTIME_H

#include <stddef.h>

struct ftime;	/* opaque */

/*
 * Attach fentry+fexit to kernel function FUNC.  filter_arg >= 0: only calls
 * whose argument number filter_arg (0-based, an integer argument) equals
 * filter_val count; filter_val is truncated to the argument's size (so -1
 * matches an int -1).  filter_arg < 0: every call counts.
 * Returns NULL on failure, with why/msg filled as described above.
 */
struct ftime *ftime_open(const char *func, int filter_arg, unsigned long long filter_val,
			 char *why, size_t whylen, char *msg, size_t msglen);

/*
 * Totals since open (or the last ftime_reset()): completed calls, sum and
 * max of (fexit time - fentry time) in ns.  Returns 0, or -errno.
 */
int ftime_read(struct ftime *ft, unsigned long long *calls, unsigned long long *sum_ns,
	       unsigned long long *max_ns);

/* Zero the totals.  A call in flight at the reset counts once it ends. */
int ftime_reset(struct ftime *ft);

/* Detach and free; NULL is fine. */
void ftime_close(struct ftime *ft);

/*
 * Cheap pre-check: vmlinux BTF readable, CAP_SYS_ADMIN or CAP_BPF +
 * CAP_PERFMON in the effective set, bpf_jit_enable != 0, and the kernel
 * not refusing fentry programs outright (one targetless probe load).
 * Returns 1 (why = "ok") or 0 with a token as above.  ftime_open() is the
 * real test: it may still fail (no-trampoline, denied, ...).
 */
int ftime_supported(char *why, size_t whylen);

#endif /* RLAB_FTIME_H */
