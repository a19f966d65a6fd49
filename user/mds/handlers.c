// SPDX-License-Identifier: MIT
/*
 * handlers.c - MDS request handlers: decode a request body (already
 * accepted by tess_msg_check, but every pull is still checked), call the
 * store with host-order arguments, encode the reply into rep->body.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "handlers.h"
#include "tess_stripe.h"

struct hctx {
	struct mds *m;
	struct tnet_conn *c;
	const struct tnet_msg *req;
	struct tnet_reply *rep;
	struct tess_cursor cur;
	struct perm_cred cred;		/* the caller, squashed */
	char what[200];			/* for the log line of a refusal */
};

#define PULL(h, n) tess_pull(&(h)->cur, (n))

/* a name for a log line: printable, bounded */
static void esc(char *out, size_t cap, const char *s, uint32_t len)
{
	size_t o = 0;
	uint32_t i;

	for (i = 0; i < len && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
	}
	if (i < len && o + 4 <= cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int put_inode(struct hctx *h, const struct mds_attr *a,
		     const struct mds_layout *lo)
{
	uint8_t lbuf[TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	struct tess_inode_rep *r;
	uint32_t n = 0;

	r = tess_buf_reserve(&h->rep->body, sizeof(*r));
	if (!r)
		return -EMSGSIZE;
	mds_attr_to_wire(a, &r->attr);
	if (lo && S_ISREG(a->mode) && lo->pattern)
		n = mds_layout_encode(lo, lbuf);
	r->layout_len = cpu_to_le32(n);
	tess_buf_put(&h->rep->body, lbuf, n);
	return h->rep->body.err;
}

static int put_layout(struct hctx *h, const struct mds_layout *lo)
{
	uint8_t lbuf[TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	uint32_t n = lo->pattern ? mds_layout_encode(lo, lbuf) : 0;

	tess_buf_put(&h->rep->body, lbuf, n);
	return h->rep->body.err;
}

/* ---- permissions (perm.c has the rules) ---- */

static bool is_root(const struct hctx *h)
{
	return h->cred.uid == 0;
}

/*
 * want on directory dir, which the operation resolves names in; its
 * attributes in *d.  Root is not checked (nor the directory read).
 */
static int dir_may(struct hctx *h, uint64_t dir, int want, struct mds_attr *d)
{
	int rc;

	if (is_root(h))
		return 0;
	rc = mds_getattr(h->m->store, dir, d, NULL);
	if (rc)
		return rc;
	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	return perm_may(&h->cred, d, want);
}

/* want on inode ino */
static int ino_may(struct hctx *h, uint64_t ino, int want)
{
	struct mds_attr a;
	int rc;

	if (is_root(h))
		return 0;
	rc = mds_getattr(h->m->store, ino, &a, NULL);
	return rc ? rc : perm_may(&h->cred, &a, want);
}

/* the owner, or want on ino (SET_LAYOUT, HSM_SET) */
static int owner_or_may(struct hctx *h, uint64_t ino, int want)
{
	struct mds_attr a;
	int rc;

	if (is_root(h))
		return 0;
	rc = mds_getattr(h->m->store, ino, &a, NULL);
	if (rc)
		return rc;
	return a.uid == h->cred.uid ? 0 : perm_may(&h->cred, &a, want);
}

/*
 * Removing (or renaming away) name from dir, whose attributes d are:
 * the sticky rule.  A name that is not there is left to the store.
 */
static int sticky_ok(struct hctx *h, uint64_t dir, const struct mds_attr *d,
		     const char *name, uint32_t len, struct mds_attr *victim)
{
	if (is_root(h))
		return 0;
	if (mds_lookup(h->m->store, dir, name, len, victim, NULL))
		return 0;
	return perm_sticky(&h->cred, d, victim);
}

/* ---- namespace ---- */

static int h_ino(struct hctx *h)
{
	const struct tess_ino_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout lo;
	struct mds_attr a;
	char buf[TESS_SYMLINK_MAX];
	uint64_t ino;
	uint32_t len;
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64, ino);
	switch (h->req->f.opcode) {
	case TESS_OP_GETATTR:
		rc = mds_getattr(h->m->store, ino, &a, &lo);
		return rc ? rc : put_inode(h, &a, &lo);
	case TESS_OP_READLINK: {
		struct tess_readlink_rep *rl;

		rc = mds_readlink(h->m->store, ino, buf, &len);
		if (rc)
			return rc;
		rl = tess_buf_reserve(&h->rep->body, sizeof(*rl));
		if (!rl)
			return -EMSGSIZE;
		rl->len = cpu_to_le32(len);
		tess_buf_put(&h->rep->body, buf, len);
		return h->rep->body.err;
	}
	case TESS_OP_GET_LAYOUT:
		rc = mds_get_layout(h->m->store, ino, &lo);
		return rc ? rc : put_layout(h, &lo);
	}
	return -EOPNOTSUPP;
}

/*
 * The open of ino with flags (TESS_OPEN_*) for this client, as OPEN and
 * CREATE with TESS_CREATE_OPEN make it: counted before the inode is read,
 * so that the destroyer, which looks at the counts after the unlink
 * committed, either sees this open or this one sees nlink 0.  An unlinked
 * inode is opened only by a client that joins an open already held, or by
 * a replay (TESS_OPEN_REPLAY) in the grace period; a new open of a removed
 * file gets ENOENT.  Its attributes and layout in *a and *lo; on an error
 * nothing stays counted.
 */
static int open_counted(struct hctx *h, uint64_t ino, uint32_t flags,
			struct mds_attr *a, struct mds_layout *lo)
{
	struct mds_opens *o = h->m->opens;
	uint32_t held = 0;
	bool replay;
	int rc;

	if (o)
		held = mds_opens_open(o, h->c->peer_uuid, ino);
	rc = mds_getattr(h->m->store, ino, a, lo);
	replay = (flags & TESS_OPEN_REPLAY) && o && mds_opens_in_grace(o);
	if (!rc && !a->nlink && !held && o && !replay)
		rc = -ENOENT;
	/*
	 * An open made before a restart was allowed then: not again.  The
	 * owner of a file its open created gets what it asked for.
	 */
	if (!rc && !replay && !((flags & TESS_OPEN_CREATED) &&
				a->uid == h->cred.uid))
		rc = perm_may(&h->cred, a,
			      (flags & TESS_OPEN_EXEC ? PERM_X :
			       flags & TESS_OPEN_READ ? PERM_R : 0) |
			      (flags & TESS_OPEN_WRITE ? PERM_W : 0));
	if (rc && o)
		mds_opens_close(o, h->c->peer_uuid, ino);
	return rc;
}

/* OPEN (open_counted) and CLOSE */
static int h_open(struct hctx *h)
{
	const struct tess_open_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout lo;
	struct mds_opens *o = h->m->opens;
	struct mds_attr a;
	uint64_t ino;
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " flags %#x", ino,
		 le32_to_cpu(r->flags));
	if (h->req->f.opcode == TESS_OP_CLOSE) {
		/* the last close: its objects can go, or be trimmed */
		if (o && mds_opens_close(o, h->c->peer_uuid, ino) &&
		    mds_getattr(h->m->store, ino, &a, NULL) == 0 &&
		    (!a.nlink || mds_trim_pending(h->m->store, ino)))
			mds_osts_kick(h->m->osts);
		return 0;
	}
	rc = open_counted(h, ino, le32_to_cpu(r->flags), &a, &lo);
	return rc ? rc : put_inode(h, &a, &lo);
}

static int h_name(struct hctx *h)
{
	const struct tess_name_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout lo;
	struct mds_attr a, d;
	const char *name;
	uint64_t parent;
	uint32_t len;
	char e[80];
	int rc;

	if (!r)
		return -EBADMSG;
	parent = le64_to_cpu(r->parent);
	len = le32_to_cpu(r->name_len);
	name = PULL(h, len);
	if (!name)
		return -EBADMSG;
	esc(e, sizeof(e), name, len);
	snprintf(h->what, sizeof(h->what), "parent %" PRIu64 " name '%s'",
		 parent, e);
	if (h->req->f.opcode == TESS_OP_LOOKUP) {
		rc = dir_may(h, parent, PERM_X, &d);
		if (!rc)
			rc = mds_lookup(h->m->store, parent, name, len, &a, &lo);
		return rc ? rc : put_inode(h, &a, &lo);
	}
	rc = dir_may(h, parent, PERM_W | PERM_X, &d);
	if (!rc)
		rc = sticky_ok(h, parent, &d, name, len, &a);
	if (rc)
		return rc;
	switch (h->req->f.opcode) {
	case TESS_OP_UNLINK:
		return mds_unlink(h->m->store, parent, name, len);
	case TESS_OP_RMDIR:
		return mds_rmdir(h->m->store, parent, name, len);
	}
	return -EOPNOTSUPP;
}

static int h_setattr(struct hctx *h)
{
	const struct tess_setattr_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout lo;
	struct mds_setattr sa;
	struct mds_attr a;
	uint64_t ino;
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	sa.valid = le32_to_cpu(r->valid);
	sa.mode = le32_to_cpu(r->mode);
	sa.uid = le32_to_cpu(r->uid);
	sa.gid = le32_to_cpu(r->gid);
	sa.size = le64_to_cpu(r->size);
	sa.atime_sec = le64_to_cpu(r->atime_sec);
	sa.mtime_sec = le64_to_cpu(r->mtime_sec);
	sa.ctime_sec = le64_to_cpu(r->ctime_sec);
	sa.atime_nsec = le32_to_cpu(r->atime_nsec);
	sa.mtime_nsec = le32_to_cpu(r->mtime_nsec);
	sa.ctime_nsec = le32_to_cpu(r->ctime_nsec);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " valid %#x size %"
		 PRIu64, ino, sa.valid, sa.size);
	if ((sa.valid & (TESS_SA_ATIME | TESS_SA_ATIME_NOW)) &&
	    sa.atime_nsec >= 1000000000u && !(sa.valid & TESS_SA_ATIME_NOW))
		return -EINVAL;
	if ((sa.valid & TESS_SA_MTIME) && !(sa.valid & TESS_SA_MTIME_NOW) &&
	    sa.mtime_nsec >= 1000000000u)
		return -EINVAL;
	if ((sa.valid & TESS_SA_CTIME) && sa.ctime_nsec >= 1000000000u)
		return -EINVAL;
	if (!is_root(h)) {
		rc = mds_getattr(h->m->store, ino, &a, NULL);
		if (rc)
			return rc;
		rc = perm_setattr(&h->cred, &a, &sa, h->m->opens && h->c &&
				  mds_opens_count(h->m->opens, h->c->peer_uuid,
						  ino));
		if (rc)
			return rc;
	}
	rc = mds_setattr(h->m->store, ino, &sa, &a, &lo);
	return rc ? rc : put_inode(h, &a, &lo);
}

static int h_create(struct hctx *h)
{
	const struct tess_create_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout req_lo, lo;
	struct mds_create c;
	struct mds_attr a, d;
	const void *lw;
	uint32_t llen, flags, oflags;
	char e[80];
	int rc;

	if (!r)
		return -EBADMSG;
	memset(&c, 0, sizeof(c));
	c.parent = le64_to_cpu(r->parent);
	c.mode = le32_to_cpu(r->mode);
	c.uid = le32_to_cpu(r->uid);
	c.gid = le32_to_cpu(r->gid);
	c.rdev = le32_to_cpu(r->rdev);
	flags = le32_to_cpu(r->flags);
	oflags = le32_to_cpu(r->open_flags);
	c.flags = flags & ~TESS_CREATE_OPEN;
	c.name_len = le32_to_cpu(r->name_len);
	llen = le32_to_cpu(r->layout_len);
	/* the layout (CREATE only) comes before the name */
	lw = llen ? PULL(h, llen) : NULL;
	c.name = PULL(h, c.name_len);
	if (!c.name || (llen && !lw))
		return -EBADMSG;
	esc(e, sizeof(e), c.name, c.name_len);
	snprintf(h->what, sizeof(h->what), "parent %" PRIu64 " name '%s' "
		 "mode %#o flags %#x open_flags %#x", c.parent, e, c.mode,
		 flags, oflags);
	/*
	 * CREATE_OPEN: of a regular file, with the flags of an OPEN (not a
	 * replay, which a create cannot be); open_flags only with it.
	 */
	if (flags & ~TESS_CREATE_KNOWN)
		return -EINVAL;
	if (flags & TESS_CREATE_OPEN) {
		if (h->req->f.opcode != TESS_OP_CREATE ||
		    ((c.mode & S_IFMT) && (c.mode & S_IFMT) != S_IFREG) ||
		    (oflags & ~(TESS_OPEN_READ | TESS_OPEN_WRITE |
				TESS_OPEN_EXEC | TESS_OPEN_CREATED)))
			return -EINVAL;
	} else if (oflags) {
		return -EINVAL;
	}
	rc = dir_may(h, c.parent, PERM_W | PERM_X, &d);
	if (rc)
		return rc;
	perm_new_owner(&h->cred, &d, &c.uid, &c.gid, &c.mode);
	if (h->req->f.opcode == TESS_OP_MKDIR) {
		if (llen)
			return -EINVAL;
		rc = mds_mkdir(h->m->store, &c, &a);
		return rc ? rc : put_inode(h, &a, NULL);
	}
	if (llen) {
		rc = mds_layout_decode(lw, llen, &req_lo);
		if (rc)
			return rc;
		c.layout = &req_lo;
	}
	if (!(flags & TESS_CREATE_OPEN)) {
		rc = mds_create(h->m->store, &c, &a, &lo);
		return rc ? rc : put_inode(h, &a, &lo);
	}
	/*
	 * CREATE_OPEN: exclusive first, so that we know whether this request
	 * made the file (its owner then gets the access asked for, as with
	 * TESS_OPEN_CREATED); without TESS_CREATE_EXCL an existing regular
	 * file is then opened with its access checked.  A resent copy gets
	 * the kept reply: the open is counted once.
	 */
	oflags &= ~(uint32_t)TESS_OPEN_CREATED;
	c.flags |= TESS_CREATE_EXCL;
	rc = mds_create(h->m->store, &c, &a, &lo);
	if (!rc) {
		oflags |= TESS_OPEN_CREATED;
	} else if (rc == -EEXIST && !(flags & TESS_CREATE_EXCL)) {
		c.flags &= ~(uint32_t)TESS_CREATE_EXCL;
		rc = mds_create(h->m->store, &c, &a, &lo);
	}
	if (!rc)
		rc = open_counted(h, a.ino, oflags, &a, &lo);
	return rc ? rc : put_inode(h, &a, &lo);
}

static int h_symlink(struct hctx *h)
{
	const struct tess_symlink_req *r = PULL(h, sizeof(*r));
	const char *name, *target;
	struct mds_attr a, d;
	uint32_t nlen, tlen, uid, gid, mode;
	uint64_t parent;
	char e[80];
	int rc;

	if (!r)
		return -EBADMSG;
	parent = le64_to_cpu(r->parent);
	nlen = le32_to_cpu(r->name_len);
	tlen = le32_to_cpu(r->target_len);
	name = PULL(h, nlen);
	target = PULL(h, tlen);
	if (!name || !target)
		return -EBADMSG;
	esc(e, sizeof(e), name, nlen);
	snprintf(h->what, sizeof(h->what), "parent %" PRIu64 " name '%s'",
		 parent, e);
	rc = dir_may(h, parent, PERM_W | PERM_X, &d);
	if (rc)
		return rc;
	uid = le32_to_cpu(r->uid);
	gid = le32_to_cpu(r->gid);
	mode = S_IFLNK | 0777;
	perm_new_owner(&h->cred, &d, &uid, &gid, &mode);
	rc = mds_symlink(h->m->store, parent, name, nlen, target, tlen,
			 uid, gid, &a);
	return rc ? rc : put_inode(h, &a, NULL);
}

/*
 * RENAME: write and search on both directories, the sticky rule for the
 * source and for a target that is replaced, and write on a directory
 * that moves to another parent (its ".." changes).
 */
static int rename_may(struct hctx *h, uint64_t op, const char *on,
		      uint32_t ol, uint64_t np, const char *nn, uint32_t nl)
{
	struct mds_attr od, nd, v;
	int rc;

	if (is_root(h))
		return 0;
	rc = dir_may(h, op, PERM_W | PERM_X, &od);
	if (!rc)
		rc = dir_may(h, np, PERM_W | PERM_X, &nd);
	if (rc)
		return rc;
	if (!mds_lookup(h->m->store, op, on, ol, &v, NULL)) {
		rc = perm_sticky(&h->cred, &od, &v);
		if (!rc && S_ISDIR(v.mode) && op != np)
			rc = perm_may(&h->cred, &v, PERM_W);
		if (rc)
			return rc;
	}
	if (!mds_lookup(h->m->store, np, nn, nl, &v, NULL))
		rc = perm_sticky(&h->cred, &nd, &v);
	return rc;
}

static int h_rename(struct hctx *h)
{
	const struct tess_rename_req *r = PULL(h, sizeof(*r));
	const char *on, *nn;
	uint32_t ol, nl;
	uint64_t op, np;
	char e1[80], e2[80];
	int rc;

	if (!r)
		return -EBADMSG;
	op = le64_to_cpu(r->old_parent);
	np = le64_to_cpu(r->new_parent);
	ol = le32_to_cpu(r->old_len);
	nl = le32_to_cpu(r->new_len);
	on = PULL(h, ol);
	nn = PULL(h, nl);
	if (!on || !nn)
		return -EBADMSG;
	esc(e1, sizeof(e1), on, ol);
	esc(e2, sizeof(e2), nn, nl);
	snprintf(h->what, sizeof(h->what), "%" PRIu64 "/'%s' -> %" PRIu64
		 "/'%s'", op, e1, np, e2);
	rc = rename_may(h, op, on, ol, np, nn, nl);
	if (rc)
		return rc;
	return mds_rename(h->m->store, op, on, ol, np, nn, nl,
			  le32_to_cpu(r->flags));
}

static int h_link(struct hctx *h)
{
	const struct tess_link_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout lo;
	struct mds_attr a;
	const char *name;
	uint64_t ino, np;
	uint32_t len;
	char e[80];
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	np = le64_to_cpu(r->new_parent);
	len = le32_to_cpu(r->name_len);
	name = PULL(h, len);
	if (!name)
		return -EBADMSG;
	esc(e, sizeof(e), name, len);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " -> %" PRIu64
		 "/'%s'", ino, np, e);
	rc = dir_may(h, np, PERM_W | PERM_X, &a);
	if (rc)
		return rc;
	rc = mds_link(h->m->store, ino, np, name, len, &a, &lo);
	return rc ? rc : put_inode(h, &a, &lo);
}

