// SPDX-License-Identifier: MIT
/*
 * store.c - the Tessera namespace in LMDB (see store.h for the layout of
 * the databases).
 *
 * Every operation is one transaction.  A mutating operation reads what it
 * needs, checks every POSIX rule against the committed state it sees
 * (LMDB gives a writer exclusive access), and writes inode records, entries
 * and orphans together, so a crash leaves either all of it or none.
 *
 * Directory cookies: a directory's inode record holds next_cookie, which
 * starts at 3 (1 and 2 are "." and "..").  Every insert of a name takes the
 * next value; it is never reused, so a readdir resuming after cookie C sees
 * every entry that stayed, exactly once, whatever was added or removed.
 *
 * Removing the last link of a regular file stores its layout under a new
 * orphan id in the same transaction and keeps the inode record with nlink
 * 0 (an open file stays usable by inode number: GETATTR, OPEN, SETATTR);
 * the OST objects are destroyed later by osts.c, and the orphan's last
 * update (mds_orphan_update with no object left) deletes the record with
 * its xattrs and HSM state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tess_stripe.h"
#include "tnet.h"

#define REC_MAGIC	0x314e4954u	/* "TIN1" */
#define STORE_FORMAT	1
#define DEF_MAP_SIZE	(16ULL << 30)
#define MAX_LINKS	65000
#define MAX_DEPTH	100000

struct ino_rec {
	uint32_t magic;
	uint32_t layout_len;		/* wire layout bytes after the record */
	struct mds_attr attr;
	uint64_t parent;		/* directories: for ".." and renames */
	uint64_t next_cookie;		/* directories */
};

struct inode {
	struct ino_rec r;
	struct mds_layout lo;		/* file: layout; dir: default */
};

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

struct ost_val {
	char addr[TESS_ADDR_MAX + 1];
	uint8_t uuid[16];
};

struct mds_store {
	MDB_env *env;
	MDB_dbi inodes, dirents, dircookies, xattrs, symlinks, orphans, osts,
		meta, hsm, trims;
	atomic_uint_fast64_t trim_gen;	/* values of trim records */
	pthread_rwlock_t gate;		/* readers: calls; writer: close */
	bool closed;
	int lockfd;
	char fsname[TESS_FSNAME_MAX + 1];
	uint32_t def_count, def_size;
	size_t map_size;
	uint32_t read_delay_ms;		/* testing: see --fault-read-delay */
	atomic_bool map_full;		/* logged; until a write commits */

	pthread_mutex_t ost_lock;	/* taken inside write txns only */
	uint32_t nosts;
	struct mds_ost ost_tab[TESS_MAX_OSTS];	/* sorted by index */
	uint64_t rr;
	uint32_t ost_expire_ms;		/* 0: an UP OST stays up */

	void (*orphan_hook)(void *);
	void *orphan_arg;

	/* precreation (precreate.c): NULL = object ids straight from next_oid */
	int (*refill)(void *arg, uint32_t ost_idx);
	void *refill_arg;
};

/* one attempt at a layout of a create (or set_layout) */
struct alloc {
	bool skip[TESS_MAX_OSTS];	/* could not precreate: as if down */
	int32_t refill;			/* an OST whose pool ran dry, or -1 */
};

struct tx {
	struct mds_store *s;
	MDB_txn *t;
	bool write;
	bool orphaned;
	struct alloc *alloc;		/* layout_alloc's, or NULL */
};

/* ---- small helpers ---- */

static void put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static int mdb_err(int rc, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return -ENOSPC;
	tlog("lmdb %s: %s", what, mdb_strerror(rc));
	return rc > 0 ? -rc : -EIO;
}

/*
 * A write failed or succeeded: MDB_MAP_FULL gets one log line naming the
 * option to raise (the caller turns it into ENOSPC through mdb_err), until
 * a later write commits again.
 */
static void note_write(struct mds_store *s, int rc)
{
	if (rc == MDB_MAP_FULL) {
		if (!atomic_exchange(&s->map_full, true))
			tlog("store: the LMDB map (%zu MiB) is full: changes "
			     "fail with ENOSPC, reads go on; restart "
			     "tessera-mds with a larger --map-size",
			     s->map_size >> 20);
	} else if (rc == 0 && atomic_load(&s->map_full)) {
		atomic_store(&s->map_full, false);
	}
}

static void now_ts(uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void touch_ctime(struct mds_attr *a)
{
	now_ts(&a->ctime_sec, &a->ctime_nsec);
}

static void touch_mctime(struct mds_attr *a)
{
	now_ts(&a->mtime_sec, &a->mtime_nsec);
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

/* ---- layouts ---- */

static int layout_raw_decode(const void *wire, uint32_t len,
			     struct mds_layout *l)
{
	const struct tess_layout *w = wire;
	const uint8_t *p = wire;
	uint32_t i, n;

	memset(l, 0, offsetof(struct mds_layout, objs));
	if (len == 0)
		return 0;
	if (len < sizeof(*w) || (len - sizeof(*w)) % sizeof(struct tess_ost_obj))
		return -EBADMSG;
	n = (len - sizeof(*w)) / sizeof(struct tess_ost_obj);
	if (n > TESS_MAX_STRIPES)
		return -EINVAL;
	l->pattern = le32_to_cpu(w->pattern);
	l->stripe_size = le32_to_cpu(w->stripe_size);
	l->stripe_count = le16_to_cpu(w->stripe_count);
	l->stripe_offset = le16_to_cpu(w->stripe_offset);
	l->gen = le32_to_cpu(w->gen);
	l->nobjs = n;
	for (i = 0; i < n; i++) {
		struct tess_ost_obj o;

		memcpy(&o, p + sizeof(*w) + i * sizeof(o), sizeof(o));
		l->objs[i].ost_idx = le32_to_cpu(o.ost_idx);
		l->objs[i].oid = le64_to_cpu(o.oid);
	}
	return 0;
}

int mds_layout_decode(const void *wire, uint32_t len, struct mds_layout *l)
{
	int rc;

	if (len) {
		rc = tess_layout_check(wire, len);
		if (rc)
			return rc;
	}
	return layout_raw_decode(wire, len, l);
}

uint32_t mds_layout_encode(const struct mds_layout *l, void *buf)
{
	struct tess_layout w;
	uint8_t *p = buf;
	uint32_t i;

	if (!l->pattern && !l->nobjs && !l->stripe_size && !l->stripe_count)
		return 0;
	w.pattern = cpu_to_le32(l->pattern);
	w.stripe_size = cpu_to_le32(l->stripe_size);
	w.stripe_count = cpu_to_le16(l->stripe_count);
	w.stripe_offset = cpu_to_le16(l->stripe_offset);
	w.gen = cpu_to_le32(l->gen);
	memcpy(p, &w, sizeof(w));
	for (i = 0; i < l->nobjs; i++) {
		struct tess_ost_obj o;

		o.ost_idx = cpu_to_le32(l->objs[i].ost_idx);
		o.pad = 0;
		o.oid = cpu_to_le64(l->objs[i].oid);
		memcpy(p + sizeof(w) + i * sizeof(o), &o, sizeof(o));
	}
	return (uint32_t)TESS_LAYOUT_BYTES(l->nobjs);
}

void mds_attr_to_wire(const struct mds_attr *a, struct tess_attr *w)
{
	w->ino = cpu_to_le64(a->ino);
	w->size = cpu_to_le64(a->size);
	w->blocks = cpu_to_le64(a->blocks);
	w->atime_sec = cpu_to_le64(a->atime_sec);
	w->mtime_sec = cpu_to_le64(a->mtime_sec);
	w->ctime_sec = cpu_to_le64(a->ctime_sec);
	w->atime_nsec = cpu_to_le32(a->atime_nsec);
	w->mtime_nsec = cpu_to_le32(a->mtime_nsec);
	w->ctime_nsec = cpu_to_le32(a->ctime_nsec);
	w->mode = cpu_to_le32(a->mode);
	w->uid = cpu_to_le32(a->uid);
	w->gid = cpu_to_le32(a->gid);
	w->nlink = cpu_to_le32(a->nlink);
	w->gen = cpu_to_le32(a->gen);
	w->rdev = cpu_to_le32(a->rdev);
	w->hsm_state = cpu_to_le32(a->hsm_state);
	w->data_version = cpu_to_le64(a->data_version);
}

/* ---- transactions ---- */

static int tx_begin(struct mds_store *s, struct tx *tx, bool write)
{
	int rc;

	pthread_rwlock_rdlock(&s->gate);
	if (s->closed) {
		pthread_rwlock_unlock(&s->gate);
		return -ESHUTDOWN;
	}
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &tx->t);
	if (rc) {
		pthread_rwlock_unlock(&s->gate);
		return mdb_err(rc, "txn_begin");
	}
	tx->s = s;
	tx->write = write;
	tx->orphaned = false;
	tx->alloc = NULL;
	return 0;
}

/* commit a write transaction when rc is 0, else abort; returns rc */
static int tx_end(struct tx *tx, int rc)
{
	struct mds_store *s = tx->s;
	bool hook;

	if (rc == 0 && tx->write) {
		rc = mdb_txn_commit(tx->t);
		note_write(s, rc);
		rc = mdb_err(rc, "commit");
	} else {
		if (!tx->write && s->read_delay_ms) {
			struct timespec d = {
				s->read_delay_ms / 1000,
				(long)(s->read_delay_ms % 1000) * 1000000 };

			nanosleep(&d, NULL);	/* holds the reader slot */
		}
		mdb_txn_abort(tx->t);
	}
	hook = rc == 0 && tx->orphaned && s->orphan_hook;
	pthread_rwlock_unlock(&s->gate);
	if (hook)
		s->orphan_hook(s->orphan_arg);
	return rc;
}

static int db_get(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		  MDB_val *v)
{
	MDB_val key = { klen, (void *)k };

	return mdb_err(mdb_get(tx->t, dbi, &key, v), "get");
}

static int db_put(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		  const void *d, size_t dlen, unsigned flags)
{
	MDB_val key = { klen, (void *)k }, val = { dlen, (void *)d };
	int rc = mdb_put(tx->t, dbi, &key, &val, flags);

	if (rc == MDB_KEYEXIST)
		return -EEXIST;
	if (rc == MDB_MAP_FULL)
		note_write(tx->s, rc);
	return mdb_err(rc, "put");
}

static int db_del(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen)
{
	MDB_val key = { klen, (void *)k };
	int rc = mdb_del(tx->t, dbi, &key, NULL);

	if (rc == MDB_MAP_FULL)
		note_write(tx->s, rc);
	return mdb_err(rc, "del");
}

/* delete every key starting with prefix */
static int db_del_prefix(struct tx *tx, MDB_dbi dbi, const void *pfx,
			 size_t plen)
{
	MDB_cursor *cur;
	MDB_val k = { plen, (void *)pfx }, v;
	int rc;

	rc = mdb_cursor_open(tx->t, dbi, &cur);
	if (rc)
		return mdb_err(rc, "cursor");
	for (;;) {
		k.mv_size = plen;
		k.mv_data = (void *)pfx;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc || k.mv_size < plen || memcmp(k.mv_data, pfx, plen))
			break;
		rc = mdb_cursor_del(cur, 0);
		if (rc == MDB_MAP_FULL)
			note_write(tx->s, rc);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "del_prefix");
}

