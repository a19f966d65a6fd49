// SPDX-License-Identifier: GPL-2.0
/*
 * osc.c - object storage client: the RPCs of the data path to the OSTs.
 *
 * Every helper works on one contiguous range of one object.  Reads and
 * writes take a page vector (struct tnet_bulk) that the RPC layer
 * receives into or sends from directly; they are asynchronous and report
 * through a callback, so that the callers in addr.c can keep one RPC per
 * object in flight on every OST at once.  Punch and sync are small and
 * are grouped: tess_truncate_objects() and tess_sync_objects() send one
 * to every object of a file in parallel and wait for all of them.
 *
 * Every RPC may be resent by the RPC layer after a reconnect or a timeout
 * with its first xid, and the OST runs a resent xid once (its reply
 * cache), so a write resent after newer data never lands over it.
 * Statuses are mapped to the documented errnos (tess_errno) here.
 *
 * Nothing from the network is trusted: a reply body shorter than the
 * reply structure, a read returning more bytes than asked for or a write
 * acknowledging a different length all end as -EIO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "tess_fs.h"

/* One object RPC; the request and reply bodies live here until done. */
struct tess_osc_rpc {
	union {
		struct tess_obj_io_req io;
		struct tess_obj_punch_req punch;
		struct tess_obj_req obj;
	} body;
	union {
		struct tess_obj_io_rep io;
		struct tess_obj_attr_rep attr;
	} rep;
	u32 want;			/* bulk bytes asked for / sent */
	const struct tnet_bulk *bulk;	/* OBJ_READ: to zero a short tail */
	tess_osc_done_t done;
	void *priv;
};

/* zero the bytes of bulk from byte `from` to its end */
static void tess_bulk_zero_from(const struct tnet_bulk *bulk, u32 from)
{
	unsigned int i;
	u32 pos = 0;

	for (i = 0; i < bulk->nr; i++) {
		const struct bio_vec *bv = &bulk->bvec[i];
		u32 skip = 0;

		if (pos + bv->bv_len <= from) {
			pos += bv->bv_len;
			continue;
		}
		if (from > pos)
			skip = from - pos;
		memzero_page(bv->bv_page, bv->bv_offset + skip,
			     bv->bv_len - skip);
		pos += bv->bv_len;
	}
}

static void tess_osc_rw_done(struct tnet_req *req)
{
	struct tess_osc_rpc *rpc = req->private;
	int err = req->status;
	u32 bytes = 0;

	if (!err && req->reply_len < sizeof(rpc->rep.io)) {
		pr_warn_ratelimited("%s reply of %u bytes, too short\n",
				    req->opcode == TESS_OP_OBJ_READ ?
				    "OBJ_READ" : "OBJ_WRITE", req->reply_len);
		err = -EIO;
	}
	if (!err && req->opcode == TESS_OP_OBJ_READ) {
		bytes = req->reply_bulk_len;
		if (bytes > rpc->want ||
		    le32_to_cpu(rpc->rep.io.length) != bytes) {
			pr_warn_ratelimited("OBJ_READ returned %u bytes (says %u) for %u\n",
					    bytes,
					    le32_to_cpu(rpc->rep.io.length),
					    rpc->want);
			err = -EIO;
		} else if (bytes < rpc->want) {
			/* a hole or the object's end: zeros */
			tess_bulk_zero_from(rpc->bulk, bytes);
		}
	} else if (!err) {
		bytes = le32_to_cpu(rpc->rep.io.length);
		if (bytes != rpc->want) {
			pr_warn_ratelimited("OBJ_WRITE stored %u bytes of %u\n",
					    bytes, rpc->want);
			err = -EIO;
		}
	}
	rpc->done(rpc->priv, tess_errno(err), err ? 0 : bytes);
	kfree(rpc);
	tnet_req_put(req);
}

static struct tnet_client *tess_osc_client(struct tess_sb_info *sbi,
					   u32 ost_idx)
{
	struct tnet_client *cl = tess_ost_client(sbi, ost_idx);

	if (IS_ERR_OR_NULL(cl))
		return ERR_PTR(cl ? PTR_ERR(cl) : -EIO);
	return cl;
}

/**
 * tess_osc_rw - start an OBJ_READ or OBJ_WRITE of one object range
 * @sbi: the mount
 * @ost_idx: OST holding the object
 * @oid: object id
 * @write: OBJ_WRITE (else OBJ_READ)
 * @obj_off: object offset of the first byte of @bulk
 * @bulk: the pages, owned by the caller until @done has run
 * @done: called once with 0 or -errno and the bytes moved; a short read
 *	has already been completed with zeros
 * @priv: for @done
 * @gfp: for the allocations (GFP_NOFS from writeback)
 *
 * Returns 0 when @done will be called, else -errno and @done will not be.
 */
