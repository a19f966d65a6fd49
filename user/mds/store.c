// SPDX-License-Identifier: MIT
/*
 * store.c - the Tessera namespace in LMDB (see store.h for the layout of
 * the databases): the core the other store_*.c files build on.  Small
 * helpers, layouts in wire form, transactions, meta counters, inode
 * records, open / close and statfs.
 *
 * Every operation is one transaction.  A mutating operation reads what it
 * needs, checks every POSIX rule against the committed state it sees
 * (LMDB gives a writer exclusive access), and writes inode records, entries
 * and orphans together, so a crash leaves either all of it or none.
 *
 * The operations, by concern (store_int.h holds what the files share):
 *   store_ns.c    names: lookup, create, mkdir, symlink, readlink, link,
 *                 unlink, rmdir, rename, readdir
 *   store_attr.c  attributes: getattr, setattr, xattrs, HSM records
 *   store_ost.c   OSTs and layouts: object pools (precreation), layout
 *                 allocation, get/set layout, the OST table, OBJ_SCAN
 *   store_gc.c    what is cleaned up later: removal, orphans, trims
 */
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

#include "store_int.h"
#include "tnet.h"

#define REC_MAGIC	0x314e4954u	/* "TIN1" */
#define STORE_FORMAT	1
#define DEF_MAP_SIZE	(16ULL << 30)

/* ---- small helpers ---- */

void store_put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

uint64_t store_get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

int store_mdb_err(int rc, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return -ENOSPC;
	tlog_level(LOG_ERR, "lmdb %s: %s", what, mdb_strerror(rc));
	return rc > 0 ? -rc : -EIO;
}

/*
 * A write failed or succeeded: MDB_MAP_FULL gets one log line naming the
 * option to raise (the caller turns it into ENOSPC through store_mdb_err),
 * until a later write commits again.
 */
void store_note_write(struct mds_store *s, int rc)
{
	if (rc == MDB_MAP_FULL) {
		if (!atomic_exchange(&s->map_full, true))
			tlog_level(LOG_ERR, "store: the LMDB map (%zu MiB) is full: changes "
			     "fail with ENOSPC, reads go on; restart "
			     "tessera-mds with a larger --map-size",
			     s->map_size >> 20);
	} else if (rc == 0 && atomic_load(&s->map_full)) {
		atomic_store(&s->map_full, false);
	}
}

void store_now_ts(uint64_t *sec, uint32_t *nsec)
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

void store_touch_ctime(struct mds_attr *a)
{
	store_now_ts(&a->ctime_sec, &a->ctime_nsec);
}

/* ---- layouts ---- */

int store_layout_raw_decode(const void *wire, uint32_t len,
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
	return store_layout_raw_decode(wire, len, l);
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

int store_tx_begin(struct mds_store *s, struct tx *tx, bool write)
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
		return store_mdb_err(rc, "txn_begin");
	}
	tx->s = s;
	tx->write = write;
	tx->orphaned = false;
	tx->alloc = NULL;
	return 0;
}

