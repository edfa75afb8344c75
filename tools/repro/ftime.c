// SPDX-License-Identifier: GPL-2.0
/*
 * ftime: time a kernel function's own duration with BPF fentry/fexit.
 *
 * Two hand-assembled tracing programs (no clang, no object files, so the
 * tool builds with gcc alone) share two maps:
 *
 *   start  BPF_MAP_TYPE_HASH   u64 pid_tgid -> u64 bpf_ktime_get_ns() at fentry
 *   stats  BPF_MAP_TYPE_ARRAY  one slot {calls, sum_ns, max_ns}
 *
 * fentry stores the entry time under the current thread; fexit looks it up,
 * deletes it and adds (now - entry) to stats.  Matching by thread is enough
 * for the functions we time: they run start to end on one thread, and a
 * trampoline does not re-enter the same program on a nested call of the
 * same function (the kernel counts such a call as a "miss" and skips it).
 *
 * The measured time includes a little of the instrumentation itself (the
 * rest of the fentry program after the clock read: one hash update, then
 * the trampoline's return path and the fexit entry), some hundred ns; the
 * functions we time take milliseconds.
 *
 * Built with libbpf (libbpf-dev 1.1), statically: -lbpf -lelf -lz.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ftime.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal, but bpf(2) returns it as is */
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define FTIME_JIT_PATH	"/proc/sys/net/core/bpf_jit_enable"
#define FTIME_BTF_PATH	"/sys/kernel/btf/vmlinux"
/* Threads that can be inside FUNC at once; a call beyond that is not timed. */
#define FTIME_THREADS	4096
#define FTIME_LOG_SIZE	(256 * 1024)

/* The stats slot, as the fexit program writes it. */
struct ftime_stats {
	__u64 calls;
	__u64 sum_ns;
	__u64 max_ns;
};

struct ftime {
	int start_fd;
	int stats_fd;
	int prog_fd[2];		/* fentry, fexit */
	int link_fd[2];
};

/*
 * BPF instruction encoders, written after the kernel's include/linux/filter.h
 * naming so that the programs below read like the kernel's own.
 */
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R10 BPF_REG_10

#define INSN(c, d, s, o, i)						\
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s),	\
			    .off = (o), .imm = (i) })
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32_REG(d, s)		INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s)	INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i)	INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define LDX_MEM(sz, d, s, o)	INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX_MEM(sz, d, s, o)	INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_MEM(sz, d, o, i)	INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
/* BPF_ADD without BPF_FETCH: the old BPF_XADD encoding, fine since 4.x. */
#define ATOMIC_ADD64(d, s, o)	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define JMP_REG(op, d, s, o)	INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP_IMM(op, d, i, o)	INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* 64-bit immediates and map fds take two instruction slots. */
#define LD_IMM64_LO(d, s, v)	INSN(BPF_LD | BPF_DW | BPF_IMM, d, s, 0, (__u32)(v))
#define LD_IMM64_HI(v)		INSN(0, 0, 0, 0, (__u32)((__u64)(v) >> 32))

/*
 * A tiny assembler: append instructions, and let every conditional jump go
 * to the one "out" label (r0 = 0; exit) whose offset is patched at the end,
 * so that no offset below is counted by hand.
 */
#define PROG_MAX	64

struct prog {
	struct bpf_insn insn[PROG_MAX];
	int n;
	int to_out[16];		/* indices of jumps to patch */
	int nout;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
	/* Sized for the two programs below; overflow is a bug here. */
	if (p->n < PROG_MAX)
		p->insn[p->n] = insn;
	p->n++;
}

static void emit_ld_imm64(struct prog *p, int reg, int src, __u64 v)
{
	emit(p, LD_IMM64_LO(reg, src, v));
	emit(p, LD_IMM64_HI(v));
}

static void emit_jmp_out(struct prog *p, struct bpf_insn jmp)
{
	if (p->nout < (int)ARRAY_SIZE(p->to_out))
		p->to_out[p->nout] = p->n;
	p->nout++;
	emit(p, jmp);
}

