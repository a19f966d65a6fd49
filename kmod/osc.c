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
 *
 * Write verifiers (protocol 3): writes are unstable, and every OBJ_WRITE
 * reply carries the OST's boot instance.  Each file keeps, per object,
 * the verifier of its writes since the object's last OBJ_SYNC
 * (tess_inode_info.wverf).  tess_sync_objects() syncs those objects (or,
 * for fsync, every object of the file: writes of an earlier life of the
 * inode are not tracked) and compares: an OST that answers the sync
 * (perhaps a resend after a
 * reconnect) with another verifier restarted in between and may have
 * lost writes whose pages are clean by now, so the sync fails with -EIO
 * and the mapping's error is set, never 0; the file's clean pages are
 * dropped, so that no read (nor the rest of a page a later write
 * touches) serves bytes the OST no longer has.  A whole-OST sync (sync_fs)
 * records what it covered, so that a later restart of that OST is not
 * taken for a loss of writes it had made stable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "tess_fs.h"
#include "stats.h"

/* One object RPC; the request and reply bodies live here until done. */
struct tess_osc_rpc {
	union {
		struct tess_obj_io_req io;
		struct tess_obj_punch_req punch;
		struct tess_obj_req obj;
	} body;
	union {
		struct tess_obj_io_rep io;
		struct {
			struct tess_obj_io_rep io;
			struct tess_obj_verf_rep v;
		} w;			/* OBJ_WRITE, protocol 3 */
		struct tess_obj_attr_rep attr;
	} rep;
	struct inode *inode;		/* OBJ_WRITE: whose verifiers */
	struct tess_sb_info *sbi;	/* OBJ_READ/WRITE: holds a slot */
	u32 stripe;
	u32 ost_idx;
	u32 want;			/* bulk bytes asked for / sent */
	const struct tnet_bulk *bulk;	/* OBJ_READ: to zero a short tail */
	struct tess_ost_stats *stats;	/* OBJ_READ/WRITE: stats.c, or NULL */
	ktime_t start;			/* when it was sent */
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

/* ---- write verifiers ---- */

/**
 * tess_wverf_prepare - room for the write verifiers of a file's objects
 * @inode: regular file about to be written
 * @nobjs: objects in its layout
 * @gfp: for the allocation
 *
 * Return: 0 or -ENOMEM.
 */
int tess_wverf_prepare(struct inode *inode, u32 nobjs, gfp_t gfp)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_inode_info *ti = TESS_I(inode);
	struct tess_wverf *nw, *old = NULL;
	u32 have;

	spin_lock(&sbi->verf_lock);
	have = ti->wverf_n;
	spin_unlock(&sbi->verf_lock);
	if (have >= nobjs)
		return 0;
	nw = kcalloc(nobjs, sizeof(*nw), gfp);
	if (!nw)
		return -ENOMEM;
	spin_lock(&sbi->verf_lock);
	if (ti->wverf_n < nobjs) {
		if (ti->wverf_n)
			memcpy(nw, ti->wverf, ti->wverf_n * sizeof(*nw));
		old = ti->wverf;
		ti->wverf = nw;
		ti->wverf_n = nobjs;
		nw = NULL;
	}
	spin_unlock(&sbi->verf_lock);
	kfree(old);
	kfree(nw);
	return 0;
}

/* were these writes covered by a whole-OST sync of the same instance? */
static bool tess_wverf_stable_locked(struct tess_sb_info *sbi,
				     const struct tess_wverf *w)
{
	const struct tess_ost_slot *o = &sbi->osts[w->ost_idx];

	return w->verf && w->verf == o->stable_verf && w->seq <= o->stable_seq;
}

/* an unstable write of object `stripe` was answered with verf */
static void tess_wverf_note(struct inode *inode, u32 stripe, u32 ost_idx,
			    u64 verf)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_inode_info *ti = TESS_I(inode);
	struct tess_wverf *w;

	spin_lock(&sbi->verf_lock);
	sbi->wseq++;
	if (stripe < ti->wverf_n && ost_idx < TESS_MAX_OSTS) {
		w = &ti->wverf[stripe];
		/* the OST restarted since writes not yet known stable */
		if (w->unstable && w->verf != verf &&
		    !tess_wverf_stable_locked(sbi, w))
			w->lost = true;
		w->unstable = true;
		w->verf = verf;
		w->seq = sbi->wseq;
		w->ost_idx = ost_idx;
	}
	spin_unlock(&sbi->verf_lock);
}

