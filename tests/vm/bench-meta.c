// SPDX-License-Identifier: MIT
/*
 * bench-meta - one metadata phase of the bench's P4 (issue #11) in one
 * process: N files f00000..f(N-1) of DIR created (open O_CREAT|O_EXCL,
 * close), stat(2)ed or unlinked; prints the seconds the phase took.
 * A shell loop would fork per file (about 100 ms each under QEMU TCG),
 * more than the file system's own cost.
 *
 *   bench-meta create|stat|unlink DIR N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct stat st;
	double t0;
	long n, i;
	int fd, rc = 0;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: bench-meta create|stat|unlink DIR N\n");
		return 2;
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%05ld", argv[2], i);
		if (!strcmp(argv[1], "create")) {
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
			rc = fd < 0 ? -1 : close(fd);
		} else if (!strcmp(argv[1], "stat")) {
			rc = stat(path, &st);
		} else if (!strcmp(argv[1], "unlink")) {
			rc = unlink(path);
		} else {
			fprintf(stderr, "bench-meta: unknown phase %s\n", argv[1]);
			return 2;
		}
		if (rc) {
			fprintf(stderr, "bench-meta: %s %s: %s\n", argv[1], path,
				strerror(errno));
			return 1;
		}
	}
	printf("%.3f\n", now() - t0);
	return 0;
}
