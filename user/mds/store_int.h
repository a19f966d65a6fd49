/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - what the files of the store (store.c, store_ns.c,
 * store_attr.c, store_ost.c, store_gc.c) share, and nothing else of the
 * MDS uses (that is store.h): the records, the store, a transaction, and
 * the helpers one of them defines for the others (prefix store_).
 */
#ifndef MDS_STORE_INT_H
#define MDS_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

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
	struct alloc *alloc;		/* store_layout_alloc's, or NULL */
};

/* ---- store.c ---- */

void store_put_be64(uint8_t *p, uint64_t v);
uint64_t store_get_be64(const uint8_t *p);
/* LMDB's rc as -errno (MDB_NOTFOUND: -ENOENT, a full map: -ENOSPC) */
int store_mdb_err(int rc, const char *what);
/* a write failed (MDB_MAP_FULL is logged once) or succeeded */
void store_note_write(struct mds_store *s, int rc);
void store_now_ts(uint64_t *sec, uint32_t *nsec);
void store_touch_ctime(struct mds_attr *a);
/* a wire layout without tess_layout_check (records the store wrote) */
int store_layout_raw_decode(const void *wire, uint32_t len,
			    struct mds_layout *l);

int store_tx_begin(struct mds_store *s, struct tx *tx, bool write);
/* commit a write transaction when rc is 0, else abort; returns rc */
int store_tx_end(struct tx *tx, int rc);
int store_db_get(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		 MDB_val *v);
int store_db_put(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen,
		 const void *d, size_t dlen, unsigned flags);
int store_db_del(struct tx *tx, MDB_dbi dbi, const void *k, size_t klen);
/* take n consecutive values of counter `key` */
int store_meta_alloc(struct tx *tx, const char *key, uint64_t n,
		     uint64_t *first);

int store_ino_decode(const MDB_val v, uint64_t ino, struct inode *in);
int store_ino_get(struct tx *tx, uint64_t ino, struct inode *in);
int store_ino_put(struct tx *tx, struct inode *in);
void store_init_inode(struct inode *in, uint64_t ino, uint32_t mode,
		      uint32_t uid, uint32_t gid);
void store_out_inode(const struct inode *in, struct mds_attr *a,
		     struct mds_layout *lo);
void store_layout_copy(struct mds_layout *dst, const struct mds_layout *src);

/* ---- store_gc.c ---- */

/* record ino in trims (a SETATTR of the size) */
int store_trim_add(struct tx *tx, uint64_t ino);
/* the objects of l to destroy, under a new orphan id */
int store_orphan_add(struct tx *tx, uint64_t ino, const struct mds_layout *l);
/* the inode's last name is gone (a file with objects: an orphan) */
int store_ino_remove(struct tx *tx, struct inode *in);
/* one name of a non-directory is gone */
int store_drop_link(struct tx *tx, struct inode *in);

/* ---- store_ost.c ---- */

/* a new layout for a create or set_layout (see the comment at its code) */
int store_layout_alloc(struct tx *tx, const struct mds_layout *req,
		       const struct mds_layout *dflt, uint32_t gen,
		       struct mds_layout *out);
/* run op until its layout has the precreated objects it needs */
int store_with_objects(struct mds_store *s, int (*op)(void *arg,
		       struct alloc *a), void *arg);

#endif /* MDS_STORE_INT_H */
