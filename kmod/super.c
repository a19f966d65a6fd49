// SPDX-License-Identifier: GPL-2.0
/*
 * super.c - the Tessera file system type and its superblocks.
 *
 *   mount -t tessera HOST[:PORT]@NET[,...]:/FSNAME DIR -o key=PATH[,...]
 *
 * Every mount is an independent client: its own superblock (never
 * shared, get_tree_nodev), a random client uuid, its own connection to
 * the MDS and to each OST, its own caches.  The mount connects to the
 * first MDS address that answers (and authenticates) within timeout=
 * seconds, so an unreachable MDS fails the mount with the reason in the
 * kernel log; then the root inode comes from GETATTR of TESS_ROOT_INO.
 *
 * OST connections are made on first use from the MDS's OST list, which
 * is fetched again after TESS_OST_LIST_TTL: an OST that moved gets a new
 * client (the old one is kept until umount, callers may still hold it).
 *
 * umount writes back and evicts every inode (generic_shutdown_super)
 * before the RPC clients go; umount -f aborts all of them first, so it
 * returns at once with the servers gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/backing-dev.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/crc32c.h>

#include "tess_fs.h"
#include "stats.h"

#define TESS_SUPER_MAGIC	0x54455353	/* "TESS" */
#define TESS_OST_LIST_TTL	(30 * HZ)

/* ---- the key file ---- */

/*
 * As ssh with a private key: a key file others may read (or that belongs
 * to another user than the mounter or root) makes them root over the
 * file system, so the mount refuses it.
 */
static int tess_key_perm(struct fs_context *fc, const char *path,
			 const struct inode *inode)
{
	if (!uid_eq(inode->i_uid, current_fsuid()) &&
	    !uid_eq(inode->i_uid, GLOBAL_ROOT_UID)) {
		errorfc(fc, "key=%s: the key file is owned by uid %u, not by the mounter or root: refused (chown it, then chmod 600 %s)",
			path, from_kuid(&init_user_ns, inode->i_uid), path);
		return -EACCES;
	}
	if (inode->i_mode & 0077) {
		errorfc(fc, "key=%s: the key file is accessible by group or others (mode %04o): refused; run: chmod 600 %s",
			path, inode->i_mode & 07777, path);
		return -EACCES;
	}
	return 0;
}

static int tess_read_key(struct fs_context *fc, const char *path,
			 struct tess_sb_info *sbi)
{
	u8 *buf;
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int err = 0;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f)) {
		errorfc(fc, "key=%s: cannot open: %pe", path, f);
		return PTR_ERR(f);
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		fput(f);
		return invalfc(fc, "key=%s: not a regular file", path);
	}
	err = tess_key_perm(fc, path, file_inode(f));
	if (err) {
		fput(f);
		return err;
	}
	buf = kmalloc(TESS_KEY_MAX + 64, GFP_KERNEL);
	if (!buf) {
		fput(f);
		return -ENOMEM;
	}
	n = kernel_read(f, buf, TESS_KEY_MAX + 64, &pos);
	fput(f);
	if (n < 0) {
		err = n;
		errorfc(fc, "key=%s: cannot read: %pe", path, ERR_PTR(err));
		goto out;
	}
	while (n > 0 && isspace(buf[n - 1]))
		n--;
	if (n < TESS_KEY_MIN || n > TESS_KEY_MAX) {
		err = invalfc(fc, "key=%s: key must be %d to %d bytes, not %zd",
			      path, TESS_KEY_MIN, TESS_KEY_MAX, n);
		goto out;
	}
	memcpy(sbi->key, buf, n);
	sbi->key_len = n;
out:
	kfree_sensitive(buf);
	return err;
}

/* ---- OST clients ---- */


static bool tess_addr_eq(const struct tnet_addr *a, const struct tnet_addr *b)
{
	return a->ipv4 == b->ipv4 && a->port == b->port &&
	       !strcmp(a->net, b->net);
}

