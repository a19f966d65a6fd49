/* SPDX-License-Identifier: MIT */
/*
 * store.h - the Tessera namespace in LMDB.  No networking.
 *
 * Every function takes host-order arguments and returns 0 or -errno.
 * Each mutating call is one LMDB write transaction (ACID; durable on
 * return unless the store was opened with nosync).  Functions are safe to
 * call from many threads at once (MDB_NOTLS; LMDB serialises writers).
 *
 * Named databases (keys big-endian so that LMDB's byte order is numeric):
 *   inodes      be64 ino            -> struct ino_rec + layout (wire form)
 *   dirents     be64 parent | name  -> ino, cookie, type
 *   dircookies  be64 parent | be64 cookie -> ino, type, name
 *   xattrs      be64 ino | name     -> value
 *   symlinks    be64 ino            -> target
 *   orphans     be64 orphan id      -> ino, layout (objects to destroy)
 *   osts        be32 index          -> addr, uuid
 *   meta        string              -> counters and fs defaults
 *   hsm         be64 ino            -> S3 origin, stripes present
 *                                      (the HSM state bits themselves are
 *                                      the inode's attr.hsm_state)
 *   trims       be64 ino            -> be64 value (see mds_trim_add)
 */
#ifndef MDS_STORE_H
#define MDS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "tess_wire.h"

struct mds_store;

struct mds_store_opts {
	const char *dir;		/* created if missing */
	const char *fsname;		/* NULL: keep stored (default "tessera") */
	uint32_t stripe_count;		/* 0: keep stored (default 1) */
	uint32_t stripe_size;		/* 0: keep stored (default 1 MiB) */
	bool nosync;			/* MDB_NOSYNC: fast, not crash-safe */
	size_t map_size;		/* 0: 16 GiB */
	uint32_t max_readers;		/* LMDB reader slots; 0: LMDB's 126 */
	uint32_t read_delay_ms;		/* testing: each read txn lasts this */
};

/* host-order copy of struct tess_attr */
struct mds_attr {
	uint64_t ino, size, blocks;
	uint64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
	uint32_t mode, uid, gid, nlink, gen, rdev, hsm_state;
	uint64_t data_version;
};

struct mds_layout_obj {
	uint32_t ost_idx;
	uint64_t oid;
};

/* host-order layout; pattern 0 = none.  nobjs is 0 for a directory
 * default or a request, stripe_count for an allocated file layout. */
struct mds_layout {
	uint32_t pattern;
	uint32_t stripe_size;
	uint16_t stripe_count;
	uint16_t stripe_offset;
	uint32_t gen;
	uint32_t nobjs;
	struct mds_layout_obj objs[TESS_MAX_STRIPES];
};

/* wire <-> host.  decode checks with tess_layout_check (0, -EINVAL,
 * -EBADMSG); encode returns bytes written (0 for pattern 0), buf must hold
 * TESS_LAYOUT_BYTES(nobjs). */
int mds_layout_decode(const void *wire, uint32_t len, struct mds_layout *l);
uint32_t mds_layout_encode(const struct mds_layout *l, void *buf);
void mds_attr_to_wire(const struct mds_attr *a, struct tess_attr *w);

int mds_store_open(struct mds_store **out, const struct mds_store_opts *o,
		   char *err, size_t errlen);
/* waits for calls in progress; later calls return -ESHUTDOWN */
void mds_store_close(struct mds_store *s);
/* close and free (tests; no other thread may use s any more) */
void mds_store_free(struct mds_store *s);
const char *mds_store_fsname(const struct mds_store *s);
/* the LMDB map in bytes (at least what the store already holds) */
size_t mds_store_map_size(const struct mds_store *s);
void mds_store_defaults(const struct mds_store *s, uint32_t *stripe_count,
			uint32_t *stripe_size);
/* the stripe count a new file without a layout (nor its directory's) gets
 * now: the default, cut to the OSTs it may go to (STATFS tells it) */
