/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tess_fs.h - internal declarations of the Tessera client (tessera.ko).
 */
#ifndef _TESSERA_FS_H
#define _TESSERA_FS_H

#include <linux/fs_context.h>
#include <linux/fs_parser.h>

#include "tessera.h"
#include "../lnet/tnet.h"

#define TESS_MAX_MDS		8	/* addresses in one mount source */

#define TESS_TIMEOUT_DEF	30	/* seconds */
#define TESS_TIMEOUT_MAX	3600
#define TESS_AC_MAX		86400	/* attribute cache times, seconds */
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
};

extern const struct fs_parameter_spec tess_fs_parameters[];

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
	struct tnet_client *cl;		/* NULL until first use */
	struct tnet_addr addr;
	bool known;
};

struct tess_sb_info {
	struct super_block *sb;
	char fsname[TESS_FSNAME_MAX + 1];
	char source[128];		/* the mount source, for log lines */
	struct tnet_client *mds;
	u8 key[TESS_KEY_MAX];
	unsigned int key_len;
	u8 uuid[16];			/* this mount's client id */
	unsigned long timeout;		/* jiffies */
	unsigned long acregmin, acregmax, acdirmin, acdirmax;	/* jiffies */
	struct mutex ost_lock;		/* osts[] changes */
	struct tess_ost_slot osts[TESS_MAX_OSTS];
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
	struct mutex io_lock;		/* size updates on close/fsync */
	loff_t mds_size;		/* size the MDS knows */
};

static inline struct tess_inode_info *TESS_I(struct inode *inode)
{
	return container_of(inode, struct tess_inode_info, vfs_inode);
}

static inline struct tess_sb_info *TESS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* super.c: OST connection for an OST index (OST_LIST refreshed on demand) */
struct tnet_client *tess_ost_client(struct tess_sb_info *sbi, u32 ost_idx);

/* mds.c: MDS calls, each builds the request and decodes the reply */
int tess_mds_call(struct tess_sb_info *sbi, u16 op, const void *body,
		  u32 body_len, void *reply, u32 reply_cap, u32 *reply_len);
/* SETATTR with TESS_SA_SIZE_EXTEND | TESS_SA_MTIME_NOW (writers, on close/fsync) */
int tess_mds_size_extend(struct inode *inode, loff_t size);

/* inode.c */
struct inode *tess_iget(struct super_block *sb, const struct tess_inode_rep *rep,
			u32 rep_len);
void tess_update_inode(struct inode *inode, const struct tess_inode_rep *rep,
		       u32 rep_len);
/* refresh attributes from the MDS if older than the cache time, or force */
int tess_revalidate(struct inode *inode, bool force);
int tess_setattr(struct user_namespace *mnt_userns, struct dentry *dentry,
		 struct iattr *attr);
int tess_getattr(struct user_namespace *mnt_userns, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
/* current layout with an RCU-safe copy for the caller; kfree() it */
struct tess_layout_info *tess_layout_copy(struct inode *inode);

/* dir.c, symlink in inode.c */
extern const struct inode_operations tess_dir_iops;
extern const struct file_operations tess_dir_fops;
extern const struct inode_operations tess_symlink_iops;
extern const struct dentry_operations tess_dentry_ops;

/* xattr.c */
extern const struct xattr_handler *tess_xattr_handlers[];
ssize_t tess_listxattr(struct dentry *dentry, char *buf, size_t size);

/* ioctl.c: TESS_IOC_SETSTRIPE / TESS_IOC_GETSTRIPE */
long tess_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* file.c, addr.c, osc.c: the data path */
extern const struct inode_operations tess_file_iops;
extern const struct file_operations tess_file_fops;
extern const struct address_space_operations tess_aops;
/* punch every object to the object sizes of a file of `size` bytes */
int tess_truncate_objects(struct inode *inode, loff_t size);

#endif /* _TESSERA_FS_H */
