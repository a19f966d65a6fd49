// SPDX-License-Identifier: MIT
/*
 * hsm_int.h - what the files of the OST's HSM share, private to them (the
 * rest of the OST uses hsm.h): the sidecar's layout, the structures of
 * cached objects, runs and claims, small helpers, and the functions one
 * file calls in another.  The locking and the invariants are described
 * at the top of hsm.c.
 *
 *   hsm.c          the access path (ost_hsm_begin/end), setup, counters
 *   hsm_sidecar.c  the object table; sidecars loaded, checked, written
 *   hsm_fetch.c    restoring from S3: runs, fetches, readahead threads
 *   hsm_notify.c   news to the MDS and the thread that sends it
 *   hsm_state.c    OBJ_HSM_SET, eviction (ost_hsm_evict), OBJ_HSM_GET
 */
#ifndef OST_HSM_INT_H
#define OST_HSM_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "hsm.h"
#include "hsm_cache.h"
#include "tess_stripe.h"

#define SC_MAGIC	"TSHSM01"
/* version 2 (issue #13): the origin's location (sc_loc) after the bitmap */
#define SC_MAGIC2	"TSHSM02"
#define SC_F_DIRTY	0x0001
#define SC_F_PINNED	0x0002	/* TESS_OHSM_PIN: never released */
#define CHUNK_MAX	(256u << 10)	/* a first read waits for one chunk */
#define HT_SIZE		4096
#define CACHE_MAX	8192	/* at most; also a quarter of the fd limit */
#define GET_MAX		(8u << 20)	/* bytes per ranged GET at most */
#define LAND_MIN	(512u << 10)	/* a GET's data is marked as it lands */
#define RA_QMAX		1024
#define RA_JOB_MAX	GET_MAX		/* bytes per readahead job at most */
#define RA_WIN0		(1u << 20)	/* first readahead window, bytes */
#define FETCH_BATCH	64	/* runs fetched at once by one request */
/*
 * S3 counts as failing this long after a fetch failed for want of it
 * (unreachable, 5xx, time-out): readahead is not tried, and reads try
 * once, for at most QUICK_TIMEOUT_S, instead of for the whole time-out;
 * a success ends it.  A reader then gets EIO about one time-out after S3
 * went away, not one per request the kernel retries with.  A quick try
 * that runs out of time does not renew it: S3 back but slower than
 * QUICK_TIMEOUT_S gets full tries again S3_FAILING_MS after the last
 * real failure (tests/integ/hsm_slow.sh).
 */
#define S3_FAILING_MS	10000
#define QUICK_TIMEOUT_S	3
#define NOTE_QMAX	65536
#define MDS_TIMEOUT_MS	5000

/* the sidecar: this header, then the chunk bitmap */
struct sc_hdr {
	char magic[8];
	uint64_t ino;
	uint64_t file_size;
	uint64_t obj_size;
	uint64_t dirty_gen;
	uint32_t stripe;
	uint32_t stripe_size;
	uint32_t stripe_count;
	uint32_t chunk_size;
	uint32_t nchunks;
	uint32_t flags;			/* SC_F_* */
	char bucket[TESS_S3_BUCKET_MAX + 1];
	char key[TESS_S3_KEY_MAX + 1];
	char etag[TESS_S3_ETAG_MAX + 1];
};

/*
 * The origin's S3 endpoint, region and addressing (OBJ_HSM_SET with
 * TESS_FEAT_HSM_LOC), after the bitmap of a TSHSM02 sidecar; a TSHSM01
 * sidecar (written before, or for an origin without them) has none: the
 * OST's own configuration is used.  Empty strings: the OST's own.
 */
struct sc_loc {
	char endpoint[TESS_S3_ENDPOINT_MAX + 1];
	char region[TESS_S3_REGION_MAX + 1];
	uint32_t flags;			/* TESS_HSM_LOC_* */
	uint32_t pad;
};

static inline bool loc_set(const struct sc_loc *l)
{
	return l->endpoint[0] || l->region[0] || l->flags;
}

struct run {				/* claimed chunks [a, b) */
	struct run *next;
	uint32_t a, b;
	bool write;			/* claimed by a writer: no fetch */
	bool done;
	int rc;
	int refs;			/* owner + waiters */
};

struct hobj {
	struct hobj *next;		/* hash chain */
	uint64_t oid;
	int refs;
	bool in_table;
	bool loaded;			/* h, bm valid (a sidecar exists) */
	struct sc_loc loc;		/* with h: the origin's location */
	bool busy;			/* STUB/RELEASE/ARCHIVED running */
	bool bad;			/* the sidecar is corrupt: EIO */
	bool complete_sent;
	int inflight;			/* reads and writes begun, not ended */
	uint32_t ra_next;		/* chunk after the last read */
	uint32_t ra_win;		/* readahead window, chunks */
	int scfd;
	struct sc_hdr h;
	uint8_t *bm;
	uint32_t npresent;
	struct run *runs;
};

struct ost_hsm_claim {		/* a read or write in flight */
	struct hobj *o;			/* holds a reference */
	struct run **runs;		/* chunks the write fills */
	int nruns, cap;
	int kind;
	uint64_t off;			/* where the access starts */
};

