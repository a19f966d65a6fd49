// SPDX-License-Identifier: GPL-2.0
/*
 * mds.c - calls to the metadata server.
 *
 * tess_mds_call() sends one request on the mount's MDS client and checks
 * the reply body with the shared codec (tess_msg_check) before anybody
 * looks at it; the typed wrappers build the request bodies of
 * include/tessera.h and copy out what the caller needs.  Nothing here
 * trusts a length that came from the network.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/cred.h>
#include <linux/uidgid.h>
#include <linux/kdev_t.h>

#include "tess_fs.h"

/*
 * Every MDS request (tess_mds_call and the CLOSEs of tess_mds_close) is
 * allocated here and carries the credentials of the task it is made for
 * (issue #12): the MDS checks namespace and attribute operations against
 * them, and squashes uid 0 with --root-squash.  Sent are the current
 * task's (subjective) fsuid, fsgid and the first TESS_CRED_GROUPS_MAX (16)
 * of its supplementary groups, in the order of its group_info (sorted by
 * id); further groups are not sent, so the MDS does not see them (as with
 * AUTH_SYS).  Ids are those of the initial user namespace, where Tessera
 * mounts are made (the ids new inodes get, dir.c, are mapped so too).
 *
 * Requests made by a kernel thread (the size of a file closed by an
 * exiting task, size_work; the reopens after an MDS restart) go with the
 * thread's credentials, uid 0: the MDS takes them as root, or as the
 * squash ids with --root-squash.  They need no more: SIZE_EXTEND is
 * allowed to any holder of the file open (size_work runs before the
 * CLOSEs it holds back), a replayed OPEN is not checked, CLOSE, GETATTR
 * and OST_LIST never are.  The release of a file (file.c) sends its size
 * and CLOSE with the credentials of the opener (file->f_cred).
 * The MDS sees the block only if it agreed TESS_FEAT_CRED (lnet/rpc.c).
 */
static struct tnet_req *tess_mds_req_alloc(void)
{
	const struct cred *cred = current_cred();
	const struct group_info *gi = cred->group_info;
	struct tnet_req *req;
	unsigned int i, n = 0;

	req = tnet_req_alloc(GFP_NOFS);
	if (!req)
		return NULL;
	req->cred.magic = cpu_to_le32(TESS_CRED_MAGIC);
	req->cred.uid = cpu_to_le32(from_kuid(&init_user_ns, cred->fsuid));
	req->cred.gid = cpu_to_le32(from_kgid(&init_user_ns, cred->fsgid));
	for (i = 0; gi && i < gi->ngroups && n < TESS_CRED_GROUPS_MAX; i++) {
		if (!gid_valid(gi->gid[i]))
			continue;
		req->cred.groups[n++] =
			cpu_to_le32(from_kgid(&init_user_ns, gi->gid[i]));
	}
	req->cred.ngroups = cpu_to_le32(n);	/* unused slots stay zero */
	req->send_cred = true;
	return req;
}

int tess_mds_call(struct tess_sb_info *sbi, u16 op, const void *body,
		  u32 body_len, void *reply, u32 reply_cap, u32 *reply_len)
{
	struct tnet_req *req;
	u32 len;
	int err;

	if (reply_len)
		*reply_len = 0;
	req = tess_mds_req_alloc();
	if (!req)
		return -ENOMEM;
	req->opcode = op;
	req->body = body;
	req->body_len = body_len;
	req->reply_buf = reply;
	req->reply_cap = reply ? reply_cap : 0;
	err = tnet_call(sbi->mds, req);
	len = req->reply_len;
	tnet_req_put(req);

	if (len > reply_cap) {
		pr_warn_ratelimited("%s: %s reply of %u bytes over %u\n",
				    sbi->source, tess_op_name(op), len,
				    reply_cap);
		return -EPROTO;
	}
	/* a server must not make us return kernel-internal errnos */
	err = tess_errno(err);
	if (!err) {
		struct tess_frame f = {
			.opcode = op,
			.flags = TESS_HF_REPLY,
			.body_len = len,
		};

		if (tess_msg_check(&f, reply)) {
			pr_warn_ratelimited("%s: malformed %s reply (%u bytes)\n",
					    sbi->source, tess_op_name(op), len);
			return -EPROTO;
		}
	}
	if (reply_len)
		*reply_len = len;
	return err;
}

