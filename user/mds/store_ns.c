// SPDX-License-Identifier: MIT
/*
 * store_ns.c - the namespace in the store: directory entries, and the
 * operations on names (lookup, create, mkdir, symlink, readlink, link,
 * unlink, rmdir, rename, readdir).  store.c: the rules every operation
 * follows; store_gc.c: what the removal of a last name leaves.
 *
 * Directory cookies: a directory's inode record holds next_cookie, which
 * starts at 3 (1 and 2 are "." and "..").  Every insert of a name takes the
 * next value; it is never reused, so a readdir resuming after cookie C sees
 * every entry that stayed, exactly once, whatever was added or removed.
 */
#include <dirent.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "store_int.h"
#include "tnet.h"

#define MAX_LINKS	65000
#define MAX_DEPTH	100000

struct dent_val {
	uint64_t ino;
	uint64_t cookie;
	uint32_t type;
	uint32_t pad;
};

struct cookie_val {			/* then name */
	uint64_t ino;
	uint32_t type;
	uint32_t name_len;
};

/* ---- small helpers ---- */

static void touch_mctime(struct mds_attr *a)
{
	store_now_ts(&a->mtime_sec, &a->mtime_nsec);
	a->ctime_sec = a->mtime_sec;
	a->ctime_nsec = a->mtime_nsec;
}

static uint32_t dtype(uint32_t mode)
{
	return IFTODT(mode);
}

static int name_ok(const char *name, uint32_t len)
{
	if (!name)
		return -EINVAL;
	return tess_name_check(name, len);
}

static int dir_get(struct tx *tx, uint64_t ino, struct inode *in)
{
	int rc = store_ino_get(tx, ino, in);

	if (rc)
		return rc;
	return S_ISDIR(in->r.attr.mode) ? 0 : -ENOTDIR;
}

/* ---- directory entries ---- */

static size_t dent_key(uint8_t *k, uint64_t parent, const char *name,
		       uint32_t len)
{
	store_put_be64(k, parent);
	memcpy(k + 8, name, len);
	return 8 + len;
}

static int dent_get(struct tx *tx, uint64_t parent, const char *name,
		    uint32_t len, struct dent_val *d)
{
	uint8_t k[8 + TESS_NAME_MAX];
	size_t kl = dent_key(k, parent, name, len);
	MDB_val v;
	int rc = store_db_get(tx, tx->s->dirents, k, kl, &v);

	if (rc)
		return rc;
	if (v.mv_size != sizeof(*d)) {
		tlog_level(LOG_ERR, "store: entry of dir %" PRIu64 " is corrupt", parent);
		return -EIO;
	}
	memcpy(d, v.mv_data, sizeof(*d));
	return 0;
}

/* insert name -> ino in dir (caller writes dir back: next_cookie moved) */
static int dent_add(struct tx *tx, struct inode *dir, const char *name,
		    uint32_t len, uint64_t ino, uint32_t type)
{
	uint8_t k[8 + TESS_NAME_MAX], ck[16];
	uint8_t cv[sizeof(struct cookie_val) + TESS_NAME_MAX];
	struct dent_val d = { .ino = ino, .type = type };
	struct cookie_val c = { .ino = ino, .type = type, .name_len = len };
	size_t kl = dent_key(k, dir->r.attr.ino, name, len);
	int rc;

	if (dir->r.next_cookie < 3)
		dir->r.next_cookie = 3;
	d.cookie = dir->r.next_cookie++;
	rc = store_db_put(tx, tx->s->dirents, k, kl, &d, sizeof(d),
			  MDB_NOOVERWRITE);
	if (rc)
		return rc;
	store_put_be64(ck, dir->r.attr.ino);
	store_put_be64(ck + 8, d.cookie);
	memcpy(cv, &c, sizeof(c));
	memcpy(cv + sizeof(c), name, len);
	return store_db_put(tx, tx->s->dircookies, ck, 16, cv, sizeof(c) + len,
			    MDB_NOOVERWRITE);
}

