// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the MDS request handlers (user/mds/handlers.c):
 * each input is a sequence of requests (fuzz_req.h) run through
 * mds_handle against a new LMDB store (one per input, so that a crash
 * replays from its input alone) in the directory made at start under
 * $FUZZ_TMPDIR or /tmp, with three OSTs registered, precreation, open
 * counting and root squash on (127.0.0.0/8 not squashed), as tessera-mds
 * sets them up.  Nothing is started: no thread, no socket.  The requests
 * the MDS sends to its OSTs (precreate, statfs, destroy) get answers from
 * fake_ost (mds_osts_set_call_fn): OSTs 0 and 1 answer, OST 2 is down.
 * After the sequence the orphan reaper makes one pass.  A reply that
 * fails tess_msg_check aborts.  FUZZ_LOG=1 shows the log and each status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_req.h"
#include "../../user/mds/handlers.h"
#include "../../user/mds/precreate.h"

static char dir[300];
static uint8_t *rep_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/s", fz_mkroot("tess-fuzz-mds"));
	rep_buf = malloc(TESS_MAX_BODY);
	if (!rep_buf)
		exit(1);
	if (!getenv("FUZZ_LOG"))
		tlog_set_level(LOG_EMERG);
	return 0;
}

/* the OSTs, in place of the network */
static int fake_ost(void *arg, uint32_t idx, uint16_t op, const void *body,
		    uint32_t len, void *rep, uint32_t rep_len)
{
	struct tess_statfs_rep st = {
		.blocks = cpu_to_le64(1 << 20), .bfree = cpu_to_le64(1 << 19),
		.bavail = cpu_to_le64(1 << 19), .files = cpu_to_le64(1 << 16),
		.ffree = cpu_to_le64(1 << 15), .bsize = cpu_to_le32(4096),
		.namelen = cpu_to_le32(255), .ost_count = cpu_to_le32(1),
	};

	(void)arg;
	(void)body;
	(void)len;
	if (idx == 2)
		return -EHOSTDOWN;
	if (!rep)
		return 0;
	memset(rep, 0, rep_len);
	if (op == TESS_OP_OBJ_STATFS)
		memcpy(rep, &st, rep_len < sizeof(st) ? rep_len : sizeof(st));
	return 0;
}

static int add_osts(struct mds_store *s)
{
	uint8_t uuid[16] = { 0 };
	char addr[64];
	int rc;

	for (uint32_t i = 0; i < 3; i++) {
		uuid[0] = (uint8_t)(i + 1);
		snprintf(addr, sizeof(addr), "127.0.0.1:%u@tcp", 25440 + i);
		rc = mds_ost_register(s, i, addr, uuid, false);
		if (rc)
			return rc;
	}
	return 0;
}

struct fz_mds {
	struct mds m;
	struct mds_precreate *pre;
};

static void mds_down(struct fz_mds *x)
{
	mds_precreate_free(x->pre);
	mds_opens_free(x->m.opens);
	mds_osts_free(x->m.osts);
	mds_store_free(x->m.store);
	fz_rm_tree(dir);
}

static void mds_up(struct fz_mds *x)
{
	struct mds_store_opts so = { .dir = dir, .nosync = true,
				     .map_size = 64u << 20 };
	char err[256];
	int rc;

	memset(x, 0, sizeof(*x));
	rc = mds_store_open(&x->m.store, &so, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "fuzz_mds: store: %s\n", err);
		abort();
	}
	rc = add_osts(x->m.store);
	if (!rc)
		rc = mds_osts_create(&x->m.osts, x->m.store, NULL);
	if (!rc) {
		mds_osts_set_call_fn(x->m.osts, fake_ost, NULL);
		rc = mds_precreate_create(&x->pre, x->m.store, x->m.osts);
	}
	if (!rc)
		rc = mds_opens_create(&x->m.opens, 60000, mds_osts_kick,
				      x->m.osts);
	if (rc) {
		fprintf(stderr, "fuzz_mds: setup: %s\n", strerror(-rc));
		abort();
	}
	x->m.squash.on = true;
	x->m.squash.uid = 65534;
	x->m.squash.gid = 65534;
	x->m.squash.nnets = 1;
	if (perm_parse_net("127.0.0.0/8", &x->m.squash.nets[0]))
		abort();
}

static void serve(struct fz_mds *x, struct fz_req *r)
{
	struct tnet_conn c;
	struct tnet_reply rep;
	int status;

	fz_conn(&c, r->flags);
	tess_buf_init(&rep.body, rep_buf, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	mds_connected(&x->m, &c);
	status = mds_handle(&x->m, &c, &r->msg, &rep);
	if (!status && rep.body.err)
		status = -rep.body.err;
	if (getenv("FUZZ_LOG"))
		fprintf(stderr, "fuzz: %s: status %d, %u bytes\n",
			tess_op_name(r->msg.f.opcode), status, rep.body.len);
	fz_check_reply(&c, &r->msg, status, &rep);
	mds_disconnected(&x->m, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_mds x;
	struct fz_req r;
	uint64_t left;
	int n, rc;

	mds_up(&x);
	for (n = 0; n < FZ_MAX_REQS; n++) {
		rc = fz_next(&data, &size, (uint64_t)n + 1, &r);
		if (rc < 0)
			break;
		if (rc > 0)
			serve(&x, &r);
		fz_req_free(&r);
	}
	mds_osts_reap(x.m.osts, &left);
	mds_down(&x);
	return 0;
}
