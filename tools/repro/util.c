// SPDX-License-Identifier: GPL-2.0
/* rlab-repro: errors, time, numbers, files, bpf(2) and sockets. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "repro.h"

noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		die(1, "out of memory (%zu bytes)", n);
	return p;
}

unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void sleep_ns(unsigned long long ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000ULL,
		.tv_nsec = ns % 1000000000ULL,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* 10M -> 10000000, as rlab-study; 0 on a malformed or out-of-range size */
unsigned long long parse_size(const char *s)
{
	unsigned long long n = 0, m = 1;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > UINT32_MAX)
			return 0;
	}
	if (p == s)
		return 0;
	if (*p == 'k' || *p == 'K')
		m = 1000;
	else if (*p == 'M')
		m = 1000000;
	else if (*p == 'G')
		m = 1000000000;
	if (m > 1)
		p++;
	if (*p || n * m > UINT32_MAX)
		return 0;
	return n * m;
}

/* a decimal number up to max, or -1 */
long long parse_num(const char *s, unsigned long long max)
{
	unsigned long long n = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > max)
			return -1;
	}
	if (p == s || *p)
		return -1;
	return n;
}

const char *me = "rlab-repro";

/* a CSV field of ours: letters, digits and ._:+~/=- only (rlab-report's set) */
int plain_word(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:+~/=-", *p))
			return 0;
	return p != s;
}

/* the first line of a file, without its newline; 0 or -1 */
int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* a /proc/meminfo field ("VmallocUsed: %lld kB") in kB, or -1 */
long long meminfo_kb(const char *fmt)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long long vmalloc_used_kb(void)
{
	return meminfo_kb("VmallocUsed: %lld kB");
}

/* refuse a map that does not fit in MemAvailable less 256 MB */
void check_memory(unsigned long long bytes)
{
	long long avail = meminfo_kb("MemAvailable: %lld kB");

	if (avail >= 0 && (bytes >> 10) + (256 << 10) > (unsigned long long)avail)
		die(1, "%llu MB needed (and 256 MB to spare), MemAvailable is %lld MB",
		    bytes >> 20, avail >> 10);
}

long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* a map: an fd, or -errno */
int map_create(__u32 type, __u32 key, __u32 value, unsigned long long n,
	       __u32 flags)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key;
	attr.value_size = value;
	attr.max_entries = n;
	attr.map_flags = flags;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	return fd < 0 ? -errno : fd;
}

/* 0 or -errno; value is vsize (4 or 8) bytes of val */
int map_update(int map, __u32 key, __u64 val, __u32 vsize, __u64 flags)
{
	union bpf_attr attr;
	__u32 v32 = val;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = vsize == 4 ? (uintptr_t)&v32 : (uintptr_t)&val;
	attr.flags = flags;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) ? -errno : 0;
}

/* 0 or -errno */
int map_lookup(int map, __u32 key, void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)value;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) ? -errno : 0;
}

/* room for fds more descriptors than stdio's */
void raise_nofile(unsigned long long socks)
{
	rlim_t need = socks + 64;
	struct rlimit rl, old;

	/* kernels before 5.11 charge maps to RLIMIT_MEMLOCK: best effort */
	rl.rlim_cur = RLIM_INFINITY;
	rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_MEMLOCK, &rl);

	if (getrlimit(RLIMIT_NOFILE, &old))
		die(1, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (old.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	rl.rlim_max = old.rlim_max >= need ? old.rlim_max : need;
	if (!setrlimit(RLIMIT_NOFILE, &rl))
		return;
	die(1,
	    "RLIMIT_NOFILE: -k %llu needs %llu open files; the limit is %llu (hard %llu) and raising it failed: %s",
	    socks, (unsigned long long)need, (unsigned long long)old.rlim_cur,
	    (unsigned long long)old.rlim_max, strerror(errno));
}

/* a bound SO_REUSEPORT UDP socket on 127.0.0.1:*port (0: a new port) */
int udp_reuseport(unsigned short *port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(*port),
	};
	socklen_t len = sizeof(a);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die(1, "UDP socket on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * Until VmallocUsed has dropped by 3/4 of bytes below vm_before (vfree()
 * subtracts its pages at once, after freeing them: a step after the walk),
 * or timeout since t0.
 */
void wait_vfree(long long vm_before, unsigned long long bytes,
		unsigned long long t0, unsigned long long timeout, int *timed_out)
{
	long long need = (bytes >> 10) * 3 / 4, vm;

	while (vm_before > 0 && !*timed_out) {
		if (now_ns() - t0 > timeout) {
			*timed_out = 1;
			break;
		}
		vm = vmalloc_used_kb();
		if (vm >= 0 && vm + need <= vm_before)
			break;
		sleep_ns(MEM_POLL_NS);
	}
}

unsigned long long pow2_at_least(unsigned long long n)
{
	unsigned long long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}
