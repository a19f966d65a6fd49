// SPDX-License-Identifier: MIT
/*
 * hsm.c - restore on access of OST objects imported from S3 (hsm.h).
 * Here the access path (ost_hsm_begin/end), setup and the counters; the
 * rest in hsm_sidecar.c, hsm_fetch.c, hsm_notify.c and hsm_state.c, what
 * they share in hsm_int.h.  This comment holds for all of them.
 *
 * Locking: one mutex (h->lock) guards the object table, every cached
 * object's bitmap, claims and flags, the counters and the queues.  No
 * network wait and no fsync happens under it.  A chunk being fetched (or
 * claimed by a writer) is covered by a `run` in its object's list; whoever
 * needs such a chunk waits on h->cond for that run, with a time limit.
 * Every read and write is "in flight" from ost_hsm_begin to ost_hsm_end
 * (hobj.inflight).  STUB, RELEASE and ARCHIVED mark the object busy, so
 * that new accesses wait (bounded), then wait for the runs and the
 * accesses in flight to end (bounded: EBUSY) before they rewrite it: no
 * read or write runs over a punch or truncate.
 *
 * Never zeros for data not restored: a chunk's bit is set (in memory and
 * on disk) only once its data is stable in the object (fdatasync), and a
 * sidecar that says chunks are absent is durable before their data goes
 * (RELEASE, STUB).  A sidecar that does not make sense gives EIO.
 *
 * Chunks are marked present as a GET's data lands (every LAND_MIN bytes
 * or so, each GET's last ones when it ends), not when the run ends: a
 * reader waiting for a chunk of someone else's run goes on once that
 * chunk is present.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>

#include "hsm_int.h"

/* ---- fault injection ---- */

/*
 * Fault injection for tests (tests/integ/hsm_zeros.sh), off unless
 * $TESS_HSM_FAULTS names a file when the OST starts.  The file is read at
 * each fault point; it holds words separated by white space:
 *   sidecar-write   writes of sidecars (whole or bitmap/header) fail: EIO
 *   data-sync       the sync of written data, before the chunks it
 *                   fills are marked present, fails: EIO
 *   io-pause=MS     reads and writes wait MS ms once ost_hsm_begin has
 *                   let them in (a request "in flight")
 * Returns the word's value (1 for a word without one), 0 when absent.
 */
long hsm_fault(const struct ost_hsm *h, const char *name)
{
	size_t nl = strlen(name);
	char buf[256], *p;
	ssize_t n;
	int fd;

	if (!h->fault_path)
		return 0;
	fd = open(h->fault_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, name)) != NULL; p += nl)
		if ((p == buf || isspace((unsigned char)p[-1])) &&
		    (!p[nl] || isspace((unsigned char)p[nl]) || p[nl] == '='))
			return p[nl] == '=' ? strtol(p + nl + 1, NULL, 10) : 1;
	return 0;
}

/* ---- the access path ---- */

/* fault injection: hold a request that is in flight (no lock held) */
static void io_pause(struct ost_hsm *h, uint64_t oid, uint64_t off,
		     uint64_t len, int kind)
{
	long ms = hsm_fault(h, "io-pause");

	if (ms <= 0)
		return;
	tlog("hsm: fault injection: oid %#" PRIx64 ": %s of %" PRIu64
	     " bytes at %" PRIu64 " held %ld ms", oid,
	     kind == OST_HSM_READ ? "read" : "write", len, off, ms);
	usleep((useconds_t)ms * 1000);
}

/* the end of an access in flight (lock held): cl freed, o put */
static void claim_free(struct ost_hsm *h, struct ost_hsm_claim *cl)
{
	struct hobj *o = cl->o;

	if (--o->inflight == 0)
		pthread_cond_broadcast(&h->cond);
	hsm_hobj_put(h, o);
	free(cl->runs);
	free(cl);
}