struct rd_state {
	struct tess_buf *b;
	uint32_t max;
	uint32_t count;
};

static int rd_fill(void *arg, uint64_t ino, uint64_t cookie, uint32_t type,
		   const char *name, uint32_t len)
{
	struct rd_state *st = arg;
	struct tess_dirent *d;
	uint32_t need = (uint32_t)TESS_DIRENT_BYTES(len);

	if (st->b->len + need > st->max)
		return 1;
	d = tess_buf_reserve(st->b, need);
	if (!d)
		return 1;
	d->ino = cpu_to_le64(ino);
	d->cookie = cpu_to_le64(cookie);
	d->type = cpu_to_le32(type);
	d->name_len = cpu_to_le32(len);
	memcpy(d + 1, name, len);	/* padding was zeroed by reserve */
	st->count++;
	return 0;
}

/* an entry and its tess_dirent_plus, or 1 when both do not fit */
static int rd_fill_plus(void *arg, uint64_t ino, uint64_t cookie,
			uint32_t type, const char *name, uint32_t len,
			const struct mds_attr *a, bool sec)
{
	struct rd_state *st = arg;
	struct tess_dirent_plus *p;

	if (st->b->len + (uint32_t)TESS_DIRENT_PLUS_BYTES(len) > st->max)
		return 1;
	if (rd_fill(arg, ino, cookie, type, name, len))
		return 1;
	p = tess_buf_reserve(st->b, sizeof(*p));	/* zeroed */
	if (!p) {
		st->count--;		/* cannot happen: checked above */
		return 1;
	}
	/* attr.ino 0 (none) unless the record is this entry's inode */
	if (a && a->ino == ino) {
		mds_attr_to_wire(a, &p->attr);
		p->xflags = cpu_to_le32(sec ? TESS_DPLUS_SEC : 0);
	}
	return 0;
}

