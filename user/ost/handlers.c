// SPDX-License-Identifier: MIT
/*
 * handlers.c - OST requests: decode (already checked by tess_msg_check),
 * call the object store, encode the reply.  One thread per connection
 * (tnet_server_run); everything here is reentrant.  PING is answered by
 * the network layer itself.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ost.h"

/* per-connection state (c->user) */
struct ost_conn {
	uint8_t *rbuf;		/* OBJ_READ reply bulk */
	uint32_t rcap;
};

static const char *errstr(int e, char *buf, size_t len)
{
	return strerror_r(e < 0 ? -e : e, buf, len);
}

static int ost_connected(void *ctx, struct tnet_conn *c)
{
	struct ost_conn *oc = calloc(1, sizeof(*oc));

	(void)ctx;
	if (oc) {
		oc->rcap = TESS_BULK_DEFAULT;
		oc->rbuf = malloc(oc->rcap);
	}
	if (!oc || !oc->rbuf) {
		tlog("%s: dropping connection: out of memory", c->peer);
		free(oc);
		return ENOMEM;
	}
	c->user = oc;
	return 0;
}

static void ost_disconnected(void *ctx, struct tnet_conn *c)
{
	struct ost_conn *oc = c->user;

	(void)ctx;
	if (oc) {
		free(oc->rbuf);
		free(oc);
		c->user = NULL;
	}
}

/* the connection's read buffer, grown (once, up to TESS_MAX_BULK) to len */
static uint8_t *read_buf(struct ost_conn *oc, uint32_t len)
{
	uint32_t cap;
	uint8_t *p;

	if (len <= oc->rcap)
		return oc->rbuf;
	cap = oc->rcap;
	while (cap < len)
		cap *= 2;
	if (cap > TESS_MAX_BULK)
		cap = TESS_MAX_BULK;
	if (cap < len)
		return NULL;
	p = malloc(cap);
	if (!p)
		return NULL;
	free(oc->rbuf);
	oc->rbuf = p;
	oc->rcap = cap;
	return p;
}

/* log a failed request and return its status */
static int failed(struct tnet_conn *c, const struct tnet_msg *req,
		  uint64_t oid, int rc)
{
	char eb[128];

	tlog("%s: %s oid %#" PRIx64 " (xid %" PRIu64 "): %s", c->peer,
	     tess_op_name(req->f.opcode), oid, req->f.xid,
	     errstr(rc, eb, sizeof(eb)));
	return rc < 0 ? -rc : rc;
}

static int refused(struct tnet_conn *c, const struct tnet_msg *req,
		   int rc, const char *why)
{
	tlog("%s: refused %s (xid %" PRIu64 "): %s", c->peer,
	     tess_op_name(req->f.opcode), req->f.xid, why);
	return rc;
}

static int do_read(struct ost_ctx *x, struct tnet_conn *c,
		   const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_io_req io;
	struct tess_obj_io_rep r = { 0 };
	struct ost_conn *oc = c->user;
	uint64_t oid, off, size;
	uint32_t len, n;
	uint8_t *buf;
	int rc;

	memcpy(&io, req->body, sizeof(io));
	oid = le64_to_cpu(io.oid);
	off = le64_to_cpu(io.offset);
	len = le32_to_cpu(io.length);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	buf = read_buf(oc, len);
	if (!buf)
		return failed(c, req, oid, -ENOMEM);
	if (x->hsm) {
		/* released chunks come back from S3 first (logged there) */
		rc = ost_hsm_begin(x->hsm, oid, off, len, OST_HSM_READ, NULL);
		if (rc)
			return EIO;
	}
	rc = objstore_read(x->store, oid, off, buf, len, &n, &size);
	if (rc)
		return failed(c, req, oid, rc);
	r.obj_size = cpu_to_le64(size);
	r.length = cpu_to_le32(n);
	tess_buf_put(&rep->body, &r, sizeof(r));
	rep->bulk = buf;
	rep->bulk_len = n;
	return 0;
}