int ost_hsm_begin(struct ost_hsm *h, uint64_t oid, uint64_t off,
		  uint64_t len, int kind, struct ost_hsm_claim **claim)
{
	struct ost_hsm_claim *cl;
	struct hobj *o;
	uint64_t lo, hi, cs;
	uint32_t c0, c1, full_lo = 0, full_hi = 0;
	int rc;

	if (claim)
		*claim = NULL;
	pthread_mutex_lock(&h->lock);
	o = hsm_hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? -EIO : 0;	/* corrupt sidecar: logged */
	}
	rc = hsm_wait_not_busy(h, o);
	if (rc || !o->loaded) {
		hsm_hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		return rc ? -EIO : 0;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		hsm_hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		return -ENOMEM;
	}
	cl->o = o;			/* our reference */
	cl->kind = kind;
	cl->off = off;
	o->inflight++;			/* until ost_hsm_end */
	if (kind == OST_HSM_READ)
		hsm_cache_touch(h->cache, oid);	/* most recently read */
	cs = o->h.chunk_size;
	lo = off;
	hi = kind == OST_HSM_TRUNC ? UINT64_MAX : off + len;
	if (hi > o->h.obj_size)
		hi = o->h.obj_size;
	if (lo < hi) {
		c0 = (uint32_t)(lo / cs);
		c1 = (uint32_t)((hi + cs - 1) / cs);
		/* chunks wholly inside the overwritten range (claim needed) */
		if (kind != OST_HSM_READ && claim) {
			uint64_t wend = kind == OST_HSM_TRUNC ? UINT64_MAX :
					off + len;

			full_lo = (uint32_t)((lo + cs - 1) / cs);
			full_hi = c1;
			if (c1 && wend < o->h.obj_size &&
			    wend < (uint64_t)c1 * cs)
				full_hi = c1 - 1;
		}
		rc = hsm_restore(h, o, c0, c1, full_lo, full_hi,
				 kind == OST_HSM_READ, cl);
	}
	if (rc || !claim) {
		/* failed, or not tracked: ends now */
		for (int i = 0; i < cl->nruns; i++)
			hsm_run_done(h, o, cl->runs[i], -EAGAIN);
		claim_free(h, cl);
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	pthread_mutex_unlock(&h->lock);
	io_pause(h, oid, off, len, kind);
	*claim = cl;
	return 0;
}

