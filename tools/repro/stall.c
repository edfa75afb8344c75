// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: the stall classifier.  One kernel message at a time: RCU CPU
 * stall reports (detected, self-detected, expedited; the flavour from the
 * "rcu_..." word), soft and hard lockups, and the details a report may add
 * (tasks blocked, kthread starved).  stall_result() writes the CSV's
 * "stalls,stall_kind" pair; -S prints the same for messages on stdin.
 */
#include <string.h>

#include "repro.h"

/* one message, classified as tools/rlab-study's stall_scan, plus more */
void stall_line(struct stall_scan *st, const char *msg)
{
	const char *k = NULL, *p;
	char flavour[32] = "rcu";
	size_t n;

	if (strstr(msg, "Tasks blocked on"))
		st->blocked = 1;
	if (strstr(msg, "kthread starved"))
		st->starved = 1;
	if (strstr(msg, "hard LOCKUP")) {
		st->n++;
		st->hardlockup = 1;
		if (!st->kind[0])
			snprintf(st->kind, sizeof(st->kind), "hardlockup");
		return;
	}
	if (strstr(msg, "soft lockup - CPU#")) {
		st->n++;
		st->softlockup = 1;
		if (!st->kind[0])
			snprintf(st->kind, sizeof(st->kind), "softlockup");
		return;
	}
	if (strstr(msg, "detected expedited stalls on CPU"))
		k = "expedited";
	else if (strstr(msg, "self-detected stall on CPU"))
		k = "self-detected";
	else if (strstr(msg, "detected stalls on CPU") ||
		 strstr(msg, "detected stall on CPU"))
		k = "detected";
	if (!k)
		return;
	st->n++;
	for (p = msg; (p = strstr(p, "rcu_")); p++) {
		if (p != msg && p[-1] != ' ')
			continue;
		n = strcspn(p, " :");
		if (n >= sizeof(flavour))
			n = sizeof(flavour) - 1;
		memcpy(flavour, p, n);
		flavour[n] = '\0';
		break;
	}
	if (!st->kind[0] || !strcmp(st->kind, "softlockup") ||
	    !strcmp(st->kind, "hardlockup"))
		snprintf(st->kind, sizeof(st->kind), "%s:%s", flavour, k);
}

/* "count kind" as the CSV has them */
void stall_result(const struct stall_scan *st, char *buf, size_t len)
{
	if (!st->ok)
		snprintf(buf, len, ",");
	else if (!st->n)
		snprintf(buf, len, "0,none");
	else
		snprintf(buf, len, "%u,%s%s%s%s%s", st->n, st->kind,
			 st->blocked ? "+tasks-blocked" : "",
			 st->starved ? "+kthread-starved" : "",
			 st->softlockup && strcmp(st->kind, "softlockup") ?
			 "+softlockup" : "",
			 st->hardlockup && strcmp(st->kind, "hardlockup") ?
			 "+hardlockup" : "");
}

/* -S: stdin, one message a line */
int scan_stdin(void)
{
	struct stall_scan st;
	char line[8192], out[128], *msg;

	memset(&st, 0, sizeof(st));
	st.ok = 1;
	while (fgets(line, sizeof(line), stdin)) {
		msg = line;
		if (line[0] != '[' && strchr(line, ';') &&
		    strspn(line, "0123456789,-c+") == (size_t)(strchr(line, ';') - line))
			msg = strchr(line, ';') + 1;
		msg[strcspn(msg, "\n")] = '\0';
		stall_line(&st, msg);
	}
	stall_result(&st, out, sizeof(out));
	*strchr(out, ',') = ' ';
	puts(out);
	return 0;
}