/* ---- meta counters ---- */

/* records in dbi */
static int db_count(struct mds_store *s, MDB_dbi dbi, uint64_t *n)
{
	struct tx tx;
	MDB_stat st;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = mdb_err(mdb_stat(tx.t, dbi, &st), "stat");
	if (!rc)
		*n = st.ms_entries;
	return tx_end(&tx, rc);
}

static int meta_get_u64(struct tx *tx, const char *key, uint64_t *v)
{
	MDB_val val;
	int rc = db_get(tx, tx->s->meta, key, strlen(key), &val);

	if (rc)
		return rc;
	if (val.mv_size != 8)
		return -EIO;
	memcpy(v, val.mv_data, 8);
	return 0;
}

static int meta_put_u64(struct tx *tx, const char *key, uint64_t v)
{
	return db_put(tx, tx->s->meta, key, strlen(key), &v, 8, 0);
}

/* take n consecutive values of counter `key` */
static int meta_alloc(struct tx *tx, const char *key, uint64_t n,
		      uint64_t *first)
{
	uint64_t v;
	int rc = meta_get_u64(tx, key, &v);

	if (rc) {
		tlog("store: meta counter %s missing (%d)", key, rc);
		return -EIO;
	}
	if (v + n < v)
		return -ENOSPC;
	*first = v;
	return meta_put_u64(tx, key, v + n);
}

/* ---- object pools: oids precreated on an OST, not handed out yet ---- */

/*
 * meta "pool/<be32 OST index>": [first, end) was (or is being) precreated
 * on the OST; next is the first not handed out.  A range is recorded
 * before the OST is asked to create it, and confirmed after it answered:
 * only a confirmed pool hands out oids, and an unconfirmed one is sent
 * again (OBJ_PRECREATE is idempotent), after an MDS restart too.
 */
struct pool_rec {
	uint64_t first, next, end;
	uint32_t confirmed;
	uint32_t pad;
};

#define POOL_PFX	"pool/"
#define POOL_KEY_LEN	(sizeof(POOL_PFX) - 1 + 4)

static void pool_key(uint8_t k[POOL_KEY_LEN], uint32_t idx)
{
	uint32_t be = htobe32(idx);

	memcpy(k, POOL_PFX, sizeof(POOL_PFX) - 1);
	memcpy(k + sizeof(POOL_PFX) - 1, &be, 4);
}

static int pool_get(struct tx *tx, uint32_t idx, struct pool_rec *p)
{
	uint8_t k[POOL_KEY_LEN];
	MDB_val v;
	int rc;

	pool_key(k, idx);
	rc = db_get(tx, tx->s->meta, k, sizeof(k), &v);
	if (rc)
		return rc;
	if (v.mv_size != sizeof(*p))
		return -EIO;
	memcpy(p, v.mv_data, sizeof(*p));
	return 0;
}

static int pool_put(struct tx *tx, uint32_t idx, const struct pool_rec *p)
{
	uint8_t k[POOL_KEY_LEN];

	pool_key(k, idx);
	return db_put(tx, tx->s->meta, k, sizeof(k), p, sizeof(*p), 0);
}

/* the next precreated oid of OST idx; -EAGAIN: its pool must be refilled */
static int pool_take(struct tx *tx, uint32_t idx, uint64_t *oid)
{
	struct pool_rec p;
	int rc = pool_get(tx, idx, &p);

	if (rc == -ENOENT || (!rc && (!p.confirmed || p.next >= p.end)))
		return -EAGAIN;
	if (rc)
		return rc;
	*oid = p.next++;
	return pool_put(tx, idx, &p);
}

int mds_pool_reserve(struct mds_store *s, uint32_t idx, uint32_t batch,
		     uint64_t *first, uint32_t *count)
{
	struct pool_rec p;
	struct tx tx;
	int rc = tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = pool_get(&tx, idx, &p);
	if (!rc && p.confirmed && p.next < p.end) {
		rc = 1;			/* refilled meanwhile */
		goto out;
	}
	if (!rc && !p.confirmed) {
		*first = p.first;	/* recorded, not confirmed: again */
		*count = (uint32_t)(p.end - p.first);
		goto out;
	}
	if (rc && rc != -ENOENT)
		goto out;
	rc = meta_alloc(&tx, "next_oid", batch, first);
	if (rc)
		goto out;
	*count = batch;
	p = (struct pool_rec){ .first = *first, .next = *first,
			       .end = *first + batch };
	rc = pool_put(&tx, idx, &p);
out:
	if (rc == 1) {
		tx_end(&tx, -EAGAIN);	/* nothing to write */
		return 1;
	}
	return tx_end(&tx, rc);
}

int mds_pool_confirm(struct mds_store *s, uint32_t idx, uint64_t first)
{
	struct pool_rec p;
	struct tx tx;
	int rc = tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = pool_get(&tx, idx, &p);
	if (!rc && p.first == first && !p.confirmed) {
		p.confirmed = 1;
		rc = pool_put(&tx, idx, &p);
	}
	return tx_end(&tx, rc == -ENOENT ? 0 : rc);
}

void mds_store_set_refill(struct mds_store *s,
			  int (*fn)(void *arg, uint32_t ost_idx), void *arg)
{
	s->refill = fn;
	s->refill_arg = arg;
}

/* ---- inodes ---- */

static int ino_decode(const MDB_val v, uint64_t ino, struct inode *in)
{
	if (v.mv_size < sizeof(in->r))
		goto bad;
	memcpy(&in->r, v.mv_data, sizeof(in->r));
	if (in->r.magic != REC_MAGIC ||
	    in->r.layout_len != v.mv_size - sizeof(in->r) ||
	    in->r.attr.ino != ino)
		goto bad;
	if (layout_raw_decode((const uint8_t *)v.mv_data + sizeof(in->r),
			      in->r.layout_len, &in->lo))
		goto bad;
	return 0;
bad:
	tlog("store: inode %" PRIu64 " record is corrupt (%zu bytes)", ino,
	     v.mv_size);
	return -EIO;
}

static int ino_get(struct tx *tx, uint64_t ino, struct inode *in)
{
	uint8_t k[8];
	MDB_val v;
	int rc;

	if (ino == 0)
		return -ENOENT;
	put_be64(k, ino);
	rc = db_get(tx, tx->s->inodes, k, 8, &v);
	return rc ? rc : ino_decode(v, ino, in);
}