/* make the object's data stable (no lock held): 0 or -errno */
int hsm_obj_sync(struct ost_hsm *h, uint64_t oid)
{
	char path[40];
	int fd, rc = 0;

	if (hsm_fault(h, "data-sync"))
		return -EIO;
	objstore_obj_path(oid, path);
	fd = openat(h->root, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fdatasync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int ost_hsm_end_uncut(struct ost_hsm *h, struct ost_hsm_claim *cl)
{
	bool same;

	if (!cl)
		return 0;
	pthread_mutex_lock(&h->lock);
	same = cl->kind == OST_HSM_TRUNC && !cl->nruns &&
	       cl->off >= cl->o->h.obj_size;
	if (same)
		claim_free(h, cl);
	pthread_mutex_unlock(&h->lock);
	return same ? 0 : ost_hsm_end(h, cl, 0);
}

int ost_hsm_end(struct ost_hsm *h, struct ost_hsm_claim *cl, int rc)
{
	struct hobj *o;
	bool first_dirty = false, sync = false, set = false;
	char eb[128];
	int erc = 0;

	if (!cl)
		return 0;
	o = cl->o;
	if (cl->kind == OST_HSM_READ) {
		pthread_mutex_lock(&h->lock);
		claim_free(h, cl);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	/*
	 * The chunks the write filled become present only once what it
	 * wrote there is stable: a bit made durable first would, after a
	 * crash, say "present" over a hole (ext4's data=ordered, for bits).
	 */
	if (!rc && cl->nruns) {
		erc = hsm_obj_sync(h, o->oid);
		if (erc)
			tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": syncing written data: %s; "
			     "its chunks stay absent, the write fails", o->oid,
			     estr(erc, eb, sizeof(eb)));
	}
	pthread_mutex_lock(&h->lock);
	if (o->loaded) {
		int wrc = 0;
		bool hrc;

		if (!rc && !erc) {
			for (int i = 0; i < cl->nruns; i++)
				for (uint32_t c = cl->runs[i]->a;
				     c < cl->runs[i]->b; c++)
					set_bit(o, c);
			for (int i = 0; i < cl->nruns && !wrc; i++)
				wrc = hsm_bm_write(h, o, cl->runs[i]->a,
						   cl->runs[i]->b);
			if (wrc) {
				/* memory says what the disk says: absent */
				for (int i = 0; i < cl->nruns; i++)
					for (uint32_t c = cl->runs[i]->a;
					     c < cl->runs[i]->b; c++)
						if (bit(o, c)) {
							o->bm[c / 8] &= (uint8_t)
								~(1u << (c % 8));
							o->npresent--;
						}
			} else {
				set = true;
			}
			sync = cl->nruns > 0;
		}
		/* written, or maybe partly: no longer the S3 copy */
		o->h.dirty_gen++;
		if (!(o->h.flags & SC_F_DIRTY)) {
			o->h.flags |= SC_F_DIRTY;
			first_dirty = sync = true;
		}
		hrc = hsm_hdr_write(h, o) != 0;
		if (wrc || hrc) {
			tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot record the write in "
			     "the sidecar (%s); the write fails", o->oid,
			     wrc ? "bitmap" : "header");
			erc = -EIO;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (sync && fdatasync(o->scfd)) {
		erc = -errno;
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": sidecar sync: %s; the write fails",
		     o->oid, estr(erc, eb, sizeof(eb)));
	}
	pthread_mutex_lock(&h->lock);
	/* waiters of chunks left absent fetch them themselves */
	for (int i = 0; i < cl->nruns; i++)
		hsm_run_done(h, o, cl->runs[i], set ? 0 : -EAGAIN);
	if (first_dirty) {
		struct note n = { .ino = o->h.ino, .valid = TESS_HSMS_STATE,
				  .set = TESS_HSM_DIRTY };

		tlog("hsm: oid %#" PRIx64 " (ino %" PRIu64 "): written, no "
		     "longer the S3 copy", o->oid, o->h.ino);
		hsm_notify(h, &n);
	}
	if (set)
		hsm_check_complete(h, o);
	claim_free(h, cl);
	pthread_mutex_unlock(&h->lock);
	return erc ? -EIO : 0;
}

void ost_hsm_forget(struct ost_hsm *h, uint64_t oid)
{
	char path[48];
	struct hobj *o;

	int err;

	pthread_mutex_lock(&h->lock);
	hsm_sc_path(oid, path, false);
	unlinkat(h->root, path, 0);
	hsm_cache_forget(h->cache, oid);
	o = hsm_hobj_get(h, oid, true, &err);
	if (o) {
		o->loaded = false;
		hsm_unhash(h, o);
		hsm_hobj_put(h, o);
	}
	pthread_mutex_unlock(&h->lock);
}

/* ---- counters ---- */

struct hsm_cache *ost_hsm_cache(struct ost_hsm *h)
{
	return h ? h->cache : NULL;
}

void ost_hsm_stats(struct ost_hsm *h, struct ost_hsm_stats *st)
{
	pthread_mutex_lock(&h->lock);
	st->bytes_fetched = h->bytes_fetched;
	st->fetches = h->fetches;
	st->fetch_errors = h->fetch_errors;
	st->evictions = h->evictions;
	st->bytes_evicted = h->bytes_evicted;
	st->cached = h->cached;
	pthread_mutex_unlock(&h->lock);
}

/* ---- setup ---- */

/*
 * Cached objects keep their sidecar open: raise the soft fd limit to the
 * hard one and let the cache use a quarter of it, leaving the rest to
 * connections and object I/O.
 */
static uint32_t cache_limit(void)
{
	struct rlimit rl;
	uint64_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 128;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur == RLIM_INFINITY ? CACHE_MAX : rl.rlim_cur / 4;
	return (uint32_t)(n < 64 ? 64 : n > CACHE_MAX ? CACHE_MAX : n);
}

int ost_hsm_create(struct ost_hsm **out, struct objstore *store,
		   const struct ost_hsm_opts *o)
{
	struct ost_hsm *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return -ENOMEM;
	h->store = store;
	h->root = objstore_rootfd(store);
	for (unsigned i = 0; i < o->nallow && i < OST_HSM_ALLOW_MAX; i++)
		snprintf(h->allow[h->nallow++], sizeof(h->allow[0]), "%s",
			 o->allow[i]);
	if (o->s3) {
		h->s3 = *o->s3;
		h->have_s3 = true;
	} else {
		snprintf(h->s3_error, sizeof(h->s3_error), "%s",
			 o->s3_error ? o->s3_error : "no --s3-endpoint");
		h->s3.timeout_s = 20;
	}
	h->wait_ms = h->s3.timeout_s * 1000 + 10000;
	h->cache_max = cache_limit();
	h->readahead = o->readahead;
	h->ra_threads = o->ra_threads;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&h->ra_cond, NULL);
	pthread_cond_init(&h->note_cond, NULL);
	if (o->mds && o->key) {
		h->nq = calloc(NOTE_QMAX, sizeof(*h->nq));
		if (!h->nq) {
			free(h);
			return -ENOMEM;
		}
		h->have_mds = true;
		h->mds = *o->mds;
		h->key = *o->key;
	}
	h->index = o->ost_index;
	if (hsm_cache_create(&h->cache, h->root, o->cache_high,
			     o->cache_low)) {
		free(h->nq);
		free(h);
		return -EINVAL;
	}
	h->fault_path = getenv("TESS_HSM_FAULTS");
	if (h->fault_path && !*h->fault_path)
		h->fault_path = NULL;
	if (h->fault_path)
		tlog("hsm: fault injection on: $TESS_HSM_FAULTS=%s (tests only)",
		     h->fault_path);
	*out = h;
	return 0;
}

/*
 * One request to the endpoint at start (an unsigned HEAD of ENDPOINT/,
 * s3_ping), in the background: a clear log line when S3 cannot be reached,
 * before any reader waits on it.  It is also the process's first request,
 * which runs libcurl's code (and that of the libraries it loads) for the
 * first time: under QEMU TCG with binaries on 9p, right after a
 * drop_caches, that first request took 0.5-0.7 s instead of 30-70 ms.
 */
static void *probe_main(void *arg)
{
	struct ost_hsm *h = arg;
	struct s3_conf conf = h->s3;
	int64_t t0 = now_ms();
	struct s3_res res;

	if (conf.timeout_s > 10)
		conf.timeout_s = 10;
	/* the endpoint only: no signed request, to no bucket anyone owns */
	if (!s3_ping(&conf, &res))
		tlog("hsm: S3 endpoint %s answers (HTTP %ld to a probe, %"
		     PRId64 " ms)", h->s3.endpoint, res.http, now_ms() - t0);
	else
		tlog_level(LOG_WARNING, "hsm: S3 endpoint %s does not answer: %s; restores "
		     "fail until it does", h->s3.endpoint, res.msg);
	return NULL;
}

int ost_hsm_start(struct ost_hsm *h)
{
	pthread_t t;

	if (h->have_s3 && !pthread_create(&t, NULL, probe_main, h))
		pthread_detach(t);
	if (h->have_mds && pthread_create(&t, NULL, hsm_notifier_main, h))
		return -EAGAIN;
	for (uint32_t i = 0; i < h->ra_threads; i++)
		if (pthread_create(&t, NULL, hsm_ra_main, h))
			return -EAGAIN;
	return hsm_cache_start(h->cache, h);
}
