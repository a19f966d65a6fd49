/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tess_fs.h - internal declarations of the Tessera client (tessera.ko).
 */
#ifndef _TESSERA_FS_H
#define _TESSERA_FS_H

#include <linux/fs_context.h>
#include <linux/fs_parser.h>

#include "tessera.h"
#include "tess_errno.h"
#include "../lnet/tnet.h"
#include "compat.h"

#define TESS_MAX_MDS		8	/* addresses in one mount source */

#define TESS_TIMEOUT_DEF	10	/* seconds */
#define TESS_TIMEOUT_MAX	3600
#define TESS_AC_MAX		86400	/* attribute cache times, seconds */
#define TESS_RASIZE_MAX		(1u << 30)	/* rasize=, bytes */
#define TESS_RA_MIN		(4u << 20)	/* readahead without rasize=: */
#define TESS_RA_MAX		(64u << 20)	/* two stripe rows within these */
#define TESS_RASIZE_AUTO	U32_MAX		/* no rasize=: per layout */
#define TESS_RPCS_IN_FLIGHT_DEF	8	/* OBJ_READ/WRITE per OST (Lustre's) */
#define TESS_RPCS_IN_FLIGHT_MAX	256
#define TESS_MAX_DIRTY_MB_MAX	(1u << 20)	/* max_dirty_mb: 1 TiB */
#define TESS_ACREGMIN_DEF	3
#define TESS_ACREGMAX_DEF	60
#define TESS_ACDIRMIN_DEF	30
#define TESS_ACDIRMAX_DEF	60

/* What a mount asked for, filled in while its parameters are parsed. */
struct tess_fs_context {
	struct tnet_addr mds[TESS_MAX_MDS];
	unsigned int nr_mds;
	char fsname[TESS_FSNAME_MAX + 1];
	char *key_path;			/* key=PATH, NULL if not given */
	unsigned int timeout;		/* seconds */
	unsigned int acregmin, acregmax, acdirmin, acdirmax;
	bool soft;			/* soft: EIO after timeout; else hard */
	bool localflock;		/* fcntl/flock locks local to this client */
	u32 rasize;			/* readahead bytes, or TESS_RASIZE_AUTO */
	u8 sec;				/* enum tess_sec: sec= (auth) */
	bool nochecksums;		/* checksums=0: no bulk CRC32C */
};

extern const struct fs_parameter_spec tess_fs_parameters[];
const char *tess_sec_name(u8 sec);

void tess_fs_context_defaults(struct tess_fs_context *ctx);
int tess_parse_param(struct fs_context *fc, struct fs_parameter *param);
int tess_check_options(struct fs_context *fc);


/* ---- the client proper (issue 3); who implements what is noted ---- */

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include "tess_stripe.h"
#include "../lnet/rpc.h"

/* A file's layout; replaced as a whole (RCU), never changed in place. */
struct tess_layout_info {
	struct rcu_head rcu;
	u32 pattern;			/* 0 = none (directory without default) */
	struct tess_stripe_geom geom;
	u16 stripe_offset;
	u32 nobjs;
	struct {
		u32 ost_idx;
		u64 oid;
	} objs[];
};

struct tess_ost_slot {
	struct tess_sb_info *sbi;
	struct tnet_client *cl;		/* NULL until first use */
	struct tnet_addr addr;		/* the one in use */
	struct tnet_addr tcp;		/* its @tcp address, if has_tcp */
	bool has_tcp;
	bool tcp_fallback;		/* the other network's path failed */
	bool known;
	bool written;			/* OBJ_WRITE since the last sync_fs */
	atomic_t rw_in_flight;		/* osc.c: OBJ_READ/WRITE now */
	/* osc.c, under verf_lock: the last whole-OST sync that answered */
	u64 stable_verf;		/* its write verifier */
	u64 stable_seq;			/* covers writes up to this wseq */
};

/*
 * osc.c: the unstable writes of one object of a file (protocol 3 write
 * verifier, tessera.h): written since its last OBJ_SYNC, with the OST's
 * verifier; lost: the OST answered with another one in between.
 */
struct tess_wverf {
	u64 verf;			/* 0: unknown (protocol 2 OST) */
	u64 seq;			/* sbi->wseq at the last of them */
	u32 ost_idx;
	bool unstable;
	bool lost;
};