/* a sync that did not answer: its writes are unstable again */
static void tess_wverf_restore_locked(struct tess_sb_info *sbi,
				      struct tess_inode_info *ti, u32 i,
				      const struct tess_wverf *was)
{
	struct tess_wverf *w = &ti->wverf[i];

	if (!w->unstable) {
		*w = *was;
		return;
	}
	/* newer writes came meanwhile */
	if (w->verf != was->verf && !tess_wverf_stable_locked(sbi, was))
		w->lost = true;
	w->lost |= was->lost;
}

/**
 * tess_has_unstable - does some object of the file hold unstable writes?
 * @inode: regular file
 */
bool tess_has_unstable(struct inode *inode)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_inode_info *ti = TESS_I(inode);
	bool any = false;
	u32 i;

	spin_lock(&sbi->verf_lock);
	for (i = 0; i < ti->wverf_n && !any; i++)
		any = ti->wverf[i].unstable;
	spin_unlock(&sbi->verf_lock);
	return any;
}

/*
 * At most max_rpcs_in_flight OBJ_READ/OBJ_WRITE to one OST (Lustre's
 * osc tunable of that name): a sender waits for a slot.  Every RPC ends
 * (a reply; on a soft mount a timeout; umount -f), so the wait does too;
 * on a hard mount with the OST away SIGKILL ends it.  A killed reader
 * gives up (-EINTR); a killed writer's pages must still go out, so its
 * RPC is sent beyond the limit.
 */
static bool tess_osc_slot_try(struct tess_ost_slot *slot, int max)
{
	int n = atomic_read(&slot->rw_in_flight);

	do {
		if (n >= max)
			return false;
	} while (!atomic_try_cmpxchg(&slot->rw_in_flight, &n, n + 1));
	return true;
}

static int tess_osc_slot_get(struct tess_sb_info *sbi, u32 ost_idx,
			     bool write)
{
	struct tess_ost_slot *slot = &sbi->osts[ost_idx];

	if (!wait_event_killable(sbi->rpc_slot_wait,
				 tess_osc_slot_try(slot,
					READ_ONCE(sbi->max_rpcs_in_flight))))
		return 0;
	if (!write)
		return -EINTR;
	atomic_inc(&slot->rw_in_flight);
	return 0;
}

static void tess_osc_slot_put(struct tess_sb_info *sbi, u32 ost_idx)
{
	atomic_dec(&sbi->osts[ost_idx].rw_in_flight);
	if (wq_has_sleeper(&sbi->rpc_slot_wait))
		wake_up(&sbi->rpc_slot_wait);
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
		} else if (rpc->inode) {
			/* protocol 3: the verifier (the codec checked it) */
			tess_wverf_note(rpc->inode, rpc->stripe, rpc->ost_idx,
					req->reply_len >= sizeof(rpc->rep.w) ?
					le64_to_cpu(rpc->rep.w.v.verf) : 0);
		}
	}
	tess_stats_rpc_end(rpc->stats, req->opcode == TESS_OP_OBJ_WRITE, err,
			   bytes, rpc->start);
	/* before done: the last write's end may let umount free sbi */
	tess_osc_slot_put(rpc->sbi, rpc->ost_idx);
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
 * @inode: OBJ_WRITE: the file whose write verifiers the reply updates
 *	(tess_wverf_prepare() made room; it outlives the RPC), or NULL
 * @stripe: the object's index in the file's layout
 *
 * Returns 0 when @done will be called, else -errno and @done will not be.
 */
