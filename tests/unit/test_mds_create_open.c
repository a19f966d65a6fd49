// SPDX-License-Identifier: MIT
/*
 * test_mds_create_open: CREATE with TESS_CREATE_OPEN (issue #11) through
 * the MDS request handler: unknown create flags and misplaced open flags
 * refused (EINVAL), the open counted once per request as an OPEN's (with
 * the owner of a file it made getting the access asked for, and an
 * existing file's access checked), nothing counted on a refusal; the
 * reply cache keeps CREATE's replies, so a resent copy is not run again
 * (tests/integ/eonce.c createopen resends one over the network).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"
#include "../../user/mds/store.h"
#include "../../user/mds/handlers.h"
#include "../../user/mds/opens.h"
#include "../../user/mds/osts.h"
#include "tnet.h"

#define ROOT TESS_ROOT_INO

static char root_dir[] = "/tmp/tess_mds_co.XXXXXX";
static uint8_t rep_buf[TESS_MAX_BODY];
static const uint8_t UUID_A[16] = { 0xa1 };

struct hres {
	int status;
	uint32_t len;
	struct tess_inode_rep ir;
};

static struct mds *new_mds(void)
{
	static struct mds m;
	struct mds_store_opts o = { .nosync = true, .map_size = 256u << 20 };
	uint8_t uuid[16] = { 0 };
	char dir[300], err[256];

	snprintf(dir, sizeof(dir), "%s/s", root_dir);
	o.dir = dir;
	if (mds_store_open(&m.store, &o, err, sizeof(err))) {
		fprintf(stderr, "open %s: %s\n", dir, err);
		return NULL;
	}
	if (mds_ost_register(m.store, 0, "127.0.0.1:17431@tcp", uuid, false) ||
	    mds_osts_create(&m.osts, m.store, NULL) ||
	    mds_opens_create(&m.opens, 60000, NULL, NULL))
		return NULL;
	return &m;
}

/* a CREATE from client UUID_A as uid (0: root) */
static struct hres create(struct mds *m, uint32_t uid, const char *name,
			  uint32_t mode, uint32_t flags, uint32_t oflags)
{
	static uint8_t body[sizeof(struct tess_create_req) + TESS_NAME_MAX];
	struct tess_create_req *r = (void *)body;
	struct tnet_conn conn;
	struct tnet_msg msg;
	struct tnet_reply rep;
	struct hres h = { 0 };
	uint32_t n = (uint32_t)strlen(name);

	memset(body, 0, sizeof(body));
	r->parent = cpu_to_le64(ROOT);
	r->mode = cpu_to_le32(mode);
	r->uid = cpu_to_le32(uid);
	r->gid = cpu_to_le32(uid);
	r->flags = cpu_to_le32(flags);
	r->open_flags = cpu_to_le32(oflags);
	r->name_len = cpu_to_le32(n);
	memcpy(r + 1, name, n);
	memset(&conn, 0, sizeof(conn));
	conn.role = TESS_ROLE_CLIENT;
	memcpy(conn.peer_uuid, UUID_A, 16);
	snprintf(conn.peer, sizeof(conn.peer), "test");
	memset(&msg, 0, sizeof(msg));
	msg.f.opcode = TESS_OP_CREATE;
	msg.f.flags = TESS_HF_REQUEST;
	msg.f.body_len = (uint32_t)sizeof(*r) + n;
	msg.body = body;
	if (tess_msg_check(&msg.f, body)) {
		h.status = -1;
		return h;
	}
	msg.has_cred = true;
	msg.cred.magic = cpu_to_le32(TESS_CRED_MAGIC);
	msg.cred.uid = cpu_to_le32(uid);
	msg.cred.gid = cpu_to_le32(uid);
	tess_buf_init(&rep.body, rep_buf, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	h.status = mds_handle(m, &conn, &msg, &rep);
	h.len = rep.body.len;
	if (!h.status && h.len >= sizeof(h.ir))
		memcpy(&h.ir, rep_buf, sizeof(h.ir));
	return h;
}

static int chmod_root(struct mds *m)
{
	struct mds_setattr sa = { .valid = TESS_SA_MODE, .mode = 0777 };
	static struct mds_layout lo;
	struct mds_attr a;

	return mds_setattr(m->store, ROOT, &sa, &a, &lo);
}

static uint32_t opens_of(struct mds *m, const struct hres *h)
{
	return mds_opens_count(m->opens, UUID_A, le64_to_cpu(h->ir.attr.ino));
}

TU_CASE(create_open)
{
	struct mds *m = new_mds();
	const uint32_t RW = TESS_OPEN_READ | TESS_OPEN_WRITE;
	struct hres h, h2;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	/* refusals: nothing made, nothing counted */
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, 0x0100, 0).status, EINVAL);
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, 0x8000 | TESS_CREATE_OPEN,
			 RW).status, EINVAL);
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, 0, TESS_OPEN_READ).status,
		  EINVAL);		/* open_flags without CREATE_OPEN */
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, TESS_CREATE_OPEN,
			 TESS_OPEN_READ | TESS_OPEN_REPLAY).status, EINVAL);
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, TESS_CREATE_OPEN,
			 0x0100).status, EINVAL);
	TU_EQ_INT(create(m, 0, "p", S_IFIFO | 0644, TESS_CREATE_OPEN,
			 RW).status, EINVAL);
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, 0, 0).status, 0);
	TU_EQ_INT(create(m, 0, "f", S_IFREG | 0644, TESS_CREATE_EXCL, 0).status,
		  EEXIST);		/* only the plain CREATE made it */

	/* made and opened in one request: counted once, the inode replied */
	h = create(m, 0, "g", S_IFREG | 0644, TESS_CREATE_OPEN | TESS_CREATE_EXCL,
		   RW);
	TU_EQ_INT(h.status, 0);
	TU_CHECK(h.len >= sizeof(h.ir));
	TU_EQ_U64(le32_to_cpu(h.ir.attr.mode), S_IFREG | 0644);
	TU_EQ_U64(le32_to_cpu(h.ir.layout_len), TESS_LAYOUT_BYTES(1));
	TU_EQ_U64(opens_of(m, &h), 1);
	/* EXCL of it again: EEXIST, no second open */
	TU_EQ_INT(create(m, 0, "g", S_IFREG | 0644,
			 TESS_CREATE_OPEN | TESS_CREATE_EXCL, RW).status, EEXIST);
	TU_EQ_U64(opens_of(m, &h), 1);
	/* without EXCL the existing file is opened: a second open */
	h2 = create(m, 0, "g", S_IFREG | 0644, TESS_CREATE_OPEN, RW);
	TU_EQ_INT(h2.status, 0);
	TU_EQ_U64(le64_to_cpu(h2.ir.attr.ino), le64_to_cpu(h.ir.attr.ino));
	TU_EQ_U64(opens_of(m, &h), 2);

	/* uid 1000 in the root directory (made 0777): its new 0 file is
	 * opened read-write (it made it), root's 0600 file is not */
	TU_EQ_INT(chmod_root(m), 0);
	h = create(m, 1000, "u", S_IFREG, TESS_CREATE_OPEN | TESS_CREATE_EXCL, RW);
	TU_EQ_INT(h.status, 0);
	TU_EQ_U64(le32_to_cpu(h.ir.attr.uid), 1000);
	TU_EQ_U64(opens_of(m, &h), 1);
	h = create(m, 0, "r", S_IFREG | 0600, 0, 0);
	TU_EQ_INT(h.status, 0);
	TU_EQ_INT(create(m, 1000, "r", S_IFREG | 0644, TESS_CREATE_OPEN,
			 RW).status, EACCES);
	TU_EQ_U64(opens_of(m, &h), 0);
	TU_EQ_INT(create(m, 1000, "r", S_IFREG | 0644, TESS_CREATE_OPEN,
			 TESS_OPEN_READ | TESS_OPEN_CREATED).status, EACCES);
	TU_EQ_U64(opens_of(m, &h), 0);

	/* a resent copy gets the kept reply: CREATE is in the reply cache */
	TU_CHECK(mds_reply_cached(TESS_OP_CREATE));
	mds_opens_free(m->opens);
	mds_osts_free(m->osts);
	mds_store_free(m->store);
}

int main(void)
{
	char cmd[400];

	if (!mkdtemp(root_dir)) {
		perror("mkdtemp");
		return 1;
	}
	TU_RUN(create_open);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root_dir);
	return tu_done();
}
