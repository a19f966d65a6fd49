// SPDX-License-Identifier: MIT
/*
 * test_mds_handlers.c - the MDS's request handlers (user/mds/handlers.c)
 * over a real store, driven with frames that passed tess_msg_check, their
 * replies checked as a client checks them; no network.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"
#include "../../user/mds/store.h"
#include "../../user/mds/handlers.h"
#include "../../user/mds/osts.h"
#include "tnet.h"

#include "mds_tu.h"

/* ---- handlers, driven with frames that passed tess_msg_check ---- */

static uint8_t rep_buf[TESS_MAX_BODY];

struct hres {
	int status;
	uint32_t len;
	const uint8_t *body;
};

static struct hres call_h(struct mds *m, int role, uint16_t op,
			  const void *body, uint32_t len)
{
	struct tnet_conn conn;
	struct tnet_msg msg;
	struct tnet_reply rep;
	struct tess_frame rf;
	struct hres r = { .body = rep_buf };
	int rc;

	memset(rep_buf, 0, 256);
	memset(&conn, 0, sizeof(conn));
	conn.role = role;
	snprintf(conn.peer, sizeof(conn.peer), "test");
	memset(&msg, 0, sizeof(msg));
	msg.f.opcode = op;
	msg.f.flags = TESS_HF_REQUEST;
	msg.f.body_len = len;
	msg.body = body;
	rc = tess_msg_check(&msg.f, body);
	if (rc) {
		fprintf(stderr, "test built a bad %s request: %d\n",
			tess_op_name(op), rc);
		r.status = -1;
		return r;
	}
	tess_buf_init(&rep.body, rep_buf, TESS_MAX_BODY);
	rep.bulk = NULL;
	rep.bulk_len = 0;
	r.status = mds_handle(m, &conn, &msg, &rep);
	r.len = rep.body.len;
	r.body = rep_buf;
	/* what goes back must pass the client's check too */
	memset(&rf, 0, sizeof(rf));
	rf.opcode = op;
	rf.flags = TESS_HF_REPLY;
	rf.status = (uint32_t)r.status;
	rf.body_len = r.len;
	if (tess_msg_check(&rf, rep_buf))
		r.status = -2;
	return r;
}

static uint32_t b_name_req(uint8_t *b, uint64_t parent, const char *name)
{
	struct tess_name_req r = { .parent = cpu_to_le64(parent),
				   .name_len = cpu_to_le32(strlen(name)) };

	memcpy(b, &r, sizeof(r));
	memcpy(b + sizeof(r), name, strlen(name));
	return sizeof(r) + (uint32_t)strlen(name);
}

static uint32_t b_create(uint8_t *b, uint64_t parent, const char *name,
			 uint32_t mode, const void *layout, uint32_t llen)
{
	struct tess_create_req r = { .parent = cpu_to_le64(parent),
				     .mode = cpu_to_le32(mode),
				     .name_len = cpu_to_le32(strlen(name)),
				     .layout_len = cpu_to_le32(llen) };
	uint32_t n = sizeof(r);

	memcpy(b, &r, n);
	if (llen)
		memcpy(b + n, layout, llen);	/* layout first, then name */
	n += llen;
	memcpy(b + n, name, strlen(name));
	return n + (uint32_t)strlen(name);
}

static struct mds *new_mds(int nosts)
{
	static struct mds m;

	m.store = open_new(nosts);
	if (!m.store || mds_osts_create(&m.osts, m.store, NULL)) {
		if (m.store)
			mds_store_free(m.store);
		return NULL;
	}
	return &m;
}

static void free_mds(struct mds *m)
{
	mds_osts_free(m->osts);
	mds_store_free(m->store);
}