uint32_t mds_store_new_count(struct mds_store *s);

/* called (outside any transaction) after a commit added orphans */
void mds_store_set_orphan_hook(struct mds_store *s, void (*fn)(void *),
			       void *arg);

/* ---- namespace ---- */
int mds_lookup(struct mds_store *s, uint64_t parent, const char *name,
	       uint32_t len, struct mds_attr *a, struct mds_layout *lo);
/* lo may be NULL everywhere; lo->pattern 0 when the inode has none */
int mds_getattr(struct mds_store *s, uint64_t ino, struct mds_attr *a,
		struct mds_layout *lo);

struct mds_setattr {
	uint32_t valid;			/* TESS_SA_* */
	uint32_t mode, uid, gid;
	uint64_t size;
	uint64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};
int mds_setattr(struct mds_store *s, uint64_t ino, const struct mds_setattr *sa,
		struct mds_attr *a, struct mds_layout *lo);

struct mds_create {
	uint64_t parent;
	const char *name;
	uint32_t name_len;
	uint32_t mode;			/* S_IFMT 0 = regular file */
	uint32_t uid, gid, rdev;
	uint32_t flags;			/* TESS_CREATE_EXCL */
	const struct mds_layout *layout; /* NULL: dir default, else fs default */
};
/*
 * CREATE: a regular file gets a layout of new objects on registered OSTs
 * (-ENOSPC when no OST is registered).  Without TESS_CREATE_EXCL an
 * existing regular file is returned as is.  Devices, FIFOs and sockets get
 * no layout; S_IFDIR/S_IFLNK are -EINVAL (use mkdir/symlink).
 */
int mds_create(struct mds_store *s, const struct mds_create *c,
	       struct mds_attr *a, struct mds_layout *lo);
int mds_mkdir(struct mds_store *s, const struct mds_create *c,
	      struct mds_attr *a);
int mds_symlink(struct mds_store *s, uint64_t parent, const char *name,
		uint32_t len, const char *target, uint32_t tlen, uint32_t uid,
		uint32_t gid, struct mds_attr *a);
/* buf holds TESS_SYMLINK_MAX bytes; not NUL-terminated */
int mds_readlink(struct mds_store *s, uint64_t ino, char *buf, uint32_t *len);
int mds_link(struct mds_store *s, uint64_t ino, uint64_t new_parent,
	     const char *name, uint32_t len, struct mds_attr *a,
	     struct mds_layout *lo);
int mds_unlink(struct mds_store *s, uint64_t parent, const char *name,
	       uint32_t len);
int mds_rmdir(struct mds_store *s, uint64_t parent, const char *name,
	      uint32_t len);
int mds_rename(struct mds_store *s, uint64_t old_parent, const char *old_name,
	       uint32_t old_len, uint64_t new_parent, const char *new_name,
	       uint32_t new_len, uint32_t flags);

/*
 * READDIR: calls fn for "." (cookie 1), ".." (cookie 2), then the entries
 * in cookie order, starting after `cookie`.  fn returns 0 to go on, or
 * nonzero when the entry did not fit (it is not consumed; *eof = false).
 * *eof is true when every entry after `cookie` was passed.
 */
typedef int (*mds_dirent_fn)(void *arg, uint64_t ino, uint64_t cookie,
			     uint32_t type, const char *name, uint32_t len);
int mds_readdir(struct mds_store *s, uint64_t ino, uint64_t cookie,
		mds_dirent_fn fn, void *arg, bool *eof);
/*
 * READDIRPLUS: as mds_readdir, and each entry with its inode's attributes
 * read in the same transaction (a NULL for an entry whose inode record
 * is missing or corrupt) and whether the inode has a security.* xattr.
 */
typedef int (*mds_dirent_plus_fn)(void *arg, uint64_t ino, uint64_t cookie,
				  uint32_t type, const char *name,
				  uint32_t len, const struct mds_attr *a,
				  bool sec);