/*
 * An OST advertises one address per network it listens on, in its
 * --listen order: "10.0.0.7:7431@rdma,10.0.0.7:7431@tcp".  Use the one
 * on the network the MDS answered on, else the @tcp one, else the first;
 * the @tcp one is also the fallback when the path of the other network
 * fails (tess_ost_unreachable).
 */
static int tess_ost_pick_addr(struct tess_sb_info *sbi, const char *list,
			      u32 idx, struct tess_ost_slot *slot,
			      struct tnet_addr *use, const char **why)
{
	const char *p = list, *end;
	struct tnet_addr a;
	bool have = false;
	int err;

	slot->has_tcp = false;
	for (;;) {
		end = strchrnul(p, ',');
		err = tnet_addr_parse(p, end - p, &a, why);
		if (err)
			return err;
		if (!a.port)
			a.port = TESS_OST_PORT + idx;
		if (!strcmp(a.net, "tcp") && !slot->has_tcp) {
			slot->tcp = a;
			slot->has_tcp = true;
		}
		if (!have || (strcmp(use->net, sbi->net) &&
			      !strcmp(a.net, sbi->net))) {
			*use = a;
			have = true;
		}
		if (!*end)
			break;
		p = end + 1;
	}
	if (slot->has_tcp && strcmp(use->net, sbi->net) &&
	    strcmp(use->net, "tcp"))
		*use = slot->tcp;	/* no shared network: TCP */
	if (slot->has_tcp && READ_ONCE(slot->tcp_fallback))
		*use = slot->tcp;
	return 0;
}

/* the path of a network failed, not the server: try another network */
static bool tess_path_err(int err)
{
	switch (err) {
	case -ENODEV:
	case -ENETDOWN:
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -EADDRNOTAVAIL:
	case -EPROTONOSUPPORT:
	case -EAFNOSUPPORT:
	case -ENOENT:		/* no transport module */
		return true;
	}
	return false;
}

/* move the OSTs whose path failed to their @tcp address; ost_lock held */
static void tess_ost_fallback_locked(struct tess_sb_info *sbi)
{
	struct tess_ost_slot *slot;
	u32 i;

	for (i = 0; i < TESS_MAX_OSTS; i++) {
		slot = &sbi->osts[i];
		if (!READ_ONCE(slot->tcp_fallback) || !slot->has_tcp ||
		    !strcmp(slot->addr.net, "tcp"))
			continue;
		pr_warn("%s: OST%04x: no path over %s, using %pI4:%u@tcp until remount\n",
			sbi->source, i, slot->addr.net, &slot->tcp.ipv4,
			slot->tcp.port);
		slot->addr = slot->tcp;
		if (slot->cl)
			tnet_client_set_addr(slot->cl, &slot->addr);
	}
}

/*
 * OST_LIST from the MDS into sbi->osts[].  The call is made without
 * ost_lock: the MDS may be slow or away (a hard mount waits for it), and
 * I/O to OSTs already known must not wait behind it.
 */
static int tess_ost_refresh(struct tess_sb_info *sbi)
{
	const struct tess_ost_list_rep *lr;
	const struct tess_ost_info *oi;
	struct tess_ost_slot *slot;
	struct tnet_addr a;
	const char *why;
	u32 cap, len, i, n, idx;
	void *buf;
	int err;

	cap = sizeof(*lr) + TESS_MAX_OSTS * sizeof(*oi);
	buf = kvmalloc(cap, GFP_NOFS);
	if (!buf)
		return -ENOMEM;
	err = tess_mds_ost_list(sbi, buf, cap, &len);
	mutex_lock(&sbi->ost_lock);
	WRITE_ONCE(sbi->ost_list_time, jiffies);
	tess_ost_fallback_locked(sbi);
	if (err)
		goto out;
	lr = buf;
	n = le32_to_cpu(lr->count);
	oi = (const void *)(lr + 1);
	for (i = 0; i < n; i++) {
		idx = le32_to_cpu(oi[i].index);
		if (idx >= TESS_MAX_OSTS ||
		    !memchr(oi[i].addr, '\0', sizeof(oi[i].addr)))
			continue;
		slot = &sbi->osts[idx];
		if (tess_ost_pick_addr(sbi, oi[i].addr, idx, slot, &a, &why)) {
			pr_warn_ratelimited("%s: OST%04x has a bad address '%s': %s\n",
					    sbi->source, idx, oi[i].addr, why);
			continue;
		}
		if (slot->known && !tess_addr_eq(&slot->addr, &a) && slot->cl) {
			/* what is queued for it (hard mount) goes there too */
			pr_info("%s: OST%04x moved to %s\n", sbi->source, idx,
				oi[i].addr);
			tnet_client_set_addr(slot->cl, &a);
		}
		slot->addr = a;
		slot->known = true;
	}
	sbi->ost_listed = true;
out:
	mutex_unlock(&sbi->ost_lock);
	kvfree(buf);
	return err;
}

