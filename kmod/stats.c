// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - per mount, per OST counters of the object data RPCs and the
 * mount's sysfs directory (issue #11).
 *
 * /sys/fs/tessera/<fsname>-<major>:<minor>/ (the st_dev of the mount):
 *
 *   stats     one line per OST that is known or was used, "ost IDX" then
 *             "key value" pairs:
 *               ost 0 read_rpcs N read_bytes N read_errors N
 *                     write_rpcs N write_bytes N write_errors N
 *                     in_flight N max_in_flight N resends N timeouts N
 *             (one line).  rpcs count RPCs sent, bytes those that
 *             succeeded, errors those that failed (after any resend of
 *             the RPC layer); in_flight is now, max_in_flight since mount;
 *             resends and timeouts are the OST connection's, of every
 *             kind of RPC (the same as `tessctl peer show`).
 *             Then one line for the whole mount:
 *               mount dirty_bytes N writeback_bytes N
 *                     ra_windows N ra_pages N sync_read_pages N
 *             dirty and under writeback now (the mount's bdi), readahead
 *             windows read and their pages, and pages read one folio at
 *             a time (->read_folio: what readahead did not bring in).
 *   rpc_hist  per OST, four lines "ost IDX KIND LOW:COUNT ..." of the
 *             non-empty log2 buckets: read_lat_us and write_lat_us (the
 *             time from send to completion, LOW the bucket's lowest
 *             microseconds, 0 for under 1 us), read_pages and write_pages
 *             (the pages of each RPC sent, LOW the lowest).  Completed
 *             RPCs in the latency buckets, sent ones in the size buckets.
 *   rasize    the readahead window in bytes, or "auto" (as the mount
 *             option rasize=, whose rules a write follows: at most 1 GiB,
 *             rounded down to whole pages, 0 turns readahead off).
 *   max_rpcs_in_flight
 *             OBJ_READ/OBJ_WRITE in flight to one OST at most, 1..256
 *             (default 8); a sender waits for a slot (osc.c).
 *   max_dirty_mb
 *             dirty MiB the mount may hold before a writer has them sent
 *             (addr.c); 0 (the default): the kernel's dirty limits only.
 *             For the whole mount, not per OST as Lustre's.
 *   checksums 1: bulk data carries a CRC32C both ways (the default), 0:
 *             not (as the mount option checksums=).  Agreed per
 *             connection: a change closes each OST connection, and what
 *             it had in flight is sent again on the next.
 *
 * The counters are atomics updated where osc.c sends and completes
 * OBJ_READ/OBJ_WRITE; an OST's are allocated at its first RPC.  A reader
 * holding a file open across umount gets -ENODEV (kernfs); the memory
 * goes with the last reference (the kobject's release).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/sysfs.h>
#include <linux/backing-dev.h>
#include <linux/wait.h>

#include "tess_fs.h"
#include "stats.h"

static struct kset *tess_kset;

static const char * const tess_dir_name[2] = { "read", "write" };

static struct tess_stats *to_stats(struct kobject *kobj)
{
	return container_of(kobj, struct tess_stats, kobj);
}

struct tess_ost_stats *tess_stats_rpc_start(struct tess_sb_info *sbi,
					    u32 ost_idx, bool write,
					    u32 bytes, gfp_t gfp)
{
	struct tess_stats *s = sbi->stats;
	struct tess_ost_stats *st, *old;
	struct tess_dir_stats *d;
	unsigned long pages;
	int n, max;

	if (!s || ost_idx >= TESS_MAX_OSTS)
		return NULL;
	st = READ_ONCE(s->ost[ost_idx]);
	if (!st) {
		st = kzalloc(sizeof(*st), gfp | __GFP_NOWARN);
		if (!st)
			return NULL;	/* not counted */
		old = cmpxchg(&s->ost[ost_idx], NULL, st);
		if (old) {
			kfree(st);
			st = old;
		}
	}
	d = &st->dir[write];
	atomic64_inc(&d->rpcs);
	pages = max_t(unsigned long, DIV_ROUND_UP(bytes, PAGE_SIZE), 1);
	atomic64_inc(&d->size[min_t(unsigned int, ilog2(pages),
				    TESS_SIZE_BUCKETS - 1)]);
	n = atomic_inc_return(&st->in_flight);
	max = atomic_read(&st->max_in_flight);
	while (n > max && !atomic_try_cmpxchg(&st->max_in_flight, &max, n))
		;
	return st;
}

void tess_stats_rpc_end(struct tess_ost_stats *st, bool write, int err,
			u32 bytes, ktime_t start)
{
	struct tess_dir_stats *d;
	s64 us;
	unsigned int b;

	if (!st)
		return;
	d = &st->dir[write];
	if (err)
		atomic64_inc(&d->errors);
	else
		atomic64_add(bytes, &d->bytes);
	us = ktime_us_delta(ktime_get(), start);
	b = us > 0 ? min_t(unsigned int, ilog2(us) + 1, TESS_LAT_BUCKETS - 1)
		   : 0;
	atomic64_inc(&d->lat[b]);
	atomic_dec(&st->in_flight);
}

void tess_stats_readahead(struct tess_sb_info *sbi, unsigned int pages)
{
	struct tess_stats *s = sbi->stats;

	if (s) {
		atomic64_inc(&s->ra_windows);
		atomic64_add(pages, &s->ra_pages);
	}
}

void tess_stats_sync_read(struct tess_sb_info *sbi, unsigned int pages)
{
	if (sbi->stats)
		atomic64_add(pages, &sbi->stats->sync_read_pages);
}

/* the OSTs to list: used, or known from the OST list */
static struct tess_ost_stats *tess_stats_ost(struct tess_stats *s, u32 i,
					     bool *show)
{
	struct tess_ost_stats *st = READ_ONCE(s->ost[i]);

	*show = st || READ_ONCE(s->sbi->osts[i].known);
	return st;
}

static u64 rd64(atomic64_t *v)
{
	return (u64)atomic64_read(v);
}

/* the whole text of stats (hist false) or rpc_hist (true); kvfree it */
static char *tess_stats_text(struct tess_stats *s, bool hist, size_t *lenp)
{
	static struct tess_ost_stats zero;
	size_t cap = 0, len = 0;
	struct tnet_client_stats cs;
	struct tess_ost_stats *st;
	struct tnet_client *cl;
	struct bdi_writeback *wb;
	char *buf;
	bool show;
	u32 i, k;
	int w, b;

	for (i = 0; i < TESS_MAX_OSTS; i++) {
		tess_stats_ost(s, i, &show);
		if (show)
			cap += hist ? 4 * (32 + TESS_LAT_BUCKETS * 26) : 400;
	}
	if (!hist)
		cap += 200;	/* the mount line */
	buf = kvmalloc(cap + 1, GFP_KERNEL);
	if (!buf)
		return NULL;
#define OUT(...) (len += scnprintf(buf + len, cap + 1 - len, __VA_ARGS__))
	for (i = 0; i < TESS_MAX_OSTS; i++) {
		st = tess_stats_ost(s, i, &show);
		if (!show)
			continue;
		if (!st)
			st = &zero;
		if (!hist) {
			OUT("ost %u", i);
			for (w = 0; w < 2; w++)
				OUT(" %s_rpcs %llu %s_bytes %llu %s_errors %llu",
				    tess_dir_name[w], rd64(&st->dir[w].rpcs),
				    tess_dir_name[w], rd64(&st->dir[w].bytes),
				    tess_dir_name[w], rd64(&st->dir[w].errors));
			/* pairs with tess_ost_client()'s release: set up */
			cl = smp_load_acquire(&s->sbi->osts[i].cl);
			memset(&cs, 0, sizeof(cs));
			if (cl)
				tnet_client_stats(cl, &cs);
			OUT(" in_flight %d max_in_flight %d resends %llu timeouts %llu\n",
			    atomic_read(&st->in_flight),
			    atomic_read(&st->max_in_flight),
			    cs.resends, cs.timeouts);
			continue;
		}
		for (w = 0; w < 2; w++) {
			OUT("ost %u %s_lat_us", i, tess_dir_name[w]);
			for (b = 0; b < TESS_LAT_BUCKETS; b++) {
				k = b ? 1u << (b - 1) : 0;
				if (rd64(&st->dir[w].lat[b]))
					OUT(" %u:%llu", k,
					    rd64(&st->dir[w].lat[b]));
			}
			OUT("\n");
		}
		for (w = 0; w < 2; w++) {
			OUT("ost %u %s_pages", i, tess_dir_name[w]);
			for (b = 0; b < TESS_SIZE_BUCKETS; b++)
				if (rd64(&st->dir[w].size[b]))
					OUT(" %u:%llu", 1u << b,
					    rd64(&st->dir[w].size[b]));
			OUT("\n");
		}
	}
	if (!hist) {
		wb = &s->sbi->sb->s_bdi->wb;
		OUT("mount dirty_bytes %llu writeback_bytes %llu ra_windows %llu ra_pages %llu sync_read_pages %llu\n",
		    (u64)wb_stat_sum(wb, WB_RECLAIMABLE) << PAGE_SHIFT,
		    (u64)wb_stat_sum(wb, WB_WRITEBACK) << PAGE_SHIFT,
		    rd64(&s->ra_windows), rd64(&s->ra_pages),
		    rd64(&s->sync_read_pages));
	}
#undef OUT
	*lenp = len;
	return buf;
}

static ssize_t tess_stats_read_text(struct kobject *kobj, bool hist,
				    char *out, loff_t off, size_t count)
{
	size_t len;
	char *buf;

	buf = tess_stats_text(to_stats(kobj), hist, &len);
	if (!buf)
		return -ENOMEM;
	if (off >= len) {
		count = 0;
	} else {
		count = min_t(size_t, count, len - off);
		memcpy(out, buf + off, count);
	}
	kvfree(buf);
	return count;
}

static ssize_t stats_read(struct file *f, struct kobject *kobj,
			  struct bin_attribute *a, char *out, loff_t off,
			  size_t count)
{
	return tess_stats_read_text(kobj, false, out, off, count);
}

static ssize_t rpc_hist_read(struct file *f, struct kobject *kobj,
			     struct bin_attribute *a, char *out, loff_t off,
			     size_t count)
{
	return tess_stats_read_text(kobj, true, out, off, count);
}

static BIN_ATTR_RO(stats, 0);
static BIN_ATTR_RO(rpc_hist, 0);

static ssize_t rasize_show(struct kobject *kobj, struct kobj_attribute *a,
			   char *buf)
{
	u32 ra = READ_ONCE(to_stats(kobj)->sbi->rasize);

	if (ra == TESS_RASIZE_AUTO)
		return sysfs_emit(buf, "auto\n");
	return sysfs_emit(buf, "%u\n", ra);
}

static ssize_t rasize_store(struct kobject *kobj, struct kobj_attribute *a,
			    const char *buf, size_t count)
{
	struct tess_sb_info *sbi = to_stats(kobj)->sbi;
	u32 ra;

	if (sysfs_streq(buf, "auto")) {
		ra = TESS_RASIZE_AUTO;
	} else {
		if (kstrtou32(buf, 0, &ra) || ra > TESS_RASIZE_MAX)
			return -EINVAL;
		/* whole pages; 0 turns readahead off (as rasize=) */
		ra = round_down(ra, PAGE_SIZE);
	}
	tess_set_rasize(sbi, ra);
	return count;
}

static struct kobj_attribute tess_attr_rasize = __ATTR_RW(rasize);

static ssize_t max_rpcs_in_flight_show(struct kobject *kobj,
				       struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_stats(kobj)->sbi->max_rpcs_in_flight));
}

