// SPDX-License-Identifier: MIT
/*
 * hsm.c - restore on access of OST objects imported from S3 (hsm.h).
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
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

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

static bool loc_set(const struct sc_loc *l)
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
	const char *fault_path;		/* $TESS_HSM_FAULTS: see fault() */
};

/* ---- small helpers ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline_ts(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void sc_path(uint64_t oid, char buf[48], bool tmp)
{
	char p[40];

	objstore_obj_path(oid, p);
	snprintf(buf, 48, "%s.hsm%s", p, tmp ? ".tmp" : "");
}

static uint32_t chunk_size_for(uint32_t stripe_size)
{
	uint32_t units = stripe_size / TESS_STRIPE_SIZE_MIN;

	for (uint32_t k = CHUNK_MAX / TESS_STRIPE_SIZE_MIN; k > 1; k--)
		if (units % k == 0)
			return k * TESS_STRIPE_SIZE_MIN;
	return TESS_STRIPE_SIZE_MIN;
}

static bool bit(const struct hobj *o, uint32_t c)
{
	return o->bm[c / 8] & (1u << (c % 8));
}

static void set_bit(struct hobj *o, uint32_t c)
{
	if (!bit(o, c)) {
		o->bm[c / 8] |= (uint8_t)(1u << (c % 8));
		o->npresent++;
	}
}

static uint64_t chunk_len(const struct sc_hdr *h, uint32_t c)
{
	uint64_t s = (uint64_t)c * h->chunk_size;
	uint64_t e = s + h->chunk_size;

	if (e > h->obj_size)
		e = h->obj_size;
	return e > s ? e - s : 0;
}

static size_t bm_bytes(uint32_t nchunks)
{
	return (nchunks + 7) / 8;
}

static const char *estr(int e, char *buf, size_t len)
{
	return strerror_r(e < 0 ? -e : e, buf, len);
}

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
static long fault(const struct ost_hsm *h, const char *name)
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

/* ---- the object table (h->lock held) ---- */

static struct hobj **slot(struct ost_hsm *h, uint64_t oid)
{
	return &h->ht[(oid * 0x9e3779b97f4a7c15ULL) >> 52 & (HT_SIZE - 1)];
}

static void hobj_free(struct hobj *o)
{
	if (o->scfd >= 0)
		close(o->scfd);
	free(o->bm);
	free(o);
}

static void unhash(struct ost_hsm *h, struct hobj *o)
{
	struct hobj **pp = slot(h, o->oid);

	if (!o->in_table)
		return;
	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	o->in_table = false;
	h->cached--;
}

static void hobj_put(struct ost_hsm *h, struct hobj *o)
{
	if (--o->refs > 0 || o->runs || o->busy)
		return;
	if (o->in_table && (o->loaded || o->bad) &&
	    h->cached <= h->cache_max)
		return;			/* stays cached */
	unhash(h, o);
	hobj_free(o);
}

/* why the sidecar header hd of a sidecar of file_len bytes is wrong, or NULL */
static const char *sc_invalid(const struct sc_hdr *hd, uint64_t file_len)
{
	struct tess_stripe_geom g = { hd->stripe_size, hd->stripe_count };

	bool v2 = !memcmp(hd->magic, SC_MAGIC2, 8);

	if (memcmp(hd->magic, SC_MAGIC, 8) && !v2)
		return "bad magic or version";
	if (hd->stripe_size < TESS_STRIPE_SIZE_MIN ||
	    hd->stripe_size > TESS_STRIPE_SIZE_MAX ||
	    hd->stripe_size % TESS_STRIPE_SIZE_MIN ||
	    !hd->stripe_count || hd->stripe_count > TESS_MAX_STRIPES ||
	    hd->stripe >= hd->stripe_count)
		return "bad stripe geometry";
	if (hd->chunk_size != chunk_size_for(hd->stripe_size))
		return "chunk size does not match the stripe size";
	if (hd->obj_size != tess_stripe_obj_size(&g, hd->stripe,
						 hd->file_size))
		return "object size does not match the file size";
	if ((uint64_t)hd->nchunks != (hd->obj_size + hd->chunk_size - 1) /
				     hd->chunk_size)
		return "chunk count does not match the object size";
	if (hd->flags & ~(SC_F_DIRTY | SC_F_PINNED))
		return "unknown flags";
	if (!memchr(hd->bucket, 0, sizeof(hd->bucket)) ||
	    !memchr(hd->key, 0, sizeof(hd->key)) ||
	    !memchr(hd->etag, 0, sizeof(hd->etag)) || !hd->bucket[0] ||
	    !hd->key[0])
		return "bad origin";
	if (file_len != sizeof(*hd) + bm_bytes(hd->nchunks) +
			(v2 ? sizeof(struct sc_loc) : 0))
		return "length does not match the chunk count";
	return NULL;
}