/* commit a write transaction when rc is 0, else abort; returns rc */
int store_tx_end(struct tx *tx, int rc)
{
	struct mds_store *s = tx->s;
	bool hook;

	if (rc == 0 && tx->write) {
		rc = mdb_txn_commit(tx->t);
		store_note_write(s, rc);
		rc = store_mdb_err(rc, "commit");
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

int store_db_get(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		 MDB_val *v)
{
	MDB_val key = { klen, (void *)k };

	return store_mdb_err(mdb_get(tx->t, dbi, &key, v), "get");
}

int store_db_put(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		 const void *d, size_t dlen, unsigned flags)
{
	MDB_val key = { klen, (void *)k }, val = { dlen, (void *)d };
	int rc = mdb_put(tx->t, dbi, &key, &val, flags);

	if (rc == MDB_KEYEXIST)
		return -EEXIST;
	if (rc == MDB_MAP_FULL)
		store_note_write(tx->s, rc);
	return store_mdb_err(rc, "put");
}

int store_db_del(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen)
{
	MDB_val key = { klen, (void *)k };
	int rc = mdb_del(tx->t, dbi, &key, NULL);

	if (rc == MDB_MAP_FULL)
		store_note_write(tx->s, rc);
	return store_mdb_err(rc, "del");
}

/* ---- meta counters ---- */

static int meta_get_u64(struct tx *tx, const char *key, uint64_t *v)
{
	MDB_val val;
	int rc = store_db_get(tx, tx->s->meta, key, strlen(key), &val);

	if (rc)
		return rc;
	if (val.mv_size != 8)
		return -EIO;
	memcpy(v, val.mv_data, 8);
	return 0;
}

static int meta_put_u64(struct tx *tx, const char *key, uint64_t v)
{
	return store_db_put(tx, tx->s->meta, key, strlen(key), &v, 8, 0);
}

/* take n consecutive values of counter `key` */
int store_meta_alloc(struct tx *tx, const char *key, uint64_t n,
		     uint64_t *first)
{
	uint64_t v;
	int rc = meta_get_u64(tx, key, &v);

	if (rc) {
		tlog_level(LOG_ERR, "store: meta counter %s missing (%d)", key, rc);
		return -EIO;
	}
	if (v + n < v)
		return -ENOSPC;
	*first = v;
	return meta_put_u64(tx, key, v + n);
}

/* ---- inodes ---- */

int store_ino_decode(const MDB_val v, uint64_t ino, struct inode *in)
{
	if (v.mv_size < sizeof(in->r))
		goto bad;
	memcpy(&in->r, v.mv_data, sizeof(in->r));
	if (in->r.magic != REC_MAGIC ||
	    in->r.layout_len != v.mv_size - sizeof(in->r) ||
	    in->r.attr.ino != ino)
		goto bad;
	if (store_layout_raw_decode((const uint8_t *)v.mv_data + sizeof(in->r),
				    in->r.layout_len, &in->lo))
		goto bad;
	return 0;
bad:
	tlog_level(LOG_ERR, "store: inode %" PRIu64 " record is corrupt (%zu bytes)", ino,
	     v.mv_size);
	return -EIO;
}

int store_ino_get(struct tx *tx, uint64_t ino, struct inode *in)
{
	uint8_t k[8];
	MDB_val v;
	int rc;

	if (ino == 0)
		return -ENOENT;
	store_put_be64(k, ino);
	rc = store_db_get(tx, tx->s->inodes, k, 8, &v);
	return rc ? rc : store_ino_decode(v, ino, in);
}

int store_ino_put(struct tx *tx, struct inode *in)
{
	uint8_t k[8];
	MDB_val key = { 8, k }, val;
	uint8_t lbuf[TESS_LAYOUT_BYTES(TESS_MAX_STRIPES)];
	int rc;

	in->r.magic = REC_MAGIC;
	in->r.layout_len = mds_layout_encode(&in->lo, lbuf);
	if (S_ISREG(in->r.attr.mode))
		in->r.attr.blocks = (in->r.attr.size + 511) / 512;
	store_put_be64(k, in->r.attr.ino);
	val.mv_size = sizeof(in->r) + in->r.layout_len;
	rc = mdb_put(tx->t, tx->s->inodes, &key, &val, MDB_RESERVE);
	if (rc == MDB_MAP_FULL)
		store_note_write(tx->s, rc);
	if (rc)
		return store_mdb_err(rc, "put inode");
	memcpy(val.mv_data, &in->r, sizeof(in->r));
	memcpy((uint8_t *)val.mv_data + sizeof(in->r), lbuf, in->r.layout_len);
	return 0;
}

void store_init_inode(struct inode *in, uint64_t ino, uint32_t mode,
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
	store_now_ts(&in->r.attr.mtime_sec, &in->r.attr.mtime_nsec);
	in->r.attr.atime_sec = in->r.attr.ctime_sec = in->r.attr.mtime_sec;
	in->r.attr.atime_nsec = in->r.attr.ctime_nsec = in->r.attr.mtime_nsec;
}

void store_out_inode(const struct inode *in, struct mds_attr *a,
		     struct mds_layout *lo)
{
	if (a)
		*a = in->r.attr;
	if (lo) {
		memcpy(lo, &in->lo, offsetof(struct mds_layout, objs));
		memcpy(lo->objs, in->lo.objs, in->lo.nobjs * sizeof(lo->objs[0]));
	}
}

void store_layout_copy(struct mds_layout *dst, const struct mds_layout *src)
{
	memcpy(dst, src, offsetof(struct mds_layout, objs));
	memcpy(dst->objs, src->objs, src->nobjs * sizeof(dst->objs[0]));
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
		store_init_inode(&root, TESS_ROOT_INO, S_IFDIR | 0755, 0, 0);
		root.r.attr.nlink = 2;
		root.r.attr.size = 4096;
		root.r.parent = TESS_ROOT_INO;
		root.r.next_cookie = 3;
		rc = store_ino_put(&tx, &root);
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
			rc = store_db_put(&tx, s->meta, "fsname", 6,
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
	rc = store_db_get(&tx, s->meta, "fsname", 6, &v);
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
		return store_mdb_err(rc, "txn_begin");
	rc = mdb_cursor_open(t, s->osts, &cur);
	if (rc) {
		mdb_txn_abort(t);
		return store_mdb_err(rc, "cursor");
	}
	s->nosts = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct mds_ost *e = &s->ost_tab[s->nosts];
		struct ost_val ov;
		uint32_t idx;

		if (k.mv_size != 4 || v.mv_size != sizeof(ov) ||
		    s->nosts >= TESS_MAX_OSTS) {
			tlog_level(LOG_ERR, "store: skipping a corrupt OST record");
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
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(rc, "load osts");
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

/* ---- statfs ---- */

int mds_store_statfs(struct mds_store *s, uint64_t *files, uint64_t *ffree)
{
	struct tx tx;
	MDB_stat st;
	MDB_envinfo ei;
	uint64_t used;
	int rc = store_tx_begin(s, &tx, false);

	if (rc)
		return rc;
	rc = store_mdb_err(mdb_stat(tx.t, s->inodes, &st), "stat");
	if (!rc)
		rc = store_mdb_err(mdb_env_info(s->env, &ei), "env_info");
	if (!rc) {
		*files = st.ms_entries;
		used = ((uint64_t)ei.me_last_pgno + 1) * st.ms_psize;
		/* about 1 KiB of map per inode with its entries */
		*ffree = used < ei.me_mapsize ? (ei.me_mapsize - used) / 1024 : 0;
	}
	return store_tx_end(&tx, rc);
}
