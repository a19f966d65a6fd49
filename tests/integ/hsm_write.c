// SPDX-License-Identifier: MIT
/*
 * hsm_write - write LEN bytes of BYTE at OFF of an existing Tessera file
 * through the client library and say how it went, for tests/integ/hsm.sh:
 *
 *   hsm_write PATH OFF LEN BYTE      ($TESS_MDS, $TESS_KEY)
 *   -> "ok BYTES"  exit 0
 *   -> "error ERRNO-NAME: message"  exit 1
 *
 * The file is closed after the write (its size reaches the MDS).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tess_client.h"

int main(int argc, char **argv)
{
	const char *mds = getenv("TESS_MDS"), *key = getenv("TESS_KEY");
	struct tess_client *c;
	struct tess_file *f;
	char err[256];
	uint64_t off, len;
	ssize_t n = 0;
	uint8_t *buf;
	int rc, crc;

	if (argc != 5 || !mds || !key) {
		fprintf(stderr, "usage: hsm_write PATH OFF LEN BYTE "
			"($TESS_MDS, $TESS_KEY)\n");
		return 2;
	}
	off = strtoull(argv[2], NULL, 0);
	len = strtoull(argv[3], NULL, 0);
	buf = malloc(len ? len : 1);
	if (!buf)
		return 2;
	memset(buf, (int)strtol(argv[4], NULL, 0), len);
	rc = tess_client_open(mds, key, 60000, &c, err, sizeof(err));
	if (rc) {
		printf("error %s\n", err);
		return 1;
	}
	rc = tess_open(c, argv[1], 0, 0, NULL, &f);
	if (!rc) {
		n = tess_pwrite(f, buf, len, off);
		rc = n < 0 ? (int)n : 0;
		crc = tess_close(f);
		if (!rc)
			rc = crc;
	}
	if (rc) {
		printf("error %s: %s\n", rc == -EIO ? "EIO" : "other",
		       strerror(-rc));
		return 1;
	}
	printf("ok %zd\n", n);
	tess_client_close(c);
	free(buf);
	return 0;
}