int tess_osc_rw(struct tess_sb_info *sbi, u32 ost_idx, u64 oid, bool write,
		u64 obj_off, const struct tnet_bulk *bulk,
		tess_osc_done_t done, void *priv, gfp_t gfp,
		struct inode *inode, u32 stripe)
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
	rpc->inode = write ? inode : NULL;
	rpc->stripe = stripe;
	rpc->ost_idx = ost_idx;

	req->opcode = write ? TESS_OP_OBJ_WRITE : TESS_OP_OBJ_READ;
	req->body = &rpc->body.io;
	req->body_len = sizeof(rpc->body.io);
	req->reply_buf = &rpc->rep;
	req->reply_cap = write ? sizeof(rpc->rep.w) : sizeof(rpc->rep.io);
	if (write) {
		req->send_bulk = bulk;
		if (!READ_ONCE(sbi->osts[ost_idx].written))
			WRITE_ONCE(sbi->osts[ost_idx].written, true);
	} else {
		req->recv_bulk = bulk;
	}
	req->done = tess_osc_rw_done;
	req->private = rpc;
	rpc->sbi = sbi;
	if (tess_osc_slot_get(sbi, ost_idx, write)) {
		tnet_req_put(req);
		kfree(rpc);
		return -EINTR;
	}
	rpc->stats = tess_stats_rpc_start(sbi, ost_idx, write, bulk->len, gfp);
	rpc->start = ktime_get();
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

/* size: of the structure that starts with the group (freed with it) */
static struct tess_osc_group *tess_osc_group_alloc_size(size_t size)
{
	struct tess_osc_group *grp = kzalloc(size, GFP_NOFS);

	if (!grp)
		return NULL;
	refcount_set(&grp->ref, 2);	/* the waiter, the last completion */
	atomic_set(&grp->pending, 1);
	init_completion(&grp->done);
	return grp;
}

static struct tess_osc_group *tess_osc_group_alloc(void)
{
	return tess_osc_group_alloc_size(sizeof(struct tess_osc_group));
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

	/*
	 * An inode made from a READDIRPLUS entry has no layout until an
	 * OPEN, LOOKUP or GETATTR brings it (a truncate(2) by path needs it
	 * without an open): ask once.
	 */
	if (!lay && S_ISREG(inode->i_mode) &&
	    !rcu_access_pointer(TESS_I(inode)->layout) &&
	    !tess_revalidate(inode, true))
		lay = tess_layout_copy(inode);

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
 * @flags: TESS_IO_SYNC: stable on the OSTs before this returns
 *
 * Object i is set to tess_stripe_obj_size(i, size) bytes: a truncate
 * down drops the data past it, a truncate up makes the gap read as
 * zeros.  The page cache and i_size are the caller's (tess_setattr
 * writes dirty pages back and cuts the cache first, so that writeback
 * cannot put old bytes back behind the punch).
 */
int tess_truncate_objects(struct inode *inode, loff_t size, u32 flags)
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
			.flags = cpu_to_le32(flags),
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

/* ---- OBJ_SYNC with the verifier of its reply ---- */

struct tess_sync_grp;

struct tess_sync_slot {
	struct tess_sync_grp *grp;
	struct tess_obj_req body;
	struct tess_obj_verf_rep rep;	/* protocol 3 */
	struct tess_wverf was;		/* tess_sync_objects: what it covers */
	u32 ost_idx;
	u32 reply_len;
	int err;
	bool used;
	bool own;			/* OBJ_SYNC_OWN, no body */
};

struct tess_sync_grp {
	struct tess_osc_group g;	/* first: freed as one */
	struct tess_sync_slot slot[];
};

static struct tess_sync_grp *tess_sync_grp_alloc(u32 n)
{
	struct tess_sync_grp *sg;
	u32 i;

	sg = (struct tess_sync_grp *)
		tess_osc_group_alloc_size(struct_size(sg, slot, n));
	if (!sg)
		return NULL;
	for (i = 0; i < n; i++)
		sg->slot[i].grp = sg;
	return sg;
}

static void tess_osc_sync_done(struct tnet_req *req)
{
	struct tess_sync_slot *sl = req->private;
	struct tess_sync_grp *sg = sl->grp;

	sl->reply_len = req->reply_len;
	WRITE_ONCE(sl->err, req->status);
	tnet_req_put(req);
	tess_osc_group_dec(&sg->g);
}