/* Returns 0, or -1 if the program outgrew its arrays (a bug). */
static int emit_out(struct prog *p)
{
	int i, out = p->n;

	emit(p, MOV64_IMM(R0, 0));
	emit(p, EXIT());
	if (p->n > PROG_MAX || p->nout > (int)ARRAY_SIZE(p->to_out))
		return -1;
	for (i = 0; i < p->nout; i++)
		p->insn[p->to_out[i]].off = out - p->to_out[i] - 1;
	return 0;
}

/* The filter as the programs apply it. */
struct filter {
	int arg;		/* < 0: none */
	int size;		/* the argument's size in bytes: 1, 2, 4 or 8 */
	__u64 val;		/* already truncated to size */
};

/*
 * r6 = ctx; with a filter, leave unless ctx[arg] == val.  ctx is u64 *ctx,
 * one 64-bit slot per argument (the verifier only accepts 8-byte loads of
 * it).  An argument narrower than 64 bits arrives in a register whose upper
 * bits the ABI leaves undefined, so it is truncated to its size first.
 */
static void emit_prologue(struct prog *p, const struct filter *f)
{
	emit(p, MOV64_REG(R6, R1));
	if (f->arg < 0)
		return;
	emit(p, LDX_MEM(BPF_DW, R2, R6, f->arg * 8));
	if (f->size == 4)
		emit(p, MOV32_REG(R2, R2));	/* zero-extends the low half */
	else if (f->size < 4)
		emit(p, ALU64_IMM(BPF_AND, R2, (1 << (8 * f->size)) - 1));
	emit_ld_imm64(p, R3, 0, f->val);
	emit_jmp_out(p, JMP_REG(BPF_JNE, R2, R3, 0));
}

/* fentry: start[pid_tgid] = now. */
static int build_entry(struct prog *p, const struct filter *f, int start_fd)
{
	memset(p, 0, sizeof(*p));
	emit_prologue(p, f);
	emit(p, CALL(BPF_FUNC_get_current_pid_tgid));
	emit(p, STX_MEM(BPF_DW, R10, R0, -8));		/* key */
	/* The clock last, so that little of this program is counted. */
	emit(p, CALL(BPF_FUNC_ktime_get_ns));
	emit(p, STX_MEM(BPF_DW, R10, R0, -16));		/* value */
	emit_ld_imm64(p, R1, BPF_PSEUDO_MAP_FD, start_fd);
	emit(p, MOV64_REG(R2, R10));
	emit(p, ALU64_IMM(BPF_ADD, R2, -8));
	emit(p, MOV64_REG(R3, R10));
	emit(p, ALU64_IMM(BPF_ADD, R3, -16));
	emit(p, MOV64_IMM(R4, BPF_ANY));
	/* A full map (FTIME_THREADS threads inside) drops the call: ignored. */
	emit(p, CALL(BPF_FUNC_map_update_elem));
	return emit_out(p);
}