static int h_readdir(struct hctx *h)
{
	const struct tess_readdir_req *r = PULL(h, sizeof(*r));
	struct tess_readdir_rep *rr;
	struct rd_state st;
	uint64_t ino, cookie;
	bool eof, plus;
	int rc;

	if (!r)
		return -EBADMSG;
	if (le32_to_cpu(r->flags) & ~(uint32_t)TESS_READDIR_FLAGS)
		return -EINVAL;
	ino = le64_to_cpu(r->ino);
	cookie = le64_to_cpu(r->cookie);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " cookie %" PRIu64
		 " max %u flags %#x", ino, cookie, le32_to_cpu(r->max_bytes),
		 le32_to_cpu(r->flags));
	rc = ino_may(h, ino, PERM_R);
	if (rc)
		return rc;
	rr = tess_buf_reserve(&h->rep->body, sizeof(*rr));
	if (!rr)
		return -EMSGSIZE;
	st.b = &h->rep->body;
	st.max = le32_to_cpu(r->max_bytes);
	if (st.max > st.b->cap)
		st.max = st.b->cap;
	st.count = 0;
	plus = le32_to_cpu(r->flags) & TESS_READDIR_PLUS;
	if (plus)
		rc = mds_readdir_plus(h->m->store, ino, cookie, rd_fill_plus,
				      &st, &eof);
	else
		rc = mds_readdir(h->m->store, ino, cookie, rd_fill, &st, &eof);
	if (rc)
		return rc;
	if (!st.count && !eof)
		return -EINVAL;		/* max_bytes holds no entry */
	rr->count = cpu_to_le32(st.count);
	rr->eof = cpu_to_le32((eof ? TESS_READDIR_EOF : 0) |
			      (plus ? TESS_READDIR_PLUS : 0));
	return 0;
}

