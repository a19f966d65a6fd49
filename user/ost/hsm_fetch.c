// SPDX-License-Identifier: MIT
/*
 * hsm_fetch.c - restoring from S3: the S3 configuration of an
 * origin, the runs of chunks claimed and fetched, data landing as it comes,
 * readahead and its threads.
 *
 * Part of the OST's HSM (hsm.h); the locking and the invariants are
 * described at the top of hsm.c, what the files share in hsm_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hsm_int.h"

/* ---- fetching ---- */

struct snap {				/* what a fetch needs, copied */
	uint64_t oid;
	struct sc_hdr h;
	struct sc_loc loc;
};

/*
 * The S3 configuration of a fetch of this origin: the OST's, with the
 * origin's endpoint, region and addressing when it has them.  An origin
 * endpoint is used only if it is the OST's own, an --s3-allow-endpoint,
 * or AWS's when the OST's is AWS's too: a client must not make the OST
 * send signed requests (its credentials) to any host.  -EACCES (msg says
 * why) otherwise.
 */
static int origin_conf(const struct ost_hsm *h, const struct sc_loc *l,
		       struct s3_conf *c, char *msg, size_t msglen)
{
	bool ok;

	*c = h->s3;
	if (!loc_set(l))
		return 0;
	if (s3_conf_at(&h->s3, l->endpoint, l->region,
		       l->flags & TESS_HSM_LOC_PATH_STYLE, c, msg, msglen))
		return -EACCES;
	ok = !l->endpoint[0] || !strcasecmp(c->endpoint, h->s3.endpoint) ||
	     (c->aws && h->s3.aws);
	for (unsigned i = 0; !ok && i < h->nallow; i++)
		ok = !strcasecmp(c->endpoint, h->allow[i]);
	if (!ok) {
		snprintf(msg, msglen, "the origin's endpoint %.120s is neither "
			 "this OST's (%.120s) nor an --s3-allow-endpoint",
			 c->endpoint, h->s3.endpoint);
		*c = h->s3;
		return -EACCES;
	}
	return 0;
}