TU_CASE(handler_create_lookup_readdir)
{
	struct mds *m = new_mds(2);
	static uint8_t b[4096];
	struct tess_inode_rep ir;
	struct tess_layout lw = { .stripe_count = cpu_to_le16(2),
				  .stripe_offset = cpu_to_le16(TESS_OST_ANY) };
	struct tess_readdir_req rd = { .ino = cpu_to_le64(ROOT) };
	struct tess_readdir_rep rr;
	struct tess_dirent de;
	struct hres r;
	uint64_t ino;
	uint32_t n, off, i;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	n = b_create(b, ROOT, "file", S_IFREG | 0644, &lw, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b, n);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(ir) + TESS_LAYOUT_BYTES(2));
	memcpy(&ir, r.body, sizeof(ir));
	ino = le64_to_cpu(ir.attr.ino);
	TU_EQ_U64(le32_to_cpu(ir.layout_len), TESS_LAYOUT_BYTES(2));
	TU_EQ_U64(le32_to_cpu(ir.attr.mode), S_IFREG | 0644);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b, n);
	TU_EQ_INT(r.status, 0);		/* no EXCL: opens it */
	n = b_create(b, ROOT, "dir", 0755, NULL, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_MKDIR, b, n);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(ir));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_MKDIR, b, n);
	TU_EQ_INT(r.status, EEXIST);
	TU_EQ_U64(r.len, 0);
	n = b_name_req(b, ROOT, "file");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LOOKUP, b, n);
	TU_EQ_INT(r.status, 0);
	memcpy(&ir, r.body, sizeof(ir));
	TU_EQ_U64(le64_to_cpu(ir.attr.ino), ino);
	n = b_name_req(b, ino, "x");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LOOKUP, b, n);
	TU_EQ_INT(r.status, ENOTDIR);
	n = b_name_req(b, ROOT, "file");
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_RMDIR, b, n);
	TU_EQ_INT(r.status, ENOTDIR);

	/* readdir: ".", "..", file, dir; then a too-small buffer */
	rd.max_bytes = cpu_to_le32(4096);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 4);
	TU_EQ_U64(le32_to_cpu(rr.eof), 1);
	off = sizeof(rr);
	for (i = 0; i < 4 && off + sizeof(de) <= r.len; i++) {
		memcpy(&de, r.body + off, sizeof(de));
		if (i == 2) {
			TU_EQ_U64(le64_to_cpu(de.ino), ino);
			TU_CHECK(!memcmp(r.body + off + sizeof(de), "file", 4));
			TU_EQ_U64(le32_to_cpu(de.type), DT_REG);
		}
		off += TESS_DIRENT_BYTES(le32_to_cpu(de.name_len));
	}
	TU_EQ_U64(off, r.len);
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_BYTES(1));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 1);
	TU_EQ_U64(le32_to_cpu(rr.eof), 0);
	rd.max_bytes = cpu_to_le32(sizeof(rr) + 8);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, EINVAL);
	free_mds(m);
}

static uint32_t b_setxattr(uint8_t *b, uint64_t ino, const char *name,
			   const char *val)
{
	struct tess_xattr_req x = { .ino = cpu_to_le64(ino),
				    .name_len = cpu_to_le32(strlen(name)),
				    .value_len = cpu_to_le32(strlen(val)) };

	memcpy(b, &x, sizeof(x));
	memcpy(b + sizeof(x), name, strlen(name));
	memcpy(b + sizeof(x) + strlen(name), val, strlen(val));
	return sizeof(x) + (uint32_t)(strlen(name) + strlen(val));
}

/*
 * READDIRPLUS (issue #11): each entry carries the attributes GETATTR
 * gives and TESS_DPLUS_SEC exactly for an inode with a security.* xattr
 * (not user.*); the reply passes tess_msg_check, fits max_bytes, and a
 * plain READDIR is unchanged.
 */