struct tess_irep *tess_irep_alloc(void)
{
	return kmalloc(sizeof(struct tess_irep), GFP_NOFS);
}

/* a file type Tessera has (the rest of mode is not looked at) */
bool tess_mode_ok(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	}
	return false;
}

int tess_irep_check(const struct tess_irep *ir)
{
	u32 llen;

	if (ir->len < sizeof(ir->rep) || ir->len > sizeof(ir->buf))
		return -EPROTO;
	llen = le32_to_cpu(ir->rep.layout_len);
	if (llen != ir->len - sizeof(ir->rep))
		return -EPROTO;
	if (!le64_to_cpu(ir->rep.attr.ino) ||
	    !tess_mode_ok(le32_to_cpu(ir->rep.attr.mode)))
		return -EPROTO;
	return 0;
}

/* an op whose reply is a tess_inode_rep */
static int tess_mds_irep_call(struct tess_sb_info *sbi, u16 op,
			      const void *body, u32 body_len,
			      struct tess_irep *out)
{
	int err;

	err = tess_mds_call(sbi, op, body, body_len, out->buf,
			    sizeof(out->buf), &out->len);
	if (err)
		return err;
	err = tess_irep_check(out);
	if (err)
		pr_warn_ratelimited("%s: bad inode in %s reply\n", sbi->source,
				    tess_op_name(op));
	return err;
}

static int tess_name_len(const struct qstr *name)
{
	if (name->len > TESS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!name->len)
		return -EINVAL;
	return 0;
}

int tess_mds_lookup(struct tess_sb_info *sbi, u64 parent,
		    const struct qstr *name, struct tess_irep *out)
{
	u8 body[sizeof(struct tess_name_req) + TESS_NAME_MAX];
	struct tess_name_req *r = (void *)body;
	int err = tess_name_len(name);

	if (err)
		return err;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(parent);
	r->name_len = cpu_to_le32(name->len);
	memcpy(r + 1, name->name, name->len);
	return tess_mds_irep_call(sbi, TESS_OP_LOOKUP, body,
				  sizeof(*r) + name->len, out);
}

int tess_mds_getattr(struct tess_sb_info *sbi, u64 ino, struct tess_irep *out)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };

	return tess_mds_irep_call(sbi, TESS_OP_GETATTR, &r, sizeof(r), out);
}

/* OPEN: the MDS counts us as holding ino open; the reply is GETATTR's */
int tess_mds_open(struct tess_sb_info *sbi, u64 ino, u32 flags,
		  struct tess_irep *out)
{
	struct tess_open_req r = {
		.ino = cpu_to_le64(ino),
		.flags = cpu_to_le32(flags),
	};

	return tess_mds_irep_call(sbi, TESS_OP_OPEN, &r, sizeof(r), out);
}

static void tess_mds_close_done(struct tnet_req *req)
{
	if (req->status)
		pr_warn_ratelimited("CLOSE of inode %llu failed: %d\n",
				    le64_to_cpu(((struct tess_open_req *)
						 req->body)->ino),
				    req->status);
	kfree(req->body);
	tnet_req_put(req);
}

/*
 * CLOSE, sent without waiting: a close(2) does not wait for the MDS (a
 * hard mount resends it until the MDS answers; the MDS also drops the
 * opens of a client whose lease ran out).
 */
void tess_mds_close(struct tess_sb_info *sbi, u64 ino, u32 flags)
{
	struct tess_open_req *r;
	struct tnet_req *req;

	r = kzalloc(sizeof(*r), GFP_NOFS);
	req = tess_mds_req_alloc();
	if (!r || !req) {
		kfree(r);
		tnet_req_put(req);
		pr_warn_ratelimited("%s: no memory for the CLOSE of inode %llu\n",
				    sbi->source, ino);
		return;
	}
	r->ino = cpu_to_le64(ino);
	r->flags = cpu_to_le32(flags);
	req->opcode = TESS_OP_CLOSE;
	req->body = r;
	req->body_len = sizeof(*r);
	req->done = tess_mds_close_done;
	tnet_submit(sbi->mds, req);
}