int hsm_obj_fd(struct ost_hsm *h, uint64_t oid)
{
	char path[40];
	int fd;

	objstore_obj_path(oid, path);
	fd = openat(h->root, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	return fd >= 0 ? fd : -errno;
}

/*
 * Write restored bytes into the object.  A full store is the cache's
 * problem, not the reader's: least recently read data of other objects
 * is released (hsm_cache_make_room) and the write tried again, until the
 * restore's deadline; when everything else is pinned, written or in use,
 * a moment later.
 */
static int write_restored(struct ost_hsm *h, int fd, const void *buf,
			  uint64_t len, uint64_t off, int64_t deadline)
{
	int rc;

	while ((rc = objstore_pwrite_all(fd, buf, len, (off_t)off)) ==
	       -ENOSPC && now_ms() < deadline)
		if (!hsm_cache_make_room(h->cache, len))
			usleep(100000);
	return rc;
}

/*
 * Chunks [a, b) of o are stable in the object: present, waiters woken
 * (no lock held).  The bitmap's write is made durable, and its failure
 * reported, by fetch_runs when the run ends; until then a crash costs a
 * fetch again, never zeros.
 */
static void mark_present(struct ost_hsm *h, struct hobj *o, uint32_t a,
			 uint32_t b)
{
	pthread_mutex_lock(&h->lock);
	if (o->loaded && a < b) {
		for (uint32_t c = a; c < b; c++)
			set_bit(o, c);
		hsm_cache_touch(h->cache, o->oid);
		(void)hsm_bm_write(h, o, a, b);
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
}

/* one GET of a fetch: its data is written and marked present as it lands */
struct lander {
	struct ost_hsm *h;
	struct hobj *o;			/* held: the fetch's run is on it */
	int fd;
	int64_t deadline;
	uint32_t cs;			/* chunk size */
	const char *buf;		/* the GET's data, chunks from c */
	uint32_t c;
	uint32_t marked;		/* chunks from c written and present */
	uint64_t *bytes;
};

/*
 * buf[0, n) of the GET is in: write it and mark it present, the whole
 * chunks in it; with last, n is the GET's end (a short last chunk too).
 */
static int land(struct lander *l, uint64_t n, bool last)
{
	uint32_t k = (uint32_t)(n / l->cs);
	uint64_t off = (uint64_t)l->marked * l->cs, len;
	int rc;

	if (last && n % l->cs)
		k++;
	if (k <= l->marked)
		return 0;
	len = (last ? n : (uint64_t)k * l->cs) - off;
	rc = write_restored(l->h, l->fd, l->buf + off, len,
			    (uint64_t)l->c * l->cs + off, l->deadline);
	if (!rc && fdatasync(l->fd))
		rc = -errno;
	if (rc)
		return rc;
	*l->bytes += len;
	mark_present(l->h, l->o, l->c + l->marked, l->c + k);
	l->marked = k;
	return 0;
}

static int land_chunks(void *arg, uint64_t n)
{
	return land(arg, n, false);
}

/*
 * Fetch chunks [a, b) of o (held by the run that claims them; no lock
 * held) into the object, one GET per stripe unit (GET_MAX at most),
 * marking chunks present as they land; *bytes gets what came from S3.
 */
static int fetch_run(struct ost_hsm *h, struct hobj *o, const struct snap *s,
		     uint32_t a, uint32_t b, bool ra, int timeout_s,
		     uint64_t *bytes)
{
	const struct sc_hdr *hd = &s->h;
	struct tess_stripe_geom g = { hd->stripe_size, hd->stripe_count };
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000 + 2000;
	struct lander l = { .h = h, .o = o, .deadline = deadline,
			    .cs = hd->chunk_size, .bytes = bytes };
	size_t every = LAND_MIN / hd->chunk_size * hd->chunk_size;
	struct s3_conf oconf;
	char eb[128], why[sizeof(((struct s3_res *)0)->msg)];
	uint32_t c = a;
	int fd, rc = 0;

	*bytes = 0;
	if (!h->have_s3) {
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot restore s3://%s/%s: S3 is "
		     "not configured (%s); readers get EIO", s->oid,
		     hd->bucket, hd->key, h->s3_error);
		return -EIO;
	}
	/* the origin's endpoint, region and addressing: one for every GET */
	if (origin_conf(h, &s->loc, &oconf, why, sizeof(why))) {
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot restore "
			   "s3://%s/%s: %s; readers get EIO", s->oid,
			   hd->bucket, hd->key, why);
		return -EIO;
	}
	fd = hsm_obj_fd(h, s->oid);
	if (fd < 0) {
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot open the object: %s",
		     s->oid, estr(fd, eb, sizeof(eb)));
		return -EIO;
	}
	l.fd = fd;
	while (c < b && !rc) {
		uint64_t os = (uint64_t)c * hd->chunk_size, oe, fo, len;
		uint64_t unit = os / hd->stripe_size;
		uint32_t e = c + 1;
		struct s3_conf conf;
		struct s3_res res;
		int64_t t0 = now_ms(), left = deadline - t0;
		void *buf;

		while (e < b && ((uint64_t)e * hd->chunk_size) /
				hd->stripe_size == unit &&
		       (uint64_t)(e + 1 - c) * hd->chunk_size <= GET_MAX)
			e++;
		oe = (uint64_t)e * hd->chunk_size;
		if (oe > hd->obj_size)
			oe = hd->obj_size;
		len = oe - os;
		fo = tess_stripe_file_off(&g, hd->stripe, os);
		if (left < 1000) {
			rc = -ETIMEDOUT;
			tlog("hsm: oid %#" PRIx64 ": restore of s3://%s/%s "
			     "bytes %" PRIu64 "-%" PRIu64 " not tried: out of "
			     "time; readers get EIO", s->oid, hd->bucket,
			     hd->key, fo, fo + len - 1);
			break;
		}
		conf = oconf;
		conf.timeout_s = timeout_s;
		if (conf.timeout_s > (int)(left / 1000))
			conf.timeout_s = (int)(left / 1000);
		buf = malloc(len);
		if (!buf) {
			rc = -ENOMEM;
			break;
		}
		l.buf = buf;
		l.c = c;
		l.marked = 0;
		rc = s3_get_land(&conf, hd->bucket, hd->key, fo, len, hd->etag,
				 buf, every, land_chunks, &l, &res);
		if (rc) {
			tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": restore of s3://%s/%s "
			     "bytes %" PRIu64 "-%" PRIu64 " failed: %s%s%s; "
			     "%s", s->oid, hd->bucket, hd->key, fo,
			     fo + len - 1, rc == -ESTALE ?
			     "ETag changed since import (" : "", res.msg,
			     rc == -ESTALE ? ")" : "",
			     ra ? "readahead dropped" : "readers get EIO");
		} else {
			/* the tail that landed untold; a short last chunk */
			rc = land(&l, len, true);
			if (rc)
				tlog("hsm: oid %#" PRIx64 ": writing restored "
				     "bytes: %s", s->oid,
				     estr(rc, eb, sizeof(eb)));
			tlog("hsm: oid %#" PRIx64 " chunks %u-%u: fetched "
			     "s3://%s/%s bytes %" PRIu64 "-%" PRIu64 " (%"
			     PRIu64 " bytes, %" PRId64 " ms%s%s)", s->oid, c,
			     e - 1, hd->bucket, hd->key, fo, fo + len - 1, len,
			     now_ms() - t0, ra ? ", readahead" : "",
			     res.attempts > 1 ? ", retried" : "");
		}
		free(buf);
		c = e;
	}
	close(fd);
	return rc;
}