static int do_write(struct ost_ctx *x, struct tnet_conn *c,
		    const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_io_req io;
	struct tess_obj_io_rep r = { 0 };
	struct ost_hsm_claim *cl = NULL;
	uint64_t oid, off, size;
	uint32_t len, flags;
	int rc;

	memcpy(&io, req->body, sizeof(io));
	oid = le64_to_cpu(io.oid);
	off = le64_to_cpu(io.offset);
	len = le32_to_cpu(io.length);
	flags = le32_to_cpu(io.flags);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	if (flags & ~TESS_IO_SYNC)
		return refused(c, req, EINVAL, "unknown flags");
	if (len != req->f.bulk_len || (len && !req->bulk))
		return refused(c, req, EBADMSG, "bulk does not match length");
	if (x->hsm && len) {
		rc = ost_hsm_begin(x->hsm, oid, off, len, OST_HSM_WRITE, &cl);
		if (rc)
			return EIO;
	}
	rc = objstore_write(x->store, oid, off, req->bulk, len,
			    flags & TESS_IO_SYNC, &size);
	if (x->hsm)
		ost_hsm_end(x->hsm, cl, rc);
	if (rc)
		return failed(c, req, oid, rc);
	r.obj_size = cpu_to_le64(size);
	r.length = cpu_to_le32(len);
	tess_buf_put(&rep->body, &r, sizeof(r));
	return 0;
}

static int do_punch(struct ost_ctx *x, struct tnet_conn *c,
		    const struct tnet_msg *req)
{
	struct tess_obj_punch_req p;
	struct ost_hsm_claim *cl = NULL;
	uint64_t oid, off, len;
	int rc;

	memcpy(&p, req->body, sizeof(p));
	oid = le64_to_cpu(p.oid);
	off = le64_to_cpu(p.offset);
	len = le64_to_cpu(p.length);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	switch (le32_to_cpu(p.mode)) {
	case TESS_PUNCH_TRUNCATE:
		if (x->hsm && ost_hsm_begin(x->hsm, oid, off, 0, OST_HSM_TRUNC,
					    &cl))
			return EIO;
		rc = objstore_truncate(x->store, oid, off);
		break;
	case TESS_PUNCH_HOLE:
		if (x->hsm && len && ost_hsm_begin(x->hsm, oid, off, len,
						   OST_HSM_WRITE, &cl))
			return EIO;
		rc = objstore_punch_hole(x->store, oid, off, len);
		break;
	default:
		return refused(c, req, EINVAL, "unknown punch mode");
	}
	if (x->hsm)
		ost_hsm_end(x->hsm, cl, rc);
	return rc ? failed(c, req, oid, rc) : 0;
}

static int do_getattr(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_obj_attr_rep r = { 0 };
	struct objstore_attr a;
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	rc = objstore_getattr(x->store, oid, &a);
	if (rc == -ENOENT)
		return ENOENT;		/* an ordinary answer, not logged */
	if (rc)
		return failed(c, req, oid, rc);
	r.size = cpu_to_le64(a.size);
	r.blocks = cpu_to_le64(a.blocks);
	r.mtime_sec = cpu_to_le64((uint64_t)a.mtime_sec);
	r.mtime_nsec = cpu_to_le32(a.mtime_nsec);
	tess_buf_put(&rep->body, &r, sizeof(r));
	return 0;
}

