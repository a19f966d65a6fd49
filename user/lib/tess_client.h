/* SPDX-License-Identifier: MIT */
/*
 * tess_client.h - userspace client library for Tessera: the namespace by
 * path, and striped file I/O straight to the OSTs.  Used by the tools and
 * the tests.  Functions return 0 (or a byte count) or -errno.
 *
 * Sizes follow "size on MDS": a writer extends the size at the MDS on
 * fsync and close (TESS_SA_SIZE_EXTEND), truncation is explicit.
 */
#ifndef TESS_CLIENT_H
#define TESS_CLIENT_H

#include <stdint.h>
#include <sys/types.h>

#include "tess_stripe.h"
#include "tnet.h"

struct tess_client;
struct tess_file;

struct tess_inode {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t data_version;
	struct timespec atime, mtime, ctime;
	uint32_t mode, uid, gid, nlink, gen, rdev, hsm_state;
	/* layout (regular files; directories: their default, if any) */
	uint32_t pattern;
	struct tess_stripe_geom geom;
	uint16_t stripe_offset;
	uint32_t nobjs;
	struct {
		uint32_t ost_idx;
		uint64_t oid;
	} objs[TESS_MAX_STRIPES];
};

struct tess_layout_req {
	uint32_t stripe_size;		/* 0 = inherit */
	uint16_t stripe_count;		/* 0 = inherit */
	uint16_t stripe_offset;		/* TESS_OST_ANY = any */
};

/*
 * Connect to the MDS at mds with the key in keyfile.  Every connection
 * asks for the security flavor in the environment variable TESSERA_SEC
 * (auth, integrity or privacy; default auth, include/tessera.h); a
 * server that does not agree it fails the handshake (-EACCES).
 */
int tess_client_open(const char *mds, const char *keyfile, int timeout_ms,
		     struct tess_client **out, char *err, size_t errlen);
/*
 * The same, declaring ROLE (TESS_ROLE_*) to every server: TESS_ROLE_ADMIN
 * for tools that change object state on the OSTs (hsm's OBJ_HSM_SET),
 * which then need the servers' key (issue #12, roles).
 * tess_client_open is TESS_ROLE_CLIENT.
 */
int tess_client_open_role(const char *mds, const char *keyfile, int role,
			  int timeout_ms, struct tess_client **out, char *err,
			  size_t errlen);
void tess_client_close(struct tess_client *c);
/*
 * The credentials sent with every MDS request (at most
 * TESS_CRED_GROUPS_MAX groups) and the owner asked for new inodes.
 * tess_client_open takes the process's effective uid and gid and its
 * first TESS_CRED_GROUPS_MAX supplementary groups (getgroups()).  An MDS
 * that does not agree TESS_FEAT_CRED gets none.  Not while calls run.
 */
void tess_client_set_cred(struct tess_client *c, uint32_t uid, uint32_t gid,
			  uint32_t ngroups, const uint32_t *groups);

/* namespace, by absolute path inside the file system ("/a/b") */
int tess_stat(struct tess_client *c, const char *path, struct tess_inode *st);
/* by inode number (from tess_readdir): one GETATTR, no path walk */
int tess_stat_ino(struct tess_client *c, uint64_t ino, struct tess_inode *st);
int tess_mkdir(struct tess_client *c, const char *path, uint32_t mode);
int tess_unlink(struct tess_client *c, const char *path);
int tess_rmdir(struct tess_client *c, const char *path);
int tess_rename(struct tess_client *c, const char *from, const char *to);
int tess_link(struct tess_client *c, const char *existing, const char *path);
int tess_symlink(struct tess_client *c, const char *target, const char *path);
ssize_t tess_readlink(struct tess_client *c, const char *path, char *buf,
		      size_t len);
int tess_chmod(struct tess_client *c, const char *path, uint32_t mode);
int tess_chown(struct tess_client *c, const char *path, uint32_t uid,
	       uint32_t gid);
int tess_utimes(struct tess_client *c, const char *path,
		const struct timespec *atime, const struct timespec *mtime);