static void tess_ost_refresh_work(struct work_struct *work)
{
	tess_ost_refresh(container_of(work, struct tess_sb_info, ost_refresh));
}

/*
 * An OST client cannot connect (from its sender's worker; must not
 * block): ask the MDS where the OSTs are, at most every 5 s; if the path
 * of its network failed and it has a @tcp address, move to that now.
 */
static void tess_ost_unreachable(void *arg, int err)
{
	struct tess_ost_slot *slot = arg;
	struct tess_sb_info *sbi = slot->sbi;

	if (READ_ONCE(sbi->dying))
		return;
	/*
	 * Only an OST reached over another network that has an @tcp address
	 * falls back; on TCP itself an unreachable OST may have moved, which
	 * the OST_LIST below finds.  ost_lock busy: the next failure retries.
	 */
	if (tess_path_err(err) && !READ_ONCE(slot->tcp_fallback) &&
	    mutex_trylock(&sbi->ost_lock)) {
		bool fall = slot->has_tcp && strcmp(slot->addr.net, "tcp");

		if (fall) {
			WRITE_ONCE(slot->tcp_fallback, true);
			tess_ost_fallback_locked(sbi);
		}
		mutex_unlock(&sbi->ost_lock);
		if (fall)
			return;
	}
	if (time_after(jiffies, READ_ONCE(sbi->ost_list_time) + 5 * HZ))
		queue_work(system_unbound_wq, &sbi->ost_refresh);
}

struct tnet_client *tess_ost_client(struct tess_sb_info *sbi, u32 ost_idx)
{
	struct tnet_client_conf conf;
	struct tess_ost_slot *slot;
	struct tnet_client *cl;
	char name[16];
	int err;

	if (ost_idx >= TESS_MAX_OSTS)
		return ERR_PTR(-ENXIO);
	slot = &sbi->osts[ost_idx];
	/* pairs with the smp_store_release() below: cl is set up */
	cl = smp_load_acquire(&slot->cl);
	if (cl) {
		/* an OST may move: look again now and then, in the background */
		if (!time_before(jiffies, READ_ONCE(sbi->ost_list_time) +
				 TESS_OST_LIST_TTL) && !READ_ONCE(sbi->dying))
			queue_work(system_unbound_wq, &sbi->ost_refresh);
		return cl;
	}

	/* first use of this OST: its address may need an OST_LIST */
	if (!READ_ONCE(sbi->ost_listed) || !READ_ONCE(slot->known)) {
		err = tess_ost_refresh(sbi);
		if (err && !READ_ONCE(slot->known))
			return ERR_PTR(err);
	}
	mutex_lock(&sbi->ost_lock);
	if (!slot->known) {
		cl = ERR_PTR(-ENXIO);
		goto out;
	}
	cl = slot->cl;
	if (cl)
		goto out;
	memset(&conf, 0, sizeof(conf));
	conf.addr = slot->addr;
	conf.key = sbi->key;
	conf.key_len = sbi->key_len;
	memcpy(conf.uuid, sbi->uuid, sizeof(conf.uuid));
	conf.role = TESS_ROLE_CLIENT;
	conf.timeout = sbi->timeout;
	conf.soft = sbi->soft;
	conf.sec = sbi->sec;
	conf.no_bulk_crc = READ_ONCE(sbi->nochecksums);
	conf.connect_failed = tess_ost_unreachable;
	slot->sbi = sbi;
	conf.arg = slot;
	snprintf(name, sizeof(name), "OST%04x", ost_idx);
	conf.name = name;
	cl = tnet_client_create(&conf);
	if (!IS_ERR(cl)) {
		/* publish the set-up client; pairs with smp_load_acquire() */
		smp_store_release(&slot->cl, cl);
	}
out:
	mutex_unlock(&sbi->ost_lock);
	return cl;
}

