// SPDX-License-Identifier: GPL-2.0
/*
 * rlab-repro: the kernel-message classifier, one table for every tool and
 * guest suite.  One message at a time: RCU CPU stall reports (detected,
 * self-detected, expedited; the flavour from the "rcu_..." word), soft and
 * hard lockups, the details a report may add (tasks blocked, kthread
 * starved), and the rest of what the suites call kernel badness (warnings,
 * oopses, lockdep, KASAN, might_sleep, hung tasks).  stall_result() writes
 * the CSV's "stalls,stall_kind" pair; -S prints the same for messages on
 * stdin, -B every badness message (stalls too) and their kinds.
 */
#include <string.h>

#include "repro.h"
#include "stall.h"

/*
 * The vocabulary (docs/interface.md, stall_kind).  A message is the kind
 * of the first entry whose text it contains, so the specific come before
 * the generic ("BUG: KASAN:" is kasan, "BUG: soft lockup" softlockup);
 * details are looked for in every message.
 */
static const struct kmsg_pattern {
	const char *text;
	const char *kind;
	enum kmsg_class cls;
} kmsg_table[] = {
	/* stall reports: the CSV's stalls and stall_kind */
	{ "hard LOCKUP", "hardlockup", KMSG_STALL },
	{ "soft lockup - CPU#", "softlockup", KMSG_STALL },
	{ "detected expedited stalls on CPU", "expedited", KMSG_STALL },
	{ "self-detected stall on CPU", "self-detected", KMSG_STALL },
	{ "detected stalls on CPU", "detected", KMSG_STALL },
	{ "detected stall on CPU", "detected", KMSG_STALL },
	/* a stall report's details: stall_kind's suffixes */
	{ "Tasks blocked on", "tasks-blocked", KMSG_DETAIL },
	{ "kthread starved", "kthread-starved", KMSG_DETAIL },
	/* kernel badness: what no suite's kernel log may carry */
	{ "Kernel panic", "panic", KMSG_BAD },
	{ "Oops: ", "oops", KMSG_BAD },
	{ "general protection fault", "oops", KMSG_BAD },
	/* after the oops: "[#1] SMP KASAN" is in an oops' line */
	{ "KASAN", "kasan", KMSG_BAD },
	{ "sleeping function called", "might-sleep", KMSG_BAD },
	{ "possible recursive locking", "lockdep-recursive", KMSG_BAD },
	{ "circular locking", "lockdep-circular", KMSG_BAD },
	{ "inconsistent lock state", "lockdep-inconsistent", KMSG_BAD },
	{ "possible irq lock inversion", "lockdep-irq-inversion", KMSG_BAD },
	{ "suspicious RCU usage", "lockdep-rcu", KMSG_BAD },
	{ "blocked for more than", "hung-task", KMSG_BAD },
	{ "BUG: ", "bug", KMSG_BAD },
	{ "WARNING: ", "warning", KMSG_BAD },
	{ "Call Trace", "call-trace", KMSG_BAD },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KMSG_PATTERNS ARRAY_SIZE(kmsg_table)

const char *kmsg_kind(const char *msg, enum kmsg_class *cls)
{
	size_t i;

	for (i = 0; i < KMSG_PATTERNS; i++)
		if (strstr(msg, kmsg_table[i].text)) {
			*cls = kmsg_table[i].cls;
			return kmsg_table[i].kind;
		}
	*cls = KMSG_NONE;
	return NULL;
}

/* the first stall entry MSG contains, or NULL */
static const char *stall_kind_of(const char *msg)
{
	size_t i;

	for (i = 0; i < KMSG_PATTERNS; i++)
		if (kmsg_table[i].cls == KMSG_STALL &&
		    strstr(msg, kmsg_table[i].text))
			return kmsg_table[i].kind;
	return NULL;
}

static int is_lockup(const char *k)
{
	return !strcmp(k, "softlockup") || !strcmp(k, "hardlockup");
}

/* "FLAVOUR:KIND" of an RCU report (FLAVOUR its first " rcu_..." word) */
static void rcu_kind(const char *msg, const char *k, char *buf, size_t len)
{
	char flavour[32] = "rcu";
	const char *p;
	size_t n;

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
	snprintf(buf, len, "%s:%s", flavour, k);
}

/* one message, classified as tools/rlab-study's stall_scan, plus more */
void stall_line(struct stall_scan *st, const char *msg)
{
	const char *k;
	size_t i;

	for (i = 0; i < KMSG_PATTERNS; i++) {
		if (kmsg_table[i].cls != KMSG_DETAIL ||
		    !strstr(msg, kmsg_table[i].text))
			continue;
		if (!strcmp(kmsg_table[i].kind, "tasks-blocked"))
			st->blocked = 1;
		else
			st->starved = 1;
	}
	k = stall_kind_of(msg);
	if (!k)
		return;
	st->n++;
	if (is_lockup(k)) {
		if (!strcmp(k, "hardlockup"))
			st->hardlockup = 1;
		else
			st->softlockup = 1;
		if (!st->kind[0])
			snprintf(st->kind, sizeof(st->kind), "%s", k);
		return;
	}
	if (!st->kind[0] || is_lockup(st->kind))
		rcu_kind(msg, k, st->kind, sizeof(st->kind));
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

/*
 * The next message on stdin, or NULL at its end: a line, less a /dev/kmsg
 * record's "LEVEL,SEQ,TIME,FLAGS;" prefix; a longer line is cut.
 */
static char *next_message(char *line, size_t len)
{
	char *msg, *semi;
	size_t n;

	if (!fgets(line, len, stdin))
		return NULL;
	n = strlen(line);
	if (n && line[n - 1] != '\n') {
		int c;

		do
			c = getchar();
		while (c != EOF && c != '\n');
	}
	msg = line;
	semi = strchr(line, ';');
	if (line[0] != '[' && semi &&
	    strspn(line, "0123456789,-c+") == (size_t)(semi - line))
		msg = semi + 1;
	msg[strcspn(msg, "\n")] = '\0';
	return msg;
}

/* -S: stdin, one message a line */
int scan_stdin(void)
{
	struct stall_scan st;
	char line[8192], out[128], *msg;

	memset(&st, 0, sizeof(st));
	st.ok = 1;
	while ((msg = next_message(line, sizeof(line))))
		stall_line(&st, msg);
	stall_result(&st, out, sizeof(out));
	*strchr(out, ',') = ' ';
	puts(out);
	return 0;
}

/* append KIND to the '+'-joined list KINDS unless it is there already */
static void add_kind(char *kinds, size_t len, const char *kind)
{
	size_t n = strlen(kind);
	const char *p;

	for (p = kinds; (p = strstr(p, kind)); p += n)
		if ((p == kinds || p[-1] == '+') && (p[n] == '+' || !p[n]))
			return;
	if (strlen(kinds) + n + 2 > len)
		return;
	if (kinds[0])
		strcat(kinds, "+");
	strcat(kinds, kind);
}

/* -B: stdin, one message a line */
int scan_bad_stdin(void)
{
	static char lines[1024][160];
	char line[8192], kinds[512] = "", rk[64], *msg;
	unsigned int n = 0, i;
	enum kmsg_class cls;
	const char *k;

	while ((msg = next_message(line, sizeof(line)))) {
		k = kmsg_kind(msg, &cls);
		if (cls != KMSG_STALL && cls != KMSG_BAD)
			continue;
		if (cls == KMSG_STALL && !is_lockup(k)) {
			rcu_kind(msg, k, rk, sizeof(rk));
			k = rk;
		}
		add_kind(kinds, sizeof(kinds), k);
		if (n < ARRAY_SIZE(lines))
			snprintf(lines[n], sizeof(lines[n]), "%s: %s", k, msg);
		n++;
	}
	printf("%u %s\n", n, n ? kinds : "none");
	for (i = 0; i < n && i < ARRAY_SIZE(lines); i++)
		puts(lines[i]);
	return ferror(stdin) ? 1 : 0;
}