int tess_truncate(struct tess_client *c, const char *path, uint64_t size);

typedef int (*tess_dirent_cb)(void *arg, const char *name, uint64_t ino,
			      uint32_t type, uint64_t cookie);
/* every entry except "." and ".."; stops early if cb returns non-zero */
int tess_readdir(struct tess_client *c, const char *path, tess_dirent_cb cb,
		 void *arg);

struct tess_statfs {
	uint64_t blocks, bfree, bavail, files, ffree;
	uint32_t bsize, namelen, ost_count;
	/* the stripe count of a new file made without a layout in a
	 * directory without one (0: not told, an older MDS; an OST) */
	uint32_t def_stripe_count;
};
int tess_statfs(struct tess_client *c, struct tess_statfs *st);

struct tess_ost {
	uint32_t index;
	uint32_t state;			/* TESS_OST_UP / DOWN */
	char addr[TESS_ADDR_MAX + 1];
};
/* fills at most max entries; returns how many OSTs are registered */
int tess_ost_list(struct tess_client *c, struct tess_ost *osts, int max);
/* size of one OST object; -ENOENT when it does not exist */
int tess_obj_stat(struct tess_client *c, uint32_t ost_idx, uint64_t oid,
		  uint64_t *size);
/* statfs of one OST */
int tess_ost_statfs(struct tess_client *c, uint32_t index,
		    struct tess_statfs *st);

ssize_t tess_getxattr(struct tess_client *c, const char *path,
		      const char *name, void *buf, size_t size);
int tess_setxattr(struct tess_client *c, const char *path, const char *name,
		  const void *val, size_t size, int flags);
ssize_t tess_listxattr(struct tess_client *c, const char *path, char *buf,
		       size_t size);
int tess_removexattr(struct tess_client *c, const char *path,
		     const char *name);

/* directory default layout, or the layout of an empty regular file */
int tess_setstripe(struct tess_client *c, const char *path,
		   const struct tess_layout_req *lr);
int tess_getstripe(struct tess_client *c, const char *path,
		   struct tess_inode *st);

/*
 * files: flags are O_CREAT, O_EXCL, O_TRUNC and the access mode.  O_RDONLY
 * (0) asks for reading and writing, as before, and falls back to a
 * read-only handle (tess_pwrite: -EBADF) when the MDS refuses writing
 * with EACCES; O_WRONLY and O_RDWR are refused EACCES as open(2) does.
 * lr may be NULL.  A new file is made and opened in one MDS request (a
 * CREATE with TESS_CREATE_OPEN) when the MDS agreed TESS_FEAT_CREATE_OPEN,
 * else by a CREATE and an OPEN.
 */
int tess_open(struct tess_client *c, const char *path, int flags,
	      uint32_t mode, const struct tess_layout_req *lr,
	      struct tess_file **out);
ssize_t tess_pwrite(struct tess_file *f, const void *buf, size_t len,
		    uint64_t off);
ssize_t tess_pread(struct tess_file *f, void *buf, size_t len, uint64_t off);
int tess_fsync(struct tess_file *f);
int tess_ftruncate(struct tess_file *f, uint64_t size);
uint64_t tess_file_size(const struct tess_file *f);
const struct tess_inode *tess_file_inode(const struct tess_file *f);
/* flushes the size to the MDS; returns its error, frees f either way */
int tess_close(struct tess_file *f);

/*
 * Raw RPCs for tools that speak opcodes the library has no wrapper for
 * (the HSM tool): to the MDS, or to OST ost_idx.  As tnet_call; the reply
 * body stays valid until the next call on that connection, so a client
 * used by several threads at once should not use these.
 */
int tess_mds_call(struct tess_client *c, struct tnet_call *call);
int tess_ost_call(struct tess_client *c, uint32_t ost_idx,
		  struct tnet_call *call);
/* the TESS_FEAT_* agreed with OST ost_idx (connecting if need be); 0 if
 * it cannot be reached */
uint64_t tess_ost_features(struct tess_client *c, uint32_t ost_idx);

#endif /* TESS_CLIENT_H */