static void tess_ost_ping_done(struct tnet_req *req)
{
	tnet_req_put(req);
}

/*
 * Right after mount, in the background: list the OSTs and connect to all
 * of them at once (a soft PING each, so every client connects from its
 * own worker), as Lustre does at mount, so that the first read of a file
 * does not wait for OST_LIST and a connect.  An OST that cannot be
 * reached now is connected to on first use; the RPC layer logs the
 * connect failure once.
 */
static void tess_ost_warm(struct work_struct *work)
{
	struct tess_sb_info *sbi = container_of(work, struct tess_sb_info,
						ost_warm);
	unsigned int i;

	tess_ost_refresh(sbi);		/* failed: the first I/O tries again */
	for (i = 0; i < TESS_MAX_OSTS && !READ_ONCE(sbi->dying); i++) {
		struct tnet_client *cl;
		struct tnet_req *req;

		if (!READ_ONCE(sbi->osts[i].known))
			continue;
		cl = tess_ost_client(sbi, i);
		req = IS_ERR(cl) ? NULL : tnet_req_alloc(GFP_KERNEL);
		if (!req)
			continue;
		req->opcode = TESS_OP_PING;
		req->flags = TNET_REQ_SOFT;
		req->done = tess_ost_ping_done;	/* puts our reference */
		tnet_submit(cl, req);
	}
}

/*
 * The MDS restarted: it keeps opens in memory only, and keeps orphans for
 * one lease after it starts so that clients can say again what they hold
 * open.  Send one OPEN per open file of ours (each CLOSE takes one back).
 */
static void tess_reopen_work(struct work_struct *work)
{
	struct tess_sb_info *sbi = container_of(work, struct tess_sb_info,
						reopen);
	struct super_block *sb = sbi->sb;
	struct inode *inode, *prev = NULL;
	struct tess_irep *ir;
	unsigned int sent = 0;

	ir = tess_irep_alloc();
	if (!ir)
		return;
	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		int n = atomic_read(&TESS_I(inode)->opens);

		if (n <= 0 || READ_ONCE(sbi->dying))
			continue;
		spin_lock(&inode->i_lock);
		if (inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);

		iput(prev);
		prev = inode;
		while (n-- > 0 && !tess_mds_open(sbi, inode->i_ino,
						 TESS_OPEN_READ |
						 TESS_OPEN_REPLAY, ir))
			sent++;
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(prev);
	kfree(ir);
	if (sent)
		pr_info("%s: MDS restarted: %u opens sent again\n",
			sbi->source, sent);
}

static void tess_mds_restarted(void *arg)
{
	struct tess_sb_info *sbi = arg;

	if (!READ_ONCE(sbi->dying))
		queue_work(system_unbound_wq, &sbi->reopen);
}

/* ---- superblock operations ---- */

static int tess_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct tess_sb_info *sbi = TESS_SB(dentry->d_sb);
	struct tess_statfs_rep st;
	u64 id;
	int err;

	err = tess_mds_statfs(sbi, &st);
	if (err)
		return err;
	buf->f_type = TESS_SUPER_MAGIC;
	buf->f_bsize = le32_to_cpu(st.bsize) ?: PAGE_SIZE;
	buf->f_frsize = buf->f_bsize;
	buf->f_blocks = le64_to_cpu(st.blocks);
	buf->f_bfree = le64_to_cpu(st.bfree);
	buf->f_bavail = le64_to_cpu(st.bavail);
	buf->f_files = le64_to_cpu(st.files);
	buf->f_ffree = le64_to_cpu(st.ffree);
	buf->f_namelen = min_t(u32, le32_to_cpu(st.namelen) ?: TESS_NAME_MAX,
			       TESS_NAME_MAX);
	id = crc32c(0, sbi->fsname, strlen(sbi->fsname));
	id = (id << 32) | crc32c(~0u, sbi->source, strlen(sbi->source));
	buf->f_fsid = u64_to_fsid(id);
	return 0;
}

