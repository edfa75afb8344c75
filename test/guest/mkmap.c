// SPDX-License-Identifier: GPL-2.0
/*
 * mkmap: create a real BPF_MAP_TYPE_REUSEPORT_SOCKARRAY with raw bpf(2),
 * insert K SO_REUSEPORT UDP sockets at the slots reuseport_lab's
 * 'fill K stride' uses on an empty array (k * N / K), then close the map so
 * that the kernel frees it in a kworker (bpf_map_free_deferred() ->
 * reuseport_array_free()).  The sockets stay open until SIGTERM, so that the
 * kernel's loop, like the replica's, finds them in their slots.
 *
 *   mkmap N K     prints "create_ns <ns>" and "closed", then waits
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GROUP_SOCKS	1024	/* as the module: sockets per reuseport group */

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int udp_reuseport(unsigned short *port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(*port),
	};
	socklen_t len = sizeof(a);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		perror("socket");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * Each socket is a descriptor: raise the soft limit to what K sockets need
 * (the default soft limit, 1024, fails with EMFILE above ~1020).
 */
static int nofile_for(unsigned long long k)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= k + 16)
		return 0;
	if (rl.rlim_max < k + 16) {
		fprintf(stderr,
			"mkmap: %llu sockets need RLIMIT_NOFILE >= %llu (hard limit %llu)\n",
			k, k + 16, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = k + 16;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv)
{
	union bpf_attr attr;
	struct timespec t0, t1;
	unsigned short port = 0;
	unsigned long long n, k, i;
	unsigned int key;
	unsigned long long val;
	int map;

	if (argc != 3)
		return 2;
	n = strtoull(argv[1], NULL, 10);
	k = strtoull(argv[2], NULL, 10);
	if (!n || n > UINT32_MAX || k > n)
		return 2;
	if (nofile_for(k))
		return 1;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
	attr.key_size = sizeof(key);
	attr.value_size = sizeof(val);
	attr.max_entries = n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	map = bpf(BPF_MAP_CREATE, &attr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (map < 0) {
		perror("BPF_MAP_CREATE");
		return 1;
	}
	printf("create_ns %lld\n", (t1.tv_sec - t0.tv_sec) * 1000000000LL +
	       t1.tv_nsec - t0.tv_nsec);

	for (i = 0; i < k; i++) {
		if (i % GROUP_SOCKS == 0)
			port = 0;
		key = i * n / k;
		val = udp_reuseport(&port);
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = map;
		attr.key = (uintptr_t)&key;
		attr.value = (uintptr_t)&val;
		attr.flags = BPF_NOEXIST;
		if (bpf(BPF_MAP_UPDATE_ELEM, &attr)) {
			perror("BPF_MAP_UPDATE_ELEM");
			return 1;
		}
	}
	close(map);
	puts("closed");
	fflush(stdout);
	pause();
	return 0;
}
