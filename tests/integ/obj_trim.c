// SPDX-License-Identifier: MIT
/*
 * obj_trim - send what the MDS's trim pass sends (user/mds/osts.c,
 * trim_file): OBJ_PUNCH TRIM of every object of a Tessera file to where
 * the file's size ends in it, for tests/integ/hsm_archive.sh.
 *
 *   obj_trim PATH      ($TESS_MDS, $TESS_KEY)
 *   -> "ok N" (objects trimmed) exit 0, or "error ..." exit 1
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tess_client.h"
#include "tess_stripe.h"
#include "tessera.h"

int main(int argc, char **argv)
{
	const char *mds = getenv("TESS_MDS"), *key = getenv("TESS_KEY");
	struct tess_client *c;
	struct tess_inode *st;
	char err[256];
	int rc;

	if (argc != 2 || !mds || !key) {
		fprintf(stderr, "usage: obj_trim PATH ($TESS_MDS, $TESS_KEY)\n");
		return 2;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return 2;
	rc = tess_client_open(mds, key, 60000, &c, err, sizeof(err));
	if (rc) {
		printf("error %s\n", err);
		return 1;
	}
	rc = tess_stat(c, argv[1], st);
	for (uint32_t i = 0; !rc && i < st->nobjs; i++) {
		struct tess_obj_punch_req p = {
			.oid = cpu_to_le64(st->objs[i].oid),
			.offset = cpu_to_le64(tess_stripe_obj_size(&st->geom,
								   i, st->size)),
			.mode = cpu_to_le32(TESS_PUNCH_TRIM),
		};
		struct tnet_call call = { .op = TESS_OP_OBJ_PUNCH, .body = &p,
					  .body_len = sizeof(p) };

		rc = tess_ost_call(c, st->objs[i].ost_idx, &call);
	}
	if (rc)
		printf("error %s\n", strerror(-rc));
	else
		printf("ok %u\n", st->nobjs);
	tess_client_close(c);
	free(st);
	return rc ? 1 : 0;
}