static int dent_del(struct tx *tx, uint64_t parent, const char *name,
		    uint32_t len, uint64_t cookie)
{
	uint8_t k[8 + TESS_NAME_MAX], ck[16];
	size_t kl = dent_key(k, parent, name, len);
	int rc;

	rc = store_db_del(tx, tx->s->dirents, k, kl);
	if (rc)
		return rc;
	store_put_be64(ck, parent);
	store_put_be64(ck + 8, cookie);
	rc = store_db_del(tx, tx->s->dircookies, ck, 16);
	if (rc == -ENOENT) {
		tlog_level(LOG_WARNING, "store: dir %" PRIu64 " cookie %" PRIu64 " was missing",
		     parent, cookie);
		rc = 0;
	}
	return rc;
}

/* 0 if empty, -ENOTEMPTY, or an error */
static int dir_empty(struct tx *tx, uint64_t ino)
{
	uint8_t k[8];
	MDB_cursor *cur;
	MDB_val key = { 8, k }, v;
	int rc;

	store_put_be64(k, ino);
	rc = mdb_cursor_open(tx->t, tx->s->dirents, &cur);
	if (rc)
		return store_mdb_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = key.mv_size >= 8 && !memcmp(key.mv_data, k, 8) ?
			-ENOTEMPTY : 0;
	else
		rc = rc == MDB_NOTFOUND ? 0 : store_mdb_err(rc, "cursor_get");
	mdb_cursor_close(cur);
	return rc;
}

/* ---- namespace operations ---- */

int mds_lookup(struct mds_store *s, uint64_t parent, const char *name,
	       uint32_t len, struct mds_attr *a, struct mds_layout *lo)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (!rc)
		rc = dent_get(&tx, parent, name, len, &d);
	if (!rc) {
		rc = store_ino_get(&tx, d.ino, &in);
		if (rc == -ENOENT) {
			tlog_level(LOG_WARNING, "store: entry in dir %" PRIu64 " names missing "
			     "inode %" PRIu64, parent, d.ino);
			rc = -EIO;
		}
	}
	if (!rc)
		store_out_inode(&in, a, lo);
	return store_tx_end(&tx, rc);
}

static bool type_ok_for_create(uint32_t type)
{
	return type == S_IFREG || type == S_IFCHR || type == S_IFBLK ||
	       type == S_IFIFO || type == S_IFSOCK;
}

struct create_args {
	struct mds_store *s;
	const struct mds_create *c;
	struct mds_attr *a;
	struct mds_layout *lo;
};

static int create_once(void *arg, struct alloc *al)
{
	struct create_args *x = arg;
	struct mds_store *s = x->s;
	const struct mds_create *c = x->c;
	struct mds_attr *a = x->a;
	struct mds_layout *lo = x->lo;
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	uint32_t type = c->mode & S_IFMT;
	uint64_t ino;
	int rc = name_ok(c->name, c->name_len);

	if (rc)
		return rc;
	if (!type)
		type = S_IFREG;
	if (!type_ok_for_create(type))
		return -EINVAL;
	if (c->flags & ~TESS_CREATE_EXCL)
		return -EINVAL;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	tx.alloc = al;
	rc = dir_get(&tx, c->parent, &dir);
	if (rc)
		goto out;
	rc = dent_get(&tx, c->parent, c->name, c->name_len, &d);
	if (rc == 0) {
		/* an existing regular file is opened, not created */
		rc = -EEXIST;
		if (!(c->flags & TESS_CREATE_EXCL) && type == S_IFREG &&
		    store_ino_get(&tx, d.ino, &in) == 0 &&
		    S_ISREG(in.r.attr.mode)) {
			store_out_inode(&in, a, lo);
			tx.write = false;	/* nothing to write */
			rc = 0;
		}
		goto out;
	}
	if (rc != -ENOENT)
		goto out;
	rc = store_meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	store_init_inode(&in, ino, type | (c->mode & 07777), c->uid, c->gid);
	if (type == S_IFCHR || type == S_IFBLK)
		in.r.attr.rdev = c->rdev;
	if (type == S_IFREG) {
		rc = store_layout_alloc(&tx, c->layout, &dir.lo, 1, &in.lo);
		if (rc)
			goto out;
	}
	rc = store_ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, c->name, c->name_len, ino, dtype(type));
	if (rc)
		goto out;
	touch_mctime(&dir.r.attr);
	rc = store_ino_put(&tx, &dir);
	if (!rc)
		store_out_inode(&in, a, lo);
