// SPDX-License-Identifier: MIT
/*
 * hsm_read - read LEN bytes at OFF of a Tessera file through the client
 * library and say how it went, for tests/integ/hsm.sh:
 *
 *   hsm_read [--obj] PATH OFF LEN      ($TESS_MDS, $TESS_KEY)
 *   -> "ok BYTES sha256 HEX ms MS"  exit 0
 *   -> "error ERRNO-NAME: message ms MS"  exit 1
 *
 * --obj: one OBJ_READ of [OFF, OFF + LEN) of the file's first object,
 * straight to its OST (the library splits reads into 4 MiB requests; the
 * kernel client sends up to 16 MiB).  A short reply counts as zeros, as
 * the clients count it.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tess_client.h"
#include "tessera.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one OBJ_READ of [off, off + len) of the first object of path */
static ssize_t obj_read(struct tess_client *c, const char *path, uint8_t *buf,
			uint64_t len, uint64_t off)
{
	struct tess_inode *st = malloc(sizeof(*st));
	struct tess_obj_io_req r = { .offset = cpu_to_le64(off),
				     .length = cpu_to_le32((uint32_t)len) };
	struct tnet_call call = { .op = TESS_OP_OBJ_READ, .body = &r,
				  .body_len = sizeof(r), .rbulk = buf,
				  .rbulk_cap = (uint32_t)len };
	uint32_t ost;
	int rc;

	if (!st)
		return -ENOMEM;
	rc = tess_getstripe(c, path, st);
	if (!rc && !st->nobjs)
		rc = -ENODATA;
	if (rc) {
		free(st);
		return rc;
	}
	r.oid = cpu_to_le64(st->objs[0].oid);
	ost = st->objs[0].ost_idx;
	free(st);
	rc = tess_ost_call(c, ost, &call);
	if (rc)
		return rc;
	if (call.reply.f.bulk_len < len)
		memset(buf + call.reply.f.bulk_len, 0,
		       len - call.reply.f.bulk_len);
	return (ssize_t)len;
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
	bool raw = argc > 1 && !strcmp(argv[1], "--obj");
	int rc;

	if (raw) {
		argc--;
		argv++;
	}
	if (argc != 4 || !mds || !key) {
		fprintf(stderr, "usage: hsm_read [--obj] PATH OFF LEN "
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
	if (raw) {
		n = obj_read(c, argv[1], buf, len, off);
		rc = n < 0 ? (int)n : 0;
	} else if (!(rc = tess_open(c, argv[1], 0, 0, NULL, &f))) {
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