static int ino_put(struct tx *tx, struct inode *in)
{
	uint8_t k[8];
	MDB_val key = { 8, k }, val;
	uint8_t lbuf[TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	int rc;

	in->r.magic = REC_MAGIC;
	in->r.layout_len = mds_layout_encode(&in->lo, lbuf);
	if (S_ISREG(in->r.attr.mode))
		in->r.attr.blocks = (in->r.attr.size + 511) / 512;
	put_be64(k, in->r.attr.ino);
	val.mv_size = sizeof(in->r) + in->r.layout_len;
	rc = mdb_put(tx->t, tx->s->inodes, &key, &val, MDB_RESERVE);
	if (rc == MDB_MAP_FULL)
		note_write(tx->s, rc);
	if (rc)
		return mdb_err(rc, "put inode");
	memcpy(val.mv_data, &in->r, sizeof(in->r));
	memcpy((uint8_t *)val.mv_data + sizeof(in->r), lbuf, in->r.layout_len);
	return 0;
}

static int dir_get(struct tx *tx, uint64_t ino, struct inode *in)
{
	int rc = ino_get(tx, ino, in);

	if (rc)
		return rc;
	return S_ISDIR(in->r.attr.mode) ? 0 : -ENOTDIR;
}

static void init_inode(struct inode *in, uint64_t ino, uint32_t mode,
		       uint32_t uid, uint32_t gid)
{
	memset(&in->r, 0, sizeof(in->r));
	memset(&in->lo, 0, offsetof(struct mds_layout, objs));
	in->r.attr.ino = ino;
	in->r.attr.mode = mode;
	in->r.attr.uid = uid;
	in->r.attr.gid = gid;
	in->r.attr.nlink = 1;
	in->r.attr.gen = 1;
	now_ts(&in->r.attr.mtime_sec, &in->r.attr.mtime_nsec);
	in->r.attr.atime_sec = in->r.attr.ctime_sec = in->r.attr.mtime_sec;
	in->r.attr.atime_nsec = in->r.attr.ctime_nsec = in->r.attr.mtime_nsec;
}

static void out_inode(const struct inode *in, struct mds_attr *a,
		      struct mds_layout *lo)
{
	if (a)
		*a = in->r.attr;
	if (lo) {
		memcpy(lo, &in->lo, offsetof(struct mds_layout, objs));
		memcpy(lo->objs, in->lo.objs, in->lo.nobjs * sizeof(lo->objs[0]));
	}
}

static void layout_copy(struct mds_layout *dst, const struct mds_layout *src)
{
	memcpy(dst, src, offsetof(struct mds_layout, objs));
	memcpy(dst->objs, src->objs, src->nobjs * sizeof(dst->objs[0]));
}

/* ---- directory entries ---- */

static size_t dent_key(uint8_t *k, uint64_t parent, const char *name,
		       uint32_t len)
{
	put_be64(k, parent);
	memcpy(k + 8, name, len);
	return 8 + len;
}

static int dent_get(struct tx *tx, uint64_t parent, const char *name,
		    uint32_t len, struct dent_val *d)
{
	uint8_t k[8 + TESS_NAME_MAX];
	size_t kl = dent_key(k, parent, name, len);
	MDB_val v;
	int rc = db_get(tx, tx->s->dirents, k, kl, &v);

	if (rc)
		return rc;
	if (v.mv_size != sizeof(*d)) {
		tlog("store: entry of dir %" PRIu64 " is corrupt", parent);
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
	rc = db_put(tx, tx->s->dirents, k, kl, &d, sizeof(d), MDB_NOOVERWRITE);
	if (rc)
		return rc;
	put_be64(ck, dir->r.attr.ino);
	put_be64(ck + 8, d.cookie);
	memcpy(cv, &c, sizeof(c));
	memcpy(cv + sizeof(c), name, len);
	return db_put(tx, tx->s->dircookies, ck, 16, cv, sizeof(c) + len,
		      MDB_NOOVERWRITE);
}

static int dent_del(struct tx *tx, uint64_t parent, const char *name,
		    uint32_t len, uint64_t cookie)
{
	uint8_t k[8 + TESS_NAME_MAX], ck[16];
	size_t kl = dent_key(k, parent, name, len);
	int rc;

	rc = db_del(tx, tx->s->dirents, k, kl);
	if (rc)
		return rc;
	put_be64(ck, parent);
	put_be64(ck + 8, cookie);
	rc = db_del(tx, tx->s->dircookies, ck, 16);
	if (rc == -ENOENT) {
		tlog("store: dir %" PRIu64 " cookie %" PRIu64 " was missing",
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

	put_be64(k, ino);
	rc = mdb_cursor_open(tx->t, tx->s->dirents, &cur);
	if (rc)
		return mdb_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = key.mv_size >= 8 && !memcmp(key.mv_data, k, 8) ?
			-ENOTEMPTY : 0;
	else
		rc = rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "cursor_get");
	mdb_cursor_close(cur);
	return rc;
}

/* ---- trims: objects to cut to the file's size (see store.h) ---- */

static int trim_add(struct tx *tx, uint64_t ino)
{
	uint8_t k[8], v[8];
	int rc;

	put_be64(k, ino);
	put_be64(v, atomic_fetch_add(&tx->s->trim_gen, 1));
	rc = db_put(tx, tx->s->trims, k, 8, v, 8, 0);
	if (rc == 0)
		tx->orphaned = true;	/* wakes osts.c's thread too */
	return rc;
}

int mds_trim_add(struct mds_store *s, uint64_t ino)
{
	struct tx tx;
	struct inode in;
	int rc = tx_begin(s, &tx, true);

	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (!rc && S_ISREG(in.r.attr.mode) && in.r.attr.nlink)
		rc = trim_add(&tx, ino);
	return tx_end(&tx, rc == -ENOENT ? 0 : rc);
}

bool mds_trim_pending(struct mds_store *s, uint64_t ino)
{
	struct tx tx;
	uint8_t k[8];
	MDB_val v;
	int rc;

	if (tx_begin(s, &tx, false))
		return false;
	put_be64(k, ino);
	rc = db_get(&tx, s->trims, k, 8, &v);
	tx_end(&tx, rc);
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
	rc = tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = mdb_cursor_open(tx.t, s->trims, &cur);
	if (rc) {
		rc = mdb_err(rc, "cursor");
		goto out;
	}
	put_be64(k, after + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		if (key.mv_size == 8 && v.mv_size == 8) {
			*ino = get_be64(key.mv_data);
			*gen = get_be64(v.mv_data);
			break;
		}
		tlog("store: skipping a corrupt trim record");
	}
	mdb_cursor_close(cur);
	rc = mdb_err(rc, "trim_next");
out:
	return tx_end(&tx, rc);
}

int mds_trim_done(struct mds_store *s, uint64_t ino, uint64_t gen)
{
	struct tx tx;
	uint8_t k[8];
	MDB_val v;
	int rc = tx_begin(s, &tx, true);

	if (rc)
		return rc;
	put_be64(k, ino);
	rc = db_get(&tx, s->trims, k, 8, &v);
	if (!rc && v.mv_size == 8 && get_be64(v.mv_data) != gen)
		rc = -EAGAIN;		/* truncated again meanwhile */
	else if (!rc)
		rc = db_del(&tx, s->trims, k, 8);
	if (rc == -EAGAIN || rc == -ENOENT) {
		tx_end(&tx, -EAGAIN);	/* nothing to write */
		return rc == -ENOENT ? 0 : rc;
	}
	return tx_end(&tx, rc);
}

int mds_trim_count(struct mds_store *s, uint64_t *n)
{
	return db_count(s, s->trims, n);
}

/* ---- removal and orphans ---- */

static int orphan_add(struct tx *tx, uint64_t ino, const struct mds_layout *l)
{
	uint8_t k[8], v[8 + TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	struct mds_layout tmp;
	uint64_t id;
	uint32_t n;
	int rc;

	if (!l->nobjs)
		return 0;
	rc = meta_alloc(tx, "next_orphan", 1, &id);
	if (rc)
		return rc;
	layout_copy(&tmp, l);
	tmp.stripe_count = (uint16_t)tmp.nobjs;
	memcpy(v, &ino, 8);
	n = mds_layout_encode(&tmp, v + 8);
	put_be64(k, id);
	rc = db_put(tx, tx->s->orphans, k, 8, v, 8 + n, MDB_NOOVERWRITE);
	if (rc == 0)
		tx->orphaned = true;
	return rc;
}

/* delete an inode record and everything hanging off it */
static int ino_delete(struct tx *tx, uint64_t ino, uint32_t mode)
{
	uint8_t k[8];
	int rc;

	put_be64(k, ino);
	rc = db_del(tx, tx->s->inodes, k, 8);
	if (!rc)
		rc = db_del_prefix(tx, tx->s->xattrs, k, 8);
	if (!rc && S_ISLNK(mode)) {
		rc = db_del(tx, tx->s->symlinks, k, 8);
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc && S_ISREG(mode)) {
		rc = db_del(tx, tx->s->hsm, k, 8);
		if (rc == -ENOENT)
			rc = 0;
	}
	return rc;
}

/*
 * The inode's last name is gone.  A regular file with objects becomes an
 * orphan: its record stays, nlink 0, until the objects are destroyed.
 */
static int ino_remove(struct tx *tx, struct inode *in)
{
	int rc;

	if (!S_ISREG(in->r.attr.mode) || !in->lo.nobjs)
		return ino_delete(tx, in->r.attr.ino, in->r.attr.mode);
	in->r.attr.nlink = 0;
	touch_ctime(&in->r.attr);
	rc = ino_put(tx, in);
	if (!rc)
		rc = orphan_add(tx, in->r.attr.ino, &in->lo);
	return rc;
}

/* one name of a non-directory is gone */
static int drop_link(struct tx *tx, struct inode *in)
{
	if (in->r.attr.nlink > 1) {
		in->r.attr.nlink--;
		touch_ctime(&in->r.attr);
		return ino_put(tx, in);
	}
	return ino_remove(tx, in);
}

/* ---- layout allocation ---- */

/* does a request layout set anything?  (a zeroed one does not) */
static bool layout_given(const struct mds_layout *l)
{
	return l->pattern || l->stripe_size || l->stripe_count || l->nobjs ||
	       (l->stripe_offset != 0 && l->stripe_offset != TESS_OST_ANY);
}

static int ost_pos(const struct mds_store *s, uint32_t idx)
{
	uint32_t lo = 0, hi = s->nosts;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (s->ost_tab[mid].index == idx)
			return (int)mid;
		if (s->ost_tab[mid].index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mark down every up OST not heard from for ost_expire_ms; ost_lock held */
static void ost_expire(struct mds_store *s)
{
	int64_t now;
	uint32_t i;

	if (!s->ost_expire_ms)
		return;
	now = mono_ms();
	for (i = 0; i < s->nosts; i++) {
		struct mds_ost *e = &s->ost_tab[i];

		if (e->state != TESS_OST_UP ||
		    now - e->heard_ms <= (int64_t)s->ost_expire_ms)
			continue;
		e->state = TESS_OST_DOWN;
		tlog("OST %u at %s marked down: not heard from for %.1f s "
		     "(no new stripes on it)", e->index, e->addr,
		     (double)(now - e->heard_ms) / 1000);
	}
}

void mds_ost_set_expiry(struct mds_store *s, uint32_t expire_ms)
{
	pthread_mutex_lock(&s->ost_lock);
	s->ost_expire_ms = expire_ms;
	pthread_mutex_unlock(&s->ost_lock);
}

/*
 * Fill out with a new layout: fields of req (a request, may be NULL), else
 * of the directory default dflt, else the fs defaults; objects on OSTs
 * chosen round-robin among the up ones (all registered if none is up), or
 * from stripe_offset (the up OSTs from that index on, as Lustre skips
 * inactive OSTs), or the OSTs req names.  A stripe count larger than the
 * OSTs up is cut to their number.
 */
/* an OST new stripes may go to (ost_lock held) */
static bool usable(const struct tx *tx, const struct mds_ost *e, bool up_only)
{
	if (tx->alloc && tx->alloc->skip[e->index])
		return false;
	return !up_only || e->state == TESS_OST_UP;
}

/* the objects of out: precreated ones when the store precreates */
static int layout_oids(struct tx *tx, struct mds_layout *out)
{
	uint64_t oid;
	uint32_t i;
	int rc;

	if (!tx->s->refill || !tx->alloc) {
		rc = meta_alloc(tx, "next_oid", out->nobjs, &oid);
		for (i = 0; !rc && i < out->nobjs; i++)
			out->objs[i].oid = oid + i;
		return rc;
	}
	for (i = 0; i < out->nobjs; i++) {
		rc = pool_take(tx, out->objs[i].ost_idx, &out->objs[i].oid);
		if (rc == -EAGAIN)
			tx->alloc->refill = (int32_t)out->objs[i].ost_idx;
		if (rc)
			return rc;
	}
	return 0;
}

static int layout_alloc(struct tx *tx, const struct mds_layout *req,
			const struct mds_layout *dflt, uint32_t gen,
			struct mds_layout *out)
{
	struct mds_store *s = tx->s;
	static const struct mds_layout none;
	uint32_t cand[TESS_MAX_OSTS], n = 0, i, j, count, size, start;
	uint16_t off;
	int rc = 0;

	if (!req)
		req = &none;
	if (!dflt)
		dflt = &none;
	size = req->stripe_size ? req->stripe_size :
	       dflt->stripe_size ? dflt->stripe_size : s->def_size;
	count = req->stripe_count ? req->stripe_count :
		dflt->stripe_count ? dflt->stripe_count : s->def_count;
	if (layout_given(req))
		off = req->stripe_offset;
	else if (dflt->pattern)
		off = dflt->stripe_offset;
	else
		off = TESS_OST_ANY;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	if (req->nobjs) {
		int p;

		/* an explicit list of OSTs (object ids are ours to pick) */
		for (i = 0; i < req->nobjs && !rc; i++) {
			p = ost_pos(s, req->objs[i].ost_idx);
			if (p < 0)
				rc = -EINVAL;
			else if (!usable(tx, &s->ost_tab[p], false))
				rc = -EIO;	/* cannot precreate there */
			for (j = 0; j < i; j++)
				if (req->objs[j].ost_idx == req->objs[i].ost_idx)
					rc = -EINVAL;
			cand[n++] = req->objs[i].ost_idx;
		}
		start = 0;
	} else if (off != TESS_OST_ANY) {
		int p = ost_pos(s, off);
		uint32_t k;

		/* from OST off on, wrapping, the up ones (all if none is) */
		for (i = 0; p >= 0 && i < s->nosts; i++) {
			k = ((uint32_t)p + i) % s->nosts;
			if (usable(tx, &s->ost_tab[k], true))
				cand[n++] = s->ost_tab[k].index;
		}
		for (i = 0; p >= 0 && !n && i < s->nosts; i++) {
			k = ((uint32_t)p + i) % s->nosts;
			if (usable(tx, &s->ost_tab[k], false))
				cand[n++] = s->ost_tab[k].index;
		}
		if (p < 0)
			rc = -EINVAL;
		start = 0;
	} else {
		for (i = 0; i < s->nosts; i++)
			if (usable(tx, &s->ost_tab[i], true))
				cand[n++] = s->ost_tab[i].index;
		if (!n)
			for (i = 0; i < s->nosts; i++)
				if (usable(tx, &s->ost_tab[i], false))
					cand[n++] = s->ost_tab[i].index;
		start = n ? (uint32_t)(s->rr++ % n) : 0;
	}
	pthread_mutex_unlock(&s->ost_lock);
	if (rc)
		return rc;
	if (!n)	/* none registered, or none could precreate */
		return s->nosts && tx->alloc ? -EIO : -ENOSPC;
	if (count > n)
		count = n;
	if (count > TESS_MAX_STRIPES)
		count = TESS_MAX_STRIPES;
	out->pattern = TESS_LAYOUT_RAID0;
	out->stripe_size = size;
	out->stripe_count = (uint16_t)count;
	out->gen = gen;
	out->nobjs = count;
	for (i = 0; i < count; i++)
		out->objs[i].ost_idx = cand[(start + i) % n];
	out->stripe_offset = (uint16_t)out->objs[0].ost_idx;
	return layout_oids(tx, out);
}

/*
 * Run op (a create or set_layout attempt) until its layout finds the
 * precreated objects it needs: a pool that ran dry is refilled (the
 * OST creates them) and the attempt made again; an OST that cannot
 * precreate is skipped, as a down one is.
 */
static int with_objects(struct mds_store *s, int (*op)(void *arg,
		       struct alloc *a), void *arg)
{
	struct alloc *a = calloc(1, sizeof(*a));
	int rc, tries;

	if (!a)
		return -ENOMEM;
	for (tries = 0; ; tries++) {
		a->refill = -1;
		rc = op(arg, a);
		if (rc != -EAGAIN || a->refill < 0 || !s->refill)
			break;
		if (tries > 2 * TESS_MAX_STRIPES) {
			rc = -EIO;
			break;
		}
		if (s->refill(s->refill_arg, (uint32_t)a->refill))
			a->skip[a->refill] = true;
	}
	free(a);
	return rc;
}

/* ---- open / close ---- */

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t len = strlen(dir), i;

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		tmp[i] = i == len ? '\0' : '/';
	}
	return 0;
}

static int store_init_db(struct mds_store *s, const struct mds_store_opts *o,
			 char *err, size_t errlen)
{
	struct { const char *name; MDB_dbi *dbi; } dbs[] = {
		{ "inodes", &s->inodes }, { "dirents", &s->dirents },
		{ "dircookies", &s->dircookies }, { "xattrs", &s->xattrs },
		{ "symlinks", &s->symlinks }, { "orphans", &s->orphans },
		{ "osts", &s->osts }, { "meta", &s->meta },
		{ "hsm", &s->hsm }, { "trims", &s->trims },
	};
	struct tx tx = { .s = s, .write = true };
	MDB_val v;
	uint64_t fmt, u;
	size_t i;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &tx.t);
	if (rc) {
		snprintf(err, errlen, "%s", mdb_strerror(rc));
		return -EIO;
	}
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		rc = mdb_dbi_open(tx.t, dbs[i].name, MDB_CREATE, dbs[i].dbi);
		if (rc) {
			snprintf(err, errlen, "database %s: %s", dbs[i].name,
				 mdb_strerror(rc));
			goto fail;
		}
	}
	rc = meta_get_u64(&tx, "format", &fmt);
	if (rc == -ENOENT) {
		struct inode root;

		/* a new file system */
		init_inode(&root, TESS_ROOT_INO, S_IFDIR | 0755, 0, 0);
		root.r.attr.nlink = 2;
		root.r.attr.size = 4096;
		root.r.parent = TESS_ROOT_INO;
		root.r.next_cookie = 3;
		rc = ino_put(&tx, &root);
		if (!rc)
			rc = meta_put_u64(&tx, "next_ino", TESS_ROOT_INO + 1);
		if (!rc)
			rc = meta_put_u64(&tx, "next_oid", 1);
		if (!rc)
			rc = meta_put_u64(&tx, "next_orphan", 1);
		if (!rc)
			rc = meta_put_u64(&tx, "stripe_count", 1);
		if (!rc)
			rc = meta_put_u64(&tx, "stripe_size", TESS_STRIPE_SIZE_DEF);
		if (!rc)
			rc = db_put(&tx, s->meta, "fsname", 6,
				    o->fsname ? o->fsname : "tessera",
				    strlen(o->fsname ? o->fsname : "tessera"), 0);
		if (!rc)
			rc = meta_put_u64(&tx, "format", STORE_FORMAT);
		if (rc) {
			snprintf(err, errlen, "cannot initialise: %s",
				 strerror(-rc));
			goto fail;
		}
	} else if (rc) {
		snprintf(err, errlen, "cannot read the format: %s",
			 strerror(-rc));
		goto fail;
	} else if (fmt != STORE_FORMAT) {
		snprintf(err, errlen, "unknown store format %" PRIu64, fmt);
		goto fail;
	}

	/* fs name: fixed at creation */
	rc = db_get(&tx, s->meta, "fsname", 6, &v);
	if (rc || v.mv_size == 0 || v.mv_size > TESS_FSNAME_MAX) {
		snprintf(err, errlen, "fsname record is corrupt");
		goto fail;
	}
	memcpy(s->fsname, v.mv_data, v.mv_size);
	s->fsname[v.mv_size] = '\0';
	if (o->fsname && strcmp(o->fsname, s->fsname)) {
		snprintf(err, errlen, "holds file system \"%s\", not \"%s\"",
			 s->fsname, o->fsname);
		goto fail;
	}

	/* fs default layout: options given now replace the stored ones */
	if (o->stripe_count && meta_put_u64(&tx, "stripe_count", o->stripe_count))
		goto fail_io;
	if (o->stripe_size && meta_put_u64(&tx, "stripe_size", o->stripe_size))
		goto fail_io;
	if (meta_get_u64(&tx, "stripe_count", &u))
		goto fail_io;
	s->def_count = (uint32_t)u;
	if (meta_get_u64(&tx, "stripe_size", &u))
		goto fail_io;
	s->def_size = (uint32_t)u;
	rc = mdb_txn_commit(tx.t);
	if (rc) {
		snprintf(err, errlen, "commit: %s", mdb_strerror(rc));
		return -EIO;
	}
	return 0;
fail_io:
	snprintf(err, errlen, "cannot read/write the defaults");
fail:
	mdb_txn_abort(tx.t);
	return -EIO;
}

static int store_load_osts(struct mds_store *s)
{
	MDB_txn *t;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
	if (rc)
		return mdb_err(rc, "txn_begin");
	rc = mdb_cursor_open(t, s->osts, &cur);
	if (rc) {
		mdb_txn_abort(t);
		return mdb_err(rc, "cursor");
	}
	s->nosts = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct mds_ost *e = &s->ost_tab[s->nosts];
		struct ost_val ov;
		uint32_t idx;

		if (k.mv_size != 4 || v.mv_size != sizeof(ov) ||
		    s->nosts >= TESS_MAX_OSTS) {
			tlog("store: skipping a corrupt OST record");
			continue;
		}
		memcpy(&idx, k.mv_data, 4);
		memcpy(&ov, v.mv_data, sizeof(ov));
		ov.addr[TESS_ADDR_MAX] = '\0';
		e->index = be32toh(idx);
		e->state = TESS_OST_DOWN;
		memcpy(e->addr, ov.addr, sizeof(e->addr));
		memcpy(e->uuid, ov.uuid, 16);
		s->nosts++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(t);
	return rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "load osts");
}

int mds_store_open(struct mds_store **out, const struct mds_store_opts *o,
		   char *err, size_t errlen)
{
	struct mds_store *s;
	pthread_rwlockattr_t ra;
	char path[4200];
	int rc, dead = 0;

	*out = NULL;
	if (!o->dir || !*o->dir) {
		snprintf(err, errlen, "no directory given");
		return -EINVAL;
	}
	if (o->fsname && (!*o->fsname || strlen(o->fsname) > TESS_FSNAME_MAX)) {
		snprintf(err, errlen, "fsname must be 1..%d bytes",
			 TESS_FSNAME_MAX);
		return -EINVAL;
	}
	if (o->stripe_count > TESS_MAX_STRIPES) {
		snprintf(err, errlen, "stripe count over %d", TESS_MAX_STRIPES);
		return -EINVAL;
	}
	if (o->stripe_size && (o->stripe_size < TESS_STRIPE_SIZE_MIN ||
			       o->stripe_size > TESS_STRIPE_SIZE_MAX ||
			       o->stripe_size % TESS_STRIPE_SIZE_MIN)) {
		snprintf(err, errlen, "stripe size must be a multiple of 64 KiB "
			 "in 64 KiB..1 GiB");
		return -EINVAL;
	}
	rc = mkdir_p(o->dir);
	if (rc) {
		snprintf(err, errlen, "%s: %s", o->dir, strerror(-rc));
		return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->lockfd = -1;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->gate, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&s->ost_lock, NULL);

	/* one daemon per store: the in-memory OST table is not shared */
	snprintf(path, sizeof(path), "%s/mds.lock", o->dir);
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		rc = -errno;
		snprintf(err, errlen, "%s is in use by another tessera-mds",
			 o->dir);
		goto fail;
	}

	s->map_size = o->map_size ? o->map_size : DEF_MAP_SIZE;
	s->read_delay_ms = o->read_delay_ms;
	/* trim record values differ across restarts too */
	atomic_init(&s->trim_gen, realtime_ns());
	rc = mdb_env_create(&s->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(s->env, 16);
	if (!rc)
		rc = mdb_env_set_mapsize(s->env, s->map_size);
	/*
	 * A read transaction holds a reader slot from begin to end, and with
	 * MDB_NOTLS no longer: one per thread inside the store at once.
	 */
	if (!rc && o->max_readers)
		rc = mdb_env_set_maxreaders(s->env, o->max_readers);
	if (!rc)
		rc = mdb_env_open(s->env, o->dir,
				  MDB_NOTLS | (o->nosync ? MDB_NOSYNC : 0), 0600);
	if (rc) {
		snprintf(err, errlen, "%s: %s", o->dir, mdb_strerror(rc));
		rc = rc > 0 ? -rc : -EIO;
		goto fail;
	}
	{
		MDB_envinfo ei;

		/* LMDB keeps a map at least as large as the data */
		if (!mdb_env_info(s->env, &ei))
			s->map_size = ei.me_mapsize;
	}
	/* reader slots left by a killed daemon */
	mdb_reader_check(s->env, &dead);
	if (dead)
		tlog("store: cleared %d stale reader slots", dead);
	rc = store_init_db(s, o, err, errlen);
	if (rc)
		goto fail;
	rc = store_load_osts(s);
	if (rc) {
		snprintf(err, errlen, "cannot load the OST table: %s",
			 strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->env)
		mdb_env_close(s->env);
	if (s->lockfd >= 0)
		close(s->lockfd);
	pthread_rwlock_destroy(&s->gate);
	pthread_mutex_destroy(&s->ost_lock);
	free(s);
	return rc ? rc : -EIO;
}

void mds_store_close(struct mds_store *s)
{
	if (!s)
		return;
	pthread_rwlock_wrlock(&s->gate);
	s->closed = true;
	if (s->env) {
		mdb_env_sync(s->env, 1);
		mdb_env_close(s->env);
		s->env = NULL;
	}
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
	pthread_rwlock_unlock(&s->gate);
	/*
	 * The structure stays allocated: server threads may still call in
	 * (and get -ESHUTDOWN) until the daemon exits.
	 */
}

void mds_store_free(struct mds_store *s)
{
	if (!s)
		return;
	mds_store_close(s);
	pthread_rwlock_destroy(&s->gate);
	pthread_mutex_destroy(&s->ost_lock);
	free(s);
}

const char *mds_store_fsname(const struct mds_store *s)
{
	return s->fsname;
}

size_t mds_store_map_size(const struct mds_store *s)
{
	return s->map_size;
}

void mds_store_defaults(const struct mds_store *s, uint32_t *stripe_count,
			uint32_t *stripe_size)
{
	*stripe_count = s->def_count;
	*stripe_size = s->def_size;
}

void mds_store_set_orphan_hook(struct mds_store *s, void (*fn)(void *),
			       void *arg)
{
	s->orphan_hook = fn;
	s->orphan_arg = arg;
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
	rc = tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (!rc)
		rc = dent_get(&tx, parent, name, len, &d);
	if (!rc) {
		rc = ino_get(&tx, d.ino, &in);
		if (rc == -ENOENT) {
			tlog("store: entry in dir %" PRIu64 " names missing "
			     "inode %" PRIu64, parent, d.ino);
			rc = -EIO;
		}
	}
	if (!rc)
		out_inode(&in, a, lo);
	return tx_end(&tx, rc);
}

int mds_getattr(struct mds_store *s, uint64_t ino, struct mds_attr *a,
		struct mds_layout *lo)
{
	struct tx tx;
	struct inode in;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (!rc)
		out_inode(&in, a, lo);
	return tx_end(&tx, rc);
}

int mds_setattr(struct mds_store *s, uint64_t ino, const struct mds_setattr *sa,
		struct mds_attr *a, struct mds_layout *lo)
{
	struct tx tx;
	struct inode in;
	struct mds_attr *at = &in.r.attr;
	uint32_t v = sa->valid;
	bool data = false;
	uint64_t sec;
	uint32_t nsec;
	int rc;

	if (v & ~TESS_SA_KNOWN)
		return -EINVAL;
	if ((v & TESS_SA_SIZE) && (v & TESS_SA_SIZE_EXTEND))
		return -EINVAL;
	if ((v & (TESS_SA_SIZE | TESS_SA_SIZE_EXTEND)) && sa->size > (1ULL << 62))
		return -EFBIG;
	rc = tx_begin(s, &tx, v != 0);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (rc || !v)
		goto out;
	if (v & (TESS_SA_SIZE | TESS_SA_SIZE_EXTEND)) {
		if (S_ISDIR(at->mode)) {
			rc = -EISDIR;
			goto out;
		}
		if (!S_ISREG(at->mode)) {
			rc = -EINVAL;
			goto out;
		}
	}
	now_ts(&sec, &nsec);
	if (v & TESS_SA_MODE)
		at->mode = (at->mode & S_IFMT) | (sa->mode & 07777);
	if (v & TESS_SA_UID)
		at->uid = sa->uid;
	if (v & TESS_SA_GID)
		at->gid = sa->gid;
	if ((v & TESS_SA_SIZE) && sa->size != at->size) {
		at->size = sa->size;
		data = true;
	}
	if ((v & TESS_SA_SIZE) && in.lo.nobjs) {
		rc = trim_add(&tx, ino);
		if (rc)
			goto out;
	}
	if ((v & TESS_SA_SIZE_EXTEND) && sa->size > at->size) {
		at->size = sa->size;
		data = true;
	}
	if (v & TESS_SA_ATIME_NOW) {
		at->atime_sec = sec;
		at->atime_nsec = nsec;
	} else if (v & TESS_SA_ATIME) {
		at->atime_sec = sa->atime_sec;
		at->atime_nsec = sa->atime_nsec;
	}
	if (v & TESS_SA_MTIME_NOW) {
		at->mtime_sec = sec;
		at->mtime_nsec = nsec;
		data = true;
	} else if (v & TESS_SA_MTIME) {
		at->mtime_sec = sa->mtime_sec;
		at->mtime_nsec = sa->mtime_nsec;
		data = true;
	}
	if (v & TESS_SA_CTIME) {
		at->ctime_sec = sa->ctime_sec;
		at->ctime_nsec = sa->ctime_nsec;
	} else {
		at->ctime_sec = sec;
		at->ctime_nsec = nsec;
	}
	if (data) {
		at->data_version++;
		if (at->hsm_state & TESS_HSM_ARCHIVED)
			at->hsm_state |= TESS_HSM_DIRTY;
	}
	rc = ino_put(&tx, &in);
out:
	if (!rc)
		out_inode(&in, a, lo);
	return tx_end(&tx, rc);
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
	rc = tx_begin(s, &tx, true);
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
		    ino_get(&tx, d.ino, &in) == 0 && S_ISREG(in.r.attr.mode)) {
			out_inode(&in, a, lo);
			tx.write = false;	/* nothing to write */
			rc = 0;
		}
		goto out;
	}
	if (rc != -ENOENT)
		goto out;
	rc = meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	init_inode(&in, ino, type | (c->mode & 07777), c->uid, c->gid);
	if (type == S_IFCHR || type == S_IFBLK)
		in.r.attr.rdev = c->rdev;
	if (type == S_IFREG) {
		rc = layout_alloc(&tx, c->layout, &dir.lo, 1, &in.lo);
		if (rc)
			goto out;
	}
	rc = ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, c->name, c->name_len, ino, dtype(type));
	if (rc)
		goto out;
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &dir);
	if (!rc)
		out_inode(&in, a, lo);