out:
	return store_tx_end(&tx, rc);
}

int mds_create(struct mds_store *s, const struct mds_create *c,
	       struct mds_attr *a, struct mds_layout *lo)
{
	struct create_args x = { s, c, a, lo };

	return store_with_objects(s, create_once, &x);
}

int mds_mkdir(struct mds_store *s, const struct mds_create *c,
	      struct mds_attr *a)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	uint64_t ino;
	int rc = name_ok(c->name, c->name_len);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, c->parent, &dir);
	if (rc)
		goto out;
	rc = dent_get(&tx, c->parent, c->name, c->name_len, &d);
	if (rc != -ENOENT) {
		rc = rc ? rc : -EEXIST;
		goto out;
	}
	if (dir.r.attr.nlink >= MAX_LINKS) {
		rc = -EMLINK;
		goto out;
	}
	rc = store_meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	store_init_inode(&in, ino, S_IFDIR | (c->mode & 07777), c->uid, c->gid);
	in.r.attr.nlink = 2;
	in.r.attr.size = 4096;
	in.r.parent = c->parent;
	in.r.next_cookie = 3;
	/* the default layout is inherited down the tree */
	memcpy(&in.lo, &dir.lo, offsetof(struct mds_layout, objs));
	in.lo.nobjs = 0;
	rc = store_ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, c->name, c->name_len, ino, DT_DIR);
	if (rc)
		goto out;
	dir.r.attr.nlink++;
	touch_mctime(&dir.r.attr);
	rc = store_ino_put(&tx, &dir);
	if (!rc && a)
		*a = in.r.attr;
out:
	return store_tx_end(&tx, rc);
}

int mds_symlink(struct mds_store *s, uint64_t parent, const char *name,
		uint32_t len, const char *target, uint32_t tlen, uint32_t uid,
		uint32_t gid, struct mds_attr *a)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	uint8_t k[8];
	uint64_t ino;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	if (tlen > TESS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (!target || tlen == 0 || memchr(target, '\0', tlen))
		return -EINVAL;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (rc)
		goto out;
	rc = dent_get(&tx, parent, name, len, &d);
	if (rc != -ENOENT) {
		rc = rc ? rc : -EEXIST;
		goto out;
	}
	rc = store_meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	store_init_inode(&in, ino, S_IFLNK | 0777, uid, gid);
	in.r.attr.size = tlen;
	store_put_be64(k, ino);
	rc = store_db_put(&tx, s->symlinks, k, 8, target, tlen, 0);
	if (!rc)
		rc = store_ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, name, len, ino, DT_LNK);
	if (rc)
		goto out;
	touch_mctime(&dir.r.attr);
	rc = store_ino_put(&tx, &dir);
	if (!rc && a)
		*a = in.r.attr;
out:
	return store_tx_end(&tx, rc);
}

int mds_readlink(struct mds_store *s, uint64_t ino, char *buf, uint32_t *len)
{
	struct tx tx;
	struct inode in;
	uint8_t k[8];
	MDB_val v;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (!rc && !S_ISLNK(in.r.attr.mode))
		rc = -EINVAL;
	if (!rc) {
		store_put_be64(k, ino);
		rc = store_db_get(&tx, s->symlinks, k, 8, &v);
		if (rc == -ENOENT || (!rc && (v.mv_size == 0 ||
					      v.mv_size > TESS_SYMLINK_MAX))) {
			tlog("store: symlink %" PRIu64 " has no valid target",
			     ino);
			rc = -EIO;
		}
	}
	if (!rc) {
		memcpy(buf, v.mv_data, v.mv_size);
		*len = (uint32_t)v.mv_size;
	}
	return store_tx_end(&tx, rc);
}