TU_CASE(handler_readdir_plus)
{
	struct mds *m = new_mds(1);
	static uint8_t b[4096], rb[8192];
	static const char *const names[] = { "plain", "sec", "usr", "sub" };
	uint64_t inos[4];
	struct tess_inode_rep ir, gr;
	struct tess_readdir_req rd = { .ino = cpu_to_le64(ROOT),
				       .max_bytes = cpu_to_le32(8192),
				       .flags = cpu_to_le32(TESS_READDIR_PLUS) };
	struct tess_readdir_rep rr;
	struct tess_dirent de;
	struct tess_dirent_plus dp;
	struct tess_frame f = { .opcode = TESS_OP_READDIR,
				.flags = TESS_HF_REPLY };
	struct tess_ino_req gq;
	struct hres r;
	uint32_t n, off, i, j, len, seen = 0;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	for (i = 0; i < 4; i++) {
		n = b_create(b, ROOT, names[i], i == 3 ? 0750 : S_IFREG | 0640,
			     NULL, 0);
		r = call_h(m, TESS_ROLE_CLIENT,
			   i == 3 ? TESS_OP_MKDIR : TESS_OP_CREATE, b, n);
		TU_EQ_INT(r.status, 0);
		memcpy(&ir, r.body, sizeof(ir));
		inos[i] = le64_to_cpu(ir.attr.ino);
	}
	n = b_setxattr(b, inos[1], "security.test", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);
	n = b_setxattr(b, inos[2], "user.test", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);
	/* the next inode's security.* must not count for usr */
	n = b_setxattr(b, inos[3], "security.x", "v");
	TU_EQ_INT(call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, n).status, 0);

	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	f.body_len = r.len;
	TU_EQ_INT(tess_msg_check(&f, r.body), 0);
	len = r.len < sizeof(rb) ? r.len : sizeof(rb);
	memcpy(rb, r.body, len);
	memcpy(&rr, rb, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 6);
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_EOF | TESS_READDIR_PLUS);
	off = sizeof(rr);
	for (i = 0; i < 6 && off + sizeof(de) <= len; i++) {
		memcpy(&de, rb + off, sizeof(de));
		n = le32_to_cpu(de.name_len);
		if (off + TESS_DIRENT_PLUS_BYTES(n) > len)
			break;
		memcpy(&dp, rb + off + TESS_DIRENT_BYTES(n), sizeof(dp));
		TU_EQ_U64(le64_to_cpu(dp.attr.ino), le64_to_cpu(de.ino));
		TU_EQ_U64(dp.pad, 0);
		for (j = 0; j < 4; j++) {
			if (n != strlen(names[j]) ||
			    memcmp(rb + off + sizeof(de), names[j], n))
				continue;
			seen |= 1u << j;
			TU_EQ_U64(le64_to_cpu(de.ino), inos[j]);
			TU_EQ_U64(le32_to_cpu(dp.xflags),
				  j == 1 || j == 3 ? TESS_DPLUS_SEC : 0);
			/* the same attributes as GETATTR's */
			gq.ino = de.ino;
			r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETATTR, &gq,
				   sizeof(gq));
			TU_EQ_INT(r.status, 0);
			memcpy(&gr, r.body, sizeof(gr));
			TU_CHECK(!memcmp(&gr.attr, &dp.attr, sizeof(dp.attr)));
			TU_EQ_U64(le32_to_cpu(dp.attr.mode),
				  j == 3 ? (S_IFDIR | 0750) : (S_IFREG | 0640));
		}
		off += TESS_DIRENT_PLUS_BYTES(n);
	}
	TU_EQ_U64(off, len);
	TU_EQ_U64(seen, 15);

	/* max_bytes counts the attrs: room for "." with its attrs only */
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.count), 1);
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_PLUS);
	TU_EQ_U64(r.len, sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1));
	rd.max_bytes = cpu_to_le32(sizeof(rr) + TESS_DIRENT_PLUS_BYTES(1) - 1);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, EINVAL);

	/* plain READDIR: no attrs, eof word 1 */
	rd.flags = 0;
	rd.max_bytes = cpu_to_le32(8192);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READDIR, &rd, sizeof(rd));
	TU_EQ_INT(r.status, 0);
	memcpy(&rr, r.body, sizeof(rr));
	TU_EQ_U64(le32_to_cpu(rr.eof), TESS_READDIR_EOF);
	f.body_len = r.len;
	TU_EQ_INT(tess_msg_check(&f, r.body), 0);
	free_mds(m);
}