static int h_statfs(struct hctx *h)
{
	struct tess_statfs_rep *r = tess_buf_reserve(&h->rep->body, sizeof(*r));

	snprintf(h->what, sizeof(h->what), "statfs");
	if (!r)
		return -EMSGSIZE;
	return mds_osts_statfs(h->m->osts, r);
}

/* ---- xattrs ---- */

static int put_size(struct hctx *h, uint32_t size)
{
	struct tess_xattr_size_rep *r;

	h->rep->body.len = 0;
	h->rep->body.err = 0;
	r = tess_buf_reserve(&h->rep->body, sizeof(*r));
	if (!r)
		return -EMSGSIZE;
	r->size = cpu_to_le32(size);
	return 0;
}

/*
 * As Linux: trusted.* is root's; user.* needs read permission to get and
 * write permission to set or remove; any other name (security.*,
 * system.*) may be set or removed by the owner only.  LISTXATTR is free.
 */
static int xattr_may(struct hctx *h, uint64_t ino, const char *name,
		     uint32_t nlen)
{
	bool get = h->req->f.opcode == TESS_OP_GETXATTR;
	struct mds_attr a;
	int rc;

	if (is_root(h) || h->req->f.opcode == TESS_OP_LISTXATTR)
		return 0;
	if (nlen >= 8 && !memcmp(name, "trusted.", 8))
		return -EPERM;
	rc = mds_getattr(h->m->store, ino, &a, NULL);
	if (rc)
		return rc;
	if (nlen >= 5 && !memcmp(name, "user.", 5))
		return perm_may(&h->cred, &a, get ? PERM_R : PERM_W);
	if (!get && a.uid != h->cred.uid)
		return -EPERM;
	return 0;
}