/* fexit: delta = now - start[pid_tgid]; delete it; stats += delta. */
static int build_exit(struct prog *p, const struct filter *f, int start_fd, int stats_fd)
{
	memset(p, 0, sizeof(*p));
	emit_prologue(p, f);
	/* The clock first, for the same reason as in fentry. */
	emit(p, CALL(BPF_FUNC_ktime_get_ns));
	emit(p, MOV64_REG(R7, R0));
	emit(p, CALL(BPF_FUNC_get_current_pid_tgid));
	emit(p, STX_MEM(BPF_DW, R10, R0, -8));
	emit_ld_imm64(p, R1, BPF_PSEUDO_MAP_FD, start_fd);
	emit(p, MOV64_REG(R2, R10));
	emit(p, ALU64_IMM(BPF_ADD, R2, -8));
	emit(p, CALL(BPF_FUNC_map_lookup_elem));
	/* No entry: the call began before we attached, or was dropped. */
	emit_jmp_out(p, JMP_IMM(BPF_JEQ, R0, 0, 0));
	emit(p, LDX_MEM(BPF_DW, R1, R0, 0));
	emit(p, ALU64_REG(BPF_SUB, R7, R1));		/* r7 = delta */
	/* Read the value before deleting: the element may be reused after. */
	emit_ld_imm64(p, R1, BPF_PSEUDO_MAP_FD, start_fd);
	emit(p, MOV64_REG(R2, R10));
	emit(p, ALU64_IMM(BPF_ADD, R2, -8));
	emit(p, CALL(BPF_FUNC_map_delete_elem));
	emit(p, ST_MEM(BPF_W, R10, -16, 0));		/* stats key 0 */
	emit_ld_imm64(p, R1, BPF_PSEUDO_MAP_FD, stats_fd);
	emit(p, MOV64_REG(R2, R10));
	emit(p, ALU64_IMM(BPF_ADD, R2, -16));
	emit(p, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp_out(p, JMP_IMM(BPF_JEQ, R0, 0, 0));	/* verifier wants it */
	/* calls and sum are atomic: calls may end on several CPUs at once. */
	emit(p, MOV64_IMM(R1, 1));
	emit(p, ATOMIC_ADD64(R0, R1, offsetof(struct ftime_stats, calls)));
	emit(p, ATOMIC_ADD64(R0, R7, offsetof(struct ftime_stats, sum_ns)));
	/*
	 * max is a plain compare-and-store, racy if two calls end at once on
	 * two CPUs.  Fine for us: the teardowns we time do not overlap, and a
	 * lost max would only be the smaller of two concurrent ones.
	 */
	emit(p, LDX_MEM(BPF_DW, R1, R0, offsetof(struct ftime_stats, max_ns)));
	emit_jmp_out(p, JMP_REG(BPF_JGE, R1, R7, 0));
	emit(p, STX_MEM(BPF_DW, R0, R7, offsetof(struct ftime_stats, max_ns)));
	return emit_out(p);
}

/* Reporting */

static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* errno as a CSV-fit token: "einval", or "e<number>" for the rest. */
static void errno_token(char *buf, size_t len, const char *prefix, int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "eperm" }, { ENOENT, "enoent" }, { ESRCH, "esrch" },
		{ E2BIG, "e2big" }, { EBADF, "ebadf" }, { ENOMEM, "enomem" },
		{ EACCES, "eacces" }, { EFAULT, "efault" }, { EBUSY, "ebusy" },
		{ EEXIST, "eexist" }, { EINVAL, "einval" }, { ENOSPC, "enospc" },
		{ EOPNOTSUPP, "eopnotsupp" },
		{ ENOTSUPP, "enotsupp" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].err == err) {
			put(buf, len, "%s-%s", prefix, names[i].name);
			return;
		}
	}
	put(buf, len, "%s-e%d", prefix, err);
}

static const char *errstr(int err)
{
	return err == ENOTSUPP ? "ENOTSUPP (524)" : strerror(err);
}

/* libbpf prints warnings on stderr by default; ftime reports instead. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* 1 on, 0 off, -1 unknown (no file: no JIT configured at all, or no procfs). */
static int jit_enabled(void)
{
	char c = 0;
	int fd = open(FTIME_JIT_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, &c, 1);
	close(fd);
	if (n != 1)
		return -1;
	return c != '0';
}

/* The last line of a verifier log that says something, for msg. */
static const char *log_tail(char *log, size_t keep)
{
	size_t n = strlen(log);

	while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
		log[--n] = 0;
	if (n > keep)
		return log + n - keep;
	return log;
}

/*
 * Resolve filter_arg against FUNC's prototype: it must exist and be an
 * integer (int, enum, or a typedef of one, after const/volatile), whose size
 * tells how much of the 64-bit ctx slot is the value.
 */
static int resolve_arg(const struct btf *btf, const struct btf_type *fn, const char *func,
		       struct filter *f, char *why, size_t whylen, char *msg, size_t msglen)
{
	const struct btf_type *proto = btf__type_by_id(btf, fn->type), *t;
	const struct btf_param *params;
	int vlen, id;