static int tess_show_options(struct seq_file *m, struct dentry *root)
{
	struct tess_sb_info *sbi = TESS_SB(root->d_sb);

	if (sbi->key_path)
		seq_show_option(m, "key", sbi->key_path);
	seq_printf(m, ",timeout=%u", sbi->timeout_sec);
	seq_puts(m, sbi->soft ? ",soft" : ",hard");
	if (sbi->localflock)
		seq_puts(m, ",localflock");
	if (sbi->rasize != TESS_RASIZE_AUTO)
		seq_printf(m, ",rasize=%u", sbi->rasize);
	if (sbi->sec != TESS_SEC_AUTH)
		seq_printf(m, ",sec=%s", tess_sec_name(sbi->sec));
	if (READ_ONCE(sbi->nochecksums))
		seq_puts(m, ",checksums=0");
	seq_printf(m, ",acregmin=%lu,acregmax=%lu,acdirmin=%lu,acdirmax=%lu",
		   sbi->acregmin / HZ, sbi->acregmax / HZ,
		   sbi->acdirmin / HZ, sbi->acdirmax / HZ);
	return 0;
}

/* umount -f: make everything pending and future fail now */
static void tess_umount_begin(struct super_block *sb)
{
	struct tess_sb_info *sbi = TESS_SB(sb);
	unsigned int i;

	pr_info("%s: forced umount: aborting all requests\n", sbi->source);
	WRITE_ONCE(sbi->dying, true);
	tnet_client_abort(sbi->mds);
	/* an OST_LIST under ost_lock has just been failed */
	mutex_lock(&sbi->ost_lock);
	for (i = 0; i < TESS_MAX_OSTS; i++)
		if (sbi->osts[i].cl)
			tnet_client_abort(sbi->osts[i].cl);
	mutex_unlock(&sbi->ost_lock);
}

/*
 * sync(2), syncfs(2), umount: the VFS has written back and waited for
 * every dirty page; make what the OSTs acknowledged stable on their disks.
 */
static int tess_sync_fs(struct super_block *sb, int wait)
{
	if (!wait)
		return 0;
	return tess_sync_osts(TESS_SB(sb));
}

static const struct super_operations tess_super_ops = {
	.alloc_inode	= tess_alloc_inode,
	.free_inode	= tess_free_inode,
	.evict_inode	= tess_evict_inode,
	.sync_fs	= tess_sync_fs,
	.statfs		= tess_statfs,
	.umount_begin	= tess_umount_begin,
	.show_options	= tess_show_options,
};

/* ---- mount and umount ---- */

static void tess_sbi_free(struct tess_sb_info *sbi)
{
	unsigned int i;

	/* all at once: OSTs that are away cost one timeout, not one each */
	for (i = 0; i < TESS_MAX_OSTS; i++)
		tnet_client_shutdown(sbi->osts[i].cl);
	tnet_client_shutdown(sbi->mds);
	for (i = 0; i < TESS_MAX_OSTS; i++)
		if (sbi->osts[i].cl)
			tnet_client_destroy(sbi->osts[i].cl);
	if (sbi->mds)
		tnet_client_destroy(sbi->mds);
	/* every RPC has completed: the counters are no longer written */
	tess_stats_put(sbi);
	kfree(sbi->key_path);
	memzero_explicit(sbi->key, sizeof(sbi->key));
	kvfree(sbi);
}


/*
 * The MDS client cannot connect (from its sender's worker): if the path
 * of its network failed (an RDMA device went away) and the mount source
 * lists another address ("a@rdma,a@tcp:/fs"), move to the next one.
 */
