// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the OST request handlers (user/ost/handlers.c,
 * through ost_server_ops as tnet_server calls them): each input is a
 * sequence of requests (fuzz_req.h) against an object store with HSM on
 * (no S3 endpoint: a restore fails at once, as on an OST without
 * --s3-endpoint; no MDS to notify; nothing started, so no thread and no
 * socket).  The store and the HSM state are made once, in a directory
 * under $FUZZ_TMPDIR or /tmp (there is no ost_hsm_free), so every input
 * ends by destroying the objects it left, as OBJ_DESTROY does: an input
 * still sees the ranges earlier ones precreated.  One connection per
 * role and protocol version, kept for the whole run.  A reply that fails
 * tess_msg_check aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_req.h"
#include "../../user/ost/ost.h"

/* the fuzzer's budget: a PRECREATE creates and fsyncs count files */
#define FZ_PRECREATE_MAX	64

/* connections by the FZ_ROLE and FZ_OLD_PROTO bits of fz_rec.flags */
#define FZ_CONN_KEY(flags)	(((flags) >> FZ_ROLE_SHIFT & 3) | \
				 ((flags) & FZ_OLD_PROTO ? 4 : 0))

static struct ost_ctx ctx;
static struct tnet_conn conns[8];
static bool connected[8];
static uint8_t *rep_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ost_hsm_opts ho = { .s3_error = "none (fuzzing)" };
	char dir[300], err[256];
	int rc;

	(void)argc;
	(void)argv;
	if (!getenv("FUZZ_LOG"))
		tlog_set_level(LOG_EMERG);
	snprintf(dir, sizeof(dir), "%s/ost", fz_mkroot("tess-fuzz-ost"));
	rep_buf = malloc(TESS_MAX_BODY);
	if (!rep_buf)
		exit(1);
	rc = objstore_open(dir, 0, &ctx.store, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "fuzz_ost: store: %s\n", err);
		exit(1);
	}
	rc = ost_hsm_create(&ctx.hsm, ctx.store, &ho);
	if (rc) {
		fprintf(stderr, "fuzz_ost: hsm: %s\n", strerror(-rc));
		exit(1);
	}
	return 0;
}

static struct tnet_conn *conn_for(uint8_t flags)
{
	unsigned k = FZ_CONN_KEY(flags);

	if (!connected[k]) {
		fz_conn(&conns[k], flags);
		if (ost_server_ops.connected(&ctx, &conns[k])) {
			fprintf(stderr, "fuzz_ost: connected failed\n");
			abort();
		}
		connected[k] = true;
	}
	return &conns[k];
}

/* what the harness does not run (see FZ_PRECREATE_MAX) */
static bool skipped(const struct fz_req *r)
{
	struct tess_obj_precreate_req p;

	if (r->msg.f.opcode != TESS_OP_OBJ_PRECREATE)
		return false;
	memcpy(&p, r->msg.body, sizeof(p));	/* size checked */
	return le32_to_cpu(p.count) > FZ_PRECREATE_MAX;
}

static void serve(struct fz_req *r)
{
	struct tnet_conn *c = conn_for(r->flags);
	struct tnet_reply rep;
	int status;

	tess_buf_init(&rep.body, rep_buf, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	status = ost_server_ops.handle(&ctx, c, &r->msg, &rep);
	if (!status && rep.body.err)
		status = -rep.body.err;
	if (getenv("FUZZ_LOG"))
		fprintf(stderr, "fuzz: %s: status %d, %u bytes, bulk %u\n",
			tess_op_name(r->msg.f.opcode), status, rep.body.len,
			rep.bulk_len);
	fz_check_reply(c, &r->msg, status, &rep);
}

/* destroy every object, as OBJ_DESTROY does */
static void destroy_all(void)
{
	uint64_t oids[256], after = 0;
	uint32_t n;
	bool eof = false;

	while (!eof) {
		if (objstore_list(ctx.store, after, oids, 256, &n, &eof) || !n)
			break;
		for (uint32_t i = 0; i < n; i++) {
			ost_hsm_forget(ctx.hsm, oids[i]);
			objstore_destroy(ctx.store, oids[i]);
		}
		after = oids[n - 1];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_req r;
	int n, rc;

	for (n = 0; n < FZ_MAX_REQS; n++) {
		rc = fz_next(&data, &size, (uint64_t)n + 1, &r);
		if (rc < 0)
			break;
		if (rc > 0 && !skipped(&r))
			serve(&r);
		fz_req_free(&r);
	}
	destroy_all();
	return 0;
}