static int h_xattr(struct hctx *h)
{
	const struct tess_xattr_req *r = PULL(h, sizeof(*r));
	struct tess_buf *b = &h->rep->body;
	const char *name = NULL;
	const void *val;
	uint32_t nlen, vlen, cap, size = 0;
	uint64_t ino;
	char e[80] = "";
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	nlen = le32_to_cpu(r->name_len);
	vlen = le32_to_cpu(r->value_len);
	if (h->req->f.opcode != TESS_OP_LISTXATTR) {
		name = PULL(h, nlen);
		if (!name)
			return -EBADMSG;
		esc(e, sizeof(e), name, nlen);
	}
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " name '%s' size %u",
		 ino, e, vlen);
	rc = xattr_may(h, ino, name, nlen);
	if (rc)
		return rc;
	cap = vlen;
	if (cap > b->cap - b->len)
		cap = b->cap - b->len;
	switch (h->req->f.opcode) {
	case TESS_OP_GETXATTR:
	case TESS_OP_LISTXATTR:
		if (h->req->f.opcode == TESS_OP_GETXATTR)
			rc = mds_getxattr(h->m->store, ino, name, nlen,
					  b->data + b->len, cap, &size);
		else
			rc = mds_listxattr(h->m->store, ino, b->data + b->len,
					   cap, &size);
		if (rc == -ERANGE) {
			/* the error reply tells the size needed */
			put_size(h, size);
			return -ERANGE;
		}
		if (rc)
			return rc;
		if (vlen == 0)
			return put_size(h, size);
		b->len += size;
		return 0;
	case TESS_OP_SETXATTR:
		val = PULL(h, vlen);
		if (!val)
			return -EBADMSG;
		return mds_setxattr(h->m->store, ino, name, nlen, val, vlen,
				    le32_to_cpu(r->flags));
	case TESS_OP_REMOVEXATTR:
		return mds_removexattr(h->m->store, ino, name, nlen);
	}
	return -EOPNOTSUPP;
}

/* ---- layouts and OSTs ---- */

static int h_set_layout(struct hctx *h)
{
	const struct tess_set_layout_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_layout req_lo, lo;
	const void *lw;
	uint64_t ino;
	uint32_t len;
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	len = le32_to_cpu(r->layout_len);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64, ino);
	lw = PULL(h, len);
	if (!lw)
		return -EBADMSG;
	rc = mds_layout_decode(lw, len, &req_lo);
	if (!rc)
		rc = owner_or_may(h, ino, PERM_W);
	if (!rc)
		rc = mds_set_layout(h->m->store, ino, &req_lo, &lo);
	return rc ? rc : put_layout(h, &lo);
}

static int h_ost_register(struct hctx *h)
{
	const struct tess_ost_register_req *r = PULL(h, sizeof(*r));
	const char *addr;
	uint32_t idx, len;
	char e[80];

	if (!r)
		return -EBADMSG;
	idx = le32_to_cpu(r->index);
	len = le32_to_cpu(r->addr_len);
	addr = PULL(h, len);
	if (!addr)
		return -EBADMSG;
	esc(e, sizeof(e), addr, len);
	snprintf(h->what, sizeof(h->what), "OST %u at '%s'", idx, e);
	if (h->c->role != TESS_ROLE_OST)
		return -EPERM;
	return mds_osts_register(h->m->osts, idx, addr, len, r->uuid,
				 h->req->f.opcode == TESS_OP_OST_REPLACE);
}