int tess_mds_setattr(struct tess_sb_info *sbi, struct tess_setattr_req *req,
		     struct tess_irep *out)
{
	return tess_mds_irep_call(sbi, TESS_OP_SETATTR, req, sizeof(*req), out);
}

int tess_mds_size_extend(struct inode *inode, loff_t size)
{
	struct tess_sb_info *sbi = TESS_SB(inode->i_sb);
	struct tess_setattr_req req;
	struct tess_irep *ir;
	int err;

	if (size < 0)
		return -EINVAL;
	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	memset(&req, 0, sizeof(req));
	req.ino = cpu_to_le64(inode->i_ino);
	req.valid = cpu_to_le32(TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW);
	req.size = cpu_to_le64(size);
	err = tess_mds_setattr(sbi, &req, ir);
	if (!err) {
		/* the MDS now knows at least `size` */
		spin_lock(&inode->i_lock);
		if (TESS_I(inode)->mds_size < size)
			TESS_I(inode)->mds_size = size;
		spin_unlock(&inode->i_lock);
		tess_update_inode_flags(inode, &ir->rep, ir->len, TESS_UPD_OWN);
	}
	kfree(ir);
	return err;
}

#define TESS_CREATE_RETRY	(HZ / 2)	/* a create waiting for OSTs */

static int tess_mds_do_create(struct tess_sb_info *sbi, u16 op, u64 parent,
			      const struct qstr *name, u32 mode, kuid_t uid,
			      kgid_t gid, dev_t rdev, u32 flags, u32 open_flags,
			      struct tess_irep *out)
{
	u8 body[sizeof(struct tess_create_req) + TESS_NAME_MAX];
	struct tess_create_req *r = (void *)body;
	unsigned long deadline = jiffies + sbi->timeout;
	int err = tess_name_len(name);