static const char *sc_loc_invalid(const struct sc_loc *l)
{
	if (!memchr(l->endpoint, 0, sizeof(l->endpoint)) ||
	    !memchr(l->region, 0, sizeof(l->region)) ||
	    l->flags & ~TESS_HSM_LOC_KNOWN)
		return "bad origin location";
	return NULL;
}

/*
 * Read a sidecar into o: -ENOENT when there is none, -EUCLEAN when it is
 * corrupt (logged: the object's readers get EIO, not whatever the object
 * holds), another -errno when it cannot be read.
 */
static int sc_load(struct ost_hsm *h, struct hobj *o)
{
	char path[48], eb[128];
	const char *why = NULL;
	struct sc_hdr hd;
	struct sc_loc loc;
	struct stat sb;
	size_t nb = 0;
	uint8_t *bm = NULL;
	int fd, rc;

	sc_path(o->oid, path, false);
	fd = openat(h->root, path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &sb) ? -errno : 0;
	if (!rc && (uint64_t)sb.st_size < sizeof(hd))
		why = "shorter than its header";
	if (!rc && !why) {
		rc = objstore_pread_all(fd, &hd, sizeof(hd), 0);
		if (!rc)
			why = sc_invalid(&hd, (uint64_t)sb.st_size);
	}
	if (!rc && !why) {
		nb = bm_bytes(hd.nchunks);
		bm = calloc(1, nb ? nb : 1);
		rc = bm ? 0 : -ENOMEM;
		if (!rc && nb)
			rc = objstore_pread_all(fd, bm, nb, sizeof(hd));
		/* bits past the last chunk are never set */
		if (!rc && hd.nchunks % 8 &&
		    bm[nb - 1] >> (hd.nchunks % 8))
			why = "bits set past the last chunk";
	}
	memset(&loc, 0, sizeof(loc));
	if (!rc && !why && !memcmp(hd.magic, SC_MAGIC2, 8)) {
		rc = objstore_pread_all(fd, &loc, sizeof(loc),
					(off_t)(sizeof(hd) + nb));
		if (!rc)
			why = sc_loc_invalid(&loc);
	}
	if (rc || why) {
		if (why)
			tlog_level(LOG_ERR, "hsm: %s: corrupt sidecar (%s); the object's "
			     "readers get EIO until it is imported again",
			     path, why);
		else
			tlog_level(LOG_ERR, "hsm: %s: cannot read the sidecar: %s", path,
			     estr(rc, eb, sizeof(eb)));
		free(bm);
		close(fd);
		return why ? -EUCLEAN : rc;
	}
	if (o->scfd >= 0)
		close(o->scfd);
	free(o->bm);
	o->scfd = fd;
	o->h = hd;
	o->loc = loc;
	o->bm = bm;
	o->npresent = 0;
	for (uint32_t c = 0; c < hd.nchunks; c++)
		if (bit(o, c))
			o->npresent++;
	o->loaded = true;
	o->bad = false;
	return 0;
}

/*
 * The object oid with a reference.  NULL when it has no HSM state (and
 * create is false), *err then 0; or NULL with *err -EIO when its sidecar
 * is corrupt or cannot be read (logged).  With create, an entry without a
 * valid sidecar is made (for STUB and ARCHIVED, which write a new one).
 */
static struct hobj *hobj_get(struct ost_hsm *h, uint64_t oid, bool create,
			     int *err)
{
	struct hobj *o;
	int rc;

	*err = 0;
	for (o = *slot(h, oid); o; o = o->next)
		if (o->oid == oid)
			break;
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o) {
			*err = -ENOMEM;
			return NULL;
		}
		o->oid = oid;
		o->scfd = -1;
		rc = sc_load(h, o);
		o->bad = rc == -EUCLEAN;	/* kept: logged once */
		if (rc && !o->bad && !create) {
			hobj_free(o);
			*err = rc == -ENOENT ? 0 : -EIO;
			return NULL;
		}
		o->next = *slot(h, oid);
		*slot(h, oid) = o;
		o->in_table = true;
		h->cached++;
	}
	if (o->bad && !create) {
		*err = -EIO;
		return NULL;
	}
	if (!o->loaded && !create && !o->busy)
		return NULL;
	o->refs++;
	return o;
}

/* wait for h->cond until deadline; false on time-out */
static bool wait_until(struct ost_hsm *h, const struct timespec *dl)
{
	return pthread_cond_timedwait(&h->cond, &h->lock, dl) != ETIMEDOUT;
}

/* wait until no STUB/RELEASE/ARCHIVED runs on o (bounded: -EBUSY) */
static int wait_not_busy(struct ost_hsm *h, struct hobj *o)
{
	struct timespec dl;

	deadline_ts(&dl, h->wait_ms);
	while (o->busy)
		if (!wait_until(h, &dl))
			return -EBUSY;
	return 0;
}