/* OST_LEAVE: a clean exit of an OST; down now, not after ping time-outs */
static int h_ost_leave(struct hctx *h)
{
	const struct tess_ost_leave_req *r = PULL(h, sizeof(*r));
	struct mds_ost o;
	uint32_t idx;

	if (!r)
		return -EBADMSG;
	idx = le32_to_cpu(r->index);
	snprintf(h->what, sizeof(h->what), "OST %u leaving", idx);
	if (h->c->role != TESS_ROLE_OST)
		return -EPERM;
	if (mds_ost_get(h->m->store, idx, &o))
		return -ENODEV;
	if (memcmp(o.uuid, r->uuid, 16))
		return -ESTALE;		/* not the store registered there */
	mds_ost_set_state(h->m->store, idx, TESS_OST_DOWN);
	tlog_level(LOG_NOTICE, "OST %u left (clean shutdown): marked down, no "
		   "new stripes on it until it registers again", idx);
	return 0;
}

static int put_owners(struct hctx *h, const struct mds_owner *tab, uint32_t n,
		      uint64_t cookie, bool eof)
{
	struct tess_obj_scan_rep *sr;
	uint32_t i;

	sr = tess_buf_reserve(&h->rep->body, sizeof(*sr));
	if (!sr)
		return -EMSGSIZE;
	sr->cookie = cpu_to_le64(cookie);
	sr->count = cpu_to_le32(n);
	sr->eof = cpu_to_le32(eof ? 1 : 0);
	for (i = 0; i < n; i++) {
		struct tess_obj_owner *o = tess_buf_reserve(&h->rep->body,
							    sizeof(*o));

		if (!o)
			return -EMSGSIZE;
		o->ino = cpu_to_le64(tab[i].ino);
		o->oid = cpu_to_le64(tab[i].oid);
		o->ost_idx = cpu_to_le32(tab[i].ost_idx);
		o->kind = cpu_to_le32(tab[i].kind);
		o->count = cpu_to_le32(tab[i].count);
	}
	return 0;
}

/* OBJ_SCAN: a page of object owners, for tessctl check */
static int h_obj_scan(struct hctx *h)
{
	const struct tess_obj_scan_req *r = PULL(h, sizeof(*r));
	struct mds_owner *tab;		/* not __thread: static TLS is on
					 * every thread's stack */
	uint64_t cookie;
	uint32_t n;
	bool eof;
	int rc;

	if (!r)
		return -EBADMSG;
	cookie = le64_to_cpu(r->cookie);
	snprintf(h->what, sizeof(h->what), "cookie %#" PRIx64, cookie);
	tab = malloc(TESS_OBJ_SCAN_MAX * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	rc = mds_obj_scan(h->m->store, &cookie, tab, le32_to_cpu(r->max), &n,
			  &eof);
	if (!rc)
		rc = put_owners(h, tab, n, cookie, eof);
	free(tab);
	return rc;
}


static int h_ost_list(struct hctx *h)
{
	static __thread struct mds_ost tab[TESS_MAX_OSTS];
	struct tess_ost_list_rep *lr;
	uint32_t n, i;

	snprintf(h->what, sizeof(h->what), "ost list");
	n = mds_ost_list(h->m->store, tab, TESS_MAX_OSTS);
	lr = tess_buf_reserve(&h->rep->body, sizeof(*lr));
	if (!lr)
		return -EMSGSIZE;
	lr->count = cpu_to_le32(n);
	for (i = 0; i < n; i++) {
		struct tess_ost_info *oi = tess_buf_reserve(&h->rep->body,
							     sizeof(*oi));

		if (!oi)
			return -EMSGSIZE;
		oi->index = cpu_to_le32(tab[i].index);
		oi->state = cpu_to_le32(tab[i].state);
		memcpy(oi->addr, tab[i].addr, sizeof(oi->addr));
		oi->addr[TESS_ADDR_MAX] = '\0';
	}
	return 0;
}

/* ---- HSM ---- */

static int put_hsm(struct hctx *h, uint64_t ino, const struct mds_hsm *x)
{
	struct tess_hsm_rep *r = tess_buf_reserve(&h->rep->body, sizeof(*r));
	uint32_t bl = (uint32_t)strlen(x->bucket);
	uint32_t kl = (uint32_t)strlen(x->key);
	uint32_t el = (uint32_t)strlen(x->etag);

	if (!r)
		return -EMSGSIZE;
	r->ino = cpu_to_le64(ino);
	r->state = cpu_to_le32(x->state);
	r->size = cpu_to_le64(x->size);
	r->mtime_sec = cpu_to_le64(x->mtime_sec);
	r->mtime_nsec = cpu_to_le32(x->mtime_nsec);
	r->bucket_len = cpu_to_le16((uint16_t)bl);
	r->key_len = cpu_to_le16((uint16_t)kl);
	r->etag_len = cpu_to_le16((uint16_t)el);
	memcpy(r->present, x->present, sizeof(r->present));
	tess_buf_put(&h->rep->body, x->bucket, bl);
	tess_buf_put(&h->rep->body, x->key, kl);
	tess_buf_put(&h->rep->body, x->etag, el);
	return h->rep->body.err;
}

static int h_hsm_get(struct hctx *h)
{
	const struct tess_ino_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_hsm x;
	uint64_t ino;
	int rc;

	if (!r)
		return -EBADMSG;
	ino = le64_to_cpu(r->ino);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64, ino);
	rc = mds_hsm_get(h->m->store, ino, &x);
	return rc ? rc : put_hsm(h, ino, &x);
}

/*
 * HSM_STATS: what hsm status needs of many files in one request, instead
 * of a GETATTR, an HSM_GET and an OBJ_HSM_GET per file (issue #13).  No
 * permission beyond GETATTR's (none: the inode numbers come from READDIR).
 */