int mds_link(struct mds_store *s, uint64_t ino, uint64_t new_parent,
	     const char *name, uint32_t len, struct mds_attr *a,
	     struct mds_layout *lo)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	if (S_ISDIR(in.r.attr.mode)) {
		rc = -EPERM;
		goto out;
	}
	if (in.r.attr.nlink == 0) {	/* an orphan: no new names */
		rc = -ENOENT;
		goto out;
	}
	if (in.r.attr.nlink >= MAX_LINKS) {
		rc = -EMLINK;
		goto out;
	}
	rc = dir_get(&tx, new_parent, &dir);
	if (rc)
		goto out;
	rc = dent_get(&tx, new_parent, name, len, &d);
	if (rc != -ENOENT) {
		rc = rc ? rc : -EEXIST;
		goto out;
	}
	rc = dent_add(&tx, &dir, name, len, ino, dtype(in.r.attr.mode));
	if (rc)
		goto out;
	in.r.attr.nlink++;
	store_touch_ctime(&in.r.attr);
	touch_mctime(&dir.r.attr);
	rc = store_ino_put(&tx, &in);
	if (!rc)
		rc = store_ino_put(&tx, &dir);
	if (!rc)
		store_out_inode(&in, a, lo);
out:
	return store_tx_end(&tx, rc);
}

/* look up the inode behind (parent, name), with its entry */
static int child_get(struct tx *tx, uint64_t parent, const char *name,
		     uint32_t len, struct dent_val *d, struct inode *in)
{
	int rc = dent_get(tx, parent, name, len, d);

	if (rc)
		return rc;
	rc = store_ino_get(tx, d->ino, in);
	if (rc == -ENOENT) {
		tlog_level(LOG_WARNING, "store: entry in dir %" PRIu64 " names missing inode %"
		     PRIu64, parent, d->ino);
		rc = -EIO;
	}
	return rc;
}

/*
 * unlink (dir false) and rmdir (dir true): the name goes; a file loses a
 * link (store_drop_link: the last one makes it an orphan), an empty
 * directory goes with its name and its parent's ".." link.
 */
static int remove_name(struct mds_store *s, uint64_t parent, const char *name,
		       uint32_t len, bool dir_wanted)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (!rc)
		rc = child_get(&tx, parent, name, len, &d, &in);
	if (rc)
		goto out;
	if (!!S_ISDIR(in.r.attr.mode) != dir_wanted) {
		rc = dir_wanted ? -ENOTDIR : -EISDIR;
		goto out;
	}
	if (dir_wanted)
		rc = dir_empty(&tx, d.ino);
	if (!rc)
		rc = dent_del(&tx, parent, name, len, d.cookie);
	if (!rc)
		rc = dir_wanted ? store_ino_remove(&tx, &in) :
				  store_drop_link(&tx, &in);
	if (rc)
		goto out;
	if (dir_wanted && dir.r.attr.nlink > 2)
		dir.r.attr.nlink--;
	touch_mctime(&dir.r.attr);
	rc = store_ino_put(&tx, &dir);
out:
	return store_tx_end(&tx, rc);
}

int mds_unlink(struct mds_store *s, uint64_t parent, const char *name,
	       uint32_t len)
{
	return remove_name(s, parent, name, len, false);
}

int mds_rmdir(struct mds_store *s, uint64_t parent, const char *name,
	      uint32_t len)
{
	return remove_name(s, parent, name, len, true);
}

/* -EINVAL if dir `ino` is `anc` or below it */
static int check_not_below(struct tx *tx, uint64_t ino, uint64_t anc)
{
	struct inode in;
	int depth, rc;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		if (ino == anc)
			return -EINVAL;
		if (ino == TESS_ROOT_INO)
			return 0;
		rc = store_ino_get(tx, ino, &in);
		if (rc)
			return rc == -ENOENT ? -EIO : rc;
		ino = in.r.parent;
	}
	tlog_level(LOG_ERR, "store: directory parent chain loops above %" PRIu64, ino);
	return -EIO;
}