TU_CASE(handler_xattr_erange_and_size)
{
	struct mds *m = new_mds(1);
	static uint8_t b[4096];
	struct tess_xattr_req x;
	struct tess_xattr_size_rep sz;
	struct hres r;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	memset(&x, 0, sizeof(x));
	x.ino = cpu_to_le64(ROOT);
	x.name_len = cpu_to_le32(6);
	x.value_len = cpu_to_le32(10);
	x.flags = cpu_to_le32(TESS_XATTR_CREATE);
	memcpy(b, &x, sizeof(x));
	memcpy(b + sizeof(x), "user.a0123456789", 16);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, sizeof(x) + 16);
	TU_EQ_INT(r.status, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETXATTR, b, sizeof(x) + 16);
	TU_EQ_INT(r.status, EEXIST);
	/* size 0: the size */
	x.flags = 0;
	x.value_len = 0;
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(sz));
	memcpy(&sz, r.body, sizeof(sz));
	TU_EQ_U64(le32_to_cpu(sz.size), 10);
	/* too small: ERANGE with the size */
	x.value_len = cpu_to_le32(4);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, ERANGE);
	TU_EQ_U64(r.len, sizeof(sz));
	memcpy(&sz, r.body, sizeof(sz));
	TU_EQ_U64(le32_to_cpu(sz.size), 10);
	/* big enough: the value */
	x.value_len = cpu_to_le32(100);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETXATTR, b, sizeof(x) + 6);
	TU_EQ_INT(r.status, 0);
	TU_CHECK(r.len == 10 && !memcmp(r.body, "0123456789", 10));
	/* list */
	x.name_len = 0;
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LISTXATTR, b, sizeof(x));
	TU_EQ_INT(r.status, 0);
	TU_CHECK(r.len == 7 && !memcmp(r.body, "user.a\0", 7));
	x.value_len = cpu_to_le32(3);
	memcpy(b, &x, sizeof(x));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_LISTXATTR, b, sizeof(x));
	TU_EQ_INT(r.status, ERANGE);
	free_mds(m);
}

TU_CASE(handler_ost_register_list_statfs)
{
	struct mds *m = new_mds(0);
	static uint8_t b[256];
	struct tess_ost_register_req o;
	struct tess_ost_list_rep lr;
	struct tess_ost_info oi;
	struct tess_statfs_rep st;
	const char *addr = "127.0.0.1:1@tcp";	/* nothing listens there */
	struct hres r;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.index = cpu_to_le32(5);
	o.addr_len = cpu_to_le32(strlen(addr));
	memcpy(b, &o, sizeof(o));
	memcpy(b + sizeof(o), addr, strlen(addr));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_REGISTER, b,
		   sizeof(o) + (uint32_t)strlen(addr));
	TU_EQ_INT(r.status, EPERM);
	r = call_h(m, TESS_ROLE_OST, TESS_OP_OST_REGISTER, b,
		   sizeof(o) + (uint32_t)strlen(addr));
	TU_EQ_INT(r.status, 0);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_LIST, NULL, 0);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lr) + sizeof(oi));
	memcpy(&lr, r.body, sizeof(lr));
	memcpy(&oi, r.body + sizeof(lr), sizeof(oi));
	TU_EQ_U64(le32_to_cpu(lr.count), 1);
	TU_EQ_U64(le32_to_cpu(oi.index), 5);
	TU_EQ_U64(le32_to_cpu(oi.state), TESS_OST_UP);
	TU_CHECK(!strcmp(oi.addr, addr));
	/* statfs: the OST does not answer; files come from the store */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_STATFS, NULL, 0);
	TU_EQ_INT(r.status, 0);
	memcpy(&st, r.body, sizeof(st));
	TU_EQ_U64(le32_to_cpu(st.ost_count), 0);
	TU_EQ_U64(le32_to_cpu(st.namelen), 255);
	/* the default 1, which the OST (down now, the only one) may take */
	TU_EQ_U64(le32_to_cpu(st.def_stripe_count), 1);
	TU_CHECK(le64_to_cpu(st.files) > le64_to_cpu(st.ffree));
	/* the failed call marked it down */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OST_LIST, NULL, 0);
	memcpy(&oi, r.body + sizeof(lr), sizeof(oi));
	TU_EQ_U64(le32_to_cpu(oi.state), TESS_OST_DOWN);
	/* a create now lands on it */
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "f", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	/* not an MDS opcode */
	{
		struct tess_obj_req q = { .oid = cpu_to_le64(1) };

		r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_OBJ_DESTROY, &q,
			   sizeof(q));
		TU_EQ_INT(r.status, EOPNOTSUPP);
	}
	free_mds(m);
}