static int h_hsm_stats(struct hctx *h)
{
	const struct tess_hsm_stats_req *r = PULL(h, sizeof(*r));
	struct tess_hsm_stats_rep *rr;
	static __thread struct mds_layout lo;
	static __thread struct mds_hsm x;
	uint32_t n;

	if (!r)
		return -EBADMSG;
	n = le32_to_cpu(r->count);
	snprintf(h->what, sizeof(h->what), "%u inodes", n);
	rr = tess_buf_reserve(&h->rep->body, sizeof(*rr));
	if (!rr)
		return -EMSGSIZE;
	rr->count = cpu_to_le32(n);
	for (uint32_t i = 0; i < n; i++) {
		const __le64 *ip = PULL(h, sizeof(*ip));
		struct tess_hsm_stat *o = tess_buf_reserve(&h->rep->body,
							   sizeof(*o));
		struct mds_attr a;
		uint64_t ino;

		if (!ip)
			return -EBADMSG;
		if (!o)
			return -EMSGSIZE;
		ino = le64_to_cpu(*ip);
		memset(o, 0, sizeof(*o));
		o->ino = cpu_to_le64(ino);
		if (mds_getattr(h->m->store, ino, &a, &lo))
			continue;		/* mode 0: gone */
		o->size = cpu_to_le64(a.size);
		o->mode = cpu_to_le32(a.mode);
		o->hsm_state = cpu_to_le32(a.hsm_state & TESS_HSM_ALL);
		o->present = cpu_to_le64(a.size);
		if (S_ISREG(a.mode) && (a.hsm_state & TESS_HSM_RELEASED)) {
			struct tess_stripe_geom g = { lo.stripe_size, lo.nobjs };
			uint64_t p = 0;

			if (lo.nobjs && !tess_stripe_geom_check(&g) &&
			    !mds_hsm_get(h->m->store, ino, &x))
				for (uint32_t k = 0; k < lo.nobjs; k++)
					if (x.present[k / 8] & (1u << (k % 8)))
						p += tess_stripe_obj_size(&g, k,
									  a.size);
			o->present = cpu_to_le64(p);
		}
	}
	return h->rep->body.err;
}

static int h_hsm_set(struct hctx *h)
{
	const struct tess_hsm_set_req *r = PULL(h, sizeof(*r));
	static __thread struct mds_hsm x;
	struct mds_hsm_set q;
	uint64_t ino;
	char e[80] = "";
	int rc;

	if (!r)
		return -EBADMSG;
	memset(&q, 0, sizeof(q));
	ino = le64_to_cpu(r->ino);
	q.valid = le32_to_cpu(r->valid);
	q.set = le32_to_cpu(r->state_set);
	q.clear = le32_to_cpu(r->state_clear);
	q.stripe = le32_to_cpu(r->stripe);
	q.size = le64_to_cpu(r->size);
	q.mtime_sec = le64_to_cpu(r->mtime_sec);
	q.mtime_nsec = le32_to_cpu(r->mtime_nsec);
	q.blen = le16_to_cpu(r->bucket_len);
	q.klen = le16_to_cpu(r->key_len);
	q.elen = le16_to_cpu(r->etag_len);
	q.bucket = PULL(h, q.blen);
	q.key = PULL(h, q.klen);
	q.etag = PULL(h, q.elen);
	if ((q.blen && !q.bucket) || (q.klen && !q.key) || (q.elen && !q.etag))
		return -EBADMSG;
	if (q.klen)
		esc(e, sizeof(e), q.key, q.klen);
	snprintf(h->what, sizeof(h->what), "ino %" PRIu64 " valid %#x set %#x "
		 "clear %#x key '%s'", ino, q.valid, q.set, q.clear, e);
	/* the origins hsm archives to and the OSTs restore from: servers'
	 * (hsm is role admin, OSTs report present stripes), issue #12 */
	if (h->c->role == TESS_ROLE_CLIENT)
		return -EPERM;
	rc = owner_or_may(h, ino, PERM_W);
	if (!rc)
		rc = mds_hsm_set(h->m->store, ino, &q, &x);
	return rc ? rc : put_hsm(h, ino, &x);
}

/* ---- dispatch ---- */

/* refusals that are part of normal operation are not logged */
static bool quiet(uint16_t op, int rc)
{
	return (op == TESS_OP_LOOKUP && rc == -ENOENT) ||
	       (op == TESS_OP_HSM_GET && rc == -ENODATA) ||
	       (op == TESS_OP_HSM_SET && rc == -ESTALE) ||
	       (op == TESS_OP_GETXATTR && rc == -ENODATA) ||
	       ((op == TESS_OP_GETXATTR || op == TESS_OP_LISTXATTR) &&
		rc == -ERANGE);
}

/* a user's request that its permissions do not allow: debug level */
static bool denied(uint16_t op, int rc)
{
	return (rc == -EACCES || rc == -EPERM) && op != TESS_OP_OST_REGISTER &&
	       op != TESS_OP_OST_REPLACE && op != TESS_OP_OST_LEAVE;
}

/* c->user of a connection refused for the connection limit */
static char refused_mark;

int mds_handle(void *ctx, struct tnet_conn *c, const struct tnet_msg *req,
	       struct tnet_reply *rep)
{
	struct hctx h = { .m = ctx, .c = c, .req = req, .rep = rep };
	uint16_t op = req->f.opcode;
	int rc;