	if (!proto || !btf_is_func_proto(proto)) {
		put(why, whylen, "no-func");
		put(msg, msglen, "%s: BTF FUNC without a FUNC_PROTO", func);
		return -1;
	}
	vlen = btf_vlen(proto);
	params = btf_params(proto);
	if (f->arg >= vlen) {
		put(why, whylen, "bad-arg");
		put(msg, msglen, "%s has %d arguments, no argument %d", func, vlen, f->arg);
		return -1;
	}
	id = params[f->arg].type;
	for (t = btf__type_by_id(btf, id); t; t = btf__type_by_id(btf, t->type)) {
		if (!btf_is_typedef(t) && !btf_is_mod(t))
			break;
	}
	if (!t || !(btf_is_int(t) || btf_is_any_enum(t)) ||
	    (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)) {
		put(why, whylen, "bad-arg");
		put(msg, msglen, "%s argument %d is not an integer of 1, 2, 4 or 8 bytes",
		    func, f->arg);
		return -1;
	}
	f->size = t->size;
	if (f->size < 8)
		f->val &= (1ULL << (8 * f->size)) - 1;
	return 0;
}

/* CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON, in the effective set. */
static int have_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	eff = data[0].effective | (__u64)data[1].effective << 32;
	if (eff & 1ULL << CAP_SYS_ADMIN)
		return 1;
	return (eff & 1ULL << CAP_BPF) && (eff & 1ULL << CAP_PERFMON);
}

/*
 * An EPERM with the capabilities present: is it about FUNC or about the
 * program type?  Upstream answers a tracing program without attach_btf_id
 * with EINVAL ("Tracing programs must provide btf_id"); EPERM for that too
 * means the kernel refuses this attach type before looking at any target.
 */
static int refused_before_verifier(enum bpf_attach_type type)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type);
	const struct bpf_insn insn[] = { MOV64_IMM(R0, 0), EXIT() };
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ftime_probe", "GPL", insn, 2, &opts);

	if (fd >= 0) {
		close(fd);	/* cannot happen; then it was not the type */
		return 0;
	}
	return errno == EPERM;
}

/*
 * Load one program; on failure reload with the verifier log on, to name the
 * reason from what the kernel said rather than from the errno alone.
 */
static int load(const struct prog *p, const char *name, enum bpf_attach_type type,
		int btf_id, const char *func, char *why, size_t whylen, char *msg,
		size_t msglen)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
		    .attach_btf_id = btf_id);
	const char *kind = type == BPF_TRACE_FENTRY ? "fentry" : "fexit";
	int fd, err, jit;
	char *log;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", p->insn, p->n, &opts);
	if (fd >= 0)
		return fd;
	err = errno;
	log = calloc(1, FTIME_LOG_SIZE);
	if (log) {
		opts.log_buf = log;
		opts.log_size = FTIME_LOG_SIZE;
		opts.log_level = 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, name, "GPL", p->insn, p->n, &opts);
		if (fd >= 0) {
			/* Passed the second time: report nothing, use it. */
			free(log);
			return fd;
		}
		err = errno;
	}
	jit = jit_enabled();
	if (!log || !log[0]) {
		if ((err == EPERM || err == EACCES) && have_caps() == 1 &&
		    refused_before_verifier(type)) {
			put(why, whylen, "trampoline-eperm");
			put(msg, msglen,
			    "BPF_PROG_LOAD %s/%s: %s, no verifier log, with CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON; %s with attach_btf_id 0 too (upstream: EINVAL): the kernel refuses trampoline programs by policy (patch or LSM) before any target check",
			    kind, func, errstr(err), kind);
		} else if (err == EPERM || err == EACCES) {
			put(why, whylen, "eperm");
			put(msg, msglen,
			    "BPF_PROG_LOAD %s/%s: %s (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)",
			    kind, func, errstr(err));
		} else if (jit == 0) {
			put(why, whylen, "no-jit");
			put(msg, msglen, "BPF_PROG_LOAD %s/%s: %s with %s = 0",
			    kind, func, errstr(err), FTIME_JIT_PATH);
		} else {
			errno_token(why, whylen, "load", err);
			put(msg, msglen, "BPF_PROG_LOAD %s/%s: %s, no verifier log",
			    kind, func, errstr(err));
		}
		free(log);
		return -1;
	}
	/* Messages of kernel/bpf/verifier.c for an unusable attach target. */
	if (strstr(log, "cannot be found"))
		put(why, whylen, "no-addr");
	else if (strstr(log, "is rejected"))	/* deny list, __noreturn: 6.17+ */
		put(why, whylen, "denied");
	else if (jit == 0)
		put(why, whylen, "no-jit");
	else
		put(why, whylen, "verifier");
	put(msg, msglen, "BPF_PROG_LOAD %s/%s: %s; verifier: %s", kind, func, errstr(err),
	    log_tail(log, msglen > 160 ? msglen - 120 : 40));
	free(log);
	return -1;
}