int mds_rename(struct mds_store *s, uint64_t old_parent, const char *old_name,
	       uint32_t old_len, uint64_t new_parent, const char *new_name,
	       uint32_t new_len, uint32_t flags)
{
	struct tx tx;
	struct inode odir, ndir_buf, src, tgt, *ndir;
	struct dent_val sd, td;
	bool have_tgt = false, isdir;
	int rc;

	rc = name_ok(old_name, old_len);
	if (!rc)
		rc = name_ok(new_name, new_len);
	if (rc)
		return rc;
	if (flags & ~TESS_RENAME_NOREPLACE)
		return -EINVAL;
	rc = store_tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, old_parent, &odir);
	if (rc)
		goto out;
	ndir = &odir;
	if (new_parent != old_parent) {
		ndir = &ndir_buf;
		rc = dir_get(&tx, new_parent, ndir);
		if (rc)
			goto out;
	}
	rc = child_get(&tx, old_parent, old_name, old_len, &sd, &src);
	if (rc)
		goto out;
	isdir = S_ISDIR(src.r.attr.mode);
	rc = dent_get(&tx, new_parent, new_name, new_len, &td);
	if (rc == 0) {
		have_tgt = true;
		if (td.ino == sd.ino) {	/* same file: nothing to do */
			tx.write = false;
			goto out;
		}
		if (flags & TESS_RENAME_NOREPLACE) {
			rc = -EEXIST;
			goto out;
		}
		rc = store_ino_get(&tx, td.ino, &tgt);
		if (rc) {
			rc = rc == -ENOENT ? -EIO : rc;
			goto out;
		}
		if (isdir && !S_ISDIR(tgt.r.attr.mode))
			rc = -ENOTDIR;
		else if (!isdir && S_ISDIR(tgt.r.attr.mode))
			rc = -EISDIR;
		else if (isdir)
			rc = dir_empty(&tx, td.ino);
		if (rc)
			goto out;
	} else if (rc != -ENOENT) {
		goto out;
	}
	if (isdir && new_parent != old_parent) {
		rc = check_not_below(&tx, new_parent, sd.ino);
		if (rc)
			goto out;
	}

	rc = dent_del(&tx, old_parent, old_name, old_len, sd.cookie);
	if (rc)
		goto out;
	if (have_tgt) {
		rc = dent_del(&tx, new_parent, new_name, new_len, td.cookie);
		if (rc)
			goto out;
		if (S_ISDIR(tgt.r.attr.mode)) {
			rc = store_ino_remove(&tx, &tgt);
			if (ndir->r.attr.nlink > 2)
				ndir->r.attr.nlink--;
		} else {
			rc = store_drop_link(&tx, &tgt);
		}
		if (rc)
			goto out;
	}
	rc = dent_add(&tx, ndir, new_name, new_len, sd.ino,
		      dtype(src.r.attr.mode));
	if (rc)
		goto out;
	if (isdir && new_parent != old_parent) {
		src.r.parent = new_parent;
		if (odir.r.attr.nlink > 2)
			odir.r.attr.nlink--;
		ndir->r.attr.nlink++;
	}
	store_touch_ctime(&src.r.attr);
	touch_mctime(&odir.r.attr);
	if (ndir != &odir)
		touch_mctime(&ndir->r.attr);
	rc = store_ino_put(&tx, &src);
	if (!rc)
		rc = store_ino_put(&tx, &odir);
	if (!rc && ndir != &odir)
		rc = store_ino_put(&tx, ndir);
out:
	return store_tx_end(&tx, rc);
}

/* whether ino has an xattr named security.*: one cursor seek */
static bool has_sec_xattr(MDB_cursor *xc, uint64_t ino)
{
	static const char pfx[] = "security.";
	uint8_t k[8 + sizeof(pfx) - 1];
	MDB_val key = { sizeof(k), k }, v;

	store_put_be64(k, ino);
	memcpy(k + 8, pfx, sizeof(pfx) - 1);
	if (mdb_cursor_get(xc, &key, &v, MDB_SET_RANGE))
		return false;
	return key.mv_size > sizeof(k) && !memcmp(key.mv_data, k, sizeof(k));
}