static struct run *run_new(struct hobj *o, uint32_t a, uint32_t b, bool wr)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->a = a;
	r->b = b;
	r->write = wr;
	r->refs = 1;
	r->next = o->runs;
	o->runs = r;
	return r;
}

/* a run is finished: off the list, waiters woken, freed when unused */
void hsm_run_done(struct ost_hsm *h, struct hobj *o, struct run *r, int rc)
{
	struct run **pp = &o->runs;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	r->done = true;
	r->rc = rc;
	pthread_cond_broadcast(&h->cond);
	if (--r->refs == 0)
		free(r);
}

static struct run *run_over(struct hobj *o, uint32_t a, uint32_t b)
{
	for (struct run *r = o->runs; r; r = r->next)
		if (r->a < b && a < r->b)
			return r;
	return NULL;
}

/*
 * Fetch the claimed runs fetch[0..n) (lock held, dropped meanwhile,
 * returned held): into the object, then the bitmap, both made durable
 * before the runs are done.  Their chunks are present, and their waiters
 * served, as they land (fetch_run); what landed of a run that failed
 * stays present.
 */
static int fetch_runs(struct ost_hsm *h, struct hobj *o, struct run **fetch,
		      int nfetch, bool ra)
{
	bool failing = h->s3_failed_ms &&
		       now_ms() - h->s3_failed_ms < S3_FAILING_MS;
	/* while S3 is failing, a read tries for QUICK_TIMEOUT_S only */
	bool quick = failing && h->s3.timeout_s > QUICK_TIMEOUT_S;
	int timeout_s = quick ? QUICK_TIMEOUT_S : h->s3.timeout_s;
	int frc[FETCH_BATCH];
	uint64_t got[FETCH_BATCH];
	struct snap s;
	char eb[128];
	int rc = 0;

	/*
	 * Destroyed meanwhile; or readahead while S3 is failing.  Readahead
	 * that is dropped or fails ends its runs with -EAGAIN: a reader that
	 * waited for one of them fetches the chunks itself (S3 may be back).
	 */
	if (!o->loaded || (ra && failing)) {
		for (int i = 0; i < nfetch; i++)
			hsm_run_done(h, o, fetch[i], ra ? -EAGAIN : -EIO);
		return -EIO;
	}
	s.oid = o->oid;
	s.h = o->h;
	s.loc = o->loc;
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < nfetch; i++) {
		got[i] = 0;
		frc[i] = rc ? rc : fetch_run(h, o, &s, fetch[i]->a,
					     fetch[i]->b, ra, timeout_s,
					     &got[i]);
		if (frc[i] && !rc)
			rc = frc[i];
	}
	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < nfetch; i++) {
		h->bytes_fetched += got[i];
		if (frc[i]) {
			h->fetch_errors++;
			/*
			 * S3 unreachable or failing, not this object's fault.
			 * A quick try that ran out of time says only that S3
			 * answers slower than QUICK_TIMEOUT_S: counted as a
			 * new failure, it would keep S3 "failing" for as long
			 * as reads come, and an S3 that is back but that slow
			 * would never serve a read again.
			 */
			if (frc[i] == -EIO ||
			    (frc[i] == -ETIMEDOUT && !quick))
				h->s3_failed_ms = now_ms();
			continue;
		}
		h->fetches++;
		h->s3_failed_ms = 0;
		hsm_cache_touch(h->cache, o->oid);
		for (uint32_t c = fetch[i]->a; c < fetch[i]->b; c++)
			set_bit(o, c);
		if (hsm_bm_write(h, o, fetch[i]->a, fetch[i]->b) && !rc)
			rc = -EIO;
	}
	pthread_mutex_unlock(&h->lock);
	if (fdatasync(o->scfd) && !rc) {
		rc = -errno;
		tlog("hsm: oid %#" PRIx64 ": bitmap: %s", o->oid,
		     estr(rc, eb, sizeof(eb)));
	}
	hsm_cache_kick(h->cache);
	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < nfetch; i++)
		hsm_run_done(h, o, fetch[i], !rc ? 0 : ra ? -EAGAIN : -EIO);
	hsm_check_complete(h, o);
	return rc ? -EIO : 0;
}