out:
	return tx_end(&tx, rc);
}

int mds_create(struct mds_store *s, const struct mds_create *c,
	       struct mds_attr *a, struct mds_layout *lo)
{
	struct create_args x = { s, c, a, lo };

	return with_objects(s, create_once, &x);
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
	rc = tx_begin(s, &tx, true);
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
	rc = meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	init_inode(&in, ino, S_IFDIR | (c->mode & 07777), c->uid, c->gid);
	in.r.attr.nlink = 2;
	in.r.attr.size = 4096;
	in.r.parent = c->parent;
	in.r.next_cookie = 3;
	/* the default layout is inherited down the tree */
	memcpy(&in.lo, &dir.lo, offsetof(struct mds_layout, objs));
	in.lo.nobjs = 0;
	rc = ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, c->name, c->name_len, ino, DT_DIR);
	if (rc)
		goto out;
	dir.r.attr.nlink++;
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &dir);
	if (!rc && a)
		*a = in.r.attr;
out:
	return tx_end(&tx, rc);
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
	rc = tx_begin(s, &tx, true);
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
	rc = meta_alloc(&tx, "next_ino", 1, &ino);
	if (rc)
		goto out;
	init_inode(&in, ino, S_IFLNK | 0777, uid, gid);
	in.r.attr.size = tlen;
	put_be64(k, ino);
	rc = db_put(&tx, s->symlinks, k, 8, target, tlen, 0);
	if (!rc)
		rc = ino_put(&tx, &in);
	if (!rc)
		rc = dent_add(&tx, &dir, name, len, ino, DT_LNK);
	if (rc)
		goto out;
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &dir);
	if (!rc && a)
		*a = in.r.attr;