int tess_osc_rw(struct tess_sb_info *sbi, u32 ost_idx, u64 oid, bool write,
		u64 obj_off, const struct tnet_bulk *bulk,
		tess_osc_done_t done, void *priv, gfp_t gfp)
{
	struct tnet_client *cl;
	struct tess_osc_rpc *rpc;
	struct tnet_req *req;

	if (WARN_ON_ONCE(!bulk->len || bulk->len > TESS_MAX_BULK))
		return -EINVAL;
	cl = tess_osc_client(sbi, ost_idx);
	if (IS_ERR(cl))
		return PTR_ERR(cl);
	rpc = kzalloc(sizeof(*rpc), gfp);
	if (!rpc)
		return -ENOMEM;
	req = tnet_req_alloc(gfp);
	if (!req) {
		kfree(rpc);
		return -ENOMEM;
	}
	rpc->body.io.oid = cpu_to_le64(oid);
	rpc->body.io.offset = cpu_to_le64(obj_off);
	rpc->body.io.length = cpu_to_le32(bulk->len);
	rpc->want = bulk->len;
	rpc->bulk = bulk;
	rpc->done = done;
	rpc->priv = priv;

	req->opcode = write ? TESS_OP_OBJ_WRITE : TESS_OP_OBJ_READ;
	req->body = &rpc->body.io;
	req->body_len = sizeof(rpc->body.io);
	req->reply_buf = &rpc->rep.io;
	req->reply_cap = sizeof(rpc->rep.io);
	if (write) {
		req->send_bulk = bulk;
		if (!READ_ONCE(sbi->osts[ost_idx].written))
			WRITE_ONCE(sbi->osts[ost_idx].written, true);
	} else {
		req->recv_bulk = bulk;
	}
	req->done = tess_osc_rw_done;
	req->private = rpc;
	tnet_submit(cl, req);
	return 0;
}

/* ---- groups of small RPCs, one per object, waited for together ---- */

struct tess_osc_group {
	refcount_t ref;
	atomic_t pending;		/* RPCs in flight + 1 while sending */
	int err;			/* first error */
	struct completion done;
};

static void tess_osc_group_put(struct tess_osc_group *grp)
{
	if (refcount_dec_and_test(&grp->ref))
		kfree(grp);
}

static void tess_osc_group_dec(struct tess_osc_group *grp)
{
	if (atomic_dec_and_test(&grp->pending)) {
		complete(&grp->done);
		tess_osc_group_put(grp);
	}
}

static void tess_osc_group_err(struct tess_osc_group *grp, int err)
{
	if (err)
		cmpxchg(&grp->err, 0, err);
}

static void tess_osc_small_done(struct tnet_req *req)
{
	struct tess_osc_group *grp = req->private;

	tess_osc_group_err(grp, req->status);
	/* the body was allocated together with the request's owner */
	kfree(req->body);
	tnet_req_put(req);
	tess_osc_group_dec(grp);
}

/* send one small request (body copied) as part of grp */
static int tess_osc_small(struct tess_sb_info *sbi, u32 ost_idx, u16 opcode,
			  const void *body, u32 body_len,
			  struct tess_osc_group *grp)
{
	struct tnet_client *cl;
	struct tnet_req *req;
	void *b;

	cl = tess_osc_client(sbi, ost_idx);
	if (IS_ERR(cl))
		return PTR_ERR(cl);
	b = kmemdup(body, body_len, GFP_NOFS);
	if (!b)
		return -ENOMEM;
	req = tnet_req_alloc(GFP_NOFS);
	if (!req) {
		kfree(b);
		return -ENOMEM;
	}
	req->opcode = opcode;
	req->body = b;
	req->body_len = body_len;
	req->done = tess_osc_small_done;
	req->private = grp;
	atomic_inc(&grp->pending);
	tnet_submit(cl, req);
	return 0;
}

static struct tess_osc_group *tess_osc_group_alloc(void)
{
	struct tess_osc_group *grp = kzalloc(sizeof(*grp), GFP_NOFS);

	if (!grp)
		return NULL;
	refcount_set(&grp->ref, 2);	/* the waiter, the last completion */
	atomic_set(&grp->pending, 1);
	init_completion(&grp->done);
	return grp;
}

/* all sent: drop the sending bias, wait (killable), return first error */
static int tess_osc_group_wait(struct tess_osc_group *grp)
{
	int err;

	tess_osc_group_dec(grp);
	err = wait_for_completion_killable(&grp->done);
	if (!err)
		err = READ_ONCE(grp->err);
	tess_osc_group_put(grp);
	return tess_errno(err);
}

