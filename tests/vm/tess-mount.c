// SPDX-License-Identifier: GPL-2.0
/*
 * tess-mount - mount(2) a Tessera file system and print the outcome as
 * one word: "OK" or the errno name (EINVAL, EOPNOTSUPP, ...), so a test
 * can check the exact error.  A successful mount is undone at once.
 *
 *   tess-mount SOURCE TARGET [OPTIONS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: tess-mount SOURCE TARGET [OPTIONS]\n");
		return 2;
	}
	if (mount(argv[1], argv[2], "tessera", 0, argc == 4 ? argv[3] : NULL) == 0) {
		printf("OK\n");
		umount(argv[2]);
		return 0;
	}
	name = strerrorname_np(errno);
	if (name)
		printf("%s\n", name);
	else
		printf("errno%d\n", errno);
	return 1;
}
