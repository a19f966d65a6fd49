/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - per mount, per OST counters of the object data RPCs
 * (OBJ_READ, OBJ_WRITE) and the mount's directory /sys/fs/tessera/<name>/
 * (issue #11).  stats.c says what each file holds.
 */
#ifndef _TESSERA_STATS_H
#define _TESSERA_STATS_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/types.h>

#define TESS_LAT_BUCKETS	32	/* log2 microseconds */
#define TESS_SIZE_BUCKETS	16	/* log2 pages */

/* one direction (read or write) of one OST; atomics, no locks */
struct tess_dir_stats {
	atomic64_t rpcs;		/* sent */
	atomic64_t bytes;		/* moved by the ones that succeeded */
	atomic64_t errors;		/* completed with an error */
	atomic64_t lat[TESS_LAT_BUCKETS];	/* completed, by latency */
	atomic64_t size[TESS_SIZE_BUCKETS];	/* sent, by pages */
};

struct tess_ost_stats {
	struct tess_dir_stats dir[2];	/* [0] read, [1] write */
	atomic_t in_flight;
	atomic_t max_in_flight;
};

struct tess_sb_info;

/* A mount's stats and its sysfs directory; freed by the kobject release. */
struct tess_stats {
	struct kobject kobj;
	struct tess_sb_info *sbi;	/* valid while the directory exists */
	bool added;			/* in sysfs */
	/* addr.c: readahead windows and their pages, pages read_folio read */
	atomic64_t ra_windows, ra_pages, sync_read_pages;
	struct tess_ost_stats *ost[];	/* TESS_MAX_OSTS, allocated on use */
};

int tess_stats_module_init(void);
void tess_stats_module_exit(void);

/* at mount: the counters (the directory comes with tess_stats_publish) */
int tess_stats_alloc(struct tess_sb_info *sbi);
/* the mount works: /sys/fs/tessera/<fsname>-<major>:<minor>/ */
void tess_stats_publish(struct tess_sb_info *sbi);
/* umount, first: the directory goes; no reader runs once it returns */
void tess_stats_unpublish(struct tess_sb_info *sbi);
/* umount, last (after every RPC completed): drop the mount's reference */
void tess_stats_put(struct tess_sb_info *sbi);

/* addr.c: a readahead window of @pages, or @pages read by read_folio */
void tess_stats_readahead(struct tess_sb_info *sbi, unsigned int pages);
void tess_stats_sync_read(struct tess_sb_info *sbi, unsigned int pages);

/* osc.c: an OBJ_READ/OBJ_WRITE of @bytes is sent; the OST's counters */
struct tess_ost_stats *tess_stats_rpc_start(struct tess_sb_info *sbi,
					    u32 ost_idx, bool write,
					    u32 bytes, gfp_t gfp);
/* osc.c: it completed (@st from tess_stats_rpc_start, may be NULL) */
void tess_stats_rpc_end(struct tess_ost_stats *st, bool write, int err,
			u32 bytes, ktime_t start);

#endif /* _TESSERA_STATS_H */