struct note {
	uint64_t ino;
	uint32_t valid;			/* TESS_HSMS_STRIPE or _STATE */
	uint32_t set;
	uint32_t stripe;
	char etag[TESS_S3_ETAG_MAX + 1];
};

struct ra_job {				/* a claimed run to fetch */
	struct hobj *o;			/* holds a reference */
	struct run *r;
};

struct ost_hsm {
	struct objstore *store;
	int root;
	struct s3_conf s3;
	bool have_s3;
	/* origin endpoints allowed besides s3.endpoint (--s3-allow-endpoint) */
	char allow[OST_HSM_ALLOW_MAX][TESS_S3_ENDPOINT_MAX + 1];
	unsigned nallow;
	char s3_error[256];
	uint64_t readahead;		/* largest window, bytes */
	uint32_t ra_threads;
	int wait_ms;			/* longest wait for someone else */

	pthread_mutex_t lock;
	pthread_cond_t cond;		/* runs done, busy cleared */
	struct hobj *ht[HT_SIZE];
	uint32_t cached;
	uint32_t cache_max;		/* each cached object holds an fd */
	uint64_t bytes_fetched, fetches, fetch_errors;
	uint64_t evictions, bytes_evicted;	/* ost_hsm_evict */
	struct hsm_cache *cache;	/* bounded cache: releases LRU data */
	int64_t s3_failed_ms;		/* last failed fetch; 0 after success */

	pthread_cond_t ra_cond;
	struct ra_job raq[RA_QMAX];
	uint32_t ra_head, ra_count;

	pthread_cond_t note_cond;
	struct note *nq;
	uint32_t n_head, n_count;
	bool have_mds;
	struct tnet_addr mds;
	struct tnet_key key;
	uint32_t index;
	const char *fault_path;		/* $TESS_HSM_FAULTS: see hsm_fault() */
};

/* ---- small helpers ---- */

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void deadline_ts(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static inline uint32_t chunk_size_for(uint32_t stripe_size)
{
	uint32_t units = stripe_size / TESS_STRIPE_SIZE_MIN;

	for (uint32_t k = CHUNK_MAX / TESS_STRIPE_SIZE_MIN; k > 1; k--)
		if (units % k == 0)
			return k * TESS_STRIPE_SIZE_MIN;
	return TESS_STRIPE_SIZE_MIN;
}

static inline bool bit(const struct hobj *o, uint32_t c)
{
	return o->bm[c / 8] & (1u << (c % 8));
}

static inline void set_bit(struct hobj *o, uint32_t c)
{
	if (!bit(o, c)) {
		o->bm[c / 8] |= (uint8_t)(1u << (c % 8));
		o->npresent++;
	}
}

static inline uint64_t chunk_len(const struct sc_hdr *h, uint32_t c)
{
	uint64_t s = (uint64_t)c * h->chunk_size;
	uint64_t e = s + h->chunk_size;

	if (e > h->obj_size)
		e = h->obj_size;
	return e > s ? e - s : 0;
}

static inline size_t bm_bytes(uint32_t nchunks)
{
	return (nchunks + 7) / 8;
}

static inline const char *estr(int e, char *buf, size_t len)
{
	return strerror_r(e < 0 ? -e : e, buf, len);
}

/* ---- across files ---- */

/* hsm.c */
long hsm_fault(const struct ost_hsm *h, const char *name);
int hsm_obj_sync(struct ost_hsm *h, uint64_t oid);

/* hsm_sidecar.c */
void hsm_sc_path(uint64_t oid, char buf[48], bool tmp);
void hsm_unhash(struct ost_hsm *h, struct hobj *o);
void hsm_hobj_put(struct ost_hsm *h, struct hobj *o);
struct hobj *hsm_hobj_get(struct ost_hsm *h, uint64_t oid, bool create,
			  int *err);
bool hsm_wait_until(struct ost_hsm *h, const struct timespec *dl);
int hsm_wait_not_busy(struct ost_hsm *h, struct hobj *o);
int hsm_bm_write(struct ost_hsm *h, struct hobj *o, uint32_t a, uint32_t b);
int hsm_hdr_write(struct ost_hsm *h, struct hobj *o);
int hsm_sc_create(struct ost_hsm *h, uint64_t oid, const struct sc_hdr *hd,
		  const uint8_t *bm, const struct sc_loc *loc, int *fdp);
void hsm_hobj_adopt(struct hobj *o, int fd, const struct sc_hdr *hd,
		    const struct sc_loc *loc, uint8_t *bm);

/* hsm_fetch.c */
int hsm_obj_fd(struct ost_hsm *h, uint64_t oid);
void hsm_run_done(struct ost_hsm *h, struct hobj *o, struct run *r, int rc);
int hsm_restore(struct ost_hsm *h, struct hobj *o, uint32_t c0,
		uint32_t c1, uint32_t full_lo, uint32_t full_hi, bool read,
		struct ost_hsm_claim *cl);
void *hsm_ra_main(void *arg);

/* hsm_notify.c (h->lock held, but for the thread) */
void hsm_notify(struct ost_hsm *h, const struct note *n);
void hsm_check_complete(struct ost_hsm *h, struct hobj *o);
void *hsm_notifier_main(void *arg);

#endif