static int do_destroy(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req)
{
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	if (oid == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	if (x->hsm)
		ost_hsm_forget(x->hsm, oid);
	rc = objstore_destroy(x->store, oid);
	if (rc == -ENOENT)
		return ENOENT;
	return rc ? failed(c, req, oid, rc) : 0;
}

static int do_sync(struct ost_ctx *x, struct tnet_conn *c,
		   const struct tnet_msg *req)
{
	struct tess_obj_req o;
	uint64_t oid;
	int rc;

	memcpy(&o, req->body, sizeof(o));
	oid = le64_to_cpu(o.oid);
	rc = objstore_sync(x->store, oid);
	return rc ? failed(c, req, oid, rc) : 0;
}

static int do_statfs(struct ost_ctx *x, struct tnet_conn *c,
		     const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct tess_statfs_rep r = { 0 };
	struct objstore_statfs st;
	int rc;

	rc = objstore_statfs(x->store, &st);
	if (rc)
		return failed(c, req, 0, rc);
	r.blocks = cpu_to_le64(st.blocks);
	r.bfree = cpu_to_le64(st.bfree);
	r.bavail = cpu_to_le64(st.bavail);
	r.files = cpu_to_le64(st.files);
	r.ffree = cpu_to_le64(st.ffree);
	r.bsize = cpu_to_le32(st.bsize);
	r.namelen = cpu_to_le32(st.namelen);
	r.ost_count = cpu_to_le32(1);
	tess_buf_put(&rep->body, &r, sizeof(r));
	return 0;
}

static int do_hsm_set(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req)
{
	struct tess_obj_hsm_set_req r;
	int rc;

	memcpy(&r, req->body, sizeof(r));
	if (!x->hsm)
		return refused(c, req, EOPNOTSUPP, "no HSM on this OST");
	if (le64_to_cpu(r.oid) == 0)
		return refused(c, req, EINVAL, "oid 0 is reserved");
	rc = ost_hsm_set(x->hsm, req->body, req->f.body_len);
	if (rc == -ENODATA || rc == -EBUSY || rc == -EAGAIN)
		return -rc;		/* ordinary answers */
	return rc ? failed(c, req, le64_to_cpu(r.oid), rc) : 0;
}

static int do_hsm_get(struct ost_ctx *x, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	int rc;

	if (!x->hsm)
		return refused(c, req, EOPNOTSUPP, "no HSM on this OST");
	rc = ost_hsm_get(x->hsm, req->body, req->f.body_len, &rep->body);
	return rc ? failed(c, req, 0, rc) : 0;
}

static int ost_handle(void *ctx, struct tnet_conn *c,
		      const struct tnet_msg *req, struct tnet_reply *rep)
{
	struct ost_ctx *x = ctx;

	if (!c->user)
		return refused(c, req, EIO, "no connection state");
	switch (req->f.opcode) {
	case TESS_OP_PING:
		return 0;
	case TESS_OP_OBJ_READ:
		return do_read(x, c, req, rep);
	case TESS_OP_OBJ_WRITE:
		return do_write(x, c, req, rep);
	case TESS_OP_OBJ_PUNCH:
		return do_punch(x, c, req);
	case TESS_OP_OBJ_GETATTR:
		return do_getattr(x, c, req, rep);
	case TESS_OP_OBJ_DESTROY:
		return do_destroy(x, c, req);
	case TESS_OP_OBJ_SYNC:
		return do_sync(x, c, req);
	case TESS_OP_OBJ_STATFS:
		return do_statfs(x, c, req, rep);
	case TESS_OP_OBJ_HSM_SET:
		return do_hsm_set(x, c, req);
	case TESS_OP_OBJ_HSM_GET:
		return do_hsm_get(x, c, req, rep);
	}
	return refused(c, req, EOPNOTSUPP, "not an OST request");
}

/* requests that change objects: a resent copy gets the kept reply */
static bool ost_reply_cached(uint16_t opcode)
{
	switch (opcode) {
	case TESS_OP_OBJ_WRITE:
	case TESS_OP_OBJ_PUNCH:
	case TESS_OP_OBJ_DESTROY:
	case TESS_OP_OBJ_HSM_SET:
		return true;
	}
	return false;
}

const struct tnet_server_ops ost_server_ops = {
	.connected = ost_connected,
	.handle = ost_handle,
	.disconnected = ost_disconnected,
	.reply_cached = ost_reply_cached,
};