static void tess_mds_unreachable(void *arg, int err)
{
	struct tess_sb_info *sbi = arg;
	const struct tnet_addr *a;

	/* sbi->mds is set once the mount's first connect has answered */
	if (!READ_ONCE(sbi->mds) || sbi->nr_mds < 2 || !tess_path_err(err) ||
	    READ_ONCE(sbi->dying))
		return;
	sbi->mds_cur = (sbi->mds_cur + 1) % sbi->nr_mds;
	a = &sbi->mds_addr[sbi->mds_cur];
	pr_warn("%s: MDS: no path (%d), trying %pI4:%u@%s\n", sbi->source,
		err, &a->ipv4, a->port, a->net);
	tnet_client_set_addr(sbi->mds, a);
}

static int tess_connect_mds(struct fs_context *fc, struct tess_sb_info *sbi)
{
	struct tess_fs_context *ctx = fc->fs_private;
	struct tnet_client_conf conf;
	struct tnet_client *cl;
	char addr[TNET_ADDR_STRLEN];
	unsigned int i;
	int err = -EHOSTUNREACH;

	memset(&conf, 0, sizeof(conf));
	conf.key = sbi->key;
	conf.key_len = sbi->key_len;
	memcpy(conf.uuid, sbi->uuid, sizeof(conf.uuid));
	conf.role = TESS_ROLE_CLIENT;
	conf.timeout = sbi->timeout;
	conf.soft = sbi->soft;
	conf.sec = sbi->sec;
	conf.server_restarted = tess_mds_restarted;
	conf.keepalive = true;		/* our opens live while connected */
	conf.connect_failed = tess_mds_unreachable;
	conf.arg = sbi;
	conf.name = "mds";
	memcpy(sbi->mds_addr, ctx->mds, sizeof(sbi->mds_addr));
	sbi->nr_mds = ctx->nr_mds;
	for (i = 0; i < ctx->nr_mds; i++) {
		conf.addr = ctx->mds[i];
		if (tnet_addr_format(&ctx->mds[i], addr, sizeof(addr)) < 0)
			strscpy(addr, "?", sizeof(addr));
		cl = tnet_client_create(&conf);
		if (IS_ERR(cl)) {
			err = PTR_ERR(cl);
			errorfc(fc, "%s: MDS %s: cannot create a client: %pe",
				sbi->source, addr, cl);
			continue;
		}
		err = tnet_client_connect(cl);
		if (!err) {
			sbi->mds_cur = i;
			strscpy(sbi->net, ctx->mds[i].net, sizeof(sbi->net));
			sbi->mds = cl;
			return 0;
		}
		tnet_client_destroy(cl);
		if (err == -EACCES && sbi->sec != TESS_SEC_AUTH)
			errorfc(fc, "%s: MDS %s: authentication failed (wrong key, or the server does not agree sec=%s?)",
				sbi->source, addr, tess_sec_name(sbi->sec));
		else if (err == -EACCES)
			errorfc(fc, "%s: MDS %s: authentication failed (wrong key, or the server asks for a stronger sec=?)",
				sbi->source, addr);
		else
			errorfc(fc, "%s: MDS %s: cannot connect: %pe",
				sbi->source, addr, ERR_PTR(err));
	}
	return err;
}

/*
 * Each file's window is set at its first read (tess_file_set_ra); this
 * is the window until then and after fadvise NORMAL.  A large read(2)
 * may take up to io_pages in one go.  Mount and sysfs rasize (stats.c).
 */
void tess_set_rasize(struct tess_sb_info *sbi, u32 rasize)
{
	struct backing_dev_info *bdi = sbi->sb->s_bdi;
	unsigned long ra;

	WRITE_ONCE(sbi->rasize, rasize);
	ra = (rasize == TESS_RASIZE_AUTO ? TESS_BULK_DEFAULT : rasize) /
	     PAGE_SIZE;
	WRITE_ONCE(bdi->ra_pages, ra);
	WRITE_ONCE(bdi->io_pages, max_t(unsigned long, ra,
					TESS_RA_MAX / PAGE_SIZE));
}