/* Attach through the trampoline; the link fd holds it until closed. */
static int attach(int prog_fd, enum bpf_attach_type type, const char *func, char *why,
		  size_t whylen, char *msg, size_t msglen)
{
	const char *kind = type == BPF_TRACE_FENTRY ? "fentry" : "fexit";
	int fd, err;

	/* BPF_RAW_TRACEPOINT_OPEN with no name: tracing attach since 5.5. */
	fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (fd >= 0)
		return fd;
	err = errno;
	if (err == ENOTSUPP || err == EOPNOTSUPP)
		put(why, whylen, "no-trampoline");
	else if (err == EBUSY)
		put(why, whylen, "busy");
	else if (err == EPERM || err == EACCES)
		put(why, whylen, "eperm");
	else if (jit_enabled() == 0)
		put(why, whylen, "no-jit");
	else
		errno_token(why, whylen, "attach", err);
	put(msg, msglen, "BPF_RAW_TRACEPOINT_OPEN of %s/%s: %s%s", kind, func,
	    errstr(err), err == ENOTSUPP ? ": no BPF trampoline for it on this kernel/arch" : "");
	return -1;
}

static struct ftime *ftime_alloc(void)
{
	struct ftime *ft = malloc(sizeof(*ft));

	if (!ft)
		return NULL;
	ft->start_fd = -1;
	ft->stats_fd = -1;
	ft->prog_fd[0] = -1;
	ft->prog_fd[1] = -1;
	ft->link_fd[0] = -1;
	ft->link_fd[1] = -1;
	return ft;
}

void ftime_close(struct ftime *ft)
{
	int i;

	if (!ft)
		return;
	/* Links first: detach before the programs and maps go. */
	for (i = 0; i < 2; i++) {
		if (ft->link_fd[i] >= 0)
			close(ft->link_fd[i]);
	}
	for (i = 0; i < 2; i++) {
		if (ft->prog_fd[i] >= 0)
			close(ft->prog_fd[i]);
	}
	if (ft->start_fd >= 0)
		close(ft->start_fd);
	if (ft->stats_fd >= 0)
		close(ft->stats_fd);
	free(ft);
}

