/* SPDX-License-Identifier: MIT */
/*
 * objstore.h - the OST's object store: objects as files in a local
 * directory, no networking.
 *
 * Layout under the store directory:
 *
 *   superblock                 "tessera-ost-superblock 1", index, uuid
 *   O/<oid & 0xff, 2 hex>/<oid, 16 hex>     one file per object
 *
 * Object ids are 64-bit; 0 is reserved (OBJ_SYNC uses it for "all") and
 * refused with -EINVAL.  Every function returns 0 or a negative errno and
 * is safe to call from many threads at once: object I/O is pread/pwrite on
 * a descriptor opened for the call, so no file offset is ever shared.
 *
 * A missing object reads as empty (size 0); writes and truncates create
 * it; getattr and destroy of a missing object give -ENOENT.
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
 * object (0 for a missing object); *size is the object size. */
int objstore_read(struct objstore *s, uint64_t oid, uint64_t off, void *buf,
		  uint32_t len, uint32_t *nread, uint64_t *size);

/* Write all len bytes at off (creating the object); with sync the data
 * (and a new object's directory entry) is stable on return. */
int objstore_write(struct objstore *s, uint64_t oid, uint64_t off,
		   const void *buf, uint32_t len, bool sync, uint64_t *size);

/* Set the object size (creating the object). */
int objstore_truncate(struct objstore *s, uint64_t oid, uint64_t size);

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

#endif /* OST_OBJSTORE_H */