out:
	return tx_end(&tx, rc);
}

int mds_readlink(struct mds_store *s, uint64_t ino, char *buf, uint32_t *len)
{
	struct tx tx;
	struct inode in;
	uint8_t k[8];
	MDB_val v;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (!rc && !S_ISLNK(in.r.attr.mode))
		rc = -EINVAL;
	if (!rc) {
		put_be64(k, ino);
		rc = db_get(&tx, s->symlinks, k, 8, &v);
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
	return tx_end(&tx, rc);
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
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
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
	touch_ctime(&in.r.attr);
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &in);
	if (!rc)
		rc = ino_put(&tx, &dir);
	if (!rc)
		out_inode(&in, a, lo);
out:
	return tx_end(&tx, rc);
}

/* look up the inode behind (parent, name), with its entry */
static int child_get(struct tx *tx, uint64_t parent, const char *name,
		     uint32_t len, struct dent_val *d, struct inode *in)
{
	int rc = dent_get(tx, parent, name, len, d);

	if (rc)
		return rc;
	rc = ino_get(tx, d->ino, in);
	if (rc == -ENOENT) {
		tlog("store: entry in dir %" PRIu64 " names missing inode %"
		     PRIu64, parent, d->ino);
		rc = -EIO;
	}
	return rc;
}

