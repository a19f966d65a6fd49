// SPDX-License-Identifier: MIT
/*
 * hsm_read - read LEN bytes at OFF of a Tessera file through the client
 * library and say how it went, for tests/integ/hsm.sh:
 *
 *   hsm_read PATH OFF LEN      ($TESS_MDS, $TESS_KEY)
 *   -> "ok BYTES sha256 HEX ms MS"  exit 0
 *   -> "error ERRNO-NAME: message ms MS"  exit 1
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tess_client.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *mds = getenv("TESS_MDS"), *key = getenv("TESS_KEY");
	struct tess_client *c;
	struct tess_file *f;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char err[256];
	uint64_t off, len;
	int64_t t0;
	ssize_t n;
	uint8_t *buf;
	int rc;

	if (argc != 4 || !mds || !key) {
		fprintf(stderr, "usage: hsm_read PATH OFF LEN "
			"($TESS_MDS, $TESS_KEY)\n");
		return 2;
	}
	off = strtoull(argv[2], NULL, 0);
	len = strtoull(argv[3], NULL, 0);
	buf = malloc(len ? len : 1);
	if (!buf)
		return 2;
	rc = tess_client_open(mds, key, 60000, &c, err, sizeof(err));
	if (rc) {
		printf("error %s\n", err);
		return 1;
	}
	t0 = now_ms();
	rc = tess_open(c, argv[1], 0, 0, NULL, &f);
	if (!rc) {
		n = tess_pread(f, buf, len, off);
		rc = n < 0 ? (int)n : 0;
		tess_close(f);
	} else {
		n = 0;
	}
	if (rc) {
		printf("error %s: %s ms %" PRId64 "\n",
		       rc == -EIO ? "EIO" : "other", strerror(-rc),
		       now_ms() - t0);
		return 1;
	}
	EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	printf("ok %zd sha256 ", n);
	for (unsigned int i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	printf(" ms %" PRId64 "\n", now_ms() - t0);
	tess_client_close(c);
	free(buf);
	return 0;
}