static ssize_t max_rpcs_in_flight_store(struct kobject *kobj,
					struct kobj_attribute *a,
					const char *buf, size_t count)
{
	struct tess_sb_info *sbi = to_stats(kobj)->sbi;
	u32 n;

	if (kstrtou32(buf, 0, &n) || !n || n > TESS_RPCS_IN_FLIGHT_MAX)
		return -EINVAL;
	WRITE_ONCE(sbi->max_rpcs_in_flight, n);
	wake_up_all(&sbi->rpc_slot_wait);	/* more slots, maybe */
	return count;
}

static struct kobj_attribute tess_attr_max_rpcs_in_flight =
	__ATTR_RW(max_rpcs_in_flight);

static ssize_t max_dirty_mb_show(struct kobject *kobj,
				 struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_stats(kobj)->sbi->max_dirty_mb));
}

static ssize_t max_dirty_mb_store(struct kobject *kobj,
				  struct kobj_attribute *a,
				  const char *buf, size_t count)
{
	u32 n;

	if (kstrtou32(buf, 0, &n) || n > TESS_MAX_DIRTY_MB_MAX)
		return -EINVAL;
	WRITE_ONCE(to_stats(kobj)->sbi->max_dirty_mb, n);
	return count;
}

static struct kobj_attribute tess_attr_max_dirty_mb = __ATTR_RW(max_dirty_mb);