static bool absent_free(struct hobj *o, uint32_t c)
{
	return !bit(o, c) && !run_over(o, c, c + 1);
}

/*
 * A read of chunks [c0, c1) of o (lock held): adapt the readahead window
 * and claim what of [c1, c1 + window) is neither present nor claimed, in
 * jobs of one stripe unit (at most RA_JOB_MAX bytes: one GET) for the
 * fetcher threads.  The window starts at RA_WIN0 or the size of the read,
 * whichever is larger, and doubles, up to h->readahead, while reads follow
 * one another; a read elsewhere starts it again.  A lone 4 KiB read thus
 * costs its chunk plus RA_WIN0, a streaming reader finds its data fetched
 * by several GETs in parallel before it asks.
 */
static void queue_readahead(struct ost_hsm *h, struct hobj *o, uint32_t c0,
			    uint32_t c1)
{
	uint32_t cs = o->h.chunk_size, win0, max, job, a, end;

	if (!h->readahead || !h->ra_threads || !o->loaded || !cs)
		return;
	max = (uint32_t)((h->readahead + cs - 1) / cs);
	win0 = (RA_WIN0 + cs - 1) / cs;
	/* a job is one GET: a stripe unit (a contiguous file range) */
	job = (o->h.stripe_size < RA_JOB_MAX ? o->h.stripe_size :
	       RA_JOB_MAX) / cs;
	if (!job)
		job = 1;
	if (win0 > max)
		win0 = max;
	/* at least the size of the read: clients read ahead too */
	if (win0 < c1 - c0)
		win0 = c1 - c0;
	if (o->ra_win && c0 <= o->ra_next && c1 >= o->ra_next)
		win0 = o->ra_win * 2 > win0 ? o->ra_win * 2 : win0;
	o->ra_win = win0 < max ? win0 : max;
	o->ra_next = c1;
	end = c1 + o->ra_win;
	if (end > o->h.nchunks || end < c1)
		end = o->h.nchunks;
	for (a = c1; a < end && h->ra_count < RA_QMAX;) {
		struct run *r;
		uint32_t b;

		if (!absent_free(o, a)) {
			a++;
			continue;
		}
		/* jobs end on multiples of job: whole stripe units, mostly */
		for (b = a + 1; b < end && b % job && absent_free(o, b); b++)
			;
		r = run_new(o, a, b, false);
		if (!r)
			return;
		o->refs++;
		h->raq[(h->ra_head + h->ra_count) % RA_QMAX] =
			(struct ra_job){ o, r };
		h->ra_count++;
		pthread_cond_signal(&h->ra_cond);
		a = b;
	}
}