int mds_readdir_plus(struct mds_store *s, uint64_t ino, uint64_t cookie,
		     mds_dirent_plus_fn fn, void *arg, bool *eof);

/* ---- xattrs ---- */
/* cap 0: only *size; cap < size: -ERANGE with *size set */
int mds_getxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, void *buf, uint32_t cap, uint32_t *size);
int mds_setxattr(struct mds_store *s, uint64_t ino, const char *name,
		 uint32_t nlen, const void *val, uint32_t vlen, uint32_t flags);
int mds_listxattr(struct mds_store *s, uint64_t ino, void *buf, uint32_t cap,
		  uint32_t *size);
int mds_removexattr(struct mds_store *s, uint64_t ino, const char *name,
		    uint32_t nlen);

/* ---- layouts ---- */
/* directory: its default (pattern 0 if none); file: its layout */
int mds_get_layout(struct mds_store *s, uint64_t ino, struct mds_layout *lo);
/*
 * directory: set its default (all fields 0/ANY clears it); regular file:
 * only while size is 0 (else -EBUSY), new objects, old ones to orphans.
 */
int mds_set_layout(struct mds_store *s, uint64_t ino,
		   const struct mds_layout *req, struct mds_layout *out);

/* ---- HSM: files whose data lives in S3 ---- */
struct mds_hsm {
	uint32_t state;			/* the inode's TESS_HSM_* */
	uint64_t size;			/* origin: S3 object size */
	uint64_t mtime_sec;
	uint32_t mtime_nsec;
	char bucket[TESS_S3_BUCKET_MAX + 1];
	char key[TESS_S3_KEY_MAX + 1];
	char etag[TESS_S3_ETAG_MAX + 1];
	uint8_t present[TESS_MAX_STRIPES / 8];	/* objects fully present */
};

struct mds_hsm_set {
	uint32_t valid;			/* TESS_HSMS_* */
	uint32_t set, clear;		/* TESS_HSM_* */
	uint32_t stripe;
	uint64_t size, mtime_sec;
	uint32_t mtime_nsec;
	const char *bucket, *key, *etag;	/* not NUL-terminated */
	uint32_t blen, klen, elen;
};

/*
 * HSM_SET on a regular file (-EINVAL otherwise): -ENODATA when the file
 * has no record and ORIGIN is not given; STRIPE with another etag than
 * the origin's: -ESTALE.  When every object is present (or empty for the
 * origin's size), RELEASED is cleared.  out (may be NULL) gets the result.
 */
int mds_hsm_set(struct mds_store *s, uint64_t ino, const struct mds_hsm_set *r,
		struct mds_hsm *out);
/* -ENODATA when the inode has no HSM record */
int mds_hsm_get(struct mds_store *s, uint64_t ino, struct mds_hsm *out);

/* ---- statfs ---- */
int mds_store_statfs(struct mds_store *s, uint64_t *files, uint64_t *ffree);

/* ---- OSTs ---- */
struct mds_ost {
	uint32_t index;
	uint32_t state;			/* TESS_OST_UP / TESS_OST_DOWN */
	char addr[TESS_ADDR_MAX + 1];
	uint8_t uuid[16];
	int64_t heard_ms;		/* CLOCK_MONOTONIC: last marked up */
};
/*
 * Persist OST `index` at addr and mark it up.  A store uuid other than
 * the one recorded for the index is refused with -EEXIST (a reformatted
 * or wrong store), unless replace: then it is recorded, and the pool
 * precreated on the old store is dropped.
 */
int mds_ost_register(struct mds_store *s, uint32_t index, const char *addr,
		     const uint8_t uuid[16], bool replace);

/*
 * Precreation (precreate.c).  With a refill function set, layouts take
 * their objects from per-OST pools of oids the OST has created already;
 * a create whose OST's pool ran dry calls refill(arg, idx) outside any
 * transaction and tries again, skipping the OST (as if down) when refill
 * fails.  Without one (unit tests) oids come straight from next_oid.
 */
