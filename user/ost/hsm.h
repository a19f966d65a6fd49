/* SPDX-License-Identifier: MIT */
/*
 * hsm.h - restore on access of OST objects imported from S3.
 *
 * An object with HSM state has a sidecar "O/xx/<oid>.hsm" next to it: the
 * S3 origin (bucket, key, ETag), the file geometry (stripe index, size,
 * count, file size) and a bitmap of present chunks.  A chunk is a piece of
 * one stripe unit (256 KiB, or the largest multiple of 64 KiB below that
 * dividing the stripe size), so each chunk is one contiguous range of the
 * file, and a run of chunks within a stripe unit is one ranged GET.  The
 * object file itself stays sparse until chunks arrive.
 *
 * Reads of absent chunks fetch exactly those chunks, write them into the
 * object, make the bitmap durable, then serve.  Each read also moves a
 * readahead window that grows while reads follow one another (1 MiB or
 * the size of the read, up to --s3-readahead): its chunks are claimed at
 * once and fetched by a pool of threads, a stripe unit (at most 8 MiB)
 * per job, in parallel with the read.  One fetch per chunk at a time: later
 * readers of a chunk in flight wait for that fetch and share its result.
 * A write first fetches the absent chunks it covers only partly; chunks it
 * covers whole are claimed (no reader fetches them meanwhile) and become
 * present once the write's data is stable (the object is fdatasync'd
 * before the bitmap says so).  Every wait is bounded (the S3 time-out plus
 * a margin): a failed or timed-out fetch gives -EIO and a log line, and
 * the next access tries again.  A sidecar that does not hold together
 * gives -EIO, never the object as it is (holes would read as zeros).
 *
 * STUB (re-import) and RELEASE write the new sidecar, durably, before they
 * truncate or punch the object, and first wait for the reads and writes
 * in flight on it (or fail with EBUSY).  PIN sets a flag in the sidecar:
 * a pinned object is never released (RELEASE: EPERM; the bounded cache,
 * hsm_cache.h, passes over it), until UNPIN.
 *
 * The OST tells the MDS (HSM_SET, from a background thread with retries)
 * when an object became fully present and when a clean object was first
 * written (dirty).
 */
#ifndef OST_HSM_H
#define OST_HSM_H

#include <stdbool.h>
#include <stdint.h>

#include "objstore.h"
#include "s3.h"
#include "tnet.h"

struct ost_hsm;
struct ost_hsm_claim;

#define OST_HSM_ALLOW_MAX	16

struct ost_hsm_opts {
	const struct s3_conf *s3;	/* NULL: fetches fail (not configured) */
	/* endpoints an origin may name besides s3's (--s3-allow-endpoint),
	 * normalised by s3_conf_addr */
	const char *allow[OST_HSM_ALLOW_MAX];
	unsigned nallow;
	const char *s3_error;		/* why s3 is NULL, for the log line */
	uint64_t readahead;		/* largest window, bytes (0 = none) */
	uint32_t ra_threads;		/* readahead fetchers */
	/* MDS notifications (NULL mds: none) */
	const struct tnet_addr *mds;
	const struct tnet_key *key;
	uint32_t ost_index;
	/* the bounded cache (hsm_cache.h): percent of the store */
	unsigned cache_high;		/* 0: release only when full */
	unsigned cache_low;		/* < cache_high */
};

int ost_hsm_create(struct ost_hsm **out, struct objstore *store,
		   const struct ost_hsm_opts *o);
/* start the notifier and readahead threads */
int ost_hsm_start(struct ost_hsm *h);

#define OST_HSM_READ	0
#define OST_HSM_WRITE	1	/* OBJ_WRITE, PUNCH_HOLE: [off, off + len) */
#define OST_HSM_TRUNC	2	/* PUNCH_TRUNCATE to off: len is ignored */

/*
 * Before an access of [off, off + len) of oid: make the chunks it needs
 * present.  0, or -EIO after a failed fetch (logged) or with a corrupt
 * sidecar.  On 0, *claim is set (maybe NULL): the access is in flight
 * until ost_hsm_end(claim, outcome), which every caller must call once
 * the read or write is done: STUB, RELEASE and ARCHIVED wait for accesses
 * in flight.  claim NULL: a read not tracked (RELEASE may punch under
 * it), or a write that claims nothing (absent chunks are fetched).
 */
int ost_hsm_begin(struct ost_hsm *h, uint64_t oid, uint64_t off,
		  uint64_t len, int kind, struct ost_hsm_claim **claim);
/*
 * End an access.  For a write that succeeded (rc 0), the chunks it filled
 * become present once its data is stable (fdatasync of the object, then
 * the bitmap): -EIO when that fails (logged; the chunks stay absent), and
 * the write must then fail.  0 otherwise.
 */
int ost_hsm_end(struct ost_hsm *h, struct ost_hsm_claim *claim, int rc);
/*
 * End an OST_HSM_TRUNC access that cut nothing (objstore_trim: the
 * object already ended at or before off).  At or past the object's
 * logical size too, the object is as it was: not a write, so it is not
 * marked dirty and its write generation stays (the MDS's trim pass of a
 * file truncated and rewritten earlier may come after the file was
 * archived; an archive in flight stays valid).  Otherwise as
 * ost_hsm_end(claim, 0).
 */
int ost_hsm_end_uncut(struct ost_hsm *h, struct ost_hsm_claim *claim);

/* OBJ_DESTROY: forget the object's HSM state */
void ost_hsm_forget(struct ost_hsm *h, uint64_t oid);

/*
 * OBJ_HSM_SET / OBJ_HSM_GET: body checked by tess_msg_check.  loc: the
 * connection agreed TESS_FEAT_HSM_LOC, the reply carries the origin's
 * location.
 */
int ost_hsm_set(struct ost_hsm *h, const void *body, uint32_t len);
int ost_hsm_get(struct ost_hsm *h, const void *body, uint32_t len, bool loc,
		struct tess_buf *rep);

/*
 * Release the restored data of oid to make room (hsm_cache.c): its chunks
 * absent again, durably, then punched; the MDS is told the file is
 * released.  Never waits: 0 (*freed: bytes released), -ENODATA (no HSM
 * state, or nothing present), -EPERM (pinned or written since imported or
 * archived: never released), -EBUSY (reads, writes or restores in
 * flight), -EIO (the sidecar could not be written: nothing changed).
 */
int ost_hsm_evict(struct ost_hsm *h, uint64_t oid, uint64_t *freed);

/* counters for --metrics-listen (ost_metrics.c), read under the lock */
struct ost_hsm_stats {
	uint64_t bytes_fetched, fetches, fetch_errors;
	uint64_t evictions, bytes_evicted;	/* by the bounded cache */
	uint32_t cached;		/* objects held open (<= cache_max) */
};
void ost_hsm_stats(struct ost_hsm *h, struct ost_hsm_stats *st);

/* its bounded cache (hsm_cache.h), for a write that found the store full */
struct hsm_cache *ost_hsm_cache(struct ost_hsm *h);

#endif /* OST_HSM_H */