	if (err)
		return err;
	if (op != TESS_OP_CREATE && op != TESS_OP_MKDIR)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(parent);
	r->mode = cpu_to_le32(mode);
	r->uid = cpu_to_le32(from_kuid(&init_user_ns, uid));
	r->gid = cpu_to_le32(from_kgid(&init_user_ns, gid));
	r->rdev = cpu_to_le32(new_encode_dev(rdev));
	r->flags = cpu_to_le32(flags);
	r->name_len = cpu_to_le32(name->len);
	r->layout_len = 0;		/* the directory's default */
	r->open_flags = cpu_to_le32(open_flags);
	memcpy(r + 1, name->name, name->len);
	/*
	 * EAGAIN: no OST can give the MDS objects now (all away, their
	 * precreated pools empty: right after an MDS restart, say), and
	 * nothing was made.  Wait for them as for any server: a hard mount
	 * until they are back (SIGKILL ends it), a soft one for timeout=.
	 */
	for (;;) {
		err = tess_mds_irep_call(sbi, op, body, sizeof(*r) + name->len,
					 out);
		if (err != -EAGAIN)
			return err;
		if (sbi->soft && time_after(jiffies, deadline))
			return -EIO;
		if (READ_ONCE(sbi->dying))
			return -EIO;
		schedule_timeout_killable(TESS_CREATE_RETRY);
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

int tess_mds_create(struct tess_sb_info *sbi, u16 op, u64 parent,
		    const struct qstr *name, u32 mode, kuid_t uid, kgid_t gid,
		    dev_t rdev, u32 flags, struct tess_irep *out)
{
	return tess_mds_do_create(sbi, op, parent, name, mode, uid, gid, rdev,
				  flags & ~TESS_CREATE_OPEN, 0, out);
}

/*
 * CREATE with TESS_CREATE_OPEN (only when the MDS agreed
 * TESS_FEAT_CREATE_OPEN): a regular file made and opened with
 * @open_flags (TESS_OPEN_*) in one request; a tess_mds_close() must
 * follow a success.
 */
int tess_mds_create_open(struct tess_sb_info *sbi, u64 parent,
			 const struct qstr *name, u32 mode, kuid_t uid,
			 kgid_t gid, u32 flags, u32 open_flags,
			 struct tess_irep *out)
{
	if (!(tnet_client_features(sbi->mds) & TESS_FEAT_CREATE_OPEN))
		return -EOPNOTSUPP;
	return tess_mds_do_create(sbi, TESS_OP_CREATE, parent, name, mode,
				  uid, gid, 0, flags | TESS_CREATE_OPEN,
				  open_flags, out);
}

int tess_mds_unlink(struct tess_sb_info *sbi, u16 op, u64 parent,
		    const struct qstr *name)
{
	u8 body[sizeof(struct tess_name_req) + TESS_NAME_MAX];
	struct tess_name_req *r = (void *)body;
	int err = tess_name_len(name);

	if (err)
		return err;
	if (op != TESS_OP_UNLINK && op != TESS_OP_RMDIR)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->parent = cpu_to_le64(parent);
	r->name_len = cpu_to_le32(name->len);
	memcpy(r + 1, name->name, name->len);
	return tess_mds_call(sbi, op, body, sizeof(*r) + name->len, NULL, 0,
			     NULL);
}

int tess_mds_rename(struct tess_sb_info *sbi, u64 old_parent,
		    const struct qstr *old_name, u64 new_parent,
		    const struct qstr *new_name, u32 flags)
{
	struct tess_rename_req *r;
	u32 len;
	int err;

	err = tess_name_len(old_name);
	if (!err)
		err = tess_name_len(new_name);
	if (err)
		return err;
	len = sizeof(*r) + old_name->len + new_name->len;
	r = kzalloc(len, GFP_NOFS);
	if (!r)
		return -ENOMEM;
	r->old_parent = cpu_to_le64(old_parent);
	r->new_parent = cpu_to_le64(new_parent);
	r->flags = cpu_to_le32(flags);
	r->old_len = cpu_to_le32(old_name->len);
	r->new_len = cpu_to_le32(new_name->len);
	memcpy((u8 *)(r + 1), old_name->name, old_name->len);
	memcpy((u8 *)(r + 1) + old_name->len, new_name->name, new_name->len);
	err = tess_mds_call(sbi, TESS_OP_RENAME, r, len, NULL, 0, NULL);
	kfree(r);
	return err;
}

int tess_mds_link(struct tess_sb_info *sbi, u64 ino, u64 new_parent,
		  const struct qstr *name, struct tess_irep *out)
{
	u8 body[sizeof(struct tess_link_req) + TESS_NAME_MAX];
	struct tess_link_req *r = (void *)body;
	int err = tess_name_len(name);

	if (err)
		return err;
	memset(r, 0, sizeof(*r));
	r->ino = cpu_to_le64(ino);
	r->new_parent = cpu_to_le64(new_parent);
	r->name_len = cpu_to_le32(name->len);
	memcpy(r + 1, name->name, name->len);
	return tess_mds_irep_call(sbi, TESS_OP_LINK, body,
				  sizeof(*r) + name->len, out);
}

int tess_mds_symlink(struct tess_sb_info *sbi, u64 parent,
		     const struct qstr *name, const char *target, kuid_t uid,
		     kgid_t gid, struct tess_irep *out)
{
	size_t tlen = strlen(target);
	struct tess_symlink_req *r;
	u32 len;
	int err = tess_name_len(name);

	if (err)
		return err;
	if (tlen > TESS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (!tlen)
		return -ENOENT;
	len = sizeof(*r) + name->len + tlen;
	r = kzalloc(len, GFP_NOFS);
	if (!r)
		return -ENOMEM;
	r->parent = cpu_to_le64(parent);
	r->uid = cpu_to_le32(from_kuid(&init_user_ns, uid));
	r->gid = cpu_to_le32(from_kgid(&init_user_ns, gid));
	r->name_len = cpu_to_le32(name->len);
	r->target_len = cpu_to_le32(tlen);
	memcpy((u8 *)(r + 1), name->name, name->len);
	memcpy((u8 *)(r + 1) + name->len, target, tlen);
	err = tess_mds_irep_call(sbi, TESS_OP_SYMLINK, r, len, out);
	kfree(r);
	return err;
}

char *tess_mds_readlink(struct tess_sb_info *sbi, u64 ino)
{
	u32 cap = sizeof(struct tess_readlink_rep) + TESS_SYMLINK_MAX;
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };
	const struct tess_readlink_rep *rl;
	char *buf, *link;
	u32 len, tlen;
	int err;

	buf = kmalloc(cap, GFP_NOFS);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	err = tess_mds_call(sbi, TESS_OP_READLINK, &r, sizeof(r), buf, cap,
			    &len);
	if (err) {
		link = ERR_PTR(err);
		goto out;
	}
	rl = (const void *)buf;
	tlen = len >= sizeof(*rl) ? le32_to_cpu(rl->len) : 0;
	if (len < sizeof(*rl) || !tlen || tlen > TESS_SYMLINK_MAX ||
	    tlen != len - sizeof(*rl) ||
	    memchr(buf + sizeof(*rl), '\0', tlen)) {
		link = ERR_PTR(-EPROTO);
		goto out;
	}
	link = kmemdup_nul(buf + sizeof(*rl), tlen, GFP_NOFS);
	if (!link)
		link = ERR_PTR(-ENOMEM);
out:
	kfree(buf);
	return link;
}

int tess_mds_readdir(struct tess_sb_info *sbi, u64 ino, u64 cookie,
		     u32 flags, void *buf, u32 cap, u32 *len)
{
	struct tess_readdir_req r = {
		.ino = cpu_to_le64(ino),
		.cookie = cpu_to_le64(cookie),
		.max_bytes = cpu_to_le32(cap),
		.flags = cpu_to_le32(flags),
	};

	return tess_mds_call(sbi, TESS_OP_READDIR, &r, sizeof(r), buf, cap,
			     len);
}

int tess_mds_statfs(struct tess_sb_info *sbi, struct tess_statfs_rep *st)
{
	u32 len;
	int err;

	err = tess_mds_call(sbi, TESS_OP_STATFS, NULL, 0, st, sizeof(*st),
			    &len);
	if (!err && len != sizeof(*st))
		err = -EPROTO;
	return err;
}

/* GETXATTR and LISTXATTR: a value, a size (size 0) or ERANGE */
static ssize_t tess_mds_xattr_get(struct tess_sb_info *sbi, u16 op, u64 ino,
				  const char *name, void *buf, size_t size)
{
	size_t nlen = name ? strlen(name) : 0;
	struct tess_xattr_req *r;
	u32 cap, len;
	void *rep;
	ssize_t ret;
	int err;

	if (nlen > TESS_XATTR_NAME_MAX)
		return -ERANGE;
	if (size > TESS_XATTR_SIZE_MAX)
		size = TESS_XATTR_SIZE_MAX;
	/* room for the value or for a size reply */
	cap = max_t(u32, size, sizeof(struct tess_xattr_size_rep));
	r = kzalloc(sizeof(*r) + nlen, GFP_NOFS);
	rep = kvmalloc(cap, GFP_NOFS);
	if (!r || !rep) {
		ret = -ENOMEM;
		goto out;
	}
	r->ino = cpu_to_le64(ino);
	r->name_len = cpu_to_le32(nlen);
	r->value_len = cpu_to_le32(size);
	memcpy(r + 1, name, nlen);
	err = tess_mds_call(sbi, op, r, sizeof(*r) + nlen, rep, cap, &len);
	if (err) {
		ret = err;
		goto out;
	}
	if (size == 0) {
		const struct tess_xattr_size_rep *sr = rep;

		if (len != sizeof(*sr) ||
		    le32_to_cpu(sr->size) > TESS_XATTR_LIST_MAX) {
			ret = -EPROTO;
			goto out;
		}
		ret = le32_to_cpu(sr->size);
		goto out;
	}
	if (len > size) {
		ret = -EPROTO;
		goto out;
	}
	memcpy(buf, rep, len);
	ret = len;
out:
	kfree(r);
	kvfree(rep);
	return ret;
}

ssize_t tess_mds_getxattr(struct tess_sb_info *sbi, u64 ino, const char *name,
			  void *buf, size_t size)
{
	return tess_mds_xattr_get(sbi, TESS_OP_GETXATTR, ino, name, buf, size);
}

ssize_t tess_mds_listxattr(struct tess_sb_info *sbi, u64 ino, void *buf,
			   size_t size)
{
	return tess_mds_xattr_get(sbi, TESS_OP_LISTXATTR, ino, NULL, buf, size);
}

int tess_mds_setxattr(struct tess_sb_info *sbi, u64 ino, const char *name,
		      const void *value, size_t size, u32 flags)
{
	size_t nlen = strlen(name);
	struct tess_xattr_req *r;
	u32 len;
	int err;

	if (nlen > TESS_XATTR_NAME_MAX)
		return -ERANGE;
	if (size > TESS_XATTR_SIZE_MAX)
		return -E2BIG;
	len = sizeof(*r) + nlen + size;
	r = kvzalloc(len, GFP_NOFS);
	if (!r)
		return -ENOMEM;
	r->ino = cpu_to_le64(ino);
	r->flags = cpu_to_le32(flags);
	r->name_len = cpu_to_le32(nlen);
	r->value_len = cpu_to_le32(size);
	memcpy(r + 1, name, nlen);
	if (size)
		memcpy((u8 *)(r + 1) + nlen, value, size);
	err = tess_mds_call(sbi, TESS_OP_SETXATTR, r, len, NULL, 0, NULL);
	kvfree(r);
	return err;
}

int tess_mds_removexattr(struct tess_sb_info *sbi, u64 ino, const char *name)
{
	u8 body[sizeof(struct tess_xattr_req) + TESS_XATTR_NAME_MAX];
	struct tess_xattr_req *r = (void *)body;
	size_t nlen = strlen(name);

	if (nlen > TESS_XATTR_NAME_MAX)
		return -ERANGE;
	memset(r, 0, sizeof(*r));
	r->ino = cpu_to_le64(ino);
	r->name_len = cpu_to_le32(nlen);
	memcpy(r + 1, name, nlen);
	return tess_mds_call(sbi, TESS_OP_REMOVEXATTR, body, sizeof(*r) + nlen,
			     NULL, 0, NULL);
}

int tess_mds_get_layout(struct tess_sb_info *sbi, u64 ino, void *buf, u32 cap,
			u32 *len)
{
	struct tess_ino_req r = { .ino = cpu_to_le64(ino) };

	return tess_mds_call(sbi, TESS_OP_GET_LAYOUT, &r, sizeof(r), buf, cap,
			     len);
}

int tess_mds_set_layout(struct tess_sb_info *sbi, u64 ino,
			const struct tess_layout *lo, u32 lo_len, void *buf,
			u32 cap, u32 *len)
{
	struct tess_set_layout_req *r;
	int err;

	if (lo_len > TESS_LAYOUT_BYTES(TESS_MAX_STRIPES))
		return -EINVAL;
	r = kzalloc(sizeof(*r) + lo_len, GFP_NOFS);
	if (!r)
		return -ENOMEM;
	r->ino = cpu_to_le64(ino);
	r->layout_len = cpu_to_le32(lo_len);
	memcpy(r + 1, lo, lo_len);
	err = tess_mds_call(sbi, TESS_OP_SET_LAYOUT, r, sizeof(*r) + lo_len,
			    buf, cap, len);
	kfree(r);
	return err;
}

int tess_mds_ost_list(struct tess_sb_info *sbi, void *buf, u32 cap, u32 *len)
{
	const struct tess_ost_list_rep *lr = buf;
	int err;

	err = tess_mds_call(sbi, TESS_OP_OST_LIST, NULL, 0, buf, cap, len);
	if (err)
		return err;
	if (*len < sizeof(*lr) || le32_to_cpu(lr->count) > TESS_MAX_OSTS ||
	    *len != sizeof(*lr) +
		    le32_to_cpu(lr->count) * sizeof(struct tess_ost_info))
		return -EPROTO;
	return 0;
}