int mds_unlink(struct mds_store *s, uint64_t parent, const char *name,
	       uint32_t len)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (!rc)
		rc = child_get(&tx, parent, name, len, &d, &in);
	if (rc)
		goto out;
	if (S_ISDIR(in.r.attr.mode)) {
		rc = -EISDIR;
		goto out;
	}
	rc = dent_del(&tx, parent, name, len, d.cookie);
	if (!rc)
		rc = drop_link(&tx, &in);
	if (rc)
		goto out;
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &dir);
out:
	return tx_end(&tx, rc);
}

int mds_rmdir(struct mds_store *s, uint64_t parent, const char *name,
	      uint32_t len)
{
	struct tx tx;
	struct inode dir, in;
	struct dent_val d;
	int rc = name_ok(name, len);

	if (rc)
		return rc;
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = dir_get(&tx, parent, &dir);
	if (!rc)
		rc = child_get(&tx, parent, name, len, &d, &in);
	if (rc)
		goto out;
	if (!S_ISDIR(in.r.attr.mode)) {
		rc = -ENOTDIR;
		goto out;
	}
	rc = dir_empty(&tx, d.ino);
	if (!rc)
		rc = dent_del(&tx, parent, name, len, d.cookie);
	if (!rc)
		rc = ino_remove(&tx, &in);
	if (rc)
		goto out;
	if (dir.r.attr.nlink > 2)
		dir.r.attr.nlink--;
	touch_mctime(&dir.r.attr);
	rc = ino_put(&tx, &dir);
out:
	return tx_end(&tx, rc);
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
		rc = ino_get(tx, ino, &in);
		if (rc)
			return rc == -ENOENT ? -EIO : rc;
		ino = in.r.parent;
	}
	tlog("store: directory parent chain loops above %" PRIu64, ino);
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
	rc = tx_begin(s, &tx, true);
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
		rc = ino_get(&tx, td.ino, &tgt);
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
			rc = ino_remove(&tx, &tgt);
			if (ndir->r.attr.nlink > 2)
				ndir->r.attr.nlink--;
		} else {
			rc = drop_link(&tx, &tgt);
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
	touch_ctime(&src.r.attr);
	touch_mctime(&odir.r.attr);
	if (ndir != &odir)
		touch_mctime(&ndir->r.attr);
	rc = ino_put(&tx, &src);
	if (!rc)
		rc = ino_put(&tx, &odir);
	if (!rc && ndir != &odir)
		rc = ino_put(&tx, ndir);
out:
	return tx_end(&tx, rc);
}

int mds_readdir(struct mds_store *s, uint64_t ino, uint64_t cookie,
		mds_dirent_fn fn, void *arg, bool *eof)
{
	struct tx tx;
	struct inode dir;
	MDB_cursor *cur;
	uint8_t k[16];
	MDB_val key = { 16, k }, v;
	int rc;

	*eof = false;
	rc = tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = dir_get(&tx, ino, &dir);
	if (rc)
		goto out;
	if (cookie < 1 && fn(arg, ino, 1, DT_DIR, ".", 1))
		goto out;
	if (cookie < 2 && fn(arg, dir.r.parent ? dir.r.parent : ino, 2, DT_DIR,
			     "..", 2))
		goto out;
	if (cookie == UINT64_MAX) {
		*eof = true;
		goto out;
	}
	rc = mdb_cursor_open(tx.t, s->dircookies, &cur);
	if (rc) {
		rc = mdb_err(rc, "cursor");
		goto out;
	}
	put_be64(k, ino);
	put_be64(k + 8, cookie < 2 ? 3 : cookie + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		struct cookie_val c;
		const char *name;

		if (key.mv_size != 16 || memcmp(key.mv_data, k, 8))
			break;
		if (v.mv_size < sizeof(c)) {
			tlog("store: dir %" PRIu64 " cookie record is corrupt",
			     ino);
			continue;
		}
		memcpy(&c, v.mv_data, sizeof(c));
		name = (const char *)v.mv_data + sizeof(c);
		if (c.name_len == 0 || c.name_len > TESS_NAME_MAX ||
		    c.name_len != v.mv_size - sizeof(c)) {
			tlog("store: dir %" PRIu64 " cookie record is corrupt",
			     ino);
			continue;
		}
		if (fn(arg, c.ino, get_be64((const uint8_t *)key.mv_data + 8),
		       c.type, name, c.name_len))
			break;
	}
	if (rc == MDB_NOTFOUND || (rc == 0 && (key.mv_size != 16 ||
					       memcmp(key.mv_data, k, 8))))
		*eof = true;
	rc = rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "readdir");
	mdb_cursor_close(cur);
out:
	return tx_end(&tx, rc);
}

/* ---- xattrs ---- */

static size_t xattr_key(uint8_t *k, uint64_t ino, const char *name,
			uint32_t len)
{
	put_be64(k, ino);
	memcpy(k + 8, name, len);
	return 8 + len;
}

static int xname_ok(const char *name, uint32_t len)
{
	if (!name || len == 0 || memchr(name, '\0', len))
		return -EINVAL;
	return len > TESS_XATTR_NAME_MAX ? -ERANGE : 0;
}

int mds_getxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, void *buf, uint32_t cap, uint32_t *size)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	MDB_val v;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	rc = tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	rc = db_get(&tx, s->xattrs, k, xattr_key(k, ino, name, nlen), &v);
	if (rc == -ENOENT)
		rc = -ENODATA;
	if (rc)
		goto out;
	*size = (uint32_t)v.mv_size;
	if (cap == 0)
		goto out;
	if (cap < v.mv_size)
		rc = -ERANGE;
	else
		memcpy(buf, v.mv_data, v.mv_size);
out:
	return tx_end(&tx, rc);
}

/* bytes of the NUL-separated name list of ino; copies it if buf */
static int xattr_list(struct tx *tx, uint64_t ino, uint8_t *buf, uint32_t cap,
		      uint32_t *size)
{
	uint8_t k[8];
	MDB_cursor *cur;
	MDB_val key = { 8, k }, v;
	uint32_t total = 0;
	int rc;

	put_be64(k, ino);
	rc = mdb_cursor_open(tx->t, tx->s->xattrs, &cur);
	if (rc)
		return mdb_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		uint32_t n;

		if (key.mv_size <= 8 || memcmp(key.mv_data, k, 8))
			break;
		n = (uint32_t)key.mv_size - 8;
		if (buf && total + n + 1 <= cap) {
			memcpy(buf + total, (uint8_t *)key.mv_data + 8, n);
			buf[total + n] = '\0';
		}
		total += n + 1;
	}
	mdb_cursor_close(cur);
	*size = total;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_err(rc, "listxattr");
}

int mds_setxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, const void *val, uint32_t vlen, uint32_t flags)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	MDB_val v;
	size_t kl;
	uint32_t list;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	if (flags & ~(TESS_XATTR_CREATE | TESS_XATTR_REPLACE) ||
	    flags == (TESS_XATTR_CREATE | TESS_XATTR_REPLACE))
		return -EINVAL;
	if (vlen > TESS_XATTR_SIZE_MAX)
		return -E2BIG;
	if (vlen && !val)
		return -EINVAL;
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	kl = xattr_key(k, ino, name, nlen);
	rc = db_get(&tx, s->xattrs, k, kl, &v);
	if (rc == 0 && (flags & TESS_XATTR_CREATE)) {
		rc = -EEXIST;
		goto out;
	}
	if (rc == -ENOENT) {
		if (flags & TESS_XATTR_REPLACE) {
			rc = -ENODATA;
			goto out;
		}
		/* the name list must stay readable by listxattr */
		rc = xattr_list(&tx, ino, NULL, 0, &list);
		if (!rc && list + nlen + 1 > TESS_XATTR_LIST_MAX)
			rc = -ENOSPC;
	}
	if (rc)
		goto out;
	rc = db_put(&tx, s->xattrs, k, kl, vlen ? val : "", vlen, 0);
	if (rc)
		goto out;
	touch_ctime(&in.r.attr);
	rc = ino_put(&tx, &in);
out:
	return tx_end(&tx, rc);
}

int mds_listxattr(struct mds_store *s, uint64_t ino, void *buf, uint32_t cap,
		  uint32_t *size)
{
	struct tx tx;
	struct inode in;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (!rc)
		rc = xattr_list(&tx, ino, cap ? buf : NULL, cap, size);
	if (!rc && cap && cap < *size)
		rc = -ERANGE;
	return tx_end(&tx, rc);
}

int mds_removexattr(struct mds_store *s, uint64_t ino, const char *name,
		    uint32_t nlen)
{
	uint8_t k[8 + TESS_XATTR_NAME_MAX];
	struct tx tx;
	struct inode in;
	int rc = xname_ok(name, nlen);

	if (rc)
		return rc;
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	rc = db_del(&tx, s->xattrs, k, xattr_key(k, ino, name, nlen));
	if (rc == -ENOENT)
		rc = -ENODATA;
	if (rc)
		goto out;
	touch_ctime(&in.r.attr);
	rc = ino_put(&tx, &in);
out:
	return tx_end(&tx, rc);
}

/* ---- layouts ---- */

int mds_get_layout(struct mds_store *s, uint64_t ino, struct mds_layout *lo)
{
	return mds_getattr(s, ino, NULL, lo);
}

