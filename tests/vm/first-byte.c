// SPDX-License-Identifier: MIT
/*
 * first-byte - time to first byte of a file: open(2) it and read its
 * first 4 KiB; print the milliseconds both took.  Measured inside one
 * process, so the figure is the file system's, without the fork and exec
 * of a shell command (about 100 ms each under QEMU TCG).
 *
 *   first-byte FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	double t0;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: first-byte FILE\n");
		return 2;
	}
	t0 = now_ms();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "first-byte: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		fprintf(stderr, "first-byte: %s: %s\n", argv[1],
			n ? strerror(errno) : "empty file");
		return 1;
	}
	printf("%.0f\n", now_ms() - t0);
	close(fd);
	return 0;
}
