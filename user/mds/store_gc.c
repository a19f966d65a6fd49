// SPDX-License-Identifier: MIT
/*
 * store_gc.c - what the store keeps to clean up later: the removal of an
 * inode's last name, orphans (the OST objects of removed inodes and of
 * replaced layouts) and trims (files whose objects may hold bytes past the
 * file's size; see store.h).
 *
 * Removing the last link of a regular file stores its layout under a new
 * orphan id in the same transaction and keeps the inode record with nlink
 * 0 (an open file stays usable by inode number: GETATTR, OPEN, SETATTR);
 * the OST objects are destroyed later by osts.c, and the orphan's last
 * update (mds_orphan_update with no object left) deletes the record with
 * its xattrs and HSM state.
 */
#include <lmdb.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "store_int.h"
#include "tnet.h"

/* ---- small helpers ---- */

/* delete every key starting with prefix */
static int db_del_prefix(struct tx *tx, MDB_dbi dbi, const void *pfx,
			 size_t plen)
{
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)pfx }, v;
	int rc;

	rc = mdb_cursor_open(tx->t, dbi, &cur);
	if (rc)
		return store_mdb_err(rc, "cursor");
	for (;;) {
		k.mv_size = plen;
		k.mv_data = (void *)pfx;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc || k.mv_size < plen || memcmp(k.mv_data, pfx, plen))
			break;
		rc = mdb_cursor_del(cur, 0);
		if (rc == MDB_MAP_FULL)
			store_note_write(tx->s, rc);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(rc, "del_prefix");
}

/* records in dbi */
static int db_count(struct mds_store *s, MDB_dbi dbi, uint64_t *n)
{
	struct tx tx;
	MDB_stat st;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_mdb_err(mdb_stat(tx.t, dbi, &st), "stat");
	if (!rc)
		*n = st.ms_entries;
	return store_tx_end(&tx, rc);
}

/* ---- trims: objects to cut to the file's size (see store.h) ---- */

int store_trim_add(struct tx *tx, uint64_t ino)
{
	uint8_t k[8], v[8];
	int rc;

	store_put_be64(k, ino);
	store_put_be64(v, atomic_fetch_add(&tx->s->trim_gen, 1));
	rc = store_db_put(tx, tx->s->trims, k, 8, v, 8, 0);
	if (rc == 0)
		tx->orphaned = true;	/* wakes osts.c's thread too */
	return rc;
}

int mds_trim_add(struct mds_store *s, uint64_t ino)
{
	struct tx tx;
	struct inode in;
	int rc = store_tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = store_ino_get(&tx, ino, &in);
	if (!rc && S_ISREG(in.r.attr.mode) && in.r.attr.nlink)
		rc = store_trim_add(&tx, ino);
	return store_tx_end(&tx, rc == -ENOENT ? 0 : rc);
}

bool mds_trim_pending(struct mds_store *s, uint64_t ino)
{
	struct tx tx;
	uint8_t k[8];
	MDB_val v;
	int rc;

	if (store_tx_begin(s, &tx, false))
		return false;
	store_put_be64(k, ino);
	rc = store_db_get(&tx, s->trims, k, 8, &v);
	store_tx_end(&tx, rc);
	return rc == 0;
}

int mds_trim_next(struct mds_store *s, uint64_t after, uint64_t *ino,
		  uint64_t *gen)
{
	struct tx tx;
	MDB_cursor *cur;
	uint8_t k[8];
	MDB_val key = { 8, k }, v;
	int rc;

	if (after == UINT64_MAX)
		return -ENOENT;
	rc = store_tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = mdb_cursor_open(tx.t, s->trims, &cur);
	if (rc) {
		rc = store_mdb_err(rc, "cursor");
		goto out;
	}
	store_put_be64(k, after + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		if (key.mv_size == 8 && v.mv_size == 8) {
			*ino = store_get_be64(key.mv_data);
			*gen = store_get_be64(v.mv_data);
			break;
		}
		tlog_level(LOG_ERR, "store: skipping a corrupt trim record");
	}
	mdb_cursor_close(cur);
	rc = store_mdb_err(rc, "trim_next");
out:
	return store_tx_end(&tx, rc);
}

int mds_trim_done(struct mds_store *s, uint64_t ino, uint64_t gen)
{
	struct tx tx;
	uint8_t k[8];
	MDB_val v;
	int rc = store_tx_begin(s, &tx, true);

	if (rc)
		return rc;
	store_put_be64(k, ino);
	rc = store_db_get(&tx, s->trims, k, 8, &v);
	if (!rc && v.mv_size == 8 && store_get_be64(v.mv_data) != gen)
		rc = -EAGAIN;		/* truncated again meanwhile */
	else if (!rc)
		rc = store_db_del(&tx, s->trims, k, 8);
	if (rc == -EAGAIN || rc == -ENOENT) {
		store_tx_end(&tx, -EAGAIN);	/* nothing to write */
		return rc == -ENOENT ? 0 : rc;
	}
	return store_tx_end(&tx, rc);
}

int mds_trim_count(struct mds_store *s, uint64_t *n)
{
	return db_count(s, s->trims, n);
}

/* ---- removal and orphans ---- */