struct set_layout_args {
	struct mds_store *s;
	uint64_t ino;
	const struct mds_layout *req;
	struct mds_layout *out;
};

static int set_layout_once(void *arg, struct alloc *al)
{
	struct set_layout_args *x = arg;
	struct mds_store *s = x->s;
	uint64_t ino = x->ino;
	const struct mds_layout *req = x->req;
	struct mds_layout *out = x->out;
	struct tx tx;
	struct inode in;
	struct mds_layout old;
	int rc;

	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	tx.alloc = al;
	rc = ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	if (S_ISDIR(in.r.attr.mode)) {
		memset(&in.lo, 0, offsetof(struct mds_layout, objs));
		if (layout_given(req)) {
			if (req->nobjs) {
				/* a directory default names no objects */
				rc = -EINVAL;
				goto out;
			}
			in.lo.pattern = TESS_LAYOUT_RAID0;
			in.lo.stripe_size = req->stripe_size;
			in.lo.stripe_count = req->stripe_count;
			in.lo.stripe_offset = req->stripe_offset;
		}
	} else if (S_ISREG(in.r.attr.mode)) {
		if (in.r.attr.nlink == 0) {	/* an orphan: no new objects */
			rc = -ENOENT;
			goto out;
		}
		if (in.r.attr.size) {
			rc = -EBUSY;
			goto out;
		}
		layout_copy(&old, &in.lo);
		rc = layout_alloc(&tx, req, NULL, old.gen + 1, &in.lo);
		if (!rc)
			rc = orphan_add(&tx, ino, &old);
		if (rc)
			goto out;
		in.r.attr.data_version++;
	} else {
		rc = -EINVAL;
		goto out;
	}
	touch_ctime(&in.r.attr);
	rc = ino_put(&tx, &in);
	if (!rc && out)
		layout_copy(out, &in.lo);
out:
	return tx_end(&tx, rc);
}

int mds_set_layout(struct mds_store *s, uint64_t ino,
		   const struct mds_layout *req, struct mds_layout *out)
{
	struct set_layout_args x = { s, ino, req, out };

	return with_objects(s, set_layout_once, &x);
}

/* ---- HSM ---- */

#define HSM_MAGIC	0x314d5348u	/* "HSM1" */

struct hsm_rec {			/* then bucket, key, etag */
	uint32_t magic;
	uint16_t blen, klen, elen, pad;
	uint32_t mtime_nsec;
	uint64_t size;
	uint64_t mtime_sec;
	uint8_t present[TESS_MAX_STRIPES / 8];
};

static int hsm_load(struct tx *tx, uint64_t ino, struct mds_hsm *h)
{
	struct hsm_rec r;
	uint8_t k[8];
	const char *p;
	MDB_val v;
	int rc;

	memset(h, 0, sizeof(*h));
	put_be64(k, ino);
	rc = db_get(tx, tx->s->hsm, k, 8, &v);
	if (rc)
		return rc == -ENOENT ? -ENODATA : rc;
	if (v.mv_size < sizeof(r))
		goto bad;
	memcpy(&r, v.mv_data, sizeof(r));
	if (r.magic != HSM_MAGIC || r.blen > TESS_S3_BUCKET_MAX ||
	    r.klen > TESS_S3_KEY_MAX || r.elen > TESS_S3_ETAG_MAX ||
	    v.mv_size != sizeof(r) + r.blen + r.klen + r.elen)
		goto bad;
	p = (const char *)v.mv_data + sizeof(r);
	memcpy(h->bucket, p, r.blen);
	memcpy(h->key, p + r.blen, r.klen);
	memcpy(h->etag, p + r.blen + r.klen, r.elen);
	h->size = r.size;
	h->mtime_sec = r.mtime_sec;
	h->mtime_nsec = r.mtime_nsec;
	memcpy(h->present, r.present, sizeof(h->present));
	return 0;
bad:
	tlog("store: HSM record of inode %" PRIu64 " is corrupt", ino);
	return -EIO;
}

static int hsm_store(struct tx *tx, uint64_t ino, const struct mds_hsm *h)
{
	uint8_t buf[sizeof(struct hsm_rec) + TESS_S3_BUCKET_MAX +
		    TESS_S3_KEY_MAX + TESS_S3_ETAG_MAX];
	struct hsm_rec r = { .magic = HSM_MAGIC };
	uint8_t k[8];
	size_t n = sizeof(r);

	r.blen = (uint16_t)strlen(h->bucket);
	r.klen = (uint16_t)strlen(h->key);
	r.elen = (uint16_t)strlen(h->etag);
	r.size = h->size;
	r.mtime_sec = h->mtime_sec;
	r.mtime_nsec = h->mtime_nsec;
	memcpy(r.present, h->present, sizeof(r.present));
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + n, h->bucket, r.blen);
	n += r.blen;
	memcpy(buf + n, h->key, r.klen);
	n += r.klen;
	memcpy(buf + n, h->etag, r.elen);
	n += r.elen;
	put_be64(k, ino);
	return db_put(tx, tx->s->hsm, k, 8, buf, n, 0);
}

/* every object of the layout present, or empty at the origin's size */
static bool hsm_all_present(const struct inode *in, const struct mds_hsm *h)
{
	struct tess_stripe_geom g = { in->lo.stripe_size, in->lo.nobjs };

	if (!in->lo.nobjs || tess_stripe_geom_check(&g))
		return true;
	for (uint32_t i = 0; i < in->lo.nobjs; i++) {
		if (h->present[i / 8] & (1u << (i % 8)))
			continue;
		if (tess_stripe_obj_size(&g, i, h->size))
			return false;
	}
	return true;
}