/* send the OBJ_SYNC (body filled in) or OBJ_SYNC_OWN (own) of slot sl */
static int tess_osc_sync_send(struct tess_sb_info *sbi,
			      struct tess_sync_slot *sl)
{
	struct tnet_client *cl;
	struct tnet_req *req;

	cl = tess_osc_client(sbi, sl->ost_idx);
	if (IS_ERR(cl))
		return PTR_ERR(cl);
	req = tnet_req_alloc(GFP_NOFS);
	if (!req)
		return -ENOMEM;
	if (sl->own) {
		req->opcode = TESS_OP_OBJ_SYNC_OWN;
	} else {
		req->opcode = TESS_OP_OBJ_SYNC;
		req->body = &sl->body;
		req->body_len = sizeof(sl->body);
	}
	req->reply_buf = &sl->rep;
	req->reply_cap = sizeof(sl->rep);
	req->done = tess_osc_sync_done;
	req->private = sl;
	atomic_inc(&sl->grp->g.pending);
	tnet_submit(cl, req);
	return 0;
}

/* the verifier of an answered sync, 0 from a protocol 2 OST */
static u64 tess_sync_verf(const struct tess_sync_slot *sl)
{
	return sl->reply_len >= sizeof(sl->rep) ? le64_to_cpu(sl->rep.verf) : 0;
}

/**
 * tess_sync_objects - OBJ_SYNC the objects of a file, in parallel, and
 * check the write verifiers of the writes since their last sync
 * @inode: regular file
 * @all: every object (fsync); else only those written since their last
 *	sync (close: the data under a new size)
 * @lost: set when writes may have been lost (the return is then -EIO)
 *
 * Makes what the OSTs have acknowledged stable on their disks.  An OST
 * that answers with a verifier other than that of the writes restarted
 * in between: those writes may be gone (their pages are clean), so the
 * mapping's error is set and -EIO returned, once.  Objects whose sync
 * did not answer keep their writes for the next try.
 */
int tess_sync_objects(struct inode *inode, bool all, bool *lost)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_inode_info *ti = TESS_I(inode);
	struct tess_layout_info *lay;
	struct tess_sync_grp *sg;
	struct tess_sync_slot *bad = NULL;
	u64 bad_verf = 0;
	int err = 0, werr;
	u32 i, n;

	*lost = false;
	lay = tess_osc_layout(inode);
	if (IS_ERR(lay))
		return PTR_ERR(lay);
	n = lay->nobjs;
	sg = tess_sync_grp_alloc(n);
	if (!sg) {
		kfree(lay);
		return -ENOMEM;
	}
	/* take the unstable writes; made stable by an OST-wide sync: done */
	spin_lock(&sbi->verf_lock);
	for (i = 0; i < n && i < ti->wverf_n; i++) {
		struct tess_wverf *w = &ti->wverf[i];

		if (!w->unstable)
			continue;
		if (w->lost || !tess_wverf_stable_locked(sbi, w)) {
			sg->slot[i].was = *w;
			sg->slot[i].used = true;
		}
		memset(w, 0, sizeof(*w));
	}
	spin_unlock(&sbi->verf_lock);
	for (i = 0; i < n && all; i++)
		sg->slot[i].used = true;

	for (i = 0; i < n; i++) {
		struct tess_sync_slot *sl = &sg->slot[i];

		if (!sl->used)
			continue;
		sl->body.oid = cpu_to_le64(lay->objs[i].oid);
		sl->ost_idx = lay->objs[i].ost_idx;
		sl->err = tess_osc_sync_send(sbi, sl);
	}
	kfree(lay);

	tess_osc_group_dec(&sg->g);
	werr = wait_for_completion_killable(&sg->g.done);

	spin_lock(&sbi->verf_lock);
	for (i = 0; i < n; i++) {
		struct tess_sync_slot *sl = &sg->slot[i];
		int e;
		u64 v;

		if (!sl->used)
			continue;
		e = werr ? werr : READ_ONCE(sl->err);
		if (e) {
			if (sl->was.unstable)
				tess_wverf_restore_locked(sbi, ti, i, &sl->was);
			if (!err)
				err = e;
			continue;
		}
		if (!sl->was.unstable)
			continue;	/* nothing of ours to check */
		v = tess_sync_verf(sl);
		if (sl->was.lost || (v && sl->was.verf && v != sl->was.verf)) {
			*lost = true;
			if (!bad) {
				bad = sl;
				bad_verf = v;
			}
		}
	}
	spin_unlock(&sbi->verf_lock);
	if (*lost) {
		pr_warn_ratelimited("%s: ino %lu: OST %u restarted (write verifier %#llx, now %#llx) before writes it acknowledged were synced: they may be lost, EIO\n",
				    sbi->source, inode->i_ino, bad->ost_idx,
				    bad->was.verf, bad_verf);
		mapping_set_error(inode->i_mapping, -EIO);
		/*
		 * The clean pages may hold what the OST lost: read again,
		 * they give what the OSTs have, as every other client sees
		 * it, and a partial write does not send the lost bytes
		 * back around it.  Dirty and mapped pages stay.
		 */
		invalidate_mapping_pages(inode->i_mapping, 0, -1);
		err = -EIO;
	}
	tess_osc_group_put(&sg->g);
	return tess_errno(err);
}