/* the layout of a regular file (kfree it), -EIO if it has none usable */
struct tess_layout_info *tess_osc_layout(struct inode *inode)
{
	struct tess_layout_info *lay = tess_layout_copy(inode);

	if (IS_ERR_OR_NULL(lay))
		return lay ? lay : ERR_PTR(-EIO);
	if (!lay->pattern || lay->nobjs < lay->geom.stripe_count ||
	    tess_stripe_geom_check(&lay->geom)) {
		kfree(lay);
		return ERR_PTR(-EIO);
	}
	return lay;
}

/**
 * tess_truncate_objects - punch every object of a file to its size
 * @inode: regular file
 * @size: the file's new size
 *
 * Object i is set to tess_stripe_obj_size(i, size) bytes: a truncate
 * down drops the data past it, a truncate up makes the gap read as
 * zeros.  The page cache and i_size are the caller's (tess_setattr
 * writes dirty pages back and cuts the cache first, so that writeback
 * cannot put old bytes back behind the punch).
 */
int tess_truncate_objects(struct inode *inode, loff_t size)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_layout_info *lay;
	struct tess_osc_group *grp;
	u32 i;
	int err;

	if (size < 0)
		return -EINVAL;
	lay = tess_osc_layout(inode);
	if (IS_ERR(lay))
		return PTR_ERR(lay);
	grp = tess_osc_group_alloc();
	if (!grp) {
		kfree(lay);
		return -ENOMEM;
	}
	for (i = 0; i < lay->nobjs; i++) {
		struct tess_obj_punch_req p = {
			.oid = cpu_to_le64(lay->objs[i].oid),
			.offset = cpu_to_le64(tess_stripe_obj_size(&lay->geom,
								   i, size)),
			.mode = cpu_to_le32(TESS_PUNCH_TRUNCATE),
		};

		err = tess_osc_small(sbi, lay->objs[i].ost_idx,
				     TESS_OP_OBJ_PUNCH, &p, sizeof(p), grp);
		if (err) {
			tess_osc_group_err(grp, err);
			break;
		}
	}
	kfree(lay);
	return tess_osc_group_wait(grp);
}

/**
 * tess_sync_objects - OBJ_SYNC every object of a file, in parallel
 * @inode: regular file
 *
 * Makes what the OSTs have acknowledged stable on their disks.
 */
int tess_sync_objects(struct inode *inode)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_layout_info *lay;
	struct tess_osc_group *grp;
	u32 i;
	int err;

	lay = tess_osc_layout(inode);
	if (IS_ERR(lay))
		return PTR_ERR(lay);
	grp = tess_osc_group_alloc();
	if (!grp) {
		kfree(lay);
		return -ENOMEM;
	}
	for (i = 0; i < lay->nobjs; i++) {
		struct tess_obj_req r = {
			.oid = cpu_to_le64(lay->objs[i].oid),
		};

		err = tess_osc_small(sbi, lay->objs[i].ost_idx,
				     TESS_OP_OBJ_SYNC, &r, sizeof(r), grp);
		if (err) {
			tess_osc_group_err(grp, err);
			break;
		}
	}
	kfree(lay);
	return tess_osc_group_wait(grp);
}

/**
 * tess_sync_osts - OBJ_SYNC (the whole store) on every OST written since
 * the last call, in parallel (sync(2), syncfs(2), umount)
 * @sbi: the mount
 *
 * Return: 0 or the first error; an OST that failed stays marked.
 */
int tess_sync_osts(struct tess_sb_info *sbi)
{
	struct tess_osc_group *grp;
	struct tess_obj_req r = { .oid = 0 };
	bool any = false;
	u32 i;
	int err;

	grp = tess_osc_group_alloc();
	if (!grp)
		return -ENOMEM;
	for (i = 0; i < TESS_MAX_OSTS; i++) {
		if (!READ_ONCE(sbi->osts[i].written))
			continue;
		WRITE_ONCE(sbi->osts[i].written, false);
		any = true;
		err = tess_osc_small(sbi, i, TESS_OP_OBJ_SYNC, &r, sizeof(r),
				     grp);
		if (err) {
			WRITE_ONCE(sbi->osts[i].written, true);
			tess_osc_group_err(grp, err);
		}
	}
	err = tess_osc_group_wait(grp);
	if (err && any) {
		/* which one failed is not known: sync them all next time */
		for (i = 0; i < TESS_MAX_OSTS; i++)
			if (READ_ONCE(sbi->osts[i].cl))
				WRITE_ONCE(sbi->osts[i].written, true);
	}
	return err;
}