static ssize_t checksums_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  !READ_ONCE(to_stats(kobj)->sbi->nochecksums));
}

static ssize_t checksums_store(struct kobject *kobj, struct kobj_attribute *a,
			       const char *buf, size_t count)
{
	struct tess_sb_info *sbi = to_stats(kobj)->sbi;
	u32 on, i;

	if (kstrtou32(buf, 0, &on) || on > 1)
		return -EINVAL;
	/*
	 * Under ost_lock: a client created from now on reads the new value.
	 * The others (they last until umount, which waits for this store)
	 * are told after it: a reset completes requests, not under a lock.
	 */
	mutex_lock(&sbi->ost_lock);
	WRITE_ONCE(sbi->nochecksums, !on);
	mutex_unlock(&sbi->ost_lock);
	for (i = 0; i < TESS_MAX_OSTS; i++) {
		/* pairs with tess_ost_client()'s release: set up */
		struct tnet_client *cl = smp_load_acquire(&sbi->osts[i].cl);

		if (cl)
			tnet_client_set_bulk_crc(cl, on);
	}
	return count;
}

static struct kobj_attribute tess_attr_checksums = __ATTR_RW(checksums);

static struct attribute *tess_stats_attrs[] = {
	&tess_attr_rasize.attr,
	&tess_attr_max_rpcs_in_flight.attr,
	&tess_attr_max_dirty_mb.attr,
	&tess_attr_checksums.attr,
	NULL,
};