/*
 * o is busy (ours): wait until no fetch, claim, read or write of it is in
 * flight (bounded: -EBUSY).  New accesses wait for busy meanwhile.
 */
static int drain(struct ost_hsm *h, struct hobj *o)
{
	struct timespec dl;

	deadline_ts(&dl, h->wait_ms);
	while (o->runs || o->inflight)
		if (!wait_until(h, &dl))
			return -EBUSY;
	return 0;
}

/* ---- MDS notifications ---- */

static void notify(struct ost_hsm *h, const struct note *n)
{
	if (!h->have_mds)
		return;
	if (h->n_count == NOTE_QMAX) {
		tlog("hsm: MDS notification queue full; dropping the news "
		     "about ino %" PRIu64, n->ino);
		return;
	}
	h->nq[(h->n_head + h->n_count) % NOTE_QMAX] = *n;
	h->n_count++;
	pthread_cond_signal(&h->note_cond);
}

/* an object just became fully present: tell the MDS (lock held) */
static void check_complete(struct ost_hsm *h, struct hobj *o)
{
	struct note n = { 0 };

	if (!o->loaded || o->complete_sent || o->npresent < o->h.nchunks)
		return;
	o->complete_sent = true;
	n.ino = o->h.ino;
	n.valid = TESS_HSMS_STRIPE;
	n.stripe = o->h.stripe;
	memcpy(n.etag, o->h.etag, sizeof(n.etag));
	tlog("hsm: oid %#" PRIx64 " (ino %" PRIu64 " stripe %u): every chunk "
	     "present", o->oid, o->h.ino, o->h.stripe);
	notify(h, &n);
}

static int send_note(struct tnet_conn *c, const struct note *n)
{
	uint8_t body[sizeof(struct tess_hsm_set_req) + TESS_S3_ETAG_MAX];
	struct tess_hsm_set_req r = { 0 };
	struct tnet_call call = { .op = TESS_OP_HSM_SET, .body = body };
	size_t el = n->valid & TESS_HSMS_STRIPE ? strlen(n->etag) : 0;

	r.ino = cpu_to_le64(n->ino);
	r.valid = cpu_to_le32(n->valid);
	r.state_set = cpu_to_le32(n->set);
	r.stripe = cpu_to_le32(n->stripe);
	r.etag_len = cpu_to_le16((uint16_t)el);
	memcpy(body, &r, sizeof(r));
	memcpy(body + sizeof(r), n->etag, el);
	call.body_len = (uint32_t)(sizeof(r) + el);
	return tnet_call(c, &call);
}