/*
 * The files of the mount with writes a whole-OST sync covered (up to
 * seq) that the OST answered with another verifier than theirs, and not
 * made stable before (s_inode_list_lock and verf_lock held): their OST
 * restarted since and may have lost them.  Their wverf stays as it is,
 * so that each file's own fsync reports the loss too.
 */
static u32 tess_sync_osts_lost_locked(struct tess_sb_info *sbi,
				      const struct tess_sync_grp *sg, u32 k,
				      u64 seq)
{
	struct inode *inode;
	u32 nlost = 0;

	list_for_each_entry(inode, &sbi->sb->s_inodes, i_sb_list) {
		struct tess_inode_info *ti = TESS_I(inode);
		bool lost = false;
		u32 i, j;

		for (i = 0; i < ti->wverf_n && !lost; i++) {
			const struct tess_wverf *w = &ti->wverf[i];

			if (!w->unstable || w->seq > seq ||
			    (!w->lost && tess_wverf_stable_locked(sbi, w)))
				continue;
			for (j = 0; j < k; j++) {
				const struct tess_sync_slot *sl = &sg->slot[j];
				u64 v = tess_sync_verf(sl);

				if (sl->ost_idx != w->ost_idx ||
				    READ_ONCE(sl->err))
					continue;
				if (w->lost || (v && w->verf && v != w->verf))
					lost = true;
			}
		}
		nlost += lost;
	}
	return nlost;
}

/* an OBJ_SYNC_OWN an older OST did not know */
static bool tess_sync_unsupported(const struct tess_sync_slot *sl)
{
	return sl->own && READ_ONCE(sl->err) == -EOPNOTSUPP;
}

/*
 * The slots of sg (k of them) an older OST answered OBJ_SYNC_OWN with
 * EOPNOTSUPP: sent again as OBJ_SYNC oid 0, in parallel, and their
 * answers put in place of the first.  Not remembered per OST: an OST
 * upgraded since would refuse a client's oid 0 (EPERM).  Returns 0 or
 * the error of the wait (killed).
 */
static int tess_sync_osts_fallback(struct tess_sb_info *sbi,
				   struct tess_sync_grp *sg, u32 k)
{
	struct tess_sync_grp *fb;
	u32 i, j, m = 0;
	int werr;