TU_CASE(handler_setattr_symlink_rename_layout)
{
	struct mds *m = new_mds(2);
	static uint8_t b[8192];
	struct tess_setattr_req sa;
	struct tess_symlink_req sl;
	struct tess_rename_req rn;
	struct tess_ino_req ir;
	struct tess_inode_rep rep;
	struct tess_readlink_rep rl;
	struct tess_set_layout_req slr;
	struct tess_layout lw;
	struct hres r;
	uint64_t f, l;

	if (!m) {
		TU_CHECK(m != NULL);
		return;
	}
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "f", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	f = le64_to_cpu(rep.attr.ino);
	memset(&sa, 0, sizeof(sa));
	sa.ino = cpu_to_le64(f);
	sa.valid = cpu_to_le32(TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW);
	sa.size = cpu_to_le64(12345);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SETATTR, &sa, sizeof(sa));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le64_to_cpu(rep.attr.size), 12345);
	TU_EQ_U64(le32_to_cpu(rep.layout_len), TESS_LAYOUT_BYTES(1));
	/* set_layout on a file with data */
	memset(&slr, 0, sizeof(slr));
	memset(&lw, 0, sizeof(lw));
	slr.ino = cpu_to_le64(f);
	slr.layout_len = cpu_to_le32(sizeof(lw));
	lw.pattern = cpu_to_le32(TESS_LAYOUT_RAID0);
	lw.stripe_count = cpu_to_le16(2);
	lw.stripe_offset = cpu_to_le16(TESS_OST_ANY);
	memcpy(b, &slr, sizeof(slr));
	memcpy(b + sizeof(slr), &lw, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SET_LAYOUT, b,
		   sizeof(slr) + sizeof(lw));
	TU_EQ_INT(r.status, EBUSY);
	/* and on the root: a default layout */
	slr.ino = cpu_to_le64(ROOT);
	memcpy(b, &slr, sizeof(slr));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SET_LAYOUT, b,
		   sizeof(slr) + sizeof(lw));
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lw));
	ir.ino = cpu_to_le64(ROOT);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GET_LAYOUT, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(r.len, sizeof(lw));
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_CREATE, b,
		   b_create(b, ROOT, "g", 0644, NULL, 0));
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le32_to_cpu(rep.layout_len), TESS_LAYOUT_BYTES(2));
	/* symlink + readlink */
	memset(&sl, 0, sizeof(sl));
	sl.parent = cpu_to_le64(ROOT);
	sl.name_len = cpu_to_le32(1);
	sl.target_len = cpu_to_le32(6);
	memcpy(b, &sl, sizeof(sl));
	memcpy(b + sizeof(sl), "l/a/b/c", 7);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_SYMLINK, b, sizeof(sl) + 7);
	TU_EQ_INT(r.status, 0);
	memcpy(&rep, r.body, sizeof(rep));
	l = le64_to_cpu(rep.attr.ino);
	ir.ino = cpu_to_le64(l);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_READLINK, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);
	memcpy(&rl, r.body, sizeof(rl));
	TU_EQ_U64(le32_to_cpu(rl.len), 6);
	TU_CHECK(!memcmp(r.body + sizeof(rl), "/a/b/c", 6));
	/* rename g over f: f's objects become an orphan */
	memset(&rn, 0, sizeof(rn));
	rn.old_parent = cpu_to_le64(ROOT);
	rn.new_parent = cpu_to_le64(ROOT);
	rn.old_len = cpu_to_le32(1);
	rn.new_len = cpu_to_le32(1);
	memcpy(b, &rn, sizeof(rn));
	memcpy(b + sizeof(rn), "gf", 2);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_RENAME, b, sizeof(rn) + 2);
	TU_EQ_INT(r.status, 0);
	TU_EQ_U64(orphans(m->store), 1);
	ir.ino = cpu_to_le64(f);
	r = call_h(m, TESS_ROLE_CLIENT, TESS_OP_GETATTR, &ir, sizeof(ir));
	TU_EQ_INT(r.status, 0);		/* nameless until destroyed */
	memcpy(&rep, r.body, sizeof(rep));
	TU_EQ_U64(le32_to_cpu(rep.attr.nlink), 0);
	free_mds(m);
}

int main(void)
{
	if (mds_tu_setup("test_mds_handlers"))
		return 1;
	TU_RUN(handler_create_lookup_readdir);
	TU_RUN(handler_readdir_plus);
	TU_RUN(handler_xattr_erange_and_size);
	TU_RUN(handler_ost_register_list_statfs);
	TU_RUN(handler_setattr_symlink_rename_layout);
	mds_tu_cleanup();
	return tu_done();
}