static int tess_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;
	struct tess_sb_info *sbi;
	struct tess_irep *ir = NULL;
	struct inode *root;
	int err;

	sbi = kvzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;
	sbi->sb = sb;
	mutex_init(&sbi->ost_lock);
	INIT_WORK(&sbi->ost_warm, tess_ost_warm);
	INIT_WORK(&sbi->ost_refresh, tess_ost_refresh_work);
	INIT_WORK(&sbi->reopen, tess_reopen_work);
	init_waitqueue_head(&sbi->wb_wait);
	init_waitqueue_head(&sbi->rpc_slot_wait);
	spin_lock_init(&sbi->verf_lock);
	sbi->max_rpcs_in_flight = TESS_RPCS_IN_FLIGHT_DEF;
	sbi->nochecksums = ctx->nochecksums;
	sbi->soft = ctx->soft;
	sbi->localflock = ctx->localflock;
	sbi->rasize = ctx->rasize;
	sbi->sec = ctx->sec;
	strscpy(sbi->fsname, ctx->fsname, sizeof(sbi->fsname));
	strscpy(sbi->source, fc->source, sizeof(sbi->source));
	sbi->timeout_sec = ctx->timeout;
	sbi->timeout = ctx->timeout * HZ;
	sbi->acregmin = ctx->acregmin * HZ;
	sbi->acregmax = ctx->acregmax * HZ;
	sbi->acdirmin = ctx->acdirmin * HZ;
	sbi->acdirmax = ctx->acdirmax * HZ;
	get_random_bytes(sbi->uuid, sizeof(sbi->uuid));
	sbi->key_path = kstrdup(ctx->key_path, GFP_KERNEL);
	if (!sbi->key_path)
		return -ENOMEM;
	err = tess_stats_alloc(sbi);
	if (err)
		return err;
	err = tess_read_key(fc, ctx->key_path, sbi);
	if (err)
		return err;
	err = tess_connect_mds(fc, sbi);
	if (err)
		return err;

	sb->s_magic = TESS_SUPER_MAGIC;
	sb->s_op = &tess_super_ops;
	sb->s_xattr = tess_xattr_handlers;
	sb->s_d_op = &tess_dentry_ops;
	sb->s_maxbytes = min_t(loff_t, MAX_LFS_FILESIZE, 1LL << 62);
	/*
	 * A write asks whether it must drop privileges (suid bits, a
	 * security.capability xattr: a GETXATTR to the MDS); S_NOSEC keeps
	 * the answer until the attributes change (tess_update_inode_flags).
	 */
	sb->s_flags |= SB_NOSEC;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_time_gran = 1;
	err = super_setup_bdi(sb);
	if (err)
		return err;
	tess_set_rasize(sbi, sbi->rasize);

	ir = tess_irep_alloc();
	if (!ir)
		return -ENOMEM;
	err = tess_mds_getattr(sbi, TESS_ROOT_INO, ir);
	if (err) {
		errorfc(fc, "%s: GETATTR of the root: %pe", sbi->source,
			ERR_PTR(err));
		goto out;
	}
	if (!S_ISDIR(le32_to_cpu(ir->rep.attr.mode)) ||
	    le64_to_cpu(ir->rep.attr.ino) != TESS_ROOT_INO) {
		err = -EPROTO;
		errorfc(fc, "%s: the MDS root is not a directory", sbi->source);
		goto out;
	}
	root = tess_iget(sb, &ir->rep, ir->len);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto out;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		err = -ENOMEM;
	} else {
		queue_work(system_unbound_wq, &sbi->ost_warm);
		tess_stats_publish(sbi);
	}
out:
	kfree(ir);
	return err;
}