struct tess_sb_info {
	struct super_block *sb;
	char fsname[TESS_FSNAME_MAX + 1];
	char source[128];		/* the mount source, for log lines */
	struct tnet_client *mds;
	char net[TNET_NET_MAX + 1];	/* the network the MDS answered on */
	struct tnet_addr mds_addr[TESS_MAX_MDS];	/* the mount source's */
	unsigned int nr_mds, mds_cur;	/* mds_addr[mds_cur] is in use */
	u8 key[TESS_KEY_MAX];
	unsigned int key_len;
	u8 uuid[16];			/* this mount's client id */
	unsigned long timeout;		/* jiffies */
	unsigned long acregmin, acregmax, acdirmin, acdirmax;	/* jiffies */
	struct mutex ost_lock;		/* osts[] changes */
	struct tess_ost_slot osts[TESS_MAX_OSTS];
	/* super.c */
	char *key_path;			/* for show_options */
	unsigned int timeout_sec;	/* as given, for show_options */
	unsigned long ost_list_time;	/* jiffies of the last OST_LIST */
	bool ost_listed;		/* an OST_LIST has answered */
	struct work_struct ost_warm;	/* connects to the OSTs after mount */
	struct work_struct ost_refresh;	/* OST_LIST once its TTL ran out */
	struct work_struct reopen;	/* OPENs again to a restarted MDS */
	bool dying;			/* umount: ost_warm stops */
	bool soft;			/* mount option soft (default hard) */
	bool localflock;		/* mount option localflock */
	u32 rasize;			/* rasize= bytes, or TESS_RASIZE_AUTO */
	u8 sec;				/* enum tess_sec: every connection's */
	bool nochecksums;		/* checksums=0 (mount option, sysfs) */
	u32 max_rpcs_in_flight;		/* per OST (sysfs); osc.c waits */
	u32 max_dirty_mb;		/* sysfs; 0: none; addr.c throttles */
	wait_queue_head_t rpc_slot_wait;	/* an OST's RPC slot freed */
	wait_queue_head_t wb_wait;	/* a write run of some inode ended */
	spinlock_t verf_lock;		/* osts[].stable_*, inodes' wverf */
	u64 wseq;			/* write replies so far */
	struct tess_stats *stats;	/* stats.c: counters, sysfs dir */
};

/*
 * folio->private: not used; dirty state lives in the page cache flags
 * and writeback gathers dirty folios by index (addr.c).
 */
struct tess_inode_info {
	struct inode vfs_inode;
	u64 data_version;		/* from the MDS */
	u32 hsm_state;
	unsigned long attr_time;	/* jiffies of the last attribute update */
	unsigned long attr_valid;	/* how long the attributes stay valid */
	struct tess_layout_info __rcu *layout;
	struct mutex io_lock;		/* orders size SETATTRs: trunc_seq */
	u32 trunc_seq;			/* size set (truncate), under io_lock */
	loff_t mds_size;		/* size the MDS knows */
	atomic_t wb_runs;		/* addr.c: write runs in flight */
	atomic_t opens;			/* file.c: OPENs the MDS counts for us */
	/*
	 * dir.c: opens a CREATE_OPEN counted on the MDS that the
	 * tess_file_open of the file it created takes over (0 or 1)
	 */
	atomic_t preopened;
	struct work_struct size_work;	/* file.c: flush of an exiting task */
	atomic_t late_closes;		/* file.c: CLOSEs size_work sends */
	u64 cache_version;		/* file.c: data_version the cache holds */
	/*
	 * No security.* xattr, as the READDIRPLUS entry that last set the
	 * attributes said (TESS_UPD_NOSEC); under i_lock, cleared by every
	 * other attribute update and by a local set or remove of an xattr.
	 * Believed only while the attributes are fresh (xattr.c).
	 */
	bool no_sec_xattr;
	struct tess_wverf *wverf;	/* osc.c: per object, under verf_lock */
	u32 wverf_n;
};

static inline struct tess_inode_info *TESS_I(struct inode *inode)
{
	return container_of(inode, struct tess_inode_info, vfs_inode);
}

static inline struct tess_sb_info *TESS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/*
 * super.c: OST connection for an OST index (OST_LIST refreshed on demand).
 * ERR_PTR(-ENXIO) for an index the MDS does not know, other ERR_PTRs for
 * failures; never NULL.  The client stays valid until umount.
 */
struct tnet_client *tess_ost_client(struct tess_sb_info *sbi, u32 ost_idx);

/* mds.c: MDS calls, each builds the request and decodes the reply */
bool tess_mode_ok(u32 mode);
int tess_mds_call(struct tess_sb_info *sbi, u16 op, const void *body,
		  u32 body_len, void *reply, u32 reply_cap, u32 *reply_len);
/* SETATTR with TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW (writers, on close/fsync) */
int tess_mds_size_extend(struct inode *inode, loff_t size);

/*
 * mds.c: typed MDS calls.  A tess_irep holds the reply of LOOKUP, GETATTR,
 * SETATTR, CREATE, MKDIR, SYMLINK and LINK (checked before it is returned).
 */
#define TESS_IREP_MAX	(sizeof(struct tess_inode_rep) + \
			 TESS_LAYOUT_BYTES(TESS_MAX_STRIPES))