	if (c && c->user == &refused_mark) {
		/* this reply, then the end of the connection */
		tnet_conn_shutdown_read(c);
		return EBUSY;
	}
	tess_cursor_init(&h.cur, req->body, req->f.body_len);
	perm_cred_from_wire(&h.cred, req->has_cred ? &req->cred : NULL);
	perm_squash_apply(&h.m->squash, c ? c->peer : NULL, &h.cred);
	switch (op) {
	case TESS_OP_PING:
		rc = 0;
		break;
	case TESS_OP_GETATTR:
	case TESS_OP_READLINK:
	case TESS_OP_GET_LAYOUT:
		rc = h_ino(&h);
		break;
	case TESS_OP_LOOKUP:
	case TESS_OP_UNLINK:
	case TESS_OP_RMDIR:
		rc = h_name(&h);
		break;
	case TESS_OP_SETATTR:
		rc = h_setattr(&h);
		break;
	case TESS_OP_CREATE:
	case TESS_OP_MKDIR:
		rc = h_create(&h);
		break;
	case TESS_OP_SYMLINK:
		rc = h_symlink(&h);
		break;
	case TESS_OP_RENAME:
		rc = h_rename(&h);
		break;
	case TESS_OP_LINK:
		rc = h_link(&h);
		break;
	case TESS_OP_READDIR:
		rc = h_readdir(&h);
		break;
	case TESS_OP_STATFS:
		rc = h_statfs(&h);
		break;
	case TESS_OP_GETXATTR:
	case TESS_OP_SETXATTR:
	case TESS_OP_LISTXATTR:
	case TESS_OP_REMOVEXATTR:
		rc = h_xattr(&h);
		break;
	case TESS_OP_SET_LAYOUT:
		rc = h_set_layout(&h);
		break;
	case TESS_OP_OST_REGISTER:
	case TESS_OP_OST_REPLACE:
		rc = h_ost_register(&h);
		break;
	case TESS_OP_OST_LEAVE:
		rc = h_ost_leave(&h);
		break;
	case TESS_OP_OST_LIST:
		rc = h_ost_list(&h);
		break;
	case TESS_OP_OBJ_SCAN:
		rc = h_obj_scan(&h);
		break;
	case TESS_OP_HSM_STATS:
		rc = h_hsm_stats(&h);
		break;
	case TESS_OP_HSM_GET:
		rc = h_hsm_get(&h);
		break;
	case TESS_OP_HSM_SET:
		rc = h_hsm_set(&h);
		break;
	case TESS_OP_OPEN:
	case TESS_OP_CLOSE:
		rc = h_open(&h);
		break;
	default:
		snprintf(h.what, sizeof(h.what), "not an MDS opcode");
		rc = -EOPNOTSUPP;
		break;
	}
	if (rc > 0)
		rc = -rc;
	if (rc && rc != -ERANGE) {
		/* an error reply carries no body */
		rep->body.len = 0;
		rep->body.err = 0;
	}
	if (rc && !quiet(op, rc))
		tlog_level(denied(op, rc) ? LOG_DEBUG : LOG_WARNING,
			   "%s from %s (role %d) refused: %s [%s]", tess_op_name(op),
		     c ? c->peer : "?", c ? c->role : 0, strerror(-rc), h.what);
	return -rc;
}

/* one line per 10 s at most, with the count refused since the last */
static void log_refusal(struct mds *m, struct tnet_conn *c, bool ost,
			uint32_t limit)
{
	struct timespec ts;
	int64_t last = atomic_load(&m->refused_logged);
	uint64_t n = atomic_fetch_add(&m->refused, 1) + 1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (last && ts.tv_sec - last < 10)
		return;
	if (!atomic_compare_exchange_strong(&m->refused_logged, &last,
					    (int64_t)ts.tv_sec))
		return;
	atomic_store(&m->refused, 0);
	if (ost)
		tlog_level(LOG_WARNING, "connection from %s refused: %u OST connections already "
		     "(%" PRIu64 " refused since the last line)", c->peer,
		     limit, n);
	else
		tlog_level(LOG_WARNING, "connection from %s refused: %u clients connected, the "
		     "--max-clients limit (%" PRIu64 " refused since the last "
		     "line; they get EBUSY)", c->peer, limit, n);
}

int mds_connected(void *ctx, struct tnet_conn *c)
{
	struct mds *m = ctx;
	bool ost = c->role == TESS_ROLE_OST;
	_Atomic uint32_t *count = ost ? &m->nost_conns : &m->nclients;
	uint32_t limit = ost ? TESS_MAX_OSTS : m->max_clients;

	if (atomic_fetch_add(count, 1) >= limit && limit) {
		atomic_fetch_sub(count, 1);
		c->user = &refused_mark;
		log_refusal(m, c, ost, limit);
		return 0;	/* its first request gets EBUSY */
	}
	if (m->opens)
		mds_opens_connected(m->opens, c->peer_uuid);
	return 0;
}

void mds_disconnected(void *ctx, struct tnet_conn *c)
{
	struct mds *m = ctx;

	if (c->user == &refused_mark)
		return;
	atomic_fetch_sub(c->role == TESS_ROLE_OST ? &m->nost_conns :
			 &m->nclients, 1);
	if (m->opens)
		mds_opens_disconnected(m->opens, c->peer_uuid);
}

/* requests that change state: a resent copy gets the kept reply */
bool mds_reply_cached(uint16_t opcode)
{
	switch (opcode) {
	case TESS_OP_SETATTR:
	case TESS_OP_CREATE:
	case TESS_OP_MKDIR:
	case TESS_OP_UNLINK:
	case TESS_OP_RMDIR:
	case TESS_OP_RENAME:
	case TESS_OP_LINK:
	case TESS_OP_SYMLINK:
	case TESS_OP_SETXATTR:
	case TESS_OP_REMOVEXATTR:
	case TESS_OP_SET_LAYOUT:
	case TESS_OP_HSM_SET:
	case TESS_OP_OPEN:
	case TESS_OP_CLOSE:
		return true;
	}
	return false;
}

const struct tnet_server_ops mds_server_ops = {
	.connected = mds_connected,
	.handle = mds_handle,
	.disconnected = mds_disconnected,
	.reply_cached = mds_reply_cached,
};