/* add run r (claimed by the write cl) to cl */
static int claim_add(struct ost_hsm_claim *cl, struct run *r)
{
	if (cl->nruns == cl->cap) {
		int cap = cl->cap ? cl->cap * 2 : 4;
		struct run **v = realloc(cl->runs, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cl->runs = v;
		cl->cap = cap;
	}
	cl->runs[cl->nruns++] = r;
	return 0;
}

/*
 * Make chunks [c0, c1) of o present (lock held, returned held).  full_lo,
 * full_hi: chunks in that range are overwritten by the caller (writes):
 * claimed, not fetched, handed back in cl.  read: a read, which moves the
 * readahead window.  The caller is in flight (o->inflight): no STUB or
 * RELEASE changes o meanwhile.  Absent runs are fetched FETCH_BATCH at a
 * time, until none is left: every chunk of the range is present (or
 * claimed) on success, never some of them.
 */
int hsm_restore(struct ost_hsm *h, struct hobj *o, uint32_t c0,
		uint32_t c1, uint32_t full_lo, uint32_t full_hi, bool read,
		struct ost_hsm_claim *cl)
{
	struct run *fetch[FETCH_BATCH];
	uint32_t r0 = c0, r1;
	struct timespec dl;
	int rc = 0;

	deadline_ts(&dl, h->wait_ms);
	if (c1 > o->h.nchunks)
		c1 = o->h.nchunks;
	r1 = c1;
	/* [c0, c1) is what is left: chunks before c0 are present or ours */
	while (c0 < c1) {
		int nfetch = 0;
		uint32_t next = c1, c;
		struct run *r = NULL;

		if (!o->loaded)
			return 0;	/* destroyed meanwhile */
		/* someone else has an absent chunk of ours in flight? */
		for (c = c0; c < c1; c++) {
			if (bit(o, c))
				continue;
			r = run_over(o, c, c + 1);
			if (r)
				break;
		}
		if (r) {
			if (read) {
				/* the window moves now, not after that wait */
				queue_readahead(h, o, r0, r1);
				read = false;
			}
			/* until it is done, or our chunk c landed */
			r->refs++;
			while (!r->done && !bit(o, c))
				if (!hsm_wait_until(h, &dl))
					break;
			rc = bit(o, c) ? 0 : r->done ? r->rc : -EIO;
			if (!r->done && !bit(o, c))
				tlog("hsm: oid %#" PRIx64 ": gave up waiting for "
				     "the restore of chunks %u-%u by another "
				     "request; EIO", o->oid, r->a, r->b - 1);
			if (--r->refs == 0)
				free(r);
			/* -EAGAIN: readahead or a write gave up: try ourselves */
			if (rc && rc != -EAGAIN)
				return -EIO;
			rc = 0;
			continue;
		}
		/* claim every absent chunk: runs to fetch, runs to overwrite */
		for (c = c0; c < c1;) {
			uint32_t e;
			bool wr;

			if (bit(o, c)) {
				c++;
				continue;
			}
			wr = c >= full_lo && c < full_hi;
			if (!wr && nfetch == FETCH_BATCH) {
				next = c;	/* the next batch */
				break;
			}
			for (e = c + 1; e < c1 && !bit(o, e) &&
			     (e >= full_lo && e < full_hi) == wr; e++)
				;
			r = run_new(o, c, e, wr);
			if (!r) {
				rc = -ENOMEM;
			} else if (!wr) {
				fetch[nfetch++] = r;
			} else if (claim_add(cl, r)) {
				hsm_run_done(h, o, r, -EAGAIN);
				rc = -ENOMEM;
			}
			if (rc)
				break;
			c = e;
		}
		if (rc) {
			for (int i = 0; i < nfetch; i++)
				hsm_run_done(h, o, fetch[i], -EAGAIN);
			return rc;
		}
		/*
		 * A read continuing a stream moves the window before its own
		 * fetch, so that both go to S3 at once; any other read fetches
		 * first and then starts readahead: its first byte does not
		 * share S3 with it.
		 */
		if (read && (!nfetch || (o->ra_win && r0 <= o->ra_next &&
					 r1 >= o->ra_next))) {
			queue_readahead(h, o, r0, r1);
			read = false;
		}
		if (nfetch && fetch_runs(h, o, fetch, nfetch, false))
			return -EIO;
		c0 = next;
	}
	if (read)
		queue_readahead(h, o, r0, r1);
	return 0;
}

void *hsm_ra_main(void *arg)
{
	struct ost_hsm *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		struct ra_job j;

		while (!h->ra_count)
			pthread_cond_wait(&h->ra_cond, &h->lock);
		j = h->raq[h->ra_head];
		h->ra_head = (h->ra_head + 1) % RA_QMAX;
		h->ra_count--;
		fetch_runs(h, j.o, &j.r, 1, true);
		hsm_hobj_put(h, j.o);
	}
	return NULL;
}