static int tess_get_tree(struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;
	struct tnet_transport_ops *t;
	unsigned int i;
	int err;

	err = tess_check_options(fc);
	if (err)
		return err;

	for (i = 0; i < ctx->nr_mds; i++) {
		t = tnet_get_transport(ctx->mds[i].net);
		if (IS_ERR(t)) {
			errorfc(fc, "no transport for network '%s' (module tessera-lnet-%s): %pe",
				ctx->mds[i].net, ctx->mds[i].net, t);
			return PTR_ERR(t);
		}
		tnet_put_transport(t);
	}
	if (!ctx->key_path)
		return invalfc(fc, "%s: no key= given (the shared key file of the MDS)",
			       fc->source);

	/* a new superblock for every mount: independent clients */
	err = get_tree_nodev(fc, tess_fill_super);
	if (!err)
		pr_info("%s: mounted\n", fc->source);
	return err;
}

static void tess_kill_sb(struct super_block *sb)
{
	struct tess_sb_info *sbi = TESS_SB(sb);

	if (sbi) {
		/* no sysfs reader or rasize writer runs after this */
		tess_stats_unpublish(sbi);
		WRITE_ONCE(sbi->dying, true);
		cancel_work_sync(&sbi->ost_warm);
		cancel_work_sync(&sbi->ost_refresh);
		cancel_work_sync(&sbi->reopen);
		/* size updates of exiting writers hold inode references */
		flush_workqueue(tess_wq);
	}
	/* writes back and evicts every inode while the clients still work */
	kill_anon_super(sb);
	if (sbi)
		tess_sbi_free(sbi);
}

static void tess_free_fc(struct fs_context *fc)
{
	struct tess_fs_context *ctx = fc->fs_private;

	if (ctx) {
		kfree(ctx->key_path);
		kfree(ctx);
	}
}

static const struct fs_context_operations tess_context_ops = {
	.free		= tess_free_fc,
	.parse_param	= tess_parse_param,
	.get_tree	= tess_get_tree,
};

static int tess_init_fs_context(struct fs_context *fc)
{
	struct tess_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	tess_fs_context_defaults(ctx);
	fc->fs_private = ctx;
	fc->ops = &tess_context_ops;
	return 0;
}

static struct file_system_type tess_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "tessera",
	.init_fs_context	= tess_init_fs_context,
	.parameters		= tess_fs_parameters,
	.kill_sb		= tess_kill_sb,
};
MODULE_ALIAS_FS("tessera");

static void tess_inode_init_once(void *p)
{
	struct tess_inode_info *ii = p;

	inode_init_once(&ii->vfs_inode);
	mutex_init(&ii->io_lock);
	ii->trunc_seq = 0;
	INIT_WORK(&ii->size_work, tess_size_work);
}

struct workqueue_struct *tess_wq;

static int __init tess_init(void)
{
	int err;

	tess_wq = alloc_workqueue("tessera", WQ_UNBOUND, 0);
	if (!tess_wq)
		return -ENOMEM;
	tess_inode_cachep = kmem_cache_create("tessera_inode_cache",
					      sizeof(struct tess_inode_info), 0,
					      SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					      tess_inode_init_once);
	if (!tess_inode_cachep) {
		destroy_workqueue(tess_wq);
		return -ENOMEM;
	}
	err = tess_stats_module_init();
	if (err) {
		kmem_cache_destroy(tess_inode_cachep);
		destroy_workqueue(tess_wq);
		return err;
	}
	err = register_filesystem(&tess_fs_type);
	if (err) {
		tess_stats_module_exit();
		kmem_cache_destroy(tess_inode_cachep);
		destroy_workqueue(tess_wq);
		return err;
	}
	pr_info("file system registered (protocol %d)\n", TESS_PROTO_VERSION);
	return 0;
}

static void __exit tess_exit(void)
{
	unregister_filesystem(&tess_fs_type);
	tess_stats_module_exit();
	/* free_inode runs after an RCU grace period */
	rcu_barrier();
	kmem_cache_destroy(tess_inode_cachep);
	destroy_workqueue(tess_wq);
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_AUTHOR("The Tessera authors");
MODULE_DESCRIPTION("Tessera parallel file system client");
MODULE_LICENSE("GPL");