struct tess_irep {
	u32 len;
	union {
		struct tess_inode_rep rep;
		u8 buf[TESS_IREP_MAX];
	};
};

struct tess_irep *tess_irep_alloc(void);
int tess_mds_lookup(struct tess_sb_info *sbi, u64 parent,
		    const struct qstr *name, struct tess_irep *out);
int tess_mds_getattr(struct tess_sb_info *sbi, u64 ino, struct tess_irep *out);
int tess_mds_open(struct tess_sb_info *sbi, u64 ino, u32 flags,
		  struct tess_irep *out);
void tess_mds_close(struct tess_sb_info *sbi, u64 ino, u32 flags);

int tess_mds_setattr(struct tess_sb_info *sbi, struct tess_setattr_req *req,
		     struct tess_irep *out);
int tess_mds_create(struct tess_sb_info *sbi, u16 op, u64 parent,
		    const struct qstr *name, u32 mode, kuid_t uid, kgid_t gid,
		    dev_t rdev, u32 flags, struct tess_irep *out);
int tess_mds_create_open(struct tess_sb_info *sbi, u64 parent,
			 const struct qstr *name, u32 mode, kuid_t uid,
			 kgid_t gid, u32 flags, u32 open_flags,
			 struct tess_irep *out);
int tess_mds_unlink(struct tess_sb_info *sbi, u16 op, u64 parent,
		    const struct qstr *name);
int tess_mds_rename(struct tess_sb_info *sbi, u64 old_parent,
		    const struct qstr *old_name, u64 new_parent,
		    const struct qstr *new_name, u32 flags);
int tess_mds_link(struct tess_sb_info *sbi, u64 ino, u64 new_parent,
		  const struct qstr *name, struct tess_irep *out);
int tess_mds_symlink(struct tess_sb_info *sbi, u64 parent,
		     const struct qstr *name, const char *target, kuid_t uid,
		     kgid_t gid, struct tess_irep *out);
/* a kmalloc'd NUL-terminated target */
char *tess_mds_readlink(struct tess_sb_info *sbi, u64 ino);
/* flags: TESS_READDIR_PLUS only to an MDS that agreed READDIRPLUS */
int tess_mds_readdir(struct tess_sb_info *sbi, u64 ino, u64 cookie,
		     u32 flags, void *buf, u32 cap, u32 *len);
int tess_mds_statfs(struct tess_sb_info *sbi, struct tess_statfs_rep *st);
ssize_t tess_mds_getxattr(struct tess_sb_info *sbi, u64 ino, const char *name,
			  void *buf, size_t size);
ssize_t tess_mds_listxattr(struct tess_sb_info *sbi, u64 ino, void *buf,
			   size_t size);
int tess_mds_setxattr(struct tess_sb_info *sbi, u64 ino, const char *name,
		      const void *value, size_t size, u32 flags);
int tess_mds_removexattr(struct tess_sb_info *sbi, u64 ino, const char *name);
/* GET_LAYOUT / SET_LAYOUT: the layout in buf (cap >= TESS_LAYOUT_BYTES(256)) */
int tess_mds_get_layout(struct tess_sb_info *sbi, u64 ino, void *buf, u32 cap,
			u32 *len);
int tess_mds_set_layout(struct tess_sb_info *sbi, u64 ino,
			const struct tess_layout *lo, u32 lo_len, void *buf,
			u32 cap, u32 *len);
int tess_mds_ost_list(struct tess_sb_info *sbi, void *buf, u32 cap, u32 *len);

/* inode.c */
struct inode *tess_iget(struct super_block *sb, const struct tess_inode_rep *rep,
			u32 rep_len);
/* as tess_iget, with TESS_UPD_NOSEC (or 0) for the attribute update */
struct inode *tess_iget_flags(struct super_block *sb,
			      const struct tess_inode_rep *rep, u32 rep_len,
			      unsigned int upd_flags);
void tess_update_inode(struct inode *inode, const struct tess_inode_rep *rep,
		       u32 rep_len);
#define TESS_UPD_NEW		0x1	/* a new inode: take everything */
#define TESS_UPD_SIZE		0x2	/* we just set the size on the MDS */
#define TESS_UPD_OWN		0x4	/* our own data change: keep the cache */
#define TESS_UPD_NOSEC		0x8	/* READDIRPLUS: no security.* xattr */
void tess_update_inode_flags(struct inode *inode,
			     const struct tess_inode_rep *rep, u32 rep_len,
			     unsigned int flags);