static void *notifier_main(void *arg)
{
	struct ost_hsm *h = arg;
	struct tnet_conn *c = NULL;
	uint8_t uuid[16];
	char eb[128];
	int backoff = 250;

	tnet_random(uuid, sizeof(uuid));
	for (;;) {
		struct note n;
		int rc, err;

		pthread_mutex_lock(&h->lock);
		while (!h->n_count)
			pthread_cond_wait(&h->note_cond, &h->lock);
		n = h->nq[h->n_head];
		pthread_mutex_unlock(&h->lock);

		if (!c)
			c = tnet_connect(&h->mds, &h->key, TESS_ROLE_OST, uuid,
					 MDS_TIMEOUT_MS, &err);
		rc = c ? send_note(c, &n) : err;
		if (c && tnet_conn_dead(c)) {
			tnet_close(c);
			c = NULL;
		}
		if (rc && (!c || rc == -ETIMEDOUT)) {
			/* the MDS is away: keep the note, try again */
			usleep((useconds_t)backoff * 1000);
			backoff = backoff < 4000 ? backoff * 2 : 4000;
			continue;
		}
		backoff = 250;
		if (rc)
			tlog_level(LOG_WARNING, "hsm: MDS refused the news about ino %" PRIu64
			     " (%s): %s", n.ino, n.valid & TESS_HSMS_STRIPE ?
			     "object present" : n.valid & TESS_HSMS_UNPRESENT ?
			     "released" : "dirty", estr(rc, eb, sizeof(eb)));
		pthread_mutex_lock(&h->lock);
		h->n_head = (h->n_head + 1) % NOTE_QMAX;
		h->n_count--;
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

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

static int obj_fd(struct ost_hsm *h, uint64_t oid)
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

/* persist bitmap bytes of chunks [a, b) (lock held: pwrite only) */
static int bm_write(struct ost_hsm *h, struct hobj *o, uint32_t a, uint32_t b)
{
	size_t lo = a / 8, hi = (b - 1) / 8;

	if (a >= b)
		return 0;
	if (fault(h, "sidecar-write"))
		return -EIO;
	return objstore_pwrite_all(o->scfd, o->bm + lo, hi - lo + 1,
			 (off_t)(sizeof(struct sc_hdr) + lo));
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
		(void)bm_write(h, o, a, b);
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
	fd = obj_fd(h, s->oid);
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
static void run_done(struct ost_hsm *h, struct hobj *o, struct run *r, int rc)
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
			run_done(h, o, fetch[i], ra ? -EAGAIN : -EIO);
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
		if (bm_write(h, o, fetch[i]->a, fetch[i]->b) && !rc)
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
		run_done(h, o, fetch[i], !rc ? 0 : ra ? -EAGAIN : -EIO);
	check_complete(h, o);
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
static int restore(struct ost_hsm *h, struct hobj *o, uint32_t c0,
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
				if (!wait_until(h, &dl))
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
				run_done(h, o, r, -EAGAIN);
				rc = -ENOMEM;
			}
			if (rc)
				break;
			c = e;
		}
		if (rc) {
			for (int i = 0; i < nfetch; i++)
				run_done(h, o, fetch[i], -EAGAIN);
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

static void *ra_main(void *arg)
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
		hobj_put(h, j.o);
	}
	return NULL;
}

/* ---- the access path ---- */

/* fault injection: hold a request that is in flight (no lock held) */
static void io_pause(struct ost_hsm *h, uint64_t oid, uint64_t off,
		     uint64_t len, int kind)
{
	long ms = fault(h, "io-pause");

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
	hobj_put(h, o);
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
	o = hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? -EIO : 0;	/* corrupt sidecar: logged */
	}
	rc = wait_not_busy(h, o);
	if (rc || !o->loaded) {
		hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		return rc ? -EIO : 0;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		hobj_put(h, o);
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
		rc = restore(h, o, c0, c1, full_lo, full_hi,
			     kind == OST_HSM_READ, cl);
	}
	if (rc || !claim) {
		/* failed, or not tracked: ends now */
		for (int i = 0; i < cl->nruns; i++)
			run_done(h, o, cl->runs[i], -EAGAIN);
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
static int obj_sync(struct ost_hsm *h, uint64_t oid)
{
	char path[40];
	int fd, rc = 0;

	if (fault(h, "data-sync"))
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

/* persist o's header (lock held: pwrite only) */
static int hdr_write(struct ost_hsm *h, struct hobj *o)
{
	if (fault(h, "sidecar-write"))
		return -EIO;
	return objstore_pwrite_all(o->scfd, &o->h, sizeof(o->h), 0);
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
		erc = obj_sync(h, o->oid);
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
				wrc = bm_write(h, o, cl->runs[i]->a,
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
		hrc = hdr_write(h, o) != 0;
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
		run_done(h, o, cl->runs[i], set ? 0 : -EAGAIN);
	if (first_dirty) {
		struct note n = { .ino = o->h.ino, .valid = TESS_HSMS_STATE,
				  .set = TESS_HSM_DIRTY };

		tlog("hsm: oid %#" PRIx64 " (ino %" PRIu64 "): written, no "
		     "longer the S3 copy", o->oid, o->h.ino);
		notify(h, &n);
	}
	if (set)
		check_complete(h, o);
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
	sc_path(oid, path, false);
	unlinkat(h->root, path, 0);
	hsm_cache_forget(h->cache, oid);
	o = hobj_get(h, oid, true, &err);
	if (o) {
		o->loaded = false;
		unhash(h, o);
		hobj_put(h, o);
	}
	pthread_mutex_unlock(&h->lock);
}

/* ---- OBJ_HSM_SET ---- */

/* write a whole sidecar atomically and open it */
static int sc_create(struct ost_hsm *h, uint64_t oid, const struct sc_hdr *hd,
		     const uint8_t *bm, const struct sc_loc *loc, int *fdp)
{
	char tmp[48], path[48], dir[40], *slash;
	int fd, dfd, rc;

	if (fault(h, "sidecar-write"))
		return -EIO;
	sc_path(oid, tmp, true);
	sc_path(oid, path, false);
	fd = openat(h->root, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* hd->magic is SC_MAGIC2 if and only if loc_set(loc) */
	rc = objstore_pwrite_all(fd, hd, sizeof(*hd), 0);
	if (!rc && bm_bytes(hd->nchunks))
		rc = objstore_pwrite_all(fd, bm, bm_bytes(hd->nchunks),
					 sizeof(*hd));
	if (!rc && loc_set(loc))
		rc = objstore_pwrite_all(fd, loc, sizeof(*loc),
					 (off_t)(sizeof(*hd) +
						 bm_bytes(hd->nchunks)));
	if (!rc && fsync(fd))
		rc = -errno;
	if (!rc && renameat(h->root, tmp, h->root, path))
		rc = -errno;
	if (rc) {
		close(fd);
		unlinkat(h->root, tmp, 0);
		return rc;
	}
	objstore_obj_path(oid, dir);
	slash = strrchr(dir, '/');
	*slash = '\0';
	/*
	 * The rename is durable only with its directory: until then a crash
	 * may bring the old sidecar back, so a caller must not drop data on
	 * the strength of the new one.
	 */
	dfd = openat(h->root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		rc = -errno;
	if (dfd >= 0)
		close(dfd);
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* PIN, UNPIN: the sidecar's flag, durable before the reply */
static int set_pin(struct ost_hsm *h, uint64_t oid, bool pin)
{
	struct hobj *o;
	uint32_t old;
	bool mine = false;
	char eb[128];
	int rc;

	pthread_mutex_lock(&h->lock);
	o = hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? rc : -ENODATA;
	}
	rc = wait_not_busy(h, o);
	if (!rc && !o->loaded)
		rc = -ENODATA;
	old = o->h.flags;
	if (!rc && pin != !!(old & SC_F_PINNED)) {
		o->h.flags = pin ? old | SC_F_PINNED : old & ~SC_F_PINNED;
		rc = hdr_write(h, o);
		if (rc)
			o->h.flags = old;
		else
			o->busy = mine = true;	/* scfd stays while synced */
	}
	pthread_mutex_unlock(&h->lock);
	if (mine && fdatasync(o->scfd))
		rc = -errno;
	pthread_mutex_lock(&h->lock);
	if (mine) {
		o->busy = false;
		pthread_cond_broadcast(&h->cond);
	}
	hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	if (rc && rc != -ENODATA)
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": cannot %s it: %s",
			   oid, pin ? "pin" : "unpin", estr(rc, eb, sizeof(eb)));
	else if (!rc)
		tlog("hsm: oid %#" PRIx64 ": %s", oid, pin ? "pinned (never "
		     "released)" : "unpinned");
	return rc;
}

int ost_hsm_set(struct ost_hsm *h, const void *body, uint32_t len)
{
	struct tess_obj_hsm_set_req r;
	const char *str = (const char *)body + sizeof(r);
	struct sc_hdr hd;
	struct sc_loc loc;
	struct tess_stripe_geom g;
	struct hobj *o;
	uint8_t *bm = NULL;
	uint64_t oid;
	uint32_t mode;
	int rc = 0, fd = -1, ofd;
	char eb[128];

	(void)len;
	memcpy(&r, body, sizeof(r));
	oid = le64_to_cpu(r.oid);
	mode = le32_to_cpu(r.mode);
	if (!oid)
		return -EINVAL;
	if (mode == TESS_OHSM_PIN || mode == TESS_OHSM_UNPIN)
		return set_pin(h, oid, mode == TESS_OHSM_PIN);
	memset(&hd, 0, sizeof(hd));
	memset(&loc, 0, sizeof(loc));
	if (mode == TESS_OHSM_STUB || mode == TESS_OHSM_ARCHIVED) {
		uint16_t bl = le16_to_cpu(r.bucket_len);
		uint16_t kl = le16_to_cpu(r.key_len);
		uint16_t el = le16_to_cpu(r.etag_len);

		memcpy(hd.magic, SC_MAGIC, 8);
		hd.ino = le64_to_cpu(r.ino);
		hd.file_size = le64_to_cpu(r.file_size);
		hd.stripe = le32_to_cpu(r.stripe);
		hd.stripe_size = le32_to_cpu(r.stripe_size);
		hd.stripe_count = le16_to_cpu(r.stripe_count);
		g.stripe_size = hd.stripe_size;
		g.stripe_count = hd.stripe_count;
		hd.obj_size = tess_stripe_obj_size(&g, hd.stripe, hd.file_size);
		hd.chunk_size = chunk_size_for(hd.stripe_size);
		hd.nchunks = (uint32_t)((hd.obj_size + hd.chunk_size - 1) /
					hd.chunk_size);
		if (bm_bytes(hd.nchunks) > TESS_HSM_BITMAP_MAX * 16ULL)
			return -EFBIG;
		memcpy(hd.bucket, str, bl);
		memcpy(hd.key, str + bl, kl);
		memcpy(hd.etag, str + bl + kl, el);
		/* the location, checked by tess_msg_check (tess_wire.c) */
		memcpy(loc.endpoint, str + bl + kl + el,
		       le16_to_cpu(r.endpoint_len));
		memcpy(loc.region, str + bl + kl + el +
		       le16_to_cpu(r.endpoint_len), r.region_len);
		loc.flags = r.loc_flags;
		bm = calloc(1, bm_bytes(hd.nchunks) + 1);
		if (!bm)
			return -ENOMEM;
		if (mode == TESS_OHSM_ARCHIVED)
			memset(bm, 0xff, bm_bytes(hd.nchunks));
		if (mode == TESS_OHSM_ARCHIVED && hd.nchunks % 8)
			bm[hd.nchunks / 8] = (uint8_t)((1u << (hd.nchunks % 8)) - 1);
	}

	pthread_mutex_lock(&h->lock);
	o = hobj_get(h, oid, mode == TESS_OHSM_STUB ||
		     mode == TESS_OHSM_ARCHIVED, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		free(bm);
		if (rc)
			return rc;	/* corrupt sidecar (logged) */
		return mode == TESS_OHSM_REMOVE ? 0 : -ENODATA;
	}
	rc = wait_not_busy(h, o);
	if (!rc) {
		/* ours: new accesses wait; those in flight end first */
		o->busy = true;
		rc = drain(h, o);
		if (rc)
			tlog("hsm: oid %#" PRIx64 ": hsm_set mode %u: reads or "
			     "writes still in flight after %d s; EBUSY", oid,
			     mode, h->wait_ms / 1000);
	}
	if (!rc && !o->loaded && (mode == TESS_OHSM_RELEASE ||
				  mode == TESS_OHSM_REMOVE))
		rc = mode == TESS_OHSM_REMOVE ? 1 : -ENODATA;
	if (!rc && mode == TESS_OHSM_RELEASE && (o->h.flags & SC_F_DIRTY))
		rc = -EBUSY;		/* written since: archive it first */
	if (!rc && mode == TESS_OHSM_RELEASE && (o->h.flags & SC_F_PINNED))
		rc = -EPERM;		/* pinned: unpin it first */
	if (!rc && mode == TESS_OHSM_ARCHIVED && o->loaded &&
	    o->h.dirty_gen != le64_to_cpu(r.dirty_gen)) {
		tlog("hsm: oid %#" PRIx64 ": archived at write generation "
		     "%" PRIu64 ", now %" PRIu64 ": written meanwhile", oid,
		     (uint64_t)le64_to_cpu(r.dirty_gen), o->h.dirty_gen);
		rc = -EAGAIN;		/* written while being archived */
	}
	if (rc) {
		if (o->busy) {
			o->busy = false;
			pthread_cond_broadcast(&h->cond);
		}
		hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		free(bm);
		return rc > 0 ? 0 : rc;
	}
	if (mode == TESS_OHSM_ARCHIVED)
		hd.dirty_gen = o->loaded ? o->h.dirty_gen : 0;
	/* a pin outlives re-import and archive */
	if ((mode == TESS_OHSM_STUB || mode == TESS_OHSM_ARCHIVED) &&
	    o->loaded)
		hd.flags |= o->h.flags & SC_F_PINNED;
	if (mode == TESS_OHSM_RELEASE) {
		hd = o->h;
		loc = o->loc;
		hd.flags &= ~SC_F_DIRTY;
	}
	/*
	 * Version 2 only with a location (older OSTs read the others); the
	 * header rewritten in place later (dirty, pin) keeps this magic.
	 */
	memcpy(hd.magic, loc_set(&loc) ? SC_MAGIC2 : SC_MAGIC, 8);
	pthread_mutex_unlock(&h->lock);

	/*
	 * The new sidecar is durable before the data changes, so that at any
	 * crash point no sidecar says "present" over data that is gone: a
	 * sidecar that says "absent" over data still there costs a refetch.
	 */
	switch (mode) {
	case TESS_OHSM_STUB:
		rc = sc_create(h, oid, &hd, bm, &loc, &fd);
		if (rc)
			break;
		/* no data of an older origin survives; sparse at full size */
		ofd = obj_fd(h, oid);
		if (ofd < 0) {
			rc = ofd;
			break;
		}
		if (ftruncate(ofd, 0) || ftruncate(ofd, (off_t)hd.obj_size) ||
		    fsync(ofd))
			rc = -errno;
		close(ofd);
		break;
	case TESS_OHSM_ARCHIVED:
		/* every chunk present: what the archive read is stable */
		rc = obj_sync(h, oid);
		if (rc == -ENOENT)
			rc = 0;		/* never written: holes */
		if (!rc)
			rc = sc_create(h, oid, &hd, bm, &loc, &fd);
		break;
	case TESS_OHSM_RELEASE:
		bm = calloc(1, bm_bytes(hd.nchunks) + 1);
		rc = bm ? sc_create(h, oid, &hd, bm, &loc, &fd) : -ENOMEM;
		if (rc)
			break;
		ofd = obj_fd(h, oid);
		if (ofd < 0) {
			rc = ofd;
			break;
		}
		if (hd.obj_size && fallocate(ofd, FALLOC_FL_PUNCH_HOLE |
					     FALLOC_FL_KEEP_SIZE, 0,
					     (off_t)hd.obj_size))
			rc = -errno;
		if (!rc && fsync(ofd))
			rc = -errno;
		close(ofd);
		break;
	case TESS_OHSM_REMOVE: {
		char path[48];

		sc_path(oid, path, false);
		if (unlinkat(h->root, path, 0) && errno != ENOENT)
			rc = -errno;
		break;
	}
	}
	if (rc)
		tlog("hsm: oid %#" PRIx64 ": hsm_set mode %u: %s%s", oid, mode,
		     estr(rc, eb, sizeof(eb)), fd >= 0 ? " (after the new "
		     "sidecar was written: it holds)" : "");

	pthread_mutex_lock(&h->lock);
	if (!rc && mode == TESS_OHSM_REMOVE) {
		o->loaded = false;
		unhash(h, o);
		hsm_cache_forget(h->cache, oid);
	} else if (fd >= 0) {
		/* the new sidecar is on disk: memory follows, even on error */
		if (o->scfd >= 0)
			close(o->scfd);
		free(o->bm);
		o->scfd = fd;
		o->h = hd;
		o->loc = loc;
		o->bm = bm;
		bm = NULL;
		o->npresent = 0;
		for (uint32_t c = 0; c < hd.nchunks; c++)
			if (bit(o, c))
				o->npresent++;
		o->loaded = true;
		o->bad = false;
		/* imported or re-archived: the MDS is told by the tool */
		o->complete_sent = mode == TESS_OHSM_ARCHIVED ||
				   hd.nchunks == 0;
	} else if (!o->loaded) {
		unhash(h, o);
	}
	o->busy = false;
	pthread_cond_broadcast(&h->cond);
	hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	free(bm);
	return rc;
}

/* ---- the bounded cache's release (hsm_cache.c) ---- */

/* why o's data may not be released now (lock held): 0 or -errno */
static int evictable(const struct hobj *o)
{
	if (!o->loaded || !o->npresent)
		return -ENODATA;
	if (o->h.flags & (SC_F_DIRTY | SC_F_PINNED))
		return -EPERM;		/* user data, or kept on purpose */
	if (o->busy || o->runs || o->inflight)
		return -EBUSY;
	return 0;
}

/* punch o's data (busy: ours; no lock held): 0 or -errno */
static int punch_obj(struct ost_hsm *h, const struct hobj *o)
{
	int fd = obj_fd(h, o->oid), rc = 0;

	if (fd < 0)
		return fd;
	if (o->h.obj_size && fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, 0,
				       (off_t)o->h.obj_size))
		rc = -errno;
	close(fd);
	return rc;
}

int ost_hsm_evict(struct ost_hsm *h, uint64_t oid, uint64_t *freed)
{
	struct note n = { 0 };
	struct hobj *o;
	uint8_t *old = NULL;
	uint64_t bytes = 0;
	uint32_t stripe;
	size_t nb;
	char eb[128];
	int rc, prc = 0;

	*freed = 0;
	pthread_mutex_lock(&h->lock);
	o = hobj_get(h, oid, false, &rc);
	if (!o) {
		pthread_mutex_unlock(&h->lock);
		return rc ? rc : -ENODATA;
	}
	rc = evictable(o);
	nb = rc ? 0 : bm_bytes(o->h.nchunks);
	if (!rc) {
		old = malloc(nb);
		rc = old ? 0 : -ENOMEM;
	}
	if (rc) {
		hobj_put(h, o);
		pthread_mutex_unlock(&h->lock);
		return rc;
	}
	/* absent on disk before the data goes: never "present" over a hole */
	o->busy = true;
	n.ino = o->h.ino;
	stripe = o->h.stripe;
	memcpy(old, o->bm, nb);
	for (uint32_t c = 0; c < o->h.nchunks; c++)
		if (bit(o, c))
			bytes += chunk_len(&o->h, c);
	memset(o->bm, 0, nb);
	o->npresent = 0;
	rc = bm_write(h, o, 0, o->h.nchunks);
	pthread_mutex_unlock(&h->lock);
	if (!rc && fdatasync(o->scfd))
		rc = -errno;
	if (!rc)
		prc = punch_obj(h, o);	/* failing: absent over data, refetched */
	pthread_mutex_lock(&h->lock);
	if (rc) {
		/* the data is still there: memory keeps saying so */
		memcpy(o->bm, old, nb);
		for (uint32_t c = 0; c < o->h.nchunks; c++)
			if (bit(o, c))
				o->npresent++;
		bm_write(h, o, 0, o->h.nchunks);
	} else {
		h->evictions++;
		h->bytes_evicted += bytes;
		*freed = bytes;
		o->complete_sent = false;
		o->ra_win = 0;
		n.valid = TESS_HSMS_STATE | TESS_HSMS_UNPRESENT;
		n.set = TESS_HSM_RELEASED;
		notify(h, &n);
	}
	o->busy = false;
	pthread_cond_broadcast(&h->cond);
	hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	free(old);
	if (rc || prc)
		tlog_level(LOG_ERR, "hsm: oid %#" PRIx64 ": releasing restored "
			   "data to make room: %s: %s", oid, rc ? "sidecar" :
			   "punch", estr(rc ? rc : prc, eb, sizeof(eb)));
	else
		tlog_level(LOG_DEBUG, "hsm: oid %#" PRIx64 " (ino %" PRIu64
			   " stripe %u): evicted %" PRIu64 " restored bytes "
			   "(least recently read)", oid, n.ino, stripe, bytes);
	return rc ? -EIO : 0;
}

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

/* ---- OBJ_HSM_GET ---- */

int ost_hsm_get(struct ost_hsm *h, const void *body, uint32_t len, bool loc,
		struct tess_buf *b)
{
	struct tess_obj_hsm_get_req q;
	struct tess_obj_hsm_rep *r;
	struct hobj *o;
	uint64_t oid;
	uint32_t max;
	int rc = 0;

	(void)len;
	memcpy(&q, body, sizeof(q));
	oid = le64_to_cpu(q.oid);
	max = le32_to_cpu(q.bitmap_max);
	r = tess_buf_reserve(b, sizeof(*r));
	if (!r)
		return -EMSGSIZE;
	pthread_mutex_lock(&h->lock);
	r->ost_bytes_fetched = cpu_to_le64(h->bytes_fetched);
	r->ost_fetches = cpu_to_le64(h->fetches);
	r->ost_fetch_errors = cpu_to_le64(h->fetch_errors);
	r->ost_evictions = cpu_to_le64(h->evictions);
	r->ost_bytes_evicted = cpu_to_le64(h->bytes_evicted);
	o = oid ? hobj_get(h, oid, false, &rc) : NULL;
	if (!o && rc) {
		pthread_mutex_unlock(&h->lock);
		return rc;		/* corrupt sidecar (logged) */
	}
	if (o && o->loaded) {
		const struct sc_hdr *hd = &o->h;
		uint64_t present = 0;
		size_t nb = bm_bytes(hd->nchunks);
		uint32_t bl = (uint32_t)strlen(hd->bucket);
		uint32_t kl = (uint32_t)strlen(hd->key);
		uint32_t el = (uint32_t)strlen(hd->etag);
		uint32_t flags = TESS_OHSM_F_HSM;

		for (uint32_t c = 0; c < hd->nchunks; c++)
			if (bit(o, c))
				present += chunk_len(hd, c);
		if (hd->flags & SC_F_DIRTY)
			flags |= TESS_OHSM_F_DIRTY;
		if (hd->flags & SC_F_PINNED)
			flags |= TESS_OHSM_F_PINNED;
		if (nb > max) {
			nb = max;
			flags |= TESS_OHSM_F_BITMAP_CUT;
		}
		r->ino = cpu_to_le64(hd->ino);
		r->file_size = cpu_to_le64(hd->file_size);
		r->obj_size = cpu_to_le64(hd->obj_size);
		r->bytes_present = cpu_to_le64(present);
		r->dirty_gen = cpu_to_le64(hd->dirty_gen);
		r->flags = cpu_to_le32(flags);
		r->stripe = cpu_to_le32(hd->stripe);
		r->stripe_size = cpu_to_le32(hd->stripe_size);
		r->chunk_size = cpu_to_le32(hd->chunk_size);
		r->nchunks = cpu_to_le32(hd->nchunks);
		r->npresent = cpu_to_le32(o->npresent);
		r->stripe_count = cpu_to_le16((uint16_t)hd->stripe_count);
		r->bucket_len = cpu_to_le16((uint16_t)bl);
		r->key_len = cpu_to_le16((uint16_t)kl);
		r->etag_len = cpu_to_le16((uint16_t)el);
		r->bitmap_len = cpu_to_le32((uint32_t)nb);
		tess_buf_put(b, hd->bucket, bl);
		tess_buf_put(b, hd->key, kl);
		tess_buf_put(b, hd->etag, el);
		tess_buf_put(b, o->bm, (uint32_t)nb);
		if (loc && loc_set(&o->loc)) {
			/* checked when loaded (sc_loc_invalid) or set */
			uint32_t epl = (uint32_t)strlen(o->loc.endpoint);
			uint32_t rl = (uint32_t)strlen(o->loc.region);

			r->endpoint_len = cpu_to_le16((uint16_t)epl);
			r->region_len = (uint8_t)rl;
			r->loc_flags = (uint8_t)o->loc.flags;
			tess_buf_put(b, o->loc.endpoint, epl);
			tess_buf_put(b, o->loc.region, rl);
		}
	}
	if (o)
		hobj_put(h, o);
	pthread_mutex_unlock(&h->lock);
	return b->err;
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
	if (h->have_mds && pthread_create(&t, NULL, notifier_main, h))
		return -EAGAIN;
	for (uint32_t i = 0; i < h->ra_threads; i++)
		if (pthread_create(&t, NULL, ra_main, h))
			return -EAGAIN;
	return hsm_cache_start(h->cache, h);
}
