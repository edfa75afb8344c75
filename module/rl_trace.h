/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM reuseport_lab

#if !defined(_RL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RL_TRACE_H

#include <linux/tracepoint.h>

#include "rl.h"

/*
 * The mode table's names (rl.h) by value: the enum counts from 0 in the
 * table's order, so no TRACE_DEFINE_ENUM() is needed.
 */
#define RL_MODE_SYMBOLS(v, e0, n0, f0, e1, n1, f1, e2, n2, f2)		\
	__print_symbolic(v, { 0, #n0 }, { 1, #n1 }, { 2, #n2 })
#define rl_show_mode(mode)	RL_MODES(RL_MODE_SYMBOLS, mode)

DECLARE_EVENT_CLASS(rl_free,
		    TP_PROTO(u32 size, u32 filled, int mode, u64 duration),
		    TP_ARGS(size, filled, mode, duration),
		    TP_STRUCT__entry(__field(u32, size)
				     __field(u32, filled)
				     __field(int, mode)
				     __field(u64, duration)),
		    TP_fast_assign(__entry->size = size;
				   __entry->filled = filled;
				   __entry->mode = mode;
				   __entry->duration = duration;),
		    TP_printk("size=%u filled=%u mode=%s duration=%llu",
			      __entry->size, __entry->filled,
			      rl_show_mode(__entry->mode), __entry->duration)
);

/* rl_free_begin carries duration=0; rl_free_end the loop's duration in ns. */
DEFINE_EVENT(rl_free, rl_free_begin,
	     TP_PROTO(u32 size, u32 filled, int mode, u64 duration),
	     TP_ARGS(size, filled, mode, duration));

DEFINE_EVENT(rl_free, rl_free_end,
	     TP_PROTO(u32 size, u32 filled, int mode, u64 duration),
	     TP_ARGS(size, filled, mode, duration));

#endif /* _RL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rl_trace
#include <trace/define_trace.h>