int store_orphan_add(struct tx *tx, uint64_t ino, const struct mds_layout *l)
{
	uint8_t k[8], v[8 + TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	struct mds_layout tmp;
	uint64_t id;
	uint32_t n;
	int rc;

	if (!l->nobjs)
		return 0;
	rc = store_meta_alloc(tx, "next_orphan", 1, &id);
	if (rc)
		return rc;
	store_layout_copy(&tmp, l);
	tmp.stripe_count = (uint16_t)tmp.nobjs;
	memcpy(v, &ino, 8);
	n = mds_layout_encode(&tmp, v + 8);
	store_put_be64(k, id);
	rc = store_db_put(tx, tx->s->orphans, k, 8, v, 8 + n, MDB_NOOVERWRITE);
	if (rc == 0)
		tx->orphaned = true;
	return rc;
}

/* delete an inode record and everything hanging off it */
static int ino_delete(struct tx *tx, uint64_t ino, uint32_t mode)
{
	uint8_t k[8];
	int rc;

	store_put_be64(k, ino);
	rc = store_db_del(tx, tx->s->inodes, k, 8);
	if (!rc)
		rc = db_del_prefix(tx, tx->s->xattrs, k, 8);
	if (!rc && S_ISLNK(mode)) {
		rc = store_db_del(tx, tx->s->symlinks, k, 8);
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc && S_ISREG(mode)) {
		rc = store_db_del(tx, tx->s->hsm, k, 8);
		if (rc == -ENOENT)
			rc = 0;
	}
	return rc;
}

/*
 * The inode's last name is gone.  A regular file with objects becomes an
 * orphan: its record stays, nlink 0, until the objects are destroyed.
 */
int store_ino_remove(struct tx *tx, struct inode *in)
{
	int rc;

	if (!S_ISREG(in->r.attr.mode) || !in->lo.nobjs)
		return ino_delete(tx, in->r.attr.ino, in->r.attr.mode);
	in->r.attr.nlink = 0;
	store_touch_ctime(&in->r.attr);
	rc = store_ino_put(tx, in);
	if (!rc)
		rc = store_orphan_add(tx, in->r.attr.ino, &in->lo);
	return rc;
}

/* one name of a non-directory is gone */
int store_drop_link(struct tx *tx, struct inode *in)
{
	if (in->r.attr.nlink > 1) {
		in->r.attr.nlink--;
		store_touch_ctime(&in->r.attr);
		return store_ino_put(tx, in);
	}
	return store_ino_remove(tx, in);
}

/* ---- orphans ---- */

int mds_orphan_next(struct mds_store *s, uint64_t after, struct mds_orphan *o)
{
	struct tx tx;
	MDB_cursor *cur;
	uint8_t k[8];
	MDB_val key = { 8, k }, v;
	int rc;

	if (after == UINT64_MAX)
		return -ENOENT;
	rc = store_tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = mdb_cursor_open(tx.t, s->orphans, &cur);
	if (rc) {
		rc = store_mdb_err(rc, "cursor");
		goto out;
	}
	store_put_be64(k, after + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		if (key.mv_size != 8 || v.mv_size < 8 ||
		    store_layout_raw_decode((const uint8_t *)v.mv_data + 8,
					    (uint32_t)v.mv_size - 8,
					    &o->layout)) {
			tlog_level(LOG_ERR, "store: skipping a corrupt orphan record");
			continue;
		}
		o->id = store_get_be64(key.mv_data);
		memcpy(&o->ino, v.mv_data, 8);
		break;
	}
	mdb_cursor_close(cur);
	rc = store_mdb_err(rc, "orphan_next");
out:
	return store_tx_end(&tx, rc);
}

/*
 * Every object of orphan id is gone: delete the record, and the inode
 * record too when it has no name left (not for the old objects of a file
 * whose layout was replaced).
 */
static int orphan_done(struct tx *tx, uint64_t id)
{
	struct inode in;
	uint64_t ino;
	uint8_t k[8];
	MDB_val v;
	int rc;

	store_put_be64(k, id);
	rc = store_db_get(tx, tx->s->orphans, k, 8, &v);
	if (rc)
		return rc;
	if (v.mv_size < 8)
		return store_db_del(tx, tx->s->orphans, k, 8);
	memcpy(&ino, v.mv_data, 8);
	rc = store_db_del(tx, tx->s->orphans, k, 8);
	if (rc)
		return rc;
	rc = store_ino_get(tx, ino, &in);
	if (rc == -ENOENT)
		return 0;	/* removed by a store of format 1, or done */
	if (rc)
		return rc;
	if (in.r.attr.nlink || !S_ISREG(in.r.attr.mode))
		return 0;
	return ino_delete(tx, ino, in.r.attr.mode);
}

int mds_orphan_update(struct mds_store *s, uint64_t id,
		      const struct mds_layout *remaining)
{
	struct tx tx;
	struct mds_layout tmp;
	uint8_t k[8], v[8 + TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	MDB_val old;
	uint32_t n;
	int rc = store_tx_begin(s, &tx, true);

	if (rc)
		return rc;
	store_put_be64(k, id);
	if (!remaining || !remaining->nobjs) {
		rc = orphan_done(&tx, id);
		return store_tx_end(&tx, rc);
	}
	rc = store_db_get(&tx, s->orphans, k, 8, &old);
	if (!rc && old.mv_size < 8)
		rc = -EIO;
	if (!rc) {
		memcpy(v, old.mv_data, 8);
		store_layout_copy(&tmp, remaining);
		tmp.stripe_count = (uint16_t)tmp.nobjs;
		if (!tmp.pattern)
			tmp.pattern = TESS_LAYOUT_RAID0;
		n = mds_layout_encode(&tmp, v + 8);
		rc = store_db_put(&tx, s->orphans, k, 8, v, 8 + n, 0);
	}
	return store_tx_end(&tx, rc);
}

int mds_orphan_count(struct mds_store *s, uint64_t *n)
{
	return db_count(s, s->orphans, n);
}