static void copy_str(char *dst, size_t cap, const char *src, uint32_t len)
{
	if (len >= cap)
		len = (uint32_t)cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int mds_hsm_set(struct mds_store *s, uint64_t ino, const struct mds_hsm_set *r,
		struct mds_hsm *out)
{
	struct mds_attr *at;
	struct mds_hsm h;
	struct inode in;
	struct tx tx;
	uint8_t k[8];
	int rc;

	if (r->valid & ~TESS_HSMS_KNOWN || (r->set | r->clear) & ~TESS_HSM_ALL)
		return -EINVAL;
	if ((r->valid & TESS_HSMS_STRIPE) && r->stripe >= TESS_MAX_STRIPES)
		return -EINVAL;
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (rc)
		goto out;
	at = &in.r.attr;
	if (!S_ISREG(at->mode)) {
		rc = S_ISDIR(at->mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (r->valid & TESS_HSMS_REMOVE) {
		put_be64(k, ino);
		rc = db_del(&tx, s->hsm, k, 8);
		if (rc == -ENOENT)
			rc = 0;
		at->hsm_state = 0;
		if (!rc)
			rc = ino_put(&tx, &in);
		memset(&h, 0, sizeof(h));
		goto done;
	}
	rc = hsm_load(&tx, ino, &h);
	if (rc == -ENODATA && (r->valid & TESS_HSMS_ORIGIN))
		rc = 0;
	if (rc)
		goto out;
	if (r->valid & TESS_HSMS_ORIGIN) {
		copy_str(h.bucket, sizeof(h.bucket), r->bucket, r->blen);
		copy_str(h.key, sizeof(h.key), r->key, r->klen);
		copy_str(h.etag, sizeof(h.etag), r->etag, r->elen);
		h.size = r->size;
		h.mtime_sec = r->mtime_sec;
		h.mtime_nsec = r->mtime_nsec;
		memset(h.present, 0, sizeof(h.present));
	}
	if (r->valid & TESS_HSMS_ATTRS) {
		at->size = h.size;
		at->mtime_sec = h.mtime_sec;
		at->mtime_nsec = h.mtime_nsec;
		at->data_version++;
		touch_ctime(at);
	}
	if (r->valid & TESS_HSMS_UNPRESENT)
		memset(h.present, 0, sizeof(h.present));
	if (r->valid & TESS_HSMS_STRIPE) {
		if (r->elen != strlen(h.etag) ||
		    memcmp(r->etag, h.etag, r->elen)) {
			rc = -ESTALE;	/* news about an older origin */
			goto out;
		}
		h.present[r->stripe / 8] |= (uint8_t)(1u << (r->stripe % 8));
	}
	if (r->valid & TESS_HSMS_STATE)
		at->hsm_state = (at->hsm_state & ~r->clear) | r->set;
	if ((at->hsm_state & TESS_HSM_RELEASED) && hsm_all_present(&in, &h))
		at->hsm_state &= ~TESS_HSM_RELEASED;
	rc = hsm_store(&tx, ino, &h);
	if (!rc)
		rc = ino_put(&tx, &in);
done:
	h.state = at->hsm_state;
	if (!rc && out)
		*out = h;
out:
	return tx_end(&tx, rc);
}

int mds_hsm_get(struct mds_store *s, uint64_t ino, struct mds_hsm *out)
{
	struct inode in;
	struct tx tx;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = ino_get(&tx, ino, &in);
	if (!rc)
		rc = hsm_load(&tx, ino, out);
	if (!rc)
		out->state = in.r.attr.hsm_state;
	return tx_end(&tx, rc);
}

/* ---- statfs ---- */

int mds_store_statfs(struct mds_store *s, uint64_t *files, uint64_t *ffree)
{
	struct tx tx;
	MDB_stat st;
	MDB_envinfo ei;
	uint64_t used;
	int rc = tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = mdb_err(mdb_stat(tx.t, s->inodes, &st), "stat");
	if (!rc)
		rc = mdb_err(mdb_env_info(s->env, &ei), "env_info");
	if (!rc) {
		*files = st.ms_entries;
		used = ((uint64_t)ei.me_last_pgno + 1) * st.ms_psize;
		/* about 1 KiB of map per inode with its entries */
		*ffree = used < ei.me_mapsize ? (ei.me_mapsize - used) / 1024 : 0;
	}
	return tx_end(&tx, rc);
}

/* ---- OSTs ---- */

static bool uuid_zero(const uint8_t u[16])
{
	static const uint8_t zero[16];

	return !memcmp(u, zero, 16);
}

int mds_ost_register(struct mds_store *s, uint32_t index, const char *addr,
		     const uint8_t uuid[16], bool replace)
{
	struct tx tx;
	struct ost_val ov;
	struct mds_ost *e;
	uint32_t k = htobe32(index), i;
	uint8_t pk[POOL_KEY_LEN];
	size_t alen = addr ? strlen(addr) : 0;
	int p, rc;

	if (index >= TESS_MAX_OSTS || alen == 0 || alen > TESS_ADDR_MAX)
		return -EINVAL;
	memset(&ov, 0, sizeof(ov));
	memcpy(ov.addr, addr, alen);
	memcpy(ov.uuid, uuid, 16);
	rc = tx_begin(s, &tx, true);
	if (rc)
		return rc;
	/* lock order: LMDB writer lock, then ost_lock (as in layout_alloc) */
	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0 && memcmp(s->ost_tab[p].uuid, uuid, 16) &&
	    !uuid_zero(s->ost_tab[p].uuid)) {
		/* another store: its objects are not the ones layouts name */
		if (!replace) {
			pthread_mutex_unlock(&s->ost_lock);
			rc = -EEXIST;
			goto out;
		}
		/* the pool was precreated on the old store */
		pool_key(pk, index);
		rc = db_del(&tx, s->meta, pk, sizeof(pk));
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc)
		rc = db_put(&tx, s->osts, &k, 4, &ov, sizeof(ov), 0);
	if (!rc) {
		rc = mdb_txn_commit(tx.t);
		note_write(s, rc);
		rc = mdb_err(rc, "commit");
	} else {
		mdb_txn_abort(tx.t);
	}
	tx.t = NULL;
	if (!rc) {
		if (p < 0) {
			for (i = s->nosts; i > 0 && s->ost_tab[i - 1].index > index;
			     i--)
				s->ost_tab[i] = s->ost_tab[i - 1];
			p = (int)i;
			s->nosts++;
		}
		e = &s->ost_tab[p];
		e->index = index;
		e->state = TESS_OST_UP;
		e->heard_ms = mono_ms();
		memcpy(e->addr, ov.addr, sizeof(e->addr));
		memcpy(e->uuid, uuid, 16);
	}
	pthread_mutex_unlock(&s->ost_lock);
	pthread_rwlock_unlock(&s->gate);
	return rc;
out:
	return tx_end(&tx, rc);
}

uint32_t mds_ost_set_state(struct mds_store *s, uint32_t index,
			   uint32_t state)
{
	uint32_t old = 0;
	int p;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0) {
		old = s->ost_tab[p].state;
		s->ost_tab[p].state = state;
		if (state == TESS_OST_UP)
			s->ost_tab[p].heard_ms = mono_ms();
	}
	pthread_mutex_unlock(&s->ost_lock);
	return old;
}

uint32_t mds_ost_list(struct mds_store *s, struct mds_ost *out, uint32_t max)
{
	uint32_t n;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	n = s->nosts < max ? s->nosts : max;
	memcpy(out, s->ost_tab, n * sizeof(*out));
	pthread_mutex_unlock(&s->ost_lock);
	return n;
}

int mds_ost_get(struct mds_store *s, uint32_t index, struct mds_ost *out)
{
	int p;

	pthread_mutex_lock(&s->ost_lock);
	ost_expire(s);
	p = ost_pos(s, index);
	if (p >= 0)
		*out = s->ost_tab[p];
	pthread_mutex_unlock(&s->ost_lock);
	return p >= 0 ? 0 : -ENOENT;
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
	rc = tx_begin(s, &tx, false);
	if (rc)
		return rc;
	rc = mdb_cursor_open(tx.t, s->orphans, &cur);
	if (rc) {
		rc = mdb_err(rc, "cursor");
		goto out;
	}
	put_be64(k, after + 1);
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		if (key.mv_size != 8 || v.mv_size < 8 ||
		    layout_raw_decode((const uint8_t *)v.mv_data + 8,
				      (uint32_t)v.mv_size - 8, &o->layout)) {
			tlog("store: skipping a corrupt orphan record");
			continue;
		}
		o->id = get_be64(key.mv_data);
		memcpy(&o->ino, v.mv_data, 8);
		break;
	}
	mdb_cursor_close(cur);
	rc = mdb_err(rc, "orphan_next");
out:
	return tx_end(&tx, rc);
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

	put_be64(k, id);
	rc = db_get(tx, tx->s->orphans, k, 8, &v);
	if (rc)
		return rc;
	if (v.mv_size < 8)
		return db_del(tx, tx->s->orphans, k, 8);
	memcpy(&ino, v.mv_data, 8);
	rc = db_del(tx, tx->s->orphans, k, 8);
	if (rc)
		return rc;
	rc = ino_get(tx, ino, &in);
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
	int rc = tx_begin(s, &tx, true);

	if (rc)
		return rc;
	put_be64(k, id);
	if (!remaining || !remaining->nobjs) {
		rc = orphan_done(&tx, id);
		return tx_end(&tx, rc);
	}
	rc = db_get(&tx, s->orphans, k, 8, &old);
	if (!rc && old.mv_size < 8)
		rc = -EIO;
	if (!rc) {
		memcpy(v, old.mv_data, 8);
		layout_copy(&tmp, remaining);
		tmp.stripe_count = (uint16_t)tmp.nobjs;
		if (!tmp.pattern)
			tmp.pattern = TESS_LAYOUT_RAID0;
		n = mds_layout_encode(&tmp, v + 8);
		rc = db_put(&tx, s->orphans, k, 8, v, 8 + n, 0);
	}
	return tx_end(&tx, rc);
}

int mds_orphan_count(struct mds_store *s, uint64_t *n)
{
	return db_count(s, s->orphans, n);
}

/* ---- object owners (OBJ_SCAN, tessctl check) ---- */

/* cookie: phase (files, orphans, pools, done) in the top 2 bits, then
 * the first key of that phase still to scan */
#define SCAN_FILES	0
#define SCAN_ORPHANS	1
#define SCAN_POOLS	2
#define SCAN_DONE	3
#define SCAN_KEY_MASK	((1ULL << 62) - 1)

struct scan {
	struct mds_owner *out;
	uint32_t max, n;
	uint64_t cookie;		/* where the page stopped */
};

/* the objects of layout l, all or none; false: the page is full */
static bool scan_layout(struct scan *sc, uint64_t ino, uint32_t kind,
			const struct mds_layout *l)
{
	if (sc->n + l->nobjs > sc->max)
		return false;
	for (uint32_t i = 0; i < l->nobjs; i++)
		sc->out[sc->n++] = (struct mds_owner){
			.ino = ino, .oid = l->objs[i].oid,
			.ost_idx = l->objs[i].ost_idx, .kind = kind,
			.count = 1 };
	return true;
}

/* one phase from key on: 0 done, 1 page full (sc->cookie set), -errno */
static int scan_phase(struct tx *tx, struct scan *sc, unsigned phase,
		      uint64_t key, struct inode *in)
{
	MDB_dbi dbi = phase == SCAN_FILES ? tx->s->inodes :
		      phase == SCAN_ORPHANS ? tx->s->orphans : tx->s->meta;
	uint8_t k[POOL_KEY_LEN > 8 ? POOL_KEY_LEN : 8];
	MDB_val mk = { 8, k }, v;
	MDB_cursor *cur;
	int rc, full = 0;

	if (phase == SCAN_POOLS) {
		pool_key(k, (uint32_t)key);
		mk.mv_size = POOL_KEY_LEN;
	} else {
		put_be64(k, key);
	}
	rc = mdb_cursor_open(tx->t, dbi, &cur);
	if (rc)
		return mdb_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &mk, &v, MDB_SET_RANGE); !rc && !full;
	     rc = mdb_cursor_get(cur, &mk, &v, MDB_NEXT)) {
		uint64_t id = mk.mv_size == 8 ? get_be64(mk.mv_data) : 0;
		struct pool_rec p;
		uint32_t idx;

		if (phase == SCAN_FILES) {
			if (mk.mv_size != 8 || ino_decode(v, id, in) ||
			    !S_ISREG(in->r.attr.mode) || !in->r.attr.nlink)
				continue;
			full = !scan_layout(sc, id, TESS_OWN_FILE, &in->lo);
		} else if (phase == SCAN_ORPHANS) {
			uint64_t ino;

			if (mk.mv_size != 8 || v.mv_size < 8 ||
			    layout_raw_decode((const uint8_t *)v.mv_data + 8,
					      (uint32_t)v.mv_size - 8, &in->lo))
				continue;
			memcpy(&ino, v.mv_data, 8);
			full = !scan_layout(sc, ino, TESS_OWN_ORPHAN, &in->lo);
		} else {
			if (mk.mv_size != POOL_KEY_LEN ||
			    memcmp(mk.mv_data, POOL_PFX, sizeof(POOL_PFX) - 1))
				break;	/* past the pools */
			memcpy(&idx, (uint8_t *)mk.mv_data + POOL_KEY_LEN - 4, 4);
			idx = be32toh(idx);
			id = idx;
			if (v.mv_size != sizeof(p))
				continue;
			memcpy(&p, v.mv_data, sizeof(p));
			if (p.next >= p.end)
				continue;
			full = sc->n == sc->max;
			if (!full)
				sc->out[sc->n++] = (struct mds_owner){
					.oid = p.next, .ost_idx = idx,
					.kind = TESS_OWN_FREE,
					.count = (uint32_t)(p.end - p.next) };
		}
		if (full)
			sc->cookie = ((uint64_t)phase << 62) | (id & SCAN_KEY_MASK);
	}
	mdb_cursor_close(cur);
	if (full)
		return 1;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : mdb_err(rc, "scan");
}

int mds_obj_scan(struct mds_store *s, uint64_t *cookie, struct mds_owner *out,
		 uint32_t max, uint32_t *n, bool *eof)
{
	struct scan sc = { .out = out, .max = max };
	unsigned phase = (unsigned)(*cookie >> 62);
	uint64_t key = *cookie & SCAN_KEY_MASK;
	struct inode *in = malloc(sizeof(*in));
	struct tx tx;
	int rc;

	*n = 0;
	*eof = false;
	if (!in)
		return -ENOMEM;
	rc = tx_begin(s, &tx, false);
	if (rc) {
		free(in);
		return rc;
	}
	for (; phase < SCAN_DONE; phase++, key = 0) {
		rc = scan_phase(&tx, &sc, phase, key, in);
		if (rc)
			break;
	}
	tx_end(&tx, 0);
	free(in);
	if (rc < 0)
		return rc;
	*n = sc.n;
	*eof = rc == 0;
	*cookie = rc == 1 ? sc.cookie : (uint64_t)SCAN_DONE << 62;
	return 0;
}