void mds_store_set_refill(struct mds_store *s,
			  int (*fn)(void *arg, uint32_t ost_idx), void *arg);
/*
 * The range to precreate on OST idx: a new one of batch oids from
 * next_oid, recorded unconfirmed, or the unconfirmed one recorded before
 * (0); 1 if the pool has oids (someone refilled it meanwhile).
 */
int mds_pool_reserve(struct mds_store *s, uint32_t idx, uint32_t batch,
		     uint64_t *first, uint32_t *count);
/* the OST created the range starting at first: hand it out */
int mds_pool_confirm(struct mds_store *s, uint32_t idx, uint64_t first);

/* OBJ_SCAN: who owns an object (TESS_OWN_*) */
struct mds_owner {
	uint64_t ino;			/* FREE: 0 */
	uint64_t oid;			/* FREE: the first of count */
	uint32_t ost_idx;
	uint32_t kind;
	uint32_t count;
};
/*
 * Up to max owners from *cookie on (0: the start): files' objects (a
 * file's never split over pages; max >= TESS_MAX_STRIPES), then orphans',
 * then the precreated ranges not handed out.  *cookie continues; *eof
 * when nothing is left.
 */
int mds_obj_scan(struct mds_store *s, uint64_t *cookie, struct mds_owner *out,
		 uint32_t max, uint32_t *n, bool *eof);
/* returns the state before (0: no such OST); UP also means "heard now" */
uint32_t mds_ost_set_state(struct mds_store *s, uint32_t index,
			   uint32_t state);
/*
 * An OST marked up and not marked up again for expire_ms is down (0: never
 * expires).  The MDS pings every OST and marks it up at each answer.
 */
void mds_ost_set_expiry(struct mds_store *s, uint32_t expire_ms);
/* all registered OSTs in index order; returns the count (<= max) */
uint32_t mds_ost_list(struct mds_store *s, struct mds_ost *out, uint32_t max);
int mds_ost_get(struct mds_store *s, uint32_t index, struct mds_ost *out);

/* ---- orphans: OST objects of removed inodes, destroyed in background ---- */
struct mds_orphan {
	uint64_t id;
	uint64_t ino;
	struct mds_layout layout;	/* objs still to destroy */
};
/* first orphan with id > after, -ENOENT when none */
int mds_orphan_next(struct mds_store *s, uint64_t after, struct mds_orphan *o);
/* keep only the objects in `remaining` (nobjs 0 = delete the record) */
int mds_orphan_update(struct mds_store *s, uint64_t id,
		      const struct mds_layout *remaining);
int mds_orphan_count(struct mds_store *s, uint64_t *n);

/*
 * ---- trims: files whose objects may hold bytes past the file's size ----
 * A SETATTR of the size records the inode (in its transaction), as does a
 * client whose lease ran out with the file open (mds_trim_add).  Such
 * bytes are left by a punch that did not reach the OST's disk, a failed
 * one, or a writer that died before it extended the size; a later
 * truncate up or write past EOF would expose them where zeros belong.
 * osts.c cuts every object to the file's size (OBJ_PUNCH TRIM, stable on
 * the OST) once no client has the file open, then deletes the record with
 * the value it read: a SETATTR meanwhile leaves a new value, and the
 * record stays for the next pass.
 */
int mds_trim_add(struct mds_store *s, uint64_t ino);
/* has ino a record (its last CLOSE then wakes osts.c's thread) */
bool mds_trim_pending(struct mds_store *s, uint64_t ino);
/* first record with ino > after, -ENOENT when none */
int mds_trim_next(struct mds_store *s, uint64_t after, uint64_t *ino,
		  uint64_t *gen);
/* delete ino's record if it still holds gen (else -EAGAIN) */
int mds_trim_done(struct mds_store *s, uint64_t ino, uint64_t gen);
int mds_trim_count(struct mds_store *s, uint64_t *n);

#endif /* MDS_STORE_H */
