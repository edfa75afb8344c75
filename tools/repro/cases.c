// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro's cases: one kernel path each, in the shape of refscale's ops
 * table.  The first is the default (-t omitted).
 */
#include <stddef.h>

#include "repro.h"

const struct repro_case *const repro_cases[] = {
	&reuseport_case,
	&perf_event_array_case,
	&htab_timer_case,
	&devmap_case,
	&devmap_hash_case,
	NULL,
};