struct rd_ctx {
	struct tx *tx;
	MDB_cursor *xc;			/* xattrs; NULL: plain readdir */
	mds_dirent_fn fn;
	mds_dirent_plus_fn pfn;
	void *arg;
};

static int rd_emit(struct rd_ctx *e, uint64_t ino, uint64_t cookie,
		   uint32_t type, const char *name, uint32_t len)
{
	struct inode in;
	struct mds_attr a;
	bool have;

	if (!e->pfn)
		return e->fn(e->arg, ino, cookie, type, name, len);
	have = store_ino_get(e->tx, ino, &in) == 0;
	if (have)
		store_out_inode(&in, &a, NULL);
	return e->pfn(e->arg, ino, cookie, type, name, len, have ? &a : NULL,
		      have && has_sec_xattr(e->xc, ino));
}

static int readdir_common(struct mds_store *s, uint64_t ino, uint64_t cookie,
			  mds_dirent_fn fn, mds_dirent_plus_fn pfn, void *arg,
			  bool *eof)
{
	struct tx tx;
	struct inode dir;
	MDB_cursor *cur;
	struct rd_ctx e = { .tx = &tx, .fn = fn, .pfn = pfn, .arg = arg };
	uint8_t k[16];
	MDB_val key = { 16, k }, v;
	int rc;

	*eof = false;
	rc = store_tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = dir_get(&tx, ino, &dir);
	if (rc)
		goto out;
	if (pfn) {
		rc = mdb_cursor_open(tx.t, s->xattrs, &e.xc);
		if (rc) {
			rc = store_mdb_err(rc, "cursor");
			goto out;
		}
	}
	if (cookie < 1 && rd_emit(&e, ino, 1, DT_DIR, ".", 1))
		goto out;
	if (cookie < 2 && rd_emit(&e, dir.r.parent ? dir.r.parent : ino, 2,
				  DT_DIR, "..", 2))
		goto out;
	if (cookie == UINT64_MAX) {
		*eof = true;
		goto out;
	}
	rc = mdb_cursor_open(tx.t, s->dircookies, &cur);
	if (rc) {
		rc = store_mdb_err(rc, "cursor");
		goto out;
	}
	store_put_be64(k, ino);
	store_put_be64(k + 8, cookie < 2 ? 3 : cookie + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		struct cookie_val c;
		const char *name;

		if (key.mv_size != 16 || memcmp(key.mv_data, k, 8))
			break;
		if (v.mv_size < sizeof(c)) {
			tlog_level(LOG_ERR, "store: dir %" PRIu64 " cookie record is corrupt",
			     ino);
			continue;
		}
		memcpy(&c, v.mv_data, sizeof(c));
		name = (const char *)v.mv_data + sizeof(c);
		if (c.name_len == 0 || c.name_len > TESS_NAME_MAX ||
		    c.name_len != v.mv_size - sizeof(c)) {
			tlog_level(LOG_ERR, "store: dir %" PRIu64 " cookie record is corrupt",
			     ino);
			continue;
		}
		if (rd_emit(&e, c.ino,
			    store_get_be64((const uint8_t *)key.mv_data + 8),
			    c.type, name, c.name_len))
			break;
	}
	if (rc == MDB_NOTFOUND || (rc == 0 && (key.mv_size != 16 ||
					       memcmp(key.mv_data, k, 8))))
		*eof = true;
	rc = rc == 0 || rc == MDB_NOTFOUND ? 0 : store_mdb_err(rc, "readdir");
	mdb_cursor_close(cur);
out:
	if (e.xc)
		mdb_cursor_close(e.xc);
	return store_tx_end(&tx, rc);
}

int mds_readdir(struct mds_store *s, uint64_t ino, uint64_t cookie,
		mds_dirent_fn fn, void *arg, bool *eof)
{
	return readdir_common(s, ino, cookie, fn, NULL, arg, eof);
}

int mds_readdir_plus(struct mds_store *s, uint64_t ino, uint64_t cookie,
		     mds_dirent_plus_fn fn, void *arg, bool *eof)
{
	return readdir_common(s, ino, cookie, NULL, fn, arg, eof);
}
