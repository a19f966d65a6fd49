/* SPDX-License-Identifier: MIT */
/*
 * objstore.h - the OST's object store: objects as files in a local
 * directory, no networking.
 *
 * Layout under the store directory:
 *
 *   superblock                 "tessera-ost-superblock 2", index, uuid
 *   precreated                 the ranges the MDS had precreated (pcrec.h)
 *   O/<oid & 0xff, 2 hex>/<oid, 16 hex>     one file per object
 *
 * Object ids are 64-bit; 0 is reserved (OBJ_SYNC uses it for "all") and
 * refused with -EINVAL.  Every function returns 0 or a negative errno and
 * is safe to call from many threads at once: object I/O is pread/pwrite on
 * a descriptor opened for the call, so no file offset is ever shared.
 *
 * Objects are created by objstore_precreate before any layout names them
 * (the MDS sends OBJ_PRECREATE); an object file that exists is created,
 * and reads past its end are zeros ("never written").  A missing object
 * was destroyed or lost: writes, truncates and punches get -ESTALE (it
 * is never created again), reads get OBJSTORE_ELOST and a log line if it
 * was precreated here, else -ESTALE.  getattr and destroy of a missing
 * object give -ENOENT; sync of one is a no-op.  A destroy is durable
 * (directory fsync) when it returns.
 *
 * A store formatted before precreation (superblock version 1) keeps the
 * old rules, so that its data stays readable: a missing object reads as
 * empty and writes and truncates create it (objstore_precreates: false).
 */
#ifndef OST_OBJSTORE_H
#define OST_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <errno.h>

struct objstore;

/* objstore_open(): the store was formatted for a different OST index */
#define OBJSTORE_EINDEX		(-EXDEV)
/* objstore_read(): a precreated object that is gone (logged already, at
 * most once a second): EIO to the reader */
#define OBJSTORE_ELOST		(-ENOLINK)

struct objstore_attr {
	uint64_t size;
	uint64_t blocks;		/* 512-byte units */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

struct objstore_statfs {
	uint64_t blocks;		/* in bsize units */
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
};

/*
 * Open the store in dir (created, with parents, if missing), formatting
 * it for index if it has no superblock yet.  The store is locked (flock)
 * while open, so a second daemon on the same directory is refused with
 * -EBUSY.  Index mismatch: OBJSTORE_EINDEX.  err gets a reason on failure.
 */
int objstore_open(const char *dir, uint32_t index, struct objstore **out,
		  char *err, size_t errlen);
void objstore_close(struct objstore *s);

uint32_t objstore_index(const struct objstore *s);
const uint8_t *objstore_uuid(const struct objstore *s);	/* 16 bytes */
const char *objstore_dir(const struct objstore *s);
/* the store directory's descriptor, and an object's path relative to it
 * ("O/xx/<oid, 16 hex>"); for side files next to objects (hsm.c) */
int objstore_rootfd(const struct objstore *s);
/* all of len bytes at off, retrying short transfers; 0 or -errno (-EIO:
 * the file ended first) */
int objstore_pwrite_all(int fd, const void *buf, size_t len, off_t off);
int objstore_pread_all(int fd, void *buf, size_t len, off_t off);
void objstore_obj_path(uint64_t oid, char buf[40]);

/* Read up to len bytes at off into buf; *nread is short at the end of the
 * object; *size is the object size.  Missing: see above (OBJSTORE_ELOST
 * for a lost one; version 1 stores: 0 bytes). */
int objstore_read(struct objstore *s, uint64_t oid, uint64_t off, void *buf,
		  uint32_t len, uint32_t *nread, uint64_t *size);

/* Write all len bytes at off (creating the object); with sync the data
 * (and a new object's directory entry) is stable on return. */
int objstore_write(struct objstore *s, uint64_t oid, uint64_t off,
		   const void *buf, uint32_t len, bool sync, uint64_t *size);

/* Set the object size (creating the object). */
int objstore_truncate(struct objstore *s, uint64_t oid, uint64_t size);

/* Cut the object to size if it is longer (*cut: it was); a missing
 * object is -ESTALE as for truncate. */
int objstore_trim(struct objstore *s, uint64_t oid, uint64_t size, bool *cut);

/* Deallocate [off, off + len); reads there give zeros, size unchanged.
 * A missing object or an empty range is a no-op. */
int objstore_punch_hole(struct objstore *s, uint64_t oid, uint64_t off,
			uint64_t len);

int objstore_getattr(struct objstore *s, uint64_t oid,
		     struct objstore_attr *a);
int objstore_destroy(struct objstore *s, uint64_t oid);

/* fsync one object (a missing one is a no-op), or oid 0: syncfs. */
int objstore_sync(struct objstore *s, uint64_t oid);

int objstore_statfs(struct objstore *s, struct objstore_statfs *st);

/* false: a store of version 1 (missing objects read as empty) */
bool objstore_precreates(const struct objstore *s);
/* create objects first .. first + count - 1 (those that exist are kept),
 * the file and its directory entry durable, after recording the range */
int objstore_precreate(struct objstore *s, uint64_t first, uint32_t count);
/* up to max oids after `after` in (oid & 0xff, oid) order; *eof when
 * there are no more */
int objstore_list(struct objstore *s, uint64_t after, uint64_t *oids,
		  uint32_t max, uint32_t *count, bool *eof);

#endif /* OST_OBJSTORE_H */