static struct ftime *ftime_open_quiet(const char *func, int filter_arg,
				      unsigned long long filter_val, char *why, size_t whylen,
				      char *msg, size_t msglen)
{
	struct filter f = { .arg = filter_arg < 0 ? -1 : filter_arg, .size = 8,
			    .val = filter_val };
	const struct btf_type *fn;
	struct ftime *ft = NULL;
	struct btf *btf;
	struct prog *p;
	int id;

	if (access(FTIME_BTF_PATH, R_OK)) {
		put(why, whylen, "no-btf");
		put(msg, msglen, "%s: %s (kernel without CONFIG_DEBUG_INFO_BTF)",
		    FTIME_BTF_PATH, strerror(errno));
		return NULL;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		put(why, whylen, "no-btf");
		put(msg, msglen, "cannot parse %s: %s", FTIME_BTF_PATH, strerror(errno));
		return NULL;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id < 0) {
		put(why, whylen, "no-func");
		put(msg, msglen,
		    "%s is not a function in vmlinux BTF (not built in, renamed, or inlined)",
		    func);
		goto out_btf;
	}
	fn = btf__type_by_id(btf, id);
	if (f.arg >= 0 && resolve_arg(btf, fn, func, &f, why, whylen, msg, msglen))
		goto out_btf;

	p = malloc(sizeof(*p));
	ft = ftime_alloc();
	if (!p || !ft) {
		put(why, whylen, "nomem");
		put(msg, msglen, "out of memory");
		goto out_free;
	}
	ft->start_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ftime_start", sizeof(__u64),
				      sizeof(__u64), FTIME_THREADS, NULL);
	if (ft->start_fd >= 0)
		ft->stats_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ftime_stats",
					      sizeof(__u32), sizeof(struct ftime_stats),
					      1, NULL);
	if (ft->start_fd < 0 || ft->stats_fd < 0) {
		int err = errno;

		put(why, whylen, err == EPERM || err == EACCES ? "eperm" : "map-create");
		put(msg, msglen, "BPF_MAP_CREATE: %s%s", strerror(err),
		    err == EPERM ? " (needs CAP_BPF or CAP_SYS_ADMIN; < 5.11: RLIMIT_MEMLOCK)"
				 : "");
		goto out_free;
	}

	if (build_entry(p, &f, ft->start_fd)) {
		put(why, whylen, "bug");
		put(msg, msglen, "ftime: fentry program outgrew its buffer");
		goto out_free;
	}
	ft->prog_fd[0] = load(p, "ftime_entry", BPF_TRACE_FENTRY, id, func,
			      why, whylen, msg, msglen);
	if (ft->prog_fd[0] < 0)
		goto out_free;
	if (build_exit(p, &f, ft->start_fd, ft->stats_fd)) {
		put(why, whylen, "bug");
		put(msg, msglen, "ftime: fexit program outgrew its buffer");
		goto out_free;
	}
	ft->prog_fd[1] = load(p, "ftime_exit", BPF_TRACE_FEXIT, id, func,
			      why, whylen, msg, msglen);
	if (ft->prog_fd[1] < 0)
		goto out_free;

	/*
	 * fexit first: an fentry with no fexit yet would leave start entries
	 * behind for calls in between.  The other way round, an fexit without
	 * an entry is simply not counted.
	 */
	ft->link_fd[1] = attach(ft->prog_fd[1], BPF_TRACE_FEXIT, func, why, whylen, msg, msglen);
	if (ft->link_fd[1] < 0)
		goto out_free;
	ft->link_fd[0] = attach(ft->prog_fd[0], BPF_TRACE_FENTRY, func, why, whylen, msg, msglen);
	if (ft->link_fd[0] < 0)
		goto out_free;

	free(p);
	btf__free(btf);
	put(why, whylen, "ok");
	put(msg, msglen, "fentry/fexit attached to %s", func);
	return ft;

out_free:
	free(p);
	ftime_close(ft);
	ft = NULL;
out_btf:
	btf__free(btf);
	return ft;
}

struct ftime *ftime_open(const char *func, int filter_arg, unsigned long long filter_val,
			 char *why, size_t whylen, char *msg, size_t msglen)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct ftime *ft;
	int err;

	ft = ftime_open_quiet(func, filter_arg, filter_val, why, whylen, msg, msglen);
	err = errno;
	libbpf_set_print(old);
	errno = err;
	return ft;
}

int ftime_read(struct ftime *ft, unsigned long long *calls, unsigned long long *sum_ns,
	       unsigned long long *max_ns)
{
	struct ftime_stats s;
	__u32 key = 0;

	if (!ft)
		return -EINVAL;
	if (bpf_map_lookup_elem(ft->stats_fd, &key, &s))
		return -errno;
	if (calls)
		*calls = s.calls;
	if (sum_ns)
		*sum_ns = s.sum_ns;
	if (max_ns)
		*max_ns = s.max_ns;
	return 0;
}

int ftime_reset(struct ftime *ft)
{
	struct ftime_stats s = { 0 };
	__u32 key = 0;

	if (!ft)
		return -EINVAL;
	/* Not atomic with fexit's adds: reset between timed walks, not in one. */
	if (bpf_map_update_elem(ft->stats_fd, &key, &s, BPF_ANY))
		return -errno;
	return 0;
}

int ftime_supported(char *why, size_t whylen)
{
	if (access(FTIME_BTF_PATH, R_OK)) {
		put(why, whylen, "no-btf");
		return 0;
	}
	if (have_caps() == 0) {
		put(why, whylen, "eperm");
		return 0;
	}
	if (jit_enabled() == 0) {
		put(why, whylen, "no-jit");
		return 0;
	}
	if (refused_before_verifier(BPF_TRACE_FENTRY)) {
		put(why, whylen, "trampoline-eperm");
		return 0;
	}
	put(why, whylen, "ok");
	return 1;
}