	for (i = 0; i < k; i++)
		m += tess_sync_unsupported(&sg->slot[i]);
	if (!m)
		return 0;
	fb = tess_sync_grp_alloc(m);
	if (!fb)
		return -ENOMEM;
	for (i = 0, j = 0; i < k && j < m; i++) {
		struct tess_sync_slot *sl = &fb->slot[j];

		if (!tess_sync_unsupported(&sg->slot[i]))
			continue;
		sl->used = true;
		sl->ost_idx = sg->slot[i].ost_idx;
		sl->body.oid = 0;
		sl->err = tess_osc_sync_send(sbi, sl);
		j++;
	}
	tess_osc_group_dec(&fb->g);
	werr = wait_for_completion_killable(&fb->g.done);
	for (i = 0, j = 0; !werr && i < k && j < m; i++) {
		struct tess_sync_slot *sl = &sg->slot[i];

		if (!tess_sync_unsupported(sl))
			continue;
		sl->reply_len = fb->slot[j].reply_len;
		sl->rep = fb->slot[j].rep;
		WRITE_ONCE(sl->err, READ_ONCE(fb->slot[j].err));
		j++;
	}
	tess_osc_group_put(&fb->g);
	return werr;
}

/**
 * tess_sync_osts - OBJ_SYNC_OWN (what this mount wrote without a sync)
 * on every OST written since the last call, in parallel (sync(2),
 * syncfs(2), umount); OBJ_SYNC oid 0 (the whole store) to an older OST
 * that answers EOPNOTSUPP
 * @sbi: the mount
 *
 * An OST that answers covers every write it acknowledged before the sync
 * was sent, if its verifier is theirs: recorded, so that fsync need not
 * sync those again (nor take a later restart for their loss).  An OST
 * that answers with another verifier than that of writes it had not made
 * stable restarted in between: -EIO, and the error goes to the
 * superblock's, which syncfs(2) reports (sync(2) reports nothing).
 *
 * Return: 0 or the first error; an OST that failed stays marked.
 */
int tess_sync_osts(struct tess_sb_info *sbi)
{
	struct tess_sync_grp *sg;
	u32 i, n = 0, k = 0, nlost;
	u64 seq;
	int err = 0, werr;

	for (i = 0; i < TESS_MAX_OSTS; i++)
		if (READ_ONCE(sbi->osts[i].written))
			n++;
	if (!n)
		return 0;
	sg = tess_sync_grp_alloc(n);
	if (!sg)
		return -ENOMEM;
	spin_lock(&sbi->verf_lock);
	seq = sbi->wseq;		/* write replies before the syncs */
	spin_unlock(&sbi->verf_lock);
	for (i = 0; i < TESS_MAX_OSTS && k < n; i++) {
		struct tess_sync_slot *sl;

		if (!READ_ONCE(sbi->osts[i].written))
			continue;
		WRITE_ONCE(sbi->osts[i].written, false);
		sl = &sg->slot[k++];
		sl->used = true;
		sl->ost_idx = i;
		sl->own = true;
		sl->err = tess_osc_sync_send(sbi, sl);
	}
	tess_osc_group_dec(&sg->g);
	werr = wait_for_completion_killable(&sg->g.done);
	if (!werr)
		werr = tess_sync_osts_fallback(sbi, sg, k);

	spin_lock(&sbi->sb->s_inode_list_lock);
	spin_lock(&sbi->verf_lock);
	nlost = werr ? 0 : tess_sync_osts_lost_locked(sbi, sg, k, seq);
	spin_unlock(&sbi->sb->s_inode_list_lock);
	for (i = 0; i < k; i++) {
		struct tess_sync_slot *sl = &sg->slot[i];
		struct tess_ost_slot *o = &sbi->osts[sl->ost_idx];
		int e = werr ? werr : READ_ONCE(sl->err);

		if (e) {
			WRITE_ONCE(o->written, true);	/* next time again */
			if (!err)
				err = e;
			continue;
		}
		if (tess_sync_verf(sl) && (o->stable_verf != tess_sync_verf(sl) ||
					   o->stable_seq < seq)) {
			o->stable_verf = tess_sync_verf(sl);
			o->stable_seq = seq;
		}
	}
	spin_unlock(&sbi->verf_lock);
	tess_osc_group_put(&sg->g);
	if (nlost) {
		pr_warn_ratelimited("%s: an OST restarted before writes it acknowledged were synced: %u files may have lost data; this sync and their fsync return EIO\n",
				    sbi->source, nlost);
		errseq_set(&sbi->sb->s_wb_err, -EIO);
		if (!err)
			err = -EIO;
	}
	return tess_errno(err);
}