/* refresh attributes from the MDS if older than the cache time, or force */
int tess_revalidate(struct inode *inode, bool force);
/* file.c: the work of tess_inode_info.size_work; its workqueue */
void tess_size_work(struct work_struct *work);
extern struct workqueue_struct *tess_wq;
/* OPEN: attributes now, objects kept while open; tess_mds_close() after */
int tess_open_revalidate(struct inode *inode, u32 flags);
/* file.c: the TESS_OPEN_* of an open of @file; *sent: its OPEN's */
u32 tess_file_open_flags(struct tess_sb_info *sbi, struct file *file,
			 u32 *sent);
int tess_setattr(struct tess_idmap *idmap, struct dentry *dentry,
		 struct iattr *attr);
int tess_getattr(struct tess_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
/*
 * current layout with an RCU-safe copy for the caller; kfree() it.
 * NULL if the inode has no layout (or no memory).
 */
struct tess_layout_info *tess_layout_copy(struct inode *inode);
u64 tess_layout_row(struct inode *inode);
/* attributes changed on the MDS (by us): refetch on the next revalidate */
void tess_invalidate_attr(struct inode *inode);
/* the attributes are within their cache time (safe under RCU) */
bool tess_attr_fresh(struct inode *inode);
/* a local xattr change: forget that there is no security.* xattr */
void tess_forget_no_sec_xattr(struct inode *inode);
/* a layout from the wire (checked); ERR_PTR on a bad one */
struct tess_layout_info *tess_layout_decode(const void *buf, u32 len);
void tess_set_layout(struct inode *inode, struct tess_layout_info *lo);
/* the inode reply in out is checked: the ino, mode type, layout */
int tess_irep_check(const struct tess_irep *ir);
extern struct kmem_cache *tess_inode_cachep;
struct inode *tess_alloc_inode(struct super_block *sb);
void tess_free_inode(struct inode *inode);
void tess_evict_inode(struct inode *inode);

/* dir.c, symlink in inode.c */
extern const struct inode_operations tess_dir_iops;
extern const struct file_operations tess_dir_fops;
extern const struct inode_operations tess_symlink_iops;
extern const struct dentry_operations tess_dentry_ops;

/* xattr.c */
extern const struct xattr_handler *tess_xattr_handlers[];
ssize_t tess_listxattr(struct dentry *dentry, char *buf, size_t size);

/* super.c: the readahead window (rasize= or sysfs) of the mount's bdi */
void tess_set_rasize(struct tess_sb_info *sbi, u32 rasize);

/* ioctl.c: TESS_IOC_SETSTRIPE / TESS_IOC_GETSTRIPE */
long tess_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* file.c, addr.c, osc.c: the data path */
extern const struct inode_operations tess_file_iops;
extern const struct file_operations tess_file_fops;
extern const struct address_space_operations tess_aops;
/* punch every object to the object sizes of a file of `size` bytes */
int tess_truncate_objects(struct inode *inode, loff_t size, u32 flags);
/* osc.c: a usable layout copy (kfree it) or ERR_PTR(-EIO) */
struct tess_layout_info *tess_osc_layout(struct inode *inode);
/*
 * osc.c: OBJ_SYNC the objects of a file (all, or those written since
 * their last sync); -EIO (and the mapping's error set) when an OST
 * restarted since writes it acknowledged: they may be lost
 */
int tess_sync_objects(struct inode *inode, bool all, bool *lost);
/* osc.c: whether some object of the file holds unstable writes */
bool tess_has_unstable(struct inode *inode);
/* osc.c: OBJ_SYNC_OWN every OST written since the last call (sync_fs) */
int tess_sync_osts(struct tess_sb_info *sbi);
/* addr.c: write back a range and wait, killable (fsync, close) */
int tess_write_and_wait(struct inode *inode, loff_t start, loff_t end);
/* addr.c: i_size = max(i_size, end) under i_lock (writers) */
void tess_i_size_extend(struct inode *inode, loff_t end);
/*
 * osc.c: one OBJ_READ/OBJ_WRITE of a contiguous object range from/to a
 * page vector; done(priv, 0 or -errno, bytes) runs once unless it
 * returns an error.  A short read is completed with zeros.
 */
typedef void (*tess_osc_done_t)(void *priv, int err, u32 bytes);
int tess_osc_rw(struct tess_sb_info *sbi, u32 ost_idx, u64 oid, bool write,
		u64 obj_off, const struct tnet_bulk *bulk,
		tess_osc_done_t done, void *priv, gfp_t gfp,
		struct inode *inode, u32 stripe);
/* osc.c: room to track the unstable writes of nobjs objects (writers) */
int tess_wverf_prepare(struct inode *inode, u32 nobjs, gfp_t gfp);
/* addr.c: O_DIRECT I/O at iocb->ki_pos, no locking; bytes or -errno */
ssize_t tess_direct_io(struct kiocb *iocb, struct iov_iter *iter, bool write);

#endif /* _TESSERA_FS_H */