static struct bin_attribute *tess_stats_bin_attrs[] = {
	&bin_attr_stats,
	&bin_attr_rpc_hist,
	NULL,
};

static const struct attribute_group tess_stats_group = {
	.attrs = tess_stats_attrs,
	.bin_attrs = tess_stats_bin_attrs,
};

static const struct attribute_group *tess_stats_groups[] = {
	&tess_stats_group,
	NULL,
};

static void tess_stats_release(struct kobject *kobj)
{
	struct tess_stats *s = to_stats(kobj);
	u32 i;

	for (i = 0; i < TESS_MAX_OSTS; i++)
		kfree(s->ost[i]);
	kvfree(s);
}

static const struct kobj_type tess_stats_ktype = {
	.release	= tess_stats_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= tess_stats_groups,
};

int tess_stats_alloc(struct tess_sb_info *sbi)
{
	struct tess_stats *s;

	s = kvzalloc(struct_size(s, ost, TESS_MAX_OSTS), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	kobject_init(&s->kobj, &tess_stats_ktype);
	s->sbi = sbi;
	sbi->stats = s;
	return 0;
}

void tess_stats_publish(struct tess_sb_info *sbi)
{
	struct tess_stats *s = sbi->stats;
	int err;

	if (!s || !tess_kset)
		return;
	s->kobj.kset = tess_kset;
	err = kobject_add(&s->kobj, NULL, "%s-%u:%u", sbi->fsname,
			  MAJOR(sbi->sb->s_dev), MINOR(sbi->sb->s_dev));
	if (err) {
		pr_warn("%s: no /sys/fs/tessera directory: %pe\n",
			sbi->source, ERR_PTR(err));
		return;
	}
	s->added = true;
}

void tess_stats_unpublish(struct tess_sb_info *sbi)
{
	struct tess_stats *s = sbi->stats;

	if (s && s->added) {
		/* waits for the readers and writers inside show/store */
		kobject_del(&s->kobj);
		s->added = false;
	}
}

void tess_stats_put(struct tess_sb_info *sbi)
{
	struct tess_stats *s = sbi->stats;

	if (!s)
		return;
	tess_stats_unpublish(sbi);
	sbi->stats = NULL;
	kobject_put(&s->kobj);
}

int tess_stats_module_init(void)
{
	tess_kset = kset_create_and_add("tessera", NULL, fs_kobj);
	return tess_kset ? 0 : -ENOMEM;
}

void tess_stats_module_exit(void)
{
	kset_unregister(tess_kset);
	tess_kset = NULL;
}
